//! A scripted fake broker for fault injection, speaking the crate's own protocol over real
//! loopback sockets. It answers ApiVersions and Metadata (one topic whose partitions it leads)
//! and hands each Produce request to a script that decides the answer: a normal response, an
//! error code, garbage bytes, silence, or a closed connection.
//!
//! It is beside, never instead of, the real-broker tests.
#![allow(dead_code)]

use kafka_producer::protocol::messages::{
    ApiVersionRange, ApiVersionsResponse, Decode, Encode, MetadataResponse, MetadataResponseBroker,
    MetadataResponsePartition, MetadataResponseTopic, PartitionProduceResponse, ProduceRequest,
    ProduceResponse, TopicProduceResponse,
};
use kafka_producer::protocol::record_batch::RecordBatch;
use kafka_producer::protocol::{
    ApiKey, ErrorCode, OwnedRequestHeader, Reader, ResponseHeader, Uuid,
};
use parking_lot::Mutex;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// What to do with one Produce request.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Append the batches and answer with their offsets.
    Ok,
    /// Answer every partition with this error code.
    Error(ErrorCode),
    /// Answer with these raw bytes instead of a response frame.
    Garbage(Vec<u8>),
    /// Do not answer (the client's request timeout must fire).
    Silence,
    /// Close the connection without answering.
    Close,
    /// Append the batches, then close the connection without answering (a lost response).
    AppendThenClose,
    /// Answer the listed partitions with their error code; append the others.
    PartitionErrors(Vec<(i32, ErrorCode)>),
    /// Forget every producer's sequence state (as a broker whose producer state expired),
    /// then do the inner action.
    ForgetProducers(Box<Action>),
}

/// What a script sees of one Produce request.
#[derive(Debug, Clone)]
pub struct ProduceInfo {
    /// The request's number, from 0.
    pub n: usize,
    /// (partition, base sequence) of each batch, in request order.
    pub batches: Vec<(i32, i32)>,
}

/// What the broker remembers of an idempotent producer on a partition (Kafka's
/// `ProducerStateManager`, simplified): its epoch and its last 5 batches.
#[derive(Debug, Clone, Default)]
struct ProducerState {
    epoch: i16,
    /// (first sequence, last sequence, base offset) of the last batches, oldest first.
    batches: Vec<(i32, i32, i64)>,
}

type Producers = Arc<Mutex<std::collections::HashMap<(i64, i32), ProducerState>>>;

/// Validates a batch's sequence as a broker does: the error, or the base offset of an earlier
/// identical batch (a duplicate: answered with its offset), or `None` to append it.
///
/// A producer the partition has no state for is accepted at any sequence, as Kafka's
/// `ProducerAppendInfo.checkSequence` does (its state may have expired), unless `strict`, where
/// it must start at sequence 0.
fn check_sequence(
    state: &std::collections::HashMap<(i64, i32), ProducerState>,
    partition: i32,
    batch: &RecordBatch,
    strict: bool,
) -> Result<Option<i64>, ErrorCode> {
    if batch.producer_id < 0 {
        return Ok(None);
    }
    let first = batch.base_sequence;
    let last = first + batch.last_offset_delta;
    match state.get(&(batch.producer_id, partition)) {
        None if strict && first != 0 => Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER),
        None => Ok(None),
        Some(s) if batch.producer_epoch < s.epoch => Err(ErrorCode::INVALID_PRODUCER_EPOCH),
        Some(s) if batch.producer_epoch > s.epoch => {
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
            let expected = s.batches.last().map_or(0, |(_, l, _)| l + 1);
            if first == expected {
                Ok(None)
            } else {
                Err(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER)
            }
        }
    }
}

