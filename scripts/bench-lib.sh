# Shared by the benchmark scripts (sourced, not run).

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

# run_client CLIENT OUTFILE ARGS... : runs one client pinned to CLIENT_CPU under GNU time
# (OUTFILE.time gets "user sys maxrss_kb"), stdout to OUTFILE, stderr to OUTFILE.err. Uses the
# caller's GNU_TIME, CLIENT_CPU, KAFKA_SH, JAVA_OPTS, OURS, RDKAFKA (rdkafka only) and die.
run_client() {
    local client=$1 out=$2
    shift 2
    local -a cmd
    case $client in
    java) cmd=(env KAFKA_TOOL_JVM_OPTS="$JAVA_OPTS" KAFKA_TOOL_CDS=0 "$KAFKA_SH" java-tool
        org.apache.kafka.tools.ProducerPerformance) ;;
    rdkafka) cmd=("$RDKAFKA") ;;
    ours) cmd=("$OURS") ;;
    *) die "unknown client $client" ;;
    esac
    "$GNU_TIME" -f "%U %S %M" -o "$out.time" taskset -c "$CLIENT_CPU" "${cmd[@]}" "$@" \
        >"$out" 2>"$out.err"
}
