import { useState } from 'preact/hooks';
import { Banner } from '../components/ui.tsx';

export function SignIn({ notice, onKey }: { notice: string | null; onKey: (key: string) => Promise<void> }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <main class="signin">
      <form
        class="card signin-card"
        onSubmit={async (event) => {
          event.preventDefault();
          if (!key.trim()) return;
          setBusy(true);
          await onKey(key.trim());
          setBusy(false);
        }}
      >
        <div class="brand brand-large">
          <span class="brand-mark" aria-hidden="true">
            ◎
          </span>
          Switchboard
        </div>
        <h1>Sign in to the console</h1>
        <p class="subtitle">
          Paste an API key (create one with <code>npx switchboard keys create</code>). It stays in this tab only and is sent to this server alone.
        </p>
        {notice && <Banner kind="error">{notice}</Banner>}
        <div class="field">
          <label for="api-key">API key</label>
          <input id="api-key" type="password" autocomplete="off" spellcheck={false} placeholder="sk_…" value={key} onInput={(event) => setKey(event.currentTarget.value)} required />
        </div>
        <button class="button button-primary button-block" type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
