//! Unit tests of RecordBatch v2 encoding and decoding.

use super::*;

fn three_records() -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Vec::new(), 1024);
    b.append(1000, Some(b"k1"), Some(b"v1"), &[]);
    b.append(
        1002,
        None,
        Some(b"v2"),
        &[Header::new("a", b"1".to_vec()), Header::null("b")],
    );
    b.append(999, Some(b""), None, &[]);
    b.finish().to_vec()
}

#[test]
fn known_batch_bytes_and_crc() {
    let mut b = RecordBatchBuilder::new(Vec::new(), 1024);
    b.append(0x10, Some(b"k"), Some(b"v"), &[]);
    let bytes = b.finish().to_vec();
    #[rustfmt::skip]
    let mut expected: Vec<u8> = vec![
        0, 0, 0, 0, 0, 0, 0, 0,        // base offset
        0, 0, 0, 0x3a,                 // batch length: 70 - 12 = 58
        0xff, 0xff, 0xff, 0xff,        // partition leader epoch -1
        2,                             // magic
        0, 0, 0, 0,                    // crc (filled below)
        0, 0,                          // attributes
        0, 0, 0, 0,                    // last offset delta
        0, 0, 0, 0, 0, 0, 0, 0x10,     // base timestamp
        0, 0, 0, 0, 0, 0, 0, 0x10,     // max timestamp
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // producer id -1
        0xff, 0xff,                    // producer epoch -1
        0xff, 0xff, 0xff, 0xff,        // base sequence -1
        0, 0, 0, 1,                    // count
        // record: length 8 (zig-zag 16), attrs, ts delta 0, offset delta 0,
        // key len 1 (2), 'k', value len 1 (2), 'v', headers 0
        16, 0, 0, 0, 2, b'k', 2, b'v', 0,
    ];
    let crc = crc32c::crc32c(&expected[21..]);
    expected[17..21].copy_from_slice(&crc.to_be_bytes());
    assert_eq!(bytes.len(), 70);
    assert_eq!(bytes, expected);
    // The CRC-32C (Castagnoli) of the canonical check string.
    assert_eq!(crc32c::crc32c(b"123456789"), 0xe3069283);
}

#[test]
fn round_trip_with_headers_null_key_and_null_value() {
    let bytes = three_records();
    let batches = RecordBatch::decode_all(&bytes).unwrap();
    assert_eq!(batches.len(), 1);
    let batch = &batches[0];
    assert_eq!(batch.last_offset_delta, 2);
    assert_eq!(batch.base_timestamp, 1000);
    assert_eq!(batch.max_timestamp, 1002);
    assert_eq!(batch.compression(), Some(Compression::None));
    assert_eq!(batch.timestamp_type(), TimestampType::CreateTime);
    let r = &batch.records;
    assert_eq!(r[0].key.as_deref(), Some(&b"k1"[..]));
    assert_eq!(r[1].key, None);
    assert_eq!(
        r[1].headers,
        vec![Header::new("a", b"1".to_vec()), Header::null("b")]
    );
    assert_eq!(r[2].key.as_deref(), Some(&b""[..]));
    assert_eq!(r[2].value, None);
    assert_eq!(batch.timestamp_of(&r[2]), 999, "negative timestamp delta");
    assert_eq!(batch.offset_of(&r[2]), 2);
}

#[test]
fn sizes_match_what_is_written() {
    let mut b = RecordBatchBuilder::new(vec![0xaa; 3], 1 << 20);
    assert_eq!(b.size_in_bytes(), RECORD_BATCH_OVERHEAD);
    let headers = [Header::new("key", vec![1; 200])];
    for i in 0..300i64 {
        let before = b.size_in_bytes();
        let value = vec![7u8; (i * 3) as usize];
        let predicted =
            record_size_in_bytes(i as i32, i * 1000, Some(b"kk"), Some(&value), &headers);
        b.append(5 + i * 1000, Some(b"kk"), Some(&value), &headers);
        assert_eq!(b.size_in_bytes() - before, predicted, "record {i}");
    }
    let bytes = b.finish().to_vec();
    assert_eq!(
        RecordBatch::decode_all(&bytes).unwrap()[0].records.len(),
        300
    );
    // The upper bound holds for a single-record batch.
    let est = estimate_size_upper_bound(Some(b"kk"), Some(&[1; 100]), &headers);
    let mut one = RecordBatchBuilder::new(Vec::new(), 0);
    one.append(1, Some(b"kk"), Some(&[1; 100]), &headers);
    assert!(one.size_in_bytes() <= est);
    // The prefix the caller kept is untouched.
    assert_eq!(&b.into_buffer()[..3], &[0xaa; 3]);
}