fn remember(
    state: &mut std::collections::HashMap<(i64, i32), ProducerState>,
    partition: i32,
    batch: &RecordBatch,
    base_offset: i64,
) {
    if batch.producer_id < 0 {
        return;
    }
    let s = state.entry((batch.producer_id, partition)).or_default();
    if batch.producer_epoch > s.epoch {
        s.epoch = batch.producer_epoch;
        s.batches.clear();
    }
    s.batches.push((
        batch.base_sequence,
        batch.base_sequence + batch.last_offset_delta,
        base_offset,
    ));
    if s.batches.len() > 5 {
        s.batches.remove(0);
    }
}

/// The fake broker. Dropping it stops it.
pub struct FakeBroker {
    port: u16,
    advertised: Arc<std::sync::atomic::AtomicU16>,
    stop: Arc<AtomicBool>,
    /// Records appended per partition (by Produce requests answered `Ok`).
    pub log: Arc<Mutex<Vec<Vec<Vec<u8>>>>>,
    /// Produce requests received.
    pub produce_requests: Arc<AtomicUsize>,
    strict: Arc<AtomicBool>,
}

type Script = Arc<Mutex<Box<dyn FnMut(&ProduceInfo) -> Action + Send>>>;

impl FakeBroker {
    /// Starts a broker leading `partitions` partitions of `topic`; `script(n)` decides the fate
    /// of the n-th Produce request (from 0).
    pub fn start(
        topic: &str,
        partitions: usize,
        mut script: impl FnMut(usize) -> Action + Send + 'static,
    ) -> FakeBroker {
        Self::start_scripted(topic, partitions, move |info| script(info.n))
    }

    /// Makes a producer the broker has no state for start at sequence 0 (Kafka accepts any
    /// sequence then; see `check_sequence`).
    pub fn set_strict_sequences(&self, strict: bool) {
        self.strict.store(strict, Ordering::SeqCst);
    }

