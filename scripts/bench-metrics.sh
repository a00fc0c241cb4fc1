#!/usr/bin/env bash
# The cost of recording the metrics: two builds of examples/producer_perf side by side, client
# only (--sink: an in-process broker that answers at once, so the client's own CPU is what is
# measured), fixed 100-byte payload, rounds in rotating order, medians.
#
# Usage: scripts/bench-metrics.sh BEFORE_BIN AFTER_BIN [ROUNDS (default 5)] [RECORDS (default 2000000)]
#   BEFORE_BIN, AFTER_BIN: producer_perf binaries (e.g. built at the commit before the metrics
#   and at HEAD: `cargo build --release --example producer_perf`).
# Prints a markdown table: per workload, records/s and client CPU-seconds per million records
# (all threads: caller, sender, minus nothing: the sink's threads are counted too, alike for
# both), median of ROUNDS, and after/before ratios.
set -euo pipefail
before=${1:?usage: bench-metrics.sh BEFORE_BIN AFTER_BIN [ROUNDS] [RECORDS]}
after=${2:?usage: bench-metrics.sh BEFORE_BIN AFTER_BIN [ROUNDS] [RECORDS]}
rounds=${3:-5}
records=${4:-2000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -c 100 /dev/zero | tr '\0' 'x' >"$work/payload"
echo >>"$work/payload"

workloads=("acks=1" "acks=all enable.idempotence=true")
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

for w in "${!workloads[@]}"; do
    for r in $(seq 1 "$rounds"); do
        if (((r + w) % 2)); then order=(before after); else order=(after before); fi
        for which in "${order[@]}"; do
            bin=$before
            [[ $which == after ]] && bin=$after
            # shellcheck disable=SC2086
            "$bin" --topic t --num-records "$records" --payload-file "$work/payload" --throughput -1 \
                --producer-props ${workloads[$w]} linger.ms=5 --sink >"$work/out" 2>&1
            rate=$(awk '/records sent,/ {print $4}' "$work/out" | tail -n 1)
            cpu=$(sed -n 's/.*(total \([0-9.]*\) s).*/\1/p' "$work/out" | tail -n 1)
            [[ -n $rate && -n $cpu ]] || { cat "$work/out" >&2; exit 1; }
            echo "$rate" >>"$work/$w.$which.rate"
            awk -v c="$cpu" -v n="$records" 'BEGIN {print c / n * 1e6}' >>"$work/$w.$which.cpu"
        done
    done
done

echo "| workload (client only, 100 B, $records records, median of $rounds) | records/s before | records/s after | ratio | CPU s / M records before | after | ratio |"
echo "|---|---|---|---|---|---|---|"
for w in "${!workloads[@]}"; do
    rb=$(median <"$work/$w.before.rate")
    ra=$(median <"$work/$w.after.rate")
    cb=$(median <"$work/$w.before.cpu")
    ca=$(median <"$work/$w.after.cpu")
    awk -v w="${workloads[$w]}" -v rb="$rb" -v ra="$ra" -v cb="$cb" -v ca="$ca" 'BEGIN {
        printf "| %s | %.0f | %.0f | %.2f | %.3f | %.3f | %.2f |\n", w, rb, ra, ra / rb, cb, ca, ca / cb }'
done
