//! The OAUTHBEARER client given a server challenge (RFC 7628 error document): it answers
//! `%x01` or fails, never panics, never echoes the token.
#![no_main]

use kafka_producer::__fuzz::oauthbearer_server_challenge;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    oauthbearer_server_challenge(data);
});
