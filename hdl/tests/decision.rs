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

use common::verilated::{build, in_port_order};
use hdl::decision::{
    DecisionPipeline, RecordWords, ReplyDesc, COUNTERS, DESC_WORDS, P_FRAGMENT, P_IPV6,
    P_MALFORMED, REC_WORDS, V_CONSUME, V_DROP, V_FORWARD, V_PUNT, V_REWRITE,
};
use hdl::lane::Lane;
use hdl::parser::HeaderRecord;
use hdl::stream::XorShift64;
use hdl::testbench::Testbench;
use proto::config::{CookieMode, Listener, NicConfig};
use proto::counters::Counter;
use proto::decision::{DropReason, Outcome, Port, PuntReason, Verdict};
use proto::nic::{Nic, Transition};
use proto::state::TcpState;
use proto::table::{Entry, FlowKey, Geometry};
use proto::time::Instant;
use proto::wire::tcp_options::OptionSet;
use proto::wire::{self, SegmentSpec, TcpFlags};
use rust_hdl::prelude::{In, Out, Signal};
use std::collections::VecDeque;

const S: u8 = TcpFlags::SYN;
const A: u8 = TcpFlags::ACK;
const F: u8 = TcpFlags::FIN;
const R: u8 = TcpFlags::RST;
const P: u8 = TcpFlags::PSH;

const HOST: [u8; 4] = [10, 1, 0, 1];
const TRACKED_PORT: u16 = 80;
const PROXY_PORT: u16 = 443;
const FLOOD_PORT: u16 = 8443;

fn config() -> NicConfig {
    let mut cfg = NicConfig {
        cookie_key: [
            [0x1234_5678_9abc_def0, 0x0fed_cba9_8765_4321],
            [0x5555_aaaa_3333_cccc, 0x0102_0304_0506_0708],
        ],
        flood_syn_rate: 40,
        flood_pending: 1000,
        ..NicConfig::default()
    };
    for (port, mode) in [
        (PROXY_PORT, CookieMode::Always),
        (FLOOD_PORT, CookieMode::OnFlood),
    ] {
        cfg.listeners
            .push(Listener {
                addr: HOST,
                port,
                mode,
            })
            .unwrap();
    }
    cfg
}

/// A frame between a client `c` (on the wire) and the host.
#[allow(clippy::too_many_arguments)]
fn segment(
    from_host: bool,
    c: ([u8; 4], u16),
    host_port: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    opts: &OptionSet,
    payload: usize,
) -> Vec<u8> {
    let cmac = [2, 0, c.0[2], c.0[3], 0, 1];
    let hmac = [2, 0, 0, 0, 0, 0xAA];
    let bytes = opts.to_bytes();
    let data = vec![0x5A; payload];
    let (src_mac, dst_mac, src_ip, dst_ip, src_port, dst_port) = if from_host {
        (hmac, cmac, HOST, c.0, host_port, c.1)
    } else {
        (cmac, hmac, c.0, HOST, c.1, host_port)
    };
    SegmentSpec {
        src_mac,
        dst_mac,
        vlan_tci: c.0[3].is_multiple_of(5).then_some(0x0123),
        src_ip,
        dst_ip,
        tos: 0,
        ip_id: 7,
        dont_fragment: true,
        ttl: 64,
        src_port,
        dst_port,
        seq,
        ack,
        flags,
        window: 29200,
        options: &bytes,
        payload: &data,
    }
    .to_vec()
    .unwrap()
}

fn syn_opts(rng: &mut XorShift64, tsval: u32) -> OptionSet {
    OptionSet {
        mss: Some([1460, 1400, 536, 9000][rng.below(4) as usize]),
        sack_perm: rng.chance(70),
        timestamp: rng.chance(80).then_some((tsval, 0)),
        wscale: rng
            .chance(70)
            .then_some([7, 0, 14, 15][rng.below(4) as usize]),
    }
}

fn ts(tsval: u32, tsecr: u32) -> OptionSet {
    OptionSet {
        timestamp: Some((tsval, tsecr)),
        ..OptionSet::default()
    }
}

/// A frame to send and how to derive the next ones from the model's answer.
enum Step {
    Frame(bool, Vec<u8>),
    /// The client's ACK of the cookie SYN-ACK the model just sent (or a forged one).
    CookieAck {
        forged: bool,
    },
}

/// One conversation: its frames in order (some computed from the model's replies).
struct Conv {
    client: ([u8; 4], u16),
    port: u16,
    steps: VecDeque<Step>,
    /// The last reply the model generated toward the client for this conversation.
    last_synack: Option<(u32, u32)>,
    isn: u32,
}

