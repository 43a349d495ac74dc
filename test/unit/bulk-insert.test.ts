import { expect, test } from 'vitest';
import type { CompiledQuery, Kysely } from 'kysely';
import { rowInserter } from '../../src/db/bulk-insert.ts';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { PHONE_NUMBER_AGENT_COLUMNS, PHONE_NUMBER_COLUMNS, type Tables } from '../../src/db/tables.ts';
import { agentRowsOf, newRow } from '../../src/services/phone-numbers/rows.ts';

const NOW = '2026-12-01T10:00:00.000Z';

test('on SQLite a statement carries at most 4,096 parameters: 64 number rows, 1,024 agent rows; every row is stored', async () => {
  const database = await openDatabase('sqlite::memory:');
  try {
    await migrateToLatest(database);
    await database.db.insertInto('workspaces').values({ id: 'ws', name: 'w', parent_id: null, created_at: NOW, default_carrier_id: null }).execute();
    const rows = Array.from({ length: 700 }, (_, i) =>
      newRow('ws', { number: `+1415555${String(1000 + i)}`, pseudo: false }, { inbound_agents: [{ agent_id: `a${i}`, weight: 0.5 }, { agent_id: 'shared', weight: 0.5 }] }, NOW, (plain) => plain),
    );
    const statements: Record<string, number[]> = { phone_numbers: [], phone_number_agents: [] };
    // The real store, each statement's row count noted on its way.
    const counted = (table: keyof typeof statements, width: number) =>
      ({ executeQuery: (query: CompiledQuery) => (statements[table]!.push(query.parameters.length / width), database.db.executeQuery(query)) }) as unknown as Kysely<Tables>;
    await rowInserter('sqlite', 'phone_numbers', PHONE_NUMBER_COLUMNS)(counted('phone_numbers', PHONE_NUMBER_COLUMNS.length), rows);
    await rowInserter('sqlite', 'phone_number_agents', PHONE_NUMBER_AGENT_COLUMNS)(counted('phone_number_agents', PHONE_NUMBER_AGENT_COLUMNS.length), rows.flatMap(agentRowsOf));
    // 700 = 10 × 64 + 32 + 16 + 8 + 4; 1,400 = 1,024 + 256 + 64 + 32 + 16 + 8.
    expect(statements.phone_numbers).toEqual([...Array<number>(10).fill(64), 32, 16, 8, 4]);
    expect(statements.phone_number_agents).toEqual([1024, 256, 64, 32, 16, 8]);
    expect((await database.db.selectFrom('phone_numbers').select('e164').orderBy('e164').execute()).map((row) => row.e164)).toEqual(rows.map((row) => row.e164));
    expect(await database.db.selectFrom('phone_number_agents').select(['phone_number_id', 'agent_id']).execute()).toHaveLength(1_400);
  } finally {
    await database.close();
  }
});
