//! The decision pipeline (`hdl::decision`) against the reference model, frame for frame:
//! every record's verdict, drop or punt reason, frame edit (applied and compared with the
//! model's rewritten frame), generated frame (built from the descriptor and compared byte for
//! byte with the model's), state-transition event, pending-handshake gauge and table occupancy
//! must equal what `proto::nic::Nic::process` does with the same frame at the same time, and at
//! the end every counter. Traffic: tracked connections opened from either side with data,
//! teardowns (TIME-WAIT, reuse by a newer SYN from either side) and stray segments (RSTs, SYNs,
//! old and future segments, bad checksums, invalid flags); SYN-proxied connections to a cookie
//! listener (cookie SYN-ACK, cookie ACK -> pending entry + SYN to the host, retransmitted
//! ACKs, exact and inexact RSTs, refusals by the host, forged cookies); a spoofed SYN flood on
//! a mode-1 listener until it turns to cookies; non-TCP, IPv6, fragment and malformed frames.
//! A 16-bucket table makes full buckets common.

use hdl::csum_update::{EDIT_NONE, EDIT_REFUSAL, EDIT_TO_HOST, EDIT_TO_WIRE};
mod common;

use common::traffic::{config, Traffic};
use common::verilated::{replay, TraceRow};
use hdl::decision::{
    DecisionPipeline, RecordWords, ReplyDesc, COUNTERS, DESC_WORDS, P_FRAGMENT, P_IPV6,
    P_MALFORMED, REC_WORDS, V_CONSUME, V_DROP, V_FORWARD, V_PUNT, V_REWRITE,
};
use hdl::lane::Lane;
use hdl::parser::HeaderRecord;
use hdl::stream::XorShift64;
use hdl::testbench::Testbench;
use proto::counters::Counter;
use proto::decision::{DropReason, Outcome, Port, PuntReason, Verdict};
use proto::nic::{Nic, Transition};
use proto::state::TcpState;
use proto::table::{flags, Entry, FlowKey, Geometry, ENTRY_WORDS};
use proto::time::Instant;
use proto::wire;
use rust_hdl::prelude::{In, Out, Signal};
use std::collections::VecDeque;

/// The hardware's decision of one record, as read from the outputs.
#[derive(Debug)]
struct Decision {
    host: bool,
    verdict: u8,
    reason: u8,
    unsupported: bool,
    edit: u8,
    seq_adj: u32,
    ts_adj: u32,
    replies: Vec<(bool, ReplyDesc)>,
    event: Option<(FlowKey, u32, u32, u32)>,
}

fn read<const B: usize>(tb: &Testbench<DecisionPipeline<B>>) -> Decision {
    let desc =
        |w: &[Signal<Out, Lane>; DESC_WORDS]| ReplyDesc(core::array::from_fn(|k| w[k].val().0));
    let mut replies = Vec::new();
    if tb.r0_valid.val() {
        replies.push((tb.r0_host.val(), desc(&tb.r0_w)));
    }
    if tb.r1_valid.val() {
        replies.push((tb.r1_host.val(), desc(&tb.r1_w)));
    }
    let event = hdl::transition_event!(tb);
    Decision {
        host: tb.d_host.val(),
        verdict: tb.d_verdict.val().to_u64() as u8,
        reason: tb.d_reason.val().to_u64() as u8,
        unsupported: tb.d_unsupported.val(),
        edit: tb.d_edit.val().to_u64() as u8,
        seq_adj: tb.d_seq_adj.val().0,
        ts_adj: tb.d_ts_adj.val().0,
        replies,
        event,
    }
}

fn drop_index(r: DropReason) -> u8 {
    hdl::tracker_unit::drop_code(r)
}

struct Expect {
    i: usize,
    from_host: bool,
    frame: Vec<u8>,
    rewritten: Vec<u8>,
    out: Outcome,
    events: Vec<Transition>,
    pending: u32,
    occupancy: usize,
}

