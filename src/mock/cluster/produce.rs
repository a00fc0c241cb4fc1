//! Produce requests: the action of each request, leadership, sequence checks and appending
//! to the partition log.

use crate::mock::responses;
use crate::protocol::ErrorCode;
use crate::protocol::messages::produce::{LeaderIdAndEpoch, NodeEndpoint};
use crate::protocol::messages::{ProduceRequest, ProduceResponse, TopicProduceResponse};
use std::io::Write;
use std::sync::atomic::Ordering;

use super::sequences::{batch_headers, check_sequence, forget_producers, remember};
use super::{Action, BatchInfo, Conn, ProduceInfo, Shared, State, partition_mut};

impl Conn<'_> {
    pub(super) fn produce(
        &mut self,
        id: i32,
        flexible: bool,
        version: i16,
        req: &ProduceRequest<'_>,
    ) -> Option<()> {
        let shared = self.shared;
        let n = shared.produce_requests.fetch_add(1, Ordering::SeqCst);
        self.broker.produce_requests.fetch_add(1, Ordering::SeqCst);
        let scripted = self.broker.script.lock().is_some()
            || shared.script.lock().is_some()
            || !self.broker.actions.lock().is_empty()
            || !shared.state.lock().actions.is_empty();
        let mut action = if scripted {
            let info = ProduceInfo {
                n,
                broker: self.broker.id,
                acks: req.acks,
                batches: req
                    .topics
                    .iter()
                    .flat_map(|t| t.partitions.iter().map(move |p| (t, p)))
                    .flat_map(|(t, p)| {
                        batch_headers(p.records.unwrap_or(&[]))
                            .unwrap_or_default()
                            .into_iter()
                            .map(move |(h, _)| BatchInfo {
                                topic: t.name.clone(),
                                partition: p.index,
                                producer_id: h.producer_id,
                                producer_epoch: h.producer_epoch,
                                base_sequence: h.base_sequence,
                                record_count: h.last_offset_delta + 1,
                            })
                    })
                    .collect(),
            };
            self.next_action(&info)
        } else {
            Action::Ok
        };
        let mut throttle = 0;
        let action = loop {
            action = match action {
                Action::ForgetProducers(inner) => {
                    forget_producers(&mut shared.state.lock());
                    *inner
                }
                Action::Delay(d, inner) => {
                    std::thread::sleep(d);
                    *inner
                }
                Action::Throttle(ms, inner) => {
                    throttle = ms;
                    *inner
                }
                Action::Silence => return Some(()),
                Action::Close => return None,
                Action::Garbage(bytes) => return self.stream.write_all(&bytes).ok(),
                other => break other,
            }
        };
        let mut responses = Vec::with_capacity(req.topics.len());
        let mut endpoints = Vec::new();
        {
            let mut st = shared.state.lock();
            for t in &req.topics {
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let scripted = match &action {
                            Action::Error(code) => Some(*code),
                            Action::PartitionErrors(errors) => errors
                                .iter()
                                .find(|(index, _)| *index == p.index)
                                .map(|(_, code)| *code),
                            _ => None,
                        };
                        let mut moved = None;
                        let (code, base_offset) = match scripted {
                            Some(code) => (code, -1),
                            None => append(
                                shared,
                                &mut st,
                                self.broker.id,
                                (&t.name, p.index),
                                p.records.unwrap_or(&[]),
                                &mut moved,
                            ),
                        };
                        let mut resp = responses::produce_partition(p.index, code, base_offset);
                        if let Some((leader_id, leader_epoch)) = moved {
                            resp.current_leader = Some(LeaderIdAndEpoch {
                                leader_id,
                                leader_epoch,
                            });
                            if !endpoints
                                .iter()
                                .any(|e: &NodeEndpoint| e.node_id == leader_id)
                            {
                                if let Some(b) = usize::try_from(leader_id)
                                    .ok()
                                    .and_then(|l| shared.brokers.get(l))
                                {
                                    endpoints.push(NodeEndpoint {
                                        node_id: leader_id,
                                        host: "127.0.0.1".into(),
                                        port: i32::from(b.advertised.load(Ordering::SeqCst)),
                                        rack: None,
                                    });
                                }
                            }
                        }
                        resp
                    })
                    .collect();
                responses.push(TopicProduceResponse {
                    name: t.name.clone(),
                    partitions,
                });
            }
        }
        if action == Action::AppendThenClose {
            return None;
        }
        if req.acks == 0 {
            return Some(());
        }
        let resp = ProduceResponse {
            responses,
            throttle_time_ms: throttle,
            node_endpoints: endpoints,
        };
        self.out.clear();
        responses::frame(&mut self.out, id, flexible, version, &resp);
        self.send()
    }
}

/// Appends a partition's record data as its leader `broker`; the error code and base offset
/// to answer. When `broker` is not the leader, `moved` gets the leader and its epoch (the
/// KIP-951 hint of the response).
fn append(
    shared: &Shared,
    st: &mut State,
    broker: i32,
    (topic, partition): (&str, i32),
    records: &[u8],
    moved: &mut Option<(i32, i32)>,
) -> (ErrorCode, i64) {
    let strict = st.strict;
    let Some(p) = partition_mut(st, topic, partition) else {
        return (ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, -1);
    };
    if p.leader != broker {
        *moved = Some((p.leader, p.leader_epoch));
        return (ErrorCode::NOT_LEADER_OR_FOLLOWER, -1);
    }
    if let Some(code) = p.pushed_errors.pop_front() {
        return (code, -1);
    }
    let Some(batches) = batch_headers(records) else {
        return (ErrorCode::CORRUPT_MESSAGE, -1);
    };
    if batches.is_empty() {
        return (ErrorCode::CORRUPT_MESSAGE, -1);
    }
    let mut result = (ErrorCode::NONE, p.next_offset);
    for (h, bytes) in batches {
        let check = if shared.check_sequences {
            check_sequence(&p.producers, &h, strict)
        } else {
            Ok(None)
        };
        match check {
            Err(code) => result = (code, -1),
            Ok(Some(offset)) => result = (ErrorCode::NONE, offset),
            Ok(None) => {
                let base = p.next_offset;
                if shared.check_sequences {
                    remember(&mut p.producers, &h, base);
                }
                p.next_offset += i64::from(h.last_offset_delta) + 1;
                if shared.store_records {
                    let mut stored = bytes.to_vec();
                    stored[..8].copy_from_slice(&base.to_be_bytes());
                    p.batches.push((base, stored));
                }
                result = (ErrorCode::NONE, base);
            }
        }
    }
    result
}
