import type { Kysely } from 'kysely';

/**
 * The numbers Switchboard bought at a carrier (Twilio, Telnyx), and where their release stands.
 * Only rows here are ever released at the carrier: a number imported or synced from an account
 * is not in this table, so deleting it never gives it up. See src/services/inventory/releases.ts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('carrier_numbers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    // Null between the purchase and the registration (and when the registration failed).
    .addColumn('phone_number_id', 'text')
    .addColumn('e164', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_sid', 'text', (c) => c.notNull())
    .addColumn('bought_at', 'text', (c) => c.notNull())
    // held → pending → released | failed (failed: gave up after the configured attempts).
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('release_reason', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('released_at', 'text')
    .execute();
  await db.schema.createIndex('carrier_numbers_phone_number').on('carrier_numbers').column('phone_number_id').execute();
  await db.schema.createIndex('carrier_numbers_due').on('carrier_numbers').columns(['state', 'next_attempt_at']).execute();
  await db.schema.createIndex('carrier_numbers_workspace').on('carrier_numbers').columns(['workspace_id', 'state', 'id']).execute();
}
