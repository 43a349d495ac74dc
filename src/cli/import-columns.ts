/**
 * The columns of a number import CSV, apart from the code that reads them (csv-rows.ts, which
 * loads the import schema): `--help` lists them without loading TypeBox or the services.
 */
import { AGENT_LISTS } from '../services/phone-numbers/model.ts';

/** The most rows one `importMany` call (one transaction) receives. */
export const MAX_BATCH_ROWS = 10_000;

export const BOOLEAN_COLUMNS = new Set(['capabilities.voice', 'capabilities.sms', 'sip.uac_enabled']);
export const INTEGER_COLUMNS = new Set(['sip.uac_register_expires', 'max_concurrent_calls']);
export const LIST_COLUMNS = new Set(['allowed_inbound_country_list', 'allowed_outbound_country_list']);
export const AGENT_COLUMNS = new Set<string>(AGENT_LISTS);
const SCALAR_COLUMNS = [
  'phone_number',
  'status',
  'source',
  'provider_sid',
  'carrier_id',
  'nickname',
  'inbound_webhook_url',
  'inbound_sms_webhook_url',
  'fallback_number',
  'error_message',
  'sip.termination_uri',
  'sip.outbound_proxy',
  'sip.auth_username',
  'sip.auth_password',
  'sip.transport',
];

/** Every column the CSV may have: the native import fields, nested ones as `sip.transport`, `capabilities.sms`. */
export const CSV_COLUMNS = [...SCALAR_COLUMNS, ...BOOLEAN_COLUMNS, ...INTEGER_COLUMNS, ...LIST_COLUMNS, ...AGENT_COLUMNS, 'calling_hours'];
