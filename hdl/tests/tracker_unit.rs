//! The state and window unit against `proto::tracker` (`on_wire`, `on_host`, `open_from_peer`,
//! `open_from_host`), one request per clock: every output cycle must show exactly what the model
//! does to the request of [`TRACKER_LATENCY`] cycles before — the new entry words, the table
//! write-back and the action. A randomised differential aimed at every branch (with coverage
//! counts asserted), named cases for the linux-tcp.md §7 behaviours the tracker owns, and the
//! generated Verilog against the rust-hdl simulation under Verilator, cycle for cycle.

mod common;

use common::verilated::{build, per_port, Model};
use hdl::conn_table::{WB_DELETE, WB_INSERT, WB_NONE, WB_UPDATE};
use hdl::stream::XorShift64;
use hdl::testbench::Testbench;
use hdl::tracker_unit::{
    TrackerRequest, TrackerResult, TrackerUnit, ACT_ACCEPT, OP_HOST, OP_OPEN_HOST, OP_OPEN_PEER,
    OP_WIRE, TRACKER_LATENCY,
};
use proto::decision::DropReason;
use proto::state::TcpState::{self, *};
use proto::table::{flags, Entry, FlowKey, WS_NONE};
use proto::time::Instant;
use proto::tracker::{Action, Challenge, MAX_ACK_WINDOW_FLOOR};
use proto::wire::{TcpFlags, TcpInfo, TcpOptions, Timestamp};
use std::collections::BTreeMap;
use std::time::Instant as Clock;

const FIN: u8 = TcpFlags::FIN;
const SYN: u8 = TcpFlags::SYN;
const RST: u8 = TcpFlags::RST;
const PSH: u8 = TcpFlags::PSH;
const ACK: u8 = TcpFlags::ACK;

/// Runs `stim` back to back (one request per clock, then a drain) and checks every output cycle
/// against the model: valid cycles field for field with `TrackerRequest::expected`, idle cycles
/// for `out_valid` and `wb_op` clear. Returns the outputs of every cycle and the simulation speed.
fn run_and_check(stim: &[TrackerRequest]) -> (Vec<TrackerResult>, f64) {
    let mut tb = Testbench::new(TrackerUnit::default(), |u| &mut u.clock).unwrap();
    let idle = TrackerRequest::default();
    let cycles = stim.len() + TRACKER_LATENCY - 1;
    let mut outs = Vec::with_capacity(cycles);
    let t0 = Clock::now();
    for t in 0..cycles {
        stim.get(t).unwrap_or(&idle).drive(&mut tb);
        tb.step();
        outs.push(TrackerResult::read(&tb));
    }
    let speed = cycles as f64 / t0.elapsed().as_secs_f64();
    for (t, out) in outs.iter().enumerate() {
        let Some(req) = (t + 1)
            .checked_sub(TRACKER_LATENCY)
            .and_then(|i| stim.get(i))
        else {
            assert!(
                !out.valid && u64::from(out.wb_op) == WB_NONE,
                "cycle {t}: {out:?}"
            );
            continue;
        };
        if req.valid {
            let want = req.expected();
            assert_eq!(
                *out,
                want,
                "cycle {t}: request {req:?}\n  entry {:?}\n  action: unit {:?}, proto {:?}",
                Entry::unpack(&req.w),
                out.action(),
                want.action()
            );
        } else {
            assert!(
                !out.valid && u64::from(out.wb_op) == WB_NONE,
                "cycle {t}: {out:?}"
            );
        }
    }
    (outs, speed)
}

// ---------------------------------------------------------------- the randomised stimulus

fn pick<T: Copy>(rng: &mut XorShift64, xs: &[T]) -> T {
    xs[rng.below(xs.len() as u64) as usize]
}

/// A sequence number: mostly random, sometimes at the edges of the 32-bit circle.
fn seq_number(rng: &mut XorShift64) -> u32 {
    if rng.chance(25) {
        pick(
            rng,
            &[
                0,
                1,
                u32::MAX,
                0x7FFF_FFFF,
                0x8000_0000,
                0x8000_0001,
                65_535,
            ],
        )
    } else {
        rng.next_u32()
    }
}

fn window_scale(rng: &mut XorShift64) -> u8 {
    match rng.below(8) {
        0 | 1 => WS_NONE,
        2 => 0,
        3 => 14,
        4 => 7,
        _ => rng.below(15) as u8,
    }
}

fn max_window(rng: &mut XorShift64) -> u16 {
    match rng.below(8) {
        0 => 0,
        1 => 1,
        2 => u16::MAX,
        3 => rng.below(64) as u16,
        _ => rng.next_u32() as u16,
    }
}

/// An entry in `state` with realistic and edge-case fields.
fn random_entry(rng: &mut XorShift64, state: TcpState) -> Entry {
    let key = FlowKey {
        peer_addr: rng.next_u32().to_be_bytes(),
        host_addr: rng.next_u32().to_be_bytes(),
        peer_port: rng.next_u32() as u16,
        host_port: rng.next_u32() as u16,
    };
    let mut e = Entry::new(key, state);
    e.flags = (rng.next_u32() & 0xD) as u8;
    if rng.chance(70) {
        e.flags |= flags::TS_OK;
    }
    e.peer_ws = window_scale(rng);
    e.host_ws = window_scale(rng);
    e.stamp = rng.next_u32() as u16;
    e.peer_end = seq_number(rng);
    e.host_end = if rng.chance(if state == SynReceived { 40 } else { 8 }) {
        0
    } else {
        seq_number(rng)
    };
    e.peer_maxwin = max_window(rng);
    e.host_maxwin = max_window(rng);
    e.seq_off = rng.next_u32();
    e.ts_off = rng.next_u32();
    e.ts_recent = if rng.chance(15) { 0 } else { seq_number(rng) };
    e
}

fn small_delta(rng: &mut XorShift64) -> u32 {
    (rng.below(3) as u32).wrapping_sub(1) // -1, 0, +1
}