#[test]
fn has_room_for_respects_the_write_limit() {
    let mut b = RecordBatchBuilder::new(Vec::new(), 110);
    assert!(
        b.has_room_for(0, None, Some(&[0; 500]), &[]),
        "first record always fits"
    );
    b.append(0, None, Some(&[0; 20]), &[]);
    assert!(b.has_room_for(0, None, Some(&[0; 10]), &[]));
    assert!(!b.has_room_for(0, None, Some(&[0; 20]), &[]));
}

#[test]
fn producer_state_and_refinish() {
    let mut b = RecordBatchBuilder::new(Vec::new(), 1024);
    b.append(1, None, Some(b"x"), &[]);
    b.finish();
    b.set_producer_state(ProducerState {
        producer_id: 77,
        producer_epoch: 3,
        base_sequence: 42,
        is_transactional: true,
    });
    let bytes = b.finish().to_vec();
    let batch = RecordBatch::decode_all(&bytes).unwrap().remove(0);
    assert_eq!(
        (batch.producer_id, batch.producer_epoch, batch.base_sequence),
        (77, 3, 42)
    );
    assert!(batch.is_transactional());
    assert!(!batch.is_control());
}

#[test]
fn crc_mismatch_is_detected() {
    let mut bytes = three_records();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let e = RecordBatch::decode_all(&bytes).unwrap_err();
    assert!(matches!(e.kind, DecodeErrorKind::CrcMismatch { .. }), "{e}");
    assert_eq!((e.field, e.offset), ("crc", 17));
}

#[test]
fn bad_magic_and_lengths() {
    let mut bytes = three_records();
    bytes[16] = 1;
    let e = RecordBatch::decode_all(&bytes).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::UnsupportedMagic(1));

    let mut bytes = three_records();
    bytes[8..12].copy_from_slice(&1_000_000i32.to_be_bytes());
    let e = RecordBatch::decode_all(&bytes).unwrap_err();
    assert!(
        matches!(e.kind, DecodeErrorKind::UnexpectedEof { .. }),
        "{e}"
    );

    let mut bytes = three_records();
    bytes[8..12].copy_from_slice(&(-5i32).to_be_bytes());
    assert!(matches!(
        RecordBatch::decode_all(&bytes).unwrap_err().kind,
        DecodeErrorKind::InvalidLength(-5)
    ));
}

/// Rewrites a batch's CRC after tampering so that the decoder gets past the CRC check.
fn fix_crc(bytes: &mut [u8]) {
    let crc = crc32c::crc32c(&bytes[21..]);
    bytes[17..21].copy_from_slice(&crc.to_be_bytes());
}

#[test]
fn lying_record_count_does_not_allocate() {
    let mut bytes = three_records();
    bytes[57..61].copy_from_slice(&i32::MAX.to_be_bytes());
    fix_crc(&mut bytes);
    let e = RecordBatch::decode_all(&bytes).unwrap_err();
    assert!(
        matches!(e.kind, DecodeErrorKind::LengthExceedsBuffer { .. }),
        "{e}"
    );
    assert_eq!(e.field, "records_count");
}

const CODECS: [Compression; 4] = [
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];

