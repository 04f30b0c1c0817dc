//! The SYN-cookie unit against `proto::cookie` (Linux `__cookie_v4_init_sequence` /
//! `__cookie_v4_check`) and `proto::nic::flow_hash`, one request per clock: every output cycle
//! must show exactly the request of [`COOKIE_LATENCY`] cycles before, generated / checked as the
//! model does; then the generated Verilog against the rust-hdl simulation under Verilator, cycle
//! for cycle.

mod common;

use common::verilated::{build, per_port, Model};
use hdl::cookie_unit::{
    drive_secrets, CookieRequest, CookieResult, CookieUnit, COOKIE_LATENCY, COOKIE_TAG_BITS,
    KIND_CHECK, KIND_GENERATE, KIND_HASH,
};
use hdl::stream::XorShift64;
use hdl::testbench::Testbench;
use proto::config::{Key128, NicConfig};
use proto::cookie::{
    check_v4, check_v4_steps, init_sequence_v4, init_sequence_v4_steps, mss_index, MSSTAB_V4,
};
use proto::nic::flow_hash;
use proto::siphash::siphash_4u32;
use proto::table::FlowKey;
use std::time::Instant;

type Secret = [Key128; 2];

/// One cycle of stimulus: the request and the secret on the configuration inputs.
#[derive(Clone, Copy, Debug)]
struct Cycle {
    req: CookieRequest,
    secret: Secret,
}

fn random_secret(rng: &mut XorShift64) -> Secret {
    [
        [rng.next_u64(), rng.next_u64()],
        [rng.next_u64(), rng.next_u64()],
    ]
}

/// The 64-bit SipHash behind Linux's v4 `cookie_hash(.., count, c)` (whose value is the low half).
fn cookie_siphash(secret: &Secret, r: &CookieRequest, count: u32, c: usize) -> u64 {
    let raw16 = |p: u16| u32::from(p.swap_bytes());
    siphash_4u32(
        u32::from_le_bytes(r.peer_addr),
        u32::from_le_bytes(r.host_addr),
        (raw16(r.peer_port) << 16) | raw16(r.host_port),
        count,
        &secret[c],
    )
}

fn flow_key(r: &CookieRequest) -> FlowKey {
    FlowKey {
        peer_addr: r.peer_addr,
        host_addr: r.host_addr,
        peer_port: r.peer_port,
        host_port: r.host_port,
    }
}

fn config(secret: &Secret) -> NicConfig {
    NicConfig {
        cookie_key: *secret,
        ..NicConfig::default()
    }
}

