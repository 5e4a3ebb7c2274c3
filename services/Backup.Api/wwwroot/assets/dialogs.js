// Modal dialogs (<dialog>): opened with showModal, removed on close, focus returned to what opened them.
import { h } from './dom.js';

/** Shows a <dialog> built by build(close); returns it. On close it is removed and focus goes back where it was. */
export function openDialog(attrs, build) {
  const opener = document.activeElement;
  const dialog = h('dialog', attrs);
  // Closed by a button (close) or by Escape (the close event): removed once, focus back to the opener.
  const finish = () => {
    if (!dialog.isConnected) return;
    dialog.remove();
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  };
  const close = () => { dialog.close(); finish(); };
  dialog.append(...[build(close)].flat());
  dialog.addEventListener('close', finish);
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
