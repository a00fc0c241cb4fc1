//! A `producer.properties` written for the Java client, loaded as it is with
//! `ProducerConfig::from_properties_file`, against the real broker: the Java-only keys
//! (serializer classes, interceptors, metrics reporters, `enable.metrics.push`, ...) are accepted
//! and ignored, and `client.dns.lookup` resolves the bootstrap servers.

mod support;

use kafka_producer::config::{Acks, ClientDnsLookup, CompressionType};
use kafka_producer::producer::serializer::StringSerializer;
use kafka_producer::{KafkaProducer, ProducerConfig, ProducerRecord};
use std::path::PathBuf;
use std::time::Duration;

/// Writes `text` to a properties file unique to this test run; removed on drop.
struct TempProperties(PathBuf);

impl TempProperties {
    fn new(name: &str, text: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "kafka-producer-{name}-{}.properties",
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap();
        TempProperties(path)
    }
}

impl Drop for TempProperties {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Sends `n` keyed records to a new topic with `config`, then reads them back with the Java
/// console consumer and checks every key and value.
fn send_and_read_back(config: ProducerConfig, prefix: &str, n: usize) {
    let topic = support::unique_topic(prefix);
    support::create_topic(&topic, 3, 1, &[]);
    let producer: KafkaProducer<String, String> =
        KafkaProducer::new(config, StringSerializer, StringSerializer).unwrap();
    let futures: Vec<_> = (0..n)
        .map(|i| {
            producer.send(
                ProducerRecord::new(topic.as_str(), format!("value-{i}"))
                    .with_key(format!("key-{i}")),
            )
        })
        .collect();
    for f in futures {
        f.get().unwrap();
    }
    producer.close();
    let read = support::consume(&topic, n, Duration::from_secs(60));
    assert_eq!(read.len(), n, "records read back from {topic}");
    let mut pairs: Vec<(String, String)> = read
        .iter()
        .map(|r| (r.key_str().unwrap(), r.value_str().unwrap()))
        .collect();
    pairs.sort();
    let mut expected: Vec<(String, String)> = (0..n)
        .map(|i| (format!("key-{i}"), format!("value-{i}")))
        .collect();
    expected.sort();
    assert_eq!(pairs, expected);
}

#[test]
fn java_producer_properties_load_as_they_are() {
    let bootstrap = support::bootstrap();
    // As a Java user writes it (comments, `key = value`, Java class names).
    let file = TempProperties::new(
        "java",
        &format!(
            "# producer.properties for the Java client\n\
             bootstrap.servers={bootstrap}\n\
             client.id=orders-service\n\
             key.serializer=org.apache.kafka.common.serialization.StringSerializer\n\
             value.serializer = org.apache.kafka.common.serialization.StringSerializer\n\
             interceptor.classes=com.acme.AuditInterceptor\n\
             metric.reporters=org.apache.kafka.common.metrics.JmxReporter\n\
             metrics.recording.level=INFO\n\
             metrics.num.samples=2\n\
             metrics.sample.window.ms=30000\n\
             client.dns.lookup=use_all_dns_ips\n\
             enable.metrics.push=true\n\
             acks=all\n\
             enable.idempotence=true\n\
             linger.ms=5\n\
             batch.size=32768\n\
             compression.type=lz4\n\
             max.block.ms=30000\n\
             delivery.timeout.ms=120000\n\
             security.protocol=PLAINTEXT\n\
             ssl.endpoint.identification.algorithm=https\n\
             transaction.two.phase.commit.enable=false\n\
             config.providers=\n"
        ),
    );
    let config = ProducerConfig::from_properties_file(&file.0).unwrap();
    assert_eq!(config.client_id(), "orders-service");
    assert_eq!(config.acks(), Acks::All);
    assert_eq!(config.compression_type(), CompressionType::Lz4);
    assert_eq!(config.linger(), Duration::from_millis(5));
    assert_eq!(config.client_dns_lookup(), ClientDnsLookup::UseAllDnsIps);
    // The ignored keys are still in the log and in to_properties.
    let shown = config.to_string();
    assert!(
        shown.contains("\n\tinterceptor.classes = com.acme.AuditInterceptor"),
        "{shown}"
    );
    assert!(shown.contains("\n\tenable.metrics.push = true"), "{shown}");
    assert!(config.to_properties().contains(&(
        "key.serializer".to_string(),
        "org.apache.kafka.common.serialization.StringSerializer".to_string()
    )));
    send_and_read_back(config, "java-props", 100);
}

#[test]
fn canonical_bootstrap_servers() {
    let bootstrap = support::bootstrap();
    let port = bootstrap
        .split(',')
        .next()
        .and_then(|s| s.rsplit_once(':'))
        .map(|(_, p)| p.to_string())
        .unwrap();
    // 127.0.0.1's canonical name is what the reverse lookup gives (localhost through
    // /etc/hosts here), or the address itself: either must reach the broker.
    let file = TempProperties::new(
        "canonical",
        &format!(
            "bootstrap.servers=127.0.0.1:{port}\n\
             client.dns.lookup=resolve_canonical_bootstrap_servers_only\n\
             key.serializer=org.apache.kafka.common.serialization.StringSerializer\n\
             value.serializer=org.apache.kafka.common.serialization.StringSerializer\n\
             max.block.ms=30000\n"
        ),
    );
    let config = ProducerConfig::from_properties_file(&file.0).unwrap();
    assert_eq!(
        config.client_dns_lookup(),
        ClientDnsLookup::ResolveCanonicalBootstrapServersOnly
    );
    send_and_read_back(config, "canonical", 20);
}

#[test]
fn unresolvable_first_bootstrap_server_is_skipped() {
    let bootstrap = support::bootstrap();
    let config = ProducerConfig::from_properties([
        (
            "bootstrap.servers",
            format!("no-such-host.invalid:9092,{bootstrap}"),
        ),
        ("max.block.ms", "30000".to_string()),
    ])
    .unwrap();
    send_and_read_back(config, "skip-unresolvable", 20);
}

#[test]
fn no_resolvable_bootstrap_server_fails_fast() {
    let config = ProducerConfig::from_properties([(
        "bootstrap.servers",
        "no-such-host.invalid:9092,also-not.invalid:9093",
    )])
    .unwrap();
    let started = std::time::Instant::now();
    let err = KafkaProducer::<String, String>::new(config, StringSerializer, StringSerializer)
        .err()
        .expect("no bootstrap server resolves");
    assert!(
        err.to_string()
            .contains("No resolvable bootstrap urls given in bootstrap.servers"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}
