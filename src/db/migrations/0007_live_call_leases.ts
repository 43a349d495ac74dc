import { sql, type Kysely } from 'kysely';

// The live leases of a workspace, for the workspace cap counted in the store when a call takes a
// slot: without it the count reads every lease the workspace ever had (ended ones stay as records).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('call_leases_live_workspace').on('call_leases').columns(['workspace_id', 'expires_at']).where(sql.ref('ended_at'), 'is', null).execute();
}
