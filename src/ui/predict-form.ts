import { DEFAULT_HUB_ENDPOINT, hubFiles } from '../hub/files.ts';
import { predictPairs } from '../predict.ts';
import { el, setStatus } from './dom.ts';
import { loadClassifierBundle, type ClassifierBundle } from './load-model.ts';

export interface PredictFormDefaults {
  endpoint?: string;
  model?: string;
  revision?: string;
}

/** A form: model id + Hub endpoint, premise, hypothesis → one probability per label. */
export function mountPredictForm(panel: HTMLElement, defaults: PredictFormDefaults = {}): void {
  const field = (id: string, label: string, control: HTMLInputElement | HTMLTextAreaElement) => [el('label', { for: id }, label), control];
  const endpoint = el('input', { id: 'predict-endpoint', type: 'url', required: '' });
  endpoint.value = defaults.endpoint ?? DEFAULT_HUB_ENDPOINT;
  const model = el('input', { id: 'predict-model', placeholder: 'google-bert/bert-base-multilingual-cased', required: '' });
  model.value = defaults.model ?? '';
  const revision = el('input', { id: 'predict-revision' });
  revision.value = defaults.revision ?? 'main';
  const premise = el('textarea', { id: 'predict-premise', rows: '2', required: '' });
  const hypothesis = el('textarea', { id: 'predict-hypothesis', rows: '2', required: '' });
  const button = el('button', { type: 'submit' }, 'Predict');
  const form = el(
    'form',
    { id: 'predict-form' },
    ...field('predict-endpoint', 'Hub endpoint', endpoint),
    ...field('predict-model', 'Model id', model),
    ...field('predict-revision', 'Revision', revision),
    ...field('predict-premise', 'Premise', premise),
    ...field('predict-hypothesis', 'Hypothesis', hypothesis),
    button,
  );
  const status = el('p', { id: 'predict-status', 'data-state': 'ready' });
  const result = el('table', { id: 'predict-result' });
  panel.append(form, status, result);

  let loaded: { key: string; bundle: ClassifierBundle } | null = null;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      button.disabled = true;
      result.replaceChildren();
      try {
        const location = { endpoint: endpoint.value.trim(), repo: model.value.trim(), revision: revision.value.trim() || 'main' };
        const key = JSON.stringify(location);
        if (loaded?.key !== key) {
          loaded?.bundle.classifier.dispose();
          loaded = null;
          setStatus(status, 'working', `Loading ${location.repo}…`);
          loaded = { key, bundle: await loadClassifierBundle(hubFiles(location), (line) => setStatus(status, 'working', line)) };
        }
        setStatus(status, 'working', 'Predicting…');
        const { classifier, tokenizer, summary } = loaded.bundle;
        const [prediction] = await predictPairs(classifier, tokenizer, [{ premise: premise.value, hypothesis: hypothesis.value }]);
        result.append(
          el('tr', {}, el('th', {}, 'label'), el('th', {}, 'probability')),
          ...prediction!.probabilities.map((p, i) =>
            el('tr', { 'data-label': summary.id2label[i] ?? String(i) }, el('td', {}, summary.id2label[i] ?? String(i)), el('td', { class: 'number' }, p.toFixed(4))),
          ),
        );
        setStatus(status, 'ready', `${prediction!.label} (${summary.modelType}, ${summary.source})`);
      } catch (error) {
        setStatus(status, 'error', (error as Error).message);
      } finally {
        button.disabled = false;
      }
    })();
  });
}
