//! Robustness of the decoders on hostile input, as property tests:
//!
//! - every decoder, at every supported version (and some unsupported ones), returns `Ok` or
//!   `Err` on arbitrary bytes and on mutated valid encodings (bit flips, overwrites with
//!   "interesting" integers, insertions, deletions, truncations), never panics;
//! - whatever a message decoder accepts re-encodes to bytes that decode to the same value;
//! - arbitrary `RecordBatchBuilder` input decodes back to itself, and varints round-trip;
//! - lying lengths and counts fail at once, without a large allocation (checked with a
//!   per-thread allocation-tracking global allocator).

use kafka_producer::mock::responses;
use kafka_producer::protocol::codec::{
    DecodeError, DecodeErrorKind, Reader, Uuid, Writer, uvarint_len, varint_len, varlong_len,
};
use kafka_producer::protocol::frame::try_frame;
use kafka_producer::protocol::messages::find_coordinator::KEY_TYPE_TRANSACTION;
use kafka_producer::protocol::messages::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, AddPartitionsToTxnRequest,
    AddPartitionsToTxnResponse, AddPartitionsToTxnTopic, ApiVersionsRequest, ApiVersionsResponse,
    Decode, Encode, EndTxnRequest, EndTxnResponse, FindCoordinatorRequest, FindCoordinatorResponse,
    InitProducerIdRequest, InitProducerIdResponse, MetadataRequest, MetadataRequestTopic,
    MetadataResponse, PartitionProduceData, ProduceRequest, ProduceResponse,
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
    TopicProduceData, TxnOffsetCommitRequest, TxnOffsetCommitRequestPartition,
    TxnOffsetCommitRequestTopic, TxnOffsetCommitResponse,
};
use kafka_producer::protocol::record_batch::{
    Header, ProducerState, RecordBatch, RecordBatchBuilder, TimestampType, record_size_in_bytes,
};
use kafka_producer::protocol::{
    ApiKey, ErrorCode, OwnedRequestHeader, ResponseHeader, decode_response,
};
use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Allocation tracking: the largest single allocation made by the current thread.
// ---------------------------------------------------------------------------------------------

struct TrackingAllocator;