/// What the model says of one request's result, checked field by field where the interface
/// defines the field (module docs of `hdl::cookie_unit`). Returns the model's check verdict.
fn assert_result(
    out: &CookieResult,
    req: &CookieRequest,
    secret: &Secret,
    cfg: &NicConfig,
    at: &str,
) {
    assert_eq!(out.valid, req.valid, "{at}: valid");
    assert_eq!(out.tag, req.tag, "{at}: tag");
    let kind = if req.kind == 3 { KIND_HASH } else { req.kind };
    assert_eq!(out.kind, kind, "{at}: kind");
    // H0 for every request, valid or not (the data path is not gated): the table hash.
    let h0 = cookie_siphash(secret, req, 0, 0);
    assert_eq!(
        out.h0,
        flow_hash(cfg, &flow_key(req)),
        "{at}: h0 vs flow_hash, {req:x?}"
    );
    assert_eq!(
        (out.h0, out.h0_hi),
        (h0 as u32, (h0 >> 32) as u32),
        "{at}: h0"
    );
    let (p, h) = (req.peer_addr, req.host_addr);
    let (pp, hp) = (req.peer_port, req.host_port);
    match kind {
        KIND_GENERATE => {
            let mss = MSSTAB_V4[usize::from(req.mss_index)];
            let s = init_sequence_v4_steps(secret, p, h, pp, hp, req.isn, mss, req.count);
            assert_eq!(s.mssind, u32::from(req.mss_index));
            assert_eq!(out.syn_cookie, s.isn, "{at}: syn_cookie of {req:x?}");
            assert_eq!(
                init_sequence_v4(secret, p, h, pp, hp, req.isn, mss, req.count),
                (out.syn_cookie, mss)
            );
            let h1 = cookie_siphash(secret, req, req.count, 1);
            assert_eq!(out.h1, s.h1, "{at}: h1");
            assert_eq!(out.h1_hi, (h1 >> 32) as u32, "{at}: h1_hi");
            assert!(
                !out.age_ok && !out.cookie_ok,
                "{at}: check outputs of a generate"
            );
        }
        KIND_CHECK => {
            let (seq, ack) = (req.isn.wrapping_add(1), req.ack_cookie.wrapping_add(1));
            let s = check_v4_steps(secret, p, h, pp, hp, seq, ack, req.count);
            assert_eq!(
                out.age_ok,
                req.valid && s.age_ok(),
                "{at}: age_ok of {req:x?}"
            );
            assert_eq!(
                out.cookie_ok,
                req.valid && s.is_valid(),
                "{at}: ok of {req:x?}"
            );
            assert_eq!(check_v4(secret, p, h, pp, hp, seq, ack, req.count), s.mss);
            if s.age_ok() {
                let h1 = cookie_siphash(secret, req, s.count_used, 1);
                assert_eq!((out.h1, out.h1_hi), (s.h1, (h1 >> 32) as u32), "{at}: h1");
                assert_eq!(
                    u32::from(out.cookie_mss_index),
                    s.mssind & 3,
                    "{at}: mssind"
                );
            }
            if let Some(mss) = s.mss {
                assert_eq!(
                    MSSTAB_V4[usize::from(out.cookie_mss_index)],
                    mss,
                    "{at}: mss"
                );
            }
            // The probe's check: the same ACK checked with seq + 1 (ISN = seq).
            let probe = check_v4(secret, p, h, pp, hp, seq.wrapping_add(1), ack, req.count);
            assert_eq!(out.probe_ok, req.valid && probe.is_some(), "{at}: probe_ok");
            if let Some(mss) = probe {
                assert_eq!(
                    MSSTAB_V4[usize::from(out.probe_mss_index)],
                    mss,
                    "{at}: probe mss"
                );
            }
        }
        _ => assert!(
            !out.age_ok && !out.cookie_ok,
            "{at}: check outputs of a hash"
        ),
    }
}

/// Feeds `stim` one per clock (then idle cycles to drain), checks every output cycle against
/// the model and returns the per-cycle outputs and the simulation speed (cycles/s).
fn run_and_check(stim: &[Cycle]) -> (Vec<CookieResult>, f64) {
    let mut tb = Testbench::new(CookieUnit::default(), |u| &mut u.clock).unwrap();
    let idle = Cycle {
        req: CookieRequest::default(),
        secret: stim.last().map(|c| c.secret).unwrap_or_default(),
    };
    let mut cfgs: Vec<(Secret, NicConfig)> = Vec::new();
    let mut outs = Vec::with_capacity(stim.len() + COOKIE_LATENCY);
    let mut sim_time = 0.0;
    for t in 0..stim.len() + COOKIE_LATENCY {
        let c = stim.get(t).unwrap_or(&idle);
        let t0 = Instant::now();
        c.req.drive(&mut tb);
        drive_secrets(&mut tb, &c.secret);
        tb.step();
        let out = CookieResult::read(&tb);
        sim_time += t0.elapsed().as_secs_f64();
        // After the step of cycle t the outputs show the request of cycle t + 1 - LATENCY.
        match (t + 1)
            .checked_sub(COOKIE_LATENCY)
            .and_then(|i| stim.get(i))
        {
            Some(inp) => {
                if cfgs.last().map(|(s, _)| *s) != Some(inp.secret) {
                    cfgs.push((inp.secret, config(&inp.secret)));
                }
                let cfg = &cfgs.last().unwrap().1;
                assert_result(&out, &inp.req, &inp.secret, cfg, &format!("cycle {t}"));
            }
            None => assert!(!out.valid, "cycle {t}: valid before any request"),
        }
        outs.push(out);
    }
    println!(
        "cookie_unit: {:.1} delta iterations per cycle",
        tb.deltas() as f64 / tb.cycles() as f64
    );
    (outs, tb.cycles() as f64 / sim_time)
}

