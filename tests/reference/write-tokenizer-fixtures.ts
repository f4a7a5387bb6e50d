// Writes the tokenizer fixtures to tests/fixtures/generated/tokenizers/<name>/ for tokenizer_reference.py.
import { writeTokenizerFixtures } from './tokenizer-goldens.ts';

const written = await writeTokenizerFixtures();
for (const [name, folder] of Object.entries(written)) console.log(`${name}: ${folder}`);
