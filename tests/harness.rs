//! Checks the real-broker test harness itself (`scripts/kafka.sh` + `tests/support`), with the
//! Java console producer and consumer only: independent of this crate's protocol code.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::{ConsumedRecord, TestCluster};

/// Kafka's `Utils.murmur2`, which the Java default partitioner uses for keyed records (the
/// crate's port, itself checked against the Java client in `tests/java_murmur2.rs`).
use kafka_producer::producer::partitioner::murmur2;

fn java_partition(key: &[u8], partitions: i32) -> i32 {
    (murmur2(key) & 0x7fff_ffff) % partitions
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn by_value(records: &[ConsumedRecord]) -> BTreeMap<Option<String>, ConsumedRecord> {
    records.iter().map(|r| (r.value_str(), r.clone())).collect()
}

#[test]
fn murmur2_matches_kafka() {
    // Values from Kafka's UtilsTest.testMurmur2.
    assert_eq!(murmur2(b"21"), -973932308);
    assert_eq!(murmur2(b"foobar"), -790332482);
    assert_eq!(murmur2(b"a-little-bit-long-string"), -985981536);
    assert_eq!(murmur2(b"a-little-bit-longer-string"), -1486304829);
    assert_eq!(
        murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"),
        -58897971
    );
    assert_eq!(murmur2(b"abc"), 479470107);
}

#[test]
fn cluster_ids_are_never_read_as_options() {
    // Regression (issue 16): random base64url ids started with '-' one time in 64 (so about 10
    // of these 640 would have), and
    // `kafka-storage format --cluster-id -X...` then failed the cluster start.
    let out = support::kafka_sh(&["cluster-id", "640"]);
    let ids: Vec<&str> = out.lines().collect();
    assert_eq!(ids.len(), 640);
    for id in &ids {
        assert_eq!(id.len(), 22, "{id}");
        assert!(!id.starts_with('-'), "{id}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{id}"
        );
    }
    let distinct: std::collections::HashSet<&&str> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len());
    // '-' still occurs inside ids (the alphabet is unchanged), just never first.
    assert!(ids.iter().any(|id| id.contains('-')));
}

#[test]
fn parses_console_consumer_lines() {
    let r = support::parse_consumed_line(
        "CreateTime:1700000000123\tPartition:2\tOffset:7\th1:v1\th2:\\x00NULL\\x00\th3:\tk\\x5Cx\tv\\xC3\\xA9 \\x09,:",
    )
    .unwrap();
    assert_eq!(r.partition, 2);
    assert_eq!(r.offset, 7);
    assert_eq!(r.timestamp_type, "CreateTime");
    assert_eq!(r.timestamp, 1_700_000_000_123);
    assert_eq!(
        r.headers,
        vec![
            ("h1".to_string(), Some(b"v1".to_vec())),
            ("h2".to_string(), None),
            ("h3".to_string(), Some(vec![])),
        ]
    );
    assert_eq!(r.key.as_deref(), Some(&b"k\\x"[..]));
    assert_eq!(r.value.as_deref(), Some("vé \t,:".as_bytes()));

    let r = support::parse_consumed_line(
        "LogAppendTime:5\tPartition:0\tOffset:0\tNO_HEADERS\t\\x00NULL\\x00\t",
    )
    .unwrap();
    assert_eq!(
        (r.timestamp_type.as_str(), r.timestamp),
        ("LogAppendTime", 5)
    );
    assert!(r.headers.is_empty());
    assert_eq!(r.key, None);
    assert_eq!(r.value, Some(vec![]));

    let r = support::parse_consumed_line(
        "NO_TIMESTAMP\tPartition:0\tOffset:1\tNO_HEADERS\t\t\\x00NULL\\x00",
    )
    .unwrap();
    assert_eq!(
        (r.timestamp_type.as_str(), r.timestamp),
        ("NO_TIMESTAMP", -1)
    );
    assert_eq!((r.key, r.value), (Some(vec![]), None));

    assert!(support::parse_consumed_line("garbage").is_err());
    assert!(
        support::parse_consumed_line("CreateTime:1\tPartition:0\tOffset:1\tNO_HEADERS\t\\xZZ\tv")
            .is_err()
    );
}

#[test]
fn creates_a_topic_and_reads_it_empty() {
    let topic = support::unique_topic("harness-empty");
    support::create_topic(&topic, 3, 1, &[("retention.ms", "3600000")]);
    assert_eq!(support::end_offsets(&topic), vec![(0, 0), (1, 0), (2, 0)]);

    let started = Instant::now();
    let records = support::consume(&topic, 0, Duration::from_secs(1));
    assert!(records.is_empty(), "{records:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );

    // Creating it again fails, with the tool's output in the panic.
    let again = std::panic::catch_unwind(|| support::create_topic(&topic, 3, 1, &[]));
    let msg = again.expect_err("creating an existing topic must fail");
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("already exists"), "{msg}");
}

