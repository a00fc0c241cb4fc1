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
