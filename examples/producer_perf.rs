//! `producer_perf`: Kafka's `kafka-producer-perf-test` (`org.apache.kafka.tools.ProducerPerformance`
//! of Kafka 4.1.1) on this crate: the same flags, the same workload and the same output, byte for
//! byte, so that its numbers can be set beside the Java tool's.
//!
//! ```text
//! cargo run --release --example producer_perf -- --topic perf --num-records 2000000 \
//!     --record-size 100 --throughput -1 --producer-props bootstrap.servers=127.0.0.1:9092 acks=1
//! ```
//!
//! As the Java tool: each record gets a fresh payload of `--record-size` random upper-case
//! letters (`SplittableRandom(0)`, the very bytes Java sends), or a random line of
//! `--payload-file`, or its number (`--payload-monotonic`); the key is null; the latency of a
//! record runs from just before `send` to its callback, in whole milliseconds; a progress line
//! comes every 5 s and a summary at the end, with the 50th/95th/99th/99.9th percentiles of up to
//! 500,000 sampled latencies; `--throughput` paces the sends as Java's `ThroughputThrottler`.
//! `client.id` defaults to `perf-producer-client`.
//!
//! Transactions as Java's: `--transactional-id ID`, `--transaction-duration-ms MS` or a
//! `transactional.id` prop turn them on (id: the flag, else the prop, else
//! `performance-producer-<random>`; duration 3000 ms unless given): `init_transactions` first,
//! `begin_transaction` before the first record of each transaction, `commit_transaction` after
//! the send during which the transaction has been open `MS` ms or more (the next record begins
//! a new one), and a last commit after the last record.
//!
//! Differences: `--payload-delimiter` is a literal string, not a Java regex; `key.serializer` / `value.serializer` props are ignored
//! (the tool always sends bytes); `--print-metrics` prints the producer's metrics, as Java's.
//!
//! Extra flags, for client-only measurements:
//! - `--sink`: start an in-process broker on 127.0.0.1 that answers every request at once
//!   (`kafka_producer::mock::MockCluster::sink` settings: it reads record batches' headers only
//!   and keeps nothing) and produce to it instead of `bootstrap.servers`.
//! - `--sink-partitions N`: partitions of the sink's topic (default 1).
//! - `--sink-cpu N`: pin the sink's threads to CPU `N` (with `taskset`), so that the client's
//!   CPUs (`taskset -c M cargo run ...`) measure the client alone.
//! - `--threads N`: send from `N` caller threads sharing the one producer (default 1: the main
//!   thread alone, as Java's tool). The `--num-records` are split among them as evenly as
//!   possible (the total stays `--num-records`; with `--payload-monotonic` each thread sends its
//!   own range of numbers), `--throughput` is the total rate (each thread is paced at its share),
//!   thread `k` draws its random payloads from `SplittableRandom(k)` (thread 0's are Java's
//!   bytes). Latencies, progress lines and the summary cover all threads (the callbacks run on
//!   the producer's I/O thread and feed one set of statistics). Not with transactions (one
//!   producer has one transaction at a time). `bench-compare/java/SharedProducerPerf.java` does
//!   the same with Java's `KafkaProducer` (`scripts/bench-threads.sh` runs both).
//!
//! - `--no-client`: no client at all: the part of the loop this tool and `rdkafka_perf` share,
//!   each callback body run at once, to measure what the tool itself costs per record (in both
//!   clients' figures). `--threads`, `--sink` and transactions do not apply.
//!
//! With `--sink` the CPU time of every thread is printed to stderr at the end (caller threads
//! other than the main one as `perf-caller-K`, measured when they finish sending).
//!
//! Built with the crate's `lock-stats` feature (`cargo build --release --example producer_perf
//! --features lock-stats`), the tool prints to stderr at the end one `lock-stats` line for the
//! accumulator's partition-queue mutexes (`deques`) and one for the buffer pool's (`pool`):
//! acquisitions, contended acquisitions, total wait and hold nanoseconds and the longest ones,
//! counted from the first send on (see `kafka_producer::producer::lock_stats`).
//!
//! The module [`perf`] holds what does not depend on the client (arguments, statistics, Java's
//! number format, payloads, throttling); `bench-compare/src/bin/rdkafka_perf.rs` includes this
//! file to run the same tool on librdkafka.

use kafka_producer::producer::serializer::ByteArraySerializer;
use kafka_producer::{KafkaProducer, ProducerConfig, ProducerRecord};
use std::sync::{Arc, Mutex};

/// The client-independent parts of `ProducerPerformance`.
pub mod perf {
    use std::fmt::Write as _;
    use std::sync::{Arc, Mutex, OnceLock};
    use std::time::{Duration, Instant};

    /// Java's default `--payload-delimiter` as shown in the help (`\n`, escaped).
    const DEFAULT_DELIMITER: &str = "\\n";

    /// A flag a client adds to the Java ones.
    #[derive(Debug, Clone, Copy)]
    pub struct ExtraFlag {
        /// `--name`.
        pub name: &'static str,
        /// Whether it takes a value.
        pub takes_value: bool,
        /// One line of help.
        pub help: &'static str,
    }

    /// Where payloads come from (Java's mutually exclusive group).
    #[derive(Debug, Clone, PartialEq)]
    pub enum PayloadSource {
        /// `--record-size`: random upper-case letters.
        RecordSize(i32),
        /// `--payload-file`: lines (or `--payload-delimiter`-separated parts) of a file.
        File(String),
        /// `--payload-monotonic`: the record's number.
        Monotonic,
    }

    /// The parsed command line (Java's `ConfigPostProcessor`).
    #[derive(Debug, Clone)]
    pub struct Args {
        /// `--topic`.
        pub topic: String,
        /// `--num-records`.
        pub num_records: i64,
        /// The payload option.
        pub payload: PayloadSource,
        /// `--payload-delimiter`, unescaped (`\n` by default).
        pub payload_delimiter: String,
        /// `--throughput`; negative: unthrottled.
        pub throughput: f64,
        /// `--producer-props`.
        pub producer_props: Option<Vec<String>>,
        /// `--producer.config`.
        pub producer_config: Option<String>,
        /// `--print-metrics`.
        pub print_metrics: bool,
        /// `--transactional-id`.
        pub transactional_id: Option<String>,
        /// `--transaction-duration-ms`.
        pub transaction_duration_ms: Option<i64>,
        /// Extra flags given: name and value (`None` for switches).
        pub extra: Vec<(String, Option<String>)>,
    }

    impl Args {
        /// Value of an extra flag (`Some(None)` for a switch that was given).
        pub fn extra(&self, name: &str) -> Option<Option<&str>> {
            self.extra
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_deref())
        }

