//! Tests of `kafka_producer::mock::MockCluster` itself: a real `KafkaProducer` against it
//! (leader moves, injected errors, duplicates, delays, disconnects, compressed records read
//! back) and raw requests for the broker-side checks (sequences, epochs, leaders).

#[path = "support/mock.rs"]
mod mock_support;

use kafka_producer::mock::{Action, MockCluster};
use kafka_producer::protocol::ErrorCode;
use kafka_producer::{Error, Header, KafkaProducer, ProducerRecord};
use std::time::{Duration, Instant};

fn producer(cluster: &MockCluster, extra: &[(&str, &str)]) -> KafkaProducer<String, String> {
    mock_support::fast_retry_producer(cluster, extra)
}

fn send(p: &KafkaProducer<String, String>, topic: &str, partition: i32, value: &str) -> i64 {
    p.send(ProducerRecord::new(topic, value.to_string()).with_partition(partition))
        .get_timeout(Duration::from_secs(20))
        .unwrap()
        .offset
}

fn text(values: Vec<Vec<u8>>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| String::from_utf8(v).unwrap())
        .collect()
}

#[test]
fn leaders_are_spread_and_metadata_follows_a_leader_move() {
    let cluster = MockCluster::new(3);
    cluster.create_topic("moves", 3);
    assert_eq!(
        (0..3)
            .map(|p| cluster.leader("moves", p))
            .collect::<Vec<_>>(),
        [Some(0), Some(1), Some(2)]
    );
    let p = producer(&cluster, &[]);
    assert_eq!(send(&p, "moves", 0, "a"), 0);
    assert_eq!(cluster.broker_produce_requests(0), 1);
    // Broker 2 leads partition 0 now: broker 0 answers NOT_LEADER_OR_FOLLOWER, the producer
    // refreshes its metadata and writes to broker 2.
    cluster.set_leader("moves", 0, 2);
    assert_eq!(send(&p, "moves", 0, "b"), 1);
    assert_eq!(send(&p, "moves", 0, "c"), 2);
    assert!(cluster.broker_produce_requests(2) >= 2);
    assert!(p.counters().retries >= 1, "{:?}", p.counters());
    p.close();
    assert_eq!(text(cluster.values("moves", 0)), ["a", "b", "c"]);
}

#[test]
fn pushed_partition_errors_are_retried_and_records_written_once() {
    let cluster = MockCluster::new(1);
    cluster.create_topic("errors", 2);
    cluster.push_produce_errors(
        "errors",
        1,
        &[
            ErrorCode::NOT_ENOUGH_REPLICAS,
            ErrorCode::REQUEST_TIMED_OUT,
            ErrorCode::NOT_LEADER_OR_FOLLOWER,
        ],
    );
    let p = producer(&cluster, &[]);
    assert_eq!(send(&p, "errors", 1, "x"), 0);
    assert_eq!(send(&p, "errors", 0, "y"), 0);
    assert!(p.counters().retries >= 3, "{:?}", p.counters());
    p.close();
    assert_eq!(text(cluster.values("errors", 1)), ["x"]);
    assert_eq!(text(cluster.values("errors", 0)), ["y"]);
    assert_eq!(cluster.produce_requests(), 5);
}

#[test]
fn non_retriable_pushed_error_fails_the_record() {
    let cluster = MockCluster::new(1);
    cluster.create_topic("t", 1);
    cluster.push_produce_errors("t", 0, &[ErrorCode::TOPIC_AUTHORIZATION_FAILED]);
    let p = producer(&cluster, &[]);
    let err = p
        .send(ProducerRecord::new("t", "v".to_string()))
        .get()
        .unwrap_err();
    assert!(
        matches!(err, Error::Broker { code, .. } if code == ErrorCode::TOPIC_AUTHORIZATION_FAILED),
        "{err:?}"
    );
    assert!(cluster.records("t", 0).is_empty());
}

#[test]
fn lost_response_retry_is_a_duplicate_answered_with_the_original_offset() {
    let cluster = MockCluster::new(1);
    cluster.create_topic("dups", 1);
    cluster.push_produce_actions([Action::AppendThenClose]);
    let p = producer(&cluster, &[]);
    assert_eq!(send(&p, "dups", 0, "once"), 0);
    assert_eq!(send(&p, "dups", 0, "next"), 1);
    p.close();
    assert_eq!(
        cluster.produce_requests(),
        3,
        "the retry reached the broker"
    );
    let records = cluster.records("dups", 0);
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0].sequence, 0);
    assert_eq!(records[1].sequence, 1);
    assert!(records[0].producer_id >= 0);
}

