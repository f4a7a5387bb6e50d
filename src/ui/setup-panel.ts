// The set-up form: presets, technique, models (four reference ones one click away, a Hub search box),
// evaluation languages, data and the numbers. It reads and writes one RunConfig.
import { BACKENDS, REFERENCE_DEFAULTS, TECHNIQUES, XNLI_LANGUAGES, validateRunConfig, type BackendChoice, type RunConfig } from '../config/run-config.ts';
import { DEMO_LANGUAGES, DEMO_MODEL, usesDemoData, withDemoData } from '../config/url-query.ts';
import type { Technique } from '../train/trainer.ts';
import { el } from './dom.ts';
import { PRESETS, REFERENCE_MODELS } from './presets.ts';

const LANGUAGE_NAMES: Record<string, string> = {
  ar: 'Arabic', bg: 'Bulgarian', de: 'German', el: 'Greek', en: 'English', es: 'Spanish', fr: 'French', hi: 'Hindi',
  ru: 'Russian', sw: 'Swahili', th: 'Thai', tr: 'Turkish', ur: 'Urdu', vi: 'Vietnamese', zh: 'Chinese',
};

type NumberField = 'batchSize' | 'numTrainExamples' | 'numTrainEpochs' | 'evalSteps' | 'seed' | 'learningRate' | 'maxSteps' | 'loggingSteps';

const NUMBER_FIELDS: { key: NumberField; label: string; step: string; min: string; help?: string }[] = [
  { key: 'batchSize', label: 'Batch size', step: '1', min: '1' },
  { key: 'numTrainExamples', label: 'Training examples', step: '1', min: '1', help: 'English pairs drawn with the seed' },
  { key: 'numTrainEpochs', label: 'Epochs', step: 'any', min: '0' },
  { key: 'evalSteps', label: 'Evaluate every (steps)', step: '1', min: '1' },
  { key: 'seed', label: 'Seed', step: '1', min: '0' },
  { key: 'learningRate', label: 'Learning rate', step: 'any', min: '0' },
  { key: 'loggingSteps', label: 'Log loss every (steps)', step: '1', min: '1' },
  { key: 'maxSteps', label: 'Stop after (steps, -1: no limit)', step: '1', min: '-1' },
];

export interface SetupPanel {
  read(): RunConfig;
  write(config: RunConfig): void;
  /** Problems with the current set-up, one line each (empty: ready to train). */
  problems(): string[];
  /** Lists errors (e.g. a link's bad values) above the form. */
  showErrors(title: string, errors: string[]): void;
  setRunning(running: boolean): void;
}

export interface SetupCallbacks {
  changed(config: RunConfig): void;
  start(config: RunConfig): void;
  /** Hub ids matching a search, for the model box's suggestions. */
  searchModels?(text: string, endpoint: string): Promise<string[]>;
}

function labelled(id: string, text: string, control: HTMLElement, help?: string): HTMLElement {
  const wrapper = el('div', { class: 'field' }, el('label', { for: id }, text), control);
  if (help) {
    control.setAttribute('aria-describedby', `${id}-help`);
    wrapper.append(el('small', { id: `${id}-help` }, help));
  }
  return wrapper;
}

function checkbox(name: string, value: string, label: string, id: string): HTMLElement {
  return el('label', { class: 'check', for: id }, el('input', { type: 'checkbox', name, value, id }), ` ${label}`);
}

