#!/usr/bin/env bash
# The crate's only unsafe code (src/producer/callback.rs: closures stored inline) under Miri,
# the interpreter that checks Rust's aliasing and memory rules (outside CI: it needs a nightly
# toolchain and takes minutes). Installs the nightly toolchain's `miri` and `rust-src`
# components with rustup when they are missing, then runs the module's tests with Stacked
# Borrows and with Tree Borrows.
#
# Usage: scripts/miri.sh [TEST FILTER (default producer::callback)]
set -euo pipefail
cd "$(dirname "$0")/.."
FILTER=${1:-producer::callback}

log() { printf 'miri.sh: %s\n' "$*" >&2; }

command -v rustup >/dev/null || {
    log "error: rustup is needed to install the nightly toolchain with Miri"
    exit 1
}
if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^miri'; then
    log "installing the nightly toolchain's miri and rust-src components"
    rustup toolchain install nightly --profile minimal --component miri,rust-src >&2
fi
cargo +nightly miri setup >&2

# Miri cannot run the crate's other tests (sockets, threads with real time), and needs none of
# them for this module: only the filter's tests run. Isolation stays on.
for model in stacked tree; do
    flags=""
    [[ $model == tree ]] && flags="-Zmiri-tree-borrows"
    log "cargo miri test --lib $FILTER ($model borrows)"
    MIRIFLAGS="$flags" cargo +nightly miri test --lib "$FILTER" >&2
done
log "passed: $FILTER under Miri (stacked and tree borrows)"
