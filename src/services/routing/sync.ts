import crypto from 'node:crypto';
import pg from 'pg';

/** What changed, by id; other instances reload exactly these from the store. */
export interface ChangeNotice {
  numbers?: string[];
  workspaces?: string[];
  pools?: string[];
  /** Number ids whose call leases changed. */
  leases?: string[];
}

// NOTIFY payloads must stay under 8000 bytes; ids are 36 characters.
const IDS_PER_NOTICE = 150;

/**
 * Cross-instance invalidation over PostgreSQL LISTEN/NOTIFY. The channel name is derived from
 * the database and schema, so installations (and parallel test schemas) never hear each other.
 */
export class PgSync {
  private readonly origin = crypto.randomUUID();
  private client: pg.Client | null = null;
  private channel = '';
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly onNotice: (notice: ChangeNotice) => void,
    /** Called after a reconnect: notices may have been missed, so everything must be reloaded. */
    private readonly onResync: () => void,
    /** Seconds between another instance sending a notice and this one receiving it. */
    private readonly onLag: (seconds: number) => void = () => {},
  ) {}

  /** True while the LISTEN connection is up. */
  get live(): boolean {
    return this.client !== null;
  }

  async start(): Promise<void> {
    const { rows } = await this.pool.query<{ db: string; schema: string }>('select current_database() as db, current_schema() as schema');
    const scope = `${rows[0]!.db}/${rows[0]!.schema}`;
    this.channel = `switchboard_routing_${crypto.createHash('sha256').update(scope).digest('hex').slice(0, 24)}`;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.pool.options);
    client.on('notification', (message) => {
      if (message.channel !== this.channel || !message.payload) return;
      try {
        const { origin, sent_at: sentAt, ...notice } = JSON.parse(message.payload) as ChangeNotice & { origin: string; sent_at?: number };
        if (origin === this.origin) return;
        if (typeof sentAt === 'number') this.onLag(Math.max(0, Date.now() - sentAt) / 1000);
        this.onNotice(notice);
      } catch {
        // Not ours; ignore.
      }
    });
    client.on('error', () => this.reconnectSoon(client));
    client.on('end', () => this.reconnectSoon(client));
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    this.client = client;
  }

  private reconnectSoon(client: pg.Client): void {
    if (this.stopped || this.client !== client) return;
    this.client = null;
    setTimeout(() => {
      if (this.stopped) return;
      this.connect().then(this.onResync, () => this.reconnectSoon(client));
    }, 1000).unref();
  }

  /** Fire-and-forget after commit; a lost notice is healed by the reload on reconnect. */
  publish(notice: ChangeNotice): void {
    if (this.stopped) return;
    for (const chunk of chunks(notice)) {
      this.pool.query('select pg_notify($1, $2)', [this.channel, JSON.stringify({ ...chunk, origin: this.origin, sent_at: Date.now() })]).catch(() => {});
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => {});
  }
}

function* chunks(notice: ChangeNotice): Generator<ChangeNotice> {
  for (const key of ['numbers', 'workspaces', 'pools', 'leases'] as const) {
    const ids = notice[key] ?? [];
    for (let start = 0; start < ids.length; start += IDS_PER_NOTICE) yield { [key]: ids.slice(start, start + IDS_PER_NOTICE) };
  }
}
