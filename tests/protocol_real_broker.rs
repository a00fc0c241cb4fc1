//! The sans-IO protocol alone, over a plain blocking `std::net::TcpStream`, against the real
//! broker: ApiVersions -> Metadata -> Produce of a 3-record batch (acks=all), then the Java
//! console consumer reads the topic back and every key, value, header and timestamp is checked
//! byte for byte.

mod support;

use kafka_producer::protocol::messages::{
    ApiVersionsRequest, ApiVersionsResponse, MetadataRequest, MetadataResponse,
    PartitionProduceData, ProduceRequest, ProduceResponse, TopicProduceData,
};
use kafka_producer::protocol::record_batch::{Header, RecordBatchBuilder};
use kafka_producer::protocol::versions::ApiVersions;
use kafka_producer::protocol::{
    ApiKey, ErrorCode, Request, decode_response, encode_request, frame,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

struct Conn {
    stream: TcpStream,
    correlation_id: i32,
}

impl Conn {
    fn connect(bootstrap: &str) -> Conn {
        let addr = bootstrap.split(',').next().unwrap();
        let stream = TcpStream::connect(addr).expect("connect to the broker");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        Conn {
            stream,
            correlation_id: 0,
        }
    }

    /// Sends one request and returns the response frame's payload (header included).
    fn round_trip<R: Request>(&mut self, req: &R, version: i16) -> (i32, Vec<u8>) {
        self.correlation_id += 1;
        let mut buf = Vec::new();
        encode_request(
            &mut buf,
            req,
            version,
            self.correlation_id,
            Some("protocol-test"),
        );
        self.stream.write_all(&buf).unwrap();
        let mut size = [0u8; 4];
        self.stream.read_exact(&mut size).unwrap();
        let n = i32::from_be_bytes(size) as usize;
        let mut payload = vec![0u8; n];
        self.stream.read_exact(&mut payload).unwrap();
        let mut framed = size.to_vec();
        framed.extend_from_slice(&payload);
        assert_eq!(frame::try_frame(&framed, 1 << 20).unwrap(), Some(4 + n));
        (self.correlation_id, payload)
    }
}

#[test]
fn api_versions_metadata_produce_then_java_consumer_reads_back() {
    let bootstrap = support::bootstrap();
    let topic = support::unique_topic("protocol");
    support::create_topic(&topic, 1, 1, &[]);
    let mut conn = Conn::connect(&bootstrap);

    // ApiVersions at our highest version (v4), with the v0 fallback reader; a broker that only
    // knows older ApiVersions (Kafka 2.x: v3 at most) answers UNSUPPORTED_VERSION in v0 with its
    // range, and we ask again at its highest (as the client does).
    let mut version = 4;
    let api_versions = loop {
        let (id, payload) = conn.round_trip(&ApiVersionsRequest::default(), version);
        let (cid, mut r) = kafka_producer::protocol::decode_response_header(
            ApiKey::ApiVersions,
            version,
            &payload,
        )
        .unwrap();
        assert_eq!(cid, id);
        let resp = ApiVersionsResponse::decode_with_fallback(version, r.rest()).unwrap();
        r.bytes_raw("rest", r.remaining()).unwrap();
        if resp.error_code == ErrorCode::UNSUPPORTED_VERSION {
            let max = resp.range_for(ApiKey::ApiVersions).unwrap().max_version;
            assert!(
                max < version,
                "the broker refused v{version} but offers up to v{max}"
            );
            version = max;
            continue;
        }
        break resp;
    };
    assert_eq!(api_versions.error_code, ErrorCode::NONE);
    let versions = ApiVersions::from_response(&api_versions);
    let produce_v = versions.version_for(ApiKey::Produce).unwrap();
    let metadata_v = versions.version_for(ApiKey::Metadata).unwrap();
    // The highest version both sides speak, whatever the broker's release (2.1 and later).
    let common = |api: ApiKey| {
        let broker = api_versions.range_for(api).unwrap().max_version;
        broker.min(api.supported_versions().1)
    };
    assert_eq!(produce_v, common(ApiKey::Produce));
    assert_eq!(metadata_v, common(ApiKey::Metadata));
    assert!(produce_v >= 3, "Kafka 2.1+ offers Produce v3+");
    assert!(versions.version_for(ApiKey::InitProducerId).is_ok());

    // Metadata for the topic: one partition with a leader.
    let (id, payload) = conn.round_trip(
        &MetadataRequest::for_topics([topic.clone()], false),
        metadata_v,
    );
    let (cid, md): (i32, MetadataResponse) =
        decode_response(ApiKey::Metadata, metadata_v, &payload).unwrap();
    assert_eq!(cid, id);
    assert_eq!(md.error_code, ErrorCode::NONE);
    let t = &md.topics[0];
    assert_eq!(t.name.as_deref(), Some(topic.as_str()));
    assert_eq!(t.error_code, ErrorCode::NONE);
    assert_eq!(
        t.topic_id.is_zero(),
        metadata_v < 10,
        "topic ids from Metadata v10"
    );
    assert_eq!(t.partitions.len(), 1);
    let leader = t.partitions[0].leader_id;
    assert!(md.brokers.iter().any(|b| b.node_id == leader));

    // Produce 3 records: a null key, two headers, explicit timestamps; acks=all.
    let base_ts = 1_700_000_000_000i64;
    let mut b = RecordBatchBuilder::new(Vec::new(), 16 * 1024);
    b.append(base_ts, Some(b"key-0"), Some(b"value-0"), &[]);
    b.append(
        base_ts + 7,
        None,
        Some(b"value-1"),
        &[
            Header::new("h1", b"v1".to_vec()),
            Header::new("h2", b"v2".to_vec()),
        ],
    );
    b.append(base_ts + 3, Some(b"key-2"), Some(b""), &[]);
    let batch = b.finish().to_vec();
    let req = ProduceRequest {
        transactional_id: None,
        acks: -1,
        timeout_ms: 30_000,
        topics: vec![TopicProduceData {
            name: topic.clone(),
            partitions: vec![PartitionProduceData {
                index: 0,
                records: Some(&batch),
            }],
        }],
    };
    let (id, payload) = conn.round_trip(&req, produce_v);
    let (cid, resp): (i32, ProduceResponse) =
        decode_response(ApiKey::Produce, produce_v, &payload).unwrap();
    assert_eq!(cid, id);
    let p = &resp.responses[0].partitions[0];
    assert_eq!(resp.responses[0].name, topic);
    assert_eq!(p.error_code, ErrorCode::NONE, "{:?}", p.error_message);
    assert_eq!(
        p.base_offset, 0,
        "first batch of a fresh topic: offsets 0..2"
    );

    // The Java console consumer reads the same bytes back.
    let records = support::consume(&topic, 3, Duration::from_secs(30));
    assert_eq!(records.len(), 3);
    let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, vec![0, 1, 2]);
    assert_eq!(records[0].key.as_deref(), Some(&b"key-0"[..]));
    assert_eq!(records[0].value.as_deref(), Some(&b"value-0"[..]));
    assert_eq!(records[0].headers, vec![]);
    assert_eq!(records[1].key, None);
    assert_eq!(records[1].value.as_deref(), Some(&b"value-1"[..]));
    assert_eq!(
        records[1].headers,
        vec![
            ("h1".to_string(), Some(b"v1".to_vec())),
            ("h2".to_string(), Some(b"v2".to_vec()))
        ]
    );
    assert_eq!(records[2].key.as_deref(), Some(&b"key-2"[..]));
    assert_eq!(records[2].value.as_deref(), Some(&b""[..]));
    let ts: Vec<i64> = records.iter().map(|r| r.timestamp).collect();
    assert_eq!(ts, vec![base_ts, base_ts + 7, base_ts + 3]);
    assert!(records.iter().all(|r| r.timestamp_type == "CreateTime"));
}