/// A request aimed at the model's branches: sequence numbers at the window edges (in and out by
/// one), exact and inexact RSTs, SYNs in every state, old and new timestamps.
fn random_request(rng: &mut XorShift64) -> TrackerRequest {
    let op = match rng.below(20) {
        0..=13 => OP_WIRE,
        14..=17 => OP_HOST,
        18 => OP_OPEN_PEER,
        _ => OP_OPEN_HOST,
    };
    let state = match rng.below(100) {
        0..=2 => Closed,
        3..=5 => Listen,
        6..=17 => SynSent,
        18..=31 => SynReceived,
        32..=45 => TimeWait,
        46..=59 => Established,
        60..=67 => FinWait1,
        68..=75 => FinWait2,
        76..=83 => CloseWait,
        84..=91 => Closing,
        _ => LastAck,
    };
    let e = random_entry(rng, state);
    let fl = match rng.below(24) {
        0..=4 => ACK,
        5 | 6 => ACK | PSH,
        7 | 8 => ACK | FIN,
        9 => ACK | FIN | PSH,
        10..=12 => SYN,
        13..=14 => SYN | ACK,
        15..=16 => RST,
        17..=18 => RST | ACK,
        19 => FIN,
        20 => 0,
        21 => SYN | FIN,
        22 => SYN | ACK | FIN,
        _ => rng.next_u32() as u8,
    };
    let syn_fin = u32::from(fl & SYN != 0) + u32::from(fl & FIN != 0);
    let payload_len = match rng.below(10) {
        0..=4 => 0,
        5..=7 => 1 + rng.below(1500) as u16,
        8 => u16::MAX - rng.below(3) as u16,
        _ => rng.next_u32() as u16,
    };
    let seg_len = u32::from(payload_len) + syn_fin;
    let rw = e.host_maxwin_bytes().max(1);
    let maw = e.peer_maxwin_bytes().max(MAX_ACK_WINDOW_FLOOR);
    let pe = e.peer_end;
    let seq = match rng.below(12) {
        0 | 1 => pe,
        2 => pe.wrapping_sub(1),
        3 => pe.wrapping_add(1),
        // The upper bound peer_end + rcv_wnd (conntrack I, RST in-window upper edge).
        4 => pe.wrapping_add(rw).wrapping_add(small_delta(rng)),
        // An end at the lower bound peer_end - rcv_wnd (conntrack II).
        5 => pe
            .wrapping_sub(rw)
            .wrapping_add(small_delta(rng))
            .wrapping_sub(seg_len),
        // end == peer_end (TIME-WAIT re-ACK) or next to it.
        6 => pe.wrapping_sub(seg_len).wrapping_add(small_delta(rng)),
        // Half the circle away: before() and after() both hold at exactly 2^31.
        7 => pe.wrapping_add(0x8000_0000).wrapping_add(small_delta(rng)),
        8 => pe.wrapping_add(rng.below(u64::from(rw) + 1) as u32),
        9 => pe.wrapping_sub(rng.below(u64::from(rw) + 1) as u32),
        _ => seq_number(rng),
    };
    let he = e.host_end;
    let ack = match rng.below(10) {
        0..=2 => he,
        3 => he.wrapping_add(small_delta(rng)),
        // The lower ACK bound host_end - max_ack_window (RFC 5961 §5).
        4 => he.wrapping_sub(maw).wrapping_add(small_delta(rng)),
        5 => he.wrapping_add(0x8000_0000).wrapping_add(small_delta(rng)),
        6 => he.wrapping_sub(rng.below(u64::from(maw) + 1) as u32),
        // The host's ACK of the peer's sequence (simultaneous open).
        7 | 8 if rng.chance(50) => e.peer_end,
        7 | 8 => e.peer_end.wrapping_add(small_delta(rng)),
        _ => seq_number(rng),
    };
    let tsval = if rng.chance(30) {
        None
    } else {
        let tr = e.ts_recent;
        Some(match rng.below(12) {
            0..=5 => tr.wrapping_add((rng.below(7) as u32).wrapping_sub(3)),
            6 => tr.wrapping_add(0x8000_0000).wrapping_add(small_delta(rng)),
            7 => tr.wrapping_add(0x7FFF_FFFF).wrapping_add(small_delta(rng)),
            _ => seq_number(rng),
        })
    };
    let ws = if rng.chance(40) {
        None
    } else {
        Some(rng.below(21) as u8)
    };
    let window = match rng.below(6) {
        0 => 0,
        1 => e.peer_maxwin.wrapping_add(small_delta(rng) as u16),
        2 => e.host_maxwin.wrapping_add(small_delta(rng) as u16),
        _ => rng.next_u32() as u16,
    };
    let tcp = segment(seq, ack, fl, window, payload_len, tsval, ws);
    let now = Instant::from_secs(rng.below(1 << 20));
    TrackerRequest::new(op, &e, &tcp, rng.chance(50), now)
}

fn segment(
    seq: u32,
    ack: u32,
    fl: u8,
    window: u16,
    payload_len: u16,
    tsval: Option<u32>,
    ws: Option<u8>,
) -> TcpInfo {
    TcpInfo {
        offset: 34,
        header_len: 20,
        src_port: 40000,
        dst_port: 80,
        seq,
        ack,
        flags: TcpFlags(fl),
        window,
        checksum: 0,
        urgent: 0,
        payload_len: usize::from(payload_len),
        options: TcpOptions {
            wscale: ws,
            timestamp: tsval.map(|tsval| Timestamp {
                tsval,
                tsecr: 0,
                offset: 0,
            }),
            ..TcpOptions::default()
        },
    }
}

/// Names of the model branches a request takes (beyond its (op, state, action, new state)),
/// for the coverage assertions.
fn branches(req: &TrackerRequest, out: &TrackerResult) -> Vec<&'static str> {
    let e = Entry::unpack(&req.w).unwrap();
    let n = Entry::unpack(&out.w).unwrap();
    let tcp = req.tcp_info();
    let f = tcp.flags;
    let a = out.action().unwrap();
    let mut v = Vec::new();
    let sync = e.state.synchronized() && e.state != TimeWait;
    if req.op == OP_WIRE {
        if e.state == TimeWait && a == Action::Reuse && !proto::tracker::after(tcp.seq, e.peer_end)
        {
            v.push("TIME-WAIT reuse by timestamp alone");
        }
        if e.state == TimeWait
            && f.syn()
            && !f.ack()
            && e.has(flags::TS_OK)
            && tcp.options.timestamp.is_some()
            && a != Action::Reuse
        {
            v.push("TIME-WAIT old SYN with older timestamp");
        }
        if sync && f.rst() && a == Action::Accept && tcp.seq == e.peer_end.wrapping_sub(1) {
            v.push("exact RST at RCV.NXT - 1 after the peer's FIN");
        }
        if sync && f.rst() && tcp.seq == e.peer_end.wrapping_sub(1) && a != Action::Accept {
            v.push("RST at RCV.NXT - 1 before the peer's FIN: not exact");
        }
        if sync && f.syn() && a == Action::Challenge(Challenge::Syn) && !f.rst() {
            if let (Some(ts), true) = (tcp.options.timestamp, e.has(flags::TS_OK)) {
                if (e.ts_recent.wrapping_sub(ts.tsval) as i32) > 1 && e.ts_recent != 0 {
                    v.push("PAWS-old SYN: challenge, not PAWS drop");
                }
            }
        }
        if sync && f.rst() && a == Action::Accept && tcp.options.timestamp.is_some() {
            if let Some(ts) = tcp.options.timestamp {
                if e.has(flags::TS_OK)
                    && e.ts_recent != 0
                    && (e.ts_recent.wrapping_sub(ts.tsval) as i32) > 1
                {
                    v.push("PAWS-old exact RST accepted (RSTs exempt)");
                }
            }
        }
        if a == Action::Accept && (e.state == SynReceived || sync) && n.state != Closed {
            if n.peer_end != e.peer_end {
                v.push("update_from_wire: peer_end advanced");
            } else {
                v.push("update_from_wire: peer_end kept");
            }
            if n.ts_recent != e.ts_recent {
                v.push("update_from_wire: ts_recent updated");
            } else if tcp.options.timestamp.is_some() && e.has(flags::TS_OK) {
                v.push("update_from_wire: ts_recent kept");
            }
            if n.peer_maxwin != e.peer_maxwin {
                v.push("update_from_wire: peer_maxwin grew");
            }
        }
        if e.state == SynSent && a == Action::Accept && n.state != Closed {
            v.push(if e.host_ws != WS_NONE && n.peer_ws != WS_NONE {
                "SYN-SENT: both SYNs scaled, windows in scaled units"
            } else {
                "SYN-SENT: no scaling"
            });
            if tcp.options.timestamp.is_none() && e.has(flags::TS_OK) {
                v.push("SYN-SENT: TS_OK withdrawn");
            }
        }
        if sync
            && matches!(a, Action::Challenge(Challenge::Ack))
            && e.peer_maxwin_bytes() > MAX_ACK_WINDOW_FLOOR
        {
            v.push("ACK below a scaled max window (above the 66000 floor)");
        }
        if sync && f.ack() && !f.rst() && !f.syn() {
            let d = tcp.seq.wrapping_sub(e.peer_end);
            if d == 0x8000_0000 {
                v.push("seq exactly 2^31 from peer_end");
            }
        }
    }
    if req.op == OP_HOST && e.state == SynReceived && e.host_end == 0 && f.syn() && !f.rst() {
        v.push(if f.ack() {
            "host SYN-ACK in SYN-RECEIVED"
        } else {
            "host crossing SYN in SYN-RECEIVED"
        });
        if e.peer_ws != WS_NONE && n.host_ws != WS_NONE {
            v.push("host SYN: both SYNs scaled");
        }
    }
    if req.op == OP_HOST && n.host_end != e.host_end && e.host_end != 0 {
        v.push("host: host_end advanced");
    }
    v
}

