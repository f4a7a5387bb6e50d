/**
 * The hand-written lexicon of the offline demo: every concept rendered in six languages. Each entry's
 * key is its concept id; the model's word embeddings tie every word that renders a concept together.
 */

export const DEMO_LANGUAGES = ['en', 'de', 'fr', 'es', 'ar', 'zh'] as const;
export type Lang = (typeof DEMO_LANGUAGES)[number];

export type Gender = 'm' | 'f' | 'n';

export interface Noun {
  en: string;
  de: { word: string; gender: Gender };
  /** `elides`: takes l' instead of le/la when nothing stands between article and noun. */
  fr: { word: string; gender: 'm' | 'f'; elides?: boolean };
  es: { word: string; gender: 'm' | 'f' };
  /** Definite form (with ال); the gender drives verb and adjective agreement. */
  ar: { word: string; gender: 'm' | 'f' };
  zh: string;
}

export interface Adjective {
  en: string;
  /** Weak declension after the nominative definite article: the same -e form for every gender. */
  de: string;
  /** Pre-nominal in French; `beforeVowel` is the masculine form before a vowel (vieil homme). */
  fr: { m: string; f: string; beforeVowel?: string };
  /** Post-nominal in Spanish. */
  es: { m: string; f: string };
  /** Post-nominal and definite in Arabic. */
  ar: { m: string; f: string };
  /** Attributive with 的, before the noun. */
  zh: string;
}

export interface Verb {
  en: { base: string; third: string };
  de: string;
  fr: string;
  es: string;
  ar: { m: string; f: string };
  zh: string;
}

/** A prepositional phrase or adverbial, as it is written in each language. */
export type Phrase = Record<Lang, string>;

export const SUBJECTS: Record<string, Noun> = {
  man: { en: 'man', de: { word: 'Mann', gender: 'm' }, fr: { word: 'homme', gender: 'm', elides: true }, es: { word: 'hombre', gender: 'm' }, ar: { word: 'الرجل', gender: 'm' }, zh: '男人' },
  woman: { en: 'woman', de: { word: 'Frau', gender: 'f' }, fr: { word: 'femme', gender: 'f' }, es: { word: 'mujer', gender: 'f' }, ar: { word: 'المرأة', gender: 'f' }, zh: '女人' },
  boy: { en: 'boy', de: { word: 'Junge', gender: 'm' }, fr: { word: 'garçon', gender: 'm' }, es: { word: 'niño', gender: 'm' }, ar: { word: 'الولد', gender: 'm' }, zh: '男孩' },
  girl: { en: 'girl', de: { word: 'Mädchen', gender: 'n' }, fr: { word: 'fille', gender: 'f' }, es: { word: 'niña', gender: 'f' }, ar: { word: 'البنت', gender: 'f' }, zh: '女孩' },
  dog: { en: 'dog', de: { word: 'Hund', gender: 'm' }, fr: { word: 'chien', gender: 'm' }, es: { word: 'perro', gender: 'm' }, ar: { word: 'الكلب', gender: 'm' }, zh: '狗' },
  cat: { en: 'cat', de: { word: 'Katze', gender: 'f' }, fr: { word: 'chat', gender: 'm' }, es: { word: 'gato', gender: 'm' }, ar: { word: 'القطة', gender: 'f' }, zh: '猫' },
  teacher: { en: 'teacher', de: { word: 'Lehrer', gender: 'm' }, fr: { word: 'professeur', gender: 'm' }, es: { word: 'profesor', gender: 'm' }, ar: { word: 'المعلم', gender: 'm' }, zh: '老师' },
  doctor: { en: 'doctor', de: { word: 'Arzt', gender: 'm' }, fr: { word: 'médecin', gender: 'm' }, es: { word: 'médico', gender: 'm' }, ar: { word: 'الطبيب', gender: 'm' }, zh: '医生' },
};

export const ADJECTIVES: Record<string, Adjective> = {
  old: { en: 'old', de: 'alte', fr: { m: 'vieux', f: 'vieille', beforeVowel: 'vieil' }, es: { m: 'viejo', f: 'vieja' }, ar: { m: 'العجوز', f: 'العجوز' }, zh: '年老的' },
  young: { en: 'young', de: 'junge', fr: { m: 'jeune', f: 'jeune' }, es: { m: 'joven', f: 'joven' }, ar: { m: 'الشاب', f: 'الشابة' }, zh: '年轻的' },
  tall: { en: 'tall', de: 'große', fr: { m: 'grand', f: 'grande' }, es: { m: 'alto', f: 'alta' }, ar: { m: 'الطويل', f: 'الطويلة' }, zh: '高大的' },
  small: { en: 'small', de: 'kleine', fr: { m: 'petit', f: 'petite' }, es: { m: 'pequeño', f: 'pequeña' }, ar: { m: 'الصغير', f: 'الصغيرة' }, zh: '矮小的' },
};

