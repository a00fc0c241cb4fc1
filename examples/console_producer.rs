//! `console_producer`: Kafka's `kafka-console-producer` (`org.apache.kafka.tools.ConsoleProducer`
//! with its default `LineMessageReader`, Kafka 4.1.1) on this crate: one record per line of
//! standard input, keys and values as bytes (`ByteArraySerializer`).
//!
//! ```text
//! cargo run --example console_producer -- --bootstrap-server 127.0.0.1:9092 --topic demo \
//!     --property parse.key=true --property parse.headers=true
//! h1:v1,h2:v2<TAB>key<TAB>value
//! ```
//!
//! The flags are Java's, with Java's meanings and defaults (`--help` lists them):
//! `--bootstrap-server`, `--topic`, `--sync`, `--compression-codec [CODEC]` (without a value:
//! gzip), `--batch-size`, `--max-partition-memory-bytes`, `--message-send-max-retries`,
//! `--retry-backoff-ms`, `--timeout` (linger.ms, default 1000), `--request-required-acks`
//! (default -1), `--request-timeout-ms` (default 1500), `--metadata-expiry-ms`, `--max-block-ms`,
//! `--max-memory-bytes`, `--socket-buffer-size`, `--producer-property k=v`, `--producer.config
//! FILE`, `--property k=v`, `--reader-config FILE`, `--line-reader` (only
//! `org.apache.kafka.tools.LineMessageReader`). `--opt=value` works too.
//!
//! The producer properties are built as Java's `producerProps()`: the `--producer.config` file,
//! then the `--producer-property` pairs over it, then `bootstrap.servers` from
//! `--bootstrap-server` and `compression.type` from `--compression-codec` (always: a
//! `compression.type` in the file or a `--producer-property` is overridden, `none` by default,
//! as in Java), `client.id=console-producer` if none was given; then every flag given explicitly
//! overrides its producer setting, and a flag not given sets its default only where the key is
//! still unset. `key.serializer` / `value.serializer` from the file are ignored (Java forces
//! `ByteArraySerializer`; here keys and values are always bytes).
//!
//! The reader properties (`--reader-config FILE`, then `--property k=v`) are
//! `LineMessageReader`'s: `parse.key` (false), `key.separator` (`\t`), `parse.headers` (false),
//! `headers.delimiter` (`\t`), `headers.separator` (`,`), `headers.key.separator` (`:`),
//! `null.marker` (unset: a key, value or header value equal to it is sent as null) and
//! `ignore.error` (false). A line is `HEADERS<headers.delimiter>KEY<key.separator>VALUE` (each
//! part only when parsed). A line without a separator fails the tool (`No key separator found on
//! line number N: '...'`; what was sent before is flushed, exit status 1) unless `ignore.error`:
//! then the part is taken as absent (a null key, no headers) and the rest of the line is the
//! value. Lines end at `\n`, `\r` or `\r\n` (Java's `readLine`), the input is read as UTF-8
//! (malformed bytes become U+FFFD).
//!
//! Each record is sent with `send_with_callback`; a failed send prints Java's
//! `ErrorLoggingCallback` line to stderr (`Error when sending message to topic T with key: N
//! bytes, value: M bytes with error: ...`). With `--sync` each send waits for its
//! acknowledgement and a failure ends the tool with status 1. At end of input the producer is
//! flushed and closed.
//!
//! Differences from Java: `--bootstrap-server` may be left out when `bootstrap.servers` comes from
//! `--producer.config` or `--producer-property`; `headers.separator` is a literal string, not a
//! Java regex (the same for separators without regex metacharacters); `--help` prints to stdout
//! and exits 0 (Java: stderr, status 1); long options cannot be abbreviated; Ctrl-C stops the
//! tool without flushing (Java's shutdown hook closes the producer).

use kafka_producer::producer::serializer::ByteArraySerializer;
use kafka_producer::{Header, KafkaProducer, ProducerConfig, ProducerRecord};
use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

const USAGE: &str = "\
This tool helps to read data from standard input and publish it to Kafka.
Usage: console_producer --bootstrap-server HOST:PORT --topic TOPIC [OPTIONS]

