import type { Kysely } from 'kysely';

/**
 * The operator's number stock (DID blocks bought from their carrier), installation-wide.
 * Metadata is derived from the number when it is added, so "a free 415 number in the US" is an
 * index lookup. A row is allocated by a conditional UPDATE on `allocated_at` (see
 * src/services/inventory/local-inventory.ts); the phone-number record itself lives in phone_numbers.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('inventory_numbers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('e164', 'text', (c) => c.notNull().unique())
    .addColumn('provider', 'text')
    .addColumn('provider_sid', 'text')
    .addColumn('country', 'text')
    .addColumn('region', 'text')
    .addColumn('area_code', 'text')
    .addColumn('number_type', 'text')
    .addColumn('toll_free', 'integer', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('allocated_workspace_id', 'text')
    .addColumn('allocated_at', 'text')
    .execute();
  await db.schema
    .createIndex('inventory_numbers_search')
    .on('inventory_numbers')
    .columns(['country', 'area_code', 'toll_free', 'e164'])
    .execute();
  await db.schema.createIndex('inventory_numbers_country_toll_free').on('inventory_numbers').columns(['country', 'toll_free', 'e164']).execute();
}