#[derive(Default)]
struct Coverage {
    /// (op, old state, action, new state) -> count
    outcomes: BTreeMap<(u8, TcpState, String, TcpState), usize>,
    branches: BTreeMap<&'static str, usize>,
}

impl Coverage {
    fn add(&mut self, req: &TrackerRequest, out: &TrackerResult) {
        let old = Entry::unpack(&req.w).unwrap().state;
        let new = Entry::unpack(&out.w).unwrap().state;
        let act = format!("{:?}", out.action().unwrap());
        *self.outcomes.entry((req.op, old, act, new)).or_default() += 1;
        for b in branches(req, out) {
            *self.branches.entry(b).or_default() += 1;
        }
    }

    fn count(&self, op: u8, old: TcpState, act: Action, new: TcpState) -> usize {
        self.outcomes
            .get(&(op, old, format!("{act:?}"), new))
            .copied()
            .unwrap_or(0)
    }
}

fn mixed_stimulus(seed: u64, n: usize) -> Vec<TrackerRequest> {
    let mut rng = XorShift64::new(seed);
    let mut stim = Vec::with_capacity(n);
    for i in 0..n {
        if rng.chance(5) {
            // An idle cycle with junk on every input, invalid state codes included.
            let mut r = random_request(&mut rng);
            r.valid = false;
            r.op = rng.below(4) as u8;
            r.w[3] = rng.next_u32();
            stim.push(r);
        } else {
            let mut r = random_request(&mut rng);
            r.tag = i as u16;
            stim.push(r);
        }
    }
    stim
}

