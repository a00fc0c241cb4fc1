//! Transactions in a few lines: `--transactions N` transactions of `--records M` records each,
//! every third one aborted; prints what was committed. A `read_committed` consumer sees the
//! committed transactions only, each one whole.
//!
//! ```text
//! cargo run --example transactional_producer -- --bootstrap-server 127.0.0.1:9092 --topic demo \
//!     [--transactions 9] [--records 5] [--transactional-id demo-txn]
//! ```
//!
//! Read it back with `scripts/kafka.sh consume demo --isolation-level read_committed`.

use kafka_producer::producer::serializer::StringSerializer;
use kafka_producer::{Error, KafkaProducer, ProducerConfig, ProducerRecord};
use std::process::ExitCode;

struct Args {
    bootstrap: String,
    topic: String,
    transactional_id: String,
    transactions: usize,
    records: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        bootstrap: std::env::var("KAFKA_BOOTSTRAP").unwrap_or_else(|_| "localhost:9092".into()),
        topic: "transactions-demo".into(),
        transactional_id: "transactional-producer-demo".into(),
        transactions: 9,
        records: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--bootstrap-server" => args.bootstrap = value()?,
            "--topic" => args.topic = value()?,
            "--transactional-id" => args.transactional_id = value()?,
            "--transactions" => {
                args.transactions = value()?.parse().map_err(|e| format!("{flag}: {e}"))?
            }
            "--records" => args.records = value()?.parse().map_err(|e| format!("{flag}: {e}"))?,
            "-h" | "--help" => {
                return Err(
                    "usage: transactional_producer [--bootstrap-server HOST:PORT] [--topic T] \
                            [--transactional-id ID] [--transactions N] [--records M]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn run(args: &Args) -> Result<(), Error> {
    let config = ProducerConfig::builder()
        .bootstrap_servers(args.bootstrap.as_str())
        .transactional_id(args.transactional_id.as_str())
        .build()?;
    let producer = KafkaProducer::new(config, StringSerializer, StringSerializer)?;
    // Fences any earlier producer with this id and finishes what it left open.
    producer.init_transactions()?;
    let mut committed = Vec::new();
    for txn in 0..args.transactions {
        producer.begin_transaction()?;
        for rec in 0..args.records {
            let record = ProducerRecord::with_key_value(
                args.topic.as_str(),
                format!("key-{rec}"),
                format!("txn {txn} record {rec}"),
            );
            // No need to wait per record: commit_transaction waits for all of them.
            drop(producer.send(record));
        }
        if txn % 3 == 2 {
            producer.abort_transaction()?;
            println!("transaction {txn}: aborted");
            continue;
        }
        match producer.commit_transaction() {
            Ok(()) => {
                println!("transaction {txn}: committed {} records", args.records);
                committed.push(txn);
            }
            // A record failed: this transaction is lost, the producer goes on.
            Err(e) if e.is_abortable() => {
                println!("transaction {txn}: aborted after {e}");
                producer.abort_transaction()?;
            }
            // Fenced by a newer producer with the same id, or fatal: stop.
            Err(e) => return Err(e),
        }
    }
    producer.close();
    println!(
        "committed {} of {} transactions to {}: {committed:?}",
        committed.len(),
        args.transactions,
        args.topic
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
