// The restore dialog of a run (operator): target name proposed, overwrite only with a second confirmation.
import { h, replace } from '../dom.js';
import { request } from '../api.js';
import { proposedTargetDatabase } from '../format.js';
import { alertOf } from '../ui.js';
import { openDialog } from '../dialogs.js';

const TARGET_SHAPE = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens the dialog for a run; on success goes to the restore's page. */
export function openRestoreDialog(run, navigate) {
  openDialog({ 'data-testid': 'restore-dialog', 'aria-labelledby': 'restore-title' }, close => {
    const target = h('input', { name: 'targetDatabase', id: 'restore-target', value: proposedTargetDatabase(run.source, new Date()),
      required: true, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'restore-target-hint' });
    const overwrite = h('input', { type: 'checkbox', name: 'overwrite', id: 'restore-overwrite' });
    const confirmOverwrite = h('input', { name: 'confirmOverwrite', id: 'restore-confirm', autocomplete: 'off', spellcheck: 'false' });
    const confirmField = h('div', { class: 'field danger', hidden: true },
      h('label', { for: 'restore-confirm' }, 'Overwriting replaces that database. Type its name to confirm'), confirmOverwrite);
    const feedback = h('div', { 'aria-live': 'assertive' });
    const submit = h('button', { type: 'submit', class: 'button', 'data-action': 'confirm-restore' }, 'Restore');
    overwrite.addEventListener('change', () => {
      confirmField.hidden = !overwrite.checked;
      confirmOverwrite.required = overwrite.checked;
      if (overwrite.checked) confirmOverwrite.focus();
    });
    const form = h('form', { method: 'dialog', novalidate: true },
      h('h2', { id: 'restore-title' }, 'Restore this backup'),
      h('p', {}, `Run ${run.runId} of ${run.source} is restored into a database on the restore server; the restore's page shows its progress and each table's rows.`),
      h('div', { class: 'field' }, h('label', { for: 'restore-target' }, 'Target database'), target,
        h('p', { class: 'hint', id: 'restore-target-hint' }, 'Lower-case letters, digits and _, at most 63; a new database unless you overwrite.')),
      h('div', { class: 'field checkbox' }, overwrite, h('label', { for: 'restore-overwrite' }, 'Overwrite the database if it exists')),
      confirmField, feedback,
      h('div', { class: 'buttons' }, submit,
        h('button', { type: 'button', class: 'button secondary', 'data-action': 'cancel', onClick: close }, 'Cancel')));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      const name = target.value.trim();
      if (!TARGET_SHAPE.test(name)) {
        target.setAttribute('aria-invalid', 'true');
        replace(feedback, h('p', { role: 'alert', class: 'alert' }, 'The target database must be a lower-case identifier: letters, digits and _, not starting with a digit, at most 63.'));
        target.focus();
        return;
      }
      target.removeAttribute('aria-invalid');
      if (overwrite.checked && confirmOverwrite.value.trim() !== name) {
        confirmOverwrite.setAttribute('aria-invalid', 'true');
        replace(feedback, h('p', { role: 'alert', class: 'alert' }, `To overwrite, type the database name (${name}) in the confirmation.`));
        confirmOverwrite.focus();
        return;
      }
      submit.disabled = true;
      try {
        const accepted = await request('/api/v1/restores', {
          method: 'POST', body: { runId: run.runId, targetDatabase: name, overwrite: overwrite.checked },
        });
        close();
        navigate(`/restores/${accepted.restoreId}`);
      } catch (error) {
        submit.disabled = false;
        replace(feedback, alertOf(error));
      }
    });
    return form;
  });
}