#[test]
fn random_requests_back_to_back_match_proto() {
    let n = 40_000;
    let stim = mixed_stimulus(0x7EAC_4E20_0001, n);
    let (outs, speed) = run_and_check(&stim);
    let mut cov = Coverage::default();
    for (req, out) in stim
        .iter()
        .zip(&outs[TRACKER_LATENCY - 1..])
        .filter(|(r, _)| r.valid)
    {
        cov.add(req, out);
    }

    // Every outcome of the model's if-chains, for every state (minimum counts).
    let drop = Action::Drop;
    let ch = Action::Challenge;
    let mut need: Vec<(u8, TcpState, Action, TcpState)> = vec![
        (OP_WIRE, SynSent, Action::Accept, Closed),
        (OP_WIRE, SynSent, Action::Accept, Established),
        (OP_WIRE, SynSent, Action::Accept, SynReceived),
        (OP_WIRE, SynSent, drop(DropReason::RstOutOfWindow), SynSent),
        (OP_WIRE, SynSent, drop(DropReason::AckOutOfRange), SynSent),
        (OP_WIRE, SynSent, Action::Ignore, SynSent),
        (OP_WIRE, SynReceived, Action::Accept, Closed),
        (
            OP_WIRE,
            SynReceived,
            drop(DropReason::RstOutOfWindow),
            SynReceived,
        ),
        (OP_WIRE, SynReceived, Action::Ignore, SynReceived),
        (
            OP_WIRE,
            SynReceived,
            drop(DropReason::InvalidFlags),
            SynReceived,
        ),
        (
            OP_WIRE,
            SynReceived,
            drop(DropReason::AckOutOfRange),
            SynReceived,
        ),
        (OP_WIRE, SynReceived, Action::Accept, Established),
        (OP_WIRE, SynReceived, Action::Accept, CloseWait),
        (OP_WIRE, TimeWait, Action::Reuse, TimeWait),
        (OP_WIRE, TimeWait, ch(Challenge::TimeWait), TimeWait),
        (OP_WIRE, TimeWait, drop(DropReason::Rfc1337), TimeWait),
        (OP_WIRE, TimeWait, Action::Accept, Closed),
        (
            OP_WIRE,
            TimeWait,
            drop(DropReason::RstOutOfWindow),
            TimeWait,
        ),
        (OP_WIRE, TimeWait, ch(Challenge::Syn), TimeWait),
        (OP_WIRE, TimeWait, Action::Accept, TimeWait),
        (OP_WIRE, TimeWait, Action::Ignore, TimeWait),
        (OP_WIRE, Closed, drop(DropReason::UnknownFlow), Closed),
        (OP_WIRE, Listen, drop(DropReason::UnknownFlow), Listen),
        // Synchronized-state moves (RFC 9293 fifth and eighth steps).
        (OP_WIRE, Established, Action::Accept, CloseWait),
        (OP_WIRE, FinWait1, Action::Accept, FinWait2),
        (OP_WIRE, FinWait1, Action::Accept, Closing),
        (OP_WIRE, FinWait1, Action::Accept, TimeWait),
        (OP_WIRE, FinWait2, Action::Accept, TimeWait),
        (OP_WIRE, Closing, Action::Accept, TimeWait),
        (OP_WIRE, CloseWait, Action::Accept, CloseWait),
        // on_host.
        (OP_HOST, Established, Action::Accept, FinWait1),
        (OP_HOST, SynReceived, Action::Accept, FinWait1),
        (OP_HOST, SynReceived, Action::Accept, Established),
        (OP_HOST, SynReceived, Action::Accept, SynReceived),
        (OP_HOST, CloseWait, Action::Accept, LastAck),
        (OP_HOST, TimeWait, Action::Accept, TimeWait),
        (OP_HOST, SynSent, Action::Accept, SynSent),
        (OP_OPEN_PEER, Closed, Action::Accept, SynReceived),
        (OP_OPEN_HOST, Closed, Action::Accept, SynSent),
    ];
    for s in [Established, FinWait1, FinWait2, CloseWait, Closing, LastAck] {
        for a in [
            ch(Challenge::Syn),
            ch(Challenge::Rst),
            ch(Challenge::Ack),
            drop(DropReason::Paws),
            drop(DropReason::RstOutOfWindow),
            drop(DropReason::InvalidFlags),
            drop(DropReason::OutOfWindow),
            drop(DropReason::AckOutOfRange),
            Action::Ignore,
        ] {
            need.push((OP_WIRE, s, a, s));
        }
        need.push((OP_WIRE, s, Action::Accept, Closed));
        if s != LastAck {
            need.push((OP_WIRE, s, Action::Accept, s));
        }
        need.push((OP_HOST, s, Action::Accept, Closed));
    }
    let short: Vec<String> = need
        .iter()
        .map(|&(op, old, act, new)| (op, old, act, new, cov.count(op, old, act, new)))
        .filter(|x| x.4 < 10)
        .map(|(op, old, act, new, c)| format!("op {op} {old} --{act:?}--> {new}: {c}"))
        .collect();
    assert!(
        short.is_empty(),
        "outcomes reached fewer than 10 times: {short:#?}"
    );
    // Open ops on entries in any state insert (the model takes whatever entry it is given).
    let opens: usize = cov
        .outcomes
        .iter()
        .filter(|((op, ..), _)| *op >= OP_OPEN_PEER)
        .map(|(_, c)| c)
        .sum();
    assert!(opens > 2000);

    let need_branches = [
        ("TIME-WAIT reuse by timestamp alone", 20),
        ("TIME-WAIT old SYN with older timestamp", 20),
        ("exact RST at RCV.NXT - 1 after the peer's FIN", 20),
        ("RST at RCV.NXT - 1 before the peer's FIN: not exact", 20),
        ("PAWS-old SYN: challenge, not PAWS drop", 20),
        ("PAWS-old exact RST accepted (RSTs exempt)", 10),
        ("update_from_wire: peer_end advanced", 100),
        ("update_from_wire: peer_end kept", 100),
        ("update_from_wire: ts_recent updated", 100),
        ("update_from_wire: ts_recent kept", 100),
        ("update_from_wire: peer_maxwin grew", 100),
        ("SYN-SENT: both SYNs scaled, windows in scaled units", 50),
        ("SYN-SENT: no scaling", 50),
        ("SYN-SENT: TS_OK withdrawn", 20),
        ("ACK below a scaled max window (above the 66000 floor)", 10),
        ("seq exactly 2^31 from peer_end", 10),
        ("host SYN-ACK in SYN-RECEIVED", 20),
        ("host crossing SYN in SYN-RECEIVED", 20),
        ("host SYN: both SYNs scaled", 20),
        ("host: host_end advanced", 100),
    ];
    let short: Vec<String> = need_branches
        .iter()
        .map(|&(b, min)| (b, min, cov.branches.get(b).copied().unwrap_or(0)))
        .filter(|x| x.2 < x.1)
        .map(|(b, min, c)| format!("{b}: {c} < {min}"))
        .collect();
    assert!(short.is_empty(), "branches reached too rarely: {short:#?}");

    let wb = |k: u64| {
        outs.iter()
            .filter(|o| o.valid && u64::from(o.wb_op) == k)
            .count()
    };
    println!(
        "tracker_unit: {n} requests at II = 1, latency {TRACKER_LATENCY}: {} outcomes ({} distinct, \
         {} required >= 10 times each, {} named branches), \
         write-backs none {} / update {} / delete {} / insert {}; rust-hdl {speed:.0} cycles/s",
        cov.outcomes.values().sum::<usize>(),
        cov.outcomes.len(),
        need.len(),
        need_branches.len(),
        wb(WB_NONE),
        wb(WB_UPDATE),
        wb(WB_DELETE),
        wb(WB_INSERT)
    );
    for (b, c) in &cov.branches {
        println!("  branch {b}: {c}");
    }
}

// ---------------------------------------------------------------- named cases

/// Runs one request through the unit (checked against the model by `run_and_check`) and
/// returns its result.
fn run_one(op: u8, e: &Entry, tcp: &TcpInfo, rfc1337: bool) -> TrackerResult {
    run_many(&[TrackerRequest::new(
        op,
        e,
        tcp,
        rfc1337,
        Instant::from_secs(70_000),
    )])[0]
}

fn run_many(reqs: &[TrackerRequest]) -> Vec<TrackerResult> {
    let (outs, _) = run_and_check(reqs);
    outs[TRACKER_LATENCY - 1..].to_vec()
}

fn wire(e: &Entry, tcp: &TcpInfo) -> (Option<Action>, u64, Entry) {
    let o = run_one(OP_WIRE, e, tcp, false);
    (o.action(), u64::from(o.wb_op), Entry::unpack(&o.w).unwrap())
}

fn key() -> FlowKey {
    FlowKey {
        peer_addr: [198, 51, 100, 7],
        host_addr: [192, 0, 2, 80],
        peer_port: 40000,
        host_port: 443,
    }
}

/// An ESTABLISHED connection: RCV.NXT 1000, SND.NXT 5000, windows 65535 unscaled, timestamps
/// with ts_recent 100.
fn established() -> Entry {
    let mut e = Entry::new(key(), Established);
    e.flags = flags::TS_OK;
    e.peer_end = 1000;
    e.host_end = 5000;
    e.peer_maxwin = 65535;
    e.host_maxwin = 65535;
    e.ts_recent = 100;
    e.stamp = 7;
    e
}

fn seg(seq: u32, ack: u32, fl: u8) -> TcpInfo {
    segment(seq, ack, fl, 1000, 0, None, None)
}

fn with_ts(mut t: TcpInfo, tsval: u32) -> TcpInfo {
    t.options.timestamp = Some(Timestamp {
        tsval,
        tsecr: 0,
        offset: 0,
    });
    t
}

