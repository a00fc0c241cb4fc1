//! Base64 (RFC 4648): the standard alphabet with padding (HTTP Basic auth) and the URL-safe one
//! without padding (JWTs).

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode_with(input: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..4 {
            if i < chars {
                out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Standard alphabet, padded (Java `Base64.getEncoder()`).
pub(crate) fn encode_standard(input: &[u8]) -> String {
    encode_with(input, STANDARD, true)
}

/// URL-safe alphabet, no padding (Java `Base64.getUrlEncoder().withoutPadding()`).
pub(crate) fn encode_url_no_pad(input: &[u8]) -> String {
    encode_with(input, URL_SAFE, false)
}

/// Decodes URL-safe base64, with or without padding (Java `Base64.getUrlDecoder()`); `None`
/// when the input is not valid base64url.
pub(crate) fn decode_url(input: &str) -> Option<Vec<u8>> {
    let trimmed = input.trim_end_matches('=');
    if input.len() - trimmed.len() > 2 || trimmed.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in trimmed.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(encode_standard(b"alice:secret"), "YWxpY2U6c2VjcmV0");
        assert_eq!(encode_standard(b"a"), "YQ==");
        assert_eq!(encode_standard(b"ab"), "YWI=");
        assert_eq!(
            encode_url_no_pad(b"{\"alg\":\"none\"}"),
            "eyJhbGciOiJub25lIn0"
        );
        assert_eq!(encode_url_no_pad(&[0xfb, 0xff]), "-_8");
        for len in 0..20 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
            assert_eq!(
                decode_url(&encode_url_no_pad(&data)).as_deref(),
                Some(&data[..])
            );
        }
        assert_eq!(decode_url("YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(decode_url("Y"), None);
        assert_eq!(decode_url("a+b/"), None);
        assert_eq!(decode_url("YQ==="), None);
    }
}
