//! Usage examples of the crate-private partitioner (formerly doc examples).

/// The example once in the documentation of `StickyPartitionInfo`.
#[test]
fn sticky_partition_info_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    use crate::{Cluster, Node, PartitionInfo};
    let node = Node {
        id: 1,
        host: "h".into(),
        port: 9092,
        rack: None,
    };
    let part = PartitionInfo {
        topic: "t".into(),
        partition: 0,
        leader: Some(1),
        leader_epoch: 0,
        replicas: vec![1],
        in_sync_replicas: vec![1],
        offline_replicas: vec![],
    };
    let cluster = Cluster::new(None, None, [node], [part]);
    let p = BuiltInPartitioner::new("t", 16384);
    let info = p.peek_current_partition_info(&cluster);
    assert_eq!(info.partition(), 0, "the topic's only partition");
    assert_eq!(p.produced_bytes(&info), Some(0));
}

/// The example once in the documentation of `partition`.
#[test]
fn partition_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    use crate::{Cluster, Node, PartitionInfo};
    let node = Node {
        id: 1,
        host: "h".into(),
        port: 9092,
        rack: None,
    };
    let part = PartitionInfo {
        topic: "t".into(),
        partition: 0,
        leader: Some(1),
        leader_epoch: 0,
        replicas: vec![1],
        in_sync_replicas: vec![1],
        offline_replicas: vec![],
    };
    let cluster = Cluster::new(None, None, [node], [part]);
    let p = BuiltInPartitioner::new("t", 16384);
    assert_eq!(p.peek_current_partition_info(&cluster).partition(), 0);
}

/// The example once in the documentation of `produced_bytes`.
#[test]
fn produced_bytes_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    use crate::{Cluster, Node, PartitionInfo};
    let node = Node {
        id: 1,
        host: "h".into(),
        port: 9092,
        rack: None,
    };
    let part = PartitionInfo {
        topic: "t".into(),
        partition: 0,
        leader: Some(1),
        leader_epoch: 0,
        replicas: vec![1],
        in_sync_replicas: vec![1],
        offline_replicas: vec![],
    };
    let cluster = Cluster::new(None, None, [node], [part]);
    let p = BuiltInPartitioner::new("t", 16384);
    let info = p.peek_current_partition_info(&cluster);
    p.update_partition_info(&info, 100, &cluster, true);
    assert_eq!(p.produced_bytes(&info), Some(100));
}

/// The example once in the documentation of `BuiltInPartitioner`.
#[test]
fn built_in_partitioner_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    use crate::{Cluster, Node, PartitionInfo};

    let nodes = (0..3).map(|id| Node {
        id,
        host: "localhost".into(),
        port: 9092,
        rack: None,
    });
    let parts = (0..3).map(|p| PartitionInfo {
        topic: "orders".into(),
        partition: p,
        leader: Some(p),
        leader_epoch: 0,
        replicas: vec![p],
        in_sync_replicas: vec![p],
        offline_replicas: vec![],
    });
    let cluster = Cluster::new(None, None, nodes, parts);

    // Switch after 100 bytes.
    let partitioner = BuiltInPartitioner::new("orders", 100);
    let first = partitioner.peek_current_partition_info(&cluster);
    for _ in 0..3 {
        let info = partitioner.peek_current_partition_info(&cluster);
        assert_eq!(info.partition(), first.partition(), "sticky");
        // ... lock the partition's queue, append 30 bytes ...
        assert!(!partitioner.is_partition_changed(&info));
        partitioner.update_partition_info(&info, 30, &cluster, true);
    }
    let info = partitioner.peek_current_partition_info(&cluster);
    partitioner.update_partition_info(&info, 30, &cluster, true); // 120 >= 100 bytes
    assert!(
        partitioner.is_partition_changed(&first),
        "switched to a new sticky partition"
    );
}

/// The example once in the documentation of `new`.
#[test]
fn new_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    let p = BuiltInPartitioner::new("orders", 16384);
    assert_eq!(p.sticky_batch_size(), 16384);
}

