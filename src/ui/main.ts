// Entry of index.html.
import { initBackend, onDeviceLost, parseBackendName, type BackendName } from '../backend/index.ts';
import { renderBackendError, renderBackendPanel, renderDeviceLost } from './backend-panel.ts';
import { mountPredictForm } from './predict-form.ts';

const query = new URLSearchParams(location.search);
const backendPanel = document.querySelector<HTMLElement>('#backend-panel')!;
const predictPanel = document.querySelector<HTMLElement>('#predict-panel')!;

async function start(): Promise<void> {
  let preferred: BackendName | undefined;
  try {
    const asked = query.get('backend');
    preferred = asked ? parseBackendName(asked) : undefined;
    const info = await initBackend(preferred);
    renderBackendPanel(backendPanel, info);
    onDeviceLost((message) => renderDeviceLost(backendPanel, message));
  } catch (error) {
    renderBackendError(backendPanel, error as Error);
    return;
  }
  mountPredictForm(predictPanel, {
    endpoint: query.get('endpoint') ?? undefined,
    model: query.get('model') ?? undefined,
    revision: query.get('revision') ?? undefined,
  });
}

void start();
