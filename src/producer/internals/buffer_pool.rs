//! `BufferPool`: the producer's bounded memory (`buffer.memory`), as the Java client's
//! `org.apache.kafka.clients.producer.internals.BufferPool`.
//!
//! Buffers of exactly `batch.size` bytes are kept on a free list and reused; other sizes are
//! allocated and freed, and only counted. A thread that asks for more memory than is available
//! waits, first come first served, until enough is freed or `max.block.ms` runs out.

use crate::error::{Error, TimeoutKind};
use crate::metrics::Sensor;
use crate::metrics::stats::{Stat, TimeUnit};
use crate::producer::internals::sender_metrics_registry::{GROUP, SenderMetricsRegistry};
// The pool's mutex, timed with the `lock-stats` feature (plain parking_lot without it).
use super::lock_stats::{PoolCondvar as Condvar, PoolGuard, PoolMutex as Mutex};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The pool. Shared by the caller threads (allocate) and the sender thread (deallocate).
///
/// ```
/// use kafka_producer::__bench::BufferPool; // crate-private; reachable for the benches
/// use std::time::Duration;
/// let pool = BufferPool::new(64 * 1024, 16 * 1024);
/// let buf = pool.allocate(16 * 1024, Duration::from_millis(10)).unwrap();
/// assert_eq!(pool.available_memory(), 48 * 1024);
/// pool.deallocate(buf, 16 * 1024);
/// assert_eq!(pool.available_memory(), 64 * 1024);
/// // More than is free: waits up to max.block.ms, then fails with a timeout.
/// let big = pool.allocate(64 * 1024, Duration::ZERO).unwrap();
/// assert!(pool.allocate(1, Duration::from_millis(5)).is_err());
/// pool.deallocate(big, 64 * 1024);
/// ```
#[derive(Debug)]
pub struct BufferPool {
    total_memory: usize,
    poolable_size: usize,
    state: Mutex<PoolState>,
    sensors: Option<PoolSensors>,
}

/// Java's `bufferpool-wait-time` and `buffer-exhausted-records` sensors.
#[derive(Debug)]
struct PoolSensors {
    wait_time: Arc<Sensor>,
    exhausted: Arc<Sensor>,
}

#[derive(Debug)]
struct PoolState {
    free: VecDeque<Vec<u8>>,
    non_pooled_available: usize,
    waiters: VecDeque<Arc<Condvar>>,
    closed: bool,
}

impl BufferPool {
    /// A pool of `total_memory` bytes that keeps freed buffers of `poolable_size` bytes.
    pub fn new(total_memory: usize, poolable_size: usize) -> Self {
        BufferPool {
            total_memory,
            poolable_size,
            state: Mutex::new(PoolState {
                free: VecDeque::new(),
                non_pooled_available: total_memory,
                waiters: VecDeque::new(),
                closed: false,
            }),
            sensors: None,
        }
    }

    /// A pool that records the time appenders wait for memory and the records dropped for
    /// the lack of it (Java's `BufferPool` with its `Metrics`): `bufferpool-wait-ratio`,
    /// `bufferpool-wait-time-ns-total` (and the deprecated `bufferpool-wait-time-total`),
    /// `buffer-exhausted-rate` / `-total`, in `producer-metrics`.
    pub(crate) fn with_metrics(
        total_memory: usize,
        poolable_size: usize,
        registry: &SenderMetricsRegistry,
    ) -> Self {
        let m = registry.metrics();
        let wait_time = m.sensor("bufferpool-wait-time");
        let name = |n: &str, d: &str| registry.in_group(GROUP, n, d);
        wait_time.add(
            name(
                "bufferpool-wait-ratio",
                "The fraction of time an appender waits for space allocation.",
            ),
            Stat::rate_in(TimeUnit::Nanoseconds),
        );
        wait_time.add(
            name(
                "bufferpool-wait-time-total",
                "*Deprecated* The total time an appender waits for space allocation.",
            ),
            Stat::cumulative_sum(),
        );
        wait_time.add(
            name(
                "bufferpool-wait-time-ns-total",
                "The total time in nanoseconds an appender waits for space allocation.",
            ),
            Stat::cumulative_sum(),
        );
        let exhausted = m.sensor("buffer-exhausted-records");
        exhausted.add_meter(
            name(
                "buffer-exhausted-rate",
                "The average per-second number of record sends that are dropped due to buffer \
                 exhaustion",
            ),
            name(
                "buffer-exhausted-total",
                "The total number of record sends that are dropped due to buffer exhaustion",
            ),
            false,
        );
        let mut pool = Self::new(total_memory, poolable_size);
        pool.sensors = Some(PoolSensors {
            wait_time,
            exhausted,
        });
        pool
    }

