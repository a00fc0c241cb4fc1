//! `MetricName`: what identifies a metric (Java's `org.apache.kafka.common.MetricName`).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A metric's name, group and tags, with a description. Two names are equal when their name,
/// group and tags are (the description is not compared), as in Java.
///
/// ```
/// use kafka_producer::metrics::MetricName;
/// let a = MetricName::new("record-send-rate", "producer-metrics", "records/s", [("client-id", "p1")]);
/// let b = MetricName::new("record-send-rate", "producer-metrics", "", [("client-id", "p1")]);
/// assert_eq!(a, b);
/// assert_eq!(a.tags()["client-id"], "p1");
/// assert_eq!(a.to_string(), "producer-metrics:record-send-rate{client-id=p1}");
/// ```
#[derive(Debug, Clone)]
pub struct MetricName {
    name: String,
    group: String,
    description: String,
    tags: BTreeMap<String, String>,
}

impl MetricName {
    /// A metric name with its tags (key, value pairs).
    pub fn new<I, K, V>(
        name: impl Into<String>,
        group: impl Into<String>,
        description: impl Into<String>,
        tags: I,
    ) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        MetricName {
            name: name.into(),
            group: group.into(),
            description: description.into(),
            tags: tags
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The name, e.g. `record-send-rate`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The group, e.g. `producer-metrics`, `producer-topic-metrics`, `producer-node-metrics`.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// What the metric measures, in Java's words.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The tags, e.g. `client-id`, `topic`, `node-id`.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    fn key(&self) -> (&str, &str, &BTreeMap<String, String>) {
        (&self.group, &self.name, &self.tags)
    }
}

impl PartialEq for MetricName {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for MetricName {}

impl Hash for MetricName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for MetricName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MetricName {
    /// By group, name, then tags: the order of Java's `ProducerPerformance --print-metrics`.
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl fmt::Display for MetricName {
    /// `group:name{tag=value,...}`, the form of Java's `--print-metrics` table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}{{", self.group, self.name)?;
        for (i, (k, v)) in self.tags.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{k}={v}")?;
        }
        f.write_str("}")
    }
}
