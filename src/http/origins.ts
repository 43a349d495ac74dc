import type { NumberSource, PhoneNumber } from '../services/phone-numbers/model.ts';

/**
 * Where a number comes from, in each vendor's words: the one place the core's `source` (and
 * whether the number was bought) becomes Retell's `phone_number_type` and Synthflow's
 * `provider_name`, and back. README "Number origins" documents these tables.
 */

export type RetellPhoneNumberType = 'retell-twilio' | 'retell-telnyx' | 'custom';

/**
 * `retell-twilio` / `retell-telnyx` only for a number bought through a carrier: the stock's or
 * carrier's provider of that name, else the provider the buyer asked for (recorded as the source
 * when the stock names none), else Retell's default, Twilio. Every imported number is `custom`,
 * whatever its SIP host or the provider it was imported with.
 */
export function retellPhoneNumberType(record: Pick<PhoneNumber, 'source' | 'purchased'>): RetellPhoneNumberType {
  if (!record.purchased) return 'custom';
  return record.source === 'telnyx' ? 'retell-telnyx' : 'retell-twilio';
}

/** Every `provider_name` Synthflow documents for custom numbers, and the core source each is stored as. */
export const SYNTHFLOW_PROVIDER_SOURCES = {
  twilio: 'twilio',
  telnyx: 'telnyx',
  vonage: 'vonage',
  ring_central: 'ring_central',
  ringcx: 'ringcx',
  custom: 'custom',
  zoom: 'zoom',
  five9: 'five9',
  '8x8': '8x8',
  // Not in Synthflow's list; accepted since Switchboard's first release as another name for `custom`.
  sip: 'custom',
} as const satisfies Record<string, NumberSource>;

export type SynthflowProviderName = keyof typeof SYNTHFLOW_PROVIDER_SOURCES;

/**
 * The core source as a `provider_name` Synthflow has: a provider Synthflow names keeps its name;
 * a bought number of no named carrier is `twilio` (Synthflow's own numbers are Twilio's); every
 * other source (a SIP trunk of a carrier Synthflow does not name, a manual import) is `custom`.
 */
export function synthflowProviderName(source: NumberSource): Exclude<SynthflowProviderName, 'sip'> {
  if (source === 'inventory') return 'twilio';
  const named = Object.entries(SYNTHFLOW_PROVIDER_SOURCES).find(([name, stored]) => name !== 'sip' && stored === source);
  return named ? (named[0] as Exclude<SynthflowProviderName, 'sip'>) : 'custom';
}
