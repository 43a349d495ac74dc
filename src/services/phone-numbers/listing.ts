import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { compiledOnce } from '../../db/prepared.ts';
import type { PhoneNumberRow, Tables } from '../../db/tables.ts';
import { decodeCursor, pageOf, type Page } from '../pages.ts';
import type { PhoneNumber } from './model.ts';
import type { RecentRecords } from './recent-records.ts';

/** Lists and counts of a workspace's live numbers: the filters, and cursor pages keyed on (workspace_id, id). */
export interface ListQuery {
  limit: number;
  cursor?: string | undefined;
  /** Skip this many records instead of using a cursor (Synthflow's offset pages). */
  offset?: number | undefined;
  order?: 'asc' | 'desc';
  status?: string | undefined;
  country?: string | undefined;
  capability?: 'voice' | 'sms' | undefined;
  agent_id?: string | undefined;
  /** true: numbers with no inbound agent; false: numbers with one. */
  available?: boolean | undefined;
  /** Case-insensitive substring of the number or the nickname. */
  q?: string | undefined;
}

export type CountQuery = Omit<ListQuery, 'limit' | 'cursor' | 'offset' | 'order'>;

/**
 * One page of the workspace's live numbers, its records shared with `held`: the store is asked
 * for the page's ids and versions, and only the records not held at exactly that version are
 * read whole (and held from then on). Reading and decoding the wide rows was most of a list page's cost (BENCHMARKS.md).
 * Every page still asks the store, so a write by another instance is in the next page at once.
 * When a record read whole is no longer the version listed (written, or deleted, in between),
 * the page is read again in one statement.
 */
export async function listHeld(database: Database, held: RecentRecords, workspaceId: string, query: ListQuery): Promise<Page<PhoneNumber>> {
  const db = database.db;
  const values = pageValues(workspaceId, query);
  const versions = await readNow<{ id: string; version: number }>(database, versionsOfPage(db, query, values));
  const page = pageOf(versions, query.limit, (live) => live);
  const records = new Array<PhoneNumber>(page.data.length);
  const missing = new Map<string, number>();
  page.data.forEach((live, index) => {
    const record = held.at(live.id, live.version);
    if (record) records[index] = record;
    else missing.set(live.id, index);
  });
  if (missing.size > 0) {
    const rows = await readNow<PhoneNumberRow>(
      database,
      db.selectFrom('phone_numbers').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', [...missing.keys()]).where('deleted_at', 'is', null).compile(),
    );
    const current = rows.every((row) => page.data[missing.get(row.id)!]?.version === row.version);
    if (rows.length !== missing.size || !current) {
      return pageOf(await pageQuery(db, query, values).selectAll().execute(), query.limit, (row) => held.remember(row));
    }
    for (const row of rows) records[missing.get(row.id)!] = held.remember(row);
  }
  return { ...page, data: records };
}

/** A select outside any transaction, through `Database.readNow` when the store can (see there). */
async function readNow<Row>(database: Database, query: CompiledQuery): Promise<Row[]> {
  const rows = (database.readNow(query) as Row[] | Promise<Row[]> | undefined) ?? database.db.executeQuery<Row>(query).then((result) => result.rows);
  return Array.isArray(rows) ? rows : await rows;
}

/** Everything in a page query that is a value (bound as a parameter): the rest is its shape. */
const PAGE_VALUES = ['workspaceId', 'after', 'limit', 'offset', 'status', 'country', 'hasInboundAgent', 'agentId', 'numberPattern', 'nicknamePattern'] as const;
type PageValue = (typeof PAGE_VALUES)[number];
type PageValues = Partial<Record<PageValue, unknown>>;

/** The query's values by name, each present only when the query uses it. */
function pageValues(workspaceId: string, query: CountQuery & Partial<ListQuery>): PageValues {
  const values: PageValues = { workspaceId };
  if (query.limit !== undefined) values.limit = query.limit + 1;
  if (query.cursor !== undefined) values.after = decodeCursor(query.cursor);
  if (query.offset) values.offset = query.offset;
  if (query.status) values.status = query.status;
  if (query.country) values.country = query.country.toUpperCase();
  if (query.available !== undefined) values.hasInboundAgent = query.available ? 0 : 1;
  if (query.agent_id) values.agentId = query.agent_id;
  const text = query.q?.trim();
  if (text) {
    // A query string decodes `+` as a space, and people type numbers with spaces, dashes and
    // parentheses: anything that looks like part of a number is matched on its digits.
    const digits = /^[\d\s()+.-]+$/.test(text) ? text.replace(/\D/g, '') : null;
    values.numberPattern = likePattern(digits ?? text);
    values.nicknamePattern = likePattern(text.toLowerCase());
  }
  return values;
}