Option                                   Description
------                                   -----------
--batch-size <Integer: size>             batch.size (default: 16384)
--bootstrap-server <String: server>      REQUIRED (unless bootstrap.servers is in
                                           --producer.config / --producer-property):
                                           HOST1:PORT1,HOST2:PORT2
--compression-codec [String]             none, gzip, snappy, lz4 or zstd; without a
                                           value: gzip (default: none)
--help                                   Print usage information.
--line-reader <String: reader_class>     Only org.apache.kafka.tools.LineMessageReader
--max-block-ms <Long>                    max.block.ms (default: 60000)
--max-memory-bytes <Long>                buffer.memory (default: 33554432)
--max-partition-memory-bytes <Integer>   batch.size (default: 16384)
--message-send-max-retries <Integer>     retries (default: 3)
--metadata-expiry-ms <Long>              metadata.max.age.ms (default: 300000)
--producer-property <String: k=v>        A producer property (repeatable).
--producer.config <String: file>         Producer config properties file; --producer-property
                                           takes precedence over it.
--property <String: k=v>                 A reader property (repeatable):
                                          parse.key=false
                                          parse.headers=false
                                          ignore.error=false
                                          key.separator=\\t
                                          headers.delimiter=\\t
                                          headers.separator=,
                                          headers.key.separator=:
                                          null.marker=   When set, any fields (key, value and
                                           headers) equal to this will be replaced by null
                                         Default parsing pattern when:
                                          parse.headers=true and parse.key=true:
                                           \"h1:v1,h2:v2...\\tkey\\tvalue\"
                                          parse.key=true:
                                           \"key\\tvalue\"
                                          parse.headers=true:
                                           \"h1:v1,h2:v2...\\tvalue\"
--reader-config <String: file>           Reader properties file; --property takes precedence.
--request-required-acks <String>         acks (default: -1)
--request-timeout-ms <Integer>           request.timeout.ms (default: 1500)
--retry-backoff-ms <Long>                retry.backoff.ms (default: 100)
--socket-buffer-size <Integer: size>     send.buffer.bytes (default: 102400)
--sync                                   Send synchronously, one record at a time.
--timeout <Long: timeout_ms>             linger.ms (default: 1000)
--topic <String: topic>                  REQUIRED: The topic name to produce messages to.
--version                                Display the crate version.
";

/// A flag that maps onto one producer setting (Java's `maybeMergeOptions`).
struct MergedFlag {
    flag: &'static str,
    key: &'static str,
    default: &'static str,
    /// Java's option type, for the "Cannot parse argument" check.
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Long,
    Str,
}

/// In Java's `producerProps()` order (`--max-partition-memory-bytes` after `--batch-size`: the
/// later one wins when both are given).
const MERGED: &[MergedFlag] = &[
    MergedFlag {
        flag: "timeout",
        key: "linger.ms",
        default: "1000",
        kind: Kind::Long,
    },
    MergedFlag {
        flag: "request-required-acks",
        key: "acks",
        default: "-1",
        kind: Kind::Str,
    },
    MergedFlag {
        flag: "request-timeout-ms",
        key: "request.timeout.ms",
        default: "1500",
        kind: Kind::Int,
    },
    MergedFlag {
        flag: "message-send-max-retries",
        key: "retries",
        default: "3",
        kind: Kind::Int,
    },
    MergedFlag {
        flag: "retry-backoff-ms",
        key: "retry.backoff.ms",
        default: "100",
        kind: Kind::Long,
    },
    MergedFlag {
        flag: "socket-buffer-size",
        key: "send.buffer.bytes",
        default: "102400",
        kind: Kind::Int,
    },
    MergedFlag {
        flag: "max-memory-bytes",
        key: "buffer.memory",
        default: "33554432",
        kind: Kind::Long,
    },
    MergedFlag {
        flag: "batch-size",
        key: "batch.size",
        default: "16384",
        kind: Kind::Int,
    },
    MergedFlag {
        flag: "max-partition-memory-bytes",
        key: "batch.size",
        default: "16384",
        kind: Kind::Int,
    },
    MergedFlag {
        flag: "metadata-expiry-ms",
        key: "metadata.max.age.ms",
        default: "300000",
        kind: Kind::Long,
    },
    MergedFlag {
        flag: "max-block-ms",
        key: "max.block.ms",
        default: "60000",
        kind: Kind::Long,
    },
];

