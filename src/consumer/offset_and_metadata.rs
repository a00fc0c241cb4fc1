//! `OffsetAndMetadata` (Java's class of the same name).

/// An offset to commit for a partition: the position of the *next* record the consumer will
/// read (the last processed offset plus one), with the leader epoch it was read under and a
/// free-form metadata string.
///
/// ```
/// use kafka_producer::consumer::OffsetAndMetadata;
/// let o = OffsetAndMetadata::new(42);
/// assert_eq!((o.offset, o.leader_epoch, o.metadata.as_str()), (42, None, ""));
/// let o = OffsetAndMetadata::new(7).with_leader_epoch(3).with_metadata("batch-9");
/// assert_eq!(o.leader_epoch, Some(3));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OffsetAndMetadata {
    /// The offset of the next record to consume.
    pub offset: i64,
    /// The leader epoch of the last consumed record, if known (sent from TxnOffsetCommit v2).
    pub leader_epoch: Option<i32>,
    /// Free-form metadata stored with the offset.
    pub metadata: String,
}

impl OffsetAndMetadata {
    /// An offset without leader epoch or metadata.
    pub fn new(offset: i64) -> Self {
        OffsetAndMetadata {
            offset,
            leader_epoch: None,
            metadata: String::new(),
        }
    }

    /// The same offset with a leader epoch.
    pub fn with_leader_epoch(mut self, epoch: i32) -> Self {
        self.leader_epoch = Some(epoch);
        self
    }

    /// The same offset with a metadata string.
    pub fn with_metadata(mut self, metadata: impl Into<String>) -> Self {
        self.metadata = metadata.into();
        self
    }
}
