//! Differential test of the header parser: every frame goes through the rust-hdl simulation of
//! `HeaderParser` (random idle cycles on the input, random back-pressure on the record output) and
//! through `proto::wire::parse` + the checksum functions; the records must agree field by field.
//! The generated Verilog, run by Verilator on the same per-cycle inputs, must agree with the
//! rust-hdl simulation on every output on every cycle.

mod common;

use common::verilated::{build, in_port_order, Model};
use hdl::lane::Lane;
use hdl::parser::{HeaderParser, HeaderRecord, DISP_TCP};
use hdl::stream::{frame_to_beats, Backpressure, Beat, StreamDriver, XorShift64};
use hdl::testbench::Testbench;
use proto::wire::checksum;
use proto::wire::tcp_options::*;
use proto::wire::SegmentSpec;
use rust_hdl::prelude::*;
use std::time::Instant;

/// A frame plus the beats that carry it (the beats may carry junk beyond the frame's end).
struct Case {
    frame: Vec<u8>,
    beats: Vec<Beat>,
}

impl Case {
    fn new(frame: Vec<u8>) -> Self {
        let beats = frame_to_beats(&frame);
        Case { frame, beats }
    }
}

/// Run `cases` through the parser; returns (records, cycles, seconds).
fn run(cases: &[Case], seed: u64, idle: u32, ready: u32) -> (Vec<HeaderRecord>, u64, f64) {
    let mut tb = Testbench::new(HeaderParser::default(), |p| &mut p.clock).unwrap();
    let mut drv = StreamDriver::new(seed, idle);
    for c in cases {
        drv.push_beats(&c.beats);
    }
    let mut bp = Backpressure::new(seed ^ 0x9E37_79B9, ready);
    let mut out = Vec::with_capacity(cases.len());
    let t0 = Instant::now();
    let limit = 200 * cases.iter().map(|c| c.beats.len() as u64 + 50).sum::<u64>();
    while out.len() < cases.len() {
        assert!(
            tb.cycles() < limit,
            "parser hung after {} records",
            out.len()
        );
        drv.drive(&mut tb.sink);
        tb.rec.ready.next = bp.ready();
        tb.settle();
        drv.handshake(&tb.sink);
        if tb.rec.valid.val() && tb.rec.ready.val() {
            out.push(HeaderRecord::read(&tb.rec));
        }
        tb.step();
    }
    // Nothing more comes out.
    tb.rec.ready.next = true;
    for _ in 0..60 {
        tb.settle();
        assert!(!tb.rec.valid.val(), "a record without a frame");
        tb.step();
    }
    (out, tb.cycles(), t0.elapsed().as_secs_f64())
}

fn check(cases: &[Case], seed: u64, idle: u32, ready: u32) -> (u64, f64) {
    let (got, cycles, secs) = run(cases, seed, idle, ready);
    for (i, (c, g)) in cases.iter().zip(&got).enumerate() {
        let want = HeaderRecord::from_model(&c.frame);
        assert_eq!(
            *g,
            want,
            "frame {i} ({} bytes) differs: {:02x?}",
            c.frame.len(),
            c.frame
        );
    }
    (cycles, secs)
}

// ---------------------------------------------------------------- frame generation

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;

fn base_spec<'a>(r: &mut XorShift64, options: &'a [u8], payload: &'a [u8]) -> SegmentSpec<'a> {
    let flags = match r.below(6) {
        0 => SYN,
        1 => SYN | ACK,
        2 => 0x18, // PSH|ACK
        3 => 0x11, // FIN|ACK
        4 => 0x04, // RST
        _ => r.next_u32() as u8,
    };
    SegmentSpec {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: [2, 0, 0, 0, 0, 2],
        vlan_tci: r.chance(25).then(|| r.next_u32() as u16),
        src_ip: r.next_u32().to_be_bytes(),
        dst_ip: r.next_u32().to_be_bytes(),
        tos: r.next_u32() as u8,
        ip_id: r.next_u32() as u16,
        dont_fragment: r.chance(50),
        ttl: 64,
        src_port: r.next_u32() as u16,
        dst_port: r.next_u32() as u16,
        seq: r.next_u32(),
        ack: r.next_u32(),
        flags,
        window: r.next_u32() as u16,
        options,
        payload,
    }
}

fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_be_bytes());
}

/// Option bytes, padded to a multiple of 4 (at most 40).
fn options(r: &mut XorShift64) -> Vec<u8> {
    let mut o = Vec::new();
    match r.below(12) {
        0 => {}
        // Linux SYN: MSS, SACK-perm, TS, NOP, WS.
        1 => {
            o.extend_from_slice(&[KIND_MSS, 4]);
            o.extend_from_slice(&(r.next_u32() as u16).to_be_bytes());
            o.extend_from_slice(&[KIND_SACK_PERM, 2, KIND_TS, 10]);
            put32(&mut o, r.next_u32());
            put32(&mut o, r.next_u32());
            o.extend_from_slice(&[KIND_NOP, KIND_WS, 3, r.below(18) as u8]);
        }
        // TS-only ACK.
        2 => {
            o.extend_from_slice(&[KIND_NOP, KIND_NOP, KIND_TS, 10]);
            put32(&mut o, r.next_u32());
            put32(&mut o, r.next_u32());
        }
        // TS + SACK blocks.
        3 => {
            o.extend_from_slice(&[KIND_NOP, KIND_NOP, KIND_TS, 10]);
            put32(&mut o, r.next_u32());
            put32(&mut o, r.next_u32());
            let n = 1 + r.below(3) as usize;
            o.extend_from_slice(&[KIND_NOP, KIND_NOP, KIND_SACK, 2 + 8 * n as u8]);
            for _ in 0..2 * n {
                put32(&mut o, r.next_u32());
            }
        }
        // SACK only, up to 4 blocks.
        4 => {
            let n = 1 + r.below(4) as usize;
            o.extend_from_slice(&[KIND_NOP, KIND_NOP, KIND_SACK, 2 + 8 * n as u8]);
            for _ in 0..2 * n {
                put32(&mut o, r.next_u32());
            }
        }
        // Netfilter SYNPROXY layouts.
        5 => {
            let set = OptionSet {
                mss: r.chance(80).then(|| r.next_u32() as u16),
                sack_perm: r.chance(50),
                timestamp: r.chance(50).then(|| (r.next_u32(), r.next_u32())),
                wscale: r.chance(50).then(|| r.below(16) as u8),
            };
            o.extend_from_slice(&set.to_bytes());
        }
        // Unaligned TS (after a single NOP), MSS 0, TFO, MPTCP, MD5, EXP.
        6 => {
            o.push(KIND_NOP);
            o.extend_from_slice(&[KIND_TS, 10]);
            put32(&mut o, r.next_u32());
            put32(&mut o, r.next_u32());
            o.extend_from_slice(&[KIND_MSS, 4, 0, 0]);
            if r.chance(50) {
                o.extend_from_slice(&[KIND_TFO, 6, 1, 2, 3, 4]);
            } else {
                o.extend_from_slice(&[KIND_EXP, 6, 0xF9, 0x89, 5, 6]);
            }
            o.extend_from_slice(&[KIND_MPTCP, 2 + r.below(2) as u8 * 2, 0x5F, 0]);
        }
        7 => {
            o.extend_from_slice(&[KIND_MD5, 18]);
            for _ in 0..16 {
                o.push(r.next_u32() as u8);
            }
            o.extend_from_slice(&[KIND_EXP, 4, r.next_u32() as u8, r.next_u32() as u8]);
        }
        // Random soup of options, with random (often illegal) lengths.
        _ => {
            let n = r.below(10);
            for _ in 0..n {
                let kind = match r.below(14) {
                    0 => KIND_EOL,
                    1 | 2 => KIND_NOP,
                    3 => KIND_MSS,
                    4 => KIND_WS,
                    5 => KIND_SACK_PERM,
                    6 => KIND_SACK,
                    7 => KIND_TS,
                    8 => KIND_MD5,
                    9 => KIND_MPTCP,
                    10 => KIND_TFO,
                    11 => KIND_EXP,
                    _ => r.next_u32() as u8,
                };
                o.push(kind);
                if kind <= KIND_NOP && r.chance(80) {
                    continue;
                }
                let len = match r.below(6) {
                    0 => r.below(3) as u8,
                    1 => r.next_u32() as u8 % 44,
                    _ => match kind {
                        KIND_MSS => 4,
                        KIND_WS => 3,
                        KIND_SACK_PERM => 2,
                        KIND_TS => 10,
                        KIND_SACK => 2 + 8 * (1 + r.below(4) as u8),
                        KIND_EXP => 4 + r.below(4) as u8,
                        _ => 2 + r.below(8) as u8,
                    },
                };
                o.push(len);
                if kind == KIND_EXP && r.chance(50) {
                    o.extend_from_slice(&[0xF9, 0x89]);
                }
                for _ in 2..len.max(2) {
                    o.push(r.next_u32() as u8);
                }
            }
        }
    }
    o.truncate(40);
    while o.len() % 4 != 0 {
        o.push(if r.chance(50) {
            KIND_NOP
        } else {
            r.next_u32() as u8
        });
    }
    o
}

