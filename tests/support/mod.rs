//! Test support: real Apache Kafka brokers for the integration tests, through
//! `scripts/kafka.sh` (which needs `java` and, the first time, `mvn`).
//!
//! Every `tests/*.rs` that needs a broker declares `mod support;` and calls [`bootstrap`]:
//!
//! * with `KAFKA_BOOTSTRAP` set (as `scripts/test.sh` does), every test uses that cluster;
//! * otherwise the first call starts one single-node cluster for the whole test binary, in
//!   `<target>/tmp/kafka-test-<pid>`, on free ports; a watcher started with it stops it once the
//!   test binary has exited. Its logs stay there until a later run removes the folder.
//!
//! Tests that need several brokers or want to kill one start a [`TestCluster`] of their own.
//! The Java tools (topic creation, console consumer) each take a JVM start, about 0.5-1 s.
#![allow(dead_code)]

pub mod java;

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The binary of example `name`, built once per test binary and name (`cargo build --example
/// NAME`, in the profile of this test binary, into its target folder):
/// `<target>/<profile>/examples/<name>`.
pub fn example_binary(name: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<(String, PathBuf)>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, path)) = built.iter().find(|(n, _)| n == name) {
        return path.clone();
    }
    // <target>/<profile>/deps/<test>-<hash>
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("<target>/<profile>/deps");
    let target_dir = profile_dir.parent().expect("<target>");
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "--quiet", "--example", name])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(REPO_DIR);
    if profile_dir.file_name().is_some_and(|p| p == "release") {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("running cargo build");
    assert!(status.success(), "cargo build --example {name} failed");
    let bin = profile_dir.join("examples").join(name);
    assert!(bin.is_file(), "no {}", bin.display());
    built.push((name.to_string(), bin.clone()));
    bin
}

/// The repository root (where `scripts/kafka.sh` lives).
pub const REPO_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// What the console consumer prints for a null key, value or header value (see `kafka.sh help`).
pub const NULL_LITERAL: &str = r"\x00NULL\x00";

/// The path of `scripts/kafka.sh`.
pub fn kafka_script() -> PathBuf {
    Path::new(REPO_DIR).join("scripts").join("kafka.sh")
}

/// The bootstrap servers of the cluster the tests run against: `$KAFKA_BOOTSTRAP`, else a
/// single-node cluster started (once per test binary) for this process.
pub fn bootstrap() -> String {
    static BOOTSTRAP: OnceLock<Result<String, String>> = OnceLock::new();
    let result = BOOTSTRAP.get_or_init(|| match std::env::var("KAFKA_BOOTSTRAP") {
        Ok(bs) if !bs.trim().is_empty() => Ok(bs.trim().to_string()),
        _ => {
            remove_stale_test_dirs();
            let dir = test_dir(&format!("kafka-test-{}", std::process::id()));
            start_cluster(&dir, 1, &[])
        }
    });
    match result {
        Ok(bs) => bs.clone(),
        Err(e) => panic!("no Kafka cluster for the tests: {e}"),
    }
}

/// A topic name unique to this test and this run: `prefix-<pid>-<counter>-<micros>`.
/// Characters Kafka does not allow in topic names are replaced by `-`.
pub fn unique_topic(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros();
    let prefix: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(150)
        .collect();
    format!("{prefix}-{}-{n}-{micros}", std::process::id())
}

/// Creates a topic on the [`bootstrap`] cluster and waits until every partition has a leader.
/// Panics with the tool's output on failure (e.g. when the topic exists).
pub fn create_topic(
    name: &str,
    partitions: i32,
    replication_factor: i16,
    configs: &[(&str, &str)],
) {
    create_topic_on(&bootstrap(), name, partitions, replication_factor, configs);
}

/// [`create_topic`] against the given bootstrap servers.
pub fn create_topic_on(
    bootstrap: &str,
    name: &str,
    partitions: i32,
    replication_factor: i16,
    configs: &[(&str, &str)],
) {
    let partitions = partitions.to_string();
    let rf = replication_factor.to_string();
    let configs: Vec<String> = configs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut args = vec![
        "create-topic",
        name,
        "--bootstrap",
        bootstrap,
        "--partitions",
        &partitions,
        "--replication-factor",
        &rf,
    ];
    for kv in &configs {
        args.push("--config");
        args.push(kv);
    }
    kafka_sh(&args);
}