#[test]
fn reads_back_what_the_java_console_producer_wrote() {
    let topic = support::unique_topic("harness-roundtrip");
    support::create_topic(&topic, 3, 1, &[]);
    let before = now_ms();
    support::console_produce(
        &topic,
        concat!(
            "h1:v1,h2:\\N,h3:\tkey-a\tfirst\n", // header with a null and an empty value
            "\\N\tkey-a\tsecond\n",
            "\\N\tkey-b\t\n",                   // empty value
            "\\N\t\\N\tnull key\n",             // null key
            "\\N\t\tempty key\n",               // empty key
            "\\N\tkey-c\t\\N\n",                // null value
            "x:a\\b\tk\\ey\tv\u{e9} tab\tok\n", // backslash, non-ASCII, a TAB in the value
        ),
    );
    let after = now_ms();

    let records = support::consume(&topic, 7, Duration::from_secs(30));
    assert_eq!(records.len(), 7, "{records:#?}");
    let end: i64 = support::end_offsets(&topic).iter().map(|(_, o)| o).sum();
    assert_eq!(end, 7);

    for r in &records {
        assert_eq!(r.timestamp_type, "CreateTime");
        assert!(
            r.timestamp >= before - 60_000 && r.timestamp <= after + 60_000,
            "{r:?}"
        );
        if let Some(key) = &r.key {
            assert_eq!(r.partition, java_partition(key, 3), "{r:?}");
        }
    }
    let v = by_value(&records);
    let first = &v[&Some("first".to_string())];
    let second = &v[&Some("second".to_string())];
    assert_eq!(first.key_str().as_deref(), Some("key-a"));
    assert_eq!(
        first.headers,
        vec![
            ("h1".to_string(), Some(b"v1".to_vec())),
            ("h2".to_string(), None),
            ("h3".to_string(), Some(vec![])),
        ]
    );
    assert_eq!(second.partition, first.partition);
    assert_eq!(second.offset, first.offset + 1);
    assert!(second.headers.is_empty());

    assert_eq!(v[&Some(String::new())].key_str().as_deref(), Some("key-b"));
    assert_eq!(v[&Some("null key".to_string())].key, None);
    assert_eq!(v[&Some("empty key".to_string())].key, Some(vec![]));
    assert_eq!(v[&None].key_str().as_deref(), Some("key-c"));
    let odd = &v[&Some("v\u{e9} tab\tok".to_string())];
    assert_eq!(odd.key.as_deref(), Some(&b"k\\ey"[..]));
    assert_eq!(odd.headers, vec![("x".to_string(), Some(b"a\\b".to_vec()))]);
}

fn describe(bootstrap: &str, topic: &str) -> String {
    support::kafka_sh(&[
        "java-tool",
        "org.apache.kafka.tools.TopicCommand",
        "--bootstrap-server",
        bootstrap,
        "--describe",
        "--topic",
        topic,
    ])
}

fn full_isr_partitions(describe_output: &str) -> usize {
    describe_output
        .lines()
        .filter_map(|l| l.split("Isr: ").nth(1))
        .filter(|isr| isr.split('\t').next().unwrap_or("").split(',').count() == 3)
        .count()
}

#[test]
fn three_node_cluster_survives_a_killed_broker() {
    let cluster = TestCluster::start(3, &[]);
    let bs = cluster.bootstrap().to_string();
    assert_eq!(bs.split(',').count(), 3);
    let topic = support::unique_topic("harness-3nodes");
    support::create_topic_on(&bs, &topic, 2, 3, &[("min.insync.replicas", "2")]);
    assert_eq!(full_isr_partitions(&describe(&bs, &topic)), 2);

    cluster.kill(2);
    assert!(cluster.kafka_sh(&["status"]).contains("node 2\tstopped"));
    support::kafka_sh_stdin(
        &["produce", &topic, "--bootstrap", &bs],
        "\\N\tk1\tv1\n\\N\tk2\tv2\n\\N\tk3\tv3\n",
    );
    cluster.restart(2);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = describe(&bs, &topic);
        if full_isr_partitions(&out) == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node 2 did not rejoin the ISR:\n{out}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    cluster.pause(3);
    assert!(cluster.kafka_sh(&["status"]).contains("node 3\tpaused"));
    cluster.resume(3);
    assert!(cluster.kafka_sh(&["status"]).contains("node 3\trunning"));

    let records = support::consume_from(&bs, &topic, 3, Duration::from_secs(30), false);
    let mut values: Vec<_> = records.iter().filter_map(|r| r.value_str()).collect();
    values.sort();
    assert_eq!(values, ["v1", "v2", "v3"]);
}
