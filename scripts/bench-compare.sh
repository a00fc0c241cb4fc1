#!/usr/bin/env bash
# shellcheck disable=SC2016 # backquotes in printf formats are Markdown, not expansions
# Producer benchmark on one machine: this crate (examples/producer_perf.rs) against the Java
# client (Kafka's own ProducerPerformance, from the harness jars) and librdkafka
# (bench-compare/: rdkafka_perf), the same workload for all three, against one harness broker.
#
#   scripts/bench-compare.sh            # everything; writes the results into BENCHMARKS.md
#   BENCH_WORKLOADS=issue15 scripts/bench-compare.sh   # the "Performance round 2" table
#   BENCH_WORKLOADS=quick scripts/bench-compare.sh
#
# The broker (1 node, log dir on /dev/shm when it exists) is pinned to CPU $BENCH_BROKER_CPU (0),
# every client to CPU $BENCH_CLIENT_CPU (1), with taskset. Each (workload, payload mode) gets a
# fresh broker, each run a fresh topic; each (workload, payload mode, client) runs $BENCH_RUNS
# times, the clients interleaved (their order rotates from round to round), and the median of
# every figure is reported. Client CPU (user+sys) and peak RSS come from GNU time; throughput and
# latencies from the tools' last line (all three print Java's format).
#
# Payload modes: "fixed" gives every client `--payload-file` with one line of exactly SIZE bytes
# (A-Z repeated, made in the work dir): every record carries the same bytes and the client's CPU
# is the client's own. "refill" gives `--record-size SIZE`: Java's default, a fresh random payload
# per record (ours and rdkafka_perf fill the very bytes Java fills), its cost in the client's CPU.
#
# Plot: records/s and client CPU per million records by workload and client, one panel per payload
# mode (scripts/bench-plot.py, matplotlib from PyPI in a venv under ~/.cache/kafka-producer-rs/,
# made on first use), saved as $BENCH_PLOT and referenced from the report. The plot can be redrawn
# from the raw rows stored in BENCHMARKS.md without a run: scripts/bench-plot.py BENCHMARKS.md.
#
# Extra runs: "tool" (producer_perf --no-client for each workload and payload mode: the part of
# the send loop that ours and rdkafka_perf share, alone, with no client; the report then also
# gives both net of it), "sink" (ours against an in-process broker that answers at once: the client alone,
# the sink's threads on the other CPU) and "overload" (ours with buffer.memory=32 MiB while the
# broker is paused: peak RSS must stay within buffer.memory + 16 MiB).
#
# Environment:
#   BENCH_WORKLOADS  "default", "quick" (the two 100 B / 16 KiB workloads and the throttled one),
#                    "issue15" (issue "Performance round 2": 100 B acks=1, 100 B and 1 KiB
#                    idempotent acks=all, linger 5 / 16 KiB batches, and 100 B acks=1 with
#                    batch.size 256 KiB / linger 10)
#                    or specs separated by spaces, each NAME:SIZE:RECORDS:ACKS:BATCH:LINGER:CODEC:RATE[:PROPS]
#                    (RATE -1: unthrottled; PROPS: more producer props, k=v,k=v), e.g.
#                    "small:100:2000000:1:16384:5:none:-1" or "x:100:1000:all:16384:0:none:-1:retries=3"
#   BENCH_PAYLOAD    payload modes, space-separated: "fixed", "refill" (default "fixed refill")
#   BENCH_SCALE      multiplies every record count (default 1; 0.1 for a smoke run)
#   BENCH_RUNS       runs per (workload, payload mode, client), default 3
#   BENCH_CLIENTS    default "java rdkafka ours"
#   BENCH_EXTRAS     default "tool sink overload"; "" for none
#   BENCH_PARTITIONS partitions per topic, default 1
#   BENCH_OUT        Markdown output, default BENCHMARKS.md (only the part between the
#                    bench-compare markers is replaced when they exist); "-" for stdout only
#   BENCH_PLOT       the plot (PNG); default docs/bench-compare.png, none when BENCH_OUT is "-";
#                    "" for none
#   BENCH_DIR        work dir (default /dev/shm/bench-compare-$$, else /tmp/...)
#   BENCH_JAVA_OPTS  JVM flags of the Java client (default: kafka-run-class.sh's, JIT fully on)
#   BENCH_BROKER_CPU, BENCH_CLIENT_CPU   CPUs for taskset (0 and 1)
#   BENCH_SKIP_BUILD=1   use the binaries already built
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench-lib.sh
source "$SCRIPT_DIR/bench-lib.sh"
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
KAFKA_SH="$SCRIPT_DIR/kafka.sh"

