import { useState } from 'preact/hooks';
import type { Carrier, paths } from '../../../clients/typescript/index.ts';
import { api, call } from '../api.ts';
import { Banner, ConfirmDialog, DataTable, Field, PageHeader } from '../components/ui.tsx';
import { useApiForm } from '../components/use-api-form.ts';
import { useLoad } from '../components/use-load.ts';
import { errorFor } from '../lib/number-form.ts';
import { useSession } from '../session.ts';

type CarrierBody = paths['/v1/carriers']['post']['requestBody']['content']['application/json'];
type TrunkType = Carrier['trunk_type'];
interface GatewayRow {
  address: string;
  port: string;
  inbound: boolean;
  outbound: boolean;
  netmask: string;
}
interface CarrierForm {
  name: string;
  description: string;
  trunk_type: TrunkType;
  gateways: GatewayRow[];
  username: string;
  realm: string;
  /** Write-only: empty keeps the stored one. */
  password: string;
}

function formOf(carrier: Carrier | null): CarrierForm {
  const credentials = carrier?.registration ?? carrier?.inbound_auth ?? null;
  return {
    name: carrier?.name ?? '',
    description: carrier?.description ?? '',
    trunk_type: carrier?.trunk_type ?? 'static_ip',
    gateways: carrier?.gateways.map((g) => ({ address: g.address, port: String(g.port), inbound: g.inbound, outbound: g.outbound, netmask: String(g.netmask) })) ?? [{ address: '', port: '5060', inbound: true, outbound: true, netmask: '32' }],
    username: credentials?.username ?? '',
    realm: carrier?.registration?.realm ?? '',
    password: '',
  };
}

function bodyOf(form: CarrierForm, existing: Carrier | null): CarrierBody {
  const body: CarrierBody = {
    name: form.name.trim(),
    description: form.description.trim() || null,
    trunk_type: form.trunk_type,
    gateways: form.gateways.map((g) => ({ address: g.address.trim(), port: Number(g.port), inbound: g.inbound, outbound: g.outbound, netmask: Number(g.netmask) })),
  };
  const secret = form.password ? { password: form.password } : {};
  if (form.trunk_type === 'reg') body.registration = { username: form.username.trim(), realm: form.realm.trim() || null, ...secret };
  else if (existing?.registration) body.registration = null;
  if (form.trunk_type === 'auth') body.inbound_auth = { username: form.username.trim(), ...secret };
  else if (existing?.inbound_auth) body.inbound_auth = null;
  return body;
}

function CarrierEditor({ carrier, onSaved, onCancel }: { carrier: Carrier | null; onSaved: (carrier: Carrier) => void; onCancel: () => void }) {
  const [form, setForm] = useState(() => formOf(carrier));
  const { errors, failure, submit } = useApiForm();
  const set = (change: Partial<CarrierForm>) => setForm({ ...form, ...change });
  const setGateway = (index: number, change: Partial<GatewayRow>) => set({ gateways: form.gateways.map((g, i) => (i === index ? { ...g, ...change } : g)) });
  const hasPassword = carrier?.registration?.has_password || carrier?.inbound_auth?.has_password;
  return (
    <form
      class="card form"
      noValidate
      onSubmit={submit(async () => {
        const body = bodyOf(form, carrier);
        const { data } = carrier ? await call(api.PATCH('/v1/carriers/{id}', { params: { path: { id: carrier.id } }, body })) : await call(api.POST('/v1/carriers', { body }));
        onSaved(data);
      })}
    >
      <h2>{carrier ? `Edit ${carrier.name}` : 'New carrier'}</h2>
      <div class="grid">
        <Field id="carrier-name" label="Name" error={errorFor(errors, 'name')}>
          <input id="carrier-name" value={form.name} onInput={(e) => set({ name: e.currentTarget.value })} />
        </Field>
        <Field id="carrier-description" label="Description" error={errorFor(errors, 'description')}>
          <input id="carrier-description" value={form.description} onInput={(e) => set({ description: e.currentTarget.value })} />
        </Field>
        <Field id="carrier-trunk" label="Trunk type" error={errorFor(errors, 'trunk_type')}>
          <select id="carrier-trunk" value={form.trunk_type} onChange={(e) => set({ trunk_type: e.currentTarget.value as TrunkType })}>
            <option value="static_ip">static_ip: trusted by IP</option>
            <option value="auth">auth: carrier authenticates</option>
            <option value="reg">reg: we register</option>
          </select>
        </Field>
      </div>
      <fieldset class="subsection">
        <legend>Gateways</legend>
        {form.gateways.map((gateway, index) => (
          <div class="gateway-row" key={index}>
            <Field id={`gw-address-${index}`} label="Address" error={errorFor(errors, `gateways[${index}].address`)}>
              <input id={`gw-address-${index}`} value={gateway.address} placeholder="203.0.113.10" onInput={(e) => setGateway(index, { address: e.currentTarget.value })} />
            </Field>
            <Field id={`gw-port-${index}`} label="Port" error={errorFor(errors, `gateways[${index}].port`)}>
              <input id={`gw-port-${index}`} type="number" value={gateway.port} onInput={(e) => setGateway(index, { port: e.currentTarget.value })} />
            </Field>
            <Field id={`gw-netmask-${index}`} label="Netmask" error={errorFor(errors, `gateways[${index}].netmask`)}>
              <input id={`gw-netmask-${index}`} type="number" value={gateway.netmask} onInput={(e) => setGateway(index, { netmask: e.currentTarget.value })} />
            </Field>
            <label class="inline">
              <input type="checkbox" checked={gateway.inbound} onChange={(e) => setGateway(index, { inbound: e.currentTarget.checked })} /> Inbound
            </label>
            <label class="inline">
              <input type="checkbox" checked={gateway.outbound} onChange={(e) => setGateway(index, { outbound: e.currentTarget.checked })} /> Outbound
            </label>
            {form.gateways.length > 1 && (
              <button type="button" class="button button-small button-ghost" onClick={() => set({ gateways: form.gateways.filter((_, i) => i !== index) })}>
                Remove
              </button>
            )}
          </div>
        ))}
        {errors.gateways && <p class="field-error">{errors.gateways}</p>}
        <button type="button" class="button button-small" onClick={() => set({ gateways: [...form.gateways, { address: '', port: '5060', inbound: true, outbound: true, netmask: '32' }] })}>
          + Add gateway
        </button>
      </fieldset>
      {form.trunk_type !== 'static_ip' && (
        <fieldset class="subsection">
          <legend>{form.trunk_type === 'reg' ? 'Registration credentials' : 'Inbound digest credentials'}</legend>
          <div class="grid">
            <Field id="carrier-username" label="Username" error={errorFor(errors, form.trunk_type === 'reg' ? 'registration.username' : 'inbound_auth.username')}>
              <input id="carrier-username" value={form.username} autocomplete="off" onInput={(e) => set({ username: e.currentTarget.value })} />
            </Field>
            {form.trunk_type === 'reg' && (
              <Field id="carrier-realm" label="Realm" error={errorFor(errors, 'registration.realm')}>
                <input id="carrier-realm" value={form.realm} onInput={(e) => set({ realm: e.currentTarget.value })} />
              </Field>
            )}
            <Field
              id="carrier-password"
              label={hasPassword ? 'Password (set; type to replace)' : 'Password'}
              hint="Write-only: stored encrypted, never shown"
              error={errorFor(errors, form.trunk_type === 'reg' ? 'registration.password' : 'inbound_auth.password') ?? errorFor(errors, form.trunk_type === 'reg' ? 'registration' : 'inbound_auth')}
            >
              <input id="carrier-password" type="password" autocomplete="new-password" value={form.password} placeholder={hasPassword ? '••••••••' : ''} onInput={(e) => set({ password: e.currentTarget.value })} />
            </Field>
          </div>
        </fieldset>
      )}
      {failure && <Banner kind="error">Not saved: {failure}</Banner>}
      <div class="actions">
        <button type="button" class="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="button button-primary">
          {carrier ? 'Save carrier' : 'Create carrier'}
        </button>
      </div>
    </form>
  );
}

