#!/usr/bin/env bash
# shellcheck disable=SC2016 # backquotes in printf formats are Markdown, not expansions
# Many caller threads, one shared producer: this crate (`producer_perf --threads N`) against the
# Java client (bench-compare/java/SharedProducerPerf.java: N threads sharing one
# KafkaProducer<byte[], byte[]>, ProducerPerformance's send loop and output), with 1, 2, 4 and 8
# threads, against one harness broker; then the lock statistics of a `lock-stats` build of ours.
#
#   scripts/bench-threads.sh                   # writes its section of BENCHMARKS.md (~15 min on 2 cores)
#   BENCH_RECORDS=200000 BENCH_RUNS=1 BENCH_OUT=- scripts/bench-threads.sh   # smoke run (~3 min + builds)
#
# As scripts/bench-compare.sh: one broker (Kafka 4.1.1, 1 node, log dir on /dev/shm when it
# exists) pinned to CPU $BENCH_BROKER_CPU (0), the clients to $BENCH_CLIENT_CPUS (default: every
# other CPU; on 2 CPUs that is CPU 1 alone, so the threads share one core: the table then shows
# what sharing costs, not a parallel speed-up) with taskset. A fresh topic per run; for each
# partition count and thread count both clients run $BENCH_RUNS times, their order rotating from
# round to round, and the medians are reported. Client CPU (user + sys, JVM start, JIT and GC
# included for Java) from GNU time; throughput and latencies from the tools' summary line (both
# print ProducerPerformance's format); records/s and CPU s per million records, ours / Java.
#
# Then three sets of ours only (one round each unless BENCH_EXTRA_RUNS says otherwise):
#   sink   `--sink`: an in-process broker that answers at once (its threads on the broker's
#          CPU): the client alone, its caller and sender threads' CPU from /proc.
#   locks  the same runs as the table and as the sink set with a `--features lock-stats` build:
#          acquisitions per record, % contended, mean wait and hold of the partition-queue
#          mutexes and of the buffer pool's mutex (timing adds cost: these runs' throughput is
#          not reported).
#
# Environment:
#   BENCH_THREADS     thread counts (default "1 2 4 8")
#   BENCH_PARTITIONS  partition counts of the topic (default "6 1": 6 lets threads hit different
#                     queues; 1 puts every thread on one queue, the worst case for a convoy)
#   BENCH_RECORDS     records per run, the total over the threads (default 2000000), times
#                     BENCH_SCALE (default 1)
#   BENCH_SIZE        record size in bytes (default 100)
#   BENCH_PROPS       producer props, space-separated k=v (default "acks=1 linger.ms=5 batch.size=16384")
#   BENCH_RUNS        rounds of the ours-vs-Java table (default 3)
#   BENCH_EXTRAS      default "sink locks"; "" for none
#   BENCH_EXTRA_RUNS  rounds of the sink and locks sets (default 1; medians when more)
#   BENCH_OUT         Markdown output, default BENCHMARKS.md (the part between the bench-threads
#                     markers is replaced; without them the section is appended); "-" for stdout
#   BENCH_DIR         work dir (default /dev/shm/bench-threads-$$, else /tmp/...)
#   BENCH_JAVA_OPTS   JVM flags of the Java client (default: kafka-run-class.sh's, JIT fully on)
#   BENCH_BROKER_CPU, BENCH_CLIENT_CPUS   taskset CPU lists (0, and 1-<last>)
#   BENCH_SKIP_BUILD=1  use the binaries already built (target/release/examples/producer_perf,
#                     and $BENCH_LOCKS_BIN or target/lock-stats/producer_perf for the locks set)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench-lib.sh
source "$SCRIPT_DIR/bench-lib.sh"
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
KAFKA_SH="$SCRIPT_DIR/kafka.sh"

