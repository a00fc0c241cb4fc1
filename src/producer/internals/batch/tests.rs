//! Unit tests of `ProducerBatch`: append, close, complete, split, producer state, failure.

use super::*;
use crate::producer::record::RecordMetadata;
use crate::protocol::record_batch::RecordBatch;

fn batch(size: usize) -> ProducerBatch {
    ProducerBatch::new(
        TopicPartition::new("t", 0),
        Vec::with_capacity(size),
        size,
        size,
        BatchCompression::NONE,
        Instant::now(),
    )
}

#[test]
fn append_close_and_complete() {
    let mut b = batch(1024);
    let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let s = seen.clone();
    let f1 = b
        .try_append(10, Some(b"k"), Some(b"v"), &[], None)
        .ok()
        .unwrap();
    let f2 = b
        .try_append(
            11,
            None,
            Some(b"w"),
            &[],
            Some(Callback::new(move |r| s.lock().push(r.map(|m| m.offset)))),
        )
        .ok()
        .unwrap();
    b.close();
    let bytes = b.shared_bytes().unwrap();
    let decoded = RecordBatch::decode_all(&bytes).unwrap();
    assert_eq!(decoded[0].records.len(), 2);
    drop(bytes);
    assert!(b.done(Ok(BatchOutcome {
        base_offset: 100,
        log_append_time: -1
    })));
    assert!(
        !b.done(Err(Error::Network("late".into()))),
        "completes once"
    );
    assert_eq!(f1.get().unwrap().offset, 100);
    let m2 = f2.get().unwrap();
    assert_eq!(
        (m2.offset, m2.timestamp, m2.serialized_key_size),
        (101, 11, -1)
    );
    assert_eq!(*seen.lock(), vec![Ok(101)]);
    let (buf, size) = b.into_buffer();
    assert_eq!(size, 1024);
    assert!(buf.is_some());
}

#[test]
fn linger_counts_from_creation_not_from_the_last_append() {
    let t0 = Instant::now();
    let mut b = ProducerBatch::new(
        TopicPartition::new("t", 0),
        Vec::with_capacity(1024),
        1024,
        1024,
        BatchCompression::NONE,
        t0,
    );
    // Appends (at any time) do not restart the linger.
    for _ in 1..=9 {
        assert!(b.try_append(0, None, Some(b"x"), &[], None).is_ok());
    }
    assert_eq!(
        b.waited_time(t0 + Duration::from_millis(400)),
        Duration::from_millis(400)
    );
}

#[test]
fn split_chains_futures_keeps_callbacks_and_sequences() {
    let mut b = batch(4096);
    let now = Instant::now();
    let calls = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let mut futures = Vec::new();
    for i in 0..10u8 {
        let c = calls.clone();
        let cb = Callback::new(move |r: Result<RecordMetadata, Error>| {
            c.lock().push((i, r.map(|m| m.offset)))
        });
        futures.push(
            b.try_append(i64::from(i), None, Some(&[i; 100]), &[], Some(cb))
                .ok()
                .unwrap(),
        );
    }
    let producer = ProducerIdAndEpoch {
        producer_id: 9,
        epoch: 0,
    };
    b.set_sequence(BatchSequence {
        id: b.id(),
        producer,
        base_sequence: 40,
        record_count: 10,
        is_transactional: false,
    });
    b.close();
    let parts = b.split(400, now).unwrap();
    assert!(parts.len() >= 3, "{}", parts.len());
    assert!(
        parts.iter().all(|p| p.is_closed()),
        "no appends into split batches"
    );
    let seqs: Vec<(i32, i32)> = parts
        .iter()
        .map(|p| {
            (
                p.sequence().unwrap().base_sequence,
                p.sequence().unwrap().record_count,
            )
        })
        .collect();
    let mut expected = 40;
    for (base, count) in &seqs {
        assert_eq!(*base, expected);
        expected += count;
    }
    assert_eq!(expected, 50);
    // Completing the parts completes the original futures and callbacks, once each.
    let mut offset = 100;
    for mut p in parts {
        let n = p.record_count() as i64;
        p.close();
        p.done(Ok(BatchOutcome {
            base_offset: offset,
            log_append_time: -1,
        }));
        offset += n;
    }
    let offsets: Vec<i64> = futures
        .into_iter()
        .map(|f| f.get().unwrap().offset)
        .collect();
    assert_eq!(offsets, (100..110).collect::<Vec<_>>());
    let mut got = calls.lock().clone();
    got.sort_by_key(|(i, _)| *i);
    assert_eq!(got.len(), 10);
    assert!(
        got.iter()
            .enumerate()
            .all(|(i, (_, r))| *r == Ok(100 + i as i64))
    );
}

#[test]
fn split_of_a_compressed_batch_fills_each_part_up_to_the_split_size() {
    let size = 64 * 1024;
    let mut b = ProducerBatch::new(
        TopicPartition::new("t", 0),
        Vec::with_capacity(size),
        size,
        size,
        BatchCompression {
            codec: Compression::Lz4,
            estimated_ratio: 0.1,
            level: None,
        },
        Instant::now(),
    );
    let futures: Vec<RecordFuture> = (0..200u8)
        .map(|i| {
            b.try_append(i64::from(i), None, Some(&[i; 100]), &[], None)
                .ok()
                .unwrap()
        })
        .collect();
    b.close();
    let split_size = 4096;
    let parts = b.split(split_size, Instant::now()).unwrap();
    let counts: Vec<usize> = parts.iter().map(|p| p.record_count()).collect();
    assert_eq!(counts.iter().sum::<usize>(), 200);
    // 200 records of ~110 bytes in parts of at most 4096 bytes: about 36 records each.
    assert!(counts.len() <= 8, "{counts:?}");
    assert!(counts.iter().all(|&c| c >= 10), "{counts:?}");
    for mut p in parts {
        assert!(p.builder.size_in_bytes() <= split_size, "{p:?}");
        p.close();
        assert_eq!(
            RecordBatch::decode_all(&p.shared_bytes().unwrap()).unwrap()[0]
                .records
                .len(),
            p.record_count()
        );
        p.done(Ok(BatchOutcome {
            base_offset: 0,
            log_append_time: -1,
        }));
    }
    assert!(futures.into_iter().all(|f| f.get().is_ok()));
}

