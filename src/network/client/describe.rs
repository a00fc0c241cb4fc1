//! The description of the connections for the state dump (`KafkaProducer::debug_state`).

use std::time::Instant;

use super::NetworkClient;

impl NetworkClient {
    /// One line per known node and connection, for the producer's state dump: connection
    /// state, requests in flight (and how long the oldest has waited), setup failures and
    /// reconnect backoff.
    pub(crate) fn describe_nodes(&self, now: Instant) -> Vec<String> {
        let mut ids: Vec<i32> = self
            .nodes
            .keys()
            .chain(self.connections.keys())
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .map(|id| {
                let state = self.nodes.get(&id);
                let name = if id < 0 {
                    format!("{id} (bootstrap)")
                } else {
                    id.to_string()
                };
                let mut line = match self.connections.get(&id) {
                    Some(c) => {
                        let oldest = c
                            .in_flight
                            .front()
                            .map(|r| now.saturating_duration_since(r.sent_at).as_millis());
                        format!(
                            "node {name} ({}): {:?}, {} request(s) in flight{}, {} unwritten",
                            c.addr,
                            c.state,
                            c.in_flight.len(),
                            oldest.map_or(String::new(), |ms| format!(" (oldest {ms} ms)")),
                            c.in_flight.iter().filter(|r| !r.written).count()
                        )
                    }
                    None => match state.and_then(|s| s.node.as_ref()) {
                        Some(n) => format!("node {name} ({}:{}): not connected", n.host, n.port),
                        None => format!("node {name}: not connected"),
                    },
                };
                if let Some(s) = state {
                    if s.failures > 0 {
                        line.push_str(&format!(", {} failed attempt(s)", s.failures));
                    }
                    if let Some(t) = s.backoff_until.filter(|t| *t > now) {
                        line.push_str(&format!(", reconnect backoff {} ms", (t - now).as_millis()));
                    }
                }
                if self.metadata_in_flight.is_some_and(|(n, _)| n == id) {
                    line.push_str(", metadata request in flight");
                }
                line
            })
            .collect()
    }
}
