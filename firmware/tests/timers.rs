//! Each timer kind fires at the right device time, and the idle timers agree with the model's
//! sweep (`proto::nic::Nic::expire`).

mod common;

use common::*;
use firmware::Firmware;
use proto::config::{CookieMode, Keepalive, Listener, NicConfig};
use proto::counters::Counter;
use proto::decision::Port;
use proto::events::{AlarmKind, Event, TransitionCause};
use proto::state::TcpState;
use proto::time::{Duration, Instant};
use proto::wire::{self, Payload, TcpFlags};

type Fw<'t> = Firmware<'t, firmware::sim::SimHw, SLOTS>;

fn timeouts(fw: &Fw) -> Vec<(u32, TcpState, TransitionCause, Instant)> {
    fw.hw
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Transition(t) => Some((t.slot, t.old, t.cause, t.at)),
            _ => None,
        })
        .collect()
}

/// Put flow 1 into `state` at `at`; the firmware and the model both keep it until `expect`
/// minus a millisecond and both remove it at `expect`, the firmware reporting a Timeout.
fn expires_at(cfg: NicConfig, state: TcpState, at: Instant, expect: Instant) {
    let mut rig = Rig::new(cfg);
    let k = key(1);
    rig.drive_to_state(&k, state, at);
    let slot = rig.slot(&k).unwrap();
    let mut t = timers();
    let mut fw = start(rig.device(), &mut t);
    let before = Instant::from_nanos(expect.nanos() - 1_000_000);
    run_to(&mut fw, before);
    assert!(
        fw.hw.table.get(slot).is_some(),
        "{state:?}: gone before {expect:?}"
    );
    assert_eq!(
        rig.nic.expire(before),
        0,
        "{state:?}: the model agrees it stays"
    );
    run_to(&mut fw, expect);
    assert!(
        fw.hw.table.get(slot).is_none(),
        "{state:?}: still there at {expect:?}"
    );
    assert_eq!(
        rig.nic.expire(expect),
        1,
        "{state:?}: the model expires it then too"
    );
    assert_eq!(
        timeouts(&fw),
        vec![(slot, state, TransitionCause::Timeout, expect)]
    );
    assert_eq!(fw.hw.counters[Counter::TableExpired as usize], 1);
    assert_eq!(
        fw.hw.counters[Counter::TW as usize],
        (state == TcpState::TimeWait) as u64
    );
}

#[test]
fn time_wait_lasts_2msl_60s_then_goes() {
    // Last segment at 100.0 s: gone at 161 s (age 61 > 60), never before 160 s.
    expires_at(
        NicConfig::default(),
        TcpState::TimeWait,
        secs(100.0),
        secs(161.0),
    );
    // Mid-second: the stamp is 100, so still 161 s (60.6 s after the last segment).
    expires_at(
        NicConfig::default(),
        TcpState::TimeWait,
        secs(100.4),
        secs(161.0),
    );
}

#[test]
fn fin_wait_2_and_the_other_closing_states_use_the_fin_timeout() {
    let cfg = NicConfig {
        fin_timeout: Duration::from_secs(30),
        ..NicConfig::default()
    };
    for s in [
        TcpState::FinWait2,
        TcpState::FinWait1,
        TcpState::Closing,
        TcpState::LastAck,
    ] {
        expires_at(cfg.clone(), s, secs(7.0), secs(38.0));
    }
}

#[test]
fn handshakes_that_never_finish_expire_after_the_syn_recv_timeout() {
    expires_at(
        NicConfig::default(),
        TcpState::SynReceived,
        secs(10.0),
        secs(71.0),
    );
    expires_at(
        NicConfig::default(),
        TcpState::SynSent,
        secs(10.0),
        secs(71.0),
    );
}

