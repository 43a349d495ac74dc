import crypto from 'node:crypto';
import type pg from 'pg';
import type { WriteNotice } from '../../db/single-writes.ts';

/** What changed, by id; other instances reload exactly these from the store. */
export interface ChangeNotice {
  numbers?: string[];
  workspaces?: string[];
  pools?: string[];
  /** Number ids whose call leases changed. */
  leases?: string[];
  /** API key ids just revoked: every instance drops them from its auth cache at once. */
  revokedKeys?: string[];
}

const NOTICE_KINDS = ['numbers', 'workspaces', 'pools', 'leases', 'revokedKeys'] as const;

/** Whether this instance hears every other instance's writes right now (`down`: reconnecting). */
export type SyncState = 'live' | 'down';

export interface SyncListener {
  /** A notice from another instance, with the seconds since it was sent (when the sender said). */
  notice?(notice: ChangeNotice, lagSeconds?: number): void;
  /** The feed stopped: notices may be missed from now on, so nothing cached may be trusted. */
  down?(): void;
  /**
   * Listening again: notices missed meanwhile must be made up for (reload what is cached). The
   * feed reports `live` only once every listener's resync has finished.
   */
  resync?(): Promise<void>;
}

const READY = Promise.resolve();

// NOTIFY payloads must stay under 8000 bytes; ids are 36 characters.
const IDS_PER_NOTICE = 150;

/** Reconnect delays: exponential from 100 ms, capped at 3 s, each with up to half of it as jitter. */
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 3000;
/** A silently dead connection (no RST ever arrives) is found by a heartbeat this often. */
const HEARTBEAT_MS = 10_000;
const HEARTBEAT_TIMEOUT_MS = 5_000;