/// A generated cookie the stimulus may send back in an ACK.
#[derive(Clone, Copy, Debug)]
struct Issued {
    req: CookieRequest,
    cookie: u32,
}

#[derive(Default, Debug)]
struct Stats {
    generate: usize,
    hash: usize,
    check: usize,
    accepted_age0: usize,
    accepted_age1: usize,
    expired: usize,
    rejected: usize,
    accepted_other_mss: usize,
    idle: usize,
}

fn random_addr(rng: &mut XorShift64) -> [u8; 4] {
    match rng.below(20) {
        0 => [0; 4],
        1 => [255; 4],
        _ => rng.next_u32().to_be_bytes(),
    }
}

fn random_port(rng: &mut XorShift64) -> u16 {
    match rng.below(20) {
        0 => 0,
        1 => u16::MAX,
        2 => 80,
        _ => rng.next_u64() as u16,
    }
}

fn random_seq(rng: &mut XorShift64) -> u32 {
    match rng.below(10) {
        0 => u32::MAX - rng.below(4) as u32,
        1 => rng.below(4) as u32,
        _ => rng.next_u32(),
    }
}

/// Mixed requests, back to back: SYN cookies, valid cookie ACKs at age 0 and 1, expired,
/// tampered, wrong-tuple and wrong-MSS ACKs, random ACKs, table-hash requests, kind 3 and idle
/// cycles, with a secret rotation now and then and a minute counter that advances and wraps.
fn mixed_stimulus(seed: u64, n: usize) -> (Vec<Cycle>, Stats) {
    let mut rng = XorShift64::new(seed);
    let mut secret = random_secret(&mut rng);
    let mut now: u32 = u32::MAX - 3; // wraps during the run
    let mut issued: Vec<Issued> = Vec::new();
    let mut stats = Stats::default();
    let mut stim = Vec::with_capacity(n);
    for i in 0..n {
        if i % 1500 == 1499 {
            secret = random_secret(&mut rng);
        }
        if rng.chance(2) {
            now = now.wrapping_add(1);
        }
        let tag = rng.next_u64() as u16;
        let roll = rng.below(100);
        let mut req = if roll < 25 || issued.is_empty() {
            stats.generate += 1;
            // A new SYN, sometimes a repeat of an earlier client's tuple.
            let mut r = CookieRequest::generate(
                random_addr(&mut rng),
                random_addr(&mut rng),
                random_port(&mut rng),
                random_port(&mut rng),
                random_seq(&mut rng),
                rng.below(4) as u8,
                now.wrapping_sub(rng.below(3) as u32),
            );
            if let (true, Some(prev)) = (rng.chance(20), issued.last()) {
                r = CookieRequest {
                    kind: KIND_GENERATE,
                    isn: r.isn,
                    ..prev.req
                };
            }
            let mss = MSSTAB_V4[usize::from(r.mss_index)];
            let (p, h, pp, hp) = (r.peer_addr, r.host_addr, r.peer_port, r.host_port);
            let (cookie, _) = init_sequence_v4(&secret, p, h, pp, hp, r.isn, mss, r.count);
            issued.push(Issued { req: r, cookie });
            if issued.len() > 64 {
                issued.remove(0);
            }
            r
        } else if roll < 75 {
            stats.check += 1;
            // The client's ACK for an issued cookie: seq = ISN + 1, ack = cookie + 1 ...
            let is = issued[rng.below(issued.len() as u64) as usize];
            let g = is.req;
            let age: u32 = match rng.below(10) {
                0..=2 => 0,
                3..=5 => 1,
                6 => 2 + rng.below(3) as u32,
                7 => rng.next_u32(),
                8 => 256,
                _ => u32::MAX, // a cookie from the future
            };
            let mut r = CookieRequest::check(
                g.peer_addr,
                g.host_addr,
                g.peer_port,
                g.host_port,
                g.isn.wrapping_add(1),
                is.cookie.wrapping_add(1),
                g.count.wrapping_add(age),
            );
            // ... then perhaps spoiled.
            match rng.below(12) {
                0 => r.ack_cookie ^= 1 << rng.below(32),
                1 => r.isn ^= 1 << rng.below(32),
                2 => {
                    r.ack_cookie = r
                        .ack_cookie
                        .wrapping_add(rng.below(7) as u32)
                        .wrapping_sub(3)
                }
                3 => r.isn = r.isn.wrapping_add(rng.below(7) as u32).wrapping_sub(3),
                4 => r.peer_addr[rng.below(4) as usize] ^= 1 << rng.below(8),
                5 => r.host_addr[rng.below(4) as usize] ^= 1 << rng.below(8),
                6 => r.peer_port ^= 1 << rng.below(16),
                7 => r.host_port ^= 1 << rng.below(16),
                8 => std::mem::swap(&mut r.peer_port, &mut r.host_port),
                _ => {}
            }
            let s = check_v4_steps(
                &secret,
                r.peer_addr,
                r.host_addr,
                r.peer_port,
                r.host_port,
                r.isn.wrapping_add(1),
                r.ack_cookie.wrapping_add(1),
                r.count,
            );
            if !s.age_ok() {
                stats.expired += 1;
            } else if s.mss.is_none() {
                stats.rejected += 1;
            } else if s.mssind != u32::from(g.mss_index) {
                stats.accepted_other_mss += 1;
            } else if s.diff == 0 {
                stats.accepted_age0 += 1;
            } else {
                stats.accepted_age1 += 1;
            }
            r
        } else if roll < 85 {
            stats.check += 1;
            // A random ACK to a listener: garbage cookie.
            CookieRequest::check(
                random_addr(&mut rng),
                random_addr(&mut rng),
                random_port(&mut rng),
                random_port(&mut rng),
                random_seq(&mut rng),
                random_seq(&mut rng),
                now,
            )
        } else if roll < 95 {
            stats.hash += 1;
            let mut r = CookieRequest::hash(
                random_addr(&mut rng),
                random_addr(&mut rng),
                random_port(&mut rng),
                random_port(&mut rng),
            );
            // Cookie fields left over from elsewhere: ignored.
            r.count = rng.next_u32();
            r.isn = rng.next_u32();
            r.ack_cookie = rng.next_u32();
            r.mss_index = rng.below(4) as u8;
            if rng.chance(30) {
                r.kind = 3;
            }
            r
        } else {
            stats.idle += 1;
            // No request, garbage on the inputs (of any kind).
            CookieRequest {
                valid: false,
                kind: rng.below(4) as u8,
                peer_addr: random_addr(&mut rng),
                host_addr: random_addr(&mut rng),
                peer_port: random_port(&mut rng),
                host_port: random_port(&mut rng),
                count: rng.next_u32(),
                isn: rng.next_u32(),
                ack_cookie: rng.next_u32(),
                mss_index: rng.below(4) as u8,
                ..CookieRequest::default()
            }
        };
        req.tag = tag;
        stim.push(Cycle { req, secret });
    }
    (stim, stats)
}

