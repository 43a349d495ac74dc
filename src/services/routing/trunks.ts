import { BlockList, isIPv4 } from 'node:net';
import type { Kysely } from 'kysely';
import { preparedQuery } from '../../db/prepared.ts';
import type { CarrierRow, Tables } from '../../db/tables.ts';
import { newId } from '../../domain/ids.ts';
import type { SipGateway } from '../carriers.ts';
import { nowIso, type Actor, type ServiceDeps } from '../context.ts';

/** Where a runtime sends an outbound call for the chosen caller ID. */
export type Trunk =
  | {
      /** The number is on one of the workspace's carriers: its outbound gateways, in order. */
      type: 'carrier';
      carrier_id: string;
      name: string;
      gateways: Array<{ address: string; port: number; transport: string }>;
      auth_username: string | null;
      auth_realm: string | null;
      /** Only for keys with `routing:credentials`; each disclosure is audited. */
      auth_password?: string | null;
    }
  | {
      /** No carrier: the number's own SIP settings. */
      type: 'sip';
      termination_uri: string | null;
      outbound_proxy: string | null;
      transport: string;
      auth_username: string | null;
      auth_password?: string | null;
    };

export const CREDENTIALS_SCOPE = 'routing:credentials';

/**
 * The trunk part of routing decisions: what an outbound `connect` dials through, and whether an
 * inbound INVITE came from the number's carrier. Read from the store per decision that needs it
 * (a primary-key read of the number and its carrier), so a carrier change applies at once.
 */
export class Trunks {
  // Read on every outbound `connect` (and inbound with `source_ip`): compiled once, not built
  // by Kysely per decision (it was a tenth of an outbound decision's CPU; src/db/prepared.ts).
  private readonly numberTrunk;
  private readonly numberCarrier;
  private readonly liveCarrier;

  constructor(private readonly deps: ServiceDeps) {
    this.numberTrunk = preparedQuery(deps.database.db, ['id', 'workspaceId'], (db, v) =>
      db
        .selectFrom('phone_numbers')
        .select(['id', 'carrier_id', 'sip_termination_uri', 'sip_outbound_proxy', 'sip_transport', 'sip_auth_username', 'sip_auth_password'])
        .where('id', '=', v.id)
        .where('workspace_id', '=', v.workspaceId)
        .where('deleted_at', 'is', null),
    );
    this.numberCarrier = preparedQuery(deps.database.db, ['id', 'workspaceId'], (db, v) =>
      db.selectFrom('phone_numbers').select('carrier_id').where('id', '=', v.id).where('workspace_id', '=', v.workspaceId),
    );
    this.liveCarrier = preparedQuery(deps.database.db, ['id', 'workspaceId'], (db, v) =>
      db.selectFrom('carriers').selectAll().where('id', '=', v.id).where('workspace_id', '=', v.workspaceId).where('deleted_at', 'is', null),
    );
  }

  private get db(): Kysely<Tables> {
    return this.deps.database.db;
  }

  /** The trunk of a number of the actor's workspace; the password only with `routing:credentials` (audited). */
  async outbound(actor: Actor, phoneNumberId: string): Promise<{ trunk: Trunk; carrier_id: string | null } | null> {
    const [number] = await this.numberTrunk(this.db, { id: phoneNumberId, workspaceId: actor.workspaceId });
    if (!number) return null;
    const disclose = actor.scopes.has(CREDENTIALS_SCOPE);
    const carrier = number.carrier_id ? await this.carrier(actor, number.carrier_id) : undefined;
    if (carrier) {
      const gateways = (JSON.parse(carrier.gateways) as SipGateway[]).filter((gateway) => gateway.outbound);
      const trunk: Trunk = {
        type: 'carrier',
        carrier_id: carrier.id,
        name: carrier.name,
        gateways: gateways.map((gateway) => ({ address: gateway.address, port: gateway.port, transport: number.sip_transport })),
        auth_username: carrier.register_username,
        auth_realm: carrier.register_realm,
      };
      if (disclose) {
        trunk.auth_password = carrier.register_password === null ? null : this.deps.secrets.open(carrier.register_password);
        if (carrier.register_password !== null) await this.recordDisclosure(actor, number.id, 'carrier.registration.password');
      }
      return { trunk, carrier_id: carrier.id };
    }
    const trunk: Trunk = {
      type: 'sip',
      termination_uri: number.sip_termination_uri,
      outbound_proxy: number.sip_outbound_proxy,
      transport: number.sip_transport,
      auth_username: number.sip_auth_username,
    };
    if (disclose) {
      trunk.auth_password = number.sip_auth_password === null ? null : this.deps.secrets.open(number.sip_auth_password);
      if (number.sip_auth_password !== null) await this.recordDisclosure(actor, number.id, 'sip.auth_password');
    }
    return { trunk, carrier_id: null };
  }

  /**
   * Whether an INVITE from `sourceIp` may reach the number: true when the number's carrier lists
   * an inbound gateway (address/netmask) containing it, false when it lists some but none
   * contains it, null when there is nothing to check (no carrier, or no inbound gateway).
   */
  async sourceAllowed(actor: Actor, phoneNumberId: string, sourceIp: string): Promise<boolean | null> {
    const [number] = await this.numberCarrier(this.db, { id: phoneNumberId, workspaceId: actor.workspaceId });
    const carrier = number?.carrier_id ? await this.carrier(actor, number.carrier_id) : undefined;
    if (!carrier) return null;
    const inbound = (JSON.parse(carrier.gateways) as SipGateway[]).filter((gateway) => gateway.inbound && isIPv4(gateway.address));
    if (inbound.length === 0) return null;
    return gatewaysContain(inbound, sourceIp);
  }

  private async carrier(actor: Actor, id: string): Promise<CarrierRow | undefined> {
    return (await this.liveCarrier(this.db, { id, workspaceId: actor.workspaceId }))[0];
  }

  /** Who was handed which password, in the number's audit trail (the password itself never). */
  private async recordDisclosure(actor: Actor, phoneNumberId: string, field: string): Promise<void> {
    await this.db
      .insertInto('phone_number_events')
      .values({
        id: newId(),
        workspace_id: actor.workspaceId,
        phone_number_id: phoneNumberId,
        action: 'credentials_disclosed',
        actor_key_id: actor.keyId,
        changed_fields: JSON.stringify([field]),
        before: null,
        after: null,
        at: nowIso(this.deps),
      })
      .execute();
  }
}

/** IPv4 containment with node's BlockList: a /32 gateway is one address, any other netmask a subnet. */
export function gatewaysContain(gateways: Array<Pick<SipGateway, 'address' | 'netmask'>>, sourceIp: string): boolean {
  if (!isIPv4(sourceIp)) return false;
  const allowed = new BlockList();
  for (const gateway of gateways) {
    if (gateway.netmask >= 32) allowed.addAddress(gateway.address, 'ipv4');
    else allowed.addSubnet(gateway.address, gateway.netmask, 'ipv4');
  }
  return allowed.check(sourceIp, 'ipv4');
}