        /// Whether transactions were asked for (Java's `transactionsEnabled`).
        pub fn transactions_requested(&self, props: &[(String, String)]) -> bool {
            self.transactional_id.is_some()
                || self.transaction_duration_ms.is_some()
                || props.iter().any(|(k, _)| k == "transactional.id")
        }
    }

    const JAVA_FLAGS: [(&str, &str); 11] = [
        ("--topic TOPIC", "produce messages to this topic"),
        ("--num-records NUM-RECORDS", "number of messages to produce"),
        (
            "--payload-delimiter PAYLOAD-DELIMITER",
            "provides delimiter to be used when --payload-file is provided. Defaults to new line. \
             Note that this parameter will be ignored if --payload-file is not provided. \
             (default: \\n)",
        ),
        (
            "--throughput THROUGHPUT",
            "throttle maximum message throughput to *approximately* THROUGHPUT messages/sec. \
             Set this to -1 to disable throttling.",
        ),
        (
            "--producer-props PROP-NAME=PROP-VALUE [PROP-NAME=PROP-VALUE ...]",
            "kafka producer related configuration properties like bootstrap.servers,client.id \
             etc. These configs take precedence over those passed via --producer.config.",
        ),
        (
            "--producer.config CONFIG-FILE",
            "producer config properties file.",
        ),
        (
            "--print-metrics",
            "print out metrics at the end of the test. (default: false)",
        ),
        (
            "--transactional-id TRANSACTIONAL-ID",
            "The transactional id to use. This config takes precedence over the \
             transactional.id specified via --producer.config or --producer-props. Note that if \
             the transactional id is not specified while --transaction-duration-ms is provided, \
             the default value for the transactional id will be performance-producer- followed \
             by a random uuid.",
        ),
        (
            "--transaction-duration-ms TRANSACTION-DURATION",
            "The max age of each transaction. The commitTransaction will be called after this \
             time has elapsed. The value should be greater than 0. If the transactional id is \
             specified via --producer-props, --producer.config, or --transactional-id but \
             --transaction-duration-ms is not specified, the default value will be 3000.",
        ),
        (
            "--record-size RECORD-SIZE",
            "message size in bytes. Note that you must provide exactly one of --record-size or \
             --payload-file or --payload-monotonic.",
        ),
        (
            "--payload-file PAYLOAD-FILE",
            "file to read the message payloads from. This works only for UTF-8 encoded text \
             files. Payloads will be read from this file and a payload will be randomly selected \
             when sending messages. Note that you must provide exactly one of --record-size or \
             --payload-file or --payload-monotonic.",
        ),
    ];

    fn usage_line(prog: &str, extra: &[ExtraFlag]) -> String {
        let mut s = format!(
            "usage: {prog} [-h] --topic TOPIC --num-records NUM-RECORDS \
             [--payload-delimiter PAYLOAD-DELIMITER] --throughput THROUGHPUT \
             [--producer-props PROP-NAME=PROP-VALUE [PROP-NAME=PROP-VALUE ...]] \
             [--producer.config CONFIG-FILE] [--print-metrics] \
             [--transactional-id TRANSACTIONAL-ID] \
             [--transaction-duration-ms TRANSACTION-DURATION] \
             (--record-size RECORD-SIZE | --payload-file PAYLOAD-FILE | --payload-monotonic)"
        );
        for f in extra {
            if f.takes_value {
                let _ = write!(s, " [--{} VALUE]", f.name);
            } else {
                let _ = write!(s, " [--{}]", f.name);
            }
        }
        s
    }

    /// The help text (as argparse4j's, approximately).
    pub fn help(prog: &str, extra: &[ExtraFlag]) -> String {
        let mut s = usage_line(prog, extra);
        s.push_str(
            "\n\nThis tool is used to verify the producer performance.\n\n\
             named arguments:\n  -h, --help             show this help message and exit\n",
        );
        for (flag, text) in JAVA_FLAGS {
            let _ = writeln!(s, "  {flag}\n                         {text}");
        }
        let _ = writeln!(
            s,
            "  --payload-monotonic\n                         payload is monotonically increasing \
             integer. Note that you must provide exactly one of --record-size or --payload-file \
             or --payload-monotonic. (default: false)"
        );
        for f in extra {
            let v = if f.takes_value { " VALUE" } else { "" };
            let _ = writeln!(s, "  --{}{v}\n                         {}", f.name, f.help);
        }
        s
    }

    /// Parses the command line as argparse4j does for `ProducerPerformance`. `Ok(None)`: help
    /// was asked for (or no argument given).
    pub fn parse_args(argv: &[String], extra: &[ExtraFlag]) -> Result<Option<Args>, String> {
        if argv.is_empty() {
            return Ok(None);
        }
        let mut topic = None;
        let mut num_records = None;
        let mut record_size = None;
        let mut payload_file = None;
        let mut payload_monotonic = false;
        let mut payload_delimiter = DEFAULT_DELIMITER.to_string();
        let mut throughput = None;
        let mut producer_props: Option<Vec<String>> = None;
        let mut producer_config = None;
        let mut print_metrics = false;
        let mut transactional_id = None;
        let mut transaction_duration_ms = None;
        let mut extras = Vec::new();
        let mut payload_choice: Option<&'static str> = None;
        let mut choose = |flag: &'static str| -> Result<(), String> {
            match payload_choice {
                Some(prev) if prev != flag => {
                    Err(format!("argument {flag}: not allowed with argument {prev}"))
                }
                _ => {
                    payload_choice = Some(flag);
                    Ok(())
                }
            }
        };
        let mut i = 0;
        while i < argv.len() {
            let arg = &argv[i];
            i += 1;
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (arg.as_str(), None),
            };
            let value = |i: &mut usize, name: &str| -> Result<String, String> {
                if let Some(v) = inline.clone() {
                    return Ok(v);
                }
                match argv.get(*i) {
                    Some(v) if !v.starts_with("--") => {
                        *i += 1;
                        Ok(v.clone())
                    }
                    _ => Err(format!("argument {name}: expected one argument")),
                }
            };
            match flag {
                "-h" | "--help" => return Ok(None),
                "--topic" => topic = Some(value(&mut i, flag)?),
                "--num-records" => {
                    num_records = Some(parse_num::<i64>(flag, &value(&mut i, flag)?, "Long")?)
                }
                "--record-size" => {
                    choose("--record-size")?;
                    record_size = Some(parse_num::<i32>(flag, &value(&mut i, flag)?, "Integer")?)
                }
                "--payload-file" => {
                    choose("--payload-file")?;
                    payload_file = Some(value(&mut i, flag)?)
                }
                "--payload-monotonic" => {
                    choose("--payload-monotonic")?;
                    payload_monotonic = true
                }
                "--payload-delimiter" => payload_delimiter = value(&mut i, flag)?,
                "--throughput" => {
                    throughput = Some(parse_num::<f64>(flag, &value(&mut i, flag)?, "Double")?)
                }
                "--producer-props" => {
                    let mut list = Vec::new();
                    if let Some(v) = inline.clone() {
                        list.push(v);
                    }
                    while let Some(v) = argv.get(i) {
                        if v.starts_with("--") {
                            break;
                        }
                        list.push(v.clone());
                        i += 1;
                    }
                    if list.is_empty() {
                        return Err(format!("argument {flag}: expected at least one argument"));
                    }
                    producer_props = Some(list);
                }
                "--producer.config" => producer_config = Some(value(&mut i, flag)?),
                "--print-metrics" => print_metrics = true,
                "--transactional-id" => transactional_id = Some(value(&mut i, flag)?),
                "--transaction-duration-ms" => {
                    transaction_duration_ms =
                        Some(parse_num::<i64>(flag, &value(&mut i, flag)?, "Long")?)
                }
                other => match extra
                    .iter()
                    .find(|f| other.strip_prefix("--") == Some(f.name))
                {
                    Some(f) if f.takes_value => {
                        extras.push((f.name.to_string(), Some(value(&mut i, flag)?)));
                    }
                    Some(f) => extras.push((f.name.to_string(), None)),
                    None => return Err(format!("unrecognized arguments: '{arg}'")),
                },
            }
        }
        let topic = topic.ok_or("argument --topic is required")?;
        let num_records = num_records.ok_or("argument --num-records is required")?;
        let throughput = throughput.ok_or("argument --throughput is required")?;
        let payload = match (record_size, payload_file, payload_monotonic) {
            (Some(n), _, _) => PayloadSource::RecordSize(n),
            (_, Some(f), _) => PayloadSource::File(f),
            (_, _, true) => PayloadSource::Monotonic,
            _ => {
                return Err("one of the arguments --record-size --payload-file \
                            --payload-monotonic is required"
                    .into());
            }
        };
        if num_records <= 0 {
            return Err("--num-records should be greater than zero".into());
        }
        if matches!(payload, PayloadSource::RecordSize(n) if n <= 0) {
            return Err("--record-size should be greater than zero".into());
        }
        if producer_props.is_none() && producer_config.is_none() {
            return Err("Either --producer-props or --producer.config must be specified.".into());
        }
        if matches!(transaction_duration_ms, Some(d) if d <= 0) {
            return Err("--transaction-duration-ms should be greater than zero".into());
        }
        // Java shows the default escaped in the help and replaces it here.
        if payload_delimiter == DEFAULT_DELIMITER {
            payload_delimiter = "\n".into();
        }
        Ok(Some(Args {
            topic,
            num_records,
            payload,
            payload_delimiter,
            throughput,
            producer_props,
            producer_config,
            print_metrics,
            transactional_id,
            transaction_duration_ms,
            extra: extras,
        }))
    }

    fn parse_num<T: std::str::FromStr>(flag: &str, v: &str, java: &str) -> Result<T, String> {
        v.trim().parse().map_err(|_| {
            format!(
                "argument {flag}: could not convert '{v}' to {java} (For input string: \"{v}\")"
            )
        })
    }

    /// Parses the command line of this process, or prints help / the error (argparse4j's
    /// format) and exits (0 for help, 1 for an error).
    pub fn args_or_exit(prog: &str, extra: &[ExtraFlag]) -> Args {
        let argv: Vec<String> = std::env::args().skip(1).collect();
        match parse_args(&argv, extra) {
            Ok(Some(args)) => args,
            Ok(None) => {
                print!("{}", help(prog, extra));
                std::process::exit(0);
            }
            Err(e) => {
                eprintln!("{}\n{prog}: error: {e}", usage_line(prog, extra));
                std::process::exit(1);
            }
        }
    }

    /// Java's `readProps`: the `--producer.config` file, then `--producer-props` (which win);
    /// `client.id` defaults to `perf-producer-client`. `key.serializer` and `value.serializer`
    /// are dropped (the tool always sends bytes).
    pub fn read_props(
        args: &Args,
        parse_file: impl Fn(&str) -> Result<Vec<(String, String)>, String>,
    ) -> Result<Vec<(String, String)>, String> {
        let mut props: Vec<(String, String)> = Vec::new();
        let mut put = |k: &str, v: &str| match props.iter_mut().find(|(pk, _)| pk == k) {
            Some(e) => e.1 = v.to_string(),
            None => props.push((k.to_string(), v.to_string())),
        };
        if let Some(file) = &args.producer_config {
            for (k, v) in parse_file(file)? {
                put(&k, &v);
            }
        }
        for prop in args.producer_props.iter().flatten() {
            // Java: prop.split("=") must give exactly 2 pieces (trailing empty ones dropped).
            let mut pieces: Vec<&str> = prop.split('=').collect();
            while pieces.last() == Some(&"") {
                pieces.pop();
            }
            if pieces.len() != 2 {
                return Err(format!("Invalid property: {prop}"));
            }
            put(pieces[0], pieces[1]);
        }
        props.retain(|(k, _)| k != "key.serializer" && k != "value.serializer");
        if !props.iter().any(|(k, _)| k == "client.id") {
            props.push(("client.id".into(), "perf-producer-client".into()));
        }
        Ok(props)
    }

    /// Java's `java.util.SplittableRandom`, bit for bit (so payloads are Java's bytes).
    #[derive(Debug, Clone)]
    pub struct SplittableRandom {
        seed: u64,
        gamma: u64,
    }

    const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

    fn mix32(z: u64) -> i32 {
        let z = (z ^ (z >> 33)).wrapping_mul(0x62a9_d9ed_7997_05f5);
        ((z ^ (z >> 28)).wrapping_mul(0xcb24_d0a5_c88c_35b3) >> 32) as i32
    }

    impl SplittableRandom {
        /// `new SplittableRandom(seed)`.
        pub fn new(seed: i64) -> Self {
            SplittableRandom {
                seed: seed as u64,
                gamma: GOLDEN_GAMMA,
            }
        }

        /// `nextInt()`.
        pub fn next_int(&mut self) -> i32 {
            self.seed = self.seed.wrapping_add(self.gamma);
            mix32(self.seed)
        }

        /// `nextInt(bound)`, `bound > 0`.
        pub fn next_int_bounded(&mut self, bound: i32) -> i32 {
            let r = self.next_int();
            let m = bound - 1;
            if bound & m == 0 {
                return r & m;
            }
            let mut u = ((r as u32) >> 1) as i32;
            loop {
                let r = u % bound;
                if u.wrapping_add(m).wrapping_sub(r) < 0 {
                    u = ((self.next_int() as u32) >> 1) as i32;
                } else {
                    return r;
                }
            }
        }

        /// Fills `buf` as Java's `for (j...) payload[j] = (byte) (random.nextInt(26) + 65)`. The
        /// seeds of the bytes are independent (seed + k·gamma), so they are computed side by
        /// side; the rare rejected draw (p ≈ 1e-8 a byte) falls back to the sequential loop.
        pub fn fill_uppercase(&mut self, buf: &mut [u8]) {
            let start = self.seed;
            let gamma = self.gamma;
            let mut rejected = false;
            let mut z = start;
            for b in buf.iter_mut() {
                z = z.wrapping_add(gamma);
                let u = ((mix32(z) as u32) >> 1) as i32;
                let r = u % 26;
                rejected |= u.wrapping_add(25).wrapping_sub(r) < 0;
                *b = (r + 65) as u8;
            }
            if rejected {
                self.seed = start;
                for b in buf.iter_mut() {
                    *b = (self.next_int_bounded(26) + 65) as u8;
                }
            } else {
                self.seed = z;
            }
        }
    }

    /// Java's `generateRandomPayload`, without copying: the payload is an `Arc<[u8]>` refilled
    /// in place while nobody else holds it (the producer is done with a record when `send`
    /// returns), shared from the file's list, or the record's number.
    pub struct Payloads {
        random: SplittableRandom,
        source: PayloadSource,
        list: Vec<Arc<[u8]>>,
        current: Arc<[u8]>,
    }

    impl Payloads {
        /// Java's `readPayloadFile` (it prints the same two lines) and the payload buffer.
        pub fn new(args: &Args) -> Result<Payloads, String> {
            let mut list = Vec::new();
            let mut current: Arc<[u8]> = Arc::from(&[][..]);
            match &args.payload {
                PayloadSource::RecordSize(n) => current = Arc::from(vec![0u8; *n as usize]),
                PayloadSource::File(path) => {
                    let path = std::path::Path::new(path);
                    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
                    println!("Reading payloads from: {}", abs.display());
                    let bytes = match std::fs::read(path) {
                        Ok(b) if !b.is_empty() => b,
                        _ => return Err("File does not exist or empty file provided.".into()),
                    };
                    let text = String::from_utf8_lossy(&bytes);
                    // Java's Scanner: tokens between delimiters, empty ones included, except a
                    // trailing one.
                    let mut parts: Vec<&str> =
                        text.split(args.payload_delimiter.as_str()).collect();
                    if parts.last() == Some(&"") {
                        parts.pop();
                    }
                    list = parts.into_iter().map(|p| Arc::from(p.as_bytes())).collect();
                    println!("Number of messages read: {}", list.len());
                }
                PayloadSource::Monotonic => {}
            }
            Ok(Payloads {
                random: SplittableRandom::new(0),
                source: args.payload.clone(),
                list,
                current,
            })
        }

        /// The payloads of caller thread `k` of `--threads`: the same source, the random
        /// payloads drawn from `SplittableRandom(k)` (thread 0's are the single thread's).
        pub fn for_thread(&self, k: usize) -> Payloads {
            Payloads {
                random: SplittableRandom::new(k as i64),
                source: self.source.clone(),
                list: self.list.clone(),
                current: Arc::from(vec![0u8; self.current.len()]),
            }
        }

        /// The payload of record `i`.
        pub fn next(&mut self, i: i64) -> Arc<[u8]> {
            if !self.list.is_empty() {
                let n = self.list.len() as i32;
                return self.list[self.random.next_int_bounded(n) as usize].clone();
            }
            match self.source {
                PayloadSource::RecordSize(n) => {
                    if Arc::get_mut(&mut self.current).is_none() {
                        self.current = Arc::from(vec![0u8; n as usize]);
                    }
                    let buf = Arc::get_mut(&mut self.current).expect("unique");
                    self.random.fill_uppercase(buf);
                    self.current.clone()
                }
                _ => Arc::from(i.to_string().as_bytes()),
            }
        }
    }

    /// Milliseconds on a monotonic clock (Java uses `System.currentTimeMillis()`; only
    /// differences matter).
    pub fn now_ms() -> i64 {
        static BASE: OnceLock<Instant> = OnceLock::new();
        // An offset keeps "elapsed > 0" checks meaningful from the first millisecond on.
        BASE.get_or_init(Instant::now).elapsed().as_millis() as i64 + 1_000_000
    }

    /// Java's `ProducerPerformance.Stats`.
    #[derive(Debug)]
    pub struct Stats {
        start: i64,
        latencies: Vec<i32>,
        sampling: i64,
        reporting_interval: i64,
        iteration: i64,
        index: usize,
        count: i64,
        bytes: i64,
        max_latency: i32,
        total_latency: i64,
        window_count: i64,
        window_max_latency: i32,
        window_total_latency: i64,
        window_bytes: i64,
        window_start: i64,
    }

    impl Stats {
        /// `new Stats(numRecords, 5000)`.
        pub fn new(num_records: i64, reporting_interval: i64) -> Stats {
            let sampling = num_records / num_records.min(500_000);
            let now = now_ms();
            Stats {
                start: now,
                latencies: vec![0; (num_records / sampling) as usize + 1],
                sampling,
                reporting_interval,
                iteration: 0,
                index: 0,
                count: 0,
                bytes: 0,
                max_latency: 0,
                total_latency: 0,
                window_count: 0,
                window_max_latency: 0,
                window_total_latency: 0,
                window_bytes: 0,
                window_start: now,
            }
        }

        /// A successful record: its latency (ms), size and completion time.
        pub fn record(&mut self, latency: i32, bytes: i32, time: i64) {
            self.count += 1;
            self.bytes += i64::from(bytes);
            self.total_latency += i64::from(latency);
            self.max_latency = self.max_latency.max(latency);
            self.window_count += 1;
            self.window_bytes += i64::from(bytes);
            self.window_total_latency += i64::from(latency);
            self.window_max_latency = self.window_max_latency.max(latency);
            if self.iteration % self.sampling == 0 {
                if let Some(slot) = self.latencies.get_mut(self.index) {
                    *slot = latency;
                }
                self.index += 1;
            }
            if time - self.window_start >= self.reporting_interval {
                self.print_window();
                self.new_window();
            }
            self.iteration += 1;
        }

        fn print_window(&self) {
            let elapsed = now_ms() - self.window_start;
            let recs_per_sec = 1000.0 * self.window_count as f64 / elapsed as f64;
            let mb_per_sec = 1000.0 * self.window_bytes as f64 / elapsed as f64 / (1024.0 * 1024.0);
            println!(
                "{} records sent, {} records/sec ({} MB/sec), {} ms avg latency, {} ms max latency.",
                self.window_count,
                java_fixed(recs_per_sec, 1),
                java_fixed(mb_per_sec, 2),
                java_fixed(
                    self.window_total_latency as f64 / self.window_count as f64,
                    1
                ),
                java_fixed(f64::from(self.window_max_latency), 1),
            );
        }

        fn new_window(&mut self) {
            self.window_start = now_ms();
            self.window_count = 0;
            self.window_max_latency = 0;
            self.window_total_latency = 0;
            self.window_bytes = 0;
        }

        /// Records counted so far.
        pub fn count(&self) -> i64 {
            self.count
        }

        /// The summary line (without its newline): Kafka 4.1.1's `printTotal` format,
        /// `"%d records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max
        /// latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.%n"` (later versions print
        /// the rate with `%f` and can add " steady state").
        pub fn total_line(&mut self) -> String {
            let elapsed = now_ms() - self.start;
            let recs_per_sec = 1000.0 * self.count as f64 / elapsed as f64;
            let mb_per_sec = 1000.0 * self.bytes as f64 / elapsed as f64 / (1024.0 * 1024.0);
            let p = percentiles(&mut self.latencies, self.index, &[0.5, 0.95, 0.99, 0.999]);
            format!(
                "{} records sent, {} records/sec ({} MB/sec), {} ms avg latency, {} ms max \
                 latency, {} ms 50th, {} ms 95th, {} ms 99th, {} ms 99.9th.",
                self.count,
                java_fixed(recs_per_sec, 1),
                java_fixed(mb_per_sec, 2),
                java_fixed(self.total_latency as f64 / self.count as f64, 2),
                java_fixed(f64::from(self.max_latency), 2),
                p[0],
                p[1],
                p[2],
                p[3],
            )
        }

        /// Java's `printTotal`.
        pub fn print_total(&mut self) {
            println!("{}", self.total_line());
        }
    }

    /// Java's `Stats.percentiles`: sort the sampled latencies, take `latencies[(int) (p * n)]`.
    pub fn percentiles(latencies: &mut [i32], count: usize, ps: &[f64]) -> Vec<i32> {
        let size = count.min(latencies.len());
        latencies[..size].sort_unstable();
        ps.iter()
            .map(|p| latencies[((p * size as f64) as usize).min(latencies.len() - 1)])
            .collect()
    }

    /// The body of a record's callback once it is acknowledged (Java's `PerfCallback`): its
    /// latency from `send_start_ms` to now, and its bytes, into the shared statistics.
    #[inline]
    pub fn record_acked(stats: &Mutex<Stats>, send_start_ms: i64, bytes: i32) {
        let now = now_ms();
        stats
            .lock()
            .expect("stats")
            .record((now - send_start_ms) as i32, bytes, now);
    }

    /// The shared statistics: callbacks lock it (on the client's I/O thread, as in Java), the
    /// main thread prints the total. Leaked, so that callbacks capture a plain reference.
    pub fn shared_stats(num_records: i64) -> &'static Mutex<Stats> {
        Box::leak(Box::new(Mutex::new(Stats::new(num_records, 5000))))
    }

    /// Java's `String.format("%.Nf", v)`: the shortest decimal digits that read back as `v`
    /// (as `Double.toString`), rounded HALF_UP to `prec` decimals; `NaN`, `Infinity`.
    pub fn java_fixed(v: f64, prec: usize) -> String {
        if v.is_nan() {
            return "NaN".into();
        }
        if v.is_infinite() {
            return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
        }
        let sci = format!("{:e}", v.abs());
        let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
        let exp: i64 = exp.parse().expect("{:e} exponent");
        let digits: Vec<u8> = mantissa
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        // Digit k weighs 10^(exp - k); keep those weighing at least 10^-prec.
        let keep = exp + prec as i64 + 1;
        let mut kept: Vec<u8> = if keep <= 0 {
            Vec::new()
        } else {
            (0..keep as usize)
                .map(|k| digits.get(k).copied().unwrap_or(0))
                .collect()
        };
        let round_up = keep >= 0 && digits.get(keep as usize).is_some_and(|d| *d >= 5);
        if round_up {
            let mut k = kept.len();
            loop {
                if k == 0 {
                    kept.insert(0, 1);
                    break;
                }
                k -= 1;
                if kept[k] == 9 {
                    kept[k] = 0;
                } else {
                    kept[k] += 1;
                    break;
                }
            }
        }
        while kept.len() < prec + 1 {
            kept.insert(0, 0);
        }
        let int_len = kept.len() - prec;
        let mut s = String::with_capacity(kept.len() + 2);
        if v.is_sign_negative() {
            s.push('-');
        }
        for (k, d) in kept.iter().enumerate() {
            if k == int_len {
                s.push('.');
            }
            s.push((b'0' + d) as char);
        }
        s
    }

    /// Java's `ThroughputThrottler` (message throughput).
    #[derive(Debug)]
    pub struct Throttler {
        start_ms: i64,
        sleep_time_ns: i64,
        target: f64,
        sleep_deficit_ns: i64,
    }

    const MIN_SLEEP_NS: i64 = 2_000_000;

    impl Throttler {
        /// `new ThroughputThrottler(target, startMs)`.
        pub fn new(target: f64, start_ms: i64) -> Throttler {
            Throttler {
                start_ms,
                sleep_time_ns: if target > 0.0 {
                    (1e9 / target) as i64
                } else {
                    i64::MAX
                },
                target,
                sleep_deficit_ns: 0,
            }
        }

        /// `shouldThrottle(amountSoFar, sendStartMs)`.
        pub fn should_throttle(&self, amount_so_far: i64, send_start_ms: i64) -> bool {
            if self.target < 0.0 {
                return false;
            }
            let elapsed_sec = (send_start_ms - self.start_ms) as f32 / 1000.0f32;
            elapsed_sec > 0.0 && (amount_so_far as f64 / f64::from(elapsed_sec)) > self.target
        }

        /// `throttle()`: sleeps once the deficit reaches 2 ms (forever for a target of 0).
        pub fn throttle(&mut self) {
            if self.target == 0.0 {
                loop {
                    std::thread::park();
                }
            }
            self.sleep_deficit_ns = self.sleep_deficit_ns.saturating_add(self.sleep_time_ns);
            if self.sleep_deficit_ns >= MIN_SLEEP_NS {
                let start = Instant::now();
                loop {
                    let remaining = self.sleep_deficit_ns - start.elapsed().as_nanos() as i64;
                    if remaining <= 0 {
                        break;
                    }
                    std::thread::sleep(Duration::from_nanos(remaining as u64));
                }
                self.sleep_deficit_ns = 0;
            }
        }
    }

    /// Java's `ToolsUtils.printMetrics`: a header, then `name : value` sorted by name, names
    /// padded to the longest.
    pub fn print_metrics(metrics: &[(String, String)]) {
        if metrics.is_empty() {
            return;
        }
        let mut sorted = metrics.to_vec();
        sorted.sort();
        let w = sorted.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        println!("\n{:<w$}   Value", "Metric Name");
        for (n, v) in sorted {
            println!("{n:<w$} : {v}");
        }
    }

    /// CPU time (user + system, from `/proc/self/task/*/schedstat`) of each thread of this
    /// process: (thread name, seconds), sorted by name.
    pub fn thread_cpu_times() -> Vec<(String, f64)> {
        let mut out = Vec::new();
        if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
            for entry in dir.flatten() {
                let p = entry.path();
                let name = std::fs::read_to_string(p.join("comm")).unwrap_or_default();
                let ns = std::fs::read_to_string(p.join("schedstat"))
                    .ok()
                    .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
                    .unwrap_or(0);
                out.push((name.trim().to_string(), ns as f64 / 1e9));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// CPU time (user + system, from `/proc/thread-self/schedstat`) of the calling thread, in
    /// seconds (0 when unreadable).
    pub fn current_thread_cpu_time() -> f64 {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0.0, |ns| ns as f64 / 1e9)
    }

    /// The records of each of `threads` caller threads: `num_records` split as evenly as
    /// possible (the first ones get one more), as (first record number, count).
    pub fn split_records(num_records: i64, threads: usize) -> Vec<(i64, i64)> {
        let n = threads as i64;
        let mut first = 0;
        (0..n)
            .map(|k| {
                let count = num_records / n + i64::from(k < num_records % n);
                let range = (first, count);
                first += count;
                range
            })
            .collect()
    }

    /// Pins the calling thread to `cpu` with `taskset -p` (std has no affinity call).
    pub fn pin_current_thread(cpu: usize) {
        let Ok(link) = std::fs::read_link("/proc/thread-self") else {
            return;
        };
        let Some(tid) = link.file_name().and_then(|t| t.to_str()).map(str::to_owned) else {
            return;
        };
        let ok = std::process::Command::new("taskset")
            .args(["-p", "-c", &cpu.to_string(), &tid])
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("warning: could not pin thread {tid} to CPU {cpu} with taskset");
        }
    }
}

