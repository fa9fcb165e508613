#!/usr/bin/env bash
# sgemm-scaling.sh: how well SGEMM scales from one thread to two on this
# machine, and how close that comes to what the machine itself allows.
#
# Each round runs, one after another (so all three see the same machine):
#   1T    the 1-thread benchmark alone;
#   2T    the 2-thread benchmark;
#   pair  two 1-thread benchmarks at once as separate processes, pinned to
#         CPU 0 and CPU 1 (taskset): no sharing, no synchronisation, so their
#         sum bounds what any 2-thread GEMM can reach while both cores run.
# It prints every round and the medians of 2T/1T and 2T/pair.
#
#   scripts/sgemm-scaling.sh [ROUNDS] [SIZE] [ISA]     defaults: 7 1024 avx512
set -euo pipefail
rounds=${1:-7}
size=${2:-1024}
isa=${3:-avx512}
cd "$(dirname "$0")/.."
command -v taskset >/dev/null || { echo "sgemm-scaling: needs taskset (util-linux)" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "sgemm-scaling: needs 2 CPUs, have $(nproc)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" ./bench
case_re() { echo "Sgemm/impl=blocked/isa=$isa/threads=$1/m=$size/n=$size/k=$size\$"; }
gflops() { # threads [taskset cpu]
	local pin=()
	[ $# -gt 1 ] && pin=(taskset -c "$2")
	"${pin[@]}" "$tmp/bench.test" -test.run '^$' -test.bench "$(case_re "$1")" -test.benchtime=1s |
		awk '/GFLOP\/s/ { for (i = 1; i < NF; i++) if ($(i+1) == "GFLOP/s") print $i }'
}
printf '%-6s %8s %8s %8s %8s %8s %8s\n' round 1T 2T pair0 pair1 2T/1T 2T/pair
for r in $(seq "$rounds"); do
	one=$(gflops 1)
	two=$(gflops 2)
	gflops 1 0 >"$tmp/p0" &
	p1=$(gflops 1 1)
	wait
	p0=$(cat "$tmp/p0")
	awk -v r="$r" -v a="$one" -v b="$two" -v c="$p0" -v d="$p1" \
		'BEGIN { printf "%-6s %8.1f %8.1f %8.1f %8.1f %8.3f %8.3f\n", r, a, b, c, d, b/a, b/(c+d) }'
done | tee "$tmp/rounds"
sort -k6,6n "$tmp/rounds" | awk '{ a[NR] = $6 } END { printf "median 2T/1T   %.3f\n", a[int((NR+1)/2)] }'
sort -k7,7n "$tmp/rounds" | awk '{ a[NR] = $7 } END { printf "median 2T/pair %.3f\n", a[int((NR+1)/2)] }'