RUNS=${BENCH_RUNS:-3}
SCALE=${BENCH_SCALE:-1}
CLIENTS=${BENCH_CLIENTS:-java rdkafka ours}
EXTRAS=${BENCH_EXTRAS-tool sink overload}
PARTITIONS=${BENCH_PARTITIONS:-1}
PAYLOADS=${BENCH_PAYLOAD:-fixed refill}
OUT=${BENCH_OUT:-$REPO_DIR/BENCHMARKS.md}
if [[ $OUT == - ]]; then
    PLOT=${BENCH_PLOT-}
else
    PLOT=${BENCH_PLOT-$REPO_DIR/docs/bench-compare.png}
fi
BROKER_CPU=${BENCH_BROKER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
bench_setup bench-compare

OURS="$REPO_DIR/target/release/examples/producer_perf"
RDKAFKA="$REPO_DIR/bench-compare/target/release/rdkafka_perf"

DEFAULT_WORKLOADS="100B-acks1-16K:100:2000000:1:16384:5:none:-1
100B-acksall-16K:100:2000000:all:16384:5:none:-1
100B-acks1-1M:100:2000000:1:1048576:5:none:-1
100B-acksall-1M:100:2000000:all:1048576:5:none:-1
1K-acks1-16K:1024:500000:1:16384:5:none:-1
1K-acksall-16K:1024:500000:all:16384:5:none:-1
1K-acks1-1M:1024:500000:1:1048576:5:none:-1
1K-acksall-1M:1024:500000:all:1048576:5:none:-1
100B-acks1-16K-lz4:100:2000000:1:16384:5:lz4:-1
100B-acksall-16K-noidem:100:2000000:all:16384:5:none:-1:enable.idempotence=false
100B-acksall-16K-50k/s:100:500000:all:16384:5:none:50000"
QUICK_WORKLOADS="100B-acks1-16K:100:2000000:1:16384:5:none:-1
100B-acksall-16K:100:2000000:all:16384:5:none:-1
100B-acksall-16K-50k/s:100:500000:all:16384:5:none:50000"
# Issue "Performance round 2" (acks=all: idempotent, the clients' default).
ISSUE15_WORKLOADS="100B-acks1-16K:100:2000000:1:16384:5:none:-1
100B-acksall-16K:100:2000000:all:16384:5:none:-1
1K-acksall-16K:1024:500000:all:16384:5:none:-1
100B-acks1-256K-linger10:100:2000000:1:262144:10:none:-1"

case ${BENCH_WORKLOADS:-default} in
default) WORKLOADS=$DEFAULT_WORKLOADS ;;
quick) WORKLOADS=$QUICK_WORKLOADS ;;
issue15) WORKLOADS=$ISSUE15_WORKLOADS ;;
*) WORKLOADS=$(tr ' ' '\n' <<<"$BENCH_WORKLOADS") ;;
esac
for mode in $PAYLOADS; do
    [[ $mode == fixed || $mode == refill ]] || die "BENCH_PAYLOAD: unknown payload mode $mode (fixed, refill)"
