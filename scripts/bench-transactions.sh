#!/usr/bin/env bash
# shellcheck disable=SC2016 # backquotes in printf formats are Markdown, not expansions
# Transactional producer benchmark: this crate (examples/producer_perf.rs) against the Java
# client (Kafka's ProducerPerformance), both with `--transactional-id ID --transaction-duration-ms
# MS` (commit after MS ms of sending, begin the next transaction at the next record), against one
# harness broker; a non-transactional idempotent run (duration "none") as the baseline.
#
#   scripts/bench-transactions.sh                       # writes its section of BENCHMARKS.md
#   BENCH_RUNS=1 BENCH_SCALE=0.05 BENCH_OUT=- scripts/bench-transactions.sh   # smoke run
#
# As scripts/bench-compare.sh: the broker (1 node, log dir on /dev/shm when it exists) on CPU
# $BENCH_BROKER_CPU (0), the clients on CPU $BENCH_CLIENT_CPU (1) with taskset; a fresh topic per
# run; each (duration, client) runs $BENCH_RUNS times, the clients interleaved (their order rotates
# from round to round), and the median of every figure is reported. Client CPU (user+sys) and peak
# RSS come from GNU time, throughput and latencies from the tools' last line.
#
# Environment:
#   BENCH_DURATIONS  transaction durations in ms, space-separated; "none" = no transactions
#                    (default "none 100 1000 3000")
#   BENCH_RECORDS    records per run (default 1000000), times BENCH_SCALE (default 1)
#   BENCH_SIZE       record size in bytes (default 100)
#   BENCH_PROPS      more producer props, space-separated k=v (default "acks=all linger.ms=5")
#   BENCH_RUNS       runs per (duration, client), default 3
#   BENCH_CLIENTS    default "java ours"
#   BENCH_PARTITIONS partitions per topic, default 1
#   BENCH_FEATURES   kafka.sh start --feature values, space-separated (default none: the release's
#                    defaults, transaction.version 2 on 4.1.1); e.g. "transaction.version=1"
#   BENCH_OUT        Markdown output, default BENCHMARKS.md (the part between the
#                    bench-transactions markers is replaced; without them the section is
#                    appended); "-" for stdout only
#   BENCH_DIR        work dir (default /dev/shm/bench-transactions-$$, else /tmp/...)
#   BENCH_JAVA_OPTS  JVM flags of the Java client (default: kafka-run-class.sh's, JIT fully on)
#   BENCH_BROKER_CPU, BENCH_CLIENT_CPU   CPUs for taskset (0 and 1)
#   BENCH_SKIP_BUILD=1   use the binary already built
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench-lib.sh
source "$SCRIPT_DIR/bench-lib.sh"
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
KAFKA_SH="$SCRIPT_DIR/kafka.sh"

