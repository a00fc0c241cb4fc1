#!/usr/bin/env bash
# Broker compatibility run: for each Kafka release, start a single-node broker of that release
# (scripts/kafka.sh: ZooKeeper mode for 2.x, KRaft for 3.x/4.x) in its own folder and ports, run
# a subset of the integration tests against it (KAFKA_BOOTSTRAP=its broker, KAFKA_VERSION=the
# release, so the tests' Java tools and any cluster a test starts itself are of that release too),
# stop it, and print a pass/fail table.
#
# Usage: scripts/compat.sh [VERSION...]      (default: 2.4.1 2.8.2 3.9.1 4.1.1 4.4.0)
#
# The tests (COMPAT_TESTS, cargo test target names, space-separated; default below):
#   producer              produce, sync/async, keyed partitioning = Java's, batching, acks=0,
#                         headers/nulls/timestamps read back by the Java consumer, idempotence
#   compression           each codec round-trips through the Java consumer; Java-compressed
#                         batches decode with ours (starts its own 1-node cluster of the release)
#   protocol_real_broker  ApiVersions/Metadata/Produce by hand, Java consumer read-back
#   transactions          commit/abort read back at read_committed, fencing, transaction timeout,
#                         offsets in transactions, the state rules, on the release's broker (its
#                         tests with clusters of their own, transaction.version features and
#                         three nodes, run with the default release only)
# Not in the default set: idempotence_cluster (3-node clusters, kills brokers: slow) and
# compression_java (no broker; its Java helper uses kafka-clients internals, e.g.
# MemoryRecordsBuilder, that 2.x and 4.4 lack or moved, so it only compiles against 3.9/4.1 jars).
#
# Environment: COMPAT_TESTS, COMPAT_DIR (<repo>/target/compat: one folder per version, with
# test.log and the cluster), COMPAT_TEST_TIMEOUT (seconds per version, 1200), plus those of
# scripts/kafka.sh. Exit status 0 when every version passed.
#
# Note: `consume`/`produce` of kafka.sh run the console tools of the default release (4.1.1)
# where a release's own lack the options they need (before 3.2: see kafka.sh help).
set -uo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
KAFKA_SH="$SCRIPT_DIR/kafka.sh"
cd "$REPO_DIR" || exit 1

DEFAULT_VERSIONS=(2.4.1 2.8.2 3.9.1 4.1.1 4.4.0)
read -r -a TESTS <<<"${COMPAT_TESTS:-producer compression protocol_real_broker transactions}"
COMPAT_DIR=${COMPAT_DIR:-$REPO_DIR/target/compat}
TEST_TIMEOUT=${COMPAT_TEST_TIMEOUT:-1200}

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
fi
VERSIONS=("$@")
[[ ${#VERSIONS[@]} -gt 0 ]] || VERSIONS=("${DEFAULT_VERSIONS[@]}")

log() { printf 'compat.sh: %s\n' "$*" >&2; }

test_args=()
for t in "${TESTS[@]}"; do test_args+=(--test "$t"); done

mkdir -p "$COMPAT_DIR"
log "building the tests: cargo test --no-run ${test_args[*]}"
if ! cargo test --no-run "${test_args[@]}" >"$COMPAT_DIR/build.log" 2>&1; then
    tail -n 30 "$COMPAT_DIR/build.log" >&2
    log "the build failed (see $COMPAT_DIR/build.log)"
    exit 1
fi

CURRENT_DIR=""
cleanup() {
    if [[ -n $CURRENT_DIR ]]; then
        "$KAFKA_SH" stop --now --dir "$CURRENT_DIR" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ROWS=()
overall=0
for v in "${VERSIONS[@]}"; do
    vdir="$COMPAT_DIR/$v"
    cluster="$vdir/cluster"
    mkdir -p "$vdir"
    tlog="$vdir/test.log"
    : >"$tlog"
    major=${v%%.*}
    mode=KRaft
    [[ $major =~ ^[0-9]+$ ]] && ((major < 3)) && mode=ZooKeeper
    t0=$SECONDS
    log "== Kafka $v ($mode)"
    if ! KAFKA_VERSION=$v "$KAFKA_SH" fetch >"$vdir/fetch.log" 2>&1; then
        ROWS+=("$v|$mode|-|-|-|-|-|$((SECONDS - t0))|FETCH FAILED: $(grep 'error:' "$vdir/fetch.log" | tail -n 1 | cut -c1-80)")
        overall=1
        continue
    fi
    s0=$SECONDS
    if ! bootstrap=$(KAFKA_VERSION=$v "$KAFKA_SH" start --dir "$cluster" --base-port auto \
        --watch-pid $$ 2>"$vdir/start.log" | tail -n 1); then
        tail -n 20 "$vdir/start.log" >&2
        ROWS+=("$v|$mode|-|-|-|-|-|$((SECONDS - t0))|START FAILED (see $vdir/start.log)")
        overall=1
        continue
    fi
    CURRENT_DIR=$cluster
    start_s=$((SECONDS - s0))
    log "broker at $bootstrap (up in ${start_s}s); cargo test ${test_args[*]} (log: $tlog)"
    status=ok
    if ! KAFKA_VERSION=$v KAFKA_BOOTSTRAP=$bootstrap timeout --kill-after=30 "$TEST_TIMEOUT" \
        cargo test --no-fail-fast "${test_args[@]}" >"$tlog" 2>&1; then
        status=failed
        grep -q 'Terminated\|timed out' "$tlog" && status="failed (or timed out after ${TEST_TIMEOUT}s)"
    fi
    "$KAFKA_SH" stop --dir "$cluster" >>"$vdir/start.log" 2>&1 || true
    CURRENT_DIR=""
    # "test result: ok. 11 passed; 0 failed; 0 ignored; ..." per test binary.
    read -r passed failed ignored < <(sed -n -E 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed; ([0-9]+) ignored.*/\1 \2 \3/p' "$tlog" |
        awk '{p+=$1; f+=$2; i+=$3} END {print p+0, f+0, i+0}')
    binaries=$(grep -c '^test result:' "$tlog")
    note=""
    if ((binaries < ${#TESTS[@]})); then
        note="only $binaries of ${#TESTS[@]} test binaries finished"
    fi
    if [[ $status != ok || $failed -gt 0 || -n $note ]]; then
        overall=1
        fails=$(sed -n -E 's/^test ([^ ]+) \.\.\. FAILED$/\1/p' "$tlog" | sed 's/.*:://' |
            awk 'NR <= 3 {printf "%s%s", (NR > 1 ? "," : ""), $0} END {if (NR > 3) printf ",+%d more", NR - 3}')
        note="${note:+$note; }${fails:+failed: $fails}"
        [[ -z $note ]] && note="cargo test $status"
        result=FAIL
    else
        result=PASS
    fi
    ROWS+=("$v|$mode|$start_s|$((passed + failed))|$passed|$failed|$result|$((SECONDS - t0))|$note")
done

printf '\n%-8s %-10s %7s %5s %6s %6s %-6s %7s  %s\n' VERSION MODE START_S RUN PASSED FAILED RESULT TOTAL_S NOTES
for row in "${ROWS[@]}"; do
    IFS='|' read -r v mode st run p f r t note <<<"$row"
    printf '%-8s %-10s %7s %5s %6s %6s %-6s %7s  %s\n' "$v" "$mode" "$st" "$run" "$p" "$f" "$r" "$t" "$note"
done
printf '(tests: %s; logs in %s/<version>/test.log)\n' "${TESTS[*]}" "$COMPAT_DIR"
exit "$overall"
