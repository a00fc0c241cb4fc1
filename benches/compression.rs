//! The batch codecs on a realistic payload: the records section of a 1 MiB RecordBatch of
//! deterministic JSON-like records (ids, names, e-mails, timestamps, nested objects, arrays),
//! compressed at each codec's default level.
//! - `compress/<codec>`: MB/s of uncompressed input (`compression::compress`);
//! - `decompress/<codec>`: MB/s of uncompressed output (`compression::decompress`);
//! - `finish_compressed/<codec>`: `RecordBatchBuilder::finish_compressed` on the whole batch
//!   (compress, copy back, CRC-32C), per uncompressed byte.
//!
//! The compression ratio of each codec is printed once (stderr) before its runs.
//!
//! ```text
//! cargo bench --bench compression -- --warm-up-time 1 --measurement-time 2
//! ```

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kafka_producer::protocol::compression::{compress, decompress};
use kafka_producer::protocol::record_batch::{
    Compression, Header, RECORD_BATCH_OVERHEAD, RecordBatchBuilder,
};
use std::fmt::Write as _;
use std::hint::black_box;

const BATCH: usize = 1 << 20;
const CODECS: [Compression; 4] = [
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const FIRST: [&str; 12] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "oscar",
];
const LAST: [&str; 8] = [
    "smith", "jones", "garcia", "chen", "müller", "rossi", "dubois", "kowalski",
];
const EVENTS: [&str; 6] = [
    "page_view",
    "add_to_cart",
    "checkout",
    "login",
    "logout",
    "search",
];
const COUNTRIES: [&str; 7] = ["FR", "DE", "US", "BR", "IN", "JP", "NG"];
const AGENTS: [&str; 3] = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
];

/// One JSON event of about 400-600 bytes.
fn event(rng: &mut Rng, i: u64) -> String {
    let first = rng.pick(&FIRST);
    let last = rng.pick(&LAST);
    let ts = 1_714_000_000_000 + i * 17 + rng.below(50);
    let mut s = String::with_capacity(600);
    write!(
        s,
        r#"{{"event_id":"{:016x}-{:04x}","type":"{}","ts":{ts},"user":{{"id":{},"name":"{first} {last}","email":"{first}.{last}{}@example.com","country":"{}","premium":{}}},"#,
        rng.next(),
        rng.below(65536),
        rng.pick(&EVENTS),
        rng.below(5_000_000),
        rng.below(100),
        rng.pick(&COUNTRIES),
        rng.below(4) == 0,
    )
    .unwrap();
    write!(
        s,
        r#""session":{{"id":"{:012x}","started_at":{},"user_agent":"{}","ip":"{}.{}.{}.{}"}},"#,
        rng.next() & 0xFFFF_FFFF_FFFF,
        ts - rng.below(3_600_000),
        rng.pick(&AGENTS),
        rng.below(256),
        rng.below(256),
        rng.below(256),
        rng.below(256),
    )
    .unwrap();
    s.push_str(r#""items":["#);
    for k in 0..rng.below(4) {
        if k > 0 {
            s.push(',');
        }
        write!(
            s,
            r#"{{"sku":"SKU-{:06}","qty":{},"price":{}.{:02}}}"#,
            rng.below(1_000_000),
            1 + rng.below(5),
            rng.below(500),
            rng.below(100)
        )
        .unwrap();
    }
    write!(
        s,
        r#"],"metrics":{{"latency_ms":{},"score":{:.4}}}}}"#,
        rng.below(2000),
        rng.below(1_000_000) as f64 / 1e6
    )
    .unwrap();
    s
}

/// A batch of about `size` bytes of records, not yet compressed.
fn batch_builder(size: usize) -> RecordBatchBuilder {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut b = RecordBatchBuilder::new(Vec::with_capacity(size + 1024), usize::MAX);
    let headers = [Header::new("content-type", b"application/json".to_vec())];
    let mut i = 0;
    while b.size_in_bytes() < size {
        let key = format!("user-{}", rng.below(5_000_000));
        b.append(
            1_714_000_000_000 + i as i64 * 3,
            Some(key.as_bytes()),
            Some(event(&mut rng, i).as_bytes()),
            &headers,
        );
        i += 1;
    }
    b
}

/// The records section (after the 61-byte header) of a batch of about `size` bytes, as the
/// producer's builder holds it before compression.
fn records_section(size: usize) -> Vec<u8> {
    batch_builder(size).finish()[RECORD_BATCH_OVERHEAD..].to_vec()
}

fn bench_codecs(c: &mut Criterion) {
    let records = records_section(BATCH);
    let n = records.len();
    let mut packed = Vec::with_capacity(n);
    {
        let mut g = c.benchmark_group("compress");
        g.throughput(Throughput::Bytes(n as u64));
        for codec in CODECS {
            packed.clear();
            compress(codec, None, &records, &mut packed).unwrap();
            eprintln!(
                "{codec:>6}: {n} -> {} bytes, ratio {:.3} ({:.2}x)",
                packed.len(),
                packed.len() as f64 / n as f64,
                n as f64 / packed.len() as f64
            );
            g.bench_with_input(BenchmarkId::from_parameter(codec), &records, |b, r| {
                b.iter(|| {
                    packed.clear();
                    compress(codec, None, black_box(r), &mut packed).unwrap();
                    packed.len()
                })
            });
        }
    }
    {
        let mut g = c.benchmark_group("decompress");
        g.throughput(Throughput::Bytes(n as u64));
        for codec in CODECS {
            let mut p = Vec::new();
            compress(codec, None, &records, &mut p).unwrap();
            g.bench_with_input(BenchmarkId::from_parameter(codec), &p, |b, p| {
                b.iter(|| decompress(codec, black_box(p), n).unwrap().len())
            });
        }
    }
    {
        let mut g = c.benchmark_group("finish_compressed");
        g.throughput(Throughput::Bytes(n as u64));
        let builder = batch_builder(BATCH);
        let mut scratch = Vec::new();
        for codec in CODECS {
            g.bench_function(BenchmarkId::from_parameter(codec), |b| {
                b.iter_batched_ref(
                    || {
                        let mut b = builder.clone();
                        b.set_compression(codec, 1.0);
                        b
                    },
                    |b| b.finish_compressed(None, &mut scratch).unwrap().len(),
                    criterion::BatchSize::LargeInput,
                )
            });
        }
    }
}

criterion_group!(benches, bench_codecs);
criterion_main!(benches);
