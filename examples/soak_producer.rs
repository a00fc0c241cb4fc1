//! `soak_producer`: the producer side of the endurance soak (`scripts/soak.sh`, outside CI).
//!
//! Sends `--rate` records/s for `--seconds` seconds from one thread, paced by a fixed schedule
//! (record `i` is due at `start + i / rate`; a send that falls behind catches up, so the total
//! is always `rate × seconds`). The key is null; the value of record `i` is `--value-size` bytes:
//! `i` as 8 bytes big-endian, then the bytes `(i + k) as u8` for `k` = 8 .. size (the verifier,
//! `scripts/soak/SoakVerify.java`, checks both). The latency of a record runs from just before
//! `send` to its callback.
//!
//! Every `--interval` seconds (default 60) one line on stdout, `key=value` fields:
//!
//! ```text
//! INTERVAL n=1 t_s=60.0 sent=3000000 acked=2999800 errors=0 p50_ms=1.9 p99_ms=7.4 max_ms=35.2
//!   rss_kib=21540 rss_peak_kib=21540 fds=9 threads=3 max_ack_gap_ms=210 behind_ms=0 retries=0 epoch_bumps=0
//!   disconnections=0 stalled=0
//! ```
//!
//! (one line; wrapped here). `sent`/`acked`/`errors` and the latency percentiles are those of
//! the interval (a latency counts in the interval its callback ran in); `rss_kib`, `rss_peak_kib`
//! (`VmHWM`: the peak so far), `fds` (`/proc/self/fd`, without the one reading it) and `threads` are sampled at the interval's end;
//! `max_ack_gap_ms` is the longest time in the interval without a callback while records were
//! outstanding (sampled every 50 ms); `behind_ms` how far the sends are behind the schedule;
//! `retries`, `epoch_bumps`, `disconnections` are the producer's counters (cumulative).
//!
//! A stall is `--stall-secs` (default 30) without any callback while records are outstanding:
//! a `STALL` line on stdout and `KafkaProducer::debug_state()` on stderr; after
//! `--abort-secs` (default 300) without progress the process exits with status 3.
//!
//! At the end: `flush`, `close`, then a `TOTAL` line (sent, acked, errors, callbacks missing or
//! run twice, stalls, counters; latency percentiles of the whole run). Exit status 0 only when
//! every record was acknowledged exactly once with no error and no stall.
//!
//! ```text
//! cargo run --release --example soak_producer -- --bootstrap 127.0.0.1:29500 --topic soak \
//!     --rate 50000 --seconds 1800 --value-size 32 [--producer-props linger.ms=5 ...]
//! ```
//!
//! `--inject dup=SEQ,skip=SEQ` (self test of the verifier): record SEQ of `dup` is sent twice,
//! that of `skip` never (both still count as one record sent), so the topic holds one duplicate
//! and one missing record while its end offsets still add up to the count sent.

use kafka_producer::producer::serializer::ByteArraySerializer;
use kafka_producer::{Error, KafkaProducer, ProducerConfig, ProducerRecord};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A latency histogram in microseconds: exact below 64 µs, then 64 sub-buckets per power of
/// two (about 1.6 % resolution), updated lock-free from the callbacks.
struct Histogram {
    buckets: Vec<AtomicU64>,
}

impl Histogram {
    const SUB: u32 = 6;
    const SIZE: usize = 64 + 58 * 64;

