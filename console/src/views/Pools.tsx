import { useState } from 'preact/hooks';
import type { NumberPool } from '../../../clients/typescript/index.ts';
import { api, ApiProblem, call, messageOf } from '../api.ts';
import { Banner, ConfirmDialog, Field, Link, PageHeader } from '../components/ui.tsx';
import { useLoad } from '../components/use-load.ts';
import { useSession } from '../session.ts';

const STRATEGIES: Array<[NumberPool['strategy'], string]> = [
  ['local_presence', 'Local presence (area code → region → country → any)'],
  ['round_robin', 'Round robin (least recently used)'],
  ['random', 'Random'],
];
function StrategyOptions() {
  return (
    <>
      {STRATEGIES.map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </>
  );
}

/** Members whose number is looked up for display; the rest are listed by id. */
const SHOWN_MEMBERS = 50;

function PoolCard({ pool, canWrite, onChanged, onDelete }: { pool: NumberPool; canWrite: boolean; onChanged: (pool: NumberPool) => void; onDelete: () => void }) {
  const [adding, setAdding] = useState('');
  const [error, setError] = useState<string | null>(null);
  const members = useLoad(
    async () =>
      Promise.all(
        pool.members.slice(0, SHOWN_MEMBERS).map(async (id) => {
          const answer = await api.GET('/v1/phone-numbers/{id}', { params: { path: { id } } });
          return { id, pretty: answer.data?.phone_number_pretty ?? id };
        }),
      ),
    [pool.members.join(',')],
  );
  const act = async (work: () => Promise<NumberPool>) => {
    setError(null);
    try {
      onChanged(await work());
    } catch (failure) {
      setError(failure instanceof ApiProblem && failure.errors[0] ? `${failure.errors[0].field}: ${failure.errors[0].message}` : messageOf(failure));
    }
  };
  return (
    <section class="card" aria-label={`Pool ${pool.name}`}>
      <div class="card-head">
        <h2>{pool.name}</h2>
        {canWrite && (
          <button type="button" class="button button-small button-danger" onClick={onDelete}>
            Delete pool
          </button>
        )}
      </div>
      <div class="grid">
        <Field id={`strategy-${pool.id}`} label="Strategy">
          <select
            id={`strategy-${pool.id}`}
            value={pool.strategy}
            disabled={!canWrite}
            onChange={(e) => act(async () => (await call(api.PATCH('/v1/number-pools/{id}', { params: { path: { id: pool.id } }, body: { strategy: e.currentTarget.value as NumberPool['strategy'] } }))).data)}
          >
            <StrategyOptions />
          </select>
        </Field>
      </div>
      <h3>
        Members <span class="muted">({pool.members.length})</span>
      </h3>
      {pool.members.length === 0 && <p class="muted">No numbers in this pool yet.</p>}
      <ul class="chips">
        {(members.data ?? []).map((member) => (
          <li key={member.id} class="chip">
            <Link to={`/numbers/${member.id}`}>{member.pretty}</Link>
            {canWrite && (
              <button
                type="button"
                class="chip-remove"
                aria-label={`Remove ${member.pretty} from ${pool.name}`}
                onClick={() => act(async () => (await call(api.DELETE('/v1/number-pools/{id}/members/{phone_number_id}', { params: { path: { id: pool.id, phone_number_id: member.id } } }))).data)}
              >
                ×
              </button>
            )}
          </li>
        ))}
        {pool.members.length > SHOWN_MEMBERS && <li class="muted">and {pool.members.length - SHOWN_MEMBERS} more</li>}
      </ul>
      {canWrite && (
        <form
          class="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void act(async () => {
              const { data: number } = await call(api.GET('/v1/phone-numbers/{id}', { params: { path: { id: adding.trim() } } }));
              const { data } = await call(api.POST('/v1/number-pools/{id}/members', { params: { path: { id: pool.id } }, body: { members: [number.id] } }));
              setAdding('');
              return data;
            });
          }}
        >
          <Field id={`add-${pool.id}`} label="Add a number">
            <input id={`add-${pool.id}`} value={adding} placeholder="+1… or number id" onInput={(e) => setAdding(e.currentTarget.value)} />
          </Field>
          <button type="submit" class="button" disabled={!adding.trim()}>
            Add
          </button>
        </form>
      )}
      {error && <Banner kind="error">{error}</Banner>}
    </section>
  );
}

export function Pools() {
  const session = useSession();
  const canWrite = session.can('numbers:write');
  const pools = useLoad(async () => (await call(api.GET('/v1/number-pools'))).data.data, []);
  const [name, setName] = useState('');
  const [strategy, setStrategy] = useState<NumberPool['strategy']>('local_presence');
  const [failure, setFailure] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<NumberPool | null>(null);
  const replace = (pool: NumberPool) => pools.set((pools.data ?? []).map((p) => (p.id === pool.id ? pool : p)));

  return (
    <>
      <PageHeader title="Number pools" subtitle="Caller-ID pools for outbound calls: the routing decision picks a member by strategy." />
      <div class="stack">
        {canWrite && (
          <form
            class="card inline-form"
            onSubmit={async (event) => {
              event.preventDefault();
              setFailure(null);
              try {
                const { data } = await call(api.POST('/v1/number-pools', { body: { name: name.trim(), strategy } }));
                pools.set([...(pools.data ?? []), data]);
                setName('');
              } catch (error) {
                setFailure(messageOf(error));
              }
            }}
          >
            <Field id="pool-name" label="New pool name">
              <input id="pool-name" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. US sales" />
            </Field>
            <Field id="pool-strategy" label="Strategy">
              <select id="pool-strategy" value={strategy} onChange={(e) => setStrategy(e.currentTarget.value as NumberPool['strategy'])}>
                <StrategyOptions />
              </select>
            </Field>
            <button class="button button-primary" type="submit" disabled={!name.trim()}>
              Create pool
            </button>
          </form>
        )}
        {failure && <Banner kind="error">{failure}</Banner>}
        {pools.error && <Banner kind="error">{pools.error}</Banner>}
        {pools.data?.length === 0 && <p class="empty">No pools yet.</p>}
        {(pools.data ?? []).map((pool) => (
          <PoolCard key={pool.id} pool={pool} canWrite={canWrite} onChanged={replace} onDelete={() => setDeleting(pool)} />
        ))}
      </div>
      {deleting && (
        <ConfirmDialog
          title={`Delete pool ${deleting.name}?`}
          confirmLabel="Delete pool"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await call(api.DELETE('/v1/number-pools/{id}', { params: { path: { id: deleting.id } } }));
            pools.set((pools.data ?? []).filter((pool) => pool.id !== deleting.id));
          }}
        >
          <p>Its numbers are kept; only the pool goes.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
