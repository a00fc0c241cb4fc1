#!/usr/bin/env bash
# shellcheck disable=SC2016 # backquotes in printf formats are Markdown, not expansions
# Producer throughput and client CPU over SASL_SSL (SCRAM-SHA-512): this crate
# (examples/producer_perf.rs) against Kafka's own ProducerPerformance, on the same listener of one
# `scripts/kafka.sh start --security` broker; plus ours over PLAINTEXT (the goal: SASL_SSL >= 70 %
# of it) and, optionally, Java over PLAINTEXT and ours over SSL.
#
#   scripts/bench-security.sh                          # writes its section of BENCHMARKS.md
#   BENCH_SCALE=0.05 BENCH_RUNS=1 BENCH_OUT=- scripts/bench-security.sh   # smoke run
#
# Same method as scripts/bench-compare.sh: broker pinned to CPU $BENCH_BROKER_CPU (0) with its log
# dir on /dev/shm when it exists, every client on CPU $BENCH_CLIENT_CPU (1); client CPU (user+sys)
# and peak RSS from GNU time, records/s from the tools' last line; a fresh 1-partition topic per
# run (made over the PLAINTEXT listener); $BENCH_RUNS rounds, the client order rotating by one
# each round; medians reported.
#
# Environment:
#   BENCH_SCALE    multiplies the record count (2,000,000 x 100 B; default 1)
#   BENCH_RUNS     rounds, default 3
#   BENCH_ACKS     the acks values to run, default "1 all" (one workload each)
#   BENCH_EXTRA    1 (default): also Java over PLAINTEXT and ours over SSL; 0: only the three
#                  runs the goals need (Java SASL_SSL, ours SASL_SSL, ours PLAINTEXT)
#   BENCH_OUT      Markdown output, default BENCHMARKS.md (only the part between the
#                  bench-security markers is replaced; appended when absent); "-": stdout only
#   BENCH_DIR, BENCH_JAVA_OPTS, BENCH_BROKER_CPU, BENCH_CLIENT_CPU, BENCH_SKIP_BUILD=1, BENCH_KEEP=1
#                  as in scripts/bench-compare.sh
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench-lib.sh
source "$SCRIPT_DIR/bench-lib.sh"
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
KAFKA_SH="$SCRIPT_DIR/kafka.sh"

RUNS=${BENCH_RUNS:-3}
SCALE=${BENCH_SCALE:-1}
ACKS_LIST=${BENCH_ACKS:-1 all}
EXTRA=${BENCH_EXTRA:-1}
OUT=${BENCH_OUT:-$REPO_DIR/BENCHMARKS.md}
BROKER_CPU=${BENCH_BROKER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
bench_setup bench-security
OURS="$REPO_DIR/target/release/examples/producer_perf"
SIZE=100 BATCH=16384 LINGER=5

scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); if (v < 1) v = 1; print v }'; }
RECORDS=$(scaled 2000000)

# Runs: NAME CLIENT PROPERTIES (a file of DIR/security/clients/).
RUN_SPECS="java-sasl_ssl java sasl-ssl-scram-512
ours-sasl_ssl ours sasl-ssl-scram-512
ours-plaintext ours plaintext"
[[ $EXTRA == 0 ]] || RUN_SPECS+="
java-plaintext java plaintext
ours-ssl ours ssl"
mapfile -t SPECS <<<"$RUN_SPECS"

MACHINE="$(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo) GiB RAM, Linux $(uname -r)"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "machine: $MACHINE; load average before: $LOAD_BEFORE"

# What ours is built from (other engineers share the work tree: note uncommitted changes).
REV="$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -z $(git -C "$REPO_DIR" status --porcelain --untracked-files=no -- src Cargo.toml examples 2>/dev/null) ]] ||
    REV+=" + uncommitted changes in src/"
prepare_work

log "starting a --security broker on CPU $BROKER_CPU (log dir in $WORK)"
taskset -c "$BROKER_CPU" "$KAFKA_SH" start --security --nodes 1 --dir "$BROKER_DIR" --base-port auto \
    --watch-pid $$ >/dev/null 2>"$WORK/broker-start.log" || die "broker did not start: $(tail -n 20 "$WORK/broker-start.log")"
CLIENTS_DIR="$BROKER_DIR/security/clients"
# shellcheck source=/dev/null
source "$BROKER_DIR/security/listeners.env"
PLAINTEXT_BOOTSTRAP=$KAFKA_PLAINTEXT_BOOTSTRAP

# Topics (new_topic, in bench-lib.sh) of one partition, created over the PLAINTEXT listener.
TOPIC_PREFIX=bench-sec
PARTITIONS=1
BOOTSTRAP=$PLAINTEXT_BOOTSTRAP

