import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { api, call, messageOf, session as stored, whenUnauthorized } from './api.ts';
import { Shell } from './views/Shell.tsx';
import { SignIn } from './views/SignIn.tsx';
import { sessionOf, SessionContext, type Session } from './session.ts';

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(stored.key() !== null);
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = (message: string | null = null) => {
    stored.signOut();
    setSession(null);
    setNotice(message);
  };

  const resume = async () => {
    try {
      const { data } = await call(api.GET('/v1/api-keys/current'));
      setSession(sessionOf(data));
      setNotice(null);
    } catch (error) {
      stored.signOut();
      setNotice(`This key was not accepted: ${messageOf(error)}. It may be mistyped or revoked.`);
      setSession(null);
    } finally {
      setChecking(false);
    }
  };

  useEffect(() => {
    whenUnauthorized(() => signOut('The server no longer accepts this key (revoked or expired). Sign in again.'));
    if (stored.key()) void resume();
  }, []);

  if (checking) return <div class="boot" aria-busy="true" />;
  if (!session)
    return (
      <SignIn
        notice={notice}
        onKey={async (key) => {
          stored.signIn(key);
          setChecking(true);
          await resume();
        }}
      />
    );
  return (
    <SessionContext.Provider value={session}>
      <Shell onSignOut={() => signOut()} />
    </SessionContext.Provider>
  );
}

render(<App />, document.getElementById('app')!);
