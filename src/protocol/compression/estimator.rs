//! The compressed-size estimate of a batch being filled: Java's `MemoryRecordsBuilder`
//! estimate and `CompressionRatioEstimator`.

use super::*;

/// The size of a batch once compressed, as Java's `MemoryRecordsBuilder.estimatedBytesWritten()`
/// estimates it while records are appended: `header + (int) (uncompressed records size *
/// estimated ratio * 1.05)` (in `f32`, as Java), or the exact `header + uncompressed records
/// size` without compression. `header_size` is [`RECORD_BATCH_OVERHEAD`] for a RecordBatch v2.
///
/// ```
/// use kafka_producer::protocol::compression::estimated_bytes_written;
/// use kafka_producer::protocol::record_batch::Compression;
/// assert_eq!(estimated_bytes_written(Compression::None, 61, 1000, 0.5), 1061);
/// assert_eq!(estimated_bytes_written(Compression::Zstd, 61, 1000, 0.5), 61 + 525);
/// ```
#[inline]
pub fn estimated_bytes_written(
    codec: Compression,
    header_size: usize,
    uncompressed_records_size: usize,
    estimated_ratio: f32,
) -> usize {
    if codec == Compression::None {
        header_size.saturating_add(uncompressed_records_size)
    } else {
        // Java: (int) (int * float * float); a float-to-int cast saturates in both languages.
        let estimate =
            uncompressed_records_size as f32 * estimated_ratio * COMPRESSION_RATE_ESTIMATION_FACTOR;
        header_size.saturating_add(estimate as usize)
    }
}

/// [`estimated_bytes_written`] for a RecordBatch v2 (61-byte header).
pub fn estimated_batch_size(
    codec: Compression,
    uncompressed_records_size: usize,
    estimated_ratio: f32,
) -> usize {
    estimated_bytes_written(
        codec,
        RECORD_BATCH_OVERHEAD,
        uncompressed_records_size,
        estimated_ratio,
    )
}

/// Per topic and codec, the compressed-to-uncompressed size ratio to expect of the next batch
/// (Java's `CompressionRatioEstimator`, one per producer here rather than a JVM-wide static).
///
/// A batch sized with the estimate (see [`estimated_bytes_written`]) reports its actual ratio
/// when it is closed; the estimate then moves towards it: at once (by at least
/// [`COMPRESSION_RATIO_DETERIORATE_STEP`]) when the data compressed worse than expected, slowly
/// (by [`COMPRESSION_RATIO_IMPROVING_STEP`]) when it compressed better. Unknown topics start at
/// [`INITIAL_COMPRESSION_RATIO`]. Thread-safe: readers share a lock, updates are atomic.
///
/// ```
/// use kafka_producer::protocol::compression::CompressionRatioEstimator;
/// use kafka_producer::protocol::record_batch::Compression;
/// let est = CompressionRatioEstimator::new();
/// assert_eq!(est.estimation("t", Compression::Zstd), 1.0);
/// assert_eq!(est.update_estimation("t", Compression::Zstd, 0.3), 0.995);
/// assert_eq!(est.update_estimation("t", Compression::Zstd, 1.2), 1.2);
/// assert_eq!(est.estimation("t", Compression::Gzip), 1.0);
/// ```
#[derive(Debug, Default)]
pub struct CompressionRatioEstimator {
    ratios: RwLock<HashMap<String, [f32; 5]>>,
}

impl CompressionRatioEstimator {
    /// An estimator with no topic yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current estimation for `topic` and `codec` ([`INITIAL_COMPRESSION_RATIO`] for a topic
    /// not seen yet).
    pub fn estimation(&self, topic: &str, codec: Compression) -> f32 {
        self.ratios
            .read()
            .get(topic)
            .map_or(INITIAL_COMPRESSION_RATIO, |r| r[codec as usize])
    }

    /// Moves the estimation for `topic` and `codec` after a batch compressed at
    /// `observed_ratio` (compressed records size / uncompressed records size), as Java's
    /// `updateEstimation`, and returns the new estimation:
    /// - worse than estimated: `max(estimation + 0.05, observed)`;
    /// - better than estimated: `max(estimation - 0.005, observed)`;
    /// - equal (or NaN): unchanged.
    pub fn update_estimation(&self, topic: &str, codec: Compression, observed_ratio: f32) -> f32 {
        let mut map = self.ratios.write();
        let ratios = match map.get_mut(topic) {
            Some(r) => r,
            None => map
                .entry(topic.to_owned())
                .or_insert([INITIAL_COMPRESSION_RATIO; 5]),
        };
        let current = &mut ratios[codec as usize];
        if observed_ratio > *current {
            *current = (*current + COMPRESSION_RATIO_DETERIORATE_STEP).max(observed_ratio);
        } else if observed_ratio < *current {
            *current = (*current - COMPRESSION_RATIO_IMPROVING_STEP).max(observed_ratio);
        }
        *current
    }

    /// Sets the estimation for `topic` and `codec` (Java's `setEstimation`, for tests).
    pub fn set_estimation(&self, topic: &str, codec: Compression, ratio: f32) {
        let mut map = self.ratios.write();
        map.entry(topic.to_owned())
            .or_insert([INITIAL_COMPRESSION_RATIO; 5])[codec as usize] = ratio;
    }

    /// Resets every codec's estimation of `topic` to [`INITIAL_COMPRESSION_RATIO`].
    pub fn reset_estimation(&self, topic: &str) {
        if let Some(r) = self.ratios.write().get_mut(topic) {
            *r = [INITIAL_COMPRESSION_RATIO; 5];
        }
    }

    /// Forgets `topic`.
    pub fn remove_estimation(&self, topic: &str) {
        self.ratios.write().remove(topic);
    }
}
