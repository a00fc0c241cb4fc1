//! `Cluster`: an immutable snapshot of the brokers, topics and partition leaders, as the Java
//! client's `org.apache.kafka.common.Cluster`. A new snapshot replaces the old one on every
//! metadata update; readers hold an `Arc<Cluster>` and never lock.

use crate::protocol::messages::MetadataResponse;
use crate::protocol::{ErrorCode, Uuid};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::fmt;
use std::sync::Arc;

/// A topic and a partition index.
///
/// ```
/// use kafka_producer::TopicPartition;
/// let tp = TopicPartition::new("orders", 3);
/// assert_eq!(tp.to_string(), "orders-3");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: Arc<str>,
    /// Partition index.
    pub partition: i32,
}

impl TopicPartition {
    /// A topic-partition.
    pub fn new(topic: impl Into<Arc<str>>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// A broker.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Node {
    /// Broker id; bootstrap addresses get negative ids until metadata names them.
    pub id: i32,
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Rack, if any.
    pub rack: Option<String>,
}

impl Node {
    /// A broker without a rack.
    ///
    /// ```
    /// use kafka_producer::Node;
    /// let n = Node::new(1, "localhost", 9092).with_rack("r1");
    /// assert_eq!(n.address(), "localhost:9092");
    /// assert_eq!(n.rack.as_deref(), Some("r1"));
    /// ```
    pub fn new(id: i32, host: impl Into<String>, port: u16) -> Self {
        Node {
            id,
            host: host.into(),
            port,
            rack: None,
        }
    }

    /// The same broker in `rack`.
    pub fn with_rack(mut self, rack: impl Into<String>) -> Self {
        self.rack = Some(rack.into());
        self
    }

    /// `host:port`.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (id: {})", self.address(), self.id)
    }
}

/// What the cluster knows of one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartitionInfo {
    /// Topic name.
    pub topic: Arc<str>,
    /// Partition index.
    pub partition: i32,
    /// Leader id, `None` when there is no leader right now.
    pub leader: Option<i32>,
    /// Leader epoch, -1 when unknown.
    pub leader_epoch: i32,
    /// All replicas.
    pub replicas: Vec<i32>,
    /// In-sync replicas.
    pub in_sync_replicas: Vec<i32>,
    /// Offline replicas.
    pub offline_replicas: Vec<i32>,
}

impl PartitionInfo {
    /// A partition whose only replica (in sync) is its leader, or which has no leader.
    ///
    /// ```
    /// use kafka_producer::PartitionInfo;
    /// let p = PartitionInfo::new("orders", 3, Some(1));
    /// assert_eq!((p.partition, p.leader, p.replicas.clone()), (3, Some(1), vec![1]));
    /// ```
    pub fn new(topic: impl Into<Arc<str>>, partition: i32, leader: Option<i32>) -> Self {
        let replicas: Vec<i32> = leader.into_iter().collect();
        PartitionInfo {
            topic: topic.into(),
            partition,
            leader,
            leader_epoch: -1,
            replicas: replicas.clone(),
            in_sync_replicas: replicas,
            offline_replicas: Vec::new(),
        }
    }
}

/// A snapshot of the cluster.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    cluster_id: Option<String>,
    controller: Option<i32>,
    nodes: HashMap<i32, Node>,
    partitions: HashMap<TopicPartition, PartitionInfo>,
    partitions_by_topic: HashMap<Arc<str>, Arc<[PartitionInfo]>>,
    available_by_topic: HashMap<Arc<str>, Arc<[PartitionInfo]>>,
    partitions_by_node: HashMap<i32, Vec<TopicPartition>>,
    topic_ids: HashMap<Arc<str>, Uuid>,
    topic_errors: HashMap<Arc<str>, ErrorCode>,
    unauthorized_topics: HashSet<Arc<str>>,
    internal_topics: HashSet<Arc<str>>,
    is_bootstrap: bool,
    /// Whether some partition has no leader, or a leader missing from `nodes`.
    has_leaderless_partitions: bool,
}

impl Cluster {
    /// The cluster as known before any metadata arrives: the bootstrap servers as nodes with
    /// ids -1, -2, ... and no topics.
    pub fn bootstrap(addresses: &[(String, u16)]) -> Self {
        let nodes = addresses
            .iter()
            .enumerate()
            .map(|(i, (host, port))| {
                let id = -1 - i as i32;
                (
                    id,
                    Node {
                        id,
                        host: host.clone(),
                        port: *port,
                        rack: None,
                    },
                )
            })
            .collect();
        Cluster {
            nodes,
            is_bootstrap: true,
            ..Default::default()
        }
    }