#[test]
fn idle_established_expires_after_8h_and_traffic_moves_it() {
    expires_at(
        NicConfig::default(),
        TcpState::Established,
        secs(10.0),
        secs(10.0 + 28_800.0 + 1.0),
    );
    // A segment at 5000 s refreshes the entry without an event: the firmware finds out when its
    // timer fires and re-arms from the stamp.
    let mut rig = Rig::new(NicConfig::default());
    let k = key(2);
    rig.open(&k, secs(10.0));
    let slot = rig.slot(&k).unwrap();
    let mut t = timers();
    let mut fw = start(rig.device(), &mut t);
    rig.send(
        Port::Wire,
        seg(&k, true, PISN + 1, HISN + 1, A, b"hello"),
        secs(5000.0),
    );
    *fw.hw.table.get_mut(slot).unwrap() = rig.entry(&k).unwrap();
    run_to(&mut fw, secs(28_811.0));
    assert!(fw.hw.table.get(slot).is_some(), "refreshed at 5000 s");
    assert_eq!(rig.nic.expire(secs(28_811.0)), 0);
    run_to(&mut fw, secs(33_800.999));
    assert!(fw.hw.table.get(slot).is_some());
    run_to(&mut fw, secs(33_801.0));
    assert!(fw.hw.table.get(slot).is_none());
    assert_eq!(rig.nic.expire(secs(33_801.0)), 1);
}

#[test]
fn close_wait_alarm_names_the_connection_once_at_the_alarm_age() {
    let mut rig = Rig::new(NicConfig::default());
    let k = key(3);
    rig.drive_to_state(&k, TcpState::CloseWait, secs(500.0));
    let slot = rig.slot(&k).unwrap();
    let mut t = timers();
    let mut fw = start(rig.device(), &mut t);
    // The host still sends data in CLOSE-WAIT: the entry is refreshed, the age alarm is not moved.
    rig.send(
        Port::Host,
        seg(&k, false, HISN + 1, PISN + 2, A, b"data"),
        secs(650.0),
    );
    *fw.hw.table.get_mut(slot).unwrap() = rig.entry(&k).unwrap();
    run_to(&mut fw, secs(799.999));
    assert!(fw.hw.events.is_empty());
    run_to(&mut fw, secs(800.0));
    let alarms: Vec<_> = fw
        .hw
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Alarm(a) => Some(*a),
            _ => None,
        })
        .collect();
    assert_eq!(alarms.len(), 1);
    let a = alarms[0];
    assert_eq!(a.kind, AlarmKind::CloseWaitAge);
    assert_eq!((a.key, a.state, a.slot), (k, TcpState::CloseWait, slot));
    assert_eq!((a.at, a.value), (secs(800.0), 300));
    run_to(&mut fw, secs(5000.0));
    assert_eq!(fw.hw.events.len(), 1, "one alarm per CLOSE-WAIT");
    assert_eq!(fw.hw.counters[Counter::CloseWaitAlarms as usize], 1);
    assert!(fw.hw.table.get(slot).is_some(), "the alarm does not remove");
}

fn keepalive_cfg() -> NicConfig {
    NicConfig {
        keepalive: Keepalive {
            enabled: true,
            ..Keepalive::default()
        },
        ..NicConfig::default()
    }
}

fn sent_tcp(fw: &Fw, i: usize) -> (Port, proto::wire::Ipv4Info, proto::wire::TcpInfo) {
    let (port, f) = &fw.hw.sent[i];
    let p = wire::parse(f).unwrap();
    let Payload::Ipv4Tcp(ip, tcp) = p.payload else {
        panic!("not TCP")
    };
    assert!(wire::build::checksums_ok(f, &ip, &tcp));
    (*port, ip, tcp)
}

