// One restore: its state, its steps so far, and once finished each table's rows (or why it failed); live until finished.
import { h, replace } from '../dom.js';
import { get, ApiError } from '../api.js';
import { time, badge, alertOf, startPage, pageDrawn, facts, cell } from '../ui.js';
import { pollUntilFinal } from '../poll.js';
import { restoreFirstCheck } from '../hints.js';

const NOT_YET_PATIENCE_MS = 30000;

/** The page's state from the API's state (queued, running, finished) and outcome (completed, failed). */
export function restoreState(status) {
  if (status.state === 'queued') return 'Queued';
  if (status.state === 'running') return 'Running';
  return status.outcome === 'completed' ? 'Succeeded' : 'Failed';
}

function progress(state) {
  const steps = ['Queued', 'Running', 'Finished'];
  const reached = state === 'Queued' ? 0 : state === 'Running' ? 1 : 2;
  return h('ol', { class: 'progress', 'aria-label': 'Progress' }, steps.map((step, index) =>
    h('li', { class: index < reached ? 'done' : index === reached ? 'current' : 'todo', 'aria-current': index === reached ? 'step' : null }, step)));
}

function tables(report) {
  const list = report?.tables ?? [];
  if (list.length === 0) return null;
  return h('table', { 'data-testid': 'restore-tables', class: 'responsive' }, h('caption', {}, 'Rows per table: the manifest\'s and the restored database\'s'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Table'), h('th', { scope: 'col', class: 'number' }, 'Expected'),
      h('th', { scope: 'col', class: 'number' }, 'Restored'))),
    h('tbody', {}, list.map(t => h('tr', { 'data-table': `${t.schema}.${t.name}`, 'data-rows': String(t.restoredRows),
      class: t.restoredRows === t.expectedRows ? null : 'mismatch' },
    cell('Table', `${t.schema}.${t.name}`),
    h('td', { 'data-label': 'Expected', class: 'number' }, t.expectedRows.toLocaleString()),
    h('td', { 'data-label': 'Restored', class: 'number' }, t.restoredRows.toLocaleString())))));
}

function view(status) {
  const state = restoreState(status);
  const report = status.report ?? null;
  const failed = state === 'Failed';
  return [
    h('h1', {}, 'Restore ', h('span', { class: 'mono' }, status.restoreId)),
    h('p', {}, badge(state, { 'data-testid': 'restore-state', 'data-state': state }),
      status.state === 'finished' ? null : h('span', { class: 'muted live' }, ' following it live…')),
    progress(state),
    facts([
      ['Accepted', time(status.acceptedAt)],
      ['Finished', status.finishedAt ? time(status.finishedAt) : null],
      ['Attempts', String(status.attempts)],
      ['Source', report?.source ?? null],
      ['Run', status.runId ? h('a', { href: `/runs/${status.runId}`, class: 'mono', 'data-testid': 'restore-run' }, status.runId) : null],
      ['Target database', (report?.targetDatabase ?? status.targetDatabase) ? h('code', {}, report?.targetDatabase ?? status.targetDatabase) : null],
      ['Artifact', report?.artifactKey ? h('code', { class: 'mono wrap' }, report.artifactKey) : null],
    ]),
    failed ? h('section', { 'data-testid': 'failure', class: 'panel failure', role: 'alert' },
      h('h2', {}, 'Why it failed'),
      h('p', {}, status.errorCode ? h('strong', {}, `${status.errorCode}: `) : null, report?.reason ?? 'The restorer stopped without a report.'),
      h('p', {}, h('strong', {}, 'First thing to check: '), restoreFirstCheck(status.errorCode))) : null,
    tables(report),
  ];
}

export async function renderRestore(context) {
  const { main, signal, params: [restoreId] } = context;
  startPage(main, 'restore', `Restore ${restoreId.slice(0, 8)}`);
  const status = h('div', { 'aria-live': 'polite' });
  const content = h('div');
  replace(main, status, content);
  const since = Date.now();
  let shown = null;
  await pollUntilFinal(async () => {
    let answer;
    try {
      answer = await get(`/api/v1/restores/${restoreId}`, { signal });
    } catch (error) {
      // A restore just requested appears once the restorer has accepted it.
      if (error instanceof ApiError && error.status === 404 && Date.now() - since < NOT_YET_PATIENCE_MS) {
        replace(status, h('p', { class: 'muted' }, 'Waiting for the restorer to accept this restore…'));
        return false;
      }
      replace(status, alertOf(error));
      pageDrawn(main);
      return error instanceof ApiError && error.status !== 404 && error.status < 500 && error.status !== 429;
    }
    replace(status);
    const json = JSON.stringify(answer);
    if (json !== shown) {
      shown = json;
      replace(content, view(answer));
    }
    pageDrawn(main);
    return answer.state === 'finished';
  }, signal);
}
