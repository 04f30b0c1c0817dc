//! Conformance cases of linux-tcp.md §7 that concern the whole NIC (the SYN proxy, tracking,
//! RFC 5961 / 7323 / 1337 / 6191), each a named test over hand-built frames.
//! Cookie arithmetic cases (1-15) are in cookie_conformance.rs; model-level scenarios in
//! scenarios.rs.

use proto::config::{CookieMode, Listener, NicConfig, MAX_ENTRY_TIMEOUT};
use proto::cookie;
use proto::counters::Counter;
use proto::decision::{DropReason, Outcome, Port, PuntReason, Verdict};
use proto::nic::Nic;
use proto::state::TcpState;
use proto::table::Geometry;
use proto::time::Instant;
use proto::wire::tcp_options::{OptionSet, KIND_NOP, KIND_SACK, KIND_TS};
use proto::wire::{self, build::checksums_ok, SegmentSpec, TcpFlags, TcpInfo};

const CLIENT_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
const HOST_MAC: [u8; 6] = [2, 0, 0, 0, 0, 2];
const CLIENT: [u8; 4] = [10, 77, 0, 2];
const HOST: [u8; 4] = [10, 77, 1, 1];
const CPORT: u16 = 40000;
const HPORT: u16 = 80;
const SYN: u8 = TcpFlags::SYN;
const ACK: u8 = TcpFlags::ACK;
const FIN: u8 = TcpFlags::FIN;
const RST: u8 = TcpFlags::RST;
const T0: Instant = Instant::from_secs(1000);

fn nic(mode: CookieMode) -> Nic {
    let mut cfg = NicConfig::default();
    cfg.listeners
        .push(Listener {
            addr: HOST,
            port: HPORT,
            mode,
        })
        .unwrap();
    Nic::new(
        cfg,
        Geometry {
            buckets: 64,
            ways: 4,
        },
    )
}

/// A frame from the client (wire side) to the host.
fn from_client(
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    SegmentSpec {
        src_mac: CLIENT_MAC,
        dst_mac: HOST_MAC,
        vlan_tci: None,
        src_ip: CLIENT,
        dst_ip: HOST,
        tos: 0,
        ip_id: 1,
        dont_fragment: true,
        ttl: 64,
        src_port: CPORT,
        dst_port: HPORT,
        seq,
        ack,
        flags,
        window,
        options,
        payload,
    }
    .to_vec()
    .unwrap()
}

/// A frame from the host to the client.
fn from_host(
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    SegmentSpec {
        src_mac: HOST_MAC,
        dst_mac: CLIENT_MAC,
        vlan_tci: None,
        src_ip: HOST,
        dst_ip: CLIENT,
        tos: 0,
        ip_id: 2,
        dont_fragment: true,
        ttl: 64,
        src_port: HPORT,
        dst_port: CPORT,
        seq,
        ack,
        flags,
        window,
        options,
        payload,
    }
    .to_vec()
    .unwrap()
}

fn tcp_of(frame: &[u8]) -> TcpInfo {
    let f = wire::parse(frame).unwrap();
    let (ip, tcp) = f.tcp().expect("an IPv4/TCP frame");
    assert!(checksums_ok(frame, ip, tcp), "checksums must verify");
    tcp.clone()
}

fn opts(set: OptionSet) -> Vec<u8> {
    set.to_bytes().to_vec()
}

fn full_syn_opts(tsval: u32) -> Vec<u8> {
    opts(OptionSet {
        mss: Some(1460),
        sack_perm: true,
        timestamp: Some((tsval, 0)),
        wscale: Some(7),
    })
}

fn state_of(nic: &Nic) -> Option<TcpState> {
    let mut it = nic.table().iter();
    let s = it.next().map(|(_, e)| e.state);
    assert!(it.next().is_none(), "one connection expected");
    s
}

const ISN: u32 = 0x1000_0000;
const SISN: u32 = 0x7000_0000;

/// Drive a full SYN-proxy handshake with timestamps; returns (nic, cookie, cookie TSval).
fn proxied() -> (Nic, u32, u32) {
    let mut n = nic(CookieMode::Always);
    let mut syn = from_client(ISN, 0, SYN, 64240, &full_syn_opts(1000), &[]);
    let out = n.process(Port::Wire, &mut syn, T0);
    let synack = tcp_of(&out.replies[0].frame);
    let cookie = synack.seq;
    let cts = synack.options.timestamp.unwrap().tsval;
    let ack_opts = opts(OptionSet {
        timestamp: Some((1001, cts)),
        ..Default::default()
    });
    let mut ack = from_client(ISN + 1, cookie.wrapping_add(1), ACK, 502, &ack_opts, &[]);
    n.process(Port::Wire, &mut ack, T0);
    let sa_opts = opts(OptionSet {
        mss: Some(1460),
        sack_perm: true,
        timestamp: Some((5000, 1001)),
        wscale: Some(7),
    });
    let mut synack = from_host(SISN, ISN + 1, SYN | ACK, 65160, &sa_opts, &[]);
    let out = n.process(Port::Host, &mut synack, T0);
    assert_eq!(out.verdict, Verdict::Consume);
    (n, cookie, cts)
}