/// Records with null keys and values, headers (one with a null value), 1-byte, empty and
/// 100 KiB values, and a negative timestamp delta.
fn varied_builder(prefix: &[u8]) -> RecordBatchBuilder {
    let mut b = RecordBatchBuilder::new(prefix.to_vec(), 1 << 20);
    let big: Vec<u8> = (0..100 * 1024u32)
        .map(|i| b"{\"id\":12345,\"name\":\"abc\"}"[(i % 25) as usize] ^ (i % 7 == 0) as u8)
        .collect();
    b.append(1_000, Some(b"k1"), Some(b"v"), &[]);
    b.append(
        1_002,
        None,
        Some(b"x"),
        &[Header::new("a", b"1".to_vec()), Header::null("b")],
    );
    b.append(999, Some(b""), None, &[]);
    b.append(
        1_010,
        Some(b"big"),
        Some(&big),
        &[Header::new("h", big[..50].to_vec())],
    );
    for i in 0..200i64 {
        let v = format!(r#"{{"seq":{i},"user":"user-{}","ok":true}}"#, i % 13);
        b.append(1_100 + i, Some(&i.to_be_bytes()), Some(v.as_bytes()), &[]);
    }
    b
}

#[test]
fn every_codec_round_trips_through_the_builder() {
    let plain = varied_builder(&[]).finish().to_vec();
    let expected = RecordBatch::decode_all(&plain).unwrap().remove(0);
    let mut scratch = Vec::new();
    for codec in CODECS {
        let mut b = varied_builder(&[0xaa; 5]);
        b.set_compression(codec, 1.0);
        let uncompressed = b.uncompressed_records_size();
        assert_eq!(uncompressed, plain.len() - RECORD_BATCH_OVERHEAD);
        let bytes = b.finish_compressed(None, &mut scratch).unwrap().to_vec();
        assert!(bytes.len() < plain.len() / 2, "{codec}: {}", bytes.len());
        assert!(b.is_compressed());
        assert_eq!(b.uncompressed_records_size(), uncompressed);
        assert_eq!(b.size_in_bytes(), bytes.len());
        assert_eq!(b.estimated_size_in_bytes(), bytes.len());
        let ratio = (bytes.len() - RECORD_BATCH_OVERHEAD) as f32 / uncompressed as f32;
        assert_eq!(b.compression_ratio(), ratio);
        // Header: codec bits, length and CRC over the compressed bytes.
        assert_eq!(i16::from_be_bytes([bytes[21], bytes[22]]), codec as i16);
        assert_eq!(
            i32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize,
            bytes.len() - LOG_OVERHEAD
        );
        assert_eq!(
            &bytes[..61][23..61],
            &plain[23..61],
            "{codec}: other fields"
        );
        let batch = RecordBatch::decode_all(&bytes).unwrap().remove(0);
        assert_eq!(batch.compression(), Some(codec));
        assert_eq!(batch.records, expected.records, "{codec}");
        assert_eq!(
            (
                batch.last_offset_delta,
                batch.base_timestamp,
                batch.max_timestamp
            ),
            (expected.last_offset_delta, 1_000, 1_299)
        );
        // The caller's prefix is untouched.
        assert_eq!(&b.into_buffer()[..5], &[0xaa; 5]);
    }
}

#[test]
fn compressed_batches_keep_their_buffer_and_take_producer_state() {
    let mut b = varied_builder(&[]);
    b.set_compression(Compression::Zstd, 0.5);
    let ptr = b.bytes().as_ptr();
    let mut scratch = Vec::new();
    b.finish_compressed(Some(10), &mut scratch).unwrap();
    assert_eq!(
        b.bytes().as_ptr(),
        ptr,
        "compressed in place, same allocation"
    );
    // Closed for appends.
    assert!(!b.has_room_for(0, None, Some(b"x"), &[]));
    let count = b.record_count();
    assert_eq!(b.append(5_000, None, Some(b"late"), &[]), -1);
    assert_eq!(b.record_count(), count);
    // Producer state after compression: through the builder...
    let state = ProducerState {
        producer_id: 77,
        producer_epoch: 3,
        base_sequence: 42,
        is_transactional: true,
    };
    b.set_producer_state(state);
    let bytes = b.finish().to_vec();
    let batch = RecordBatch::decode_all(&bytes).unwrap().remove(0);
    assert_eq!(batch.compression(), Some(Compression::Zstd));
    assert_eq!(
        (batch.producer_id, batch.producer_epoch, batch.base_sequence),
        (77, 3, 42)
    );
    assert!(batch.is_transactional());
    // ...and on the bytes.
    let mut bytes = bytes;
    rewrite_producer_state(
        &mut bytes,
        ProducerState {
            base_sequence: 7,
            is_transactional: false,
            ..state
        },
    );
    let batch2 = RecordBatch::decode_all(&bytes).unwrap().remove(0);
    assert_eq!(
        (batch2.base_sequence, batch2.is_transactional()),
        (7, false)
    );
    assert_eq!(batch2.compression(), Some(Compression::Zstd));
    assert_eq!(batch2.records, batch.records);
    // A second finish_compressed only finishes again.
    let again = b.finish_compressed(None, &mut scratch).unwrap().to_vec();
    let batch3 = RecordBatch::decode_all(&again).unwrap().remove(0);
    assert_eq!(batch3.records, batch.records);
}

#[test]
fn finish_compressed_without_codec_or_with_a_bad_level() {
    let mut b = varied_builder(&[]);
    let plain = b.finish().to_vec();
    assert_eq!(
        b.finish_compressed(None, &mut Vec::new()).unwrap(),
        &plain[..]
    );
    assert!(!b.is_compressed());
    assert_eq!(b.compression_ratio(), 1.0);

    let mut b = varied_builder(&[]);
    b.set_compression(Compression::Gzip, 1.0);
    let e = b.finish_compressed(Some(42), &mut Vec::new()).unwrap_err();
    assert!(matches!(
        e,
        CompressionError::InvalidLevel { level: 42, .. }
    ));
    // Nothing changed: still open and uncompressed.
    assert!(!b.is_compressed());
    assert_eq!(b.finish(), &plain[..]);
    assert!(b.has_room_for(0, None, Some(b"x"), &[]));
}

#[test]
fn has_room_for_uses_the_estimated_compressed_size() {
    let value = [b'a'; 100];
    let fill = |codec, ratio| {
        let mut b = RecordBatchBuilder::new(Vec::new(), 10_000);
        b.set_compression(codec, ratio);
        while b.has_room_for(0, None, Some(&value), &[]) {
            b.append(0, None, Some(&value), &[]);
        }
        b
    };
    let none = fill(Compression::None, 0.5);
    let lz4_1 = fill(Compression::Lz4, 1.0);
    let lz4_half = fill(Compression::Lz4, 0.5);
    // Without compression the ratio is ignored; at ratio 1.0 the 5% margin costs records;
    // at 0.5 about twice as many fit.
    assert!(none.size_in_bytes() <= 10_000);
    assert!(lz4_1.record_count() < none.record_count());
    assert!(lz4_1.estimated_size_in_bytes() <= 10_000);
    assert!(lz4_half.record_count() > none.record_count() * 18 / 10);
    let est = lz4_half.estimated_size_in_bytes();
    assert_eq!(
        est,
        61 + (lz4_half.uncompressed_records_size() as f32 * 0.5 * 1.05) as usize
    );
    assert!(est <= 10_000 && est > 9_000, "{est}");
}

#[test]
fn compressed_garbage_is_an_error() {
    for codec in CODECS {
        let mut bytes = three_records();
        bytes[22] |= codec as u8;
        fix_crc(&mut bytes);
        let e = RecordBatch::decode_all(&bytes).unwrap_err();
        assert!(
            matches!(e.kind, DecodeErrorKind::InvalidValue(_)),
            "{codec}: {e}"
        );
    }
    for bits in 5..=7 {
        let mut bytes = three_records();
        bytes[22] |= bits;
        fix_crc(&mut bytes);
        let e = RecordBatch::decode_all(&bytes).unwrap_err();
        assert_eq!(e.field, "attributes");
        assert!(e.to_string().contains("unknown compression codec"), "{e}");
    }
}

#[test]
fn compressed_batches_survive_tampering() {
    let mut scratch = Vec::new();
    for codec in CODECS {
        let mut b = varied_builder(&[]);
        b.set_compression(codec, 1.0);
        let bytes = b.finish_compressed(None, &mut scratch).unwrap().to_vec();
        for n in (0..bytes.len()).step_by(37) {
            assert!(RecordBatch::decode_all(&bytes[..n]).is_err() || n == 0);
        }
        // Flipped bits in the compressed records, CRC fixed: an error or other records.
        let mut x: u32 = 99;
        for _ in 0..200 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let mut bad = bytes.clone();
            let at = RECORD_BATCH_OVERHEAD + (x as usize >> 4) % (bad.len() - 61);
            bad[at] ^= 1 << (x % 8);
            fix_crc(&mut bad);
            let _ = RecordBatch::decode_all(&bad);
        }
        // A count that disagrees with the records.
        for (count, field) in [(205i32, "record_length"), (203, "records")] {
            let mut bad = bytes.clone();
            bad[57..61].copy_from_slice(&count.to_be_bytes());
            fix_crc(&mut bad);
            let e = RecordBatch::decode_all(&bad).unwrap_err();
            assert_eq!(e.context, "RecordBatch records (decompressed)", "{e}");
            assert!(e.field == field || e.field == "records_count", "{e}");
        }
    }
}

