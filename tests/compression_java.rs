//! Compression interop with the real Java implementation, both ways, no broker: batches that
//! kafka-clients' `MemoryRecordsBuilder` compresses (gzip, snappy, lz4, zstd, at several
//! levels) must decode with `RecordBatch::decode_all` to exactly the records given; batches
//! that `RecordBatchBuilder::finish_compressed` writes must pass `MemoryRecords` `ensureValid()`
//! and iterate, in Java, to exactly the same records. Also checks the framing bytes against
//! Java's (xerial Snappy header and block sizes, LZ4 frame descriptor and block layout), the
//! uncompressed size and the compression ratio Java reports.
//!
//! The Java side is `tests/java/CompressionInterop.java`, run once as a single-file program
//! with the Kafka jars on the class path (found as `tests/java_murmur2.rs` finds them:
//! `$KAFKA_LIBS`, else `scripts/kafka.sh fetch`). Java 17+ must be installed.

#[path = "support/java.rs"]
mod java_support;

use kafka_producer::protocol::compression::{LZ4_FRAME_MAGIC, SNAPPY_XERIAL_HEADER};
use kafka_producer::protocol::record_batch::{
    Compression, Header, ProducerState, RECORD_BATCH_OVERHEAD, RecordBatch, RecordBatchBuilder,
    rewrite_producer_state,
};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// One record as both sides see it.
#[derive(Debug, Clone, PartialEq)]
struct Rec {
    timestamp: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<Header>,
}

fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn json_text(n: usize) -> Vec<u8> {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < n {
        write!(
            s,
            r#"{{"id":{i},"name":"customer-{}","city":"{}","ts":{}}},"#,
            i * 7 % 101,
            ["Lyon", "Oslo", "Lima", "Pune"][i % 4],
            1_700_000_000_000u64 + i as u64 * 37
        )
        .unwrap();
        i += 1;
    }
    s.truncate(n);
    s.into_bytes()
}

/// The record sets: mixed (null keys and values, headers with null and empty values, empty,
/// 1-byte and 100 KiB values, JSON), a single 1-byte record, a single 100 KiB random value.
fn cases() -> Vec<(&'static str, Vec<Rec>)> {
    let base = 1_700_000_000_000i64;
    let mut mixed = Vec::new();
    for i in 0..300usize {
        let key = match i % 3 {
            0 => None,
            1 => Some(format!("key-{i}").into_bytes()),
            _ => Some(Vec::new()),
        };
        let value = match i % 50 {
            7 => None,
            8 => Some(Vec::new()),
            9 => Some(vec![b'z']),
            10 if i < 100 => Some(json_text(100 * 1024)),
            10 => Some(pseudo_random(100 * 1024, i as u64)),
            _ => Some(
                format!(
                    r#"{{"seq":{i},"user":"user-{}","active":{},"score":{}.5}}"#,
                    i % 17,
                    i % 2 == 0,
                    i * 3
                )
                .into_bytes(),
            ),
        };
        let headers = match i % 4 {
            0 => vec![
                Header::new("trace-id", format!("t-{i}").into_bytes()),
                Header::null("null-value"),
                Header::new("empty", Vec::new()),
            ],
            1 => vec![Header::new("héader", vec![0, 1, 2, 255])],
            _ => Vec::new(),
        };
        // Timestamps go back and forth (negative deltas).
        let timestamp = base + (i as i64 * 13) % 97 - 40;
        mixed.push(Rec {
            timestamp,
            key,
            value,
            headers,
        });
    }
    let one_byte = vec![Rec {
        timestamp: base,
        key: None,
        value: Some(vec![0x42]),
        headers: Vec::new(),
    }];
    let big_random = vec![Rec {
        timestamp: base + 5,
        key: Some(b"random".to_vec()),
        value: Some(pseudo_random(100 * 1024, 99)),
        headers: vec![Header::new("h", b"v".to_vec())],
    }];
    vec![
        ("mixed", mixed),
        ("one-byte", one_byte),
        ("big-random", big_random),
    ]
}