/// The log directories of the brokers at `bootstrap`, as the brokers report them
/// (DescribeLogDirs, through Kafka's `LogDirsCommand`). The tests' brokers run on this host,
/// so their log segment files can be read.
pub fn log_dirs(bootstrap: &str) -> Vec<PathBuf> {
    let out = kafka_sh(&[
        "java-tool",
        "org.apache.kafka.tools.LogDirsCommand",
        "--describe",
        "--bootstrap-server",
        bootstrap,
    ]);
    // {"brokers":[{"broker":1,"logDirs":[{...,"logDir":"/path"}]}],"version":1}
    let dirs: Vec<PathBuf> = out
        .split("\"logDir\":\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(PathBuf::from)
        .collect();
    assert!(!dirs.is_empty(), "no log directory in:\n{out}");
    dirs
}

/// The bytes of partition `partition` of `topic` as the broker at `bootstrap` stored them: its
/// log segment files (`<log dir>/<topic>-<partition>/*.log`, in offset order) concatenated,
/// i.e. the record batches as written, with their attributes (compression) and producer state.
pub fn stored_log(bootstrap: &str, topic: &str, partition: i32) -> Vec<u8> {
    let dirs = log_dirs(bootstrap);
    let dir = dirs
        .iter()
        .map(|d| d.join(format!("{topic}-{partition}")))
        .find(|d| d.is_dir())
        .unwrap_or_else(|| panic!("no folder {topic}-{partition} in the log dirs {dirs:?}"));
    let mut segments: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    // Segment files are named by their base offset, zero-padded: name order is offset order.
    segments.sort();
    assert!(!segments.is_empty(), "no log segment in {}", dir.display());
    let mut bytes = Vec::new();
    for s in segments {
        bytes.extend(fs::read(&s).unwrap_or_else(|e| panic!("{}: {e}", s.display())));
    }
    bytes
}

/// One record as read back by the Java console consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedRecord {
    pub partition: i32,
    pub offset: i64,
    /// `CreateTime`, `LogAppendTime` or `NO_TIMESTAMP` (then `timestamp` is -1).
    pub timestamp_type: String,
    pub timestamp: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl ConsumedRecord {
    /// The key as UTF-8 text (lossy), `None` for a null key.
    pub fn key_str(&self) -> Option<String> {
        self.key
            .as_deref()
            .map(|k| String::from_utf8_lossy(k).into_owned())
    }

    /// The value as UTF-8 text (lossy), `None` for a null value.
    pub fn value_str(&self) -> Option<String> {
        self.value
            .as_deref()
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }
}

/// Reads `topic` of the [`bootstrap`] cluster from the beginning with the Java console consumer
/// (isolation level read_uncommitted) until `expected` records were read or no record came for
/// `timeout`, and returns them in the order read (by partition, then offset, within a
/// partition). With `expected == 0` it reads everything until `timeout` passes without a record.
/// It can return fewer records than expected: assert on the length. Records of all partitions
/// are read. The consumer first joins a fresh consumer group (about a second), which counts
/// against `timeout`: give it a few seconds at least when records are expected.
pub fn consume(topic: &str, expected: usize, timeout: Duration) -> Vec<ConsumedRecord> {
    consume_from(&bootstrap(), topic, expected, timeout, false)
}

/// [`consume`] with isolation level read_committed (only committed transactional records).
pub fn consume_read_committed(
    topic: &str,
    expected: usize,
    timeout: Duration,
) -> Vec<ConsumedRecord> {
    consume_from(&bootstrap(), topic, expected, timeout, true)
}

/// [`consume`] against the given bootstrap servers.
pub fn consume_from(
    bootstrap: &str,
    topic: &str,
    expected: usize,
    timeout: Duration,
    read_committed: bool,
) -> Vec<ConsumedRecord> {
    consume_with_config(bootstrap, topic, expected, timeout, read_committed, None)
}

/// [`consume_from`] with an optional Java client properties file (the console consumer's
/// `--consumer.config`), e.g. [`SecurityEnv::properties`]`("sasl-ssl-scram-512")` to read over a
/// secure listener. `bootstrap` must name that file's listener (or pass its `bootstrap.servers`).
pub fn consume_with_config(
    bootstrap: &str,
    topic: &str,
    expected: usize,
    timeout: Duration,
    read_committed: bool,
    client_config: Option<&Path>,
) -> Vec<ConsumedRecord> {
    let config = client_config.map(|p| p.to_string_lossy().into_owned());
    let timeout_ms = timeout.as_millis().max(1).to_string();
    let max = expected.to_string();
    let mut args = vec![
        "consume",
        topic,
        "--bootstrap",
        bootstrap,
        "--timeout-ms",
        &timeout_ms,
        "--isolation-level",
        if read_committed {
            "read_committed"
        } else {
            "read_uncommitted"
        },
    ];
    if expected > 0 {
        args.extend(["--max-messages", &max]);
    }
    if let Some(config) = &config {
        args.extend(["--client-config", config]);
    }
    let out = kafka_sh(&args);
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|l| parse_consumed_line(l).unwrap_or_else(|e| panic!("{e}\nconsumer output:\n{out}")))
        .collect()
}

