import { isIP } from 'node:net';
import type { Static } from '@sinclair/typebox';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { Kysely } from 'kysely';
import { jsonColumn, type CarrierRow, type Tables } from '../db/tables.ts';
import { isId, newId } from '../domain/ids.ts';
import { nowIso, requireScope, type Actor, type ServiceDeps } from './context.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { IssueCollector } from './phone-numbers/validate.ts';
import { decodeCursor, pageOf, type Page } from './pages.ts';
import { inTransaction } from './transactions.ts';
import type { CarrierChangesSchema, CarrierCreateSchema, CarrierSchema, GatewayInputSchema, GatewaySchema, InboundAuthInputSchema, RegistrationInputSchema } from './carrier-schema.ts';

/**
 * BYOC carriers (SIP trunks), jambonz style: a trunk type, the carrier's SIP gateways, and the
 * credentials the trunk type needs. Passwords are write-only: sealed on the way in, and only a
 * `has_password` flag ever comes back out.
 */
export const TRUNK_TYPES = ['static_ip', 'auth', 'reg'] as const;
export type TrunkType = (typeof TRUNK_TYPES)[number];

export const CARRIER_LIMITS = {
  name: 100,
  description: 500,
  gateways: 20,
  credential: 255,
};
export const GATEWAY_DEFAULTS = { port: 5060, inbound: true, outbound: true, netmask: 32 };

/** A gateway as stored (with its stable id). */
export type SipGateway = Static<typeof GatewaySchema>;

export type Carrier = Static<typeof CarrierSchema>;

export type GatewayInput = Static<typeof GatewayInputSchema>;
export type RegistrationInput = Static<typeof RegistrationInputSchema>;
export type InboundAuthInput = Static<typeof InboundAuthInputSchema>;

/** On create an absent field takes its default; on update absent keeps, null clears (nested objects merge; `gateways` replaces the whole list, a gateway keeping its id when its address and port stay the same). */
export type CarrierChanges = Static<typeof CarrierChangesSchema>;

export type CarrierInput = Static<typeof CarrierCreateSchema>;

export interface CarrierCredentials {
  registration_password: string | null;
  inbound_auth_password: string | null;
}

/** A password is either a new plaintext to seal or the sealed value already stored. */
type Password = { plain: string } | { sealed: string } | null;

interface Draft {
  name: string;
  description: string | null;
  trunk_type: TrunkType;
  gateways: SipGateway[];
  registration: { username: string | undefined; realm: string | null; password: Password } | null;
  inbound_auth: { username: string | undefined; password: Password } | null;
}

const hostnamePattern = fullFormats.hostname as RegExp;

const gatewaysColumn = jsonColumn<SipGateway[]>();

