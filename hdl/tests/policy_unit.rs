//! The policy unit against `proto::policy` (the listener lookup, mode 1's flood detector, mode
//! 2, the 120 s cookie-ACK window) request by request at one request per clock, and the generated
//! Verilog against the rust-hdl simulation under Verilator, cycle by cycle.

mod common;

use common::verilated::{build, in_port_order, Model};
use hdl::lane::Lane;
use hdl::policy_unit::{PolicyUnit, KIND_ACK, KIND_FIND, KIND_SYN, LISTENERS, POLICY_LATENCY};
use hdl::stream::XorShift64;
use hdl::testbench::Testbench;
use proto::config::{CookieMode, Listener, NicConfig};
use proto::policy::{Policy, SynAction};
use proto::time::Instant;
use std::collections::VecDeque;

/// One request.
#[derive(Clone, Copy, Debug, Default)]
struct Req {
    valid: bool,
    kind: u64,
    tag: u8,
    addr: [u8; 4],
    port: u16,
    now: u32,
    pending: u32,
    bucket_full: bool,
}

/// One result, as the unit presents it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Res {
    found: bool,
    index: u8,
    mode: u8,
    cookie: bool,
    flood_detected: bool,
    validate: bool,
}

fn configure(tb: &mut Testbench<PolicyUnit>, cfg: &NicConfig) {
    for i in 0..LISTENERS {
        let l = cfg.listeners.get(i);
        tb.l_valid[i].next = l.is_some();
        let (addr, port, mode) = l.map_or(([0; 4], 0, 0), |l| (l.addr, l.port, l.mode as u64));
        tb.l_addr[i].next = Lane(u32::from_be_bytes(addr));
        tb.l_port[i].next = (port as u64).into();
        tb.l_mode[i].next = mode.into();
    }
    tb.flood_syn_rate.next = Lane(cfg.flood_syn_rate);
    tb.flood_pending.next = Lane(cfg.flood_pending);
}

fn drive(tb: &mut Testbench<PolicyUnit>, r: &Req) {
    tb.in_valid.next = r.valid;
    tb.in_kind.next = r.kind.into();
    tb.in_tag.next = (r.tag as u64).into();
    tb.in_addr.next = Lane(u32::from_be_bytes(r.addr));
    tb.in_port.next = (r.port as u64).into();
    tb.in_now.next = Lane(r.now);
    tb.in_pending.next = Lane(r.pending);
    tb.in_bucket_full.next = r.bucket_full;
}

fn read(tb: &Testbench<PolicyUnit>) -> Res {
    Res {
        found: tb.out_found.val(),
        index: tb.out_index.val().to_u64() as u8,
        mode: tb.out_mode.val().to_u64() as u8,
        cookie: tb.out_cookie.val(),
        flood_detected: tb.out_flood_detected.val(),
        validate: tb.out_validate.val(),
    }
}

/// What `proto` decides for `r` (updating `p`).
fn model(p: &mut Policy, cfg: &NicConfig, r: &Req) -> Res {
    let mut res = Res::default();
    let Some((i, l)) = Policy::find(cfg, r.addr, r.port) else {
        return res;
    };
    res.found = true;
    res.index = i as u8;
    res.mode = l.mode as u8;
    let now = Instant::from_secs(r.now as u64);
    if r.kind == KIND_SYN {
        let (a, newly) = p.on_syn(cfg, i, l.mode, r.pending, r.bucket_full, now);
        res.cookie = a == SynAction::Cookie;
        res.flood_detected = newly;
    } else if r.kind == KIND_ACK {
        res.validate = p.validates_cookies(i, l.mode, now);
    }
    res
}

/// A listener table with wildcards, shared ports (priority) and every mode.
fn random_config(rng: &mut XorShift64) -> NicConfig {
    let mut cfg = NicConfig {
        flood_syn_rate: 2 + rng.below(12) as u32,
        flood_pending: 3 + rng.below(30) as u32,
        ..NicConfig::default()
    };
    cfg.listeners.clear();
    let n = 1 + rng.below(LISTENERS as u64) as usize;
    for _ in 0..n {
        let addr = if rng.chance(25) {
            [0; 4]
        } else {
            [10, 0, 0, 1 + rng.below(3) as u8]
        };
        let _ = cfg.listeners.push(Listener {
            addr,
            port: [80, 443, 22, 8080][rng.below(4) as usize],
            mode: CookieMode::from_code(rng.below(3) as u8).unwrap(),
        });
    }
    cfg
}

