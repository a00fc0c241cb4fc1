//! A Java `producer.properties` text (the loader's escapes and continuations, then every key's
//! parsing and validation, the Java-only keys' class-name checks and the cross-key rules): an
//! error or a config, never a panic. An accepted config survives `to_properties` and back.
#![no_main]

use kafka_producer::ProducerConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = ProducerConfig::from_properties_str(text) {
        let again = ProducerConfig::from_properties(config.to_properties())
            .expect("a config's own properties load again");
        assert_eq!(again, config, "to_properties round trip");
    }
});
