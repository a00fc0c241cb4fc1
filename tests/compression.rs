//! Compression and batch splitting against the real broker, read back by the Java console
//! consumer byte for byte; the batches the broker stored are read from its log segments to
//! check they carry the codec.

mod support;

use kafka_producer::producer::serializer::ByteArraySerializer;
use kafka_producer::protocol::record_batch::{Compression, RecordBatch};
use kafka_producer::{Header, KafkaProducer, ProducerConfig, ProducerRecord};
use std::time::Duration;

fn producer(extra: &[(&str, &str)]) -> KafkaProducer<Vec<u8>, Vec<u8>> {
    let mut b = ProducerConfig::builder()
        .bootstrap_servers(support::bootstrap())
        .max_block(Duration::from_secs(30));
    for (k, v) in extra {
        b = b.set(*k, *v);
    }
    KafkaProducer::new(b.build().unwrap(), ByteArraySerializer, ByteArraySerializer).unwrap()
}

/// A deterministic mix of record shapes: null keys, headers (with a null value), 1-byte,
/// JSON-like and 100 KiB values.
/// Key, value and headers of a record.
type Shape = (Option<Vec<u8>>, Vec<u8>, Vec<Header>);

fn records() -> Vec<Shape> {
    let mut out = Vec::new();
    for i in 0..300u32 {
        let key = (i % 3 != 0).then(|| format!("key-{i}").into_bytes());
        let value = match i % 5 {
            0 => vec![b'x'],
            1 => format!(
                r#"{{"id":{i},"name":"user-{i}","tags":["a","b"],"score":{}}}"#,
                i * 7
            )
            .into_bytes(),
            2 if i % 50 == 2 => (0..100 * 1024)
                .map(|j| (j * 31 + i as usize) as u8 % 26 + b'a')
                .collect(),
            _ => format!("value-{i}-{}", "abc".repeat(i as usize % 40)).into_bytes(),
        };
        let headers = if i % 4 == 0 {
            vec![
                Header::new("h1", format!("{i}").into_bytes()),
                Header::null("h2"),
            ]
        } else {
            vec![]
        };
        out.push((key, value, headers));
    }
    out
}

#[test]
fn every_codec_round_trips_through_the_java_consumer() {
    for (codec, expected) in [
        ("gzip", Compression::Gzip),
        ("snappy", Compression::Snappy),
        ("lz4", Compression::Lz4),
        ("zstd", Compression::Zstd),
    ] {
        let topic = support::unique_topic(&format!("codec-{codec}"));
        support::create_topic(&topic, 1, 1, &[]);
        let p = producer(&[("compression.type", codec), ("linger.ms", "20")]);
        let sent = records();
        let futures: Vec<_> = sent
            .iter()
            .map(|(k, v, h)| {
                let mut r = ProducerRecord::new(topic.as_str(), v.clone());
                r.key = k.clone();
                r.headers = h.clone();
                p.send(r)
            })
            .collect();
        for f in futures {
            f.get().unwrap_or_else(|e| panic!("{codec}: {e}"));
        }
        let m = p.counters();
        p.close();
        // The broker keeps the producer's compression (topic compression.type=producer): the
        // batches it stored carry the codec in their attributes.
        let stored =
            RecordBatch::decode_all(&support::stored_log(&support::bootstrap(), &topic, 0))
                .unwrap_or_else(|e| panic!("{codec}: {e}"));
        let codecs: Vec<_> = stored.iter().map(|b| b.compression()).collect();
        assert!(
            !codecs.is_empty() && codecs.iter().all(|c| *c == Some(expected)),
            "{codec}: the stored batches' codecs are {codecs:?}"
        );
        assert_eq!(
            stored.iter().map(|b| b.records.len()).sum::<usize>(),
            sent.len(),
            "{codec}"
        );
        let read = support::consume(&topic, sent.len(), Duration::from_secs(30));
        assert_eq!(read.len(), sent.len(), "{codec}");
        for (i, (r, (k, v, h))) in read.iter().zip(&sent).enumerate() {
            assert_eq!(&r.key, k, "{codec} record {i} key");
            assert_eq!(r.value.as_ref(), Some(v), "{codec} record {i} value");
            let expected: Vec<(String, Option<Vec<u8>>)> =
                h.iter().map(|h| (h.key.clone(), h.value.clone())).collect();
            assert_eq!(r.headers, expected, "{codec} record {i} headers");
        }
        println!(
            "{codec}: {} records in {} Produce requests",
            sent.len(),
            m.produce_requests
        );
    }
}