#[test]
fn conformance_16_cookie_synack() {
    let mut n = nic(CookieMode::Always);
    let mut syn = from_client(ISN, 0, SYN, 64240, &full_syn_opts(1000), &[]);
    let out = n.process(Port::Wire, &mut syn, T0);
    assert_eq!(out.verdict, Verdict::Consume);
    assert_eq!(out.replies.len(), 1);
    assert_eq!(out.replies[0].port, Port::Wire);
    let r = tcp_of(&out.replies[0].frame);
    let (expect, _) = cookie::init_sequence_v4(
        &n.config().cookie_key,
        CLIENT,
        HOST,
        CPORT,
        HPORT,
        ISN,
        1460,
        T0.cookie_minute(),
    );
    assert_eq!(
        (r.seq, r.ack, r.flags.0, r.window),
        (expect, ISN + 1, SYN | ACK, 0)
    );
    assert_eq!(r.options.mss, Some(n.config().proxy.mss));
    assert_eq!(r.options.wscale, Some(n.config().proxy.wscale));
    assert!(r.options.sack_perm);
    let ts = r.options.timestamp.unwrap();
    assert_eq!(ts.tsecr, 1000);
    assert_eq!(
        ts.tsval & 0x3F,
        7 | 0x10,
        "client WS 7 and SACK in the cookie TSval"
    );
    // SYNPROXY (synproxy_init_timestamp_cookie): (ms clock & ~0x3F) | options, no "minus 64".
    assert_eq!(ts.tsval & !0x3F, T0.ts_clock_ms() & !0x3F);
    assert_eq!(
        n.table().occupancy(),
        0,
        "a cookie SYN-ACK allocates nothing"
    );
    assert_eq!(n.counter(Counter::SyncookiesSent), 1);
}

#[test]
fn conformance_13_22_syn_without_ts_gets_mss_only() {
    let mut n = nic(CookieMode::Always);
    let o = opts(OptionSet {
        mss: Some(1460),
        sack_perm: true,
        timestamp: None,
        wscale: Some(7),
    });
    let mut syn = from_client(ISN, 0, SYN, 64240, &o, &[]);
    let r = tcp_of(&n.process(Port::Wire, &mut syn, T0).replies[0].frame);
    assert_eq!(r.options.mss, Some(1460));
    assert_eq!(
        (r.options.wscale, r.options.sack_perm, r.options.timestamp),
        (None, false, None)
    );
    // The ACK without TS hands off a connection with MSS only (conformance 14 / 22).
    let mut ack = from_client(ISN + 1, r.seq + 1, ACK, 502, &[], &[]);
    let out = n.process(Port::Wire, &mut ack, T0);
    let s = tcp_of(&out.replies[0].frame);
    assert_eq!(s.options.mss, Some(1460));
    assert_eq!(
        (s.options.wscale, s.options.sack_perm, s.options.timestamp),
        (None, false, None)
    );
}

#[test]
fn conformance_17_server_syn() {
    let mut n = nic(CookieMode::Always);
    let mut syn = from_client(ISN, 0, SYN, 64240, &full_syn_opts(1000), &[]);
    let r = tcp_of(&n.process(Port::Wire, &mut syn, T0).replies[0].frame);
    let cts = r.options.timestamp.unwrap().tsval;
    let ack_opts = opts(OptionSet {
        timestamp: Some((1001, cts)),
        ..Default::default()
    });
    let mut ack = from_client(ISN + 1, r.seq + 1, ACK, 502, &ack_opts, &[]);
    let out = n.process(Port::Wire, &mut ack, T0);
    assert_eq!(out.verdict, Verdict::Consume);
    assert_eq!(out.replies[0].port, Port::Host);
    let s = tcp_of(&out.replies[0].frame);
    assert_eq!(
        (s.seq, s.ack, s.flags.0, s.window),
        (ISN, r.seq, SYN, 502),
        "client ISN, cookie in ack, ACK clear"
    );
    assert_eq!(s.options.mss, Some(1460));
    assert_eq!(s.options.wscale, Some(7));
    assert!(s.options.sack_perm);
    let ts = s.options.timestamp.unwrap();
    assert_eq!((ts.tsval, ts.tsecr), (1001, cts));
    assert_eq!(state_of(&n), Some(TcpState::SynReceived));
    assert_eq!(n.counter(Counter::SyncookiesRecv), 1);
}

