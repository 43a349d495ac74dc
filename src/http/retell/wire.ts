import type { Static } from '@sinclair/typebox';
import type { PhoneNumber } from '../../services/phone-numbers/model.ts';
import { retellPhoneNumberType } from '../origins.ts';
import type { RetellPhoneNumberSchema } from './schemas.ts';
import { singleAgentFieldsOf } from './single-agent.ts';

export type RetellPhoneNumber = Static<typeof RetellPhoneNumberSchema>;

/** The core record as Retell's phone-number object (retell-sdk 5.66 plus the deprecated single-agent fields). */
export function toRetell(record: PhoneNumber): RetellPhoneNumber {
  const nanpAreaCode = record.phone_number.startsWith('+1') && record.area_code && /^\d{3}$/.test(record.area_code);
  return {
    phone_number: record.phone_number,
    phone_number_type: retellPhoneNumberType(record),
    phone_number_pretty: record.phone_number_pretty,
    ...(nanpAreaCode ? { area_code: Number(record.area_code) } : {}),
    nickname: record.nickname,
    inbound_agents: record.inbound_agents,
    outbound_agents: record.outbound_agents,
    inbound_sms_agents: record.inbound_sms_agents,
    outbound_sms_agents: record.outbound_sms_agents,
    ...singleAgentFieldsOf(record),
    inbound_webhook_url: record.inbound_webhook_url,
    inbound_sms_webhook_url: record.inbound_sms_webhook_url,
    allowed_inbound_country_list: record.allowed_inbound_country_list,
    allowed_outbound_country_list: record.allowed_outbound_country_list,
    fallback_number: record.fallback_number,
    sip_outbound_trunk_config: {
      termination_uri: record.sip.termination_uri,
      auth_username: record.sip.auth_username,
      transport: record.sip.transport,
    },
    last_modification_timestamp: Date.parse(record.updated_at),
  };
}