fn tracked(rng: &mut XorShift64, i: u32) -> Conv {
    let c = (
        [10, 0, (i >> 8) as u8, i as u8],
        1024 + (rng.next_u32() % 60000) as u16,
    );
    let port = TRACKED_PORT;
    let (mut p, mut h) = (rng.next_u32(), rng.next_u32());
    let (mut pt, mut ht) = (rng.next_u32() >> 1, rng.next_u32() >> 1);
    let mut v = VecDeque::new();
    let push = |v: &mut VecDeque<Step>, host: bool, seq, ack, fl, o: OptionSet, n| {
        v.push_back(Step::Frame(
            host,
            segment(host, c, port, seq, ack, fl, &o, n),
        ))
    };
    if rng.chance(70) {
        push(&mut v, false, p, 0, S, syn_opts(rng, pt), 0);
        push(&mut v, true, h, p + 1, S | A, syn_opts(rng, ht), 0);
    } else {
        push(&mut v, true, h, 0, S, syn_opts(rng, ht), 0);
        push(&mut v, false, p, h + 1, S | A, syn_opts(rng, pt), 0);
    }
    p += 1;
    h += 1;
    pt += 1;
    ht += 1;
    push(&mut v, false, p, h, A, ts(pt, ht), 0);
    for _ in 0..rng.below(4) {
        let n = 1 + rng.below(1200) as u32;
        if rng.chance(50) {
            push(&mut v, false, p, h, A | P, ts(pt, ht), n as usize);
            p += n;
            pt += 1;
            push(&mut v, true, h, p, A, ts(ht, pt), 0);
        } else {
            push(&mut v, true, h, p, A | P, ts(ht, pt), n as usize);
            h += n;
            ht += 1;
            push(&mut v, false, p, h, A, ts(pt, ht), 0);
        }
        if rng.chance(30) {
            // A stray: RST, SYN, old or future segment, bad checksum, invalid flags.
            let k = rng.below(6);
            let seq = p
                .wrapping_add(rng.next_u32() % 200_000)
                .wrapping_sub(100_000);
            let fl = [R, S, A, R | A, F | S, A][k as usize];
            let mut f = segment(
                false,
                c,
                port,
                seq,
                h,
                fl,
                &ts(pt - rng.below(2) as u32, ht),
                0,
            );
            if k == 5 {
                let n = f.len();
                f[n - 1] ^= 0x40; // a TCP checksum that does not verify
            }
            v.push_back(Step::Frame(rng.chance(15), f));
        }
    }
    if rng.chance(12) {
        // An exact RST ends the connection (RFC 5961 §3.2: RST at RCV.NXT).
        push(&mut v, false, p, h, R | A, ts(pt, ht), 0);
    } else if rng.chance(50) {
        // The host closes first: it ends in TIME-WAIT; sometimes a newer SYN reuses the tuple.
        push(&mut v, true, h, p, F | A, ts(ht, pt), 0);
        push(&mut v, false, p, h + 1, A, ts(pt, ht + 1), 0);
        push(&mut v, false, p, h + 1, F | A, ts(pt + 1, ht + 1), 0);
        push(&mut v, true, h + 1, p + 1, A, ts(ht + 2, pt + 1), 0);
        if rng.chance(40) {
            push(&mut v, false, p + 100_000, 0, S, syn_opts(rng, pt + 50), 0);
        } else if rng.chance(30) {
            push(&mut v, true, h + 100_000, 0, S, syn_opts(rng, ht + 50), 0);
        }
    } else {
        push(&mut v, false, p, h, F | A, ts(pt, ht), 0);
        push(&mut v, true, h, p + 1, A, ts(ht, pt + 1), 0);
        push(&mut v, true, h, p + 1, F | A, ts(ht + 1, pt + 1), 0);
        push(&mut v, false, p + 1, h + 1, A, ts(pt + 2, ht + 1), 0);
    }
    Conv {
        client: c,
        port,
        steps: v,
        last_synack: None,
        isn: 0,
    }
}