const PROG: &str = "producer-performance";

const EXTRA_FLAGS: [perf::ExtraFlag; 5] = [
    perf::ExtraFlag {
        name: "sink",
        takes_value: false,
        help: "produce to an in-process broker that answers at once (client-only measurement)",
    },
    perf::ExtraFlag {
        name: "sink-partitions",
        takes_value: true,
        help: "partitions of the --sink topic (default: 1)",
    },
    perf::ExtraFlag {
        name: "sink-cpu",
        takes_value: true,
        help: "pin the --sink threads to this CPU (with taskset)",
    },
    perf::ExtraFlag {
        name: "threads",
        takes_value: true,
        help: "send from this many threads sharing one producer, --num-records split among \
               them, --throughput the total rate (default: 1)",
    },
    perf::ExtraFlag {
        name: "no-client",
        takes_value: false,
        help: "no client: the tool's own work per record alone (payload, clock reads, \
               statistics, the callback body run at once)",
    },
];

/// Java's `DEFAULT_TRANSACTION_DURATION_MS`.
const DEFAULT_TRANSACTION_DURATION_MS: i64 = 3000;

/// `performance-producer-` and 22 random base64url characters (Java appends
/// `Uuid.randomUuid()`, printed that way); from std's randomly keyed hasher.
fn random_transactional_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut suffix = String::new();
    while suffix.len() < 22 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        let mut bits = h.finish();
        for _ in 0..10.min(22 - suffix.len()) {
            suffix.push(ALPHABET[(bits & 63) as usize] as char);
            bits >>= 6;
        }
    }
    format!("performance-producer-{suffix}")
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("Exception in thread \"main\" {msg}");
    std::process::exit(1);
}

