import type { Kysely } from 'kysely';

// Carriers live in 0001_core (their gateways are a JSON document, so no column is needed here).
// This adds the Idempotency-Key store: one row per (workspace, key), holding the fingerprint of
// the first request and, once it completed, the response to replay.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    // Identifies the claim of one request, so a stale claim taken over by a retry is not completed by its old owner.
    .addColumn('claim_token', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_headers', 'text')
    .addColumn('response_body', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['workspace_id', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_expires').on('idempotency_keys').column('expires_at').execute();
  await db.schema.createIndex('phone_numbers_carrier').on('phone_numbers').columns(['carrier_id']).execute();
}