/// Requests to the listeners' addresses and ports (and some to none), time moving by seconds,
/// sometimes jumping past the 120 s cookie window; bursts of SYNs so the rate crosses the
/// threshold both ways.
fn random_requests(rng: &mut XorShift64, n: usize) -> Vec<Req> {
    let mut now = 1_000u32;
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        match rng.below(100) {
            0..=6 => now += 1,
            7 => now += 2,
            8 => now += 60 + rng.below(80) as u32,
            _ => {}
        }
        let syn_burst = (k / 200) % 3 == 1;
        out.push(Req {
            valid: !rng.chance(15),
            kind: if syn_burst || rng.chance(45) {
                KIND_SYN
            } else if rng.chance(70) {
                KIND_ACK
            } else {
                KIND_FIND + rng.below(2) * 3 // 3 acts as a lookup too
            },
            tag: rng.next_u32() as u8,
            addr: [10, 0, 0, rng.below(5) as u8],
            port: [80, 443, 22, 8080, 25][rng.below(5) as usize],
            now,
            pending: rng.below(40) as u32,
            bucket_full: rng.chance(4),
        });
    }
    out
}

/// Runs `reqs` back to back (idle slots where `valid` is low), compares every result with the
/// model, returns (results checked, [cookies, floods detected, validations]).
fn run(cfg: &NicConfig, reqs: &[Req]) -> (usize, [usize; 3]) {
    let mut tb = Testbench::new(PolicyUnit::default(), |u| &mut u.clock).unwrap();
    configure(&mut tb, cfg);
    let mut p = Policy::default();
    let mut expect: VecDeque<(usize, Option<Res>, u8)> = VecDeque::new();
    let mut checked = 0;
    let mut seen = [0usize; 3];
    let idle = Req::default();
    for t in 0..reqs.len() + POLICY_LATENCY + 1 {
        let r = reqs.get(t).unwrap_or(&idle);
        drive(&mut tb, r);
        if r.valid {
            // kind 3 looks up like KIND_FIND.
            expect.push_back((t, Some(model(&mut p, cfg, r)), r.tag));
        }
        tb.step();
        // The result of the request driven at step `t - LATENCY + 1` is out now.
        if let Some(&(at, want, tag)) = expect.front() {
            if at + POLICY_LATENCY == t + 1 {
                expect.pop_front();
                assert!(tb.out_valid.val(), "request {at}: no result");
                assert_eq!(tb.out_tag.val().to_u64() as u8, tag, "request {at}");
                let got = read(&tb);
                let want = want.unwrap();
                assert_eq!(got, want, "request {at}: {:?}", reqs[at]);
                checked += 1;
                seen[0] += want.cookie as usize;
                seen[1] += want.flood_detected as usize;
                seen[2] += want.validate as usize;
                continue;
            }
        }
        assert!(!tb.out_valid.val(), "cycle {t}: a result without a request");
    }
    assert!(expect.is_empty());
    (checked, seen)
}

fn inputs_of(tb: &Testbench<PolicyUnit>) -> Vec<(String, u64)> {
    let mut v = Vec::new();
    for i in 0..LISTENERS {
        v.push((format!("l_valid${i}"), u64::from(tb.l_valid[i].val())));
        v.push((format!("l_addr${i}"), u64::from(tb.l_addr[i].val().0)));
        v.push((format!("l_port${i}"), tb.l_port[i].val().to_u64()));
        v.push((format!("l_mode${i}"), tb.l_mode[i].val().to_u64()));
    }
    v.push((
        "flood_syn_rate".into(),
        u64::from(tb.flood_syn_rate.val().0),
    ));
    v.push(("flood_pending".into(), u64::from(tb.flood_pending.val().0)));
    v.push(("in_valid".into(), u64::from(tb.in_valid.val())));
    v.push(("in_kind".into(), tb.in_kind.val().to_u64()));
    v.push(("in_tag".into(), tb.in_tag.val().to_u64()));
    v.push(("in_addr".into(), u64::from(tb.in_addr.val().0)));
    v.push(("in_port".into(), tb.in_port.val().to_u64()));
    v.push(("in_now".into(), u64::from(tb.in_now.val().0)));
    v.push(("in_pending".into(), u64::from(tb.in_pending.val().0)));
    v.push(("in_bucket_full".into(), u64::from(tb.in_bucket_full.val())));
    v
}

#[test]
fn matches_the_model_request_by_request() {
    let mut rng = XorShift64::new(0x901C_0001);
    let (mut total, mut seen) = (0, [0usize; 3]);
    for _ in 0..12 {
        let cfg = random_config(&mut rng);
        let reqs = random_requests(&mut rng, 2500);
        let (n, s) = run(&cfg, &reqs);
        total += n;
        for k in 0..3 {
            seen[k] += s[k];
        }
    }
    println!(
        "policy unit: {total} requests equal to proto::policy; cookies {}, floods detected {}, cookie ACKs validated {}",
        seen[0], seen[1], seen[2]
    );
    // Every decision was exercised both ways.
    assert!(total > 20_000);
    assert!(seen[0] > 1000 && seen[1] > 20 && seen[2] > 1000, "{seen:?}");
}

