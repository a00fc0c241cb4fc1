//! An OAUTHBEARER token endpoint's answer: the HTTP/1.1 response parser (status line, headers,
//! Content-Length or chunked body), the JSON token response and the access token's validation.
//! Never panics.
#![no_main]

use kafka_producer::__fuzz::oauthbearer_token_response;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    oauthbearer_token_response(data);
});