#[test]
fn batches_too_large_for_the_topic_are_split_and_delivered_once_in_order() {
    let topic = support::unique_topic("split");
    support::create_topic(&topic, 1, 1, &[("max.message.bytes", "4096")]);
    let p = producer(&[("batch.size", "65536"), ("linger.ms", "200")]);
    assert!(p.config().enable_idempotence());
    let futures: Vec<_> = (0..1000)
        .map(|i| {
            p.send(ProducerRecord::new(
                topic.as_str(),
                format!("{i:04}{}", "v".repeat(1020)).into_bytes(),
            ))
        })
        .collect();
    let mut offsets = Vec::new();
    for f in futures {
        offsets.push(f.get().unwrap().offset);
    }
    let m = p.counters();
    p.close();
    assert!(m.splits >= 1, "{m:?}");
    assert_eq!(
        offsets,
        (0..1000).collect::<Vec<i64>>(),
        "offsets in send order, once each"
    );
    let read = support::consume(&topic, 1100, Duration::from_secs(10));
    assert_eq!(read.len(), 1000, "nothing lost, nothing twice");
    for (i, r) in read.iter().enumerate() {
        assert!(
            r.value
                .as_ref()
                .unwrap()
                .starts_with(format!("{i:04}").as_bytes()),
            "record {i}"
        );
    }
    println!(
        "1000 x 1 KiB records, max.message.bytes=4096: {} splits",
        m.splits
    );
}

#[test]
fn a_single_record_too_large_for_the_topic_fails_clearly() {
    let topic = support::unique_topic("toolarge-topic");
    support::create_topic(&topic, 1, 1, &[("max.message.bytes", "2048")]);
    let p = producer(&[]);
    let small = p.send(ProducerRecord::new(topic.as_str(), vec![b'a'; 10]));
    let err = p
        .send(ProducerRecord::new(topic.as_str(), vec![b'b'; 5000]))
        .get()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("MESSAGE_TOO_LARGE"), "{text}");
    assert!(
        text.contains(&topic) && text.contains("max.message.bytes"),
        "{text}"
    );
    assert_eq!(small.get().unwrap().offset, 0);
    // The producer keeps working.
    assert_eq!(
        p.send(ProducerRecord::new(topic.as_str(), vec![b'c'; 10]))
            .get()
            .unwrap()
            .offset,
        1
    );
}

/// The Java console producer compresses with each codec; the broker's log segment then holds
/// exactly the batches the Java client wrote (brokers keep the producer's compression), and
/// our decoder must read them back. (The harness's console producer sends synchronously, so
/// these are one-record batches; multi-record batches written by kafka-clients' own
/// `MemoryRecordsBuilder` are checked in `tests/compression_java.rs`.)
#[test]
fn batches_compressed_by_the_java_producer_decode_with_ours() {
    let cluster = support::TestCluster::start(1, &[]);
    for (codec, expected) in [
        ("gzip", Compression::Gzip),
        ("snappy", Compression::Snappy),
        ("lz4", Compression::Lz4),
        ("zstd", Compression::Zstd),
    ] {
        let topic = support::unique_topic(&format!("javacodec-{codec}"));
        support::create_topic_on(cluster.bootstrap(), &topic, 1, 1, &[]);
        // HEADERS<TAB>KEY<TAB>VALUE, one record per line (see scripts/kafka.sh help).
        let lines: String = (0..200)
            .map(|i| {
                let headers = if i % 3 == 0 {
                    format!("h:{i}")
                } else {
                    "\\N".into()
                };
                let key = if i % 2 == 0 {
                    format!("k{i}")
                } else {
                    "\\N".into()
                };
                format!(
                    "{headers}\t{key}\t{{\"n\":{i},\"text\":\"{}\"}}\n",
                    "lorem ipsum ".repeat(i % 20)
                )
            })
            .collect();
        support::kafka_sh_stdin(
            &[
                "produce",
                &topic,
                "--bootstrap",
                cluster.bootstrap(),
                "--",
                "--compression-codec",
                codec,
            ],
            &lines,
        );
        let bytes = support::stored_log(cluster.bootstrap(), &topic, 0);
        let batches = RecordBatch::decode_all(&bytes).unwrap_or_else(|e| panic!("{codec}: {e}"));
        let found: Vec<_> = batches.iter().map(|b| b.compression()).collect();
        assert!(
            found.iter().all(|c| *c == Some(expected)),
            "{codec}: {found:?}"
        );
        let records: Vec<_> = batches
            .iter()
            .flat_map(|b| b.records.iter().map(move |r| (b, r)))
            .collect();
        assert_eq!(records.len(), 200, "{codec}");
        for (i, (b, r)) in records.iter().enumerate() {
            assert_eq!(b.offset_of(r), i as i64);
            let value = format!(
                "{{\"n\":{i},\"text\":\"{}\"}}",
                "lorem ipsum ".repeat(i % 20)
            );
            assert_eq!(
                r.value.as_deref(),
                Some(value.as_bytes()),
                "{codec} record {i}"
            );
            let key = (i % 2 == 0).then(|| format!("k{i}").into_bytes());
            assert_eq!(r.key, key, "{codec} record {i} key");
            let headers: Vec<Header> = if i % 3 == 0 {
                vec![Header::new("h", format!("{i}"))]
            } else {
                vec![]
            };
            assert_eq!(r.headers, headers, "{codec} record {i} headers");
        }
        println!("{codec}: {} Java batches decoded", batches.len());
    }
}
