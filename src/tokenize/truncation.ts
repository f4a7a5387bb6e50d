/**
 * How many tokens of each sentence survive `longest_first` truncation, exactly as the Rust `tokenizers`
 * crate computes it (utils/truncation.rs): not one token at a time, but in closed form from the shorter
 * sentence and halves of the budget. `budget` is max_length minus the special tokens of the pair template.
 */
export function longestFirstLengths(firstLength: number, secondLength: number, budget: number): [number, number] {
  if (budget <= 0) return [0, 0];
  if (firstLength + secondLength <= budget) return [firstLength, secondLength];
  const swap = firstLength > secondLength;
  let shorter = swap ? secondLength : firstLength;
  let longer: number;
  // Only the longer one is cut, unless even the shorter one exceeds half the budget.
  longer = shorter > budget ? shorter : Math.max(shorter, budget - shorter);
  if (shorter + longer > budget) {
    shorter = Math.floor(budget / 2);
    longer = shorter + (budget % 2);
  }
  return swap ? [longer, shorter] : [shorter, longer];
}
