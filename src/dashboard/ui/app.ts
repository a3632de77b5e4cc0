import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { forgetToken, saveToken, savedToken, tokenWorks, whenUnauthorized } from './api.js';
import { html } from './html.js';
import { StatusPage } from './pages/status.js';
import { ApisPage } from './pages/apis.js';
import { UpstreamsPage } from './pages/upstreams.js';
import { KeysPage } from './pages/keys.js';
import { MetricsPage } from './pages/metrics.js';
import { DeploymentsPage } from './pages/deployments.js';

const PAGES = [
  { id: 'status', title: 'Status', view: StatusPage },
  { id: 'apis', title: 'APIs & routes', view: ApisPage },
  { id: 'upstreams', title: 'Upstreams', view: UpstreamsPage },
  { id: 'keys', title: 'Keys & plans', view: KeysPage },
  { id: 'metrics', title: 'Metrics', view: MetricsPage },
  { id: 'deployments', title: 'Deployments', view: DeploymentsPage },
] as const;

const pageOfHash = () => {
  const id = location.hash.replace(/^#\/?/, '');
  return PAGES.find((p) => p.id === id) ?? PAGES[0];
};

function Login({ onIn, note }: { onIn: () => void; note: string | undefined }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(note);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (await tokenWorks(token.trim())) {
        saveToken(token.trim());
        onIn();
      } else setError('The admin API did not accept that token.');
    } catch (err) {
      setError(`Could not reach the admin API: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="login">
    <h1>Portico dashboard</h1>
    <p class="muted">
      Sign in with the admin token (<code>admin.token</code>, or <code>portico-data/admin.token</code> beside the
      config). It is kept in this tab only.
    </p>
    <form onSubmit=${submit}>
      <input
        id="token"
        type="password"
        autocomplete="current-password"
        placeholder="Admin token"
        value=${token}
        onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)}
      />
      <button class="primary" type="submit" disabled=${busy || !token.trim()}>Sign in</button>
      ${error && html`<div class="error" role="alert" id="login-error">${error}</div>`}
    </form>
  </div>`;
}

function App() {
  const [signedIn, setSignedIn] = useState(Boolean(savedToken()));
  const [note, setNote] = useState<string | undefined>(undefined);
  const [page, setPage] = useState(pageOfHash());
  useEffect(() => {
    const onHash = () => setPage(pageOfHash());
    addEventListener('hashchange', onHash);
    whenUnauthorized(() => {
      forgetToken();
      setNote('The token is no longer accepted; sign in again.');
      setSignedIn(false);
    });
    return () => removeEventListener('hashchange', onHash);
  }, []);
  if (!signedIn) return html`<${Login} note=${note} onIn=${() => setSignedIn(true)} />`;
  const View = page.view;
  return html`<header>
      <h1>Portico</h1>
      <nav>
        ${PAGES.map(
          (p) => html`<a href=${`#/${p.id}`} id=${`nav-${p.id}`} class=${p === page ? 'active' : ''}>${p.title}</a>`,
        )}
      </nav>
      <span class="spacer"></span>
      <button
        id="sign-out"
        onClick=${() => {
          forgetToken();
          setNote(undefined);
          setSignedIn(false);
        }}
      >
        Sign out
      </button>
    </header>
    <main id=${`page-${page.id}`}><${View} /></main>`;
}

render(html`<${App} />`, document.getElementById('app')!);
