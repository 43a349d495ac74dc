/**
 * Row types of the store. Both engines use the same column types: text for ids, ISO-8601
 * timestamps and JSON documents, integer 0/1 for booleans, so one code path serves both.
 */

/** How one JSON column's value is written to and read from its text; see `jsonColumn`. */
export interface JsonColumn<T> {
  encode(value: T): string;
  decode(text: string): T;
}

/**
 * The codec of a JSON column holding a `T`: every JSON column is written and read through one of
 * these, so what a column holds is said once, where its codec is declared.
 */
export function jsonColumn<T>(): JsonColumn<T> {
  return { encode: (value) => JSON.stringify(value), decode: (text) => JSON.parse(text) as T };
}

export interface WorkspaceRow {
  id: string;
  name: string;
  parent_id: string | null;
  created_at: string;
  /** The carrier a number added without one goes on (TopCalls' default carrier); null = none. */
  default_carrier_id: string | null;
}

export interface ApiKeyRow {
  id: string;
  workspace_id: string;
  name: string | null;
  key_hash: string;
  /** First characters of the key, so an operator can tell keys apart without the secret. */
  key_prefix: string;
  scopes: string;
  created_at: string;
  revoked_at: string | null;
}

export interface PhoneNumberRow {
  id: string;
  workspace_id: string;
  e164: string;
  status: string;
  source: string;
  provider_sid: string | null;
  carrier_id: string | null;
  /** 1 when bought (stock or carrier), 0 when imported. */
  purchased: number;
  nickname: string | null;
  voice: number;
  sms: number;
  country: string | null;
  region: string | null;
  locality: string | null;
  area_code: string | null;
  number_type: string | null;
  time_zones: string;
  pretty: string;
  sip_termination_uri: string | null;
  sip_outbound_proxy: string | null;
  sip_auth_username: string | null;
  sip_auth_password: string | null;
  sip_transport: string;
  sip_uac_enabled: number;
  sip_uac_register_expires: number;
  inbound_agents: string;
  outbound_agents: string;
  inbound_sms_agents: string;
  outbound_sms_agents: string;
  has_inbound_agent: number;
  allowed_inbound_countries: string;
  allowed_outbound_countries: string;
  inbound_webhook_url: string | null;
  inbound_sms_webhook_url: string | null;
  fallback_number: string | null;
  /** Added by 0004_routing; null = unlimited. */
  max_concurrent_calls: number | null;
  /** JSON of CallingHours (0004_routing); null = any time. */
  calling_hours: string | null;
  error_message: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

/** One row per (number, agent) over all four lists, so "numbers bound to agent X" is an index lookup. */
export interface PhoneNumberAgentRow {
  phone_number_id: string;
  workspace_id: string;
  agent_id: string;
}

export interface PhoneNumberEventRow {
  id: string;
  workspace_id: string;
  phone_number_id: string;
  action: string;
  actor_key_id: string | null;
  changed_fields: string;
  before: string | null;
  after: string | null;
  at: string;
}

/**
 * Every column of a row type, as a list that the compiler checks is complete: a column added to
 * the interface but not to its list fails the type check (the bulk inserts write these lists).
 */
function columnsOf<Row>() {
  return <const C extends ReadonlyArray<keyof Row & string>>(
    columns: C & ([Exclude<keyof Row, C[number]>] extends [never] ? unknown : { missing: Exclude<keyof Row, C[number]> }),
  ): C => columns;
}

export const PHONE_NUMBER_COLUMNS = columnsOf<PhoneNumberRow>()([
  'id', 'workspace_id', 'e164', 'status', 'source', 'provider_sid', 'carrier_id', 'purchased', 'nickname',
  'voice', 'sms', 'country', 'region', 'locality', 'area_code', 'number_type', 'time_zones',
  'pretty', 'sip_termination_uri', 'sip_outbound_proxy', 'sip_auth_username', 'sip_auth_password', 'sip_transport', 'sip_uac_enabled', 'sip_uac_register_expires',
  'inbound_agents', 'outbound_agents', 'inbound_sms_agents', 'outbound_sms_agents', 'has_inbound_agent', 'allowed_inbound_countries', 'allowed_outbound_countries', 'inbound_webhook_url',
  'inbound_sms_webhook_url', 'fallback_number', 'max_concurrent_calls', 'calling_hours', 'error_message', 'version', 'created_at', 'updated_at',
  'deleted_at',
]);
export const PHONE_NUMBER_AGENT_COLUMNS = columnsOf<PhoneNumberAgentRow>()([
  'phone_number_id', 'workspace_id', 'agent_id',
]);
export const PHONE_NUMBER_EVENT_COLUMNS = columnsOf<PhoneNumberEventRow>()([
  'id', 'workspace_id', 'phone_number_id', 'action', 'actor_key_id', 'changed_fields', 'before', 'after',
  'at',
]);

export interface CarrierRow {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  trunk_type: string;
  gateways: string;
  register_username: string | null;
  register_password: string | null;
  register_realm: string | null;
  inbound_auth_username: string | null;
  inbound_auth_password: string | null;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

/** Per-workspace routing settings (0004_routing); a missing row means the defaults. */
export interface WorkspaceSettingsRow {
  workspace_id: string;
  outage: number;
  /** Sealed (SecretBox) webhook signing secret; null until first needed or rotated. */
  signing_secret: string | null;
  max_concurrent_calls: number | null;
  updated_at: string;
}

export interface NumberPoolRow {
  id: string;
  workspace_id: string;
  name: string;
  strategy: string;
  calling_hours: string | null;
  created_at: string;
  updated_at: string;
}

export interface NumberPoolMemberRow {
  pool_id: string;
  phone_number_id: string;
  workspace_id: string;
  added_at: string;
  position: number;
}

/** One reported call holding a concurrency slot until it ends or its lease expires. */
export interface CallLeaseRow {
  workspace_id: string;
  call_id: string;
  phone_number_id: string;
  direction: string;
  started_at: string;
  expires_at: string;
  ended_at: string | null;
}

/** A claimed Idempotency-Key: `pending` while its request runs, then `done` with the response to replay. */
export interface IdempotencyKeyRow {
  workspace_id: string;
  key: string;
  /** sha256 of method, path and canonical body of the first request. */
  fingerprint: string;
  claim_token: string;
  state: 'pending' | 'done';
  response_status: number | null;
  /** JSON object of the replayed headers (content-type, location, etag). */
  response_headers: string | null;
  response_body: string | null;
  created_at: string;
  expires_at: string;
}

/** One number of the operator's stock (migration 0002_inventory). */
export interface InventoryNumberRow {
  id: string;
  e164: string;
  /** The carrier the operator bought it from (`twilio`, `telnyx`, ...), or null when unknown. */
  provider: string | null;
  provider_sid: string | null;
  country: string | null;
  region: string | null;
  area_code: string | null;
  number_type: string | null;
  toll_free: number;
  added_at: string;
  allocated_workspace_id: string | null;
  /** Set when a workspace bought the number; null while it is in stock. */
  allocated_at: string | null;
}

/** A number bought at a carrier, and its release (migration 0006_carrier_numbers). */
export interface CarrierNumberRow {
  id: string;
  workspace_id: string;
  phone_number_id: string | null;
  e164: string;
  provider: string;
  provider_sid: string;
  bought_at: string;
  state: 'held' | 'pending' | 'released' | 'failed';
  /** `deleted` (the number was deleted here) or `registration_failed` (bought, then not registered). */
  release_reason: string | null;
  attempts: number;
  next_attempt_at: string | null;
  /** What the carrier answered to the last failed attempt (no credentials). */
  last_error: string | null;
  released_at: string | null;
}

/** A known value sealed with the installation's secret key (one row): a start with another key is refused. */
export interface SecretKeyCheckRow {
  id: number;
  sealed: string;
  created_at: string;
}

export interface Tables {
  workspaces: WorkspaceRow;
  api_keys: ApiKeyRow;
  phone_numbers: PhoneNumberRow;
  phone_number_agents: PhoneNumberAgentRow;
  phone_number_events: PhoneNumberEventRow;
  carriers: CarrierRow;
  workspace_settings: WorkspaceSettingsRow;
  number_pools: NumberPoolRow;
  number_pool_members: NumberPoolMemberRow;
  call_leases: CallLeaseRow;
  idempotency_keys: IdempotencyKeyRow;
  inventory_numbers: InventoryNumberRow;
  carrier_numbers: CarrierNumberRow;
  secret_key_check: SecretKeyCheckRow;
}
