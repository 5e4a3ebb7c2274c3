// The REST API with the session cookie: unsafe requests carry the anti-forgery token; problem details become ApiError.

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
let csrfToken = null;

export function useCsrfToken(token) { csrfToken = token; }

/** An answer that was not a success: the status, the problem's detail (or title) as the message, and its field. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The server answered ${status}.`);
    this.status = status;
    this.problem = problem ?? null;
    this.field = problem?.field ?? null;
  }
}

/** A path with the query's non-empty values: withQuery('/api/v1/runs', { source: 'demo', state: '' }). */
export function withQuery(path, query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== null && value !== undefined && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** Calls the API; resolves with the JSON answer (null for 204), rejects with ApiError. 401 sends the page to sign-in. */
export async function request(path, { method = 'GET', body, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-TOKEN'] = csrfToken;
  const response = await fetch(path, {
    method, headers, signal, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    const here = `${location.pathname}${location.search}`;
    location.assign(withQuery('/signin', { returnUrl: here }));
    throw new ApiError(401, { title: 'Signed out', detail: 'The session has ended: signing in again.' });
  }
  const type = response.headers.get('Content-Type') ?? '';
  const json = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new ApiError(response.status, json);
  return response.status === 204 ? null : json;
}

export const get = (path, options) => request(path, { ...options, method: 'GET' });
