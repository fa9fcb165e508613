#!/usr/bin/env bash
# pytorch-matmul.sh: PyTorch's float32 and bfloat16 matrix products
# (scripts/pytorch/matmul.py) and trainbench's blocked SGEMM in float32 and
# bf16 (prec=bf16, float32 sums: impl=blocked rounds float32 operands to
# bf16 while packing, impl=blocked-bf16in takes bf16 operands as PyTorch's
# bf16 tensors are), N x N x N, in turn, a fresh process each: the
# comparison issue 21's bf16 GEMM target names.
#
#   scripts/pytorch-matmul.sh [ROUNDS] [N] [THREADS] [OUT]
#       ROUNDS rounds (default 3), N (default 1024), THREADS (default 1)
#
# Prints every call as a Go benchmark line (into OUT too, if given), then the
# median GFLOP/s per case and trainbench over PyTorch per precision.
# Environment: ISA (default avx512), PY (default /usr/bin/python3). Needs
# Debian's python3-torch and a real BLAS under it (libopenblas0: PyTorch refuses
# to be measured on the netlib reference BLAS, scripts/pytorch/blascheck.py);
# the bf16 cases need a CPU with AVX512_BF16.
set -euo pipefail
case "${1:-}" in -h | --help) sed -n '2,16p' "$0"; exit 0 ;; esac
rounds=${1:-3}
n=${2:-1024}
threads=${3:-1}
out=${4:-}
isa=${ISA:-avx512}
py=${PY:-/usr/bin/python3}
cd "$(dirname "$0")/.."
[ -n "$out" ] && out=$(realpath -m "$out")
for v in "$rounds" "$n" "$threads"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "pytorch-matmul: $v: want a positive number" >&2; exit 2; }
done
"$py" -c 'import torch' 2>/dev/null || { echo "pytorch-matmul: $py cannot import torch; install Debian's python3-torch" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" ./bench
: > "$tmp/all.txt"
for r in $(seq "$rounds"); do
	echo "pytorch-matmul: round $r" >&2
	OMP_NUM_THREADS=$threads "$py" scripts/pytorch/matmul.py "$n" "$threads" 7 | grep '^Benchmark' >> "$tmp/all.txt"
	for ip in blocked: blocked:prec=bf16/ blocked-bf16in:prec=bf16/; do
		(cd bench && "$tmp/bench.test" -test.run '^$' -test.benchtime 300ms \
			-test.bench "^BenchmarkSgemm\$/impl=${ip%%:*}\$/isa=$isa/${ip#*:}threads=$threads/m=$n/n=$n/k=$n\$") |
			grep '^BenchmarkSgemm/' >> "$tmp/all.txt" || true
	done
done
cat "$tmp/all.txt"
[ -n "$out" ] && cp "$tmp/all.txt" "$out"
awk '
/^BenchmarkSgemm\// {
	impl = ($1 ~ /impl=pytorch/) ? "pytorch" : ($1 ~ /impl=blocked-bf16in/) ? "trainbench-bf16in" : "trainbench"
	prec = ($1 ~ /prec=bf16/) ? "bf16" : "f32"
	for (i = 3; i < NF; i++) if ($(i+1) == "GFLOP/s") v[prec " " impl] = v[prec " " impl] " " $i
}
END {
	for (key in v) {
		m = split(substr(v[key], 2), a, " ")
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { x = a[i]; a[i] = a[j]; a[j] = x }
		med[key] = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
		printf "%-20s median %.1f GFLOP/s (%.1f-%.1f, %d)\n", key, med[key], a[1], a[m], m
	}
	for (p in med) {
		split(p, q, " ")
		if (q[2] != "pytorch") continue
		if (med[q[1] " trainbench"] > 0) printf "%-20s trainbench / PyTorch %.2fx\n", q[1], med[q[1] " trainbench"] / med[p]
		if (med[q[1] " trainbench-bf16in"] > 0) printf "%-20s trainbench-bf16in / PyTorch %.2fx\n", q[1], med[q[1] " trainbench-bf16in"] / med[p]
	}
	if (med["f32 trainbench"] > 0 && med["bf16 trainbench"] > 0) printf "%-20s trainbench bf16 / f32 %.2fx\n", "", med["bf16 trainbench"] / med["f32 trainbench"]
}' "$tmp/all.txt" | sort
