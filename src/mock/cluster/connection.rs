//! Serving a broker: the accept loop and one connection's frames, requests (ApiVersions,
//! Metadata, InitProducerId, the transaction APIs) and responses.

use crate::mock::responses;
use crate::protocol::messages::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, AddPartitionsToTxnPartitionResult,
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, AddPartitionsToTxnTopicResult,
    Coordinator, Decode, EndTxnRequest, EndTxnResponse, FindCoordinatorRequest,
    FindCoordinatorResponse, InitProducerIdRequest, MetadataRequest, MetadataResponseTopic,
    ProduceRequest, SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
    SaslHandshakeResponse, TxnOffsetCommitRequest, TxnOffsetCommitResponse,
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use crate::protocol::{ApiKey, ErrorCode, OwnedRequestHeader, Reader};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpListener;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::sequences::be;
use super::{Conn, MAX_FRAME, POLL, Shared, create_topic};

pub(super) fn accept_loop(listener: TcpListener, id: usize, shared: Arc<Shared>) {
    if let Some(h) = &shared.thread_hook {
        h();
    }
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        if shared.brokers[id].down.load(Ordering::SeqCst) {
            continue;
        }
        let shared = shared.clone();
        let _ = std::thread::Builder::new()
            .name(format!("mock-broker-{id}"))
            .spawn(move || {
                if let Some(h) = &shared.thread_hook {
                    h();
                }
                let generation = shared.brokers[id].generation.load(Ordering::SeqCst);
                let mut conn = Conn {
                    stream,
                    buf: vec![0; 64 * 1024],
                    start: 0,
                    end: 0,
                    shared: &shared,
                    broker: &shared.brokers[id],
                    generation,
                    out: Vec::new(),
                };
                let _ = conn.serve();
            });
    }
}

