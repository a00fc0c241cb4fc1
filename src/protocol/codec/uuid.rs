//! [`Uuid`]: Kafka's 128-bit UUID (topic ids).

use std::fmt;

/// A 128-bit UUID as Kafka sends it (topic ids): 16 bytes, most significant first.
///
/// ```
/// use kafka_producer::protocol::codec::Uuid;
/// assert!(Uuid::ZERO.is_zero());
/// assert_eq!(Uuid([0xab; 16]).to_string(), "abababab-abab-abab-abab-abababababab");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// The all-zero UUID ("no topic id").
    pub const ZERO: Uuid = Uuid([0; 16]);

    /// True for the all-zero UUID.
    pub fn is_zero(&self) -> bool {
        *self == Self::ZERO
    }

    /// The two 64-bit halves, as Java's `UUID(mostSigBits, leastSigBits)`.
    pub fn from_u64_pair(most: u64, least: u64) -> Self {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&most.to_be_bytes());
        b[8..].copy_from_slice(&least.to_be_bytes());
        Uuid(b)
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}