#[test]
fn decompression_bombs_hit_the_limit() {
    let mut scratch = Vec::new();
    for codec in CODECS {
        let mut b = RecordBatchBuilder::new(Vec::new(), usize::MAX);
        b.set_compression(codec, 1.0);
        b.append(0, None, Some(&vec![0u8; 4 << 20]), &[]);
        let bomb = b.finish_compressed(None, &mut scratch).unwrap().to_vec();
        assert!(bomb.len() < 250_000, "{codec}: {}", bomb.len());
        let e = RecordBatch::decode_all_with_limit(&bomb, 1 << 20).unwrap_err();
        assert_eq!((e.field, e.offset), ("records", 61), "{codec}: {e}");
        assert_eq!(
            e.kind,
            DecodeErrorKind::InvalidValue(
                "decompressed records exceed the decompressed size limit"
            )
        );
        assert_eq!(RecordBatch::decode_all(&bomb).unwrap()[0].records.len(), 1);
        // The limit is shared by the batches of one buffer.
        let two = [&bomb[..], &bomb[..]].concat();
        assert!(RecordBatch::decode_all_with_limit(&two, 9 << 20).is_ok());
        assert!(RecordBatch::decode_all_with_limit(&two, 8 << 20).is_err());
        // decode_with_limit caps one batch.
        let mut r = Reader::new(&two, "test");
        assert!(RecordBatch::decode_with_limit(&mut r, 5 << 20).is_ok());
        assert!(RecordBatch::decode_with_limit(&mut r, 4 << 20).is_err());
    }
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = three_records();
    for n in 0..bytes.len() {
        assert!(
            RecordBatch::decode_all(&bytes[..n]).is_err() || n == 0,
            "prefix {n}"
        );
    }
}

#[test]
fn thousand_records_round_trip() {
    let mut b = RecordBatchBuilder::new(Vec::new(), usize::MAX);
    for i in 0..1000u32 {
        let key = i.to_be_bytes();
        b.append(
            i64::from(i),
            (i % 3 != 0).then_some(&key[..]),
            Some(&[i as u8; 10]),
            &[],
        );
    }
    let bytes = b.finish().to_vec();
    let batch = RecordBatch::decode_all(&bytes).unwrap().remove(0);
    assert_eq!(batch.records.len(), 1000);
    assert_eq!(batch.last_offset_delta, 999);
    assert_eq!(batch.records[3].key, None);
    assert_eq!(
        batch.records[4].key.as_deref(),
        Some(&4u32.to_be_bytes()[..])
    );
}
