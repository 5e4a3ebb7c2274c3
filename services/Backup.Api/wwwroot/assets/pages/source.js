// A source: its history as charts over 7/30/90 days, the calendar of outcomes, its schedule and (admin) retention.
import { h, replace } from '../dom.js';
import { get, ApiError } from '../api.js';
import { can } from '../session.js';
import { localDate } from '../format.js';
import { drawChart } from '../charts.js';
import { time, badge, alertOf, startPage, pageDrawn } from '../ui.js';
import { backupNowButton } from '../actions.js';
import { scheduleBox } from './schedule.js';
import { retentionBox } from './retention.js';

const RANGES = [7, 30, 90];
const CHART_MIN_COLUMN_PX = 480;
const CHART_GAP_PX = 16;
const OUTCOME_TEXT = { success: 'backed up', failure: 'failed', missed: 'missed schedule', none: 'nothing scheduled' };

function calendar(history) {
  return h('figure', { class: 'calendar-box' },
    h('figcaption', {}, 'Outcome per day'),
    h('ol', { 'data-testid': 'calendar', class: 'calendar' }, history.days.map(day => {
      const text = `${day.date}: ${OUTCOME_TEXT[day.outcome] ?? day.outcome}${day.runs > 0 ? ` (${day.runs} ${day.runs === 1 ? 'run' : 'runs'})` : ''}`;
      return h('li', { 'data-date': day.date, 'data-outcome': day.outcome, class: `day outcome-${day.outcome}`, title: text },
        h('span', { class: 'visually-hidden' }, text));
    })),
    h('ul', { class: 'legend' }, Object.entries(OUTCOME_TEXT).map(([outcome, text]) => h('li', { class: `outcome-${outcome}` }, text))));
}

function outliers(history) {
  const flagged = history.runs.flatMap(run => (run.outliers ?? []).map(o => ({ run, o })));
  if (flagged.length === 0) return h('p', { class: 'muted' }, 'Nothing stands out in this range.');
  return h('ul', { 'data-testid': 'outliers', class: 'outliers' }, flagged.map(({ run, o }) =>
    h('li', { 'data-run-id': run.runId, 'data-metric': o.metric },
      h('a', { href: `/runs/${run.runId}` }, time(run.completedAt ?? run.startedAt ?? run.requestedAt)), ': ', o.text)));
}

function rangePicker(selected, onPick) {
  return h('div', { class: 'range-picker', role: 'group', 'aria-label': 'Range' }, RANGES.map(days =>
    h('button', { type: 'button', class: 'button secondary', 'data-range': String(days), 'aria-pressed': String(days === selected),
      onClick: () => onPick(days) }, `${days} days`)));
}

/** A chart's width on screen: the panel's, or half of it when two charts fit side by side (as the CSS grid puts them). */
function chartWidth(panel) {
  const available = panel.clientWidth || 640;
  const columns = available >= 2 * CHART_MIN_COLUMN_PX + CHART_GAP_PX ? 2 : 1;
  return Math.max(280, (available - (columns - 1) * CHART_GAP_PX) / columns);
}

function historyView(history, width) {
  const zone = history.timeZone;
  const range = { from: history.from, to: history.to, timeZone: zone, width };
  return [
    h('p', { class: 'muted' }, `From ${localDate(history.from, zone)} to ${localDate(history.to, zone)} (${zone}), ${history.runs.length} ${history.runs.length === 1 ? 'run' : 'runs'}.`),
    calendar(history),
    h('div', { class: 'charts' }, ['size', 'duration', 'recovery'].map(name => drawChart(name, history.runs, range))),
    h('h3', {}, 'Points that stand out'), outliers(history),
  ];
}

export async function renderSource(context) {
  const { main, signal, params: [name], session } = context;
  startPage(main, 'source', name);
  const requested = Number(context.query.get('days'));
  let days = RANGES.includes(requested) ? requested : 30;
  const sources = await get('/api/v1/sources', { signal });
  const source = sources.find(s => s.source === name);
  if (!source) throw new ApiError(404, { detail: `No source named '${name}' is configured.` });

  const alerts = h('div', { class: 'alerts' });
  const historyPanel = h('div', { class: 'history' });
  const pickerSlot = h('div');
  const showHistory = async () => {
    main.setAttribute('aria-busy', 'true');
    replace(pickerSlot, rangePicker(days, pick));
    try {
      const answer = await get(`/api/v1/sources/${encodeURIComponent(name)}/history?days=${days}`, { signal });
      replace(historyPanel, historyView(answer, chartWidth(historyPanel)));
    } catch (error) {
      if (signal.aborted) return;
      replace(historyPanel, alertOf(error));
    }
    pageDrawn(main);
  };
  function pick(range) {
    days = range;
    history.replaceState(null, '', `${location.pathname}?days=${range}`);
    showHistory();
  }

  const admin = can(session, 'admin');
  const actions = h('div', { class: 'page-actions' },
    can(session, 'operator') ? backupNowButton(name, { navigate: context.navigate, onError: e => replace(alerts, alertOf(e)) }) : null,
    admin ? h('button', { type: 'button', class: 'button secondary', 'data-action': 'edit-schedule', 'data-source': name,
      onClick: () => { const cron = document.getElementById('schedule-cron'); cron.scrollIntoView({ block: 'center' }); cron.focus(); } },
    'Edit schedule') : null);
  replace(main,
    h('p', { class: 'crumbs' }, h('a', { href: '/' }, 'Overview'), ' / ', name),
    h('h1', {}, name, ' ', source.enabled ? null : badge('disabled')),
    actions, alerts,
    h('section', { class: 'panel', 'aria-labelledby': 'history-title' },
      h('h2', { id: 'history-title' }, 'History'), pickerSlot, historyPanel),
    scheduleBox(source, admin),
    admin ? retentionBox(name) : null,
    h('p', {}, h('a', { href: `/runs?source=${encodeURIComponent(name)}` }, `All runs of ${name}`)));
  await showHistory();
}