const LINE_READER: &str = "org.apache.kafka.tools.LineMessageReader";

#[derive(Default)]
struct Args {
    topic: Option<String>,
    bootstrap: Option<String>,
    sync: bool,
    /// `Some("")` when given without a value.
    compression: Option<String>,
    producer_config: Option<String>,
    producer_properties: Vec<String>,
    reader_config: Option<String>,
    properties: Vec<String>,
    /// Explicitly given merged flags: name -> value (the last one given).
    merged: HashMap<&'static str, String>,
    help: bool,
    version: bool,
}

/// What ends the tool before any record is read.
enum Usage {
    /// Bad usage: the message, then the usage text, on stderr; status 1.
    Bad(String),
    /// Any other error (a file, the configuration): the message alone; status 1.
    Error(String),
}

fn parse_args(argv: impl IntoIterator<Item = String>) -> Result<Args, Usage> {
    let mut args = Args::default();
    let mut it = argv.into_iter().peekable();
    while let Some(arg) = it.next() {
        let Some(long) = arg.strip_prefix("--") else {
            return Err(Usage::Bad(format!("unexpected argument '{arg}'")));
        };
        let (name, inline) = match long.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (long.to_string(), None),
        };
        // A flag without a value.
        let no_value = |what: &mut bool| -> Result<(), Usage> {
            if inline.is_some() {
                return Err(Usage::Bad(format!(
                    "Option {name} does not take an argument"
                )));
            }
            *what = true;
            Ok(())
        };
        match name.as_str() {
            "help" => no_value(&mut args.help)?,
            "version" => no_value(&mut args.version)?,
            "sync" => no_value(&mut args.sync)?,
            "compression-codec" => {
                // An optional argument: the next word unless it is an option.
                let value = match inline {
                    Some(v) => v,
                    None => match it.peek() {
                        Some(next) if !next.starts_with('-') => it.next().unwrap_or_default(),
                        _ => String::new(),
                    },
                };
                args.compression = Some(value);
            }
            _ => {
                const WITH_VALUE: &[&str] = &[
                    "topic",
                    "bootstrap-server",
                    "producer.config",
                    "producer-property",
                    "reader-config",
                    "property",
                    "line-reader",
                ];
                if !WITH_VALUE.contains(&name.as_str()) && !MERGED.iter().any(|m| m.flag == name) {
                    return Err(Usage::Bad(format!("{name} is not a recognized option")));
                }
                let value = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .ok_or_else(|| Usage::Bad(format!("Option {name} requires an argument")))?,
                };
                match name.as_str() {
                    "topic" => args.topic = Some(value),
                    "bootstrap-server" => args.bootstrap = Some(value),
                    "producer.config" => args.producer_config = Some(value),
                    "producer-property" => args.producer_properties.push(value),
                    "reader-config" => args.reader_config = Some(value),
                    "property" => args.properties.push(value),
                    "line-reader" => {
                        if value != LINE_READER {
                            return Err(Usage::Error(format!(
                                "--line-reader {value}: only {LINE_READER} is supported"
                            )));
                        }
                    }
                    other => {
                        let m = MERGED
                            .iter()
                            .find(|m| m.flag == other)
                            .expect("a known option (checked above)");
                        let ok = match m.kind {
                            Kind::Int => value.parse::<i32>().is_ok(),
                            Kind::Long => value.parse::<i64>().is_ok(),
                            Kind::Str => true,
                        };
                        if !ok {
                            return Err(Usage::Bad(format!(
                                "Cannot parse argument '{value}' of option {other}"
                            )));
                        }
                        args.merged.insert(m.flag, value);
                    }
                }
            }
        }
    }
    Ok(args)
}

/// Java's `parseKeyValueArgs`: `k=v` split at the first `=`; a missing value is "".
fn key_values(pairs: &[String]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.clone(), String::new()),
        })
        .collect()
}

fn read_properties_file(path: &str) -> Result<Vec<(String, String)>, Usage> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Usage::Error(format!("{path}: cannot read the properties file: {e}")))?;
    kafka_producer::config::parse_properties(&text)
        .map_err(|e| Usage::Error(format!("{path}: {e}")))
}