#[test]
fn api_versions_v0_request_is_answered() {
    let mut conn = Conn::connect(&support::bootstrap());
    let (id, payload) = conn.round_trip(&ApiVersionsRequest::default(), 0);
    let (cid, resp): (i32, ApiVersionsResponse) =
        decode_response(ApiKey::ApiVersions, 0, &payload).unwrap();
    assert_eq!(cid, id);
    assert_eq!(resp.error_code, ErrorCode::NONE);
    assert!(resp.range_for(ApiKey::Produce).is_some());
}

/// Issue 12 item 1: every Metadata (v0-v13) and Produce (v3-v12) version this crate speaks,
/// classic and flexible, against the real broker (Kafka 4.x serves them all): each Metadata
/// answer names the topic and its leader, each Produce appends one record at the next offset,
/// with the fields of that version (log start offset from v5) and the defaults before.
#[test]
fn every_metadata_and_produce_version_works_on_the_real_broker() {
    let bootstrap = support::bootstrap();
    let topic = support::unique_topic("protocol-versions");
    support::create_topic(&topic, 1, 1, &[]);
    let mut conn = Conn::connect(&bootstrap);
    // The broker's ranges (ApiVersions v0, which every broker answers): each version both
    // sides speak is tried, whatever the broker's release.
    let (id, payload) = conn.round_trip(&ApiVersionsRequest::default(), 0);
    let (cid, r) =
        kafka_producer::protocol::decode_response_header(ApiKey::ApiVersions, 0, &payload).unwrap();
    assert_eq!(cid, id);
    let broker = ApiVersionsResponse::decode_with_fallback(0, r.rest()).unwrap();
    let broker_max = |api: ApiKey| broker.range_for(api).unwrap().max_version;
    let (mv_lo, mv_hi) = ApiKey::Metadata.supported_versions();
    for v in mv_lo..=mv_hi.min(broker_max(ApiKey::Metadata)) {
        let (id, payload) = conn.round_trip(&MetadataRequest::for_topics([topic.clone()], true), v);
        let (cid, md): (i32, MetadataResponse) = decode_response(ApiKey::Metadata, v, &payload)
            .unwrap_or_else(|e| panic!("Metadata v{v}: {e}"));
        assert_eq!(cid, id);
        let t = &md.topics[0];
        assert_eq!(t.error_code, ErrorCode::NONE, "Metadata v{v}");
        assert_eq!(t.name.as_deref(), Some(topic.as_str()), "Metadata v{v}");
        assert_eq!(
            t.topic_id.is_zero(),
            v < 10,
            "Metadata v{v}: topic ids from v10"
        );
        let p = &t.partitions[0];
        assert!(
            md.brokers.iter().any(|b| b.node_id == p.leader_id),
            "Metadata v{v}"
        );
        assert_eq!(
            p.leader_epoch >= 0,
            v >= 7,
            "Metadata v{v}: leader epoch from v7"
        );
        assert_eq!(
            md.controller_id >= 0,
            v >= 1,
            "Metadata v{v}: controller from v1"
        );
        assert_eq!(
            md.cluster_id.is_some(),
            v >= 2,
            "Metadata v{v}: cluster id from v2"
        );
    }
    let (pv_lo, pv_hi) = ApiKey::Produce.supported_versions();
    let pv_hi = pv_hi.min(broker_max(ApiKey::Produce));
    for (i, v) in (pv_lo..=pv_hi).enumerate() {
        let mut b = RecordBatchBuilder::new(Vec::new(), 1024);
        let value = format!("v{v}");
        b.append(1_700_000_000_000, None, Some(value.as_bytes()), &[]);
        let batch = b.finish().to_vec();
        let req = ProduceRequest {
            transactional_id: None,
            acks: -1,
            timeout_ms: 30_000,
            topics: vec![TopicProduceData {
                name: topic.clone(),
                partitions: vec![PartitionProduceData {
                    index: 0,
                    records: Some(&batch),
                }],
            }],
        };
        let (id, payload) = conn.round_trip(&req, v);
        let (cid, resp): (i32, ProduceResponse) = decode_response(ApiKey::Produce, v, &payload)
            .unwrap_or_else(|e| panic!("Produce v{v}: {e}"));
        assert_eq!(cid, id);
        let p = &resp.responses[0].partitions[0];
        assert_eq!(
            p.error_code,
            ErrorCode::NONE,
            "Produce v{v}: {:?}",
            p.error_message
        );
        assert_eq!(p.base_offset, i as i64, "Produce v{v}");
        assert_eq!(
            p.log_start_offset,
            if v >= 5 { 0 } else { -1 },
            "Produce v{v}"
        );
    }
    let records = support::consume(
        &topic,
        pv_hi as usize - pv_lo as usize + 1,
        Duration::from_secs(30),
    );
    let values: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8(r.value.clone().unwrap()).unwrap())
        .collect();
    let expected: Vec<String> = (pv_lo..=pv_hi).map(|v| format!("v{v}")).collect();
    assert_eq!(values, expected);
}