fn proxied(rng: &mut XorShift64, i: u32) -> Conv {
    let c = (
        [10, 2, (i >> 8) as u8, i as u8],
        1024 + (rng.next_u32() % 60000) as u16,
    );
    let isn = rng.next_u32();
    let mut v = VecDeque::new();
    let tsval = rng.next_u32() >> 1;
    v.push_back(Step::Frame(
        false,
        segment(false, c, PROXY_PORT, isn, 0, S, &syn_opts(rng, tsval), 0),
    ));
    v.push_back(Step::CookieAck {
        forged: rng.chance(20),
    });
    Conv {
        client: c,
        port: PROXY_PORT,
        steps: v,
        last_synack: None,
        isn,
    }
}

/// After the cookie ACK: the host's SYN-ACK (the handoff), data both ways (translated), a
/// teardown, and now and then a stray segment.
fn proxied_tail(rng: &mut XorShift64, conv: &mut Conv, cookie: u32, cookie_ts: u32) {
    let (c, port) = (conv.client, conv.port);
    let mut p = conv.isn.wrapping_add(1);
    let hisn = rng.next_u32();
    let mut h = hisn.wrapping_add(1);
    let (mut pt, mut ht) = (rng.next_u32() >> 1, rng.next_u32() >> 1);
    let mut hopts = syn_opts(rng, ht);
    hopts.timestamp = hopts.timestamp.map(|(v, _)| (v, pt));
    let v = &mut conv.steps;
    v.push_back(Step::Frame(
        true,
        segment(true, c, port, hisn, p, S | A, &hopts, 0),
    ));
    // The client's view of the host's sequence space starts at the cookie.
    let off = cookie.wrapping_sub(hisn);
    for _ in 0..rng.below(5) {
        let n = 1 + rng.below(1000) as u32;
        if rng.chance(50) {
            let f = segment(
                false,
                c,
                port,
                p,
                h.wrapping_add(off),
                A | P,
                &ts(pt, cookie_ts),
                n as usize,
            );
            v.push_back(Step::Frame(false, f));
            p = p.wrapping_add(n);
            pt += 1;
            v.push_back(Step::Frame(
                true,
                segment(true, c, port, h, p, A, &ts(ht, pt), 0),
            ));
        } else {
            v.push_back(Step::Frame(
                true,
                segment(true, c, port, h, p, A | P, &ts(ht, pt), n as usize),
            ));
            h = h.wrapping_add(n);
            ht += 1;
            let f = segment(
                false,
                c,
                port,
                p,
                h.wrapping_add(off),
                A,
                &ts(pt, cookie_ts),
                0,
            );
            v.push_back(Step::Frame(false, f));
        }
        if rng.chance(20) {
            let seq = p
                .wrapping_add(rng.next_u32() % 100_000)
                .wrapping_sub(50_000);
            let fl = [R, S, A][rng.below(3) as usize];
            let f = segment(
                false,
                c,
                port,
                seq,
                h.wrapping_add(off),
                fl,
                &ts(pt, cookie_ts),
                0,
            );
            v.push_back(Step::Frame(false, f));
        }
    }
    let f = segment(
        false,
        c,
        port,
        p,
        h.wrapping_add(off),
        F | A,
        &ts(pt, cookie_ts),
        0,
    );
    v.push_back(Step::Frame(false, f));
    v.push_back(Step::Frame(
        true,
        segment(true, c, port, h, p + 1, F | A, &ts(ht, pt), 0),
    ));
    let f = segment(
        false,
        c,
        port,
        p + 1,
        h.wrapping_add(off) + 1,
        A,
        &ts(pt + 1, cookie_ts),
        0,
    );
    v.push_back(Step::Frame(false, f));
}

fn flood(rng: &mut XorShift64) -> Conv {
    let c = (
        [10, 9, rng.below(256) as u8, rng.below(256) as u8],
        1024 + (rng.next_u32() % 60000) as u16,
    );
    let mut v = VecDeque::new();
    v.push_back(Step::Frame(
        false,
        segment(
            false,
            c,
            FLOOD_PORT,
            rng.next_u32(),
            0,
            S,
            &OptionSet::default(),
            0,
        ),
    ));
    Conv {
        client: c,
        port: FLOOD_PORT,
        steps: v,
        last_synack: None,
        isn: 0,
    }
}

