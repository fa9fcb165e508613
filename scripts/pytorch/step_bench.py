#!/usr/bin/env python3
"""One training step of ResNet-50 or GPT-2 small in PyTorch on the CPU.

The counterpart of trainbench's TrainStep cases (bench/trainstep.go) for
scripts/pytorch-steps.sh. One step = zero_grad, forward, loss, backward,
optimizer update, float32, on seeded synthetic data (the values do not change
the arithmetic). ResNet-50 is torchvision's resnet50 (224x224x3, 1000 classes,
SGD momentum 0.9, weight decay 1e-4); GPT-2 small is written out below (12
layers, 12 heads, d=768, vocabulary 50257, context 1024, tied embedding, GELU
tanh, pre-layer-norm, causal attention, AdamW with weight decay 0.1, global
norm clipped to 1.0), as trainbench's workload.GPT2Small describes it.

Prints one Go benchmark line per timed step, after --warmup untimed ones:
  BenchmarkTrainStep/impl=pytorch/threads=T/shape=<shape> 1 <ns> ns/op <gflops> GFLOP/s
with <shape> as trainbench names it (resnet50-imagenet.b8, gpt2-small.t1024b1),
and the FLOPs counted as PyTorch's anchors count them: ResNet-50 3 x 4.09
GFLOP per image, GPT-2 6 x parameters x tokens + 12 x layers x T^2 x d.
"""
import argparse, math, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

import blascheck


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // self.h)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT2(nn.Module):
    def __init__(self, vocab=50257, ctx=1024, d=768, layers=12, heads=12):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.lnf = nn.LayerNorm(d)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.normal_(p, std=0.02)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        return self.lnf(x) @ self.wte.weight.t()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=["resnet50", "gpt2"])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    a = ap.parse_args()
    if a.batch < 1 or a.threads < 1 or a.reps < 1 or a.warmup < 0 or not 1 <= a.seq <= 1024:
        sys.exit("step_bench.py: want --batch, --threads, --reps >= 1, --warmup >= 0, 1 <= --seq <= 1024")
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    if a.model == "resnet50":
        import torchvision
        m = torchvision.models.resnet50()
        opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        x, y = torch.randn(a.batch, 3, 224, 224), torch.randint(0, 1000, (a.batch,))
        flops = 3 * 4.09e9 * a.batch
        shape = f"resnet50-imagenet.b{a.batch}"
        loss_fn = lambda: F.cross_entropy(m(x), y)
    else:
        m = GPT2()
        decay = [p for p in m.parameters() if p.dim() >= 2]
        rest = [p for p in m.parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}], lr=3e-4)
        x, y = torch.randint(0, 50257, (a.batch, a.seq)), torch.randint(0, 50257, (a.batch, a.seq))
        params = sum(p.numel() for p in m.parameters())
        flops = 6 * params * a.batch * a.seq + 12 * 12 * a.seq * a.seq * 768 * a.batch
        shape = f"gpt2-small.t{a.seq}b{a.batch}"
        loss_fn = lambda: F.cross_entropy(m(x).view(-1, 50257), y.view(-1))
    m.train()
    print(f"pkg: torch {torch.__version__}", flush=True)
    print(f"pkg: blas {blascheck.require_fast_blas('step_bench.py')}", flush=True)
    for i in range(a.warmup + a.reps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        if a.model == "gpt2":
            torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        if i >= a.warmup:
            print(f"BenchmarkTrainStep/impl=pytorch/threads={torch.get_num_threads()}/shape={shape} 1 {dt * 1e9:.0f} ns/op {flops / dt / 1e9:.2f} GFLOP/s", flush=True)


if __name__ == "__main__":
    main()
