//! Seed scenarios at model level: real TCP endpoints (`proto::testkit`) talking through the
//! reference model, with assertions on the states the NIC tracked (its transition events and
//! table entries), the frames each side received, and the counters.

use proto::config::{CookieMode, Listener, NicConfig};
use proto::counters::Counter;
use proto::decision::{Port, Verdict};
use proto::state::TcpState::{self, *};
use proto::table::{flags, Geometry};
use proto::testkit::endpoint::EndpointStats;
use proto::testkit::harness::{flow_key, Call};
use proto::testkit::{Addr, App, AutoClose, EndpointConfig, Harness, SynOptions};
use proto::time::{Duration, Instant};
use proto::wire::{self, TcpFlags, TcpInfo};

const HOST: Addr = Addr::new([10, 77, 64, 1], 80);
const T0: Instant = Instant::from_secs(1000);
fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn client_addr(i: u8) -> Addr {
    Addr::new([10, 77, 0, 2 + i], 40000 + i as u16)
}

fn config(mode: CookieMode) -> NicConfig {
    let mut cfg = NicConfig::default();
    cfg.listeners
        .push(Listener {
            addr: HOST.ip,
            port: HOST.port,
            mode,
        })
        .unwrap();
    cfg
}

/// A harness with a protected listener at HOST in `mode`; a host listener endpoint answering
/// with `host_app`.
fn harness(mode: CookieMode, host_app: App) -> Harness {
    let mut h = Harness::new(
        config(mode),
        Geometry {
            buckets: 64,
            ways: 4,
        },
    );
    h.set_start(T0);
    let mut tpl = EndpointConfig::new(HOST, HOST, 0);
    tpl.app = host_app;
    h.listen(Port::Host, HOST, tpl, 128);
    h
}

fn client_cfg(i: u8, isn: u32, app: App) -> EndpointConfig {
    let mut c = EndpointConfig::new(client_addr(i), HOST, isn);
    c.app = app;
    c
}

fn tcp_of(frame: &[u8]) -> TcpInfo {
    let f = wire::parse(frame).unwrap();
    f.tcp().unwrap().1.clone()
}

/// The control bits of the frames delivered to endpoint `id`, in order (SYN, ACK, FIN, RST).
fn flags_seen(h: &Harness, id: usize) -> Vec<u8> {
    h.delivered_to(id)
        .map(|d| {
            tcp_of(&d.frame).flags.0
                & (TcpFlags::SYN | TcpFlags::ACK | TcpFlags::FIN | TcpFlags::RST)
        })
        .collect()
}

const S: u8 = TcpFlags::SYN;
const A: u8 = TcpFlags::ACK;
const F: u8 = TcpFlags::FIN;

fn clean(stats: &EndpointStats) {
    assert_eq!(
        (
            stats.retransmits,
            stats.paws_drops,
            stats.unacceptable,
            stats.rsts_in,
            stats.challenge_acks,
            stats.bad_checksums
        ),
        (0, 0, 0, 0, 0, 0),
        "a clean exchange: {stats:?}"
    );
}

#[test]
fn three_way_handshake() {
    let mut h = harness(CookieMode::Off, App::MANUAL);
    let c = h.add_endpoint(Port::Wire, client_cfg(0, 0x1000_0000, App::MANUAL));
    h.connect(c);
    h.run_for(ms(10));
    let s = h.peer_of(c).expect("the host accepted");
    assert_eq!(h.endpoint(c).state(), Established);
    assert_eq!(h.endpoint(s).state(), Established);
    assert_eq!(h.endpoint(c).history(), [Closed, SynSent, Established]);
    assert_eq!(
        h.endpoint(s).history(),
        [Closed, Listen, SynReceived, Established]
    );
    // No translation without the SYN proxy: each side sees the other's real ISN.
    assert_eq!(h.endpoint(c).isns().1, h.endpoint(s).isns().0);
    assert_eq!(h.endpoint(s).isns().1, 0x1000_0000);

    let key = h.key_of(c);
    assert_eq!(key, flow_key(client_addr(0), HOST));
    assert_eq!(h.states_of(&key), [Closed, SynReceived, Established]);
    let e = h.entry(&key).expect("tracked");
    assert_eq!(e.state, Established);
    assert_eq!(e.flags & flags::PROXIED, 0);
    assert_ne!(e.flags & flags::TS_OK, 0);
    assert_eq!((e.peer_ws, e.host_ws), (7, 7));
    assert_eq!(e.peer_end, 0x1000_0001);
    assert_eq!(e.host_end, h.endpoint(s).isns().0.wrapping_add(1));

    let verdicts: Vec<_> = h.nic_log().iter().map(|r| (r.ingress, r.verdict)).collect();
    assert_eq!(
        verdicts,
        [
            (Port::Wire, Verdict::Forward),
            (Port::Host, Verdict::Forward),
            (Port::Wire, Verdict::Forward)
        ]
    );
    assert_eq!(flags_seen(&h, s), [S, A]);
    assert_eq!(flags_seen(&h, c), [S | A]);
    let n = h.nic();
    assert_eq!(n.counter(Counter::PassiveOpens), 1);
    assert_eq!(n.counter(Counter::TableInserts), 1);
    assert_eq!(n.counter(Counter::FramesForwarded), 3);
    assert_eq!(n.counter(Counter::SyncookiesSent), 0);
    assert_eq!(n.pending(), 0);
    clean(h.endpoint(c).stats());
    clean(h.endpoint(s).stats());
}

