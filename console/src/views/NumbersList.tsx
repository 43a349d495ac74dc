import { useEffect, useState } from 'preact/hooks';
import { api, call } from '../api.ts';
import type { paths, PhoneNumber } from '../../../clients/typescript/index.ts';
import { Banner, DataTable, Link, PageHeader, StatusBadge } from '../components/ui.tsx';
import { useLoad } from '../components/use-load.ts';
import { formatShare } from '../lib/weights.ts';
import { navigate, withQuery } from '../router.ts';
import { useSession } from '../session.ts';

export const PAGE_SIZE = 50;
type ListQuery = NonNullable<paths['/v1/phone-numbers']['get']['parameters']['query']>;
const STATUSES = ['active', 'pending', 'inactive', 'failed'] as const satisfies ReadonlyArray<ListQuery['status']>;
const CAPABILITIES = ['voice', 'sms'] as const satisfies ReadonlyArray<ListQuery['capability']>;
/** A query-string value when it is one of the allowed ones (a hand-edited URL may hold anything). */
const oneOf = <T extends string>(allowed: readonly T[], value: string | undefined): T | undefined => allowed.find((option) => option === value);
const FILTERS = ['q', 'status', 'country', 'capability', 'agent_id', 'available'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

function filtersOf(query: URLSearchParams): Filters {
  return Object.fromEntries(FILTERS.map((name) => [name, query.get(name) ?? undefined]).filter(([, value]) => value)) as Filters;
}

function agentsText(number: PhoneNumber): string {
  if (number.inbound_agents.length === 0) return '—';
  if (number.inbound_agents.length === 1) return number.inbound_agents[0]!.agent_id;
  return number.inbound_agents.map((agent) => `${agent.agent_id} ${formatShare(agent.weight)}`).join(', ');
}

export function NumbersList({ query }: { query: URLSearchParams }) {
  const session = useSession();
  const filters = filtersOf(query);
  const cursor = query.get('cursor') ?? undefined;
  // Earlier pages' cursors, so Previous works from a shared link too (`-` is the first page).
  const previous = query.get('prev')?.split(',') ?? [];
  const key = query.toString();
  const page = useLoad(async () => {
    const { status, capability, available, ...text } = filters;
    const { data } = await call(
      api.GET('/v1/phone-numbers', {
        params: {
          query: {
            limit: PAGE_SIZE,
            ...text,
            ...(cursor ? { cursor } : {}),
            ...(oneOf(STATUSES, status) ? { status: oneOf(STATUSES, status) } : {}),
            ...(oneOf(CAPABILITIES, capability) ? { capability: oneOf(CAPABILITIES, capability) } : {}),
            ...(available ? { available: available === 'true' } : {}),
          },
        },
      }),
    );
    return data;
  }, [key]);
  const carriers = useLoad(async () => (await call(api.GET('/v1/carriers', { params: { query: { limit: 1000 } } }))).data.data, []);
  const carrierName = (id: string | null) => (id ? (carriers.data?.find((carrier) => carrier.id === id)?.name ?? id.slice(0, 8)) : '—');

  const [draft, setDraft] = useState<Filters>(filters);
  // Back / forward or a pasted link changes the URL: the form shows what the list shows.
  useEffect(() => setDraft(filters), [key]);
  const apply = (next: Filters) => navigate(withQuery('/numbers', next));
  // Read from the form itself, so an Enter right after typing never applies an older draft.
  const applyForm = (form: HTMLFormElement | null) => form && apply(Object.fromEntries([...new FormData(form)].map(([name, value]) => [name, String(value).trim()])) as Filters);
  const pageNumber = previous.length + 1;

  return (
    <>
      <PageHeader
        title="Numbers"
        subtitle="Every phone number of this workspace, with its bindings."
        actions={
          session.can('numbers:write') && (
            <Link to="/import" class="button button-primary">
              Import numbers
            </Link>
          )
        }
      />
      <form
        class="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          applyForm(event.currentTarget);
        }}
      >
        <div class="field field-search">
          <label for="filter-q">Search</label>
          <input id="filter-q" name="q" type="search" placeholder="Number or nickname" value={draft.q ?? ''} onInput={(e) => { const value = e.currentTarget.value; setDraft((current) => ({ ...current, q: value })); }} />
        </div>
        <div class="field">
          <label for="filter-status">Status</label>
          <select id="filter-status" name="status" value={draft.status ?? ''} onChange={(e) => applyForm(e.currentTarget.form)}>
            <option value="">Any</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </div>
        <div class="field field-narrow">
          <label for="filter-country">Country</label>
          <input id="filter-country" name="country" maxLength={2} placeholder="US" value={draft.country ?? ''} onInput={(e) => { const value = e.currentTarget.value.toUpperCase(); setDraft((current) => ({ ...current, country: value })); }} />
        </div>
        <div class="field">
          <label for="filter-capability">Capability</label>
          <select id="filter-capability" name="capability" value={draft.capability ?? ''} onChange={(e) => applyForm(e.currentTarget.form)}>
            <option value="">Any</option>
            <option value="voice">voice</option>
            <option value="sms">sms</option>
          </select>
        </div>
        <div class="field">
          <label for="filter-agent">Agent id</label>
          <input id="filter-agent" name="agent_id" placeholder="agent_…" value={draft.agent_id ?? ''} onInput={(e) => { const value = e.currentTarget.value; setDraft((current) => ({ ...current, agent_id: value })); }} />
        </div>
        <div class="field">
          <label for="filter-available">Inbound agent</label>
          <select id="filter-available" name="available" value={draft.available ?? ''} onChange={(e) => applyForm(e.currentTarget.form)}>
            <option value="">Any</option>
            <option value="true">None (available)</option>
            <option value="false">Bound</option>
          </select>
        </div>
        <div class="filter-actions">
          <button class="button button-primary" type="submit">
            Apply
          </button>
          {Object.keys(filters).length > 0 && (
            <button
              class="button"
              type="button"
              onClick={() => {
                setDraft({});
                apply({});
              }}
            >
              Clear
            </button>
          )}
        </div>
      </form>
      {page.error && <Banner kind="error">{page.error}</Banner>}
      <DataTable
        label="Phone numbers"
        columns={['Number', 'Nickname', 'Status', 'Location', 'Capabilities', 'Inbound agent', 'Carrier']}
        busy={page.loading}
        empty={
          page.data &&
          page.data.data.length === 0 && (
            <div class="empty">
              <p class="empty-title">{Object.keys(filters).length > 0 ? 'No number matches these filters.' : 'No numbers yet.'}</p>
              {session.can('numbers:write') && Object.keys(filters).length === 0 && <Link to="/import">Import your first number</Link>}
            </div>
          )
        }
      >
        {page.data === null &&
          page.loading &&
          Array.from({ length: 8 }, (_, index) => (
            <tr key={index} class="row-placeholder" aria-hidden="true">
              <td colSpan={7}>
                <span class="skeleton" />
              </td>
            </tr>
          ))}
        {page.data?.data.map((number) => (
          <tr key={number.id}>
            <td>
              <Link to={`/numbers/${number.id}`} class="number-link">
                {number.phone_number_pretty}
              </Link>
            </td>
            <td>{number.nickname ?? <span class="muted">—</span>}</td>
            <td>
              <StatusBadge status={number.status} />
            </td>
            <td>{[number.country, number.locality ?? number.region].filter(Boolean).join(' · ') || '—'}</td>
            <td>{[number.capabilities.voice && 'voice', number.capabilities.sms && 'sms'].filter(Boolean).join(', ') || '—'}</td>
            <td class="mono">{agentsText(number)}</td>
            <td>{carrierName(number.carrier_id)}</td>
          </tr>
        ))}
      </DataTable>
      <nav class="pager" aria-label="Pages">
        <span class="pager-info">
          Page {pageNumber}
          {page.data ? ` · ${page.data.data.length} number${page.data.data.length === 1 ? '' : 's'}` : ''}
        </span>
        <button
          type="button"
          class="button"
          disabled={previous.length === 0}
          onClick={() => {
            const earlier = previous.slice(0, -1);
            navigate(withQuery('/numbers', { ...filters, cursor: previous.at(-1) === '-' ? undefined : previous.at(-1), prev: earlier.length > 0 ? earlier.join(',') : undefined }));
          }}
        >
          ← Previous
        </button>
        <button
          type="button"
          class="button"
          disabled={!page.data?.has_more}
          onClick={() => navigate(withQuery('/numbers', { ...filters, cursor: page.data!.next_cursor!, prev: [...previous, cursor ?? '-'].join(',') }))}
        >
          Next →
        </button>
      </nav>
    </>
  );
}
