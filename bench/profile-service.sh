#!/usr/bin/env bash
# Where the service's CPU goes (docs/benchmarks.md, "Where the time goes"): runs the 16-connection level
# of `npm run bench` (after its warm-up, ADR 048) with the service under perf's JIT map, records the
# service process (all its threads: libuv's file system work counts too) for a few seconds of its
# slice, and prints the samples by package (bench/profile-groups.ts). perf counts CPU time only;
# V8's --cpu-prof samples on wall-clock ticks, which on two busy cores charges waits to whatever
# frame was on the stack.
# No --interpreted-frames-native-stack: its per-function copies of the interpreter's entry are freed
# and their addresses reused, and perf's map (never pruned) then named samples after functions
# that never ran (pg-boss's shutdown code, 10 % of one profile: the kernel's loopback TCP under pg's
# socket writes). Without it an interpreted frame is charged to its caller; hot code is compiled.
# Usage: bash bench/profile-service.sh [OUTDIR]   (needs perf: apt-get install linux-perf)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
node=node_modules/.bin/node
npm run build >/dev/null
BENCH_SKIP=storm,worker BENCH_CONNECTIONS=16 BENCH_SECONDS=16 \
  BENCH_SERVICE_NODE_OPTIONS="--perf-basic-prof" \
  "$node" -r ts-node/register/transpile-only bench/main.ts >"$out/bench.out" 2>"$out/bench.err" &
bench=$!
until grep -q '\] 16 connections' "$out/bench.err" 2>/dev/null; do
  kill -0 "$bench" 2>/dev/null || { cat "$out/bench.err"; exit 1; }
  sleep 0.5
done
sleep 1
service=$(pgrep -f 'dist/src/main.js api' | head -1)
perf record -F 499 -g -p "$service" -o "$out/perf.data" -- sleep 4 2>"$out/perf.err"
wait "$bench"
# Through a file: reading perf's output from a pipe, Node aborted twice (malloc: invalid size).
perf script -i "$out/perf.data" 2>/dev/null >"$out/perf.script"
"$node" -r ts-node/register/transpile-only bench/profile-groups.ts <"$out/perf.script"
echo "bench output and perf data in $out"
