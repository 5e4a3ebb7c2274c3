// The dashboard: loads the session, draws the header, and routes paths to pages (History API, no reloads).
import { h, replace } from './dom.js';
import { get, useCsrfToken } from './api.js';
import { alertOf } from './ui.js';
import { renderOverview } from './pages/overview.js';
import { renderSource } from './pages/source.js';
import { renderRuns } from './pages/runs.js';
import { renderRun } from './pages/run.js';
import { renderRestore } from './pages/restore.js';

const ROUTES = [
  { pattern: /^\/$/, render: renderOverview },
  { pattern: /^\/sources\/([^/]+)$/, render: renderSource },
  { pattern: /^\/runs$/, render: renderRuns },
  { pattern: /^\/runs\/([0-9a-fA-F-]{36})$/, render: renderRun },
  { pattern: /^\/restores\/([0-9a-fA-F-]{36})$/, render: renderRestore },
];

const main = document.getElementById('main');
let session = null;
let leave = null;
let routed = null;

/** Goes to a path of the dashboard without reloading; replace keeps the history entry (filters, ranges). */
function navigate(path, { replace: replaceEntry = false } = {}) {
  if (replaceEntry) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route({ focus: !replaceEntry });
}

function route({ focus = false } = {}) {
  routed = `${location.pathname}${location.search}`;
  leave?.abort();
  leave = new AbortController();
  const path = location.pathname.length > 1 ? location.pathname.replace(/\/+$/, '') : '/';
  const match = ROUTES.map(r => ({ r, m: r.pattern.exec(path) })).find(x => x.m);
  for (const link of document.querySelectorAll('.nav a')) {
    const current = link.getAttribute('href') === '/' ? path === '/' : path.startsWith(link.getAttribute('href'));
    if (current) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  replace(main);
  if (!match) {
    main.dataset.page = 'not-found';
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'There is no such page. ', h('a', { href: '/' }, 'Go to the overview.')));
    main.setAttribute('aria-busy', 'false');
    return;
  }
  const context = {
    main, session, navigate, signal: leave.signal,
    params: match.m.slice(1).map(decodeURIComponent),
    query: new URLSearchParams(location.search),
  };
  match.r.render(context).catch(error => {
    if (leave.signal.aborted) return;
    main.append(alertOf(error));
    main.setAttribute('aria-busy', 'false');
  });
  if (focus) main.focus({ preventScroll: false });
}

// Links inside the app move without reloading; downloads, the API, sign-out and new tabs are left to the browser.
document.addEventListener('click', event => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest?.('a[href]');
  if (!link || link.hasAttribute('download') || link.target) return;
  const url = new URL(link.href, location.href);
  if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
  if (url.origin !== location.origin || /^\/(api|signin|signout|dashboard)(\/|$)/.test(url.pathname)) return;
  event.preventDefault();
  navigate(`${url.pathname}${url.search}`);
});
// A fragment link (the skip link) changes only the hash: the page stays as it is.
window.addEventListener('popstate', () => { if (`${location.pathname}${location.search}` !== routed) route(); });

function header() {
  const roles = session.roles.length > 0 ? session.roles.join(', ') : 'no role';
  const signOut = h('form', { method: 'post', action: session.signOutPath || '/signout', class: 'signout' },
    h('input', { type: 'hidden', name: '__RequestVerificationToken', value: session.csrfToken }),
    h('button', { type: 'submit', class: 'button secondary' }, 'Sign out'));
  return [
    h('a', { href: '/', class: 'brand' }, 'Backup'),
    h('nav', { class: 'nav', 'aria-label': 'Main' },
      h('ul', {}, h('li', {}, h('a', { href: '/' }, 'Overview')), h('li', {}, h('a', { href: '/runs' }, 'Runs')))),
    h('div', { class: 'user' }, h('span', { class: 'user-name' }, session.name || session.subject),
      h('span', { class: 'user-roles' }, roles), signOut),
  ];
}

async function start() {
  try {
    session = await get('/dashboard/session');
  } catch (error) {
    main.setAttribute('aria-busy', 'false');
    replace(main, alertOf(error));
    return;
  }
  session.roles = Array.isArray(session.roles) ? session.roles : [];
  useCsrfToken(session.csrfToken);
  document.body.dataset.roles = session.roles.join(' ');
  replace(document.getElementById('top'), header());
  route();
}

start();