done
[[ -n ${PAYLOADS// /} ]] || die "BENCH_PAYLOAD is empty"

# --- prerequisites -----------------------------------------------------------------------------
(($(nproc) >= 2)) || log "warning: fewer than 2 CPUs; broker and client share one"

scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); if (v < 1) v = 1; print v }'; }

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    log "building examples/producer_perf (release)"
    (cd "$REPO_DIR" && cargo build --release --example producer_perf >&2)
    if [[ " $CLIENTS " == *" rdkafka "* ]]; then
        log "building bench-compare/rdkafka_perf (librdkafka from source with cmake: minutes the first time)"
        # librdkafka 2.12.1 includes <curl/curl.h> even with WITH_CURL=0: an empty stand-in.
        (cd "$REPO_DIR/bench-compare" &&
            CFLAGS="-I$REPO_DIR/bench-compare/stub-include ${CFLAGS:-}" cargo build --release >&2)
    fi
fi
"$KAFKA_SH" fetch >/dev/null

mkdir -p "$WORK"
RESULTS="$WORK/results.tsv"
EXTRA_RESULTS="$WORK/extras.md"
TOOL_RESULTS="$WORK/tool.tsv"
: >"$TOOL_RESULTS"
: >"$RESULTS"
: >"$EXTRA_RESULTS"
BROKER_DIR="$WORK/kafka"
BOOTSTRAP=

stop_broker() {
    if [[ -d $BROKER_DIR ]]; then
        "$KAFKA_SH" stop --dir "$BROKER_DIR" --now >/dev/null 2>&1 || true
        rm -rf "$BROKER_DIR"
    fi
}
cleanup() {
    stop_broker
    [[ ${BENCH_KEEP:-0} == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_broker() {
    stop_broker
    BOOTSTRAP=$(taskset -c "$BROKER_CPU" "$KAFKA_SH" start --nodes 1 --dir "$BROKER_DIR" --base-port auto \
        --watch-pid $$ 2>"$WORK/broker-start.log" | tail -n 1)
    [[ -n $BOOTSTRAP ]] || die "broker did not start: $(cat "$WORK/broker-start.log")"
}

# Topics: new_topic (bench-lib.sh).
TOPIC_PREFIX=bench

# record MODE WORKLOAD CLIENT RUN OUTFILE: appends a TSV row (or a failure row).
record() {
    record_run "$5" "$3 run $4" "$1" "$2" "$3" "$4" || true
}

# payload_args MODE SIZE: sets PAYLOAD_ARGS to the tools' payload flags; for "fixed", a file of
# one line of exactly SIZE bytes (A-Z repeated, then a newline, which the tools drop) made once.
PAYLOAD_ARGS=()
payload_args() {
    local mode=$1 size=$2 file="$WORK/payload-$2.txt"
    if [[ $mode == refill ]]; then
        PAYLOAD_ARGS=(--record-size "$size")
        return
    fi
    if [[ ! -f $file ]]; then
        awk -v n="$size" 'BEGIN { a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"; s = ""
            while (length(s) < n) s = s a; print substr(s, 1, n) }' >"$file"
        (($(wc -c <"$file") == size + 1)) || die "payload file $file is not $size bytes + newline"
    fi
    PAYLOAD_ARGS=(--payload-file "$file")
}

ours_supports() { # ours_supports KEY=VALUE: does our config accept it?
    "$OURS" --topic probe --num-records 1 --record-size 1 --throughput -1 --sink \
        --producer-props bootstrap.servers=127.0.0.1:9 "$1" >/dev/null 2>&1
}

# --- the workloads -----------------------------------------------------------------------------
START=$(date +%s)
read -r -a CLIENT_LIST <<<"$CLIENTS"
while IFS=: read -r name size records acks batch linger codec rate extra; do
    [[ -n $name ]] || continue
    extra_props=()
    [[ -z ${extra:-} ]] || IFS=, read -r -a extra_props <<<"$extra"
    records=$(scaled "$records")
    if [[ $codec != none && " $CLIENTS " == *" ours "* ]] && ! ours_supports "compression.type=$codec"; then
        log "skipping $name: this crate refuses compression.type=$codec"
        for mode in $PAYLOADS; do printf '%s\t%s\tskipped\n' "$mode" "$name" >>"$RESULTS"; done
        continue
    fi
    for mode in $PAYLOADS; do
        payload_args "$mode" "$size"
        log "workload $name, payload $mode: $records x $size B, acks=$acks, batch.size=$batch, linger.ms=$linger, compression=$codec, throughput=$rate ${extra_props[*]}"
        start_broker
        for run in $(seq 1 "$RUNS"); do
            # Rotate the client order from round to round.
            n=${#CLIENT_LIST[@]}
            order=()
            for ((k = 0; k < n; k++)); do order+=("${CLIENT_LIST[$(((k + run - 1) % n))]}"); done
            for client in "${order[@]}"; do
                new_topic
                out="$WORK/$TOPIC_SEQ.$client.out"
                run_client "$client" "$out" --topic "$TOPIC" --num-records "$records" "${PAYLOAD_ARGS[@]}" \
                    --throughput "$rate" --producer-props "bootstrap.servers=$BOOTSTRAP" "acks=$acks" \
                    "batch.size=$batch" "linger.ms=$linger" "compression.type=$codec" "${extra_props[@]}" || true
                record "$mode" "$name" "$client" "$run" "$out"
            done
        done
        if [[ " $EXTRAS " == *" tool "* ]]; then
            # The tool alone (no client, no broker): the same payloads, clock reads and statistics.
            for run in $(seq 1 "$RUNS"); do
                out="$WORK/tool.$mode.${name//\//_}.$run.out"
                if "$GNU_TIME" -f "%U %S %M" -o "$out.time" taskset -c "$CLIENT_CPU" "$OURS" --no-client \
                    --topic tool --num-records "$records" "${PAYLOAD_ARGS[@]}" --throughput "$rate" \
                    --producer-props bootstrap.servers=127.0.0.1:9 >"$out" 2>"$out.err"; then
                    read -r usr sys _ <"$out.time"
                    awk -v m="$mode" -v w="$name" -v r="$run" -v u="$usr" -v s="$sys" -v n="$records" \
                        'BEGIN { printf "%s\t%s\t%s\t%.4f\n", m, w, r, (u + s) * 1e6 / n }' >>"$TOOL_RESULTS"
                else
                    log "  tool-only run $run FAILED: $(tail -n 3 "$out.err")"
                fi
            done
        fi
    done
done <<<"$WORKLOADS"
stop_broker

# --- extras: client-only (sink) and overload ---------------------------------------------------
if [[ " $EXTRAS " == *" sink "* ]]; then
    n=$(scaled 2000000)
    {
        printf '### Client only: ours against an in-process sink\n\n'
        printf '`taskset -c %s producer_perf --sink --sink-cpu %s`, %s records of 100 B (a fixed payload, `--payload-file`), acks=1, linger.ms=5, ' \
            "$CLIENT_CPU" "$BROKER_CPU" "$n"
        printf 'unthrottled; the sink answers every request at once from CPU %s. Client CPU: the ' "$BROKER_CPU"
        printf "producer's threads only (caller + sender), from /proc/self/task; median of %s runs.\n\n" "$RUNS"
        printf '| batch.size | records/s | MB/s | client CPU s / M records | caller thread s / M | sender thread s / M | p99 ms |\n'
        printf '|---|---:|---:|---:|---:|---:|---:|\n'
    } >>"$EXTRA_RESULTS"
    payload_args fixed 100
    for batch in 16384 1048576; do
        log "sink: $n x 100 B, batch.size=$batch"
        rows="$WORK/sink-$batch.tsv"
        : >"$rows"
        for run in $(seq 1 "$RUNS"); do
            out="$WORK/sink-$batch-$run.out"
            "$GNU_TIME" -f "%U %S %M" -o "$out.time" taskset -c "$CLIENT_CPU" "$OURS" --sink --sink-cpu "$BROKER_CPU" \
                --topic sink --num-records "$n" "${PAYLOAD_ARGS[@]}" --throughput -1 \
                --producer-props bootstrap.servers=127.0.0.1:9 acks=1 "batch.size=$batch" linger.ms=5 \
                >"$out" 2>"$out.err" || true
            total=$(parse_total "$out" || echo "")
            threads=$(grep '^thread CPU:' "$out.err" || echo "")
            [[ -n $total && -n $threads ]] || {
                log "  sink run $run FAILED: $(tail -n 3 "$out.err")"
                continue
            }
            log "  run $run: $(tail -n 1 "$out") / $threads"
            # caller = the main thread (named after the binary), sender = kafka-producer-*.
            awk -v total="$total" -v n="$n" '
                { line = $0; sub(/^thread CPU: /, "", line); sub(/ \(total.*$/, "", line)
                  k = split(line, parts, ", "); caller = 0; sender = 0
                  for (i = 1; i <= k; i++) { m = split(parts[i], w, " "); name = w[1]; secs = w[m - 1]
                      if (name ~ /^kafka-producer/) sender += secs; else if (name !~ /^(sink|mock-broker)/) caller += secs }
                  split(total, t, " ")
                  printf "%s\t%s\t%.3f\t%.3f\t%.3f\t%s\n", t[2], t[3], (caller + sender) * 1e6 / n, caller * 1e6 / n, sender * 1e6 / n, t[8] }' \
                <<<"$threads" >>"$rows"
        done
        awk -F '\t' -v batch="$batch" '
            function med(col,   a, i, j, k, x) { k = 0; for (i = 1; i <= NR; i++) a[++k] = v[i, col]
                for (i = 2; i <= k; i++) { x = a[i]; j = i - 1; while (j > 0 && a[j] + 0 > x + 0) { a[j + 1] = a[j]; j-- } a[j + 1] = x }
                return a[int((k + 1) / 2)] }
            { for (c = 1; c <= NF; c++) v[NR, c] = $c }
            END { if (NR == 0) { printf "| %s | failed | | | | | |\n", batch; exit }
                  printf "| %s | %.0f | %.2f | %.3f | %.3f | %.3f | %s |\n", batch, med(1), med(2), med(3), med(4), med(5), med(6) }' \
            "$rows" >>"$EXTRA_RESULTS"
    done
    printf '\n' >>"$EXTRA_RESULTS"
fi

if [[ " $EXTRAS " == *" overload "* ]]; then
    log "overload: ours, buffer.memory=32 MiB, the broker paused for ${BENCH_PAUSE_SECS:-10} s"
    start_broker
    new_topic
    n=$(scaled 1000000)
    out="$WORK/overload.out"
    "$GNU_TIME" -f "%U %S %M" -o "$out.time" taskset -c "$CLIENT_CPU" "$OURS" --topic "$TOPIC" \
        --num-records "$n" --record-size 1024 --throughput -1 \
        --producer-props "bootstrap.servers=$BOOTSTRAP" acks=1 buffer.memory=33554432 \
        >"$out" 2>"$out.err" &
    timer=$!
    sleep 1
    pid=$(pgrep -P "$timer" | head -n 1 || true)
    "$KAFKA_SH" pause 1 --dir "$BROKER_DIR" >/dev/null
    sleep "${BENCH_PAUSE_SECS:-10}"
    during=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo "?")
    "$KAFKA_SH" resume 1 --dir "$BROKER_DIR" >/dev/null
    wait "$timer" || true
    read -r _ _ peak <"$out.time" || peak="?"
    limit=$(((32 + 16) * 1024))
    verdict="within"
    [[ $peak =~ ^[0-9]+$ ]] && ((peak > limit)) && verdict="ABOVE"
    log "  RSS while paused ${during} KiB, peak ${peak} KiB (limit ${limit} KiB): $verdict; $(tail -n 1 "$out")"
    {
        printf '### Overload: ours with buffer.memory = 32 MiB and the broker paused\n\n'
        printf '%s records of 1 KiB, acks=1, unthrottled; the broker is paused (SIGSTOP) 1 s after the start for %s s, then resumed.\n\n' \
            "$n" "${BENCH_PAUSE_SECS:-10}"
        printf '| RSS while paused | peak RSS | bound (buffer.memory + 16 MiB) | verdict |\n|---:|---:|---:|---|\n'
        printf '| %s MiB | %s MiB | 48.0 MiB | %s |\n\n' \
            "$(awk -v k="$during" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.1f", k / 1024; else print "?" }')" \
            "$(awk -v k="$peak" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.1f", k / 1024; else print "?" }')" "$verdict"
        printf 'Last line: `%s`\n\n' "$(tail -n 1 "$out")"
    } >>"$EXTRA_RESULTS"
    stop_broker
fi
ELAPSED=$(($(date +%s) - START))

# --- the plot ----------------------------------------------------------------------------------
# scripts/bench-plot.py makes its own venv with matplotlib (PyPI) on first use.
PLOT_REF=
if [[ -n $PLOT ]]; then
    mkdir -p "$(dirname "$PLOT")"
    if python3 "$SCRIPT_DIR/bench-plot.py" "$RESULTS" -o "$PLOT" --subtitle \
        "bars: medians of $RUNS run(s); $(date -u '+%Y-%m-%d %H:%M UTC'); BENCH_SCALE=$SCALE; broker on CPU $BROKER_CPU, clients on CPU $CLIENT_CPU" >&2; then
        log "wrote $PLOT"
        if [[ $OUT != - ]]; then
            PLOT_REF=$(realpath -m --relative-to="$(dirname "$OUT")" "$PLOT")
        else
            PLOT_REF=$(realpath -m "$PLOT")
        fi
    else
        log "warning: no plot (scripts/bench-plot.py failed; the report goes without it)"
    fi
fi

# --- the report --------------------------------------------------------------------------------
report() {
    printf '<!-- bench-compare:begin (generated by scripts/bench-compare.sh; edits here are overwritten) -->\n'
    printf '## Results of %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'Machine: %s CPUs (%s), %s GiB RAM, Linux %s; %s; %s; Kafka 4.1.1 broker (1 node, log dir on %s) on CPU %s, ' \
        "$(nproc)" "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
        "$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)" "$(uname -r)" \
        "$(java -version 2>&1 | head -n 1)" "$(rustc --version)" \
        "$(df -P "$WORK" | awk 'NR == 2 { print $6 }')" "$BROKER_CPU"
    printf 'clients on CPU %s. librdkafka %s (rdkafka %s). Java client flags: `%s`. ' \
        "$CLIENT_CPU" \
        "$(awk '/name = "rdkafka-sys"/ { getline; sub(/.*\+/, ""); gsub(/"/, ""); print }' "$REPO_DIR/bench-compare/Cargo.lock" 2>/dev/null)" \
        "$(awk '/name = "rdkafka"$/ { getline; gsub(/.*= |"/, ""); print }' "$REPO_DIR/bench-compare/Cargo.lock" 2>/dev/null)" \
        "$JAVA_OPTS"
    printf 'Median of %s runs per cell (the clients interleaved, their order rotating from round to round); the whole run took %s min. BENCH_SCALE=%s.\n\n' \
        "$RUNS" "$((ELAPSED / 60))" "$SCALE"
    printf 'CPU = user + system seconds of the client process (JVM start, JIT and GC included for Java) per million records; RSS = peak resident set. '
    printf 'Payload modes: **fixed** = `--payload-file` with one line of exactly the record size (A–Z repeated), the same bytes for every record: the CPU is that of the client alone; '
    printf '**refill** = `--record-size`, the default of Java: a fresh random payload per record (ours and rdkafka_perf fill the very bytes Java fills), its cost in the CPU of every client.\n\n'
    if [[ -n $PLOT_REF ]]; then
        printf '![records/s and client CPU per million records by workload and client, one panel per payload mode](%s)\n\n' "$PLOT_REF"
    fi
    awk -F '\t' -v clients="$CLIENTS" "$AWK_MEDIAN_RATIO"'
        function addw(m, w) { if (!(m in seenm)) { seenm[m] = 1; modes[++nm] = m }
            if (!((m, w) in seenw)) { seenw[m, w] = 1; wl[m, ++nwl[m]] = w } }
        # Rows from before the payload modes have no mode column: they are "refill" rows.
        $1 != "fixed" && $1 != "refill" { $0 = "refill" FS $0 }
        $3 == "skipped" { addw($1, $2); skipped[$1, $2] = 1; next }
        {   m = $1; c = $3; addw(m, $2); w = m SUBSEP $2
            if ($5 == "FAIL") { fails[w, c]++; next }
            n = ++cnt[w, c]
            # cols: 5 usr 6 sys 7 rss 8 records 9 rate 10 mb 11 avg 12 max 13 p50 14 p95 15 p99 16 p999
            val[w, c, n, "cpu"] = ($5 + $6) * 1e6 / $8
            val[w, c, n, "rss"] = $7 / 1024
            val[w, c, n, "rate"] = $9; val[w, c, n, "mb"] = $10
            val[w, c, n, "p50"] = $13; val[w, c, n, "p99"] = $15; val[w, c, n, "p999"] = $16 }
        END {
            nc = split(clients, cl, " ")
            name["java"] = "Java"; name["rdkafka"] = "librdkafka"; name["ours"] = "ours"
            title["fixed"] = "fixed (`--payload-file`: one line of the record size, the same payload for every record)"
            title["refill"] = "refill (`--record-size`: a fresh random payload per record, as Java does by default)"
            for (x = 1; x <= nm; x++) { m = modes[x]
                printf "### Payload %s\n\n", title[m]
                print "| workload | client | records/s | MB/s | CPU s / M records | peak RSS MiB | p50 ms | p99 ms | p99.9 ms |"
                print "|---|---|---:|---:|---:|---:|---:|---:|---:|"
                for (i = 1; i <= nwl[m]; i++) { wn = wl[m, i]; w = m SUBSEP wn
                    if ((m, wn) in skipped) { printf "| %s | (skipped: compression not supported by ours) | | | | | | | |\n", wn; continue }
                    for (j = 1; j <= nc; j++) { c = cl[j]
                        if (cnt[w, c] == 0) { printf "| %s | %s | failed | | | | | | |\n", wn, name[c]; continue }
                        printf "| %s | %s | %.0f | %.2f | %.2f | %.0f | %s | %s | %s |%s\n", wn, name[c],
                            med(w, c, "rate"), med(w, c, "mb"), med(w, c, "cpu"), med(w, c, "rss"),
                            med(w, c, "p50"), med(w, c, "p99"), med(w, c, "p999"),
                            (fails[w, c] ? sprintf(" (%d failed run(s))", fails[w, c]) : "") } }
                print ""
                printf "Ratios, payload %s (ours / other; throughput: higher is better, CPU, RSS and latency: lower is better):\n", m
                print ""
                print "| workload | records/s vs Java | records/s vs librdkafka | CPU vs Java | CPU vs librdkafka | RSS vs Java | RSS vs librdkafka | p99 vs Java | p99 vs librdkafka |"
                print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
                for (i = 1; i <= nwl[m]; i++) { wn = wl[m, i]; w = m SUBSEP wn; if ((m, wn) in skipped) continue
                    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", wn,
                        ratio(med(w, "ours", "rate"), med(w, "java", "rate")), ratio(med(w, "ours", "rate"), med(w, "rdkafka", "rate")),
                        ratio(med(w, "ours", "cpu"), med(w, "java", "cpu")), ratio(med(w, "ours", "cpu"), med(w, "rdkafka", "cpu")),
                        ratio(med(w, "ours", "rss"), med(w, "java", "rss")), ratio(med(w, "ours", "rss"), med(w, "rdkafka", "rss")),
                        ratio(med(w, "ours", "p99"), med(w, "java", "p99")), ratio(med(w, "ours", "p99"), med(w, "rdkafka", "p99")) }
                print "" }
            if (!(("fixed" in seenm) && ("refill" in seenm))) exit
            print "### What the per-record refill costs"
            print ""
            print "CPU s / M records added by the refill (refill mode minus fixed mode, the same workload and client), and records/s of the refill mode over those of the fixed mode."
            print ""
            hdr = "| workload |"; sep = "|---|"
            for (j = 1; j <= nc; j++) { hdr = hdr " " name[cl[j]] ": CPU added |"; sep = sep "---:|" }
            for (j = 1; j <= nc; j++) { hdr = hdr " " name[cl[j]] ": records/s refill / fixed |"; sep = sep "---:|" }
            print hdr; print sep
            for (i = 1; i <= nwl["refill"]; i++) { wn = wl["refill", i]
                if (!(("fixed", wn) in seenw) || (("refill", wn) in skipped)) continue
                f = "fixed" SUBSEP wn; r = "refill" SUBSEP wn; line = "| " wn " |"
                for (j = 1; j <= nc; j++) { c = cl[j]; a = med(r, c, "cpu"); b = med(f, c, "cpu")
                    line = line " " ((a == "" || b == "") ? "–" : sprintf("%+.2f", a - b)) " |" }
                for (j = 1; j <= nc; j++) { c = cl[j]; line = line " " ratio(med(r, c, "rate"), med(f, c, "rate")) " |" }
                print line }
            print "" }' "$RESULTS"
    if [[ -s $TOOL_RESULTS ]]; then
        printf '### Net of the tool'"'"'s own work\n\n'
        printf 'Ours and librdkafka run the same send loop (`examples/producer_perf.rs`; `rdkafka_perf` includes it): per record a payload, two clock reads and the statistics, as Java'"'"'s ProducerPerformance. '
        printf '`producer_perf --no-client` runs the part of it both share alone (no record, each callback body at once, no client; median of %s runs). ' "$RUNS"
        printf 'Subtracted from the CPU figures above, what is left is the client'"'"'s own CPU per record (ours keeps the cost of building its `ProducerRecord` in it). '
        printf 'Java runs its own tool, so it has no column here.\n\n'
        printf '| payload | workload | tool alone: CPU s / M | ours − tool | librdkafka − tool | net CPU vs librdkafka |\n'
        printf '|---|---|---:|---:|---:|---:|\n'
        awk -F '\t' "$AWK_MEDIAN_RATIO"'
            function net(x, t) { return (x == "" || t == "") ? "" : x - t }
            function fmt(x) { return x == "" ? "–" : sprintf("%.2f", x) }
            FNR == NR { w = $1 SUBSEP $2; if (!(w in seen)) { seen[w] = 1; order[++no] = w }
                n = ++cnt[w, "tool"]; val[w, "tool", n, "cpu"] = $4; next }
            $1 != "fixed" && $1 != "refill" { $0 = "refill" FS $0 }
            $3 == "skipped" || $5 == "FAIL" { next }
            { w = $1 SUBSEP $2; n = ++cnt[w, $3]; val[w, $3, n, "cpu"] = ($5 + $6) * 1e6 / $8 }
            END { for (i = 1; i <= no; i++) { w = order[i]; split(w, p, SUBSEP); t = med(w, "tool", "cpu")
                    o = net(med(w, "ours", "cpu"), t); r = net(med(w, "rdkafka", "cpu"), t)
                    printf "| %s | %s | %.3f | %s | %s | %s |\n", p[1], p[2], t, fmt(o), fmt(r), ratio(o, r) } }' \
            "$TOOL_RESULTS" "$RESULTS"
        printf '\n'
    fi
    cat "$EXTRA_RESULTS"
    printf '<details><summary>Raw rows (payload mode, workload, client, run, user s, sys s, max RSS KiB, records, records/s, MB/s, avg, max, p50, p95, p99, p99.9 ms)</summary>\n\n```\n'
    cat "$RESULTS"
    printf '```\n</details>\n<!-- bench-compare:end -->\n'
}

REPORT="$WORK/report.md"
report >"$REPORT"
if [[ $OUT != - && ! -f $OUT ]]; then
    printf '# Benchmarks\n\nReproduce with `scripts/bench-compare.sh` (see its header for the knobs).\n' >"$OUT"
fi
publish_report bench-compare
