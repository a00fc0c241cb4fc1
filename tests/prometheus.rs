//! The Prometheus text rendering of a producer's metrics (feature `prometheus`), parsed by an
//! independent parser (`prometheus-parse`), after records went to a real broker.

mod support;

use kafka_producer::metrics::prometheus;
use kafka_producer::producer::serializer::StringSerializer;
use kafka_producer::{KafkaProducer, ProducerConfig, ProducerRecord};
use prometheus_parse::{Scrape, Value};

#[test]
fn prometheus_text_parses_and_carries_the_java_metrics() {
    let topic = support::unique_topic("prometheus");
    support::create_topic(&topic, 2, 1, &[]);
    let config = ProducerConfig::builder()
        .bootstrap_servers(support::bootstrap())
        .client_id("prom-test")
        .linger(std::time::Duration::from_millis(5))
        .build()
        .unwrap();
    let producer: KafkaProducer<String, String> =
        KafkaProducer::new(config, StringSerializer, StringSerializer).unwrap();
    let mut futures = Vec::new();
    for i in 0..1000 {
        futures.push(producer.send(ProducerRecord::with_key_value(
            topic.as_str(),
            format!("k{i}"),
            format!("value {i}"),
        )));
    }
    producer.flush().unwrap();
    for f in futures {
        f.get().unwrap();
    }
    let text = prometheus::render(&producer.metrics());
    producer.close();

    let lines: Vec<std::io::Result<String>> = text.lines().map(|l| Ok(l.to_string())).collect();
    let scrape = Scrape::parse(lines.into_iter()).expect("the text parses");
    let sample_lines = text.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(
        scrape.samples.len(),
        sample_lines,
        "every sample line is a sample to the parser:\n{text}"
    );
    assert_eq!(
        scrape.samples.len(),
        producer.metrics().len(),
        "one sample per metric"
    );
    let find = |metric: &str, topic_label: Option<&str>| {
        scrape
            .samples
            .iter()
            .find(|s| {
                s.metric == metric
                    && s.labels.get("client_id") == Some("prom-test")
                    && topic_label.is_none_or(|t| s.labels.get("topic") == Some(t))
            })
            .unwrap_or_else(|| panic!("{metric} not in\n{text}"))
    };
    match find("kafka_producer_metrics_record_send_total", None).value {
        Value::Counter(v) => assert_eq!(v, 1000.0),
        ref other => panic!("record-send-total is a counter: {other:?}"),
    }
    match find(
        "kafka_producer_topic_metrics_record_send_total",
        Some(&topic),
    )
    .value
    {
        Value::Counter(v) => assert_eq!(v, 1000.0),
        ref other => panic!("the topic's record-send-total: {other:?}"),
    }
    match find("kafka_producer_metrics_batch_size_avg", None).value {
        Value::Gauge(v) => assert!(v > 0.0, "batch-size-avg {v}"),
        ref other => panic!("batch-size-avg is a gauge: {other:?}"),
    }
    match find("kafka_producer_metrics_record_error_total", None).value {
        Value::Counter(v) => assert_eq!(v, 0.0),
        ref other => panic!("{other:?}"),
    }
    assert!(
        scrape
            .docs
            .get("kafka_producer_metrics_record_send_rate")
            .is_some_and(|d| !d.is_empty()),
        "HELP lines carry Java's descriptions"
    );
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "kafka_producer_node_metrics_request_total"
                && s.labels
                    .get("node_id")
                    .is_some_and(|n| n.starts_with("node-"))),
        "node metrics with their node-id label:\n{text}"
    );
}
