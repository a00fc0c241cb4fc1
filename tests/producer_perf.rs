//! `examples/producer_perf.rs` (Java's `kafka-producer-perf-test`) against a real broker, with
//! `--print-metrics`: the table Java's `ToolsUtils.printMetrics` prints (a blank line, a
//! `Metric Name   Value` header, then `group:name:{k=v, ...} : %.3f` sorted by name, names
//! padded to the longest) holds the run's real numbers, and the records are on the broker.
//! `--threads N` (caller threads sharing the producer) sends exactly `--num-records` records.

mod support;

use std::collections::BTreeMap;
use std::process::Command;

const RECORDS: i64 = 200_000;
const BUFFER_MEMORY: i64 = 33_554_432;
const CLIENT: &str = "client-id=perf-producer-client";

/// The output's summary line (the one just before the table) and the table, name → value text.
fn parse(stdout: &str) -> (String, BTreeMap<String, String>) {
    let lines: Vec<&str> = stdout.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("Metric Name ") && l.ends_with("   Value"))
        .unwrap_or_else(|| panic!("no `Metric Name   Value` header in:\n{stdout}"));
    assert_eq!(lines[header - 1], "", "a blank line before the header");
    let summary = lines[..header - 1]
        .iter()
        .rev()
        .find(|l| !l.is_empty())
        .expect("a summary line")
        .to_string();
    // The header's `Value` and every ` : ` are in one column: names are padded to the longest.
    let width = lines[header].len() - "   Value".len();
    assert!(width >= "Metric Name".len());
    let mut table = BTreeMap::new();
    let mut previous = String::new();
    for l in &lines[header + 1..] {
        assert_eq!(l.get(width..width + 3), Some(" : "), "column: {l:?}");
        let (name, value) = (l[..width].trim_end(), &l[width + 3..]);
        assert!(
            name.matches(':').count() >= 2 && name.ends_with('}'),
            "group:name:{{tags}}: {name:?}"
        );
        assert!(previous.as_str() < name, "sorted: {previous} < {name}");
        previous = name.to_string();
        table.insert(name.to_string(), value.to_string());
    }
    assert!(table.len() > 50, "{} metrics", table.len());
    (summary, table)
}

/// The value of `name`, checking that it is printed with 3 decimals (`%.3f`).
fn value(table: &BTreeMap<String, String>, name: &str) -> f64 {
    let text = table
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in the table: {:?}", table.keys()));
    if text != "NaN" {
        let decimals = text.split_once('.').map(|(_, d)| d.len());
        assert_eq!(decimals, Some(3), "%.3f: {name} : {text}");
    }
    text.parse()
        .unwrap_or_else(|e| panic!("{name} : {text}: {e}"))
}

#[test]
fn print_metrics_reports_the_run() {
    let topic = support::unique_topic("perf-metrics");
    support::create_topic(&topic, 3, 1, &[]);
    let bootstrap = format!("bootstrap.servers={}", support::bootstrap());
    let out = Command::new(support::example_binary("producer_perf"))
        .args(["--topic", &topic])
        .args(["--num-records", &RECORDS.to_string()])
        .args(["--record-size", "100", "--throughput", "-1"])
        .args(["--producer-props", &bootstrap, "acks=all"])
        .arg(format!("buffer.memory={BUFFER_MEMORY}"))
        .arg("--print-metrics")
        .output()
        .expect("running producer_perf");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status
    );
    let (summary, table) = parse(&stdout);
    // Java's printTotal: "%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency,
    // %.2f ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th."
    assert!(
        summary.starts_with(&format!("{RECORDS} records sent, ")) && summary.ends_with("th."),
        "{summary}"
    );

    let client = |name: &str| value(&table, &format!("producer-metrics:{name}:{{{CLIENT}}}"));
    assert_eq!(client("record-send-total"), RECORDS as f64);
    assert_eq!(client("record-error-total"), 0.0);
    assert_eq!(client("record-retry-total"), 0.0);
    assert!(client("record-send-rate") > 0.0);
    assert!(client("batch-size-avg") > 0.0);
    assert!(client("batch-size-max") >= client("batch-size-avg"));
    assert!(client("request-latency-avg") > 0.0);
    assert_eq!(client("buffer-total-bytes"), BUFFER_MEMORY as f64);
    // Printed after the flush: every batch is done and its memory back in the pool.
    assert_eq!(client("buffer-available-bytes"), BUFFER_MEMORY as f64);
    // 100-byte values: the batches carry at least that much per record.
    assert!(client("outgoing-byte-total") > (RECORDS * 100) as f64);
    let per_topic = |name: &str| {
        value(
            &table,
            &format!("producer-topic-metrics:{name}:{{{CLIENT}, topic={topic}}}"),
        )
    };
    assert_eq!(per_topic("record-send-total"), RECORDS as f64);
    assert_eq!(per_topic("record-error-total"), 0.0);
    assert!(per_topic("byte-total") > (RECORDS * 100) as f64);
    // Java's Long gauge is printed with %s, not %.3f.
    let start = &table[&format!("app-info:start-time-ms:{{{CLIENT}}}")];
    assert!(
        start.parse::<i64>().is_ok_and(|ms| ms > 1_600_000_000_000),
        "{start}"
    );
    // Per node, tagged node-id=node-<id> after the client id.
    assert!(
        table.keys().any(|n| n.starts_with(&format!(
            "producer-node-metrics:request-total:{{{CLIENT}, node-id=node-"
        ))),
        "{:?}",
        table.keys()
    );

    let offsets = support::end_offsets(&topic);
    assert_eq!(offsets.len(), 3, "{offsets:?}");
    assert_eq!(offsets.iter().map(|(_, o)| o).sum::<i64>(), RECORDS);
}