    /// The snapshot after a rebootstrap: the brokers are the bootstrap servers again (until
    /// metadata arrives), while the topics' partitions stay known without a reachable leader,
    /// so that `send` keeps buffering (bounded by `buffer.memory` and `delivery.timeout.ms`)
    /// instead of waiting for the partition count.
    pub fn rebootstrapped(&self, addresses: &[(String, u16)]) -> Self {
        let partitions = self.partitions.values().map(|p| PartitionInfo {
            leader: None,
            ..p.clone()
        });
        let mut c = Cluster::new(None, None, Vec::new(), partitions);
        c.nodes = Cluster::bootstrap(addresses).nodes;
        c.topic_ids = self.topic_ids.clone();
        c.is_bootstrap = true;
        c
    }

    /// The snapshot with new leaders for some partitions (KIP-951 hints in Produce responses,
    /// Java `Metadata.updatePartitionLeadership`): a partition takes `(leader, epoch)` only
    /// when the epoch is newer than the one known and the leader is a known node or one of
    /// `endpoints`. Returns `None` when nothing changes.
    pub(crate) fn with_leaders(
        &self,
        leaders: &[(TopicPartition, i32, i32)],
        endpoints: &[Node],
    ) -> Option<Self> {
        let mut nodes = self.nodes.clone();
        for n in endpoints {
            nodes.entry(n.id).or_insert_with(|| n.clone());
        }
        let mut partitions = self.partitions.clone();
        let mut changed = false;
        for (tp, leader, epoch) in leaders {
            let Some(p) = partitions.get_mut(tp) else {
                continue;
            };
            if *epoch > p.leader_epoch && nodes.contains_key(leader) {
                p.leader = Some(*leader);
                p.leader_epoch = *epoch;
                changed = true;
            }
        }
        if !changed {
            return None;
        }
        let mut c = Cluster::new(
            self.cluster_id.clone(),
            self.controller,
            nodes.into_values(),
            partitions.into_values(),
        );
        c.topic_ids = self.topic_ids.clone();
        c.topic_errors = self.topic_errors.clone();
        c.unauthorized_topics = self.unauthorized_topics.clone();
        c.internal_topics = self.internal_topics.clone();
        c.is_bootstrap = self.is_bootstrap;
        Some(c)
    }

    /// Builds a snapshot from nodes and partitions (tests and the metadata update use this).
    pub fn new(
        cluster_id: Option<String>,
        controller: Option<i32>,
        nodes: impl IntoIterator<Item = Node>,
        partitions: impl IntoIterator<Item = PartitionInfo>,
    ) -> Self {
        let nodes: HashMap<i32, Node> = nodes.into_iter().map(|n| (n.id, n)).collect();
        let mut by_topic: HashMap<Arc<str>, Vec<PartitionInfo>> = HashMap::default();
        let mut by_tp = HashMap::default();
        let mut by_node: HashMap<i32, Vec<TopicPartition>> = HashMap::default();
        let mut has_leaderless_partitions = false;
        for p in partitions {
            has_leaderless_partitions |= !p.leader.is_some_and(|l| nodes.contains_key(&l));
            let tp = TopicPartition::new(p.topic.clone(), p.partition);
            if let Some(leader) = p.leader {
                by_node.entry(leader).or_default().push(tp.clone());
            }
            by_topic.entry(p.topic.clone()).or_default().push(p.clone());
            by_tp.insert(tp, p);
        }
        let mut partitions_by_topic = HashMap::default();
        let mut available_by_topic = HashMap::default();
        for (topic, mut parts) in by_topic {
            parts.sort_by_key(|p| p.partition);
            let available: Vec<PartitionInfo> = parts
                .iter()
                .filter(|p| p.leader.is_some_and(|l| nodes.contains_key(&l)))
                .cloned()
                .collect();
            available_by_topic.insert(topic.clone(), Arc::from(available));
            partitions_by_topic.insert(topic, Arc::from(parts));
        }
        Cluster {
            cluster_id,
            controller,
            nodes,
            partitions: by_tp,
            partitions_by_topic,
            available_by_topic,
            partitions_by_node: by_node,
            has_leaderless_partitions,
            ..Default::default()
        }
    }