#[test]
fn full_batches_refuse_records() {
    let mut b = batch(100);
    assert!(b.try_append(0, None, Some(&[0; 20]), &[], None).is_ok());
    assert!(!b.is_full());
    assert!(b.try_append(0, None, Some(&[0; 30]), &[], None).is_err());
    b.close();
    assert!(b.is_full());
    assert!(b.try_append(0, None, Some(&[0; 1]), &[], None).is_err());
}

#[test]
fn producer_state_is_written_at_close_and_rewritten_after_a_reset() {
    let mut b = batch(1024);
    let _f = b.try_append(0, None, Some(b"x"), &[], None).ok().unwrap();
    let producer = ProducerIdAndEpoch {
        producer_id: 5,
        epoch: 1,
    };
    b.set_sequence(BatchSequence {
        id: b.id(),
        producer,
        base_sequence: 9,
        record_count: 1,
        is_transactional: true,
    });
    b.close();
    let decoded = RecordBatch::decode_all(&b.shared_bytes().unwrap()).unwrap();
    // A transactional batch carries the transactional bit (without it a broker takes the
    // records as idempotent only: they never join the transaction).
    assert!(decoded.iter().all(|d| d.is_transactional()));
    assert_eq!(
        (
            decoded[0].producer_id,
            decoded[0].producer_epoch,
            decoded[0].base_sequence
        ),
        (5, 1, 9)
    );
    // An epoch bump resets it; the bytes change at the next close, even while shared.
    let shared = b.shared_bytes().unwrap();
    b.reset_producer_state(
        ProducerIdAndEpoch {
            producer_id: 5,
            epoch: 2,
        },
        0,
    );
    assert!(b.sequence_has_been_reset());
    b.close();
    assert!(!b.sequence_has_been_reset());
    let decoded = RecordBatch::decode_all(&b.shared_bytes().unwrap()).unwrap();
    assert_eq!(
        (decoded[0].producer_epoch, decoded[0].base_sequence),
        (2, 0)
    );
    let old = RecordBatch::decode_all(&shared).unwrap();
    assert_eq!(
        old[0].producer_epoch, 1,
        "bytes being sent are never modified"
    );
}

#[test]
fn a_batch_dropped_before_completion_fails_its_records_and_does_not_block_flush() {
    use crate::cluster::{Cluster, Node, PartitionInfo};
    use crate::producer::internals::accumulator::RecordAccumulator;
    use crate::producer::internals::buffer_pool::BufferPool;
    let acc = RecordAccumulator::new(
        crate::producer::internals::accumulator::tests::config(1024, 0),
        Arc::new(BufferPool::new(1 << 20, 1024)),
    );
    let cluster = Cluster::new(
        None,
        None,
        [Node {
            id: 0,
            host: "localhost".into(),
            port: 9092,
            rack: None,
        }],
        [PartitionInfo {
            topic: "t".into(),
            partition: 0,
            leader: Some(0),
            leader_epoch: 0,
            replicas: vec![0],
            in_sync_replicas: vec![0],
            offline_replicas: vec![],
        }],
    );
    let calls = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let c = calls.clone();
    let callback = Callback::new(move |r| c.lock().push(r));
    let appended = acc
        .append(
            "t",
            Some(0),
            0,
            None,
            Some(b"x"),
            &[],
            Some(callback),
            Duration::from_secs(1),
            &cluster,
        )
        .ok()
        .unwrap();
    let drained = acc.drain(
        &cluster,
        &[0].into_iter().collect(),
        1 << 20,
        Instant::now(),
        false,
        None,
    );
    assert_eq!(drained.values().map(Vec::len).sum::<usize>(), 1);
    // A panic unwinds the sender's stack while it holds the drained batch: the sender's
    // catch only aborts queued and in-flight batches, so this one is completed on drop.
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _held = drained;
        panic!("simulated sender panic");
    }));
    assert!(unwound.is_err());
    let calls = calls.lock().clone();
    assert_eq!(calls.len(), 1, "the callback runs exactly once: {calls:?}");
    assert!(matches!(calls[0], Err(Error::Internal(_))), "{calls:?}");
    assert!(matches!(
        appended.future.get_timeout(Duration::from_secs(5)),
        Err(Error::Internal(_))
    ));
    acc.begin_flush();
    assert!(
        acc.await_flush_completion(Some(Instant::now() + Duration::from_secs(5))),
        "flush waits for no dropped batch"
    );
}

#[test]
fn failure_reaches_callbacks_and_futures() {
    let mut b = batch(1024);
    let got = Arc::new(parking_lot::Mutex::new(None));
    let g = got.clone();
    let f = b
        .try_append(
            0,
            None,
            Some(b"x"),
            &[],
            Some(Callback::new(move |r| *g.lock() = Some(r))),
        )
        .ok()
        .unwrap();
    let err = Error::Network("gone".into());
    b.done(Err(err.clone()));
    assert_eq!(f.get().unwrap_err(), err);
    assert_eq!(got.lock().clone().unwrap().unwrap_err(), err);
}