#[test]
fn conformance_33_rst_exact_in_window_outside() {
    let e = established();
    // seq == RCV.NXT: reset; the entry goes.
    let (a, wb, n) = wire(&e, &seg(1000, 0, RST));
    assert_eq!((a, wb, n.state), (Some(Action::Accept), WB_DELETE, Closed));
    // In the window but not exact: challenge ACK, entry untouched.
    let (a, wb, n) = wire(&e, &seg(1100, 0, RST));
    assert_eq!((a, wb), (Some(Action::Challenge(Challenge::Rst)), WB_NONE));
    assert_eq!(n, e);
    // Last in-window sequence number and the first one past it (RCV.NXT + RCV.WND).
    let (a, ..) = wire(&e, &seg(1000 + 65534, 0, RST | ACK));
    assert_eq!(a, Some(Action::Challenge(Challenge::Rst)));
    let (a, wb, _) = wire(&e, &seg(1000 + 65535, 0, RST | ACK));
    assert_eq!(
        (a, wb),
        (Some(Action::Drop(DropReason::RstOutOfWindow)), WB_NONE)
    );
    // Below RCV.NXT (conformance 30): silent drop; RCV.NXT - 1 counts only after the peer's FIN.
    let (a, ..) = wire(&e, &seg(999, 0, RST));
    assert_eq!(a, Some(Action::Drop(DropReason::RstOutOfWindow)));
    for s in [CloseWait, LastAck, Closing] {
        let mut e2 = e;
        e2.state = s;
        let (a, wb, n) = wire(&e2, &seg(999, 0, RST));
        assert_eq!(
            (a, wb, n.state),
            (Some(Action::Accept), WB_DELETE, Closed),
            "{s}"
        );
    }
}

#[test]
fn conformance_34_syn_on_established_gets_challenge_ack() {
    let e = established();
    for (seq, fl) in [(1000, SYN), (1500, SYN), (7, SYN | ACK), (1000, SYN | ACK)] {
        let (a, wb, n) = wire(&e, &seg(seq, 5000, fl));
        assert_eq!((a, wb), (Some(Action::Challenge(Challenge::Syn)), WB_NONE));
        assert_eq!(n, e, "no state change");
    }
}

#[test]
fn conformance_36_ack_range() {
    let e = established();
    // ACK > SND.NXT: dropped.
    let (a, ..) = wire(&e, &seg(1000, 5001, ACK));
    assert_eq!(a, Some(Action::Drop(DropReason::AckOutOfRange)));
    // ACK below SND.NXT - max(MAX.SND.WND, 66000): challenge ACK; at the bound: accepted.
    let (a, wb, _) = wire(&e, &seg(1000, 5000u32.wrapping_sub(66_001), ACK));
    assert_eq!((a, wb), (Some(Action::Challenge(Challenge::Ack)), WB_NONE));
    let (a, wb, n) = wire(&e, &seg(1000, 5000u32.wrapping_sub(66_000), ACK));
    assert_eq!((a, wb), (Some(Action::Accept), WB_UPDATE));
    assert_eq!(n.stamp, 70_000u32 as u16, "stamp refreshed");
    // With a scaled peer window of 65535 << 7 the floor is the window, not 66000.
    let mut big = e;
    big.peer_ws = 7;
    big.host_ws = 7;
    let maw = 65535u32 << 7;
    let (a, ..) = wire(&big, &seg(1000, 5000u32.wrapping_sub(maw), ACK));
    assert_eq!(a, Some(Action::Accept));
    let (a, ..) = wire(&big, &seg(1000, 5000u32.wrapping_sub(maw + 1), ACK));
    assert_eq!(a, Some(Action::Challenge(Challenge::Ack)));
}

#[test]
fn conformance_28_sequence_bounds() {
    let e = established();
    // Above RCV.NXT + max window: invalid.
    let (a, ..) = wire(&e, &seg(1000 + 65536, 5000, ACK));
    assert_eq!(a, Some(Action::Drop(DropReason::OutOfWindow)));
    let (a, ..) = wire(&e, &seg(1000 + 65535, 5000, ACK));
    assert_eq!(a, Some(Action::Accept));
    // An old retransmission entirely below RCV.NXT - window: passed, state untouched.
    let old = segment(
        1000u32.wrapping_sub(65535 + 100),
        5000,
        ACK,
        1000,
        99,
        None,
        None,
    );
    let (a, wb, n) = wire(&e, &old);
    assert_eq!((a, wb), (Some(Action::Ignore), WB_NONE));
    assert_eq!(n, e);
    // Ending exactly at the bound is not "below" it.
    let edge = segment(
        1000u32.wrapping_sub(65535 + 100),
        5000,
        ACK,
        1000,
        100,
        None,
        None,
    );
    assert_eq!(wire(&e, &edge).0, Some(Action::Accept));
    // Data advances RCV.NXT and the peer's max window.
    let data = segment(1000, 5000, ACK | PSH, 2000, 500, None, None);
    let (a, wb, n) = wire(&e, &data);
    assert_eq!((a, wb, n.peer_end), (Some(Action::Accept), WB_UPDATE, 1500));
}

#[test]
fn conformance_38_paws() {
    let e = established(); // ts_recent 100
                           // TSval older by more than one tick: dropped (no dup ACK in tcpoff).
    let (a, wb, n) = wire(&e, &with_ts(seg(1000, 5000, ACK), 98));
    assert_eq!((a, wb), (Some(Action::Drop(DropReason::Paws)), WB_NONE));
    assert_eq!(n, e);
    // One tick older (TCP_PAWS_WINDOW = 1): accepted, ts_recent kept.
    let (a, _, n) = wire(&e, &with_ts(seg(1000, 5000, ACK), 99));
    assert_eq!((a, n.ts_recent), (Some(Action::Accept), 100));
    // Newer: accepted, ts_recent updated (RFC 7323 §4.3).
    let (a, _, n) = wire(&e, &with_ts(seg(1000, 5000, ACK), 150));
    assert_eq!((a, n.ts_recent), (Some(Action::Accept), 150));
    // RSTs are exempt; a PAWS-old SYN gets the RFC 5961 challenge.
    let (a, ..) = wire(&e, &with_ts(seg(1000, 0, RST), 5));
    assert_eq!(a, Some(Action::Accept));
    let (a, ..) = wire(&e, &with_ts(seg(1000, 0, SYN), 5));
    assert_eq!(a, Some(Action::Challenge(Challenge::Syn)));
    // No PAWS without TS_OK or before a ts_recent exists.
    let mut no_ts = e;
    no_ts.flags = 0;
    assert_eq!(
        wire(&no_ts, &with_ts(seg(1000, 5000, ACK), 5)).0,
        Some(Action::Accept)
    );
    let mut zero = e;
    zero.ts_recent = 0;
    assert_eq!(
        wire(&zero, &with_ts(seg(1000, 5000, ACK), 0x9000_0000)).0,
        Some(Action::Accept)
    );
}

fn time_wait() -> Entry {
    let mut e = established();
    e.state = TimeWait;
    e
}