/// An ordered property map where a later `put` replaces an earlier value (Java `Properties`).
#[derive(Default)]
struct Props(Vec<(String, String)>);

impl Props {
    fn put(&mut self, key: &str, value: &str) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.to_string(),
            None => self.0.push((key.to_string(), value.to_string())),
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }
}

/// Java's `ToolsUtils.validateBootstrapServer`: every comma-separated entry has a port. As
/// Java's `split(",")`, trailing empty entries (`a:9092,`) are dropped; the entries are
/// returned, for `bootstrap.servers`.
fn validate_bootstrap(servers: &str) -> Result<String, Usage> {
    if servers.trim().is_empty() {
        return Err(Usage::Bad(
            "Error while validating the bootstrap address".into(),
        ));
    }
    let entries = java_split(servers, ",");
    let valid = !entries.is_empty()
        && entries.iter().all(|hp| {
            hp.rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
        });
    if valid {
        Ok(entries.join(","))
    } else {
        Err(Usage::Bad(
            "Please provide valid host:port like host1:9091,host2:9092".into(),
        ))
    }
}

/// Java's `ConsoleProducerOptions.producerProps()` (see the module documentation).
fn producer_props(args: &Args) -> Result<Props, Usage> {
    let mut props = Props::default();
    if let Some(path) = &args.producer_config {
        for (k, v) in read_properties_file(path)? {
            props.put(&k, &v);
        }
    }
    for (k, v) in key_values(&args.producer_properties) {
        props.put(&k, &v);
    }
    match &args.bootstrap {
        Some(bs) => {
            let bs = validate_bootstrap(bs)?;
            props.put("bootstrap.servers", &bs);
        }
        None if props.get("bootstrap.servers").is_none() => {
            return Err(Usage::Bad(
                "Missing required argument \"[bootstrap-server]\"".into(),
            ));
        }
        None => {}
    }
    let codec = match args.compression.as_deref() {
        None => "none",
        Some("") => "gzip",
        Some(c) => c,
    };
    props.put("compression.type", codec);
    if props.get("client.id").is_none() {
        props.put("client.id", "console-producer");
    }
    // Java forces ByteArraySerializer; here the serializers are types, not configuration.
    props.remove("key.serializer");
    props.remove("value.serializer");
    for m in MERGED {
        match args.merged.get(m.flag) {
            Some(v) => props.put(m.key, v),
            None if props.get(m.key).is_none() => props.put(m.key, m.default),
            None => {}
        }
    }
    Ok(props)
}

/// `LineMessageReader`'s settings.
#[derive(Debug, Clone)]
struct ReaderConfig {
    parse_key: bool,
    key_separator: String,
    parse_headers: bool,
    headers_delimiter: String,
    headers_separator: String,
    headers_key_separator: String,
    ignore_error: bool,
    null_marker: Option<String>,
}

