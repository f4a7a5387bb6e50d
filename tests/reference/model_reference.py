#!/usr/bin/python3
"""Independent PyTorch (float64) reference for the tiny checkpoint fixtures: BERT, DistilBERT and
XLM-R sequence classifiers written from the Hugging Face Transformers source, reading config.json and
model.safetensors by hand. Writes tests/reference/goldens/logits.json.

Input: tests/fixtures/generated/models/<name>/ as written by tests/reference/write-model-fixtures.ts.
For a checkpoint without a classification head, the head is the one our loader initialised from the seed:
this script reads only the head tensors it finds missing from model.full.safetensors; everything
else comes from the original model.safetensors through this file's own name handling.

Run with Debian's python3-torch: /usr/bin/python3 tests/reference/model_reference.py
"""
import hashlib
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent / "fixtures" / "generated" / "models"
OUT = HERE / "goldens" / "logits.json"
INIT_SEED = 42  # the seed write-model-fixtures.ts loads headless fixtures with

NUMPY_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "U8": "u1", "I8": "i1", "BOOL": "u1"}


def read_safetensors(path):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    data = raw[8 + n :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        chunk = data[begin:end]
        if info["dtype"] == "BF16":
            bits = np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        else:
            array = np.frombuffer(chunk, dtype=NUMPY_DTYPES[info["dtype"]])
        tensors[name] = (info["dtype"], array.reshape(info["shape"]), chunk)
    return tensors


PREFIX = {"bert": "bert", "distilbert": "distilbert", "xlm-roberta": "roberta", "roberta": "roberta"}
HEAD_NAMES = {
    "bert": ["bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"],
    "distilbert": ["pre_classifier.weight", "pre_classifier.bias", "classifier.weight", "classifier.bias"],
    "roberta": ["classifier.dense.weight", "classifier.dense.bias", "classifier.out_proj.weight", "classifier.out_proj.bias"],
}
HEAD_NAMES["xlm-roberta"] = HEAD_NAMES["roberta"]


def state_dict(folder, model_type):
    """Checkpoint names as transformers' from_pretrained would see them, after the legacy-name and prefix fix-ups."""
    prefix = PREFIX[model_type]
    raw = read_safetensors(folder / "model.safetensors")
    has_prefix = any(name.startswith(prefix + ".") for name in raw)
    weights = {}
    for name, (dtype, array, _) in raw.items():
        if dtype not in ("F64", "F32", "F16", "BF16"):
            continue
        if name.endswith(".gamma"):
            name = name[: -len("gamma")] + "weight"
        elif name.endswith(".beta"):
            name = name[: -len("beta")] + "bias"
        head_like = name.startswith("classifier") or name.startswith("pre_classifier")
        if not has_prefix and not head_like:
            name = prefix + "." + name
        weights[name] = torch.tensor(np.array(array, dtype=np.float64))
    missing_head = [name for name in HEAD_NAMES[model_type] if name not in weights]
    head_hash = None
    if missing_head:
        full = read_safetensors(folder / "model.full.safetensors")
        digest = hashlib.sha256()
        for name in missing_head:
            dtype, array, chunk = full[name]
            assert dtype == "F32", name
            digest.update(chunk)
            weights[name] = torch.tensor(np.array(array, dtype=np.float64))
        head_hash = {"names": missing_head, "sha256": digest.hexdigest()}
    return weights, head_hash


def activation(name):
    if name == "gelu":
        return lambda x: F.gelu(x)
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    if name == "relu":
        return F.relu
    raise ValueError(name)


def linear(w, name, x):
    return F.linear(x, w[name + ".weight"], w[name + ".bias"])


def layer_norm(w, name, x, eps):
    return F.layer_norm(x, (x.shape[-1],), w[name + ".weight"], w[name + ".bias"], eps)


def attention(x, mask, w, names, heads):
    batch, seq, hidden = x.shape
    size = hidden // heads

    def split(t):
        return t.view(batch, seq, heads, size).transpose(1, 2)

    q, k, v = (split(linear(w, n, x)) for n in names)
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(size)
    scores = scores.masked_fill(mask[:, None, None, :] == 0, torch.finfo(scores.dtype).min)
    context = torch.matmul(torch.softmax(scores, dim=-1), v)
    return context.transpose(1, 2).reshape(batch, seq, hidden)


def bert_like_logits(cfg, w, ids, mask, types, roberta):
    p = "roberta" if roberta else "bert"
    eps = cfg.get("layer_norm_eps", 1e-12)
    act = activation(cfg.get("hidden_act", "gelu"))
    if roberta:
        pad = cfg["pad_token_id"]
        not_pad = (ids != pad).long()
        positions = torch.cumsum(not_pad, dim=1) * not_pad + pad
        types = torch.zeros_like(ids)
    else:
        positions = torch.arange(ids.shape[1])[None, :].expand_as(ids)
    x = w[p + ".embeddings.word_embeddings.weight"][ids] + w[p + ".embeddings.position_embeddings.weight"][positions]
    x = x + w[p + ".embeddings.token_type_embeddings.weight"][types]
    x = layer_norm(w, p + ".embeddings.LayerNorm", x, eps)
    for i in range(cfg["num_hidden_layers"]):
        layer = "%s.encoder.layer.%d" % (p, i)
        names = [layer + ".attention.self." + n for n in ("query", "key", "value")]
        a = attention(x, mask, w, names, cfg["num_attention_heads"])
        x = layer_norm(w, layer + ".attention.output.LayerNorm", linear(w, layer + ".attention.output.dense", a) + x, eps)
        inner = act(linear(w, layer + ".intermediate.dense", x))
        x = layer_norm(w, layer + ".output.LayerNorm", linear(w, layer + ".output.dense", inner) + x, eps)
    first = x[:, 0]
    if roberta:
        return linear(w, "classifier.out_proj", torch.tanh(linear(w, "classifier.dense", first)))
    return linear(w, "classifier", torch.tanh(linear(w, "bert.pooler.dense", first)))


def distilbert_logits(cfg, w, ids, mask):
    eps = 1e-12
    act = activation(cfg.get("activation", "gelu"))
    positions = torch.arange(ids.shape[1])[None, :].expand_as(ids)
    x = w["distilbert.embeddings.word_embeddings.weight"][ids] + w["distilbert.embeddings.position_embeddings.weight"][positions]
    x = layer_norm(w, "distilbert.embeddings.LayerNorm", x, eps)
    for i in range(cfg["n_layers"]):
        layer = "distilbert.transformer.layer.%d" % i
        names = [layer + ".attention." + n for n in ("q_lin", "k_lin", "v_lin")]
        a = linear(w, layer + ".attention.out_lin", attention(x, mask, w, names, cfg["n_heads"]))
        x = layer_norm(w, layer + ".sa_layer_norm", a + x, eps)
        ffn = linear(w, layer + ".ffn.lin2", act(linear(w, layer + ".ffn.lin1", x)))
        x = layer_norm(w, layer + ".output_layer_norm", ffn + x, eps)
    return linear(w, "classifier", F.relu(linear(w, "pre_classifier", x[:, 0])))


def main():
    folders = sorted(p for p in MODELS.iterdir() if (p / "inputs.json").exists()) if MODELS.exists() else []
    if not folders:
        sys.exit("no fixtures in %s: run node --import tsx tests/reference/write-model-fixtures.ts first" % MODELS)
    goldens = {"generator": "tests/reference/model_reference.py (torch %s, float64)" % torch.__version__, "initSeed": INIT_SEED, "fixtures": {}}
    for folder in folders:
        cfg = json.loads((folder / "config.json").read_text())
        inputs = json.loads((folder / "inputs.json").read_text())
        model_type = cfg["model_type"]
        weights, head_hash = state_dict(folder, model_type)
        batches = []
        with torch.no_grad():
            for batch in inputs["batches"]:
                ids = torch.tensor(batch["inputIds"], dtype=torch.long)
                mask = torch.tensor(batch["attentionMask"], dtype=torch.long)
                types = torch.tensor(batch["tokenTypeIds"], dtype=torch.long)
                if model_type == "distilbert":
                    logits = distilbert_logits(cfg, weights, ids, mask)
                else:
                    logits = bert_like_logits(cfg, weights, ids, mask, types, model_type in ("xlm-roberta", "roberta"))
                batches.append({**batch, "logits": logits.tolist()})
        goldens["fixtures"][inputs["id"]] = {
            "safetensorsSha256": hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest(),
            "initialisedHead": head_hash,
            "batches": batches,
        }
        print("%s: %d batches" % (inputs["id"], len(batches)))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(goldens, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
