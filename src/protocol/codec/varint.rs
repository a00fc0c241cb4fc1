//! Varint sizes: the most bytes of a varint and a varlong, and the encoded sizes of unsigned
//! varints and zig-zag varints / varlongs.

/// Maximum bytes of a varint (32 bits) and varlong (64 bits).
pub(super) const MAX_VARINT_BYTES: usize = 5;
pub(super) const MAX_VARLONG_BYTES: usize = 10;

/// Size in bytes of `v` as an UNSIGNED_VARINT.
#[inline]
pub fn uvarint_len(v: u32) -> usize {
    match v {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0x0fff_ffff => 4,
        _ => 5,
    }
}

/// Size in bytes of `v` as a zig-zag VARINT.
#[inline]
pub fn varint_len(v: i32) -> usize {
    uvarint_len(((v << 1) ^ (v >> 31)) as u32)
}

/// Size in bytes of `v` as a zig-zag VARLONG.
#[inline]
pub fn varlong_len(v: i64) -> usize {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    let mut n = 1;
    while z >= 0x80 {
        z >>= 7;
        n += 1;
    }
    n
}