/// An established, tracked connection between client 0 and the host, after `bytes` bytes
/// echoed back (both applications close only when told). Returns (harness, client, host).
fn established(bytes: usize, host_time_wait: Duration) -> (Harness, usize, usize) {
    let echo = App {
        echo: true,
        close: AutoClose::Manual,
    };
    let mut cfg = config(CookieMode::Off);
    cfg.time_wait = host_time_wait;
    let mut h = Harness::new(
        cfg,
        Geometry {
            buckets: 64,
            ways: 4,
        },
    );
    h.set_start(T0);
    let mut tpl = EndpointConfig::new(HOST, HOST, 0);
    tpl.app = echo;
    tpl.time_wait = host_time_wait;
    h.listen(Port::Host, HOST, tpl, 128);
    let c = h.add_endpoint(Port::Wire, client_cfg(0, 0xFFFF_F000, App::MANUAL));
    h.connect(c);
    h.send(c, bytes);
    h.run_for(ms(20));
    let s = h.peer_of(c).unwrap();
    assert_eq!(h.endpoint(c).rx().len(), bytes, "the echo came back");
    assert!(h.endpoint(c).rx_is_echo());
    assert_eq!(h.endpoint(s).rx().len(), bytes);
    assert_eq!(h.entry(&h.key_of(c)).unwrap().state, Established);
    (h, c, s)
}

#[test]
fn four_way_teardown_peer_closes_first() {
    // The client's ISN wraps during the transfer (0xFFFF_F000 + 5000).
    let (mut h, c, s) = established(5000, Duration::from_secs(60));
    let key = h.key_of(c);
    h.close(c);
    h.run_for(ms(10));
    // The host has the client's FIN but has not closed: CLOSE-WAIT, here and in the NIC.
    assert_eq!(h.endpoint(s).state(), CloseWait);
    assert_eq!(h.endpoint(c).state(), FinWait2);
    assert_eq!(h.entry(&key).unwrap().state, CloseWait);
    h.close(s);
    h.run_for(ms(10));
    assert_eq!(h.endpoint(s).state(), Closed);
    assert_eq!(h.endpoint(c).state(), TimeWait);
    assert_eq!(
        h.endpoint(c).history(),
        [Closed, SynSent, Established, FinWait1, FinWait2, TimeWait]
    );
    assert_eq!(
        h.endpoint(s).history(),
        [
            Closed,
            Listen,
            SynReceived,
            Established,
            CloseWait,
            LastAck,
            Closed
        ]
    );
    assert_eq!(
        h.states_of(&key),
        [Closed, SynReceived, Established, CloseWait, LastAck, Closed]
    );
    // The host's endpoint is gone, so is its entry (the peer's TIME-WAIT is not the host's).
    assert!(h.entry(&key).is_none());
    assert_eq!(h.nic().table().occupancy(), 0);
    assert_eq!(h.nic().counter(Counter::TableDeletes), 1);
    assert_eq!(h.nic().counter(Counter::FramesDropped), 0);
    // The tail of what each side saw: FIN, (host's FIN), final ACK.
    let host_saw = flags_seen(&h, s);
    assert_eq!(&host_saw[host_saw.len() - 2..], [F | A, A]);
    let client_saw = flags_seen(&h, c);
    assert_eq!(&client_saw[client_saw.len() - 2..], [A, F | A]);
    clean(h.endpoint(c).stats());
    clean(h.endpoint(s).stats());
}

