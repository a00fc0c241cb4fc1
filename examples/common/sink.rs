//! The client-only sink: an in-process broker that answers ApiVersions, Metadata (naming itself
//! the leader of every partition), InitProducerId and Produce at once, to measure the producer
//! with the broker taken out. Used by `examples/producer_perf.rs --sink` and
//! `benches/producer.rs`; its includer provides `perf::pin_current_thread(cpu)`.
use kafka_producer::protocol::ResponseHeader;
use kafka_producer::protocol::messages::{
    ApiVersionRange, ApiVersionsResponse, Decode, Encode, InitProducerIdResponse, MetadataResponse,
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    PartitionProduceResponse, ProduceRequest, ProduceResponse, TopicProduceResponse,
};
use kafka_producer::protocol::{ApiKey, ErrorCode, OwnedRequestHeader, Reader, Uuid};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Starts the sink for `topic` with `partitions` partitions; returns its bootstrap string.
pub fn start(topic: &str, partitions: i32, cpu: Option<usize>) -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let offsets: Arc<Vec<AtomicI64>> =
        Arc::new((0..partitions).map(|_| AtomicI64::new(0)).collect());
    let topic = topic.to_owned();
    std::thread::Builder::new()
        .name("sink-accept".into())
        .spawn(move || {
            if let Some(cpu) = cpu {
                super::perf::pin_current_thread(cpu);
            }
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (topic, offsets) = (topic.clone(), offsets.clone());
                let _ = std::thread::Builder::new()
                    .name("sink".into())
                    .spawn(move || {
                        if let Some(cpu) = cpu {
                            super::perf::pin_current_thread(cpu);
                        }
                        let _ = serve(stream, port, &topic, &offsets);
                    });
            }
        })?;
    Ok(format!("127.0.0.1:{port}"))
}

fn respond(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    correlation_id: i32,
    flexible_header: bool,
    version: i16,
    body: &impl Encode,
) -> std::io::Result<()> {
    out.clear();
    out.extend_from_slice(&[0; 4]);
    ResponseHeader { correlation_id }.encode(out, flexible_header);
    body.encode(version, out);
    let len = (out.len() - 4) as i32;
    out[..4].copy_from_slice(&len.to_be_bytes());
    stream.write_all(out)
}

/// Records in back-to-back RecordBatch v2s: the sum of `lastOffsetDelta + 1`.
fn count_records(mut batches: &[u8]) -> i64 {
    let mut n = 0;
    while batches.len() >= 27 {
        let len = i32::from_be_bytes(batches[8..12].try_into().expect("4 bytes"));
        let delta = i32::from_be_bytes(batches[23..27].try_into().expect("4 bytes"));
        n += i64::from(delta) + 1;
        let total = 12 + len.max(0) as usize;
        if total > batches.len() {
            break;
        }
        batches = &batches[total..];
    }
    n
}

fn serve(
    mut stream: TcpStream,
    port: u16,
    topic: &str,
    offsets: &[AtomicI64],
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut frame = Vec::new();
    let mut out = Vec::new();
    loop {
        let mut size = [0u8; 4];
        stream.read_exact(&mut size)?;
        let n = i32::from_be_bytes(size).max(0) as usize;
        frame.resize(n, 0);
        stream.read_exact(&mut frame)?;
        let bad = || std::io::Error::other("bad request");
        let mut r = Reader::new(&frame, "request");
        let mut peek = r.clone();
        let (api, version) = match (peek.i16("api_key"), peek.i16("api_version")) {
            (Ok(a), Ok(v)) => (ApiKey::from_i16(a).ok_or_else(bad)?, v),
            _ => return Err(bad()),
        };
        let header = OwnedRequestHeader::decode(&mut r, api.request_header_flexible(version))
            .map_err(|_| bad())?;
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
                respond(&mut stream, &mut out, id, false, version.min(4), &resp)?;
            }
            ApiKey::Metadata => {
                let resp = MetadataResponse {
                    throttle_time_ms: 0,
                    brokers: vec![MetadataResponseBroker {
                        node_id: 0,
                        host: "127.0.0.1".into(),
                        port: i32::from(port),
                        rack: None,
                    }],
                    cluster_id: Some("sink".into()),
                    controller_id: 0,
                    topics: vec![MetadataResponseTopic {
                        error_code: ErrorCode::NONE,
                        name: Some(topic.to_owned()),
                        topic_id: Uuid([7; 16]),
                        is_internal: false,
                        partitions: (0..offsets.len() as i32)
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
                respond(&mut stream, &mut out, id, flexible, version, &resp)?;
            }
            ApiKey::InitProducerId => {
                let resp = InitProducerIdResponse {
                    throttle_time_ms: 0,
                    error_code: ErrorCode::NONE,
                    producer_id: 1,
                    producer_epoch: 0,
                };
                respond(&mut stream, &mut out, id, flexible, version, &resp)?;
            }
            ApiKey::Produce => {
                let req = ProduceRequest::decode(version, &mut r).map_err(|_| bad())?;
                let responses = req
                    .topics
                    .iter()
                    .map(|t| TopicProduceResponse {
                        name: t.name.clone(),
                        partitions: t
                            .partitions
                            .iter()
                            .map(|p| {
                                let count = count_records(p.records.unwrap_or(&[]));
                                let (error_code, base_offset) = match offsets.get(p.index as usize)
                                {
                                    Some(o) if t.name == topic => {
                                        (ErrorCode::NONE, o.fetch_add(count, Ordering::Relaxed))
                                    }
                                    _ => (ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, -1),
                                };
                                PartitionProduceResponse {
                                    index: p.index,
                                    error_code,
                                    base_offset,
                                    log_append_time_ms: -1,
                                    log_start_offset: 0,
                                    record_errors: vec![],
                                    error_message: None,
                                    current_leader: None,
                                }
                            })
                            .collect(),
                    })
                    .collect();
                if req.acks != 0 {
                    let resp = ProduceResponse {
                        responses,
                        throttle_time_ms: 0,
                        node_endpoints: vec![],
                    };
                    respond(&mut stream, &mut out, id, flexible, version, &resp)?;
                }
            }
        }
    }
}
