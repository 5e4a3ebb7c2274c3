// The schedule box of a source page: the schedule as it is, and for admins the editor with live validation.
import { h, replace } from '../dom.js';
import { get, request, withQuery, ApiError } from '../api.js';
import { localTime, utcText } from '../format.js';
import { time, facts } from '../ui.js';

const PREVIEW_DELAY_MS = 300;

function zonesList() {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return h('datalist', { id: 'time-zones' }, ['UTC', ...zones.filter(z => z !== 'UTC')].map(zone => h('option', { value: zone })));
}

function scheduleFacts(source) {
  return facts([
    ['Cron', h('code', {}, source.cron)],
    ['Time zone', source.timeZone],
    ['Enabled', source.enabled ? 'yes' : 'no'],
    ['Next run', source.enabled && source.nextRunAt ? time(source.nextRunAt, source.timeZone) : null],
    ['Problem', source.scheduleProblem],
    ['Set by', source.origin],
  ]);
}

/** The editor: cron, time zone, enabled; previews the next five occurrences as you type; saves with PUT. */
function editor(source, onSaved) {
  const cron = h('input', { name: 'cron', id: 'schedule-cron', value: source.cron, required: true, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'schedule-feedback' });
  const zone = h('input', { name: 'timeZone', id: 'schedule-zone', value: source.timeZone, required: true, list: 'time-zones', autocomplete: 'off', 'aria-describedby': 'schedule-feedback' });
  const enabled = h('input', { name: 'enabled', id: 'schedule-enabled', type: 'checkbox', checked: source.enabled });
  const feedback = h('div', { id: 'schedule-feedback', 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', class: 'button', 'data-action': 'save-schedule' }, 'Save schedule');
  const form = h('form', { 'data-testid': 'schedule-form', class: 'schedule-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'schedule-cron' }, 'Cron'), cron,
      h('p', { class: 'hint' }, 'Five fields: minute, hour, day of month, month, day of week; for example 0 2 * * * (every day at 02:00).')),
    h('div', { class: 'field' }, h('label', { for: 'schedule-zone' }, 'Time zone'), zone, zonesList()),
    h('div', { class: 'field checkbox' }, enabled, h('label', { for: 'schedule-enabled' }, 'Enabled')),
    feedback, h('div', { class: 'buttons' }, save));

  let timer = null;
  let asked = 0;
  const showProblem = error => {
    const field = error instanceof ApiError && error.field === 'timeZone' ? zone : cron;
    for (const input of [cron, zone]) input.removeAttribute('aria-invalid');
    field.setAttribute('aria-invalid', 'true');
    replace(feedback, h('p', { 'data-testid': 'cron-error', role: 'alert', class: 'alert' }, error.message));
  };
  const preview = async () => {
    const mine = ++asked;
    try {
      const answer = await get(withQuery('/api/v1/schedules/preview', { cron: cron.value, timeZone: zone.value, count: 5 }));
      if (mine !== asked) return;
      for (const input of [cron, zone]) input.removeAttribute('aria-invalid');
      replace(feedback, h('p', {}, `Next five runs (${answer.timeZone}):`),
        h('ol', { 'data-testid': 'next-occurrences', class: 'occurrences' }, answer.next.map(at =>
          h('li', { 'data-at': at }, h('time', { datetime: at, title: utcText(at) }, localTime(at, answer.timeZone))))));
    } catch (error) {
      if (mine === asked) showProblem(error);
    }
  };
  const schedulePreview = () => { clearTimeout(timer); timer = setTimeout(preview, PREVIEW_DELAY_MS); };
  cron.addEventListener('input', schedulePreview);
  zone.addEventListener('input', schedulePreview);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    clearTimeout(timer);
    asked += 1;
    save.disabled = true;
    try {
      const saved = await request(`/api/v1/sources/${encodeURIComponent(source.source)}/schedule`, {
        method: 'PUT', body: { cron: cron.value, timeZone: zone.value, enabled: enabled.checked },
      });
      onSaved(saved);
      replace(feedback, h('p', { role: 'status', class: 'saved' }, 'Saved: the scheduler uses it from its next reload.'));
    } catch (error) {
      showProblem(error);
    } finally {
      save.disabled = false;
    }
  });
  preview();
  return form;
}

/** The schedule section; admins get the editor. */
export function scheduleBox(source, admin) {
  const current = h('div', {}, scheduleFacts(source));
  return h('section', { class: 'panel', id: 'schedule', 'aria-labelledby': 'schedule-title' },
    h('h2', { id: 'schedule-title' }, 'Schedule'), current,
    admin ? editor(source, saved => replace(current, scheduleFacts(saved))) : null);
}
