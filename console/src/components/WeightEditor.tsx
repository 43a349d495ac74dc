import type { WeightRow, WeightCheck } from '../lib/weights.ts';
import { checkWeights, emptyRow, formatShare, splitEvenly } from '../lib/weights.ts';

const BAR_COLORS = 6;

/**
 * One weighted agent list. Shows each agent's share as a bar and in numbers, and says why the
 * list cannot be sent (the caller refuses to save while `checkWeights(rows).list` is null).
 */
export function WeightEditor({ id, label, rows, onChange, serverError, readOnly }: {
  id: string;
  label: string;
  rows: WeightRow[];
  onChange: (rows: WeightRow[]) => void;
  /** The API's message for this list or one of its entries. */
  serverError?: string | undefined;
  readOnly?: boolean;
}) {
  const check: WeightCheck = checkWeights(rows);
  const set = (index: number, change: Partial<WeightRow>) => onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  return (
    <fieldset class="weights" id={id} aria-describedby={check.errors.list || serverError ? `${id}-error` : undefined}>
      <legend>{label}</legend>
      {rows.length === 0 ? (
        <p class="muted">No agent: {readOnly ? 'none bound.' : 'add one to bind this list.'}</p>
      ) : (
        <div class="split" role="img" aria-label={`Split: ${rows.map((row, i) => `${row.agent_id || 'unnamed'} ${formatShare(check.shares[i] ?? 0)}`).join(', ')}`}>
          {rows.map((row, index) => (
            <span key={index} class={`split-part split-${index % BAR_COLORS}`} style={{ width: `${(check.shares[index] ?? 0) * 100}%` }} />
          ))}
        </div>
      )}
      {rows.length > 0 && (
        <table class="weights-table">
          <thead>
            <tr>
              <th scope="col">Agent id</th>
              <th scope="col">Weight</th>
              <th scope="col">Version</th>
              <th scope="col">Share</th>
              {!readOnly && (
                <th scope="col">
                  <span class="visually-hidden">Remove</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => {
              const agentError = check.errors[`${index}.agent_id`];
              const weightError = check.errors[`${index}.weight`];
              return (
                <tr key={index}>
                  <td>
                    <span class={`swatch split-${index % BAR_COLORS}`} aria-hidden="true" />
                    {readOnly ? (
                      <span class="mono">{row.agent_id}</span>
                    ) : (
                      <input aria-label={`${label}: agent ${index + 1} id`} class="mono" value={row.agent_id} aria-invalid={Boolean(agentError)} onInput={(e) => set(index, { agent_id: e.currentTarget.value })} />
                    )}
                    {agentError && <p class="field-error">{agentError}</p>}
                  </td>
                  <td>
                    {readOnly ? (
                      row.weight
                    ) : (
                      <input aria-label={`${label}: agent ${index + 1} weight`} inputMode="decimal" class="input-weight" value={row.weight} aria-invalid={Boolean(weightError)} onInput={(e) => set(index, { weight: e.currentTarget.value })} />
                    )}
                    {weightError && <p class="field-error">{weightError}</p>}
                  </td>
                  <td>
                    {readOnly ? (
                      row.agent_version || '—'
                    ) : (
                      <input aria-label={`${label}: agent ${index + 1} version`} class="input-version" placeholder="any" value={row.agent_version} onInput={(e) => set(index, { agent_version: e.currentTarget.value })} />
                    )}
                  </td>
                  <td class="share">{formatShare(check.shares[index] ?? 0)}</td>
                  {!readOnly && (
                    <td>
                      <button type="button" class="button button-small button-ghost" aria-label={`Remove agent ${index + 1} from ${label}`} onClick={() => onChange(rows.filter((_, i) => i !== index))}>
                        Remove
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {(check.errors.list || serverError) && (
        <p class="field-error" id={`${id}-error`} role="alert">
          <span aria-hidden="true">⚠ </span>
          {check.errors.list ?? serverError}
        </p>
      )}
      {!readOnly && (
        <div class="actions actions-left">
          <button type="button" class="button button-small" onClick={() => onChange([...rows, emptyRow()])}>
            + Add agent
          </button>
          {rows.length > 1 && (
            <button type="button" class="button button-small" onClick={() => onChange(splitEvenly(rows))}>
              Split evenly
            </button>
          )}
        </div>
      )}
    </fieldset>
  );
}
