// The set-up: presets, then Start (so it is on the first screen, a few Tab presses away), then the basic choices
// (technique, models, evaluation languages), the training numbers and an Advanced disclosure. It reads and writes
// one RunConfig, marks every problem on its field (a link's bad values too, the same way), and keeps Start
// disabled, saying why, while the set-up cannot train. The Hub token and picked local files are held outside it
// (hub-token.ts, local-files.ts): a RunConfig goes into links, params and exports.
import { BACKENDS, configIssues, REFERENCE_DEFAULTS, TECHNIQUES, type BackendChoice, type RunConfig, type Technique } from '../config/run-config.ts';
import { settingOf, SETTINGS, type Setting as SettingSpec } from '../config/settings.ts';
import { languageLabel, XNLI_LANGUAGES } from '../data/xnli-facts.ts';
import { DEMO_LANGUAGES, DEMO_MODEL, DEMO_TRAINING, usesDemoData, withDemoData, type LinkIssue } from '../config/url-query.ts';
import { el } from './dom.ts';
import { rememberedHubToken, setHubToken } from './hub-token.ts';
import { addLocalDataFile, addLocalModel, isLocalName, localDataFile, localModelUrls } from './local-files.ts';
import { PRESETS, REFERENCE_MODELS } from './presets.ts';
import { isAppPath } from './sources.ts';

type Setting = keyof RunConfig | 'data';

/** The number fields, in the table's order, by section (config/settings.ts). */
const numberFields = (section: 'training' | 'advanced') => SETTINGS.filter((s) => s.form?.section === section);
const TRAINING_FIELDS = numberFields('training');
const ADVANCED_FIELDS = numberFields('advanced');
const label = (key: keyof RunConfig) => settingOf(key).label ?? key;

/** How a model or data source stands before training: shown beside it. */
export interface SourceState {
  state: 'ready' | 'warning' | 'error' | 'working';
  text: string;
}

