//! The SCRAM server-final message parser (`v=<signature>` or `e=<error>`, then extensions):
//! never panics, and whatever it accepts re-encodes to a message that parses to the same value.
#![no_main]

use kafka_producer::__fuzz::scram_parse_server_final;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    scram_parse_server_final(data);
});