#[test]
fn mixed_requests_back_to_back_match_proto() {
    let n = 6000;
    let (stim, stats) = mixed_stimulus(0xC00C_1E00_0001, n);
    println!("cookie_unit stimulus: {stats:?}");
    // The stimulus exercises what it claims to.
    assert!(
        stats.accepted_age0 > 100 && stats.accepted_age1 > 100,
        "{stats:?}"
    );
    assert!(stats.expired > 200 && stats.rejected > 200, "{stats:?}");
    assert!(
        stats.accepted_other_mss > 5 && stats.generate > 1000,
        "{stats:?}"
    );
    assert!(stats.hash > 300 && stats.idle > 100, "{stats:?}");
    let (outs, speed) = run_and_check(&stim);
    let ok = outs.iter().filter(|o| o.valid && o.cookie_ok).count();
    assert_eq!(
        ok,
        stats.accepted_age0 + stats.accepted_age1 + stats.accepted_other_mss,
        "every accepted cookie, nothing else (the random ACKs all fail)"
    );
    println!(
        "cookie_unit: {n} requests at II = 1, latency {COOKIE_LATENCY}: {} cycles, rust-hdl {speed:.0} cycles/s",
        outs.len()
    );
}

/// Runs single requests (each followed by its own drain) and returns their results.
fn results_of(reqs: &[CookieRequest], secret: &Secret) -> Vec<CookieResult> {
    let stim: Vec<Cycle> = reqs
        .iter()
        .enumerate()
        .map(|(i, r)| Cycle {
            req: CookieRequest {
                tag: i as u16,
                ..*r
            },
            secret: *secret,
        })
        .collect();
    let (outs, _) = run_and_check(&stim);
    outs[COOKIE_LATENCY - 1..]
        .iter()
        .take(reqs.len())
        .copied()
        .collect()
}