export interface SetupPanel {
  read(): RunConfig;
  write(config: RunConfig): void;
  /** Problems with the current set-up, one line each (empty: ready to train). */
  problems(): string[];
  /** Marks a link's bad values on their fields (they clear when the field is changed). */
  markLinkIssues(issues: LinkIssue[]): void;
  /** Beside each model (by name) and the data: embedded, cached, will download N MB, unreachable: why. */
  setSourceStates(models: Map<string, SourceState>, data: SourceState | null): void;
  /** Why the plan cannot run (Start stays disabled), or null. */
  setPlanBlocker(reason: string | null): void;
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

const DEMO_SIZE_NOTE = `the embedded sample has ${DEMO_TRAINING.numTrainExamples.toLocaleString('en')} English pairs`;

export function mountSetupPanel(panel: HTMLElement, callbacks: SetupCallbacks): SetupPanel {
  const presets = el('div', { class: 'presets', role: 'group', 'aria-label': 'Presets' });
  const presetButtons = PRESETS.map((preset) => {
    const button = el('button', { type: 'button', 'data-preset': preset.id, 'aria-pressed': 'false', 'aria-describedby': 'preset-help' }, preset.title);
    button.addEventListener('click', () => {
      write(preset.config);
      linkMarks.clear();
      changed();
    });
    presets.append(button);
    return { preset, button };
  });
  const presetHelp = el('small', { id: 'preset-help' });

  const startButton = el('button', { type: 'submit', id: 'start-training', 'aria-describedby': 'start-reason' }, 'Start training');
  const startReason = el('p', { id: 'start-reason', role: 'status' });
  const useDemo = el('button', { type: 'button', id: 'use-demo', hidden: '' }, 'Use the offline demo instead');
  useDemo.addEventListener('click', () => presetButtons.find((p) => p.preset.id === 'offline-demo')!.button.click());

  const techniques = el('fieldset', { id: 'setup-technique', 'data-setting': 'technique' }, el('legend', {}, label('technique')));
  const techniqueHelp: Record<Technique, string> = { 'fine-tune': 'all weights train', 'feature-extraction': 'only the classifier head trains' };
  for (const technique of TECHNIQUES) {
    techniques.append(el('label', { class: 'check' }, el('input', { type: 'radio', name: 'technique', value: technique }), ` ${technique} (${techniqueHelp[technique]})`));
  }
  const techniqueNote = el('small', { id: 'technique-note', hidden: '' });
  techniques.append(techniqueNote);

  const modelList = el('div', { id: 'model-list', class: 'model-list' });
  const models = el('fieldset', { id: 'setup-models', 'data-setting': 'modelNames' }, el('legend', {}, label('modelNames')), modelList);
  const modelRows = new Map<string, { box: HTMLInputElement; state: HTMLElement }>();
  const addModel = (name: string, checked: boolean) => {
    let row = modelRows.get(name);
    if (!row) {
      const id = `model-${modelRows.size}`;
      const label = name === DEMO_MODEL ? 'Demo model (embedded, 0.1M parameters)' : isLocalName(name) ? `${name} (picked folder)` : name;
      const state = el('small', { class: 'source-state', id: `${id}-state` });
      const line = checkbox('model', name, label, id);
      modelList.append(el('div', { class: 'model-row' }, line, state));
      const box = line.querySelector('input')!;
      box.setAttribute('aria-describedby', state.id);
      row = { box, state };
      modelRows.set(name, row);
    }
    row.box.checked = checked;
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
  const hubModel = el('div', { class: 'field inline' }, el('label', { for: 'model-search' }, 'Another model from the Hub'), search, suggestions, addButton);

  const languageList = el('div', { class: 'checks languages' });
  for (const language of XNLI_LANGUAGES) languageList.append(checkbox('language', language, languageLabel(language), `language-${language}`));
  const languages = el('fieldset', { id: 'setup-languages', 'data-setting': 'evalLanguages' }, el('legend', {}, label('evalLanguages')), languageList);

  // --- Training numbers and Advanced: collapsed; their summaries say what is set. ---
  const data = el('select', { id: 'setup-data', 'data-setting': 'data' },
    el('option', { value: 'demo' }, `Embedded offline sample (${DEMO_LANGUAGES.join(', ')})`),
    el('option', { value: 'xnli' }, 'XNLI from the Hub (English train split, validation splits)'),
    el('option', { value: 'local' }, 'Local files (picked below)'));
  const dataState = el('small', { class: 'source-state', id: 'setup-data-state' });
  data.setAttribute('aria-describedby', dataState.id);
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
    evalFileFields[language] = labelled(input.id, `Evaluation file (${languageLabel(language)})`, input);
  }
  const trainFileInput = fileInput('setup-train-file', 'train', (name) => (local.train = name));
  const allFileInput = fileInput('setup-eval-file-all', 'all', (name) => (local.all = name));
  const localData = el('fieldset', { id: 'local-data', hidden: '' },
    el('legend', {}, 'Local XNLI files (parquet, JSONL, or XNLI-1.0 TSV with language, gold_label, sentence1, sentence2)'),
    labelled(trainFileInput.id, label('trainFile'), trainFileInput),
    labelled(allFileInput.id, 'Evaluation file for every language', allFileInput, 'e.g. xnli.dev.tsv: each language reads its own rows; a file picked for one language below wins'),
    ...Object.values(evalFileFields));
  const folder = el('input', { id: 'setup-model-folder', type: 'file', webkitdirectory: '' });
  const folderError = el('small', { class: 'field-error', id: 'setup-model-folder-error', hidden: '' });
  folder.addEventListener('change', (event) => {
    event.stopPropagation();
    folderError.hidden = true;
    try {
      addModel(addLocalModel(folder.files ?? []), true);
      changed();
    } catch (error) {
      folderError.textContent = `The picked folder cannot be used as a model: ${(error as Error).message}`;
      folderError.hidden = false;
    } finally {
      folder.value = '';
    }
  });
  const revision = el('input', { id: 'setup-revision', placeholder: 'main', autocomplete: 'off', 'data-setting': 'revision' });
  const token = el('input', { id: 'setup-token', type: 'password', autocomplete: 'off', spellcheck: 'false' });
  const rememberToken = el('input', { id: 'setup-remember-token', type: 'checkbox' });
  token.value = rememberedHubToken();
  rememberToken.checked = token.value !== '';
  const tokenChanged = () => setHubToken(token.value, rememberToken.checked);
  token.addEventListener('input', tokenChanged);
  rememberToken.addEventListener('change', tokenChanged);
  const backend = el('select', { id: 'setup-backend', 'data-setting': 'backend' }, ...BACKENDS.map((b) => el('option', { value: b }, b === 'auto' ? 'auto (the fastest here)' : b)));
  const endpoint = el('input', { id: 'setup-endpoint', type: 'url', 'data-setting': 'hubEndpoint' });
  const featureCache = el('input', { type: 'checkbox', name: 'feature-extraction-cache', id: 'feature-extraction-cache', 'data-setting': 'featureExtractionCache' }) as HTMLInputElement;

  const numbers: Record<string, HTMLInputElement> = {};
  const numberField = ({ key, label, form }: SettingSpec) => {
    const input = el('input', { id: `setup-${key}`, type: 'number', step: form!.step, min: form!.min, 'data-setting': key });
    input.required = form!.empty === undefined;
    numbers[key] = input;
    return labelled(input.id, label ?? key, input, form!.help);
  };
  const trainingSummary = el('span', { class: 'summary-values' });
  const training = el('details', { id: 'setup-training' },
    el('summary', {}, 'Training settings ', trainingSummary),
    el('div', { class: 'grid' }, ...TRAINING_FIELDS.map(numberField)));
  const hubFields = el('div', { class: 'grid', id: 'hub-fields' },
    labelled('setup-endpoint', label('hubEndpoint'), endpoint),
    labelled('setup-revision', label('revision'), revision),
    el('div', { class: 'field' },
      labelled(token.id, 'Hugging Face token', token, 'for gated or private repos; sent only to the Hub endpoint, never put in links, runs or exports'),
      el('label', { class: 'check', for: rememberToken.id }, rememberToken, ' Remember on this device')));
  const advanced = el('details', { id: 'setup-advanced' },
    el('summary', {}, 'Advanced'),
    hubModel,
    el('div', { class: 'grid' },
      el('div', { class: 'field' }, labelled('setup-data', 'Data', data), dataState),
      labelled('setup-backend', label('backend'), backend),
      ...ADVANCED_FIELDS.map(numberField)),
    el('label', { class: 'check wrap', for: 'feature-extraction-cache' }, featureCache, ` ${label('featureExtractionCache')}`),
    hubFields,
    localData,
    el('div', { class: 'field' }, labelled(folder.id, 'Local model folder', folder, 'a folder with config.json, model.safetensors, tokenizer.json (and tokenizer_config.json); read in this browser, never uploaded'), folderError),
  );

  const copyButton = el('button', { type: 'button', id: 'copy-link' }, 'Copy link to this set-up');
  const copyStatus = el('span', { role: 'status', id: 'copy-status' });
  copyButton.addEventListener('click', () => {
    navigator.clipboard?.writeText(location.href).then(
      () => (copyStatus.textContent = 'Link copied.'),
      () => (copyStatus.textContent = `Copy this link: ${location.href}`),
    );
  });

  const form = el('form', { id: 'setup-form', 'aria-label': 'Training set-up', novalidate: '' },
    presets, presetHelp,
    el('div', { class: 'start-row' }, startButton, useDemo),
    startReason,
    techniques, models, languages, training, advanced,
    el('div', { class: 'actions' }, copyButton, copyStatus),
  );
  panel.append(form);

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
    for (const { key, form } of [...TRAINING_FIELDS, ...ADVANCED_FIELDS]) {
      (config as unknown as Record<string, number>)[key] = numbers[key].value === '' ? form!.empty ?? NaN : Number(numbers[key].value);
    }
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
    for (const row of modelRows.values()) row.box.checked = false;
    for (const name of config.modelNames) addModel(name, true);
    for (const box of languageList.querySelectorAll<HTMLInputElement>('input')) box.checked = config.evalLanguages.includes(box.value);
    for (const { key, form } of [...TRAINING_FIELDS, ...ADVANCED_FIELDS]) numbers[key].value = config[key] === form!.empty ? '' : String(config[key]);
    backend.value = config.backend;
    endpoint.value = config.hubEndpoint;
    revision.value = config.revision;
    data.value = usesDemoData(config) ? 'demo' : config.trainFile && isLocalName(config.trainFile) ? 'local' : 'xnli';
    refreshView();
  }