#[test]
fn compressed_records_read_back_with_keys_headers_and_timestamps() {
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let cluster = MockCluster::new(1);
        cluster.create_topic("codecs", 1);
        let p = producer(
            &cluster,
            &[("compression.type", codec), ("linger.ms", "50")],
        );
        let futures: Vec<_> = (0..20)
            .map(|i| {
                p.send(
                    ProducerRecord::with_key_value("codecs", format!("k{i}"), "v".repeat(i + 1))
                        .with_partition(0)
                        .with_timestamp(1_700_000_000_000 + i as i64)
                        .with_header("h", format!("{i}").into_bytes()),
                )
            })
            .collect();
        for f in futures {
            f.get().unwrap();
        }
        p.close();
        let records = cluster.records("codecs", 0);
        assert_eq!(records.len(), 20, "{codec}");
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r.offset, i as i64, "{codec}");
            assert_eq!(
                r.key.as_deref(),
                Some(format!("k{i}").as_bytes()),
                "{codec}"
            );
            assert_eq!(r.value, Some("v".repeat(i + 1).into_bytes()), "{codec}");
            assert_eq!(r.timestamp, 1_700_000_000_000 + i as i64, "{codec}");
            assert_eq!(r.headers, vec![Header::new("h", format!("{i}"))], "{codec}");
            assert_eq!(r.sequence, i as i32, "{codec}");
        }
        if codec != "none" {
            let raw = cluster.batches("codecs", 0);
            let attributes = i16::from_be_bytes([raw[0][21], raw[0][22]]);
            assert_ne!(attributes & 7, 0, "{codec}: the stored batch is compressed");
        }
    }
}

#[test]
fn delay_and_throttle_are_applied() {
    let cluster = MockCluster::new(1);
    cluster.create_topic("slow", 1);
    cluster.push_produce_actions([Action::Throttle(
        10,
        Box::new(Action::Delay(
            Duration::from_millis(300),
            Box::new(Action::Ok),
        )),
    )]);
    let p = producer(&cluster, &[]);
    let start = Instant::now();
    assert_eq!(send(&p, "slow", 0, "v"), 0);
    assert!(start.elapsed() >= Duration::from_millis(300));
}

#[test]
fn disconnects_and_a_broker_down_are_survived() {
    let cluster = MockCluster::new(2);
    cluster.create_topic("down", 2);
    let p = producer(&cluster, &[("reconnect.backoff.max.ms", "100")]);
    assert_eq!(send(&p, "down", 1, "a"), 0);
    cluster.disconnect(1);
    assert_eq!(send(&p, "down", 1, "b"), 1);
    // Broker 1 goes down; its partition moves to broker 0.
    cluster.set_broker_down(1, true);
    cluster.set_leader("down", 1, 0);
    assert_eq!(send(&p, "down", 1, "c"), 2);
    assert!(p.counters().disconnections >= 1, "{:?}", p.counters());
    p.close();
    assert_eq!(text(cluster.values("down", 1)), ["a", "b", "c"]);
}