    /// Like [`start`](Self::start), with a script that sees the request's batches. The script
    /// runs on the connection's thread: sleeping in it delays this answer and every later one
    /// of the connection, while the client keeps sending.
    pub fn start_scripted(
        topic: &str,
        partitions: usize,
        script: impl FnMut(&ProduceInfo) -> Action + Send + 'static,
    ) -> FakeBroker {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let advertised = Arc::new(std::sync::atomic::AtomicU16::new(port));
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(vec![Vec::new(); partitions]));
        let produce_requests = Arc::new(AtomicUsize::new(0));
        let script: Script = Arc::new(Mutex::new(Box::new(script)));
        let producers: Producers = Arc::default();
        let strict = Arc::new(AtomicBool::new(false));
        let strict_for_thread = strict.clone();
        let advertised_for_thread = advertised.clone();
        let (s, l, pr, topic) = (
            stop.clone(),
            log.clone(),
            produce_requests.clone(),
            topic.to_owned(),
        );
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (s, l, pr, sc, t) = (
                            s.clone(),
                            l.clone(),
                            pr.clone(),
                            script.clone(),
                            topic.clone(),
                        );
                        let ps = (producers.clone(), strict_for_thread.clone());
                        let adv = advertised_for_thread.clone();
                        std::thread::spawn(move || {
                            serve(stream, &adv, &t, partitions, s, l, pr, sc, ps)
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FakeBroker {
            port,
            advertised,
            stop,
            log,
            produce_requests,
            strict,
        }
    }

    /// The port its Metadata responses name for broker 0 (its own by default): pointing it at
    /// another broker makes this one a bootstrap-only server.
    pub fn advertise(&self, port: u16) {
        self.advertised.store(port, Ordering::SeqCst);
    }

    /// Its own port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:port`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Records appended to a partition so far (values).
    pub fn values(&self, partition: usize) -> Vec<Vec<u8>> {
        self.log.lock()[partition].clone()
    }
}

impl Drop for FakeBroker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn read_frame(stream: &mut TcpStream, stop: &AtomicBool) -> Option<Vec<u8>> {
    let mut size = [0u8; 4];
    loop {
        match stream.read_exact(&mut size) {
            Ok(()) => break,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                if stop.load(Ordering::SeqCst) {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
    let n = i32::from_be_bytes(size) as usize;
    let mut buf = vec![0u8; n];
    stream.set_read_timeout(None).ok()?;
    stream.read_exact(&mut buf).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .ok()?;
    Some(buf)
}

fn respond(
    stream: &mut TcpStream,
    correlation_id: i32,
    flexible_header: bool,
    version: i16,
    body: &impl Encode,
) -> bool {
    let mut payload = Vec::new();
    ResponseHeader { correlation_id }.encode(&mut payload, flexible_header);
    body.encode(version, &mut payload);
    let mut frame = (payload.len() as i32).to_be_bytes().to_vec();
    frame.extend_from_slice(&payload);
    stream.write_all(&frame).is_ok()
}

#[allow(clippy::too_many_arguments)]
fn serve(
    mut stream: TcpStream,
    advertised: &std::sync::atomic::AtomicU16,
    topic: &str,
    partitions: usize,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Vec<Vec<u8>>>>>,
    produce_requests: Arc<AtomicUsize>,
    script: Script,
    (producers, strict): (Producers, Arc<AtomicBool>),
) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    while let Some(frame) = read_frame(&mut stream, &stop) {
        let mut r = Reader::new(&frame, "request");
        // Peek at the api key and version to pick the header version.
        let (Ok(api), Ok(version)) = (r.clone().i16("api_key"), {
            let mut p = r.clone();
            p.i16("api_key").and_then(|_| p.i16("api_version"))
        }) else {
            return;
        };
        let Some(api) = ApiKey::from_i16(api) else {
            return;
        };
        let Ok(header) = OwnedRequestHeader::decode(&mut r, api.request_header_flexible(version))
        else {
            return;
        };
        let id = header.correlation_id;
        let flexible = api.response_header_flexible(version);
        match api {
            ApiKey::ApiVersions => {
                let resp = ApiVersionsResponse {
                    api_keys: ApiKey::ALL
                        .iter()
                        .map(|k| ApiVersionRange {
                            api_key: *k as i16,
                            min_version: k.supported_versions().0,
                            max_version: k.supported_versions().1,
                        })
                        .collect(),
                    ..Default::default()
                };
                let v = version.min(4);
                if !respond(&mut stream, id, false, v, &resp) {
                    return;
                }
            }
            ApiKey::Metadata => {
                let resp = MetadataResponse {
                    throttle_time_ms: 0,
                    brokers: vec![MetadataResponseBroker {
                        node_id: 0,
                        host: "127.0.0.1".into(),
                        port: i32::from(advertised.load(Ordering::SeqCst)),
                        rack: None,
                    }],
                    cluster_id: Some("fake".into()),
                    controller_id: 0,
                    topics: vec![MetadataResponseTopic {
                        error_code: ErrorCode::NONE,
                        name: Some(topic.to_owned()),
                        topic_id: Uuid([9; 16]),
                        is_internal: false,
                        partitions: (0..partitions as i32)
                            .map(|p| MetadataResponsePartition {
                                error_code: ErrorCode::NONE,
                                partition_index: p,
                                leader_id: 0,
                                leader_epoch: 0,
                                replica_nodes: vec![0],
                                isr_nodes: vec![0],
                                offline_replicas: vec![],
                            })
                            .collect(),
                        topic_authorized_operations: i32::MIN,
                    }],
                    error_code: ErrorCode::NONE,
                };
                if !respond(&mut stream, id, flexible, version, &resp) {
                    return;
                }
            }
            ApiKey::Produce => {
                let n = produce_requests.fetch_add(1, Ordering::SeqCst);
                let Ok(req) = ProduceRequest::decode(version, &mut r) else {
                    return;
                };
                let info = ProduceInfo {
                    n,
                    batches: req
                        .topics
                        .iter()
                        .flat_map(|t| &t.partitions)
                        .map(|p| {
                            let seq = RecordBatch::decode_all(p.records.unwrap_or(&[]))
                                .ok()
                                .and_then(|b| b.first().map(|b| b.base_sequence))
                                .unwrap_or(-1);
                            (p.index, seq)
                        })
                        .collect(),
                };
                let mut action = (script.lock())(&info);
                if let Action::ForgetProducers(inner) = action {
                    producers.lock().clear();
                    action = *inner;
                }
                match action {
                    Action::Silence => continue,
                    Action::Close => return,
                    Action::Garbage(bytes) => {
                        let _ = stream.write_all(&bytes);
                        continue;
                    }
                    _ => {}
                }
                let mut responses = Vec::new();
                for t in &req.topics {
                    let mut parts = Vec::new();
                    for p in &t.partitions {
                        let scripted = match &action {
                            Action::Error(code) => Some(*code),
                            Action::PartitionErrors(errors) => errors
                                .iter()
                                .find(|(index, _)| *index == p.index)
                                .map(|(_, code)| *code),
                            _ => None,
                        };
                        let strict = strict.load(Ordering::SeqCst);
                        let (error_code, base_offset) = match scripted {
                            Some(code) => (code, -1),
                            None => {
                                let mut l = log.lock();
                                let mut ps = producers.lock();
                                let Some(plog) = l.get_mut(p.index as usize) else {
                                    return;
                                };
                                let mut result = (ErrorCode::NONE, plog.len() as i64);
                                let batches =
                                    RecordBatch::decode_all(p.records.unwrap_or(&[])).unwrap();
                                for b in batches {
                                    if std::env::var_os("FAKE_BROKER_DEBUG").is_some() {
                                        eprintln!(
                                            "fake broker: request {n} pid {} epoch {} seq {}..{} -> {:?}",
                                            b.producer_id,
                                            b.producer_epoch,
                                            b.base_sequence,
                                            b.base_sequence + b.last_offset_delta,
                                            check_sequence(&ps, p.index, &b, strict)
                                        );
                                    }
                                    match check_sequence(&ps, p.index, &b, strict) {
                                        Err(code) => result = (code, -1),
                                        Ok(Some(offset)) => result = (ErrorCode::NONE, offset),
                                        Ok(None) => {
                                            let base = plog.len() as i64;
                                            remember(&mut ps, p.index, &b, base);
                                            for rec in b.records {
                                                plog.push(rec.value.unwrap_or_default());
                                            }
                                            result = (ErrorCode::NONE, base);
                                        }
                                    }
                                }
                                result
                            }
                        };
                        parts.push(PartitionProduceResponse {
                            index: p.index,
                            error_code,
                            base_offset,
                            log_append_time_ms: -1,
                            log_start_offset: 0,
                            record_errors: vec![],
                            error_message: None,
                            current_leader: None,
                        });
                    }
                    responses.push(TopicProduceResponse {
                        name: t.name.clone(),
                        partitions: parts,
                    });
                }
                if req.acks == 0 {
                    continue;
                }
                if action == Action::AppendThenClose {
                    return;
                }
                let resp = ProduceResponse {
                    responses,
                    throttle_time_ms: 0,
                    node_endpoints: vec![],
                };
                if !respond(&mut stream, id, flexible, version, &resp) {
                    return;
                }
            }
            ApiKey::InitProducerId => {
                static NEXT_PRODUCER_ID: std::sync::atomic::AtomicI64 =
                    std::sync::atomic::AtomicI64::new(1000);
                let resp = kafka_producer::protocol::messages::InitProducerIdResponse {
                    throttle_time_ms: 0,
                    error_code: ErrorCode::NONE,
                    producer_id: NEXT_PRODUCER_ID.fetch_add(1, Ordering::SeqCst),
                    producer_epoch: 0,
                };
                if !respond(&mut stream, id, flexible, version, &resp) {
                    return;
                }
            }
        }
    }
}