fn payload(r: &mut XorShift64) -> Vec<u8> {
    let n = match r.below(10) {
        0..=4 => 0,
        5..=7 => r.below(64) as usize,
        8 => r.below(600) as usize,
        _ => 1200 + r.below(300) as usize,
    };
    (0..n).map(|_| r.next_u32() as u8).collect()
}

/// Offset of the IPv4 header in a frame built by SegmentSpec.
fn l3(frame: &[u8]) -> usize {
    if frame[12] == 0x81 && frame[13] == 0 {
        18
    } else {
        14
    }
}

fn fix_ip_checksum(f: &mut [u8], ip: usize) {
    let hl = ((f[ip] & 0xF) as usize) * 4;
    if ip + hl <= f.len() && hl >= 20 {
        f[ip + 10] = 0;
        f[ip + 11] = 0;
        let c = checksum::ipv4_header(&f[ip..ip + hl]);
        f[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());
    }
}

fn set_total_len(f: &mut [u8], ip: usize, v: u16) {
    f[ip + 2..ip + 4].copy_from_slice(&v.to_be_bytes());
}

/// A valid IPv4/TCP frame, then (sometimes) mutated.
fn tcp_frame(r: &mut XorShift64) -> Vec<u8> {
    let o = options(r);
    let p = payload(r);
    let spec = base_spec(r, &o, &p);
    let mut f = spec.to_vec().unwrap();
    let ip = l3(&f);
    // IP options: insert after the fixed header; the TCP checksum does not cover them.
    if r.chance(15) {
        let words = 1 + r.below(10) as usize;
        let mut opts: Vec<u8> = (0..4 * words).map(|_| r.next_u32() as u8).collect();
        if r.chance(50) {
            opts.fill(1);
        }
        let at = ip + 20;
        f.splice(at..at, opts);
        f[ip] = 0x40 | (5 + words) as u8;
        let tl = u16::from_be_bytes([f[ip + 2], f[ip + 3]]) + 4 * words as u16;
        set_total_len(&mut f, ip, tl);
        fix_ip_checksum(&mut f, ip);
    }
    mutate(r, &mut f, ip);
    f
}

