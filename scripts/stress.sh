#!/usr/bin/env bash
# Stress test for the idempotent stall of issue 16 (outside CI): N times, create a 6-partition
# topic on one local Kafka broker and at once send RECORDS records of 100 B at full speed with
# the defaults (idempotent, acks=all) through examples/producer_perf, under CPU contention
# (broker and client pinned to the same core, as the issue's report). A run that does not
# finish within --run-timeout seconds, or that reports a failed record, fails the script.
#
# Usage: scripts/stress.sh [--runs N] [--records N] [--cpu same|split] [--run-timeout S]
#                          [--bin PATH] [--keep-logs DIR]
#   --runs N          runs (default 20)
#   --records N       records per run (default 2000000)
#   --cpu same        broker and client on core 0 (default); split: broker on 0, client on 1
#   --run-timeout S   seconds before a run counts as stalled (default 120)
#   --bin PATH        the producer_perf binary to test (default: built here, release); point it
#                     at an older build to measure "before"
#   --keep-logs DIR   keep each run's output (RUST_LOG=kafka_producer=info) in DIR
# Environment: KAFKA_BOOTSTRAP to use a running broker (no pinning of the broker then), plus
# those of scripts/kafka.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=20
RECORDS=2000000
CPU=same
RUN_TIMEOUT=120
BIN=""
LOGS=""
while (($#)); do
    case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --records) RECORDS=$2; shift 2 ;;
        --cpu) CPU=$2; shift 2 ;;
        --run-timeout) RUN_TIMEOUT=$2; shift 2 ;;
        --bin) BIN=$2; shift 2 ;;
        --keep-logs) LOGS=$2; shift 2 ;;
        -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "stress.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ $CPU == same || $CPU == split ]] || { echo "stress.sh: --cpu same|split" >&2; exit 2; }
if ! command -v cargo >/dev/null 2>&1 && [[ -x $HOME/.cargo/bin/cargo ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
CLIENT_CPU=0
[[ $CPU == split ]] && CLIENT_CPU=1

if [[ -z $BIN ]]; then
    echo "==> building examples/producer_perf (release)"
    cargo build --release --example producer_perf -q
    BIN=target/release/examples/producer_perf
fi

DIR="$PWD/target/kafka-stress"
STARTED=0
WORK=$(mktemp -d)
cleanup() {
    ((STARTED)) && scripts/kafka.sh stop --dir "$DIR" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

if [[ -z ${KAFKA_BOOTSTRAP:-} ]]; then
    echo "==> starting a single-node Kafka broker"
    scripts/kafka.sh fetch >/dev/null
    STARTED=1
    KAFKA_BOOTSTRAP=$(scripts/kafka.sh start --dir "$DIR" --base-port auto --watch-pid $$ | tail -n 1)
    taskset -a -p -c 0 "$(<"$DIR/node-1/pid")" >/dev/null
    echo "    broker at $KAFKA_BOOTSTRAP, pinned to core 0"
fi
[[ -n $LOGS ]] && mkdir -p "$LOGS"

echo "==> $RUNS runs of $RECORDS records (client on core $CLIENT_CPU, stall after ${RUN_TIMEOUT}s)"
failed=0
retried=0
rates=()
for ((i = 1; i <= RUNS; i++)); do
    topic="stress-$(date +%s)-$i-$RANDOM"
    scripts/kafka.sh java-tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" \
        --create --topic "$topic" --partitions 6 >/dev/null 2>&1
    out="$WORK/run-$i.out"
    err="$WORK/run-$i.err"
    rc=0
    RUST_LOG=kafka_producer=info timeout "$RUN_TIMEOUT" taskset -c "$CLIENT_CPU" "$BIN" --topic "$topic" \
        --num-records "$RECORDS" --record-size 100 --throughput -1 \
        --producer-props bootstrap.servers="$KAFKA_BOOTSTRAP" acks=all enable.idempotence=true \
        >"$out" 2>"$err" || rc=$?
    last=$(tail -n 1 "$out")
    retries=$(grep -c 'retrying' "$err" || true)
    ((retries > 0)) && retried=$((retried + 1))
    if ((rc == 124)); then
        verdict="STALLED (killed after ${RUN_TIMEOUT}s)"
        failed=$((failed + 1))
    elif ((rc != 0)) || [[ $last != "$RECORDS records sent"* ]] || grep -q 'Error' "$out"; then
        verdict="FAILED (exit $rc)"
        failed=$((failed + 1))
    else
        verdict="ok"
        rates+=("$(sed -E 's/^[0-9]+ records sent, ([0-9.]+) records\/sec.*/\1/' <<<"$last")")
    fi
    printf 'run %3d: %-32s %4d retry log line(s)  %s\n' "$i" "$verdict" "$retries" "${last:0:90}"
    if [[ -n $LOGS ]]; then
        cp "$out" "$LOGS/run-$i.out"
        cp "$err" "$LOGS/run-$i.err"
    fi
done

median="n/a"
if ((${#rates[@]} > 0)); then
    median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
fi
echo "==> $((RUNS - failed)) of $RUNS runs finished; $retried run(s) had retries; median ${median} records/s"
if ((failed > 0)); then
    echo "stress.sh: $failed run(s) stalled or failed" >&2
    exit 1
fi
