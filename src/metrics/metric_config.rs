//! `MetricConfig`: how stats are sampled (Java's `org.apache.kafka.common.metrics.MetricConfig`).

use super::RecordingLevel;
use std::time::Duration;

/// The sampling of windowed stats: `samples` windows of `time_window` each (the settings
/// `metrics.num.samples`, default 2, and `metrics.sample.window.ms`, default 30 s), and the
/// level of the sensors that record (`metrics.recording.level`).
///
/// A rate is the total of the retained windows divided by the time they span (at least
/// `samples - 1` full windows), as Java's `Rate`.
///
/// ```
/// use kafka_producer::metrics::{MetricConfig, RecordingLevel};
/// use std::time::Duration;
/// let c = MetricConfig::default();
/// assert_eq!((c.samples, c.time_window), (2, Duration::from_secs(30)));
/// assert_eq!(c.recording_level, RecordingLevel::Info);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricConfig {
    /// Number of sample windows kept (`metrics.num.samples`, at least 1).
    pub samples: usize,
    /// Length of a sample window (`metrics.sample.window.ms`).
    pub time_window: Duration,
    /// Sensors above this level do not record (`metrics.recording.level`).
    pub recording_level: RecordingLevel,
}

impl Default for MetricConfig {
    fn default() -> Self {
        MetricConfig {
            samples: 2,
            time_window: Duration::from_secs(30),
            recording_level: RecordingLevel::Info,
        }
    }
}

impl MetricConfig {
    /// A configuration with these settings (`samples` at least 1).
    pub fn new(samples: usize, time_window: Duration, recording_level: RecordingLevel) -> Self {
        MetricConfig {
            samples: samples.max(1),
            time_window,
            recording_level,
        }
    }
}