/// Parses one line of `kafka.sh consume` output:
/// `TSTYPE:TS \t Partition:P \t Offset:O \t HEADERS... \t KEY \t VALUE`.
pub fn parse_consumed_line(line: &str) -> Result<ConsumedRecord, String> {
    let bad = |what: &str| format!("bad console consumer line ({what}): {line:?}");
    let fields: Vec<&str> = line.split('\t').collect();
    if fields.len() < 6 {
        return Err(bad("fewer than 6 fields"));
    }
    let (timestamp_type, timestamp) = if fields[0] == "NO_TIMESTAMP" {
        ("NO_TIMESTAMP".to_string(), -1)
    } else {
        let (t, ts) = fields[0].split_once(':').ok_or_else(|| bad("timestamp"))?;
        (t.to_string(), ts.parse().map_err(|_| bad("timestamp"))?)
    };
    let partition = fields[1]
        .strip_prefix("Partition:")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| bad("partition"))?;
    let offset = fields[2]
        .strip_prefix("Offset:")
        .and_then(|o| o.parse().ok())
        .ok_or_else(|| bad("offset"))?;
    let header_fields = &fields[3..fields.len() - 2];
    let mut headers = Vec::new();
    if header_fields != ["NO_HEADERS"] {
        for h in header_fields {
            let (name, value) = h.split_once(':').ok_or_else(|| bad("header"))?;
            headers.push((name.to_string(), unescape(value).map_err(|e| bad(&e))?));
        }
    }
    let key = unescape(fields[fields.len() - 2]).map_err(|e| bad(&e))?;
    let value = unescape(fields[fields.len() - 1]).map_err(|e| bad(&e))?;
    Ok(ConsumedRecord {
        partition,
        offset,
        timestamp_type,
        timestamp,
        key,
        value,
        headers,
    })
}

/// Reverses the consumer's escaping (Kafka's `Bytes.toString`: `\xHH` for every byte outside
/// 0x20-0x7E and for `\`); [`NULL_LITERAL`] is `None`.
pub fn unescape(field: &str) -> Result<Option<Vec<u8>>, String> {
    if field == NULL_LITERAL {
        return Ok(None);
    }
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            let hex = field
                .get(i + 2..i + 4)
                .filter(|_| b.get(i + 1) == Some(&b'x'))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad escape at byte {i}"))?;
            out.push(hex);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(Some(out))
}

/// Produces records with the Java console producer (acks=all, one at a time). `lines` holds one
/// record a line, `HEADERS\tKEY\tVALUE`, with `HEADERS` = `name:value[,name:value...]` or `\N`
/// for none, and `\N` for a null key or value (see `kafka.sh help`).
pub fn console_produce(topic: &str, lines: &str) {
    let bs = bootstrap();
    kafka_sh_stdin(&["produce", topic, "--bootstrap", &bs], lines);
}

/// [`console_produce`] against `bootstrap` with an optional Java client properties file (the
/// console producer's `--producer.config`), e.g. over a secure listener.
pub fn console_produce_with_config(
    bootstrap: &str,
    topic: &str,
    lines: &str,
    client_config: Option<&Path>,
) {
    let config = client_config.map(|p| p.to_string_lossy().into_owned());
    let mut args = vec!["produce", topic, "--bootstrap", bootstrap];
    if let Some(config) = &config {
        args.extend(["--client-config", config]);
    }
    kafka_sh_stdin(&args, lines);
}

/// The log end offset of every partition of `topic`, as `(partition, offset)` in partition order.
pub fn end_offsets(topic: &str) -> Vec<(i32, i64)> {
    end_offsets_on(&bootstrap(), topic)
}