THREADS=${BENCH_THREADS:-1 2 4 8}
PARTITION_COUNTS=${BENCH_PARTITIONS:-6 1}
SCALE=${BENCH_SCALE:-1}
SIZE=${BENCH_SIZE:-100}
PROPS=${BENCH_PROPS:-acks=1 linger.ms=5 batch.size=16384}
RUNS=${BENCH_RUNS:-3}
EXTRAS=${BENCH_EXTRAS-sink locks}
EXTRA_RUNS=${BENCH_EXTRA_RUNS:-1}
OUT=${BENCH_OUT:-$REPO_DIR/BENCHMARKS.md}
BROKER_CPU=${BENCH_BROKER_CPU:-0}
NCPU=$(nproc)
if ((NCPU >= 3)); then
    CLIENT_CPU=${BENCH_CLIENT_CPUS:-1-$((NCPU - 1))}
else
    CLIENT_CPU=${BENCH_CLIENT_CPUS:-1}
fi
bench_setup bench-threads
OURS="$REPO_DIR/target/release/examples/producer_perf"
OURS_LOCKS=${BENCH_LOCKS_BIN:-$REPO_DIR/target/lock-stats/producer_perf}
JAVA_SRC="$REPO_DIR/bench-compare/java/SharedProducerPerf.java"

command -v javac >/dev/null || die "javac is missing (a JDK 17+)"
(($(nproc) >= 2)) || log "warning: fewer than 2 CPUs; broker and client share one"
RECORDS=$(awk -v n="${BENCH_RECORDS:-2000000}" -v s="$SCALE" 'BEGIN { v = int(n * s); if (v < 1) v = 1; print v }')
read -r -a PROP_ARGS <<<"$PROPS"
LOAD_BEFORE=$(cut -d ' ' -f 1-3 /proc/loadavg)

# --- builds: ours with lock-stats (kept aside), then ours as usual; the Java program -----------
if [[ ${BENCH_SKIP_BUILD:-0} != 1 && " $EXTRAS " == *" locks "* ]]; then
    log "building examples/producer_perf (release, --features lock-stats)"
    (cd "$REPO_DIR" && cargo build --release --example producer_perf --features lock-stats >&2)
    mkdir -p "$(dirname "$OURS_LOCKS")"
    cp "$OURS" "$OURS_LOCKS"
fi
# prepare_work (bench-lib.sh) builds the usual binary unless BENCH_SKIP_BUILD=1, fetches the jars
# and makes $WORK, $RESULTS and $BROKER_DIR.
prepare_work
[[ -x $OURS ]] || die "no $OURS (build it or unset BENCH_SKIP_BUILD)"
if [[ " $EXTRAS " == *" locks "* ]]; then
    probe=$("$OURS_LOCKS" --topic probe --num-records 1 --record-size 1 --throughput -1 --sink \
        --producer-props bootstrap.servers=127.0.0.1:9 2>&1 >/dev/null || true)
    grep -q '^lock-stats deques' <<<"$probe" ||
        die "$OURS_LOCKS prints no lock-stats lines (not a --features lock-stats build?)"
fi
LIBS=$("$KAFKA_SH" fetch | tail -n 1)
JAVA_SHARED_CP="$WORK/java-classes"
mkdir -p "$JAVA_SHARED_CP"
log "compiling $JAVA_SRC"
javac -nowarn -cp "$LIBS/*" -d "$JAVA_SHARED_CP" "$JAVA_SRC" >&2 || die "javac failed"
SINK_ROWS="$WORK/sink.tsv"
LOCK_ROWS="$WORK/locks.tsv"
: >"$SINK_ROWS"
: >"$LOCK_ROWS"

BOOTSTRAP=$(taskset -c "$BROKER_CPU" "$KAFKA_SH" start --nodes 1 --dir "$BROKER_DIR" --base-port auto \
    --watch-pid $$ 2>"$WORK/broker-start.log" | tail -n 1)
[[ -n $BOOTSTRAP ]] || die "broker did not start: $(cat "$WORK/broker-start.log")"
log "broker at $BOOTSTRAP; clients on CPU(s) $CLIENT_CPU, broker on CPU $BROKER_CPU"
TOPIC_PREFIX=bench-threads

