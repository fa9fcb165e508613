#!/usr/bin/env bash
# cotenant.sh: run a command while another process keeps one CPU busy, the
# way a co-tenant of a shared VM or a laptop's background job would, so that
# how the kernels' threads degrade can be measured reproducibly.
#
#   scripts/cotenant.sh CMD [ARGS...]
#
# The co-tenant is `yes > /dev/null`, pinned with taskset to CPU
# $COTENANT_CPU (default: the last CPU) when taskset exists, else left to
# the scheduler. It starts before CMD and is killed when this script exits,
# however it exits; the script exits with CMD's status. For example:
#
#   scripts/cotenant.sh go run ./cmd/benchrun train --threads 2
#   scripts/cotenant.sh go test ./bench -run '^$' -bench 'Sgemm/impl=blocked/isa=avx512/threads=[12]/m=1024/n=1024/k=1024$' -count 5
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: scripts/cotenant.sh CMD [ARGS...]" >&2; exit 2; }
cpu=${COTENANT_CPU:-$(($(nproc) - 1))}
spinner=
stop() {
	if [ -n "$spinner" ]; then
		kill "$spinner" 2>/dev/null || true
		wait "$spinner" 2>/dev/null || true
	fi
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if command -v taskset >/dev/null; then
	taskset -c "$cpu" yes >/dev/null &
	spinner=$!
	echo "cotenant: yes (pid $spinner) spinning on CPU $cpu" >&2
else
	yes >/dev/null &
	spinner=$!
	echo "cotenant: yes (pid $spinner) spinning, not pinned (no taskset)" >&2
fi
status=0
"$@" || status=$?
exit "$status"
