#!/usr/bin/python3
"""Real torch.save outputs for the pytorch_model.bin reader (src/model/torch-checkpoint.ts): the tiny BERT fixture's
weights (tests/fixtures/generated/models/tiny-bert/model.safetensors, written by write-model-fixtures.ts) saved as
a state dict the way transformers' save_pretrained did before safetensors, in both of torch.save's formats, and
in float16; plus strided views. Writes tests/reference/goldens/torch/*.bin and sources.json (the fixture's SHA-256).
The fixture already carries an int64 buffer (bert.embeddings.position_ids), as older checkpoints do.

Run with Debian's python3-torch: /usr/bin/python3 tests/reference/torch_save_reference.py
"""
import collections
import hashlib
import json
from pathlib import Path

import torch

from model_reference import read_safetensors

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "fixtures" / "generated" / "models" / "tiny-bert" / "model.safetensors"
OUT = HERE / "goldens" / "torch"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    tensors = read_safetensors(SOURCE)
    state = collections.OrderedDict()
    for name, (dtype, array, _) in tensors.items():
        state[name] = torch.from_numpy(array.copy())
    torch.save(state, OUT / "tiny-bert.zip.bin")
    torch.save(state, OUT / "tiny-bert.legacy.bin", _use_new_zipfile_serialization=False)
    torch.save(collections.OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in state.items()), OUT / "tiny-bert.f16.bin")
    base = torch.arange(24, dtype=torch.float32)
    strided = collections.OrderedDict(
        transposed=base[:12].reshape(3, 4).t(),
        offset=base[5:11].reshape(2, 3),
        every_other=base.reshape(4, 6)[:, ::2],
        bfloat=base[:6].to(torch.bfloat16),
    )
    for fmt, zipped in (("zip", True), ("legacy", False)):
        torch.save(strided, OUT / f"strided.{fmt}.bin", _use_new_zipfile_serialization=zipped)
    sources = {"tiny-bert": hashlib.sha256(SOURCE.read_bytes()).hexdigest(), "torch": torch.__version__}
    (OUT / "sources.json").write_text(json.dumps(sources, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