fn mutate(r: &mut XorShift64, f: &mut Vec<u8>, ip: usize) {
    match r.below(24) {
        // Fragment: MF or an offset.
        0 => {
            f[ip + 6] |= if r.chance(50) {
                0x20
            } else {
                r.next_u32() as u8 & 0x1F
            };
            f[ip + 7] |= r.next_u32() as u8;
            fix_ip_checksum(f, ip);
        }
        // Another protocol.
        1 => {
            f[ip + 9] = [1u8, 17, 47, 132][r.below(4) as usize];
            fix_ip_checksum(f, ip);
        }
        // Ethernet padding after the datagram.
        2 => {
            let n = 1 + r.below(30) as usize;
            f.extend((0..n).map(|_| r.next_u32() as u8));
        }
        // Truncated anywhere.
        3 => {
            let n = r.below(f.len() as u64 + 1) as usize;
            f.truncate(n);
        }
        // Truncated near the headers.
        4 => {
            let n = (ip + r.below(80) as usize).min(f.len());
            f.truncate(n);
        }
        // Lying total length.
        5 => {
            let v = match r.below(3) {
                0 => r.next_u32() as u16,
                1 => (f.len() - ip) as u16 + 1 + r.below(4) as u16,
                _ => r.below(60) as u16,
            };
            set_total_len(f, ip, v);
            if r.chance(50) {
                fix_ip_checksum(f, ip);
            }
        }
        // Bad IHL or version.
        6 => {
            f[ip] = if r.chance(50) {
                0x40 | r.below(16) as u8
            } else {
                (r.below(16) as u8) << 4 | (f[ip] & 0xF)
            };
            if r.chance(50) {
                fix_ip_checksum(f, ip);
            }
        }
        // Bad data offset.
        7 => {
            let t = ip + ((f[ip] & 0xF) as usize) * 4;
            if t + 12 < f.len() {
                f[t + 12] = (r.below(16) as u8) << 4 | (f[t + 12] & 0xF);
            }
        }
        // Corrupt a payload or header byte (checksums fail).
        8 | 9 if !f.is_empty() => {
            let from = ip.min(f.len() - 1);
            let i = from + r.below((f.len() - from) as u64) as usize;
            f[i] ^= 1 << r.below(8);
        }
        // Corrupt any byte.
        10 if !f.is_empty() => {
            let i = r.below(f.len() as u64) as usize;
            f[i] = r.next_u32() as u8;
        }
        _ => {}
    }
}

fn ipv6_frame(r: &mut XorShift64) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    if r.chance(30) {
        f.extend_from_slice(&[0x81, 0, r.next_u32() as u8, r.next_u32() as u8]);
    }
    f.extend_from_slice(&[0x86, 0xDD]);
    let nh = if r.chance(70) { 6 } else { 17 };
    let o = options(r);
    let p = payload(r);
    let doff = 5 + o.len() / 4;
    let plen = 20 + o.len() + p.len();
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    let plen_field = if r.chance(20) {
        r.below(200) as u16
    } else {
        plen as u16
    };
    f.extend_from_slice(&plen_field.to_be_bytes());
    f.extend_from_slice(&[nh, 64]);
    f.extend((0..32).map(|_| r.next_u32() as u8));
    f.extend((0..12).map(|_| r.next_u32() as u8));
    f.push(
        ((if r.chance(15) {
            r.below(16) as usize
        } else {
            doff
        }) as u8)
            << 4,
    );
    f.extend((0..7).map(|_| r.next_u32() as u8));
    f.extend_from_slice(&o);
    f.extend_from_slice(&p);
    if r.chance(10) {
        let n = r.below(f.len() as u64) as usize;
        f.truncate(n);
    }
    if r.chance(10) && f.len() >= 18 {
        let i = 14 + r.below(4) as usize;
        f[i] = r.next_u32() as u8;
    }
    f
}

fn other_frame(r: &mut XorShift64) -> Vec<u8> {
    let n = match r.below(4) {
        0 => r.below(20) as usize,
        1 => r.below(64) as usize,
        _ => 60 + r.below(100) as usize,
    };
    let mut f: Vec<u8> = (0..n).map(|_| r.next_u32() as u8).collect();
    if n >= 14 {
        let et: u16 = match r.below(8) {
            0 => 0x0806,
            1 => 0x88A8,
            2 => 0x8100,
            3 => 0x0800,
            4 => 0x86DD,
            5 => 0x88CC,
            _ => r.next_u32() as u16,
        };
        f[12..14].copy_from_slice(&et.to_be_bytes());
        if et == 0x8100 && n >= 18 {
            let inner: u16 = [0x0800u16, 0x86DD, 0x8100, 0x0806][r.below(4) as usize];
            f[16..18].copy_from_slice(&inner.to_be_bytes());
        }
    }
    f
}