/// The producer's metrics as Java's `ToolsUtils.printMetrics` rows: `group:name:{tags}` and
/// the value with three decimals, sorted by name.
fn metrics_rows(
    metrics: &std::collections::HashMap<
        kafka_producer::metrics::MetricName,
        std::sync::Arc<kafka_producer::metrics::KafkaMetric>,
    >,
) -> Vec<(String, String)> {
    let mut names: Vec<_> = metrics.keys().collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let tags: Vec<String> = n.tags().iter().map(|(k, v)| format!("{k}={v}")).collect();
            (
                format!("{}:{}:{{{}}}", n.group(), n.name(), tags.join(", ")),
                metric_value_text(n, metrics[n].metric_value()),
            )
        })
        .collect()
}

/// A value as Java's `ToolsUtils.printMetrics` prints it: `%.3f` for a `Double` (every
/// measurable stat), `%s` for the one `Long` gauge, `app-info:start-time-ms`.
fn metric_value_text(name: &kafka_producer::metrics::MetricName, value: f64) -> String {
    if name.group() == "app-info" && name.name() == "start-time-ms" {
        format!("{}", value as i64)
    } else {
        perf::java_fixed(value, 3)
    }
}

fn main() {
    // Client logs on stderr, as RUST_LOG says (e.g. RUST_LOG=kafka_producer=info).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args = perf::args_or_exit(PROG, &EXTRA_FLAGS);
    let payloads = perf::Payloads::new(&args).unwrap_or_else(|e| fail(e));
    let mut props = perf::read_props(&args, |path| {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        kafka_producer::config::parse_properties(&text).map_err(|e| format!("{path}: {e}"))
    })
    .unwrap_or_else(|e| fail(e));
    // Java's ConfigPostProcessor: the flag wins over the prop; a random id when neither is set.
    let transaction_duration_ms = args.transactions_requested(&props).then(|| {
        let id = args.transactional_id.clone().unwrap_or_else(|| {
            props
                .iter()
                .rev()
                .find(|(k, _)| k == "transactional.id")
                .map(|(_, v)| v.clone())
                .unwrap_or_else(random_transactional_id)
        });
        props.retain(|(k, _)| k != "transactional.id");
        props.push(("transactional.id".into(), id));
        args.transaction_duration_ms
            .unwrap_or(DEFAULT_TRANSACTION_DURATION_MS)
    });
    let threads: usize = match args.extra("threads") {
        Some(Some(t)) => t
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .unwrap_or_else(|| fail(format!("bad --threads {t}"))),
        _ => 1,
    };
    if threads > 1 && transaction_duration_ms.is_some() {
        fail("--threads above 1 cannot run transactions (a producer has one at a time)");
    }
    if args.extra("no-client").is_some() {
        tool_only(payloads, &args);
        return;
    }
    // Runs until the end of `main`.
    let mut _sink_cluster = None;
    if args.extra("sink").is_some() {
        let partitions = match args.extra("sink-partitions") {
            Some(Some(p)) => p
                .parse()
                .unwrap_or_else(|_| fail(format!("bad --sink-partitions {p}"))),
            _ => 1,
        };
        let cpu = match args.extra("sink-cpu") {
            Some(Some(c)) => Some(
                c.parse()
                    .unwrap_or_else(|_| fail(format!("bad --sink-cpu {c}"))),
            ),
            _ => None,
        };
        // The mock cluster in sink mode: no records kept, no sequence checks.
        let mut builder = kafka_producer::mock::MockCluster::builder()
            .store_records(false)
            .check_sequences(false);
        if let Some(cpu) = cpu {
            builder = builder.on_thread_start(move || perf::pin_current_thread(cpu));
        }
        let cluster = builder
            .try_build()
            .unwrap_or_else(|e| fail(format!("cannot start the sink: {e}")));
        cluster.create_topic(&args.topic, partitions);
        props.retain(|(k, _)| k != "bootstrap.servers");
        props.push(("bootstrap.servers".into(), cluster.bootstrap_servers()));
        _sink_cluster = Some(cluster);
    }
    let config = ProducerConfig::from_properties(props.iter().map(|(k, v)| (k, v)))
        .unwrap_or_else(|e| fail(e));
    // The value is an Arc<[u8]>, which ByteArraySerializer hands to the batch as it is.
    let producer: KafkaProducer<Vec<u8>, Arc<[u8]>> =
        KafkaProducer::new(config, ByteArraySerializer, ByteArraySerializer)
            .unwrap_or_else(|e| fail(e));

    if transaction_duration_ms.is_some() {
        producer.init_transactions().unwrap_or_else(|e| fail(e));
    }

    let stats: &'static Mutex<perf::Stats> = perf::shared_stats(args.num_records);
    #[cfg(feature = "lock-stats")]
    kafka_producer::producer::lock_stats::reset();
    let start_ms = perf::now_ms();
    // --threads: thread 0 is this one; the others share the producer by reference.
    let shares = perf::split_records(args.num_records, threads);
    let share_throughput = |count: i64| {
        if args.throughput > 0.0 {
            args.throughput * count as f64 / args.num_records as f64
        } else {
            args.throughput
        }
    };
    let caller_cpu: Vec<(String, f64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .iter()
            .enumerate()
            .skip(1)
            .map(|(k, &(first, count))| {
                let name = format!("perf-caller-{k}");
                let (producer, args) = (&producer, &args);
                let payloads = payloads.for_thread(k);
                let throughput = share_throughput(count);
                std::thread::Builder::new()
                    .name(name.clone())
                    .spawn_scoped(scope, move || {
                        let caller = Caller {
                            producer,
                            topic: Arc::from(args.topic.as_str()),
                            stats,
                            start_ms,
                            transaction_duration_ms: None,
                        };
                        caller.send_records(payloads, first, count, throughput);
                        (name, perf::current_thread_cpu_time())
                    })
                    .unwrap_or_else(|e| fail(format!("cannot start a caller thread: {e}")))
            })
            .collect();
        let caller = Caller {
            producer: &producer,
            topic: Arc::from(args.topic.as_str()),
            stats,
            start_ms,
            transaction_duration_ms,
        };
        let (first, count) = shares[0];
        caller.send_records(payloads, first, count, share_throughput(count));
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| fail("a caller thread panicked"))
            })
            .collect()
    });

    let sink = args.extra("sink").is_some();
    if !args.print_metrics && !sink {
        producer.close();
        stats.lock().expect("stats").print_total();
    } else {
        // With --sink: flush first, so that the threads' CPU times are read while they run.
        if let Err(e) = producer.flush() {
            eprintln!("flush failed: {e}");
        }
        if sink {
            let mut times = perf::thread_cpu_times();
            times.extend(caller_cpu);
            times.sort_by(|a, b| a.0.cmp(&b.0));
            let total: f64 = times.iter().map(|(_, s)| s).sum();
            let list: Vec<String> = times.iter().map(|(n, s)| format!("{n} {s:.3} s")).collect();
            eprintln!("thread CPU: {} (total {total:.3} s)", list.join(", "));
        }
        stats.lock().expect("stats").print_total();
        if args.print_metrics {
            perf::print_metrics(&metrics_rows(&producer.metrics()));
        }
        producer.close();
    }
    #[cfg(feature = "lock-stats")]
    print_lock_stats(args.num_records);
}

