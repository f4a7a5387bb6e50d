// `npm run bench`: each benchmark in turn, one line of results per benchmark.
import { runParquetBench } from './xnli-parquet.bench.ts';

const benches: Record<string, () => Promise<Record<string, number>>> = {
  'xnli-parquet (392,702 rows, draw 15,000)': () => runParquetBench(),
};

for (const [name, run] of Object.entries(benches)) {
  const result = await run();
  console.log(`${name}: ${Object.entries(result).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}
