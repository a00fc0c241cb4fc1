//! Unit tests of the partitioners.

use super::built_in::*;
use super::*;
use crate::cluster::{Node, PartitionInfo};
use std::sync::Arc;
use std::sync::atomic::AtomicI32;
use std::sync::atomic::Ordering;

// ---------------------------------------------------------------------------------------
// murmur2 / partition_for_key: every expected value was printed by kafka-clients 4.1.1
// (`Utils.murmur2(bytes)` and `BuiltInPartitioner.partitionForKey(bytes, n)`).

/// (input, murmur2, partition for 7, 12 and 100 partitions)
fn java_vectors() -> Vec<(Vec<u8>, i32, i32, i32, i32)> {
    let seq = |n: u8| (1..=n).collect::<Vec<u8>>();
    let high = |n: u8| (0..n).map(|i| 0xff - i * 0x11).collect::<Vec<u8>>();
    let s = |t: &str| t.as_bytes().to_vec();
    let int = |v: i32| v.to_be_bytes().to_vec();
    vec![
        (vec![], 275646681, 2, 9, 81),
        (seq(1), 2107329057, 1, 9, 57),
        (seq(2), -1935140722, 5, 10, 26),
        (seq(3), 2139322793, 6, 5, 93),
        (seq(4), -1698034171, 1, 1, 77),
        (seq(5), 963186390, 5, 6, 90),
        (seq(6), 2086299777, 2, 9, 77),
        (seq(7), -528389943, 5, 5, 5),
        (seq(8), -1574696873, 1, 3, 75),
        (high(1), -311467685, 5, 3, 63),
        (high(2), 1750061758, 4, 10, 58),
        (high(3), 2053089151, 1, 7, 51),
        (high(4), 705638213, 0, 5, 13),
        (high(5), -435349888, 1, 4, 60),
        (high(6), -1576922666, 5, 6, 82),
        (high(7), -1046235303, 1, 5, 45),
        (s("a"), -1563381124, 5, 4, 24),
        (s("hello"), 2132663229, 4, 9, 29),
        (s("key-0"), 29210041, 0, 1, 41),
        (s("kafka"), -798503068, 3, 4, 80),
        (s("héllo wörld"), 439213890, 3, 6, 90),
        (s("日本語"), 1431860170, 6, 10, 70),
        (
            s("The quick brown fox jumps over the lazy dog"),
            495243318,
            3,
            6,
            18,
        ),
        (int(0), 850957120, 6, 4, 20),
        (int(1), -173113808, 2, 0, 40),
        (int(-1), 644171429, 6, 5, 29),
        (int(258), 460993052, 2, 8, 52),
        (int(i32::MIN), -65415266, 2, 6, 82),
        (int(i32::MAX), -1009756325, 5, 3, 23),
        (int(123456789), -1159482564, 0, 8, 84),
        ((0..100u8).collect(), 697119286, 3, 10, 86),
        (
            (0..1001u32).map(|i| (i * 31 + 7) as u8).collect(),
            1872886761,
            4,
            9,
            61,
        ),
    ]
}

#[test]
fn murmur2_matches_java() {
    for (input, hash, p7, p12, p100) in java_vectors() {
        assert_eq!(murmur2(&input), hash, "murmur2 of {input:02x?}");
        assert_eq!(partition_for_key(&input, 7), p7, "{input:02x?} % 7");
        assert_eq!(partition_for_key(&input, 12), p12, "{input:02x?} % 12");
        assert_eq!(partition_for_key(&input, 100), p100, "{input:02x?} % 100");
    }
}

#[test]
fn to_positive_is_a_mask() {
    assert_eq!(to_positive(0), 0);
    assert_eq!(to_positive(-1), 0x7fff_ffff);
    assert_eq!(to_positive(i32::MIN), 0);
    assert_eq!(to_positive(i32::MIN + 5), 5);
    assert_eq!(to_positive(-1563381124), -1563381124 & 0x7fff_ffff);
}

#[test]
fn partition_for_key_edge_cases() {
    assert_eq!(partition_for_key(b"anything", 1), 0);
    // More partitions than any positive hash: the positive hash itself.
    assert_eq!(
        partition_for_key(b"hello", usize::MAX),
        to_positive(2132663229)
    );
}

#[test]
#[should_panic]
fn partition_for_key_of_zero_partitions_panics() {
    partition_for_key(b"k", 0);
}

// ---------------------------------------------------------------------------------------
// BuiltInPartitioner: ports of Java's BuiltInPartitionerTest, then extras.

