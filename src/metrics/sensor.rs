//! `Sensor`: a named handle that records values into its stats (Java's
//! `org.apache.kafka.common.metrics.Sensor`), and its [`RecordingLevel`].

use std::fmt;
use std::str::FromStr;

/// How much a sensor costs to record, and so when it records (Java's `Sensor.RecordingLevel`,
/// set by `metrics.recording.level`): a sensor records when its level is at or below the
/// configured one (`INFO` < `DEBUG` < `TRACE`).
///
/// ```
/// use kafka_producer::metrics::RecordingLevel;
/// assert!(RecordingLevel::Info.should_record(RecordingLevel::Debug));
/// assert!(!RecordingLevel::Debug.should_record(RecordingLevel::Info));
/// assert_eq!("DEBUG".parse::<RecordingLevel>(), Ok(RecordingLevel::Debug));
/// assert_eq!(RecordingLevel::Trace.to_string(), "TRACE");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordingLevel {
    /// Always recorded (the default level of the producer's sensors and of the setting).
    #[default]
    Info,
    /// Recorded with `metrics.recording.level=DEBUG` or `TRACE`.
    Debug,
    /// Recorded only with `metrics.recording.level=TRACE`.
    Trace,
}

impl RecordingLevel {
    /// Whether a sensor of this level records when the configured level is `configured`.
    pub fn should_record(self, configured: RecordingLevel) -> bool {
        self <= configured
    }

    /// The name Java uses (`INFO`, `DEBUG`, `TRACE`).
    pub fn name(self) -> &'static str {
        match self {
            RecordingLevel::Info => "INFO",
            RecordingLevel::Debug => "DEBUG",
            RecordingLevel::Trace => "TRACE",
        }
    }
}

impl fmt::Display for RecordingLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RecordingLevel {
    type Err = String;

    /// Java's names, case-sensitive as Java's `RecordingLevel.forName` (upper case).
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "INFO" => Ok(RecordingLevel::Info),
            "DEBUG" => Ok(RecordingLevel::Debug),
            "TRACE" => Ok(RecordingLevel::Trace),
            other => Err(format!(
                "\"{other}\" is not a recording level: must be one of INFO, DEBUG, TRACE"
            )),
        }
    }
}

use super::registry::Registry;
use super::stats::Stat;
use super::{KafkaMetric, MetricConfig, MetricName};
use crate::time::Time;
use parking_lot::Mutex;
use std::sync::{Arc, Weak};
use std::time::Instant;

/// A named handle that records values into its stats, each readable as a [`KafkaMetric`], and
/// then into its parents' (Java's `Sensor`). Recording takes the sensor's lock once.
pub(crate) struct Sensor {
    name: String,
    recording: bool,
    config: MetricConfig,
    parents: Vec<Arc<Sensor>>,
    stats: Mutex<Vec<Stat>>,
    time: Arc<dyn Time>,
    registry: Weak<Registry>,
}

impl fmt::Debug for Sensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sensor").field("name", &self.name).finish()
    }
}

impl Sensor {
    pub(super) fn new(
        name: String,
        level: RecordingLevel,
        config: MetricConfig,
        parents: Vec<Arc<Sensor>>,
        time: Arc<dyn Time>,
        registry: Weak<Registry>,
    ) -> Self {
        Sensor {
            name,
            recording: level.should_record(config.recording_level),
            config,
            parents,
            stats: Mutex::new(Vec::new()),
            time,
            registry,
        }
    }

    /// The sensor's name.
    #[allow(dead_code)] // metric.reporters, metrics.recording.level: the config part of issue 14
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Whether the sensor records at the configured `metrics.recording.level` (Java's
    /// `shouldRecord`): callers skip measuring what would not be recorded.
    #[allow(dead_code)] // metric.reporters, metrics.recording.level: the config part of issue 14
    pub(crate) fn should_record(&self) -> bool {
        self.recording
    }

    /// Records `value` now.
    pub(crate) fn record(&self, value: f64) {
        if self.recording {
            self.record_at(value, self.time.now());
        }
    }

    /// Records `value` at `now` (callers that read the clock already).
    pub(crate) fn record_at(&self, value: f64, now: Instant) {
        if !self.recording {
            return;
        }
        {
            let mut stats = self.stats.lock();
            for s in stats.iter_mut() {
                s.record(&self.config, value, now);
            }
        }
        for p in &self.parents {
            p.record_at(value, now);
        }
    }

    /// Adds a stat, readable as the metric `name` (Java's `Sensor.add`). A name already
    /// registered keeps its first stat (false).
    pub(crate) fn add(self: &Arc<Self>, name: MetricName, stat: Stat) -> bool {
        let Some(registry) = self.registry.upgrade() else {
            return false;
        };
        if registry.contains(&name) {
            return false;
        }
        let index = {
            let mut stats = self.stats.lock();
            stats.push(stat);
            stats.len() - 1
        };
        registry.register(KafkaMetric::of_stat(
            name,
            self.clone(),
            index,
            self.time.clone(),
        ))
    }

    /// Adds Java's `Meter`: a rate and a cumulative total of the recorded values (`count`:
    /// of the recordings instead).
    pub(crate) fn add_meter(self: &Arc<Self>, rate: MetricName, total: MetricName, count: bool) {
        if count {
            self.add(rate, Stat::count_rate());
            self.add(total, Stat::cumulative_count());
        } else {
            self.add(rate, Stat::rate());
            self.add(total, Stat::cumulative_sum());
        }
    }

    /// Measures stat `index` at `now`.
    pub(super) fn measure(&self, index: usize, now: Instant) -> f64 {
        let mut stats = self.stats.lock();
        match stats.get_mut(index) {
            Some(s) => s.measure(&self.config, now),
            None => f64::NAN,
        }
    }
}