# run_one CLIENT PARTITIONS THREADS OUTFILE [ARGS...]: one run on a fresh topic (run_client of
# bench-lib.sh; CLIENT java-shared or ours).
run_one() {
    local client=$1 parts=$2 threads=$3 out=$4
    shift 4
    PARTITIONS=$parts new_topic
    run_client "$client" "$out" --topic "$TOPIC" --num-records "$RECORDS" --record-size "$SIZE" \
        --throughput -1 --threads "$threads" --producer-props "bootstrap.servers=$BOOTSTRAP" \
        "${PROP_ARGS[@]}" "$@" || true
}

# --- ours vs Java ------------------------------------------------------------------------------
START=$(date +%s)
CLIENT_LIST=(java-shared ours)
cell=0
for run in $(seq 1 "$RUNS"); do
    for parts in $PARTITION_COUNTS; do
        for threads in $THREADS; do
            # Rotate the client order from cell to cell and from round to round.
            cell=$((cell + 1))
            offset=$((run + cell))
            order=("${CLIENT_LIST[$((offset % 2))]}" "${CLIENT_LIST[$(((offset + 1) % 2))]}")
            for client in "${order[@]}"; do
                out="$WORK/$((TOPIC_SEQ + 1)).$client.out"
                run_one "$client" "$parts" "$threads" "$out"
                name=${client%-shared}
                record_run "$out" "$parts partition(s), $threads thread(s), $name run $run" \
                    "$parts" "$threads" "$name" "$run" || true
            done
        done
    done
done

# --- extras: ours against the sink; lock statistics --------------------------------------------
# sink_run BINARY PARTITIONS THREADS OUTFILE: ours against its in-process sink.
sink_run() {
    local bin=$1 parts=$2 threads=$3 out=$4
    "$GNU_TIME" -f "%U %S %M" -o "$out.time" taskset -c "$CLIENT_CPU" "$bin" --sink --sink-cpu "${BROKER_CPU%%[,-]*}" \
        --sink-partitions "$parts" --topic sink --num-records "$RECORDS" --record-size "$SIZE" --throughput -1 \
        --threads "$threads" --producer-props bootstrap.servers=127.0.0.1:9 "${PROP_ARGS[@]}" \
        >"$out" 2>"$out.err" || true
}

# lock_row TARGET PARTITIONS THREADS RUN OUTFILE: the lock-stats lines of OUTFILE.err as a row
# (target, partitions, threads, run, then acquisitions contended wait_ns hold_ns max_wait_ns
# max_hold_ns for the deques and for the pool).
lock_row() {
    local target=$1 parts=$2 threads=$3 run=$4 out=$5 fields
    fields=$(awk '/^lock-stats (deques|pool) / {
            for (i = 3; i <= 8; i++) { split($i, kv, "="); v[$2, i] = kv[2] } n++ }
        END { if (n != 2) exit 1
              for (c = 0; c < 2; c++) { k = c ? "pool" : "deques"
                  for (i = 3; i <= 8; i++) printf "\t%s", v[k, i] } }' "$out.err") || {
        log "  locks $target $parts/$threads run $run FAILED: $(tail -n 3 "$out.err" | tr '\n' ' ')"
        return 0
    }
    printf '%s\t%s\t%s\t%s%s\n' "$target" "$parts" "$threads" "$run" "$fields" >>"$LOCK_ROWS"
    log "  locks $target, $parts partition(s), $threads thread(s): $(grep '^lock-stats' "$out.err" | sed 's/^lock-stats //; s/ acquisitions=.*(per record/ (per record/' | tr '\n' ' ')"
}

