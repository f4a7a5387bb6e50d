"""PyTorch's own AdamW + clip_grad_norm_ + linear schedule on small tensors: goldens for tests/unit/optimizer.test.ts.

Run with Debian's python3-torch: /usr/bin/python3 tests/reference/optimizer_reference.py
"""
import json
import os

import torch

torch.manual_seed(0)
shapes = [(3, 4), (4,), (2, 2, 3)]
params = [torch.nn.Parameter(torch.randn(s, dtype=torch.float32)) for s in shapes]
initial = [p.detach().clone() for p in params]
base_lr, total_steps, max_norm = 5e-3, 6, 1.0
opt = torch.optim.AdamW(params, lr=base_lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: max(0.0, (total_steps - step) / max(1, total_steps)))
steps = []
for step in range(total_steps):
    # Gradients of varied scale: some steps are clipped, some are not.
    scale = [0.05, 3.0, 0.2, 10.0, 0.01, 1.5][step]
    grads = [torch.randn(s, dtype=torch.float32) * scale for s in shapes]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    lr_used = sched.get_last_lr()[0]
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    opt.step()
    sched.step()
    steps.append({
        "grads": [g.flatten().tolist() for g in grads],
        "lr": lr_used,
        "grad_norm": float(norm),
        "lr_after": sched.get_last_lr()[0],
        "params_after": [p.detach().flatten().tolist() for p in params],
    })

out = {
    "torch_version": torch.__version__,
    "shapes": [list(s) for s in shapes],
    "initial": [p.flatten().tolist() for p in initial],
    "base_lr": base_lr,
    "total_steps": total_steps,
    "max_norm": max_norm,
    "steps": steps,
}
path = os.path.join(os.path.dirname(__file__), "goldens", "optimizer.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", path)