#[test]
fn topics_are_auto_created_when_enabled_and_unknown_otherwise() {
    let auto = MockCluster::builder()
        .brokers(2)
        .auto_create_topics(Some(4))
        .build();
    let p = producer(&auto, &[]);
    p.send(ProducerRecord::new("fresh", "v".to_string()))
        .get()
        .unwrap();
    assert_eq!(auto.partition_count("fresh"), Some(4));
    p.close();

    let strict = MockCluster::new(1);
    let p = producer(&strict, &[("max.block.ms", "300")]);
    let err = p
        .send(ProducerRecord::new("missing", "v".to_string()))
        .get()
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[test]
fn sink_answers_without_keeping_records() {
    let sink = MockCluster::sink("perf", 2);
    let p = producer(&sink, &[("batch.size", "1000")]);
    let futures: Vec<_> = (0..1000)
        .map(|i| p.send(ProducerRecord::new("perf", format!("{i:05}")).with_partition(i % 2)))
        .collect();
    for f in futures {
        f.get().unwrap();
    }
    p.close();
    assert_eq!(
        sink.end_offset("perf", 0) + sink.end_offset("perf", 1),
        1000
    );
    assert!(sink.records("perf", 0).is_empty());
}

/// Sends one Produce request (v12) of `batch` for `topic`-`partition` to `broker` over a plain
/// socket and returns the response.
fn raw_produce(
    cluster: &MockCluster,
    broker: i32,
    topic: &str,
    partition: i32,
    batch: &[u8],
) -> kafka_producer::protocol::messages::ProduceResponse {
    use kafka_producer::protocol::messages::{
        PartitionProduceData, ProduceRequest, ProduceResponse, TopicProduceData,
    };
    use kafka_producer::protocol::{ApiKey, decode_response, encode_request};
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(cluster.broker_address(broker)).unwrap();
    let req = ProduceRequest {
        transactional_id: None,
        acks: -1,
        timeout_ms: 1000,
        topics: vec![TopicProduceData {
            name: topic.into(),
            partitions: vec![PartitionProduceData {
                index: partition,
                records: Some(batch),
            }],
        }],
    };
    let mut buf = Vec::new();
    encode_request(&mut buf, &req, 12, 7, Some("raw"));
    s.write_all(&buf).unwrap();
    let mut size = [0u8; 4];
    s.read_exact(&mut size).unwrap();
    let mut payload = vec![0u8; i32::from_be_bytes(size) as usize];
    s.read_exact(&mut payload).unwrap();
    let (id, resp) = decode_response::<ProduceResponse>(ApiKey::Produce, 12, &payload).unwrap();
    assert_eq!(id, 7);
    resp
}

fn idempotent_batch(producer_id: i64, epoch: i16, sequence: i32, records: usize) -> Vec<u8> {
    use kafka_producer::protocol::record_batch::{ProducerState, RecordBatchBuilder};
    let mut b = RecordBatchBuilder::new(Vec::new(), 1 << 20);
    b.set_producer_state(ProducerState {
        producer_id,
        producer_epoch: epoch,
        base_sequence: sequence,
        is_transactional: false,
    });
    for i in 0..records {
        b.append(1_000 + i as i64, None, Some(b"v"), &[]);
    }
    b.finish().to_vec()
}

#[test]
fn raw_requests_see_leader_hints_duplicates_gaps_fencing_and_throttle() {
    let cluster = MockCluster::new(2);
    cluster.create_topic("raw", 1);
    cluster.set_strict_sequences(true);
    let answer = |broker, batch: &[u8]| {
        let p = &raw_produce(&cluster, broker, "raw", 0, batch).responses[0].partitions[0];
        (p.error_code, p.base_offset)
    };
    // Broker 1 is not the leader: NOT_LEADER_OR_FOLLOWER with the leader and its endpoint.
    let resp = raw_produce(&cluster, 1, "raw", 0, &idempotent_batch(5, 0, 0, 2));
    let p = &resp.responses[0].partitions[0];
    assert_eq!(p.error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER);
    assert_eq!(p.current_leader.as_ref().map(|l| l.leader_id), Some(0));
    assert_eq!(resp.node_endpoints[0].port, i32::from(cluster.port(0)));
    // Strict: a new producer starts at 0.
    assert_eq!(
        answer(0, &idempotent_batch(5, 0, 3, 2)),
        (ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, -1)
    );
    assert_eq!(
        answer(0, &idempotent_batch(5, 0, 0, 2)),
        (ErrorCode::NONE, 0)
    );
    assert_eq!(
        answer(0, &idempotent_batch(5, 0, 2, 3)),
        (ErrorCode::NONE, 2)
    );
    // A duplicate gets its original offset; a gap is out of order.
    assert_eq!(
        answer(0, &idempotent_batch(5, 0, 0, 2)),
        (ErrorCode::NONE, 0)
    );
    assert_eq!(
        answer(0, &idempotent_batch(5, 0, 9, 1)),
        (ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, -1)
    );
    // A bumped epoch restarts at 0; the old epoch is then fenced.
    assert_eq!(
        answer(0, &idempotent_batch(5, 1, 0, 1)),
        (ErrorCode::NONE, 5)
    );
    assert_eq!(
        answer(0, &idempotent_batch(5, 0, 5, 1)),
        (ErrorCode::INVALID_PRODUCER_EPOCH, -1)
    );
    assert_eq!(cluster.end_offset("raw", 0), 6);
    // A scripted throttle time is in the response.
    cluster.push_produce_actions([Action::Throttle(25, Box::new(Action::Ok))]);
    let resp = raw_produce(&cluster, 0, "raw", 0, &idempotent_batch(5, 1, 1, 1));
    assert_eq!(resp.throttle_time_ms, 25);
    assert_eq!(resp.responses[0].partitions[0].base_offset, 6);
    let seqs: Vec<_> = cluster
        .records("raw", 0)
        .iter()
        .map(|r| (r.offset, r.producer_epoch, r.sequence))
        .collect();
    assert_eq!(
        seqs,
        [
            (0, 0, 0),
            (1, 0, 1),
            (2, 0, 2),
            (3, 0, 3),
            (4, 0, 4),
            (5, 1, 0),
            (6, 1, 1),
        ]
    );
}

/// Sends `req` at `version` to `broker` over a plain socket and returns the response.
fn raw_call<R: kafka_producer::protocol::Request>(
    cluster: &MockCluster,
    broker: i32,
    req: &R,
    version: i16,
) -> R::Response {
    use kafka_producer::protocol::{decode_response, encode_request};
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(cluster.broker_address(broker)).unwrap();
    let mut buf = Vec::new();
    encode_request(&mut buf, req, version, 11, Some("raw"));
    s.write_all(&buf).unwrap();
    let mut size = [0u8; 4];
    s.read_exact(&mut size).unwrap();
    let mut payload = vec![0u8; i32::from_be_bytes(size) as usize];
    s.read_exact(&mut payload).unwrap();
    let (id, resp) = decode_response::<R::Response>(R::API_KEY, version, &payload).unwrap();
    assert_eq!(id, 11);
    resp
}

/// The transaction APIs, answered minimally: broker 0 coordinates everything, a transactional
/// id keeps its producer id and gets a bumped epoch at each InitProducerId (and, from EndTxn v5,
/// at each EndTxn), everything else succeeds.
#[test]
fn raw_transaction_requests_are_answered() {
    use kafka_producer::protocol::ApiKey;
    use kafka_producer::protocol::messages::find_coordinator::KEY_TYPE_TRANSACTION;
    use kafka_producer::protocol::messages::{
        AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, AddPartitionsToTxnTopic, EndTxnRequest,
        FindCoordinatorRequest, InitProducerIdRequest, TxnOffsetCommitRequest,
        TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
    };
    let cluster = MockCluster::new(2);
    // The transaction APIs are advertised at every version this crate speaks.
    let api_versions = raw_call(
        &cluster,
        1,
        &kafka_producer::protocol::messages::ApiVersionsRequest::default(),
        3,
    );
    for api in [
        ApiKey::FindCoordinator,
        ApiKey::AddPartitionsToTxn,
        ApiKey::AddOffsetsToTxn,
        ApiKey::EndTxn,
        ApiKey::TxnOffsetCommit,
    ] {
        let r = api_versions.range_for(api).unwrap();
        assert_eq!((r.min_version, r.max_version), api.supported_versions());
    }
    // FindCoordinator, single (v3) and batched (v4+).
    let find = |version, req: &FindCoordinatorRequest| raw_call(&cluster, 1, req, version);
    let single = find(
        3,
        &FindCoordinatorRequest {
            key: "tx".into(),
            key_type: KEY_TYPE_TRANSACTION,
            coordinator_keys: vec![],
        },
    );
    assert_eq!(single.error_code, ErrorCode::NONE);
    assert_eq!(
        (single.node_id, single.port),
        (0, i32::from(cluster.port(0)))
    );
    let batched = find(
        6,
        &FindCoordinatorRequest {
            key: String::new(),
            key_type: KEY_TYPE_TRANSACTION,
            coordinator_keys: vec!["tx".into(), "other".into()],
        },
    );
    assert_eq!(batched.coordinators.len(), 2);
    assert_eq!(batched.coordinators[1].key, "other");
    assert!(batched.coordinators.iter().all(|c| c.node_id == 0));
    // InitProducerId: a stable producer id per transactional id, the epoch bumped each time.
    let init = |tid: &str| {
        let req = InitProducerIdRequest {
            transactional_id: Some(tid.into()),
            transaction_timeout_ms: 60_000,
            producer_id: -1,
            producer_epoch: -1,
        };
        let r = raw_call(&cluster, 0, &req, 5);
        assert_eq!(r.error_code, ErrorCode::NONE);
        (r.producer_id, r.producer_epoch)
    };
    let (pid, epoch) = init("tx");
    assert_eq!(epoch, 0);
    assert_eq!(init("tx"), (pid, 1));
    let (other, other_epoch) = init("other");
    assert_ne!(other, pid);
    assert_eq!(other_epoch, 0);
    // AddPartitionsToTxn / AddOffsetsToTxn / TxnOffsetCommit: NONE everywhere.
    for v in 0..=3 {
        let r = raw_call(
            &cluster,
            0,
            &AddPartitionsToTxnRequest {
                transactional_id: "tx".into(),
                producer_id: pid,
                producer_epoch: 1,
                topics: vec![AddPartitionsToTxnTopic {
                    name: "t".into(),
                    partitions: vec![0, 2],
                }],
            },
            v,
        );
        assert_eq!(r.results[0].name, "t");
        let got: Vec<_> = r.results[0]
            .results
            .iter()
            .map(|p| (p.partition_index, p.error_code))
            .collect();
        assert_eq!(got, [(0, ErrorCode::NONE), (2, ErrorCode::NONE)]);
    }
    let r = raw_call(
        &cluster,
        0,
        &AddOffsetsToTxnRequest {
            transactional_id: "tx".into(),
            producer_id: pid,
            producer_epoch: 1,
            group_id: "g".into(),
        },
        4,
    );
    assert_eq!(r.error_code, ErrorCode::NONE);
    let r = raw_call(
        &cluster,
        0,
        &TxnOffsetCommitRequest {
            transactional_id: "tx".into(),
            group_id: "g".into(),
            producer_id: pid,
            producer_epoch: 1,
            topics: vec![TxnOffsetCommitRequestTopic {
                name: "t".into(),
                partitions: vec![TxnOffsetCommitRequestPartition {
                    partition_index: 1,
                    committed_offset: 10,
                    ..Default::default()
                }],
            }],
            ..Default::default()
        },
        5,
    );
    assert_eq!(r.topics[0].partitions[0].partition_index, 1);
    assert_eq!(r.topics[0].partitions[0].error_code, ErrorCode::NONE);
    // EndTxn: before v5 no producer id comes back; from v5 the epoch is bumped.
    let end = |version, epoch| {
        let req = EndTxnRequest {
            transactional_id: "tx".into(),
            producer_id: pid,
            producer_epoch: epoch,
            committed: true,
        };
        raw_call(&cluster, 0, &req, version)
    };
    let r = end(4, 1);
    assert_eq!(
        (r.error_code, r.producer_id, r.producer_epoch),
        (ErrorCode::NONE, -1, -1)
    );
    let r = end(5, 1);
    assert_eq!(
        (r.error_code, r.producer_id, r.producer_epoch),
        (ErrorCode::NONE, pid, 2)
    );
    // The coordinator remembers the bumped epoch.
    assert_eq!(init("tx"), (pid, 3));
}

/// Transactions against the mock cluster (its minimal coordinator): a committed transaction,
/// and a record that cannot even be buffered (larger than `max.request.size`) makes the
/// transaction abortable, as Java's `doSend` does with an `ApiException`: the commit fails
/// (before the fix it succeeded without the record), the abort recovers.
#[test]
fn transaction_with_a_refused_record_cannot_commit() {
    let cluster = MockCluster::new(1);
    cluster.create_topic("txn", 1);
    let producer = mock_support::producer(mock_support::config(
        &cluster,
        &[
            ("transactional.id", "mock-txn"),
            ("max.request.size", "2000"),
        ],
    ));
    producer.init_transactions().unwrap();
    producer.begin_transaction().unwrap();
    let ok = producer.send(ProducerRecord::new("txn", "small".to_string()));
    producer.commit_transaction().unwrap();
    assert_eq!(ok.get().unwrap().offset, 0);

    producer.begin_transaction().unwrap();
    let big = producer.send(ProducerRecord::new("txn", "x".repeat(5000)));
    assert!(matches!(big.get(), Err(Error::RecordTooLarge { .. })));
    let e = producer.commit_transaction().unwrap_err();
    assert!(e.is_abortable(), "{e:?}");
    assert!(
        matches!(&e, Error::TransactionAbortable { cause, .. } if matches!(cause.as_ref(), Error::RecordTooLarge { .. })),
        "{e:?}"
    );
    producer.abort_transaction().unwrap();
    producer.begin_transaction().unwrap();
    let again = producer.send(ProducerRecord::new("txn", "after".to_string()));
    producer.commit_transaction().unwrap();
    again.get().unwrap();
    producer.close();
}
