// One run: state, data warnings, timeline, manifest, verification, deliveries, deletion; actions by role; live until final.
import { h, replace } from '../dom.js';
import { get, request, ApiError } from '../api.js';
import { can } from '../session.js';
import { bytes, duration } from '../format.js';
import { time, badge, alertOf, startPage, pageDrawn, facts, cell } from '../ui.js';
import { pollUntilFinal } from '../poll.js';
import { backupFirstCheck } from '../hints.js';
import { openDialog } from '../dialogs.js';
import { openRestoreDialog } from './restore-dialog.js';

const FINAL_STATES = new Set(['Completed', 'Delivered', 'Failed', 'TimedOut', 'Expired']);
const WITH_ARTIFACT = new Set(['Completed', 'Delivered']);
const NOT_YET_PATIENCE_MS = 30000;
const AFTER_DELETE_POLLS = 8;

function failure(detail) {
  const run = detail.run;
  if (run.state !== 'Failed' && run.state !== 'TimedOut') return null;
  return h('section', { 'data-testid': 'failure', class: 'panel failure', role: 'alert' },
    h('h2', {}, 'Why it failed'),
    h('p', {}, run.failureCode ? h('strong', {}, `${run.failureCode}: `) : null, detail.failureReason ?? 'No reason was recorded.'),
    h('p', {}, h('strong', {}, 'First thing to check: '), backupFirstCheck(run.failureCode, run.source)));
}

const FINDINGS = { dropped: 'rows dropped', emptied: 'emptied', disappeared: 'disappeared' };

