// A task a small model can learn from scratch, for the CLI tests: the premise holds one marker word that decides
// the label (happy → entailment, nice → neutral, kalt → contradiction); everything else is filler. Chance is 1/3.

export interface MarkerPair {
  premise: string;
  hypothesis: string;
  label: number;
}

export function markerPairs(count: number, seed: number): MarkerPair[] {
  const markers = ['happy', 'nice', 'kalt'];
  const filler = ['the', 'les', 'que', 'son', 'was', 'are', 'also', 'avec', 'der', 'die', 'for', 'his', 'new', 'not', 'qui', 'sind', 'under', 'were', 'what', 'why'];
  let state = seed >>> 0;
  const next = (n: number) => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) % n);
  return Array.from({ length: count }, () => {
    const label = next(3);
    const words = Array.from({ length: 4 + next(6) }, () => filler[next(filler.length)]);
    words.splice(next(words.length + 1), 0, markers[label]);
    return { premise: words.join(' '), hypothesis: Array.from({ length: 2 + next(4) }, () => filler[next(filler.length)]).join(' '), label };
  });
}

export const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