    /// Takes a buffer with room for `size` bytes (its length is 0), waiting up to `max_block`
    /// for memory to be freed.
    ///
    /// Fails with [`Error::RecordTooLarge`] when `size` exceeds the whole pool, with a
    /// [`TimeoutKind::BufferMemory`] timeout when `max_block` runs out, and with
    /// [`Error::ProducerClosed`] when the pool is closed while waiting.
    pub fn allocate(&self, size: usize, max_block: Duration) -> Result<Vec<u8>, Error> {
        if size > self.total_memory {
            return Err(Error::RecordTooLarge {
                size,
                limit: self.total_memory,
                setting: "buffer.memory",
            });
        }
        let mut st = self.state.lock();
        if st.closed {
            return Err(closed_error());
        }
        // The common case: a pooled buffer is free.
        if size == self.poolable_size {
            if let Some(buf) = st.free.pop_front() {
                return Ok(buf);
            }
        }
        let free_list_size = st.free.len() * self.poolable_size;
        let result = if st.non_pooled_available + free_list_size >= size {
            self.free_up(&mut st, size);
            st.non_pooled_available -= size;
            Ok(None)
        } else {
            self.wait_for_memory(&mut st, size, max_block)
        };
        // Wake the next waiter if memory is left over for it.
        if (st.non_pooled_available > 0 || !st.free.is_empty()) && result.is_ok() {
            if let Some(w) = st.waiters.front() {
                w.notify_one();
            }
        }
        drop(st);
        match result? {
            Some(buf) => Ok(buf),
            None => Ok(Vec::with_capacity(size)),
        }
    }

    /// Waits, in FIFO order, until `size` bytes are accumulated. Returns a pooled buffer when
    /// one could be taken whole.
    fn wait_for_memory(
        &self,
        st: &mut PoolGuard<'_, PoolState>,
        size: usize,
        max_block: Duration,
    ) -> Result<Option<Vec<u8>>, Error> {
        let deadline = Instant::now().checked_add(max_block);
        let cond = Arc::new(Condvar::new());
        st.waiters.push_back(cond.clone());
        let mut accumulated = 0usize;
        let mut out = Ok(None);
        while accumulated < size {
            let start_wait = Instant::now();
            let timed_out = match deadline {
                Some(d) => cond.wait_until(st, d).timed_out(),
                None => {
                    cond.wait(st);
                    false
                }
            };
            if let Some(s) = &self.sensors {
                s.wait_time.record(start_wait.elapsed().as_nanos() as f64);
            }
            if st.closed {
                out = Err(closed_error());
                break;
            }
            if timed_out && accumulated < size {
                // One last look: memory may have been freed just as the wait ended.
                let avail = st.non_pooled_available + st.free.len() * self.poolable_size;
                if accumulated + avail < size {
                    if let Some(s) = &self.sensors {
                        s.exhausted.record(1.0);
                    }
                    out = Err(Error::timeout(
                        TimeoutKind::BufferMemory,
                        format!(
                            "Failed to allocate {size} bytes within the configured max blocking \
                             time {} ms. Total memory: {} bytes. Available memory: {} bytes. \
                             Poolable size: {} bytes",
                            max_block.as_millis(),
                            self.total_memory,
                            avail + accumulated,
                            self.poolable_size
                        ),
                    ));
                    break;
                }
            }
            // Take a pooled buffer whole if it fits the request exactly.
            if accumulated == 0 && size == self.poolable_size {
                if let Some(buf) = st.free.pop_front() {
                    accumulated = size;
                    out = Ok(Some(buf));
                    break;
                }
            }
            self.free_up(st, size - accumulated);
            let got = (size - accumulated).min(st.non_pooled_available);
            st.non_pooled_available -= got;
            accumulated += got;
        }
        // Remove ourselves from the queue (we are normally at its head).
        if let Some(pos) = st.waiters.iter().position(|w| Arc::ptr_eq(w, &cond)) {
            st.waiters.remove(pos);
        }
        if out.is_err() {
            // Give back what we had gathered.
            st.non_pooled_available += accumulated;
            if let Some(w) = st.waiters.front() {
                w.notify_one();
            }
        }
        out
    }