fn check(d: &Decision, x: &Expect) {
    let ctx = format!("record {} ({:?}, host {})", x.i, x.out.verdict, x.from_host);
    assert!(!d.unsupported, "{ctx}: on a path not in hardware yet");
    assert_eq!(d.host, x.from_host, "{ctx}: port");
    let (v, r) = match x.out.verdict {
        Verdict::Forward => (V_FORWARD, 0),
        Verdict::Rewrite => (V_REWRITE, 0),
        Verdict::Consume => (V_CONSUME, 0),
        Verdict::Drop(r) => (V_DROP, drop_index(r)),
        Verdict::Punt(p) => (
            V_PUNT,
            match p {
                PuntReason::Ipv4Fragment => P_FRAGMENT,
                PuntReason::Ipv6 => P_IPV6,
                PuntReason::Malformed => P_MALFORMED,
            },
        ),
    };
    assert_eq!((d.verdict, d.reason), (v, r), "{ctx}: verdict, reason");
    // The edit, applied as the frame editor applies it, gives the model's rewritten frame.
    if v == V_REWRITE {
        let mut f = x.frame.clone();
        let parsed = wire::parse(&x.frame).unwrap();
        let (_, tcp) = parsed.tcp().unwrap();
        let key = FlowKey {
            peer_addr: [0; 4],
            host_addr: [0; 4],
            peer_port: 0,
            host_port: 0,
        };
        let mut e = Entry::new(key, TcpState::Closed);
        e.seq_off = d.seq_adj;
        e.ts_off = d.ts_adj;
        match d.edit {
            EDIT_TO_HOST => proto::synproxy::translate_to_host(&mut f, tcp, &e),
            EDIT_TO_WIRE => proto::synproxy::translate_to_wire(&mut f, tcp, &e),
            EDIT_REFUSAL => proto::synproxy::translate_refusal(&mut f, tcp, d.seq_adj),
            other => panic!("{ctx}: rewrite with edit {other}"),
        }
        assert_eq!(f, x.rewritten, "{ctx}: rewritten frame");
    } else {
        assert_eq!(d.edit, EDIT_NONE, "{ctx}: edit without a rewrite");
    }
    // Generated frames, byte for byte.
    let want: Vec<(bool, Vec<u8>)> = x
        .out
        .replies
        .iter()
        .map(|r| (r.port == Port::Host, r.frame.as_slice().to_vec()))
        .collect();
    let got: Vec<(bool, Vec<u8>)> = d
        .replies
        .iter()
        .map(|(h, r)| (*h, r.request().frame()))
        .collect();
    assert_eq!(got, want, "{ctx}: generated frames");
    // The state transition.
    let want_ev: Vec<_> = x
        .events
        .iter()
        .map(|t| (t.key, t.old.code() as u32, t.new.code() as u32, t.slot))
        .collect();
    let got_ev: Vec<_> = d.event.into_iter().collect();
    assert_eq!(got_ev, want_ev, "{ctx}: event");
}

/// One management request for `slot` (read, or read and delete); returns the slot's words
/// if it was occupied.
fn manage<const B: usize>(
    tb: &mut Testbench<DecisionPipeline<B>>,
    slot: u32,
    delete: bool,
) -> Option<[u32; ENTRY_WORDS]> {
    tb.in_valid.next = false;
    tb.mg_valid.next = true;
    tb.mg_delete.next = delete;
    tb.mg_bucket.next = u64::from(slot / 4).into();
    tb.mg_way.next = u64::from(slot % 4).into();
    // A request to a bucket whose write-back is still pending waits (the table's hazard rule).
    tb.settle();
    let mut waited = 0;
    while !tb.mg_ready.val() {
        waited += 1;
        assert!(waited < 8, "management port held for slot {slot}");
        tb.step();
    }
    tb.step();
    tb.mg_valid.next = false;
    // The table's result 2 clocks after the request, registered out one clock later.
    for _ in 0..3 {
        tb.step();
        if tb.mg_rvalid.val() {
            return tb
                .mg_rhit
                .val()
                .then(|| core::array::from_fn(|k| tb.mg_rw[k].val().0));
        }
    }
    panic!("no management result for slot {slot}");
}

/// Every slot of the hardware table equals the model's.
fn check_table<const B: usize>(tb: &mut Testbench<DecisionPipeline<B>>, nic: &Nic, g: Geometry) {
    for slot in 0..g.buckets * g.ways {
        let hw = manage(tb, slot, false);
        let model = nic.table().get(slot).map(|e| e.pack());
        assert_eq!(hw, model, "table slot {slot}");
    }
}

/// Every input port's value as driven for the coming edge (Verilog names), for the
/// Verilator replay.
fn inputs<const B: usize>(tb: &DecisionPipeline<B>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = vec![("in_valid".into(), tb.in_valid.next as u64)];
    let lane = |x: &Signal<In, Lane>| x.next.0 as u64;
    for k in 0..REC_WORDS {
        v.push((format!("in_w${k}"), lane(&tb.in_w[k])));
    }
    v.extend(hdl::config_inputs!(tb));
    v
}

