//! `rdkafka_perf`: `kafka-producer-perf-test` on librdkafka (rust-rdkafka's `ThreadedProducer`),
//! with the flags, workload and output of `examples/producer_perf.rs` (which mirrors Java's
//! `ProducerPerformance`): that file is included as a module and its `perf` part (arguments,
//! statistics, Java's number format, payloads, throttling) is used as is.
//!
//! Java producer properties are mapped to librdkafka's, with Java's defaults where the two
//! differ (see [`librdkafka_config`]); a Java-only property is reported on stderr and skipped.
//!
//! Latency runs from just before `send` to the delivery report, which librdkafka runs on the
//! producer's polling thread (Java runs callbacks on its I/O thread). When librdkafka's queue is
//! full (`queue.buffering.max.kbytes`, mapped from `buffer.memory`), `send` polls for up to 10 ms
//! and tries again, as Java's `send` blocks on `buffer.memory`.

#[path = "../../../examples/producer_perf.rs"]
#[allow(dead_code)]
mod producer_perf;

use producer_perf::perf;
use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::statistics::Statistics;
use rdkafka::util::Timeout;
use std::sync::Mutex;
use std::time::Duration;

const PROG: &str = "rdkafka-producer-performance";

/// Java keys librdkafka has no counterpart for: skipped with a note.
const JAVA_ONLY: &[&str] = &[
    "max.block.ms",
    "partitioner.class",
    "partitioner.adaptive.partitioning.enable",
    "partitioner.availability.timeout.ms",
    "partitioner.ignore.keys",
    "metadata.max.idle.ms",
    "metadata.recovery.rebootstrap.trigger.ms",
    "socket.connection.setup.timeout.max.ms",
    "interceptor.classes",
    "metric.reporters",
    "metrics.num.samples",
    "metrics.sample.window.ms",
    "metrics.recording.level",
    "transaction.timeout.ms",
];

/// Java producer properties → librdkafka configuration.
///
/// Same names: `bootstrap.servers`, `client.id`, `acks`, `linger.ms`, `batch.size`,
/// `compression.type`, `enable.idempotence`, `max.in.flight.requests.per.connection`,
/// `retries`, `retry.backoff.ms`, `retry.backoff.max.ms`, `request.timeout.ms`,
/// `delivery.timeout.ms`, `metadata.max.age.ms`, `reconnect.backoff.ms`,
/// `reconnect.backoff.max.ms`, `connections.max.idle.ms`, `security.protocol`, ...
/// Renamed: `buffer.memory` → `queue.buffering.max.kbytes` (/1024), `max.request.size` →
/// `message.max.bytes`, `send.buffer.bytes` / `receive.buffer.bytes` →
/// `socket.{send,receive}.buffer.bytes`, `compression.<codec>.level` → `compression.level`.
///
/// Java defaults where librdkafka's differ: `batch.size` 16384 (librdkafka: 1000000),
/// `delivery.timeout.ms` 120000 (300000), `max.in.flight.requests.per.connection` 5 (1000000),
/// `queue.buffering.max.kbytes` 32768 (buffer.memory 32 MiB; librdkafka: 1 GiB),
/// `enable.idempotence` true unless acks≠all, retries=0 or more than 5 requests in flight
/// (librdkafka: false). `batch.num.messages` is raised to 1000000 so that `batch.size` decides,
/// and `queue.buffering.max.messages` to 10000000 so that the byte bound decides.
pub fn librdkafka_config(props: &[(String, String)]) -> (ClientConfig, Vec<String>) {
    let get = |k: &str| {
        props
            .iter()
            .rev()
            .find(|(pk, _)| pk == k)
            .map(|(_, v)| v.as_str())
    };
    let mut c = ClientConfig::new();
    let mut notes = Vec::new();
    let codec = get("compression.type")
        .unwrap_or("none")
        .to_ascii_lowercase();
    for (k, v) in props {
        match k.as_str() {
            "buffer.memory" => {
                let kb = v.trim().parse::<u64>().map_or(32768, |b| (b / 1024).max(1));
                c.set("queue.buffering.max.kbytes", kb.to_string());
            }
            "max.request.size" => {
                c.set("message.max.bytes", v);
            }
            "send.buffer.bytes" => {
                c.set("socket.send.buffer.bytes", v);
            }
            "receive.buffer.bytes" => {
                c.set("socket.receive.buffer.bytes", v);
            }
            "compression.gzip.level" | "compression.lz4.level" | "compression.zstd.level" => {
                if k.as_str() == format!("compression.{codec}.level") {
                    c.set("compression.level", v);
                }
            }
            key if JAVA_ONLY.contains(&key) => {
                notes.push(format!("ignoring Java-only producer property {key}={v}"));
            }
            _ => {
                c.set(k, v);
            }
        }
    }
    let defaults = [
        ("batch.size", "16384"),
        ("delivery.timeout.ms", "120000"),
        ("max.in.flight.requests.per.connection", "5"),
        ("linger.ms", "5"),
        ("acks", "all"),
    ];
    for (k, v) in defaults {
        if get(k).is_none() {
            c.set(k, v);
        }
    }
    if get("buffer.memory").is_none() {
        c.set("queue.buffering.max.kbytes", "32768");
    }
    if get("batch.num.messages").is_none() {
        c.set("batch.num.messages", "1000000");
    }
    if get("queue.buffering.max.messages").is_none() {
        c.set("queue.buffering.max.messages", "10000000");
    }
    if get("enable.idempotence").is_none() {
        let acks_all = matches!(get("acks").unwrap_or("all"), "all" | "-1");
        let retries = get("retries").is_none_or(|r| r.trim() != "0");
        let in_flight = get("max.in.flight.requests.per.connection")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .is_none_or(|n| n <= 5);
        let on = acks_all && retries && in_flight;
        c.set("enable.idempotence", if on { "true" } else { "false" });
    }
    (c, notes)
}

