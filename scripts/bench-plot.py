#!/usr/bin/env python3
"""The plot of scripts/bench-compare.sh: records/s and client CPU per million records, by
workload and client (grouped bars), one column of panels per payload mode.

    scripts/bench-plot.py ROWS [-o docs/bench-compare.png] [--subtitle TEXT]

ROWS is the script's raw result rows: its results.tsv, or a Markdown file holding them in the
bench-compare section's "Raw rows" block (BENCHMARKS.md: the plot is redrawn without a run), or
"-" for standard input. Each bar is the median over the runs (the lower middle value for an even
count, as the report's tables). Rows from before the payload modes (no mode column) count as
"refill" rows; failed and skipped rows are left out.

matplotlib comes from PyPI into a venv under ~/.cache/kafka-producer-rs/ (made on first use;
BENCH_PLOT_VENV overrides the place) unless the running Python already has it.
"""

import argparse
import os
import shutil
import subprocess
import sys
import venv

CLIENTS = [("java", "Java", "#e8833a"), ("rdkafka", "librdkafka", "#8c8c8c"), ("ours", "ours", "#1f6fb4")]
MODES = {
    "fixed": "payload fixed: --payload-file, the same bytes for every record",
    "refill": "payload refill: --record-size, a fresh random payload per record (Java's default)",
}
MATPLOTLIB = "matplotlib>=3.7,<4"


def ensure_matplotlib():
    """Imports matplotlib, or re-runs this script in the venv that has it (made when missing)."""
    try:
        import matplotlib  # noqa: F401

        return
    except ImportError:
        pass
    home = os.environ.get("HOME", os.path.expanduser("~"))
    env_dir = os.environ.get("BENCH_PLOT_VENV", os.path.join(home, ".cache", "kafka-producer-rs", "bench-plot-venv"))
    python = os.path.join(env_dir, "bin", "python")
    if os.environ.get("BENCH_PLOT_IN_VENV") == "1":
        sys.exit(f"bench-plot: matplotlib is missing from {env_dir} even after pip install")
    if not ok_venv(python):
        print(f"bench-plot: installing {MATPLOTLIB} into {env_dir} (PyPI, once)", file=sys.stderr)
        try:
            venv.create(env_dir, clear=True, with_pip=True)
        except (subprocess.CalledProcessError, OSError):
            # Debian and Ubuntu ship ensurepip apart (python3-venv); as root, install it.
            if os.geteuid() != 0 or not shutil.which("apt-get"):
                raise
            print("bench-plot: installing python3-venv (apt-get)", file=sys.stderr)
            apt = ["apt-get", "install", "-y", "python3-venv"]
            if subprocess.call(apt, stdout=subprocess.DEVNULL) != 0:
                subprocess.check_call(["apt-get", "update"], stdout=subprocess.DEVNULL)
                subprocess.check_call(apt, stdout=subprocess.DEVNULL)
            venv.create(env_dir, clear=True, with_pip=True)
        subprocess.check_call(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", MATPLOTLIB],
            stdout=sys.stderr,
        )
    os.environ["BENCH_PLOT_IN_VENV"] = "1"
    os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])


def ok_venv(python):
    return os.access(python, os.X_OK) and subprocess.call([python, "-c", "import matplotlib"], stderr=subprocess.DEVNULL) == 0


def read_rows(path):
    """The raw rows as lists of fields: the whole file for a TSV, the rows of the bench-compare
    section's code block for Markdown."""
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    lines = text.splitlines()
    if any(line.startswith("<!-- bench-compare:begin") for line in lines):
        rows, inside, block = [], False, False
        for line in lines:
            if line.startswith("<!-- bench-compare:begin"):
                inside = True
            elif line.startswith("<!-- bench-compare:end"):
                inside = False
            elif inside and line.startswith("```"):
                block = not block
            elif inside and block:
                rows.append(line)
        lines = rows
    return [line.rstrip("\t").split("\t") for line in lines if line.strip()]


