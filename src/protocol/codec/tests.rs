//! Unit tests of the codec primitives: fixed-width integers, varints, strings, bytes, arrays,
//! UUIDs and tagged fields, with the errors of malformed input.

use super::*;

fn enc(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut v = Vec::new();
    f(&mut v);
    v
}

#[test]
fn fixed_width_integers_are_big_endian() {
    assert_eq!(enc(|b| b.put_i8(-2)), [0xfe]);
    assert_eq!(enc(|b| b.put_i16(0x0102)), [1, 2]);
    assert_eq!(enc(|b| b.put_i32(-1)), [0xff; 4]);
    assert_eq!(
        enc(|b| b.put_i64(0x0102030405060708)),
        [1, 2, 3, 4, 5, 6, 7, 8]
    );
    assert_eq!(enc(|b| b.put_u32(0xdeadbeef)), [0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(enc(|b| b.put_u16(0xbeef)), [0xbe, 0xef]);
    assert_eq!(enc(|b| b.put_bool(true)), [1]);
    let bytes = [
        0xfe, 1, 2, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 0xde, 0xad, 0xbe, 0xef, 0,
    ];
    let mut r = Reader::new(&bytes, "t");
    assert_eq!(r.i8("a").unwrap(), -2);
    assert_eq!(r.i16("b").unwrap(), 0x0102);
    assert_eq!(r.i32("c").unwrap(), -1);
    assert_eq!(r.i64("d").unwrap(), 0x0102030405060708);
    assert_eq!(r.u32("e").unwrap(), 0xdeadbeef);
    assert!(!r.bool("f").unwrap());
    r.finish("end").unwrap();
}

// Vectors from the protobuf / Kafka ByteUtils tests.
#[test]
fn unsigned_varint_vectors() {
    let cases: &[(u32, &[u8])] = &[
        (0, &[0x00]),
        (1, &[0x01]),
        (127, &[0x7f]),
        (128, &[0x80, 0x01]),
        (300, &[0xac, 0x02]),
        (16383, &[0xff, 0x7f]),
        (16384, &[0x80, 0x80, 0x01]),
        (u32::MAX, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
    ];
    for &(v, bytes) in cases {
        assert_eq!(enc(|b| b.put_uvarint(v)), bytes, "encode {v}");
        assert_eq!(uvarint_len(v), bytes.len());
        let mut r = Reader::new(bytes, "t");
        assert_eq!(r.uvarint("v").unwrap(), v);
        assert!(r.is_empty());
    }
}

#[test]
fn zigzag_varint_vectors() {
    let cases: &[(i32, &[u8])] = &[
        (0, &[0x00]),
        (-1, &[0x01]),
        (1, &[0x02]),
        (-2, &[0x03]),
        (63, &[0x7e]),
        (-64, &[0x7f]),
        (64, &[0x80, 0x01]),
        (i32::MAX, &[0xfe, 0xff, 0xff, 0xff, 0x0f]),
        (i32::MIN, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
    ];
    for &(v, bytes) in cases {
        assert_eq!(enc(|b| b.put_varint(v)), bytes, "encode {v}");
        assert_eq!(varint_len(v), bytes.len());
        assert_eq!(Reader::new(bytes, "t").varint("v").unwrap(), v);
    }
}

#[test]
fn zigzag_varlong_vectors() {
    let cases: &[(i64, &[u8])] = &[
        (0, &[0x00]),
        (-1, &[0x01]),
        (1, &[0x02]),
        (1_000_000, &[0x80, 0x89, 0x7a]),
        (
            i64::MAX,
            &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        ),
        (
            i64::MIN,
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        ),
    ];
    for &(v, bytes) in cases {
        assert_eq!(enc(|b| b.put_varlong(v)), bytes, "encode {v}");
        assert_eq!(varlong_len(v), bytes.len());
        assert_eq!(Reader::new(bytes, "t").varlong("v").unwrap(), v);
    }
}

#[test]
fn overlong_varints_are_errors() {
    let six = [0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
    let e = Reader::new(&six, "t").varint("v").unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::VarintTooLong);
    // Five bytes whose value needs more than 32 bits.
    let big = [0xff, 0xff, 0xff, 0xff, 0x7f];
    assert_eq!(
        Reader::new(&big, "t").uvarint("v").unwrap_err().kind,
        DecodeErrorKind::VarintTooLong
    );
    let eleven = [0xff; 11];
    assert_eq!(
        Reader::new(&eleven, "t").varlong("v").unwrap_err().kind,
        DecodeErrorKind::VarintTooLong
    );
    let truncated = [0x80];
    assert!(matches!(
        Reader::new(&truncated, "t").uvarint("v").unwrap_err().kind,
        DecodeErrorKind::UnexpectedEof { .. }
    ));
}

#[test]
fn strings_classic_and_compact() {
    assert_eq!(enc(|b| b.put_string("hi", false)), [0, 2, b'h', b'i']);
    assert_eq!(enc(|b| b.put_string("hi", true)), [3, b'h', b'i']);
    assert_eq!(enc(|b| b.put_nullable_string(None, false)), [0xff, 0xff]);
    assert_eq!(enc(|b| b.put_nullable_string(None, true)), [0]);
    assert_eq!(enc(|b| b.put_string("", true)), [1]);

    let mut r = Reader::new(&[0, 2, b'h', b'i', 0xff, 0xff, 3, b'h', b'i', 0, 1], "t");
    assert_eq!(r.string("a", false).unwrap(), "hi");
    assert_eq!(r.nullable_string("b", false).unwrap(), None);
    assert_eq!(r.str("c", true).unwrap(), "hi");
    assert_eq!(r.nullable_str("d", true).unwrap(), None);
    assert_eq!(r.str("e", true).unwrap(), "");
    r.finish("end").unwrap();
}

#[test]
fn string_errors_name_field_and_offset() {
    let e = Reader::new(&[0xff, 0xff], "Ctx")
        .string("name", false)
        .unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::UnexpectedNull);
    assert_eq!((e.context, e.field, e.offset), ("Ctx", "name", 0));

    let e = Reader::new(&[0xff, 0xfe], "Ctx")
        .string("name", false)
        .unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::InvalidLength(-2));

    let e = Reader::new(&[1, 2, 0, 9, b'a'], "Ctx");
    let mut r = e;
    r.i16("skip").unwrap();
    let e = r.string("name", false).unwrap_err();
    assert_eq!(e.offset, 4);
    assert_eq!(
        e.kind,
        DecodeErrorKind::UnexpectedEof {
            needed: 9,
            remaining: 1
        }
    );

    let e = Reader::new(&[0, 2, 0xc3, 0x28], "Ctx")
        .string("name", false)
        .unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::InvalidUtf8);
    assert!(e.to_string().contains("`name`"));
}

#[test]
fn bytes_classic_and_compact() {
    assert_eq!(enc(|b| b.put_bytes(&[7, 8], false)), [0, 0, 0, 2, 7, 8]);
    assert_eq!(enc(|b| b.put_bytes(&[7, 8], true)), [3, 7, 8]);
    assert_eq!(enc(|b| b.put_nullable_bytes(None, false)), [0xff; 4]);
    assert_eq!(enc(|b| b.put_nullable_bytes(None, true)), [0]);
    let mut r = Reader::new(&[0, 0, 0, 2, 7, 8, 0xff, 0xff, 0xff, 0xff, 3, 7, 8, 0], "t");
    assert_eq!(r.bytes("a", false).unwrap(), &[7, 8]);
    assert_eq!(r.nullable_bytes("b", false).unwrap(), None);
    assert_eq!(r.bytes("c", true).unwrap(), &[7, 8]);
    assert_eq!(r.nullable_bytes("d", true).unwrap(), None);
    r.finish("end").unwrap();
}

#[test]
fn arrays_and_lying_counts() {
    assert_eq!(enc(|b| b.put_array_len(2, false)), [0, 0, 0, 2]);
    assert_eq!(enc(|b| b.put_array_len(2, true)), [3]);
    let mut r = Reader::new(&[0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2], "t");
    assert_eq!(r.i32_array("ids", false).unwrap(), vec![1, 2]);
    let mut r = Reader::new(&[3, 0, 0, 0, 1, 0, 0, 0, 2], "t");
    assert_eq!(r.i32_array("ids", true).unwrap(), vec![1, 2]);

    // A count of 2^31-1 with 4 bytes present must fail before allocating.
    let e = Reader::new(&[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1], "t")
        .i32_array("ids", false)
        .unwrap_err();
    assert!(matches!(
        e.kind,
        DecodeErrorKind::LengthExceedsBuffer { .. }
    ));
    // Null where an array is required.
    let e = Reader::new(&[0], "t").i32_array("ids", true).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::UnexpectedNull);
    assert_eq!(
        Reader::new(&[0], "t")
            .nullable_array_len("ids", true, 4)
            .unwrap(),
        None
    );
}