/// Every output port's value (Verilog names).
fn outputs<const B: usize>(tb: &DecisionPipeline<B>) -> Vec<(String, u64)> {
    let lane = |x: &Signal<Out, Lane>| x.val().0 as u64;
    let mut v: Vec<(String, u64)> = Vec::new();
    for (n, x) in [
        ("in_ready", &tb.in_ready),
        ("d_valid", &tb.d_valid),
        ("d_host", &tb.d_host),
        ("d_unsupported", &tb.d_unsupported),
        ("r0_valid", &tb.r0_valid),
        ("r0_host", &tb.r0_host),
        ("r1_valid", &tb.r1_valid),
        ("r1_host", &tb.r1_host),
        ("gen_two", &tb.gen_two),
        ("ev_valid", &tb.ev_valid),
        ("ev_proxied", &tb.ev_proxied),
    ] {
        v.push((n.into(), x.val() as u64));
    }
    v.push(("d_verdict".into(), tb.d_verdict.val().to_u64()));
    v.push(("d_reason".into(), tb.d_reason.val().to_u64()));
    v.push(("d_edit".into(), tb.d_edit.val().to_u64()));
    for (n, x) in [
        ("d_seq_adj", &tb.d_seq_adj),
        ("d_ts_adj", &tb.d_ts_adj),
        ("ev_slot", &tb.ev_slot),
        ("ev_old", &tb.ev_old),
        ("ev_new", &tb.ev_new),
        ("occupancy", &tb.occupancy),
        ("pending", &tb.pending),
    ] {
        v.push((n.into(), lane(x)));
    }
    for k in 0..DESC_WORDS {
        v.push((format!("r0_w${k}"), lane(&tb.r0_w[k])));
        v.push((format!("r1_w${k}"), lane(&tb.r1_w[k])));
    }
    for k in 0..3 {
        v.push((format!("ev_key${k}"), lane(&tb.ev_key[k])));
    }
    for i in 0..32 {
        v.push((format!("cnt${i}"), tb.cnt[i].val() as u64));
    }
    v.push(("mg_ready".into(), tb.mg_ready.val() as u64));
    v.push(("mg_rvalid".into(), tb.mg_rvalid.val() as u64));
    v.push(("mg_rhit".into(), tb.mg_rhit.val() as u64));
    for k in 0..ENTRY_WORDS {
        v.push((format!("mg_rw${k}"), tb.mg_rw[k].val().0 as u64));
    }
    for i in 0..COUNTERS - 32 {
        v.push((format!("cnt_hi${i}"), tb.cnt_hi[i].val() as u64));
    }
    v
}

/// The per-cycle inputs and outputs of a run, for the Verilator replay.
type Trace = Vec<TraceRow>;

