/**
 * Runs `render` at most once per `intervalMs`, each time in a task of its own, so that live updates during
 * training never pile up into one long main-thread task (the page must stay responsive).
 */
export function throttled(render: () => void, intervalMs = 250): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = -Infinity;
  return () => {
    if (timer !== null) return;
    const wait = Math.max(0, last + intervalMs - performance.now());
    timer = setTimeout(() => {
      timer = null;
      last = performance.now();
      render();
    }, wait);
  };
}
