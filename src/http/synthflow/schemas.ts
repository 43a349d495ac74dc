import { Type } from '@sinclair/typebox';
import { Nullable } from '../schemas/common.ts';
import { ProviderNameSchema } from './wire.ts';

/** What Synthflow's v2 phone-number routes accept: paths, queries and bodies (shapes only; the rules are in changes.ts and the services). */

export const WorkspaceParam = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'The workspace id (or name): the API key\'s own workspace or, for an agency key, one of its child workspaces. Any other value is 404.',
});

export const OptionalWorkspaceQuery = Type.Object(
  { workspace: Type.Optional(WorkspaceParam) },
  { additionalProperties: false, description: 'Switchboard addition: lets an agency key act in a child workspace; defaults to the key\'s workspace' },
);

export const SlugParams = Type.Object({
  phone_number_slug: Type.String({ minLength: 1, maxLength: 64, description: 'The number without `+` (`14157774444`; `+14157774444` and `%2B14157774444` work too), or a pseudo number exactly as imported' }),
});

export const ModelIdParam = Type.String({ minLength: 1, maxLength: 128, description: 'The agent (assistant) id; Switchboard stores agent ids as given' });

const SipText = Type.String({ minLength: 1, maxLength: 255 });
const RegisterExpires = Type.Integer({ minimum: 60, maximum: 3600, description: 'SIP REGISTER expiry in whole seconds (default 300)' });

export const CreateBody = Type.Object(
  {
    workspace_id: WorkspaceParam,
    phone_number: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'E.164 (the `+` optional), or your internal id: what is not a valid number but is digits or letters, digits, `-`, `_` (up to 64) is kept exactly as a pseudo number, its slug',
    }),
    friendly_name: Type.Optional(Type.String({ maxLength: 255 })),
    provider_name: Type.Optional(ProviderNameSchema),
    termination_uri: Type.Optional(SipText),
    trunk_username: Type.Optional(SipText),
    trunk_pwd: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Write-only; stored encrypted, never returned' })),
    sip_outbound_proxy: Type.Optional(SipText),
    sip_auth_username: Type.Optional(SipText),
    uac_enabled: Type.Optional(Type.Boolean({ default: false })),
    uac_register_expires: Type.Optional(RegisterExpires),
  },
  { additionalProperties: false },
);

export const UpdateBody = Type.Object(
  {
    friendly_name: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
    sip_auth_username: Type.Optional(Nullable(SipText)),
    sip_outbound_proxy: Type.Optional(Nullable(SipText)),
    sip_term_uri: Type.Optional(Nullable(SipText)),
    termination_uri: Type.Optional(Nullable(SipText)),
    provider_name: Type.Optional(ProviderNameSchema),
    trunk_username: Type.Optional(Nullable(SipText)),
    trunk_pwd: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
    uac_enabled: Type.Optional(Type.Boolean()),
    uac_register_expires: Type.Optional(Nullable(RegisterExpires)),
  },
  { additionalProperties: false },
);

export const AttachBody = Type.Object(
  {
    phone_numbers: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 500, description: 'E.164 numbers' })),
    phone_number_slugs: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 500, description: 'Slugs (numbers without `+`)' })),
  },
  { additionalProperties: false, description: 'Exactly one of `phone_numbers` and `phone_number_slugs`' },
);
