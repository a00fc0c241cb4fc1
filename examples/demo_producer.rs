//! The demo of the design write-up: Integer keys, String values, records `(n, "Message_n")`,
//! sent synchronously (`--sync`) or with callbacks (`--async`).
//!
//! ```text
//! cargo run --example demo_producer -- --bootstrap 127.0.0.1:9092 --topic demo --messages 10 --sync
//! cargo run --example demo_producer -- --bootstrap 127.0.0.1:9092 --topic demo --messages 10 --async
//! ```
//! Without `--bootstrap`, `KAFKA_BOOTSTRAP` is used, else `localhost:9092`.
//!
//! `--config FILE` reads Java client properties (e.g. `security.protocol`, `sasl.*`, `ssl.*`,
//! `bootstrap.servers`), such as the files `scripts/kafka.sh start --security` writes into
//! `<dir>/security/clients/`. Precedence, lowest first: the defaults (`client.id=DemoProducer`,
//! the bootstrap of `KAFKA_BOOTSTRAP`/`localhost:9092`), then the file, then `--bootstrap`.
//!
//! ```text
//! cargo run --example demo_producer -- --config target/kafka-demo/security/clients/plaintext.properties --sync
//! ```

use kafka_producer::producer::serializer::{IntegerSerializer, StringSerializer};
use kafka_producer::{KafkaProducer, ProducerConfig, ProducerRecord};
use std::process::ExitCode;
use std::time::Instant;

struct Args {
    bootstrap: String,
    /// `--bootstrap` was given (it then wins over the file's `bootstrap.servers`).
    bootstrap_explicit: bool,
    config: Option<String>,
    topic: String,
    messages: i32,
    sync: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        bootstrap: std::env::var("KAFKA_BOOTSTRAP").unwrap_or_else(|_| "localhost:9092".into()),
        bootstrap_explicit: false,
        config: None,
        topic: "demo".into(),
        messages: 10,
        sync: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--sync" => args.sync = true,
            "--async" => args.sync = false,
            "--topic" => args.topic = it.next().ok_or("--topic needs a value")?,
            "--bootstrap" => {
                args.bootstrap = it.next().ok_or("--bootstrap needs a value")?;
                args.bootstrap_explicit = true;
            }
            "--config" => args.config = Some(it.next().ok_or("--config needs a file")?),
            "--messages" => {
                args.messages = it
                    .next()
                    .ok_or("--messages needs a value")?
                    .parse()
                    .map_err(|e| format!("--messages: {e}"))?;
                if args.messages < 0 {
                    return Err("--messages must be >= 0".into());
                }
            }
            "-h" | "--help" => {
                return Err("usage: demo_producer [--sync|--async] [--topic T] [--messages N] [--bootstrap HOST:PORT] [--config FILE.properties]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// The defaults, then `--config FILE` (parsed as `ProducerConfig::from_properties_file` does),
/// then an explicit `--bootstrap`; validated by `ProducerConfig::from_properties`.
fn build_config(args: &Args) -> Result<ProducerConfig, String> {
    let Some(path) = &args.config else {
        return ProducerConfig::builder()
            .bootstrap_servers(args.bootstrap.as_str())
            .client_id("DemoProducer")
            .build()
            .map_err(|e| e.to_string());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{path}: cannot read the properties file: {e}"))?;
    let file =
        kafka_producer::config::parse_properties(&text).map_err(|e| format!("{path}: {e}"))?;
    let mut props = vec![
        ("bootstrap.servers".to_string(), args.bootstrap.clone()),
        ("client.id".to_string(), "DemoProducer".to_string()),
    ];
    props.extend(file);
    if args.bootstrap_explicit {
        props.push(("bootstrap.servers".to_string(), args.bootstrap.clone()));
    }
    // (from_properties: the last value of a key wins.)
    ProducerConfig::from_properties(props).map_err(|e| format!("{path}: {e}"))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let config = match build_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let producer = match KafkaProducer::new(config, IntegerSerializer, StringSerializer) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot create the producer: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut failed = false;
    for n in 1..=args.messages {
        let message = format!("Message_{n}");
        let record = ProducerRecord::with_key_value(args.topic.as_str(), n, message.clone());
        if args.sync {
            match producer.send(record).get() {
                Ok(_) => println!("Sent message: ({n}, {message})"),
                Err(e) => {
                    eprintln!("Failed to send message ({n}, {message}): {e}");
                    failed = true;
                }
            }
        } else {
            let start = Instant::now();
            producer.send_with_callback(record, move |result| match result {
                Ok(md) => println!(
                    "message({n}, {message}) sent to partition({}), offset({}) in {} ms",
                    md.partition,
                    md.offset,
                    start.elapsed().as_millis()
                ),
                Err(e) => eprintln!("message({n}, {message}) failed: {e}"),
            });
        }
    }
    producer.close();
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