const TOPIC_A: &str = "topicA";
const TOPIC_B: &str = "topicB";
const TOPIC_C: &str = "topicC";
const NODE_IDS: [i32; 4] = [0, 1, 2, 11];

fn node(id: i32) -> Node {
    Node {
        id,
        host: "localhost".into(),
        port: 99 + id as u16,
        rack: None,
    }
}

fn partition(topic: &str, p: i32, leader: Option<i32>) -> PartitionInfo {
    PartitionInfo {
        topic: topic.into(),
        partition: p,
        leader,
        leader_epoch: 0,
        replicas: NODE_IDS.to_vec(),
        in_sync_replicas: NODE_IDS.to_vec(),
        offline_replicas: vec![],
    }
}

fn cluster(nodes: &[i32], partitions: Vec<PartitionInfo>) -> Cluster {
    Cluster::new(
        Some("clusterId".into()),
        None,
        nodes.iter().map(|&id| node(id)),
        partitions,
    )
}

/// Java's `mockRandom = () -> mockRandom.getAndAdd(1)`.
fn sequential(topic: &str, sticky_batch_size: usize) -> BuiltInPartitioner {
    let counter = AtomicI32::new(0);
    BuiltInPartitioner::with_random(topic, sticky_batch_size, move || {
        counter.fetch_add(1, Ordering::Relaxed)
    })
}

/// peek + update, as one record appended without switching restrictions.
fn append(p: &BuiltInPartitioner, cluster: &Cluster, bytes: usize) -> i32 {
    let info = p.peek_current_partition_info(cluster);
    p.update_partition_info(&info, bytes, cluster, true);
    info.partition()
}

#[test]
fn test_sticky_partitioning() {
    let test_cluster = cluster(
        &NODE_IDS,
        vec![
            partition(TOPIC_A, 0, Some(0)),
            partition(TOPIC_A, 1, Some(1)),
            partition(TOPIC_A, 2, Some(2)),
            partition(TOPIC_B, 0, Some(0)),
        ],
    );

    // "Sticky" batch size to accommodate 3 records.
    let built_in_partitioner_a = sequential(TOPIC_A, 3);

    // The partition is not switched until the sticky batch size is reached.
    let mut partition_info = built_in_partitioner_a.peek_current_partition_info(&test_cluster);
    let part_a = partition_info.partition();
    built_in_partitioner_a.update_partition_info(&partition_info, 1, &test_cluster, true);

    partition_info = built_in_partitioner_a.peek_current_partition_info(&test_cluster);
    assert_eq!(part_a, partition_info.partition());
    built_in_partitioner_a.update_partition_info(&partition_info, 1, &test_cluster, true);

    partition_info = built_in_partitioner_a.peek_current_partition_info(&test_cluster);
    assert_eq!(part_a, partition_info.partition());
    built_in_partitioner_a.update_partition_info(&partition_info, 1, &test_cluster, true);

    // After producing 3 records, the partition must've switched.
    assert_ne!(
        part_a,
        built_in_partitioner_a
            .peek_current_partition_info(&test_cluster)
            .partition()
    );

    // Switching works even when there is one partition.
    let built_in_partitioner_b = sequential(TOPIC_B, 1);
    for _ in 0..10 {
        partition_info = built_in_partitioner_b.peek_current_partition_info(&test_cluster);
        assert_eq!(0, partition_info.partition());
        built_in_partitioner_b.update_partition_info(&partition_info, 1, &test_cluster, true);
    }
}

#[test]
fn unavailable_partitions_test() {
    // Partition 1 in topic A, partition 0 in topic B and partition 0 in topic C are
    // unavailable partitions.
    let test_cluster = cluster(
        &NODE_IDS[..3],
        vec![
            partition(TOPIC_A, 0, Some(0)),
            partition(TOPIC_A, 1, None),
            partition(TOPIC_A, 2, Some(2)),
            partition(TOPIC_B, 0, None),
            partition(TOPIC_B, 1, Some(0)),
            partition(TOPIC_C, 0, None),
        ],
    );

    // "Sticky" batch size to accommodate 1 record; the real random source, as in Java.
    let built_in_partitioner_a = BuiltInPartitioner::new(TOPIC_A, 1);

    // We never choose partition 1 because it is unavailable.
    let part_a = append(&built_in_partitioner_a, &test_cluster, 1);
    assert_ne!(1, part_a);
    let mut found_another_part_a = false;
    for _ in 0..100 {
        let another_part_a = append(&built_in_partitioner_a, &test_cluster, 1);
        assert_ne!(1, another_part_a);
        found_another_part_a = found_another_part_a || another_part_a != part_a;
    }
    assert!(
        found_another_part_a,
        "Expected to find partition other than {part_a}"
    );

    // We always choose partition 1 for topic B.
    let built_in_partitioner_b = BuiltInPartitioner::new(TOPIC_B, 1);
    let part_b = append(&built_in_partitioner_b, &test_cluster, 1);
    assert_eq!(1, part_b);
    for _ in 0..100 {
        assert_eq!(1, append(&built_in_partitioner_b, &test_cluster, 1));
    }

    // We still choose a partition when there are no partitions available.
    let built_in_partitioner_c = BuiltInPartitioner::new(TOPIC_C, 1);
    let part_c = append(&built_in_partitioner_c, &test_cluster, 1);
    assert_eq!(0, part_c);
    let part_c = built_in_partitioner_c
        .peek_current_partition_info(&test_cluster)
        .partition();
    assert_eq!(0, part_c);
}