#[test]
fn conformance_39_rst_in_time_wait_rfc1337() {
    let e = time_wait();
    let rst = seg(1000, 0, RST);
    let off = run_one(OP_WIRE, &e, &rst, false);
    assert_eq!(
        (off.action(), u64::from(off.wb_op)),
        (Some(Action::Accept), WB_DELETE)
    );
    let on = run_one(OP_WIRE, &e, &rst, true);
    assert_eq!(
        (on.action(), u64::from(on.wb_op)),
        (Some(Action::Drop(DropReason::Rfc1337)), WB_NONE)
    );
    let inexact = run_one(OP_WIRE, &e, &seg(1001, 0, RST), false);
    assert_eq!(
        inexact.action(),
        Some(Action::Drop(DropReason::RstOutOfWindow))
    );
    // A retransmitted FIN (end == RCV.NXT) restarts 2*MSL; anything else is ignored.
    let fin = run_one(OP_WIRE, &e, &seg(999, 5000, FIN | ACK), false);
    assert_eq!(
        (fin.action(), u64::from(fin.wb_op)),
        (Some(Action::Accept), WB_UPDATE)
    );
    assert_eq!(Entry::unpack(&fin.w).unwrap().stamp, 70_000u32 as u16);
    let stray = run_one(OP_WIRE, &e, &seg(2000, 5000, ACK), false);
    assert_eq!(stray.action(), Some(Action::Ignore));
}

#[test]
fn conformance_32_40_newer_syn_reuses_time_wait() {
    let e = time_wait(); // RCV.NXT 1000, ts_recent 100, TS_OK
    let syn = |seq, ts: Option<u32>| {
        let t = seg(seq, 0, SYN);
        match ts {
            Some(v) => with_ts(t, v),
            None => t,
        }
    };
    // seq above RCV.NXT: reuse (the entry is deleted, the SYN starts a new connection).
    let (a, wb, _) = wire(&e, &syn(1001, None));
    assert_eq!((a, wb), (Some(Action::Reuse), WB_DELETE));
    // Not above, no timestamp: the old SYN is re-ACKed (TCP_TW_ACK).
    let (a, wb, _) = wire(&e, &syn(1000, None));
    assert_eq!(
        (a, wb),
        (Some(Action::Challenge(Challenge::TimeWait)), WB_NONE)
    );
    // Not above but a newer timestamp: reuse; an older or equal one: re-ACK.
    assert_eq!(wire(&e, &syn(900, Some(101))).0, Some(Action::Reuse));
    assert_eq!(
        wire(&e, &syn(900, Some(100))).0,
        Some(Action::Challenge(Challenge::TimeWait))
    );
    // Timestamps count only when both sides use them.
    let mut no_ts = e;
    no_ts.flags = 0;
    assert_eq!(
        wire(&no_ts, &syn(900, Some(101))).0,
        Some(Action::Challenge(Challenge::TimeWait))
    );
    // A SYN-ACK in TIME-WAIT: RFC 5961 §4 challenge.
    assert_eq!(
        wire(&e, &seg(1001, 0, SYN | ACK)).0,
        Some(Action::Challenge(Challenge::Syn))
    );
}

/// A passive open in progress: the peer's SYN (ISN 999) and the host's SYN-ACK (ISN 4999) seen.
fn syn_received() -> Entry {
    let mut e = Entry::new(key(), SynReceived);
    e.peer_end = 1000;
    e.host_end = 5000;
    e.peer_maxwin = 65535;
    e.host_maxwin = 65535;
    e
}

#[test]
fn conformance_41_syn_received() {
    let e = syn_received();
    // Retransmitted SYN: passed on (the host resends its SYN-ACK), state untouched.
    assert_eq!(wire(&e, &seg(999, 0, SYN)).0, Some(Action::Ignore));
    // ACK not acknowledging the host's SYN: the host would RST it; dropped.
    assert_eq!(
        wire(&e, &seg(1000, 5001, ACK)).0,
        Some(Action::Drop(DropReason::AckOutOfRange))
    );
    // Exact RST removes the entry; in-window inexact RST is dropped.
    let (a, wb, _) = wire(&e, &seg(1000, 0, RST));
    assert_eq!((a, wb), (Some(Action::Accept), WB_DELETE));
    assert_eq!(
        wire(&e, &seg(1001, 0, RST)).0,
        Some(Action::Drop(DropReason::RstOutOfWindow))
    );
    // No ACK bit: invalid.
    assert_eq!(
        wire(&e, &seg(1000, 0, FIN)).0,
        Some(Action::Drop(DropReason::InvalidFlags))
    );
    // The handshake's ACK: ESTABLISHED; with a FIN: CLOSE-WAIT.
    let (a, wb, n) = wire(&e, &seg(1000, 5000, ACK));
    assert_eq!(
        (a, wb, n.state),
        (Some(Action::Accept), WB_UPDATE, Established)
    );
    assert_eq!(wire(&e, &seg(1000, 5000, ACK | FIN)).2.state, CloseWait);
    // Before the host answered (host_end 0) no ACK is acceptable.
    let mut early = e;
    early.host_end = 0;
    assert_eq!(
        wire(&early, &seg(1000, 0, ACK)).0,
        Some(Action::Drop(DropReason::AckOutOfRange))
    );
}

#[test]
fn conformance_43_simultaneous_close_through_closing() {
    let mut e = established();
    e.state = FinWait1;
    e.host_end = 5001; // the host's FIN
                       // The peer's FIN crossing ours (not acknowledging it): CLOSING.
    let (a, _, n) = wire(&e, &seg(1000, 5000, FIN | ACK));
    assert_eq!(
        (a, n.state, n.peer_end),
        (Some(Action::Accept), Closing, 1001)
    );
    // The ACK of our FIN in CLOSING: TIME-WAIT.
    let (_, _, n2) = wire(&n, &seg(1001, 5001, ACK));
    assert_eq!(n2.state, TimeWait);
    // FIN + ACK of our FIN in FIN-WAIT-1: straight to TIME-WAIT; without FIN: FIN-WAIT-2.
    assert_eq!(wire(&e, &seg(1000, 5001, FIN | ACK)).2.state, TimeWait);
    assert_eq!(wire(&e, &seg(1000, 5001, ACK)).2.state, FinWait2);
    // LAST-ACK: the ACK of the host's FIN closes (the entry goes).
    let mut la = e;
    la.state = LastAck;
    let (a, wb, n) = wire(&la, &seg(1000, 5001, ACK));
    assert_eq!((a, wb, n.state), (Some(Action::Accept), WB_DELETE, Closed));
    // The host's FIN: ESTABLISHED -> FIN-WAIT-1, CLOSE-WAIT -> LAST-ACK.
    let host_fin = seg(5000, 1000, FIN | ACK);
    let o = run_one(OP_HOST, &established(), &host_fin, false);
    assert_eq!(Entry::unpack(&o.w).unwrap().state, FinWait1);
    assert_eq!(Entry::unpack(&o.w).unwrap().host_end, 5001);
    let mut cw = established();
    cw.state = CloseWait;
    assert_eq!(
        Entry::unpack(&run_one(OP_HOST, &cw, &host_fin, false).w)
            .unwrap()
            .state,
        LastAck
    );
}

