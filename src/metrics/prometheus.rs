//! The Prometheus text exposition format (version 0.0.4) of a producer's metrics, behind the
//! `prometheus` feature.
//!
//! Each metric becomes one sample named `kafka_` + its group + `_` + its name, with `-` and
//! other characters Prometheus does not allow turned into `_`
//! (`producer-metrics:record-send-total` is `kafka_producer_metrics_record_send_total`), its
//! tags as labels (`client-id` is `client_id`). Java's cumulative `*-total` metrics are
//! counters, the rest gauges. NaN (an average with nothing recorded) is written `NaN`.
//!
//! ```
//! # #[cfg(feature = "mock")] {
//! use kafka_producer::metrics::prometheus;
//! use kafka_producer::mock::MockCluster;
//! use kafka_producer::producer::serializer::StringSerializer;
//! use kafka_producer::{KafkaProducer, ProducerConfig, ProducerRecord};
//!
//! let cluster = MockCluster::new(1);
//! cluster.create_topic("t", 1);
//! let config = ProducerConfig::builder()
//!     .bootstrap_servers(cluster.bootstrap_servers())
//!     .build()?;
//! let producer: KafkaProducer<String, String> =
//!     KafkaProducer::new(config, StringSerializer, StringSerializer)?;
//! producer.send(ProducerRecord::new("t", "v".to_string())).get()?;
//! producer.close();
//! let text = prometheus::render(&producer.metrics());
//! assert!(text.contains("# TYPE kafka_producer_metrics_record_send_total counter"));
//! assert!(text.contains("kafka_producer_metrics_record_send_total{client_id=\""));
//! assert!(text.contains("kafka_producer_topic_metrics_record_send_total{client_id=\""));
//! # }
//! # Ok::<(), kafka_producer::Error>(())
//! ```

use super::{KafkaMetric, MetricName};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

/// Renders `metrics` (as [`KafkaProducer::metrics`](crate::KafkaProducer::metrics) returns
/// them) in the Prometheus text format, families sorted by name, each with its `# HELP` (the
/// metric's description) and `# TYPE` lines.
pub fn render(metrics: &HashMap<MetricName, Arc<KafkaMetric>>) -> String {
    let mut families: Vec<(String, &MetricName, &Arc<KafkaMetric>)> = metrics
        .iter()
        .map(|(name, m)| (family_name(name), name, m))
        .collect();
    families.sort_by(|a, b| (&a.0, a.1.tags()).cmp(&(&b.0, b.1.tags())));
    let mut out = String::new();
    let mut last: Option<&str> = None;
    for (family, name, metric) in &families {
        if last != Some(family.as_str()) {
            let kind = if name.name().ends_with("-total") {
                "counter"
            } else {
                "gauge"
            };
            let _ = writeln!(out, "# HELP {family} {}", escape_help(name.description()));
            let _ = writeln!(out, "# TYPE {family} {kind}");
            last = Some(family.as_str());
        }
        out.push_str(family);
        if !name.tags().is_empty() {
            out.push('{');
            for (i, (k, v)) in name.tags().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{}=\"{}\"", sanitize(k), escape_label(v));
            }
            out.push('}');
        }
        let _ = writeln!(out, " {}", format_value(metric.metric_value()));
    }
    out
}

fn family_name(name: &MetricName) -> String {
    sanitize(&format!("kafka_{}_{}", name.group(), name.name()))
}

/// Prometheus names: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_labels_and_values_are_escaped() {
        assert_eq!(
            family_name(&MetricName::new(
                "record-send-total",
                "producer-metrics",
                "",
                [("client-id", "x")]
            )),
            "kafka_producer_metrics_record_send_total"
        );
        assert_eq!(sanitize("9a.b-c"), "_9a_b_c");
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(2.5), "2.5");
        assert_eq!(format_value(3.0), "3");
    }
}
