//! Unit tests of the codecs.

use super::lz4::lz4_header_checksum;
use super::zstd::zstd_window_log_max;
use super::*;

const ALL: [Compression; 5] = [
    Compression::None,
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];
const CODECS: [Compression; 4] = [
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];

/// Deterministic, JSON-ish, compressible text with some noise.
fn text(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 200);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut i = 0u64;
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(
            format!(
                r#"{{"id":{i},"name":"user-{}","ts":{},"tags":["a","b"]}}"#,
                x % 1000,
                1_700_000_000_000u64 + (x % 100_000)
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.truncate(n);
    out
}

fn noise(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn round_trip(codec: Compression, level: Option<i32>, data: &[u8]) -> Vec<u8> {
    let mut packed = vec![0xEE; 3]; // bytes already there are kept
    compress(codec, level, data, &mut packed).unwrap();
    assert_eq!(&packed[..3], &[0xEE; 3]);
    let back = decompress(codec, &packed[3..], data.len()).unwrap();
    assert_eq!(back.len(), data.len(), "{codec:?} {level:?}");
    assert!(back == data, "{codec:?} {level:?}");
    packed.split_off(3)
}

#[test]
fn every_codec_round_trips_every_size() {
    let big = text(300_000);
    let sizes = [
        0,
        1,
        2,
        100,
        SNAPPY_BLOCK_SIZE - 1,
        SNAPPY_BLOCK_SIZE,
        SNAPPY_BLOCK_SIZE + 1,
        LZ4_BLOCK_SIZE,
        LZ4_BLOCK_SIZE + 1,
        300_000,
    ];
    for codec in ALL {
        for n in sizes {
            round_trip(codec, None, &big[..n]);
            round_trip(codec, None, &noise(n));
        }
    }
}

#[test]
fn every_level_round_trips() {
    let data = text(100_000);
    let mut sizes = Vec::new();
    for level in [-1, 1, 5, 9] {
        sizes.push(round_trip(Compression::Gzip, Some(level), &data).len());
    }
    assert!(sizes[3] <= sizes[1], "gzip 9 beats 1: {sizes:?}");
    for level in [1, 9, 17] {
        round_trip(Compression::Lz4, Some(level), &data);
    }
    let mut sizes = Vec::new();
    for level in [-5, 0, 1, 3, 19, 22] {
        sizes.push(round_trip(Compression::Zstd, Some(level), &data).len());
    }
    assert!(sizes[4] < sizes[0], "zstd 19 beats -5: {sizes:?}");
    // Switching levels on the cached context.
    round_trip(Compression::Zstd, Some(7), &data);
    round_trip(Compression::Zstd, None, &data);
}

#[test]
fn levels_are_validated_as_java_does() {
    let mut out = Vec::new();
    for (codec, level) in [
        (Compression::Gzip, 0),
        (Compression::Gzip, 10),
        (Compression::Gzip, -2),
        (Compression::Lz4, 0),
        (Compression::Lz4, 18),
        (Compression::Zstd, 23),
        (Compression::Zstd, -131_073),
    ] {
        let e = compress(codec, Some(level), b"x", &mut out).unwrap_err();
        assert_eq!(e, CompressionError::InvalidLevel { codec, level });
        assert!(out.is_empty());
    }
    assert_eq!(validate_level(Compression::Gzip, None).unwrap(), Some(-1));
    assert_eq!(validate_level(Compression::Lz4, None).unwrap(), Some(9));
    assert_eq!(validate_level(Compression::None, Some(99)).unwrap(), None);
    assert_eq!(level_range(Compression::Zstd), Some(-131_072..=22));
}

#[test]
fn snappy_xerial_framing_known_answer() {
    let data = text(SNAPPY_BLOCK_SIZE * 2 + 10);
    let mut out = Vec::new();
    compress(Compression::Snappy, None, &data, &mut out).unwrap();
    assert_eq!(
        &out[..16],
        b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01",
        "magic, version 1, compatible version 1"
    );
    // Three blocks of 32 KiB, 32 KiB and 10 bytes of input, each a raw Snappy block whose
    // varint preamble gives its uncompressed length.
    let mut pos = 16;
    let mut lens = Vec::new();
    while pos < out.len() {
        let n = u32::from_be_bytes(out[pos..pos + 4].try_into().unwrap()) as usize;
        let block = &out[pos + 4..pos + 4 + n];
        lens.push(snap::raw::decompress_len(block).unwrap());
        pos += 4 + n;
    }
    assert_eq!(lens, [SNAPPY_BLOCK_SIZE, SNAPPY_BLOCK_SIZE, 10]);
    assert_eq!(pos, out.len());

    // Empty input: the header alone, as SnappyOutputStream writes on close.
    let mut empty = Vec::new();
    compress(Compression::Snappy, None, b"", &mut empty).unwrap();
    assert_eq!(empty, SNAPPY_XERIAL_HEADER);
    assert_eq!(decompress(Compression::Snappy, &empty, 0).unwrap(), b"");
}

#[test]
fn snappy_reads_raw_blocks_and_concatenated_streams() {
    // Not framed: one raw block (snappy-java's fallback for Snappy.compress output).
    let raw = snap::raw::Encoder::new()
        .compress_vec(b"raw raw raw raw")
        .unwrap();
    assert_eq!(
        decompress(Compression::Snappy, &raw, 100).unwrap(),
        b"raw raw raw raw"
    );
    // Two framed streams back to back.
    let mut two = Vec::new();
    compress(Compression::Snappy, None, b"first ", &mut two).unwrap();
    compress(Compression::Snappy, None, b"second", &mut two).unwrap();
    assert_eq!(
        decompress(Compression::Snappy, &two, 100).unwrap(),
        b"first second"
    );
    // Version 0 is refused, as snappy-java does.
    let mut v0 = two.clone();
    v0[11] = 0;
    assert!(matches!(
        decompress(Compression::Snappy, &v0, 100),
        Err(CompressionError::Corrupt { .. })
    ));
}

#[test]
fn lz4_frame_known_answer() {
    let data = text(LZ4_BLOCK_SIZE + 100);
    let mut out = Vec::new();
    compress(Compression::Lz4, None, &data, &mut out).unwrap();
    // Magic 0x184D2204 little-endian, FLG 0x60, BD 0x40, and the header checksum of
    // FLG+BD: (xxh32([0x60, 0x40], 0) >> 8) & 0xFF = 0x82.
    assert_eq!(&out[..7], &[0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82]);
    assert_eq!(&out[out.len() - 4..], &[0, 0, 0, 0], "end mark");
    let first = u32::from_le_bytes(out[7..11].try_into().unwrap());
    assert_eq!(first & LZ4_UNCOMPRESSED_BIT, 0, "text compresses");
    assert!((first as usize) < LZ4_BLOCK_SIZE);
    // lz4_flex's own frame reader (an independent implementation) agrees.
    let mut back = Vec::new();
    lz4_flex::frame::FrameDecoder::new(&out[..])
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, data);
    // And we read frames written by it, with content size, content and block checksums.
    let info = lz4_flex::frame::FrameInfo::new()
        .block_size(lz4_flex::frame::BlockSize::Max256KB)
        .content_checksum(true)
        .block_checksums(true)
        .content_size(Some(data.len() as u64));
    let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
    enc.write_all(&data).unwrap();
    let theirs = enc.finish().unwrap();
    assert_eq!(
        decompress(Compression::Lz4, &theirs, data.len()).unwrap(),
        data
    );
    let mut bad = theirs.clone();
    let at = bad.len() - 2;
    bad[at] ^= 1;
    assert!(matches!(
        decompress(Compression::Lz4, &bad, data.len()),
        Err(CompressionError::Corrupt { .. })
    ));
    // An honest content size above the cap fails before any block.
    assert!(matches!(
        decompress(Compression::Lz4, &theirs, 1000),
        Err(CompressionError::TooLarge { limit: 1000, .. })
    ));
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The records section of a batch holding one record (null key, value `0x42`, no headers)
/// as kafka-clients 4.1.1's `MemoryRecordsBuilder` compressed it (captured with
/// `tests/java/CompressionInterop.java`).
#[test]
fn known_answers_from_the_java_client() {
    let records = unhex("0e00000001024200");
    let java = [
        (
            Compression::Gzip,
            "1f8b08000000000000ffe3636060606472620000d753df0908000000",
        ),
        (
            Compression::Snappy,
            "82534e41505059000000000100000001\
             0000000a081c0e00000001024200",
        ),
        (
            Compression::Lz4,
            "04224d18604082080000800e0000000102420000000000",
        ),
        // zstd-jni's streaming frame: no content size, a 2 MiB window (descriptor 0x58), a
        // raw block, then an empty last block.
        (
            Compression::Zstd,
            "28b52ffd00584000000e00000001024200010000",
        ),
    ];
    for (codec, hex) in java {
        let hex: String = hex.split_whitespace().collect();
        let java = unhex(&hex);
        assert_eq!(decompress(codec, &java, 8).unwrap(), records, "{codec}");
        // A cap below the content is refused even for these tiny frames.
        assert!(decompress(codec, &java, 7).is_err(), "{codec}");
        let mut ours = Vec::new();
        compress(codec, None, &records, &mut ours).unwrap();
        if matches!(codec, Compression::Snappy | Compression::Lz4) {
            // The framings are Kafka's, to the byte.
            assert_eq!(ours, java, "{codec}");
        }
    }
}

#[test]
fn lz4_incompressible_blocks_are_stored_raw() {
    let data = noise(1000);
    let mut out = Vec::new();
    compress(Compression::Lz4, None, &data, &mut out).unwrap();
    assert_eq!(
        u32::from_le_bytes(out[7..11].try_into().unwrap()),
        1000 | LZ4_UNCOMPRESSED_BIT
    );
    assert_eq!(&out[11..1011], &data[..]);
    assert_eq!(out.len(), 7 + 4 + 1000 + 4);
}

#[test]
fn lz4_dependent_blocks_are_refused_as_kafka_does() {
    let mut out = Vec::new();
    compress(Compression::Lz4, None, b"abc", &mut out).unwrap();
    out[4] = 0x40; // FLG without block independence
    out[6] = lz4_header_checksum(&out[4..6]);
    assert!(matches!(
        decompress(Compression::Lz4, &out, 100),
        Err(CompressionError::Unsupported { .. })
    ));
}

#[test]
fn gzip_is_a_gzip_stream() {
    let mut out = Vec::new();
    compress(Compression::Gzip, None, b"hello", &mut out).unwrap();
    assert_eq!(&out[..3], &[0x1f, 0x8b, 8], "gzip magic, deflate");
    // The trailer: CRC-32 and length of the data, little-endian.
    assert_eq!(&out[out.len() - 4..], &5u32.to_le_bytes());
    // Two members back to back read as one stream, as java.util.zip.GZIPInputStream does.
    compress(Compression::Gzip, Some(1), b" world", &mut out).unwrap();
    assert_eq!(
        decompress(Compression::Gzip, &out, 100).unwrap(),
        b"hello world"
    );
}

#[test]
fn zstd_is_a_zstd_frame() {
    let mut out = Vec::new();
    compress(Compression::Zstd, None, b"hello", &mut out).unwrap();
    assert_eq!(&out[..4], &[0x28, 0xB5, 0x2F, 0xFD], "zstd frame magic");
}

#[test]
fn bombs_fail_with_too_large_and_never_grow_past_the_cap() {
    let zeros = vec![0u8; 8 << 20];
    for codec in CODECS {
        let mut bomb = Vec::new();
        compress(codec, None, &zeros, &mut bomb).unwrap();
        assert!(bomb.len() < zeros.len() / 20, "{codec:?}: {}", bomb.len());
        for cap in [0, 1, 1000, 64 * 1024, (8 << 20) - 1] {
            let mut out = Vec::new();
            let e = decompress_into(codec, &bomb, cap, &mut out).unwrap_err();
            assert_eq!(e, CompressionError::TooLarge { codec, limit: cap });
            assert!(out.is_empty());
            assert!(
                out.capacity() <= cap,
                "{codec:?} cap {cap}: {}",
                out.capacity()
            );
        }
        // Exactly at the cap is fine.
        assert_eq!(decompress(codec, &bomb, 8 << 20).unwrap().len(), 8 << 20);
    }
    // None is capped too.
    assert!(matches!(
        decompress(Compression::None, b"abc", 2),
        Err(CompressionError::TooLarge { .. })
    ));
}

#[test]
fn hand_made_bombs_with_lying_headers() {
    // A raw Snappy block claiming 4 GiB, and a xerial chunk doing the same.
    let raw = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00];
    assert!(matches!(
        decompress(Compression::Snappy, &raw, 1 << 20),
        Err(CompressionError::TooLarge { .. })
    ));
    let mut framed = SNAPPY_XERIAL_HEADER.to_vec();
    framed.extend_from_slice(&6u32.to_be_bytes());
    framed.extend_from_slice(&raw);
    assert!(matches!(
        decompress(Compression::Snappy, &framed, 1 << 20),
        Err(CompressionError::TooLarge { .. })
    ));
    // An LZ4 frame declaring 4 MiB blocks whose block is garbage.
    let mut lz4 = LZ4_FRAME_MAGIC.to_le_bytes().to_vec();
    lz4.extend_from_slice(&[LZ4_FLG, 0x70, lz4_header_checksum(&[LZ4_FLG, 0x70])]);
    lz4.extend_from_slice(&3u32.to_le_bytes());
    lz4.extend_from_slice(&[0xF0, 0xFF, 0xFF]);
    let mut out = Vec::new();
    assert!(decompress_into(Compression::Lz4, &lz4, 1000, &mut out).is_err());
    assert!(out.capacity() <= 1000);
}

#[test]
fn garbage_and_truncations_are_errors_not_panics() {
    let data = text(100_000);
    for codec in CODECS {
        let mut packed = Vec::new();
        compress(codec, None, &data, &mut packed).unwrap();
        // Every truncation point near the edges, and a stride through the middle.
        let cuts = (0..64)
            .chain((64..packed.len()).step_by(97))
            .chain(packed.len().saturating_sub(64)..packed.len());
        for cut in cuts {
            let r = decompress(codec, &packed[..cut], 1 << 20);
            if let Ok(back) = r {
                // Only a snappy prefix that ends on a block boundary decodes (to a prefix).
                assert_eq!(codec, Compression::Snappy, "{codec:?} cut {cut}");
                assert!(data.starts_with(&back));
            }
        }
        // Bit flips: an error or (for codecs without checksums) other bytes; never a panic.
        let mut x: u32 = 7;
        for _ in 0..300 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let mut bad = packed.clone();
            let at = (x as usize >> 4) % bad.len();
            bad[at] ^= 1 << (x % 8);
            let _ = decompress(codec, &bad, 1 << 20);
        }
        // Trailing garbage is an error.
        let mut trailing = packed.clone();
        trailing.extend_from_slice(b"junk");
        assert!(decompress(codec, &trailing, 1 << 20).is_err(), "{codec:?}");
    }
    // Pure noise.
    for n in [0, 1, 3, 7, 16, 17, 100, 5000] {
        let junk = noise(n);
        for codec in CODECS {
            let _ = decompress(codec, &junk, 1 << 20);
        }
    }
    assert!(decompress(Compression::Gzip, b"", 10).is_err());
    assert!(decompress(Compression::Lz4, b"", 10).is_err());
    assert!(decompress(Compression::Zstd, b"", 10).is_err());
}