const SECRET: Secret = [
    [0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908],
    [0x1716_1514_1312_1110, 0x1f1e_1d1c_1b1a_1918],
];
const CLIENT: [u8; 4] = [198, 51, 100, 7];
const SERVER: [u8; 4] = [192, 0, 2, 80];

/// The cookie of a SYN, generated by the unit.
fn generated(seq: u32, mss_index: u8, count: u32) -> u32 {
    let g = CookieRequest::generate(CLIENT, SERVER, 40000, 443, seq, mss_index, count);
    results_of(&[g], &SECRET)[0].syn_cookie
}

#[test]
fn minute_counter_wraps() {
    // (count at the SYN, count at the ACK, accepted?)
    let cases = [
        (u32::MAX, 0, true),         // 32-bit wrap: count - 1 of 0 is u32::MAX
        (u32::MAX, u32::MAX, true),  // age 0 at the top
        (u32::MAX - 1, 0, false),    // age 2 across the wrap
        (0xFF, 0x100, true),         // the counter byte wraps, the counter does not
        (0xFF, 0x1FF, false),        // same byte, 256 minutes later: H1 differs
        (0x1_00FF, 0x2_0100, false), // byte distance 1, but H1(count - 1) is not H1 at the SYN
        (0, 0, true),
        (0, 1, true),
        (1, 0, false), // a cookie from the future (diff = 255)
    ];
    let mut reqs = Vec::new();
    for &(at_syn, at_ack, _) in &cases {
        let cookie = generated(1000, 3, at_syn);
        reqs.push(CookieRequest::check(
            CLIENT,
            SERVER,
            40000,
            443,
            1001,
            cookie.wrapping_add(1),
            at_ack,
        ));
    }
    for (out, &(at_syn, at_ack, want)) in results_of(&reqs, &SECRET).iter().zip(&cases) {
        assert_eq!(
            out.cookie_ok, want,
            "SYN at {at_syn:#x}, ACK at {at_ack:#x}"
        );
        if want {
            assert_eq!(out.cookie_mss_index, 3);
        }
    }
}