/// Frames the NIC does not track: non-TCP, IPv6, an IPv4 fragment, runts.
fn other(rng: &mut XorShift64) -> Vec<u8> {
    let base = segment(
        false,
        ([10, 3, 0, 1], 999),
        80,
        1,
        2,
        A,
        &OptionSet::default(),
        8,
    );
    let mut f = base.clone();
    match rng.below(5) {
        0 => {
            f[12] = 0x08;
            f[13] = 0x06; // ARP
        }
        1 => {
            f[14 + 9] = 17; // UDP
        }
        2 => {
            f[14 + 6] = 0x20; // more fragments
        }
        3 => f.truncate(10 + rng.below(40) as usize),
        _ => {
            let mut v6 = base[..14].to_vec();
            v6[12] = 0x86;
            v6[13] = 0xDD;
            v6.extend_from_slice(&[0x60, 0, 0, 0, 0, 20, 6, 64]);
            v6.extend_from_slice(&[0u8; 32]);
            v6.extend_from_slice(&[0u8; 20]);
            v6[14 + 40 + 12] = 0x50;
            f = v6;
        }
    }
    f
}

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
    let event = tb.ev_valid.val().then(|| {
        let k = [
            tb.ev_key[0].val().0,
            tb.ev_key[1].val().0,
            tb.ev_key[2].val().0,
        ];
        (
            FlowKey {
                peer_addr: k[0].to_be_bytes(),
                host_addr: k[1].to_be_bytes(),
                peer_port: (k[2] >> 16) as u16,
                host_port: k[2] as u16,
            },
            tb.ev_old.val().0,
            tb.ev_new.val().0,
            tb.ev_slot.val().0,
        )
    });
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