impl ReaderConfig {
    /// `LineMessageReader.configure`, with its checks (Java's `KafkaException` messages).
    fn configure(props: &HashMap<String, String>) -> Result<Self, String> {
        let flag = |k: &str| {
            props
                .get(k)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        let string =
            |k: &str, default: &str| props.get(k).cloned().unwrap_or_else(|| default.to_string());
        let c = ReaderConfig {
            parse_key: flag("parse.key"),
            key_separator: string("key.separator", "\t"),
            parse_headers: flag("parse.headers"),
            headers_delimiter: string("headers.delimiter", "\t"),
            headers_separator: string("headers.separator", ","),
            headers_key_separator: string("headers.key.separator", ":"),
            ignore_error: flag("ignore.error"),
            null_marker: props.get("null.marker").cloned(),
        };
        let differ = |a: &str, an: &str, b: &str, bn: &str| {
            if a == b {
                Err(format!("{an} and {bn} may not be equal"))
            } else {
                Ok(())
            }
        };
        let (hd, hs, hk) = (
            &c.headers_delimiter,
            &c.headers_separator,
            &c.headers_key_separator,
        );
        differ(hd, "headers.delimiter", hs, "headers.separator")?;
        differ(hd, "headers.delimiter", hk, "headers.key.separator")?;
        differ(hs, "headers.separator", hk, "headers.key.separator")?;
        if let Some(nm) = &c.null_marker {
            differ(nm, "null.marker", &c.key_separator, "key.separator")?;
            differ(nm, "null.marker", hs, "headers.separator")?;
            differ(nm, "null.marker", hd, "headers.delimiter")?;
            differ(nm, "null.marker", hk, "headers.key.separator")?;
        }
        Ok(c)
    }

    fn is_null(&self, s: &str) -> bool {
        self.null_marker.as_deref() == Some(s)
    }

    /// Java's `parse`: the text from `start` to `demarcation`, `None` when not enabled or (with
    /// `ignore.error`) not found.
    fn part<'a>(
        &self,
        enabled: bool,
        line: &'a str,
        start: usize,
        demarcation: &str,
        name: &str,
        line_number: u64,
    ) -> Result<Option<&'a str>, String> {
        if !enabled {
            return Ok(None);
        }
        match line[start..].find(demarcation) {
            Some(i) => Ok(Some(&line[start..start + i])),
            None if self.ignore_error => Ok(None),
            None => Err(format!(
                "No {name} found on line number {line_number}: '{line}'"
            )),
        }
    }

    /// One line as a record (`LineMessageReader.readRecords`).
    fn record(
        &self,
        topic: &str,
        line: &str,
        line_number: u64,
    ) -> Result<ProducerRecord<Vec<u8>, Vec<u8>>, String> {
        let headers = self.part(
            self.parse_headers,
            line,
            0,
            &self.headers_delimiter,
            "headers delimiter",
            line_number,
        )?;
        let header_offset = headers.map_or(0, |h| h.len() + self.headers_delimiter.len());
        let key = self.part(
            self.parse_key,
            line,
            header_offset,
            &self.key_separator,
            "key separator",
            line_number,
        )?;
        let key_offset = key.map_or(0, |k| k.len() + self.key_separator.len());
        let value = &line[header_offset + key_offset..];

        let mut record = ProducerRecord::new(topic, Vec::new());
        record.value = (!self.is_null(value)).then(|| value.as_bytes().to_vec());
        record.key = key
            .filter(|k| !self.is_null(k))
            .map(|k| k.as_bytes().to_vec());
        if let Some(headers) = headers.filter(|h| !self.is_null(h)) {
            for pair in java_split(headers, &self.headers_separator) {
                record.headers.push(self.header(pair, line_number)?);
            }
        }
        Ok(record)
    }

    /// One `key<headers.key.separator>value` pair (Java's `splitHeaders`).
    fn header(&self, pair: &str, line_number: u64) -> Result<Header, String> {
        let Some(i) = pair.find(&self.headers_key_separator) else {
            if self.ignore_error {
                return Ok(Header::null(pair));
            }
            return Err(format!(
                "No header key separator found in pair '{pair}' on line number {line_number}"
            ));
        };
        let key = &pair[..i];
        if self.is_null(key) {
            return Err(format!(
                "Header keys should not be equal to the null marker '{}' as they can't be null",
                self.null_marker.as_deref().unwrap_or_default()
            ));
        }
        let value = &pair[i + self.headers_key_separator.len()..];
        Ok(if self.is_null(value) {
            Header::null(key)
        } else {
            Header::new(key, value.as_bytes().to_vec())
        })
    }
}

/// Java's `Pattern.split(input)` (limit 0) for a literal separator: no match gives the input
/// itself; a zero-width match at the start adds no leading empty string; trailing empty strings
/// are removed.
fn java_split<'a>(input: &'a str, separator: &str) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let mut last = 0;
    let mut matched = false;
    for (i, m) in input.match_indices(separator) {
        matched = true;
        if i == 0 && m.is_empty() {
            continue;
        }
        if i < last {
            continue;
        }
        parts.push(&input[last..i]);
        last = i + m.len();
    }
    if !matched {
        return vec![input];
    }
    parts.push(&input[last..]);
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// Java's `BufferedReader.readLine` over raw bytes: lines end at `\n`, `\r` or `\r\n`; the last
/// line needs no terminator; `None` at the end.
struct Lines<R> {
    input: R,
    /// The previous line ended with `\r`: a `\n` right after it belongs to it.
    skip_lf: bool,
}

