# Shared by the benchmark scripts (sourced, not run).

# bench_setup NAME: what every benchmark script sets up alike. log/die print "NAME: ..." on
# stderr; JAVA_OPTS: kafka-run-class.sh's defaults for kafka-producer-perf-test (C2 on, unlike
# kafka.sh's tools), or $BENCH_JAVA_OPTS; WORK: NAME-PID under /dev/shm when it is writable,
# else under /tmp, or $BENCH_DIR; GNU_TIME; and the tools every run needs: taskset, and GNU
# time (installed with apt-get when running as root).
bench_setup() {
    BENCH_NAME=$1
    JAVA_OPTS=${BENCH_JAVA_OPTS:--Xmx512M -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}
    if [[ -d /dev/shm && -w /dev/shm ]]; then
        WORK=${BENCH_DIR:-/dev/shm/$1-$$}
    else
        WORK=${BENCH_DIR:-/tmp/$1-$$}
    fi
    GNU_TIME=/usr/bin/time
    command -v taskset >/dev/null || die "taskset is missing (util-linux)"
    if [[ ! -x $GNU_TIME ]] || ! "$GNU_TIME" -f %M true >/dev/null 2>&1; then
        if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
            log "installing GNU time"
            apt-get install -y time >/dev/null || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
        fi
        "$GNU_TIME" -f %M true >/dev/null 2>&1 || die "GNU time (/usr/bin/time) is missing: apt-get install -y time"
    fi
}
log() { printf '%s: %s\n' "${BENCH_NAME:-bench}" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# Replaces the lines of OUT between `<!-- NAME:begin` and `<!-- NAME:end` (both included) with
# the lines of REPORT (which carries its own markers). Returns 1, changing nothing, when OUT
# lacks either marker: the caller then writes OUT its own way.
replace_marked_section() {
    local name=$1 report=$2 out=$3
    if ! [[ -f $out ]] || ! grep -q "^<!-- $name:begin" "$out" || ! grep -q "^<!-- $name:end" "$out"; then
        return 1
    fi
    awk -v report="$report" -v begin="^<!-- $name:begin" -v end="^<!-- $name:end" '
        $0 ~ begin { while ((getline line < report) > 0) print line; skip = 1; next }
        $0 ~ end { skip = 0; next }
        !skip { print }' "$out" >"$out.tmp" && mv "$out.tmp" "$out"
}

# The awk functions of the reports (prepend to a program: awk "$AWK_MEDIAN_RATIO"'...'):
# sortv(a, k) sorts a[1..k] numerically; med(w, c, col) is the median of column col over
# val[w, c, 1..cnt[w, c]] ("" without values); ratio(x, y) is x / y with 2 decimals ("–" when
# either is missing or y is 0).
AWK_MEDIAN_RATIO='
        function sortv(a, k,   i, j, x) { for (i = 2; i <= k; i++) { x = a[i]; j = i - 1
            while (j > 0 && a[j] + 0 > x + 0) { a[j + 1] = a[j]; j-- } a[j + 1] = x } }
        function med(w, c, col,   a, k, i) { k = 0; for (i = 1; i <= cnt[w, c]; i++) a[++k] = val[w, c, i, col]
            if (k == 0) return ""; sortv(a, k); return a[int((k + 1) / 2)] }
        function ratio(x, y) { return (x == "" || y == "" || y + 0 == 0) ? "–" : sprintf("%.2f", x / y) }
'

# publish_report NAME: prints $REPORT and, unless $OUT is -, writes it into $OUT between NAME's
# markers (see replace_marked_section), or appends it when $OUT has none. Uses the caller's
# REPORT, OUT and log.
publish_report() {
    local name=$1
    cat "$REPORT"
    if [[ $OUT != - ]]; then
        if ! replace_marked_section "$name" "$REPORT" "$OUT"; then
            { printf '\n'; cat "$REPORT"; } >>"$OUT"
        fi
        log "wrote $OUT"
    fi
}

# run_client CLIENT OUTFILE ARGS... : runs one client pinned to CLIENT_CPU under GNU time
# (OUTFILE.time gets "user sys maxrss_kb"), stdout to OUTFILE, stderr to OUTFILE.err. Uses the
# caller's GNU_TIME, CLIENT_CPU, KAFKA_SH, JAVA_OPTS, OURS, RDKAFKA (rdkafka only),
# JAVA_SHARED_CP (java-shared only: the folder of bench-compare/java/SharedProducerPerf's
# classes) and die.
run_client() {
    local client=$1 out=$2
    shift 2
    local -a cmd
    case $client in
    java) cmd=(env KAFKA_TOOL_JVM_OPTS="$JAVA_OPTS" KAFKA_TOOL_CDS=0 "$KAFKA_SH" java-tool
        org.apache.kafka.tools.ProducerPerformance) ;;
    java-shared) cmd=(env KAFKA_TOOL_JVM_OPTS="$JAVA_OPTS" KAFKA_TOOL_CDS=0
        KAFKA_TOOL_CLASSPATH="$JAVA_SHARED_CP" "$KAFKA_SH" java-tool SharedProducerPerf) ;;
    rdkafka) cmd=("$RDKAFKA") ;;
    ours) cmd=("$OURS") ;;
    *) die "unknown client $client" ;;
    esac
    "$GNU_TIME" -f "%U %S %M" -o "$out.time" taskset -c "$CLIENT_CPU" "${cmd[@]}" "$@" \
        >"$out" 2>"$out.err"
}