#[test]
fn conformance_26_simultaneous_open() {
    let now = Instant::from_secs(12);
    // The host's SYN (ISN 4999, WS 7, TS): SYN-SENT, an active open.
    let host_syn = segment(4999, 0, SYN, 64240, 0, Some(11), Some(7));
    let fresh = Entry::new(key(), Closed);
    let o = run_many(&[TrackerRequest::new(
        OP_OPEN_HOST,
        &fresh,
        &host_syn,
        false,
        now,
    )])[0];
    assert_eq!(u64::from(o.wb_op), WB_INSERT);
    let e = Entry::unpack(&o.w).unwrap();
    assert_eq!((e.state, e.host_end, e.host_ws), (SynSent, 5000, 7));
    assert!(e.has(flags::OUTBOUND) && e.has(flags::TS_OK));
    // The peer's SYN crosses it (no ACK): SYN-RECEIVED, simultaneous open; windows scaled.
    let peer_syn = segment(999, 0, SYN, 65535, 0, Some(500), Some(9));
    let o = run_one(OP_WIRE, &e, &peer_syn, false);
    let e2 = Entry::unpack(&o.w).unwrap();
    assert_eq!((e2.state, e2.peer_end, e2.peer_ws), (SynReceived, 1000, 9));
    assert!(e2.has(flags::SIM_OPEN));
    assert_eq!(e2.peer_maxwin, 65535u32.div_ceil(512) as u16);
    assert_eq!(e2.host_maxwin, 64240u32.div_ceil(128) as u16);
    // The peer's SYN-ACK in SYN-RECEIVED with SIM_OPEN: ESTABLISHED.
    let synack = segment(999, 5000, SYN | ACK, 500, 0, Some(501), Some(9));
    let o = run_one(OP_WIRE, &e2, &synack, false);
    assert_eq!(Entry::unpack(&o.w).unwrap().state, Established);
    // Without SIM_OPEN a SYN-ACK from the peer in SYN-RECEIVED is invalid.
    let mut passive = e2;
    passive.flags &= !flags::SIM_OPEN;
    assert_eq!(
        run_one(OP_WIRE, &passive, &synack, false).action(),
        Some(Action::Drop(DropReason::InvalidFlags))
    );
    // Peer first: the host's own SYN crossing the peer's marks the entry an active,
    // simultaneous open without a state change.
    let peer_first = segment(999, 0, SYN, 65535, 0, None, Some(3));
    let o = run_many(&[TrackerRequest::new(
        OP_OPEN_PEER,
        &fresh,
        &peer_first,
        false,
        now,
    )])[0];
    let p = Entry::unpack(&o.w).unwrap();
    let o = run_one(
        OP_HOST,
        &p,
        &segment(4999, 0, SYN, 1000, 0, None, Some(2)),
        false,
    );
    let p2 = Entry::unpack(&o.w).unwrap();
    assert_eq!((p2.state, p2.host_end), (SynReceived, 5000));
    assert!(p2.has(flags::SIM_OPEN) && p2.has(flags::OUTBOUND));
    // ... and the host's ACK of the peer's SYN-ACK completes it.
    let o = run_one(OP_HOST, &p2, &seg(5000, 1000, ACK), false);
    assert_eq!(Entry::unpack(&o.w).unwrap().state, Established);
}

#[test]
fn conformance_29_window_scaling() {
    // Host SYN with WS 7; the peer's SYN-ACK with WS 20 (clamped to 14).
    let mut e = Entry::new(key(), SynSent);
    e.host_end = 5000;
    e.host_ws = 7;
    e.host_maxwin = 64240;
    let synack = segment(999, 5000, SYN | ACK, 65535, 0, None, Some(20));
    let n = Entry::unpack(&run_one(OP_WIRE, &e, &synack, false).w).unwrap();
    assert_eq!((n.state, n.peer_ws), (Established, 14));
    assert_eq!(n.peer_maxwin, 65535u32.div_ceil(1 << 14) as u16);
    assert_eq!(n.host_maxwin, 64240u32.div_ceil(128) as u16);
    // Without the peer's WS there is no scaling: windows stay raw.
    let plain = segment(999, 5000, SYN | ACK, 65535, 0, None, None);
    let n = Entry::unpack(&run_one(OP_WIRE, &e, &plain, false).w).unwrap();
    assert_eq!(
        (n.peer_ws, n.peer_maxwin, n.host_maxwin),
        (WS_NONE, 65535, 64240)
    );
    // Scaled: the upper sequence bound is RCV.NXT + (host_maxwin << host_ws).
    let mut s = established();
    s.host_ws = 7;
    s.peer_ws = 2;
    s.host_maxwin = 502; // 64256 bytes
    let top = 1000 + (502u32 << 7);
    assert_eq!(wire(&s, &seg(top, 5000, ACK)).0, Some(Action::Accept));
    assert_eq!(
        wire(&s, &seg(top + 1, 5000, ACK)).0,
        Some(Action::Drop(DropReason::OutOfWindow))
    );
}

#[test]
fn conformance_27_ack_in_syn_sent() {
    let mut e = Entry::new(key(), SynSent);
    e.host_end = 5000;
    e.flags = flags::OUTBOUND;
    // A bare ACK from the peer: passed to the host (conntrack sIG).
    assert_eq!(wire(&e, &seg(1, 5000, ACK)).0, Some(Action::Ignore));
    // RST without an acceptable ACK: dropped; with it: CLOSED.
    assert_eq!(
        wire(&e, &seg(1, 0, RST)).0,
        Some(Action::Drop(DropReason::RstOutOfWindow))
    );
    assert_eq!(wire(&e, &seg(1, 5000, RST | ACK)).1, WB_DELETE);
    // SYN-ACK with the wrong ACK: dropped.
    assert_eq!(
        wire(&e, &seg(1, 4999, SYN | ACK)).0,
        Some(Action::Drop(DropReason::AckOutOfRange))
    );
    // Segments of CLOSED and LISTEN entries from the wire: unknown flow.
    for s in [Closed, Listen] {
        let mut x = e;
        x.state = s;
        assert_eq!(
            wire(&x, &seg(1, 5000, ACK)).0,
            Some(Action::Drop(DropReason::UnknownFlow))
        );
    }
}

#[test]
fn open_ops_insert_the_models_entries() {
    let now = Instant::from_secs(0x1_2345);
    let fresh = Entry::new(key(), Closed);
    let syn = segment(0xFFFF_FFFF, 0, SYN, 29200, 0, Some(0xABCD), Some(15));
    for op in [OP_OPEN_PEER, OP_OPEN_HOST] {
        let o = run_many(&[TrackerRequest::new(op, &fresh, &syn, false, now)])[0];
        assert_eq!(
            (o.act, u64::from(o.wb_op), o.old_state),
            (ACT_ACCEPT, WB_INSERT, 0)
        );
        let e = Entry::unpack(&o.w).unwrap();
        assert_eq!(e.key, key());
        assert_eq!(e.stamp, 0x2345);
        assert!(e.has(flags::TS_OK));
        if op == OP_OPEN_PEER {
            assert_eq!(
                (e.state, e.peer_end, e.peer_ws, e.ts_recent),
                (SynReceived, 0, 14, 0xABCD)
            );
        } else {
            assert_eq!((e.state, e.host_end, e.host_ws), (SynSent, 0, 14));
        }
    }
}

