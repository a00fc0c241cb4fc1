//! The sender's metrics (Java's `SenderTest` metric cases, e.g. `testSimple`'s records per
//! request, `testQuotaMetrics`, `testRetries`' retry count, `testSplitBatchAndSend`): values
//! read back from the registry after rounds on the mock client and the mock clock.

use super::tests::{Harness, Setup, partition_response, produce_answer, produce_response, tp};
use crate::metrics::MetricName;
use crate::producer::internals::sender_metrics_registry::{
    CLIENT_TEMPLATES, GROUP, TOPIC_METRIC_GROUP_NAME, TOPIC_TEMPLATES,
};
use crate::protocol::ErrorCode;
use std::time::Duration;

/// The value of the client-level metric `name`.
fn value(h: &Harness, name: &str) -> f64 {
    let key = MetricName::new(name, GROUP, "", [("client-id", "test-client")]);
    h.metrics
        .metrics()
        .get(&key)
        .unwrap_or_else(|| panic!("{key} registered"))
        .metric_value()
}

/// The value of the per-topic metric `name` of `topic`.
fn topic_value(h: &Harness, name: &str, topic: &str) -> f64 {
    let key = MetricName::new(
        name,
        TOPIC_METRIC_GROUP_NAME,
        "",
        [("client-id", "test-client"), ("topic", topic)],
    );
    h.metrics
        .metrics()
        .get(&key)
        .unwrap_or_else(|| panic!("{key} registered"))
        .metric_value()
}

/// Every client-level metric of Java's `SenderMetricsRegistry` is registered with its
/// description; the per-topic ones once the topic was sent to.
#[test]
fn every_sender_metric_is_registered_with_javas_description() {
    let mut h = Harness::new(Setup::default());
    let all = h.metrics.metrics();
    for (name, description) in CLIENT_TEMPLATES {
        let key = MetricName::new(*name, GROUP, "", [("client-id", "test-client")]);
        let (found, _) = all
            .get_key_value(&key)
            .unwrap_or_else(|| panic!("{key} registered"));
        assert_eq!(found.description(), *description);
    }
    assert!(
        !all.keys().any(|n| n.group() == TOPIC_METRIC_GROUP_NAME),
        "no topic metric before a topic is sent to"
    );
    h.append(&tp(0));
    h.run_once();
    let all = h.metrics.metrics();
    for (name, description) in TOPIC_TEMPLATES {
        let key = MetricName::new(
            *name,
            TOPIC_METRIC_GROUP_NAME,
            "",
            [("client-id", "test-client"), ("topic", "test")],
        );
        let (found, _) = all
            .get_key_value(&key)
            .unwrap_or_else(|| panic!("{key} registered"));
        assert_eq!(found.description(), *description);
    }
}

/// One Produce request of two batches (two records for partition 0, one for partition 1),
/// drained after linger.ms and answered 20 ms later.
#[test]
fn a_produce_round_records_batches_records_queue_time_and_latency() {
    let mut h = Harness::new(Setup {
        linger: Duration::from_millis(100),
        ..Setup::default()
    });
    assert_eq!(value(&h, "record-send-total"), 0.0);
    assert!(value(&h, "batch-size-avg").is_nan(), "no batch yet");
    let f1 = h.append(&tp(0));
    let f2 = h.append(&tp(0));
    let f3 = h.append(&tp(1));
    h.run_once();
    assert_eq!(h.client().in_flight_len(), 0, "lingering");
    h.time.sleep_ms(100);
    h.run_once();
    assert_eq!(
        h.client().in_flight_len(),
        1,
        "one request for both batches"
    );
    assert_eq!(value(&h, "requests-in-flight"), 1.0);
    // Per request: its records; per batch: its size, queue time, compression, record size.
    assert_eq!(value(&h, "record-send-total"), 3.0);
    assert_eq!(value(&h, "records-per-request-avg"), 3.0);
    assert_eq!(value(&h, "record-queue-time-avg"), 100.0);
    assert_eq!(value(&h, "record-queue-time-max"), 100.0);
    assert_eq!(value(&h, "compression-rate-avg"), 1.0);
    let batch_avg = value(&h, "batch-size-avg");
    let batch_max = value(&h, "batch-size-max");
    assert!(
        batch_avg > 61.0,
        "a batch is a 61-byte header and its records: {batch_avg}"
    );
    assert!(
        batch_max > batch_avg,
        "the two-record batch is the larger: {batch_max}"
    );
    assert!(value(&h, "record-size-max") > 0.0);
    assert!(value(&h, "record-size-avg") > 0.0);
    assert_eq!(topic_value(&h, "record-send-total", "test"), 3.0);
    assert_eq!(topic_value(&h, "byte-total", "test"), 2.0 * batch_avg);
    assert_eq!(topic_value(&h, "compression-rate", "test"), 1.0);
    assert!(topic_value(&h, "record-send-rate", "test") > 0.0);
    h.time.sleep_ms(20);
    h.respond(super::tests::produce_response_with(&[
        (tp(0), 0, ErrorCode::NONE, -1),
        (tp(1), 0, ErrorCode::NONE, -1),
    ]));
    h.run_once();
    for f in [&f1, &f2, &f3] {
        assert!(f.is_done());
    }
    assert_eq!(value(&h, "request-latency-avg"), 20.0);
    assert_eq!(value(&h, "request-latency-max"), 20.0);
    assert_eq!(value(&h, "requests-in-flight"), 0.0);
    assert_eq!(value(&h, "produce-throttle-time-avg"), 0.0);
    assert_eq!(value(&h, "record-error-total"), 0.0);
    assert_eq!(value(&h, "record-retry-total"), 0.0);
    assert_eq!(
        value(&h, "record-send-total"),
        3.0,
        "counted once, when sent"
    );
    // The metadata was updated when the harness was built, 120 ms ago.
    assert!((value(&h, "metadata-age") - 0.12).abs() < 1e-9);
}

