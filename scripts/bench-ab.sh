#!/usr/bin/env bash
# bench-ab.sh: compare the benchmarks of two commits side by side. Each
# commit's bench test binary is built once; then every round runs A's and
# B's binary one after the other (fresh processes, matched cases once each),
# so the drift of a shared machine hits both alike. Prints benchrun compare
# (median ± 95% interval and the change with its p-value) with A as the
# baseline.
#
#   scripts/bench-ab.sh REV_A REV_B PATTERN [ROUNDS] [BENCHTIME] [OUTDIR]
#   defaults: 8 rounds, 300ms, a temporary folder
#   REV may be a commit, a branch, or WORKTREE for the uncommitted tree.
#   COTENANT=1 runs every round beside scripts/cotenant.sh's spinner.
#
# Example, the parent commit against this one at 1 and 2 threads:
#   scripts/bench-ab.sh HEAD^ WORKTREE 'Sgemm/impl=blocked/isa=avx512/threads=[12]/m=1024/n=1024/k=1024$'
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,16p' "$0" >&2; exit 2; }
if [ "${COTENANT:-}" = 1 ]; then # the whole comparison beside the spinner
	exec "$(dirname "$0")/cotenant.sh" env COTENANT=running "$0" "$@"
fi
a=$1 b=$2 pattern=$3 rounds=${4:-8} benchtime=${5:-300ms}
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${6:-$tmp}
mkdir -p "$out"

build() { # build REV NAME: the bench test binary of REV at $tmp/NAME.test
	if [ "$1" = WORKTREE ]; then
		go test -c -o "$tmp/$2.test" ./bench
		return
	fi
	mkdir -p "$tmp/src-$2"
	git archive "$1" | tar -x -C "$tmp/src-$2"
	(cd "$tmp/src-$2" && go test -c -o "$tmp/$2.test" ./bench)
}
build "$a" a
build "$b" b

run() { # run NAME: one round of NAME's binary, appended to its results
	(cd "$root/bench" && "$tmp/$1.test" -test.run '^$' -test.bench "$pattern" -test.benchtime "$benchtime") >>"$out/$1.txt"
}
: >"$out/a.txt"
: >"$out/b.txt"
for r in $(seq "$rounds"); do
	run a
	run b
done
grep -q '^Benchmark' "$out/b.txt" || { echo "bench-ab: no benchmark matched $pattern" >&2; exit 1; }
go run ./cmd/benchrun compare -filter '.unit:(sec/op OR GFLOP/s)' "A=$out/a.txt" "B=$out/b.txt"