#[test]
fn four_way_teardown_host_closes_first() {
    let (mut h, c, s) = established(3000, Duration::from_secs(60));
    let key = h.key_of(c);
    h.close(s);
    h.run_for(ms(10));
    assert_eq!(h.endpoint(s).state(), FinWait2);
    assert_eq!(h.endpoint(c).state(), CloseWait);
    assert_eq!(h.entry(&key).unwrap().state, FinWait2);
    h.close(c);
    h.run_for(ms(10));
    assert_eq!(h.endpoint(c).state(), Closed);
    assert_eq!(h.endpoint(s).state(), TimeWait);
    assert_eq!(
        h.endpoint(s).history(),
        [
            Closed,
            Listen,
            SynReceived,
            Established,
            FinWait1,
            FinWait2,
            TimeWait
        ]
    );
    assert_eq!(
        h.endpoint(c).history(),
        [Closed, SynSent, Established, CloseWait, LastAck, Closed]
    );
    assert_eq!(
        h.states_of(&key),
        [
            Closed,
            SynReceived,
            Established,
            FinWait1,
            FinWait2,
            TimeWait
        ]
    );
    assert_eq!(h.entry(&key).unwrap().state, TimeWait);
    assert_eq!(h.table_states()[TimeWait.code() as usize], 1);
    assert_eq!(h.nic().counter(Counter::FramesDropped), 0);
    clean(h.endpoint(c).stats());
    clean(h.endpoint(s).stats());
}

#[test]
fn time_wait_expires_after_the_configured_time() {
    // A non-default 2*MSL, for the NIC and the host alike.
    let tw = Duration::from_secs(30);
    let (mut h, c, s) = established(100, tw);
    let key = h.key_of(c);
    h.close(s);
    h.run_for(ms(10));
    h.close(c);
    h.run_for(ms(10));
    let entered = h
        .transitions()
        .iter()
        .find(|t| t.key == key && t.new == TimeWait)
        .expect("TIME-WAIT reached")
        .at;
    let stamp = h.entry(&key).unwrap().stamp as u64;
    assert_eq!(stamp, entered.secs(), "stamped by the last segment");
    // Never early (RFC 9293 MUST-13): still there 2*MSL after the last segment...
    h.run_until(entered + tw);
    assert_eq!(h.entry(&key).map(|e| e.state), Some(TimeWait));
    // ... and up to the whole second the one-second stamp allows: gone exactly at
    // stamp + 2*MSL + 1 s, not 1 ns before.
    let at = Instant::from_secs(stamp + tw.secs() + 1);
    h.run_until(Instant(at.nanos() - 1));
    assert_eq!(h.entry(&key).map(|e| e.state), Some(TimeWait));
    assert_eq!(h.nic().counter(Counter::TW), 0);
    h.run_until(at);
    assert!(h.entry(&key).is_none(), "expired at {at:?}");
    let last = *h.transitions().last().unwrap();
    assert_eq!(
        (last.key, last.old, last.new, last.at),
        (key, TimeWait, Closed, at)
    );
    assert_eq!(h.nic().counter(Counter::TW), 1);
    assert_eq!(h.nic().counter(Counter::TableExpired), 1);
    // The host's own TIME-WAIT ended as well (its timer started with the same segment).
    assert_eq!(h.endpoint(s).state(), Closed);
}

/// A host-side endpoint opening to `peer` from HOST's address and `port`.
fn host_opener(h: &mut Harness, port: u16, peer: Addr, app: App) -> usize {
    let mut cfg = EndpointConfig::new(Addr::new(HOST.ip, port), peer, 0x8000_0000);
    cfg.app = app;
    h.add_endpoint(Port::Host, cfg)
}

#[test]
fn outbound_connection_host_opens() {
    // Even with a cookie-mode-2 listener on the host's address, a connection the host opens
    // from another port is tracked, never proxied.
    let mut h = harness(CookieMode::Always, App::MANUAL);
    let peer = Addr::new([10, 77, 0, 50], 443);
    let mut tpl = EndpointConfig::new(peer, peer, 0);
    tpl.app = App {
        echo: false,
        close: AutoClose::WhenPeerCloses,
    };
    h.listen(Port::Wire, peer, tpl, 16);
    let o = host_opener(
        &mut h,
        50_000,
        peer,
        App {
            echo: false,
            close: AutoClose::AfterAcked,
        },
    );
    h.connect(o);
    h.send(o, 10_000);
    h.run_for(ms(50));
    let p = h.peer_of(o).expect("the peer accepted");
    assert_eq!(h.endpoint(p).rx().len(), 10_000);
    assert_eq!(h.endpoint(o).state(), TimeWait);
    assert_eq!(h.endpoint(p).state(), Closed);
    // The peer closes as soon as it reads EOF: its FIN carries the ACK of the host's FIN, which
    // takes FIN-WAIT-1 straight to TIME-WAIT (RFC 9293 §3.10.7.4, eighth step).
    assert_eq!(
        h.endpoint(o).history(),
        [Closed, SynSent, Established, FinWait1, TimeWait]
    );
    let key = h.key_of(o);
    assert_eq!(
        h.states_of(&key),
        [Closed, SynSent, Established, FinWait1, TimeWait]
    );
    let e = h.entry(&key).unwrap();
    assert_ne!(e.flags & flags::OUTBOUND, 0);
    assert_eq!(e.flags & (flags::PROXIED | flags::SIM_OPEN), 0);
    let n = h.nic();
    assert_eq!(n.counter(Counter::ActiveOpens), 1);
    assert_eq!(n.counter(Counter::PassiveOpens), 0);
    assert_eq!(n.counter(Counter::SyncookiesSent), 0);
    assert_eq!(n.counter(Counter::FramesDropped), 0);
    assert_eq!(n.counter(Counter::FramesRewritten), 0);
    clean(h.endpoint(o).stats());
    clean(h.endpoint(p).stats());
}

