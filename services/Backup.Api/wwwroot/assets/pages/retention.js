// The retention dry run of one source (admin): what a sweep now would delete and what it keeps, and why.
import { h, replace } from '../dom.js';
import { get } from '../api.js';
import { time, alertOf, cell, facts } from '../ui.js';

function candidates(caption, list, testId) {
  if (list.length === 0) return h('p', { 'data-testid': testId, class: 'muted' }, `${caption}: none.`);
  return h('table', { 'data-testid': testId, class: 'responsive' }, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ['Backup', 'Rule', 'Why', 'Verification'].map(t => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, list.map(c => h('tr', { 'data-run-id': c.runId, 'data-code': c.code },
      cell('Backup', h('a', { href: `/runs/${c.runId}` }, time(c.completedAt))),
      cell('Rule', c.code), cell('Why', c.reason), cell('Verification', c.verification ?? '–')))));
}

function plan(preview, sourceName) {
  const source = preview.sources.find(s => s.source === sourceName);
  if (!source) return h('p', {}, 'Retention has nothing of this source to decide on: it has no stored backup.');
  const r = source.rules;
  return [
    facts([
      ['Rules', `keep the last ${r.keepLast}, ${r.keepDaily} daily, ${r.keepWeekly} weekly, ${r.keepMonthly} monthly; at most ${r.maxAge} (d.hh:mm:ss) old`],
      ['Restore drills', source.drillsOn ? 'on: only verified backups count for the floor' : 'off'],
      ['As of', time(preview.now)],
    ]),
    candidates('Would delete', source.wouldDelete, 'retention-delete'),
    candidates('Kept', source.kept, 'retention-kept'),
  ];
}

/** A button that loads the dry run into a panel below it. */
export function retentionBox(sourceName) {
  const result = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'button secondary', 'data-action': 'retention-preview' }, 'Show retention dry run');
  button.addEventListener('click', async () => {
    button.disabled = true;
    replace(result, h('p', { class: 'muted' }, 'Asking the catalog…'));
    try {
      replace(result, plan(await get('/api/v1/retention/preview'), sourceName));
    } catch (error) {
      replace(result, alertOf(error));
    } finally {
      button.disabled = false;
    }
  });
  return h('section', { class: 'panel', id: 'retention', 'aria-labelledby': 'retention-title' },
    h('h2', { id: 'retention-title' }, 'Retention'),
    h('p', {}, 'What a retention sweep now would delete and keep, and why. Nothing is deleted.'), button, result);
}