thread_local! {
    static LARGEST_ALLOCATION: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation(size: usize) {
    let _ = LARGEST_ALLOCATION.try_with(|c| {
        if size > c.get() {
            c.set(size);
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; the bookkeeping only touches
// a const-initialised thread-local `Cell` (no allocation, no destructor).
unsafe impl GlobalAlloc for TrackingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: TrackingAllocator = TrackingAllocator;

/// Runs `f` and returns its result, how long it took and the largest single allocation it made.
fn measured<T>(f: impl FnOnce() -> T) -> (T, Duration, usize) {
    LARGEST_ALLOCATION.with(|c| c.set(0));
    let start = Instant::now();
    let out = f();
    let elapsed = start.elapsed();
    (out, elapsed, LARGEST_ALLOCATION.with(Cell::get))
}

// ---------------------------------------------------------------------------------------------
// Decoding everything
// ---------------------------------------------------------------------------------------------

/// Decodes `bytes` as `$ty` at `$version`. When that succeeds, the value's encoding must decode,
/// wholly, to the same value (whatever the decoder accepts, the encoder can say back).
macro_rules! decode_and_reencode {
    ($ty:ident, $version:expr, $bytes:expr) => {{
        let version: i16 = $version;
        let mut r = Reader::new($bytes, "fuzz");
        match $ty::decode(version, &mut r) {
            Err(e) => Err(e),
            Ok(value) => {
                let mut out = Vec::new();
                value.encode(version, &mut out);
                let mut r2 = Reader::new(&out, "re-encoded");
                let again = $ty::decode(version, &mut r2).unwrap_or_else(|e| {
                    panic!(
                        "{} v{version}: re-encoding of {value:?} does not decode: {e}",
                        stringify!($ty)
                    )
                });
                assert_eq!(again, value, "{} v{version}", stringify!($ty));
                assert!(
                    r2.is_empty(),
                    "{} v{version}: trailing bytes",
                    stringify!($ty)
                );
                Ok(())
            }
        }
    }};
}

/// The message kinds, each with the versions its decoder is tried at: the supported ones plus
/// one below and one above (which must be refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ApiVersionsRequest,
    ApiVersionsResponse,
    MetadataRequest,
    MetadataResponse,
    ProduceRequest,
    ProduceResponse,
    InitProducerIdRequest,
    InitProducerIdResponse,
    SaslHandshakeRequest,
    SaslHandshakeResponse,
    SaslAuthenticateRequest,
    SaslAuthenticateResponse,
    FindCoordinatorRequest,
    FindCoordinatorResponse,
    AddPartitionsToTxnRequest,
    AddPartitionsToTxnResponse,
    AddOffsetsToTxnRequest,
    AddOffsetsToTxnResponse,
    EndTxnRequest,
    EndTxnResponse,
    TxnOffsetCommitRequest,
    TxnOffsetCommitResponse,
}

const KINDS: [Kind; 22] = [
    Kind::ApiVersionsRequest,
    Kind::ApiVersionsResponse,
    Kind::MetadataRequest,
    Kind::MetadataResponse,
    Kind::ProduceRequest,
    Kind::ProduceResponse,
    Kind::InitProducerIdRequest,
    Kind::InitProducerIdResponse,
    Kind::SaslHandshakeRequest,
    Kind::SaslHandshakeResponse,
    Kind::SaslAuthenticateRequest,
    Kind::SaslAuthenticateResponse,
    Kind::FindCoordinatorRequest,
    Kind::FindCoordinatorResponse,
    Kind::AddPartitionsToTxnRequest,
    Kind::AddPartitionsToTxnResponse,
    Kind::AddOffsetsToTxnRequest,
    Kind::AddOffsetsToTxnResponse,
    Kind::EndTxnRequest,
    Kind::EndTxnResponse,
    Kind::TxnOffsetCommitRequest,
    Kind::TxnOffsetCommitResponse,
];

impl Kind {
    fn api(self) -> ApiKey {
        match self {
            Kind::ApiVersionsRequest | Kind::ApiVersionsResponse => ApiKey::ApiVersions,
            Kind::MetadataRequest | Kind::MetadataResponse => ApiKey::Metadata,
            Kind::ProduceRequest | Kind::ProduceResponse => ApiKey::Produce,
            Kind::InitProducerIdRequest | Kind::InitProducerIdResponse => ApiKey::InitProducerId,
            Kind::SaslHandshakeRequest | Kind::SaslHandshakeResponse => ApiKey::SaslHandshake,
            Kind::SaslAuthenticateRequest | Kind::SaslAuthenticateResponse => {
                ApiKey::SaslAuthenticate
            }
            Kind::FindCoordinatorRequest | Kind::FindCoordinatorResponse => ApiKey::FindCoordinator,
            Kind::AddPartitionsToTxnRequest | Kind::AddPartitionsToTxnResponse => {
                ApiKey::AddPartitionsToTxn
            }
            Kind::AddOffsetsToTxnRequest | Kind::AddOffsetsToTxnResponse => ApiKey::AddOffsetsToTxn,
            Kind::EndTxnRequest | Kind::EndTxnResponse => ApiKey::EndTxn,
            Kind::TxnOffsetCommitRequest | Kind::TxnOffsetCommitResponse => ApiKey::TxnOffsetCommit,
        }
    }

    fn versions(self) -> std::ops::RangeInclusive<i16> {
        let (lo, hi) = self.api().supported_versions();
        lo..=hi
    }

    /// Decodes (and, on success, re-encodes) `bytes` as this kind at `version`.
    fn decode(self, version: i16, bytes: &[u8]) -> Result<(), DecodeError> {
        let result = match self {
            Kind::ApiVersionsRequest => decode_and_reencode!(ApiVersionsRequest, version, bytes),
            Kind::ApiVersionsResponse => {
                decode_and_reencode!(ApiVersionsResponse, version, bytes)
            }
            Kind::MetadataRequest => decode_and_reencode!(MetadataRequest, version, bytes),
            Kind::MetadataResponse => decode_and_reencode!(MetadataResponse, version, bytes),
            Kind::ProduceRequest => decode_and_reencode!(ProduceRequest, version, bytes),
            Kind::ProduceResponse => decode_and_reencode!(ProduceResponse, version, bytes),
            Kind::InitProducerIdRequest => {
                decode_and_reencode!(InitProducerIdRequest, version, bytes)
            }
            Kind::InitProducerIdResponse => {
                decode_and_reencode!(InitProducerIdResponse, version, bytes)
            }
            Kind::SaslHandshakeRequest => {
                decode_and_reencode!(SaslHandshakeRequest, version, bytes)
            }
            Kind::SaslHandshakeResponse => {
                decode_and_reencode!(SaslHandshakeResponse, version, bytes)
            }
            Kind::SaslAuthenticateRequest => {
                decode_and_reencode!(SaslAuthenticateRequest, version, bytes)
            }
            Kind::SaslAuthenticateResponse => {
                decode_and_reencode!(SaslAuthenticateResponse, version, bytes)
            }
            Kind::FindCoordinatorRequest => {
                decode_and_reencode!(FindCoordinatorRequest, version, bytes)
            }
            Kind::FindCoordinatorResponse => {
                decode_and_reencode!(FindCoordinatorResponse, version, bytes)
            }
            Kind::AddPartitionsToTxnRequest => {
                decode_and_reencode!(AddPartitionsToTxnRequest, version, bytes)
            }
            Kind::AddPartitionsToTxnResponse => {
                decode_and_reencode!(AddPartitionsToTxnResponse, version, bytes)
            }
            Kind::AddOffsetsToTxnRequest => {
                decode_and_reencode!(AddOffsetsToTxnRequest, version, bytes)
            }
            Kind::AddOffsetsToTxnResponse => {
                decode_and_reencode!(AddOffsetsToTxnResponse, version, bytes)
            }
            Kind::EndTxnRequest => decode_and_reencode!(EndTxnRequest, version, bytes),
            Kind::EndTxnResponse => decode_and_reencode!(EndTxnResponse, version, bytes),
            Kind::TxnOffsetCommitRequest => {
                decode_and_reencode!(TxnOffsetCommitRequest, version, bytes)
            }
            Kind::TxnOffsetCommitResponse => {
                decode_and_reencode!(TxnOffsetCommitResponse, version, bytes)
            }
        };
        let (lo, hi) = self.api().supported_versions();
        if version < lo || version > hi {
            let e = result.as_ref().expect_err("unsupported version accepted");
            assert_eq!(e.kind, DecodeErrorKind::UnsupportedVersion(version));
        }
        result
    }

    /// Decodes `payload` as a whole response frame payload (header and body).
    fn decode_response_payload(self, version: i16, payload: &[u8]) {
        let api = self.api();
        let _ = match self {
            Kind::ApiVersionsResponse => {
                decode_response::<ApiVersionsResponse>(api, version, payload).map(|_| ())
            }
            Kind::MetadataResponse => {
                decode_response::<MetadataResponse>(api, version, payload).map(|_| ())
            }
            Kind::ProduceResponse => {
                decode_response::<ProduceResponse>(api, version, payload).map(|_| ())
            }
            Kind::InitProducerIdResponse => {
                decode_response::<InitProducerIdResponse>(api, version, payload).map(|_| ())
            }
            Kind::SaslHandshakeResponse => {
                decode_response::<SaslHandshakeResponse>(api, version, payload).map(|_| ())
            }
            Kind::SaslAuthenticateResponse => {
                decode_response::<SaslAuthenticateResponse>(api, version, payload).map(|_| ())
            }
            Kind::FindCoordinatorResponse => {
                decode_response::<FindCoordinatorResponse>(api, version, payload).map(|_| ())
            }
            Kind::AddPartitionsToTxnResponse => {
                decode_response::<AddPartitionsToTxnResponse>(api, version, payload).map(|_| ())
            }
            Kind::AddOffsetsToTxnResponse => {
                decode_response::<AddOffsetsToTxnResponse>(api, version, payload).map(|_| ())
            }
            Kind::EndTxnResponse => {
                decode_response::<EndTxnResponse>(api, version, payload).map(|_| ())
            }
            Kind::TxnOffsetCommitResponse => {
                decode_response::<TxnOffsetCommitResponse>(api, version, payload).map(|_| ())
            }
            _ => Ok(()),
        };
    }
}

/// Every decoder in the crate, at every version of interest, on `bytes`. Returns how many
/// accepted them (only used to make sure the mutation tests reach accepting decoders at all).
fn decode_everything(bytes: &[u8]) -> usize {
    let mut accepted = 0;
    for kind in KINDS {
        let (lo, hi) = kind.api().supported_versions();
        for v in lo - 1..=hi + 1 {
            accepted += usize::from(kind.decode(v, bytes).is_ok());
            kind.decode_response_payload(v, bytes);
        }
    }
    for v in [-1, 0, 1, 2, 3, 4, 5, i16::MAX] {
        accepted += usize::from(ApiVersionsResponse::decode_with_fallback(v, bytes).is_ok());
    }
    if let Ok(batches) = RecordBatch::decode_all(bytes) {
        accepted += 1;
        for b in &batches {
            for r in &b.records {
                let _ = (b.offset_of(r), b.timestamp_of(r));
            }
            let _ = (b.compression(), b.timestamp_type(), b.is_control());
        }
    }
    accepted += usize::from(kafka_producer::__fuzz::scram_parse_server_first(bytes));
    accepted += usize::from(kafka_producer::__fuzz::scram_parse_server_final(bytes));
    accepted += usize::from(kafka_producer::__fuzz::oauthbearer_token_response(bytes));
    accepted += usize::from(kafka_producer::__fuzz::oauthbearer_server_challenge(bytes));
    for flexible in [false, true] {
        let _ = ResponseHeader::decode(&mut Reader::new(bytes, "h"), flexible);
        let _ = OwnedRequestHeader::decode(&mut Reader::new(bytes, "h"), flexible);
    }
    for max in [0, 1, 16, 1 << 20, usize::MAX] {
        if let Some(n) = try_frame(bytes, max).unwrap_or(None) {
            assert!(n >= 4 && n <= bytes.len() && n - 4 <= max);
        }
    }
    accepted
}

// ---------------------------------------------------------------------------------------------
// Valid encodings to mutate
// ---------------------------------------------------------------------------------------------

fn small_batch(producer: ProducerState) -> Vec<u8> {
    responses::sample_batch(producer)
}

fn sample_messages(kind: Kind, version: i16, batch: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match kind {
        Kind::ApiVersionsRequest => ApiVersionsRequest::default().encode(version, &mut out),
        Kind::ApiVersionsResponse => responses::sample_api_versions().encode(version, &mut out),
        Kind::MetadataRequest => MetadataRequest {
            topics: Some(vec![
                MetadataRequestTopic {
                    topic_id: Uuid::ZERO,
                    name: Some("orders".into()),
                },
                MetadataRequestTopic {
                    topic_id: Uuid([3; 16]),
                    name: None,
                },
            ]),
            allow_auto_topic_creation: true,
            include_topic_authorized_operations: true,
        }
        .encode(version, &mut out),
        Kind::MetadataResponse => responses::sample_metadata().encode(version, &mut out),
        Kind::ProduceRequest => ProduceRequest {
            transactional_id: Some("tx".into()),
            acks: -1,
            timeout_ms: 30_000,
            topics: vec![TopicProduceData {
                name: "orders".into(),
                partitions: vec![
                    PartitionProduceData {
                        index: 0,
                        records: Some(batch),
                    },
                    PartitionProduceData {
                        index: 1,
                        records: None,
                    },
                ],
            }],
        }
        .encode(version, &mut out),
        Kind::ProduceResponse => responses::sample_produce().encode(version, &mut out),
        Kind::InitProducerIdRequest => InitProducerIdRequest {
            transactional_id: Some("tx".into()),
            transaction_timeout_ms: 60_000,
            producer_id: if version >= 3 { 5 } else { -1 },
            producer_epoch: if version >= 3 { 1 } else { -1 },
        }
        .encode(version, &mut out),
        Kind::InitProducerIdResponse => {
            responses::sample_init_producer_id().encode(version, &mut out)
        }
        Kind::SaslHandshakeRequest => SaslHandshakeRequest {
            mechanism: "SCRAM-SHA-512".into(),
        }
        .encode(version, &mut out),
        Kind::SaslHandshakeResponse => SaslHandshakeResponse {
            error_code: ErrorCode::UNSUPPORTED_SASL_MECHANISM,
            mechanisms: vec!["PLAIN".into(), "SCRAM-SHA-256".into()],
        }
        .encode(version, &mut out),
        Kind::SaslAuthenticateRequest => SaslAuthenticateRequest {
            auth_bytes: b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO".to_vec(),
        }
        .encode(version, &mut out),
        Kind::SaslAuthenticateResponse => SaslAuthenticateResponse {
            error_code: ErrorCode::SASL_AUTHENTICATION_FAILED,
            error_message: Some("Authentication failed".into()),
            auth_bytes: b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096".to_vec(),
            session_lifetime_ms: 3_600_000,
        }
        .encode(version, &mut out),
        Kind::FindCoordinatorRequest => FindCoordinatorRequest {
            key: if version <= 3 { "tx".into() } else { String::new() },
            key_type: KEY_TYPE_TRANSACTION,
            coordinator_keys: if version >= 4 {
                vec!["tx".into(), "tx-2".into()]
            } else {
                vec![]
            },
        }
        .encode(version, &mut out),
        Kind::FindCoordinatorResponse => {
            responses::sample_find_coordinator().encode(version, &mut out)
        }
        Kind::AddPartitionsToTxnRequest => AddPartitionsToTxnRequest {
            transactional_id: "tx".into(),
            producer_id: 5,
            producer_epoch: 1,
            topics: vec![AddPartitionsToTxnTopic {
                name: "orders".into(),
                partitions: vec![0, 3],
            }],
        }
        .encode(version, &mut out),
        Kind::AddPartitionsToTxnResponse => {
            responses::sample_add_partitions_to_txn().encode(version, &mut out)
        }
        Kind::AddOffsetsToTxnRequest => AddOffsetsToTxnRequest {
            transactional_id: "tx".into(),
            producer_id: 5,
            producer_epoch: 1,
            group_id: "consumers".into(),
        }
        .encode(version, &mut out),
        Kind::AddOffsetsToTxnResponse => {
            responses::sample_add_offsets_to_txn().encode(version, &mut out)
        }
        Kind::EndTxnRequest => EndTxnRequest {
            transactional_id: "tx".into(),
            producer_id: 5,
            producer_epoch: 1,
            committed: true,
        }
        .encode(version, &mut out),
        Kind::EndTxnResponse => responses::sample_end_txn().encode(version, &mut out),
        Kind::TxnOffsetCommitRequest => TxnOffsetCommitRequest {
            transactional_id: "tx".into(),
            group_id: "consumers".into(),
            producer_id: 5,
            producer_epoch: 1,
            generation_id: 3,
            member_id: "m".into(),
            group_instance_id: Some("i".into()),
            topics: vec![TxnOffsetCommitRequestTopic {
                name: "orders".into(),
                partitions: vec![TxnOffsetCommitRequestPartition {
                    partition_index: 0,
                    committed_offset: 42,
                    committed_leader_epoch: 2,
                    committed_metadata: Some(String::new()),
                }],
            }],
        }
        .encode(version, &mut out),
        Kind::TxnOffsetCommitResponse => {
            responses::sample_txn_offset_commit().encode(version, &mut out)
        }
    }
    out
}

/// A valid encoding to mutate: a message (with its kind and version) or a record batch.
#[derive(Debug, Clone)]
struct Seed {
    kind: Option<(Kind, i16)>,
    bytes: Vec<u8>,
}

fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let batch = small_batch(ProducerState {
            producer_id: 8,
            producer_epoch: 1,
            base_sequence: 40,
            is_transactional: true,
        });
        let mut seeds = Vec::new();
        for kind in KINDS {
            for v in kind.versions() {
                seeds.push(Seed {
                    kind: Some((kind, v)),
                    bytes: sample_messages(kind, v, &batch),
                });
            }
        }
        let mut two = small_batch(ProducerState::default());
        two.extend_from_slice(&batch);
        for bytes in [batch.clone(), two] {
            seeds.push(Seed { kind: None, bytes });
        }
        seeds
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    SetByte(usize, u8),
    /// Overwrites up to 4 bytes with a big-endian i32 chosen to trip length checks.
    SetI32(usize, i32),
    /// Overwrites with a maximal 5-byte unsigned varint (a huge compact length).
    SetMaxVarint(usize),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let pos = any::<usize>();
    prop_oneof![
        (pos, 0u8..8).prop_map(|(p, b)| Mutation::FlipBit(p, b)),
        (pos, any::<u8>()).prop_map(|(p, b)| Mutation::SetByte(p, b)),
        (
            pos,
            prop::sample::select(vec![
                0,
                1,
                -1,
                -2,
                0x7f,
                0x80,
                0xff,
                0x7fff,
                0xffff,
                i32::MAX,
                i32::MIN,
                i32::MAX / 2,
            ])
        )
            .prop_map(|(p, v)| Mutation::SetI32(p, v)),
        pos.prop_map(Mutation::SetMaxVarint),
        (pos, prop::collection::vec(any::<u8>(), 1..8)).prop_map(|(p, b)| Mutation::Insert(p, b)),
        (pos, 1usize..16).prop_map(|(p, n)| Mutation::Remove(p, n)),
        pos.prop_map(Mutation::Truncate),
    ]
}

fn overwrite(bytes: &mut [u8], at: usize, with: &[u8]) {
    for (i, b) in with.iter().enumerate() {
        if let Some(slot) = bytes.get_mut(at + i) {
            *slot = *b;
        }
    }
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    let at = |p: usize| if len == 0 { 0 } else { p % len };
    match m {
        Mutation::FlipBit(p, bit) if len > 0 => bytes[at(*p)] ^= 1 << bit,
        Mutation::SetByte(p, v) if len > 0 => bytes[at(*p)] = *v,
        Mutation::SetI32(p, v) if len > 0 => overwrite(bytes, at(*p), &v.to_be_bytes()),
        Mutation::SetMaxVarint(p) if len > 0 => {
            overwrite(bytes, at(*p), &[0xff, 0xff, 0xff, 0xff, 0x0f])
        }
        Mutation::Insert(p, b) => {
            let i = if len == 0 { 0 } else { p % (len + 1) };
            bytes.splice(i..i, b.iter().copied());
        }
        Mutation::Remove(p, n) if len > 0 => {
            let i = at(*p);
            bytes.drain(i..(i + n).min(len));
        }
        Mutation::Truncate(p) => bytes.truncate(if len == 0 { 0 } else { p % len }),
        _ => {}
    }
}

/// Recomputes the CRC-32C of a single record batch so that a mutation reaches the decoder past
/// the checksum (batch length fixed too, when the mutation changed the size).
fn fix_batch(bytes: &mut [u8]) {
    if bytes.len() >= 21 {
        let len = (bytes.len() - 12) as i32;
        bytes[8..12].copy_from_slice(&len.to_be_bytes());
        let crc = crc32c(&bytes[21..]);
        bytes[17..21].copy_from_slice(&crc.to_be_bytes());
    }
}

/// CRC-32C (Castagnoli), bitwise; the tests do not depend on the crate's own CRC code.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// `cases` per property, unless `PROPTEST_CASES` asks for another number (for a longer hunt).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(2048))]

    /// Arbitrary bytes: every decoder at every version returns Ok or Err.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        decode_everything(&bytes);
    }

    /// Arbitrary bytes behind a plausible prefix (a small count or length first), so that
    /// decoders get past their first field more often.
    #[test]
    fn arbitrary_bytes_after_small_prefix_never_panic(
        prefix in prop::collection::vec(0u8..4, 0..12),
        rest in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut bytes = prefix;
        bytes.extend(rest);
        decode_everything(&bytes);
    }

    /// Any i16 version, supported or not, on arbitrary bytes.
    #[test]
    fn any_version_never_panics(
        version in any::<i16>(),
        bytes in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        for kind in KINDS {
            let _ = kind.decode(version, &bytes);
            kind.decode_response_payload(version, &bytes);
        }
        let _ = ApiVersionsResponse::decode_with_fallback(version, &bytes);
    }

    /// `try_frame` on any buffer and any maximum.
    #[test]
    fn try_frame_is_total(bytes in prop::collection::vec(any::<u8>(), 0..64), max in any::<usize>()) {
        match try_frame(&bytes, max) {
            Ok(Some(n)) => {
                prop_assert!(n >= 4 && n <= bytes.len());
                prop_assert_eq!(i32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize, n - 4);
            }
            Ok(None) => prop_assert!(
                bytes.len() < 4
                    || i32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize > bytes.len() - 4
            ),
            Err(_) => prop_assert!(bytes.len() >= 4),
        }
    }

    /// Valid encodings with 1 to 4 mutations: every decoder returns Ok or Err.
    #[test]
    fn mutated_valid_encodings_never_panic(
        seed in 0usize..1_000,
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let seed = &seeds()[seed % seeds().len()];
        let mut bytes = seed.bytes.clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        decode_everything(&bytes);
        if let Some((kind, v)) = seed.kind {
            let _ = kind.decode(v, &bytes);
        }
    }

    /// Mutated record batches with the CRC (and batch length) fixed up, so that the record
    /// decoding itself sees the damage.
    #[test]
    fn mutated_batches_with_valid_crc_never_panic(
        two in any::<bool>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let mut bytes = small_batch(ProducerState::default());
        if two {
            bytes = small_batch(ProducerState {
                producer_id: 1,
                producer_epoch: 2,
                base_sequence: 3,
                is_transactional: false,
            });
        }
        for m in &mutations {
            apply(&mut bytes, m);
        }
        fix_batch(&mut bytes);
        if let Ok(batches) = RecordBatch::decode_all(&bytes) {
            // One batch, or none when the mutations left no bytes at all.
            prop_assert_eq!(batches.len(), usize::from(!bytes.is_empty()));
        }
        decode_everything(&bytes);
    }
}

#[test]
fn seeds_are_valid_and_mutations_reach_accepting_decoders() {
    // Every seed decodes as what it is (so the mutation tests start from valid input).
    for seed in seeds() {
        match seed.kind {
            Some((kind, v)) => kind
                .decode(v, &seed.bytes)
                .unwrap_or_else(|e| panic!("{kind:?} v{v}: {e}")),
            None => assert!(!RecordBatch::decode_all(&seed.bytes).unwrap().is_empty()),
        }
    }
    // Single bit flips keep a good share of the inputs decodable, so the re-encode property is
    // exercised, not only the error paths.
    let mut accepted = 0;
    for seed in seeds() {
        for i in 0..seed.bytes.len() {
            let mut bytes = seed.bytes.clone();
            bytes[i] ^= 0x01;
            accepted += decode_everything(&bytes);
        }
    }
    assert!(accepted > 1_000, "only {accepted} accepted mutants");
}

// ---------------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct RecordInput {
    timestamp: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<Header>,
}

