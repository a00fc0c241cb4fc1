//! The stats a [`Sensor`](super::Sensor) records into (Java's `org.apache.kafka.common.metrics.stats`):
//! windowed ([`SampledStat`]: `Avg`, `Max`, `Min`, `WindowedSum`, `WindowedCount`, and `Rate`
//! over them) and cumulative (`CumulativeSum`, `CumulativeCount`, `Value`).

use super::MetricConfig;
use std::time::{Duration, Instant};

/// One stat of a sensor.
#[derive(Debug, Clone)]
pub(crate) enum Stat {
    /// A windowed stat (Java's `SampledStat` subclasses).
    Sampled(SampledStat),
    /// A rate per [`TimeUnit`] over a windowed sum or count (Java's `Rate`).
    Rate(Rate),
    /// The sum of all values ever recorded (Java's `CumulativeSum`).
    CumulativeSum(f64),
    /// The number of values ever recorded (Java's `CumulativeCount`).
    CumulativeCount(f64),
    /// The last value recorded (Java's `Value`).
    #[cfg_attr(not(test), allow(dead_code))] // no producer metric is a Value
    Value(f64),
}

impl Stat {
    /// Java's `Avg`: the mean of the values in the retained windows (NaN without any).
    pub(crate) fn avg() -> Self {
        Stat::Sampled(SampledStat::new(Combine::Avg))
    }

    /// Java's `Max`: the largest value in the retained windows (NaN without any).
    pub(crate) fn max() -> Self {
        Stat::Sampled(SampledStat::new(Combine::Max))
    }

    /// Java's `Min`: the smallest value in the retained windows (NaN without any).
    #[allow(dead_code)]
    pub(crate) fn min() -> Self {
        Stat::Sampled(SampledStat::new(Combine::Min))
    }

    /// Java's `WindowedSum`.
    #[allow(dead_code)]
    pub(crate) fn windowed_sum() -> Self {
        Stat::Sampled(SampledStat::new(Combine::Sum))
    }

    /// Java's `WindowedCount`.
    #[allow(dead_code)]
    pub(crate) fn windowed_count() -> Self {
        Stat::Sampled(SampledStat::new(Combine::Count))
    }

    /// Java's `new Rate()`: the sum of the recorded values per second.
    pub(crate) fn rate() -> Self {
        Stat::Rate(Rate::new(TimeUnit::Seconds, Combine::Sum))
    }

    /// Java's `new Rate(new WindowedCount())`: recordings per second.
    pub(crate) fn count_rate() -> Self {
        Stat::Rate(Rate::new(TimeUnit::Seconds, Combine::Count))
    }

    /// Java's `new Rate(unit)`: the sum of the recorded values per `unit` (a time recorded in
    /// nanoseconds over `TimeUnit::Nanoseconds` is a ratio of time, as `bufferpool-wait-ratio`).
    pub(crate) fn rate_in(unit: TimeUnit) -> Self {
        Stat::Rate(Rate::new(unit, Combine::Sum))
    }

    /// Java's `CumulativeSum`.
    pub(crate) fn cumulative_sum() -> Self {
        Stat::CumulativeSum(0.0)
    }

    /// Java's `CumulativeCount`.
    pub(crate) fn cumulative_count() -> Self {
        Stat::CumulativeCount(0.0)
    }

    /// Java's `Value`.
    #[cfg_attr(not(test), allow(dead_code))] // no producer metric is a Value
    pub(crate) fn value() -> Self {
        Stat::Value(0.0)
    }

    pub(crate) fn record(&mut self, config: &MetricConfig, value: f64, now: Instant) {
        match self {
            Stat::Sampled(s) => s.record(config, value, now),
            Stat::Rate(r) => r.stat.record(config, value, now),
            Stat::CumulativeSum(total) => *total += value,
            Stat::CumulativeCount(count) => *count += 1.0,
            Stat::Value(v) => *v = value,
        }
    }

    pub(crate) fn measure(&mut self, config: &MetricConfig, now: Instant) -> f64 {
        match self {
            Stat::Sampled(s) => s.measure(config, now),
            Stat::Rate(r) => r.measure(config, now),
            Stat::CumulativeSum(v) | Stat::CumulativeCount(v) | Stat::Value(v) => *v,
        }
    }
}

