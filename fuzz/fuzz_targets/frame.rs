//! `frame::try_frame` over a stream of frames, and the response header of each whole frame read
//! at every version of every API. The first input byte picks the maximum frame size.
#![no_main]

use kafka_producer::protocol::frame::{SIZE_PREFIX, try_frame};
use kafka_producer::protocol::{ApiKey, decode_response_header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, mut buf)) = data.split_first() else {
        return;
    };
    let max = match selector & 3 {
        0 => 0,
        1 => 64,
        2 => 1 << 20,
        _ => usize::MAX,
    };
    loop {
        let declared = (buf.len() >= SIZE_PREFIX)
            .then(|| i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]));
        match try_frame(buf, max) {
            Ok(Some(n)) => {
                let size = declared.expect("a whole frame has a size prefix");
                assert_eq!(size as usize + SIZE_PREFIX, n);
                assert!(n <= buf.len() && n - SIZE_PREFIX <= max);
                let payload = &buf[SIZE_PREFIX..n];
                for api in ApiKey::ALL {
                    let (lo, hi) = api.supported_versions();
                    for v in lo..=hi {
                        if let Ok((_, r)) = decode_response_header(api, v, payload) {
                            assert!(r.remaining() <= payload.len().saturating_sub(4));
                        }
                    }
                }
                buf = &buf[n..];
            }
            Ok(None) => {
                if let Some(size) = declared {
                    assert!(size >= 0 && size as usize > buf.len() - SIZE_PREFIX);
                }
                break;
            }
            Err(_) => {
                let size = declared.expect("errors need a size prefix");
                assert!(size < 0 || size as usize > max);
                break;
            }
        }
    }
});
