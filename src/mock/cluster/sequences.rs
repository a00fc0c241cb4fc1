//! Idempotent producer checks as Kafka's `ProducerStateManager` does them: batch headers,
//! sequence and epoch checks, the last batches remembered for duplicates, forgetting producers.

use crate::protocol::ErrorCode;
use rustc_hash::FxHashMap;

use super::{BATCHES_TO_RETAIN, BatchHeader, MockCluster, ProducerEntry, State};

impl MockCluster {
    /// With `true`, a producer a partition has no state for must start at sequence 0
    /// (`OUT_OF_ORDER_SEQUENCE_NUMBER` otherwise); Kafka, and the default, accept any sequence
    /// then (the state may have expired).
    ///
    /// ```
    /// kafka_producer::mock::MockCluster::new(1).set_strict_sequences(true);
    /// ```
    pub fn set_strict_sequences(&self, strict: bool) {
        self.shared.state.lock().strict = strict;
    }

    /// Makes every broker advertise `range` (min, max) for `api` in its ApiVersions answer,
    /// or not list it at all with `None`: a broker older than this client (new connections
    /// see it).
    ///
    /// ```
    /// use kafka_producer::protocol::ApiKey;
    /// // A broker older than Kafka 0.11: Produce up to v2 only.
    /// kafka_producer::mock::MockCluster::new(1).set_api_versions(ApiKey::Produce, Some((0, 2)));
    /// ```
    pub fn set_api_versions(&self, api: crate::protocol::ApiKey, range: Option<(i16, i16)>) {
        self.shared.state.lock().api_versions.insert(api, range);
    }

    /// [`set_api_versions`](Self::set_api_versions) for one broker only (a cluster in the
    /// middle of a rolling upgrade).
    ///
    /// ```
    /// use kafka_producer::protocol::ApiKey;
    /// let c = kafka_producer::mock::MockCluster::new(2);
    /// c.set_broker_api_versions(1, ApiKey::Produce, Some((0, 2)));
    /// ```
    pub fn set_broker_api_versions(
        &self,
        broker: i32,
        api: crate::protocol::ApiKey,
        range: Option<(i16, i16)>,
    ) {
        self.shared
            .state
            .lock()
            .broker_api_versions
            .insert((broker, api), range);
    }

    /// Forgets every producer's sequence state on every partition (as when it expires).
    ///
    /// ```
    /// kafka_producer::mock::MockCluster::new(1).forget_producers();
    /// ```
    pub fn forget_producers(&self) {
        forget_producers(&mut self.shared.state.lock());
    }
}

pub(super) fn forget_producers(st: &mut State) {
    for parts in st.topics.values_mut() {
        for p in parts {
            p.producers.clear();
        }
    }
}

pub(super) fn be<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    b[at..at + N].try_into().expect("length checked")
}

/// Reads the header of the batch at the start of `bytes`; `None` if it is cut short.
fn batch_header(bytes: &[u8]) -> Option<BatchHeader> {
    if bytes.len() < 61 {
        return None;
    }
    let len = 12 + usize::try_from(i32::from_be_bytes(be(bytes, 8))).ok()?;
    if len > bytes.len() || len < 61 {
        return None;
    }
    Some(BatchHeader {
        len,
        last_offset_delta: i32::from_be_bytes(be(bytes, 23)),
        producer_id: i64::from_be_bytes(be(bytes, 43)),
        producer_epoch: i16::from_be_bytes(be(bytes, 51)),
        base_sequence: i32::from_be_bytes(be(bytes, 53)),
    })
}

/// The batch headers of back-to-back batches; `None` if one is cut short.
pub(super) fn batch_headers(mut bytes: &[u8]) -> Option<Vec<(BatchHeader, &[u8])>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let h = batch_header(bytes)?;
        let (batch, rest) = bytes.split_at(h.len);
        out.push((h, batch));
        bytes = rest;
    }
    Some(out)
}

/// Validates a batch's sequence as Kafka's `ProducerAppendInfo` does: the error, or the base
/// offset of an earlier identical batch (a duplicate), or `None` to append it.
pub(super) fn check_sequence(
    producers: &FxHashMap<i64, ProducerEntry>,
    h: &BatchHeader,
    strict: bool,
) -> Result<Option<i64>, ErrorCode> {
    if h.producer_id < 0 {
        return Ok(None);
    }
    let first = h.base_sequence;
    let last = first.wrapping_add(h.last_offset_delta);
    match producers.get(&h.producer_id) {
        None if strict && first != 0 => Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER),
        None => Ok(None),
        Some(s) if h.producer_epoch < s.epoch => Err(ErrorCode::INVALID_PRODUCER_EPOCH),
        Some(s) if h.producer_epoch > s.epoch => {
            if first == 0 {
                Ok(None)
            } else {
                Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
            }
        }
        Some(s) => {
            if let Some(&(_, _, offset)) =
                s.batches.iter().find(|(f, l, _)| *f == first && *l == last)
            {
                return Ok(Some(offset));
            }
            let expected = s.batches.back().map_or(0, |(_, l, _)| l.wrapping_add(1));
            if first == expected {
                Ok(None)
            } else {
                Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
            }
        }
    }
}

pub(super) fn remember(
    producers: &mut FxHashMap<i64, ProducerEntry>,
    h: &BatchHeader,
    base_offset: i64,
) {
    if h.producer_id < 0 {
        return;
    }
    let s = producers.entry(h.producer_id).or_default();
    if h.producer_epoch != s.epoch {
        s.epoch = h.producer_epoch;
        s.batches.clear();
    }
    s.batches.push_back((
        h.base_sequence,
        h.base_sequence.wrapping_add(h.last_offset_delta),
        base_offset,
    ));
    if s.batches.len() > BATCHES_TO_RETAIN {
        s.batches.pop_front();
    }
}