/// The example once in the documentation of `with_random`.
#[test]
fn with_random_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    use crate::{Cluster, Node, PartitionInfo};
    use std::sync::atomic::{AtomicI32, Ordering};

    let nodes = [Node {
        id: 1,
        host: "h".into(),
        port: 9092,
        rack: None,
    }];
    let parts = (0..3).map(|p| PartitionInfo {
        topic: "t".into(),
        partition: p,
        leader: Some(1),
        leader_epoch: 0,
        replicas: vec![1],
        in_sync_replicas: vec![1],
        offline_replicas: vec![],
    });
    let cluster = Cluster::new(None, None, nodes, parts);

    let counter = AtomicI32::new(0);
    let p =
        BuiltInPartitioner::with_random("t", 1, move || counter.fetch_add(1, Ordering::Relaxed));
    let chosen: Vec<i32> = (0..5).map(|_| p.next_partition(&cluster)).collect();
    assert_eq!(
        chosen,
        [0, 1, 2, 0, 1],
        "round robin with a counter as the random source"
    );
}

/// The example once in the documentation of `sticky_batch_size`.
#[test]
fn sticky_batch_size_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    assert_eq!(BuiltInPartitioner::new("t", 512).sticky_batch_size(), 512);
}

/// The example once in the documentation of `next_partition`.
#[test]
fn next_partition_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    use crate::{Cluster, Node, PartitionInfo};

    let nodes = [Node {
        id: 1,
        host: "h".into(),
        port: 9092,
        rack: None,
    }];
    let parts = (0..4).map(|p| PartitionInfo {
        topic: "t".into(),
        partition: p,
        leader: (p % 2 == 1).then_some(1),
        leader_epoch: 0,
        replicas: vec![1],
        in_sync_replicas: vec![1],
        offline_replicas: vec![],
    });
    let cluster = Cluster::new(None, None, nodes, parts);
    let p = BuiltInPartitioner::new("t", 16384);
    for _ in 0..20 {
        assert!(
            matches!(p.next_partition(&cluster), 1 | 3),
            "only partitions with a leader"
        );
    }
}

/// The example once in the documentation of `load_stats_range_end`.
#[test]
fn load_stats_range_end_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    let p = BuiltInPartitioner::new("t", 1);
    assert_eq!(p.load_stats_range_end(), None);
    // Queue sizes 0 3 1 invert to 4 1 3 (max + 1 - size), which sum to 8.
    p.update_partition_load_stats(Some(&[0, 3, 1]), &[0, 1, 2]);
    assert_eq!(p.load_stats_range_end(), Some(8));
}

/// The example once in the documentation of `peek_current_partition_info`.
#[test]
fn peek_current_partition_info_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    use crate::{Cluster, Node, PartitionInfo};
    let node = Node {
        id: 1,
        host: "h".into(),
        port: 9092,
        rack: None,
    };
    let parts = (0..5).map(|p| PartitionInfo {
        topic: "t".into(),
        partition: p,
        leader: Some(1),
        leader_epoch: 0,
        replicas: vec![1],
        in_sync_replicas: vec![1],
        offline_replicas: vec![],
    });
    let cluster = Cluster::new(None, None, [node], parts);
    let p = BuiltInPartitioner::new("t", 16384);
    let a = p.peek_current_partition_info(&cluster);
    let b = p.peek_current_partition_info(&cluster);
    assert_eq!(a.partition(), b.partition(), "peeking does not switch");
}

/// The example once in the documentation of `is_partition_changed`.
#[test]
fn is_partition_changed_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    use crate::{Cluster, Node, PartitionInfo};
    let node = Node {
        id: 1,
        host: "h".into(),
        port: 9092,
        rack: None,
    };
    let part = PartitionInfo {
        topic: "t".into(),
        partition: 0,
        leader: Some(1),
        leader_epoch: 0,
        replicas: vec![1],
        in_sync_replicas: vec![1],
        offline_replicas: vec![],
    };
    let cluster = Cluster::new(None, None, [node], [part]);
    let p = BuiltInPartitioner::new("t", 10);
    let info = p.peek_current_partition_info(&cluster);
    assert!(!p.is_partition_changed(&info));
    p.update_partition_info(&info, 10, &cluster, true);
    // A new sticky partition object, although the topic has only partition 0.
    assert!(p.is_partition_changed(&info));
}

