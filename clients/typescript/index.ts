/**
 * Typed client for the Switchboard API: openapi-fetch over the types generated from
 * /openapi.json (schema.ts), so every path, parameter, body and response is checked by the
 * compiler. Regenerate the types with `npm run client:generate` after changing a route schema.
 *
 *   const client = createSwitchboardClient({ baseUrl: 'http://localhost:3000', apiKey: process.env.SWITCHBOARD_API_KEY! });
 *   const { data, error } = await client.GET('/v1/phone-numbers/{id}', { params: { path: { id: '+14155550100' } } });
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema.ts';

export type { components, paths, operations } from './schema.ts';
export type SwitchboardClient = Client<paths>;

type Schemas = components['schemas'];
export type PhoneNumber = Schemas['PhoneNumber'];
export type Carrier = Schemas['Carrier'];
export type NumberPool = Schemas['NumberPool'];
export type RoutingDecision = Schemas['RoutingDecision'];
/** The problem+json body of every native error (`errors[].field` names the offending field). */
export type Problem = Schemas['Problem'];

export interface SwitchboardClientOptions extends Omit<ClientOptions, 'baseUrl' | 'headers'> {
  /** Where the server answers, e.g. `http://localhost:3000`; empty for the same origin (a browser). */
  baseUrl: string;
  /** An API key (`sk_…`); a function is asked on every request, so a signed-out session sends none. */
  apiKey: string | (() => string | null);
  headers?: Record<string, string>;
}

export function createSwitchboardClient({ baseUrl, apiKey, headers, ...options }: SwitchboardClientOptions): SwitchboardClient {
  const client = createClient<paths>({ baseUrl, headers, ...options });
  client.use({
    onRequest({ request }) {
      const key = typeof apiKey === 'function' ? apiKey() : apiKey;
      if (key) request.headers.set('authorization', `Bearer ${key}`);
      return request;
    },
  });
  return client;
}
