//! Unit tests of the broker-side sequence checks and of the batch header parsing.

use super::sequences::{batch_headers, check_sequence, remember};
use super::*;

fn h(pid: i64, epoch: i16, first: i32, count: i32) -> BatchHeader {
    BatchHeader {
        len: 61,
        last_offset_delta: count - 1,
        producer_id: pid,
        producer_epoch: epoch,
        base_sequence: first,
    }
}

/// Kafka's `ProducerStateManagerTest`: in-sequence appends, duplicates of the last 5
/// batches with their offsets, gaps, stale and new epochs.
#[test]
fn sequence_checks_follow_kafka() {
    let mut ps = FxHashMap::default();
    // No state: any sequence (state may have expired), unless strict.
    assert_eq!(check_sequence(&ps, &h(7, 0, 42, 1), false), Ok(None));
    assert_eq!(
        check_sequence(&ps, &h(7, 0, 42, 1), true),
        Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
    );
    for i in 0..7 {
        let b = h(7, 0, i * 2, 2);
        assert_eq!(check_sequence(&ps, &b, true), Ok(None), "batch {i}");
        remember(&mut ps, &b, i64::from(i) * 2);
    }
    // The last 5 batches are duplicates, answered with their offsets; older ones are not.
    assert_eq!(check_sequence(&ps, &h(7, 0, 12, 2), false), Ok(Some(12)));
    assert_eq!(check_sequence(&ps, &h(7, 0, 4, 2), false), Ok(Some(4)));
    assert_eq!(
        check_sequence(&ps, &h(7, 0, 2, 2), false),
        Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
    );
    // A gap.
    assert_eq!(
        check_sequence(&ps, &h(7, 0, 15, 1), false),
        Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
    );
    assert_eq!(check_sequence(&ps, &h(7, 0, 14, 1), false), Ok(None));
    // A new epoch starts at 0; an older one is fenced.
    assert_eq!(
        check_sequence(&ps, &h(7, 1, 14, 1), false),
        Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
    );
    assert_eq!(check_sequence(&ps, &h(7, 1, 0, 1), false), Ok(None));
    remember(&mut ps, &h(7, 1, 0, 1), 20);
    assert_eq!(
        check_sequence(&ps, &h(7, 0, 14, 1), false),
        Err(ErrorCode::INVALID_PRODUCER_EPOCH)
    );
    // Non-idempotent batches are never checked.
    assert_eq!(check_sequence(&ps, &h(-1, -1, -1, 3), true), Ok(None));
}

#[test]
fn batch_headers_split_back_to_back_batches_and_refuse_short_ones() {
    let mut one = vec![0u8; 61];
    one[8..12].copy_from_slice(&49i32.to_be_bytes());
    one[23..27].copy_from_slice(&4i32.to_be_bytes());
    let two = [one.clone(), one.clone()].concat();
    let hs = batch_headers(&two).unwrap();
    assert_eq!(hs.len(), 2);
    assert_eq!(hs[1].0.last_offset_delta, 4);
    assert!(batch_headers(&two[..100]).is_none());
    assert!(batch_headers(&[]).unwrap().is_empty());
}
