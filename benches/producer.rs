//! The cost of the design, with the broker taken out:
//! - `append`: records/s into the `RecordAccumulator` with the sender idle (1 and 2 threads);
//! - `record_batch`: RecordBatch v2 encoding with CRC-32C (bytes/s);
//! - `crc32c` alone, and `murmur2` key hashing;
//! - `end_to_end`: `send` + `flush` through the whole producer (sender thread, sockets) into the
//!   in-process sink (`kafka_producer::mock::MockCluster::sink`), which answers every request
//!   at once.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kafka_producer::__bench::{AccumulatorConfig, BufferPool, RecordAccumulator};
use kafka_producer::cluster::{Cluster, Node, PartitionInfo};
use kafka_producer::producer::partitioner::murmur2;
use kafka_producer::protocol::record_batch::RecordBatchBuilder;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn cluster(partitions: i32) -> Cluster {
    Cluster::new(
        None,
        Some(1),
        [Node::new(1, "localhost", 9092)],
        (0..partitions).map(|p| PartitionInfo::new(Arc::from("bench"), p, Some(1))),
    )
}

fn accumulator() -> RecordAccumulator {
    let pool = Arc::new(BufferPool::new(64 << 20, 16 * 1024));
    RecordAccumulator::new(
        AccumulatorConfig {
            batch_size: 16 * 1024,
            linger: Duration::from_millis(5),
            retry_backoff: Duration::from_millis(100),
            retry_backoff_max: Duration::from_millis(1000),
            delivery_timeout: Duration::from_secs(120),
            adaptive_partitioning: true,
            partition_availability_timeout: Duration::ZERO,
            compression: kafka_producer::protocol::record_batch::Compression::None,
            compression_level: None,
        },
        pool,
    )
}

/// Appends `n` 100-byte records, then drains and frees every batch (as the sender would).
fn append_n(acc: &RecordAccumulator, cluster: &Cluster, n: usize, value: &[u8]) {
    for i in 0..n {
        let r = acc
            .append(
                "bench",
                None,
                i as i64,
                None,
                Some(value),
                &[],
                None,
                Duration::ZERO,
                cluster,
            )
            .map_err(|(e, _)| e)
            .unwrap();
        black_box(r.future);
    }
}

fn drain_all(acc: &RecordAccumulator, cluster: &Cluster) {
    acc.begin_flush();
    let nodes = [1].into_iter().collect();
    loop {
        let drained = acc.drain(cluster, &nodes, usize::MAX, Instant::now(), false, None);
        let batches: Vec<_> = drained.into_values().flatten().collect();
        if batches.is_empty() {
            break;
        }
        for mut b in batches {
            b.done(Ok(kafka_producer::__bench::BatchOutcome {
                base_offset: 0,
                log_append_time: -1,
            }));
            acc.deallocate(b);
        }
    }
    acc.await_flush_completion(Some(Instant::now()));
}

fn bench_append(c: &mut Criterion) {
    let cluster = cluster(6);
    let value = [b'x'; 100];
    let mut g = c.benchmark_group("append");
    const N: usize = 10_000;
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("1 thread, 100 B records", |b| {
        let acc = accumulator();
        b.iter(|| {
            append_n(&acc, &cluster, N, &value);
            drain_all(&acc, &cluster);
        })
    });
    g.bench_function("2 threads, 100 B records", |b| {
        let acc = Arc::new(accumulator());
        b.iter(|| {
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| append_n(&acc, &cluster, N / 2, &value));
                }
            });
            drain_all(&acc, &cluster);
        })
    });
    g.finish();
}

fn bench_record_batch(c: &mut Criterion) {
    let mut g = c.benchmark_group("record_batch");
    for size in [100usize, 1024] {
        let value = vec![b'v'; size];
        let records = (16 * 1024 / (size + 20)).max(1);
        g.throughput(Throughput::Bytes((records * size) as u64));
        g.bench_with_input(
            BenchmarkId::new("encode 16 KiB batch + crc", size),
            &size,
            |b, _| {
                let mut buf = Vec::with_capacity(32 * 1024);
                b.iter(|| {
                    buf.clear();
                    let mut builder = RecordBatchBuilder::new(std::mem::take(&mut buf), 16 * 1024);
                    for i in 0..records {
                        builder.append(
                            1_700_000_000_000 + i as i64,
                            Some(b"key"),
                            Some(&value),
                            &[],
                        );
                    }
                    black_box(builder.finish().len());
                    buf = builder.into_buffer();
                })
            },
        );
    }
    let data = vec![0xabu8; 1 << 20];
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("crc32c 1 MiB", |b| {
        b.iter(|| black_box(crc32c::crc32c(&data)))
    });
    g.finish();
}

fn bench_murmur2(c: &mut Criterion) {
    let key = b"customer-0000012345";
    let mut g = c.benchmark_group("murmur2");
    g.throughput(Throughput::Elements(1));
    g.bench_function("19-byte key", |b| {
        b.iter(|| black_box(murmur2(black_box(key))))
    });
    g.finish();
}

fn bench_end_to_end(c: &mut Criterion) {
    use kafka_producer::producer::serializer::ByteArraySerializer;
    use kafka_producer::{KafkaProducer, ProducerConfig, ProducerRecord};
    let sink = kafka_producer::mock::MockCluster::sink("e2e", 1);
    let bootstrap = sink.bootstrap_servers();
    let mut g = c.benchmark_group("end_to_end");
    const N: usize = 20_000;
    g.throughput(Throughput::Elements(N as u64));
    for acks in ["1", "all"] {
        let config = ProducerConfig::builder()
            .bootstrap_servers(bootstrap.as_str())
            .set("acks", acks)
            .build()
            .unwrap();
        let producer: KafkaProducer<Vec<u8>, Vec<u8>> =
            KafkaProducer::new(config, ByteArraySerializer, ByteArraySerializer).unwrap();
        let value = vec![b'x'; 100];
        g.bench_function(format!("100 B records, acks={acks}, into the sink"), |b| {
            b.iter(|| {
                for _ in 0..N {
                    producer.send_with_callback(ProducerRecord::new("e2e", value.clone()), |r| {
                        black_box(r.is_ok());
                    });
                }
                producer.flush().unwrap();
            })
        });
        producer.close();
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_append,
    bench_record_batch,
    bench_murmur2,
    bench_end_to_end
);
criterion_main!(benches);