#[test]
fn decompress_into_appends_and_restores_on_error() {
    let mut packed = Vec::new();
    compress(Compression::Lz4, None, b"abcdef", &mut packed).unwrap();
    let mut out = b"xy".to_vec();
    assert_eq!(
        decompress_into(Compression::Lz4, &packed, 6, &mut out).unwrap(),
        6
    );
    assert_eq!(out, b"xyabcdef");
    assert!(decompress_into(Compression::Lz4, &packed, 5, &mut out).is_err());
    assert_eq!(out, b"xyabcdef");
}

#[test]
fn estimator_follows_java() {
    let est = CompressionRatioEstimator::new();
    // Improving: 0.005 per batch, never below the observed ratio.
    let mut e = 1.0f32;
    for _ in 0..10 {
        e = est.update_estimation("t", Compression::Lz4, 0.5);
    }
    assert!((e - 0.95).abs() < 1e-5, "{e}");
    assert_eq!(est.update_estimation("t", Compression::Lz4, 0.949), 0.949);
    // Deteriorating: at least 0.05 at once.
    assert!((est.update_estimation("t", Compression::Lz4, 0.95) - 0.999).abs() < 1e-5);
    assert_eq!(est.update_estimation("t", Compression::Lz4, 1.5), 1.5);
    // Other codecs and topics are separate.
    assert_eq!(est.estimation("t", Compression::Zstd), 1.0);
    assert_eq!(est.estimation("u", Compression::Lz4), 1.0);
    assert_eq!(est.update_estimation("t", Compression::Lz4, f32::NAN), 1.5);
    est.set_estimation("u", Compression::Gzip, 0.25);
    assert_eq!(est.estimation("u", Compression::Gzip), 0.25);
    est.reset_estimation("u");
    assert_eq!(est.estimation("u", Compression::Gzip), 1.0);
    est.remove_estimation("t");
    assert_eq!(est.estimation("t", Compression::Lz4), 1.0);
    // Shared between threads.
    let est = std::sync::Arc::new(est);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let est = est.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    est.update_estimation("x", Compression::Zstd, 0.1);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // 400 improvements of 0.005 from 1.0 would pass 0.1: the observed ratio is the floor.
    assert_eq!(est.estimation("x", Compression::Zstd), 0.1);
}

#[test]
fn estimated_size_matches_java_arithmetic() {
    assert_eq!(
        estimated_batch_size(Compression::Gzip, 10_000, 1.0),
        61 + 10_500
    );
    assert_eq!(estimated_batch_size(Compression::None, 10_000, 0.1), 10_061);
    assert_eq!(
        estimated_batch_size(Compression::Zstd, 16_384, 0.3),
        61 + (16_384f32 * 0.3f32 * 1.05f32) as usize
    );
    assert_eq!(
        estimated_batch_size(Compression::Zstd, usize::MAX, f32::INFINITY),
        usize::MAX
    );
}

#[test]
fn zstd_window_limit() {
    assert_eq!(zstd_window_log_max(0), 23);
    assert_eq!(zstd_window_log_max(1 << 20), 23);
    assert_eq!(zstd_window_log_max((16 << 20) + 1), 25);
    assert_eq!(zstd_window_log_max(DEFAULT_MAX_DECOMPRESSED_SIZE), 27);
    assert_eq!(zstd_window_log_max(usize::MAX), 27);
}