impl<R: BufRead> Lines<R> {
    fn next_line(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        let mut any = false;
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(any.then_some(line));
            }
            let mut start = 0;
            if self.skip_lf {
                self.skip_lf = false;
                if buf[0] == b'\n' {
                    start = 1;
                }
            }
            match buf[start..].iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(i) => {
                    line.extend_from_slice(&buf[start..start + i]);
                    self.skip_lf = buf[start + i] == b'\r';
                    self.input.consume(start + i + 1);
                    return Ok(Some(line));
                }
                None => {
                    line.extend_from_slice(&buf[start..]);
                    any |= buf.len() > start;
                    let n = buf.len();
                    self.input.consume(n);
                }
            }
        }
    }
}

/// Java's `ErrorLoggingCallback` text for a failed send.
fn size(bytes: Option<&Vec<u8>>) -> String {
    bytes.map_or_else(|| "null".to_string(), |b| format!("{} bytes", b.len()))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => return usage_error(e),
    };
    if args.help {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if args.version {
        println!("{}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let Some(topic) = args.topic.clone() else {
        return usage_error(Usage::Bad("Missing required argument \"[topic]\"".into()));
    };
    let props = match producer_props(&args) {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };

    // The reader: --reader-config, then topic, then --property (Java's readerProps()).
    let mut reader_props = HashMap::new();
    if let Some(path) = &args.reader_config {
        match read_properties_file(path) {
            Ok(kv) => reader_props.extend(kv),
            Err(e) => return usage_error(e),
        }
    }
    reader_props.insert("topic".to_string(), topic.clone());
    reader_props.extend(key_values(&args.properties));
    let reader = match ReaderConfig::configure(&reader_props) {
        Ok(r) => r,
        Err(e) => return usage_error(Usage::Error(e)),
    };

    let config = match ProducerConfig::from_properties(props.0) {
        Ok(c) => c,
        Err(e) => return usage_error(Usage::Error(e.to_string())),
    };
    let producer = match KafkaProducer::new(config, ByteArraySerializer, ByteArraySerializer) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot create the producer: {e}");
            return ExitCode::FAILURE;
        }
    };

    let status = produce(&producer, &reader, &topic, args.sync);
    // Java's shutdown hook: close() delivers what is buffered (also after a failure).
    if let Err(e) = producer.flush() {
        eprintln!("flush failed: {e}");
    }
    producer.close();
    status
}

/// Reads standard input to its end, one record a line.
fn produce(
    producer: &KafkaProducer<Vec<u8>, Vec<u8>>,
    reader: &ReaderConfig,
    topic: &str,
    sync: bool,
) -> ExitCode {
    // Java prints a prompt when it has a console (System.console() != null).
    let prompt = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let mut lines = Lines {
        input: std::io::stdin().lock(),
        skip_lf: false,
    };
    let mut line_number = 0u64;
    loop {
        line_number += 1;
        if prompt {
            print!(">");
            let _ = std::io::stdout().flush();
        }
        let line = match lines.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => return ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("cannot read standard input: {e}");
                return ExitCode::FAILURE;
            }
        };
        let line = String::from_utf8_lossy(&line);
        let record = match reader.record(topic, &line, line_number) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let (key_size, value_size) = (size(record.key.as_ref()), size(record.value.as_ref()));
        let topic = topic.to_string();
        let describe = move |e: &kafka_producer::Error| {
            format!(
                "Error when sending message to topic {topic} with key: {key_size}, \
                 value: {value_size} with error: {e}"
            )
        };
        if sync {
            if let Err(e) = producer.send(record).get() {
                eprintln!("{}", describe(&e));
                return ExitCode::FAILURE;
            }
        } else {
            producer.send_with_callback(record, move |result| {
                if let Err(e) = result {
                    eprintln!("{}", describe(&e));
                }
            });
        }
    }
}

fn usage_error(e: Usage) -> ExitCode {
    match e {
        Usage::Bad(msg) => eprintln!("{msg}\n{USAGE}"),
        Usage::Error(msg) => eprintln!("{msg}"),
    }
    ExitCode::FAILURE
}