#[test]
fn sequence_numbers_wrap() {
    // SYN seq u32::MAX: the ACK's seq is 0, the unit gets isn = 0 - 1.
    for syn_seq in [u32::MAX, 0, u32::MAX - 1, 0x8000_0000] {
        let cookie = generated(syn_seq, 1, 77);
        let ack = CookieRequest::check(
            CLIENT,
            SERVER,
            40000,
            443,
            syn_seq.wrapping_add(1),
            cookie.wrapping_add(1),
            78,
        );
        assert_eq!(ack.isn, syn_seq);
        let out = results_of(&[ack], &SECRET)[0];
        assert!(
            out.cookie_ok && out.cookie_mss_index == 1,
            "syn_seq {syn_seq:#x}"
        );
    }
    // An ACK whose ack_seq is 0 checks cookie u32::MAX; seq 0 means ISN u32::MAX.
    let odd = [
        CookieRequest::check(CLIENT, SERVER, 40000, 443, 0, 0, 5),
        CookieRequest::check(CLIENT, SERVER, 40000, 443, 1, 0, 5),
        CookieRequest::check(CLIENT, SERVER, 40000, 443, 0, 1, 5),
    ];
    assert_eq!(odd[0].ack_cookie, u32::MAX);
    assert_eq!(odd[0].isn, u32::MAX);
    for out in results_of(&odd, &SECRET) {
        assert!(!out.cookie_ok); // and run_and_check compared everything with proto
    }
}

#[test]
fn mss_table_round_trip_and_off_by_k() {
    // Linux writes back MSSTAB_V4[mss_index(mss)]; the check returns it.
    for mss in [
        0u16,
        535,
        536,
        1299,
        1300,
        1439,
        1440,
        1459,
        1460,
        9000,
        u16::MAX,
    ] {
        let idx = mss_index(&MSSTAB_V4, mss) as u8;
        let cookie = generated(5000, idx, 9);
        assert_eq!(
            init_sequence_v4(&SECRET, CLIENT, SERVER, 40000, 443, 5000, mss, 9),
            (cookie, MSSTAB_V4[usize::from(idx)])
        );
        let ack =
            CookieRequest::check(CLIENT, SERVER, 40000, 443, 5001, cookie.wrapping_add(1), 10);
        let out = results_of(&[ack], &SECRET)[0];
        assert!(out.cookie_ok);
        assert_eq!(
            MSSTAB_V4[usize::from(out.cookie_mss_index)],
            MSSTAB_V4[usize::from(idx)]
        );
    }
    // linux-tcp.md §1.3 / conformance case 6: ack off by +k decodes index + k, seq off by +k
    // index - k; accepted while the index stays in 0..3.
    let cookie = generated(5000, 1, 9);
    let mut reqs = Vec::new();
    let mut want = Vec::new();
    for k in -3i32..=3 {
        let ack = cookie.wrapping_add(1).wrapping_add(k as u32);
        reqs.push(CookieRequest::check(
            CLIENT, SERVER, 40000, 443, 5001, ack, 9,
        ));
        want.push(1 + k);
        let seq = 5001u32.wrapping_add(k as u32);
        reqs.push(CookieRequest::check(
            CLIENT,
            SERVER,
            40000,
            443,
            seq,
            cookie.wrapping_add(1),
            9,
        ));
        want.push(1 - k);
    }
    for (out, w) in results_of(&reqs, &SECRET).iter().zip(want) {
        assert_eq!(out.cookie_ok, (0..4).contains(&w), "index {w}");
        if out.cookie_ok {
            assert_eq!(i32::from(out.cookie_mss_index), w);
        }
    }
}