/// The example once in the documentation of `update_partition_info`.
#[test]
fn update_partition_info_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    use crate::{Cluster, Node, PartitionInfo};
    let node = Node {
        id: 1,
        host: "h".into(),
        port: 9092,
        rack: None,
    };
    let part = PartitionInfo {
        topic: "t".into(),
        partition: 0,
        leader: Some(1),
        leader_epoch: 0,
        replicas: vec![1],
        in_sync_replicas: vec![1],
        offline_replicas: vec![],
    };
    let cluster = Cluster::new(None, None, [node], [part]);
    let p = BuiltInPartitioner::new("t", 100);
    let info = p.peek_current_partition_info(&cluster);
    p.update_partition_info(&info, 150, &cluster, false);
    assert!(
        !p.is_partition_changed(&info),
        "switching disabled below 2 x 100 bytes"
    );
    p.update_partition_info(&info, 0, &cluster, true);
    assert!(p.is_partition_changed(&info), "the deferred switch");
}

/// The example once in the documentation of `update_partition_load_stats`.
#[test]
fn update_partition_load_stats_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    use crate::{Cluster, Node, PartitionInfo};
    use std::sync::atomic::{AtomicI32, Ordering};

    let nodes = [Node {
        id: 1,
        host: "h".into(),
        port: 9092,
        rack: None,
    }];
    let parts = (0..3).map(|p| PartitionInfo {
        topic: "t".into(),
        partition: p,
        leader: Some(1),
        leader_epoch: 0,
        replicas: vec![1],
        in_sync_replicas: vec![1],
        offline_replicas: vec![],
    });
    let cluster = Cluster::new(None, None, nodes, parts);
    let counter = AtomicI32::new(0);
    let p =
        BuiltInPartitioner::with_random("t", 1, move || counter.fetch_add(1, Ordering::Relaxed));

    // Queue sizes 0 3 1: frequencies 4 1 3, cumulative 4 5 8.
    p.update_partition_load_stats(Some(&[0, 3, 1]), &[0, 1, 2]);
    let chosen: Vec<i32> = (0..8).map(|_| p.next_partition(&cluster)).collect();
    assert_eq!(chosen, [0, 0, 0, 0, 1, 2, 2, 2]);

    // Equal queues: uniform again.
    p.update_partition_load_stats(Some(&[2, 2, 2]), &[0, 1, 2]);
    assert_eq!(p.load_stats_range_end(), None);
}

/// The example once in the documentation of `update_partition_load_stats_with_length`.
#[test]
fn update_partition_load_stats_with_length_example() {
    use crate::producer::partitioner::BuiltInPartitioner;
    use crate::{Cluster, Node, PartitionInfo};

    let nodes = [Node {
        id: 1,
        host: "h".into(),
        port: 9092,
        rack: None,
    }];
    let parts = (0..3).map(|p| PartitionInfo {
        topic: "t".into(),
        partition: p,
        leader: Some(1),
        leader_epoch: 0,
        replicas: vec![1],
        in_sync_replicas: vec![1],
        offline_replicas: vec![],
    });
    let cluster = Cluster::new(None, None, nodes, parts);
    let p = BuiltInPartitioner::new("t", 1);

    // Partition 0's broker is slow and left out: only 1 and 2 remain, equally likely.
    p.update_partition_load_stats_with_length(Some(&[5, 5, 5]), &[1, 2, 2], 2);
    assert_eq!(p.load_stats_range_end(), Some(2));
    assert!((0..20).all(|_| p.next_partition(&cluster) != 0));
}
