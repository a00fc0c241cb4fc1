//! The mutexes of the accumulator's partition queues ([`DequeMutex`]) and of the buffer pool
//! ([`PoolMutex`], with its [`PoolCondvar`] and [`PoolGuard`]).
//!
//! Without the `lock-stats` feature they are `parking_lot`'s types under other names: nothing is
//! added. With it, each is a wrapper that counts, in process-wide atomics per kind of lock, the
//! acquisitions, the contended ones (a `try_lock` failed first, then `lock` waited), the time from
//! the `lock()` call to acquiring it (an acquisition whose `try_lock` succeeds counts 0 ns) and
//! the time it was held (a condition-variable wait, during which the lock is released, does not
//! count as held). Read them with [`read`] and zero them with [`reset`]
//! (`kafka_producer::producer::lock_stats`). The clock is read twice per acquisition and four
//! atomics are updated, so timed runs are slower: use the numbers to find convoys, not to
//! measure throughput.

#[cfg(not(feature = "lock-stats"))]
mod imp {
    /// A partition queue's mutex.
    pub(crate) type DequeMutex<T> = parking_lot::Mutex<T>;
    /// The buffer pool's mutex.
    pub(crate) type PoolMutex<T> = parking_lot::Mutex<T>;
    /// The guard of a [`PoolMutex`].
    pub(crate) type PoolGuard<'a, T> = parking_lot::MutexGuard<'a, T>;
    /// The condition variable the pool's waiters wait on, with the [`PoolMutex`].
    pub(crate) type PoolCondvar = parking_lot::Condvar;
}

#[cfg(feature = "lock-stats")]
mod imp {
    use std::marker::PhantomData;
    use std::ops::{Deref, DerefMut};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Instant;

    /// The counters of one kind of lock, on a cache line of their own.
    #[repr(align(128))]
    pub(crate) struct Counters {
        acquisitions: AtomicU64,
        contended: AtomicU64,
        wait_ns: AtomicU64,
        hold_ns: AtomicU64,
        max_wait_ns: AtomicU64,
        max_hold_ns: AtomicU64,
    }

    impl Counters {
        pub(crate) const fn new() -> Counters {
            Counters {
                acquisitions: AtomicU64::new(0),
                contended: AtomicU64::new(0),
                wait_ns: AtomicU64::new(0),
                hold_ns: AtomicU64::new(0),
                max_wait_ns: AtomicU64::new(0),
                max_hold_ns: AtomicU64::new(0),
            }
        }

        pub(crate) fn read(&self) -> super::LockCounts {
            super::LockCounts {
                acquisitions: self.acquisitions.load(Ordering::Relaxed),
                contended: self.contended.load(Ordering::Relaxed),
                wait_ns: self.wait_ns.load(Ordering::Relaxed),
                hold_ns: self.hold_ns.load(Ordering::Relaxed),
                max_wait_ns: self.max_wait_ns.load(Ordering::Relaxed),
                max_hold_ns: self.max_hold_ns.load(Ordering::Relaxed),
            }
        }

        pub(crate) fn reset(&self) {
            for c in [
                &self.acquisitions,
                &self.contended,
                &self.wait_ns,
                &self.hold_ns,
                &self.max_wait_ns,
                &self.max_hold_ns,
            ] {
                c.store(0, Ordering::Relaxed);
            }
        }

        fn add_max(sum: &AtomicU64, max: &AtomicU64, ns: u64) {
            sum.fetch_add(ns, Ordering::Relaxed);
            // A plain load first: the maximum rarely changes.
            if ns > max.load(Ordering::Relaxed) {
                max.fetch_max(ns, Ordering::Relaxed);
            }
        }
    }