#[test]
fn simultaneous_open_through_syn_received() {
    let mut h = harness(CookieMode::Off, App::MANUAL);
    let a = Addr::new([10, 77, 0, 60], 6000);
    let o = host_opener(&mut h, 5555, a, App::MANUAL);
    let w = h.add_endpoint(
        Port::Wire,
        EndpointConfig::new(a, Addr::new(HOST.ip, 5555), 0x4000_0000),
    );
    // Both open; the SYNs cross (the host's reaches the NIC first).
    h.connect(o);
    h.schedule(T0 + Duration(10_000), w, Call::Connect);
    h.run_for(ms(10));
    for id in [o, w] {
        let ep = h.endpoint(id);
        assert_eq!(ep.state(), Established);
        assert!(ep.simultaneous_open());
        assert_eq!(ep.history(), [Closed, SynSent, SynReceived, Established]);
        clean(ep.stats());
    }
    let key = h.key_of(o);
    assert_eq!(
        h.states_of(&key),
        [Closed, SynSent, SynReceived, Established]
    );
    let e = h.entry(&key).unwrap();
    assert_ne!(e.flags & flags::SIM_OPEN, 0);
    assert_ne!(e.flags & flags::OUTBOUND, 0);
    // Each side got a SYN, then a SYN-ACK, then the final ACK.
    assert_eq!(flags_seen(&h, o), [S, S | A, A]);
    assert_eq!(flags_seen(&h, w), [S, S | A, A]);
    assert_eq!(h.nic().counter(Counter::ActiveOpens), 1);
    assert_eq!(h.nic().counter(Counter::FramesDropped), 0);
    // Data flows both ways afterwards.
    h.send(o, 1000);
    h.send(w, 2000);
    h.run_for(ms(10));
    assert_eq!(h.endpoint(w).rx().len(), 1000);
    assert_eq!(h.endpoint(o).rx().len(), 2000);
}

#[test]
fn simultaneous_close_through_closing() {
    let (mut h, c, s) = established(1000, Duration::from_secs(60));
    let key = h.key_of(c);
    // Both close; the FINs cross (the host's reaches the NIC first).
    h.close(s);
    h.schedule(h.now() + Duration(10_000), c, Call::Close);
    h.run_for(ms(10));
    for id in [c, s] {
        let ep = h.endpoint(id);
        assert_eq!(ep.state(), TimeWait);
        let hist = ep.history();
        assert_eq!(&hist[hist.len() - 3..], [FinWait1, Closing, TimeWait]);
        clean(ep.stats());
    }
    assert_eq!(
        h.states_of(&key),
        [
            Closed,
            SynReceived,
            Established,
            FinWait1,
            Closing,
            TimeWait
        ]
    );
    assert_eq!(h.entry(&key).unwrap().state, TimeWait);
    assert_eq!(h.nic().counter(Counter::FramesDropped), 0);
}

// ---- SYN floods ------------------------------------------------------------------------------

use proto::testkit::workload::{in_flood_subnet, spoofed_syn};
use proto::testkit::XorShift64Star;

const ECHO_SERVER: App = App {
    echo: true,
    close: AutoClose::WhenPeerCloses,
};

fn echo_client(i: u8, isn: u32, bytes: u64) -> EndpointConfig {
    client_cfg(
        i,
        isn,
        App {
            echo: false,
            close: AutoClose::AfterReceived(bytes),
        },
    )
}

/// `n` spoofed SYNs from 10.77.128.0/17 to HOST, evenly from `from` over `over`.
fn flood(h: &mut Harness, seed: u64, n: u32, from: Instant, over: Duration) {
    let mut rng = XorShift64Star::new(seed);
    for k in 0..n as u64 {
        let at = from + Duration(k * over.nanos() / n as u64);
        h.inject(at, Port::Wire, spoofed_syn(&mut rng, HOST));
    }
}

