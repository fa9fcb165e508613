#!/usr/bin/env python3
"""PyTorch's CPU matrix product, float32 and bfloat16, as Go benchmark lines.

The counterpart of trainbench's Sgemm cases at m = n = k = N for
scripts/pytorch-matmul.sh: `a @ b` on random N x N operands in each
precision, REPS timed calls after 3 untimed ones, each printed as
  BenchmarkSgemm/impl=pytorch/prec=<f32|bf16>/threads=T/m=N/n=N/k=N 1 <ns> ns/op <gflops> GFLOP/s
(2 N^3 FLOPs a call). bfloat16 goes through oneDNN's AVX512_BF16 kernels
where the CPU has them.

Usage: matmul.py [N] [THREADS] [REPS]
"""
import sys, time

import torch

import blascheck

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
t = int(sys.argv[2]) if len(sys.argv) > 2 else 1
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 7
if n < 1 or t < 1 or reps < 1:
    sys.exit("matmul.py: N, THREADS and REPS must be positive")
torch.set_num_threads(t)
torch.manual_seed(1)
print(f"pkg: torch {torch.__version__}", flush=True)
print(f"pkg: blas {blascheck.require_fast_blas('matmul.py')}", flush=True)
for name, dt in (("f32", torch.float32), ("bf16", torch.bfloat16)):
    a, b = torch.randn(n, n).to(dt), torch.randn(n, n).to(dt)
    for _ in range(3):
        a @ b
    for _ in range(reps):
        s = time.perf_counter()
        a @ b
        d = time.perf_counter() - s
        print(f"BenchmarkSgemm/impl=pytorch/prec={name}/threads={torch.get_num_threads()}/m={n}/n={n}/k={n} 1 {d * 1e9:.0f} ns/op {2 * n**3 / d / 1e9:.1f} GFLOP/s", flush=True)