export function Carriers() {
  const canWrite = useSession().can('numbers:write');
  const carriers = useLoad(async () => (await call(api.GET('/v1/carriers', { params: { query: { limit: 1000 } } }))).data.data, []);
  const [editing, setEditing] = useState<Carrier | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Carrier | null>(null);
  return (
    <>
      <PageHeader
        title="Carriers"
        subtitle="Your own SIP trunks (BYOC). Numbers point at a carrier; inbound calls are matched to it by source IP."
        actions={
          canWrite && editing === null && (
            <button type="button" class="button button-primary" onClick={() => setEditing('new')}>
              New carrier
            </button>
          )
        }
      />
      <div class="stack">
        {editing !== null && (
          <CarrierEditor
            carrier={editing === 'new' ? null : editing}
            onCancel={() => setEditing(null)}
            onSaved={(saved) => {
              const list = carriers.data ?? [];
              carriers.set(list.some((c) => c.id === saved.id) ? list.map((c) => (c.id === saved.id ? saved : c)) : [...list, saved]);
              setEditing(null);
            }}
          />
        )}
        {carriers.error && <Banner kind="error">{carriers.error}</Banner>}
        <DataTable
          label="Carriers"
          columns={['Name', 'Trunk', 'Gateways', 'Credentials']}
          busy={carriers.loading}
          actions
          empty={carriers.data?.length === 0 && <div class="empty">No carriers. Numbers without one use their own SIP settings.</div>}
        >
          {(carriers.data ?? []).map((carrier) => (
            <tr key={carrier.id}>
              <td>
                <strong>{carrier.name}</strong>
                {carrier.description && <div class="muted">{carrier.description}</div>}
              </td>
              <td>{carrier.trunk_type}</td>
              <td class="mono">{carrier.gateways.map((g) => `${g.address}:${g.port}${g.inbound ? ' in' : ''}${g.outbound ? ' out' : ''}`).join(', ')}</td>
              <td>{carrier.registration ? `register as ${carrier.registration.username}` : carrier.inbound_auth ? `digest ${carrier.inbound_auth.username}` : '—'}</td>
              <td class="cell-actions">
                {canWrite && (
                  <>
                    <button type="button" class="button button-small" onClick={() => setEditing(carrier)}>
                      Edit
                    </button>
                    <button type="button" class="button button-small button-danger" onClick={() => setDeleting(carrier)}>
                      Delete
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      </div>
      {deleting && (
        <ConfirmDialog
          title={`Delete carrier ${deleting.name}?`}
          confirmLabel="Delete carrier"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await call(api.DELETE('/v1/carriers/{id}', { params: { path: { id: deleting.id } } }));
            carriers.set((carriers.data ?? []).filter((c) => c.id !== deleting.id));
          }}
        >
          <p>A carrier still used by numbers cannot be deleted; the server says how many use it.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