    fn new() -> Self {
        Histogram {
            buckets: (0..Self::SIZE).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn index(us: u64) -> usize {
        if us < 64 {
            return us as usize;
        }
        let e = 63 - us.leading_zeros();
        let m = (us >> (e - Self::SUB)) & 63;
        (64 + (e - Self::SUB) as u64 * 64 + m) as usize
    }

    /// The upper bound (µs) of bucket `i`.
    fn upper(i: usize) -> u64 {
        if i < 64 {
            return i as u64;
        }
        let e = (i - 64) / 64 + Self::SUB as usize;
        let m = ((i - 64) % 64) as u64;
        ((64 + m + 1) << (e - Self::SUB as usize)) - 1
    }

    fn record(&self, us: u64) {
        self.buckets[Self::index(us).min(Self::SIZE - 1)].fetch_add(1, Ordering::Relaxed);
    }

    /// Takes the counts and resets them.
    fn take(&self) -> Vec<u64> {
        self.buckets
            .iter()
            .map(|b| b.swap(0, Ordering::Relaxed))
            .collect()
    }
}

/// The value (ms) at quantile `q` of bucket counts `counts`, NaN when empty.
fn quantile_ms(counts: &[u64], q: f64) -> f64 {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return f64::NAN;
    }
    let rank = ((q * total as f64).ceil() as u64).max(1);
    let mut seen = 0;
    for (i, c) in counts.iter().enumerate() {
        seen += c;
        if seen >= rank {
            return Histogram::upper(i) as f64 / 1000.0;
        }
    }
    f64::NAN
}

/// What the callbacks and the monitor share.
struct Shared {
    start: Instant,
    sent: AtomicU64,
    acked: AtomicU64,
    errors: AtomicU64,
    /// One bit per record number: set by its callback (a second set is a double callback).
    seen: Vec<AtomicU64>,
    double_callbacks: AtomicU64,
    hist: Histogram,
    /// Microseconds since `start` of the latest callback.
    last_callback_us: AtomicU64,
    max_latency_us: AtomicU64,
    first_errors: Mutex<Vec<String>>,
    /// How far the sender is behind the schedule, µs.
    behind_us: AtomicU64,
    done_sending: AtomicBool,
    stalls: AtomicU64,
}

impl Shared {
    fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    fn callback(&self, seq: u64, sent_at: Instant, result: Result<(), Error>) {
        let latency = sent_at.elapsed().as_micros() as u64;
        self.last_callback_us
            .fetch_max(self.now_us(), Ordering::Relaxed);
        let word = &self.seen[(seq / 64) as usize];
        if word.fetch_or(1 << (seq % 64), Ordering::Relaxed) & (1 << (seq % 64)) != 0 {
            self.double_callbacks.fetch_add(1, Ordering::Relaxed);
        }
        match result {
            Ok(()) => {
                self.hist.record(latency);
                self.max_latency_us.fetch_max(latency, Ordering::Relaxed);
                self.acked.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                let mut first = self.first_errors.lock().unwrap();
                if first.len() < 10 {
                    first.push(format!("record {seq}: {e}"));
                }
            }
        }
    }

    fn outstanding(&self) -> u64 {
        let done = self.acked.load(Ordering::Relaxed) + self.errors.load(Ordering::Relaxed);
        self.sent.load(Ordering::Relaxed).saturating_sub(done)
    }
}

/// `VmRSS` (KiB) and `Threads` of this process.
fn proc_status() -> (u64, u64) {
    let (rss, _, threads) = proc_status_hwm();
    (rss, threads)
}

/// `VmRSS`, `VmHWM` (peak RSS, KiB) and `Threads` of this process.
fn proc_status_hwm() -> (u64, u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"), field("Threads:"))
}

/// Open file descriptors, without the one `read_dir` holds.
fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count() as u64)
        .unwrap_or(1)
        .saturating_sub(1)
}

struct Args {
    bootstrap: String,
    topic: String,
    rate: u64,
    seconds: u64,
    value_size: usize,
    interval: u64,
    stall_secs: u64,
    abort_secs: u64,
    props: Vec<(String, String)>,
    dup: Option<u64>,
    skip: Option<u64>,
}

