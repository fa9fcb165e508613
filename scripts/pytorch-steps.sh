#!/usr/bin/env bash
# pytorch-steps.sh: one training step of ResNet-50 (batch 8) and GPT-2 small
# (context 1024, batch 1) in PyTorch (scripts/pytorch/step_bench.py) and in
# trainbench (`benchrun run --kernel TrainStep`), in turn, a fresh process
# each, so that both see the same machine: the comparison the closing notes
# of issues 16 and 17 state.
#
#   scripts/pytorch-steps.sh [ROUNDS] [THREADS] [MODELS] [OUT]
#       ROUNDS rounds (default 2); THREADS comma-separated (default 1,2);
#       MODELS comma-separated from resnet50, gpt2 (default both)
#
# Every round runs, per model and thread count, PyTorch (one untimed step,
# then REPS timed ones) and then trainbench's TrainStep case (REPS timed
# steps after the benchmark's own untimed one). Prints every step as a Go
# benchmark line (into OUT too, if given), then the median, min and max step
# per case and trainbench's speed-up over PyTorch.
#
# Environment: REPS (default 3; GPT-2 small takes about 35 s a step in
# PyTorch on one core), ISA (trainbench's level, default avx512), PY
# (default /usr/bin/python3). PyTorch runs in the tuned environment of
# scripts/pytorch-mnist.sh (OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=1,
# glibc malloc tunables that keep large blocks mapped). Needs Debian's
# python3-torch and python3-torchvision, and libopenblas0 (PyTorch refuses to
# be measured on the netlib reference BLAS: scripts/pytorch/blascheck.py).
set -euo pipefail
case "${1:-}" in -h | --help) sed -n '2,24p' "$0"; exit 0 ;; esac
rounds=${1:-2}
threads=${2:-1,2}
models=${3:-resnet50,gpt2}
out=${4:-}
reps=${REPS:-3}
isa=${ISA:-avx512}
py=${PY:-/usr/bin/python3}
cd "$(dirname "$0")/.."
[ -n "$out" ] && out=$(realpath -m "$out")

[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "pytorch-steps: ROUNDS $rounds: want a positive number" >&2; exit 2; }
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "pytorch-steps: REPS $reps: want a positive number" >&2; exit 2; }
[[ $threads =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "pytorch-steps: THREADS $threads: want a comma-separated list like 1,2" >&2; exit 2; }
for m in ${models//,/ }; do
	case $m in resnet50 | gpt2) ;; *) echo "pytorch-steps: model $m: want resnet50 or gpt2" >&2; exit 2 ;; esac
done
"$py" -c 'import torch, torchvision' 2>/dev/null || {
	echo "pytorch-steps: $py cannot import torch and torchvision; install Debian's python3-torch python3-torchvision libopenblas0" >&2
	exit 2
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/benchrun" ./cmd/benchrun
tun="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=17179869184"
: > "$tmp/all.txt"
for r in $(seq "$rounds"); do
	for m in ${models//,/ }; do
		for t in ${threads//,/ }; do
			if [ "$m" = resnet50 ]; then
				pyargs="--model resnet50 --batch 8"; set=resnet50; shape=resnet50-imagenet.b8
			else
				pyargs="--model gpt2 --batch 1 --seq 1024"; set=gpt2; shape=gpt2-small.t1024b1
			fi
			echo "pytorch-steps: round $r, $m, $t threads" >&2
			env OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS=1 GLIBC_TUNABLES="$tun" \
				"$py" scripts/pytorch/step_bench.py $pyargs --threads "$t" --reps "$reps" --warmup 1 > "$tmp/py.txt"
			grep '^Benchmark' "$tmp/py.txt" >> "$tmp/all.txt"
			"$tmp/benchrun" -q run --kernel TrainStep --set "$set" --isa "$isa" --threads "$t" \
				--match "/shape=$shape\$" --benchtime "${reps}x" --count 1 --ceilings off --report=false -o "$tmp/tb.txt" > /dev/null
			grep '^BenchmarkTrainStep/' "$tmp/tb.txt" >> "$tmp/all.txt"
		done
	done
done
cat "$tmp/all.txt"
[ -n "$out" ] && cp "$tmp/all.txt" "$out"
# Medians per case: trainbench's lines are means of REPS steps, PyTorch's single steps.
awk '
/^BenchmarkTrainStep\// {
	n = split($1, k, "/"); impl = ""; th = ""; sh = ""
	for (i = 2; i <= n; i++) {
		split(k[i], kv, "="); if (kv[1] == "impl") impl = kv[2]; if (kv[1] == "threads") th = kv[2]; if (kv[1] == "shape") sh = kv[2]
	}
	sub(/-[0-9]+$/, "", sh)
	key = sh " threads=" th " " impl
	for (i = 3; i < NF; i++) if ($(i+1) == "ns/op") v[key] = v[key] " " $i / 1e9
}
END {
	for (key in v) {
		m = split(substr(v[key], 2), a, " ")
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
		med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
		printf "%-50s median %.3f s (%.3f-%.3f, %d)\n", key, med, a[1], a[m], m
		split(key, p, " "); base = p[1] " " p[2]; meds[base, p[3]] = med; bases[base] = 1
	}
	for (b in bases) if (meds[b, "pytorch"] > 0 && meds[b, "nn"] > 0)
		printf "%-50s trainbench %.2fx faster than PyTorch\n", b, meds[b, "pytorch"] / meds[b, "nn"]
}' "$tmp/all.txt" | sort
