#!/usr/bin/python3
"""Write tests/reference/goldens/numpy-permutation.json from real numpy.

Run with Debian's interpreter, whose numpy is the reference's 1.24:
    /usr/bin/python3 tests/reference/numpy_goldens.py
It records SeedSequence and PCG64 intermediates (to pin a mismatch to one stage) and
default_rng(seed).permutation(n) for several seeds and lengths.
"""
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

SEEDS = [0, 1, 42, 73, 2**32 + 5, 2**64 + 7, 12345678901234567890]
LENGTHS = [0, 1, 2, 10, 1000, 392702]
FULL_UP_TO = 1000  # store whole permutations up to this length, else head/tail/hashes
EDGE = 20
OUT = Path(__file__).resolve().parent / 'goldens' / 'numpy-permutation.json'


def int64_sha256(values):
    return hashlib.sha256(np.asarray(values, dtype='<i8').tobytes()).hexdigest()


def main():
    if not np.__version__.startswith('1.24'):
        print(f'warning: numpy {np.__version__}, the reference used 1.24 (run /usr/bin/python3)', file=sys.stderr)
    seed_sequences, bit_generators, permutations = [], [], []
    for seed in SEEDS:
        sequence = np.random.SeedSequence(seed)
        seed_sequences.append({
            'seed': str(seed),
            'pool': [int(w) for w in sequence.pool],
            'state32': [int(w) for w in sequence.generate_state(8, np.uint32)],
            'state64': [str(int(w)) for w in sequence.generate_state(4, np.uint64)],
        })
        bit_generator = np.random.default_rng(seed).bit_generator
        state = bit_generator.state['state']
        bit_generator_raw = [str(int(v)) for v in bit_generator.random_raw(6)]
        bit_generators.append({
            'seed': str(seed), 'state': str(state['state']), 'inc': str(state['inc']), 'raw': bit_generator_raw,
        })
        for n in LENGTHS:
            perm = np.random.default_rng(seed).permutation(n)
            entry = {'seed': str(seed), 'n': n, 'sha256': int64_sha256(perm)}
            if n <= FULL_UP_TO:
                entry['full'] = [int(v) for v in perm]
            else:
                entry['head'] = [int(v) for v in perm[:EDGE]]
                entry['tail'] = [int(v) for v in perm[-EDGE:]]
                entry['first15000Sha256'] = int64_sha256(perm[:15000])
            permutations.append(entry)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        'numpyVersion': np.__version__,
        'seedSequences': seed_sequences,
        'pcg64': bit_generators,
        'permutations': permutations,
    }, indent=1) + '\n')
    print(f'wrote {OUT} (numpy {np.__version__})')


if __name__ == '__main__':
    main()