/// `--no-client`: what the send loops of [`Caller::send_records`] and of `rdkafka_perf` share,
/// with the body of the callback run at once and no client: the per-record work both clients'
/// figures include (the payload, two clock reads, the statistics). No record is built (ours
/// builds a `ProducerRecord`, `rdkafka_perf` a borrowing `BaseRecord`). Prints the summary line,
/// and the CPU time per million records on stderr.
fn tool_only(mut payloads: perf::Payloads, args: &perf::Args) {
    let stats = perf::shared_stats(args.num_records);
    let start_ms = perf::now_ms();
    let mut throttler = perf::Throttler::new(args.throughput, start_ms);
    for i in 0..args.num_records {
        let payload = payloads.next(i);
        let bytes = payload.len() as i32;
        let send_start_ms = perf::now_ms();
        drop(std::hint::black_box(payload));
        perf::record_acked(stats, send_start_ms, bytes);
        if throttler.should_throttle(i, send_start_ms) {
            throttler.throttle();
        }
    }
    stats.lock().expect("stats").print_total();
    let cpu: f64 = perf::thread_cpu_times().iter().map(|(_, s)| s).sum();
    eprintln!(
        "tool only: {cpu:.3} CPU-s, {:.3} CPU-s per million records",
        cpu * 1e6 / args.num_records.max(1) as f64
    );
}

