#!/usr/bin/env bash
# A CPU flame graph of examples/producer_perf (outside CI): builds it with line-table debug info
# (its own target dir, target/flamegraph), samples every thread with `perf record` (cpu-clock,
# DWARF call graphs), folds the stacks with inferno and writes an SVG (open it in a browser:
# hover for percentages, click to zoom). Default workload: the client alone (`--sink`: an
# in-process broker that answers at once), 2,000,000 records of a fixed 100-byte payload,
# acks=1, linger.ms=5; the sink's own threads are left out of the graph.
#
# Usage: scripts/flamegraph.sh [--out FILE.svg] [--records N] [--bin PATH] [--title T]
#                              [--keep-sink] [-- PRODUCER_PERF_ARGS...]
#   --out FILE.svg   where the graph goes (default docs/flamegraph-client-only.svg)
#   --records N      records (default 2000000)
#   --bin PATH       a producer_perf binary to profile instead of building one (build it with
#                    CARGO_PROFILE_RELEASE_DEBUG=line-tables-only for file:line frames)
#   --title T        the graph's title
#   --keep-sink      keep the sink's threads (mock-broker-*) in the graph
#   -- ARGS          producer_perf arguments replacing the default workload (add --sink or
#                    --producer-props bootstrap.servers=... yourself)
# Needs perf (Debian: linux-perf; `perf record -e cpu-clock` works where hardware counters do
# not) and installs inferno (`cargo install inferno`) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=docs/flamegraph-client-only.svg
RECORDS=2000000
BIN=""
TITLE=""
KEEP_SINK=0
ARGS=()
while (($#)); do
    case $1 in
        --out) OUT=$2; shift 2 ;;
        --records) RECORDS=$2; shift 2 ;;
        --bin) BIN=$2; shift 2 ;;
        --title) TITLE=$2; shift 2 ;;
        --keep-sink) KEEP_SINK=1; shift ;;
        --) shift; ARGS=("$@"); break ;;
        -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "flamegraph.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

command -v perf >/dev/null || { echo "flamegraph.sh: perf not found (Debian: apt-get install linux-perf)" >&2; exit 1; }
if ! command -v inferno-flamegraph >/dev/null; then
    echo "flamegraph.sh: installing inferno (cargo install inferno)" >&2
    cargo install inferno --locked >&2
fi
if [[ -z $BIN ]]; then
    CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_TARGET_DIR=target/flamegraph \
        cargo build --release --example producer_perf --features mock >&2
    BIN=target/flamegraph/release/examples/producer_perf
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ((${#ARGS[@]} == 0)); then
    head -c 100 /dev/zero | tr '\0' 'x' >"$work/payload"
    echo >>"$work/payload"
    ARGS=(--topic perf --num-records "$RECORDS" --payload-file "$work/payload" --throughput -1
        --producer-props bootstrap.servers=127.0.0.1:1 acks=1 linger.ms=5 --sink)
fi
[[ -n $TITLE ]] || TITLE="producer_perf ${ARGS[*]}"
perf record -q -e cpu-clock -F 1999 --call-graph dwarf,32768 -o "$work/perf.data" \
    "$BIN" "${ARGS[@]}" >"$work/run.log" 2>&1 || { cat "$work/run.log" >&2; exit 1; }
tail -n 1 "$work/run.log" >&2
perf script -i "$work/perf.data" 2>/dev/null | inferno-collapse-perf >"$work/folded"
if ((KEEP_SINK == 0)); then
    grep -v '^mock-broker' "$work/folded" >"$work/folded.client" || true
    mv "$work/folded.client" "$work/folded"
fi
mkdir -p "$(dirname "$OUT")"
inferno-flamegraph --title "$TITLE" --width 1600 --minwidth 0.5 <"$work/folded" >"$OUT"
# The share of each thread, for the text beside the graph.
awk '{n = $NF; split($1, f, ";"); t[f[1]] += n; all += n}
     END {for (k in t) printf "flamegraph.sh: %-20s %5.1f%% of the samples\n", k, 100 * t[k] / all}' \
    "$work/folded" | sort -k3 -rn >&2
echo "flamegraph.sh: wrote $OUT" >&2