/// Client `id` sent `bytes`, got them all back, and both endpoints closed in order.
fn completed(h: &Harness, id: usize, bytes: usize) {
    let c = h.endpoint(id);
    let s = h.peer_of(id).expect("the host accepted");
    let hs = h.endpoint(s);
    assert_eq!(c.rx().len(), bytes, "client {:?}", c.local());
    assert!(c.rx_is_echo());
    // The host closes as soon as it reads EOF, so its FIN carries the ACK of the client's:
    // FIN-WAIT-1 straight to TIME-WAIT (RFC 9293 §3.10.7.4 eighth step), later CLOSED.
    assert_eq!(
        c.history(),
        [Closed, SynSent, Established, FinWait1, TimeWait, Closed]
    );
    assert_eq!(
        hs.history(),
        [
            Closed,
            Listen,
            SynReceived,
            Established,
            CloseWait,
            LastAck,
            Closed
        ]
    );
    assert!(!c.was_reset() && !hs.was_reset() && !c.timed_out() && !hs.timed_out());
    for st in [c.stats(), hs.stats()] {
        // Translation mistakes would show up as PAWS drops, unacceptable segments or
        // challenge ACKs at one of the endpoints.
        assert_eq!(
            (
                st.paws_drops,
                st.unacceptable,
                st.challenge_acks,
                st.rsts_in
            ),
            (0, 0, 0, 0),
            "{st:?}"
        );
    }
}

/// Whether client `id`'s connection went through the SYN proxy: the client took the cookie
/// for the host's ISN.
fn proxied(h: &Harness, id: usize) -> bool {
    let s = h.peer_of(id).unwrap();
    h.endpoint(id).isns().1 != h.endpoint(s).isns().0
}

#[test]
fn syn_flood_mode2_every_syn_gets_a_cookie() {
    let mut h = harness(CookieMode::Always, ECHO_SERVER);
    let bytes = 3000;
    let mut clients = Vec::new();
    for i in 0..5u8 {
        let mut cfg = echo_client(i, 0x0100_0000 * (i as u32 + 1), bytes as u64);
        if i == 4 {
            // No options at all: the cookie carries the MSS only, no TS translation.
            cfg.options = SynOptions::NONE;
        }
        let id = h.add_endpoint(Port::Wire, cfg);
        let at = T0 + ms(100 + 200 * i as u64);
        h.schedule(at, id, Call::Connect);
        h.schedule(at, id, Call::Send(bytes));
        clients.push(id);
    }
    flood(&mut h, 11, 2000, T0, Duration::from_secs(1));

    // Just after client 0's handshake (six one-way hops of 50 us): a proxied entry.
    h.run_until(T0 + ms(100) + Duration(310_000));
    let c0 = clients[0];
    let e = h.entry(&h.key_of(c0)).expect("client 0 is tracked");
    assert_eq!(e.state, Established);
    assert_ne!(e.flags & flags::PROXIED, 0);
    assert_ne!(e.flags & flags::TS_OK, 0);
    assert_ne!(e.seq_off, 0);
    h.run_until(T0 + ms(150));
    // The cookie SYN-ACK had window 0; the proxy's window update opened it before any data.
    let to_c0: Vec<_> = h.delivered_to(c0).collect();
    let synack = tcp_of(&to_c0[0].frame);
    assert!(to_c0[0].generated && synack.flags.syn() && synack.window == 0);
    let update = tcp_of(&to_c0[1].frame);
    assert!(to_c0[1].generated && !update.flags.syn() && update.window > 0);
    assert_eq!(update.seq, synack.seq.wrapping_add(1));
    let first_data = h
        .nic_log()
        .iter()
        .find(|r| r.ingress == Port::Wire && tcp_of(&r.frame).payload_len > 0)
        .expect("client 0 sent data");
    assert!(
        first_data.at > to_c0[1].at,
        "no data before the window opened"
    );
    // Each endpoint sees only its own side's numbers: the client took the cookie for the
    // host's ISN, the host got the client's ISN unchanged.
    let s0 = h.peer_of(c0).unwrap();
    assert_eq!(h.endpoint(c0).isns().1, synack.seq);
    assert_eq!(h.endpoint(s0).isns().1, 0x0100_0000);
    assert_eq!(
        h.endpoint(c0).isns().1,
        e.seq_off.wrapping_add(h.endpoint(s0).isns().0)
    );

    assert!(h.run_until_idle(T0 + Duration::from_secs(3600)));
    for &id in &clients {
        completed(&h, id, bytes);
        assert!(proxied(&h, id));
        assert_eq!(h.endpoint(id).stats().window_probes, 0);
        assert_eq!(
            h.states_of(&h.key_of(id)),
            [Closed, SynReceived, Established, CloseWait, LastAck, Closed]
        );
    }
    // The flood never reached the table, and never reached the host.
    assert!(h
        .transitions()
        .iter()
        .all(|t| !in_flood_subnet(t.key.peer_addr)));
    assert!(h.stats().peak_occupancy <= clients.len());
    assert_eq!(h.nic().table().occupancy(), 0);
    assert_eq!(h.endpoint_count(), 2 * clients.len());
    assert_eq!(
        h.stats().to_void,
        2000,
        "the flood's cookie SYN-ACKs went nowhere"
    );
    let n = h.nic();
    assert_eq!(n.counter(Counter::SyncookiesSent), 2000 + 5);
    assert_eq!(n.counter(Counter::SyncookiesRecv), 5);
    assert_eq!(n.counter(Counter::SyncookiesFailed), 0);
    assert_eq!(n.counter(Counter::SynproxyHandoffs), 5);
    assert_eq!(n.counter(Counter::PassiveOpens), 5);
    assert_eq!(n.counter(Counter::TableInserts), 5);
    assert_eq!(n.counter(Counter::FramesDropped), 0);
    assert_eq!(
        n.counter(Counter::FloodDetected),
        0,
        "mode 2 needs no detection"
    );
    let cookie_synacks = h
        .nic_log()
        .iter()
        .filter(|r| r.verdict == Verdict::Consume && tcp_of(&r.frame).flags.0 == S)
        .count() as u64;
    assert_eq!(cookie_synacks, n.counter(Counter::SyncookiesSent));
}