if [[ " $EXTRAS " == *" sink "* ]]; then
    log "sink: ours against its in-process sink"
    for run in $(seq 1 "$EXTRA_RUNS"); do
        for parts in $PARTITION_COUNTS; do
            for threads in $THREADS; do
                out="$WORK/sink-$parts-$threads-$run.out"
                sink_run "$OURS" "$parts" "$threads" "$out"
                total=$(parse_total "$out" || true)
                cpu=$(grep '^thread CPU:' "$out.err" || true)
                if [[ -z $total || -z $cpu ]]; then
                    log "  sink $parts/$threads run $run FAILED: $(tail -n 3 "$out.err" | tr '\n' ' ')"
                    continue
                fi
                # callers = the main thread and perf-caller-*, sender = kafka-producer-* (the
                # sink's mock-broker-* threads are not the client's).
                awk -v total="$total" -v parts="$parts" -v threads="$threads" -v run="$run" '
                    { line = $0; sub(/^thread CPU: /, "", line); sub(/ \(total.*$/, "", line)
                      k = split(line, parts_, ", "); caller = 0; sender = 0
                      for (i = 1; i <= k; i++) { m = split(parts_[i], w, " "); name = w[1]; secs = w[m - 1]
                          if (name ~ /^kafka-producer/) sender += secs; else if (name ~ /^(producer_perf|perf-caller)/) caller += secs }
                      split(total, t, " ")
                      printf "%s\t%s\t%s\t%s\t%s\t%.3f\t%.3f\t%s\n", parts, threads, run, t[1], t[2], caller, sender, t[8] }' \
                    <<<"$cpu" >>"$SINK_ROWS"
                log "  sink, $parts partition(s), $threads thread(s), run $run: $(tail -n 1 "$out")"
            done
        done
    done
fi

if [[ " $EXTRAS " == *" locks "* ]]; then
    log "locks: ours built with --features lock-stats"
    for run in $(seq 1 "$EXTRA_RUNS"); do
        for parts in $PARTITION_COUNTS; do
            for threads in $THREADS; do
                out="$WORK/locks-broker-$parts-$threads-$run.out"
                OURS=$OURS_LOCKS run_one ours "$parts" "$threads" "$out"
                lock_row broker "$parts" "$threads" "$run" "$out"
                if [[ " $EXTRAS " == *" sink "* ]]; then
                    out="$WORK/locks-sink-$parts-$threads-$run.out"
                    sink_run "$OURS_LOCKS" "$parts" "$threads" "$out"
                    lock_row sink "$parts" "$threads" "$run" "$out"
                fi
            done
        done
    done
fi
ELAPSED=$(($(date +%s) - START))
LOAD_AFTER=$(cut -d ' ' -f 1-3 /proc/loadavg)

# --- the report --------------------------------------------------------------------------------
report() {
    printf '<!-- bench-threads:begin (generated by scripts/bench-threads.sh; edits here are overwritten) -->\n'
    printf '## Many caller threads, one shared producer: ours and Java (%s)\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'Reproduce with `scripts/bench-threads.sh` (see its header). '
    printf 'Machine: %s CPUs (%s), Linux %s; %s; %s. Load average (1/5/15 min) before the run: %s, after: %s. ' \
        "$NCPU" "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(uname -r)" \
        "$(java -version 2>&1 | head -n 1)" "$(rustc --version)" "$LOAD_BEFORE" "$LOAD_AFTER"
    printf 'One Kafka %s broker (1 node, log dir on %s) on CPU %s, the clients on CPU(s) %s (taskset). ' \
        "${KAFKA_VERSION:-4.1.1}" "$(df -P "$WORK" | awk 'NR == 2 { print $6 }')" "$BROKER_CPU" "$CLIENT_CPU"
    printf 'Each run: %s records of %s B in total, split evenly among N threads sharing one producer, unthrottled, `%s`, a fresh topic. ' \
        "$RECORDS" "$SIZE" "$PROPS"
    printf 'Ours: `producer_perf --threads N`, built (release) from %s%s. ' \
        "$(git -C "$REPO_DIR" rev-parse --short HEAD)" \
        "$(git -C "$REPO_DIR" diff --quiet HEAD -- src examples Cargo.toml 2>/dev/null || echo ' with uncommitted changes')"
    printf 'Java: `bench-compare/java/SharedProducerPerf.java` (N threads sharing one `KafkaProducer<byte[], byte[]>`, ProducerPerformance'"'"'s send loop, callback and summary line), flags `%s`. ' \
        "$JAVA_OPTS"
    printf 'Median of %s rounds per cell (client order rotating); the whole run took %s min. CPU = user + system s of the client process per million records (JVM start, JIT and GC included for Java).\n\n' \
        "$RUNS" "$((ELAPSED / 60))"
    awk -F '\t' -v threads="$THREADS" -v partitions="$PARTITION_COUNTS" "$AWK_MEDIAN_RATIO"'
        {   w = $1 SUBSEP $2; c = $3
            if ($5 == "FAIL") { fails[w, c]++; next }
            n = ++cnt[w, c]
            # cols: 5 usr 6 sys 7 rss 8 records 9 rate 10 mb 11 avg 12 max 13 p50 14 p95 15 p99 16 p999
            val[w, c, n, "cpu"] = ($5 + $6) * 1e6 / $8
            val[w, c, n, "rate"] = $9; val[w, c, n, "p50"] = $13; val[w, c, n, "p99"] = $15 }
        function cell(x, f) { return x == "" ? "failed" : sprintf(f, x) }
        END {
            np = split(partitions, P, " "); nt = split(threads, T, " ")
            print "| partitions | threads | Java records/s | ours records/s | records/s ours / Java | Java CPU s / M | ours CPU s / M | CPU ours / Java | Java p50 / p99 ms | ours p50 / p99 ms |"
            print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            for (i = 1; i <= np; i++) for (j = 1; j <= nt; j++) { w = P[i] SUBSEP T[j]
                jrate = med(w, "java", "rate"); orate = med(w, "ours", "rate"); jcpu = med(w, "java", "cpu"); ocpu = med(w, "ours", "cpu")
                note = ""
                if (fails[w, "java"] || fails[w, "ours"]) note = sprintf(" (failed runs: Java %d, ours %d)", fails[w, "java"], fails[w, "ours"])
                printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s |%s\n", P[i], T[j],
                    cell(jrate, "%.0f"), cell(orate, "%.0f"), ratio(orate, jrate), cell(jcpu, "%.2f"), cell(ocpu, "%.2f"), ratio(ocpu, jcpu),
                    med(w, "java", "p50"), med(w, "java", "p99"), med(w, "ours", "p50"), med(w, "ours", "p99"), note }
            print "" }' "$RESULTS"
    if [[ -s $SINK_ROWS ]]; then
        printf '### Client only: ours against its in-process sink\n\n'
        printf '`producer_perf --sink --sink-partitions P --threads N` (same records and props; the sink answers every request at once from CPU %s): the client alone. ' "$BROKER_CPU"
        printf "CPU: the producer's threads only, from /proc (callers: the main thread and perf-caller-*, measured when they finish sending; sender: the I/O thread), per million records. Median of %s round(s).\n\n" "$EXTRA_RUNS"
        awk -F '\t' -v threads="$THREADS" -v partitions="$PARTITION_COUNTS" -v n="$RECORDS" "$AWK_MEDIAN_RATIO"'
            {   w = $1 SUBSEP $2; c = "sink"; k = ++cnt[w, c]
                val[w, c, k, "rate"] = $5; val[w, c, k, "callers"] = $6 * 1e6 / n; val[w, c, k, "sender"] = $7 * 1e6 / n
                val[w, c, k, "cpu"] = ($6 + $7) * 1e6 / n; val[w, c, k, "p99"] = $8 }
            END {
                np = split(partitions, P, " "); nt = split(threads, T, " ")
                print "| partitions | threads | records/s | CPU s / M records | callers s / M | sender s / M | p99 ms |"
                print "|---:|---:|---:|---:|---:|---:|---:|"
                for (i = 1; i <= np; i++) for (j = 1; j <= nt; j++) { w = P[i] SUBSEP T[j]
                    if (cnt[w, "sink"] == 0) { printf "| %s | %s | failed | | | | |\n", P[i], T[j]; continue }
                    printf "| %s | %s | %.0f | %.3f | %.3f | %.3f | %s |\n", P[i], T[j], med(w, "sink", "rate"),
                        med(w, "sink", "cpu"), med(w, "sink", "callers"), med(w, "sink", "sender"), med(w, "sink", "p99") }
                print "" }' "$SINK_ROWS"
    fi
    if [[ -s $LOCK_ROWS ]]; then
        printf '### Lock statistics (ours built with `--features lock-stats`)\n\n'
        printf 'The same runs with every acquisition of the partition-queue mutexes (`deques`: `send` appending, the sender thread checking, draining and expiring) and of the buffer pool'"'"'s mutex (`pool`: a new batch'"'"'s buffer, its return when the batch completes) timed: '
        printf 'acquisitions per record; %% contended = acquisitions whose `try_lock` failed and had to wait; wait = from `lock()` to acquiring it, averaged over all acquisitions (an uncontended one counts 0) and over the contended ones; hold = from acquiring to releasing. '
        printf 'Timing costs two clock reads per acquisition, so these runs'"'"' throughput is not reported. "broker": the table'"'"'s runs; "sink": the client-only runs. Median of %s round(s).\n\n' "$EXTRA_RUNS"
        awk -F '\t' -v threads="$THREADS" -v partitions="$PARTITION_COUNTS" -v n="$RECORDS" "$AWK_MEDIAN_RATIO"'
            {   w = $1 SUBSEP $2 SUBSEP $3; if (!(($1) in seen)) { seen[$1] = 1; targets[++ntg] = $1 }
                for (c = 0; c < 2; c++) { b = 5 + 6 * c; l = c ? "pool" : "deques"; k = ++cnt[w, l]
                    acq = $b; con = $(b + 1); wait = $(b + 2); hold = $(b + 3)
                    val[w, l, k, "acq"] = acq / n
                    val[w, l, k, "con"] = acq ? 100 * con / acq : 0
                    val[w, l, k, "wait"] = acq ? wait / acq : 0
                    val[w, l, k, "cwait"] = con ? wait / con : 0
                    val[w, l, k, "hold"] = acq ? hold / acq : 0
                    val[w, l, k, "maxwait"] = $(b + 4) / 1000 } }
            END {
                np = split(partitions, P, " "); nt = split(threads, T, " ")
                print "| target | partitions | threads | lock | acquisitions / record | % contended | mean wait ns | wait per contended ns | mean hold ns | max wait µs |"
                print "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"
                for (g = 1; g <= ntg; g++) for (i = 1; i <= np; i++) for (j = 1; j <= nt; j++) for (c = 0; c < 2; c++) {
                    w = targets[g] SUBSEP P[i] SUBSEP T[j]; l = c ? "pool" : "deques"
                    if (cnt[w, l] == 0) { if (c == 0) printf "| %s | %s | %s | | failed | | | | | |\n", targets[g], P[i], T[j]; continue }
                    printf "| %s | %s | %s | %s | %.3f | %.3f | %.1f | %.0f | %.1f | %.0f |\n", targets[g], P[i], T[j], l,
                        med(w, l, "acq"), med(w, l, "con"), med(w, l, "wait"), med(w, l, "cwait"), med(w, l, "hold"), med(w, l, "maxwait") }
                print "" }' "$LOCK_ROWS"
    fi
    printf '<details><summary>Raw rows</summary>\n\n'
    printf 'Table (partitions, threads, client, round, user s, sys s, max RSS KiB, records, records/s, MB/s, avg, max, p50, p95, p99, p99.9 ms):\n\n```\n'
    cat "$RESULTS"
    printf '```\n'
    if [[ -s $SINK_ROWS ]]; then
        printf '\nSink (partitions, threads, round, records, records/s, callers CPU s, sender CPU s, p99 ms):\n\n```\n'
        cat "$SINK_ROWS"
        printf '```\n'
    fi
    if [[ -s $LOCK_ROWS ]]; then
        printf '\nLocks (target, partitions, threads, round, then for the deques and for the pool: acquisitions, contended, wait ns, hold ns, max wait ns, max hold ns):\n\n```\n'
        cat "$LOCK_ROWS"
        printf '```\n'
    fi
    printf '</details>\n<!-- bench-threads:end -->\n'
}

REPORT="$WORK/report.md"
report >"$REPORT"
publish_report bench-threads