RUNS=${BENCH_RUNS:-3}
SCALE=${BENCH_SCALE:-1}
CLIENTS=${BENCH_CLIENTS:-java ours}
DURATIONS=${BENCH_DURATIONS:-none 100 1000 3000}
SIZE=${BENCH_SIZE:-100}
PROPS=${BENCH_PROPS:-acks=all linger.ms=5}
PARTITIONS=${BENCH_PARTITIONS:-1}
FEATURES=${BENCH_FEATURES:-}
OUT=${BENCH_OUT:-$REPO_DIR/BENCHMARKS.md}
BROKER_CPU=${BENCH_BROKER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
bench_setup bench-transactions
OURS="$REPO_DIR/target/release/examples/producer_perf"

for c in $CLIENTS; do
    [[ $c == java || $c == ours ]] || die "BENCH_CLIENTS: only java and ours run transactions (not '$c')"
done
RECORDS=$(awk -v n="${BENCH_RECORDS:-1000000}" -v s="$SCALE" 'BEGIN { v = int(n * s); if (v < 1) v = 1; print v }')
read -r -a PROP_ARGS <<<"$PROPS"

prepare_work

feature_args=()
for f in $FEATURES; do feature_args+=(--feature "$f"); done
BOOTSTRAP=$(taskset -c "$BROKER_CPU" "$KAFKA_SH" start --nodes 1 --dir "$BROKER_DIR" --base-port auto \
    --watch-pid $$ "${feature_args[@]}" 2>"$WORK/broker-start.log" | tail -n 1)
[[ -n $BOOTSTRAP ]] || die "broker did not start: $(cat "$WORK/broker-start.log")"
TV=$("$KAFKA_SH" features --bootstrap "$BOOTSTRAP" 2>/dev/null | awk '$1 == "transaction.version" { print $2 }')
log "broker at $BOOTSTRAP (transaction.version ${TV:-?})"

# Topics: new_topic (bench-lib.sh).
TOPIC_PREFIX=bench-txn

# The records a read_committed reader sees: the sum of the last stable offsets is not exposed
# by the tools, so count with the console consumer (only in the smoke check, BENCH_VERIFY=1).
verify_committed() {
    "$KAFKA_SH" consume "$1" --bootstrap "$BOOTSTRAP" --isolation-level read_committed \
        --timeout-ms 5000 2>/dev/null | wc -l
}

START=$(date +%s)
read -r -a CLIENT_LIST <<<"$CLIENTS"
for run in $(seq 1 "$RUNS"); do
    # Rotate the client order from round to round.
    n=${#CLIENT_LIST[@]}
    order=()
    for ((k = 0; k < n; k++)); do order+=("${CLIENT_LIST[$(((k + run - 1) % n))]}"); done
    for d in $DURATIONS; do
        for client in "${order[@]}"; do
            new_topic
            out="$WORK/$TOPIC_SEQ.$client.out"
            txn=()
            if [[ $d != none ]]; then
                txn=(--transactional-id "bench-txn-$client-$TOPIC_SEQ-$$" --transaction-duration-ms "$d")
            fi
            run_client "$client" "$out" --topic "$TOPIC" --num-records "$RECORDS" --record-size "$SIZE" \
                --throughput -1 --producer-props "bootstrap.servers=$BOOTSTRAP" "${PROP_ARGS[@]}" \
                "${txn[@]}" || true
            if record_run "$out" "duration $d, $client run $run" "$d" "$client" "$run" &&
                [[ ${BENCH_VERIFY:-0} == 1 ]]; then
                log "  duration $d, $client run $run: read_committed: $(verify_committed "$TOPIC") records"
            fi
        done
    done
done
ELAPSED=$(($(date +%s) - START))

report() {
    printf '<!-- bench-transactions:begin (generated by scripts/bench-transactions.sh; edits here are overwritten) -->\n'
    printf '## Transactions: ours and Java, results of %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'Reproduce with `scripts/bench-transactions.sh` (see its header). '
    printf 'Machine: %s CPUs (%s), Linux %s; %s; %s; Kafka %s broker (1 node, transaction.version %s, log dir on %s) on CPU %s, clients on CPU %s. ' \
        "$(nproc)" "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(uname -r)" \
        "$(java -version 2>&1 | head -n 1)" "$(rustc --version)" "${KAFKA_VERSION:-4.1.1}" "${TV:-?}" \
        "$(df -P "$WORK" | awk 'NR == 2 { print $6 }')" "$BROKER_CPU" "$CLIENT_CPU"
    printf 'Each run: `producer_perf` / `ProducerPerformance` with `--num-records %s --record-size %s --throughput -1 --producer-props %s` ' \
        "$RECORDS" "$SIZE" "$PROPS"
    printf 'and `--transactional-id ID --transaction-duration-ms MS` (MS = the duration column; "none": no transactions). '
    printf 'Median of %s runs per cell (clients interleaved); the whole run took %s min. Java client flags: `%s`.\n\n' \
        "$RUNS" "$((ELAPSED / 60))" "$JAVA_OPTS"
    awk -F '\t' -v clients="$CLIENTS" "$AWK_MEDIAN_RATIO"'
        {   w = $1; c = $2
            if (!(w in seen)) { seen[w] = 1; order[++nw] = w }
            if ($4 == "FAIL") { fails[w, c]++; next }
            n = ++cnt[w, c]
            val[w, c, n, "cpu"] = ($4 + $5) * 1e6 / $7
            val[w, c, n, "rss"] = $6 / 1024
            val[w, c, n, "rate"] = $8; val[w, c, n, "mb"] = $9
            val[w, c, n, "p50"] = $12; val[w, c, n, "p99"] = $14; val[w, c, n, "p999"] = $15 }
        END {
            nc = split(clients, cl, " ")
            name["java"] = "Java"; name["ours"] = "ours"
            print "| transaction duration ms | client | records/s | MB/s | CPU s / M records | peak RSS MiB | p50 ms | p99 ms | p99.9 ms |"
            print "|---|---|---:|---:|---:|---:|---:|---:|---:|"
            for (i = 1; i <= nw; i++) { w = order[i]
                for (j = 1; j <= nc; j++) { c = cl[j]
                    if (cnt[w, c] == 0) { printf "| %s | %s | failed | | | | | | |\n", w, name[c]; continue }
                    printf "| %s | %s | %.0f | %.2f | %.2f | %.0f | %s | %s | %s |%s\n", w, name[c],
                        med(w, c, "rate"), med(w, c, "mb"), med(w, c, "cpu"), med(w, c, "rss"),
                        med(w, c, "p50"), med(w, c, "p99"), med(w, c, "p999"),
                        (fails[w, c] ? sprintf(" (%d failed run(s))", fails[w, c]) : "") } }
            print ""
            print "Ours / Java (records/s: higher is better; CPU, RSS, p99: lower is better):"
            print ""
            print "| transaction duration ms | records/s | CPU | RSS | p99 |"
            print "|---|---:|---:|---:|---:|"
            for (i = 1; i <= nw; i++) { w = order[i]
                printf "| %s | %s | %s | %s | %s |\n", w,
                    ratio(med(w, "ours", "rate"), med(w, "java", "rate")), ratio(med(w, "ours", "cpu"), med(w, "java", "cpu")),
                    ratio(med(w, "ours", "rss"), med(w, "java", "rss")), ratio(med(w, "ours", "p99"), med(w, "java", "p99")) }
            print "" }' "$RESULTS"
    printf '<details><summary>Raw rows (duration, client, run, user s, sys s, max RSS KiB, records, records/s, MB/s, avg, max, p50, p95, p99, p99.9 ms)</summary>\n\n```\n'
    cat "$RESULTS"
    printf '```\n</details>\n<!-- bench-transactions:end -->\n'
}

REPORT="$WORK/report.md"
report >"$REPORT"
publish_report bench-transactions