/// [`end_offsets`] against the given bootstrap servers.
pub fn end_offsets_on(bootstrap: &str, topic: &str) -> Vec<(i32, i64)> {
    let out = kafka_sh(&["end-offsets", topic, "--bootstrap", bootstrap]);
    out.lines()
        .filter_map(|l| {
            let (p, o) = l.split_once(' ')?;
            Some((p.parse().ok()?, o.parse().ok()?))
        })
        .collect()
}

/// Runs `scripts/kafka.sh ARGS` and returns its stdout; panics with its stderr on failure.
pub fn kafka_sh(args: &[&str]) -> String {
    kafka_sh_stdin(args, "")
}

/// [`kafka_sh`] with `stdin` as the script's standard input.
pub fn kafka_sh_stdin(args: &[&str], stdin: &str) -> String {
    let out = run_kafka_sh(args, stdin);
    if !out.status.success() {
        panic!(
            "scripts/kafka.sh {} failed ({}):\n--- stderr ---\n{}\n--- stdout ---\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run_kafka_sh(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new("bash")
        .arg(kafka_script())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run bash {}: {e}", kafka_script().display()));
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let input = stdin.as_bytes().to_vec();
    // Written from another thread, so that a large input cannot deadlock against the child's
    // output. A tool that exits early closes its stdin; its exit status tells what went wrong.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child
        .wait_with_output()
        .expect("waiting for scripts/kafka.sh");
    let _ = writer.join();
    out
}

/// A cluster of its own for one test (e.g. to kill a broker), stopped when dropped (and by a
/// watcher once the test binary exits, should the drop never run).
pub struct TestCluster {
    dir: PathBuf,
    bootstrap: String,
    nodes: usize,
}

impl TestCluster {
    /// Starts `nodes` combined broker+controller nodes (ids 1..=nodes); `configs` are extra
    /// broker settings. Panics if the cluster does not come up.
    pub fn start(nodes: usize, configs: &[(&str, &str)]) -> TestCluster {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        remove_stale_test_dirs();
        let dir = test_dir(&format!("kafka-test-{}-c{n}", std::process::id()));
        match start_cluster(&dir, nodes, configs) {
            Ok(bootstrap) => TestCluster {
                dir,
                bootstrap,
                nodes,
            },
            Err(e) => panic!("{e}"),
        }
    }

    /// [`TestCluster::start`] with `kafka.sh start --feature NAME=LEVEL` for each of
    /// `features` (e.g. `&[("transaction.version", "1")]` for a broker without KIP-890):
    /// finalized when the storage is formatted, on every node.
    pub fn start_with_features(
        nodes: usize,
        configs: &[(&str, &str)],
        features: &[(&str, &str)],
    ) -> TestCluster {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        remove_stale_test_dirs();
        let dir = test_dir(&format!("kafka-test-{}-f{n}", std::process::id()));
        let features: Vec<String> = features.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut extra = Vec::new();
        for f in &features {
            extra.extend(["--feature", f.as_str()]);
        }
        match start_cluster_with(&dir, nodes, configs, &extra) {
            Ok(bootstrap) => TestCluster {
                dir,
                bootstrap,
                nodes,
            },
            Err(e) => panic!("{e}"),
        }
    }

    /// `host:port,...` of all brokers.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// The folder with the nodes' configs, data and logs (`node-<id>/server.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many nodes the cluster has.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// SIGKILLs node `id`.
    pub fn kill(&self, id: usize) {
        self.node_cmd("kill", id);
    }

    /// Starts node `id` again (stopping it first if it runs) and waits until it is up.
    pub fn restart(&self, id: usize) {
        self.node_cmd("restart", id);
    }

    /// SIGSTOPs node `id` (it stays connected but answers nothing).
    pub fn pause(&self, id: usize) {
        self.node_cmd("pause", id);
    }

    /// SIGCONTs node `id`.
    pub fn resume(&self, id: usize) {
        self.node_cmd("resume", id);
    }

    /// Runs `kafka.sh ARGS --dir <this cluster>` (e.g. `["status"]`).
    pub fn kafka_sh(&self, args: &[&str]) -> String {
        let dir = self.dir.to_string_lossy().into_owned();
        let mut all = args.to_vec();
        all.extend(["--dir", &dir]);
        kafka_sh(&all)
    }

    fn node_cmd(&self, cmd: &str, id: usize) {
        self.kafka_sh(&[cmd, &id.to_string()]);
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let _ = run_kafka_sh(&["stop", "--now", "--dir", &self.dir.to_string_lossy()], "");
    }
}

fn test_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// Starts a cluster in `dir` on a free block of ports, watched by this process; returns its
/// bootstrap string.
fn start_cluster(dir: &Path, nodes: usize, configs: &[(&str, &str)]) -> Result<String, String> {
    start_cluster_with(dir, nodes, configs, &[])
}

/// [`start_cluster`] with extra `kafka.sh start` arguments (e.g. `--security`).
fn start_cluster_with(
    dir: &Path,
    nodes: usize,
    configs: &[(&str, &str)],
    extra_args: &[&str],
) -> Result<String, String> {
    let pid = std::process::id().to_string();
    let nodes_arg = nodes.to_string();
    let dir_arg = dir.to_string_lossy().into_owned();
    let configs: Vec<String> = configs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut last_error = String::new();
    // A port found free can be taken before the broker binds it: then try another block.
    for attempt in 0..4 {
        // `start --security` uses 10 ports (see `kafka.sh help`).
        let ports = if extra_args.contains(&"--security") {
            10
        } else {
            2 * nodes as u16
        };
        let base = free_port_block(ports, attempt).to_string();
        let mut args = vec![
            "start",
            "--nodes",
            &nodes_arg,
            "--dir",
            &dir_arg,
            "--base-port",
            &base,
            "--watch-pid",
            &pid,
        ];
        for kv in &configs {
            args.extend(["--config", kv.as_str()]);
        }
        args.extend(extra_args);
        let out = run_kafka_sh(&args, "");
        let stdout = String::from_utf8_lossy(&out.stdout);
        if out.status.success() {
            if let Some(bs) = stdout.lines().last().filter(|l| !l.is_empty()) {
                return Ok(bs.to_string());
            }
        }
        last_error = format!(
            "scripts/kafka.sh {} failed ({}):\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr),
            stdout
        );
        eprintln!(
            "support: starting Kafka failed (attempt {}): {last_error}",
            attempt + 1
        );
    }
    Err(last_error)
}

/// The first port of `count` consecutive free ports on 127.0.0.1, below the ephemeral range
/// (32768+). Where the search starts depends on the process id, so that test binaries running
/// at the same time look in different places.
fn free_port_block(count: u16, attempt: u32) -> u16 {
    const LOW: u32 = 20000;
    const SLOTS: u32 = 1000; // blocks of 12 ports: 20000..32000
    let seed = std::process::id()
        .wrapping_mul(7919)
        .wrapping_add(attempt.wrapping_mul(104_729))
        .wrapping_add(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos()
                % 97,
        );
    for i in 0..SLOTS {
        let base = (LOW + (seed.wrapping_add(i) % SLOTS) * 12) as u16;
        let free = (base..base + count).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok());
        if free {
            return base;
        }
    }
    panic!("no {count} free consecutive ports in {LOW}..32000");
}

/// Removes the `kafka-test-<pid>*` folders of test processes that have exited and whose
/// brokers are all gone; the latest run's folders stay for their logs until the next run.
fn remove_stale_test_dirs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let Ok(entries) = fs::read_dir(env!("CARGO_TARGET_TMPDIR")) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix("kafka-test-") else {
                continue;
            };
            let owner = rest.split('-').next().unwrap_or_default();
            if owner.is_empty() || owner == std::process::id().to_string() || pid_alive(owner) {
                continue;
            }
            let path = entry.path();
            let node_running = fs::read_dir(&path)
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|node| fs::read_to_string(node.path().join("pid")).ok())
                .any(|pid| pid_alive(pid.trim()));
            if !node_running {
                let _ = fs::remove_dir_all(&path);
            }
        }
    });
}

