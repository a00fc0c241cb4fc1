#!/usr/bin/env bash
# Runs the demo producer end to end on a fresh machine:
#   - with KAFKA_BOOTSTRAP set, against that cluster;
#   - otherwise fetches Apache Kafka (scripts/kafka.sh, Maven Central) and starts a local
#     single-node KRaft broker on free loopback ports, stopped again when the demo ends.
# Then runs examples/demo_producer.rs synchronously (--sync) and with callbacks (--async), and
# reads the topic back with the Java console consumer.
#
# Usage: scripts/demo.sh [--messages N] [--topic T] [--security] [--config FILE.properties]
#   --security  start the local broker with the TLS/SASL listeners (kafka.sh start --security);
#               their client files land in target/kafka-demo/security/clients/.
#   --config F  Java client properties (bootstrap.servers, security.protocol, sasl.*, ssl.*) for
#               the demo producer and the Java tools, e.g.
#               target/kafka-demo/security/clients/sasl-ssl-scram-512.properties (implies
#               --security when the demo starts its own broker; the file is read after the start,
#               which remakes that folder). Its bootstrap.servers replaces KAFKA_BOOTSTRAP.
set -euo pipefail
cd "$(dirname "$0")/.."

MESSAGES=10
TOPIC="demo-$(date +%s)"
SECURITY=0
CONFIG=""
while (($#)); do
    case $1 in
        --messages) MESSAGES=$2; shift 2 ;;
        --topic) TOPIC=$2; shift 2 ;;
        --security) SECURITY=1; shift ;;
        --config) CONFIG=$2; SECURITY=1; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "demo.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

if ! command -v cargo >/dev/null 2>&1 && [[ -x $HOME/.cargo/bin/cargo ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

DEMO_DIR="$PWD/target/kafka-demo"
STARTED=0
cleanup() {
    if ((STARTED)); then
        echo "==> stopping the local broker"
        scripts/kafka.sh stop --dir "$DEMO_DIR" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

if [[ -z ${KAFKA_BOOTSTRAP:-} ]]; then
    echo "==> KAFKA_BOOTSTRAP not set: starting a local Kafka broker (first run downloads it)"
    scripts/kafka.sh fetch >/dev/null
    scripts/kafka.sh stop --dir "$DEMO_DIR" --now >/dev/null 2>&1 || true
    STARTED=1
    start_args=(--nodes 1 --dir "$DEMO_DIR" --base-port auto --watch-pid $$)
    if ((SECURITY)); then
        start_args+=(--security)
    fi
    KAFKA_BOOTSTRAP=$(scripts/kafka.sh start "${start_args[@]}" | tail -n 1)
    export KAFKA_BOOTSTRAP
    if ((SECURITY)); then
        echo "==> secure listeners: $DEMO_DIR/security/listeners.env"
    fi
fi

# The Java tools and the demo talk to the listener of --config (else to KAFKA_BOOTSTRAP).
client=(--bootstrap "$KAFKA_BOOTSTRAP")
demo_client=(--bootstrap "$KAFKA_BOOTSTRAP")
if [[ -n $CONFIG ]]; then
    [[ -f $CONFIG ]] || { echo "demo.sh: --config $CONFIG: no such file" >&2; exit 2; }
    CONFIG=$(cd "$(dirname "$CONFIG")" && pwd)/$(basename "$CONFIG")
    client=(--client-config "$CONFIG")
    demo_client=(--config "$CONFIG")
    echo "==> client config: $CONFIG ($(grep -E '^(bootstrap\.servers|security\.protocol|sasl\.mechanism)=' "$CONFIG" | paste -sd' ' || true))"
fi
echo "==> broker: $KAFKA_BOOTSTRAP, topic: $TOPIC"
scripts/kafka.sh create-topic "$TOPIC" --partitions 3 --replication-factor 1 "${client[@]}" >/dev/null

echo "==> building the demo"
cargo build --release --quiet --example demo_producer
DEMO=target/release/examples/demo_producer

echo "==> demo_producer --sync"
"$DEMO" --sync --topic "$TOPIC" --messages "$MESSAGES" "${demo_client[@]}"
echo "==> demo_producer --async"
"$DEMO" --async --topic "$TOPIC" --messages "$MESSAGES" "${demo_client[@]}"

echo "==> the Java console consumer reads the topic back"
scripts/kafka.sh consume "$TOPIC" --max-messages $((2 * MESSAGES)) --timeout-ms 15000 "${client[@]}" 2>/dev/null |
    awk -F'\t' '{ print "  " $2 "  " $3 "  key=" $(NF-1) "  value=" $NF }'
count=$(scripts/kafka.sh consume "$TOPIC" --max-messages $((2 * MESSAGES)) --timeout-ms 15000 "${client[@]}" 2>/dev/null | wc -l)
if ((count != 2 * MESSAGES)); then
    echo "demo.sh: expected $((2 * MESSAGES)) records in $TOPIC, the console consumer read $count" >&2
    exit 1
fi
echo "==> demo done: $count records written by the Rust producer, read back by the Java consumer"
