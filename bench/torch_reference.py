"""PyTorch reference for `npm run bench`: trains the same BERT-style classifier as the browser trainer
(post-LayerNorm encoder, exact GELU, pooler + classifier head, dropout on, cross-entropy, clip_grad_norm_ 1.0,
torch.optim.AdamW) on random token ids, and prints one JSON line per model with its steps per second.

Run with Debian's python3-torch: /usr/bin/python3 bench/torch_reference.py '<json list of models>'
BENCH_DEVICE=cuda runs it on the GPU (fp32, as the browser trains).
`--reference-run '<json list>'` instead projects the reference run's wall time (padded to 512, as the reference pads).
Each model: {"name", "hidden", "layers", "heads", "intermediate", "vocab", "batch", "seq", "warmup", "steps"}.
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, h, heads, inter, p):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(h, eps=1e-12), nn.LayerNorm(h, eps=1e-12)
        self.up, self.down = nn.Linear(h, inter), nn.Linear(inter, h)
        self.p = p

    def forward(self, x, mask):
        b, s, h = x.shape
        d = h // self.heads
        split = lambda t: t.view(b, s, self.heads, d).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + mask
        probs = F.dropout(scores.softmax(-1), self.p, self.training)
        context = (probs @ v).transpose(1, 2).reshape(b, s, h)
        x = self.ln1(x + F.dropout(self.o(context), self.p, self.training))
        return self.ln2(x + F.dropout(self.down(F.gelu(self.up(x))), self.p, self.training))


class Classifier(nn.Module):
    def __init__(self, m):
        super().__init__()
        h = m["hidden"]
        self.words = nn.Embedding(m["vocab"], h)
        self.positions = nn.Embedding(512, h)
        self.types = nn.Embedding(2, h)
        self.ln = nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList(Layer(h, m["heads"], m["intermediate"], 0.1) for _ in range(m["layers"]))
        self.pooler = nn.Linear(h, h)
        self.classifier = nn.Linear(h, 3)

    def forward(self, ids, types, attention):
        positions = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        x = F.dropout(self.ln(self.words(ids) + self.positions(positions) + self.types(types)), 0.1, self.training)
        mask = (1.0 - attention[:, None, None, :].float()) * -1e9
        for layer in self.layers:
            x = layer(x, mask)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return self.classifier(F.dropout(pooled, 0.1, self.training))


DEVICE = os.environ.get("BENCH_DEVICE", "cpu")


def sync():
    if DEVICE.startswith("cuda"):
        torch.cuda.synchronize()


def setup(m):
    """The model, its optimizer, and one training step and one evaluation batch on random data of [batch, seq]."""
    torch.manual_seed(0)
    model = Classifier(m).train().to(DEVICE)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.0)
    b, s = m["batch"], m["seq"]
    ids = torch.randint(0, m["vocab"], (b, s), device=DEVICE)
    types = torch.zeros(b, s, dtype=torch.long, device=DEVICE)
    attention = torch.ones(b, s, dtype=torch.long, device=DEVICE)
    labels = torch.randint(0, 3, (b,), device=DEVICE)

    def step():
        model.train()
        loss = F.cross_entropy(model(ids, types, attention), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()

    def evaluate():
        model.eval()
        with torch.no_grad():
            logits = model(ids, types, attention)
            return F.cross_entropy(logits, labels, reduction="sum").item(), logits.argmax(-1).cpu()

    return step, evaluate


def timed(fn, warmup, steps):
    for _ in range(warmup):
        fn()
    sync()
    started = time.perf_counter()
    for _ in range(steps):
        fn()
    sync()
    return (time.perf_counter() - started) / steps


def bench(m):
    step, _ = setup(m)
    seconds = timed(step, m["warmup"], m["steps"]) * m["steps"]
    return {"name": m["name"], "steps": m["steps"], "seconds": seconds, "steps_per_second": m["steps"] / seconds}


# The reference run (REFERENCE.md): 15,000 pairs, 3 epochs of batch 8, six languages of 2,490 pairs evaluated every
# 500 steps, every pair padded to the model maximum (512) as the reference's tokenizer call does.
REFERENCE_STEPS = 5625
REFERENCE_EVALUATIONS = REFERENCE_STEPS // 500
REFERENCE_EVAL_BATCHES = 6 * math.ceil(2490 / 8)


def reference_run(m):
    """Projects the reference run's wall time from timed training steps and evaluation batches at length 512."""
    m = dict(m, seq=512)
    step, evaluate = setup(m)
    train_seconds = timed(step, m["warmup"], m["steps"])
    eval_seconds = timed(evaluate, m["warmup"], m["steps"])
    projected_train = train_seconds * REFERENCE_STEPS
    projected_eval = eval_seconds * REFERENCE_EVALUATIONS * REFERENCE_EVAL_BATCHES
    return {"reference_run": m["name"], "seq": 512, "timed_steps": m["steps"], "train_seconds_per_step": train_seconds,
            "eval_seconds_per_batch": eval_seconds, "steps": REFERENCE_STEPS, "evaluations": REFERENCE_EVALUATIONS,
            "projected_train_seconds": projected_train, "projected_eval_seconds": projected_eval,
            "projected_total_seconds": projected_train + projected_eval}


if __name__ == "__main__":
    reference = sys.argv[1] == "--reference-run"
    models = json.loads(sys.argv[-1])
    # Every core the machine offers, as the browser may use: torch's default counts physical cores only.
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1)))
    config = torch.__config__.show()
    blas = "generic (reference BLAS: slow; install libopenblas0-pthread)" if "BLAS_INFO=generic" in config else "see torch.__config__"
    info = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas, "device": torch.cuda.get_device_name(0) if DEVICE.startswith("cuda") else "cpu"}
    print(json.dumps({"info": info}), flush=True)
    for model in models:
        print(json.dumps(reference_run(model) if reference else bench(model)), flush=True)