#[test]
fn keepalive_resets_a_half_open_connection_at_idle_plus_interval_times_probes() {
    // Linux defaults: 7200 s idle, 75 s interval, 9 probes: detection 7875 s after the last segment.
    let mut rig = Rig::new(keepalive_cfg());
    let k = key(4);
    rig.open(&k, secs(1000.0));
    let slot = rig.slot(&k).unwrap();
    let mut t = timers();
    let mut fw = start(rig.device(), &mut t);
    for p in 0..9u32 {
        let at = 1000.0 + 7200.0 + 75.0 * p as f64;
        run_to(&mut fw, secs(at - 0.001));
        assert_eq!(fw.hw.sent.len(), p as usize, "probe {p} early");
        run_to(&mut fw, secs(at));
        assert_eq!(fw.hw.sent.len(), p as usize + 1, "probe {p} at {at}");
        let (port, ip, tcp) = sent_tcp(&fw, p as usize);
        assert_eq!(port, Port::Wire);
        assert_eq!((ip.src, ip.dst), (k.host_addr, k.peer_addr));
        assert_eq!((tcp.src_port, tcp.dst_port), (k.host_port, k.peer_port));
        assert_eq!(tcp.flags.0, TcpFlags::ACK);
        assert_eq!((tcp.seq, tcp.ack), (HISN, PISN + 1), "SND.NXT - 1, RCV.NXT");
    }
    run_to(&mut fw, secs(8874.999));
    assert!(fw.hw.table.get(slot).is_some());
    run_to(&mut fw, secs(8875.0));
    assert!(fw.hw.table.get(slot).is_none(), "reset at idle + 9 * 75 s");
    let (port, ip, tcp) = sent_tcp(&fw, 9);
    assert_eq!(port, Port::Host);
    assert_eq!((ip.src, ip.dst), (k.peer_addr, k.host_addr));
    assert_eq!(tcp.flags.0, TcpFlags::RST | TcpFlags::ACK);
    assert_eq!((tcp.seq, tcp.ack), (PISN + 1, HISN + 1));
    assert_eq!(
        timeouts(&fw),
        vec![(
            slot,
            TcpState::Established,
            TransitionCause::KeepaliveFailed,
            secs(8875.0)
        )]
    );
    let c = &fw.hw.counters;
    assert_eq!(c[Counter::KeepaliveProbes as usize], 9);
    assert_eq!(c[Counter::KeepaliveResets as usize], 1);
    assert_eq!(c[Counter::OutRsts as usize], 1);
}

#[test]
fn keepalive_answered_by_a_live_peer_keeps_the_connection() {
    let mut rig = Rig::new(keepalive_cfg());
    let k = key(5);
    rig.open(&k, secs(0.0));
    let slot = rig.slot(&k).unwrap();
    let mut t = timers();
    let mut fw = start(rig.device(), &mut t);
    run_to(&mut fw, secs(7200.0));
    assert_eq!(fw.hw.sent.len(), 1);
    // The peer answers the probe with an ACK; the pipeline's tracker accepts it and stamps.
    let probe = fw.hw.sent[0].1.clone();
    let outcome = rig.send(
        Port::Wire,
        seg(&k, true, PISN + 1, HISN + 1, A, &[]),
        secs(7200.3),
    );
    assert!(outcome.passes());
    assert!(wire::parse(&probe).is_ok());
    *fw.hw.table.get_mut(slot).unwrap() = rig.entry(&k).unwrap();
    run_to(&mut fw, secs(7875.0));
    assert!(fw.hw.table.get(slot).is_some());
    assert_eq!(
        fw.hw.sent.len(),
        1,
        "no probe while the peer was heard from"
    );
    run_to(&mut fw, secs(14_399.999));
    assert_eq!(fw.hw.sent.len(), 1);
    run_to(&mut fw, secs(14_400.0));
    assert_eq!(fw.hw.sent.len(), 2, "idle again 7200 s after the answer");
}

#[test]
fn keepalive_with_zero_probes_resets_at_idle() {
    let mut cfg = keepalive_cfg();
    cfg.keepalive.probes = 0;
    cfg.keepalive.idle = Duration::from_secs(600);
    let mut rig = Rig::new(cfg);
    let k = key(6);
    rig.open(&k, secs(20.0));
    let slot = rig.slot(&k).unwrap();
    let mut t = timers();
    let mut fw = start(rig.device(), &mut t);
    run_to(&mut fw, secs(619.999));
    assert!(fw.hw.table.get(slot).is_some());
    run_to(&mut fw, secs(620.0));
    assert!(fw.hw.table.get(slot).is_none());
    assert_eq!(fw.hw.sent.len(), 1, "only the reset");
}