#[test]
fn syn_flood_mode1_switches_to_cookies_above_the_rate() {
    let mut cfg = config(CookieMode::OnFlood);
    cfg.flood_syn_rate = 100;
    cfg.flood_pending = 1000;
    let mut h = Harness::new(
        cfg,
        Geometry {
            buckets: 256,
            ways: 4,
        },
    );
    h.set_start(T0);
    let mut tpl = EndpointConfig::new(HOST, HOST, 0);
    tpl.app = ECHO_SERVER;
    h.listen(Port::Host, HOST, tpl, 1024);
    let bytes = 2000;
    // Client 0 before the flood, 1-4 during it, 5 long after it.
    let starts = [0u64, 50, 60, 70, 80, 5000];
    let mut clients = Vec::new();
    for (i, &t) in starts.iter().enumerate() {
        let id = h.add_endpoint(
            Port::Wire,
            echo_client(i as u8, 0x2000_0000 + i as u32, bytes as u64),
        );
        h.schedule(T0 + ms(t), id, Call::Connect);
        h.schedule(T0 + ms(t), id, Call::Send(bytes));
        clients.push(id);
    }
    // 1000 SYNs in 100 ms: 10,000 per second, against a threshold of 100.
    flood(&mut h, 12, 1000, T0 + ms(10), ms(100));
    assert!(h.run_until_idle(T0 + Duration::from_secs(3600)));

    for &id in &clients {
        completed(&h, id, bytes);
    }
    let via_proxy: Vec<bool> = clients.iter().map(|&id| proxied(&h, id)).collect();
    assert_eq!(via_proxy, [false, true, true, true, true, false]);
    for (&id, &p) in clients.iter().zip(&via_proxy) {
        let expect: &[TcpState] = &[Closed, SynReceived, Established, CloseWait, LastAck, Closed];
        assert_eq!(h.states_of(&h.key_of(id)), expect, "proxied {p}");
    }
    // Up to the threshold SYNs were tracked (client 0's included), then cookies.
    let tracked_flood = h
        .transitions()
        .iter()
        .filter(|t| in_flood_subnet(t.key.peer_addr) && t.old == Closed)
        .count();
    assert_eq!(tracked_flood, 100 - 1);
    let n = h.nic();
    assert_eq!(n.counter(Counter::FloodDetected), 1);
    assert_eq!(n.counter(Counter::SyncookiesSent), 1000 - 99 + 4);
    assert_eq!(n.counter(Counter::SyncookiesRecv), 4);
    assert_eq!(n.counter(Counter::SynproxyHandoffs), 4);
    assert_eq!(n.counter(Counter::PassiveOpens), 6);
    assert_eq!(n.counter(Counter::FramesDropped), 0);
    // The table never held more than the tracked half of the flood and the clients.
    assert!(h.stats().peak_occupancy <= 99 + clients.len());
    // The tracked flood entries are half-open (the host's SYN-ACKs went nowhere) and expire:
    // 60 s after the host's last SYN-ACK retransmission.
    let left = h.table_states();
    assert_eq!(left[SynReceived.code() as usize], 99);
    assert_eq!(h.nic().table().occupancy(), 99);
    h.run_for(Duration::from_secs(62));
    assert_eq!(h.nic().table().occupancy(), 0);
    assert_eq!(h.nic().counter(Counter::TableExpired), 99);
    assert_eq!(h.nic().pending(), 0);
}

