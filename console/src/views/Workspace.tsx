import { useState } from 'preact/hooks';
import { api, ApiProblem, call, messageOf } from '../api.ts';
import { Banner, ConfirmDialog, Field, PageHeader } from '../components/ui.tsx';
import { useLoad } from '../components/use-load.ts';
import { useSession } from '../session.ts';

export function WorkspaceView() {
  const session = useSession();
  const admin = session.can('admin');
  const workspace = useLoad(async () => (await call(api.GET('/v1/workspace'))).data, []);
  const [confirming, setConfirming] = useState<boolean | null>(null);
  const [cap, setCap] = useState<string | null>(null);
  const [capError, setCapError] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);

  if (!workspace.data) return workspace.error ? <Banner kind="error">{workspace.error}</Banner> : <div class="card skeleton-card" aria-busy="true" />;
  const state = workspace.data;
  const capText = cap ?? (state.max_concurrent_calls === null ? '' : String(state.max_concurrent_calls));

  return (
    <>
      <PageHeader title="Workspace" subtitle={<code>{state.workspace_id}</code>} />
      <div class="stack">
        <section class={`card outage ${state.outage ? 'outage-on' : ''}`} aria-labelledby="outage-title">
          <div class="outage-row">
            <div>
              <h2 id="outage-title">Outage mode: {state.outage ? 'ON' : 'off'}</h2>
              <p class="subtitle">
                {state.outage
                  ? 'Every inbound call is forwarded to its number’s fallback number (rejected when it has none).'
                  : 'Calls are routed to their agents. Turn on when your agents are down, to forward every inbound call to its fallback number.'}
              </p>
            </div>
            {admin && (
              <button type="button" class={`button ${state.outage ? 'button-primary' : 'button-danger'}`} onClick={() => setConfirming(!state.outage)}>
                {state.outage ? 'Turn outage mode off' : 'Turn outage mode on'}
              </button>
            )}
          </div>
        </section>
        <section class="card" aria-labelledby="capacity-title">
          <h2 id="capacity-title">Capacity</h2>
          <dl class="facts">
            <div>
              <dt>Active calls</dt>
              <dd class="big-number">{state.active_calls}</dd>
            </div>
            <div>
              <dt>Workspace cap</dt>
              <dd class="big-number">{state.max_concurrent_calls ?? 'unlimited'}</dd>
            </div>
            <div>
              <dt>Webhook signing secret</dt>
              <dd>{state.signing_secret_set ? 'set' : 'not set'}</dd>
            </div>
          </dl>
          {admin && (
            <form
              class="inline-form"
              noValidate
              onSubmit={async (event) => {
                event.preventDefault();
                setCapError(undefined);
                setSaved(false);
                try {
                  const value = capText.trim() === '' ? null : Number(capText);
                  const { data } = await call(api.PATCH('/v1/workspace', { body: { max_concurrent_calls: value } }));
                  workspace.set(data);
                  setCap(null);
                  setSaved(true);
                } catch (error) {
                  setCapError(error instanceof ApiProblem ? (error.byField.max_concurrent_calls ?? messageOf(error)) : messageOf(error));
                }
              }}
            >
              <Field id="workspace-cap" label="Max concurrent calls (workspace)" error={capError} hint="Empty = unlimited">
                <input id="workspace-cap" type="number" min={1} value={capText} onInput={(e) => setCap(e.currentTarget.value)} />
              </Field>
              <button class="button" type="submit">
                Save cap
              </button>
              {saved && <span role="status">Saved ✓</span>}
            </form>
          )}
        </section>
      </div>
      {confirming !== null && (
        <ConfirmDialog
          title={confirming ? 'Turn outage mode on?' : 'Turn outage mode off?'}
          confirmLabel={confirming ? 'Turn on' : 'Turn off'}
          danger={confirming}
          onClose={() => setConfirming(null)}
          onConfirm={async () => {
            const { data } = await call(api.PUT('/v1/workspace/outage', { body: { enabled: confirming } }));
            workspace.set(data);
          }}
        >
          <p>{confirming ? 'Every inbound call of this workspace will be forwarded to its number’s fallback number, starting now.' : 'Inbound calls will be routed to their agents again.'}</p>
        </ConfirmDialog>
      )}
    </>
  );
}
