import type { Kysely } from 'kysely';

/**
 * One known value sealed with the installation's secret key, so that a start with another key is
 * refused at once (src/services/secret-key-check.ts) instead of failing later, on the first call
 * that needs a trunk password. One row, id 1.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('secret_key_check')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}