// ---- the workload ----------------------------------------------------------------------------

use proto::testkit::workload::{run, WorkloadSpec};

#[test]
fn workload_fixed_seed_every_client_completes_and_the_flood_leaves_nothing() {
    // The demo's default size: 200 clients and 100,000 spoofed SYNs, cookies always.
    let spec = WorkloadSpec {
        mode: CookieMode::Always,
        seed: 42,
        ..WorkloadSpec::default()
    };
    let r = run(&spec);
    assert!(r.failures.is_empty(), "{:#?}", r.failures);
    assert_eq!((r.legit_attempted, r.legit_completed), (200, 200));
    assert_eq!(r.legit_proxied, 200);
    assert_eq!(r.flood_syns_sent, 100_000);
    // Not one flood entry, ever; nothing left at the end.
    assert_eq!(r.peak.flood_entries, 0);
    assert!(r.peak.entries <= 200);
    assert_eq!(r.end.entries, 0);
    assert_eq!(r.after_expiry.entries, 0);
    assert_eq!(r.counter(Counter::SyncookiesSent), 100_000 + 200);
    assert_eq!(r.counter(Counter::SyncookiesRecv), 200);
    assert_eq!(r.counter(Counter::SynproxyHandoffs), 200);
    assert_eq!(r.counter(Counter::TableInserts), 200);
    assert_eq!(r.counter(Counter::FramesDropped), 0);
    assert_eq!(
        r.frames_processed,
        r.counter(Counter::WireFramesIn) + r.counter(Counter::HostFramesIn)
    );
    // A seed reproduces the run exactly.
    assert_eq!(run(&spec), r);
}

#[test]
fn workload_mode1_flood_entries_stay_bounded_and_expire() {
    let spec = WorkloadSpec {
        clients: 100,
        flood: 20_000,
        mode: CookieMode::OnFlood,
        echo: false,
        seed: 7,
        ..WorkloadSpec::default()
    };
    let r = run(&spec);
    assert!(r.failures.is_empty(), "{:#?}", r.failures);
    assert_eq!(r.legit_completed, 100);
    assert_eq!(r.counter(Counter::FloodDetected), 1);
    // Tracked until the pending-handshake threshold (256 by default) tripped, then cookies.
    assert!(r.peak.flood_entries <= spec.flood_pending as usize + 1);
    assert!(r.peak.entries < r.table_capacity / 4);
    assert_eq!(r.counter(Counter::SyncookiesRecv) as u32, r.legit_proxied);
    // Half-open flood entries outlive the clients (the host retransmits its SYN-ACKs to
    // nobody for 63 s), then the NIC's timers take them.
    assert_eq!(r.end.flood_entries, r.end.entries);
    assert_eq!(r.end.flood_entries, r.peak.flood_entries);
    // Every SYN got a cookie except the tracked ones: the flood's still in the table at the
    // end, and the legit clients that were not proxied.
    assert_eq!(
        r.counter(Counter::SyncookiesSent),
        (r.flood_syns_sent + r.legit_proxied) as u64 - r.end.flood_entries as u64
    );
    assert_eq!(r.after_expiry.entries, 0);
    assert_eq!(r.counter(Counter::TableExpired) as usize, r.end.entries);
}

// ---- resets ----------------------------------------------------------------------------------

#[test]
fn reset_by_the_peer_removes_the_entry() {
    let (mut h, c, s) = established(500, Duration::from_secs(60));
    let key = h.key_of(c);
    h.abort(c);
    h.run_for(ms(10));
    assert_eq!(h.endpoint(c).state(), Closed);
    assert_eq!(h.endpoint(s).state(), Closed);
    assert!(h.endpoint(s).was_reset());
    assert_eq!(
        h.states_of(&key),
        [Closed, SynReceived, Established, Closed]
    );
    assert!(h.entry(&key).is_none());
    assert_eq!(h.nic().counter(Counter::EstabResets), 1);
    assert_eq!(h.nic().counter(Counter::FramesDropped), 0);
}