#[test]
fn first_listener_wins_and_wildcards_match_any_address() {
    let mut cfg = NicConfig::default();
    cfg.listeners.clear();
    for (addr, port, mode) in [
        ([10, 0, 0, 1], 80, CookieMode::Off),
        ([0, 0, 0, 0], 80, CookieMode::Always),
        ([10, 0, 0, 2], 80, CookieMode::OnFlood),
    ] {
        cfg.listeners.push(Listener { addr, port, mode }).unwrap();
    }
    let req = |addr: [u8; 4], port, kind| Req {
        valid: true,
        kind,
        addr,
        port,
        now: 5,
        ..Req::default()
    };
    let reqs = [
        req([10, 0, 0, 1], 80, KIND_SYN),  // listener 0, mode 0: tracked
        req([10, 0, 0, 2], 80, KIND_SYN),  // the wildcard (1) comes before listener 2
        req([10, 0, 0, 9], 80, KIND_ACK),  // wildcard, mode 2: every ACK is a cookie ACK
        req([10, 0, 0, 1], 443, KIND_SYN), // no listener
    ];
    let mut tb = Testbench::new(PolicyUnit::default(), |u| &mut u.clock).unwrap();
    configure(&mut tb, &cfg);
    let mut got = Vec::new();
    for t in 0..reqs.len() + POLICY_LATENCY {
        drive(&mut tb, reqs.get(t).unwrap_or(&Req::default()));
        tb.step();
        if tb.out_valid.val() {
            got.push(read(&tb));
        }
    }
    let r = |found, index, mode, cookie, validate| Res {
        found,
        index,
        mode,
        cookie,
        flood_detected: false,
        validate,
    };
    assert_eq!(
        got,
        [
            r(true, 0, 0, false, false),
            r(true, 1, 2, true, false),
            r(true, 1, 2, false, true),
            r(false, 0, 0, false, false),
        ]
    );
}

#[test]
fn mode1_floods_on_rate_and_cookie_acks_stay_valid_for_120_s() {
    let mut cfg = NicConfig {
        flood_syn_rate: 3,
        ..NicConfig::default()
    };
    cfg.listeners.clear();
    cfg.listeners
        .push(Listener {
            addr: [10, 0, 0, 1],
            port: 80,
            mode: CookieMode::OnFlood,
        })
        .unwrap();
    let at = |now: u32, kind| Req {
        valid: true,
        kind,
        addr: [10, 0, 0, 1],
        port: 80,
        now,
        ..Req::default()
    };
    // Five SYNs back to back in second 10: the fourth is over the rate (3) and gets the first
    // cookie, and the flood is detected once; second 11 still sees second 10's rate; second 13
    // (after a quiet second) does not. Cookie ACKs validate until 120 s after the last cookie.
    let mut reqs: Vec<Req> = (0..5).map(|_| at(10, KIND_SYN)).collect();
    reqs.push(at(11, KIND_SYN));
    reqs.push(at(13, KIND_SYN));
    reqs.push(at(11 + 120, KIND_ACK));
    reqs.push(at(11 + 121, KIND_ACK));
    let (n, seen) = run(&cfg, &reqs);
    assert_eq!(n, reqs.len());
    assert_eq!(seen, [3, 1, 1], "cookies, floods detected, validations");
}

#[test]
fn policy_unit_matches_verilator_cycle_for_cycle() {
    let model_v = build("policy_unit");
    let mut rng = XorShift64::new(0x901C_0002);
    let mut rows = Vec::new();
    let mut sim = Vec::new();
    for _ in 0..3 {
        let cfg = random_config(&mut rng);
        let reqs = random_requests(&mut rng, 1500);
        let mut tb = Testbench::new(PolicyUnit::default(), |u| &mut u.clock).unwrap();
        configure(&mut tb, &cfg);
        // A fresh unit per configuration: Verilator's model is restarted with it.
        let mut these = Vec::new();
        let mut outs = Vec::new();
        for r in &reqs {
            drive(&mut tb, r);
            tb.settle(); // inputs read back below are the driven ones
            these.push(in_port_order(&model_v.inputs, &inputs_of(&tb)));
            tb.step();
            outs.push(vec![
                u64::from(tb.out_valid.val()),
                tb.out_tag.val().to_u64(),
                u64::from(tb.out_found.val()),
                tb.out_index.val().to_u64(),
                tb.out_mode.val().to_u64(),
                u64::from(tb.out_cookie.val()),
                u64::from(tb.out_flood_detected.val()),
                u64::from(tb.out_validate.val()),
            ]);
        }
        let ver = model_v.run(&these);
        model_v.compare("policy_unit", &outs, &ver);
        rows.extend(these);
        sim.extend(outs);
    }
    assert_eq!(
        Model::names(&model_v.outputs),
        [
            "out_valid",
            "out_tag",
            "out_found",
            "out_index",
            "out_mode",
            "out_cookie",
            "out_flood_detected",
            "out_validate"
        ]
    );
    let decisions = sim.iter().filter(|o| o[5] == 1 || o[7] == 1).count();
    assert!(
        decisions > 500,
        "the comparison covered real decisions: {decisions}"
    );
    println!(
        "policy_unit differential: {} cycles equal, {decisions} cookie/validate decisions",
        rows.len()
    );
}