    /// Releases pooled buffers into non-pooled memory until `size` bytes are there or the free
    /// list is empty.
    fn free_up(&self, st: &mut PoolState, size: usize) {
        while st.non_pooled_available < size && st.free.pop_back().is_some() {
            st.non_pooled_available += self.poolable_size;
        }
    }

    /// Returns a buffer obtained with [`allocate`](Self::allocate)`(size, ..)`. A buffer of the
    /// poolable size is kept for reuse; memory of others is counted as available again.
    pub fn deallocate(&self, mut buf: Vec<u8>, size: usize) {
        let mut st = self.state.lock();
        if size == self.poolable_size && buf.capacity() >= size {
            buf.clear();
            st.free.push_back(buf);
        } else {
            st.non_pooled_available += size;
        }
        if let Some(w) = st.waiters.front() {
            w.notify_one();
        }
    }

    /// Counts `size` bytes as available again without a buffer to reuse (its `Vec` was dropped
    /// elsewhere).
    pub fn deallocate_size(&self, size: usize) {
        let mut st = self.state.lock();
        st.non_pooled_available += size;
        if let Some(w) = st.waiters.front() {
            w.notify_one();
        }
    }

    /// Bytes free: the free list plus unallocated memory.
    pub fn available_memory(&self) -> usize {
        let st = self.state.lock();
        st.non_pooled_available + st.free.len() * self.poolable_size
    }

    /// Bytes not allocated and not on the free list.
    pub fn unallocated_memory(&self) -> usize {
        self.state.lock().non_pooled_available
    }

    /// Number of threads waiting for memory: when non-zero, the accumulator sends batches
    /// without waiting for `linger.ms` (the pool is exhausted).
    pub fn queued(&self) -> usize {
        self.state.lock().waiters.len()
    }

    /// The pool's size, `buffer.memory`.
    pub fn total_memory(&self) -> usize {
        self.total_memory
    }

    /// The pooled buffer size, `batch.size`.
    pub fn poolable_size(&self) -> usize {
        self.poolable_size
    }

    /// Closes the pool: waiting and future allocations fail with [`Error::ProducerClosed`].
    pub fn close(&self) {
        let mut st = self.state.lock();
        st.closed = true;
        for w in &st.waiters {
            w.notify_all();
        }
    }
}

fn closed_error() -> Error {
    Error::ProducerClosed("Producer closed while allocating memory".into())
}

#[cfg(test)]
mod tests {
    //! Java's `BufferPoolTest` (clients/src/test/java/org/apache/kafka/clients/producer/internals),
    //! ported test by test; each doc comment names the Java test.
    //!
    //! Not ported:
    //! - `BufferPoolTest.testCleanupMemoryAvailabilityOnMetricsException`: it makes the
    //!   wait-time metric throw an `OutOfMemoryError` from inside `allocate`; this pool records
    //!   no metrics and nothing between reserving memory and returning can fail.
    //! - `BufferPoolTest.outOfMemoryOnAllocation`: it makes `allocateByteBuffer` throw an
    //!   `OutOfMemoryError` and checks the memory is given back. In Rust a failed allocation
    //!   aborts the process (there is no error to recover from), and the pool offers no hook to
    //!   make the allocation fail.
    //!
    //! Beyond Java: `free_list_is_reused_and_released_for_big_requests`,
    //! `waiters_are_served_in_order`.
    use super::*;
    use std::thread;

    const MAX_BLOCK: Duration = Duration::from_millis(10);