#[test]
fn proxied_connection_refused_by_the_host_resets_the_client() {
    // Mode 2 on a port where the host has no socket: the proxy's SYN gets the host's RST,
    // which the client must accept (seq = cookie + 1, its RCV.NXT).
    let port = 8080;
    let mut cfg = config(CookieMode::Always);
    cfg.listeners
        .push(Listener {
            addr: HOST.ip,
            port,
            mode: CookieMode::Always,
        })
        .unwrap();
    let mut h = Harness::new(
        cfg,
        Geometry {
            buckets: 64,
            ways: 4,
        },
    );
    h.set_start(T0);
    let c = h.add_endpoint(
        Port::Wire,
        EndpointConfig::new(client_addr(0), Addr::new(HOST.ip, port), 77),
    );
    h.connect(c);
    h.send(c, 100);
    h.run_for(ms(10));
    let ep = h.endpoint(c);
    assert!(ep.was_reset());
    assert_eq!(ep.history(), [Closed, SynSent, Established, Closed]);
    assert_eq!(h.stats().host_resets, 1);
    let key = h.key_of(c);
    assert_eq!(h.states_of(&key), [Closed, SynReceived, Closed]);
    assert_eq!(h.nic().table().occupancy(), 0);
    assert_eq!(h.nic().counter(Counter::SyncookiesRecv), 1);
}

#[test]
fn simultaneous_open_peer_syn_first() {
    // The SYNs cross the other way round: the peer's reaches the NIC before the host's. The
    // host is still an active opener (SYN-SENT, then SYN-RECEIVED on the peer's SYN, RFC 9293
    // Figure 7); the peer's SYN-ACK acknowledges the host's SYN and the host (Linux
    // tcp_validate_incoming) accepts it in SYN-RECEIVED.
    let mut h = harness(CookieMode::Off, App::MANUAL);
    let a = Addr::new([10, 77, 0, 61], 6001);
    let o = host_opener(&mut h, 5556, a, App::MANUAL);
    let w = h.add_endpoint(
        Port::Wire,
        EndpointConfig::new(a, Addr::new(HOST.ip, 5556), 0x4100_0000),
    );
    h.connect(w);
    h.schedule(T0 + Duration(10_000), o, Call::Connect);
    h.run_for(ms(10));
    for id in [o, w] {
        assert_eq!(h.endpoint(id).state(), Established);
        assert!(h.endpoint(id).simultaneous_open());
    }
    let key = h.key_of(o);
    // What the NIC saw of the host's endpoint.
    let e = h.entry(&key).unwrap();
    assert_eq!(e.state, Established);
    assert_eq!(
        h.nic().counter(Counter::FramesDropped),
        0,
        "the NIC dropped a segment the host accepts: {:?}",
        h.nic_log()
            .iter()
            .filter(|r| matches!(r.verdict, Verdict::Drop(_)))
            .map(|r| (r.ingress, r.verdict, tcp_of(&r.frame).flags))
            .collect::<Vec<_>>()
    );
    assert_ne!(e.flags & flags::SIM_OPEN, 0);
    // The NIC meets the peer's SYN before any sign of the host's, so it records SYN-RECEIVED
    // straight away; the host's crossing SYN then marks the entry as a simultaneous active
    // open without a state change (the host's brief SYN-SENT left no trace on the wire).
    assert_eq!(h.states_of(&key), [Closed, SynReceived, Established]);
    assert_ne!(e.flags & flags::OUTBOUND, 0);
    assert_eq!(h.nic().counter(Counter::ActiveOpens), 1);
    assert_eq!(h.nic().counter(Counter::PassiveOpens), 0);
}

#[test]
fn zero_window_probe_makes_the_proxy_resend_its_syn() {
    // The proxy's SYN to the host is lost. The client holds its data behind the cookie
    // SYN-ACK's zero window and probes (seq = ISN, Linux tcp_xmit_probe_skb) after its RTO; the
    // probe makes the proxy send the SYN again (netfilter cookie_retrans, conformance 23).
    let mut h = harness(CookieMode::Always, ECHO_SERVER);
    h.lose_next(Port::Host, 1);
    let c = h.add_endpoint(Port::Wire, echo_client(0, 500, 4000));
    h.connect(c);
    h.send(c, 4000);
    h.run_for(ms(500));
    assert_eq!(h.endpoint(c).state(), Established);
    assert_eq!(h.endpoint(c).seq_vars().2, 0, "window still closed");
    assert!(h.peer_of(c).is_none());
    assert_eq!(h.entry(&h.key_of(c)).unwrap().state, SynReceived);
    assert!(h.run_until_idle(T0 + Duration::from_secs(3600)));
    assert_eq!(h.stats().lost, 1);
    assert_eq!(h.endpoint(c).stats().window_probes, 1);
    assert_eq!(h.nic().counter(Counter::SynproxyRetrans), 1);
    completed(&h, c, 4000);
    assert_eq!(
        h.states_of(&h.key_of(c)),
        [Closed, SynReceived, Established, CloseWait, LastAck, Closed]
    );
}