fn drive_config<const B: usize>(tb: &mut Testbench<DecisionPipeline<B>>, cfg: &NicConfig) {
    for (k, key) in cfg.cookie_key.iter().enumerate() {
        for (j, half) in key.iter().enumerate() {
            tb.cookie_key[4 * k + 2 * j].next = Lane(*half as u32);
            tb.cookie_key[4 * k + 2 * j + 1].next = Lane((*half >> 32) as u32);
        }
    }
    tb.proxy_mss.next = Lane(cfg.proxy.mss as u32);
    tb.proxy_ws.next = Lane(cfg.proxy.wscale as u32);
    tb.proxy_ts.next = cfg.proxy.timestamps;
    tb.proxy_sack.next = cfg.proxy.sack_perm;
    tb.verify_csum.next = cfg.verify_checksums;
    tb.loose.next = cfg.loose;
    tb.rfc1337.next = cfg.rfc1337;
    tb.flood_syn_rate.next = Lane(cfg.flood_syn_rate);
    tb.flood_pending.next = Lane(cfg.flood_pending);
    for i in 0..hdl::policy_unit::LISTENERS {
        let l = cfg.listeners.get(i);
        tb.l_valid[i].next = l.is_some();
        tb.l_addr[i].next = Lane(l.map_or(0, |l| u32::from_be_bytes(l.addr)));
        tb.l_port[i].next = u64::from(l.map_or(0, |l| l.port)).into();
        tb.l_mode[i].next = u64::from(l.map_or(0, |l| l.mode as u8)).into();
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
    for k in 0..8 {
        v.push((format!("cookie_key${k}"), lane(&tb.cookie_key[k])));
    }
    for (n, x) in [
        ("proxy_mss", &tb.proxy_mss),
        ("proxy_ws", &tb.proxy_ws),
        ("flood_syn_rate", &tb.flood_syn_rate),
        ("flood_pending", &tb.flood_pending),
    ] {
        v.push((n.into(), lane(x)));
    }
    for (n, x) in [
        ("proxy_ts", &tb.proxy_ts),
        ("proxy_sack", &tb.proxy_sack),
        ("verify_csum", &tb.verify_csum),
        ("loose", &tb.loose),
        ("rfc1337", &tb.rfc1337),
    ] {
        v.push((n.into(), x.next as u64));
    }
    for i in 0..hdl::policy_unit::LISTENERS {
        v.push((format!("l_valid${i}"), tb.l_valid[i].next as u64));
        v.push((format!("l_addr${i}"), lane(&tb.l_addr[i])));
        v.push((format!("l_port${i}"), tb.l_port[i].next.to_u64()));
        v.push((format!("l_mode${i}"), tb.l_mode[i].next.to_u64()));
    }
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
    for i in 0..COUNTERS - 32 {
        v.push((format!("cnt_hi${i}"), tb.cnt_hi[i].val() as u64));
    }
    v
}

/// The per-cycle inputs and outputs of a run, for the Verilator replay.
type Trace = Vec<(Vec<(String, u64)>, Vec<(String, u64)>)>;

/// Runs `total` records through a table of `2^B` buckets; returns the model's counters and,
/// when `trace`, every cycle's inputs and outputs.
fn run<const B: usize>(total: usize, seed: u64, trace: bool) -> ([u64; COUNTERS], Trace) {
    let mut cycles: Trace = Vec::new();
    let cfg = config();
    let geometry = Geometry {
        buckets: 1 << B,
        ways: 4,
    };
    let mut nic = Nic::new(cfg.clone(), geometry);
    let mut tb = Testbench::new(DecisionPipeline::<B>::default(), |t| &mut t.clock).unwrap();
    drive_config(&mut tb, &cfg);
    let mut rng = XorShift64::new(seed);

    let mut convs: Vec<Conv> = Vec::new();
    let (mut n_tracked, mut n_proxied) = (0u32, 0u32);
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
            while convs.len() < 24 {
                let k = rng.below(10);
                convs.push(if k < 5 {
                    n_tracked += 1;
                    tracked(&mut rng, n_tracked)
                } else if k < 8 {
                    n_proxied += 1;
                    proxied(&mut rng, n_proxied)
                } else {
                    flood(&mut rng)
                });
            }
            let (from_host, frame) = if rng.chance(5) {
                (rng.chance(30), other(&mut rng))
            } else {
                let ci = rng.below(convs.len() as u64) as usize;
                let conv = &mut convs[ci];
                let step = conv.steps.pop_front().unwrap();
                let (h, f) = match step {
                    Step::Frame(h, f) => (h, f),
                    Step::CookieAck { forged } => {
                        let (cookie, tsval) = conv.last_synack.unwrap_or((rng.next_u32(), 0));
                        let ack = if forged {
                            rng.next_u32()
                        } else {
                            cookie.wrapping_add(1)
                        };
                        let o = if tsval != 0 {
                            ts(rng.next_u32() >> 1, tsval)
                        } else {
                            OptionSet::default()
                        };
                        let seq = conv.isn.wrapping_add(1);
                        let f = segment(false, conv.client, conv.port, seq, ack, A, &o, 0);
                        // What may follow the handshake: a retransmitted ACK, an RST (exact
                        // or not), the host refusing, stray data.
                        for _ in 0..rng.below(3) {
                            let (h2, f2) = match rng.below(5) {
                                0 => (false, f.clone()),
                                1 => (
                                    false,
                                    segment(false, conv.client, conv.port, seq, 0, R, &o, 0),
                                ),
                                2 => (
                                    false,
                                    segment(false, conv.client, conv.port, seq + 9, 0, R, &o, 0),
                                ),
                                3 => (
                                    true,
                                    segment(true, conv.client, conv.port, 77, seq, R | A, &o, 0),
                                ),
                                _ => (
                                    false,
                                    segment(false, conv.client, conv.port, seq, ack, A | P, &o, 20),
                                ),
                            };
                            conv.steps.push_back(Step::Frame(h2, f2));
                        }
                        if !forged {
                            proxied_tail(&mut rng, conv, cookie, tsval);
                        }
                        (false, f)
                    }
                };
                (h, f)
            };
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
            // Remember the cookie SYN-ACK for the client's ACK.
            for r in &out.replies {
                if let Ok(p) = wire::parse(r.frame.as_slice()) {
                    if let Some((ip, t)) = p.tcp() {
                        if t.flags.0 == S | A && ip.dst != HOST {
                            if let Some(c) = convs
                                .iter_mut()
                                .find(|c| c.client == (ip.dst, t.dst_port) && c.port == t.src_port)
                            {
                                c.last_synack =
                                    Some((t.seq, t.options.timestamp.map_or(0, |x| x.tsval)));
                            }
                        }
                    }
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
            convs.retain(|c| !c.steps.is_empty());
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
    (*nic.counters(), cycles)
}

#[test]
fn decisions_equal_the_model_frame_for_frame() {
    // A small table (full buckets everywhere) and a roomier one (connections live longer).
    let (small, _) = run::<4>(2500, 0x5eed_dec1_5107, false);
    let (large, _) = run::<8>(3000, 0x00dd_ba11_2026, false);
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
    let model = build("decision_16x4");
    let (_, trace) = run::<4>(1200, 0x007e_570f_dec1, true);
    let rows: Vec<Vec<u64>> = trace
        .iter()
        .map(|(i, _)| in_port_order(&model.inputs, i))
        .collect();
    let sim: Vec<Vec<u64>> = trace
        .iter()
        .map(|(_, o)| in_port_order(&model.outputs, o))
        .collect();
    let ver = model.run(&rows);
    model.compare("decision_16x4", &sim, &ver);
    println!("decision_16x4 differential: {} cycles equal", rows.len());
}