export function mountSetupPanel(panel: HTMLElement, callbacks: SetupCallbacks): SetupPanel {
  const errorsBox = el('div', { id: 'setup-errors', role: 'alert', hidden: '' });

  const presets = el('div', { class: 'presets', role: 'group', 'aria-label': 'Presets' });
  for (const preset of PRESETS) {
    const button = el('button', { type: 'button', 'data-preset': preset.id, 'aria-describedby': `preset-${preset.id}-help` }, preset.title);
    button.addEventListener('click', () => {
      write(preset.config);
      changed();
    });
    presets.append(el('div', {}, button, el('small', { id: `preset-${preset.id}-help` }, preset.description)));
  }

  const techniques = el('fieldset', {}, el('legend', {}, 'Technique'));
  const techniqueHelp: Record<Technique, string> = { 'fine-tune': 'all weights train', 'feature-extraction': 'only the classifier head trains' };
  for (const technique of TECHNIQUES) {
    techniques.append(el('label', { class: 'check' }, el('input', { type: 'radio', name: 'technique', value: technique }), ` ${technique} (${techniqueHelp[technique]})`));
  }

  const modelList = el('div', { id: 'model-list', class: 'checks' });
  const models = el('fieldset', {}, el('legend', {}, 'Models (trained one after the other)'), modelList);
  const addModel = (name: string, checked: boolean) => {
    let box = modelList.querySelector<HTMLInputElement>(`input[value="${CSS.escape(name)}"]`);
    if (!box) {
      const id = `model-${modelList.children.length}`;
      const label = name === DEMO_MODEL ? `${name} (embedded demo model)` : name;
      modelList.append(checkbox('model', name, label, id));
      box = modelList.querySelector<HTMLInputElement>(`#${id}`)!;
    }
    box.checked = checked;
  };
  for (const name of REFERENCE_MODELS) addModel(name, false);
  addModel(DEMO_MODEL, false);
  const search = el('input', { id: 'model-search', type: 'search', list: 'model-suggestions', placeholder: 'org/name', autocomplete: 'off' });
  const suggestions = el('datalist', { id: 'model-suggestions' });
  const addButton = el('button', { type: 'button' }, 'Add model');
  const add = () => {
    const name = search.value.trim();
    if (!name) return;
    addModel(name, true);
    search.value = '';
    changed();
  };
  addButton.addEventListener('click', add);
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      add();
    }
  });
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    const text = search.value.trim();
    if (!callbacks.searchModels || text.length < 2) return;
    searchTimer = setTimeout(() => {
      callbacks.searchModels!(text, endpoint.value).then(
        (ids) => suggestions.replaceChildren(...ids.map((id) => el('option', { value: id }))),
        () => suggestions.replaceChildren(),
      );
    }, 300);
  });
  models.append(el('div', { class: 'field inline' }, el('label', { for: 'model-search' }, 'Hub model id'), search, suggestions, addButton));

  const languageList = el('div', { class: 'checks languages' });
  for (const language of XNLI_LANGUAGES) languageList.append(checkbox('language', language, `${language} ${LANGUAGE_NAMES[language]}`, `language-${language}`));
  const languages = el('fieldset', {}, el('legend', {}, 'Evaluation languages (training is on English)'), languageList);

  const data = el('select', { id: 'setup-data' }, el('option', { value: 'xnli' }, 'XNLI from the Hub (English train split, validation splits)'), el('option', { value: 'demo' }, `Embedded offline sample (${DEMO_LANGUAGES.join(', ')})`));
  const backend = el('select', { id: 'setup-backend' }, ...BACKENDS.map((b) => el('option', { value: b }, b === 'auto' ? 'auto (best available)' : b)));
  const endpoint = el('input', { id: 'setup-endpoint', type: 'url' });

  const numbers: Record<string, HTMLInputElement> = {};
  const numberFields = NUMBER_FIELDS.map(({ key, label, step, min, help }) => {
    const input = el('input', { id: `setup-${key}`, type: 'number', step, min, required: '' });
    numbers[key] = input;
    return labelled(input.id, label, input, help);
  });

  const startButton = el('button', { type: 'submit', id: 'start-training' }, 'Start training');
  const copyButton = el('button', { type: 'button', id: 'copy-link' }, 'Copy link to this set-up');
  const copyStatus = el('span', { role: 'status', id: 'copy-status' });
  copyButton.addEventListener('click', () => {
    navigator.clipboard?.writeText(location.href).then(
      () => (copyStatus.textContent = 'Link copied.'),
      () => (copyStatus.textContent = `Copy this link: ${location.href}`),
    );
  });

  const form = el(
    'form',
    { id: 'setup-form', 'aria-label': 'Training set-up' },
    presets,
    techniques,
    models,
    languages,
    el('div', { class: 'grid' },
      labelled('setup-data', 'Data', data),
      labelled('setup-backend', 'Training backend', backend),
      labelled('setup-endpoint', 'Hub endpoint', endpoint),
      ...numberFields),
    el('div', { class: 'actions' }, startButton, copyButton, copyStatus),
  );
  panel.append(errorsBox, form);

  function read(): RunConfig {
    const checked = (name: string) => [...form.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)].map((i) => i.value);
    const config: RunConfig = {
      ...REFERENCE_DEFAULTS,
      technique: (form.querySelector<HTMLInputElement>('input[name="technique"]:checked')?.value ?? 'fine-tune') as Technique,
      modelNames: checked('model'),
      evalLanguages: checked('language'),
      evalFiles: {},
      backend: backend.value as BackendChoice,
      hubEndpoint: endpoint.value.trim(),
    };
    for (const { key } of NUMBER_FIELDS) config[key] = numbers[key].value === '' ? NaN : Number(numbers[key].value);
    config.saveSteps = Number.isInteger(config.evalSteps) && config.evalSteps > 0 ? config.evalSteps : REFERENCE_DEFAULTS.saveSteps;
    return data.value === 'demo' ? withDemoData(config) : config;
  }

  function write(config: RunConfig): void {
    for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="technique"]')) radio.checked = radio.value === config.technique;
    for (const box of modelList.querySelectorAll<HTMLInputElement>('input')) box.checked = false;
    for (const name of config.modelNames) addModel(name, true);
    for (const box of languageList.querySelectorAll<HTMLInputElement>('input')) box.checked = config.evalLanguages.includes(box.value);
    for (const { key } of NUMBER_FIELDS) numbers[key].value = String(config[key]);
    backend.value = config.backend;
    endpoint.value = config.hubEndpoint;
    data.value = usesDemoData(config) ? 'demo' : 'xnli';
  }

  function problems(): string[] {
    const config = read();
    const errors = validateRunConfig(config);
    if (data.value === 'demo') {
      const missing = config.evalLanguages.filter((l) => !(DEMO_LANGUAGES as readonly string[]).includes(l));
      if (missing.length) errors.push(`the offline sample has no ${missing.join(', ')} data; untick them or choose XNLI from the Hub`);
    }
    return errors;
  }

  function showErrors(title: string, errors: string[]): void {
    errorsBox.hidden = errors.length === 0;
    errorsBox.replaceChildren(...(errors.length ? [el('p', {}, title), el('ul', {}, ...errors.map((e) => el('li', {}, e)))] : []));
  }

  const changed = () => callbacks.changed(read());
  form.addEventListener('change', changed);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const errors = problems();
    showErrors('The set-up cannot train yet:', errors);
    if (errors.length === 0) callbacks.start(read());
  });

  return {
    read,
    write,
    problems,
    showErrors,
    setRunning(running) {
      startButton.disabled = running;
      startButton.textContent = running ? 'Training…' : 'Start training';
    },
  };
}
