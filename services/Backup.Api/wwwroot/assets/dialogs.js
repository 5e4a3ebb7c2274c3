// Modal dialogs (<dialog>): opened with showModal, removed on close, focus returned to what opened them.
import { h } from './dom.js';

/** Shows a <dialog> built by build(close); returns it. On close it is removed and focus goes back where it was. */
export function openDialog(attrs, build) {
  const opener = document.activeElement;
  const dialog = h('dialog', attrs);
  const close = () => dialog.close();
  dialog.append(...[build(close)].flat());
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