#[test]
fn adaptive_partitions_test() {
    let built_in_partitioner = sequential(TOPIC_A, 1);

    // Simulate partition queue sizes.
    let queue_sizes: [i32; 5] = [5, 0, 3, 0, 1];
    let partition_ids: Vec<i32> = (0..queue_sizes.len() as i32).collect();
    // 6 is max(queue_sizes) + 1.
    let expected_frequencies: Vec<i64> = queue_sizes.iter().map(|&q| 6 - i64::from(q)).collect();
    let all_partitions = partition_ids
        .iter()
        .map(|&i| partition(TOPIC_A, i, Some(NODE_IDS[i as usize % NODE_IDS.len()])))
        .collect();

    built_in_partitioner.update_partition_load_stats_with_length(
        Some(&queue_sizes),
        &partition_ids,
        queue_sizes.len(),
    );

    let test_cluster = cluster(&NODE_IDS, all_partitions);

    // Issue a number of partition calls to validate that the partitions are distributed
    // with frequencies reciprocal to the queue sizes. The number of iterations is the last
    // element of the cumulative frequency table (the sum of all frequencies); 2 cycles, just
    // so it's more than 1.
    let number_of_cycles = 2;
    let number_of_iterations =
        built_in_partitioner.load_stats_range_end().unwrap() * number_of_cycles;
    assert_eq!(number_of_iterations, 42);
    let mut frequencies = vec![0i64; queue_sizes.len()];
    for _ in 0..number_of_iterations {
        let p = append(&built_in_partitioner, &test_cluster, 1);
        frequencies[p as usize] += 1;
    }

    // Frequencies are reciprocal of queue sizes.
    for (i, f) in frequencies.iter().enumerate() {
        assert_eq!(
            expected_frequencies[i] * number_of_cycles,
            *f,
            "Partition {i} was chosen {f} times"
        );
    }
}

#[test]
#[should_panic(expected = "stickyBatchSize must be >= 1 but got 0")]
fn test_sticky_batch_size_more_than_zero() {
    BuiltInPartitioner::new(TOPIC_A, 0);
}

#[test]
fn sticky_batch_size_of_one_is_fine() {
    assert_eq!(BuiltInPartitioner::new(TOPIC_A, 1).sticky_batch_size(), 1);
}

// Extras (not in Java's test).

fn three_partitions() -> Cluster {
    cluster(
        &NODE_IDS,
        (0..3).map(|p| partition(TOPIC_A, p, Some(p))).collect(),
    )
}

#[test]
fn sequential_random_walks_available_partitions() {
    let c = three_partitions();
    let p = sequential(TOPIC_A, 10);
    let chosen: Vec<i32> = (0..7).map(|_| append(&p, &c, 10)).collect();
    assert_eq!(chosen, [0, 1, 2, 0, 1, 2, 0]);
}

#[test]
fn switch_disabled_until_twice_the_batch_size() {
    let c = three_partitions();
    let p = sequential(TOPIC_A, 100);
    let info = p.peek_current_partition_info(&c);
    p.update_partition_info(&info, 99, &c, false);
    p.update_partition_info(&info, 1, &c, false);
    assert!(!p.is_partition_changed(&info), "100 bytes, but disabled");
    p.update_partition_info(&info, 99, &c, false);
    assert!(!p.is_partition_changed(&info), "199 bytes");
    assert_eq!(p.produced_bytes(&info), Some(199));
    p.update_partition_info(&info, 1, &c, false);
    assert!(p.is_partition_changed(&info), "200 bytes: forced");
    let next = p.peek_current_partition_info(&c);
    assert_eq!(next.partition(), 1);
    assert_eq!(p.produced_bytes(&next), Some(0));

    // Enabled: switch at exactly the batch size.
    p.update_partition_info(&next, 100, &c, true);
    assert!(p.is_partition_changed(&next));

    // A huge batch size does not overflow the 2x cap.
    let big = sequential(TOPIC_A, usize::MAX);
    let info = big.peek_current_partition_info(&c);
    big.update_partition_info(&info, usize::MAX / 2, &c, false);
    assert!(!big.is_partition_changed(&info));
}

