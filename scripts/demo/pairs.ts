/**
 * Premise/hypothesis clause pairs whose NLI label follows from how the hypothesis was built:
 * entailment drops information (or, under negation, adds it), neutral adds information the premise lacks
 * (or swaps in a compatible verb or another subject), contradiction negates the premise, or swaps in an
 * incompatible verb or another place. Every label is made several ways so that no single surface cue
 * (a negation word, a longer hypothesis) gives it away.
 */
import { SeededRandom } from '../../src/train/rng.ts';
import { ADJECTIVES, INCOMPATIBLE_VERBS, PLACES, SUBJECTS, TIMES, VERBS } from './lexicon.ts';
import { renderClause, type Clause } from './render.ts';
import { bertWords } from './vocabulary.ts';

export type Label = 0 | 1 | 2;
export interface ClausePair {
  premise: Clause;
  hypothesis: Clause;
  label: Label;
  /**
   * How it was built, `label.builder`: "2.1" is the second contradiction builder (an incompatible verb). Read by
   * train-node.ts --kinds and to pick the playground's examples; not written to the data files.
   */
  kind: string;
}

type Modifier = 'adjective' | 'place' | 'time';
const MODIFIERS: Modifier[] = ['adjective', 'place', 'time'];
const SITUATION: Modifier[] = ['place', 'time'];

const subjects = Object.keys(SUBJECTS);
const adjectives = Object.keys(ADJECTIVES);
const verbs = Object.keys(VERBS);
const places = Object.keys(PLACES);
const times = Object.keys(TIMES);

const incompatible = (a: string, b: string) => INCOMPATIBLE_VERBS.some(([x, y]) => (x === a && y === b) || (x === b && y === a));

class Draw {
  constructor(private readonly rng: SeededRandom) {}
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.rng.next() < p;
  }
  /** A non-empty random subset of `items` (items must be non-empty). */
  someOf<T>(items: readonly T[]): T[] {
    for (;;) {
      const chosen = items.filter(() => this.chance(0.5));
      if (chosen.length > 0) return chosen;
    }
  }
  value(modifier: Modifier): string {
    return this.pick(modifier === 'adjective' ? adjectives : modifier === 'place' ? places : times);
  }
  clause(negated: boolean, modifierChance: number): Clause {
    const clause: Clause = { subject: this.pick(subjects), adjective: null, verb: this.pick(verbs), negated, place: null, time: null };
    for (const m of MODIFIERS) if (this.chance(modifierChance)) clause[m] = this.value(m);
    return clause;
  }
}

const present = (c: Clause, ms: Modifier[]) => ms.filter((m) => c[m] !== null);
const absent = (c: Clause, ms: Modifier[]) => ms.filter((m) => c[m] === null);
function without(c: Clause, ms: Modifier[]): Clause {
  const out = { ...c };
  for (const m of ms) out[m] = null;
  return out;
}

/** A premise with at least one of `ms` present. */
function withSome(draw: Draw, negated: boolean, ms: Modifier[], chance: number): Clause {
  const clause = draw.clause(negated, chance);
  if (present(clause, ms).length === 0) {
    const m = draw.pick(ms);
    clause[m] = draw.value(m);
  }
  return clause;
}

/** A premise with at least one of `ms` missing. */
function withGap(draw: Draw, negated: boolean, ms: Modifier[], chance: number): Clause {
  const clause = draw.clause(negated, chance);
  if (absent(clause, ms).length === 0) clause[draw.pick(ms)] = null;
  return clause;
}

function addSome(draw: Draw, c: Clause, ms: Modifier[]): Clause {
  const out = { ...c };
  for (const m of draw.someOf(absent(c, ms))) out[m] = draw.value(m);
  return out;
}

/** The same clause with a random subset (possibly none) of its `ms` dropped. */
function dropAny(draw: Draw, c: Clause, ms: Modifier[]): Clause {
  return without(c, present(c, ms).filter(() => draw.chance(0.5)));
}

const ENTAILMENT: Array<(d: Draw) => [Clause, Clause]> = [
  // The old man sleeps in the park. ⊨ The man sleeps.
  (d) => { const p = withSome(d, false, MODIFIERS, 0.6); return [p, without(p, d.someOf(present(p, MODIFIERS)))]; },
  // The man does not sleep. ⊨ The man does not sleep in the park.
  (d) => { const p = withGap(d, true, SITUATION, 0.3); return [p, addSome(d, p, SITUATION)]; },
  // Restatement, possibly dropping detail: The man sleeps at home today. ⊨ The man sleeps at home today.
  (d) => { const p = d.clause(d.chance(0.3), 0.5); return [p, p.negated ? p : dropAny(d, p, ['time'])]; },
];