    /// A kind of lock: where its counters are.
    pub(crate) trait Class: 'static {
        fn counters() -> &'static Counters;
    }

    pub(crate) static DEQUES: Counters = Counters::new();
    pub(crate) static POOL: Counters = Counters::new();

    /// The accumulator's partition queues.
    pub(crate) struct Deques;
    impl Class for Deques {
        fn counters() -> &'static Counters {
            &DEQUES
        }
    }

    /// The buffer pool.
    pub(crate) struct Pool;
    impl Class for Pool {
        fn counters() -> &'static Counters {
            &POOL
        }
    }

    /// A `parking_lot::Mutex` that counts into `C`'s counters.
    pub(crate) struct TimedMutex<T, C> {
        inner: parking_lot::Mutex<T>,
        class: PhantomData<fn() -> C>,
    }

    impl<T, C: Class> TimedMutex<T, C> {
        pub(crate) const fn new(value: T) -> Self {
            TimedMutex {
                inner: parking_lot::Mutex::new(value),
                class: PhantomData,
            }
        }

        pub(crate) fn lock(&self) -> TimedGuard<'_, T, C> {
            let counters = C::counters();
            let start = Instant::now();
            let (inner, since) = match self.inner.try_lock() {
                Some(g) => (g, start),
                None => {
                    let g = self.inner.lock();
                    let now = Instant::now();
                    counters.contended.fetch_add(1, Ordering::Relaxed);
                    let ns = now.duration_since(start).as_nanos() as u64;
                    Counters::add_max(&counters.wait_ns, &counters.max_wait_ns, ns);
                    (g, now)
                }
            };
            counters.acquisitions.fetch_add(1, Ordering::Relaxed);
            TimedGuard {
                inner,
                since,
                class: PhantomData,
            }
        }
    }

    impl<T: Default, C: Class> Default for TimedMutex<T, C> {
        fn default() -> Self {
            Self::new(T::default())
        }
    }

    impl<T: std::fmt::Debug, C> std::fmt::Debug for TimedMutex<T, C> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.inner.fmt(f)
        }
    }

    /// The guard of a [`TimedMutex`]: the time it is held is counted when it drops.
    pub(crate) struct TimedGuard<'a, T, C: Class> {
        inner: parking_lot::MutexGuard<'a, T>,
        since: Instant,
        class: PhantomData<fn() -> C>,
    }

    impl<T, C: Class> TimedGuard<'_, T, C> {
        fn count_hold(&self) {
            let counters = C::counters();
            let ns = self.since.elapsed().as_nanos() as u64;
            Counters::add_max(&counters.hold_ns, &counters.max_hold_ns, ns);
        }
    }

    impl<T, C: Class> Deref for TimedGuard<'_, T, C> {
        type Target = T;
        fn deref(&self) -> &T {
            &self.inner
        }
    }

    impl<T, C: Class> DerefMut for TimedGuard<'_, T, C> {
        fn deref_mut(&mut self) -> &mut T {
            &mut self.inner
        }
    }

    impl<T, C: Class> Drop for TimedGuard<'_, T, C> {
        fn drop(&mut self) {
            self.count_hold();
        }
    }

    /// A `parking_lot::Condvar` for [`TimedGuard`]s: the lock is not held while waiting.
    #[derive(Debug, Default)]
    pub(crate) struct TimedCondvar(parking_lot::Condvar);

    impl TimedCondvar {
        pub(crate) const fn new() -> Self {
            TimedCondvar(parking_lot::Condvar::new())
        }

        pub(crate) fn notify_one(&self) -> bool {
            self.0.notify_one()
        }

        pub(crate) fn notify_all(&self) -> usize {
            self.0.notify_all()
        }

        pub(crate) fn wait<T, C: Class>(&self, guard: &mut TimedGuard<'_, T, C>) {
            guard.count_hold();
            self.0.wait(&mut guard.inner);
            guard.since = Instant::now();
        }

        pub(crate) fn wait_until<T, C: Class>(
            &self,
            guard: &mut TimedGuard<'_, T, C>,
            deadline: Instant,
        ) -> parking_lot::WaitTimeoutResult {
            guard.count_hold();
            let r = self.0.wait_until(&mut guard.inner, deadline);
            guard.since = Instant::now();
            r
        }
    }

    /// A partition queue's mutex.
    pub(crate) type DequeMutex<T> = TimedMutex<T, Deques>;
    /// The buffer pool's mutex.
    pub(crate) type PoolMutex<T> = TimedMutex<T, Pool>;
    /// The guard of a [`PoolMutex`].
    pub(crate) type PoolGuard<'a, T> = TimedGuard<'a, T, Pool>;
    /// The condition variable the pool's waiters wait on, with the [`PoolMutex`].
    pub(crate) type PoolCondvar = TimedCondvar;
}

pub(crate) use imp::{DequeMutex, PoolCondvar, PoolGuard, PoolMutex};

/// The counts of one kind of lock since the start or the last [`reset`].
#[cfg(feature = "lock-stats")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LockCounts {
    /// Times the lock was taken (a condition-variable wake-up does not count again).
    pub acquisitions: u64,
    /// Acquisitions that found the lock taken (`try_lock` failed) and waited for it.
    pub contended: u64,
    /// Nanoseconds from the `lock()` calls to acquiring the lock, summed (0 for an acquisition
    /// whose `try_lock` succeeded).
    pub wait_ns: u64,
    /// Nanoseconds the lock was held, summed (condition-variable waits excluded).
    pub hold_ns: u64,
    /// The longest single wait, in nanoseconds.
    pub max_wait_ns: u64,
    /// The longest single hold, in nanoseconds.
    pub max_hold_ns: u64,
}