fn usage() -> ! {
    eprintln!(
        "usage: soak_producer --bootstrap B --topic T [--rate N] [--seconds S] [--value-size N]\n\
         \x20      [--interval S] [--stall-secs S] [--abort-secs S] [--inject dup=SEQ,skip=SEQ]\n\
         \x20      [--producer-props k=v ...]\n\
         (see the comment at the top of examples/soak_producer.rs)"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        bootstrap: String::new(),
        topic: String::new(),
        rate: 50_000,
        seconds: 60,
        value_size: 32,
        interval: 60,
        stall_secs: 30,
        abort_secs: 300,
        props: Vec::new(),
        dup: None,
        skip: None,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    let num =
        |v: Option<&String>| -> u64 { v.and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()) };
    while i < argv.len() {
        let v = argv.get(i + 1);
        match argv[i].as_str() {
            "--bootstrap" => a.bootstrap = v.cloned().unwrap_or_else(|| usage()),
            "--topic" => a.topic = v.cloned().unwrap_or_else(|| usage()),
            "--rate" => a.rate = num(v),
            "--seconds" => a.seconds = num(v),
            "--value-size" => a.value_size = num(v) as usize,
            "--interval" => a.interval = num(v),
            "--stall-secs" => a.stall_secs = num(v),
            "--abort-secs" => a.abort_secs = num(v),
            "--inject" => {
                for part in v.unwrap_or_else(|| usage()).split(',') {
                    match part.split_once('=') {
                        Some(("dup", s)) => a.dup = Some(num(Some(&s.to_string()))),
                        Some(("skip", s)) => a.skip = Some(num(Some(&s.to_string()))),
                        _ => usage(),
                    }
                }
            }
            "--producer-props" => {
                while let Some(kv) = argv.get(i + 1).filter(|s| !s.starts_with("--")) {
                    let (k, v) = kv.split_once('=').unwrap_or_else(|| usage());
                    a.props.push((k.to_string(), v.to_string()));
                    i += 1;
                }
                i += 1;
                continue;
            }
            "-h" | "--help" => usage(),
            _ => usage(),
        }
        i += 2;
    }
    if a.bootstrap.is_empty()
        || a.topic.is_empty()
        || a.rate == 0
        || a.value_size < 8
        || a.interval == 0
    {
        usage();
    }
    a
}

fn fmt_ms(v: f64) -> String {
    if v.is_nan() {
        "-".to_string()
    } else {
        format!("{v:.1}")
    }
}

/// The monitor: one `INTERVAL` line per interval, stall detection, and the abort.
fn monitor(
    shared: Arc<Shared>,
    producer: Arc<KafkaProducer<Vec<u8>, u64>>,
    args: &Args,
    stop: Arc<AtomicBool>,
) -> Vec<u64> {
    let mut all = vec![0u64; Histogram::SIZE];
    let mut n = 0u64;
    let mut last = (0u64, 0u64, 0u64);
    let mut max_gap_us = 0u64;
    let mut stalled_since: Option<u64> = None;
    let mut stalled_in_interval = 0u64;
    let tick = Duration::from_millis(50);
    let mut next_report = Duration::from_secs(args.interval);
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        let now_us = shared.now_us();
        if shared.outstanding() > 0 {
            let last_cb = shared.last_callback_us.load(Ordering::Relaxed);
            let gap = now_us.saturating_sub(last_cb);
            max_gap_us = max_gap_us.max(gap);
            if gap >= args.stall_secs * 1_000_000 {
                if stalled_since.is_none() {
                    stalled_since = Some(last_cb);
                    shared.stalls.fetch_add(1, Ordering::Relaxed);
                    stalled_in_interval += 1;
                    println!(
                        "STALL t_s={:.1} no_callback_for_s={:.1} outstanding={}",
                        now_us as f64 / 1e6,
                        gap as f64 / 1e6,
                        shared.outstanding()
                    );
                    eprintln!("soak_producer: STALL; state:\n{}", producer.debug_state());
                }
                if gap >= args.abort_secs * 1_000_000 {
                    println!(
                        "ABORT t_s={:.1} no_callback_for_s={:.1} outstanding={}",
                        now_us as f64 / 1e6,
                        gap as f64 / 1e6,
                        shared.outstanding()
                    );
                    eprintln!("soak_producer: ABORT; state:\n{}", producer.debug_state());
                    std::process::exit(3);
                }
            } else if stalled_since.take().is_some() {
                println!("STALL_END t_s={:.1}", now_us as f64 / 1e6);
            }
        }
        let elapsed = shared.start.elapsed();
        if elapsed >= next_report || stopping {
            n += 1;
            let counts = shared.hist.take();
            for (a, c) in all.iter_mut().zip(&counts) {
                *a += c;
            }
            let sent = shared.sent.load(Ordering::Relaxed);
            let acked = shared.acked.load(Ordering::Relaxed);
            let errors = shared.errors.load(Ordering::Relaxed);
            let (rss, hwm, threads) = proc_status_hwm();
            let c = producer.counters();
            let max_bucket = counts.iter().rposition(|c| *c > 0);
            println!(
                "{} n={n} t_s={:.1} sent={} acked={} errors={} p50_ms={} p99_ms={} p999_ms={} \
                 max_ms={} rss_kib={rss} rss_peak_kib={hwm} fds={} threads={threads} max_ack_gap_ms={} behind_ms={} \
                 retries={} epoch_bumps={} disconnections={} stalled={stalled_in_interval}",
                if stopping { "FINAL" } else { "INTERVAL" },
                elapsed.as_secs_f64(),
                sent - last.0,
                acked - last.1,
                errors - last.2,
                fmt_ms(quantile_ms(&counts, 0.50)),
                fmt_ms(quantile_ms(&counts, 0.99)),
                fmt_ms(quantile_ms(&counts, 0.999)),
                fmt_ms(max_bucket.map_or(f64::NAN, |i| Histogram::upper(i) as f64 / 1000.0)),
                open_fds(),
                max_gap_us / 1000,
                shared.behind_us.load(Ordering::Relaxed) / 1000,
                c.retries,
                c.epoch_bumps,
                c.disconnections,
            );
            last = (sent, acked, errors);
            max_gap_us = 0;
            stalled_in_interval = 0;
            next_report += Duration::from_secs(args.interval);
            if stopping {
                return all;
            }
        }
        std::thread::sleep(tick);
    }
}

