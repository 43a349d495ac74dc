import { parse } from 'csv-parse/browser/esm/sync';
import { useState } from 'preact/hooks';
import { CellError, CSV_COLUMNS, csvColumns, rowToImport } from '../../../src/cli/csv-rows.ts';
import { api, call, messageOf } from '../api.ts';
import { Banner, DataTable, Field, PageHeader } from '../components/ui.tsx';
import { useApiForm } from '../components/use-api-form.ts';
import { errorFor } from '../lib/number-form.ts';
import { navigate } from '../router.ts';
import type { paths } from '../../../clients/typescript/index.ts';

type ImportBody = paths['/v1/phone-numbers']['post']['requestBody']['content']['application/json'];
/** Rows per bulk request: small enough for the progress bar to move, large enough to be quick. */
const BATCH_ROWS = 500;

interface RowResult {
  line: number;
  phone_number: string;
  ok: boolean;
  message: string;
  record: Record<string, string>;
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The failed rows as they were in the file, with the reason in a last `error` column. */
function failedRowsCsv(columns: string[], rows: RowResult[]): string {
  const lines = [[...columns, 'error'].join(',')];
  for (const row of rows.filter((result) => !result.ok)) lines.push([...columns.map((column) => row.record[column] ?? ''), row.message].map(csvCell).join(','));
  return `${lines.join('\n')}\n`;
}

function SingleImport() {
  const [number, setNumber] = useState('');
  const [nickname, setNickname] = useState('');
  const [agent, setAgent] = useState('');
  const { errors, failure, submit } = useApiForm();
  return (
    <form
      class="card form"
      noValidate
      onSubmit={submit(async () => {
        const body: ImportBody = { phone_number: number.trim() };
        if (nickname.trim()) body.nickname = nickname.trim();
        if (agent.trim()) body.inbound_agents = [{ agent_id: agent.trim(), weight: 1 }];
        const { data } = await call(api.POST('/v1/phone-numbers', { body }));
        navigate(`/numbers/${data.id}`);
      })}
    >
      <h2>One number</h2>
      <p class="subtitle">A number you already own; everything else can be set after.</p>
      <div class="grid">
        <Field id="import-number" label="Phone number" error={errorFor(errors, 'phone_number')} hint="E.164, e.g. +14155550100">
          <input id="import-number" value={number} required onInput={(e) => setNumber(e.currentTarget.value)} placeholder="+1…" />
        </Field>
        <Field id="import-nickname" label="Nickname" error={errorFor(errors, 'nickname')}>
          <input id="import-nickname" value={nickname} onInput={(e) => setNickname(e.currentTarget.value)} />
        </Field>
        <Field id="import-agent" label="Inbound agent id" error={errorFor(errors, 'inbound_agents')} hint="Optional; takes every inbound call">
          <input id="import-agent" value={agent} onInput={(e) => setAgent(e.currentTarget.value)} placeholder="agent_…" />
        </Field>
      </div>
      {failure && <Banner kind="error">Not imported: {failure}</Banner>}
      <div class="actions">
        <button class="button button-primary" type="submit">
          Import number
        </button>
      </div>
    </form>
  );
}

function CsvImport() {
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [results, setResults] = useState<RowResult[] | null>(null);
  const [columns, setColumns] = useState<string[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [running, setRunning] = useState(false);

  const run = async () => {
    if (!file) return;
    setRunning(true);
    setFailure(null);
    setResults(null);
    try {
      let header: string[] = [];
      const records = parse(await file.text(), {
        columns: (names: string[]) => (header = csvColumns(names)),
        bom: true,
        skip_empty_lines: true,
        trim: true,
        info: true,
      }) as unknown as Array<{ record: Record<string, string>; info: { lines: number } }>;
      setColumns(header);
      const outcome: RowResult[] = [];
      const pending: Array<{ line: number; record: Record<string, string>; body: ImportBody }> = [];
      for (const { record, info } of records) {
        try {
          pending.push({ line: info.lines, record, body: rowToImport(record) as ImportBody });
        } catch (error) {
          if (!(error instanceof CellError)) throw error;
          outcome.push({ line: info.lines, phone_number: record.phone_number ?? '', ok: false, message: `${error.field}: ${error.message}`, record });
        }
      }
      setProgress({ done: outcome.length, total: records.length });
      for (let start = 0; start < pending.length; start += BATCH_ROWS) {
        const batch = pending.slice(start, start + BATCH_ROWS);
        const { data } = await call(api.POST('/v1/phone-numbers/bulk', { body: { items: batch.map((row) => row.body) } }));
        data.data.forEach((item, index) => {
          const row = batch[index]!;
          outcome.push({ line: row.line, phone_number: row.body.phone_number, ok: item.status === 'created', message: item.error ? item.error.detail : 'created', record: row.record });
        });
        setProgress({ done: outcome.length, total: records.length });
      }
      setResults(outcome.sort((a, b) => a.line - b.line));
    } catch (error) {
      setFailure(messageOf(error));
    } finally {
      setRunning(false);
    }
  };

  const failed = results?.filter((row) => !row.ok) ?? [];
  return (
    <section class="card form" aria-labelledby="csv-title">
      <h2 id="csv-title">CSV file</h2>
      <p class="subtitle">
        One number per row, with a <code>phone_number</code> column and any of the import fields as columns (the same file <code>npx switchboard numbers import</code> reads). A bad row fails alone; the others are imported.
      </p>
      <details class="columns-help">
        <summary>Accepted columns</summary>
        <p class="mono small">{CSV_COLUMNS.join(', ')}</p>
      </details>
      <div class="field">
        <label for="csv-file">File (.csv)</label>
        <input id="csv-file" type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
      </div>
      <div class="actions">
        <button type="button" class="button button-primary" disabled={!file || running} onClick={run}>
          {running ? 'Importing…' : 'Import file'}
        </button>
      </div>
      {progress && (
        <div class="progress-row">
          <progress id="csv-progress" max={progress.total} value={progress.done} aria-label="Import progress" />
          <span>
            {progress.done} of {progress.total} rows
          </span>
        </div>
      )}
      {failure && <Banner kind="error">{failure}</Banner>}
      {results && (
        <>
          <Banner
            kind={failed.length > 0 ? 'warning' : 'success'}
            action={
              failed.length > 0 && (
                <a class="button" download="failed-rows.csv" href={URL.createObjectURL(new Blob([failedRowsCsv(columns, results)], { type: 'text/csv' }))}>
                  Download failed rows
                </a>
              )
            }
          >
            {results.length - failed.length} imported, {failed.length} failed.
          </Banner>
          <DataTable label="Import results" columns={['Line', 'Number', 'Result', 'Detail']}>
            {results.map((row) => (
              <tr key={row.line} class={row.ok ? '' : 'row-failed'}>
                <td>{row.line}</td>
                <td class="mono">{row.phone_number}</td>
                <td>
                  <span class={`badge ${row.ok ? 'badge-active' : 'badge-failed'}`}>{row.ok ? 'created' : 'failed'}</span>
                </td>
                <td>{row.ok ? '' : row.message}</td>
              </tr>
            ))}
          </DataTable>
        </>
      )}
    </section>
  );
}

export function Import() {
  return (
    <>
      <PageHeader title="Import numbers" subtitle="Bring numbers you own into this workspace." />
      <div class="stack">
        <SingleImport />
        <CsvImport />
      </div>
    </>
  );
}