/// One caller thread's view of the run.
struct Caller<'a> {
    producer: &'a KafkaProducer<Vec<u8>, Arc<[u8]>>,
    /// Shared by every record, as Java's tool passes one `String` (no copy per record).
    topic: Arc<str>,
    stats: &'static Mutex<perf::Stats>,
    start_ms: i64,
    /// `Some`: transactions (one caller thread only).
    transaction_duration_ms: Option<i64>,
}

impl Caller<'_> {
    /// Java's send loop: records `first..first + count` (their numbers matter only for
    /// `--payload-monotonic`), paced at `throughput` records/s, the transactions begun and
    /// committed as Java's tool does.
    fn send_records(&self, mut payloads: perf::Payloads, first: i64, count: i64, throughput: f64) {
        let producer = self.producer;
        let stats = self.stats;
        let mut throttler = perf::Throttler::new(throughput, self.start_ms);
        let mut current_transaction_size = 0u64;
        let mut transaction_start_ms = 0;
        for i in 0..count {
            let payload = payloads.next(first + i);
            if self.transaction_duration_ms.is_some() && current_transaction_size == 0 {
                producer.begin_transaction().unwrap_or_else(|e| fail(e));
                transaction_start_ms = perf::now_ms();
            }
            let bytes = payload.len() as i32;
            let record = ProducerRecord::new(self.topic.clone(), payload);
            let send_start_ms = perf::now_ms();
            producer.send_with_callback(record, move |result| match result {
                Ok(_) => perf::record_acked(stats, send_start_ms, bytes),
                Err(e) => eprintln!("{e}"),
            });
            current_transaction_size += 1;
            if let Some(duration) = self.transaction_duration_ms {
                if duration <= send_start_ms - transaction_start_ms {
                    producer.commit_transaction().unwrap_or_else(|e| fail(e));
                    current_transaction_size = 0;
                }
            }
            if throttler.should_throttle(i, send_start_ms) {
                throttler.throttle();
            }
        }
        if self.transaction_duration_ms.is_some() && current_transaction_size != 0 {
            producer.commit_transaction().unwrap_or_else(|e| fail(e));
        }
    }
}

