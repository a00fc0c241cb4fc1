//! Base64 (RFC 4648): the standard alphabet with padding (HTTP Basic auth) and the URL-safe one
//! without padding (JWTs), over the `base64` crate (which SCRAM uses too).

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{
    GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE_NO_PAD,
};

/// URL-safe, padding optional on input (as Java's URL decoder).
const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Standard alphabet, padded (Java `Base64.getEncoder()`).
pub(crate) fn encode_standard(input: &[u8]) -> String {
    STANDARD.encode(input)
}

/// URL-safe alphabet, no padding (Java `Base64.getUrlEncoder().withoutPadding()`).
pub(crate) fn encode_url_no_pad(input: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(input)
}

/// Decodes URL-safe base64, with or without padding (Java `Base64.getUrlDecoder()`); `None`
/// when the input is not valid base64url.
pub(crate) fn decode_url(input: &str) -> Option<Vec<u8>> {
    URL_SAFE_ANY_PADDING.decode(input).ok()
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
