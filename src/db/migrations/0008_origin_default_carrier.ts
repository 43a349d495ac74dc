import type { Kysely } from 'kysely';

/**
 * A number's origin beyond its provider: whether it was bought (from the operator's stock or a
 * carrier) rather than imported, which dialects report (Retell's `retell-twilio` vs `custom`).
 * Rows before this migration were all imported unless their source says a purchase: stock
 * purchases recorded `inventory`; a carrier name may be either, and is left as imported.
 * And the workspace's default carrier, for numbers added without one (TopCalls).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('phone_numbers').addColumn('purchased', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.updateTable('phone_numbers' as never).set({ purchased: 1 } as never).where('source' as never, '=', 'inventory' as never).execute();
  await db.schema.alterTable('workspaces').addColumn('default_carrier_id', 'text').execute();
}