/**
 * The ids and versions of a page, its statement built and compiled once per shape of query
 * (order, which values it has, the capability column) and bound to this query's values: Kysely
 * built and compiled it on every request, as the single-number reads once did (src/db/prepared.ts).
 */
function versionsOfPage(db: Kysely<Tables>, query: ListQuery, values: PageValues): CompiledQuery {
  let byShape = versionStatements.get(db);
  if (!byShape) versionStatements.set(db, (byShape = new Map<string, PageBinder>()));
  const names = PAGE_VALUES.filter((name) => values[name] !== undefined);
  const shape = `${query.order ?? 'asc'} ${query.capability ?? ''} ${names.join(',')}`;
  let bind = byShape.get(shape);
  if (!bind) {
    bind = compiledOnce(db, names, (built, placeholders) => pageQuery(built, query, placeholders).select(['id', 'version']));
    byShape.set(shape, bind);
  }
  return bind(values as Record<PageValue, unknown>);
}

type PageBinder = (values: Record<PageValue, unknown>) => CompiledQuery;
const versionStatements = new WeakMap<Kysely<Tables>, Map<string, PageBinder>>();

/** The rows of one page: the filters, the keyset after the cursor, the order and `limit + 1` (the extra row says there is more). */
function pageQuery(db: Kysely<Tables>, query: Pick<ListQuery, 'order' | 'capability'>, values: PageValues) {
  const order = query.order ?? 'asc';
  const after = values.after;
  let select = filtered(db, query, values, after === undefined);
  if (after !== undefined) {
    // Keyset on (workspace_id, id) as one row value, the workspace bounded on the far side
    // instead of by equality: PostgreSQL then seeks the (workspace_id, id) index straight to
    // the cursor. With `workspace_id = $1 AND id > $2` it walked the primary key from the
    // cursor through other workspaces' newer numbers (last page ×2.4 the first at 1,000,000
    // numbers), and with the equality beside the row value it read the workspace from its
    // first entry. Same rows either way: only this workspace's, after the cursor.
    select = select
      .where((eb) => eb(eb.refTuple('workspace_id', 'id'), order === 'asc' ? '>' : '<', eb.tuple(values.workspaceId as string, after as string)))
      .where('workspace_id', order === 'asc' ? '<=' : '>=', values.workspaceId as string);
  }
  select = select.orderBy('workspace_id', order).orderBy('id', order).limit(values.limit as number);
  if (values.offset !== undefined) select = select.offset(values.offset as number);
  return select;
}

export async function countNumbers(db: Kysely<Tables>, workspaceId: string, query: CountQuery): Promise<number> {
  const row = await filtered(db, query, pageValues(workspaceId, query))
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow();
  return Number(row.total);
}

/** The live numbers of the workspace that match the query's filters (`pageQuery` may bound the workspace itself). */
function filtered(db: Kysely<Tables>, query: Pick<CountQuery, 'capability'>, values: PageValues, pinWorkspace = true) {
  let select = db.selectFrom('phone_numbers').where('deleted_at', 'is', null);
  if (pinWorkspace) select = select.where('workspace_id', '=', values.workspaceId as string);
  if (values.status !== undefined) select = select.where('status', '=', values.status as string);
  if (values.country !== undefined) select = select.where('country', '=', values.country as string);
  if (query.capability) select = select.where(query.capability, '=', 1);
  if (values.hasInboundAgent !== undefined) select = select.where('has_inbound_agent', '=', values.hasInboundAgent as number);
  if (values.agentId !== undefined) {
    const agentId = values.agentId as string;
    select = select.where('id', 'in', (eb) =>
      eb
        .selectFrom('phone_number_agents')
        .select('phone_number_id')
        .where('workspace_id', '=', values.workspaceId as string)
        .where('agent_id', '=', agentId),
    );
  }
  if (values.numberPattern !== undefined) {
    select = select.where((eb) =>
      eb.or([
        sql<boolean>`${sql.ref('e164')} like ${values.numberPattern} escape '\\'`,
        sql<boolean>`lower(${sql.ref('nickname')}) like ${values.nicknamePattern} escape '\\'`,
      ]),
    );
  }
  return select;
}

/** A LIKE pattern matching `text` anywhere, with LIKE's own wildcards taken literally (escape `\`). */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
