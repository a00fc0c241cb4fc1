//! `RecordBatch::decode_all`. When the first input byte is odd, the rest gets a correct batch
//! length and CRC-32C first, so that the fuzzer reaches the header and record decoding behind
//! the checksum. Every accepted batch is rebuilt with `RecordBatchBuilder` and must decode to
//! the same records.
#![no_main]

use kafka_producer::protocol::record_batch::{
    ProducerState, RecordBatch, RecordBatchBuilder, TimestampType,
};
use kafka_producer_fuzz::fix_batch_length_and_crc;
use libfuzzer_sys::fuzz_target;

fn rebuild(batch: &RecordBatch) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Vec::new(), usize::MAX);
    b.set_base_offset(batch.base_offset);
    b.set_timestamp_type(batch.timestamp_type());
    b.set_producer_state(ProducerState {
        producer_id: batch.producer_id,
        producer_epoch: batch.producer_epoch,
        base_sequence: batch.base_sequence,
        is_transactional: batch.is_transactional(),
    });
    for r in &batch.records {
        b.append(
            batch.timestamp_of(r),
            r.key.as_deref(),
            r.value.as_deref(),
            &r.headers,
        );
    }
    b.finish().to_vec()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut bytes = rest.to_vec();
    if selector & 1 == 1 {
        fix_batch_length_and_crc(&mut bytes);
    }
    // A small decompression cap keeps runs fast: bombs must fail, not allocate.
    let Ok(batches) = RecordBatch::decode_all_with_limit(&bytes, 1 << 20) else {
        return;
    };
    for batch in &batches {
        let rebuilt = rebuild(batch);
        let again = RecordBatch::decode_all(&rebuilt)
            .unwrap_or_else(|e| panic!("rebuilt batch does not decode: {e}"))
            .remove(0);
        assert_eq!(again.records.len(), batch.records.len());
        assert_eq!(again.base_offset, batch.base_offset);
        assert_eq!(again.producer_id, batch.producer_id);
        assert_eq!(again.base_sequence, batch.base_sequence);
        assert_eq!(
            again.timestamp_type() == TimestampType::LogAppendTime,
            batch.timestamp_type() == TimestampType::LogAppendTime
        );
        for (a, b) in again.records.iter().zip(&batch.records) {
            assert_eq!(again.timestamp_of(a), batch.timestamp_of(b));
            assert_eq!(
                (&a.key, &a.value, &a.headers),
                (&b.key, &b.value, &b.headers)
            );
        }
    }
});