#[test]
fn conformance_18_handoff_acks_host_and_opens_client_window() {
    let mut n = nic(CookieMode::Always);
    let mut syn = from_client(ISN, 0, SYN, 64240, &full_syn_opts(1000), &[]);
    let r = tcp_of(&n.process(Port::Wire, &mut syn, T0).replies[0].frame);
    let (cookie, cts) = (r.seq, r.options.timestamp.unwrap().tsval);
    let ack_opts = opts(OptionSet {
        timestamp: Some((1001, cts)),
        ..Default::default()
    });
    n.process(
        Port::Wire,
        &mut from_client(ISN + 1, cookie.wrapping_add(1), ACK, 502, &ack_opts, &[]),
        T0,
    );
    let sa_opts = opts(OptionSet {
        mss: Some(1460),
        sack_perm: true,
        timestamp: Some((5000, 1001)),
        wscale: Some(7),
    });
    let out = n.process(
        Port::Host,
        &mut from_host(SISN, ISN + 1, SYN | ACK, 65160, &sa_opts, &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Consume);
    assert_eq!(out.replies.len(), 2);
    assert_eq!(
        (out.replies[0].port, out.replies[1].port),
        (Port::Host, Port::Wire)
    );
    let to_host = tcp_of(&out.replies[0].frame);
    assert_eq!(
        (to_host.seq, to_host.ack, to_host.flags.0, to_host.window),
        (ISN + 1, SISN + 1, ACK, 502)
    );
    let t = to_host.options.timestamp.unwrap();
    assert_eq!((t.tsval, t.tsecr), (1001, 5000));
    let to_client = tcp_of(&out.replies[1].frame);
    assert_eq!(
        (to_client.seq, to_client.ack, to_client.window),
        (cookie.wrapping_add(1), ISN + 1, 65160 >> 7)
    );
    let t = to_client.options.timestamp.unwrap();
    assert_eq!(
        (t.tsval, t.tsecr),
        (cts, 1001),
        "TSval already in the client's timestamp space"
    );
    assert_eq!(state_of(&n), Some(TcpState::Established));
    assert_eq!(n.counter(Counter::SynproxyHandoffs), 1);
}

#[test]
fn conformance_19_20_21_translation_with_checksums() {
    let (mut n, cookie, cts) = proxied();
    let tsoff = 5000u32.wrapping_sub(cts);
    // Host -> client: seq += cookie - SISN, TSval -= tsoff.
    let o = opts(OptionSet {
        timestamp: Some((5010, 1001)),
        ..Default::default()
    });
    let mut data = from_host(SISN + 1, ISN + 1, ACK, 500, &o, b"hello");
    assert_eq!(
        n.process(Port::Host, &mut data, T0).verdict,
        Verdict::Rewrite
    );
    let t = tcp_of(&data);
    assert_eq!(t.seq, cookie.wrapping_add(1));
    assert_eq!(
        t.options.timestamp.unwrap().tsval,
        5010u32.wrapping_sub(tsoff)
    );
    assert_eq!(t.options.timestamp.unwrap().tsval, cts.wrapping_add(10));
    // Client -> host with a SACK block and a TS at an odd offset (one NOP before it).
    let mut o = vec![KIND_NOP, KIND_TS, 10];
    o.extend_from_slice(&1002u32.to_be_bytes());
    o.extend_from_slice(&(cts.wrapping_add(10)).to_be_bytes());
    o.extend_from_slice(&[KIND_SACK, 10]);
    o.extend_from_slice(&(cookie.wrapping_add(100)).to_be_bytes());
    o.extend_from_slice(&(cookie.wrapping_add(200)).to_be_bytes());
    o.extend_from_slice(&[KIND_NOP, KIND_NOP, KIND_NOP]);
    assert_eq!(o.len() % 4, 0);
    let mut ack = from_client(ISN + 1, cookie.wrapping_add(6), ACK, 502, &o, &[]);
    assert_eq!(
        tcp_of(&ack).options.timestamp.unwrap().offset % 2,
        1,
        "TS at an odd offset"
    );
    assert_eq!(
        n.process(Port::Wire, &mut ack, T0).verdict,
        Verdict::Rewrite
    );
    let t = tcp_of(&ack); // checksum verified against a full recomputation
    assert_eq!(t.ack, SISN + 6);
    assert_eq!(t.options.timestamp.unwrap().tsecr, 5010);
    assert_eq!(
        (t.options.sack[0].left, t.options.sack[0].right),
        (SISN + 100, SISN + 200)
    );
    assert_eq!(n.counter(Counter::FramesRewritten), 2);
}

#[test]
fn conformance_23_zero_window_probe_retransmits_server_syn() {
    let mut n = nic(CookieMode::Always);
    let mut syn = from_client(ISN, 0, SYN, 64240, &full_syn_opts(1000), &[]);
    let r = tcp_of(&n.process(Port::Wire, &mut syn, T0).replies[0].frame);
    let (cookie, cts) = (r.seq, r.options.timestamp.unwrap().tsval);
    let ack_opts = opts(OptionSet {
        timestamp: Some((1001, cts)),
        ..Default::default()
    });
    n.process(
        Port::Wire,
        &mut from_client(ISN + 1, cookie.wrapping_add(1), ACK, 502, &ack_opts, &[]),
        T0,
    );
    // The client, seeing window 0, probes with seq = SND.NXT - 1 = ISN.
    let probe_opts = opts(OptionSet {
        timestamp: Some((1300, cts)),
        ..Default::default()
    });
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN, cookie.wrapping_add(1), ACK, 502, &probe_opts, &[]),
        T0 + proto::time::Duration::from_millis(300),
    );
    assert_eq!(out.verdict, Verdict::Consume);
    let s = tcp_of(&out.replies[0].frame);
    assert_eq!((s.seq, s.ack, s.flags.0), (ISN, cookie, SYN));
    assert_eq!(s.options.mss, Some(1460));
    assert_eq!(n.counter(Counter::SynproxyRetrans), 1);
    // Anything else while pending is dropped.
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, cookie.wrapping_add(1), ACK, 502, &[], b"early"),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Drop(DropReason::ProxyHandshake));
}

