import { useState } from 'preact/hooks';
import { api, ApiProblem, call, messageOf } from '../api.ts';
import { WeightEditor } from '../components/WeightEditor.tsx';
import { Banner, Field } from '../components/ui.tsx';
import { useLoad } from '../components/use-load.ts';
import { AGENT_LISTS, changesOf, errorFor, formOf, type NumberForm } from '../lib/number-form.ts';
import { useSession } from '../session.ts';
import type { LoadedNumber } from './NumberView.tsx';

const LIST_LABELS = { inbound_agents: 'Inbound voice agents', outbound_agents: 'Outbound voice agents', inbound_sms_agents: 'Inbound SMS agents', outbound_sms_agents: 'Outbound SMS agents' };
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

type Outcome = { kind: 'saved' } | { kind: 'conflict' } | { kind: 'error'; message: string } | { kind: 'refused'; message: string } | { kind: 'unchanged' };

export function NumberSettings({ loaded, onSaved, onReload }: { loaded: LoadedNumber; onSaved: (next: LoadedNumber) => void; onReload: () => void }) {
  const { number, etag } = loaded;
  const session = useSession();
  const readOnly = !session.can('numbers:write');
  const [form, setForm] = useState<NumberForm>(() => formOf(number));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [saving, setSaving] = useState(false);
  const carriers = useLoad(async () => (await call(api.GET('/v1/carriers', { params: { query: { limit: 1000 } } }))).data.data, []);
  const set = (change: Partial<NumberForm>) => setForm({ ...form, ...change });

  const text = (name: keyof NumberForm, label: string, field: string, options: { hint?: string; placeholder?: string; type?: 'text' | 'number' } = {}) => (
    <Field id={`f-${name}`} label={label} error={errorFor(errors, field)} hint={options.hint}>
      <input
        id={`f-${name}`}
        inputMode={options.type === 'number' ? 'numeric' : undefined}
        value={form[name] as string}
        placeholder={options.placeholder}
        readOnly={readOnly}
        aria-invalid={Boolean(errorFor(errors, field))}
        aria-describedby={errorFor(errors, field) ? `f-${name}-error` : undefined}
        onInput={(e) => set({ [name]: e.currentTarget.value } as Partial<NumberForm>)}
      />
    </Field>
  );

  const save = async (event: Event) => {
    event.preventDefault();
    const { changes, refused, invalid } = changesOf(number, form);
    setErrors(invalid);
    if (Object.keys(invalid).length > 0) {
      setOutcome({ kind: 'refused', message: 'Not saved: fix the highlighted fields.' });
      return;
    }
    const refusedLists = Object.entries(refused);
    if (refusedLists.length > 0) {
      setOutcome({ kind: 'refused', message: `Not saved: ${refusedLists.map(([list, reason]) => `${LIST_LABELS[list as keyof typeof LIST_LABELS]}: ${reason}`).join('; ')}.` });
      return;
    }
    if (Object.keys(changes).length === 0) {
      setOutcome({ kind: 'unchanged' });
      return;
    }
    setSaving(true);
    setErrors({});
    try {
      const { data, response } = await call(api.PATCH('/v1/phone-numbers/{id}', { params: { path: { id: number.id }, header: { 'if-match': etag } }, body: changes }));
      onSaved({ number: data, etag: response.headers.get('etag') ?? '*' });
    } catch (error) {
      if (error instanceof ApiProblem && error.status === 412) setOutcome({ kind: 'conflict' });
      else {
        if (error instanceof ApiProblem) setErrors(error.byField);
        setOutcome({ kind: 'error', message: messageOf(error) });
      }
    } finally {
      setSaving(false);
    }
  };

  return (
    <form class="card form" onSubmit={save} noValidate>
      <h2>Settings</h2>
      {readOnly && <Banner kind="info">This key can read numbers but not change them.</Banner>}
      <div class="grid">
        {text('nickname', 'Nickname', 'nickname')}
        <Field id="f-status" label="Status" error={errorFor(errors, 'status')}>
          <select id="f-status" value={form.status} disabled={readOnly} onChange={(e) => set({ status: e.currentTarget.value })}>
            {['active', 'pending', 'inactive', 'failed'].map((status) => (
              <option key={status}>{status}</option>
            ))}
          </select>
        </Field>
        <fieldset class="field checks">
          <legend>Capabilities</legend>
          <label>
            <input type="checkbox" checked={form.voice} disabled={readOnly} onChange={(e) => set({ voice: e.currentTarget.checked })} /> Voice
          </label>
          <label>
            <input type="checkbox" checked={form.sms} disabled={readOnly} onChange={(e) => set({ sms: e.currentTarget.checked })} /> SMS
          </label>
        </fieldset>
        <Field id="f-carrier" label="Carrier" error={errorFor(errors, 'carrier_id')}>
          <select id="f-carrier" value={form.carrier_id} disabled={readOnly} onChange={(e) => set({ carrier_id: e.currentTarget.value })}>
            <option value="">None</option>
            {(carriers.data ?? []).map((carrier) => (
              <option key={carrier.id} value={carrier.id}>
                {carrier.name}
              </option>
            ))}
            {form.carrier_id && !carriers.data?.some((carrier) => carrier.id === form.carrier_id) && <option value={form.carrier_id}>{form.carrier_id}</option>}
          </select>
        </Field>
        {text('fallback_number', 'Fallback number', 'fallback_number', { hint: 'Calls are forwarded here in outage mode or over capacity', placeholder: '+1…' })}
        {text('max_concurrent_calls', 'Max concurrent calls', 'max_concurrent_calls', { hint: 'Empty = unlimited', type: 'number' })}
        {text('allowed_inbound_country_list', 'Inbound countries allowed', 'allowed_inbound_country_list', { hint: 'ISO codes, e.g. US, CA; empty = any', placeholder: 'any' })}
        {text('allowed_outbound_country_list', 'Outbound countries allowed', 'allowed_outbound_country_list', { hint: 'ISO codes; empty = any', placeholder: 'any' })}
        {text('inbound_webhook_url', 'Inbound webhook URL', 'inbound_webhook_url', { placeholder: 'https://…' })}
        {text('inbound_sms_webhook_url', 'Inbound SMS webhook URL', 'inbound_sms_webhook_url', { placeholder: 'https://…' })}
      </div>

      <fieldset class="subsection" id="f-calling-hours">
        <legend>Calling hours (outbound, callee's local time)</legend>
        <label class="inline">
          <input type="checkbox" checked={form.hours_enabled} disabled={readOnly} onChange={(e) => set({ hours_enabled: e.currentTarget.checked })} /> Only inside a window
        </label>
        {form.hours_enabled && (
          <div class="grid">
            <fieldset class="field checks days">
              <legend>Days</legend>
              {DAYS.map((day, index) => (
                <label key={day}>
                  <input
                    type="checkbox"
                    checked={form.hours_days.includes(index + 1)}
                    disabled={readOnly}
                    onChange={(e) => set({ hours_days: e.currentTarget.checked ? [...form.hours_days, index + 1] : form.hours_days.filter((d) => d !== index + 1) })}
                  />{' '}
                  {day}
                </label>
              ))}
            </fieldset>
            {text('hours_start', 'From', 'calling_hours.start', { placeholder: '09:00' })}
            {text('hours_end', 'Until', 'calling_hours.end', { placeholder: '18:00' })}
          </div>
        )}
        {errorFor(errors, 'calling_hours') && <p class="field-error">{errorFor(errors, 'calling_hours')}</p>}
      </fieldset>

      <h3>Agents</h3>
      <div class="weights-grid">
        {AGENT_LISTS.map((list) => (
          <WeightEditor
            key={list}
            id={`f-${list}`}
            label={LIST_LABELS[list]}
            rows={form.agents[list]}
            readOnly={readOnly}
            serverError={errorFor(errors, list)}
            onChange={(rows) => set({ agents: { ...form.agents, [list]: rows } })}
          />
        ))}
      </div>

      <fieldset class="subsection">
        <legend>SIP trunk</legend>
        <div class="grid">
          {text('sip_termination_uri', 'Termination URI', 'sip.termination_uri', { placeholder: 'sip.example.com' })}
          {text('sip_outbound_proxy', 'Outbound proxy', 'sip.outbound_proxy')}
          {text('sip_auth_username', 'Auth username', 'sip.auth_username')}
          <Field id="f-sip-password" label={number.sip.has_password ? 'Auth password (set; type to replace)' : 'Auth password (not set)'} error={errorFor(errors, 'sip.auth_password')} hint="Write-only: never shown after saving">
            <input
              id="f-sip-password"
              type="password"
              autocomplete="new-password"
              value={form.sip_password}
              readOnly={readOnly}
              disabled={form.sip_password_remove}
              placeholder={number.sip.has_password ? '••••••••' : ''}
              onInput={(e) => set({ sip_password: e.currentTarget.value })}
            />
          </Field>
          {number.sip.has_password && !readOnly && (
            <label class="inline">
              <input type="checkbox" checked={form.sip_password_remove} onChange={(e) => set({ sip_password_remove: e.currentTarget.checked, sip_password: '' })} /> Remove the stored password
            </label>
          )}
          <Field id="f-sip-transport" label="Transport" error={errorFor(errors, 'sip.transport')}>
            <select id="f-sip-transport" value={form.sip_transport} disabled={readOnly} onChange={(e) => set({ sip_transport: e.currentTarget.value })}>
              {['TCP', 'UDP', 'TLS'].map((transport) => (
                <option key={transport}>{transport}</option>
              ))}
            </select>
          </Field>
          <label class="inline">
            <input type="checkbox" checked={form.sip_uac_enabled} disabled={readOnly} onChange={(e) => set({ sip_uac_enabled: e.currentTarget.checked })} /> Register to the trunk (SIP REGISTER)
          </label>
          {text('sip_uac_register_expires', 'REGISTER expiry (s)', 'sip.uac_register_expires', { type: 'number' })}
        </div>
      </fieldset>

      {outcome?.kind === 'conflict' && (
        <Banner
          kind="warning"
          action={
            <button type="button" class="button" onClick={onReload}>
              Reload
            </button>
          }
        >
          <strong>Changed by someone else.</strong> This number was modified after you opened it, so nothing was saved. Reload to see the current settings, then make your change again.
        </Banner>
      )}
      {outcome?.kind === 'error' && <Banner kind="error">Not saved: {outcome.message}</Banner>}
      {outcome?.kind === 'refused' && <Banner kind="error">{outcome.message}</Banner>}
      {outcome?.kind === 'unchanged' && <Banner kind="info">Nothing to save: no field changed.</Banner>}
      {!readOnly && (
        <div class="actions sticky-actions">
          <button type="button" class="button" onClick={() => { setForm(formOf(number)); setErrors({}); setOutcome(null); }}>
            Discard changes
          </button>
          <button type="submit" class="button button-primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save changes'}
          </button>
        </div>
      )}
    </form>
  );
}
