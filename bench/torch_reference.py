"""PyTorch reference for `npm run bench`: trains the same BERT-style classifier as the browser trainer
(post-LayerNorm encoder, exact GELU, pooler + classifier head, dropout on, cross-entropy, clip_grad_norm_ 1.0,
torch.optim.AdamW) on random token ids, and prints one JSON line per model with its steps per second.

Run with Debian's python3-torch: /usr/bin/python3 bench/torch_reference.py '<json list of models>'
BENCH_DEVICE=cuda runs it on the GPU (fp32, as the browser trains).
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


def bench(m):
    torch.manual_seed(0)
    model = Classifier(m).train().to(DEVICE)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.0)
    b, s = m["batch"], m["seq"]
    ids = torch.randint(0, m["vocab"], (b, s), device=DEVICE)
    types = torch.zeros(b, s, dtype=torch.long, device=DEVICE)
    attention = torch.ones(b, s, dtype=torch.long, device=DEVICE)
    labels = torch.randint(0, 3, (b,), device=DEVICE)

    def step():
        loss = F.cross_entropy(model(ids, types, attention), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()

    for _ in range(m["warmup"]):
        step()
    sync()
    started = time.perf_counter()
    for _ in range(m["steps"]):
        step()
    sync()
    seconds = time.perf_counter() - started
    return {"name": m["name"], "steps": m["steps"], "seconds": seconds, "steps_per_second": m["steps"] / seconds}


if __name__ == "__main__":
    models = json.loads(sys.argv[1])
    # Every core the machine offers, as the browser may use: torch's default counts physical cores only.
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1)))
    config = torch.__config__.show()
    blas = "generic (reference BLAS: slow; install libopenblas0-pthread)" if "BLAS_INFO=generic" in config else "see torch.__config__"
    info = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas, "device": torch.cuda.get_device_name(0) if DEVICE.startswith("cuda") else "cpu"}
    print(json.dumps({"info": info}), flush=True)
    for model in models:
        print(json.dumps(bench(model)), flush=True)