/// The `lock-stats` lines on stderr: one for the partition queues' mutexes, one for the buffer
/// pool's, raw counts then per record.
#[cfg(feature = "lock-stats")]
fn print_lock_stats(records: i64) {
    let s = kafka_producer::producer::lock_stats::read();
    for (name, c) in [("deques", s.deques), ("pool", s.pool)] {
        eprintln!(
            "lock-stats {name} acquisitions={} contended={} wait_ns={} hold_ns={} \
             max_wait_ns={} max_hold_ns={} (per record {:.3} acquisitions; {:.3} % contended; \
             mean wait {:.1} ns, {:.0} ns when contended; mean hold {:.1} ns)",
            c.acquisitions,
            c.contended,
            c.wait_ns,
            c.hold_ns,
            c.max_wait_ns,
            c.max_hold_ns,
            c.acquisitions as f64 / records as f64,
            100.0 * c.contended_fraction(),
            c.mean_wait_ns(),
            c.mean_contended_wait_ns(),
            c.mean_hold_ns(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::perf::*;

    #[test]
    fn java_number_format() {
        // Expected strings from Java 17's String.format("%.1f|%.2f|%f", v, v, v).
        let cases: [(f64, &str); 16] = [
            (0.25, "0.3|0.25|0.250000"),
            (0.15, "0.2|0.15|0.150000"),
            (0.35, "0.4|0.35|0.350000"),
            (2.675, "2.7|2.68|2.675000"),
            (1.005, "1.0|1.01|1.005000"),
            (0.05, "0.1|0.05|0.050000"),
            (123456.789, "123456.8|123456.79|123456.789000"),
            (
                1e20,
                "100000000000000000000.0|100000000000000000000.00|100000000000000000000.000000",
            ),
            (0.0, "0.0|0.00|0.000000"),
            (f64::INFINITY, "Infinity|Infinity|Infinity"),
            (f64::NAN, "NaN|NaN|NaN"),
            (1234567.8765432, "1234567.9|1234567.88|1234567.876543"),
            (0.125, "0.1|0.13|0.125000"),
            (9.995, "10.0|10.00|9.995000"),
            (99.95, "100.0|99.95|99.950000"),
            (0.45, "0.5|0.45|0.450000"),
        ];
        for (v, want) in cases {
            let got = format!(
                "{}|{}|{}",
                java_fixed(v, 1),
                java_fixed(v, 2),
                java_fixed(v, 6)
            );
            assert_eq!(got, want, "{v}");
        }
        assert_eq!(java_fixed(0.04, 1), "0.0");
        assert_eq!(java_fixed(0.004, 2), "0.00");
        assert_eq!(java_fixed(0.005, 2), "0.01");
        assert_eq!(java_fixed(0.0005, 2), "0.00");
    }

    #[test]
    fn splittable_random_matches_java() {
        // Java: new SplittableRandom(0), 40 × (char) (nextInt(26) + 65).
        let mut r = SplittableRandom::new(0);
        let s: String = (0..40)
            .map(|_| (r.next_int_bounded(26) + 65) as u8 as char)
            .collect();
        assert_eq!(s, "YQHHNEBSEPDNSEIFGAMSUJXKOLTXSPLGHDIOYZJF");
        let mut r = SplittableRandom::new(0);
        let mut buf = [0u8; 40];
        r.fill_uppercase(&mut buf[..17]);
        r.fill_uppercase(&mut buf[17..]);
        assert_eq!(&buf[..], s.as_bytes());
        // Java: nextInt(7), nextInt(1000), nextInt(3) -> 6 396 0.
        let mut r = SplittableRandom::new(0);
        assert_eq!(
            [
                r.next_int_bounded(7),
                r.next_int_bounded(1000),
                r.next_int_bounded(3)
            ],
            [6, 396, 0]
        );
    }

    #[test]
    fn percentiles_as_java() {
        let mut l: Vec<i32> = (0..=1000).rev().collect();
        l.push(0);
        assert_eq!(
            percentiles(&mut l, 1001, &[0.5, 0.95, 0.99, 0.999]),
            [500, 950, 990, 999]
        );
        let mut empty = vec![0];
        assert_eq!(percentiles(&mut empty, 0, &[0.5]), [0]);
    }

    #[test]
    fn arguments() {
        let argv: Vec<String> = "--topic t --num-records 10 --record-size 100 --throughput -1 \
                                 --producer-props bootstrap.servers=h:1 acks=all --sink"
            .split(' ')
            .map(String::from)
            .collect();
        let extra = [ExtraFlag {
            name: "sink",
            takes_value: false,
            help: "",
        }];
        let a = parse_args(&argv, &extra).unwrap().unwrap();
        assert_eq!(a.topic, "t");
        assert_eq!(a.payload, PayloadSource::RecordSize(100));
        assert_eq!(a.throughput, -1.0);
        assert_eq!(a.payload_delimiter, "\n");
        assert!(a.extra("sink").is_some());
        let props = read_props(&a, |_| Ok(vec![])).unwrap();
        assert_eq!(
            props,
            [
                ("bootstrap.servers".to_string(), "h:1".to_string()),
                ("acks".into(), "all".into()),
                ("client.id".into(), "perf-producer-client".into())
            ]
        );
        let bad: Vec<String> = ["--topic", "t", "--num-records", "1", "--throughput", "1"]
            .map(String::from)
            .to_vec();
        assert!(
            parse_args(&bad, &[])
                .unwrap_err()
                .contains("one of the arguments")
        );
        let both: Vec<String> = [
            "--topic",
            "t",
            "--num-records",
            "1",
            "--record-size",
            "1",
            "--payload-monotonic",
            "--throughput",
            "1",
        ]
        .map(String::from)
        .to_vec();
        assert!(parse_args(&both, &[]).unwrap_err().contains("not allowed"));
    }

    #[test]
    fn threads_split_the_records() {
        assert_eq!(split_records(10, 1), [(0, 10)]);
        assert_eq!(split_records(10, 4), [(0, 3), (3, 3), (6, 2), (8, 2)]);
        assert_eq!(split_records(2, 3), [(0, 1), (1, 1), (2, 0)]);
        let total: i64 = split_records(1_000_003, 8).iter().map(|(_, n)| n).sum();
        assert_eq!(total, 1_000_003);
    }

    #[test]
    fn thread_payloads() {
        let argv: Vec<String> = "--topic t --num-records 10 --record-size 8 --throughput -1 \
                                 --producer-props bootstrap.servers=h:1"
            .split(' ')
            .map(String::from)
            .collect();
        let a = parse_args(&argv, &[]).unwrap().unwrap();
        let mut main = Payloads::new(&a).unwrap();
        let mut t0 = main.for_thread(0);
        let mut t1 = main.for_thread(1);
        let first = main.next(0);
        // Thread 0 draws what the single thread draws; thread 1 its own sequence.
        assert_eq!(&*first, &*t0.next(0));
        assert_eq!(&*first, b"YQHHNEBS");
        let other = t1.next(0);
        assert_eq!(other.len(), 8);
        assert_ne!(&*first, &*other);
    }

    #[test]
    fn window_line_format() {
        let mut s = Stats::new(10, 5000);
        s.record(3, 100, 0);
        let line = s.total_line();
        assert!(line.starts_with("1 records sent, "), "{line}");
        assert!(line.ends_with(" ms avg latency, 3.00 ms max latency, 3 ms 50th, 3 ms 95th, 3 ms 99th, 3 ms 99.9th."), "{line}");
    }
}
