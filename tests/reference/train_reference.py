#!/usr/bin/python3
"""PyTorch reference of the reference trainer's optimisation on the tiny fixtures: torch.optim.AdamW
(lr, betas 0.9/0.999, eps 1e-8, no weight decay), linear decay to 0 without warm-up (LambdaLR, as
transformers' get_linear_schedule_with_warmup), clip_grad_norm_(1.0) before each step, mean cross-entropy,
consecutive batches in file order, dropout 0. `feature-extraction` trains only names starting with `classifier`.
The forward pass is model_reference.py's, in float32 as the Trainer runs it.

Input: tests/fixtures/generated/train/<name>/ from tests/reference/write-train-fixtures.ts.
Run with Debian's python3-torch: /usr/bin/python3 tests/reference/train_reference.py
"""
import base64
import hashlib
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import model_reference as ref

HERE = Path(__file__).resolve().parent
TRAIN = HERE.parent / "fixtures" / "generated" / "train"
OUT = HERE / "goldens" / "training.json"


def load_weights(folder):
    raw = ref.read_safetensors(folder / "model.safetensors")
    return {name: torch.tensor(np.array(array, dtype=np.float32), requires_grad=True) for name, (dtype, array, _) in raw.items()}


def logits_of(cfg, w, ids, mask, types):
    if cfg["model_type"] == "distilbert":
        return ref.distilbert_logits(cfg, w, ids, mask)
    return ref.bert_like_logits(cfg, w, ids, mask, types, cfg["model_type"] in ("xlm-roberta", "roberta"))


def pad(examples, pad_id):
    longest = max(len(e["inputIds"]) for e in examples)
    ids = [e["inputIds"] + [pad_id] * (longest - len(e["inputIds"])) for e in examples]
    mask = [[1] * len(e["inputIds"]) + [0] * (longest - len(e["inputIds"])) for e in examples]
    types = [e["tokenTypeIds"] + [0] * (longest - len(e["tokenTypeIds"])) for e in examples]
    labels = [e["label"] for e in examples]
    return (torch.tensor(ids), torch.tensor(mask), torch.tensor(types), torch.tensor(labels))


def run_case(folder, technique):
    cfg = json.loads((folder / "config.json").read_text())
    data = json.loads((folder / "examples.json").read_text())
    settings, examples = data["settings"], data["examples"]
    w = load_weights(folder)
    trainable = [name for name in sorted(w) if technique == "fine-tune" or name.startswith("classifier")]
    params = [w[name] for name in trainable]
    for name, t in w.items():
        t.requires_grad_(name in trainable)
    steps, bs = settings["steps"], settings["batchSize"]
    opt = torch.optim.AdamW(params, lr=settings["learningRate"], betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: max(0.0, (steps - k) / max(1, steps)))
    per_epoch = (len(examples) + bs - 1) // bs
    losses, norms, rates = [], [], []
    for k in range(steps):
        b = k % per_epoch
        ids, mask, types, labels = pad(examples[b * bs : (b + 1) * bs], cfg["pad_token_id"])
        rates.append(sched.get_last_lr()[0])
        loss = F.cross_entropy(logits_of(cfg, w, ids, mask, types), labels)
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, settings["maxGradNorm"])))
        opt.step()
        sched.step()
        opt.zero_grad()
        losses.append(float(loss))
    return {
        "fixture": data["id"],
        "technique": technique,
        "losses": losses,
        "gradNorms": norms,
        "learningRates": rates,
        "finalWeights": {name: base64.b64encode(w[name].detach().numpy().astype("<f4").tobytes()).decode() for name in trainable},
    }


def main():
    folders = sorted(p for p in TRAIN.iterdir() if (p / "examples.json").exists()) if TRAIN.exists() else []
    if not folders:
        raise SystemExit("no inputs in %s: run node --import tsx tests/reference/write-train-fixtures.ts first" % TRAIN)
    settings = json.loads((folders[0] / "examples.json").read_text())["settings"]
    goldens = {"generator": "tests/reference/train_reference.py (torch %s, float32)" % torch.__version__, "settings": settings, "sources": {}, "cases": []}
    for folder in folders:
        fixture_id = json.loads((folder / "examples.json").read_text())["id"]
        goldens["sources"][fixture_id] = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
        for technique in ("fine-tune", "feature-extraction"):
            case = run_case(folder, technique)
            goldens["cases"].append(case)
            print("%s %s: losses %s" % (fixture_id, technique, ["%.4f" % l for l in case["losses"]]))
    OUT.write_text(json.dumps(goldens) + "\n")
    print("wrote", OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