fn pid_alive(pid: &str) -> bool {
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && Path::new("/proc").join(pid).exists()
}

/// The current leader of each partition of `topic` (`None` when it has none), asked of the
/// first broker of `bootstrap` that answers, with the crate's own protocol over a plain
/// `TcpStream` (fast: no JVM start).
pub fn leaders(bootstrap: &str, topic: &str) -> Option<Vec<Option<i32>>> {
    use kafka_producer::protocol::messages::{MetadataRequest, MetadataResponse};
    use kafka_producer::protocol::{ApiKey, decode_response, encode_request};
    use std::io::Read;
    use std::net::TcpStream;
    for addr in bootstrap.split(',') {
        let Ok(addr) = addr.trim().parse::<std::net::SocketAddr>() else {
            continue;
        };
        let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
            continue;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let mut buf = Vec::new();
        encode_request(
            &mut buf,
            &MetadataRequest::for_topics([topic], false),
            12,
            1,
            Some("test-support"),
        );
        if s.write_all(&buf).is_err() {
            continue;
        }
        let mut size = [0u8; 4];
        if s.read_exact(&mut size).is_err() {
            continue;
        }
        let mut payload = vec![0u8; i32::from_be_bytes(size).max(0) as usize];
        if s.read_exact(&mut payload).is_err() {
            continue;
        }
        let Ok((_, md)) = decode_response::<MetadataResponse>(ApiKey::Metadata, 12, &payload)
        else {
            continue;
        };
        let t = md
            .topics
            .iter()
            .find(|t| t.name.as_deref() == Some(topic))?;
        let mut parts: Vec<_> = t
            .partitions
            .iter()
            .map(|p| (p.partition_index, p.leader_id))
            .collect();
        parts.sort();
        return Some(
            parts
                .into_iter()
                .map(|(_, l)| (l >= 0).then_some(l))
                .collect(),
        );
    }
    None
}