#[test]
fn conformance_09_bad_cookie_dropped_without_state() {
    let mut n = nic(CookieMode::Always);
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, 0xdead_beef, ACK, 502, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Drop(DropReason::BadCookie));
    assert!(
        out.replies.is_empty(),
        "SYNPROXY drops (no RST reflected to possibly spoofed sources)"
    );
    assert_eq!(n.table().occupancy(), 0);
    assert_eq!(n.counter(Counter::SyncookiesFailed), 1);
}

#[test]
fn conformance_08_rst_is_not_a_cookie_ack() {
    let mut n = nic(CookieMode::Always);
    let mut syn = from_client(ISN, 0, SYN, 64240, &[], &[]);
    let r = tcp_of(&n.process(Port::Wire, &mut syn, T0).replies[0].frame);
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, r.seq + 1, ACK | RST, 0, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Drop(DropReason::UnknownFlow));
    assert_eq!(n.counter(Counter::SyncookiesRecv), 0);
    assert_eq!(n.table().occupancy(), 0);
}

#[test]
fn conformance_10_mode1_validates_cookies_only_after_recent_cookie() {
    let mut n = nic(CookieMode::OnFlood);
    // No cookie was ever sent: an ACK of an unknown flow is not checked (loose: forwarded).
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, 12345, ACK, 502, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(n.counter(Counter::SyncookiesFailed), 0);
}

#[test]
fn conformance_24_invalid_flag_combinations() {
    let mut n = nic(CookieMode::Off);
    for flags in [SYN | FIN, FIN, 0, SYN | RST] {
        let out = n.process(
            Port::Wire,
            &mut from_client(ISN, 0, flags, 100, &[], &[]),
            T0,
        );
        assert_eq!(
            out.verdict,
            Verdict::Drop(DropReason::InvalidFlags),
            "flags {flags:#x}"
        );
    }
    assert_eq!(n.table().occupancy(), 0);
}

/// A tracked (not proxied) connection in ESTABLISHED: client ISN, host SISN, WS 7 both ways.
fn tracked() -> Nic {
    let mut n = nic(CookieMode::Off);
    let o = opts(OptionSet {
        mss: Some(1460),
        sack_perm: true,
        timestamp: Some((1000, 0)),
        wscale: Some(7),
    });
    assert_eq!(
        n.process(
            Port::Wire,
            &mut from_client(ISN, 0, SYN, 64240, &o, &[]),
            T0
        )
        .verdict,
        Verdict::Forward
    );
    assert_eq!(state_of(&n), Some(TcpState::SynReceived));
    let o = opts(OptionSet {
        mss: Some(1460),
        sack_perm: true,
        timestamp: Some((5000, 1000)),
        wscale: Some(7),
    });
    n.process(
        Port::Host,
        &mut from_host(SISN, ISN + 1, SYN | ACK, 65160, &o, &[]),
        T0,
    );
    assert_eq!(state_of(&n), Some(TcpState::SynReceived));
    let o = opts(OptionSet {
        timestamp: Some((1001, 5000)),
        ..Default::default()
    });
    n.process(
        Port::Wire,
        &mut from_client(ISN + 1, SISN + 1, ACK, 502, &o, &[]),
        T0,
    );
    assert_eq!(state_of(&n), Some(TcpState::Established));
    n
}

fn ts(v: u32) -> Vec<u8> {
    opts(OptionSet {
        timestamp: Some((v, 5000)),
        ..Default::default()
    })
}

#[test]
fn conformance_25_handshake_states() {
    let mut n = tracked();
    let states: Vec<_> = n.drain_events().map(|t| (t.old, t.new)).collect();
    assert_eq!(
        states,
        [
            (TcpState::Closed, TcpState::SynReceived),
            (TcpState::SynReceived, TcpState::Established)
        ]
    );
    assert_eq!(n.counter(Counter::PassiveOpens), 1);
}

#[test]
fn conformance_33_rst_exact_in_window_outside() {
    // Outside the window: dropped silently.
    let mut n = tracked();
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1 + 10_000_000, 0, RST, 0, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Drop(DropReason::RstOutOfWindow));
    assert!(out.replies.is_empty());
    // In the window but not exact: one challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT>.
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 100, 0, RST, 0, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Drop(DropReason::Challenged));
    let c = tcp_of(&out.replies[0].frame);
    assert_eq!((c.seq, c.ack, c.flags.0), (SISN + 1, ISN + 1, ACK));
    assert_eq!(state_of(&n), Some(TcpState::Established));
    // Exact: the connection is reset and forgotten.
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, 0, RST, 0, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(n.table().occupancy(), 0);
    assert_eq!(n.counter(Counter::TCPChallengeACK), 1);
    assert_eq!(n.counter(Counter::EstabResets), 1);
}