/// A retriable error puts the batch back: its records count as retried, and again as sent
/// when they go out again (Java counts sends, retries included).
#[test]
fn a_retried_batch_counts_its_records_as_retried_then_sent_again() {
    let mut h = Harness::new(Setup::default());
    let f1 = h.append(&tp(0));
    let f2 = h.append(&tp(0));
    h.run_once();
    h.respond(produce_response(
        &tp(0),
        -1,
        ErrorCode::NOT_LEADER_OR_FOLLOWER,
    ));
    h.run_once();
    assert_eq!(value(&h, "record-retry-total"), 2.0);
    assert_eq!(topic_value(&h, "record-retry-total", "test"), 2.0);
    assert_eq!(value(&h, "record-error-total"), 0.0);
    h.time.sleep_ms(100);
    h.run_once();
    assert_eq!(h.client().in_flight_len(), 1, "sent again");
    assert_eq!(value(&h, "record-send-total"), 4.0);
    h.respond(produce_response(&tp(0), 0, ErrorCode::NONE));
    h.run_once();
    assert!(f1.is_done() && f2.is_done());
    assert_eq!(value(&h, "record-error-total"), 0.0);
}

/// A fatal error fails the batch: its records count as errors, for the client and the topic.
#[test]
fn a_failed_batch_counts_its_records_as_errors() {
    let mut h = Harness::new(Setup::default());
    let f1 = h.append(&tp(0));
    let f2 = h.append(&tp(0));
    let f3 = h.append(&tp(1));
    h.run_once();
    h.respond(super::tests::produce_response_with(&[
        (tp(0), -1, ErrorCode::TOPIC_AUTHORIZATION_FAILED, -1),
        (tp(1), 0, ErrorCode::NONE, -1),
    ]));
    h.run_once();
    assert!(f1.is_done() && f2.is_done() && f3.is_done());
    assert_eq!(value(&h, "record-error-total"), 2.0);
    assert_eq!(topic_value(&h, "record-error-total", "test"), 2.0);
    assert!(value(&h, "record-error-rate") > 0.0);
    assert_eq!(value(&h, "record-retry-total"), 0.0);
}

/// Java's `SenderTest.testQuotaMetrics`: a throttled Produce response records its throttle
/// time in `produce-throttle-time-avg` / `-max`.
#[test]
fn a_throttled_response_records_the_throttle_time() {
    let mut h = Harness::new(Setup::default());
    h.append(&tp(0));
    h.run_once();
    h.respond(produce_answer(
        vec![partition_response(0, 0, ErrorCode::NONE)],
        100,
        vec![],
    ));
    h.run_once();
    h.time.sleep_ms(200);
    h.append(&tp(0));
    h.run_once();
    h.respond(produce_answer(
        vec![partition_response(0, 1, ErrorCode::NONE)],
        0,
        vec![],
    ));
    h.run_once();
    assert_eq!(value(&h, "produce-throttle-time-avg"), 50.0);
    assert_eq!(value(&h, "produce-throttle-time-max"), 100.0);
}

/// MESSAGE_TOO_LARGE for a batch of several records splits it (`batch-split-total`); the
/// halves are sent and counted again.
#[test]
fn a_split_batch_is_counted() {
    let mut h = Harness::new(Setup::default());
    let f1 = h.append(&tp(0));
    let f2 = h.append(&tp(0));
    h.run_once();
    h.respond(produce_response(&tp(0), -1, ErrorCode::MESSAGE_TOO_LARGE));
    h.run_once();
    assert_eq!(value(&h, "batch-split-total"), 1.0);
    assert!(value(&h, "batch-split-rate") > 0.0);
    assert_eq!(value(&h, "record-error-total"), 0.0, "a split is no error");
    assert_eq!(value(&h, "record-retry-total"), 0.0, "nor a retry");
    for _ in 0..4 {
        h.run_once();
        if h.client().in_flight_len() > 0 {
            h.respond(produce_response(&tp(0), 0, ErrorCode::NONE));
            h.run_once();
        }
    }
    assert!(f1.is_done() && f2.is_done());
    assert_eq!(value(&h, "record-send-total"), 4.0, "2 first, then 1 + 1");
}

/// A batch past `delivery.timeout.ms` fails: its records count as errors once, even when its
/// late response (an error too) comes back afterwards.
#[test]
fn an_expired_batch_counts_its_records_as_errors_once() {
    let mut h = Harness::new(Setup {
        delivery_timeout: Duration::from_millis(1500),
        ..Setup::default()
    });
    let f1 = h.append(&tp(0));
    let f2 = h.append(&tp(0));
    h.run_once();
    assert_eq!(h.client().in_flight_len(), 1);
    h.time.sleep_ms(1500);
    h.run_once();
    assert!(f1.is_done() && f2.is_done());
    assert_eq!(value(&h, "record-error-total"), 2.0);
    assert_eq!(topic_value(&h, "record-error-total", "test"), 2.0);
    h.respond(produce_response(
        &tp(0),
        -1,
        ErrorCode::TOPIC_AUTHORIZATION_FAILED,
    ));
    h.run_once();
    assert_eq!(value(&h, "record-error-total"), 2.0, "not counted twice");
}