/// The unit a [`Rate`] is per.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeUnit {
    /// Per second (Java's default).
    Seconds,
    /// Per nanosecond: a sum of nanoseconds becomes a ratio of time.
    Nanoseconds,
}

impl TimeUnit {
    fn per_millis(self, ms: f64) -> f64 {
        match self {
            TimeUnit::Seconds => ms / 1000.0,
            TimeUnit::Nanoseconds => ms * 1_000_000.0,
        }
    }
}

/// How a sampled stat folds a value into a window and its windows into one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Combine {
    Sum,
    Count,
    Avg,
    Max,
    Min,
}

impl Combine {
    fn initial(self) -> f64 {
        match self {
            Combine::Sum | Combine::Count | Combine::Avg => 0.0,
            Combine::Max => f64::NEG_INFINITY,
            Combine::Min => f64::INFINITY,
        }
    }
}

#[derive(Debug, Clone)]
struct Sample {
    value: f64,
    event_count: u64,
    /// When the window started.
    start: Instant,
    /// When the window last recorded a value (its start while it has none).
    last_event: Instant,
}

impl Sample {
    fn new(initial: f64, now: Instant) -> Self {
        Sample {
            value: initial,
            event_count: 0,
            start: now,
            last_event: now,
        }
    }

    fn reset(&mut self, initial: f64, now: Instant) {
        *self = Sample::new(initial, now);
    }

    fn is_complete(&self, now: Instant, config: &MetricConfig) -> bool {
        now.saturating_duration_since(self.start) >= config.time_window
    }
}

/// A stat kept in windows of `metrics.sample.window.ms` (Java's `SampledStat`): a recording
/// goes into the current window, or starts the next one (reusing the oldest of
/// `metrics.num.samples + 1`) when the current one is complete; a window whose last recording
/// is `samples × window` old is reset before a measurement. The extra window and the age by
/// last recording (Java since KAFKA-16686) keep a rate from halving each time a window rolls
/// over.
#[derive(Debug, Clone)]
pub(crate) struct SampledStat {
    combine: Combine,
    samples: Vec<Sample>,
    current: usize,
}

impl SampledStat {
    fn new(combine: Combine) -> Self {
        SampledStat {
            combine,
            samples: Vec::new(),
            current: 0,
        }
    }

    fn record(&mut self, config: &MetricConfig, value: f64, now: Instant) {
        let initial = self.combine.initial();
        if self.samples.is_empty() {
            self.samples.push(Sample::new(initial, now));
        }
        if self.samples[self.current].is_complete(now, config) {
            // One window more than `samples`: the one being replaced may still overlap the
            // measured span (see `purge_obsolete`).
            self.current = (self.current + 1) % (config.samples.max(1) + 1);
            if self.current >= self.samples.len() {
                self.samples.push(Sample::new(initial, now));
            } else {
                self.samples[self.current].reset(initial, now);
            }
        }
        let sample = &mut self.samples[self.current];
        match self.combine {
            Combine::Sum | Combine::Avg => sample.value += value,
            Combine::Count => sample.value += 1.0,
            Combine::Max => sample.value = sample.value.max(value),
            Combine::Min => sample.value = sample.value.min(value),
        }
        sample.event_count += 1;
        sample.last_event = now;
    }

    /// Java's `purgeObsoleteSamples`: a window with no recording in the last
    /// `samples * window` starts over (one that started before but recorded within is kept).
    fn purge_obsolete(&mut self, config: &MetricConfig, now: Instant) {
        let expire_age = u32::try_from(config.samples.max(1))
            .ok()
            .and_then(|n| config.time_window.checked_mul(n))
            .unwrap_or(Duration::MAX);
        let initial = self.combine.initial();
        for s in &mut self.samples {
            if now.saturating_duration_since(s.last_event) >= expire_age {
                s.reset(initial, now);
            }
        }
    }