#[test]
fn conformance_34_syn_on_established_gets_challenge_ack() {
    let mut n = tracked();
    for seq in [ISN + 1, ISN + 77, 0x5555_5555] {
        let out = n.process(Port::Wire, &mut from_client(seq, 0, SYN, 100, &[], &[]), T0);
        assert_eq!(out.verdict, Verdict::Drop(DropReason::Challenged));
        let c = tcp_of(&out.replies[0].frame);
        assert_eq!((c.seq, c.ack), (SISN + 1, ISN + 1));
    }
    assert_eq!(state_of(&n), Some(TcpState::Established));
    assert_eq!(n.counter(Counter::TCPSYNChallenge), 3);
}

#[test]
fn conformance_36_ack_range() {
    let mut n = tracked();
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, SISN + 1000, ACK, 502, &ts(1002), b"x"),
        T0,
    );
    assert_eq!(
        out.verdict,
        Verdict::Drop(DropReason::AckOutOfRange),
        "ACK above SND.NXT"
    );
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, SISN - 10_000_000, ACK, 502, &ts(1002), b"x"),
        T0,
    );
    assert_eq!(
        out.verdict,
        Verdict::Drop(DropReason::Challenged),
        "ACK below SND.UNA - MAX.SND.WND"
    );
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, SISN + 1, ACK, 502, &ts(1002), b"x"),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
}

#[test]
fn conformance_28_sequence_bounds() {
    let mut n = tracked();
    // Far beyond RCV.NXT + RCV.WND: invalid.
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1 + 50_000_000, SISN + 1, ACK, 502, &ts(1002), b"x"),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Drop(DropReason::OutOfWindow));
    // Move RCV.NXT on by 2 MB of data, then an old retransmission below the window is passed
    // without touching the state.
    let mut seq = ISN + 1;
    let chunk = vec![0u8; 1400];
    for i in 0..1500u32 {
        let out = n.process(
            Port::Wire,
            &mut from_client(seq, SISN + 1, ACK, 502, &ts(1002 + i), &chunk),
            T0,
        );
        assert_eq!(out.verdict, Verdict::Forward);
        seq += 1400;
    }
    let before = *n.table().iter().next().unwrap().1;
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, SISN + 1, ACK, 502, &ts(3000), &chunk),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(*n.table().iter().next().unwrap().1, before);
}

#[test]
fn conformance_29_window_scaling() {
    let n = tracked();
    let e = *n.table().iter().next().unwrap().1;
    assert_eq!((e.peer_ws, e.host_ws), (7, 7));
    assert_eq!(
        e.host_maxwin_bytes(),
        65160u32.div_ceil(128) * 128,
        "SYN window unscaled, kept in scaled units"
    );
    assert_eq!(
        e.peer_maxwin_bytes(),
        502 * 128,
        "the ACK's window is scaled"
    );
    // WS 15 is treated as 14.
    let mut n = nic(CookieMode::Off);
    let o = opts(OptionSet {
        wscale: Some(15),
        ..Default::default()
    });
    n.process(Port::Wire, &mut from_client(ISN, 0, SYN, 100, &o, &[]), T0);
    assert_eq!(n.table().iter().next().unwrap().1.peer_ws, 14);
}

#[test]
fn conformance_38_paws() {
    let mut n = tracked();
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, SISN + 1, ACK, 502, &ts(900), b"old"),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Drop(DropReason::Paws));
    // RSTs are exempt from PAWS (then checked by RFC 5961).
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, 0, RST, 0, &ts(900), &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(n.counter(Counter::PAWSEstab), 1);
}

/// Close a tracked connection host-first into TIME-WAIT.
fn time_wait(rfc1337: bool) -> Nic {
    let mut n = tracked();
    let mut cfg = n.config().clone();
    cfg.rfc1337 = rfc1337;
    n.set_config(cfg);
    n.process(
        Port::Host,
        &mut from_host(SISN + 1, ISN + 1, FIN | ACK, 500, &[], &[]),
        T0,
    );
    assert_eq!(state_of(&n), Some(TcpState::FinWait1));
    n.process(
        Port::Wire,
        &mut from_client(ISN + 1, SISN + 2, ACK, 502, &ts(1002), &[]),
        T0,
    );
    assert_eq!(state_of(&n), Some(TcpState::FinWait2));
    n.process(
        Port::Wire,
        &mut from_client(ISN + 1, SISN + 2, FIN | ACK, 502, &ts(1003), &[]),
        T0,
    );
    assert_eq!(state_of(&n), Some(TcpState::TimeWait));
    n
}

