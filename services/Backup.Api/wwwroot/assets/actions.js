// The actions a page offers by role: back up now (operator). Each goes through the API with the session's token.
import { h } from './dom.js';
import { request } from './api.js';

/** "Back up now" for a source: POST /sources/{source}/backups, then the run's page. Errors go to onError. */
export function backupNowButton(source, { navigate, onError, label = 'Back up now' }) {
  const button = h('button', {
    type: 'button', class: 'button', 'data-action': 'backup-now', 'data-source': source,
    'aria-label': `${label}: ${source}`,
  }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    button.textContent = 'Requesting…';
    try {
      const accepted = await request(`/api/v1/sources/${encodeURIComponent(source)}/backups`, { method: 'POST' });
      navigate(`/runs/${accepted.runId}`);
    } catch (error) {
      button.disabled = false;
      button.textContent = label;
      onError(error);
    }
  });
  return button;
}
