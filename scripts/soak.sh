#!/usr/bin/env bash
# Endurance soak (outside CI; issue "Performance round 2", item 4): on a local 3-node KRaft
# cluster (scripts/kafka.sh; topic of --partitions partitions, replication factor 3,
# min.insync.replicas=2) examples/soak_producer.rs sends --rate records/s for --minutes minutes
# with the producer's defaults (idempotent, acks=all; --producer-props adds settings), while
# every --restart-every seconds one broker is SIGKILLed and, --down-secs later, restarted (nodes
# 1, 2, 3, 1, ... in turn; `kafka.sh restart` waits until it is up). The producer prints one
# line per --interval seconds (p50/p99/p99.9/max latency, RSS, open fds, threads, the longest
# gap without an acknowledgement). Afterwards scripts/soak/SoakVerify.java reads the topic back
# (Java consumer, all partitions) and checks that every record number appears exactly once, in
# increasing order per partition, and that the log end offsets add up to the records sent.
# A Markdown report goes to stdout and to OUT/report.md.
#
# Usage: scripts/soak.sh [--minutes M] [--rate N] [--restart-every S] [--down-secs S]
#                        [--partitions N] [--value-size B] [--interval S] [--stall-secs S]
#                        [--dir DIR] [--base-port P|auto] [--out DIR] [--keep-data] [--bin PATH]
#                        [--self-test] [--producer-props k=v ...]
#   --minutes M        length of the run (default 30)
#   --rate N           records per second (default 50000)
#   --restart-every S  kill + restart one broker every S seconds of the run (default 300; 0: never)
#   --down-secs S      seconds between the SIGKILL and the restart (default 5)
#   --partitions N     partitions of the topic (default 6)
#   --value-size B     value bytes per record, >= 8 (default 32: 90 M records ~ 3.8 GB per replica)
#   --interval S       seconds per report line (default 60)
#   --stall-secs S     no acknowledgement for S seconds with records outstanding = a stall (30)
#   --dir DIR          the cluster's folder (default target/kafka-soak); its data (GBs) is
#                      deleted at the end unless --keep-data
#   --base-port P      the cluster's base port (default 29500; "auto": a free block)
#   --out DIR          where the producer output, restart log, verifier output and report.md go
#                      (default DIR/../soak-out-<UTC time>)
#   --bin PATH         the soak_producer binary (default: cargo build --release --example here)
#   --self-test        check the verifier instead: a 20 s run at 5000/s without restarts where
#                      the producer sends record 1000 twice and record 2000 never; passes when the
#                      verifier reports exactly 1 missing and 1 duplicate (and the end offsets
#                      still add up, which is why the per-number check is needed)
#   --producer-props   the rest of the arguments: producer settings k=v (e.g. linger.ms=10)
# Exit status: 0 when no record was lost, duplicated or failed, no stall happened and every
# restart worked; 1 otherwise; 2 on a usage error.
# Environment: those of scripts/kafka.sh (KAFKA_START_TIMEOUT is raised to 180 s here).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

MINUTES=30
RATE=50000
RESTART_EVERY=300
DOWN_SECS=5
PARTITIONS=6
VALUE_SIZE=32
INTERVAL=60
STALL_SECS=30
DIR="$REPO/target/kafka-soak"
BASE_PORT=29500
OUT=""
KEEP_DATA=0
BIN=""
SELF_TEST=0
PROPS=()
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while (($#)); do
    case $1 in
        --minutes) MINUTES=$2; shift 2 ;;
        --rate) RATE=$2; shift 2 ;;
        --restart-every) RESTART_EVERY=$2; shift 2 ;;
        --down-secs) DOWN_SECS=$2; shift 2 ;;
        --partitions) PARTITIONS=$2; shift 2 ;;
        --value-size) VALUE_SIZE=$2; shift 2 ;;
        --interval) INTERVAL=$2; shift 2 ;;
        --stall-secs) STALL_SECS=$2; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        --base-port) BASE_PORT=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --keep-data) KEEP_DATA=1; shift ;;
        --bin) BIN=$2; shift 2 ;;
        --self-test) SELF_TEST=1; shift ;;
        --producer-props) shift; PROPS=("$@"); break ;;
        -h | --help) usage; exit 0 ;;
        *) echo "soak.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
for v in "$MINUTES" "$RATE" "$RESTART_EVERY" "$DOWN_SECS" "$PARTITIONS" "$VALUE_SIZE" "$INTERVAL" "$STALL_SECS"; do
    [[ $v =~ ^[0-9]+$ ]] || { echo "soak.sh: not a number: $v" >&2; exit 2; }
