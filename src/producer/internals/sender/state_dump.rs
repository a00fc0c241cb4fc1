//! The sender's state dump (`KafkaProducer::debug_state`).

use super::Sender;
use crate::cluster::TopicPartition;
use crate::network::kafka_client::KafkaClient;
use std::sync::atomic::Ordering;
use std::time::Instant;

impl<C: KafkaClient> Sender<C> {
    /// The state dump (`KafkaProducer::debug_state`): the producer id, then per partition
    /// with queued or in-flight batches the queue, the batches in flight and the sequence
    /// state, then per node the connection.
    pub(super) fn describe_state(&self, now: Instant) -> String {
        use std::collections::BTreeMap;
        use std::fmt::Write as _;
        let mut out = String::new();
        let running = self.control.running.load(Ordering::SeqCst);
        let _ = writeln!(
            out,
            "Kafka producer state (client.id {}): sender {}, {} produce request(s) in flight",
            self.client.client_id(),
            if running { "running" } else { "closing" },
            self.in_flight.len()
        );
        if let Some(tm) = &self.txn {
            let pe = tm.producer_id_and_epoch();
            let _ = writeln!(
                out,
                "  idempotence: producer id {}, epoch {}, InitProducerId {:?}, epoch bump pending: {}, fatal error: {}",
                pe.producer_id,
                pe.epoch,
                tm.init_state(),
                tm.epoch_bump_required(),
                tm.fatal_error()
                    .map_or_else(|| "none".to_string(), |e| e.to_string())
            );
            if let Some(t) = tm.transactional_state() {
                let _ = writeln!(
                    out,
                    "  transactions: {}{}",
                    t.lock().describe(),
                    match &self.txn_in_flight {
                        Some(r) => format!(", request out: {r}"),
                        None => String::new(),
                    }
                );
            }
        }
        let mut parts: BTreeMap<TopicPartition, Vec<String>> = BTreeMap::new();
        for (tp, line) in self.accumulator.describe_queues(now) {
            parts.entry(tp).or_default().push(line);
        }
        let mut sent: BTreeMap<TopicPartition, Vec<String>> = BTreeMap::new();
        for ((node, correlation_id), batches) in &self.in_flight {
            for b in batches {
                sent.entry(b.topic_partition().clone()).or_default().push(format!(
                    "{} record(s){} in request {correlation_id} to node {node}, {} attempt(s){}",
                    b.record_count(),
                    b.sequence()
                        .map_or(String::new(), |q| format!(" at sequence {}", q.base_sequence)),
                    b.attempts() + 1,
                    if b.is_done() { ", already failed" } else { "" }
                ));
            }
        }
        for (k, lines) in sent {
            parts
                .entry(k)
                .or_default()
                .push(format!("in flight: {}", lines.join("; ")));
        }
        if let Some(tm) = &self.txn {
            for tp in tm.partitions() {
                if parts.contains_key(&tp) || tm.has_in_flight_batches(&tp) {
                    let line = format!("sequences: {}", tm.describe_partition(&tp));
                    parts.entry(tp).or_default().push(line);
                }
            }
        }
        if parts.is_empty() {
            let _ = writeln!(out, "  no batch queued or in flight");
        }
        for (tp, lines) in parts {
            let _ = writeln!(out, "  partition {tp}: {}", lines.join("; "));
        }
        for line in self.client.describe_nodes(now) {
            let _ = writeln!(out, "  {line}");
        }
        out
    }
}