const NEUTRAL: Array<(d: Draw) => [Clause, Clause]> = [
  // The man sleeps. ? The man sleeps in the park.
  (d) => { const p = withGap(d, false, MODIFIERS, 0.4); return [p, addSome(d, p, MODIFIERS)]; },
  // The man does not sleep in the park. ? The man does not sleep.
  (d) => { const p = withSome(d, true, SITUATION, 0.5); return [p, without(p, d.someOf(present(p, SITUATION)))]; },
  // The man eats. ? The man reads.
  (d) => {
    const p = d.clause(false, 0.4);
    const h = dropAny(d, p, MODIFIERS);
    h.verb = d.pick(verbs.filter((v) => v !== p.verb && !incompatible(v, p.verb)));
    return [p, h];
  },
  // The man sleeps. ? The dog sleeps.
  (d) => {
    const p = d.clause(d.chance(0.3), 0.4);
    const h = dropAny(d, p, MODIFIERS);
    h.subject = d.pick(subjects.filter((s) => s !== p.subject));
    h.adjective = null;
    return [p, h];
  },
];

const CONTRADICTION: Array<(d: Draw) => [Clause, Clause]> = [
  // The man sleeps in the park. ⊥ The man does not sleep.
  (d) => { const p = d.clause(false, 0.5); return [p, { ...dropAny(d, p, MODIFIERS), negated: true }]; },
  // The man sleeps. ⊥ The man runs.
  (d) => {
    const p = d.clause(false, 0.4);
    const h = dropAny(d, p, MODIFIERS);
    h.verb = d.pick(verbs.filter((v) => incompatible(v, p.verb)));
    return [p, h];
  },
  // The man does not sleep. ⊥ The man sleeps at home.
  (d) => { const p = d.clause(true, 0.3); const h = { ...p, negated: false }; return [p, d.chance(0.5) && absent(p, MODIFIERS).length > 0 ? addSome(d, h, MODIFIERS) : h]; },
  // The man sleeps in the park. ⊥ The man sleeps at home.
  (d) => {
    const p = withSome(d, false, ['place'], 0.4);
    const h = dropAny(d, p, ['adjective', 'time']);
    h.place = d.pick(places.filter((x) => x !== p.place));
    return [p, h];
  },
];

const BUILDERS = [ENTAILMENT, NEUTRAL, CONTRADICTION];

/**
 * `count` pairs (a multiple of 3), exactly a third per label, in seeded random order, all distinct, none whose
 * key is in `exclude`, each ENGLISH_PAIR_WORDS long in English (pairs of other lengths are drawn again, so the
 * builders that rarely make such pairs, a negated premise with a situation added, are rarer).
 */
export function makeClausePairs(count: number, seed: number, exclude: ReadonlySet<string> = new Set()): ClausePair[] {
  if (count % 3 !== 0) throw new Error(`makeClausePairs: count ${count} must be a multiple of 3 for balanced labels`);
  const rng = new SeededRandom(seed);
  const draw = new Draw(rng);
  const labels: Label[] = [];
  for (let i = 0; i < count; i++) labels.push((i % 3) as Label);
  rng.shuffle(labels);
  const seen = new Set(exclude);
  return labels.map((label) => {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 100_000) throw new Error(`makeClausePairs: cannot find ${count} distinct pairs; ask for fewer`);
      const builders = BUILDERS[label];
      const builder = builders[Math.floor(rng.next() * builders.length)]!;
      const [premise, hypothesis] = builder(draw);
      const pair = { premise, hypothesis, label, kind: `${label}.${builders.indexOf(builder)}` };
      if (englishPairWords(pair) !== ENGLISH_PAIR_WORDS) continue;
      if (seen.has(pairKey(pair))) continue;
      seen.add(pairKey(pair));
      return pair;
    }
  });
}

/**
 * Words (BERT's: "." counts) of every English pair, premise and hypothesis together: 16 tokens with [CLS] and the
 * two [SEP]s. One length for all, because the trainer groups batches by length as transformers' group_by_length
 * does: each megabatch of 50 batches runs longest first. With lengths of 9-29 tokens the short pairs were the
 * hard ones (a verb or a subject swapped, no modifiers to compare), so every loss point averaged over less than
 * a megabatch rose or fell with the pairs' length: the curve zigzagged by 0.15-0.2 at logging_steps 25. At one
 * length the order within a megabatch is the shuffle's. It also keeps every batch at 16 positions (fast).
 */
export const ENGLISH_PAIR_WORDS = 13;

export function englishPairWords(pair: Pick<ClausePair, 'premise' | 'hypothesis'>): number {
  return bertWords(renderClause(pair.premise, 'en')).length + bertWords(renderClause(pair.hypothesis, 'en')).length;
}

export function pairKey(pair: Pick<ClausePair, 'premise' | 'hypothesis'>): string {
  return JSON.stringify([pair.premise, pair.hypothesis]);
}
