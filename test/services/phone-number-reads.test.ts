import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { operatorActor } from '../../src/services/context.ts';
import { NotFoundError } from '../../src/services/errors.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { freshNumber } from '../helpers/numbers.ts';

// Single-number reads reuse the decoded record of the live version (RecentRecords); these tests
// pin down that nothing stale, foreign or deleted ever comes out of that.
describe('single-number reads', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => h.close());

  async function imported(workspaceId: string, nickname = 'first') {
    return h.runtime.services.phoneNumbers.importNumber(operatorActor(workspaceId), { phone_number: freshNumber(), nickname });
  }

  test('a repeated read returns the same frozen record, by id and by number', async () => {
    const actor = operatorActor((await h.workspace()).id);
    const { phoneNumbers } = h.runtime.services;
    const created = await imported(actor.workspaceId);
    const first = await phoneNumbers.get(actor, created.id);
    expect(await phoneNumbers.get(actor, created.id)).toBe(first);
    expect(await phoneNumbers.getByNumber(actor, created.phone_number.slice(1))).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.sip) && Object.isFrozen(first.inbound_agents)).toBe(true);
    expect(() => {
      (first as { nickname: string | null }).nickname = 'changed in place';
    }).toThrow(TypeError);
  });

  test('an update through the service is read back at once', async () => {
    const actor = operatorActor((await h.workspace()).id);
    const { phoneNumbers } = h.runtime.services;
    const created = await imported(actor.workspaceId);
    await phoneNumbers.get(actor, created.id);
    await phoneNumbers.update(actor, created.id, { nickname: 'second' });
    expect((await phoneNumbers.get(actor, created.id)).nickname).toBe('second');
    expect((await phoneNumbers.getByNumber(actor, created.phone_number)).nickname).toBe('second');
  });

  test('a write this process never saw (another instance, the CLI) is read back at once', async () => {
    const actor = operatorActor((await h.workspace()).id);
    const { phoneNumbers } = h.runtime.services;
    const created = await imported(actor.workspaceId);
    const held = await phoneNumbers.get(actor, created.id);
    await h.runtime.database.db
      .updateTable('phone_numbers')
      .set({ nickname: 'written elsewhere', version: held.version + 1 })
      .where('id', '=', created.id)
      .execute();
    const read = await phoneNumbers.get(actor, created.id);
    expect(read.nickname).toBe('written elsewhere');
    expect(read.version).toBe(held.version + 1);
    expect(await phoneNumbers.getByNumber(actor, created.phone_number)).toBe(read);
  });

  test('a held record is never shown to another workspace', async () => {
    const owner = operatorActor((await h.workspace()).id);
    const stranger = operatorActor((await h.workspace()).id);
    const { phoneNumbers } = h.runtime.services;
    const created = await imported(owner.workspaceId);
    await phoneNumbers.get(owner, created.id);
    await expect(phoneNumbers.get(stranger, created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(phoneNumbers.getByNumber(stranger, created.phone_number)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('a deleted number is gone, and a re-import of it is read as the new record', async () => {
    const actor = operatorActor((await h.workspace()).id);
    const { phoneNumbers } = h.runtime.services;
    const created = await imported(actor.workspaceId);
    await phoneNumbers.getByNumber(actor, created.phone_number);
    await phoneNumbers.remove(actor, created.id);
    await expect(phoneNumbers.get(actor, created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(phoneNumbers.getByNumber(actor, created.phone_number)).rejects.toBeInstanceOf(NotFoundError);
    const again = await phoneNumbers.importNumber(actor, { phone_number: created.phone_number, nickname: 'again' });
    const read = await phoneNumbers.getByNumber(actor, created.phone_number);
    expect(read.id).toBe(again.id);
    expect(read.nickname).toBe('again');
  });
});