/// Runs `total` records through a table of `2^B` buckets; returns the model's counters, the zero-window probes answered and,
/// when `trace`, every cycle's inputs and outputs.
fn run<const B: usize>(total: usize, seed: u64, trace: bool) -> ([u64; COUNTERS], usize, Trace) {
    let mut probes = 0usize;
    let mut cycles: Trace = Vec::new();
    let cfg = config();
    let geometry = Geometry {
        buckets: 1 << B,
        ways: 4,
    };
    let mut nic = Nic::new(cfg.clone(), geometry);
    let mut tb = Testbench::new(DecisionPipeline::<B>::default(), |t| &mut t.clock).unwrap();
    hdl::drive_config!(tb, &cfg);
    let mut rng = XorShift64::new(seed ^ 0x5a5a);
    let mut traffic = Traffic::new(seed);
    let mut expected: VecDeque<Expect> = VecDeque::new();
    let mut hw_counts = [0u64; COUNTERS];
    let (mut sent, mut decided) = (0usize, 0usize);
    let mut t_ns = 1_000_000u64 * 1_000_000_000;
    let mut stats = [0usize; 5];
    while decided < total {
        assert!(
            tb.cycles() < 40 * total as u64,
            "stuck after {decided} decisions"
        );
        tb.in_valid.next = false;
        // ---- offer the next frame
        if sent < total && tb.in_ready.val() && rng.chance(70) {
            let (from_host, frame) = traffic.next_frame();
            let now = Instant(t_ns);
            t_ns += 1_000_000 + rng.below(3_000_000);
            let rec = HeaderRecord::from_model(&frame);
            let w = RecordWords::pack(&rec, &frame, from_host, now);
            for k in 0..REC_WORDS {
                tb.in_w[k].next = Lane(w.0[k]);
            }
            tb.in_valid.next = true;
            let mut rewritten = frame.clone();
            let port = if from_host { Port::Host } else { Port::Wire };
            let out = nic.process(port, &mut rewritten, now);
            let events: Vec<Transition> = nic.drain_events().collect();
            traffic.observe(&frame, &out);
            // A SYN to the host answering a zero-window probe at the client's ISN carries the
            // probe's own seq (the cookie ACK's is one more).
            let seq_of = |f: &[u8]| wire::parse(f).ok().and_then(|p| p.tcp().map(|t| t.1.seq));
            if let (Some(r), Some(seq)) = (out.replies.first(), seq_of(&frame)) {
                if r.port == Port::Host && seq_of(r.frame.as_slice()) == Some(seq) {
                    probes += 1;
                }
            }
            stats[match out.verdict {
                Verdict::Forward => 0,
                Verdict::Rewrite => 1,
                Verdict::Consume => 2,
                Verdict::Drop(_) => 3,
                Verdict::Punt(_) => 4,
            }] += 1;
            expected.push_back(Expect {
                i: sent,
                from_host,
                frame,
                rewritten,
                out,
                events,
                pending: nic.pending(),
                occupancy: nic.table().occupancy(),
            });
            sent += 1;
        }
        let ins = if trace { inputs(&tb) } else { Vec::new() };
        tb.step();
        if trace {
            cycles.push((ins, outputs(&tb)));
        }
        // ---- collect a decision
        if tb.d_valid.val() {
            let x = expected.pop_front().expect("a decision nobody asked for");
            let d = read(&tb);
            check(&d, &x);
            let pulses = tb.cnt.iter().chain(tb.cnt_hi.iter());
            for (n, p) in hw_counts.iter_mut().zip(pulses) {
                *n += p.val() as u64;
            }
            hw_counts[Counter::FramesGenerated as usize] += tb.gen_two.val() as u64;
            assert_eq!(
                tb.pending.val().0,
                x.pending,
                "record {}: pending gauge",
                x.i
            );
            decided += 1;
            // The write-back of this record has landed one clock before its decision.
            assert_eq!(
                tb.occupancy.val().0 as usize,
                x.occupancy,
                "record {}: occupancy",
                x.i
            );
        }
    }
    for c in Counter::ALL {
        assert_eq!(
            hw_counts[*c as usize],
            nic.counter(*c),
            "counter {}",
            c.name()
        );
    }
    let n = |c: Counter| nic.counter(c);
    println!(
        "{} buckets: {} records in {} clocks: forward {}, rewrite {}, consume {}, drop {}, \
         punt {}; {:?}",
        1 << B,
        total,
        tb.cycles(),
        stats[0],
        stats[1],
        stats[2],
        stats[3],
        stats[4],
        Counter::ALL
            .iter()
            .filter(|c| n(**c) != 0)
            .map(|c| (c.name(), n(*c)))
            .collect::<Vec<_>>()
    );
    // The table, entry for entry, through the management port; then every tracked handshake
    // still pending deleted (as the firmware's timers do): the gauge follows.
    check_table(&mut tb, &nic, geometry);
    let pending_srs: Vec<u32> = nic
        .table()
        .iter()
        .filter(|(_, e)| e.state == TcpState::SynReceived && e.flags & flags::PROXIED == 0)
        .map(|(slot, _)| slot)
        .collect();
    for &slot in &pending_srs {
        manage(&mut tb, slot, true);
    }
    tb.run(4);
    assert_eq!(
        tb.pending.val().0 as usize,
        nic.pending() as usize - pending_srs.len(),
        "the gauge after deleting the pending handshakes"
    );
    assert_eq!(
        tb.occupancy.val().0 as usize,
        nic.table().occupancy() - pending_srs.len(),
        "occupancy after the deletes"
    );
    (*nic.counters(), probes, cycles)
}

#[test]
fn decisions_equal_the_model_frame_for_frame() {
    // A small table (full buckets everywhere) and a roomier one (connections live longer).
    let (small, p1, _) = run::<4>(2500, 0x5eed_dec1_5107, false);
    let (large, p2, _) = run::<8>(3000, 0x00dd_ba11_2026, false);
    assert!(p1 + p2 > 0, "no zero-window probe during a proxy handshake");
    println!("zero-window probes answered: {}", p1 + p2);
    // The traffic reached every path it is meant to.
    let n = |c: Counter| small[c as usize] + large[c as usize];
    for c in [
        Counter::SyncookiesSent,
        Counter::SyncookiesRecv,
        Counter::SyncookiesFailed,
        Counter::SynproxyRetrans,
        Counter::TCPChallengeACK,
        Counter::TWRecycled,
        Counter::TableFull,
        Counter::FloodDetected,
        Counter::PassiveOpens,
        Counter::ActiveOpens,
        Counter::InCsumErrors,
        Counter::NonTcpPassed,
        Counter::FramesRewritten,
        Counter::ListenOverflows,
        Counter::SynproxyHandoffs,
        Counter::EstabResets,
    ] {
        assert!(n(c) > 0, "the traffic never reached {}", c.name());
    }
}

#[test]
fn decision_pipeline_matches_verilator_cycle_for_cycle() {
    let (_, _, trace) = run::<4>(1200, 0x007e_570f_dec1, true);
    let cycles = replay("decision_16x4", &trace);
    println!("decision_16x4 differential: {cycles} cycles equal");
}
