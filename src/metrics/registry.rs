//! `Metrics`: the registry of a producer's sensors and metrics (Java's
//! `org.apache.kafka.common.metrics.Metrics`).

use super::sensor::Sensor;
use super::{KafkaMetric, MetricConfig, MetricName, MetricsReporter, RecordingLevel};
use crate::time::Time;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

/// The registry: sensors by name, metrics by [`MetricName`], and the reporters told of each
/// metric. Cheap to clone (shared).
#[derive(Clone)]
pub(crate) struct Metrics {
    inner: Arc<Registry>,
}

pub(crate) struct Registry {
    config: MetricConfig,
    time: Arc<dyn Time>,
    state: RwLock<State>,
    reporters: Mutex<Vec<Box<dyn MetricsReporter>>>,
}

#[derive(Default)]
struct State {
    metrics: HashMap<MetricName, Arc<KafkaMetric>>,
    sensors: HashMap<String, Arc<Sensor>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("metrics", &self.inner.state.read().metrics.len())
            .finish()
    }
}

impl Metrics {
    /// An empty registry.
    pub(crate) fn new(config: MetricConfig, time: Arc<dyn Time>) -> Self {
        Metrics {
            inner: Arc::new(Registry {
                config,
                time,
                state: RwLock::new(State::default()),
                reporters: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The sampling configuration.
    #[allow(dead_code)] // metric.reporters, metrics.recording.level: the config part of issue 14
    pub(crate) fn config(&self) -> &MetricConfig {
        &self.inner.config
    }

    /// The clock the stats read.
    pub(crate) fn time(&self) -> &Arc<dyn Time> {
        &self.inner.time
    }

    /// The sensor `name` at level INFO, created without parents if new (Java's `sensor(name)`).
    pub(crate) fn sensor(&self, name: &str) -> Arc<Sensor> {
        self.sensor_with(name, RecordingLevel::Info, &[])
    }

    /// The sensor `name`, created with this level and parents if new.
    pub(crate) fn sensor_with(
        &self,
        name: &str,
        level: RecordingLevel,
        parents: &[&Arc<Sensor>],
    ) -> Arc<Sensor> {
        if let Some(s) = self.get_sensor(name) {
            return s;
        }
        let mut state = self.inner.state.write();
        state
            .sensors
            .entry(name.to_string())
            .or_insert_with(|| {
                Arc::new(Sensor::new(
                    name.to_string(),
                    level,
                    self.inner.config,
                    parents.iter().map(|p| (*p).clone()).collect(),
                    self.inner.time.clone(),
                    Arc::downgrade(&self.inner),
                ))
            })
            .clone()
    }

    /// The sensor `name`, if it exists.
    pub(crate) fn get_sensor(&self, name: &str) -> Option<Arc<Sensor>> {
        self.inner.state.read().sensors.get(name).cloned()
    }

    /// Adds a metric whose value is `f(now)` (Java's `addMetric` with a gauge). A name already
    /// registered is replaced.
    pub(crate) fn add_gauge(
        &self,
        name: MetricName,
        f: impl Fn(Instant) -> f64 + Send + Sync + 'static,
    ) {
        self.inner.register(KafkaMetric::gauge(
            name,
            Box::new(f),
            self.inner.time.clone(),
        ));
    }

    /// Every metric, by name (Java's `metrics()`).
    pub(crate) fn metrics(&self) -> HashMap<MetricName, Arc<KafkaMetric>> {
        self.inner.state.read().metrics.clone()
    }

    /// The metric `name`, if registered.
    #[allow(dead_code)]
    pub(crate) fn metric(&self, name: &MetricName) -> Option<Arc<KafkaMetric>> {
        self.inner.state.read().metrics.get(name).cloned()
    }

    /// Adds a reporter and gives it the metrics registered so far.
    #[allow(dead_code)] // metric.reporters, metrics.recording.level: the config part of issue 14
    pub(crate) fn add_reporter(&self, mut reporter: Box<dyn MetricsReporter>) {
        let all: Vec<Arc<KafkaMetric>> =
            self.inner.state.read().metrics.values().cloned().collect();
        guarded("init", || reporter.init(&all));
        self.inner.reporters.lock().push(reporter);
    }

    /// Closes the reporters (once; later calls do nothing).
    pub(crate) fn close(&self) {
        let reporters = std::mem::take(&mut *self.inner.reporters.lock());
        for mut r in reporters {
            guarded("close", || r.close());
        }
    }
}

impl Registry {
    pub(super) fn contains(&self, name: &MetricName) -> bool {
        self.state.read().metrics.contains_key(name)
    }

    /// Registers a metric and tells the reporters; true when the name was new.
    pub(super) fn register(&self, metric: KafkaMetric) -> bool {
        let metric = Arc::new(metric);
        let new = self
            .state
            .write()
            .metrics
            .insert(metric.metric_name().clone(), metric.clone())
            .is_none();
        for r in self.reporters.lock().iter_mut() {
            guarded("metric_change", || r.metric_change(&metric));
        }
        new
    }
}

/// Runs a reporter's method; a panic is logged, not passed on.
fn guarded(what: &str, f: impl FnOnce()) {
    if catch_unwind(AssertUnwindSafe(f)).is_err() {
        log::error!("A metrics reporter panicked in {what}; ignored");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::stats::Stat;
    use crate::time::MockTime;
    use std::time::Duration;

    fn name(n: &str) -> MetricName {
        MetricName::new(n, "g", "", [("client-id", "c")])
    }

    #[test]
    fn sensors_record_into_their_stats_and_parents() {
        let time = MockTime::new();
        let m = Metrics::new(MetricConfig::default(), Arc::new(time.clone()));
        let parent = m.sensor("parent");
        parent.add(name("total"), Stat::cumulative_sum());
        let child = m.sensor_with("child", RecordingLevel::Info, &[&parent]);
        child.add(name("child-max"), Stat::max());
        child.record(3.0);
        child.record(1.0);
        let all = m.metrics();
        assert_eq!(all[&name("total")].metric_value(), 4.0);
        assert_eq!(all[&name("child-max")].metric_value(), 3.0);
        // The same sensor by name; a second stat of the same name is refused.
        assert!(Arc::ptr_eq(&m.sensor("child"), &child));
        assert!(!child.add(name("child-max"), Stat::min()));
        time.sleep(Duration::from_secs(61));
        assert!(all[&name("child-max")].metric_value().is_nan());
    }

    #[test]
    fn debug_sensors_do_not_record_at_info() {
        let m = Metrics::new(MetricConfig::default(), crate::time::system());
        let s = m.sensor_with("d", RecordingLevel::Debug, &[]);
        s.add(name("d-total"), Stat::cumulative_count());
        assert!(!s.should_record());
        s.record(1.0);
        assert_eq!(m.metrics()[&name("d-total")].metric_value(), 0.0);
        let m = Metrics::new(
            MetricConfig::new(2, Duration::from_secs(30), RecordingLevel::Debug),
            crate::time::system(),
        );
        let s = m.sensor_with("d", RecordingLevel::Debug, &[]);
        s.add(name("d-total"), Stat::cumulative_count());
        s.record(1.0);
        assert_eq!(m.metrics()[&name("d-total")].metric_value(), 1.0);
    }

    #[derive(Default, Clone)]
    struct Seen(Arc<Mutex<(Vec<String>, usize)>>);

    impl MetricsReporter for Seen {
        fn init(&mut self, metrics: &[Arc<KafkaMetric>]) {
            for m in metrics {
                self.0
                    .lock()
                    .0
                    .push(format!("init {}", m.metric_name().name()));
            }
        }
        fn metric_change(&mut self, metric: &Arc<KafkaMetric>) {
            if metric.metric_name().name() == "boom" {
                panic!("a reporter's bug");
            }
            self.0
                .lock()
                .0
                .push(format!("change {}", metric.metric_name().name()));
        }
        fn close(&mut self) {
            self.0.lock().1 += 1;
        }
    }

    #[test]
    fn reporters_hear_of_every_metric_and_are_closed_once() {
        let m = Metrics::new(MetricConfig::default(), crate::time::system());
        m.add_gauge(name("before"), |_| 1.0);
        let seen = Seen::default();
        m.add_reporter(Box::new(seen.clone()));
        m.add_gauge(name("boom"), |_| 2.0);
        m.sensor("s").add(name("after"), Stat::avg());
        m.close();
        m.close();
        let (log, closed) = seen.0.lock().clone();
        assert_eq!(log, ["init before", "change after"]);
        assert_eq!(closed, 1);
        assert_eq!(m.metrics()[&name("boom")].metric_value(), 2.0);
    }
}