fn random_case(r: &mut XorShift64) -> Case {
    let frame = match r.below(10) {
        0 => ipv6_frame(r),
        1 => other_frame(r),
        _ => tcp_frame(r),
    };
    let mut case = Case::new(frame);
    // Junk in the bytes after the frame's end, and sometimes keep bits after the first gap.
    if let Some(last) = case.beats.last_mut() {
        let kept = last.keep.count_ones();
        let mask_lo = if kept >= 4 { 0 } else { u32::MAX >> (8 * kept) };
        let mask_hi = if kept >= 8 {
            0
        } else if kept <= 4 {
            u32::MAX
        } else {
            u32::MAX >> (8 * (kept - 4))
        };
        last.lo |= r.next_u32() & mask_lo;
        last.hi |= r.next_u32() & mask_hi;
        if kept < 7 && r.chance(30) {
            let extra = (r.next_u32() as u8) & !((1u16 << (kept + 1)) - 1) as u8;
            last.keep |= extra;
        }
    }
    case
}

fn hand_made() -> Vec<Case> {
    let mut r = XorShift64::new(99);
    let mut v = Vec::new();
    let syn_opts = OptionSet {
        mss: Some(1460),
        sack_perm: true,
        timestamp: Some((0x1122_3344, 0)),
        wscale: Some(7),
    }
    .to_bytes();
    let mut ts_ack = vec![KIND_NOP, KIND_NOP, KIND_TS, 10];
    ts_ack.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    let payload: Vec<u8> = (0..100u8).collect();
    let opt_sets: Vec<Vec<u8>> = vec![
        vec![],
        syn_opts.to_vec(),
        ts_ack.clone(),
        // len 0 / len 1 stop the parse.
        vec![KIND_MSS, 0, 5, 0xB4],
        vec![KIND_MSS, 1, 5, 0xB4],
        // Past the header.
        vec![KIND_NOP, KIND_TS, 10, 0],
        // Lone kind in the last byte.
        vec![KIND_NOP, KIND_NOP, KIND_NOP, KIND_MSS],
        // Unknown kind skipped, MSS after it counts.
        vec![99, 4, 0, 0, KIND_MSS, 4, 5, 0xB4],
        // EOL ends the list.
        vec![KIND_EOL, KIND_MSS, 4, 5, 0xB4, 0, 0, 0],
        // WS above 14.
        vec![KIND_WS, 3, 15, KIND_NOP],
        // SACK with a bad length.
        vec![KIND_SACK, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        // 40 NOPs: the walker's worst case.
        vec![KIND_NOP; 40],
        // Two TS options: the last wins.
        {
            let mut o = ts_ack.clone();
            o.extend_from_slice(&[KIND_NOP, KIND_NOP, KIND_TS, 10, 9, 9, 9, 9, 8, 8, 8, 8]);
            o
        },
    ];
    for (i, o) in opt_sets.iter().enumerate() {
        for flags in [SYN, ACK, SYN | ACK] {
            for vlan in [None, Some(0x0123)] {
                for pl in [&payload[..0], &payload[..1], &payload[..7], &payload[..]] {
                    let mut spec = base_spec(&mut r, o, pl);
                    spec.flags = flags;
                    spec.vlan_tci = vlan;
                    let mut f = spec.to_vec().unwrap();
                    if i % 3 == 0 && pl.len() == 1 {
                        let n = f.len();
                        f[n - 1] ^= 0xFF; // bad TCP checksum
                    }
                    v.push(Case::new(f));
                }
            }
        }
    }
    // Runts and 1-beat frames of every length.
    for n in 0..=20 {
        let f: Vec<u8> = (0..n).map(|_| r.next_u32() as u8).collect();
        v.push(Case::new(f));
    }
    // A frame that is all VLAN tag.
    v.push(Case::new(vec![
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0, 0, 5,
    ]));
    v
}

// ---------------------------------------------------------------- tests

/// The random frames must reach every disposition and every option outcome.
fn coverage(cases: &[Case]) {
    let recs: Vec<HeaderRecord> = cases
        .iter()
        .map(|c| HeaderRecord::from_model(&c.frame))
        .collect();
    let mut disp = [0usize; 5];
    for r in &recs {
        disp[r.disposition as usize] += 1;
    }
    let tcp: Vec<_> = recs.iter().filter_map(|r| r.tcp).collect();
    let count = |f: &dyn Fn(&hdl::parser::TcpFields) -> bool| tcp.iter().filter(|t| f(t)).count();
    let stats = [
        (
            "vlan",
            recs.iter()
                .filter(|r| r.eth.is_some_and(|e| e.vlan_tci.is_some()))
                .count(),
        ),
        (
            "ip options",
            recs.iter()
                .filter(|r| r.ipv4.is_some_and(|i| i.ihl > 5))
                .count(),
        ),
        ("mss", count(&|t| t.mss.is_some())),
        ("ws", count(&|t| t.ws.is_some())),
        ("sack_perm", count(&|t| t.sack_perm)),
        ("ts", count(&|t| t.ts.is_some())),
        (
            "odd ts offset",
            count(&|t| t.ts.is_some_and(|x| x.2 % 2 == 1)),
        ),
        ("sack", count(&|t| t.sack.is_some())),
        (
            "4 sack blocks",
            count(&|t| t.sack.is_some_and(|s| s.0 == 4)),
        ),
        ("md5", count(&|t| t.md5)),
        ("tfo", count(&|t| t.tfo_len.is_some())),
        ("mptcp", count(&|t| t.mptcp_subtype.is_some())),
        ("unknown", count(&|t| t.unknown_opts > 0)),
        ("truncated", count(&|t| t.opts_truncated)),
        ("bad ip csum", count(&|t| !t.ip_csum_ok)),
        ("bad tcp csum", count(&|t| !t.tcp_csum_ok)),
        ("odd payload", count(&|t| t.payload_len % 2 == 1)),
    ];
    println!("dispositions (tcp, not tcp, fragment, ipv6, malformed): {disp:?}");
    println!("tcp frames with: {stats:?}");
    assert!(disp.iter().all(|&n| n >= 20), "every disposition: {disp:?}");
    for (name, n) in stats {
        assert!(n >= 10, "too few frames with {name}: {n}");
    }
}

#[test]
fn hand_made_frames_match_the_model() {
    let cases = hand_made();
    check(&cases, 1, 0, 100);
    check(&cases, 2, 30, 40);
}

#[test]
fn random_frames_match_the_model_under_back_pressure() {
    let mut r = XorShift64::new(0x5eed);
    let cases: Vec<Case> = (0..6000).map(|_| random_case(&mut r)).collect();
    let tcp = cases
        .iter()
        .filter(|c| HeaderRecord::from_model(&c.frame).disposition == DISP_TCP as u8)
        .count();
    assert!(
        tcp > cases.len() / 3,
        "the generator must produce mostly TCP: {tcp}"
    );
    coverage(&cases);
    // Three input/output profiles: busy output, bursty input; saturated; heavily stalled.
    let mut cycles = 0;
    let mut secs = 0.0;
    for (seed, idle, ready) in [(3, 15, 70), (4, 0, 100), (5, 40, 20)] {
        let (c, s) = check(&cases, seed, idle, ready);
        cycles += c;
        secs += s;
    }
    println!(
        "parser simulation: {} frames x 3 profiles, {cycles} cycles in {secs:.2} s = {:.0} cycles/s",
        cases.len(),
        cycles as f64 / secs
    );
}

/// With the record output stalled the input's ready drops once the record stage and the
/// completed frame behind it are full; nothing is lost, and the records come out in order.
#[test]
fn back_pressure_stalls_the_input_and_loses_nothing() {
    let mut r = XorShift64::new(11);
    let cases: Vec<Case> = (0..6)
        .map(|_| {
            let o = options(&mut r);
            let p = payload(&mut r);
            Case::new(base_spec(&mut r, &o, &p).to_vec().unwrap())
        })
        .collect();
    let mut tb = Testbench::new(HeaderParser::default(), |p| &mut p.clock).unwrap();
    let mut drv = StreamDriver::new(1, 0);
    for c in &cases {
        drv.push_beats(&c.beats);
    }
    tb.rec.ready.next = false;
    let mut stalled = 0;
    for _ in 0..2000 {
        drv.drive(&mut tb.sink);
        tb.settle();
        if !drv.handshake(&tb.sink) {
            stalled += 1;
        }
        tb.step();
    }
    // One record waiting at the output, one completed frame waiting behind it, the third frame's
    // first beat held: the input stopped.
    assert!(tb.rec.valid.val());
    assert!(!tb.sink.ready.val());
    assert_eq!(drv.frames_sent(), 2);
    assert!(stalled > 1900);
    let rec = HeaderRecord::read(&tb.rec);
    assert_eq!(rec, HeaderRecord::from_model(&cases[0].frame));
    // Release: every record, in order.
    tb.rec.ready.next = true;
    let mut got = Vec::new();
    for _ in 0..2000 {
        drv.drive(&mut tb.sink);
        tb.settle();
        drv.handshake(&tb.sink);
        if tb.rec.valid.val() {
            got.push(HeaderRecord::read(&tb.rec));
        }
        tb.step();
    }
    assert!(drv.is_idle());
    assert_eq!(got.len(), cases.len());
    for (c, g) in cases.iter().zip(&got) {
        assert_eq!(*g, HeaderRecord::from_model(&c.frame));
    }
}

/// Back-to-back minimum-size TS ACKs (66 bytes, 9 beats) and Linux SYNs (74 bytes, 10 beats)
/// with an always-ready output: the parser takes one beat per clock.
#[test]
fn keeps_up_with_minimum_size_frames() {
    let mut r = XorShift64::new(7);
    let mut ts_ack = vec![KIND_NOP, KIND_NOP, KIND_TS, 10];
    ts_ack.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    let syn = OptionSet {
        mss: Some(1460),
        sack_perm: true,
        timestamp: Some((1, 0)),
        wscale: Some(7),
    }
    .to_bytes();
    let mut cases = Vec::new();
    for i in 0..200 {
        let o: &[u8] = if i % 2 == 0 { &ts_ack } else { &syn };
        let spec = base_spec(&mut r, o, &[]);
        cases.push(Case::new(spec.to_vec().unwrap()));
    }
    let beats: u64 = cases.iter().map(|c| c.beats.len() as u64).sum();
    let (got, cycles, _) = run(&cases, 5, 0, 100);
    for (c, g) in cases.iter().zip(&got) {
        assert_eq!(*g, HeaderRecord::from_model(&c.frame));
    }
    // 60 idle cycles after the last record are part of `cycles`; a few more for the pipeline.
    assert!(
        cycles <= beats + 60 + 8,
        "{cycles} cycles for {beats} beats: the parser stalled the stream"
    );
}

/// Clocks from the edge that takes a frame's last beat to the first cycle its record is valid,
/// for option layouts of known walker step counts (the numbers stated in the parser's docs).
#[test]
fn record_latency_is_one_clock_plus_one_per_option() {
    let mut r = XorShift64::new(3);
    let mut ts_ack = vec![KIND_NOP, KIND_NOP, KIND_TS, 10];
    ts_ack.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    let syn = OptionSet {
        mss: Some(1460),
        sack_perm: true,
        timestamp: Some((1, 0)),
        wscale: Some(7),
    }
    .to_bytes();
    let nops = [KIND_NOP; 40];
    for (opts, steps) in [
        (&[][..], 0u64),
        (&ts_ack[..], 3),
        (&syn[..], 5),
        (&nops[..], 40),
    ] {
        let mut spec = base_spec(&mut r, opts, &[]);
        spec.flags = SYN;
        let frame = spec.to_vec().unwrap();
        let mut tb = Testbench::new(HeaderParser::default(), |p| &mut p.clock).unwrap();
        let mut drv = StreamDriver::new(1, 0);
        drv.push_frame(&frame);
        tb.rec.ready.next = true;
        let mut last_edge = None;
        let mut latency = None;
        for _ in 0..100 {
            drv.drive(&mut tb.sink);
            tb.settle();
            if tb.rec.valid.val() && latency.is_none() {
                latency = Some(tb.cycles() - last_edge.unwrap());
                assert_eq!(
                    HeaderRecord::read(&tb.rec),
                    HeaderRecord::from_model(&frame)
                );
            }
            if drv.handshake(&tb.sink) && drv.is_idle() {
                last_edge = Some(tb.cycles() + 1);
            }
            tb.step();
        }
        assert_eq!(latency, Some(1 + steps), "{steps} walker steps");
    }
}

/// A port value as the Verilator harness prints it.
trait PortValue {
    fn port_value(&self) -> u64;
}

impl PortValue for bool {
    fn port_value(&self) -> u64 {
        u64::from(*self)
    }
}

impl<const N: usize> PortValue for Bits<N> {
    fn port_value(&self) -> u64 {
        self.to_u64()
    }
}

impl PortValue for Lane {
    fn port_value(&self) -> u64 {
        u64::from(self.0)
    }
}

/// The parser's output ports, named as in the generated Verilog, after a step.
macro_rules! outputs {
    ($tb:expr; $($field:ident),* $(,)?) => {
        vec![
            ("sink$ready", $tb.sink.ready.val().port_value()),
            $((concat!("rec$", stringify!($field)), $tb.rec.$field.val().port_value()),)*
        ]
    };
}

fn parser_outputs(tb: &Testbench<HeaderParser>) -> Vec<(&'static str, u64)> {
    outputs!(tb; valid, disposition, eth_class, frame_len, vlan, vlan_tci, eth0, eth1, eth2, ip_off, ihl,
        total_len, fragment, src_ip, dst_ip, protocol, tcp_off, src_port, dst_port, seq, ack,
        flags, window, data_off, payload_len, mss, ws_valid, ws, sack_perm, ts_valid, tsval,
        tsecr, ts_off, sack_blocks, sack_off, md5, tfo_valid, tfo_len, mptcp_valid,
        mptcp_subtype, unknown_opts, opts_truncated, ip_csum_ok, tcp_csum_ok, tcp_csum, sack0,
        sack1, sack2, sack3, sack4, sack5, sack6, sack7)
}

/// The rust-hdl simulation runs closed loop (the stream driver reacts to `sink.ready`, the
/// record consumer applies random back-pressure); its inputs are recorded per cycle and replayed
/// into Verilator. Equal outputs on every cycle mean Verilator would have seen the same
/// handshakes, so the replay is exact. Catches rust-hdl's Verilog translation bugs
/// (unparenthesised operators, 32-bit literals) in the parser.
#[test]
fn parser_matches_verilator_cycle_for_cycle() {
    let model = build("header_parser");
    assert_eq!(
        Model::names(&model.inputs),
        [
            "sink$valid",
            "sink$data_lo",
            "sink$data_hi",
            "sink$keep",
            "sink$last",
            "rec$ready"
        ]
    );
    let mut r = XorShift64::new(0xD1FF_0002);
    let mut cases: Vec<Case> = hand_made();
    cases.extend((0..1500).map(|_| random_case(&mut r)));
    let mut tb = Testbench::new(HeaderParser::default(), |p| &mut p.clock).unwrap();
    let mut drv = StreamDriver::new(21, 20);
    for c in &cases {
        drv.push_beats(&c.beats);
    }
    let mut bp = Backpressure::new(22, 60);
    let (mut rows, mut sim) = (Vec::new(), Vec::new());
    let mut records = 0;
    let t0 = Instant::now();
    while records < cases.len() {
        assert!(tb.cycles() < 2_000_000, "parser hung");
        drv.drive(&mut tb.sink);
        tb.rec.ready.next = bp.ready();
        tb.settle();
        drv.handshake(&tb.sink);
        records += usize::from(tb.rec.valid.val() && tb.rec.ready.val());
        let inputs = [
            ("sink$valid", tb.sink.valid.val().port_value()),
            ("sink$data_lo", tb.sink.data_lo.val().port_value()),
            ("sink$data_hi", tb.sink.data_hi.val().port_value()),
            ("sink$keep", tb.sink.keep.val().port_value()),
            ("sink$last", tb.sink.last.val().port_value()),
            ("rec$ready", tb.rec.ready.val().port_value()),
        ];
        rows.push(in_port_order(&model.inputs, &inputs));
        tb.step();
        sim.push(in_port_order(&model.outputs, &parser_outputs(&tb)));
    }
    let sim_secs = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let ver = model.run(&rows);
    let ver_secs = t0.elapsed().as_secs_f64();
    model.compare("header_parser", &sim, &ver);
    println!(
        "header_parser differential: {} frames, {} cycles equal; rust-hdl {:.0} cycles/s, verilator (incl. I/O) {:.0} cycles/s",
        cases.len(),
        rows.len(),
        rows.len() as f64 / sim_secs,
        rows.len() as f64 / ver_secs
    );
}