/// The summary line (the last line of stdout) of a run, after checking it succeeded.
fn run_ok(cmd: &mut Command) -> (String, String) {
    let out = cmd.output().expect("running producer_perf");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status
    );
    let summary = stdout.lines().last().unwrap_or_default().to_string();
    (summary, stderr)
}

/// `--threads 4`: four caller threads share the producer; the records are split among them
/// (an odd count: the split is uneven) and all of them, no more, reach the broker; the summary
/// counts them all.
#[test]
fn threads_share_one_producer() {
    const N: i64 = 100_003;
    let topic = support::unique_topic("perf-threads");
    support::create_topic(&topic, 3, 1, &[]);
    let bootstrap = format!("bootstrap.servers={}", support::bootstrap());
    let (summary, _) = run_ok(
        Command::new(support::example_binary("producer_perf"))
            .args(["--topic", &topic, "--num-records", &N.to_string()])
            .args([
                "--record-size",
                "100",
                "--throughput",
                "-1",
                "--threads",
                "4",
            ])
            .args(["--producer-props", &bootstrap, "acks=all", "linger.ms=5"]),
    );
    assert!(
        summary.starts_with(&format!("{N} records sent, ")) && summary.ends_with(" 99.9th."),
        "{summary}"
    );
    let offsets = support::end_offsets(&topic);
    assert_eq!(offsets.len(), 3, "{offsets:?}");
    assert_eq!(offsets.iter().map(|(_, o)| o).sum::<i64>(), N);
}

/// A run of 20,000 records of 10 B, unthrottled, with `extra` flags, against no broker
/// (nothing listens on the bootstrap address): for `--sink` and `--no-client`.
fn offline_run(extra: &[&str]) -> Command {
    let mut c = Command::new(support::example_binary("producer_perf"));
    c.args([
        "--topic",
        "t",
        "--num-records",
        "20000",
        "--record-size",
        "10",
    ])
    .args(["--throughput", "-1"])
    .args(extra)
    .args(["--producer-props", "bootstrap.servers=127.0.0.1:9"]);
    c
}

/// `--threads 3 --sink`: the client-only run counts every record, lists the CPU time of the
/// extra caller threads, and refuses a bad count; transactions need one thread.
#[test]
fn threads_with_the_sink() {
    let base =
        |threads: &str| offline_run(&["--sink", "--sink-partitions", "2", "--threads", threads]);
    let (summary, stderr) = run_ok(&mut base("3"));
    assert!(summary.starts_with("20000 records sent, "), "{summary}");
    assert!(
        stderr.contains("perf-caller-1 ") && stderr.contains("perf-caller-2 "),
        "{stderr}"
    );
    for bad in ["0", "x"] {
        let out = base(bad).output().expect("running producer_perf");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("bad --threads"));
    }
    let out = base("2")
        .args(["--transactional-id", "tx"])
        .output()
        .expect("running producer_perf");
    assert!(!out.status.success());
}

/// `--no-client`: the send loop alone, with no producer and no broker (nothing listens on the
/// given address): every record counted in the summary, the tool's CPU per million records on
/// stderr.
#[test]
fn no_client_runs_the_tools_loop_alone() {
    let (summary, stderr) = run_ok(&mut offline_run(&["--no-client"]));
    assert!(
        summary.starts_with("20000 records sent, ") && summary.ends_with(" 99.9th."),
        "{summary}"
    );
    assert!(
        stderr.contains("tool only: ") && stderr.contains(" CPU-s per million records"),
        "{stderr}"
    );
}