#[test]
fn conformance_39_rst_in_time_wait_rfc1337() {
    let mut n = time_wait(false);
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 2, 0, RST, 0, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(
        n.table().occupancy(),
        0,
        "tcp_rfc1337 = 0: the RST ends TIME-WAIT"
    );
    let mut n = time_wait(true);
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 2, 0, RST, 0, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Drop(DropReason::Rfc1337));
    assert_eq!(state_of(&n), Some(TcpState::TimeWait));
}

#[test]
fn conformance_32_40_newer_syn_reuses_time_wait() {
    let mut n = time_wait(false);
    // An old SYN (seq not above RCV.NXT): re-ACKed, TIME-WAIT kept.
    let out = n.process(Port::Wire, &mut from_client(ISN, 0, SYN, 100, &[], &[]), T0);
    assert_eq!(out.verdict, Verdict::Drop(DropReason::Challenged));
    assert_eq!(state_of(&n), Some(TcpState::TimeWait));
    // A newer SYN: the old entry gives way, the new connection is tracked in the same slot,
    // with one event TIME-WAIT -> SYN-RECEIVED.
    let slot = n.table().iter().next().map(|(s, _)| s).unwrap();
    let _ = n.drain_events().count();
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 100_000, 0, SYN, 100, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(state_of(&n), Some(TcpState::SynReceived));
    assert_eq!(n.table().iter().next().map(|(s, _)| s), Some(slot));
    let ev: Vec<_> = n.drain_events().map(|t| (t.old, t.new, t.slot)).collect();
    assert_eq!(ev, [(TcpState::TimeWait, TcpState::SynReceived, slot)]);
    assert_eq!(n.counter(Counter::TWRecycled), 1);
}

#[test]
fn conformance_43_simultaneous_close_through_closing() {
    let mut n = tracked();
    n.process(
        Port::Host,
        &mut from_host(SISN + 1, ISN + 1, FIN | ACK, 500, &[], &[]),
        T0,
    );
    // The peer's FIN crosses ours and does not acknowledge it: CLOSING.
    n.process(
        Port::Wire,
        &mut from_client(ISN + 1, SISN + 1, FIN | ACK, 502, &ts(1002), &[]),
        T0,
    );
    assert_eq!(state_of(&n), Some(TcpState::Closing));
    // The host ACKs the peer's FIN; the peer's ACK of ours ends in TIME-WAIT.
    n.process(
        Port::Host,
        &mut from_host(SISN + 2, ISN + 2, ACK, 500, &[], &[]),
        T0,
    );
    n.process(
        Port::Wire,
        &mut from_client(ISN + 2, SISN + 2, ACK, 502, &ts(1003), &[]),
        T0,
    );
    assert_eq!(state_of(&n), Some(TcpState::TimeWait));
    // 2*MSL later it is gone, never earlier.
    assert_eq!(n.expire(T0 + proto::time::Duration::from_secs(60)), 0);
    assert_eq!(n.expire(T0 + proto::time::Duration::from_secs(61)), 1);
    assert_eq!(n.counter(Counter::TW), 1);
}

#[test]
fn non_tcp_traffic_passes_and_exceptions_are_punted() {
    let mut n = nic(CookieMode::Always);
    let mut arp = vec![0xffu8; 6];
    arp.extend_from_slice(&CLIENT_MAC);
    arp.extend_from_slice(&[0x08, 0x06]);
    arp.extend_from_slice(&[0u8; 28]);
    let copy = arp.clone();
    assert_eq!(
        n.process(Port::Wire, &mut arp, T0).verdict,
        Verdict::Forward
    );
    assert_eq!(arp, copy, "unchanged");
    // UDP (protocol 17): forwarded.
    let mut udp = from_client(1, 0, SYN, 0, &[], &[]);
    udp[14 + 9] = 17;
    assert_eq!(
        n.process(Port::Host, &mut udp, T0).verdict,
        Verdict::Forward
    );
    // An IPv4 fragment: punted.
    let mut frag = from_client(1, 0, SYN, 0, &[], &[]);
    frag[14 + 6] |= 0x20;
    assert_eq!(
        n.process(Port::Wire, &mut frag, T0).verdict,
        Verdict::Punt(PuntReason::Ipv4Fragment)
    );
    // Truncated: punted as malformed, never a panic.
    let mut cut = from_client(1, 0, SYN, 0, &[], &[]);
    cut.truncate(40);
    assert_eq!(
        n.process(Port::Wire, &mut cut, T0).verdict,
        Verdict::Punt(PuntReason::Malformed)
    );
    assert_eq!(n.counter(Counter::NonTcpPassed), 2);
}

#[test]
fn bad_checksum_is_dropped() {
    let mut n = nic(CookieMode::Always);
    let mut syn = from_client(ISN, 0, SYN, 100, &[], &[]);
    let last = syn.len() - 1;
    syn[last] ^= 0xFF; // the window's low byte
    let out: Outcome = n.process(Port::Wire, &mut syn, T0);
    assert_eq!(out.verdict, Verdict::Drop(DropReason::BadChecksum));
    assert_eq!(n.counter(Counter::InCsumErrors), 1);
}