fn configs() -> Vec<(Compression, Option<i32>)> {
    vec![
        (Compression::None, None),
        (Compression::Gzip, None),
        (Compression::Gzip, Some(1)),
        (Compression::Gzip, Some(9)),
        (Compression::Snappy, None),
        (Compression::Lz4, None),
        (Compression::Lz4, Some(1)),
        (Compression::Lz4, Some(17)),
        (Compression::Zstd, None),
        (Compression::Zstd, Some(1)),
        (Compression::Zstd, Some(19)),
        (Compression::Zstd, Some(-5)),
    ]
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(2 * b.len());
    for x in b {
        write!(s, "{x:02x}").unwrap();
    }
    s
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn token(b: Option<&[u8]>) -> String {
    match b {
        None => "-".to_string(),
        Some(b) => format!("x{}", hex(b)),
    }
}

fn untoken(t: &str) -> Option<Vec<u8>> {
    match t {
        "-" => None,
        t => Some(unhex(
            t.strip_prefix('x').expect("byte token starts with x"),
        )),
    }
}

fn headers_token(hs: &[Header]) -> String {
    if hs.is_empty() {
        return "-".to_string();
    }
    hs.iter()
        .map(|h| {
            format!(
                "{}={}",
                token(Some(h.key.as_bytes())),
                token(h.value.as_deref())
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn untoken_headers(t: &str) -> Vec<Header> {
    if t == "-" {
        return Vec::new();
    }
    t.split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("name=value");
            Header {
                key: String::from_utf8(untoken(k).expect("names are never null")).unwrap(),
                value: untoken(v),
            }
        })
        .collect()
}

/// Our builder's batch of `records`, compressed as configured, at `base_offset`.
fn our_batch(
    records: &[Rec],
    codec: Compression,
    level: Option<i32>,
    base_offset: i64,
) -> (Vec<u8>, usize) {
    let mut b = RecordBatchBuilder::new(Vec::new(), usize::MAX);
    b.set_base_offset(base_offset);
    b.set_compression(codec, 1.0);
    for r in records {
        b.append(
            r.timestamp,
            r.key.as_deref(),
            r.value.as_deref(),
            &r.headers,
        );
    }
    let bytes = b
        .finish_compressed(level, &mut Vec::new())
        .unwrap()
        .to_vec();
    (bytes, b.uncompressed_records_size())
}

fn level_arg(level: Option<i32>) -> String {
    level.map_or("default".to_string(), |l| l.to_string())
}

fn run_java(jobs: String) -> Vec<Vec<String>> {
    let libs = java_support::kafka_libs();
    let program =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/java/CompressionInterop.java");
    let mut child = Command::new(java_support::java())
        .args([
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xshare:auto",
        ])
        .arg("-cp")
        .arg(format!("{}/*", libs.display()))
        .arg(program)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {:?} (is Java 17+ installed?): {e}",
                java_support::java()
            )
        });
    let mut stdin = child.stdin.take().unwrap();
    // Write from another thread: Java answers while it reads, and both pipes are finite.
    let writer = std::thread::spawn(move || {
        stdin.write_all(jobs.as_bytes()).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "CompressionInterop.java failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut blocks = vec![Vec::new()];
    for line in stdout.lines() {
        if line == "END" {
            blocks.push(Vec::new());
        } else {
            blocks.last_mut().unwrap().push(line.to_string());
        }
    }
    blocks.pop();
    blocks
}

/// (decompressed size, stored raw) of each LZ4 block of a frame as Kafka writes it.
fn lz4_blocks(records: &[u8]) -> Vec<(usize, bool)> {
    assert_eq!(&records[..4], &LZ4_FRAME_MAGIC.to_le_bytes());
    let mut pos = 7;
    let mut blocks = Vec::new();
    loop {
        let word = u32::from_le_bytes(records[pos..pos + 4].try_into().unwrap());
        pos += 4;
        if word == 0 {
            break;
        }
        let len = (word & 0x7FFF_FFFF) as usize;
        let raw = word & 0x8000_0000 != 0;
        let data = &records[pos..pos + len];
        let size = if raw {
            len
        } else {
            lz4_flex::block::decompress(data, 4 << 20).unwrap().len()
        };
        blocks.push((size, raw));
        pos += len;
    }
    assert_eq!(pos, records.len(), "nothing after the end mark");
    blocks
}

/// Decompressed size of each xerial Snappy block.
fn snappy_blocks(records: &[u8]) -> Vec<usize> {
    assert_eq!(&records[..16], &SNAPPY_XERIAL_HEADER);
    let mut pos = 16;
    let mut blocks = Vec::new();
    while pos < records.len() {
        let len = u32::from_be_bytes(records[pos..pos + 4].try_into().unwrap()) as usize;
        let data = &records[pos + 4..pos + 4 + len];
        blocks.push(snap::raw::decompress_len(data).unwrap());
        pos += 4 + len;
    }
    blocks
}

fn assert_records(batch: &RecordBatch, expected: &[Rec], what: &str) {
    assert_eq!(batch.records.len(), expected.len(), "{what}: count");
    for (i, (r, e)) in batch.records.iter().zip(expected).enumerate() {
        let got = Rec {
            timestamp: batch.timestamp_of(r),
            key: r.key.clone(),
            value: r.value.clone(),
            headers: r.headers.clone(),
        };
        assert_eq!(
            batch.offset_of(r),
            batch.base_offset + i as i64,
            "{what}: offset {i}"
        );
        assert!(got == *e, "{what}: record {i} differs");
    }
}

#[test]
fn compressed_batches_interoperate_with_the_java_client() {
    let cases = cases();
    let configs = configs();
    let mut jobs = String::new();
    // Java writes every case with every codec and level...
    for (_, records) in &cases {
        for &(codec, level) in &configs {
            writeln!(jobs, "WRITE {} {}", codec.name(), level_arg(level)).unwrap();
            for r in records {
                writeln!(
                    jobs,
                    "R {} {} {} {}",
                    r.timestamp,
                    token(r.key.as_deref()),
                    token(r.value.as_deref()),
                    headers_token(&r.headers)
                )
                .unwrap();
            }
            jobs.push_str("END\n");
        }
    }
    // ...and reads ours.
    let mut ours = Vec::new();
    for (_, records) in &cases {
        for &(codec, level) in &configs {
            let (bytes, _) = our_batch(records, codec, level, 0);
            writeln!(jobs, "READ {}", hex(&bytes)).unwrap();
            ours.push(bytes);
        }
    }
    // One buffer with a batch of each codec at increasing base offsets, one of them
    // idempotent and transactional, its producer state rewritten after compression.
    let mixed = &cases[0].1;
    let mut multi = Vec::new();
    let mut offset = 1000;
    for codec in [
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let (mut bytes, _) = our_batch(&mixed[..40], codec, None, offset);
        if codec == Compression::Lz4 {
            rewrite_producer_state(
                &mut bytes,
                ProducerState {
                    producer_id: 4242,
                    producer_epoch: 7,
                    base_sequence: 123,
                    is_transactional: true,
                },
            );
        }
        multi.extend_from_slice(&bytes);
        offset += 40;
    }
    writeln!(jobs, "READ {}", hex(&multi)).unwrap();

    let blocks = run_java(jobs);
    let n = cases.len() * configs.len();
    assert_eq!(blocks.len(), 2 * n + 1, "one answer per job");
    let (written, read) = blocks.split_at(n);

    // 1. Java's batches decode to exactly the records.
    let mut k = 0;
    let mut sizes = String::new();
    for (name, records) in &cases {
        for &(codec, level) in &configs {
            let block = &written[k];
            let what = format!("Java {name} {codec} level {}", level_arg(level));
            assert!(!block[0].starts_with("ERROR"), "{what}: {block:?}");
            let java = unhex(block[0].strip_prefix("BATCH ").expect("BATCH line"));
            let java_uncompressed: usize = block[1]
                .strip_prefix("UNCOMPRESSED ")
                .unwrap()
                .parse()
                .unwrap();
            let java_ratio: f32 = block[2].strip_prefix("RATIO ").unwrap().parse().unwrap();
            let batches = RecordBatch::decode_all(&java).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(batches.len(), 1, "{what}");
            let batch = &batches[0];
            assert_eq!(batch.compression(), Some(codec), "{what}");
            assert_records(batch, records, &what);

            // The header is the one our builder writes for the same records, but for the
            // length and CRC (which cover the compressed bytes).
            let mine = &ours[k];
            assert_eq!(java[..8], mine[..8], "{what}: base offset");
            assert_eq!(java[12..17], mine[12..17], "{what}: leader epoch, magic");
            assert_eq!(java[21..61], mine[21..61], "{what}: attributes .. count");
            // The uncompressed records are byte-for-byte the same size, and Java's ratio is
            // compressed records / uncompressed records, as ours.
            let (_, my_uncompressed) = our_batch(records, codec, level, 0);
            assert_eq!(
                java_uncompressed,
                RECORD_BATCH_OVERHEAD + my_uncompressed,
                "{what}"
            );
            if codec != Compression::None {
                let ratio = (java.len() - RECORD_BATCH_OVERHEAD) as f32 / my_uncompressed as f32;
                assert_eq!(java_ratio, ratio, "{what}: ratio");
            }

            // Framing.
            let (jr, mr) = (&java[61..], &mine[61..]);
            match codec {
                Compression::Snappy => {
                    assert_eq!(
                        snappy_blocks(jr),
                        snappy_blocks(mr),
                        "{what}: snappy blocks"
                    );
                    assert!(
                        snappy_blocks(jr)[..snappy_blocks(jr).len() - 1]
                            .iter()
                            .all(|&b| b == 32 * 1024)
                    );
                }
                Compression::Lz4 => {
                    assert_eq!(jr[..7], mr[..7], "{what}: LZ4 frame descriptor");
                    assert_eq!(jr[..7], [0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82]);
                    let (jb, mb) = (lz4_blocks(jr), lz4_blocks(mr));
                    let sizes = |b: &[(usize, bool)]| b.iter().map(|x| x.0).collect::<Vec<_>>();
                    assert_eq!(sizes(&jb), sizes(&mb), "{what}: LZ4 block sizes");
                    if level.is_none() {
                        // Same fast compressor as Java at the default level: same raw blocks.
                        assert_eq!(jb, mb, "{what}: LZ4 raw blocks");
                    }
                }
                Compression::Gzip => {
                    assert_eq!(jr[..3], [0x1f, 0x8b, 8], "{what}: gzip magic, deflate");
                }
                Compression::Zstd => {
                    assert_eq!(jr[..4], [0x28, 0xb5, 0x2f, 0xfd], "{what}: zstd magic");
                }
                Compression::None => assert_eq!(jr, mr, "{what}: the same bytes"),
            }
            writeln!(
                sizes,
                "{name:>10} {:>6} {:>7}: uncompressed {:>7}  java {:>7}  rust {:>7}{}",
                codec.name(),
                level_arg(level),
                my_uncompressed,
                java.len() - 61,
                mine.len() - 61,
                if jr == mr { "  (same bytes)" } else { "" }
            )
            .unwrap();
            k += 1;
        }
    }
    eprintln!("compressed records sizes (bytes):\n{sizes}");

    // 2. Java reads our batches to exactly the records.
    let check_read = |block: &[String], expected: &[&[Rec]], codecs: &[Compression], what: &str| {
        assert!(
            !block.iter().any(|l| l.starts_with("ERROR")),
            "{what}: {block:?}"
        );
        let mut lines = block.iter();
        let mut offset = None;
        for (i, (records, codec)) in expected.iter().zip(codecs).enumerate() {
            let b: Vec<&str> = lines.next().expect("B line").split(' ').collect();
            assert_eq!(b[0], "B", "{what}");
            assert_eq!(b[1], codec.name(), "{what}: batch {i} codec");
            assert_eq!(b[2], records.len().to_string(), "{what}: batch {i} count");
            let base: i64 = b[3].parse().unwrap();
            let last: i64 = b[4].parse().unwrap();
            assert_eq!(last, base + records.len() as i64 - 1, "{what}");
            let max_ts = records.iter().map(|r| r.timestamp).max().unwrap();
            assert_eq!(b[5], max_ts.to_string(), "{what}: max timestamp");
            if let Some(o) = offset {
                assert_eq!(base, o, "{what}: base offset");
            }
            offset = Some(last + 1);
            for (j, e) in records.iter().enumerate() {
                let r: Vec<&str> = lines.next().expect("R line").split(' ').collect();
                assert_eq!(r.len(), 6, "{what}: {r:?}");
                let got = Rec {
                    timestamp: r[1].parse().unwrap(),
                    key: untoken(r[3]),
                    value: untoken(r[4]),
                    headers: untoken_headers(r[5]),
                };
                assert_eq!(r[2], (base + j as i64).to_string(), "{what}: offset");
                assert!(got == *e, "{what}: batch {i} record {j} differs");
            }
        }
        assert!(lines.next().is_none(), "{what}: extra lines");
    };
    let mut k = 0;
    for (name, records) in &cases {
        for &(codec, level) in &configs {
            let what = format!(
                "ours {name} {codec} level {} read by Java",
                level_arg(level)
            );
            check_read(&read[k], &[records], &[codec], &what);
            k += 1;
        }
    }
    let multi_block = &read[k];
    let slices: Vec<&[Rec]> = vec![&mixed[..40]; 4];
    check_read(
        multi_block,
        &slices,
        &[
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ],
        "four codecs in one buffer",
    );
    let lz4_batch: Vec<&str> = multi_block
        .iter()
        .filter(|l| l.starts_with("B lz4"))
        .flat_map(|l| l.split(' '))
        .collect();
    assert_eq!(
        lz4_batch[6..],
        ["4242", "7", "123", "true"],
        "rewritten producer state"
    );
    assert_eq!(lz4_batch[3], "1080");
}