#[test]
fn latency_is_documented_and_one_request_gives_one_result() {
    let mut tb = Testbench::new(TrackerUnit::default(), |u| &mut u.clock).unwrap();
    let mut r = TrackerRequest::new(
        OP_WIRE,
        &established(),
        &seg(1000, 0, RST),
        false,
        Instant::from_secs(1),
    );
    r.tag = 0xBEEF;
    r.drive(&mut tb);
    tb.step();
    TrackerRequest::default().drive(&mut tb);
    let mut steps = 1;
    while !tb.out_valid.val() {
        assert!(steps < 20, "no result");
        tb.step();
        steps += 1;
    }
    assert_eq!(steps, TRACKER_LATENCY, "documented latency");
    let out = TrackerResult::read(&tb);
    assert_eq!(out, r.expected());
    assert_eq!(out.tag, 0xBEEF);
    tb.step();
    assert!(!tb.out_valid.val(), "one request, one result");
    assert_eq!(u64::from(TrackerResult::read(&tb).wb_op), WB_NONE);
    println!(
        "tracker_unit: latency {steps} cycles, II 1, {} delta iterations per cycle",
        tb.deltas() / tb.cycles()
    );
}

// ---------------------------------------------------------------- Verilator

fn input_value(r: &TrackerRequest, port: &str) -> u64 {
    if let Some(i) = port.strip_prefix("ent_w$") {
        return u64::from(r.w[i.parse::<usize>().unwrap()]);
    }
    match port {
        "in_valid" => u64::from(r.valid),
        "in_tag" => u64::from(r.tag),
        "in_op" => u64::from(r.op & 3),
        "cfg_rfc1337" => u64::from(r.rfc1337),
        "now_stamp" => u64::from(r.now),
        "seq" => u64::from(r.seq),
        "ack" => u64::from(r.ack),
        "flag_fin" => u64::from(r.flags & FIN != 0),
        "flag_syn" => u64::from(r.flags & SYN != 0),
        "flag_rst" => u64::from(r.flags & RST != 0),
        "flag_ack" => u64::from(r.flags & ACK != 0),
        "window" => u64::from(r.window),
        "payload_len" => u64::from(r.payload_len),
        "ts_valid" => u64::from(r.tsval.is_some()),
        "tsval" => u64::from(r.tsval.unwrap_or(0)),
        "ws_valid" => u64::from(r.ws.is_some()),
        "ws" => u64::from(r.ws.unwrap_or(0)),
        _ => panic!("unknown input port {port}"),
    }
}

fn output_value(o: &TrackerResult, port: &str) -> u64 {
    if let Some(i) = port.strip_prefix("new_w$") {
        return u64::from(o.w[i.parse::<usize>().unwrap()]);
    }
    match port {
        "out_valid" => u64::from(o.valid),
        "out_tag" => u64::from(o.tag),
        "out_op" => u64::from(o.op),
        "old_state" => u64::from(o.old_state),
        "act" => u64::from(o.act),
        "code" => u64::from(o.code),
        "wb_op" => u64::from(o.wb_op),
        _ => panic!("unknown output port {port}"),
    }
}

#[test]
fn tracker_unit_matches_verilator_cycle_for_cycle() {
    let model = build("tracker_unit");
    let words = |p: &'static str| (0..10).map(move |i| format!("{p}${i}"));
    let mut want_in: Vec<String> = ["in_valid", "in_tag", "in_op", "cfg_rfc1337", "now_stamp"]
        .map(String::from)
        .to_vec();
    want_in.extend(words("ent_w"));
    want_in.extend(
        [
            "seq",
            "ack",
            "flag_fin",
            "flag_syn",
            "flag_rst",
            "flag_ack",
            "window",
            "payload_len",
            "ts_valid",
            "tsval",
            "ws_valid",
            "ws",
        ]
        .map(String::from),
    );
    assert_eq!(Model::names(&model.inputs), want_in);
    let mut want_out: Vec<String> = [
        "out_valid",
        "out_tag",
        "out_op",
        "old_state",
        "act",
        "code",
        "wb_op",
    ]
    .map(String::from)
    .to_vec();
    want_out.extend(words("new_w"));
    assert_eq!(Model::names(&model.outputs), want_out);

    // The branch-aimed stimulus (checked against proto on the way), then arbitrary values on
    // every port, invalid state codes included (rust-hdl against Verilator only).
    let mut stim = mixed_stimulus(0xD1FF_7EAC, 12_000);
    let (mut outs, speed) = run_and_check(&stim);
    let mut rng = XorShift64::new(0xD1FF_7EAD);
    let mut junk = Vec::new();
    for _ in 0..3000 {
        let mut w = [0u32; 10];
        for x in &mut w {
            *x = rng.next_u32();
        }
        junk.push(TrackerRequest {
            valid: rng.chance(70),
            tag: rng.next_u32() as u16,
            op: rng.below(4) as u8,
            rfc1337: rng.chance(50),
            now: rng.next_u32() as u16,
            w,
            seq: rng.next_u32(),
            ack: rng.next_u32(),
            flags: rng.next_u32() as u8,
            window: rng.next_u32() as u16,
            payload_len: rng.next_u32() as u16,
            tsval: rng.chance(60).then(|| rng.next_u32()),
            ws: rng.chance(60).then(|| rng.next_u32() as u8),
        });
    }
    // Simulate the junk stretch directly (no model: state codes 11..15 do not unpack).
    let mut tb = Testbench::new(TrackerUnit::default(), |u| &mut u.clock).unwrap();
    let idle = TrackerRequest::default();
    let mut all = stim.clone();
    all.extend(junk.iter().copied());
    outs.clear();
    for t in 0..all.len() + TRACKER_LATENCY - 1 {
        all.get(t).unwrap_or(&idle).drive(&mut tb);
        tb.step();
        outs.push(TrackerResult::read(&tb));
    }
    stim = all;
    let cycles: Vec<_> = (0..outs.len())
        .map(|t| stim.get(t).unwrap_or(&idle))
        .collect();
    let rows = per_port(&model.inputs, &cycles, |c, n| input_value(c, n));
    let sim = per_port(&model.outputs, &outs, output_value);
    let t0 = Clock::now();
    let ver = model.run(&rows);
    let ver_secs = t0.elapsed().as_secs_f64();
    model.compare("tracker_unit", &sim, &ver);
    println!(
        "tracker_unit differential: {} cycles equal; rust-hdl {speed:.0} cycles/s, verilator (incl. I/O) {:.0} cycles/s",
        rows.len(),
        rows.len() as f64 / ver_secs
    );
}