/// The secure listeners of a cluster started with `kafka.sh start --security`, as its
/// `security/listeners.env` describes them (see `kafka.sh help`, section Security).
#[derive(Debug, Clone)]
pub struct SecurityEnv {
    /// The `security/` folder: `ca.pem`, `other-ca.pem`, `client.pem`, `client.key`,
    /// `client-encrypted.key`, `client.p12`, `truststore.p12`, `*.jks`, `clients/*.properties`.
    pub dir: PathBuf,
    /// The PLAINTEXT listener of the same broker (`KAFKA_PLAINTEXT_BOOTSTRAP`), e.g. to create
    /// topics.
    pub plaintext: String,
    /// SSL, server cert signed by `ca.pem` for `localhost`/`127.0.0.1` (`KAFKA_SSL_BOOTSTRAP`).
    pub ssl: String,
    /// SSL with client auth required (`KAFKA_MTLS_BOOTSTRAP`).
    pub mtls: String,
    /// SSL, cert signed by `ca.pem` for `wrong-host.invalid` only (`KAFKA_BADHOST_BOOTSTRAP`).
    pub badhost: String,
    /// SASL_PLAINTEXT, PLAIN, SCRAM-SHA-256/512, OAUTHBEARER (`KAFKA_SASL_PLAINTEXT_BOOTSTRAP`).
    pub sasl_plaintext: String,
    /// SASL_SSL, the same mechanisms (`KAFKA_SASL_SSL_BOOTSTRAP`).
    pub sasl_ssl: String,
    /// SASL_PLAINTEXT with only PLAIN,SCRAM-SHA-256 (`KAFKA_SASL_LIMITED_BOOTSTRAP`).
    pub sasl_limited: String,
    /// SASL_PLAINTEXT, all four mechanisms, `connections.max.reauth.ms` = `KAFKA_REAUTH_MS`
    /// (10 s) (`KAFKA_REAUTH_BOOTSTRAP`).
    pub reauth: String,
    /// Every `KEY=value` of `listeners.env` (also `KAFKA_SASL_USER`, `KAFKA_SASL_PASSWORD`,
    /// `KAFKA_KEY_PASSWORD`, `KAFKA_STORE_PASSWORD`, `KAFKA_REAUTH_MS`, ...).
    pub vars: std::collections::BTreeMap<String, String>,
}

impl SecurityEnv {
    /// Reads `<dir>/listeners.env`.
    pub fn read(dir: &Path) -> Result<SecurityEnv, String> {
        let file = dir.join("listeners.env");
        let text = fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let vars: std::collections::BTreeMap<String, String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let get = |key: &str| {
            vars.get(key)
                .cloned()
                .ok_or_else(|| format!("{} has no {key}", file.display()))
        };
        Ok(SecurityEnv {
            dir: dir.to_path_buf(),
            plaintext: get("KAFKA_PLAINTEXT_BOOTSTRAP")?,
            ssl: get("KAFKA_SSL_BOOTSTRAP")?,
            mtls: get("KAFKA_MTLS_BOOTSTRAP")?,
            badhost: get("KAFKA_BADHOST_BOOTSTRAP")?,
            sasl_plaintext: get("KAFKA_SASL_PLAINTEXT_BOOTSTRAP")?,
            sasl_ssl: get("KAFKA_SASL_SSL_BOOTSTRAP")?,
            sasl_limited: get("KAFKA_SASL_LIMITED_BOOTSTRAP")?,
            reauth: get("KAFKA_REAUTH_BOOTSTRAP")?,
            vars,
        })
    }