# new_topic: creates a fresh topic of $PARTITIONS partitions on $BOOTSTRAP and sets TOPIC to its
# name ("$TOPIC_PREFIX-N-PID", prefix "bench" by default). Uses the caller's KAFKA_SH and die.
TOPIC_SEQ=0
TOPIC=
new_topic() {
    TOPIC_SEQ=$((TOPIC_SEQ + 1))
    TOPIC="${TOPIC_PREFIX:-bench}-$TOPIC_SEQ-$$"
    "$KAFKA_SH" create-topic "$TOPIC" --partitions "$PARTITIONS" --bootstrap "$BOOTSTRAP" >/dev/null 2>&1 ||
        die "cannot create topic $TOPIC"
}

# parse_total FILE: the tools' last summary line ("N records sent, R records/sec (M MB/sec), A ms
# avg latency, X ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th.") as
# "records rate mb avg max p50 p95 p99 p999"; status 1 without one.
parse_total() {
    awk '/records sent, .* 99\.9th\.$/ { l = $0 }
         END { if (l == "") exit 1; split(l, f, " "); sub(/^\(/, "", f[6]);
               print f[1], f[4], f[6], f[8], f[12], f[16], f[19], f[22], f[25] }' "$1"
}

# record_run OUT LABEL KEY...: appends the run whose tool output is OUT (and GNU time's
# "user system rss" in OUT.time) to $RESULTS as one tab-separated row: the KEYs, the user and
# system CPU seconds, the peak RSS (KiB), then the fields of parse_total; a run without a result
# line gets the row "KEYs FAIL". Logs "  LABEL: <the tool's last line> [cpu ...]" or
# "  LABEL FAILED: ...". Returns 1 for a failed run.
record_run() {
    local out=$1 label=$2 total usr sys rss
    shift 2
    if total=$(parse_total "$out") && read -r usr sys rss <"$out.time" 2>/dev/null; then
        # shellcheck disable=SC2086 # word splitting of the parsed fields is intended
        printf '%s\t' "$@" "$usr" "$sys" "$rss" $total >>"$RESULTS"
        printf '\n' >>"$RESULTS"
        log "  $label: $(tail -n 1 "$out") [cpu ${usr}u ${sys}s, rss ${rss} KiB]"
    else
        printf '%s\t' "$@" >>"$RESULTS"
        printf 'FAIL\n' >>"$RESULTS"
        log "  $label FAILED: $(tail -n 3 "$out.err" "$out" 2>/dev/null | tr '\n' ' ')"
        return 1
    fi
}

# prepare_work: builds examples/producer_perf (release) unless BENCH_SKIP_BUILD=1, fetches the
# Kafka jars, makes $WORK with an empty RESULTS ($WORK/results.tsv) and sets BROKER_DIR
# ($WORK/kafka); at exit the broker there stops and $WORK goes (kept with BENCH_KEEP=1). Uses the
# caller's log, REPO_DIR, KAFKA_SH and WORK.
prepare_work() {
    if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
        log "building examples/producer_perf (release)"
        (cd "$REPO_DIR" && cargo build --release --example producer_perf >&2)
    fi
    "$KAFKA_SH" fetch >/dev/null
    mkdir -p "$WORK"
    RESULTS="$WORK/results.tsv"
    : >"$RESULTS"
    BROKER_DIR="$WORK/kafka"
    trap stop_broker_and_clean_work EXIT
    trap 'exit 130' INT TERM
}

stop_broker_and_clean_work() {
    "$KAFKA_SH" stop --dir "$BROKER_DIR" --now >/dev/null 2>&1 || true
    [[ ${BENCH_KEEP:-0} == 1 ]] || rm -rf "$WORK"
}
