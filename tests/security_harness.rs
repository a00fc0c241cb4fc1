//! Smoke test of the secure test cluster (`scripts/kafka.sh start --security`) and of the
//! support helpers for it: `listeners.env`, the certificate files, the client properties files
//! and reading back over a secure listener with the Java console consumer. Skipped (passes
//! with a note) when `KAFKA_BOOTSTRAP` names a cluster and `KAFKA_SECURITY_DIR` is unset.

mod support;

use kafka_producer::producer::serializer::StringSerializer;
use kafka_producer::{KafkaProducer, ProducerConfig, ProducerRecord};
use std::time::Duration;

fn env_or_skip() -> Option<support::SecurityEnv> {
    let env = support::security_env();
    if env.is_none() {
        eprintln!("skipped: KAFKA_BOOTSTRAP is set and KAFKA_SECURITY_DIR is not");
    }
    env
}

#[test]
fn listeners_env_and_files_are_complete() {
    let Some(env) = env_or_skip() else { return };
    for bs in [
        &env.plaintext,
        &env.ssl,
        &env.mtls,
        &env.badhost,
        &env.sasl_plaintext,
        &env.sasl_ssl,
        &env.sasl_limited,
        &env.reauth,
    ] {
        assert!(bs.starts_with("127.0.0.1:"), "{bs}");
    }
    for f in [
        "ca.pem",
        "other-ca.pem",
        "client.pem",
        "client.key",
        "client-encrypted.key",
        "client-keystore.pem",
        "client.p12",
        "truststore.p12",
        "truststore.jks",
        "client.jks",
    ] {
        env.file(f);
    }
    let key = std::fs::read_to_string(env.file("client.key")).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "{key}");
    let key = std::fs::read_to_string(env.file("client-encrypted.key")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    for name in [
        "plaintext",
        "ssl",
        "mtls",
        "sasl-plain",
        "sasl-scram-256",
        "sasl-scram-512",
        "sasl-oauthbearer",
        "sasl-ssl-plain",
        "sasl-ssl-scram-256",
        "sasl-ssl-scram-512",
        "sasl-ssl-oauthbearer",
        "reauth-scram-256",
    ] {
        let text = std::fs::read_to_string(env.properties(name)).unwrap();
        assert!(
            text.contains("bootstrap.servers=127.0.0.1:"),
            "{name}: {text}"
        );
        assert!(text.contains("security.protocol="), "{name}: {text}");
    }
    assert_eq!(env.var("KAFKA_REAUTH_MS"), Some("10000"));
}

/// Our producer, configured from `clients/plaintext.properties`, writes; the Java consumer reads
/// the records back over SASL_SSL with SCRAM-SHA-512.
#[test]
fn produce_plaintext_read_back_over_sasl_ssl() {
    let Some(env) = env_or_skip() else { return };
    let topic = support::unique_topic("security-harness");
    support::create_topic_on(&env.plaintext, &topic, 1, 1, &[]);
    let config = ProducerConfig::from_properties_file(env.properties("plaintext")).unwrap();
    let producer = KafkaProducer::new(config, StringSerializer, StringSerializer).unwrap();
    for i in 0..3 {
        producer
            .send(ProducerRecord::with_key_value(
                topic.as_str(),
                format!("k{i}"),
                format!("v{i}"),
            ))
            .get()
            .unwrap();
    }
    producer.close();
    let records = support::consume_with_config(
        &env.sasl_ssl,
        &topic,
        3,
        Duration::from_secs(30),
        false,
        Some(&env.properties("sasl-ssl-scram-512")),
    );
    let values: Vec<String> = records.iter().map(|r| r.value_str().unwrap()).collect();
    assert_eq!(values, ["v0", "v1", "v2"]);
}
