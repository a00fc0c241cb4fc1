//! Java's key hashing: `Utils.murmur2`, `Utils.toPositive` and the default partition of a key.

/// The 32-bit MurmurHash2 of `data`, exactly as Java's
/// `org.apache.kafka.common.utils.Utils.murmur2(byte[])` (seed `0x9747b28c`): the hash every
/// Kafka client uses to map keys to partitions.
///
/// ```
/// use kafka_producer::producer::partitioner::murmur2;
/// assert_eq!(murmur2(b""), 275646681);
/// assert_eq!(murmur2(b"hello"), 2132663229);
/// assert_eq!(murmur2(&[0xff]), -311467685);
/// ```
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    // 'm' and 'r' are mixing constants generated offline (Java's comment: "They're not really
    // 'magic', they just happen to work well").
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;

    let length = data.len();
    // Java: `int h = seed ^ length` (the length of a Java array is an int).
    let mut h = SEED ^ (length as u32);

    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        // Java adds the four `& 0xff` bytes little-endian; the parts do not overlap, so + is |.
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R; // `>>>`: a logical shift, as on u32
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }

    // Java's `switch (length % 4)` with fall-through from case 3 to case 1.
    let tail = chunks.remainder();
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }

    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Java's `Utils.toPositive`: clears the sign bit (this is not `abs`: `-1` becomes
/// `0x7fffffff`, and `i32::MIN` becomes 0).
///
/// ```
/// use kafka_producer::producer::partitioner::to_positive;
/// assert_eq!(to_positive(5), 5);
/// assert_eq!(to_positive(-1), i32::MAX);
/// assert_eq!(to_positive(i32::MIN), 0);
/// ```
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// The partition of a record whose serialized key is `key`, in a topic of `num_partitions`
/// partitions: `to_positive(murmur2(key)) % num_partitions`, as Java's
/// `BuiltInPartitioner.partitionForKey` (and the old `DefaultPartitioner`).
///
/// # Panics
///
/// If `num_partitions` is 0 (Java throws `ArithmeticException`).
///
/// ```
/// use kafka_producer::producer::partitioner::partition_for_key;
/// assert_eq!(partition_for_key(b"key-0", 7), 0);
/// assert_eq!(partition_for_key(b"kafka", 12), 4);
/// ```
pub fn partition_for_key(key: &[u8], num_partitions: usize) -> i32 {
    // `to_positive(..)` is below 2^31, so the remainder fits an i32 for every `num_partitions`.
    (to_positive(murmur2(key)) as usize % num_partitions) as i32
}
