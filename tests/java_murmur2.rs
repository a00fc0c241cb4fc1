//! Cross-check against the Java client: for 10,000 keys (5,000 strings "key-<i>" and 5,000
//! ints), our serializers + `murmur2` + `partition_for_key` must give the hash and the
//! partitions (of 7 and of 12) that kafka-clients' `StringSerializer`/`IntegerSerializer`,
//! `Utils.murmur2` and `BuiltInPartitioner.partitionForKey` give.
//!
//! The Java side is `tests/java/PartitionOf.java`, run as a single-file program (compiled in
//! memory, nothing written) with the Kafka jars on the class path. The jars are found in
//! `$KAFKA_LIBS` if set, else from `scripts/kafka.sh fetch` (which prints the libs dir on its
//! last stdout line), else in `/tmp/kafka-jars-test`. Java 17+ must be installed (`$JAVA_HOME`
//! or `java` on the `PATH`).

mod support;

use kafka_producer::producer::partitioner::{murmur2, partition_for_key};
use kafka_producer::producer::serializer::{IntegerSerializer, Serializer, StringSerializer};
use support::java::{COUNT, PARTITIONS, int_key, java_partitions};

#[test]
fn partition_for_key_matches_java_for_10000_keys() {
    let lines = java_partitions();
    assert_eq!(lines.len(), 2 * COUNT, "one line per key");

    let mut buf = Vec::new();
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 3 + PARTITIONS.len(), "line {n}: {line:?}");
        buf.clear();
        let (kind, key) = (fields[0], fields[1]);
        if n < COUNT {
            let expected_key = format!("key-{n}");
            assert_eq!((kind, key), ("s", expected_key.as_str()), "line {n}");
            StringSerializer
                .serialize("topic", expected_key.as_str(), &mut buf)
                .unwrap();
        } else {
            let i = n - COUNT;
            let expected_key = int_key(i);
            assert_eq!(
                (kind, key),
                ("i", expected_key.to_string().as_str()),
                "line {n}"
            );
            IntegerSerializer
                .serialize("topic", &expected_key, &mut buf)
                .unwrap();
        }
        let java_hash: i32 = fields[2].parse().unwrap();
        if murmur2(&buf) != java_hash {
            mismatches.push(format!(
                "{kind} {key}: murmur2 {} (Java {java_hash})",
                murmur2(&buf)
            ));
        }
        for (j, &partitions) in PARTITIONS.iter().enumerate() {
            let java_partition: i32 = fields[3 + j].parse().unwrap();
            let ours = partition_for_key(&buf, partitions);
            if ours != java_partition {
                mismatches.push(format!(
                    "{kind} {key}: partition {ours} of {partitions} (Java {java_partition})"
                ));
            }
            checked += 1;
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first ones:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
    // 10,000 keys x 2 partition counts (and 10,000 hashes besides).
    assert_eq!(checked, 20_000);
}