    /// `<dir>/clients/<name>.properties` (e.g. `"ssl"`, `"mtls"`, `"sasl-scram-512"`,
    /// `"sasl-ssl-oauthbearer"`, `"reauth-scram-256"`); panics if there is no such file.
    pub fn properties(&self, name: &str) -> PathBuf {
        let path = self.dir.join("clients").join(format!("{name}.properties"));
        assert!(
            path.is_file(),
            "no client properties file {}",
            path.display()
        );
        path
    }

    /// `<dir>/<name>` (e.g. `"ca.pem"`, `"client.p12"`); panics if there is no such file.
    pub fn file(&self, name: &str) -> PathBuf {
        let path = self.dir.join(name);
        assert!(path.is_file(), "no file {}", path.display());
        path
    }

    /// A value of `listeners.env`.
    pub fn var(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }
}

/// The secure listeners for the security tests, or `None` when they should be skipped:
///
/// * `KAFKA_SECURITY_DIR` set (as `scripts/test.sh` does): that folder's `listeners.env`
///   (panics if it cannot be read);
/// * else, with `KAFKA_BOOTSTRAP` set (an existing cluster, maybe without secure listeners):
///   `None`;
/// * else a single-node `start --security` cluster of its own, started once per test binary in
///   `<target>/tmp/kafka-test-<pid>-sec` (separate from the [`bootstrap`] one), watched like it.
pub fn security_env() -> Option<SecurityEnv> {
    static ENV: OnceLock<Result<Option<SecurityEnv>, String>> = OnceLock::new();
    let result = ENV.get_or_init(|| {
        if let Some(dir) = std::env::var_os("KAFKA_SECURITY_DIR").filter(|d| !d.is_empty()) {
            return SecurityEnv::read(Path::new(&dir)).map(Some);
        }
        if std::env::var("KAFKA_BOOTSTRAP").is_ok_and(|bs| !bs.trim().is_empty()) {
            return Ok(None);
        }
        remove_stale_test_dirs();
        let dir = test_dir(&format!("kafka-test-{}-sec", std::process::id()));
        start_cluster_with(&dir, 1, &[], &["--security"])?;
        SecurityEnv::read(&dir.join("security")).map(Some)
    });
    match result {
        Ok(env) => env.clone(),
        Err(e) => panic!("no secure Kafka listeners for the tests: {e}"),
    }
}

/// The offsets committed for consumer group `group` on the cluster at `bootstrap`, as
/// `(topic, partition, offset)` sorted by topic and partition (`kafka.sh group-offsets`, i.e.
/// `kafka-consumer-groups.sh --describe --offsets`). Empty when the group does not exist or has
/// no committed offset. Only stable offsets show: a transaction's once its markers are written.
pub fn group_offsets(bootstrap: &str, group: &str) -> Vec<(String, i32, i64)> {
    let out = kafka_sh(&["group-offsets", group, "--bootstrap", bootstrap]);
    out.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let topic = f.next()?.to_string();
            let partition = f.next()?.parse().ok()?;
            let offset = f.next()?.parse().ok()?;
            Some((topic, partition, offset))
        })
        .collect()
}

/// The finalized features of the cluster at `bootstrap` (`kafka.sh features`: FeatureCommand
/// describe), e.g. `"transaction.version" => "2"`.
pub fn finalized_features(bootstrap: &str) -> std::collections::BTreeMap<String, String> {
    kafka_sh(&["features", "--bootstrap", bootstrap])
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// Java's `String.hashCode` of `s` (UTF-16 code units, wrapping `i32` arithmetic).
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The `__transaction_state` partition that holds `transactional_id` when the topic has
/// `partitions` partitions (the broker's `Utils.abs(transactionalId.hashCode()) % partitions`):
/// its leader is the transaction coordinator of that id.
pub fn transaction_state_partition(transactional_id: &str, partitions: i32) -> i32 {
    let h = java_string_hash(transactional_id);
    // Kafka's Utils.abs: Integer.MIN_VALUE maps to 0.
    let abs = if h == i32::MIN { 0 } else { h.abs() };
    abs % partitions
}
