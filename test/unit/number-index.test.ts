import { describe, expect, test } from 'vitest';
import { NumberIndex, ROUTING_COLUMNS, routingRowOfValues } from '../../src/services/routing/number-index.ts';
import { routingRow, WORKSPACE } from './rows.ts';

const SF = '+14157780001';
const SF2 = '+14157780002';
const NY = '+12127360001';

describe('NumberIndex', () => {
  test('holds a number by id and by E.164, and forgets it on remove', () => {
    const index = new NumberIndex();
    index.upsertRow(routingRow({ id: 'n1', e164: SF, outbound: [{ agent_id: 'out', weight: 1 }] }));
    expect(index.size).toBe(1);
    expect(index.get('n1')?.e164).toBe(SF);
    expect(index.byNumber(SF)?.id).toBe('n1');
    expect([...index.withOutboundAgent(WORKSPACE, 'out')].map((entry) => entry.id)).toEqual(['n1']);
    index.remove('n1');
    expect(index.size).toBe(0);
    expect(index.get('n1')).toBeUndefined();
    expect(index.byNumber(SF)).toBeUndefined();
    expect([...index.withOutboundAgent(WORKSPACE, 'out')]).toEqual([]);
  });

  test('an update replaces the number and keeps its last use; an older version is ignored', () => {
    const index = new NumberIndex();
    index.upsertRow(routingRow({ id: 'n1', e164: SF, version: 2, outbound: [{ agent_id: 'a', weight: 1 }] }));
    index.get('n1')!.lastUsedMs = 1234;
    index.upsertRow(routingRow({ id: 'n1', e164: SF, version: 3, status: 'inactive', outbound: [{ agent_id: 'b', weight: 1 }] }));
    const updated = index.get('n1')!;
    expect(updated.version).toBe(3);
    expect(updated.profile.active).toBe(false);
    expect(updated.lastUsedMs).toBe(1234);
    expect([...index.withOutboundAgent(WORKSPACE, 'a')]).toEqual([]);
    expect([...index.withOutboundAgent(WORKSPACE, 'b')]).toEqual([updated]);
    index.upsertRow(routingRow({ id: 'n1', e164: SF, version: 1 }));
    expect(index.get('n1')).toBe(updated);
  });

  test('the same number under a new id (deleted and imported again) replaces the old record', () => {
    const index = new NumberIndex();
    index.upsertRow(routingRow({ id: 'old', e164: SF }));
    index.upsertRow(routingRow({ id: 'new', e164: SF }));
    expect(index.size).toBe(1);
    expect(index.get('old')).toBeUndefined();
    expect(index.byNumber(SF)?.id).toBe('new');
  });

  test('numbers with the same routing fields share one profile; any difference makes another', () => {
    const index = new NumberIndex();
    const agents = [{ agent_id: 'a', weight: 1, agent_version: 3 }];
    index.upsertRow(routingRow({ id: 'n1', e164: SF, inbound: agents }));
    index.upsertRow(routingRow({ id: 'n2', e164: SF2, inbound: agents }));
    index.upsertRow(routingRow({ id: 'n3', e164: NY, areaCode: '212', region: 'New York, NY', inbound: agents }));
    const [one, two, three] = ['n1', 'n2', 'n3'].map((id) => index.get(id)!.profile);
    expect(one).toBe(two);
    expect(three).not.toBe(one);
    expect(one!.users).toBe(2);
    // The parsed agent list is shared between the two profiles too.
    expect(three!.inbound).toBe(one!.inbound);
    expect(one!.inbound!.agents).toEqual(agents);
    expect(index.sharedSizes.profiles).toBe(2);
  });

  test('null and empty text are different profiles', () => {
    const index = new NumberIndex();
    index.upsertRow(routingRow({ id: 'n1', e164: SF, region: null }));
    index.upsertRow(routingRow({ id: 'n2', e164: SF2, region: '' }));
    expect(index.get('n1')!.profile).not.toBe(index.get('n2')!.profile);
    expect(index.get('n1')!.profile.region).toBeNull();
    expect(index.get('n2')!.profile.region).toBe('');
  });

  test('decodes the profile: flags, first time zone, country sets, cap and calling window', () => {
    const index = new NumberIndex();
    index.upsertRow(
      routingRow({
        id: 'n1',
        e164: SF,
        sms: false,
        timeZones: ['America/Los_Angeles', 'America/Denver'],
        allowedInbound: ['US', 'CA'],
        maxConcurrentCalls: 2,
        callingHours: { days: [1, 2], start: '09:00', end: '17:30' },
      }),
    );
    const { profile } = index.get('n1')!;
    expect(profile).toMatchObject({ workspaceId: WORKSPACE, active: true, voice: true, sms: false, timeZone: 'America/Los_Angeles', maxConcurrentCalls: 2 });
    expect([...profile.allowedInbound!]).toEqual(['US', 'CA']);
    expect(profile.allowedOutbound).toBeNull();
    expect(profile.inbound).toBeNull();
    expect(profile.callingHours).toMatchObject({ dayMask: 0b110, startMinute: 540, endMinute: 1050 });
  });

  test('shared values leave with the last number using them: churn never grows the caches', () => {
    const index = new NumberIndex();
    index.upsertRow(routingRow({ id: 'steady', e164: SF2, outbound: [{ agent_id: 'steady', weight: 1 }] }));
    const baseline = index.sharedSizes;
    for (let round = 0; round < 500; round++) {
      // Every round a distinct agent list, country list, calling window and region.
      index.upsertRow(
        routingRow({
          id: 'churn',
          e164: SF,
          version: round + 1,
          region: `region-${round}`,
          outbound: [{ agent_id: `agent-${round}`, weight: 1 }],
          allowedOutbound: [`X${round}`],
          timeZones: [`Zone/${round}`],
          callingHours: { days: [1], start: '09:00', end: `${String(10 + (round % 10)).padStart(2, '0')}:00` },
        }),
      );
    }
    const during = index.sharedSizes;
    expect(during.profiles).toBe(baseline.profiles + 1);
    expect(during.tables).toBeLessThanOrEqual(baseline.tables + 1);
    expect(during.countrySets).toBeLessThanOrEqual(baseline.countrySets + 1);
    expect(during.windows).toBeLessThanOrEqual(baseline.windows + 1);
    expect(during.strings).toBeLessThanOrEqual(baseline.strings + 1);
    index.remove('churn');
    expect(index.sharedSizes).toEqual(baseline);
    index.remove('steady');
    expect(index.sharedSizes).toEqual({ profiles: 0, strings: 0, tables: 0, countrySets: 0, firstZones: 0, windows: 0 });
  });

  test('rows read as arrays decode in ROUTING_COLUMNS order', () => {
    const row = routingRow({ id: 'n1', e164: SF, fallbackNumber: NY, maxConcurrentCalls: 4 });
    expect(routingRowOfValues(ROUTING_COLUMNS.map((column) => row[column]))).toEqual(row);
  });
});
