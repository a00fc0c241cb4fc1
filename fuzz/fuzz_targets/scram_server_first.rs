//! The SCRAM server-first message parser (`r=...,s=...,i=...`): never panics, and whatever it
//! accepts re-encodes to a message that parses to the same value. The input is also fed to a
//! whole SCRAM-SHA-256 client exchange (client nonce `fuzz`), up to a NUL byte, with what follows
//! the NUL as the server-final message.
#![no_main]

use kafka_producer::__fuzz::{scram_exchange, scram_parse_server_first};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    scram_parse_server_first(data);
    let (first, last) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    scram_exchange(false, first, last);
});