fn header() -> impl Strategy<Value = Header> {
    (
        "\\PC{0,12}",
        prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
    )
        .prop_map(|(key, value)| Header { key, value })
}

fn record_input() -> impl Strategy<Value = RecordInput> {
    (
        // Kafka timestamps are non-negative or -1 (none); Java's MemoryRecordsBuilder refuses
        // others, and so would a batch's max timestamp (which starts at -1).
        prop_oneof![
            0..=i64::MAX,
            1_600_000_000_000i64..1_800_000_000_000,
            -1i64..2
        ],
        prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..300)),
        prop::collection::vec(header(), 0..4),
    )
        .prop_map(|(timestamp, key, value, headers)| RecordInput {
            timestamp,
            key,
            value,
            headers,
        })
}

fn producer_state() -> impl Strategy<Value = ProducerState> {
    prop_oneof![
        Just(ProducerState::default()),
        (any::<i64>(), any::<i16>(), any::<i32>(), any::<bool>()).prop_map(
            |(producer_id, producer_epoch, base_sequence, is_transactional)| ProducerState {
                producer_id,
                producer_epoch,
                base_sequence,
                is_transactional,
            }
        ),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    /// Whatever goes into a `RecordBatchBuilder` comes back out of `RecordBatch::decode_all`,
    /// and each record grows the batch by exactly `record_size_in_bytes`.
    #[test]
    fn record_batch_round_trip(
        records in prop::collection::vec(record_input(), 1..40),
        producer in producer_state(),
        base_offset in any::<i64>(),
        log_append_time in any::<bool>(),
        prefix in prop::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut b = RecordBatchBuilder::new(prefix.clone(), 1 << 20);
        b.set_base_offset(base_offset);
        b.set_producer_state(producer);
        if log_append_time {
            b.set_timestamp_type(TimestampType::LogAppendTime);
        }
        let base_ts = records[0].timestamp;
        for (i, r) in records.iter().enumerate() {
            let before = b.size_in_bytes();
            let predicted = record_size_in_bytes(
                i as i32,
                r.timestamp.wrapping_sub(base_ts),
                r.key.as_deref(),
                r.value.as_deref(),
                &r.headers,
            );
            prop_assert_eq!(b.append(r.timestamp, r.key.as_deref(), r.value.as_deref(), &r.headers), i as i32);
            prop_assert_eq!(b.size_in_bytes() - before, predicted);
        }
        let bytes = b.finish().to_vec();
        prop_assert_eq!(bytes.len(), b.size_in_bytes());
        let buffer = b.into_buffer();
        prop_assert_eq!(&buffer[..prefix.len()], &prefix[..]);

        let mut batches = RecordBatch::decode_all(&bytes).unwrap();
        prop_assert_eq!(batches.len(), 1);
        let batch = batches.remove(0);
        prop_assert_eq!(batch.base_offset, base_offset);
        prop_assert_eq!(batch.producer_id, producer.producer_id);
        prop_assert_eq!(batch.producer_epoch, producer.producer_epoch);
        prop_assert_eq!(batch.base_sequence, producer.base_sequence);
        prop_assert_eq!(batch.is_transactional(), producer.is_transactional);
        let ts_type = if log_append_time { TimestampType::LogAppendTime } else { TimestampType::CreateTime };
        prop_assert_eq!(batch.timestamp_type(), ts_type);
        prop_assert_eq!(batch.base_timestamp, base_ts);
        prop_assert_eq!(batch.max_timestamp, records.iter().map(|r| r.timestamp).max().unwrap());
        prop_assert_eq!(batch.last_offset_delta as usize, records.len() - 1);
        prop_assert_eq!(batch.records.len(), records.len());
        for (i, (got, want)) in batch.records.iter().zip(&records).enumerate() {
            prop_assert_eq!(batch.offset_of(got), base_offset.wrapping_add(i as i64));
            prop_assert_eq!(batch.timestamp_of(got), want.timestamp);
            prop_assert_eq!(&got.key, &want.key);
            prop_assert_eq!(&got.value, &want.value);
            prop_assert_eq!(&got.headers, &want.headers);
        }
    }

    #[test]
    fn uvarint_round_trip(v in any::<u32>()) {
        let mut buf = Vec::new();
        buf.put_uvarint(v);
        prop_assert_eq!(buf.len(), uvarint_len(v));
        let mut r = Reader::new(&buf, "t");
        prop_assert_eq!(r.uvarint("v").unwrap(), v);
        prop_assert!(r.is_empty());
    }

    #[test]
    fn varint_round_trip(v in any::<i32>()) {
        let mut buf = Vec::new();
        buf.put_varint(v);
        prop_assert_eq!(buf.len(), varint_len(v));
        let mut r = Reader::new(&buf, "t");
        prop_assert_eq!(r.varint("v").unwrap(), v);
        prop_assert!(r.is_empty());
        // Every proper prefix is an error, not a different value.
        for n in 0..buf.len() {
            prop_assert!(Reader::new(&buf[..n], "t").varint("v").is_err());
        }
    }

    #[test]
    fn varlong_round_trip(v in any::<i64>()) {
        let mut buf = Vec::new();
        buf.put_varlong(v);
        prop_assert_eq!(buf.len(), varlong_len(v));
        let mut r = Reader::new(&buf, "t");
        prop_assert_eq!(r.varlong("v").unwrap(), v);
        prop_assert!(r.is_empty());
        for n in 0..buf.len() {
            prop_assert!(Reader::new(&buf[..n], "t").varlong("v").is_err());
        }
    }

    /// Small values also round-trip (any::<i32>() rarely produces them).
    #[test]
    fn small_varints_round_trip(v in -300i64..300) {
        let mut buf = Vec::new();
        buf.put_varint(v as i32);
        buf.put_varlong(v);
        let mut r = Reader::new(&buf, "t");
        prop_assert_eq!(i64::from(r.varint("a").unwrap()), v);
        prop_assert_eq!(r.varlong("b").unwrap(), v);
        prop_assert!(r.is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// Lying lengths
// ---------------------------------------------------------------------------------------------

const HUGE_UVARINT: [u8; 5] = [0xff, 0xff, 0xff, 0xff, 0x0f];

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn lying_batch(patch: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut bytes = small_batch(ProducerState::default());
    patch(&mut bytes);
    fix_batch(&mut bytes);
    bytes
}

/// Counts and lengths claiming up to 2^32 elements or bytes, with a few bytes behind them, fail
/// at once: no decoder trusts a count to size an allocation.
#[test]
fn lying_lengths_fail_fast_without_large_allocations() {
    let max_i32 = i32::MAX.to_be_bytes();
    let fixed16 = [0u8; 16];
    let cases: Vec<(&str, Kind, i16, Vec<u8>)> = vec![
        (
            "ApiVersions v0 api_keys count",
            Kind::ApiVersionsResponse,
            0,
            cat(&[&[0, 0], &max_i32, &[0; 6]]),
        ),
        (
            "ApiVersions v3 api_keys compact count",
            Kind::ApiVersionsResponse,
            3,
            cat(&[&[0, 0], &HUGE_UVARINT, &[0; 7]]),
        ),
        (
            "ApiVersions v3 tagged field count",
            Kind::ApiVersionsResponse,
            3,
            cat(&[&[0, 0, 1, 0, 0, 0, 0], &HUGE_UVARINT, &[0; 4]]),
        ),
        (
            "ApiVersions v3 tagged field size",
            Kind::ApiVersionsResponse,
            3,
            cat(&[&[0, 0, 1, 0, 0, 0, 0, 1, 0], &HUGE_UVARINT, &[0; 4]]),
        ),
        (
            "ApiVersions v4 supported features count",
            Kind::ApiVersionsResponse,
            4,
            cat(&[&[0, 0, 1, 0, 0, 0, 0, 1, 0, 6], &HUGE_UVARINT, &[0]]),
        ),
        (
            "ApiVersionsRequest v3 name length",
            Kind::ApiVersionsRequest,
            3,
            cat(&[&HUGE_UVARINT, b"abc"]),
        ),
        (
            "Metadata v12 brokers count",
            Kind::MetadataResponse,
            12,
            cat(&[&[0; 4], &HUGE_UVARINT, &[0; 12]]),
        ),
        (
            "Metadata v13 topics count",
            Kind::MetadataResponse,
            13,
            cat(&[&[0; 4], &[1, 0], &[0; 4], &HUGE_UVARINT, &[0; 30]]),
        ),
        (
            "Metadata v13 replica count",
            Kind::MetadataResponse,
            13,
            cat(&[
                &[0; 4],
                &[1, 0],
                &[0; 4],
                &[2, 0, 0, 2, b't'],
                &fixed16,
                &[0, 2],
                &[0; 14],
                &HUGE_UVARINT,
                &[0; 12],
            ]),
        ),
        (
            "Metadata v12 host length",
            Kind::MetadataResponse,
            12,
            cat(&[&[0; 4], &[2, 0, 0, 0, 1], &HUGE_UVARINT, b"host"]),
        ),
        (
            "MetadataRequest v12 topics count",
            Kind::MetadataRequest,
            12,
            cat(&[&HUGE_UVARINT, &fixed16, &[0; 4]]),
        ),
        (
            "Produce v9 responses count",
            Kind::ProduceResponse,
            9,
            cat(&[&HUGE_UVARINT, &[0; 40]]),
        ),
        (
            "Produce v10 record errors count",
            Kind::ProduceResponse,
            10,
            cat(&[&[2, 2, b't', 2], &[0; 30], &HUGE_UVARINT, &[0; 8]]),
        ),
        (
            "ProduceRequest v9 topics count",
            Kind::ProduceRequest,
            9,
            cat(&[&[0, 0, 1, 0, 0, 0, 0], &HUGE_UVARINT, &[0; 8]]),
        ),
        (
            "ProduceRequest v12 records length",
            Kind::ProduceRequest,
            12,
            cat(&[
                &[0, 0, 1, 0, 0, 0, 0, 2, 2, b't', 2, 0, 0, 0, 0],
                &HUGE_UVARINT,
                &[0; 8],
            ]),
        ),
        (
            "InitProducerIdRequest v0 transactional id length",
            Kind::InitProducerIdRequest,
            0,
            cat(&[&[0x7f, 0xff], b"abc"]),
        ),
        (
            "InitProducerIdResponse v2 tagged field count",
            Kind::InitProducerIdResponse,
            2,
            cat(&[&fixed16, &HUGE_UVARINT]),
        ),
    ];
    for (name, kind, version, bytes) in &cases {
        let (result, elapsed, largest) = measured(|| kind.decode(*version, bytes));
        let e = result.expect_err(name);
        assert!(
            matches!(
                e.kind,
                DecodeErrorKind::LengthExceedsBuffer { .. }
                    | DecodeErrorKind::UnexpectedEof { .. }
                    | DecodeErrorKind::InvalidLength(_)
            ),
            "{name}: {e}"
        );
        assert!(elapsed < Duration::from_millis(100), "{name}: {elapsed:?}");
        assert!(largest < 4096, "{name}: allocated {largest} bytes at once");
    }

    let batch_cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "records count",
            lying_batch(|b| b[57..61].copy_from_slice(&max_i32)),
        ),
        (
            "record length",
            lying_batch(|b| overwrite(b, 61, &HUGE_UVARINT)),
        ),
        (
            "key length",
            lying_batch(|b| overwrite(b, 65, &[0xfe, 0xff, 0xff, 0xff, 0x07])),
        ),
        (
            "header count",
            lying_batch(|b| {
                // First record: length, attributes, ts delta, offset delta, key "key", value
                // "value", then the header count.
                let at = 61 + 1 + 1 + 1 + 1 + 1 + 3 + 1 + 5;
                assert_eq!(b[at], 0, "header count of record 0");
                b[at] = 0x7e; // zig-zag 63 headers, with no bytes left in the record
            }),
        ),
        ("batch length", cat(&[&[0; 8], &max_i32, &[0; 60]])),
    ];
    for (name, bytes) in &batch_cases {
        let (result, elapsed, largest) = measured(|| RecordBatch::decode_all(bytes));
        let e = result.expect_err(name);
        assert!(
            !matches!(e.kind, DecodeErrorKind::CrcMismatch { .. }),
            "{name}: the CRC was fixed, the length must be what fails: {e}"
        );
        assert!(elapsed < Duration::from_millis(100), "{name}: {elapsed:?}");
        assert!(largest < 4096, "{name}: allocated {largest} bytes at once");
    }

    // A frame size of 2^31-1 is refused above the maximum, and otherwise only waited for.
    let frame = cat(&[&max_i32, &[0; 8]]);
    let ((refused, waiting), _, largest) =
        measured(|| (try_frame(&frame, 100 << 20), try_frame(&frame, usize::MAX)));
    assert!(refused.is_err());
    assert_eq!(waiting.unwrap(), None);
    assert!(largest < 4096);
}

/// The OAUTHBEARER parsers of what comes from the network (the token endpoint's HTTP answer,
/// the broker's error document) on valid inputs and on every truncation and byte flip of them.
#[test]
fn oauthbearer_parsers_survive_mutations_of_valid_inputs() {
    let jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMCwiaWF0IjoxfQ.c2ln";
    let body = format!(r#"{{"access_token":"{jwt}","token_type":"bearer","expires_in":3600}}"#);
    let plain = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let chunked = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    for response in [&plain, &chunked] {
        assert!(
            kafka_producer::__fuzz::oauthbearer_token_response(response.as_bytes()),
            "{response}"
        );
        let bytes = response.as_bytes();
        for cut in 0..bytes.len() {
            kafka_producer::__fuzz::oauthbearer_token_response(&bytes[..cut]);
        }
        for i in 0..bytes.len() {
            for flip in [0x01, 0x20, 0x80, 0xff] {
                let mut m = bytes.to_vec();
                m[i] ^= flip;
                kafka_producer::__fuzz::oauthbearer_token_response(&m);
            }
        }
    }
    let challenge = br#"{"status":"invalid_token","scope":"kafka","openid-configuration":"x"}"#;
    assert!(kafka_producer::__fuzz::oauthbearer_server_challenge(
        challenge
    ));
    for i in 0..challenge.len() {
        let mut m = challenge.to_vec();
        m[i] ^= 0x80;
        kafka_producer::__fuzz::oauthbearer_server_challenge(&m);
        kafka_producer::__fuzz::oauthbearer_server_challenge(&challenge[..i]);
    }
}
