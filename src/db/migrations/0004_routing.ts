import type { Kysely } from 'kysely';

// Call routing: per-number limits, workspace settings (outage, signing secret, cap), caller-ID
// pools and call leases. Forward-only; same column types on SQLite and PostgreSQL.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('phone_numbers').addColumn('max_concurrent_calls', 'integer').execute();
  await db.schema.alterTable('phone_numbers').addColumn('calling_hours', 'text').execute();

  await db.schema
    .createTable('workspace_settings')
    .addColumn('workspace_id', 'text', (c) => c.primaryKey().references('workspaces.id'))
    .addColumn('outage', 'integer', (c) => c.notNull())
    .addColumn('signing_secret', 'text')
    .addColumn('max_concurrent_calls', 'integer')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('number_pools')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('strategy', 'text', (c) => c.notNull())
    .addColumn('calling_hours', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('number_pools_workspace_name').on('number_pools').columns(['workspace_id', 'name']).unique().execute();

  await db.schema
    .createTable('number_pool_members')
    .addColumn('pool_id', 'text', (c) => c.notNull().references('number_pools.id'))
    .addColumn('phone_number_id', 'text', (c) => c.notNull().references('phone_numbers.id'))
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    // Keeps the order members were given in (several join in the same instant).
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('number_pool_members_pk', ['pool_id', 'phone_number_id'])
    .execute();
  await db.schema.createIndex('number_pool_members_number').on('number_pool_members').column('phone_number_id').execute();

  await db.schema
    .createTable('call_leases')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('phone_number_id', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addPrimaryKeyConstraint('call_leases_pk', ['workspace_id', 'call_id'])
    .execute();
  await db.schema.createIndex('call_leases_number').on('call_leases').columns(['phone_number_id', 'expires_at']).execute();
}