// What the catalog found suspicious in the backup's row counts: a warning beside the state, never a failure.
function dataWarnings(detail) {
  const warnings = detail.run.dataWarnings ?? [];
  if (!warnings.length) return null;
  return h('section', { 'data-testid': 'data-warnings', class: 'panel warning', role: 'status', 'aria-labelledby': 'data-warnings-title' },
    h('h2', { id: 'data-warnings-title' }, 'Data warnings'),
    h('p', {}, 'This backup holds much less data than the ones before it. The backup itself is complete and kept. ',
      h('strong', {}, 'First thing to check: '), 'was this table emptied on purpose?'),
    h('table', { class: 'responsive' }, h('caption', {}, 'Rows in the previous backup and in this one'),
      h('thead', {}, h('tr', {}, ['Table', 'Finding', 'Before', 'Now'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, warnings.map(w => h('tr', { 'data-table': `${w.schema}.${w.table}`, 'data-finding': w.finding },
        cell('Table', `${w.schema}.${w.table}`), cell('Finding', FINDINGS[w.finding] ?? w.finding),
        cell('Before', w.previousRows.toLocaleString()), cell('Now', w.rows === null ? '—' : w.rows.toLocaleString()))))));
}

function timeline(detail) {
  return h('section', { class: 'panel', 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, 'Timeline'),
    h('ol', { 'data-testid': 'timeline', class: 'timeline' }, detail.timeline.map(t => h('li', { 'data-to': t.to },
      time(t.at), ' ', t.from ? `${t.from} → ` : '', h('strong', {}, t.to), h('span', { class: 'muted' }, ` (${t.event})`),
      t.detail ? h('p', { class: 'detail' }, t.detail) : null))));
}

function manifest(detail) {
  const m = detail.manifest;
  const body = !m ? h('p', { class: 'muted' }, 'No manifest: the run has stored no artifact (yet, or any more).') : [
    facts([
      ['Database', `${m.database} (PostgreSQL ${m.serverVersion}, pg_dump ${m.pgDumpVersion})`],
      ['Format', m.format],
      ['Stored', bytes(m.storedSizeBytes)], ['Raw', bytes(m.rawSizeBytes)],
      ['SHA-256', h('code', { class: 'mono wrap' }, m.sha256)],
      ['Encryption', m.encryption ? `${m.encryption.method}: ${m.encryption.recipients.join(', ')}` : 'none'],
      ['Schema only', m.schemaOnlyTables?.length ? m.schemaOnlyTables.join(', ') : null],
    ]),
    m.warnings?.length ? h('ul', { class: 'warnings' }, m.warnings.map(w => h('li', {}, w))) : null,
    h('table', { 'data-testid': 'manifest', class: 'responsive' }, h('caption', {}, `${m.tables.length} tables`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Table'), h('th', { scope: 'col', class: 'number' }, 'Rows'))),
      h('tbody', {}, m.tables.map(t => h('tr', { 'data-table': `${t.schema}.${t.name}`, 'data-rows': String(t.rows) },
        cell('Table', `${t.schema}.${t.name}`), h('td', { 'data-label': 'Rows', class: 'number' }, t.rows.toLocaleString()))))),
  ];
  return h('section', { class: 'panel', 'aria-labelledby': 'manifest-title' }, h('h2', { id: 'manifest-title' }, 'Manifest'), body);
}

function verification(detail) {
  const v = detail.verification;
  const body = !v ? h('p', { class: 'muted' }, 'No restore drill has looked at this backup.') : [
    h('p', {}, badge(v.state)),
    facts([
      ['Drilled', v.finishedAt ? time(v.finishedAt) : null],
      ['Recovery time', v.recoverySeconds === null || v.recoverySeconds === undefined ? null
        : `${duration(v.recoverySeconds)}${v.rtoTargetSeconds ? ` of a ${duration(v.rtoTargetSeconds)} target${v.overTarget ? ' — over target' : ''}` : ''}`],
      ['Error', v.errorCode ? `${v.errorCode}: ${v.reason ?? ''}` : null],
    ]),
    v.failures?.length ? h('ul', { class: 'failures' }, v.failures.map(f => h('li', {}, f))) : null,
    v.tables?.length ? h('table', { class: 'responsive' }, h('caption', {}, 'Rows restored by the drill'),
      h('thead', {}, h('tr', {}, ['Table', 'Expected', 'Restored'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, v.tables.map(t => h('tr', { 'data-table': `${t.schema}.${t.name}` }, cell('Table', `${t.schema}.${t.name}`),
        cell('Expected', t.expectedRows.toLocaleString()), cell('Restored', t.restoredRows.toLocaleString()))))) : null,
    v.steps?.length ? h('p', { class: 'steps' }, 'Steps: ', v.steps.map(s => `${s.name} ${duration(s.seconds)}`).join(', '), '.') : null,
    v.checks?.length ? h('ul', { class: 'checks' }, v.checks.map(c => h('li', {}, `${c.passed ? '✓' : '✗'} ${c.name}${c.detail ? `: ${c.detail}` : ''}`))) : null,
  ];
  return h('section', { 'data-testid': 'verification', class: 'panel', 'aria-labelledby': 'verification-title' },
    h('h2', { id: 'verification-title' }, 'Verification'), body);
}

function deliveries(detail) {
  const text = detail.deliveredAt ? ['Delivered ', time(detail.deliveredAt), '.']
    : detail.deliveryError ? ['Delivery failed: ', detail.deliveryError]
      : ['Not delivered: no delivery is recorded for this run.'];
  return h('section', { 'data-testid': 'deliveries', class: 'panel', 'aria-labelledby': 'deliveries-title' },
    h('h2', { id: 'deliveries-title' }, 'Deliveries'), h('p', {}, text));
}

function deletion(detail) {
  const d = detail.deletion;
  const body = d ? facts([
    ['Decided', [time(d.requestedAt), ` by ${d.requestedBy}`]],
    ['Why', d.reason.startsWith(`${d.reasonCode}:`) ? d.reason : `${d.reasonCode}: ${d.reason}`],
    ['Deleted', d.deletedAt ? time(d.deletedAt) : `pending (${d.attempts} ${d.attempts === 1 ? 'attempt' : 'attempts'})`],
    ['Last error', d.lastError],
  ]) : detail.expiredAt ? facts([['Expired', time(detail.expiredAt)], ['Why', detail.expiryReason]])
    : h('p', {}, 'The artifact has not been deleted.');
  return h('section', { 'data-testid': 'deletion', class: 'panel', 'aria-labelledby': 'deletion-title' },
    h('h2', { id: 'deletion-title' }, 'Deletion'), body);
}

/** Deleting the artifact (admin): a confirmation; for the newest good backup the API's 409 asks for an explicit force. */
function confirmDelete(run, onDeleted) {
  openDialog({ 'data-testid': 'delete-dialog', 'aria-labelledby': 'delete-title' }, close => {
    const feedback = h('div', { 'aria-live': 'assertive' });
    const buttons = h('div', { class: 'buttons' });
    const attempt = async force => {
      for (const b of buttons.querySelectorAll('button')) b.disabled = true;
      try {
        await request(`/api/v1/runs/${run.runId}/artifact${force ? '?force=true' : ''}`, { method: 'DELETE' });
        close();
        onDeleted();
      } catch (error) {
        for (const b of buttons.querySelectorAll('button')) b.disabled = false;
        const newestGood = error instanceof ApiError && error.status === 409 && error.message.includes('force=true');
        replace(feedback, h('p', { role: 'alert', class: 'alert' }, error.message));
        if (newestGood && !force) {
          replace(buttons,
            h('button', { type: 'button', class: 'button danger', 'data-action': 'force-delete', onClick: () => attempt(true) },
              'Delete the newest good backup anyway'),
            h('button', { type: 'button', class: 'button secondary', 'data-action': 'cancel', onClick: close }, 'Keep it'));
          buttons.querySelector('[data-action=cancel]').focus();
        }
      }
    };
    replace(buttons,
      h('button', { type: 'button', class: 'button danger', 'data-action': 'confirm-delete', onClick: () => attempt(false) }, 'Delete artifact'),
      h('button', { type: 'button', class: 'button secondary', 'data-action': 'cancel', onClick: close }, 'Cancel'));
    return [h('h2', { id: 'delete-title' }, 'Delete this artifact?'),
      h('p', {}, `The artifact and manifest of run ${run.runId} (${run.source}) are deleted from the store; the run becomes Expired. This cannot be undone.`),
      feedback, buttons];
  });
}

function actions(detail, context, reload) {
  const run = detail.run;
  if (!WITH_ARTIFACT.has(run.state)) return null;
  const { session, navigate } = context;
  const operator = can(session, 'operator');
  const admin = can(session, 'admin');
  if (!operator && !admin) return null;
  return h('div', { class: 'page-actions' },
    operator ? h('a', { class: 'button secondary', href: `/api/v1/runs/${run.runId}/artifact`, download: '', 'data-action': 'download', 'data-run-id': run.runId }, 'Download') : null,
    operator ? h('button', { type: 'button', class: 'button', 'data-action': 'restore', 'data-run-id': run.runId,
      onClick: () => openRestoreDialog(run, navigate) }, 'Restore…') : null,
    admin ? h('button', { type: 'button', class: 'button danger', 'data-action': 'delete-artifact', 'data-run-id': run.runId,
      onClick: () => confirmDelete(run, reload) }, 'Delete artifact…') : null);
}

function view(detail, context, reload) {
  const run = detail.run;
  return [
    h('p', { class: 'crumbs' }, h('a', { href: '/runs' }, 'Runs'), ' / ', h('a', { href: `/sources/${encodeURIComponent(run.source)}` }, run.source)),
    h('h1', {}, 'Run ', h('span', { class: 'mono' }, run.runId)),
    h('p', { class: 'run-state' }, badge(run.state, { 'data-testid': 'run-state', 'data-state': run.state }),
      FINAL_STATES.has(run.state) ? null : h('span', { class: 'muted live' }, ' following it live…')),
    actions(detail, context, reload),
    facts([
      ['Source', run.source],
      ['Requested', run.requestedAt ? [time(run.requestedAt), run.requestedBy ? ` by ${run.requestedBy}` : ''] : null],
      ['Started', run.startedAt ? time(run.startedAt) : null],
      ['Completed', run.completedAt ? time(run.completedAt) : null],
      ['Failed', run.failedAt ? time(run.failedAt) : null],
      ['Attempts', String(detail.attempts)],
      ['Size', run.sizeBytes === null || run.sizeBytes === undefined ? null : bytes(run.sizeBytes)],
      ['Artifact', run.artifactKey ? h('code', { class: 'mono wrap' }, run.artifactKey) : null],
    ]),
    failure(detail), dataWarnings(detail), timeline(detail), manifest(detail), verification(detail), deliveries(detail), deletion(detail),
  ];
}

export async function renderRun(context) {
  const { main, signal, params: [runId] } = context;
  startPage(main, 'run', `Run ${runId.slice(0, 8)}`);
  const content = h('div');
  const status = h('div', { 'aria-live': 'polite' });
  replace(main, status, content);
  const since = Date.now();
  let shown = null;
  let state = null;
  const load = async () => {
    let detail;
    try {
      detail = await get(`/api/v1/runs/${runId}`, { signal });
    } catch (error) {
      // A run just requested appears once the catalog has its BackupRequested: wait for it, then say so.
      if (error instanceof ApiError && error.status === 404 && Date.now() - since < NOT_YET_PATIENCE_MS) {
        replace(status, h('p', { class: 'muted' }, 'Waiting for the catalog to record this run…'));
        return false;
      }
      replace(status, alertOf(error));
      pageDrawn(main);
      return error instanceof ApiError && error.status !== 404 && error.status < 500 && error.status !== 429;
    }
    replace(status);
    const json = JSON.stringify(detail);
    if (json !== shown) {
      shown = json;
      replace(content, view(detail, context, afterDelete));
    }
    pageDrawn(main);
    state = detail.run.state;
    return FINAL_STATES.has(state);
  };
  // After a deletion the catalog marks the run Expired through its outbox: follow it there (a few polls at most).
  const afterDelete = () => {
    let polls = 0;
    return pollUntilFinal(async () => { await load(); polls += 1; return state === 'Expired' || polls >= AFTER_DELETE_POLLS; }, signal);
  };
  await pollUntilFinal(load, signal);
}
