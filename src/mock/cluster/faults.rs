//! Broker faults: dropping connections, taking a broker down, advertising another port.

use std::sync::atomic::Ordering;

use super::MockCluster;

impl MockCluster {
    /// Closes every open connection of a broker (clients reconnect).
    ///
    /// ```
    /// kafka_producer::mock::MockCluster::new(1).disconnect(0);
    /// ```
    pub fn disconnect(&self, broker: i32) {
        self.broker(broker)
            .generation
            .fetch_add(1, Ordering::SeqCst);
    }

    /// Takes a broker down (its connections close, new ones are closed at once, Metadata
    /// leaves it out) or brings it back up.
    ///
    /// ```
    /// let cluster = kafka_producer::mock::MockCluster::new(2);
    /// cluster.set_broker_down(1, true);
    /// cluster.set_broker_down(1, false);
    /// ```
    pub fn set_broker_down(&self, broker: i32, down: bool) {
        let b = self.broker(broker);
        b.down.store(down, Ordering::SeqCst);
        b.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The port Metadata responses give for `broker` (its own by default). Pointing it at
    /// another server (say, another cluster's broker) makes this one a bootstrap-only server.
    ///
    /// ```
    /// let a = kafka_producer::mock::MockCluster::new(1);
    /// let b = kafka_producer::mock::MockCluster::new(1);
    /// a.set_advertised_port(0, b.port(0));
    /// ```
    pub fn set_advertised_port(&self, broker: i32, port: u16) {
        self.broker(broker).advertised.store(port, Ordering::SeqCst);
    }
}
