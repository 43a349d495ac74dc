import { useState } from 'preact/hooks';
import type { RoutingDecision } from '../../../clients/typescript/index.ts';
import { api, call } from '../api.ts';
import { Banner, Field, PageHeader } from '../components/ui.tsx';
import { useApiForm } from '../components/use-api-form.ts';
import { useLoad } from '../components/use-load.ts';
import { decisionInWords } from '../lib/decision.ts';
import { errorFor } from '../lib/number-form.ts';

type Direction = 'inbound' | 'outbound';

/**
 * "What happens if … calls now?": the same decision endpoint the telephony side calls, without a
 * `call_id`, so the check holds no concurrency slot and leaves no lease behind.
 */
export function RoutingCheck({ query }: { query: URLSearchParams }) {
  const [direction, setDirection] = useState<Direction>('inbound');
  const [to, setTo] = useState(query.get('to') ?? '');
  const [from, setFrom] = useState('');
  const [poolId, setPoolId] = useState('');
  const [agentId, setAgentId] = useState('');
  const [decision, setDecision] = useState<RoutingDecision | null>(null);
  const { errors, failure, submit } = useApiForm();
  const pools = useLoad(async () => (await call(api.GET('/v1/number-pools'))).data.data, []);

  const run = submit(async () => {
    setDecision(null);
    const answer =
      direction === 'inbound'
        ? await call(api.POST('/v1/routing/inbound', { body: { to: to.trim(), from: from.trim() } }))
        : await call(
            api.POST('/v1/routing/outbound', {
              body: { to: to.trim(), ...(from.trim() ? { from: from.trim() } : {}), ...(poolId ? { pool_id: poolId } : {}), ...(agentId.trim() ? { agent_id: agentId.trim() } : {}) },
            }),
          );
    setDecision(answer.data);
  });

  return (
    <>
      <PageHeader title="Routing check" subtitle="What happens if this call is placed now? Asks the live routing decision without starting a call (no concurrency slot is taken)." />
      <form class="card form" onSubmit={run} noValidate>
        <div class="segmented" role="radiogroup" aria-label="Direction">
          {(['inbound', 'outbound'] as const).map((value) => (
            <label key={value} class={direction === value ? 'segment segment-on' : 'segment'}>
              <input type="radio" name="direction" value={value} checked={direction === value} onChange={() => setDirection(value)} />
              {value === 'inbound' ? 'Inbound call' : 'Outbound call'}
            </label>
          ))}
        </div>
        <div class="grid">
          <Field id="check-to" label={direction === 'inbound' ? 'Called number (yours)' : 'Number to call'} error={errorFor(errors, 'to')}>
            <input id="check-to" value={to} placeholder="+1…" onInput={(e) => setTo(e.currentTarget.value)} />
          </Field>
          <Field id="check-from" label={direction === 'inbound' ? 'Caller' : 'Caller ID (optional)'} error={errorFor(errors, 'from')}>
            <input id="check-from" value={from} placeholder="+1…" onInput={(e) => setFrom(e.currentTarget.value)} />
          </Field>
          {direction === 'outbound' && (
            <>
              <Field id="check-pool" label="Number pool (optional)" error={errorFor(errors, 'pool_id')}>
                <select id="check-pool" value={poolId} onChange={(e) => setPoolId(e.currentTarget.value)}>
                  <option value="">None</option>
                  {(pools.data ?? []).map((pool) => (
                    <option key={pool.id} value={pool.id}>
                      {pool.name}
                    </option>
                  ))}
                </select>
              </Field>
              <Field id="check-agent" label="Agent id (optional)" error={errorFor(errors, 'agent_id')}>
                <input id="check-agent" value={agentId} placeholder="agent_…" onInput={(e) => setAgentId(e.currentTarget.value)} />
              </Field>
            </>
          )}
        </div>
        <div class="actions">
          <button type="submit" class="button button-primary">
            Check
          </button>
        </div>
      </form>
      {failure && <Banner kind="error">{failure}</Banner>}
      {decision && (
        <section class={`card decision decision-${decision.action}`} aria-live="polite" aria-labelledby="decision-title">
          <h2 id="decision-title" class="visually-hidden">
            Decision
          </h2>
          <p class="decision-words" data-testid="decision">
            <span class={`badge badge-decision-${decision.action}`}>{decision.action}</span> {decisionInWords(decision)}
          </p>
          <details>
            <summary>Raw JSON</summary>
            <pre class="json">{JSON.stringify(decision, null, 2)}</pre>
          </details>
        </section>
      )}
    </>
  );
}
