/**
 * One simple clause ("the [adjective] subject [does not] verb [place] [time]") written out in each demo
 * language, as pieces tagged with the lexicon concept they render (the tags drive the embedding alignment).
 */
import { ADJECTIVES, PLACES, SUBJECTS, TIMES, VERBS, type Lang } from './lexicon.ts';

export interface Clause {
  subject: string;
  adjective: string | null;
  verb: string;
  negated: boolean;
  place: string | null;
  time: string | null;
}

/** A stretch of text and the concept it renders; `glue` means no space before it. */
export interface Piece { text: string; concept: string; glue?: boolean }

/** Concept ids of the grammar words that are not lexicon entries. */
export const GRAMMAR_CONCEPTS = { article: 'grammar:the', negation: 'grammar:not', fullStop: 'grammar:stop' } as const;

export function renderClause(clause: Clause, lang: Lang): string {
  return joinPieces(clausePieces(clause, lang));
}

export function joinPieces(pieces: Piece[]): string {
  return pieces.map((p, i) => (i === 0 || p.glue ? p.text : ` ${p.text}`)).join('');
}

export function clausePieces(clause: Clause, lang: Lang): Piece[] {
  const noun = SUBJECTS[clause.subject];
  const adjective = clause.adjective === null ? null : ADJECTIVES[clause.adjective];
  const verb = VERBS[clause.verb];
  const subjectConcept = `subject:${clause.subject}`;
  const adjectiveConcept = `adjective:${clause.adjective}`;
  const verbConcept = `verb:${clause.verb}`;
  const { article, negation, fullStop } = GRAMMAR_CONCEPTS;
  const place: Piece[] = clause.place === null ? [] : [{ text: PLACES[clause.place][lang], concept: `place:${clause.place}` }];
  const time: Piece[] = clause.time === null ? [] : [{ text: TIMES[clause.time][lang], concept: `time:${clause.time}` }];
  const stop: Piece = { text: lang === 'zh' ? '。' : '.', concept: fullStop, glue: true };
  const pieces: Piece[] = [];
  switch (lang) {
    case 'en':
      pieces.push({ text: 'The', concept: article });
      if (adjective) pieces.push({ text: adjective.en, concept: adjectiveConcept });
      pieces.push({ text: noun.en, concept: subjectConcept });
      if (clause.negated) pieces.push({ text: 'does not', concept: negation }, { text: verb.en.base, concept: verbConcept });
      else pieces.push({ text: verb.en.third, concept: verbConcept });
      pieces.push(...place, ...time);
      break;
    case 'de': {
      // Verb second; time before "nicht", "nicht" before the place: "Der Mann schläft heute nicht im Park."
      pieces.push({ text: { m: 'Der', f: 'Die', n: 'Das' }[noun.de.gender], concept: article });
      if (adjective) pieces.push({ text: adjective.de, concept: adjectiveConcept });
      pieces.push({ text: noun.de.word, concept: subjectConcept }, { text: verb.de, concept: verbConcept }, ...time);
      if (clause.negated) pieces.push({ text: 'nicht', concept: negation });
      pieces.push(...place);
      break;
    }
    case 'fr': {
      const { word, gender, elides } = noun.fr;
      if (adjective) {
        const form = gender === 'f' ? adjective.fr.f : elides && adjective.fr.beforeVowel ? adjective.fr.beforeVowel : adjective.fr.m;
        pieces.push({ text: gender === 'f' ? 'La' : 'Le', concept: article }, { text: form, concept: adjectiveConcept });
        pieces.push({ text: word, concept: subjectConcept });
      } else if (elides) {
        pieces.push({ text: "L'", concept: article }, { text: word, concept: subjectConcept, glue: true });
      } else {
        pieces.push({ text: gender === 'f' ? 'La' : 'Le', concept: article }, { text: word, concept: subjectConcept });
      }
      if (clause.negated) pieces.push({ text: 'ne', concept: negation }, { text: verb.fr, concept: verbConcept }, { text: 'pas', concept: negation });
      else pieces.push({ text: verb.fr, concept: verbConcept });
      pieces.push(...place, ...time);
      break;
    }
    case 'es': {
      const { word, gender } = noun.es;
      pieces.push({ text: gender === 'f' ? 'La' : 'El', concept: article }, { text: word, concept: subjectConcept });
      if (adjective) pieces.push({ text: adjective.es[gender], concept: adjectiveConcept });
      if (clause.negated) pieces.push({ text: 'no', concept: negation });
      pieces.push({ text: verb.es, concept: verbConcept }, ...place, ...time);
      break;
    }
    case 'ar': {
      // Subject-first sentence: the verb agrees with the subject's gender; the adjective follows the noun.
      const { word, gender } = noun.ar;
      pieces.push({ text: word, concept: subjectConcept });
      if (adjective) pieces.push({ text: adjective.ar[gender], concept: adjectiveConcept });
      if (clause.negated) pieces.push({ text: 'لا', concept: negation });
      pieces.push({ text: verb.ar[gender], concept: verbConcept }, ...place, ...time);
      break;
    }
    case 'zh': {
      // Subject, time, negation, place, verb: 男人今天不在公园里睡觉。
      if (adjective) pieces.push({ text: adjective.zh, concept: adjectiveConcept });
      pieces.push({ text: noun.zh, concept: subjectConcept }, ...time);
      if (clause.negated) pieces.push({ text: '不', concept: negation });
      pieces.push(...place, { text: verb.zh, concept: verbConcept });
      for (const piece of pieces) piece.glue = true;
      break;
    }
  }
  pieces.push(stop);
  return pieces;
}