done
SECONDS_TOTAL=$((MINUTES * 60))
INJECT=()
if ((SELF_TEST)); then
    SECONDS_TOTAL=20
    RATE=5000
    RESTART_EVERY=0
    INTERVAL=10
    INJECT=(--inject "dup=1000,skip=2000")
fi
if ! command -v cargo >/dev/null 2>&1 && [[ -x $HOME/.cargo/bin/cargo ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
export KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-180}
log() { printf '%s soak.sh: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

[[ -n $OUT ]] || OUT="$(dirname "$DIR")/soak-out-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
if [[ -z $BIN ]]; then
    log "building examples/soak_producer (release)"
    cargo build --release --example soak_producer -q
    BIN="$REPO/target/release/examples/soak_producer"
fi
LIBS=$(scripts/kafka.sh fetch | tail -n 1)

STARTED=0
PRODUCER_PID=""
RESTARTER_PID=""
# shellcheck disable=SC2317 # (run by the EXIT trap)
cleanup() {
    if [[ -n $RESTARTER_PID ]]; then kill "$RESTARTER_PID" 2>/dev/null || true; fi
    if [[ -n $PRODUCER_PID ]]; then kill "$PRODUCER_PID" 2>/dev/null || true; fi
    if ((STARTED)); then
        scripts/kafka.sh stop --dir "$DIR" >/dev/null 2>&1 || true
        ((KEEP_DATA)) || rm -rf "$DIR"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

log "starting a 3-node cluster in $DIR (base port $BASE_PORT)"
STARTED=1
BOOTSTRAP=$(scripts/kafka.sh start --nodes 3 --dir "$DIR" --base-port "$BASE_PORT" --watch-pid $$ | tail -n 1)
TOPIC="soak-$(date -u +%Y%m%d%H%M%S)"
scripts/kafka.sh create-topic "$TOPIC" --bootstrap "$BOOTSTRAP" --partitions "$PARTITIONS" \
    --replication-factor 3 --config min.insync.replicas=2 >/dev/null
log "cluster $BOOTSTRAP, topic $TOPIC ($PARTITIONS partitions, RF 3, min.insync.replicas=2)"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain 2>/dev/null | grep -c . || true)

log "producer: $RATE records/s for $SECONDS_TOTAL s; restarts every ${RESTART_EVERY}s; output in $OUT"
START_EPOCH=$(date +%s)
"$BIN" --bootstrap "$BOOTSTRAP" --topic "$TOPIC" --rate "$RATE" --seconds "$SECONDS_TOTAL" \
    --value-size "$VALUE_SIZE" --interval "$INTERVAL" --stall-secs "$STALL_SECS" "${INJECT[@]}" \
    ${PROPS[@]+--producer-props "${PROPS[@]}"} \
    > >(tee "$OUT/producer.out") 2>"$OUT/producer.err" &
PRODUCER_PID=$!

# Kill + restart one node every RESTART_EVERY seconds of the run, nodes 1, 2, 3, 1, ... One
# line per restart in restarts.log: "k node kill_at_s up_at_s kill_utc up_utc status".
: >"$OUT/restarts.log"
restarter() {
    local k=0 node due now kill_at up_at kill_utc status
    ((RESTART_EVERY > 0)) || return 0
    while true; do
        k=$((k + 1))
        due=$((START_EPOCH + k * RESTART_EVERY))
        ((k * RESTART_EVERY < SECONDS_TOTAL)) || return 0
        while now=$(date +%s) && ((now < due)); do
            kill -0 "$PRODUCER_PID" 2>/dev/null || return 0
            sleep 1
        done
        kill -0 "$PRODUCER_PID" 2>/dev/null || return 0
        node=$(((k - 1) % 3 + 1))
        kill_at=$(($(date +%s) - START_EPOCH))
        kill_utc=$(date -u +%H:%M:%S)
        scripts/kafka.sh kill "$node" --dir "$DIR" >>"$OUT/restarts.err" 2>&1 || true
        sleep "$DOWN_SECS"
        status=ok
        scripts/kafka.sh restart "$node" --dir "$DIR" >>"$OUT/restarts.err" 2>&1 || status=failed
        up_at=$(($(date +%s) - START_EPOCH))
        echo "$k $node $kill_at $up_at $kill_utc $(date -u +%H:%M:%S) $status" >>"$OUT/restarts.log"
        log "restart $k: node $node killed at ${kill_at}s, up at ${up_at}s ($status)"
    done
}
restarter &
RESTARTER_PID=$!

PRODUCER_RC=0
wait "$PRODUCER_PID" || PRODUCER_RC=$?
PRODUCER_PID=""
wait "$RESTARTER_PID" || true
RESTARTER_PID=""
END_EPOCH=$(date +%s)
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
log "producer exited with status $PRODUCER_RC after $((END_EPOCH - START_EPOCH)) s"

# Every node up before reading back (a restart may have failed).
for node in 1 2 3; do
    if [[ -z $(scripts/kafka.sh status --dir "$DIR" 2>/dev/null | awk -v n="$node" '$2 == n && $3 == "running"') ]]; then
        log "node $node is down: restarting it for the read-back"
        scripts/kafka.sh restart "$node" --dir "$DIR" >>"$OUT/restarts.err" 2>&1 || true
    fi
done
scripts/kafka.sh status --dir "$DIR" >"$OUT/status.txt" 2>&1 || true

field() { # field LINE KEY: the value of KEY=... in LINE
    sed -n -E "s/^(.* )?$2=([^ ]*).*$/\2/p" <<<"$1"
}
TOTAL_LINE=$(grep '^TOTAL ' "$OUT/producer.out" || true)
SENT=$(field "$TOTAL_LINE" sent)
[[ -n $SENT ]] || SENT=$((RATE * SECONDS_TOTAL))

log "reading $TOPIC back (SoakVerify, $SENT records)"
VERIFY_RC=0
java -Xms1g -Xmx1g -XX:+UseParallelGC -cp "$LIBS/*" scripts/soak/SoakVerify.java \
    "$BOOTSTRAP" "$TOPIC" "$SENT" "$VALUE_SIZE" >"$OUT/verify.out" 2>"$OUT/verify.err" || VERIFY_RC=$?
VERIFY_LINE=$(grep '^VERIFY ' "$OUT/verify.out" || true)
log "verifier exited with status $VERIFY_RC: ${VERIFY_LINE:-no result}"
scripts/kafka.sh end-offsets "$TOPIC" --bootstrap "$BOOTSTRAP" >"$OUT/end-offsets.txt" 2>/dev/null || true
DISK=$(du -sh "$DIR" 2>/dev/null | cut -f1)

# ---------------------------------------------------------------------------------------------
# Report

CONFIG_LINE=$(grep '^CONFIG ' "$OUT/producer.out" | sed 's/^CONFIG //' || true)
STALL_LINES=$(grep -E '^(STALL|STALL_END|ABORT) ' "$OUT/producer.out" || true)
RESTARTS=$(wc -l <"$OUT/restarts.log")
RESTARTS_FAILED=$(grep -c ' failed$' "$OUT/restarts.log" || true)
{
    echo "## Soak run $(date -u -d "@$START_EPOCH" '+%Y-%m-%d %H:%M') UTC"
    echo
    if ((SELF_TEST)); then
        echo "- Command: \`scripts/soak.sh --self-test\` ($SECONDS_TOTAL s at $RATE records/s, no restarts, record 1000 sent twice, record 2000 never)"
    else
        echo "- Command: \`scripts/soak.sh --minutes $MINUTES --rate $RATE --restart-every $RESTART_EVERY --down-secs $DOWN_SECS --partitions $PARTITIONS --value-size $VALUE_SIZE${PROPS[*]:+ --producer-props ${PROPS[*]}}\`"
    fi
    echo "- Commit $COMMIT$( ((DIRTY > 0)) && echo " (plus $DIRTY uncommitted file(s))"); Kafka ${KAFKA_VERSION:-4.1.1}, 3 KRaft nodes on 127.0.0.1, topic $PARTITIONS partitions, RF 3, min.insync.replicas=2"
    echo "- Producer settings: \`$CONFIG_LINE\`; null keys, $VALUE_SIZE B values"
    echo "- Load average (1/5/15 min) at start $LOAD_START, at end $LOAD_END ($(nproc) cores, shared)"
    echo "- Data on disk at the end (3 replicas): ${DISK:-?}"
    echo
    if ((INTERVAL == 60)); then unit=minute; else unit="${INTERVAL} s interval"; fi
    echo "| $unit | sent | acked | p50 ms | p99 ms | p99.9 ms | max ms | longest ack gap ms | RSS MiB | fds | threads | retries | epoch bumps | disconnections | broker restarts |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    prev=0
    grep -E '^(INTERVAL|FINAL) ' "$OUT/producer.out" | while read -r line; do
        n=$(field "$line" n)
        t=$(field "$line" t_s)
        from=$prev
        to=$(awk -v t="$t" 'BEGIN { printf "%d", t }')
        prev=$to
        restarts=$(awk -v a="$from" -v b="$to" '$3 >= a && $3 < b { printf "%snode %s (killed %ss, up %ss)", sep, $2, $3, $4; sep = ", " }' "$OUT/restarts.log")
        label=$n
        [[ $line == FINAL* ]] && label="$n (to the end: last sends, flush, close)"
        rss=$(awk -v k="$(field "$line" rss_kib)" 'BEGIN { printf "%.1f", k / 1024 }')
        echo "| $label | $(field "$line" sent) | $(field "$line" acked) | $(field "$line" p50_ms) | $(field "$line" p99_ms) | $(field "$line" p999_ms) | $(field "$line" max_ms) | $(field "$line" max_ack_gap_ms) | $rss | $(field "$line" fds) | $(field "$line" threads) | $(field "$line" retries) | $(field "$line" epoch_bumps) | $(field "$line" disconnections) | ${restarts:--} |"
    done
    echo
    awk '/^INTERVAL / {
          for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
          rss = v["rss_kib"] / 1024; fds = v["fds"] + 0; p99 = v["p99_ms"]
          if (n == 0 || rss < rmin) rmin = rss; if (n == 0 || rss > rmax) rmax = rss
          if (n == 0 || fds < fmin) fmin = fds; if (n == 0 || fds > fmax) fmax = fds
          if (p99 != "-") { p99 += 0; if (!np99++ || p99 < pmin) pmin = p99; if (p99 > pmax) pmax = p99 }
          if (n == 0) rfirst = rss; n++; rlast = rss; flast = fds }
        END { if (n == 0) { print "- no interval lines"; exit }
              printf "- RSS at the end of each interval: min %.1f MiB, max %.1f MiB (first interval %.1f, last %.1f); peak RSS (VmHWM) %.1f MiB\n", rmin, rmax, rfirst, rlast, v["rss_peak_kib"] / 1024
              printf "- Open fds: min %d, max %d (last interval %d)\n", fmin, fmax, flast
              printf "- p99 latency per interval: %s to %s ms\n", pmin, pmax }' "$OUT/producer.out"
    echo "- Totals: \`${TOTAL_LINE#TOTAL }\`"
    echo "- Broker restarts: $RESTARTS ($RESTARTS_FAILED failed); SIGKILL, ${DOWN_SECS} s down, then \`kafka.sh restart\` (waits until the node is up):"
    if ((RESTARTS > 0)); then
        echo
        echo "| # | node | killed at (s into the run, UTC) | up again at |"
        echo "|---|---|---|---|"
        awk '{ printf "| %s | %s | %s s (%s) | %s s (%s) %s |\n", $1, $2, $3, $5, $4, $6, ($7 == "ok" ? "" : "FAILED") }' "$OUT/restarts.log"
        echo
    fi
    if [[ -n $STALL_LINES ]]; then
        echo "- Stalls (${STALL_SECS} s without an acknowledgement while records were outstanding):"
        while read -r line; do echo "  - \`$line\`"; done <<<"$STALL_LINES"
    else
        echo "- Stalls (${STALL_SECS} s without an acknowledgement while records were outstanding): none"
    fi
    echo "- Producer exit status: $PRODUCER_RC"
    echo "- Read-back (SoakVerify, Java consumer): \`${VERIFY_LINE#VERIFY }\` (exit status $VERIFY_RC)"
} >"$OUT/report.md"
cat "$OUT/report.md"

if ((SELF_TEST)); then
    missing=$(field "$VERIFY_LINE" missing)
    dups=$(field "$VERIFY_LINE" duplicates)
    endsum=$(field "$VERIFY_LINE" end_offsets_sum)
    if [[ $VERIFY_RC == 1 && $missing == 1 && $dups == 1 && $endsum == "$SENT" ]]; then
        echo
        echo "Self test PASSED: the verifier found the 1 injected loss and the 1 injected duplicate (end offsets sum $endsum = records sent: offsets alone would not have shown them)."
        exit 0
    fi
    echo "Self test FAILED: expected verifier status 1, missing=1 duplicates=1 end_offsets_sum=$SENT" >&2
    exit 1
fi
if ((PRODUCER_RC == 0 && VERIFY_RC == 0 && RESTARTS_FAILED == 0)) && [[ -z $STALL_LINES ]]; then
    echo
    echo "Soak PASSED."
    exit 0
fi
echo "Soak FAILED (producer $PRODUCER_RC, verifier $VERIFY_RC, failed restarts $RESTARTS_FAILED, stalls: ${STALL_LINES:-none})" >&2
exit 1
