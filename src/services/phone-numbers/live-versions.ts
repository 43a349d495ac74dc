import { sql } from 'kysely';
import { CoalescedReads } from '../../db/coalesced-reads.ts';
import type { Database } from '../../db/database.ts';
import { preparedRead } from '../../db/prepared.ts';

/** Which version of a number is live: what a read of a held record asks the store first. */
export interface LiveVersion {
  id: string;
  version: number;
}

const COALESCING = {
  // PostgreSQL version checks out at a time; the checks asked meanwhile wait and go out together.
  maxInFlight: 2,
  // Keys per statement at most: a bound on its size, not a limit any load reaches often.
  maxKeys: 500,
};

type Found<Extra = object> = Array<LiveVersion & Extra> | Promise<Array<LiveVersion & Extra>>;

/**
 * The version checks of single-number reads (PhoneNumberService.readLive), each reading what is
 * committed when it runs, by the cheapest way each engine has: on SQLite one statement per check,
 * synchronously (see `preparedRead`); on PostgreSQL the checks of concurrent reads share one
 * statement and one round trip (CoalescedReads), each still answered by a statement sent after it
 * asked. The workspace is checked on the rows found, so a number of another workspace is never
 * reported to a reader, exactly as with `workspace_id = …` in the statement.
 */
export class LiveVersions {
  readonly byId: (id: string, workspaceId: string) => Found;
  /** The live rows stored under any of `keys` (at most one each: live numbers are unique). */
  readonly byNumber: (keys: readonly string[], workspaceId: string) => Found<{ e164: string }>;

  constructor(database: Database) {
    if (database.engine === 'sqlite') {
      const byId = preparedRead(database, ['id', 'workspaceId'], (db, v) =>
        db.selectFrom('phone_numbers').select(['id', 'version']).where('id', '=', v.id).where('workspace_id', '=', v.workspaceId).where('deleted_at', 'is', null),
      );
      // A reference names up to two stored keys (see `numberKeys`): the exact one, then its E.164 form.
      const byNumber = preparedRead(database, ['exact', 'e164', 'workspaceId'], (db, v) =>
        db.selectFrom('phone_numbers').select(['id', 'version', 'e164']).where('e164', 'in', [v.exact, v.e164]).where('workspace_id', '=', v.workspaceId).where('deleted_at', 'is', null),
      );
      this.byId = (id, workspaceId) => byId({ id, workspaceId });
      this.byNumber = (keys, workspaceId) => byNumber({ exact: keys[0], e164: keys[1] ?? keys[0], workspaceId });
      return;
    }
    const ids = preparedRead(database, ['ids'], (db, v) =>
      db.selectFrom('phone_numbers').select(['id', 'version', 'workspace_id']).where('id', '=', sql<string>`any(${v.ids})`).where('deleted_at', 'is', null),
    );
    const numbers = preparedRead(database, ['numbers'], (db, v) =>
      db.selectFrom('phone_numbers').select(['id', 'version', 'e164', 'workspace_id']).where('e164', '=', sql<string>`any(${v.numbers})`).where('deleted_at', 'is', null),
    );
    const byIds = new CoalescedReads({ run: async (keys) => ids({ ids: keys }), keyOf: (row) => row.id, ...COALESCING });
    const byNumbers = new CoalescedReads({ run: async (keys) => numbers({ numbers: keys }), keyOf: (row) => row.e164, ...COALESCING });
    this.byId = async (id, workspaceId) => inWorkspace(await byIds.read([id]), workspaceId);
    this.byNumber = async (keys, workspaceId) => inWorkspace(await byNumbers.read(keys), workspaceId);
  }
}

function inWorkspace<Row extends LiveVersion & { workspace_id: string }>(rows: Row[], workspaceId: string): Row[] {
  return rows.filter((row) => row.workspace_id === workspaceId);
}