/// The host opens (SYN-SENT, an outbound connection), with timestamps and WS 7.
fn outbound() -> Nic {
    let mut n = nic(CookieMode::Off);
    let o = opts(OptionSet {
        mss: Some(1460),
        sack_perm: true,
        timestamp: Some((5000, 0)),
        wscale: Some(7),
    });
    let out = n.process(Port::Host, &mut from_host(SISN, 0, SYN, 64240, &o, &[]), T0);
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(state_of(&n), Some(TcpState::SynSent));
    n
}

#[test]
fn conformance_26_simultaneous_open() {
    let mut n = outbound();
    // The peer's SYN crosses ours: SYN-RECEIVED, marked as a simultaneous open.
    let o = opts(OptionSet {
        mss: Some(1460),
        sack_perm: true,
        timestamp: Some((1000, 0)),
        wscale: Some(7),
    });
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN, 0, SYN, 64240, &o, &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(state_of(&n), Some(TcpState::SynReceived));
    let e = *n.table().iter().next().unwrap().1;
    assert_ne!(e.flags & proto::table::flags::SIM_OPEN, 0);
    assert_ne!(e.flags & proto::table::flags::OUTBOUND, 0);
    // Each side answers with SYN-ACK; the peer's acknowledges our SYN: ESTABLISHED.
    let o = opts(OptionSet {
        mss: Some(1460),
        sack_perm: true,
        timestamp: Some((5001, 1000)),
        wscale: Some(7),
    });
    let out = n.process(
        Port::Host,
        &mut from_host(SISN, ISN + 1, SYN | ACK, 64240, &o, &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(state_of(&n), Some(TcpState::SynReceived));
    let o = opts(OptionSet {
        mss: Some(1460),
        sack_perm: true,
        timestamp: Some((1001, 5000)),
        wscale: Some(7),
    });
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN, SISN + 1, SYN | ACK, 64240, &o, &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(state_of(&n), Some(TcpState::Established));
    let states: Vec<_> = n.drain_events().map(|t| (t.old, t.new)).collect();
    assert_eq!(
        states,
        [
            (TcpState::Closed, TcpState::SynSent),
            (TcpState::SynSent, TcpState::SynReceived),
            (TcpState::SynReceived, TcpState::Established)
        ]
    );
    assert_eq!(n.counter(Counter::ActiveOpens), 1);
}

#[test]
fn conformance_27_ack_in_syn_sent() {
    // From the peer (conntrack REPLY): ignored — passed to the host, which answers it, and the
    // state is untouched.
    let mut n = outbound();
    let before = *n.table().iter().next().unwrap().1;
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN, SISN + 1, ACK, 100, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(*n.table().iter().next().unwrap().1, before);
    // A RST that does not acknowledge our SYN is not acceptable in SYN-SENT (RFC 9293 §3.10.7.3).
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN, SISN + 7, RST | ACK, 0, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Drop(DropReason::RstOutOfWindow));
    assert_eq!(state_of(&n), Some(TcpState::SynSent));
    // A SYN-ACK acknowledging something else is dropped: the host would only answer it with a
    // RST.
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN, SISN + 9, SYN | ACK, 100, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Drop(DropReason::AckOutOfRange));
    // From the host (conntrack ORIGINAL): the host is trusted (docs/model.md), so its segments
    // are forwarded; they do not move the state either.
    let out = n.process(
        Port::Host,
        &mut from_host(SISN + 1, ISN + 1, ACK, 100, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(state_of(&n), Some(TcpState::SynSent));
}

#[test]
fn conformance_30_old_rst_invalid_in_window_rst_keeps_established() {
    let mut n = tracked();
    // The peer sends 1000 bytes and the host acknowledges them: RCV.NXT = ISN + 1001.
    n.process(
        Port::Wire,
        &mut from_client(ISN + 1, SISN + 1, ACK, 502, &ts(1002), &[7u8; 1000]),
        T0,
    );
    n.process(
        Port::Host,
        &mut from_host(SISN + 1, ISN + 1001, ACK, 500, &[], &[]),
        T0,
    );
    // A RST below what the host has acknowledged: invalid, dropped.
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, 0, RST, 0, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Drop(DropReason::RstOutOfWindow));
    // In the window but not exact: ESTABLISHED stays (with a challenge ACK).
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1500, 0, RST, 0, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Drop(DropReason::Challenged));
    assert_eq!(state_of(&n), Some(TcpState::Established));
    assert_eq!(n.counter(Counter::RstOutOfWindow), 1);
}