    /// Spins until `cond` holds, failing after 10 s.
    fn wait_until(what: &str, cond: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            thread::sleep(Duration::from_millis(1));
        }
    }

    fn is_buffer_timeout(e: &Error) -> bool {
        matches!(
            e,
            Error::Timeout {
                kind: TimeoutKind::BufferMemory,
                ..
            }
        )
    }

    /// BufferPoolTest.testSimple: the non-blocking paths. A poolable buffer goes to the free
    /// list on deallocation and comes back cleared; a buffer of another size is only counted.
    /// (Java checks `limit()`/`position()` of the `ByteBuffer`; here a buffer is an empty `Vec`
    /// with at least the requested capacity.)
    #[test]
    fn simple() {
        let total = 64 * 1024;
        let size = 1024;
        let pool = BufferPool::new(total, size);
        let mut buffer = pool.allocate(size, MAX_BLOCK).unwrap();
        assert!(buffer.capacity() >= size, "room for the requested size");
        assert!(buffer.is_empty());
        assert_eq!(
            pool.unallocated_memory(),
            total - size,
            "unallocated shrank"
        );
        assert_eq!(pool.available_memory(), total - size, "available shrank");
        buffer.extend_from_slice(&1i32.to_be_bytes());
        pool.deallocate(buffer, size);
        assert_eq!(pool.available_memory(), total, "all memory available");
        assert_eq!(
            pool.unallocated_memory(),
            total - size,
            "but now some is on the free list"
        );
        let buffer = pool.allocate(size, MAX_BLOCK).unwrap();
        assert!(buffer.is_empty(), "recycled buffer is cleared");
        assert!(buffer.capacity() >= size);
        assert_eq!(
            pool.unallocated_memory(),
            total - size,
            "taken from the free list"
        );
        pool.deallocate(buffer, size);
        assert_eq!(pool.available_memory(), total);
        assert_eq!(
            pool.unallocated_memory(),
            total - size,
            "still a single buffer on the free list"
        );
        let buffer = pool.allocate(2 * size, MAX_BLOCK).unwrap();
        assert_eq!(pool.available_memory(), total - 2 * size);
        pool.deallocate(buffer, 2 * size);
        assert_eq!(pool.available_memory(), total);
        assert_eq!(
            pool.unallocated_memory(),
            total - size,
            "non-standard size didn't go to the free list"
        );
    }

    #[test]
    fn free_list_is_reused_and_released_for_big_requests() {
        let pool = BufferPool::new(4 * 1024, 1024);
        let bufs: Vec<_> = (0..4)
            .map(|_| pool.allocate(1024, Duration::ZERO).unwrap())
            .collect();
        for b in bufs {
            pool.deallocate(b, 1024);
        }
        assert_eq!(pool.unallocated_memory(), 0);
        // A non-poolable request takes memory back from the free list.
        let big = pool.allocate(3000, Duration::ZERO).unwrap();
        assert_eq!(pool.available_memory(), 4096 - 3000);
        pool.deallocate(big, 3000);
        assert_eq!(pool.available_memory(), 4096);
    }

    /// BufferPoolTest.testCantAllocateMoreMemoryThanWeHave: the whole pool can be allocated,
    /// one byte more cannot. Java throws `IllegalArgumentException`; here the error is
    /// [`Error::RecordTooLarge`] naming `buffer.memory`, at once even with a long `max_block`.
    #[test]
    fn cant_allocate_more_memory_than_we_have() {
        let pool = BufferPool::new(1024, 512);
        let buffer = pool.allocate(1024, MAX_BLOCK).unwrap();
        assert!(buffer.capacity() >= 1024);
        pool.deallocate(buffer, 1024);
        let start = Instant::now();
        let e = pool.allocate(1025, Duration::from_secs(10)).unwrap_err();
        assert!(
            matches!(
                e,
                Error::RecordTooLarge {
                    size: 1025,
                    limit: 1024,
                    setting: "buffer.memory",
                }
            ),
            "{e}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "fails without waiting"
        );
        assert_eq!(pool.available_memory(), 1024);
    }

    /// BufferPoolTest.testDelayedAllocation: an allocation larger than what is free waits, and
    /// succeeds soon after the memory is returned. (Java's waiter blocks 10 ms and its latch is
    /// counted down even on failure; here it may wait 10 s, and its success is checked.)
    #[test]
    fn delayed_allocation() {
        let pool = Arc::new(BufferPool::new(5 * 1024, 1024));
        let buffer = pool.allocate(1024, MAX_BLOCK).unwrap();
        let p = pool.clone();
        let allocation = thread::spawn(move || {
            p.allocate(5 * 1024, Duration::from_secs(10))
                .map(|b| b.capacity())
        });
        wait_until("the allocation to wait", || pool.queued() == 1);
        thread::sleep(Duration::from_millis(20));
        assert!(
            !allocation.is_finished(),
            "allocation shouldn't have happened yet, waiting on memory"
        );
        let returned = Instant::now();
        pool.deallocate(buffer, 1024);
        let capacity = allocation.join().unwrap().unwrap();
        assert!(capacity >= 5 * 1024);
        assert!(
            returned.elapsed() < Duration::from_secs(5),
            "allocation should succeed soon after de-allocation"
        );
        assert_eq!(pool.queued(), 0);
        assert_eq!(pool.available_memory(), 0);
    }

    /// BufferPoolTest.testBufferExhaustedExceptionIsThrown: not enough memory within
    /// `max.block.ms` fails. Java throws `BufferExhaustedException` (a `TimeoutException`);
    /// here it is an [`Error::Timeout`] of kind [`TimeoutKind::BufferMemory`].
    #[test]
    fn buffer_exhausted_exception_is_thrown() {
        let pool = BufferPool::new(2, 1);
        let _held = pool.allocate(1, MAX_BLOCK).unwrap();
        let e = pool.allocate(2, MAX_BLOCK).unwrap_err();
        assert!(is_buffer_timeout(&e), "{e}");
    }

    /// BufferPoolTest.testBlockTimeout: an allocation that cannot be satisfied fails no sooner
    /// than `max_block` and soon after it, even while some memory comes back during the wait.
    /// Java's 10 ms block is 50 ms here, with the returns at 25 ms, 50 ms and 500 ms (Java:
    /// 5, 10, 25 ms): a late return before this pool's last look at the deadline would let the
    /// allocation succeed on a loaded machine.
    #[test]
    fn block_timeout() {
        let max_block = Duration::from_millis(50);
        let pool = Arc::new(BufferPool::new(10, 1));
        let delays = [max_block / 2, max_block, max_block * 10];
        let returns: Vec<_> = delays
            .iter()
            .map(|&delay| {
                let buffer = pool.allocate(1, max_block).unwrap();
                let p = pool.clone();
                thread::spawn(move || {
                    thread::sleep(delay);
                    p.deallocate(buffer, 1);
                })
            })
            .collect();
        let begin = Instant::now();
        let e = pool.allocate(10, max_block).unwrap_err();
        let duration = begin.elapsed();
        assert!(is_buffer_timeout(&e), "{e}");
        // Thread scheduling means the first two returns may or may not be in by now.
        let available = pool.available_memory();
        assert!(
            (7..=10).contains(&available),
            "available memory {available}"
        );
        assert!(duration >= max_block, "not before max_block: {duration:?}");
        assert!(
            duration < max_block + Duration::from_secs(1),
            "soon after max_block: {duration:?}"
        );
        for t in returns {
            t.join().unwrap();
        }
        assert_eq!(pool.available_memory(), 10);
    }

    /// BufferPoolTest.testCleanupMemoryAvailabilityWaiterOnBlockTimeout: a waiter that times
    /// out leaves the queue and gives back what it had gathered.
    #[test]
    fn cleanup_memory_availability_waiter_on_block_timeout() {
        let pool = BufferPool::new(2, 1);
        let held = pool.allocate(1, MAX_BLOCK).unwrap();
        let e = pool.allocate(2, MAX_BLOCK).unwrap_err();
        assert!(is_buffer_timeout(&e), "{e}");
        assert_eq!(pool.queued(), 0);
        assert_eq!(pool.available_memory(), 1, "partial grab returned");
        pool.deallocate(held, 1);
        assert_eq!(pool.available_memory(), 2);
    }

    /// BufferPoolTest.testCleanupMemoryAvailabilityWaiterOnInterruption, adapted: Rust threads
    /// cannot be interrupted, so the two ways a waiter leaves without memory stand in for
    /// Java's two interruptions. The first waiter (the queue's head) leaves when its own
    /// `max_block` runs out while the second still waits; the second is woken by `close()`.
    /// The queue is empty afterwards and the memory the waiters had gathered is back.
    #[test]
    fn cleanup_memory_availability_waiter_on_interruption() {
        let pool = Arc::new(BufferPool::new(2, 1));
        let _held = pool.allocate(1, MAX_BLOCK).unwrap();
        let p = pool.clone();
        let t1 = thread::spawn(move || p.allocate(2, Duration::from_millis(500)));
        wait_until("t1 to wait", || pool.queued() == 1);
        let p = pool.clone();
        let t2 = thread::spawn(move || p.allocate(2, Duration::from_secs(30)));
        wait_until("t2 to wait", || pool.queued() == 2);
        let e1 = t1.join().unwrap().unwrap_err();
        assert!(is_buffer_timeout(&e1), "{e1}");
        assert_eq!(pool.queued(), 1, "t1 left the queue, t2 still waits");
        assert!(!t2.is_finished());
        pool.close();
        let e2 = t2.join().unwrap().unwrap_err();
        assert!(matches!(e2, Error::ProducerClosed(_)), "{e2}");
        assert_eq!(pool.queued(), 0);
        assert_eq!(pool.available_memory(), 1);
    }

    /// BufferPoolTest.testStressfulSituation: 10 threads allocate and free, half the time
    /// the poolable size and half the time a random size up to the whole pool, from a pool
    /// that holds 5 poolable buffers; every allocation succeeds and all memory is back at
    /// the end. 2,000 iterations per thread instead of Java's 50,000 (the test machine is
    /// shared); the random sizes come from a per-thread xorshift (no `rand` dependency).
    #[test]
    fn stressful_situation() {
        let num_threads = 10;
        let iterations = 2_000;
        let poolable = 1024;
        let total = num_threads / 2 * poolable;
        let pool = Arc::new(BufferPool::new(total, poolable));
        let threads: Vec<_> = (0..num_threads)
            .map(|i| {
                let pool = pool.clone();
                thread::spawn(move || {
                    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1);
                    for _ in 0..iterations {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let size = if x & 1 == 0 {
                            pool.poolable_size()
                        } else {
                            (x >> 1) as usize % pool.total_memory()
                        };
                        let buffer = pool.allocate(size, Duration::from_secs(20))?;
                        pool.deallocate(buffer, size);
                    }
                    Ok::<(), Error>(())
                })
            })
            .collect();
        for t in threads {
            t.join()
                .unwrap()
                .expect("thread should have completed all iterations successfully");
        }
        assert_eq!(pool.available_memory(), total);
        assert_eq!(pool.queued(), 0);
    }

    /// BufferPoolTest.testLargeAvailableMemory: memory figures above 2^31 (Java's `int`
    /// overflow in `freeSize() * poolableSize`) are right: 20 GB with 2 GB poolable buffers.
    /// Java overrides the buffer allocation to avoid allocating; here the two 2 GB `Vec`s are
    /// really reserved but never touched (virtual memory only), and are put on the free list by
    /// `deallocate` where Java bumps its overridden `freeSize()`. 64-bit targets only.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn large_available_memory() {
        let memory: usize = 20_000_000_000;
        let poolable: usize = 2_000_000_000;
        let pool = BufferPool::new(memory, poolable);
        let a = pool.allocate(poolable, Duration::ZERO).unwrap();
        assert_eq!(pool.available_memory(), 18_000_000_000);
        let b = pool.allocate(poolable, Duration::ZERO).unwrap();
        assert_eq!(pool.available_memory(), 16_000_000_000);
        pool.deallocate(a, poolable);
        assert_eq!(pool.available_memory(), 18_000_000_000);
        pool.deallocate(b, poolable);
        assert_eq!(pool.available_memory(), 20_000_000_000);
        assert_eq!(
            pool.unallocated_memory(),
            16_000_000_000,
            "two on the free list"
        );
    }

    /// BufferPoolTest.testCloseAllocations: after `close()` allocations fail (Java:
    /// `KafkaException`; here [`Error::ProducerClosed`]), and deallocation still works.
    #[test]
    fn close_allocations() {
        let pool = BufferPool::new(10, 1);
        let buffer = pool.allocate(1, MAX_BLOCK).unwrap();
        pool.close();
        let e = pool.allocate(1, MAX_BLOCK).unwrap_err();
        assert!(matches!(e, Error::ProducerClosed(_)), "{e}");
        pool.deallocate(buffer, 1);
        assert_eq!(pool.available_memory(), 10);
    }

    /// BufferPoolTest.testCloseNotifyWaiters: two threads waiting without a time limit
    /// (Java's `Long.MAX_VALUE`; here `Duration::MAX`) are woken by `close()` and fail with
    /// [`Error::ProducerClosed`]; the queue empties.
    #[test]
    fn close_notify_waiters() {
        let num_workers = 2;
        let pool = Arc::new(BufferPool::new(1, 1));
        let buffer = pool.allocate(1, Duration::MAX).unwrap();
        let workers: Vec<_> = (0..num_workers)
            .map(|_| {
                let p = pool.clone();
                thread::spawn(move || p.allocate(1, Duration::MAX))
            })
            .collect();
        wait_until("the workers to block", || pool.queued() == num_workers);
        pool.close();
        for w in workers {
            let e = w.join().unwrap().unwrap_err();
            assert!(matches!(e, Error::ProducerClosed(_)), "{e}");
        }
        assert_eq!(pool.queued(), 0);
        pool.deallocate(buffer, 1);
        assert_eq!(pool.available_memory(), 1);
    }

    #[test]
    fn waiters_are_served_in_order() {
        let pool = Arc::new(BufferPool::new(1000, 100));
        let all = pool.allocate(1000, Duration::ZERO).unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        for i in 0..3 {
            let p = pool.clone();
            let o = order.clone();
            handles.push(thread::spawn(move || {
                let b = p.allocate(600, Duration::from_secs(10)).unwrap();
                o.lock().push(i);
                thread::sleep(Duration::from_millis(5));
                p.deallocate(b, 600);
            }));
            wait_until("the waiter to queue", || pool.queued() == i + 1);
        }
        pool.deallocate(all, 1000);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(*order.lock(), vec![0, 1, 2]);
        assert_eq!(pool.available_memory(), 1000);
    }

    /// Java's `bufferpool-wait-time` sensor and the accumulator's pool gauges: an appender
    /// that blocked counts its wait in `bufferpool-wait-time-ns-total` (and `waiting-threads`
    /// while it waits); one that gave up counts in `buffer-exhausted-total`.
    #[test]
    fn metrics_record_blocked_allocations() {
        use crate::metrics::{MetricConfig, Metrics};
        use crate::producer::internals::accumulator::RecordAccumulator;
        use crate::producer::internals::sender_metrics_registry::SenderMetricsRegistry;
        let metrics = Metrics::new(MetricConfig::default(), crate::time::system());
        let registry = SenderMetricsRegistry::new(metrics.clone(), "pool-test");
        let pool = Arc::new(BufferPool::with_metrics(2048, 1024, &registry));
        let accumulator = RecordAccumulator::new(
            crate::producer::internals::accumulator::tests::config(1024, 0),
            pool.clone(),
        );
        accumulator.register_metrics(&registry);
        let value = |name: &str| {
            let all = metrics.metrics();
            let (n, m) = all
                .iter()
                .find(|(n, _)| n.name() == name)
                .unwrap_or_else(|| panic!("{name} registered"));
            assert_eq!(n.group(), "producer-metrics");
            assert_eq!(n.tags()["client-id"], "pool-test");
            m.metric_value()
        };
        assert_eq!(value("buffer-total-bytes"), 2048.0);
        assert_eq!(value("buffer-available-bytes"), 2048.0);
        assert_eq!(value("waiting-threads"), 0.0);
        assert_eq!(value("bufferpool-wait-time-ns-total"), 0.0);
        let a = pool.allocate(1024, MAX_BLOCK).unwrap();
        let b = pool.allocate(1024, MAX_BLOCK).unwrap();
        assert_eq!(value("buffer-available-bytes"), 0.0);
        assert_eq!(value("bufferpool-wait-time-ns-total"), 0.0, "no wait yet");
        let waiter = {
            let pool = pool.clone();
            thread::spawn(move || pool.allocate(1024, Duration::from_secs(10)))
        };
        wait_until("the waiter to queue", || pool.queued() == 1);
        assert_eq!(value("waiting-threads"), 1.0);
        thread::sleep(Duration::from_millis(20));
        pool.deallocate(a, 1024);
        let c = waiter.join().unwrap().unwrap();
        assert_eq!(value("waiting-threads"), 0.0);
        let waited = value("bufferpool-wait-time-ns-total");
        assert!(waited >= 20e6, "waited at least 20 ms: {waited} ns");
        assert!(value("bufferpool-wait-ratio") > 0.0);
        assert_eq!(value("buffer-exhausted-total"), 0.0);
        // Nothing left: the next appender gives up after max.block.ms.
        let e = pool.allocate(1024, MAX_BLOCK).unwrap_err();
        assert!(is_buffer_timeout(&e), "{e}");
        assert_eq!(value("buffer-exhausted-total"), 1.0);
        assert!(value("bufferpool-wait-time-ns-total") >= waited + 10e6);
        pool.deallocate(b, 1024);
        pool.deallocate(c, 1024);
        assert_eq!(value("buffer-available-bytes"), 2048.0);
    }
}
