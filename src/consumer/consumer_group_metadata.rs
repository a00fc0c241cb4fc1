//! `ConsumerGroupMetadata` (Java's class of the same name).

/// The consumer group whose offsets a transaction commits, as Java's consumer reports it
/// (`KafkaConsumer.groupMetadata()`): with the generation and member id the group coordinator
/// fences a zombie consumer's offsets (KIP-447); [`ConsumerGroupMetadata::new`] gives the
/// group id alone (generation -1, empty member id), which a group without active members
/// accepts.
///
/// ```
/// use kafka_producer::consumer::ConsumerGroupMetadata;
/// let g = ConsumerGroupMetadata::new("orders-app");
/// assert_eq!((g.generation_id, g.member_id.as_str(), g.group_instance_id), (-1, "", None));
/// let g = ConsumerGroupMetadata::with_member("orders-app", 5, "consumer-1-abc", Some("host-1".into()));
/// assert_eq!(g.generation_id, 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConsumerGroupMetadata {
    /// The group id.
    pub group_id: String,
    /// The group generation, -1 when unknown.
    pub generation_id: i32,
    /// The member id, empty when unknown.
    pub member_id: String,
    /// The static member id (`group.instance.id`), if any.
    pub group_instance_id: Option<String>,
}

impl ConsumerGroupMetadata {
    /// A group by id only (generation -1, no member).
    pub fn new(group_id: impl Into<String>) -> Self {
        ConsumerGroupMetadata {
            group_id: group_id.into(),
            generation_id: -1,
            member_id: String::new(),
            group_instance_id: None,
        }
    }

    /// A group with the consumer's generation and member ids.
    pub fn with_member(
        group_id: impl Into<String>,
        generation_id: i32,
        member_id: impl Into<String>,
        group_instance_id: Option<String>,
    ) -> Self {
        ConsumerGroupMetadata {
            group_id: group_id.into(),
            generation_id,
            member_id: member_id.into(),
            group_instance_id,
        }
    }
}