#[test]
fn h0_is_the_table_hash_of_either_direction() {
    // A frame from the wire is peer -> host as it stands; a frame from the host is swapped by
    // the caller. Both give flow_hash of the same FlowKey, whatever the kind of request.
    let mut rng = XorShift64::new(0xF10A);
    let secret = random_secret(&mut rng);
    let cfg = config(&secret);
    let mut reqs = Vec::new();
    let mut keys = Vec::new();
    for i in 0..300 {
        let key = FlowKey {
            peer_addr: random_addr(&mut rng),
            host_addr: random_addr(&mut rng),
            peer_port: random_port(&mut rng),
            host_port: random_port(&mut rng),
        };
        // Wire frame src = peer; host frame src = host, dst = peer -> canonical = (dst, src).
        let (src, dst, sport, dport) = if i % 2 == 0 {
            (key.peer_addr, key.host_addr, key.peer_port, key.host_port)
        } else {
            (key.host_addr, key.peer_addr, key.host_port, key.peer_port)
        };
        let r = if i % 2 == 0 {
            CookieRequest::generate(src, dst, sport, dport, rng.next_u32(), 2, 5)
        } else {
            CookieRequest::hash(dst, src, dport, sport)
        };
        reqs.push(r);
        keys.push(key);
    }
    for (out, key) in results_of(&reqs, &secret).iter().zip(&keys) {
        assert_eq!(out.h0, flow_hash(&cfg, key));
    }
}

#[test]
fn latency_is_documented_and_one_request_gives_one_result() {
    let mut tb = Testbench::new(CookieUnit::default(), |u| &mut u.clock).unwrap();
    drive_secrets(&mut tb, &SECRET);
    let mut r = CookieRequest::generate(CLIENT, SERVER, 40000, 443, 1000, 3, 77);
    r.tag = 0xBEEF;
    r.drive(&mut tb);
    tb.step();
    CookieRequest::default().drive(&mut tb);
    let mut steps = 1;
    while !tb.out_valid.val() {
        assert!(steps < 100, "no result");
        tb.step();
        steps += 1;
    }
    assert_eq!(steps, COOKIE_LATENCY, "documented latency");
    let out = CookieResult::read(&tb);
    assert_eq!((out.tag, out.kind), (0xBEEF, KIND_GENERATE));
    assert_eq!(
        out.syn_cookie,
        init_sequence_v4(&SECRET, CLIENT, SERVER, 40000, 443, 1000, 1460, 77).0
    );
    tb.step();
    assert!(!tb.out_valid.val(), "one request, one result");
    assert_eq!(COOKIE_TAG_BITS, 16);
    println!("cookie_unit: latency {steps} cycles, II 1");
}

/// The input port values of a cycle, by port name.
fn input_value(c: &Cycle, port: &str) -> u64 {
    let r = &c.req;
    let key = |i: usize, j: usize, hi: bool| {
        let k = c.secret[i][j];
        if hi {
            k >> 32
        } else {
            k & 0xFFFF_FFFF
        }
    };
    match port {
        "in_valid" => u64::from(r.valid),
        "in_kind" => u64::from(r.kind & 3),
        "in_tag" => u64::from(r.tag),
        "peer_addr" => u64::from(u32::from_be_bytes(r.peer_addr)),
        "host_addr" => u64::from(u32::from_be_bytes(r.host_addr)),
        "peer_port" => u64::from(r.peer_port),
        "host_port" => u64::from(r.host_port),
        "count" => u64::from(r.count),
        "isn" => u64::from(r.isn),
        "ack_cookie" => u64::from(r.ack_cookie),
        "mss_index" => u64::from(r.mss_index & 3),
        "secret0_k0_lo" => key(0, 0, false),
        "secret0_k0_hi" => key(0, 0, true),
        "secret0_k1_lo" => key(0, 1, false),
        "secret0_k1_hi" => key(0, 1, true),
        "secret1_k0_lo" => key(1, 0, false),
        "secret1_k0_hi" => key(1, 0, true),
        "secret1_k1_lo" => key(1, 1, false),
        "secret1_k1_hi" => key(1, 1, true),
        _ => panic!("unknown input port {port}"),
    }
}

