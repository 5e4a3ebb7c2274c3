// Small pieces every page uses: times, state badges, alerts, page state.
import { h } from './dom.js';
import { localTime, utcText } from './format.js';

/** <time datetime="ISO" title="UTC ...">local time</time>, or a dash when there is no time. */
export function time(iso, timeZone) {
  if (!iso) return h('span', { class: 'muted' }, '–');
  return h('time', { datetime: iso, title: utcText(iso) }, localTime(iso, timeZone));
}

/** A state as a badge: its text, and a class per state for the colour (never the colour alone). */
export function badge(state, attrs = {}) {
  const text = String(state ?? 'unknown');
  return h('span', { class: `badge state-${text.toLowerCase()}`, ...attrs }, text);
}

/** An error from the API (or any), for people: the problem's detail or title, in an alert. */
export function alertOf(error) {
  return h('div', { role: 'alert', class: 'alert' }, error?.message || 'Something went wrong.');
}

/** A page starts loading: its name on <main>, busy until drawn. */
export function startPage(main, page, title) {
  main.dataset.page = page;
  main.setAttribute('aria-busy', 'true');
  document.title = `${title} · Backup`;
}

/** The page's data is drawn. */
export function pageDrawn(main) {
  main.setAttribute('aria-busy', 'false');
}

/** A definition list from [term, description] pairs, skipping pairs without a description. */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, value]) => value !== null && value !== undefined)
    .map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

/** A table cell with the column's name for the stacked (narrow screen) layout. */
export function cell(label, ...children) {
  return h('td', { 'data-label': label }, ...children);
}