/// Delivery reports feed the shared statistics; the latest librdkafka statistics are kept for
/// `--print-metrics`.
struct PerfContext {
    stats: &'static Mutex<perf::Stats>,
    last_statistics: Mutex<Option<Statistics>>,
}

impl ClientContext for PerfContext {
    fn stats(&self, statistics: Statistics) {
        *self.last_statistics.lock().expect("statistics") = Some(statistics);
    }
}

impl ProducerContext for PerfContext {
    /// `(send start in ms) << 32 | payload bytes`: no allocation per record.
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, opaque: usize) {
        match result {
            Ok(_) => {
                let start = (opaque >> 32) as i64;
                let bytes = (opaque & 0xffff_ffff) as i32;
                perf::record_acked(self.stats, start, bytes);
            }
            Err((e, _)) => eprintln!("{e}"),
        }
    }
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("Exception in thread \"main\" {msg}");
    std::process::exit(1);
}

fn main() {
    let args = perf::args_or_exit(PROG, &[]);
    let mut payloads = perf::Payloads::new(&args).unwrap_or_else(|e| fail(e));
    let props = perf::read_props(&args, |path| {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        kafka_producer::config::parse_properties(&text).map_err(|e| format!("{path}: {e}"))
    })
    .unwrap_or_else(|e| fail(e));
    if args.transactions_requested(&props) {
        fail("transactions are not supported by rdkafka_perf");
    }
    let (mut config, notes) = librdkafka_config(&props);
    for n in notes {
        eprintln!("{n}");
    }
    if args.print_metrics {
        config.set("statistics.interval.ms", "1000");
    }
    let stats = perf::shared_stats(args.num_records);
    let context = PerfContext {
        stats,
        last_statistics: Mutex::new(None),
    };
    let producer: ThreadedProducer<PerfContext> = config
        .create_with_context(context)
        .unwrap_or_else(|e| fail(e));

    let start_ms = perf::now_ms();
    let mut throttler = perf::Throttler::new(args.throughput, start_ms);
    for i in 0..args.num_records {
        let payload = payloads.next(i);
        let send_start_ms = perf::now_ms();
        let opaque = ((send_start_ms as usize) << 32) | (payload.len() & 0xffff_ffff);
        let mut record =
            BaseRecord::<[u8], [u8], usize>::with_opaque_to(&args.topic, opaque).payload(&payload);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    producer.poll(Duration::from_millis(10));
                }
                Err((e, _)) => {
                    eprintln!("{e}");
                    break;
                }
            }
        }
        if throttler.should_throttle(i, send_start_ms) {
            throttler.throttle();
        }
    }

    // Java's close() / flush() wait for every record; dropping a rust-rdkafka producer purges.
    if let Err(e) = producer.flush(Timeout::Never) {
        eprintln!("flush: {e}");
    }
    stats.lock().expect("stats").print_total();
    if args.print_metrics {
        // Let one more statistics interval pass so the counters include the last records.
        std::thread::sleep(Duration::from_millis(1100));
        producer.poll(Duration::ZERO);
        let last = producer
            .context()
            .last_statistics
            .lock()
            .expect("stats")
            .take();
        if let Some(s) = last {
            let tags = format!("{{client-id={}}}", s.client_id);
            let rows: Vec<(String, String)> = [
                ("tx", s.tx),
                ("tx_bytes", s.tx_bytes),
                ("rx", s.rx),
                ("rx_bytes", s.rx_bytes),
                ("txmsgs", s.txmsgs),
                ("txmsg_bytes", s.txmsg_bytes),
                ("msg_cnt", s.msg_cnt as i64),
                ("msg_size", s.msg_size as i64),
                ("msg_max", s.msg_max as i64),
                ("msg_size_max", s.msg_size_max as i64),
                ("replyq", s.replyq),
                ("metadata_cache_cnt", s.metadata_cache_cnt),
            ]
            .into_iter()
            .map(|(n, v)| (format!("librdkafka:{n}:{tags}"), v.to_string()))
            .collect();
            perf::print_metrics(&rows);
        }
    }
}
