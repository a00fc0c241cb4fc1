//! [`Callback`]: a type-erased `FnOnce(Result<RecordMetadata, Error>)` that stores small
//! closures inline instead of in a `Box`.
//!
//! This is the only module of the crate with `unsafe` code (the crate denies it everywhere
//! else). A `Box<dyn FnOnce>` per record was allocated on the caller thread and freed on the
//! sender thread after the callback ran; with glibc that cross-thread malloc/free pair cost
//! ~350 instructions per record plus arena-lock traffic. Typical callbacks capture one to four
//! words, so they are written into a fixed buffer of four words and called / dropped through a
//! per-closure-type vtable of plain functions (as `std::task::RawWaker` does); larger or
//! over-aligned closures are boxed and the box (one word) is stored inline. The module's tests
//! run under Miri (Stacked and Tree Borrows) with `scripts/miri.sh`.
#![allow(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks)]

use crate::error::Error;
use crate::producer::record::RecordMetadata;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop, MaybeUninit};
use std::ptr;

/// Words of inline storage: closures capturing up to this many `usize`s are not boxed.
const INLINE_WORDS: usize = 4;

/// The inline storage: `INLINE_WORDS` words, aligned as a `usize`. It must stay a type without
/// padding: a copy of a `MaybeUninit<T>` need not keep the bytes of `T`'s padding, which may
/// hold a stored closure's data.
type Storage = MaybeUninit<[usize; INLINE_WORDS]>;

/// Whether a `T` fits in [`Storage`] (size and alignment).
const fn fits_inline<T>() -> bool {
    mem::size_of::<T>() <= mem::size_of::<Storage>()
        && mem::align_of::<T>() <= mem::align_of::<Storage>()
}

/// How to call or drop the value of one closure type stored in a [`Storage`].
struct VTable {
    /// Moves the closure out of the storage and calls it; the storage is then dead.
    call: unsafe fn(*mut u8, Result<RecordMetadata, Error>),
    /// Drops the closure in place; the storage is then dead.
    drop: unsafe fn(*mut u8),
}

/// The vtable of closures of type `F` stored inline.
struct Shim<F>(PhantomData<F>);

impl<F> Shim<F>
where
    F: FnOnce(Result<RecordMetadata, Error>) + Send + 'static,
{
    /// One `'static` vtable per closure type (the reference is promoted, as for
    /// `RawWakerVTable`s).
    const VTABLE: &'static VTable = &VTable {
        call: Self::call,
        drop: Self::drop,
    };

    /// # Safety
    /// `data` points to a live, properly aligned `F` that nothing else will use or drop
    /// afterwards.
    unsafe fn call(data: *mut u8, result: Result<RecordMetadata, Error>) {
        // SAFETY: the caller guarantees `data` is a live, aligned `F` that is ours to take.
        // Moving it onto the stack before calling means a panic inside it unwinds through
        // `call_once`, which owns (and drops) the closure exactly once; the storage is never
        // dropped again (the `Callback` was forgotten by `Callback::call`).
        let f = unsafe { ptr::read(data.cast::<F>()) };
        f(result);
    }

    /// # Safety
    /// `data` points to a live, properly aligned `F` that nothing will use afterwards.
    unsafe fn drop(data: *mut u8) {
        // SAFETY: the caller guarantees `data` is a live, aligned `F` used by nobody after this.
        unsafe { ptr::drop_in_place(data.cast::<F>()) }
    }
}

