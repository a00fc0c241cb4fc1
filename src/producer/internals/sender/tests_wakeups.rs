//! When callers may skip waking the sender for a new or full batch (`sends_blocked`): only
//! while no batch could be sent before a network event ends the sender's poll. Not in Java,
//! whose callers wake the selector for every new batch.

use super::tests::{Harness, Setup, produce_response, tp};
use super::*;
use crate::protocol::ErrorCode;

fn sends_blocked(h: &Harness) -> bool {
    h.control.sends_blocked.load(Ordering::SeqCst)
}

/// A sender with at most `max_in_flight` requests per connection and `nodes` brokers, after
/// `prepare`, that has sent one request: a batch of partition 0 (led by node 0).
fn one_request_out(max_in_flight: usize, nodes: i32, prepare: impl FnOnce(&Harness)) -> Harness {
    let mut h = Harness::new(Setup {
        max_in_flight,
        nodes,
        ..Setup::default()
    });
    prepare(&h);
    h.append(&tp(0));
    h.run_once();
    assert_eq!(h.client().in_flight_len(), 1);
    h
}

/// The only leader's connection takes one request; while it is out, a new batch could not be
/// sent sooner than the response, so callers need not wake the sender. Once the response is in,
/// the next round clears the flag before it looks at the queues.
#[test]
fn set_while_the_only_leader_is_at_its_in_flight_limit() {
    let mut h = one_request_out(1, 1, |h| assert!(!sends_blocked(h), "nothing sent yet"));
    assert!(sends_blocked(&h), "the one request slot is taken");

    // A batch appended while the flag is set (its caller skipped the wake-up) is sent by the
    // round after the response.
    let g = h.append(&tp(1));
    h.respond(produce_response(&tp(0), 0, ErrorCode::NONE));
    h.run_once(); // receives the response
    assert_eq!(h.in_flight_batches(&tp(0)), 0);
    h.run_once(); // sends the batch of tp(1)
    assert_eq!(h.client().in_flight_len(), 1);
    assert_eq!(h.in_flight_batches(&tp(1)), 1);
    assert!(!g.is_done());
    assert!(sends_blocked(&h));

    h.respond(produce_response(&tp(1), 0, ErrorCode::NONE));
    h.run_once();
    h.run_once();
    assert!(g.is_done());
    assert_eq!(h.client().in_flight_len(), 0);
    assert!(!sends_blocked(&h), "the slot is free again");
}

/// Below the limit a new batch can go at once: callers wake the sender.
#[test]
fn not_set_below_the_in_flight_limit() {
    let h = one_request_out(2, 1, |_| {});
    assert!(!sends_blocked(&h));
}

/// Another leader has room (here: not even connected yet): a batch for one of its partitions
/// needs the sender at once.
#[test]
fn not_set_while_another_leader_has_room() {
    let mut h = one_request_out(1, 2, |_| {});
    assert!(
        !sends_blocked(&h),
        "node 1 could take a batch of partition 1"
    );

    h.append(&tp(1)); // led by node 1
    h.run_once();
    assert_eq!(h.client().in_flight_len(), 2);
    assert!(sends_blocked(&h), "both leaders are at their limit");
}

/// A partition without a leader needs the sender to ask for metadata when a batch arrives.
#[test]
fn not_set_while_a_partition_has_no_leader() {
    let h = one_request_out(1, 1, |h| {
        let mut update = super::tests::metadata_update(1, 2);
        update.topics[0].partitions[1].leader_id = -1;
        h.metadata.update(&update, h.time.now());
    });
    assert!(!sends_blocked(&h));
}

/// A round that sends nothing because of a pending wake-up reason other than batches (here:
/// the idempotent producer waiting for its id) leaves the flag clear.
#[test]
fn cleared_by_a_round_without_producing() {
    let mut h = Harness::new(Setup {
        max_in_flight: 1,
        idempotence: true,
        ..Setup::default()
    });
    h.control.sends_blocked.store(true, Ordering::SeqCst);
    h.append(&tp(0));
    h.run_once(); // asks for a producer id: no produce data this round
    assert!(!sends_blocked(&h));
}
