import { DEFAULT_HUB_ENDPOINT, hubFiles } from '../hub/files.ts';
import type { ModelFiles } from '../model/files.ts';
import { predictPairs } from '../predict.ts';
import { el, setStatus } from './dom.ts';
import { loadClassifierBundle, type ClassifierBundle } from '../load-model.ts';
import { hubToken } from './hub-token.ts';
import { appUrl } from './sources.ts';
import { languageLabel } from '../data/xnli-facts.ts';

export interface PredictFormDefaults {
  endpoint?: string;
  model?: string;
  revision?: string;
  /** Awaited before the first model loads (the page's backend must be chosen first). */
  ready?: Promise<unknown>;
}

/** A model trained on this page, offered beside Hub ids. */
export interface TrainedModel {
  key: string;
  label: string;
  files: ModelFiles;
  /** A run of the embedded demo model: its examples are the ones in the demo's vocabulary. */
  demo?: boolean;
}

export interface ExamplePair { language: string; premise: string; hypothesis: string; label?: string }

/** The demo's own examples (public/demo/examples.json, written with the demo), in its vocabulary. */
async function demoExamples(): Promise<ExamplePair[]> {
  const response = await fetch(appUrl('./demo/examples.json'));
  if (!response.ok) throw new Error(`the demo's examples.json: HTTP ${response.status}`);
  return (await response.json()) as ExamplePair[];
}

export interface PredictForm {
  /** Offers trained models; the newest becomes the selected one. */
  setTrainedModels(models: TrainedModel[]): void;
}

/** Example pairs in the six languages of the reference write-up, one click away. */
export const EXAMPLE_PAIRS: ExamplePair[] = [
  { language: 'en', premise: 'A man is playing a guitar on stage.', hypothesis: 'A person is making music.' },
  { language: 'de', premise: 'Eine Frau liest ein Buch im Park.', hypothesis: 'Eine Frau schläft zu Hause.' },
  { language: 'fr', premise: 'Les enfants jouent au football dans la rue.', hypothesis: 'Des enfants sont dehors.' },
  { language: 'es', premise: 'El tren llegó tarde esta mañana.', hypothesis: 'El conductor estaba enfermo.' },
  { language: 'ar', premise: 'الرجل يشرب القهوة في المقهى.', hypothesis: 'الرجل نائم في سريره.' },
  { language: 'zh', premise: '一只狗在公园里奔跑。', hypothesis: '一只动物在户外。' },
];

