import { SPLITMIX32_INCREMENT, splitmix32Mix } from '../random.ts';

/**
 * A small seeded generator (SplitMix32-style) whose whole state is one 32-bit number, so a checkpoint can store
 * it and a resumed run draws exactly what an uninterrupted run would have drawn.
 */
export class SeededRandom {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + SPLITMIX32_INCREMENT) >>> 0;
    return splitmix32Mix(this.state);
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}