fn main() {
    let args = parse_args();
    let total = args.rate * args.seconds;
    let mut props = vec![("bootstrap.servers".to_string(), args.bootstrap.clone())];
    props.extend(args.props.iter().cloned());
    let config =
        ProducerConfig::from_properties(props.iter().map(|(k, v)| (k, v))).unwrap_or_else(|e| {
            eprintln!("soak_producer: bad config: {e}");
            std::process::exit(2)
        });
    eprintln!(
        "soak_producer: {} records at {}/s for {} s, {} B values, props {:?}",
        total, args.rate, args.seconds, args.value_size, args.props
    );
    // The settings that matter here, as the producer resolved them (one line for the report).
    const SHOWN: [&str; 11] = [
        "acks",
        "enable.idempotence",
        "linger.ms",
        "batch.size",
        "max.in.flight.requests.per.connection",
        "delivery.timeout.ms",
        "request.timeout.ms",
        "retries",
        "compression.type",
        "buffer.memory",
        "max.block.ms",
    ];
    let shown: Vec<String> = config
        .to_properties()
        .into_iter()
        .filter(|(k, _)| SHOWN.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    println!("CONFIG {}", shown.join(" "));
    let size = args.value_size;
    let value_serializer = move |_: &str, seq: &u64, out: &mut Vec<u8>| -> Result<(), Error> {
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend((8..size as u64).map(|k| seq.wrapping_add(k) as u8));
        Ok(())
    };
    let producer: Arc<KafkaProducer<Vec<u8>, u64>> = Arc::new(
        KafkaProducer::new(config, ByteArraySerializer, value_serializer).unwrap_or_else(|e| {
            eprintln!("soak_producer: {e}");
            std::process::exit(2)
        }),
    );
    let shared = Arc::new(Shared {
        start: Instant::now(),
        sent: AtomicU64::new(0),
        acked: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        seen: (0..total.div_ceil(64) + 1)
            .map(|_| AtomicU64::new(0))
            .collect(),
        double_callbacks: AtomicU64::new(0),
        hist: Histogram::new(),
        last_callback_us: AtomicU64::new(0),
        max_latency_us: AtomicU64::new(0),
        first_errors: Mutex::new(Vec::new()),
        behind_us: AtomicU64::new(0),
        done_sending: AtomicBool::new(false),
        stalls: AtomicU64::new(0),
    });
    // Make the bitset resident now (a store per word; a zeroed allocation is mapped lazily):
    // else its pages (total / 8 bytes, 11 MiB for 90 M records) would join the RSS as the
    // record numbers advance, and the RSS would grow by rate / 8 bytes a second for that alone.
    for word in &shared.seen {
        word.store(std::hint::black_box(0), Ordering::Relaxed);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let monitor_thread = {
        let (shared, producer, stop) = (shared.clone(), producer.clone(), stop.clone());
        let margs = Args {
            bootstrap: String::new(),
            topic: String::new(),
            props: Vec::new(),
            ..args
        };
        std::thread::spawn(move || monitor(shared, producer, &margs, stop))
    };

    // The schedule: record i is due at start + i / rate.
    let start = shared.start;
    let mut i = 0u64;
    let send = |seq: u64| {
        let s = shared.clone();
        let sent_at = Instant::now();
        // The future is not needed: the callback reports.
        drop(
            producer.send_with_callback(ProducerRecord::new(args.topic.as_str(), seq), move |r| {
                s.callback(seq, sent_at, r.map(|_| ()))
            }),
        );
    };
    while i < total {
        let elapsed = start.elapsed();
        let due = ((elapsed.as_nanos() * args.rate as u128 / 1_000_000_000) as u64 + 1).min(total);
        if i >= due {
            let next = Duration::from_nanos((i as u128 * 1_000_000_000 / args.rate as u128) as u64);
            shared.behind_us.store(0, Ordering::Relaxed);
            std::thread::sleep(next.saturating_sub(elapsed));
            continue;
        }
        let due_at = Duration::from_nanos((i as u128 * 1_000_000_000 / args.rate as u128) as u64);
        shared.behind_us.store(
            elapsed.saturating_sub(due_at).as_micros() as u64,
            Ordering::Relaxed,
        );
        while i < due {
            if Some(i) != args.skip {
                send(i);
            }
            if Some(i) == args.dup {
                send(i);
            }
            i += 1;
            shared.sent.store(i, Ordering::Relaxed);
        }
    }
    shared.done_sending.store(true, Ordering::SeqCst);
    let send_secs = start.elapsed().as_secs_f64();
    eprintln!("soak_producer: all {total} records handed to send in {send_secs:.1} s; flushing");
    if let Err(e) = producer.flush() {
        eprintln!("soak_producer: flush failed: {e}");
    }
    producer.close();
    // The skipped record never gets a callback and the duplicated one gets two: count them as
    // one each, so that the self test exercises the verifier, not this accounting.
    if let Some(s) = args.skip {
        shared.seen[(s / 64) as usize].fetch_or(1 << (s % 64), Ordering::Relaxed);
        shared.acked.fetch_add(1, Ordering::Relaxed);
    }
    if args.dup.is_some() {
        shared.double_callbacks.fetch_sub(1, Ordering::Relaxed);
        shared.acked.fetch_sub(1, Ordering::Relaxed);
    }
    stop.store(true, Ordering::SeqCst);
    let all = monitor_thread.join().expect("monitor thread");

    let missing_callbacks = (0..total)
        .filter(|s| shared.seen[(s / 64) as usize].load(Ordering::Relaxed) & (1 << (s % 64)) == 0)
        .count();
    let acked = shared.acked.load(Ordering::Relaxed);
    let errors = shared.errors.load(Ordering::Relaxed);
    let doubles = shared.double_callbacks.load(Ordering::Relaxed);
    let stalls = shared.stalls.load(Ordering::Relaxed);
    let c = producer.counters();
    let (rss, threads) = proc_status();
    println!(
        "TOTAL sent={total} acked={acked} errors={errors} missing_callbacks={missing_callbacks} \
         double_callbacks={doubles} stalls={stalls} p50_ms={} p99_ms={} p999_ms={} max_ms={:.1} \
         seconds={:.1} send_seconds={send_secs:.1} rss_kib={rss} fds={} threads={threads} \
         produce_requests={} batches_sent={} retries={} epoch_bumps={} connections={} \
         disconnections={} metadata_requests={} records_acked_counter={} records_failed_counter={}",
        fmt_ms(quantile_ms(&all, 0.50)),
        fmt_ms(quantile_ms(&all, 0.99)),
        fmt_ms(quantile_ms(&all, 0.999)),
        shared.max_latency_us.load(Ordering::Relaxed) as f64 / 1000.0,
        start.elapsed().as_secs_f64(),
        open_fds(),
        c.produce_requests,
        c.batches_sent,
        c.retries,
        c.epoch_bumps,
        c.connections,
        c.disconnections,
        c.metadata_requests,
        c.records_acked,
        c.records_failed,
    );
    for e in shared.first_errors.lock().unwrap().iter() {
        eprintln!("soak_producer: error: {e}");
    }
    let ok = acked == total && errors == 0 && missing_callbacks == 0 && doubles == 0 && stalls == 0;
    std::process::exit(if ok { 0 } else { 1 });
}
