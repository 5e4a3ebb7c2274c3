// Live pages: ask again with back-off (1 s doubling to 10 s) until the answer is final or the page is left.

/**
 * Calls load() now and again after 1 s, 2 s, 4 s, 8 s, 10 s, 10 s ... until it resolves to true (final) or the signal
 * aborts (the user went to another page). A failed load is retried on the same back-off.
 */
export function pollUntilFinal(load, signal, { first = 1000, max = 10000 } = {}) {
  let delay = first;
  const tick = async () => {
    if (signal.aborted) return;
    let final = false;
    try {
      final = await load();
    } catch (error) {
      if (error?.name === 'AbortError' || signal.aborted) return;
    }
    if (final || signal.aborted) return;
    const timer = setTimeout(tick, delay);
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    delay = Math.min(delay * 2, max);
  };
  return tick();
}