    /// Builds a snapshot from a Metadata response.
    pub fn from_metadata_response(resp: &MetadataResponse) -> Self {
        let nodes = resp.brokers.iter().filter_map(|b| {
            Some(Node {
                id: b.node_id,
                host: b.host.clone(),
                port: u16::try_from(b.port).ok()?,
                rack: b.rack.clone(),
            })
        });
        let mut partitions = Vec::new();
        let mut topic_ids = HashMap::default();
        let mut topic_errors = HashMap::default();
        let mut unauthorized = HashSet::default();
        let mut internal = HashSet::default();
        for t in &resp.topics {
            let Some(name) = &t.name else { continue };
            let topic: Arc<str> = Arc::from(name.as_str());
            if !t.error_code.is_ok() {
                if t.error_code == ErrorCode::TOPIC_AUTHORIZATION_FAILED {
                    unauthorized.insert(topic.clone());
                }
                topic_errors.insert(topic, t.error_code);
                continue;
            }
            if t.is_internal {
                internal.insert(topic.clone());
            }
            topic_ids.insert(topic.clone(), t.topic_id);
            for p in &t.partitions {
                partitions.push(PartitionInfo {
                    topic: topic.clone(),
                    partition: p.partition_index,
                    leader: (p.leader_id >= 0).then_some(p.leader_id),
                    leader_epoch: p.leader_epoch,
                    replicas: p.replica_nodes.clone(),
                    in_sync_replicas: p.isr_nodes.clone(),
                    offline_replicas: p.offline_replicas.clone(),
                });
            }
        }
        let controller = (resp.controller_id >= 0).then_some(resp.controller_id);
        let mut c = Cluster::new(resp.cluster_id.clone(), controller, nodes, partitions);
        c.topic_ids = topic_ids;
        c.topic_errors = topic_errors;
        c.unauthorized_topics = unauthorized;
        c.internal_topics = internal;
        c
    }

    /// True for the pre-metadata bootstrap snapshot.
    pub fn is_bootstrap(&self) -> bool {
        self.is_bootstrap
    }

    /// The cluster id.
    pub fn cluster_id(&self) -> Option<&str> {
        self.cluster_id.as_deref()
    }

    /// The controller's id.
    pub fn controller(&self) -> Option<i32> {
        self.controller
    }

    /// Every known broker.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    /// A broker by id.
    pub fn node_by_id(&self, id: i32) -> Option<&Node> {
        self.nodes.get(&id)
    }

    /// The partition's metadata.
    pub fn partition(&self, tp: &TopicPartition) -> Option<&PartitionInfo> {
        self.partitions.get(tp)
    }

    /// The partition's leader, if it has one that is a known broker.
    pub fn leader_for(&self, tp: &TopicPartition) -> Option<&Node> {
        self.partitions
            .get(tp)
            .and_then(|p| p.leader)
            .and_then(|id| self.nodes.get(&id))
    }

    /// Every partition of the topic, sorted by index (empty when unknown).
    pub fn partitions_for_topic(&self, topic: &str) -> &[PartitionInfo] {
        self.partitions_by_topic
            .get(topic)
            .map(|p| &p[..])
            .unwrap_or(&[])
    }

    /// The partitions of the topic that have a live leader.
    pub fn available_partitions_for_topic(&self, topic: &str) -> &[PartitionInfo] {
        self.available_by_topic
            .get(topic)
            .map(|p| &p[..])
            .unwrap_or(&[])
    }

    /// The topic's partition count, `None` when the topic is unknown.
    pub fn partition_count_for_topic(&self, topic: &str) -> Option<usize> {
        self.partitions_by_topic.get(topic).map(|p| p.len())
    }

    /// The partitions whose leader is this broker.
    pub fn partitions_for_node(&self, node: i32) -> &[TopicPartition] {
        self.partitions_by_node
            .get(&node)
            .map(|v| &v[..])
            .unwrap_or(&[])
    }