export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling * (0.5 + random() / 2));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Cross-instance invalidation over PostgreSQL LISTEN/NOTIFY. The channel name is derived from
 * the database and schema, so installations (and parallel test schemas) never hear each other.
 *
 * The listening connection is never given up: when it is lost the feed reports `down`
 * (listeners' `down`), reconnects with capped exponential backoff and jitter for as long as it
 * takes, then has every listener resynchronise before it reports `live` again. Notices are sent
 * by the writes themselves (`noticesFor`), never afterwards: a process that dies between its
 * commit and a NOTIFY of its own would leave the others on stale state until they reconnect.
 */
export class PgSync {
  private readonly origin = crypto.randomUUID();
  private readonly listeners: SyncListener[] = [];
  private client: pg.Client | null = null;
  private channelName: Promise<string> | null = null;
  /** The channel, once `channelName` has resolved (for `noticesFor`, which cannot wait). */
  private knownChannel: string | null = null;
  private listening: Promise<void> | null = null;
  private reconnecting = false;
  private stopped = false;
  private currentState: SyncState = 'down';
  /** When the feed was last live; null before it ever was. */
  private lastLiveMs: number | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(private readonly pool: pg.Pool) {}

  subscribe(listener: SyncListener): void {
    this.listeners.push(listener);
  }

  /** Live only while listening; a process that never listens (the CLI) trusts nothing it caches. */
  get state(): SyncState {
    return this.currentState;
  }

  /** Seconds since the feed was last live, to a tenth (0 while it is, and before it ever was). */
  secondsSinceLive(nowMs = Date.now()): number {
    if (this.currentState === 'live' || this.lastLiveMs === null) return 0;
    return Math.round((nowMs - this.lastLiveMs) / 100) / 10;
  }

  /** Starts listening (idempotent); rejects when the first connection fails. */
  start(): Promise<void> {
    this.listening ??= this.connect().then(() => this.becomeLive());
    return this.listening;
  }

  private channel(): Promise<string> {
    this.channelName ??= this.pool.query<{ db: string; schema: string }>('select current_database() as db, current_schema() as schema').then(
      ({ rows }) => (this.knownChannel = `switchboard_routing_${crypto.createHash('sha256').update(`${rows[0]!.db}/${rows[0]!.schema}`).digest('hex').slice(0, 24)}`),
      (error: unknown) => {
        this.channelName = null;
        throw error;
      },
    );
    return this.channelName;
  }

  private async connect(): Promise<void> {
    const channel = await this.channel();
    // pg is loaded only where PostgreSQL is in use (a SQLite server or CLI run never needs it).
    const { default: pgDriver } = await import('pg');
    const client = new pgDriver.Client({ ...this.pool.options, keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel !== channel || !message.payload) return;
      let parsed: ChangeNotice & { origin?: string; sent_at?: number };
      try {
        parsed = JSON.parse(message.payload) as ChangeNotice & { origin?: string; sent_at?: number };
      } catch {
        return; // Not ours.
      }
      const { origin, sent_at: sentAt, ...notice } = parsed;
      if (origin === this.origin) return;
      const lagSeconds = typeof sentAt === 'number' ? Math.max(0, Date.now() - sentAt) / 1000 : undefined;
      for (const listener of this.listeners) listener.notice?.(notice, lagSeconds);
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.beat(client);
  }

  private becomeLive(): void {
    if (this.stopped || this.client === null) return;
    this.currentState = 'live';
    this.lastLiveMs = Date.now();
  }

  /** The listening connection is gone: report it, then reconnect until it is back. */
  private lost(client: pg.Client): void {
    if (this.stopped || this.client !== client) return;
    this.client = null;
    if (this.heartbeat) clearTimeout(this.heartbeat);
    client.end().catch(() => {});
    if (this.currentState === 'live') this.lastLiveMs = Date.now();
    this.currentState = 'down';
    for (const listener of this.listeners) listener.down?.();
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    try {
      for (let attempt = 0; !this.stopped; attempt++) {
        await sleep(reconnectDelayMs(attempt));
        if (this.stopped) return;
        try {
          await this.connect();
          const client = this.client;
          // Listening before resynchronising: nothing committed during the reload goes unheard.
          for (const listener of this.listeners) await listener.resync?.();
          // Lost again while resynchronising: `lost` saw a reconnect under way; go round again.
          if (client === null || this.client !== client) continue;
          this.becomeLive();
          return;
        } catch {
          const client = this.client;
          if (client) this.lost(client);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  private beat(client: pg.Client): void {
    this.heartbeat = setTimeout(() => {
      if (this.client !== client) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('heartbeat timed out')), HEARTBEAT_TIMEOUT_MS).unref();
      });
      Promise.race([client.query('select 1'), timeout])
        .then(() => this.beat(client), () => this.lost(client))
        .finally(() => clearTimeout(timer));
    }, HEARTBEAT_MS).unref();
  }

  /**
   * Resolves once `noticesFor` can build notices (the channel is known: one query, the first
   * time). Awaited before a write's transaction opens, never inside it: a pool of one connection
   * (the CLI) has none to spare for the query then.
   */
  ready(): Promise<void> {
    return this.knownChannel === null ? this.channel().then(() => {}) : READY;
  }

  /**
   * The `pg_notify` arguments of what a write changed, for the write to send itself (in its
   * statement or its transaction: delivered at its commit, and only then), one per payload of
   * at most IDS_PER_NOTICE ids. Needs `ready` first. Works whether or not this instance listens
   * (the CLI never does).
   */
  noticesFor(...notices: ChangeNotice[]): WriteNotice[] {
    const channel = this.knownChannel;
    if (channel === null) throw new Error('PgSync.noticesFor before ready()');
    const parts: WriteNotice[] = [];
    for (const notice of notices) for (const chunk of chunks(notice)) parts.push({ channel, payload: this.payloadOf(chunk) });
    return parts;
  }

  /** One chunk of a notice as sent: signed with this instance's origin (its own notices are ignored) and the time sent (the lag). */
  private payloadOf(chunk: ChangeNotice): string {
    return JSON.stringify({ ...chunk, origin: this.origin, sent_at: Date.now() });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearTimeout(this.heartbeat);
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => {});
  }
}

function* chunks(notice: ChangeNotice): Generator<ChangeNotice> {
  for (const key of NOTICE_KINDS) {
    const ids = notice[key] ?? [];
    for (let start = 0; start < ids.length; start += IDS_PER_NOTICE) yield { [key]: ids.slice(start, start + IDS_PER_NOTICE) };
  }
}
