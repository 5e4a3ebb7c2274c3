// Overview: every source's health at a glance, problems first, with a summary line on top.
import { h, replace } from '../dom.js';
import { get } from '../api.js';
import { can } from '../session.js';
import { bytes, age, change, duration } from '../format.js';
import { time, badge, alertOf, startPage, pageDrawn, cell } from '../ui.js';
import { backupNowButton } from '../actions.js';

const COUNTS = [
  ['healthy', 'healthy'], ['failing', 'failing'], ['stale', 'stale'], ['unverified', 'unverified'],
];

function summary(s) {
  return h('section', { 'data-testid': 'summary', class: 'summary', 'aria-label': 'Summary' },
    h('p', { class: 'summary-line' },
      h('strong', {}, `${s.sources} ${s.sources === 1 ? 'source' : 'sources'}: `),
      COUNTS.map(([key, label], index) => [
        index > 0 ? ', ' : '',
        h('span', { class: `count count-${key}` }, h('span', { 'data-testid': `summary-${key}` }, String(s[key])), ` ${label}`),
      ]),
      s.disabled > 0 ? `, ${s.disabled} disabled` : '', '.'),
    h('p', { class: 'summary-line' },
      `Backups in the last 24 h: ${s.backupsLast24h}`,
      s.failuresLast24h > 0 ? h('span', { class: 'count-failing' }, ` (${s.failuresLast24h} failed)`) : '',
      `. Storage used: ${bytes(s.storedBytes)}.`));
}

/** The newest finished run when it failed: a link to it, with its error code. */
function lastFailure(run) {
  if (!run || (run.state !== 'Failed' && run.state !== 'TimedOut')) return null;
  return h('p', { class: 'reason' }, h('a', { href: `/runs/${run.runId}` }, `Last run ${run.state}`),
    run.failureCode ? ` (${run.failureCode})` : '', ' ', time(run.at), '.');
}

function lastBackup(backup) {
  if (!backup) return h('span', { class: 'muted' }, 'none yet');
  return [h('a', { href: `/runs/${backup.runId}` }, time(backup.completedAt)), h('br'),
    h('span', { class: 'muted' }, age(backup.ageSeconds))];
}

function lastVerified(verified) {
  if (!verified) return h('span', { class: 'muted' }, 'none');
  const target = verified.rtoTargetSeconds;
  const recovery = verified.recoverySeconds === null || verified.recoverySeconds === undefined ? null
    : h('span', { class: verified.overTarget ? 'over-target' : 'within-target' },
      `recovery ${duration(verified.recoverySeconds)}`,
      target ? ` of ${duration(target)} target${verified.overTarget ? ' — over target' : ''}` : '');
  return [h('a', { href: `/runs/${verified.runId}` }, time(verified.completedAt)), recovery ? [h('br'), recovery] : null];
}

function size(backup) {
  if (!backup) return h('span', { class: 'muted' }, '–');
  const delta = change(backup.sizeChange);
  return [bytes(backup.sizeBytes), delta ? [' ', h('span', { class: 'change', title: 'Against the previous good backup' }, delta)] : null];
}

function row(source, context, showError) {
  const actions = can(context.session, 'operator')
    ? backupNowButton(source.source, { navigate: context.navigate, onError: showError })
    : null;
  return h('tr', { 'data-testid': 'source-row', 'data-source': source.source, 'data-state': source.state },
    h('th', { scope: 'row', 'data-label': 'Source' }, h('a', { href: `/sources/${encodeURIComponent(source.source)}` }, source.source),
      source.runningRunId ? [h('br'), h('a', { href: `/runs/${source.runningRunId}`, class: 'running' }, 'backing up now…')] : null),
    cell('State', badge(source.state), h('p', { class: 'reason' }, source.reason), lastFailure(source.lastRun)),
    cell('Last backup', lastBackup(source.lastBackup)),
    cell('Last verified', lastVerified(source.lastVerified)),
    cell('Next run', source.enabled ? time(source.nextRunAt, undefined) : h('span', { class: 'muted' }, 'disabled'),
      h('br'), h('span', { class: 'muted cron' }, `${source.cron} (${source.timeZone})`)),
    cell('Size', size(source.lastBackup)),
    actions ? cell('Actions', actions) : null);
}

export async function renderOverview(context) {
  const { main, signal } = context;
  startPage(main, 'overview', 'Overview');
  const alerts = h('div', { class: 'alerts' });
  const showError = error => replace(alerts, alertOf(error));
  const overview = await get('/api/v1/overview', { signal });
  const operator = can(context.session, 'operator');
  const content = overview.sources.length === 0
    ? h('section', { class: 'empty-state' },
      h('h2', {}, 'No sources yet'),
      h('p', {}, 'No database is configured for backup. Add a source (Sources:<name> with its host, database and schedule) ' +
        'to the services\' configuration, as docs/configuration.md describes; the scheduler lists it here once it has started with it.'))
    : h('table', { class: 'sources responsive' },
      h('caption', { class: 'visually-hidden' }, 'Sources, problems first'),
      h('thead', {}, h('tr', {}, ['Source', 'State', 'Last backup', 'Last verified', 'Next run', 'Size', operator ? 'Actions' : null]
        .filter(Boolean).map(name => h('th', { scope: 'col' }, name)))),
      h('tbody', {}, overview.sources.map(source => row(source, context, showError))));
  replace(main,
    h('h1', {}, 'Overview'),
    summary(overview.summary), alerts, content,
    h('p', { class: 'muted generated' }, 'As of ', time(overview.generatedAt), '.'));
  pageDrawn(main);
}