  /** Every problem of the set-up, on the setting it is about. */
  function issues(): { setting?: Setting; message: string }[] {
    const config = read();
    const found: { setting?: Setting; message: string }[] = configIssues(config, 'page');
    if (data.value === 'demo') {
      const missing = config.evalLanguages.filter((l) => !(DEMO_LANGUAGES as readonly string[]).includes(l));
      if (missing.length) found.push({ setting: 'evalLanguages', message: `the offline sample has no ${missing.map(languageLabel).join(', ')} data; untick them or choose XNLI from the Hub under Advanced` });
    }
    if (data.value === 'local') {
      if (!config.trainFile) found.push({ setting: 'data', message: 'pick a training file under Local XNLI files (parquet, JSONL or XNLI TSV), or choose other data' });
      const missing = config.evalLanguages.filter((l) => !config.evalFiles[l]);
      if (missing.length) found.push({ setting: 'data', message: `pick an evaluation file for ${missing.join(', ')} (or one XNLI TSV for every language)` });
    }
    for (const name of config.modelNames) if (isLocalName(name) && !localModelUrls(name)) found.push({ setting: 'modelNames', message: `${name} is no longer picked in this page: pick the local model folder again` });
    for (const file of [config.trainFile, ...Object.values(config.evalFiles)]) if (file && isLocalName(file) && !localDataFile(file)) found.push({ setting: 'data', message: `${file} is no longer picked in this page: pick it again` });
    return found;
  }

