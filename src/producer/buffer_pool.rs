//! `BufferPool`: the producer's bounded memory (`buffer.memory`), as the Java client's
//! `org.apache.kafka.clients.producer.internals.BufferPool`.
//!
//! Buffers of exactly `batch.size` bytes are kept on a free list and reused; other sizes are
//! allocated and freed, and only counted. A thread that asks for more memory than is available
//! waits, first come first served, until enough is freed or `max.block.ms` runs out.

use crate::error::{Error, TimeoutKind};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The pool. Shared by the caller threads (allocate) and the sender thread (deallocate).
///
/// ```
/// use kafka_producer::producer::buffer_pool::BufferPool;
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
        }
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
        st: &mut parking_lot::MutexGuard<'_, PoolState>,
        size: usize,
        max_block: Duration,
    ) -> Result<Option<Vec<u8>>, Error> {
        let deadline = Instant::now().checked_add(max_block);
        let cond = Arc::new(Condvar::new());
        st.waiters.push_back(cond.clone());
        let mut accumulated = 0usize;
        let mut out = Ok(None);
        while accumulated < size {
            let timed_out = match deadline {
                Some(d) => cond.wait_until(st, d).timed_out(),
                None => {
                    cond.wait(st);
                    false
                }
            };
            if st.closed {
                out = Err(closed_error());
                break;
            }
            if timed_out && accumulated < size {
                // One last look: memory may have been freed just as the wait ended.
                let avail = st.non_pooled_available + st.free.len() * self.poolable_size;
                if accumulated + avail < size {
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
    use super::*;
    use std::thread;

    #[test]
    fn simple_accounting() {
        let pool = BufferPool::new(10 * 1024, 1024);
        let b = pool.allocate(1024, Duration::ZERO).unwrap();
        assert!(b.capacity() >= 1024);
        assert_eq!(pool.available_memory(), 9 * 1024);
        pool.deallocate(b, 1024);
        assert_eq!(pool.available_memory(), 10 * 1024);
        assert_eq!(pool.unallocated_memory(), 9 * 1024, "kept on the free list");
        let b = pool.allocate(2048, Duration::ZERO).unwrap();
        assert_eq!(pool.available_memory(), 8 * 1024);
        pool.deallocate(b, 2048);
        assert_eq!(pool.available_memory(), 10 * 1024);
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

    #[test]
    fn too_large_fails_at_once() {
        let pool = BufferPool::new(1024, 512);
        let e = pool.allocate(2048, Duration::from_secs(10)).unwrap_err();
        assert!(matches!(
            e,
            Error::RecordTooLarge {
                setting: "buffer.memory",
                ..
            }
        ));
    }

    #[test]
    fn blocks_then_times_out_and_gives_back_partial_memory() {
        let pool = BufferPool::new(2048, 1024);
        let a = pool.allocate(1024, Duration::ZERO).unwrap();
        let start = Instant::now();
        let e = pool.allocate(2048, Duration::from_millis(50)).unwrap_err();
        assert!(start.elapsed() >= Duration::from_millis(50));
        assert!(
            matches!(
                e,
                Error::Timeout {
                    kind: TimeoutKind::BufferMemory,
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(pool.available_memory(), 1024, "partial grab returned");
        assert_eq!(pool.queued(), 0);
        pool.deallocate(a, 1024);
        assert_eq!(pool.available_memory(), 2048);
    }

    #[test]
    fn waiter_is_woken_by_deallocate() {
        let pool = Arc::new(BufferPool::new(1024, 1024));
        let a = pool.allocate(1024, Duration::ZERO).unwrap();
        let p = pool.clone();
        let t = thread::spawn(move || {
            p.allocate(1024, Duration::from_secs(10))
                .map(|b| b.capacity())
        });
        while pool.queued() == 0 {
            thread::yield_now();
        }
        pool.deallocate(a, 1024);
        assert!(t.join().unwrap().unwrap() >= 1024);
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
            while pool.queued() < i + 1 {
                thread::yield_now();
            }
        }
        pool.deallocate(all, 1000);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(*order.lock(), vec![0, 1, 2]);
        assert_eq!(pool.available_memory(), 1000);
    }

    #[test]
    fn close_wakes_waiters_with_an_error() {
        let pool = Arc::new(BufferPool::new(100, 100));
        let _a = pool.allocate(100, Duration::ZERO).unwrap();
        let p = pool.clone();
        let t = thread::spawn(move || p.allocate(100, Duration::from_secs(30)));
        while pool.queued() == 0 {
            thread::yield_now();
        }
        pool.close();
        assert!(matches!(t.join().unwrap(), Err(Error::ProducerClosed(_))));
        assert!(pool.allocate(10, Duration::ZERO).is_err());
    }
}
