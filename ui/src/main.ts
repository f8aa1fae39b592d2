/**
 * The dashboard's entry: navigation, the API key prompt, and the router that renders one page
 * into <main>. Bundled by esbuild (scripts/build-ui.mjs) into dist/ui/main.js and main.css.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { h } from './dom.js';
import { ApiUnreachable, apiElsewhere, apiKey, apiOrigin, loadConfig, setApiKey } from './api.js';
import { match, parseHash } from './router.js';
import { PAGES } from './pages/index.js';

const app = document.getElementById('app')!;
let leave: AbortController | null = null;

function renderNav(): void {
  const nav = document.getElementById('nav')!;
  nav.replaceChildren(
    ...PAGES.filter((p) => p.nav).map((p) =>
      h('li', {}, h('a', { href: `#${p.nav!.path}`, 'data-nav': p.nav!.path, text: p.nav!.label })),
    ),
  );
  const state = document.getElementById('key-state')!;
  state.replaceChildren();
  if (apiElsewhere()) state.append(h('span', { id: 'api-base', text: `API ${apiOrigin()}` }), ' · ');
  if (apiKey())
    state.append(
      'API key set · ',
      h('button', { type: 'button', class: 'link', onclick: () => (setApiKey(null), keyPrompt()), text: 'Forget key' }),
    );
}

/** Ask for the API key (shown when the API answers 401). */
function keyPrompt(message = 'This service needs an API key.'): void {
  leave?.abort();
  renderNav();
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true });
  const form = h(
    'form',
    {
      class: 'panel',
      onsubmit: (e: Event) => {
        e.preventDefault();
        setApiKey(input.value.trim());
        route();
      },
    },
    h('h1', { text: 'API key' }),
    h('p', { text: `${message} It is kept in this tab only (sessionStorage) and sent as a bearer token.` }),
    h('label', { for: 'api-key', text: 'Key' }),
    ' ',
    input,
    ' ',
    h('button', { type: 'submit', text: 'Use key' }),
  );
  app.replaceChildren(form);
  document.title = 'API key · Descent';
  input.focus();
}

window.addEventListener('descent:unauthorized', () =>
  keyPrompt(apiKey() ? 'The key was refused; enter another.' : 'This service needs an API key.'),
);

async function route(): Promise<void> {
  leave?.abort();
  const controller = (leave = new AbortController());
  renderNav();
  const { path, query } = parseHash(location.hash);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('[data-nav]'))
    if (a.dataset.nav === path) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  const found = match(PAGES, path);
  app.replaceChildren();
  if (!found) {
    app.append(h('h1', { text: 'Not found' }), h('p', { text: `No page at ${path}.` }));
    return;
  }
  document.title = `${found.page.title} · Descent`;
  try {
    await found.page.render(app, { params: found.params, query, signal: controller.signal });
  } catch (err) {
    if (controller.signal.aborted) return;
    const e = err as { status?: number; message: string };
    if (e.status === 401) return; // the key prompt took over
    app.append(
      h(
        'div',
        { role: 'alert', class: 'error', 'data-error': e instanceof ApiUnreachable ? 'unreachable' : String(e.status ?? '') },
        e.status === 404 ? 'Not found: ' : 'Error: ',
        e.message,
      ),
    );
  }
}

window.addEventListener('hashchange', () => void route());
// Where the API is comes first: every page calls it.
void loadConfig().then(route);