/// A callback run once on the sender thread with the record's metadata or its error.
/// Callbacks of one partition run in send order. A panic in a callback is caught and logged.
///
/// [`KafkaProducer::send_with_callback`](crate::KafkaProducer::send_with_callback) takes any
/// closure and builds one. Closures whose captures fit in four machine words (32 bytes on
/// 64-bit targets, e.g. a `&'static` reference, an `Arc` and an `i64`) and need no more than a
/// `usize`'s alignment are stored inline, without a heap allocation; larger or over-aligned
/// ones are boxed.
///
/// ```
/// use kafka_producer::{Callback, Error, RecordMetadata};
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// let acked = Arc::new(AtomicU64::new(0));
/// let a = acked.clone();
/// let start = std::time::Instant::now();
/// // Captures an `Arc` and an `Instant`: stored inline, no allocation.
/// let callback = Callback::new(move |result: Result<RecordMetadata, Error>| {
///     if result.is_ok() {
///         a.fetch_add(1, Ordering::Relaxed);
///     }
///     let _latency = start.elapsed();
/// });
/// // A callback that is dropped without being run drops its captures.
/// drop(callback);
/// assert_eq!(Arc::strong_count(&acked), 1);
///
/// // An already boxed closure converts without a second allocation.
/// let boxed: Box<dyn FnOnce(Result<RecordMetadata, Error>) + Send> = Box::new(|_| ());
/// let _callback = Callback::from(boxed);
/// ```
///
/// Only `Send` closures are accepted, and a `Callback` is not `Sync`:
///
/// ```compile_fail
/// let rc = std::rc::Rc::new(());
/// kafka_producer::Callback::new(move |_| drop(rc));
/// ```
///
/// ```compile_fail
/// fn is_sync<T: Sync>() {}
/// is_sync::<kafka_producer::Callback>();
/// ```
pub struct Callback {
    /// A value of the closure type `vtable` was made for (the closure itself, or a `Box` of
    /// it), live until `call` or `drop` consumes it.
    data: Storage,
    vtable: &'static VTable,
    /// `Send` (only `Send` closures are stored) but not `Sync`, as the
    /// `Box<dyn FnOnce + Send>` it replaces.
    _marker: PhantomData<Box<dyn FnOnce() + Send>>,
}

// A callback moves to the sender thread.
const _: fn() = || {
    fn is_send<T: Send>() {}
    is_send::<Callback>();
};

impl Callback {
    /// Wraps `f`, inline if its captures fit in 32 bytes with at most a `usize`'s alignment,
    /// else in a `Box`.
    pub fn new(f: impl FnOnce(Result<RecordMetadata, Error>) + Send + 'static) -> Callback {
        if fits_inline_fn(&f) {
            Callback::inline(f)
        } else {
            Callback::inline(Box::new(f))
        }
    }

    /// Stores `f` in the inline storage. `f` must fit; `new` only calls this for closures
    /// that do and for a `Box` (one pointer).
    fn inline<F>(f: F) -> Callback
    where
        F: FnOnce(Result<RecordMetadata, Error>) + Send + 'static,
    {
        // Constant for each `F`: compiled away. It must stay a run-time assertion: `new`
        // instantiates `inline::<F>` for closures that do not fit too (in the branch that
        // boxes them instead), where a `const` assertion would fail to compile.
        assert!(
            fits_inline::<F>(),
            "closure does not fit the inline storage"
        );
        let mut data = Storage::uninit();
        // SAFETY: the storage is `size_of::<Storage>()` bytes aligned as a `usize`, and `F` is
        // no larger and no more aligned (asserted above), so the write is in bounds and
        // aligned. The storage was uninitialized: nothing is overwritten.
        unsafe { data.as_mut_ptr().cast::<F>().write(f) };
        Callback {
            data,
            vtable: Shim::<F>::VTABLE,
            _marker: PhantomData,
        }
    }

    /// Runs the closure with `result`, consuming the callback: the closure runs exactly once
    /// and its captures are dropped once, also when it panics (the panic propagates). The
    /// producer calls it on its sender thread; code that holds a `Callback` of its own (e.g. to
    /// forward it from another callback) calls it the same way.
    ///
    /// ```
    /// use kafka_producer::{Callback, Error};
    ///
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let callback = Callback::new(move |r: Result<_, Error>| tx.send(r.is_ok()).unwrap());
    /// callback.call(Err(Error::Internal("not sent".into())));
    /// assert_eq!(rx.recv().unwrap(), false);
    /// ```
    pub fn call(self, result: Result<RecordMetadata, Error>) {
        // `Drop` must not run: the closure is moved out (and consumed) by `vtable.call`.
        let mut this = ManuallyDrop::new(self);
        let vtable = this.vtable;
        let data = this.data.as_mut_ptr().cast::<u8>();
        // SAFETY: `data` holds a live value of the type `vtable` was made for (written by
        // `inline`, never moved out since: only `call` and `drop` do, and both consume the
        // callback). `this` is a `ManuallyDrop`, so nothing uses or drops the storage after
        // `vtable.call` took the value, on return or on unwind.
        unsafe { (vtable.call)(data, result) }
    }
}