fn output_value(o: &CookieResult, port: &str) -> u64 {
    match port {
        "out_valid" => u64::from(o.valid),
        "out_kind" => u64::from(o.kind),
        "out_tag" => u64::from(o.tag),
        "h0" => u64::from(o.h0),
        "h0_hi" => u64::from(o.h0_hi),
        "h1" => u64::from(o.h1),
        "h1_hi" => u64::from(o.h1_hi),
        "syn_cookie" => u64::from(o.syn_cookie),
        "age_ok" => u64::from(o.age_ok),
        "cookie_ok" => u64::from(o.cookie_ok),
        "cookie_mss_index" => u64::from(o.cookie_mss_index),
        "probe_ok" => u64::from(o.probe_ok),
        "probe_mss_index" => u64::from(o.probe_mss_index),
        _ => panic!("unknown output port {port}"),
    }
}

#[test]
fn cookie_unit_matches_verilator_cycle_for_cycle() {
    let model = build("cookie_unit");
    assert_eq!(
        Model::names(&model.inputs),
        [
            "in_valid",
            "in_kind",
            "in_tag",
            "peer_addr",
            "host_addr",
            "peer_port",
            "host_port",
            "count",
            "isn",
            "ack_cookie",
            "mss_index",
            "secret0_k0_lo",
            "secret0_k0_hi",
            "secret0_k1_lo",
            "secret0_k1_hi",
            "secret1_k0_lo",
            "secret1_k0_hi",
            "secret1_k1_lo",
            "secret1_k1_hi"
        ]
    );
    assert_eq!(
        Model::names(&model.outputs),
        [
            "out_valid",
            "out_kind",
            "out_tag",
            "h0",
            "h0_hi",
            "h1",
            "h1_hi",
            "syn_cookie",
            "age_ok",
            "cookie_ok",
            "cookie_mss_index",
            "probe_ok",
            "probe_mss_index"
        ]
    );
    // The mixed stimulus (its results checked against proto on the way), then a stretch of
    // arbitrary inputs on every port, secrets changing every cycle included.
    let (mut stim, _) = mixed_stimulus(0xD1FF_C00C, 8000);
    let mut rng = XorShift64::new(0xD1FF_C00D);
    for _ in 0..2000 {
        let w = |rng: &mut XorShift64| rng.next_u32();
        stim.push(Cycle {
            req: CookieRequest {
                valid: rng.chance(70),
                kind: rng.below(4) as u8,
                tag: rng.next_u64() as u16,
                peer_addr: w(&mut rng).to_be_bytes(),
                host_addr: w(&mut rng).to_be_bytes(),
                peer_port: rng.next_u64() as u16,
                host_port: rng.next_u64() as u16,
                count: w(&mut rng),
                isn: w(&mut rng),
                ack_cookie: w(&mut rng),
                mss_index: rng.below(4) as u8,
            },
            secret: random_secret(&mut rng),
        });
    }
    let (outs, speed) = run_and_check(&stim);
    let idle = Cycle {
        req: CookieRequest::default(),
        secret: stim.last().unwrap().secret,
    };
    let cycles: Vec<_> = (0..outs.len())
        .map(|t| stim.get(t).unwrap_or(&idle))
        .collect();
    let rows = per_port(&model.inputs, &cycles, |c, n| input_value(c, n));
    let sim = per_port(&model.outputs, &outs, output_value);
    let t0 = Instant::now();
    let ver = model.run(&rows);
    let ver_secs = t0.elapsed().as_secs_f64();
    model.compare("cookie_unit", &sim, &ver);
    assert!(outs.iter().filter(|o| o.cookie_ok).count() > 500);
    println!(
        "cookie_unit differential: {} cycles equal; rust-hdl {speed:.0} cycles/s, verilator (incl. I/O) {:.0} cycles/s",
        rows.len(),
        rows.len() as f64 / ver_secs
    );
}