    fn measure(&mut self, config: &MetricConfig, now: Instant) -> f64 {
        self.purge_obsolete(config, now);
        let count: u64 = self.samples.iter().map(|s| s.event_count).sum();
        let values = self.samples.iter().map(|s| s.value);
        // Folded from +0.0: `f64`'s `sum` of nothing is -0.0 (shown as "-0").
        match self.combine {
            Combine::Sum | Combine::Count => values.fold(0.0, |a, b| a + b),
            Combine::Avg if count == 0 => f64::NAN,
            Combine::Avg => values.fold(0.0, |a, b| a + b) / count as f64,
            _ if count == 0 => f64::NAN,
            Combine::Max => values.fold(f64::NEG_INFINITY, f64::max),
            Combine::Min => values.fold(f64::INFINITY, f64::min),
        }
    }

    /// Java's `oldest`: the window that started first (a new one when there is none).
    fn oldest(&mut self, now: Instant) -> Instant {
        if self.samples.is_empty() {
            self.samples.push(Sample::new(self.combine.initial(), now));
        }
        self.samples.iter().map(|s| s.start).min().unwrap_or(now)
    }
}

/// A rate: the windowed sum (or count) divided by the time the windows span (Java's `Rate`).
#[derive(Debug, Clone)]
pub(crate) struct Rate {
    unit: TimeUnit,
    stat: SampledStat,
}

impl Rate {
    fn new(unit: TimeUnit, combine: Combine) -> Self {
        Rate {
            unit,
            stat: SampledStat::new(combine),
        }
    }

    fn measure(&mut self, config: &MetricConfig, now: Instant) -> f64 {
        let value = self.stat.measure(config, now);
        value / self.unit.per_millis(self.window_size_ms(config, now))
    }

