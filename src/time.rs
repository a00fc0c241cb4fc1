//! `Time`: where the producer's core reads the clock (Java's `org.apache.kafka.common.utils.Time`).
//!
//! The sender and the accumulator read "now" through a [`Time`], so that their decisions
//! (linger, backoff, request and delivery timeouts) can be driven by a [`MockTime`] in
//! deterministic tests, as Java's `MockTime` drives `SenderTest` and `RecordAccumulatorTest`.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;
#[cfg(not(unix))]
use std::time::{SystemTime, UNIX_EPOCH};
#[cfg(test)]
use {parking_lot::Mutex, std::time::Duration};

/// The wall clock in milliseconds since the Unix epoch (Java's `System.currentTimeMillis()`),
/// a record's default timestamp. Read at each send: a timestamp derived from the monotonic
/// clock would stand still while the machine is suspended.
#[cfg(unix)]
pub(crate) fn wall_clock_ms() -> i64 {
    // `clock_gettime(CLOCK_REALTIME)` through the vDSO, and whole milliseconds by integer
    // arithmetic: `SystemTime::now().duration_since(UNIX_EPOCH)` costs a normalising
    // subtraction and a 128-bit conversion more, per record.
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
    // `tv_nsec` is a C `long` on some 32-bit libc targets.
    #[allow(clippy::useless_conversion)]
    let nanos = i64::from(t.tv_nsec);
    t.tv_sec
        .saturating_mul(1000)
        .saturating_add(nanos / 1_000_000)
        .max(0)
}

/// The wall clock in milliseconds since the Unix epoch (see the Unix version).
#[cfg(not(unix))]
pub(crate) fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A clock.
pub trait Time: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The system's monotonic clock.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SystemClock;

impl Time for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// The system clock, shared.
pub(crate) fn system() -> Arc<dyn Time> {
    Arc::new(SystemClock)
}

/// A clock that moves only when told to ([`sleep`](MockTime::sleep)), for deterministic tests.
#[cfg(test)]
#[derive(Debug, Clone)]
pub(crate) struct MockTime {
    base: Instant,
    offset: Arc<Mutex<Duration>>,
}

#[cfg(test)]
impl Default for MockTime {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
impl MockTime {
    /// A clock standing at an arbitrary instant.
    pub(crate) fn new() -> Self {
        MockTime {
            base: Instant::now(),
            offset: Arc::default(),
        }
    }

    /// Moves the clock forward.
    pub(crate) fn sleep(&self, d: Duration) {
        *self.offset.lock() += d;
    }

    /// Moves the clock forward by `ms` milliseconds.
    pub(crate) fn sleep_ms(&self, ms: u64) {
        self.sleep(Duration::from_millis(ms));
    }

    /// The clock, shared as a [`Time`].
    pub(crate) fn shared(&self) -> Arc<dyn Time> {
        Arc::new(self.clone())
    }
}

#[cfg(test)]
impl Time for MockTime {
    fn now(&self) -> Instant {
        self.base + *self.offset.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mock_time_moves_only_when_told() {
        let t = MockTime::new();
        let a = t.now();
        assert_eq!(t.now(), a);
        t.sleep_ms(250);
        let shared = t.shared();
        assert_eq!(shared.now() - a, Duration::from_millis(250));
    }

    /// The record timestamp clock is the wall clock in whole milliseconds, as `SystemTime`
    /// gives it (read before and after).
    #[test]
    fn wall_clock_ms_is_the_system_time_in_milliseconds() {
        let ms = |t: std::time::SystemTime| {
            t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
        };
        let mut checked = 0;
        while checked < 1000 {
            let before = ms(std::time::SystemTime::now());
            let now = wall_clock_ms();
            let after = ms(std::time::SystemTime::now());
            if after < before {
                continue; // the clock was set back meanwhile
            }
            assert!(
                before <= now && now <= after,
                "{before} <= {now} <= {after}"
            );
            checked += 1;
        }
    }
}