#[cfg(feature = "lock-stats")]
impl LockCounts {
    /// The fraction of acquisitions that were contended (0 without acquisitions).
    pub fn contended_fraction(&self) -> f64 {
        ratio(self.contended, self.acquisitions)
    }

    /// The mean wait per acquisition, in nanoseconds (uncontended ones count 0).
    pub fn mean_wait_ns(&self) -> f64 {
        ratio(self.wait_ns, self.acquisitions)
    }

    /// The mean wait per contended acquisition, in nanoseconds.
    pub fn mean_contended_wait_ns(&self) -> f64 {
        ratio(self.wait_ns, self.contended)
    }

    /// The mean hold per acquisition, in nanoseconds.
    pub fn mean_hold_ns(&self) -> f64 {
        ratio(self.hold_ns, self.acquisitions)
    }
}

#[cfg(feature = "lock-stats")]
fn ratio(x: u64, y: u64) -> f64 {
    if y == 0 { 0.0 } else { x as f64 / y as f64 }
}

/// The counts of the producer's hot locks, summed over every producer of the process.
#[cfg(feature = "lock-stats")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LockStats {
    /// The accumulator's per-partition queue mutexes (taken by `send` to append, by the sender
    /// thread to check readiness, drain, expire and re-enqueue).
    pub deques: LockCounts,
    /// The buffer pool's mutex (allocation of a new batch's buffer, deallocation when a batch
    /// completes, the memory gauges).
    pub pool: LockCounts,
}

/// The counts so far (the `lock-stats` feature).
///
/// ```
/// use kafka_producer::producer::lock_stats;
/// lock_stats::reset();
/// let s = lock_stats::read();
/// assert!(s.deques.contended <= s.deques.acquisitions);
/// ```
#[cfg(feature = "lock-stats")]
pub fn read() -> LockStats {
    LockStats {
        deques: imp::DEQUES.read(),
        pool: imp::POOL.read(),
    }
}

/// Zeroes the counts (the `lock-stats` feature). Guards held across the call still add their
/// hold time when they drop.
#[cfg(feature = "lock-stats")]
pub fn reset() {
    imp::DEQUES.reset();
    imp::POOL.reset();
}

#[cfg(all(test, feature = "lock-stats"))]
mod tests {
    use super::imp::{Class, Counters, TimedCondvar, TimedMutex};
    use std::sync::{Arc, Barrier};
    use std::time::{Duration, Instant};

    /// A class of its own: the other tests' locks do not count here.
    struct Test;
    static TEST: Counters = Counters::new();
    impl Class for Test {
        fn counters() -> &'static Counters {
            &TEST
        }
    }

    #[test]
    fn counts_waits_holds_and_contention() {
        TEST.reset();
        let m = Arc::new(TimedMutex::<u32, Test>::new(0));
        *m.lock() += 1;
        let c = TEST.read();
        assert_eq!((c.acquisitions, c.contended, c.wait_ns), (1, 0, 0));

        // Held 50 ms while another thread asks for it: one contended acquisition that waited.
        let barrier = Arc::new(Barrier::new(2));
        let g = m.lock();
        let (m2, b2) = (m.clone(), barrier.clone());
        let t = std::thread::spawn(move || {
            b2.wait();
            *m2.lock() += 1;
        });
        barrier.wait();
        std::thread::sleep(Duration::from_millis(50));
        drop(g);
        t.join().unwrap();
        assert_eq!(*m.lock(), 2);
        let c = TEST.read();
        assert_eq!((c.acquisitions, c.contended), (4, 1));
        assert!(c.wait_ns >= 40_000_000, "{c:?}");
        assert!(c.max_wait_ns == c.wait_ns, "{c:?}");
        assert!(
            c.hold_ns >= 50_000_000 && c.max_hold_ns >= 50_000_000,
            "{c:?}"
        );
        assert!(c.contended_fraction() == 0.25 && c.mean_contended_wait_ns() > 4e7);

        // A condition-variable wait is not held time.
        TEST.reset();
        let cv = TimedCondvar::new();
        let mut g = m.lock();
        let start = Instant::now();
        let timed_out = cv.wait_until(&mut g, start + Duration::from_millis(30));
        assert!(timed_out.timed_out());
        *g += 1;
        drop(g);
        let c = TEST.read();
        assert_eq!(c.acquisitions, 1);
        assert!(c.hold_ns < 20_000_000, "{c:?}");
    }
}