#[test]
fn nothing_chosen_before_the_first_peek() {
    let c = three_partitions();
    let p = sequential(TOPIC_A, 1);
    p.update_partition_load_stats(None, &[]);
    // Nothing was chosen yet: the first peek consumes random number 0.
    assert_eq!(p.peek_current_partition_info(&c).partition(), 0);
}

#[test]
fn peek_does_not_switch_and_returns_the_same_object() {
    let c = three_partitions();
    let p = BuiltInPartitioner::new(TOPIC_A, 1000);
    let a = p.peek_current_partition_info(&c);
    let b = p.peek_current_partition_info(&c);
    assert!(a.same_as(&b));
    assert!(a.clone().same_as(&b), "clones are the same object");
    // A switch makes a new object even when the partition stays the same.
    let single = cluster(&NODE_IDS, vec![partition(TOPIC_B, 0, Some(0))]);
    let pb = BuiltInPartitioner::new(TOPIC_B, 1);
    let first = pb.peek_current_partition_info(&single);
    pb.update_partition_info(&first, 1, &single, true);
    let second = pb.peek_current_partition_info(&single);
    assert_eq!(first.partition(), second.partition());
    assert!(!first.same_as(&second));
    assert!(pb.is_partition_changed(&first));
    assert!(!pb.is_partition_changed(&second));
}

#[test]
fn load_stats_builds_the_cumulative_frequency_table() {
    let c = three_partitions();
    let p = sequential(TOPIC_A, 1);
    // Java's comment example: queue sizes 0 3 1 -> CFT 4 5 8.
    p.update_partition_load_stats_with_length(Some(&[0, 3, 1]), &[0, 1, 2], 3);
    assert_eq!(p.load_stats_range_end(), Some(8));
    let chosen: Vec<i32> = (0..16).map(|_| p.next_partition(&c)).collect();
    assert_eq!(
        chosen,
        [0, 0, 0, 0, 1, 2, 2, 2, 0, 0, 0, 0, 1, 2, 2, 2],
        "random 0..=3 -> index 0, 4 -> index 1, 5..=7 -> index 2"
    );

    // Ids need not be sorted or dense.
    p.update_partition_load_stats_with_length(Some(&[2, 0]), &[2, 0], 2);
    assert_eq!(p.load_stats_range_end(), Some(1 + 3));
    let chosen: Vec<i32> = (0..4).map(|_| p.next_partition(&c)).collect();
    // The counter is at 16 now: 16 % 4 = 0 -> index 0 (id 2), then 1, 2, 3 -> index 1 (id 0).
    assert_eq!(chosen, [2, 0, 0, 0]);
}

#[test]
fn load_stats_dropped_when_not_useful() {
    let p = sequential(TOPIC_A, 1);
    let set = |p: &BuiltInPartitioner| {
        p.update_partition_load_stats_with_length(Some(&[0, 3, 1]), &[0, 1, 2], 3);
        assert!(p.load_stats_range_end().is_some());
    };
    set(&p);
    p.update_partition_load_stats_with_length(None, &[], 0);
    assert_eq!(p.load_stats_range_end(), None, "None turns adaptive off");

    set(&p);
    p.update_partition_load_stats_with_length(Some(&[4, 4, 4]), &[0, 1, 2], 3);
    assert_eq!(p.load_stats_range_end(), None, "all equal");

    set(&p);
    p.update_partition_load_stats_with_length(Some(&[4]), &[0], 1);
    assert_eq!(p.load_stats_range_end(), None, "fewer than 2 partitions");

    set(&p);
    p.update_partition_load_stats_with_length(Some(&[1, 2]), &[0, 1], 0);
    assert_eq!(p.load_stats_range_end(), None, "every partition left out");

    // All equal but one left out: still adaptive, over the remaining ones.
    p.update_partition_load_stats_with_length(Some(&[4, 4, 4]), &[0, 2, 2], 2);
    assert_eq!(p.load_stats_range_end(), Some(2));
    // Even a single remaining partition (of 2 or more) keeps the stats.
    p.update_partition_load_stats_with_length(Some(&[7, 9]), &[1, 0], 1);
    assert_eq!(p.load_stats_range_end(), Some(1));
    let c = three_partitions();
    assert!((0..10).all(|_| p.next_partition(&c) == 1));
}

