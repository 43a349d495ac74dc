import { api, call } from '../api.ts';
import { Banner, formatTime } from '../components/ui.tsx';
import { useLoad } from '../components/use-load.ts';
import { formatShare } from '../lib/weights.ts';

type Snapshot = Record<string, unknown> | null;

/** The value at a changed field's path (`sip.transport`) in a record snapshot. */
function valueAt(record: Snapshot, field: string): unknown {
  let value: unknown = record;
  for (const part of field.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

const isAgentList = (value: unknown): value is Array<{ agent_id: string; weight: number; agent_version?: unknown }> =>
  Array.isArray(value) && value.length > 0 && value.every((entry) => entry !== null && typeof entry === 'object' && 'agent_id' in entry);

function shown(value: unknown): string {
  if (value === undefined || value === null) return '—';
  if (isAgentList(value)) return value.map((agent) => `${agent.agent_id} ${formatShare(agent.weight)}${agent.agent_version === undefined ? '' : typeof agent.agent_version === 'number' ? ` v${agent.agent_version}` : ` (${String(agent.agent_version)})`}`).join(', ');
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (Array.isArray(value) && value.length === 0) return '[]';
  return JSON.stringify(value);
}

/** Secrets are never in the trail; their change shows as set / removed (from `has_password`). */
function change(field: string, before: Snapshot, after: Snapshot): [string, string] {
  if (field === 'sip.auth_password') {
    const had = valueAt(before, 'sip.has_password') === true;
    const has = valueAt(after, 'sip.has_password') === true;
    return [had ? 'secret set' : 'not set', has ? (had ? 'secret replaced' : 'secret set') : 'removed'];
  }
  return [shown(valueAt(before, field)), shown(valueAt(after, field))];
}

export function History({ id }: { id: string }) {
  const events = useLoad(async () => (await call(api.GET('/v1/phone-numbers/{id}/events', { params: { path: { id } } }))).data.data, [id]);
  if (events.error) return <Banner kind="error">{events.error}</Banner>;
  if (!events.data) return <div class="card skeleton-card" aria-busy="true" />;
  return (
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <p class="subtitle history-subtitle">Every change to this number, newest first. Secrets are never recorded.</p>
      <ol class="timeline">
        {[...events.data].reverse().map((event) => (
          <li key={event.id} class={`timeline-item timeline-${event.action}`}>
            <div class="timeline-head">
              <span class={`badge badge-action-${event.action}`}>{event.action}</span>
              <span class="timeline-who">{event.actor_key_name ?? (event.actor_key_id ? `key ${event.actor_key_id.slice(0, 8)}…` : 'operator (CLI)')}</span>
              <time dateTime={event.at} title={event.at}>
                {formatTime(event.at)}
              </time>
            </div>
            {event.action !== 'delete' && event.changed_fields.length > 0 && (
              <table class="changes">
                <colgroup>
                  <col class="col-field" />
                  <col />
                  <col class="col-arrow" />
                  <col />
                </colgroup>
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Before</th>
                    <th scope="col" aria-label="becomes" />
                    <th scope="col">After</th>
                  </tr>
                </thead>
                <tbody>
                  {event.changed_fields.map((field) => {
                    const [before, after] = change(field, event.before as Snapshot, event.after as Snapshot);
                    return (
                      <tr key={field}>
                        <th scope="row" class="mono">
                          {field}
                        </th>
                        <td class="mono before">{before}</td>
                        <td aria-hidden="true">→</td>
                        <td class="mono after">{after}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