#[test]
fn syn_proxy_retransmits_its_syn_to_the_host_then_the_handshake_times_out() {
    let mut cfg = NicConfig::default();
    cfg.listeners
        .push(Listener {
            addr: [192, 0, 2, 10],
            port: 80,
            mode: CookieMode::Always,
        })
        .unwrap();
    let mut rig = Rig::new(cfg);
    let k = key(7);
    let o = rig.peer(&k, PISN, 0, S, secs(50.0));
    let synack = &o.replies[0].frame;
    let Payload::Ipv4Tcp(_, sa) = wire::parse(synack).unwrap().payload else {
        panic!()
    };
    let o = rig.peer(&k, PISN + 1, sa.seq.wrapping_add(1), A, secs(50.5));
    assert_eq!(o.replies.len(), 1, "the proxy's SYN to the host");
    let syn = o.replies[0].frame.to_vec();
    let slot = rig.slot(&k).unwrap();
    let mut t = timers();
    let mut fw = start(rig.device(), &mut t);
    // Backoff 1, 2, 4, 8, 16 s from the stamp (50 s): 51, 53, 57, 65, 81 s; gone at 111 s.
    for (i, at) in [51.0, 53.0, 57.0, 65.0, 81.0].into_iter().enumerate() {
        run_to(&mut fw, secs(at - 0.001));
        assert_eq!(fw.hw.sent.len(), i);
        run_to(&mut fw, secs(at));
        assert_eq!(fw.hw.sent.len(), i + 1, "retransmission {} at {at}", i + 1);
        assert_eq!(
            fw.hw.sent[i],
            (Port::Host, syn.clone()),
            "byte-equal to the pipeline's SYN"
        );
    }
    run_to(&mut fw, secs(110.999));
    assert!(fw.hw.table.get(slot).is_some());
    run_to(&mut fw, secs(111.0));
    assert!(fw.hw.table.get(slot).is_none());
    assert_eq!(fw.hw.sent.len(), 5);
    assert_eq!(fw.hw.counters[Counter::SynproxyRetrans as usize], 5);
    assert_eq!(
        rig.nic.expire(secs(111.0)),
        1,
        "the model expires it at the same time"
    );
}

#[test]
fn the_whole_table_agrees_with_the_model_sweep_second_by_second() {
    let cfg = NicConfig {
        time_wait: Duration::from_secs(60),
        fin_timeout: Duration::from_secs(30),
        syn_recv_timeout: Duration::from_secs(20),
        established_idle: Duration::from_secs(200),
        ..NicConfig::default()
    };
    let states = [
        TcpState::SynReceived,
        TcpState::SynSent,
        TcpState::Established,
        TcpState::FinWait1,
        TcpState::FinWait2,
        TcpState::Closing,
        TcpState::TimeWait,
        TcpState::CloseWait,
        TcpState::LastAck,
    ];
    let mut rig = Rig::new(cfg);
    let n = 360u16;
    for i in 0..n {
        // Opened over 0 .. 90 s at odd fractions of a second.
        rig.drive_to_state(
            &key(i),
            states[i as usize % states.len()],
            secs(i as f64 * 0.25 + 0.037),
        );
    }
    let mut t = timers();
    let mut hw = rig.device();
    hw.now = secs(90.0); // the model's first sweep
    let mut fw = start(hw, &mut t);
    let mut model_expired = 0;
    let mut step = 0u32;
    let mut at = 90.0;
    while at < 500.0 {
        // Traffic refreshes some established connections (no event: the wheel learns lazily).
        if step.is_multiple_of(7) {
            let i = ((step * 37) % n as u32) as u16;
            let k = key(i);
            if rig
                .entry(&k)
                .is_some_and(|e| e.state == TcpState::Established)
            {
                rig.send(
                    Port::Wire,
                    seg(&k, true, PISN + 1, HISN + 1, A, b"x"),
                    secs(at),
                );
                let slot = rig.slot(&k).unwrap();
                let e = rig.entry(&k).unwrap();
                // The connection's seq moved: later refreshes of it are out of window, fine.
                *fw.hw.table.get_mut(slot).unwrap() = e;
            }
        }
        model_expired += rig.nic.expire(secs(at));
        run_to(&mut fw, secs(at));
        assert_eq!(
            occupied(&fw.hw.table),
            occupied(rig.nic.table()),
            "tables differ at {at} s"
        );
        step += 1;
        at += 0.25;
    }
    assert_eq!(model_expired, n as usize, "everything expired by 500 s");
    assert_eq!(fw.stats().expired, n as u64);
    assert_eq!(fw.hw.table.occupancy(), 0);
    // Every removal was reported, at the time the model removed it.
    let mut model: Vec<_> = rig
        .nic
        .drain_events()
        .filter(|t| t.new == TcpState::Closed)
        .map(|t| (t.slot, t.old, t.at))
        .collect();
    let mut fw_ev: Vec<_> = timeouts(&fw)
        .into_iter()
        .map(|(s, o, _, a)| (s, o, a))
        .collect();
    model.sort_by_key(|m| (m.2, m.0));
    fw_ev.sort_by_key(|m| (m.2, m.0));
    assert_eq!(fw_ev, model);
}
