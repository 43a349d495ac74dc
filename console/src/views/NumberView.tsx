import { useState } from 'preact/hooks';
import type { PhoneNumber } from '../../../clients/typescript/index.ts';
import { api, call } from '../api.ts';
import { Banner, ConfirmDialog, Link, PageHeader, StatusBadge, formatTime } from '../components/ui.tsx';
import { useLoad } from '../components/use-load.ts';
import { History } from './History.tsx';
import { NumberSettings } from './NumberSettings.tsx';
import { navigate } from '../router.ts';
import { useSession } from '../session.ts';

export interface LoadedNumber {
  number: PhoneNumber;
  etag: string;
}

export function NumberView({ id, tab }: { id: string; tab: 'settings' | 'history' }) {
  const session = useSession();
  const loaded = useLoad<LoadedNumber>(async () => {
    const { data, response } = await call(api.GET('/v1/phone-numbers/{id}', { params: { path: { id } } }));
    return { number: data, etag: response.headers.get('etag') ?? '*' };
  }, [id]);
  const [deleting, setDeleting] = useState(false);
  const [savedAt, setSavedAt] = useState<string | null>(null);

  if (!loaded.data) {
    return (
      <>
        <PageHeader title={<span class="skeleton skeleton-title" />} subtitle={<Link to="/numbers">← All numbers</Link>} />
        {loaded.error ? <Banner kind="error">{loaded.error}</Banner> : <div class="card skeleton-card" aria-busy="true" />}
      </>
    );
  }
  const { number } = loaded.data;
  return (
    <>
      <PageHeader
        title={
          <>
            {number.phone_number_pretty} <StatusBadge status={number.status} />
          </>
        }
        subtitle={
          <>
            <Link to="/numbers">← All numbers</Link>
            {number.nickname && <span class="subtitle-sep">{number.nickname}</span>}
          </>
        }
        actions={
          <>
            {session.can('routing') && (
              <Link class="button" to={`/routing?to=${encodeURIComponent(number.phone_number)}`}>
                Check routing
              </Link>
            )}
            {session.can('numbers:write') && (
              <button type="button" class="button button-danger" onClick={() => setDeleting(true)}>
                Delete
              </button>
            )}
          </>
        }
      />
      <div class="tabs" role="tablist">
        <Link to={`/numbers/${number.id}`} role="tab" aria-selected={tab === 'settings'} class="tab">
          Settings
        </Link>
        <Link to={`/numbers/${number.id}/history`} role="tab" aria-selected={tab === 'history'} class="tab">
          History
        </Link>
      </div>
      {tab === 'settings' ? (
        <>
          <dl class="facts card">
            {(
              [
                ['Id', <code>{number.id}</code>],
                ['E.164', <code>{number.phone_number}</code>],
                ['Source', number.source],
                ['Provider SID', number.provider_sid ?? '—'],
                ['Country', number.country ?? '—'],
                ['Region', number.region ?? '—'],
                ['Locality', number.locality ?? '—'],
                ['Area code', number.area_code ?? '—'],
                ['Type', number.number_type ?? '—'],
                ['Time zones', number.time_zones.join(', ') || '—'],
                ['Created', formatTime(number.created_at)],
                ['Updated', formatTime(number.updated_at)],
              ] as const
            ).map(([term, value]) => (
              <div key={term}>
                <dt>{term}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
          {number.error_message && <Banner kind="warning">{number.error_message}</Banner>}
          {savedAt === loaded.data.etag && <Banner kind="success">Saved. The routing index has the new settings.</Banner>}
          <NumberSettings
            key={loaded.data.etag}
            loaded={loaded.data}
            onSaved={(next) => {
              loaded.set(next);
              setSavedAt(next.etag);
            }}
            onReload={loaded.reload}
          />
        </>
      ) : (
        <History id={number.id} />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${number.phone_number_pretty}?`}
          confirmLabel="Delete number"
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await call(api.DELETE('/v1/phone-numbers/{id}', { params: { path: { id: number.id } } }));
            navigate('/numbers');
          }}
        >
          <p>The number stops routing at once. Its history is kept and it can be imported again.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