export const VERBS: Record<string, Verb> = {
  sleep: { en: { base: 'sleep', third: 'sleeps' }, de: 'schläft', fr: 'dort', es: 'duerme', ar: { m: 'ينام', f: 'تنام' }, zh: '睡觉' },
  run: { en: { base: 'run', third: 'runs' }, de: 'rennt', fr: 'court', es: 'corre', ar: { m: 'يركض', f: 'تركض' }, zh: '跑步' },
  eat: { en: { base: 'eat', third: 'eats' }, de: 'isst', fr: 'mange', es: 'come', ar: { m: 'يأكل', f: 'تأكل' }, zh: '吃饭' },
  read: { en: { base: 'read', third: 'reads' }, de: 'liest', fr: 'lit', es: 'lee', ar: { m: 'يقرأ', f: 'تقرأ' }, zh: '看书' },
  sing: { en: { base: 'sing', third: 'sings' }, de: 'singt', fr: 'chante', es: 'canta', ar: { m: 'يغني', f: 'تغني' }, zh: '唱歌' },
  work: { en: { base: 'work', third: 'works' }, de: 'arbeitet', fr: 'travaille', es: 'trabaja', ar: { m: 'يعمل', f: 'تعمل' }, zh: '工作' },
  laugh: { en: { base: 'laugh', third: 'laughs' }, de: 'lacht', fr: 'rit', es: 'ríe', ar: { m: 'يضحك', f: 'تضحك' }, zh: '大笑' },
  cry: { en: { base: 'cry', third: 'cries' }, de: 'weint', fr: 'pleure', es: 'llora', ar: { m: 'يبكي', f: 'تبكي' }, zh: '哭泣' },
  swim: { en: { base: 'swim', third: 'swims' }, de: 'schwimmt', fr: 'nage', es: 'nada', ar: { m: 'يسبح', f: 'تسبح' }, zh: '游泳' },
  walk: { en: { base: 'walk', third: 'walks' }, de: 'spaziert', fr: 'marche', es: 'camina', ar: { m: 'يمشي', f: 'تمشي' }, zh: '散步' },
};

/** Verb pairs that cannot both be true of one subject at one moment: the source of verb contradictions. */
export const INCOMPATIBLE_VERBS: ReadonlyArray<readonly [string, string]> = [
  ['sleep', 'run'], ['sleep', 'eat'], ['sleep', 'read'], ['sleep', 'sing'], ['sleep', 'work'], ['sleep', 'swim'], ['sleep', 'walk'],
  ['laugh', 'cry'], ['run', 'walk'], ['swim', 'walk'], ['swim', 'run'], ['sing', 'eat'],
];

export const PLACES: Record<string, Phrase> = {
  park: { en: 'in the park', de: 'im Park', fr: 'dans le parc', es: 'en el parque', ar: 'في المنتزه', zh: '在公园里' },
  home: { en: 'at home', de: 'zu Hause', fr: 'à la maison', es: 'en casa', ar: 'في البيت', zh: '在家里' },
  garden: { en: 'in the garden', de: 'im Garten', fr: 'dans le jardin', es: 'en el jardín', ar: 'في الحديقة', zh: '在花园里' },
  kitchen: { en: 'in the kitchen', de: 'in der Küche', fr: 'dans la cuisine', es: 'en la cocina', ar: 'في المطبخ', zh: '在厨房里' },
  school: { en: 'at school', de: 'in der Schule', fr: "à l'école", es: 'en la escuela', ar: 'في المدرسة', zh: '在学校里' },
  city: { en: 'in the city', de: 'in der Stadt', fr: 'en ville', es: 'en la ciudad', ar: 'في المدينة', zh: '在城市里' },
};

export const TIMES: Record<string, Phrase> = {
  today: { en: 'today', de: 'heute', fr: "aujourd'hui", es: 'hoy', ar: 'اليوم', zh: '今天' },
  morning: { en: 'in the morning', de: 'am Morgen', fr: 'le matin', es: 'por la mañana', ar: 'في الصباح', zh: '早上' },
  evening: { en: 'in the evening', de: 'am Abend', fr: 'le soir', es: 'por la noche', ar: 'في المساء', zh: '晚上' },
};
