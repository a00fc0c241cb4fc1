#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine:
#   cargo fmt --check, cargo clippy -D warnings (also with --features lock-stats), unsafe code
#   allowed only in src/producer/callback.rs, cargo doc -D warnings,
#   the MSRV check (scripts/check-msrv.sh), a real single-node Kafka broker (scripts/kafka.sh),
#   cargo test --all-targets, cargo test --doc and the lock-stats unit tests.
#
# Usage: scripts/test.sh [CARGO-TEST-ARGS...]
#   With arguments, runs `cargo test ARGS` instead of the two full cargo test runs
#   (e.g. scripts/test.sh --test harness).
# Environment:
#   SKIP_LINT=1        skip cargo fmt / cargo clippy
#   KAFKA_BOOTSTRAP    use that cluster instead of starting one (the suite's own cluster is started
#                      with `kafka.sh start --security`; its secure listeners are in
#                      $KAFKA_SECURITY_DIR/listeners.env)
#   KAFKA_SECURITY_DIR with KAFKA_BOOTSTRAP: the security/ folder of that cluster (if it was started
#                      with --security); unset, the security tests are skipped
#   NO_INSTALL=1       never apt-get install a missing java or mvn (done only as root with apt-get)
#   plus those of scripts/kafka.sh (KAFKA_CACHE, KAFKA_VERSION, ...).
set -euo pipefail
cd "$(dirname "$0")/.."

STEP="setup"
KAFKA_SUITE_DIR="$PWD/target/kafka-suite"
STARTED_CLUSTER=0
# Everything cargo test prints, to count the tests at the end.
TEST_LOG="$PWD/target/test-suite.log"
mkdir -p target
: >"$TEST_LOG"

step() {
    STEP=$*
    printf '\n==> %s\n' "$*"
}

on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if ((STARTED_CLUSTER)); then
        printf '\n==> stopping the Kafka cluster in %s\n' "$KAFKA_SUITE_DIR"
        scripts/kafka.sh stop --dir "$KAFKA_SUITE_DIR" || true
    fi
    if ((rc == 0)); then
        printf '\ntest.sh: all checks passed\n'
    else
        if ((STARTED_CLUSTER)); then
            printf 'test.sh: broker log: %s/node-1/server.log\n' "$KAFKA_SUITE_DIR"
        fi
        printf '\ntest.sh: FAILED (exit %s) at step: %s\n' "$rc" "$STEP"
    fi
    # Last line: the totals of all cargo test runs ("N passed, N failed, N skipped").
    awk '/^test result: /{for (i = 1; i <= NF; i++) {
            if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i }}
        END {printf "tests: %d passed, %d failed, %d skipped\n", p, f, s}' "$TEST_LOG"
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "checking the tools"
if ! command -v cargo >/dev/null 2>&1 && [[ -x $HOME/.cargo/bin/cargo ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [[ ${#missing[@]} -gt 0 && ${NO_INSTALL:-0} != 1 && $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} with apt-get"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
for tool in cargo java mvn; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "test.sh: '$tool' is not installed (cargo: rustup; java: a JDK/JRE 17+; mvn: Maven 3)" >&2
        exit 1
    fi
done
echo "cargo: $(cargo --version)"
echo "java:  $(java -version 2>&1 | head -n 1)"
echo "mvn:   $(mvn -v 2>/dev/null | head -n 1 | sed 's/\x1b\[[0-9;]*m//g')"

if [[ ${SKIP_LINT:-0} == 1 ]]; then
    echo "SKIP_LINT=1: skipping cargo fmt and cargo clippy"
else
    step "cargo fmt --check"
    cargo fmt --all -- --check
    step "cargo clippy --all-targets -- -D warnings"
    cargo clippy --all-targets -- -D warnings
    step "cargo clippy --all-targets --features lock-stats -- -D warnings"
    cargo clippy --all-targets --features lock-stats -- -D warnings
    step "unsafe code only in src/producer/callback.rs"
    grep -q '^#!\[deny(unsafe_code)\]' src/lib.rs || {
        echo "src/lib.rs must keep #![deny(unsafe_code)]" >&2
        exit 1
    }
    unsafe_modules=$(grep -rlE '(allow|expect)\([^)]*unsafe_code' src || [[ $? == 1 ]])
    unsafe_modules=$(grep -vx 'src/producer/callback.rs' <<<"$unsafe_modules" || true)
    if [[ -n $unsafe_modules ]]; then
        echo "unsafe code allowed outside src/producer/callback.rs: $unsafe_modules" >&2
        exit 1
    fi
fi

step "cargo doc -D warnings (with the mock and prometheus features)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --features mock,prometheus

step "MSRV: Cargo.toml's rust-version against the dependencies (scripts/check-msrv.sh)"
scripts/check-msrv.sh

step "fetching the Kafka jars"
scripts/kafka.sh fetch

if [[ -n ${KAFKA_BOOTSTRAP:-} ]]; then
    echo "using the cluster at KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP"
else
    step "starting a single-node Kafka cluster"
    STARTED_CLUSTER=1
    # Own folder and free ports (never a developer's cluster on 39092); the watcher stops the
    # brokers should this script be killed before its trap runs.
    # --security: also the TLS/SASL listeners, for the security tests (see kafka.sh help).
    KAFKA_BOOTSTRAP=$(scripts/kafka.sh start --nodes 1 --security --dir "$KAFKA_SUITE_DIR" --base-port auto --watch-pid $$ | tail -n 1)
    export KAFKA_BOOTSTRAP
    echo "KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP"
    KAFKA_SECURITY_DIR="$KAFKA_SUITE_DIR/security"
    export KAFKA_SECURITY_DIR
    echo "KAFKA_SECURITY_DIR=$KAFKA_SECURITY_DIR (listeners: $KAFKA_SECURITY_DIR/listeners.env)"
fi

if [[ $# -gt 0 ]]; then
    step "cargo test $*"
    cargo test "$@" 2>&1 | tee -a "$TEST_LOG"
else
    step "cargo test --all-targets --no-fail-fast"
    cargo test --all-targets --no-fail-fast 2>&1 | tee -a "$TEST_LOG"
    step "cargo test --doc"
    cargo test --doc 2>&1 | tee -a "$TEST_LOG"
    # The timed mutexes of the lock-stats feature, under the pool's and the accumulator's tests.
    step "cargo test --lib --features lock-stats (lock_stats, buffer_pool, accumulator)"
    cargo test --lib --features lock-stats -- lock_stats buffer_pool accumulator 2>&1 | tee -a "$TEST_LOG"
    # The oldest and the newest broker line beside the default one (issue 12); the whole matrix
    # (2.4.1 2.8.2 3.9.1 4.1.1 4.4.0) is `scripts/compat.sh` alone, outside CI.
    step "broker compatibility: scripts/compat.sh ${COMPAT_CI_VERSIONS:-2.4.1 4.4.0}"
    # shellcheck disable=SC2086 # the versions are words
    (unset KAFKA_BOOTSTRAP KAFKA_SECURITY_DIR; scripts/compat.sh ${COMPAT_CI_VERSIONS:-2.4.1 4.4.0})
fi