  // --- Marking problems on their fields ---
  const linkMarks = new Map<Setting | '', string[]>();
  const linkBox = el('div', { id: 'setup-link-issues', class: 'field-error', role: 'alert', hidden: '' });
  form.prepend(linkBox);
  const controlFor = (setting: Setting): HTMLElement | null => form.querySelector<HTMLElement>(`[data-setting="${setting}"]`);
  function showMarks(problems: { setting?: Setting; message: string }[]): void {
    for (const old of form.querySelectorAll('.field-error[data-for]')) old.remove();
    for (const old of form.querySelectorAll('[aria-invalid]')) old.removeAttribute('aria-invalid');
    const bySetting = new Map<Setting | '', string[]>();
    for (const { setting, message } of problems) bySetting.set(setting ?? '', [...(bySetting.get(setting ?? '') ?? []), message]);
    for (const [setting, messages] of linkMarks) bySetting.set(setting, [...(bySetting.get(setting) ?? []), ...messages.map((m) => `from the link: ${m}`)]);
    const general: string[] = bySetting.get('') ?? [];
    for (const [setting, messages] of bySetting) {
      if (setting === '') continue;
      const control = controlFor(setting);
      if (!control) {
        general.push(...messages);
        continue;
      }
      const id = `error-${setting}`;
      const note = el('small', { class: 'field-error', id, 'data-for': setting }, messages.join('; '));
      control.setAttribute('aria-invalid', 'true');
      const described = (control.getAttribute('aria-describedby') ?? '').split(' ').filter((d) => d && !d.startsWith('error-'));
      control.setAttribute('aria-describedby', [...described, id].join(' '));
      if (control.tagName === 'FIELDSET') control.append(note);
      else (control.closest('.field') ?? control).after(note);
      // A problem inside a closed disclosure opens it.
      const details = control.closest('details');
      if (details) details.open = true;
    }
    linkBox.hidden = general.length === 0;
    linkBox.replaceChildren(...general.map((m) => el('p', {}, m)));
  }