/** A form: model id + Hub endpoint, premise, hypothesis → one probability per label. */
export function mountPredictForm(panel: HTMLElement, defaults: PredictFormDefaults = {}): PredictForm {
  const field = (id: string, label: string, control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement) => [el('label', { for: id }, label), control];
  const source = el('select', { id: 'predict-source' }, el('option', { value: 'hub' }, 'a Hub model (id below)'));
  let trained: TrainedModel[] = [];
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
    { id: 'predict-form', 'aria-label': 'Playground' },
    ...field('predict-source', 'Model to ask', source),
    ...field('predict-endpoint', 'Hub endpoint', endpoint),
    ...field('predict-model', 'Model id', model),
    ...field('predict-revision', 'Revision', revision),
    ...field('predict-premise', 'Premise', premise),
    ...field('predict-hypothesis', 'Hypothesis', hypothesis),
    button,
  );
  const status = el('p', { id: 'predict-status', 'data-state': 'ready' });
  const result = el('table', { id: 'predict-result' });
  const words = el('p', { id: 'predict-words', hidden: '' });
  const examples = el('div', { class: 'examples', role: 'group', 'aria-label': 'Example pairs' });
  const showExamples = (pairs: ExamplePair[]) => examples.replaceChildren(...pairs.map((example) => {
    const button = el('button', { type: 'button', lang: example.language, 'data-example': example.language }, `Example (${example.language})`);
    button.title = `${languageLabel(example.language)}${example.label ? `, ${example.label} by construction` : ''}`;
    button.addEventListener('click', () => {
      premise.value = example.premise;
      hypothesis.value = example.hypothesis;
      premise.focus();
    });
    return button;
  }));
  showExamples(EXAMPLE_PAIRS);
  let examplesFor = 'general';
  const chooseExamples = () => {
    const demo = trained.find((t) => t.key === source.value)?.demo === true;
    if ((demo ? 'demo' : 'general') === examplesFor) return;
    examplesFor = demo ? 'demo' : 'general';
    if (!demo) return showExamples(EXAMPLE_PAIRS);
    demoExamples().then((pairs) => examplesFor === 'demo' && showExamples(pairs), () => showExamples(EXAMPLE_PAIRS));
  };
  panel.append(examples, form, status, result, words);

  let loaded: { key: string; bundle: ClassifierBundle } | null = null;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      button.disabled = true;
      result.replaceChildren();
      words.hidden = true;
      try {
        await defaults.ready;
        const location = { endpoint: endpoint.value.trim(), repo: model.value.trim(), revision: revision.value.trim() || 'main' };
        const chosen = trained.find((t) => t.key === source.value);
        const key = chosen ? chosen.key : JSON.stringify(location);
        if (loaded?.key !== key) {
          loaded?.bundle.classifier.dispose();
          loaded = null;
          setStatus(status, 'working', `Loading ${chosen ? chosen.label : location.repo}…`);
          const files = chosen ? chosen.files : hubFiles({ ...location, token: hubToken() });
          loaded = { key, bundle: await loadClassifierBundle(files, (line) => setStatus(status, 'working', line)) };
        }
        setStatus(status, 'working', 'Predicting…');
        const { classifier, tokenizer, summary } = loaded.bundle;
        const [prediction] = await predictPairs(classifier, tokenizer, [{ premise: premise.value, hypothesis: hypothesis.value }]);
        result.append(
          el('tr', {}, el('th', {}, 'label'), el('th', {}, 'probability')),
          ...prediction!.probabilities.map((p, i) => {
            const label = summary.id2label[i] ?? String(i);
            const bar = el('span', { class: 'bar', 'aria-hidden': 'true' });
            bar.style.width = `${(100 * p).toFixed(1)}%`;
            return el('tr', { 'data-label': label }, el('td', {}, label),
              el('td', { class: 'bar-cell' }, el('span', { class: 'bar-track' }, bar), el('span', { class: 'number', 'data-probability': p.toFixed(4) }, `${(100 * p).toFixed(1)}%`)));
          }),
        );
        const unknown = [...new Set([...tokenizer.unknownWords(premise.value), ...tokenizer.unknownWords(hypothesis.value)])];
        words.hidden = unknown.length === 0;
        words.replaceChildren(...(unknown.length ? ['Words this model does not know (it reads each as [UNK], so they carry no meaning): ', ...unknown.flatMap((w, i) => [...(i ? [', '] : []), el('mark', { class: 'unknown-word' }, w)])] : []));
        setStatus(status, 'ready', `${prediction!.label} (${summary.modelType}, ${summary.source})`);
      } catch (error) {
        setStatus(status, 'error', (error as Error).message);
      } finally {
        button.disabled = false;
      }
    })();
  });
  const hubFields = [endpoint, model, revision];
  source.addEventListener('change', () => {
    hubFields.forEach((f) => (f.disabled = source.value !== 'hub'));
    chooseExamples();
  });
  return {
    setTrainedModels(models) {
      trained = models;
      source.replaceChildren(el('option', { value: 'hub' }, 'a Hub model (id below)'), ...models.map((m) => el('option', { value: m.key }, m.label)));
      if (models.length) source.value = models.at(-1)!.key;
      hubFields.forEach((f) => (f.disabled = source.value !== 'hub'));
      chooseExamples();
    },
  };
}