#[test]
fn conformance_31_timeouts() {
    // The host endpoint's lifetimes, where they differ from conntrack's (which tracks a
    // middlebox's view): TIME-WAIT is Linux's TCP_TIMEWAIT_LEN (60 s, not conntrack's 120 s);
    // an exact RST removes the entry at once (the endpoint has no TCB left; conntrack keeps a
    // CLOSE entry 10 s); idle ESTABLISHED expiry is 8 h, not 5 days, and configurable up to
    // MAX_ENTRY_TIMEOUT (an entry's 16-bit second stamp measures no more). SYN-RECEIVED is
    // conntrack's 60 s.
    let n = nic(CookieMode::Off);
    let s = proto::time::Duration::from_secs;
    assert_eq!(n.timeout(TcpState::Established), s(28_800));
    assert_eq!(n.timeout(TcpState::SynReceived), s(60));
    assert_eq!(n.timeout(TcpState::TimeWait), s(60));
    // ESTABLISHED: kept for its idle time, gone after it.
    let mut n = tracked();
    assert_eq!(n.expire(T0 + s(28_800)), 0);
    assert_eq!(n.expire(T0 + s(28_801)), 1);
    // A longer configured idle time is clamped to what the stamp can measure.
    let mut n = tracked();
    let mut cfg = n.config().clone();
    cfg.established_idle = s(432_000);
    n.set_config(cfg);
    assert_eq!(n.timeout(TcpState::Established), MAX_ENTRY_TIMEOUT);
    assert_eq!(n.expire(T0 + s(32_767)), 0);
    assert_eq!(n.expire(T0 + s(32_768)), 1);
    // A half-open SYN-RECEIVED entry: 60 s.
    let mut n = nic(CookieMode::Off);
    n.process(Port::Wire, &mut from_client(ISN, 0, SYN, 100, &[], &[]), T0);
    assert_eq!(n.expire(T0 + s(60)), 0);
    assert_eq!(n.expire(T0 + s(61)), 1);
    // After an exact RST: nothing left to expire.
    let mut n = tracked();
    n.process(
        Port::Wire,
        &mut from_client(ISN + 1, 0, RST, 0, &[], &[]),
        T0,
    );
    assert_eq!(n.table().occupancy(), 0);
}

#[test]
fn conformance_37_zero_window_acceptability_is_left_to_the_host() {
    // The host closes its window. A zero-length ACK at RCV.NXT is acceptable; a 1-byte segment
    // is not acceptable to the host, but it is a zero-window probe the host must see to answer
    // with its window (RFC 9293 §3.8.6.1): the NIC passes both, as conntrack does.
    let mut n = tracked();
    n.process(
        Port::Host,
        &mut from_host(SISN + 1, ISN + 1, ACK, 0, &[], &[]),
        T0,
    );
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, SISN + 1, ACK, 502, &ts(1002), &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, SISN + 1, ACK, 502, &ts(1003), b"p"),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(state_of(&n), Some(TcpState::Established));
}

#[test]
fn conformance_41_syn_received() {
    let syn_received = || {
        let mut n = nic(CookieMode::Off);
        n.process(Port::Wire, &mut from_client(ISN, 0, SYN, 100, &[], &[]), T0);
        n.process(
            Port::Host,
            &mut from_host(SISN, ISN + 1, SYN | ACK, 65160, &[], &[]),
            T0,
        );
        n
    };
    // A retransmitted SYN reaches the host (which resends its SYN-ACK); the state is kept.
    let mut n = syn_received();
    let out = n.process(Port::Wire, &mut from_client(ISN, 0, SYN, 100, &[], &[]), T0);
    assert_eq!(out.verdict, Verdict::Forward);
    assert_eq!(state_of(&n), Some(TcpState::SynReceived));
    // An ACK that does not acknowledge the host's SYN-ACK: dropped (conntrack INVALID).
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, SISN + 99, ACK, 100, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Drop(DropReason::AckOutOfRange));
    assert_eq!(state_of(&n), Some(TcpState::SynReceived));
    // An exact RST removes the embryonic connection silently (no reply).
    let out = n.process(
        Port::Wire,
        &mut from_client(ISN + 1, 0, RST, 0, &[], &[]),
        T0,
    );
    assert_eq!(out.verdict, Verdict::Forward);
    assert!(out.replies.is_empty());
    assert_eq!(n.table().occupancy(), 0);
}

#[test]
fn conformance_42_syn_ack_retransmissions_keep_the_entry() {
    // Linux retransmits the SYN-ACK at t = 0, 1, 3, 7, 15, 31 s and gives up at 63 s; each
    // retransmission refreshes the NIC's entry, which then lasts `syn_recv_timeout` (60 s)
    // after the last one.
    let s = proto::time::Duration::from_secs;
    let mut n = nic(CookieMode::Off);
    n.process(Port::Wire, &mut from_client(ISN, 0, SYN, 100, &[], &[]), T0);
    for t in [0, 1, 3, 7, 15, 31] {
        assert_eq!(n.expire(T0 + s(t)), 0);
        let out = n.process(
            Port::Host,
            &mut from_host(SISN, ISN + 1, SYN | ACK, 65160, &[], &[]),
            T0 + s(t),
        );
        assert_eq!(out.verdict, Verdict::Forward, "retransmission at {t} s");
    }
    assert_eq!(n.expire(T0 + s(63)), 0, "the host still holds the request");
    assert_eq!(state_of(&n), Some(TcpState::SynReceived));
    assert_eq!(n.expire(T0 + s(31 + 61)), 1);
}