  let running = false;
  let planBlocker: string | null = null;
  function refreshStart(problems: { message: string }[]): void {
    const reason = running ? 'Training is running: the live view shows it.'
      : problems.length ? `Fix ${problems.length === 1 ? 'the marked setting' : `the ${problems.length} marked settings`} to start: ${problems.map((p) => p.message).join('; ')}.`
      : planBlocker ? `This set-up cannot train: ${planBlocker}.` : '';
    startButton.disabled = running || reason !== '';
    startButton.textContent = running ? 'Training…' : 'Start training';
    startReason.textContent = reason;
    startReason.dataset.state = reason && !running ? 'error' : 'ready';
    useDemo.hidden = running || reason === '' || data.value === 'demo' && read().modelNames.every((n) => n === DEMO_MODEL);
  }

  function refreshView(): void {
    const config = read();
    localData.hidden = data.value !== 'local';
    const checkedLanguages = new Set(config.evalLanguages);
    for (const [language, field] of Object.entries(evalFileFields)) field.hidden = !checkedLanguages.has(language);
    // Hub settings only where something comes from the Hub.
    const fromHub = data.value === 'xnli' || config.modelNames.some((n) => !isAppPath(n) && !isLocalName(n));
    hubFields.hidden = !fromHub;
    numbers.numTrainExamples.nextElementSibling!.textContent = data.value === 'demo' ? DEMO_SIZE_NOTE : settingOf('numTrainExamples').form!.help!;
    trainingSummary.textContent = `(${config.numTrainExamples.toLocaleString('en')} examples · ${config.numTrainEpochs} epochs · batch ${config.batchSize} · learning rate ${config.learningRate})`;
    const demoFeatureExtraction = config.technique === 'feature-extraction' && config.modelNames.includes(DEMO_MODEL);
    techniqueNote.hidden = !demoFeatureExtraction;
    techniqueNote.textContent = demoFeatureExtraction ? 'The demo model is random apart from its word embeddings: its frozen encoder carries no sentence meaning, so feature-extraction stays near chance (33.3%). Fine-tune it to see transfer.' : '';
    const pressed = PRESETS.find((p) => sameSetup(p.config, config));
    for (const { preset, button } of presetButtons) button.setAttribute('aria-pressed', String(preset === pressed));
    presetHelp.textContent = pressed ? pressed.description : 'Your own set-up (no preset matches it).';
    const problems = issues();
    showMarks(problems);
    refreshStart(problems);
  }

  const changed = (event?: Event) => {
    const setting = (event?.target as HTMLElement | undefined)?.closest('[data-setting]')?.getAttribute('data-setting');
    if (setting) linkMarks.delete(setting as Setting);
    refreshView();
    callbacks.changed(read());
  };
  form.addEventListener('change', changed);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const problems = issues();
    showMarks(problems);
    if (problems.length === 0 && !planBlocker && !running) callbacks.start(read());
  });

  return {
    read,
    write,
    problems: () => issues().map((i) => i.message),
    markLinkIssues(list) {
      linkMarks.clear();
      for (const issue of list) linkMarks.set(issue.setting ?? '', [...(linkMarks.get(issue.setting ?? '') ?? []), issue.message]);
      refreshView();
    },
    setSourceStates(states, dataStateNow) {
      for (const [name, row] of modelRows) {
        const state = states.get(name);
        row.state.textContent = state?.text ?? '';
        row.state.dataset.state = state?.state ?? 'ready';
      }
      dataState.textContent = dataStateNow?.text ?? '';
      dataState.dataset.state = dataStateNow?.state ?? 'ready';
    },
    setPlanBlocker(reason) {
      planBlocker = reason;
      refreshStart(issues());
    },
    setRunning(now) {
      running = now;
      refreshStart(issues());
    },
  };
}

/** Whether two set-ups train the same (what a preset button shows as pressed). */
function sameSetup(a: RunConfig, b: RunConfig): boolean {
  const keys: (keyof RunConfig)[] = ['technique', 'batchSize', 'numTrainExamples', 'numTrainEpochs', 'learningRate', 'evalSteps', 'trainFile'];
  return keys.every((k) => a[k] === b[k]) && a.modelNames.join() === b.modelNames.join() && [...a.evalLanguages].sort().join() === [...b.evalLanguages].sort().join();
}