def medians(rows):
    """{(mode, workload, client): (records/s, CPU s per M records)} medians, and the order in
    which the modes and each mode's workloads first appear."""
    values, modes, workloads = {}, [], {}
    for f in rows:
        if f[0] not in MODES:
            f = ["refill"] + f  # a row from before the payload modes
        if len(f) < 3:
            continue
        mode, workload = f[0], f[1]
        if mode not in modes:
            modes.append(mode)
        if workload not in workloads.setdefault(mode, []):
            workloads[mode].append(workload)
        if f[2] == "skipped" or len(f) < 9 or f[4] == "FAIL":
            continue
        try:
            usr, sys_, records, rate = float(f[4]), float(f[5]), float(f[7]), float(f[8])
        except ValueError:
            continue
        v = values.setdefault((mode, workload, f[2]), ([], []))
        v[0].append(rate)
        v[1].append((usr + sys_) * 1e6 / records)
    med = {}
    for key, (rates, cpus) in values.items():
        med[key] = (lower_median(rates), lower_median(cpus), len(rates))
    return med, modes, workloads


def lower_median(xs):
    xs = sorted(xs)
    return xs[(len(xs) + 1) // 2 - 1]


def fmt_rate(x):
    return f"{x / 1e6:.2f}M" if x >= 1e6 else f"{x / 1e3:.0f}k"


def tick_label(med, mode, workload, index):
    """The workload's name, and under it ours / librdkafka and ours / Java of the panel's figure."""
    lines = [workload]
    ours = med.get((mode, workload, "ours"))
    for client, label in (("rdkafka", "librdkafka"), ("java", "Java")):
        other = med.get((mode, workload, client))
        if ours and other and other[index]:
            lines.append(f"ours / {label}: {ours[index] / other[index]:.2f}")
    return "\n".join(lines)


def plot(med, modes, workloads, out, subtitle):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clients = [c for c in CLIENTS if any(k[2] == c[0] for k in med)]
    nw = max(len(workloads[m]) for m in modes)
    width = max(6.0, 1.5 + 1.45 * nw) * len(modes)
    fig, axes = plt.subplots(2, len(modes), figsize=(width, 8.2), sharey="row", squeeze=False)
    bar = 0.8 / len(clients)
    metrics = [
        (0, "records/s (higher is better)", fmt_rate),
        (1, "client CPU s per million records\n(user + sys; lower is better)", lambda x: f"{x:.2f}"),
    ]
    for col, mode in enumerate(modes):
        names = workloads[mode]
        for row, (index, ylabel, fmt) in enumerate(metrics):
            ax = axes[row][col]
            top = max([v[index] for k, v in med.items()] + [1e-9])
            for j, (client, label, color) in enumerate(clients):
                xs, ys = [], []
                for i, w in enumerate(names):
                    v = med.get((mode, w, client))
                    x = i + (j - (len(clients) - 1) / 2) * bar
                    if v is None:
                        ax.text(x, 0, "n/a", ha="center", va="bottom", fontsize=7, rotation=90)
                        continue
                    xs.append(x)
                    ys.append(v[index])
                bars = ax.bar(xs, ys, bar * 0.95, color=color, label=label if (row, col) == (0, 0) else None)
                for b, y in zip(bars, ys):
                    ax.text(b.get_x() + b.get_width() / 2, y + top * 0.01, fmt(y), ha="center", va="bottom", fontsize=7)
            ax.set_xticks(range(len(names)))
            ax.set_xticklabels([tick_label(med, mode, w, index) for w in names], fontsize=8)
            ax.set_ylim(0, top * 1.12)
            ax.grid(axis="y", alpha=0.3)
            ax.set_axisbelow(True)
            if col == 0:
                ax.set_ylabel(ylabel)
            if row == 0:
                ax.set_title(MODES.get(mode, mode), fontsize=10)
            if index == 0:
                ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: fmt_rate(x) if x else "0"))
    fig.suptitle("Producer benchmark: kafka-producer (ours) vs librdkafka vs Java, one broker", fontsize=12)
    if subtitle:
        fig.text(0.5, 0.935, subtitle, ha="center", fontsize=9, color="#444444")
    fig.legend(loc="upper right", ncol=len(clients), fontsize=9, frameon=False, bbox_to_anchor=(0.99, 0.99))
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", help="results.tsv, BENCHMARKS.md (its raw rows), or - for stdin")
    parser.add_argument("-o", "--output", default="docs/bench-compare.png", help="the PNG to write")
    parser.add_argument("--subtitle", default="", help="a line under the title")
    args = parser.parse_args()
    ensure_matplotlib()  # first: it may re-run this script in the venv
    med, modes, workloads = medians(read_rows(args.rows))
    if not med:
        sys.exit(f"bench-plot: no result rows in {args.rows}")
    plot(med, [m for m in modes if any(k[0] == m for k in med)], workloads, args.output, args.subtitle)
    print(f"bench-plot: wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