export function rowToCarrier(row: CarrierRow): Carrier {
  return {
    id: row.id,
    workspace_id: row.workspace_id,
    name: row.name,
    description: row.description,
    trunk_type: row.trunk_type as TrunkType,
    gateways: gatewaysColumn.decode(row.gateways),
    registration:
      row.register_username === null
        ? null
        : { username: row.register_username, realm: row.register_realm, has_password: row.register_password !== null },
    inbound_auth:
      row.inbound_auth_username === null
        ? null
        : { username: row.inbound_auth_username, has_password: row.inbound_auth_password !== null },
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export class CarrierService {
  constructor(private readonly deps: ServiceDeps) {}

  private get db(): Kysely<Tables> {
    return this.deps.database.db;
  }

  async create(actor: Actor, input: CarrierInput): Promise<Carrier> {
    requireScope(actor, 'numbers:write');
    const draft = this.resolve(null, input);
    const now = nowIso(this.deps);
    const row: CarrierRow = { id: newId(), workspace_id: actor.workspaceId, ...this.columns(draft), created_at: now, updated_at: now, deleted_at: null };
    await this.db.insertInto('carriers').values(row).execute();
    return rowToCarrier(row);
  }

  async get(actor: Actor, id: string): Promise<Carrier> {
    requireScope(actor, 'numbers:read');
    return rowToCarrier(await this.liveRow(actor, id));
  }

  async list(actor: Actor, query: { limit: number; cursor?: string | undefined }): Promise<Page<Carrier>> {
    requireScope(actor, 'numbers:read');
    let select = this.db.selectFrom('carriers').selectAll().where('workspace_id', '=', actor.workspaceId).where('deleted_at', 'is', null);
    if (query.cursor) select = select.where('id', '>', decodeCursor(query.cursor));
    return pageOf(await select.orderBy('id').limit(query.limit + 1).execute(), query.limit, rowToCarrier);
  }

  /** Names of the workspace's carriers by id (for dialects that show `carrier_name` next to a number). */
  async namesOf(actor: Actor, ids: Array<string | null>): Promise<Map<string, string>> {
    // A write-only key sees the names of the carriers it attaches numbers to, as the create response shows them.
    if (!actor.scopes.has('numbers:write')) requireScope(actor, 'numbers:read');
    const wanted = [...new Set(ids.filter((id): id is string => id !== null && isId(id)))];
    if (wanted.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('carriers')
      .select(['id', 'name'])
      .where('workspace_id', '=', actor.workspaceId)
      .where('deleted_at', 'is', null)
      .where('id', 'in', wanted)
      .execute();
    return new Map(rows.map((row) => [row.id, row.name]));
  }

  /** Applies a partial update: absent keeps, null clears; the result must satisfy every rule. */
  async update(actor: Actor, id: string, changes: CarrierChanges): Promise<Carrier> {
    requireScope(actor, 'numbers:write');
    const current = await this.liveRow(actor, id);
    const draft = this.resolve(current, changes);
    const next: CarrierRow = { ...current, ...this.columns(draft), updated_at: nowIso(this.deps) };
    const updated = await this.db.updateTable('carriers').set(next).where('id', '=', current.id).where('deleted_at', 'is', null).executeTakeFirst();
    // Deleted by a concurrent request since we read it.
    if (Number(updated.numUpdatedRows) === 0) throw new NotFoundError(`carrier ${id} not found`);
    return rowToCarrier(next);
  }

  /** Soft delete. A carrier that live numbers still use cannot go: inbound calls would lose their trunk. */
  async remove(actor: Actor, id: string): Promise<Carrier> {
    requireScope(actor, 'numbers:write');
    const current = await this.liveRow(actor, id);
    const now = nowIso(this.deps);
    await inTransaction(this.db, async (trx) => {
      const { used } = await trx
        .selectFrom('phone_numbers')
        .select((eb) => eb.fn.countAll<number>().as('used'))
        .where('carrier_id', '=', current.id)
        .where('deleted_at', 'is', null)
        .executeTakeFirstOrThrow();
      if (Number(used) > 0) {
        throw new ConflictError(
          `carrier ${current.id} is used by ${Number(used)} live phone number${Number(used) === 1 ? '' : 's'}; move or delete them first`,
        );
      }
      await trx.updateTable('carriers').set({ deleted_at: now, updated_at: now }).where('id', '=', current.id).execute();
    });
    return rowToCarrier(current);
  }

  /** The stored passwords in clear, for the component that hands them to a SIP stack. Never for API responses. */
  async credentials(actor: Actor, id: string): Promise<CarrierCredentials> {
    requireScope(actor, 'numbers:read');
    const row = await this.liveRow(actor, id);
    const open = (sealed: string | null) => (sealed === null ? null : this.deps.secrets.open(sealed));
    return { registration_password: open(row.register_password), inbound_auth_password: open(row.inbound_auth_password) };
  }

  private async liveRow(actor: Actor, id: string): Promise<CarrierRow> {
    const row = isId(id)
      ? await this.db
          .selectFrom('carriers')
          .selectAll()
          .where('id', '=', id)
          .where('workspace_id', '=', actor.workspaceId)
          .where('deleted_at', 'is', null)
          .executeTakeFirst()
      : undefined;
    // Another workspace's carrier is reported exactly like a missing one.
    if (!row) throw new NotFoundError(`carrier ${id} not found`);
    return row;
  }

  /** Merges the changes into the current state (none on create) and checks every rule on the result. */
  private resolve(current: CarrierRow | null, changes: CarrierChanges): Draft {
    const issues = new IssueCollector();
    const name = changes.name ?? current?.name ?? '';
    text(issues, 'name', name, CARRIER_LIMITS.name, { required: true });
    const description = changes.description === undefined ? (current?.description ?? null) : changes.description;
    if (description !== null) text(issues, 'description', description, CARRIER_LIMITS.description);
    const trunkType = changes.trunk_type ?? (current?.trunk_type as TrunkType | undefined) ?? 'static_ip';
    if (!(TRUNK_TYPES as readonly string[]).includes(trunkType)) issues.add('trunk_type', `must be one of ${TRUNK_TYPES.join(', ')}`);

    const previousGateways = current ? gatewaysColumn.decode(current.gateways) : [];
    const gateways = changes.gateways === undefined ? previousGateways : resolveGateways(issues, changes.gateways, previousGateways);

    const registration = mergeCredentials<RegistrationInput, NonNullable<Draft['registration']>>(
      changes.registration,
      current && current.register_username !== null
        ? { username: current.register_username, realm: current.register_realm, password: sealedOrNull(current.register_password) }
        : null,
      (input, kept) => ({
        username: input.username ?? kept?.username,
        realm: input.realm === undefined ? (kept?.realm ?? null) : input.realm,
        password: input.password !== undefined ? { plain: input.password } : (kept?.password ?? null),
      }),
    );
    const inboundAuth = mergeCredentials<InboundAuthInput, NonNullable<Draft['inbound_auth']>>(
      changes.inbound_auth,
      current && current.inbound_auth_username !== null
        ? { username: current.inbound_auth_username, password: sealedOrNull(current.inbound_auth_password) }
        : null,
      (input, kept) => ({
        username: input.username ?? kept?.username,
        password: input.password !== undefined ? { plain: input.password } : (kept?.password ?? null),
      }),
    );
    checkCredentials(issues, 'registration', registration, trunkType === 'reg', 'reg');
    if (registration?.realm != null) text(issues, 'registration.realm', registration.realm, CARRIER_LIMITS.credential, { required: true });
    checkCredentials(issues, 'inbound_auth', inboundAuth, trunkType === 'auth', 'auth');
    issues.throwIfAny();
    return { name: name.trim(), description, trunk_type: trunkType, gateways, registration, inbound_auth: inboundAuth };
  }

  private columns(draft: Draft) {
    const seal = (password: Password) => (password === null ? null : 'sealed' in password ? password.sealed : this.deps.secrets.seal(password.plain));
    return {
      name: draft.name,
      description: draft.description,
      trunk_type: draft.trunk_type,
      gateways: gatewaysColumn.encode(draft.gateways),
      register_username: draft.registration?.username ?? null,
      register_password: draft.registration ? seal(draft.registration.password) : null,
      register_realm: draft.registration?.realm ?? null,
      inbound_auth_username: draft.inbound_auth?.username ?? null,
      inbound_auth_password: draft.inbound_auth ? seal(draft.inbound_auth.password) : null,
    };
  }
}

function sealedOrNull(sealed: string | null): Password {
  return sealed === null ? null : { sealed };
}

function mergeCredentials<I, K>(input: I | null | undefined, kept: K | null, merge: (input: I, kept: K | null) => K): K | null {
  if (input === undefined) return kept;
  if (input === null) return null;
  return merge(input, kept);
}

function text(issues: IssueCollector, field: string, value: string, max: number, { required = false } = {}): void {
  if (required && value.trim() === '') issues.add(field, 'must not be empty');
  if (value.length > max) issues.add(field, `must be at most ${max} characters`);
  if (/[\u0000-\u001f\u007f]/.test(value)) issues.add(field, 'must not contain control characters');
}

function checkCredentials(
  issues: IssueCollector,
  field: string,
  value: { username: string | undefined; password: Password } | null,
  needed: boolean,
  trunkType: TrunkType,
): void {
  if (value === null) {
    if (needed) issues.add(field, `is required when trunk_type is ${trunkType} (username and password)`);
    return;
  }
  if (!needed) {
    issues.add(field, `is only used when trunk_type is ${trunkType}; send null to remove it`);
    return;
  }
  if (value.username === undefined) issues.add(`${field}.username`, 'is required');
  else text(issues, `${field}.username`, value.username, CARRIER_LIMITS.credential, { required: true });
  if (value.password === null) issues.add(`${field}.password`, 'is required');
  else if ('plain' in value.password) text(issues, `${field}.password`, value.password.plain, CARRIER_LIMITS.credential, { required: true });
}

function resolveGateways(issues: IssueCollector, inputs: GatewayInput[], previous: SipGateway[]): SipGateway[] {
  if (inputs.length === 0) issues.add('gateways', 'must list at least one SIP gateway');
  if (inputs.length > CARRIER_LIMITS.gateways) issues.add('gateways', `must list at most ${CARRIER_LIMITS.gateways} SIP gateways`);
  const seen = new Map<string, number>();
  return inputs.map((input, index) => {
    const field = `gateways[${index}]`;
    const gateway = {
      address: input.address.trim().toLowerCase(),
      port: input.port ?? GATEWAY_DEFAULTS.port,
      inbound: input.inbound ?? GATEWAY_DEFAULTS.inbound,
      outbound: input.outbound ?? GATEWAY_DEFAULTS.outbound,
      netmask: input.netmask ?? GATEWAY_DEFAULTS.netmask,
    };
    const ipv4 = isIP(gateway.address) === 4;
    if (gateway.address === '') issues.add(`${field}.address`, 'must not be empty');
    else if (gateway.inbound && !ipv4) {
      issues.add(
        `${field}.address`,
        'an inbound gateway must be an IPv4 address: inbound calls are matched to their carrier by source IP (use a host name only with inbound: false)',
      );
    } else if (!ipv4 && !hostnamePattern.test(gateway.address)) {
      issues.add(`${field}.address`, 'must be an IPv4 address or a DNS host name');
    }
    if (!Number.isInteger(gateway.port) || gateway.port < 1 || gateway.port > 65535) issues.add(`${field}.port`, 'must be an integer from 1 to 65535');
    if (!Number.isInteger(gateway.netmask) || gateway.netmask < 1 || gateway.netmask > 32) issues.add(`${field}.netmask`, 'must be an integer from 1 to 32');
    else if (gateway.netmask !== 32 && !ipv4) issues.add(`${field}.netmask`, 'applies to IPv4 addresses only; a host name takes 32');
    if (!gateway.inbound && !gateway.outbound) issues.add(field, 'must be inbound, outbound or both');
    const natural = `${gateway.address}:${gateway.port}`;
    if (seen.has(natural)) issues.add(`${field}.address`, `${natural} is already gateway ${seen.get(natural)}`);
    seen.set(natural, index);
    const kept = previous.find((old) => old.address === gateway.address && old.port === gateway.port);
    return { id: kept?.id ?? newId(), ...gateway };
  });
}
