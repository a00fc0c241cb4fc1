//! `Time`: where the producer's core reads the clock (Java's `org.apache.kafka.common.utils.Time`).
//!
//! The sender and the accumulator read "now" through a [`Time`], so that their decisions
//! (linger, backoff, request and delivery timeouts) can be driven by a [`MockTime`] in
//! deterministic tests, as Java's `MockTime` drives `SenderTest` and `RecordAccumulatorTest`.

#[cfg(test)]
use parking_lot::Mutex;
use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// How long a thread's anchor of the wall clock on the monotonic clock serves before
/// [`wall_ms_at`] reads the wall clock again.
const WALL_ANCHOR_TTL: Duration = Duration::from_secs(1);

thread_local! {
    /// (monotonic reading, wall clock since the epoch at that reading).
    static WALL_ANCHOR: Cell<Option<(Instant, Duration)>> = const { Cell::new(None) };
}

/// The wall clock (milliseconds since the Unix epoch, Java's `System.currentTimeMillis()`) at
/// the monotonic instant `at`, which the caller has read anyway: a record's timestamp costs no
/// second clock read. Each thread anchors the two clocks once a second, so a step of the wall
/// clock shows within a second and a slew (at most 500 ppm under NTP) moves a timestamp by at
/// most half a millisecond.
pub(crate) fn wall_ms_at(at: Instant) -> i64 {
    WALL_ANCHOR.with(|anchor| {
        let since_anchor = anchor
            .get()
            .and_then(|(mono, wall)| Some((at.checked_duration_since(mono)?, wall)))
            .filter(|(d, _)| *d < WALL_ANCHOR_TTL);
        let wall = match since_anchor {
            Some((d, wall)) => wall + d,
            None => {
                let mono = Instant::now();
                let wall = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                anchor.set(Some((mono, wall)));
                // `at` may lie a little before or after the anchor.
                match at.checked_duration_since(mono) {
                    Some(d) => wall + d,
                    None => wall.saturating_sub(mono.saturating_duration_since(at)),
                }
            }
        };
        wall.as_millis() as i64
    })
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
}

#[cfg(test)]
mod wall_clock_tests {
    use super::*;

    fn system_ms() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    }

    #[test]
    fn wall_ms_at_follows_the_system_clock() {
        for _ in 0..3 {
            let before = system_ms();
            let at = Instant::now();
            let ms = wall_ms_at(at);
            let after = system_ms();
            assert!(
                before - 1 <= ms && ms <= after + 1,
                "{before} <= {ms} <= {after}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn wall_ms_at_moves_with_the_instant() {
        let at = Instant::now();
        let ms = wall_ms_at(at);
        assert_eq!(wall_ms_at(at + Duration::from_millis(250)), ms + 250);
        // An instant before the anchor, and one past its lifetime (a new anchor).
        let later = at + Duration::from_secs(3);
        let ms_later = wall_ms_at(later);
        assert!((ms_later - ms - 3000).abs() <= 1, "{ms} {ms_later}");
        let earlier = wall_ms_at(at);
        assert!((earlier - ms).abs() <= 1, "{ms} {earlier}");
    }
}