#[test]
fn uuid_round_trip() {
    let u = Uuid::from_u64_pair(0x0011223344556677, 0x8899aabbccddeeff);
    let b = enc(|b| b.put_uuid(&u));
    assert_eq!(b.len(), 16);
    assert_eq!(Reader::new(&b, "t").uuid("id").unwrap(), u);
    assert_eq!(u.to_string(), "00112233-4455-6677-8899-aabbccddeeff");
}

#[test]
fn tagged_fields_known_unknown_and_order() {
    // Two fields: tag 0 = i32 7, tag 5 = 2 opaque bytes.
    let bytes = [2, 0, 4, 0, 0, 0, 7, 5, 2, 0xaa, 0xbb];
    let mut seen = Vec::new();
    let mut r = Reader::new(&bytes, "t");
    r.tagged_fields(|tag, sub| {
        if tag == 0 {
            seen.push(sub.i32("x")?);
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, vec![7]);
    r.finish("end").unwrap();

    let mut r = Reader::new(&bytes, "t");
    r.skip_tagged_fields().unwrap();
    assert!(r.is_empty());

    // Out of order tags.
    let bad = [2, 5, 0, 0, 0];
    let e = Reader::new(&bad, "t").skip_tagged_fields().unwrap_err();
    assert!(matches!(e.kind, DecodeErrorKind::InvalidValue(_)));
    // Size larger than the buffer.
    let bad = [1, 0, 100, 1];
    assert!(Reader::new(&bad, "t").skip_tagged_fields().is_err());
    // Count larger than the buffer.
    let bad = [0x7f];
    assert!(matches!(
        Reader::new(&bad, "t")
            .skip_tagged_fields()
            .unwrap_err()
            .kind,
        DecodeErrorKind::LengthExceedsBuffer { .. }
    ));
    assert_eq!(enc(|b| b.put_empty_tagged_fields()), [0]);
}

#[test]
fn sub_reader_keeps_absolute_offsets() {
    let bytes = [9, 9, 0, 1];
    let mut r = Reader::new(&bytes, "t");
    r.i16("skip").unwrap();
    let mut sub = r.sub_reader("inner", 2).unwrap();
    assert_eq!(sub.offset(), 2);
    let e = sub.i32("x").unwrap_err();
    assert_eq!(e.offset, 2);
}