#[test]
fn load_stats_without_length_take_every_entry() {
    let p = sequential(TOPIC_A, 1);
    p.update_partition_load_stats(Some(&[0, 3, 1]), &[0, 1, 2]);
    assert_eq!(p.load_stats_range_end(), Some(8));
    p.update_partition_load_stats(Some(&[1, 1]), &[0, 2]);
    assert_eq!(p.load_stats_range_end(), None, "all equal, none left out");
    p.update_partition_load_stats(Some(&[1, 6]), &[0, 2]);
    assert_eq!(p.load_stats_range_end(), Some(6 + 1));
    p.update_partition_load_stats(Some(&[]), &[]);
    assert_eq!(p.load_stats_range_end(), None, "no partitions");
}

#[test]
fn load_stats_exclude_slow_partitions_from_choice() {
    let c = three_partitions();
    let p = BuiltInPartitioner::new(TOPIC_A, 1);
    // Partition 1 left out (its entry overwritten by partition 2's, as the sender does).
    p.update_partition_load_stats_with_length(Some(&[3, 1, 1]), &[0, 2, 2], 2);
    let mut seen = [0; 3];
    for _ in 0..2000 {
        seen[append(&p, &c, 1) as usize] += 1;
    }
    assert_eq!(seen[1], 0);
    // Frequencies 1 (partition 0) and 3 (partition 2).
    assert!(seen[0] > 300 && seen[0] < 700, "{seen:?}");
    assert!(seen[2] > 1300, "{seen:?}");
}

#[test]
fn random_source_is_roughly_uniform_and_non_negative() {
    let c = cluster(
        &NODE_IDS,
        (0..10).map(|p| partition(TOPIC_A, p, Some(0))).collect(),
    );
    let p = BuiltInPartitioner::new(TOPIC_A, 1);
    let mut seen = [0u32; 10];
    for _ in 0..10_000 {
        seen[p.next_partition(&c) as usize] += 1;
    }
    assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
    assert!((0..1000).all(|_| to_positive(thread_local_random()) >= 0));
    // Different threads get different sequences.
    let a: Vec<i32> = (0..4).map(|_| thread_local_random()).collect();
    let b = std::thread::spawn(|| (0..4).map(|_| thread_local_random()).collect::<Vec<_>>())
        .join()
        .unwrap();
    assert_ne!(a, b);
}

#[test]
fn negative_custom_random_is_made_positive() {
    let c = three_partitions();
    let p = BuiltInPartitioner::with_random(TOPIC_A, 1, || -1);
    // to_positive(-1) = i32::MAX; i32::MAX % 3 = 1.
    assert_eq!(p.next_partition(&c), 1);
}

#[test]
#[should_panic(expected = "knows no partitions")]
fn next_partition_of_unknown_topic_panics() {
    BuiltInPartitioner::new("nope", 1).next_partition(&three_partitions());
}

#[test]
fn concurrent_appends_follow_the_protocol() {
    // Many threads run the accumulator's protocol with one lock per partition; every
    // byte is counted by exactly one sticky partition info, and switches happen.
    let c = Arc::new(three_partitions());
    let p = Arc::new(BuiltInPartitioner::new(TOPIC_A, 64));
    let locks: Arc<Vec<parking_lot::Mutex<u64>>> =
        Arc::new((0..3).map(|_| parking_lot::Mutex::new(0)).collect());
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (c, p, locks) = (c.clone(), p.clone(), locks.clone());
            std::thread::spawn(move || {
                let mut retries = 0;
                for _ in 0..2000 {
                    loop {
                        let info = p.peek_current_partition_info(&c);
                        let mut appended = locks[info.partition() as usize].lock();
                        if p.is_partition_changed(&info) {
                            retries += 1;
                            continue;
                        }
                        *appended += 10;
                        p.update_partition_info(&info, 10, &c, true);
                        break;
                    }
                }
                retries
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let total: u64 = locks.iter().map(|l| *l.lock()).sum();
    assert_eq!(total, 8 * 2000 * 10);
    assert!(locks.iter().all(|l| *l.lock() > 0), "every partition used");
}

#[test]
fn is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<BuiltInPartitioner>();
    check::<StickyPartitionInfo>();
    check::<Box<dyn Partitioner>>();
}

#[test]
fn debug_output_names_the_topic() {
    let p = BuiltInPartitioner::new(TOPIC_A, 5);
    assert!(format!("{p:?}").contains("topicA"));
}