impl Conn<'_> {
    fn must_close(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
            || self.broker.down.load(Ordering::SeqCst)
            || self.broker.generation.load(Ordering::SeqCst) != self.generation
    }

    /// The range in `buf` of the next request frame's payload; `None` when the connection
    /// must close.
    fn next_frame(&mut self) -> Option<Range<usize>> {
        loop {
            let have = self.end - self.start;
            let mut need = 4;
            if have >= 4 {
                let size = usize::try_from(i32::from_be_bytes(be(&self.buf, self.start))).ok()?;
                if size > MAX_FRAME {
                    return None;
                }
                need = 4 + size;
                if have >= need {
                    let frame = self.start + 4..self.start + need;
                    self.start += need;
                    return Some(frame);
                }
            }
            if self.start == self.end {
                self.start = 0;
                self.end = 0;
            } else if self.start + need > self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if need > self.buf.len() {
                self.buf.resize(need, 0);
            }
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => return None,
                Ok(n) => self.end += n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
            if self.must_close() {
                return None;
            }
        }
    }

    fn serve(&mut self) -> Option<()> {
        self.stream.set_nodelay(true).ok()?;
        self.stream.set_read_timeout(Some(POLL)).ok()?;
        loop {
            let range = self.next_frame()?;
            // The buffer is taken out while its frame is handled (no copy), then handed back.
            let buf = std::mem::take(&mut self.buf);
            let handled = self.handle(&buf[range]);
            self.buf = buf;
            handled?;
        }
    }

    pub(super) fn send(&mut self) -> Option<()> {
        self.stream.write_all(&self.out).ok()
    }

    /// Handles one request; `None` closes the connection.
    fn handle(&mut self, frame: &[u8]) -> Option<()> {
        let mut r = Reader::new(frame, "request");
        let mut peek = r.clone();
        let api = ApiKey::from_i16(peek.i16("api_key").ok()?)?;
        let version = peek.i16("api_version").ok()?;
        let header =
            OwnedRequestHeader::decode(&mut r, api.request_header_flexible(version)).ok()?;
        let id = header.correlation_id;
        let flexible = api.response_header_flexible(version);
        self.out.clear();
        // As a real broker, one that does not support the request's version closes the
        // connection (ApiVersions excepted: it answers in v0, below).
        if api != ApiKey::ApiVersions && !self.advertises(api, version) {
            log::debug!(
                "mock broker {}: {api} v{version} not supported",
                self.broker.id
            );
            return None;
        }
        match api {
            ApiKey::ApiVersions => {
                let v = version.clamp(0, ApiKey::ApiVersions.supported_versions().1);
                let mut resp = responses::api_versions();
                let (overrides, per_broker) = {
                    let st = self.shared.state.lock();
                    (st.api_versions.clone(), st.broker_api_versions.clone())
                };
                let me = self.broker.id;
                resp.api_keys.retain_mut(|k| {
                    let api = ApiKey::from_i16(k.api_key);
                    let over =
                        api.and_then(|a| per_broker.get(&(me, a)).or_else(|| overrides.get(&a)));
                    match over {
                        None => true,
                        Some(None) => false,
                        Some(Some((lo, hi))) => {
                            (k.min_version, k.max_version) = (*lo, *hi);
                            true
                        }
                    }
                });
                let own = resp.range_for(ApiKey::ApiVersions);
                match own {
                    // A broker asked for an ApiVersions version it does not know answers in v0
                    // with UNSUPPORTED_VERSION and its own ApiVersions range (KIP-511), and the
                    // client asks again at that version.
                    Some(r) if version > r.max_version => {
                        resp.error_code = ErrorCode::UNSUPPORTED_VERSION;
                        resp.api_keys = vec![r];
                        responses::frame(&mut self.out, id, false, 0, &resp);
                    }
                    _ => responses::frame(&mut self.out, id, false, v, &resp),
                }
            }
            ApiKey::Metadata => {
                let req = MetadataRequest::decode(version, &mut r).ok()?;
                let md = self.metadata(&req);
                responses::frame(&mut self.out, id, flexible, version, &md);
            }
            ApiKey::InitProducerId => {
                let req = InitProducerIdRequest::decode(version, &mut r).ok()?;
                let resp = if let Some(tid) = &req.transactional_id {
                    // One stable producer id per transactional id, its epoch bumped at each
                    // call (fencing the previous instance, as a transaction coordinator does).
                    let mut st = self.shared.state.lock();
                    let shared = self.shared;
                    let entry = st
                        .transactional_ids
                        .entry(tid.clone())
                        .and_modify(|(_, epoch)| *epoch = epoch.wrapping_add(1))
                        .or_insert_with(|| {
                            (shared.next_producer_id.fetch_add(1, Ordering::SeqCst), 0)
                        });
                    responses::init_producer_id(entry.0, entry.1)
                } else if req.producer_id >= 0 && req.producer_epoch >= 0 {
                    responses::init_producer_id(req.producer_id, req.producer_epoch + 1)
                } else {
                    let pid = self.shared.next_producer_id.fetch_add(1, Ordering::SeqCst);
                    responses::init_producer_id(pid, 0)
                };
                responses::frame(&mut self.out, id, flexible, version, &resp);
            }
            ApiKey::Produce => {
                let req = ProduceRequest::decode(version, &mut r).ok()?;
                return self.produce(id, flexible, version, &req);
            }
            // A PLAINTEXT listener, as a Java broker's: SASL requests are refused with
            // ILLEGAL_SASL_STATE.
            ApiKey::SaslHandshake => {
                SaslHandshakeRequest::decode(version, &mut r).ok()?;
                let resp = SaslHandshakeResponse {
                    error_code: ErrorCode::ILLEGAL_SASL_STATE,
                    mechanisms: Vec::new(),
                };
                responses::frame(&mut self.out, id, flexible, version, &resp);
            }
            ApiKey::FindCoordinator => {
                let req = FindCoordinatorRequest::decode(version, &mut r).ok()?;
                let resp = self.find_coordinator(&req);
                responses::frame(&mut self.out, id, flexible, version, &resp);
            }
            ApiKey::AddPartitionsToTxn => {
                let req = AddPartitionsToTxnRequest::decode(version, &mut r).ok()?;
                let resp = AddPartitionsToTxnResponse {
                    throttle_time_ms: 0,
                    results: req
                        .topics
                        .iter()
                        .map(|t| AddPartitionsToTxnTopicResult {
                            name: t.name.clone(),
                            results: t
                                .partitions
                                .iter()
                                .map(|&p| AddPartitionsToTxnPartitionResult {
                                    partition_index: p,
                                    error_code: ErrorCode::NONE,
                                })
                                .collect(),
                        })
                        .collect(),
                };
                responses::frame(&mut self.out, id, flexible, version, &resp);
            }
            ApiKey::AddOffsetsToTxn => {
                AddOffsetsToTxnRequest::decode(version, &mut r).ok()?;
                let resp = AddOffsetsToTxnResponse::default();
                responses::frame(&mut self.out, id, flexible, version, &resp);
            }
            ApiKey::TxnOffsetCommit => {
                let req = TxnOffsetCommitRequest::decode(version, &mut r).ok()?;
                let resp = TxnOffsetCommitResponse {
                    throttle_time_ms: 0,
                    topics: req
                        .topics
                        .iter()
                        .map(|t| TxnOffsetCommitResponseTopic {
                            name: t.name.clone(),
                            partitions: t
                                .partitions
                                .iter()
                                .map(|p| TxnOffsetCommitResponsePartition {
                                    partition_index: p.partition_index,
                                    error_code: ErrorCode::NONE,
                                })
                                .collect(),
                        })
                        .collect(),
                };
                responses::frame(&mut self.out, id, flexible, version, &resp);
            }
            ApiKey::EndTxn => {
                let req = EndTxnRequest::decode(version, &mut r).ok()?;
                let resp = self.end_txn(&req, version);
                responses::frame(&mut self.out, id, flexible, version, &resp);
            }
            ApiKey::SaslAuthenticate => {
                SaslAuthenticateRequest::decode(version, &mut r).ok()?;
                let resp = SaslAuthenticateResponse {
                    error_code: ErrorCode::ILLEGAL_SASL_STATE,
                    error_message: Some("SASL is not enabled on this listener".into()),
                    auth_bytes: Vec::new(),
                    session_lifetime_ms: 0,
                };
                responses::frame(&mut self.out, id, flexible, version, &resp);
            }
        }
        self.send()
    }

    /// Whether this broker's ApiVersions answer covers `version` of `api`.
    fn advertises(&self, api: ApiKey, version: i16) -> bool {
        let st = self.shared.state.lock();
        let range = match st
            .broker_api_versions
            .get(&(self.broker.id, api))
            .or_else(|| st.api_versions.get(&api))
        {
            None => Some(api.supported_versions()),
            Some(over) => *over,
        };
        range.is_some_and(|(lo, hi)| (lo..=hi).contains(&version))
    }

    /// Every key's coordinator is broker 0, or the first broker up.
    fn find_coordinator(&self, req: &FindCoordinatorRequest) -> FindCoordinatorResponse {
        let coordinator = self
            .shared
            .brokers
            .iter()
            .find(|b| !b.down.load(Ordering::SeqCst))
            .unwrap_or(&self.shared.brokers[0]);
        let (node_id, host, port) = (
            coordinator.id,
            "127.0.0.1".to_owned(),
            i32::from(coordinator.advertised.load(Ordering::SeqCst)),
        );
        FindCoordinatorResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::NONE,
            error_message: None,
            node_id,
            host: host.clone(),
            port,
            coordinators: req
                .coordinator_keys
                .iter()
                .map(|key| Coordinator {
                    key: key.clone(),
                    node_id,
                    host: host.clone(),
                    port,
                    error_code: ErrorCode::NONE,
                    error_message: None,
                })
                .collect(),
        }
    }

    /// Ends the transaction: always `NONE`. From v5 (KIP-890) the coordinator bumps the epoch
    /// and returns it with the producer id.
    fn end_txn(&self, req: &EndTxnRequest, version: i16) -> EndTxnResponse {
        if version < 5 {
            return EndTxnResponse::default();
        }
        let mut st = self.shared.state.lock();
        let (producer_id, producer_epoch) =
            match st.transactional_ids.get_mut(&req.transactional_id) {
                Some((pid, epoch)) if *pid == req.producer_id => {
                    *epoch = req.producer_epoch.wrapping_add(1).max(*epoch);
                    (*pid, *epoch)
                }
                _ => (req.producer_id, req.producer_epoch.wrapping_add(1)),
            };
        EndTxnResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::NONE,
            producer_id,
            producer_epoch,
        }
    }

    fn metadata(&self, req: &MetadataRequest) -> crate::protocol::messages::MetadataResponse {
        let shared = self.shared;
        let brokers = shared
            .brokers
            .iter()
            .filter(|b| !b.down.load(Ordering::SeqCst))
            .map(|b| responses::broker(b.id, "127.0.0.1", b.advertised.load(Ordering::SeqCst)))
            .collect();
        let mut st = shared.state.lock();
        let names: Vec<String> = match &req.topics {
            None => st.topics.keys().cloned().collect(),
            Some(ts) => ts.iter().filter_map(|t| t.name.clone()).collect(),
        };
        let topics: Vec<MetadataResponseTopic> = names
            .iter()
            .map(|name| {
                if !st.topics.contains_key(name) {
                    if let Some(n) = shared.auto_create {
                        create_topic(&mut st, name, n, shared.brokers.len());
                    }
                }
                match st.topics.get(name) {
                    Some(parts) => responses::topic(
                        name,
                        parts
                            .iter()
                            .enumerate()
                            .map(|(i, p)| responses::partition(i as i32, p.leader, p.leader_epoch)),
                    ),
                    None => responses::topic_error(name, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
                }
            })
            .collect();
        responses::metadata(brokers, topics)
    }
}
