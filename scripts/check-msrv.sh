#!/usr/bin/env bash
# Checks that Cargo.toml's `rust-version` (the crate's MSRV) is true of its dependency tree:
# fails when a package in Cargo.lock declares a newer `rust-version` than the crate does (cargo
# would then refuse to build the crate with the Rust the crate claims to support), and when the
# toolchain in use is older than the MSRV.
#
# Usage: scripts/check-msrv.sh        (needs cargo and python3; no network: --offline metadata)
set -euo pipefail
cd "$(dirname "$0")/.."

metadata=$(cargo metadata --format-version 1 --locked --offline 2>/dev/null ||
    cargo metadata --format-version 1 --locked)
rustc_version=$(rustc --version | awk '{print $2}')

check=$(
    cat <<'PY'
import json, sys

def parse(v):
    # "1.85", "1.85.0", "1.95.0-nightly" -> (1, 85, 0)
    parts = v.split("-")[0].split(".")
    return tuple(int(p) for p in (parts + ["0", "0"])[:3])

meta = json.load(sys.stdin)
members = set(meta["workspace_members"])
packages = {p["id"]: p for p in meta["packages"]}
roots = [packages[m] for m in members]
failed = False
for root in roots:
    msrv = root.get("rust_version")
    if not msrv:
        print(f"check-msrv: {root['name']} has no rust-version in Cargo.toml")
        failed = True
        continue
    # Every package the lock resolves (normal, build and dev dependencies, all platforms).
    newer = sorted(
        ((p["rust_version"], p["name"], p["version"])
         for p in meta["packages"]
         if p["id"] not in members and p.get("rust_version")
         and parse(p["rust_version"]) > parse(msrv)),
        key=lambda t: parse(t[0]), reverse=True)
    if newer:
        failed = True
        print(f"check-msrv: {root['name']} says rust-version = \"{msrv}\", but these dependencies need a newer Rust:")
        for rv, name, version in newer:
            print(f"  {name} {version}: rust-version {rv}")
        print(f"check-msrv: set rust-version to at least \"{newer[0][0]}\" (or use older dependencies)")
    else:
        highest = max((parse(p["rust_version"]) for p in meta["packages"]
                       if p["id"] not in members and p.get("rust_version")), default=(0, 0, 0))
        print(f"check-msrv: {root['name']} rust-version {msrv}; the highest a dependency needs: "
              + ".".join(map(str, highest)))
    rustc = sys.argv[1]
    if parse(rustc) < parse(msrv):
        failed = True
        print(f"check-msrv: rustc {rustc} is older than the rust-version {msrv}")
sys.exit(1 if failed else 0)
PY
)
printf '%s' "$metadata" | python3 -c "$check" "$rustc_version"
