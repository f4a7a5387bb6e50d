// "Cached downloads": what the Hub cache holds (models, XNLI files, listings), with sizes and the storage left,
// each deletable. Mounted by main.ts in a section of its own.
import { defaultFileCache } from '../hub/default-cache.ts';
import type { CacheEntry, FileCache } from '../hub/file-cache.ts';
import { el } from './dom.ts';
import { formatBytes } from '../format.ts';

export interface CachePanel {
  refresh(): Promise<void>;
}

export function mountCachePanel(parent: HTMLElement, cache: FileCache = defaultFileCache()): CachePanel {
  const summary = el('p', { class: 'cache-summary' });
  const list = el('ul', { class: 'cache-list' });
  const refreshButton = el('button', { type: 'button' }, 'Refresh');
  const clearButton = el('button', { type: 'button' }, 'Delete all');
  const section = el(
    'section',
    { id: 'cache-panel', class: 'panel' },
    el('h2', {}, 'Cached downloads'),
    el('p', {}, 'Models and XNLI files fetched from the Hub are kept in this browser, so later runs and runs without network use them.'),
    summary,
    list,
    el('p', {}, refreshButton, ' ', clearButton),
  );
  parent.append(section);

  async function remove(entries: CacheEntry[]): Promise<void> {
    for (const entry of entries) await cache.delete(entry.key);
    await refresh();
  }

  async function refresh(): Promise<void> {
    try {
      const entries = (await cache.list()).filter((e) => !e.key.startsWith('listing|') && !e.key.startsWith('xnli-listing|'));
      const total = entries.reduce((sum, e) => sum + e.size, 0);
      const free = await cache.freeBytes();
      summary.textContent = `${entries.length} file${entries.length === 1 ? '' : 's'}, ${formatBytes(total)}${free !== undefined ? `; ${formatBytes(Math.round(free))} free for this site` : ''}${cache.kind === 'memory' ? ' (kept only until the page closes: this browser has no persistent storage here)' : ''}.`;
      list.replaceChildren(
        ...entries.map((entry) => {
          const button = el('button', { type: 'button', 'data-key': entry.key }, 'Delete');
          button.addEventListener('click', () => void remove([entry]));
          return el('li', {}, el('span', { class: 'cache-label' }, entry.label), ` ${formatBytes(entry.size)} `, button);
        }),
      );
      clearButton.toggleAttribute('disabled', entries.length === 0);
      clearButton.onclick = async () => remove(await cache.list());
    } catch (error) {
      summary.textContent = `The cache could not be read: ${(error as Error).message}`;
    }
  }

  refreshButton.addEventListener('click', () => void refresh());
  void refresh();
  return { refresh };
}
