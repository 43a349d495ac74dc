import { sql, type Kysely } from 'kysely';

// Forward-only. Column types are chosen to mean the same on SQLite and PostgreSQL (see tables.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('workspaces')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('parent_id', 'text', (c) => c.references('workspaces.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('name', 'text')
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('api_keys_workspace').on('api_keys').columns(['workspace_id', 'id']).execute();

  await db.schema
    .createTable('carriers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('trunk_type', 'text', (c) => c.notNull())
    .addColumn('gateways', 'text', (c) => c.notNull())
    .addColumn('register_username', 'text')
    .addColumn('register_password', 'text')
    .addColumn('register_realm', 'text')
    .addColumn('inbound_auth_username', 'text')
    .addColumn('inbound_auth_password', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .execute();
  await db.schema.createIndex('carriers_workspace').on('carriers').columns(['workspace_id', 'id']).execute();

  await db.schema
    .createTable('phone_numbers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('e164', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('provider_sid', 'text')
    .addColumn('carrier_id', 'text', (c) => c.references('carriers.id'))
    .addColumn('nickname', 'text')
    .addColumn('voice', 'integer', (c) => c.notNull())
    .addColumn('sms', 'integer', (c) => c.notNull())
    .addColumn('country', 'text')
    .addColumn('region', 'text')
    .addColumn('locality', 'text')
    .addColumn('area_code', 'text')
    .addColumn('number_type', 'text')
    .addColumn('time_zones', 'text', (c) => c.notNull())
    .addColumn('pretty', 'text', (c) => c.notNull())
    .addColumn('sip_termination_uri', 'text')
    .addColumn('sip_outbound_proxy', 'text')
    .addColumn('sip_auth_username', 'text')
    .addColumn('sip_auth_password', 'text')
    .addColumn('sip_transport', 'text', (c) => c.notNull())
    .addColumn('sip_uac_enabled', 'integer', (c) => c.notNull())
    .addColumn('sip_uac_register_expires', 'integer', (c) => c.notNull())
    .addColumn('inbound_agents', 'text', (c) => c.notNull())
    .addColumn('outbound_agents', 'text', (c) => c.notNull())
    .addColumn('inbound_sms_agents', 'text', (c) => c.notNull())
    .addColumn('outbound_sms_agents', 'text', (c) => c.notNull())
    .addColumn('has_inbound_agent', 'integer', (c) => c.notNull())
    .addColumn('allowed_inbound_countries', 'text', (c) => c.notNull())
    .addColumn('allowed_outbound_countries', 'text', (c) => c.notNull())
    .addColumn('inbound_webhook_url', 'text')
    .addColumn('inbound_sms_webhook_url', 'text')
    .addColumn('fallback_number', 'text')
    .addColumn('error_message', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .execute();
  // The installation-wide rule "one live record per E.164" lives here, in the database, so
  // that racing imports from any workspace cannot both win.
  await db.schema
    .createIndex('phone_numbers_live_e164')
    .on('phone_numbers')
    .column('e164')
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
  await db.schema.createIndex('phone_numbers_workspace').on('phone_numbers').columns(['workspace_id', 'id']).execute();
  await db.schema
    .createIndex('phone_numbers_workspace_fallback')
    .on('phone_numbers')
    .columns(['workspace_id', 'fallback_number'])
    .execute();

  await db.schema
    .createTable('phone_number_agents')
    .addColumn('phone_number_id', 'text', (c) => c.notNull().references('phone_numbers.id'))
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('phone_number_agents_pk', ['phone_number_id', 'agent_id'])
    .execute();
  await db.schema
    .createIndex('phone_number_agents_agent')
    .on('phone_number_agents')
    .columns(['workspace_id', 'agent_id', 'phone_number_id'])
    .execute();

  await db.schema
    .createTable('phone_number_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('phone_number_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor_key_id', 'text')
    .addColumn('changed_fields', 'text', (c) => c.notNull())
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('phone_number_events_number')
    .on('phone_number_events')
    .columns(['phone_number_id', 'id'])
    .execute();
}
