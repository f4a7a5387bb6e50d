/** What XNLI is, in one place: its languages, splits and labels (facebook/xnli on the Hub). */

export const XNLI_REPO = 'facebook/xnli';
/** The 15 languages of XNLI (the dataset's configs, less `all_languages`, whose schema differs). */
export const XNLI_LANGUAGES = ['ar', 'bg', 'de', 'el', 'en', 'es', 'fr', 'hi', 'ru', 'sw', 'th', 'tr', 'ur', 'vi', 'zh'] as const;
export type XnliSplit = 'train' | 'validation' | 'test';
export const XNLI_SPLITS: readonly XnliSplit[] = ['train', 'validation', 'test'];
/** Label ids 0, 1, 2, as the dataset and the reference's classifier number them. */
export const XNLI_LABELS = ['entailment', 'neutral', 'contradiction'] as const;

/** One XNLI example: label 0 entailment, 1 neutral, 2 contradiction. */
export interface NliRow {
  premise: string;
  hypothesis: string;
  label: number;
}

/** English names of XNLI's languages, for labels people read. */
export const LANGUAGE_NAMES: Record<string, string> = {
  ar: 'Arabic', bg: 'Bulgarian', de: 'German', el: 'Greek', en: 'English', es: 'Spanish', fr: 'French', hi: 'Hindi',
  ru: 'Russian', sw: 'Swahili', th: 'Thai', tr: 'Turkish', ur: 'Urdu', vi: 'Vietnamese', zh: 'Chinese',
};

/** "German (de)"; a code XNLI does not have stays as it is. */
export const languageLabel = (code: string) => (LANGUAGE_NAMES[code] ? `${LANGUAGE_NAMES[code]} (${code})` : code);