    /// The brokers that lead at least one partition.
    pub(crate) fn leaders(&self) -> impl Iterator<Item = i32> + '_ {
        self.partitions_by_node.keys().copied()
    }

    /// Whether some partition has no leader, or one that is not among the nodes.
    pub(crate) fn has_leaderless_partitions(&self) -> bool {
        self.has_leaderless_partitions
    }

    /// Every topic with partitions in this snapshot.
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.partitions_by_topic.keys().map(|t| &**t)
    }

    /// The topic's id.
    pub fn topic_id(&self, topic: &str) -> Option<Uuid> {
        self.topic_ids.get(topic).copied()
    }

    /// The error the last metadata response gave for the topic, if any.
    pub fn topic_error(&self, topic: &str) -> Option<ErrorCode> {
        self.topic_errors.get(topic).copied()
    }

    /// Topics the client may not access.
    pub fn unauthorized_topics(&self) -> impl Iterator<Item = &str> {
        self.unauthorized_topics.iter().map(|t| &**t)
    }

    /// Whether the topic is internal.
    pub fn is_internal(&self, topic: &str) -> bool {
        self.internal_topics.contains(topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::{
        MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    };

    fn partition(topic: &str, p: i32, leader: i32) -> MetadataResponsePartition {
        let _ = topic;
        MetadataResponsePartition {
            error_code: ErrorCode::NONE,
            partition_index: p,
            leader_id: leader,
            leader_epoch: 0,
            replica_nodes: vec![1, 2],
            isr_nodes: vec![1, 2],
            offline_replicas: vec![],
        }
    }

    #[test]
    fn from_metadata_response() {
        let resp = MetadataResponse {
            throttle_time_ms: 0,
            brokers: vec![
                MetadataResponseBroker {
                    node_id: 1,
                    host: "a".into(),
                    port: 9092,
                    rack: None,
                },
                MetadataResponseBroker {
                    node_id: 2,
                    host: "b".into(),
                    port: 9093,
                    rack: Some("r".into()),
                },
            ],
            cluster_id: Some("cid".into()),
            controller_id: 1,
            topics: vec![
                MetadataResponseTopic {
                    error_code: ErrorCode::NONE,
                    name: Some("t".into()),
                    topic_id: Uuid([1; 16]),
                    is_internal: false,
                    partitions: vec![
                        partition("t", 1, 2),
                        partition("t", 0, 1),
                        partition("t", 2, -1),
                    ],
                    topic_authorized_operations: i32::MIN,
                },
                MetadataResponseTopic {
                    error_code: ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                    name: Some("missing".into()),
                    topic_id: Uuid::ZERO,
                    is_internal: false,
                    partitions: vec![],
                    topic_authorized_operations: i32::MIN,
                },
            ],
            error_code: ErrorCode::NONE,
        };
        let c = Cluster::from_metadata_response(&resp);
        assert_eq!(c.cluster_id(), Some("cid"));
        assert_eq!(c.partition_count_for_topic("t"), Some(3));
        assert_eq!(c.partitions_for_topic("t")[0].partition, 0, "sorted");
        assert_eq!(c.available_partitions_for_topic("t").len(), 2);
        assert_eq!(
            c.leader_for(&TopicPartition::new("t", 1)).unwrap().port,
            9093
        );
        assert!(c.leader_for(&TopicPartition::new("t", 2)).is_none());
        assert_eq!(c.partitions_for_node(1), &[TopicPartition::new("t", 0)]);
        assert_eq!(
            c.topic_error("missing"),
            Some(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION)
        );
        assert_eq!(c.partition_count_for_topic("missing"), None);
        assert_eq!(c.topic_id("t"), Some(Uuid([1; 16])));
    }

    #[test]
    fn rebootstrap_keeps_partition_counts_but_no_leaders() {
        let c = Cluster::new(
            None,
            Some(1),
            [Node {
                id: 1,
                host: "a".into(),
                port: 1,
                rack: None,
            }],
            [PartitionInfo {
                topic: Arc::from("t"),
                partition: 0,
                leader: Some(1),
                leader_epoch: 0,
                replicas: vec![1],
                in_sync_replicas: vec![1],
                offline_replicas: vec![],
            }],
        );
        let r = c.rebootstrapped(&[("boot".into(), 9)]);
        assert!(r.is_bootstrap());
        assert_eq!(r.partition_count_for_topic("t"), Some(1));
        assert!(r.leader_for(&TopicPartition::new("t", 0)).is_none());
        assert!(r.available_partitions_for_topic("t").is_empty());
        assert_eq!(r.node_by_id(-1).unwrap().host, "boot");
        assert!(r.node_by_id(1).is_none());
    }

    #[test]
    fn bootstrap_nodes_have_negative_ids() {
        let c = Cluster::bootstrap(&[("h".into(), 1), ("i".into(), 2)]);
        assert!(c.is_bootstrap());
        assert_eq!(c.node_by_id(-2).unwrap().address(), "i:2");
    }

    #[test]
    fn leader_hints_apply_only_with_a_newer_epoch_and_a_known_node() {
        let mut p0 = PartitionInfo::new("t", 0, Some(1));
        p0.leader_epoch = 5;
        let c = Cluster::new(None, None, [Node::new(1, "a", 1)], [p0]);
        let tp = TopicPartition::new("t", 0);
        assert!(
            c.with_leaders(&[(tp.clone(), 2, 6)], &[]).is_none(),
            "node 2 unknown"
        );
        assert!(
            c.with_leaders(&[(tp.clone(), 1, 5)], &[]).is_none(),
            "epoch not newer"
        );
        assert!(
            c.with_leaders(&[(TopicPartition::new("u", 0), 1, 9)], &[])
                .is_none(),
            "unknown partition"
        );
        let moved = c
            .with_leaders(&[(tp.clone(), 2, 6)], &[Node::new(2, "b", 2)])
            .expect("moved");
        assert_eq!(moved.partition(&tp).unwrap().leader, Some(2));
        assert_eq!(moved.partition(&tp).unwrap().leader_epoch, 6);
        assert_eq!(moved.node_by_id(2).unwrap().host, "b");
        assert_eq!(moved.partitions_for_node(2), std::slice::from_ref(&tp));
        assert!(moved.partitions_for_node(1).is_empty());
    }
}
