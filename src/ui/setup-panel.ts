// The set-up form: presets, technique, models (four reference ones one click away, a Hub search box),
// evaluation languages, data and the numbers. It reads and writes one RunConfig. The Hub token and picked local
// files are held outside it (hub-token.ts, local-files.ts): a RunConfig goes into links, params and exports.
import { BACKENDS, REFERENCE_DEFAULTS, TECHNIQUES, validateRunConfig, type BackendChoice, type RunConfig } from '../config/run-config.ts';
import { XNLI_LANGUAGES } from '../data/xnli-facts.ts';
import { DEMO_LANGUAGES, DEMO_MODEL, usesDemoData, withDemoData } from '../config/url-query.ts';
import type { Technique } from '../train/trainer.ts';
import { el } from './dom.ts';
import { rememberedHubToken, setHubToken } from './hub-token.ts';
import { addLocalDataFile, addLocalModel, isLocalName, localDataFile, localModelUrls } from './local-files.ts';
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
  const featureCache = el('input', { type: 'checkbox', name: 'feature-extraction-cache', id: 'feature-extraction-cache' }) as HTMLInputElement;
  techniques.append(el('label', { class: 'check', for: 'feature-extraction-cache' }, featureCache,
    ' cache the frozen encoder\'s features (feature-extraction only: about 3x faster over 3 epochs, but no encoder dropout, unlike the reference)'));

  const modelList = el('div', { id: 'model-list', class: 'checks' });
  const models = el('fieldset', {}, el('legend', {}, 'Models (trained one after the other)'), modelList);
  const addModel = (name: string, checked: boolean) => {
    let box = modelList.querySelector<HTMLInputElement>(`input[value="${CSS.escape(name)}"]`);
    if (!box) {
      const id = `model-${modelList.children.length}`;
      const label = name === DEMO_MODEL ? `${name} (embedded demo model)` : isLocalName(name) ? `${name} (picked folder)` : name;
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
  const folder = el('input', { id: 'setup-model-folder', type: 'file', webkitdirectory: '' });
  folder.addEventListener('change', (event) => {
    event.stopPropagation();
    try {
      addModel(addLocalModel(folder.files ?? []), true);
      showErrors('', []);
      changed();
    } catch (error) {
      showErrors('The picked folder cannot be used as a model:', [(error as Error).message]);
    } finally {
      folder.value = '';
    }
  });
  models.append(labelled(folder.id, 'Local model folder', folder, 'a folder with config.json, model.safetensors, tokenizer.json (and tokenizer_config.json); read in this browser, never uploaded'));

  const languageList = el('div', { class: 'checks languages' });
  for (const language of XNLI_LANGUAGES) languageList.append(checkbox('language', language, `${language} ${LANGUAGE_NAMES[language]}`, `language-${language}`));
  const languages = el('fieldset', {}, el('legend', {}, 'Evaluation languages (training is on English)'), languageList);

  const data = el('select', { id: 'setup-data' },
    el('option', { value: 'xnli' }, 'XNLI from the Hub (English train split, validation splits)'),
    el('option', { value: 'demo' }, `Embedded offline sample (${DEMO_LANGUAGES.join(', ')})`),
    el('option', { value: 'local' }, 'Local files (picked below)'));
  const local = { train: undefined as string | undefined, all: undefined as string | undefined, eval: {} as Record<string, string> };
  const DATA_ACCEPT = '.parquet,.jsonl,.json,.tsv,.txt';
  const fileInput = (id: string, slot: string, onPick: (name: string) => void) => {
    const input = el('input', { id, type: 'file', accept: DATA_ACCEPT });
    input.addEventListener('change', (event) => {
      event.stopPropagation();
      const file = input.files?.[0];
      if (!file) return;
      onPick(addLocalDataFile(file, slot));
      changed();
    });
    return input;
  };
  const evalFileFields: Record<string, HTMLElement> = {};
  for (const language of XNLI_LANGUAGES) {
    const input = fileInput(`setup-eval-file-${language}`, language, (name) => (local.eval[language] = name));
    evalFileFields[language] = labelled(input.id, `Evaluation file (${language})`, input);
  }
  const trainFileInput = fileInput('setup-train-file', 'train', (name) => (local.train = name));
  const allFileInput = fileInput('setup-eval-file-all', 'all', (name) => (local.all = name));
  const localData = el('fieldset', { id: 'local-data', hidden: '' },
    el('legend', {}, 'Local XNLI files (parquet, JSONL, or XNLI-1.0 TSV with language, gold_label, sentence1, sentence2)'),
    labelled(trainFileInput.id, 'Training file (English)', trainFileInput),
    labelled(allFileInput.id, 'Evaluation file for every language', allFileInput, 'e.g. xnli.dev.tsv: each language reads its own rows; a file picked for one language below wins'),
    ...Object.values(evalFileFields));
  const showLocalData = () => {
    localData.hidden = data.value !== 'local';
    const checkedLanguages = new Set([...languageList.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value));
    for (const [language, field] of Object.entries(evalFileFields)) field.hidden = !checkedLanguages.has(language);
  };
  const revision = el('input', { id: 'setup-revision', placeholder: 'main', autocomplete: 'off' });
  const token = el('input', { id: 'setup-token', type: 'password', autocomplete: 'off', spellcheck: 'false' });
  const rememberToken = el('input', { id: 'setup-remember-token', type: 'checkbox' });
  token.value = rememberedHubToken();
  rememberToken.checked = token.value !== '';
  const tokenChanged = () => setHubToken(token.value, rememberToken.checked);
  token.addEventListener('input', tokenChanged);
  rememberToken.addEventListener('change', tokenChanged);
  const tokenField = el('div', { class: 'field' },
    labelled(token.id, 'Hugging Face token', token, 'for gated or private repos; sent only to the Hub endpoint, never put in links, runs or exports'),
    el('label', { class: 'check', for: rememberToken.id }, rememberToken, ' Remember on this device'));
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
      labelled('setup-revision', 'Revision (branch, tag or commit)', revision),
      tokenField,
      ...numberFields),
    localData,
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
      revision: revision.value.trim() || REFERENCE_DEFAULTS.revision,
    };
    if (featureCache.checked && config.technique === 'feature-extraction') config.featureExtractionCache = true;
    for (const { key } of NUMBER_FIELDS) config[key] = numbers[key].value === '' ? NaN : Number(numbers[key].value);
    config.saveSteps = Number.isInteger(config.evalSteps) && config.evalSteps > 0 ? config.evalSteps : REFERENCE_DEFAULTS.saveSteps;
    if (data.value === 'local') {
      config.trainFile = local.train;
      for (const language of config.evalLanguages) {
        const file = local.eval[language] ?? local.all;
        if (file) config.evalFiles[language] = file;
      }
    }
    return data.value === 'demo' ? withDemoData(config) : config;
  }

  function write(config: RunConfig): void {
    for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="technique"]')) radio.checked = radio.value === config.technique;
    featureCache.checked = Boolean(config.featureExtractionCache);
    for (const box of modelList.querySelectorAll<HTMLInputElement>('input')) box.checked = false;
    for (const name of config.modelNames) addModel(name, true);
    for (const box of languageList.querySelectorAll<HTMLInputElement>('input')) box.checked = config.evalLanguages.includes(box.value);
    for (const { key } of NUMBER_FIELDS) numbers[key].value = String(config[key]);
    backend.value = config.backend;
    endpoint.value = config.hubEndpoint;
    revision.value = config.revision;
    data.value = usesDemoData(config) ? 'demo' : config.trainFile && isLocalName(config.trainFile) ? 'local' : 'xnli';
    showLocalData();
  }

  function problems(): string[] {
    const config = read();
    const errors = validateRunConfig(config);
    if (data.value === 'demo') {
      const missing = config.evalLanguages.filter((l) => !(DEMO_LANGUAGES as readonly string[]).includes(l));
      if (missing.length) errors.push(`the offline sample has no ${missing.join(', ')} data; untick them or choose XNLI from the Hub`);
    }
    if (data.value === 'local') {
      if (!config.trainFile) errors.push('pick a training file under Local XNLI files (parquet, JSONL or XNLI TSV), or choose other data');
      const missing = config.evalLanguages.filter((l) => !config.evalFiles[l]);
      if (missing.length) errors.push(`pick an evaluation file for ${missing.join(', ')} (or one XNLI TSV for every language)`);
    }
    for (const name of config.modelNames) if (isLocalName(name) && !localModelUrls(name)) errors.push(`${name} is no longer picked in this page: pick the local model folder again`);
    for (const file of [config.trainFile, ...Object.values(config.evalFiles)]) if (file && isLocalName(file) && !localDataFile(file)) errors.push(`${file} is no longer picked in this page: pick it again`);
    return errors;
  }

  function showErrors(title: string, errors: string[]): void {
    errorsBox.hidden = errors.length === 0;
    errorsBox.replaceChildren(...(errors.length ? [el('p', {}, title), el('ul', {}, ...errors.map((e) => el('li', {}, e)))] : []));
  }

  const changed = () => {
    showLocalData();
    callbacks.changed(read());
  };
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