/// `fits_inline` for the type of a value (the closure type of `Callback::new` is unnamed).
const fn fits_inline_fn<F>(_: &F) -> bool {
    fits_inline::<F>()
}

impl Drop for Callback {
    /// Drops a closure that was never called.
    fn drop(&mut self) {
        let data = self.data.as_mut_ptr().cast::<u8>();
        // SAFETY: the storage holds a live value of the type the vtable was made for: `call`,
        // the only other place that consumes it, forgets the callback so this does not run.
        // The storage is not used after this (the callback is being dropped).
        unsafe { (self.vtable.drop)(data) }
    }
}

impl From<Box<dyn FnOnce(Result<RecordMetadata, Error>) + Send + 'static>> for Callback {
    /// Stores the box itself inline (it is two words): no second allocation.
    fn from(f: Box<dyn FnOnce(Result<RecordMetadata, Error>) + Send + 'static>) -> Callback {
        Callback::inline(f)
    }
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::producer::delivery::run_callback;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn metadata() -> RecordMetadata {
        RecordMetadata {
            topic: Arc::from("t"),
            partition: 0,
            offset: 42,
            timestamp: -1,
            serialized_key_size: -1,
            serialized_value_size: 1,
        }
    }

    /// Checks that the callback got the test's metadata and counts the call.
    fn record(calls: &AtomicUsize, r: &Result<RecordMetadata, Error>) {
        assert_eq!(r.as_ref().map(|m| m.offset).unwrap_or(-2), 42);
        calls.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn storage_is_four_words_and_option_is_free() {
        assert_eq!(mem::size_of::<Storage>(), 4 * mem::size_of::<usize>());
        assert_eq!(mem::align_of::<Storage>(), mem::align_of::<usize>());
        assert_eq!(
            mem::size_of::<Option<Callback>>(),
            mem::size_of::<Callback>()
        );
    }

    #[test]
    fn inline_closure_is_called_once_and_its_captures_dropped_once() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let extra: (i64, i32) = (7, 8);
        let f = move |r: Result<RecordMetadata, Error>| {
            assert_eq!(extra, (7, 8));
            record(&c, &r);
        };
        assert!(fits_inline_fn(&f), "an Arc and 12 bytes fit inline");
        let cb = Callback::new(f);
        assert_eq!(Arc::strong_count(&calls), 2);
        cb.call(Ok(metadata()));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(Arc::strong_count(&calls), 1, "captures dropped once");
    }

    #[test]
    fn dropped_uncalled_closure_is_not_run_and_its_captures_dropped_once() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let cb = Callback::new(move |r| record(&c, &r));
        assert_eq!(Arc::strong_count(&calls), 2);
        drop(cb);
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert_eq!(Arc::strong_count(&calls), 1);
    }

    #[test]
    fn large_closure_is_boxed_and_behaves_the_same() {
        let calls = Arc::new(AtomicUsize::new(0));
        let make = |c: Arc<AtomicUsize>| {
            let big = [3u64; 16];
            move |r: Result<RecordMetadata, Error>| {
                assert_eq!(big.iter().sum::<u64>(), 48);
                record(&c, &r);
            }
        };
        let f = make(calls.clone());
        assert!(!fits_inline_fn(&f));
        let cb = Callback::new(f);
        assert_eq!(Arc::strong_count(&calls), 2);
        cb.call(Ok(metadata()));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(Arc::strong_count(&calls), 1);

        let cb = Callback::new(make(calls.clone()));
        assert_eq!(Arc::strong_count(&calls), 2);
        drop(cb);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "not run when dropped");
        assert_eq!(Arc::strong_count(&calls), 1);
    }

    /// The limits exactly: 32 bytes at `usize` alignment inline; one more word, or a 16-byte
    /// capture aligned to 16, boxed (so the alignment check is tested on its own).
    #[test]
    fn inline_limits_are_size_and_alignment() {
        let calls = Arc::new(AtomicUsize::new(0));
        let (c, words) = (calls.clone(), [7u64; 3]);
        let fits = move |r: Result<RecordMetadata, Error>| {
            assert_eq!(words, [7; 3]);
            record(&c, &r);
        };
        assert_eq!(mem::size_of_val(&fits), 32);
        assert!(fits_inline_fn(&fits));
        let (c, words) = (calls.clone(), [7u64; 4]);
        let too_big = move |r: Result<RecordMetadata, Error>| {
            assert_eq!(words, [7; 4]);
            record(&c, &r);
        };
        assert!(!fits_inline_fn(&too_big));
        #[repr(align(16))]
        struct A16(u8);
        let (c, a) = (calls.clone(), A16(5));
        let aligned = move |r: Result<RecordMetadata, Error>| {
            assert_eq!(&a as *const A16 as usize % 16, 0);
            assert_eq!(a.0, 5);
            record(&c, &r);
        };
        assert!(mem::size_of_val(&aligned) <= mem::size_of::<Storage>());
        assert!(!fits_inline_fn(&aligned), "refused for its alignment only");
        for cb in [
            Callback::new(fits),
            Callback::new(too_big),
            Callback::new(aligned),
        ] {
            cb.call(Ok(metadata()));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(Arc::strong_count(&calls), 1);
    }

    /// Callbacks moved within a vector that regrows, then called or dropped on another
    /// thread, still run or drop once each.
    #[test]
    fn callbacks_survive_moves_and_cross_threads() {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut v = Vec::with_capacity(1);
        for _ in 0..100 {
            let c = calls.clone();
            v.push(Callback::new(move |r| record(&c, &r)));
        }
        let handle = std::thread::spawn(move || {
            let mut v = v;
            let dropped = v.split_off(50);
            for cb in v {
                cb.call(Ok(metadata()));
            }
            drop(dropped);
        });
        handle.join().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 50);
        assert_eq!(Arc::strong_count(&calls), 1);
    }

    #[test]
    fn over_aligned_closure_is_boxed_and_works() {
        #[repr(align(64))]
        struct Aligned(u8);
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let a = Aligned(5);
        let f = move |r: Result<RecordMetadata, Error>| {
            assert_eq!(&a as *const Aligned as usize % 64, 0);
            assert_eq!(a.0, 5);
            record(&c, &r);
        };
        assert!(!fits_inline_fn(&f));
        let cb = Callback::new(f);
        cb.call(Ok(metadata()));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(Arc::strong_count(&calls), 1);
    }

    #[test]
    fn zero_sized_closure_works() {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        let f = |r: Result<RecordMetadata, Error>| record(&CALLS, &r);
        assert_eq!(mem::size_of_val(&f), 0);
        Callback::new(f).call(Ok(metadata()));
        drop(Callback::new(f));
        assert_eq!(CALLS.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn panicking_closure_is_caught_by_run_callback_and_dropped_once() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let cb = Callback::new(move |r| {
            record(&c, &r);
            panic!("callback panic (expected by the test)");
        });
        assert_eq!(Arc::strong_count(&calls), 2);
        run_callback(cb, Ok(metadata()));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(Arc::strong_count(&calls), 1, "captures dropped once");

        // The same through the boxed path.
        let c = calls.clone();
        let big = [0u8; 64];
        let f = move |r: Result<RecordMetadata, Error>| {
            record(&c, &r);
            std::hint::black_box(&big);
            panic!("callback panic (expected by the test)");
        };
        assert!(!fits_inline_fn(&f));
        run_callback(Callback::new(f), Ok(metadata()));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(Arc::strong_count(&calls), 1);
    }

    #[test]
    fn boxed_dyn_closure_converts_without_a_second_box() {
        type Boxed = Box<dyn FnOnce(Result<RecordMetadata, Error>) + Send + 'static>;
        assert!(fits_inline::<Boxed>());
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let boxed: Boxed = Box::new(move |r| record(&c, &r));
        let cb = Callback::from(boxed);
        cb.call(Ok(metadata()));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(Arc::strong_count(&calls), 1);

        let c = calls.clone();
        let boxed: Boxed = Box::new(move |r| record(&c, &r));
        drop(Callback::from(boxed));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(Arc::strong_count(&calls), 1);
    }

    #[test]
    fn callback_crosses_threads() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let caller = std::thread::current().id();
        let cb = Callback::new(move |r| {
            assert_ne!(std::thread::current().id(), caller);
            record(&c, &r);
        });
        std::thread::spawn(move || cb.call(Ok(metadata())))
            .join()
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(Arc::strong_count(&calls), 1);
    }

    #[test]
    fn debug_does_not_show_the_closure() {
        assert_eq!(format!("{:?}", Callback::new(|_| ())), "Callback { .. }");
    }
}
