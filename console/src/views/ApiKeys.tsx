import { useState } from 'preact/hooks';
import { api, call, type Scope } from '../api.ts';
import { Banner, ConfirmDialog, CopyButton, DataTable, Field, PageHeader, formatTime } from '../components/ui.tsx';
import { useApiForm } from '../components/use-api-form.ts';
import { useLoad } from '../components/use-load.ts';
import { useSession } from '../session.ts';

const SCOPES: Array<[Scope, string]> = [
  ['numbers:read', 'Read numbers, pools, carriers'],
  ['numbers:write', 'Change numbers, pools, carriers'],
  ['routing', 'Ask routing decisions, report calls'],
  ['admin', 'Everything, keys and outage mode included'],
];

export function ApiKeys() {
  const session = useSession();
  const keys = useLoad(async () => (await call(api.GET('/v1/api-keys'))).data.data, []);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['numbers:read']);
  const [created, setCreated] = useState<{ name: string | null; key: string } | null>(null);
  const { errors, failure, submit } = useApiForm();
  const [revoking, setRevoking] = useState<{ id: string; label: string } | null>(null);

  return (
    <>
      <PageHeader title="API keys" subtitle="Keys of this workspace. A key is shown once, when it is created; only its prefix is kept visible." />
      <div class="stack">
        <form
          class="card form"
          noValidate
          onSubmit={submit(async () => {
            const { data } = await call(api.POST('/v1/api-keys', { body: { scopes, ...(name.trim() ? { name: name.trim() } : {}) } }));
            setCreated({ name: data.name, key: data.key });
            setName('');
            keys.reload();
          })}
        >
          <h2>Create a key</h2>
          <div class="grid">
            <Field id="key-name" label="Name" error={errors.name} hint="Who or what uses it, e.g. “support desk”">
              <input id="key-name" value={name} maxLength={100} onInput={(e) => setName(e.currentTarget.value)} />
            </Field>
            <fieldset class="field checks checks-stacked">
              <legend>Scopes</legend>
              {SCOPES.map(([scope, meaning]) => (
                <label key={scope}>
                  <input type="checkbox" checked={scopes.includes(scope)} onChange={(e) => setScopes(e.currentTarget.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))} />{' '}
                  <code>{scope}</code> <span class="muted">{meaning}</span>
                </label>
              ))}
              {errors.scopes && <p class="field-error">{errors.scopes}</p>}
            </fieldset>
          </div>
          {failure && <Banner kind="error">{failure}</Banner>}
          <div class="actions">
            <button class="button button-primary" type="submit" disabled={scopes.length === 0}>
              Create key
            </button>
          </div>
        </form>
        {created && (
          <Banner kind="success" action={<CopyButton text={created.key} label="Copy key" />}>
            <p>
              <strong>Key {created.name ? `“${created.name}” ` : ''}created.</strong> Copy it now: it is not shown again.
            </p>
            <code class="secret" data-testid="new-key">
              {created.key}
            </code>
          </Banner>
        )}
        {keys.error && <Banner kind="error">{keys.error}</Banner>}
        <DataTable label="API keys" columns={['Name', 'Prefix', 'Scopes', 'Created', 'Status']} busy={keys.loading} actions>
          {(keys.data ?? []).map((key) => (
            <tr key={key.id}>
              <td>{key.name ?? <span class="muted">unnamed</span>}</td>
              <td class="mono">{key.prefix}…</td>
              <td>{key.scopes.join(', ')}</td>
              <td>{formatTime(key.created_at)}</td>
              <td>{key.revoked_at ? <span class="badge badge-inactive">revoked</span> : <span class="badge badge-active">active</span>}</td>
              <td class="cell-actions">
                {!key.revoked_at && key.id !== session.key.id && (
                  <button type="button" class="button button-small button-danger" onClick={() => setRevoking({ id: key.id, label: key.name ?? `${key.prefix}…` })}>
                    Revoke
                  </button>
                )}
                {key.id === session.key.id && <span class="muted">this session</span>}
              </td>
            </tr>
          ))}
        </DataTable>
      </div>
      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking.label}?`}
          confirmLabel="Revoke key"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await call(api.DELETE('/v1/api-keys/{id}', { params: { path: { id: revoking.id } } }));
            keys.reload();
          }}
        >
          <p>Every request with this key is refused from now on. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