START=$(date +%s)
for acks in $ACKS_LIST; do
    log "workload acks=$acks: $RECORDS x $SIZE B, batch.size=$BATCH, linger.ms=$LINGER, unthrottled"
    n=${#SPECS[@]}
    for round in $(seq 1 "$RUNS"); do
        for ((i = 0; i < n; i++)); do
            read -r name client props <<<"${SPECS[$(((i + round - 1) % n))]}"
            new_topic
            out="$WORK/$TOPIC_SEQ.$name.out"
            run_client "$client" "$out" --topic "$TOPIC" --num-records "$RECORDS" --record-size "$SIZE" \
                --throughput -1 --producer.config "$CLIENTS_DIR/$props.properties" \
                --producer-props "acks=$acks" "batch.size=$BATCH" "linger.ms=$LINGER" || true
            if total=$(parse_total "$out") && read -r usr sys rss <"$out.time" 2>/dev/null; then
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$acks" "$name" "$round" "$usr" "$sys" "$rss" "${total// /$'\t'}" >>"$RESULTS"
                log "  round $round $name: $(tail -n 1 "$out" | cut -d, -f1-2) [cpu ${usr}u ${sys}s, rss ${rss} KiB]"
            else
                printf '%s\t%s\t%s\tFAIL\n' "$acks" "$name" "$round" >>"$RESULTS"
                log "  round $round $name FAILED: $(tail -n 3 "$out.err" "$out" 2>/dev/null | tr '\n' ' ')"
            fi
        done
    done
done
ELAPSED=$(($(date +%s) - START))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

report() {
    printf '<!-- bench-security:begin (generated by scripts/bench-security.sh; edits here are overwritten) -->\n'
    printf '## Security: SASL_SSL vs PLAINTEXT, ours vs Java (%s)\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'Machine: %s; %s; %s. Load average (1/5/15 min) before the run: %s, after: %s. ' \
        "$MACHINE" "$(java -version 2>&1 | head -n 1)" "$(rustc --version)" "$LOAD_BEFORE" "$LOAD_AFTER"
    printf 'One Kafka 4.1.1 broker (`kafka.sh start --security`, log dir on %s) on CPU %s, clients on CPU %s. ' \
        "$(df -P "$WORK" | awk 'NR == 2 { print $6 }')" "$BROKER_CPU" "$CLIENT_CPU"
    printf 'SASL_SSL = SCRAM-SHA-512 over TLS (the broker'"'"'s EC P-256 cert, JDK TLS on the broker side), SSL = TLS without client auth. '
    printf '%s records of %s B, batch.size=%s, linger.ms=%s, unthrottled, a fresh 1-partition topic per run; ' \
        "$RECORDS" "$SIZE" "$BATCH" "$LINGER"
    printf 'each tool gets `--producer.config DIR/security/clients/<listener>.properties`. Median of %s rounds (client order rotating); ' "$RUNS"
    printf 'the run took %s min; BENCH_SCALE=%s. Java flags: `%s`.\n\n' "$((ELAPSED / 60))" "$SCALE" "$JAVA_OPTS"
    printf 'Ours built (release) from %s. ' "$REV"
    printf 'CPU = user + system time of the client process (for Java: JVM start, JIT and GC included).\n\n'
    awk -F '\t' -v specs="$(cut -d' ' -f1 <<<"$RUN_SPECS" | tr '\n' ' ')" -v acks_list="$ACKS_LIST" "$AWK_MEDIAN_RATIO"'
        $4 == "FAIL" { fails[$1, $2]++; next }
        {   w = $1; c = $2; n = ++cnt[w, c]
            val[w, c, n, "cpu"] = $4 + $5; val[w, c, n, "us"] = ($4 + $5) * 1e6 / $7
            val[w, c, n, "rss"] = $6 / 1024; val[w, c, n, "rate"] = $8 }
        END {
            nc = split(specs, cl, " "); nw = split(acks_list, wl, " ")
            print "| acks | client / listener | records/s | client CPU s | CPU µs / record | peak RSS MiB |"
            print "|---|---|---:|---:|---:|---:|"
            for (i = 1; i <= nw; i++) { w = wl[i]
                for (j = 1; j <= nc; j++) { c = cl[j]; split(c, p, "-"); label = (p[1] == "ours" ? "ours" : "Java") " " toupper(p[2])
                    if (cnt[w, c] == 0) { printf "| %s | %s | failed | | | |\n", w, label; continue }
                    printf "| %s | %s | %.0f | %.2f | %.3f | %.0f |%s\n", w, label, med(w, c, "rate"), med(w, c, "cpu"),
                        med(w, c, "us"), med(w, c, "rss"), (fails[w, c] ? sprintf(" (%d failed run(s))", fails[w, c]) : "") } }
            print ""
            print "Ratios (throughput: higher is better; CPU per record: lower is better). Goals: ours SASL_SSL ≥ 1.5× Java SASL_SSL, and ≥ 0.70× ours PLAINTEXT."
            print ""
            print "| acks | records/s ours/Java (SASL_SSL) | CPU/record ours/Java (SASL_SSL) | records/s ours SASL_SSL / ours PLAINTEXT | CPU/record ours SASL_SSL / ours PLAINTEXT | records/s Java SASL_SSL / Java PLAINTEXT | records/s ours SSL / ours PLAINTEXT |"
            print "|---|---:|---:|---:|---:|---:|---:|"
            for (i = 1; i <= nw; i++) { w = wl[i]
                printf "| %s | %s | %s | %s | %s | %s | %s |\n", w,
                    ratio(med(w, "ours-sasl_ssl", "rate"), med(w, "java-sasl_ssl", "rate")),
                    ratio(med(w, "ours-sasl_ssl", "us"), med(w, "java-sasl_ssl", "us")),
                    ratio(med(w, "ours-sasl_ssl", "rate"), med(w, "ours-plaintext", "rate")),
                    ratio(med(w, "ours-sasl_ssl", "us"), med(w, "ours-plaintext", "us")),
                    ratio(med(w, "java-sasl_ssl", "rate"), med(w, "java-plaintext", "rate")),
                    ratio(med(w, "ours-ssl", "rate"), med(w, "ours-plaintext", "rate")) }
            print "" }' "$RESULTS"
    printf '<details><summary>Raw rows (acks, run, round, user s, sys s, max RSS KiB, records, records/s)</summary>\n\n```\n'
    cat "$RESULTS"
    printf '```\n</details>\n<!-- bench-security:end -->\n'
}

REPORT="$WORK/report.md"
report >"$REPORT"
publish_report bench-security