    /// Java's `Rate.windowSize`: the time since the oldest window started, counted as at least
    /// `samples - 1` full windows (so that a rate does not jump at start), and at least 1 ms.
    fn window_size_ms(&mut self, config: &MetricConfig, now: Instant) -> f64 {
        self.stat.purge_obsolete(config, now);
        let window_ms = config.time_window.as_secs_f64() * 1000.0;
        let mut elapsed_ms = now
            .saturating_duration_since(self.stat.oldest(now))
            .as_secs_f64()
            * 1000.0;
        let full_windows = if window_ms > 0.0 {
            (elapsed_ms / window_ms).floor()
        } else {
            f64::INFINITY
        };
        let min_full_windows = config.samples.max(1) as f64 - 1.0;
        if full_windows < min_full_windows {
            elapsed_ms += (min_full_windows - full_windows) * window_ms;
        }
        elapsed_ms.max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn config() -> MetricConfig {
        MetricConfig::new(2, Duration::from_secs(30), Default::default())
    }

    #[test]
    fn an_empty_sum_and_rate_are_positive_zero() {
        let now = Instant::now();
        let c = config();
        let mut sum = Stat::windowed_sum();
        let mut rate = Stat::rate();
        for v in [sum.measure(&c, now), rate.measure(&c, now)] {
            assert_eq!(v, 0.0);
            assert!(v.is_sign_positive(), "{v}");
        }
    }

    #[test]
    fn avg_max_min_over_the_retained_windows_and_nan_without_values() {
        let c = config();
        let t0 = Instant::now();
        let (mut avg, mut max, mut min) = (Stat::avg(), Stat::max(), Stat::min());
        assert!(avg.measure(&c, t0).is_nan());
        assert!(max.measure(&c, t0).is_nan());
        for v in [1.0, 5.0, 3.0] {
            for s in [&mut avg, &mut max, &mut min] {
                s.record(&c, v, t0);
            }
        }
        assert_eq!(avg.measure(&c, t0), 3.0);
        assert_eq!(max.measure(&c, t0), 5.0);
        assert_eq!(min.measure(&c, t0), 1.0);
        // A second window keeps the first one.
        let t1 = t0 + Duration::from_secs(31);
        max.record(&c, 2.0, t1);
        assert_eq!(max.measure(&c, t1), 5.0);
        // A third window reuses the first: 5 is gone.
        let t2 = t0 + Duration::from_secs(62);
        max.record(&c, 1.0, t2);
        assert_eq!(max.measure(&c, t2), 2.0);
        // Windows older than samples * window are purged before measuring.
        assert!(max.measure(&c, t2 + Duration::from_secs(61)).is_nan());
    }

    #[test]
    fn rate_counts_at_least_samples_minus_one_windows_as_java() {
        // Java's MetricsTest.testRateWindowing-like: 2 samples of 30 s, values at start.
        let c = config();
        let t0 = Instant::now();
        let mut rate = Stat::rate();
        for _ in 0..30 {
            rate.record(&c, 10.0, t0);
        }
        // 300 over (0 s elapsed + one full window of 30 s) = 10/s.
        assert_eq!(rate.measure(&c, t0), 10.0);
        // 15 s later: 300 / (15 + 30) s.
        let t1 = t0 + Duration::from_secs(15);
        assert!((rate.measure(&c, t1) - 300.0 / 45.0).abs() < 1e-9);
        // 40 s later the elapsed time is one full window already: 300 / 40.
        let t2 = t0 + Duration::from_secs(40);
        assert!((rate.measure(&c, t2) - 300.0 / 40.0).abs() < 1e-9);
        let mut count = Stat::count_rate();
        count.record(&c, 123.0, t0);
        count.record(&c, 456.0, t0);
        assert!((count.measure(&c, t0) - 2.0 / 30.0).abs() < 1e-9);
    }

    /// Java's `RateTest.testRateIsConsistentAfterTheFirstWindow` (KAFKA-16686): 10 events a
    /// second, 1 s windows, 2 samples: after the first window the rate stays about 10 as
    /// windows roll over. Failed before (Java's older rules: 2 windows aged by their start):
    /// the rate fell to 5.5 right after each rollover.
    #[test]
    fn rate_is_consistent_after_the_first_window() {
        let c = MetricConfig::new(2, Duration::from_secs(1), Default::default());
        let t0 = Instant::now();
        let mut rate = Stat::count_rate();
        for step in 0..50 {
            let now = t0 + Duration::from_millis(step * 100 + 99);
            rate.record(&c, 1.0, now);
            if step >= 10 {
                let r = rate.measure(&c, now);
                assert!(
                    (9.0..=11.0).contains(&r),
                    "rate {r} at {} ms",
                    step * 100 + 99
                );
            }
        }
        // One sample: right after a rollover Java keeps the previous window (not 1000/s).
        let c = MetricConfig::new(1, Duration::from_secs(1), Default::default());
        let mut rate = Stat::count_rate();
        for step in 0..30 {
            let now = t0 + Duration::from_millis(step * 100 + 99);
            rate.record(&c, 1.0, now);
            if step >= 10 {
                let r = rate.measure(&c, now);
                assert!(r <= 20.0, "rate {r} at {} ms", step * 100 + 99);
            }
        }
    }

    #[test]
    fn huge_windows_do_not_overflow() {
        let c = MetricConfig::new(
            5000,
            Duration::from_millis(i64::MAX as u64),
            Default::default(),
        );
        let t0 = Instant::now();
        let mut max = Stat::max();
        max.record(&c, 1.0, t0);
        assert_eq!(max.measure(&c, t0 + Duration::from_secs(1)), 1.0);
    }

    #[test]
    fn nanosecond_rate_is_a_time_ratio() {
        let c = MetricConfig::new(1, Duration::from_secs(1), Default::default());
        let t0 = Instant::now();
        let mut ratio = Stat::rate_in(TimeUnit::Nanoseconds);
        let t1 = t0 + Duration::from_millis(500);
        ratio.record(&c, 0.0, t0);
        ratio.record(&c, 250e6, t1); // 250 ms waited within 500 ms
        assert!((ratio.measure(&c, t1) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn cumulative_stats_and_value() {
        let c = config();
        let now = Instant::now();
        let (mut sum, mut count, mut value) = (
            Stat::cumulative_sum(),
            Stat::cumulative_count(),
            Stat::value(),
        );
        for v in [2.0, 3.0] {
            sum.record(&c, v, now);
            count.record(&c, v, now);
            value.record(&c, v, now);
        }
        let later = now + Duration::from_secs(3600);
        assert_eq!(sum.measure(&c, later), 5.0);
        assert_eq!(count.measure(&c, later), 2.0);
        assert_eq!(value.measure(&c, later), 3.0);
    }
}
