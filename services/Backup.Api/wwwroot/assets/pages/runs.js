// Runs: a filtered, paged table; the filters live in the URL's query so a filtered view can be shared.
import { h, replace } from '../dom.js';
import { get, withQuery, ApiError } from '../api.js';
import { bytes, startOfLocalDate } from '../format.js';
import { time, badge, alertOf, startPage, pageDrawn, cell } from '../ui.js';

const STATES = ['Requested', 'Running', 'Completed', 'Delivered', 'Failed', 'TimedOut', 'Expired'];
const PAGE_SIZE = 25;
const DATE_TYPING_PAUSE_MS = 600;
// The control that changed the filters: focused again once the page is drawn anew.
let refocus = null;

function select(name, label, options, selected) {
  return h('div', { class: 'field' }, h('label', { for: `filter-${name}` }, label),
    h('select', { name, id: `filter-${name}` }, h('option', { value: '' }, 'All'),
      options.map(value => h('option', { value, selected: value === selected }, value))));
}

function dateInput(name, label, value) {
  return h('div', { class: 'field' }, h('label', { for: `filter-${name}` }, label),
    h('input', { type: 'date', name, id: `filter-${name}`, value: value ?? '' }));
}

function table(page) {
  if (page.items.length === 0) {
    return h('p', { class: 'empty-state' }, 'No runs match these filters. Clear a filter, or start a backup from the overview.');
  }
  return h('table', { class: 'runs responsive' },
    h('caption', { class: 'visually-hidden' }, 'Runs, newest first'),
    h('thead', {}, h('tr', {}, ['Run', 'Source', 'State', 'Requested', 'Completed', 'Size', 'Verification']
      .map(name => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, page.items.map(run => h('tr', { 'data-testid': 'run-row', 'data-run-id': run.runId, 'data-state': run.state },
      h('th', { scope: 'row', 'data-label': 'Run' }, h('a', { href: `/runs/${run.runId}`, class: 'mono' }, run.runId.slice(0, 8))),
      cell('Source', h('a', { href: `/sources/${encodeURIComponent(run.source)}` }, run.source)),
      cell('State', badge(run.state), run.failureCode ? h('span', { class: 'muted' }, ` ${run.failureCode}`) : null),
      cell('Requested', time(run.requestedAt ?? run.startedAt)),
      cell('Completed', time(run.completedAt ?? run.failedAt)),
      cell('Size', run.sizeBytes === null || run.sizeBytes === undefined ? '–' : bytes(run.sizeBytes)),
      cell('Verification', run.verification ? badge(run.verification.state) : h('span', { class: 'muted' }, '–'))))));
}

export async function renderRuns(context) {
  const { main, signal, query, navigate } = context;
  startPage(main, 'runs', 'Runs');
  const filters = {
    source: query.get('source') ?? '', state: query.get('state') ?? '',
    from: query.get('from') ?? '', to: query.get('to') ?? '',
  };
  const pageNumber = Math.max(1, Number(query.get('page')) || 1);
  const sources = await get('/api/v1/sources', { signal });
  // A refused filter (say from after to) is shown where the table would be, the filters still there to change.
  let page = null;
  let refused = null;
  try {
    page = await get(withQuery('/api/v1/runs', {
      source: filters.source, state: filters.state, page: pageNumber, pageSize: PAGE_SIZE,
      from: startOfLocalDate(filters.from), to: startOfLocalDate(filters.to, 1),
    }), { signal });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 400) throw error;
    refused = error;
  }

  const go = changes => navigate(withQuery('/runs', { ...filters, page: pageNumber, ...changes }));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter runs' },
    select('source', 'Source', sources.map(s => s.source), filters.source),
    select('state', 'State', STATES, filters.state),
    dateInput('from', 'From', filters.from),
    dateInput('to', 'To', filters.to));
  // A select applies at once; a date once typing pauses (a browser reports each typed digit of the year as a change).
  let typing = null;
  form.addEventListener('change', event => {
    const field = event.target;
    clearTimeout(typing);
    if (field.type === 'date' && field.value && !/^\d{4}-\d{2}-\d{2}$/.test(field.value)) return;
    const apply = () => { refocus = field.name; go({ [field.name]: field.value, page: 1 }); };
    if (field.type === 'date') typing = setTimeout(apply, DATE_TYPING_PAUSE_MS); else apply();
  });
  signal.addEventListener('abort', () => clearTimeout(typing));
  form.addEventListener('submit', event => event.preventDefault());

  if (refused) {
    replace(main, h('h1', {}, 'Runs'), form, alertOf(refused));
  } else {
    const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' },
      h('button', { type: 'button', class: 'button secondary', 'data-action': 'prev-page', disabled: pageNumber <= 1,
        onClick: () => go({ page: pageNumber - 1 }) }, '← Newer'),
      h('span', {}, `Page ${pageNumber} of ${pages} (${page.total} ${page.total === 1 ? 'run' : 'runs'})`),
      h('button', { type: 'button', class: 'button secondary', 'data-action': 'next-page', disabled: pageNumber >= pages,
        onClick: () => go({ page: pageNumber + 1 }) }, 'Older →'));
    replace(main, h('h1', {}, 'Runs'), form, table(page), pager);
  }
  if (refocus) form.elements.namedItem(refocus)?.focus();
  refocus = null;
  pageDrawn(main);
}
