#!/usr/bin/env bash
# bench-interleaved.sh: run benchmarks ROUNDS times over, each round a fresh
# process running every matched case once, so that cases compared with each
# other (1 and 2 threads, two ISA levels, ...) are measured side by side in
# every round instead of minutes apart, as `go test -count N` would (it runs
# all N samples of one case before the next). Prints benchstat's table with
# the column key given.
#
#   scripts/bench-interleaved.sh PATTERN [ROUNDS] [BENCHTIME] [COLUMN] [OUT]
#   defaults: 10 rounds, 300ms, /threads, a temporary file
#
# Example, 1 against 2 threads at 1024^3:
#   scripts/bench-interleaved.sh 'Sgemm/impl=blocked/isa=avx512/threads=[12]/m=1024/n=1024/k=1024$'
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
pattern=$1
rounds=${2:-10}
benchtime=${3:-300ms}
col=${4:-/threads}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${5:-$tmp/out.txt}
go test -c -o "$tmp/bench.test" ./bench
: >"$out"
for r in $(seq "$rounds"); do
	"$tmp/bench.test" -test.run '^$' -test.bench "$pattern" -test.benchtime="$benchtime" >>"$out"
done
grep -q '^Benchmark' "$out" || { echo "bench-interleaved: no benchmark matched $pattern" >&2; exit 1; }
go run golang.org/x/perf/cmd/benchstat -col "$col" "$out"
