//! The reply generator: every generated frame equals, beat for beat, what proto's builder
//! (`SegmentSpec::to_vec` with `OptionSet::to_bytes`) makes of the same descriptor, for thousands
//! of random descriptors (every option combination, with and without a VLAN tag, 0xFFFF-heavy
//! fields, checksums of 0x0000, sums whose first fold carries) under random request timing and
//! random back-pressure; the frames `proto::synproxy` generates (cookie SYN-ACK, SYN to the host,
//! ACK and window update at handoff, challenge ACK) come out byte for byte with valid checksums;
//! frames leave back to back; and the generated Verilog equals the rust-hdl simulation under
//! Verilator cycle by cycle.

mod common;

use common::verilated::{build, in_port_order, Model};
use hdl::replygen::{ReplyGen, ReplyRequest, REPLYGEN_LATENCY};
use hdl::stream::{beats_to_frame, frame_to_beats, Backpressure, Beat, XorShift64};
use hdl::testbench::Testbench;
use proto::config::NicConfig;
use proto::synproxy;
use proto::table::FlowKey;
use proto::time::Instant;
use proto::wire::build::checksums_ok;
use proto::wire::tcp_options::OptionSet;
use proto::wire::{self, SegmentSpec, TcpFlags};
use std::time::Instant as Clock;

/// A 32-bit value biased to checksum corners: all ones, zero, 0xFFFF halves, or random.
fn word(rng: &mut XorShift64) -> u32 {
    match rng.below(8) {
        0 => u32::MAX,
        1 => 0,
        2 => 0xFFFF_0000 | rng.next_u32(),
        3 => rng.next_u32() | 0x0000_FFFF,
        4 => 0xFFFF_FFFF ^ (1 << rng.below(32)),
        _ => rng.next_u32(),
    }
}

fn half(rng: &mut XorShift64) -> u16 {
    word(rng) as u16
}

fn random_request(rng: &mut XorShift64) -> ReplyRequest {
    let mac = |rng: &mut XorShift64| {
        let a = word(rng).to_be_bytes();
        let b = half(rng).to_be_bytes();
        [a[0], a[1], a[2], a[3], b[0], b[1]]
    };
    let (src_mac, dst_mac) = (mac(rng), mac(rng));
    let combo = rng.below(16);
    ReplyRequest {
        src_mac,
        dst_mac,
        vlan_tci: rng.chance(40).then(|| half(rng)),
        src_ip: word(rng).to_be_bytes(),
        dst_ip: word(rng).to_be_bytes(),
        src_port: half(rng),
        dst_port: half(rng),
        seq: word(rng),
        ack: word(rng),
        flags: word(rng) as u8,
        window: half(rng),
        options: OptionSet {
            mss: (combo & 1 != 0).then(|| half(rng)),
            sack_perm: combo & 2 != 0,
            timestamp: (combo & 4 != 0).then(|| (word(rng), word(rng))),
            wscale: (combo & 8 != 0).then(|| word(rng) as u8),
        },
    }
}

/// Per-cycle port values, named as in the generated Verilog.
type Named = Vec<(&'static str, u64)>;

struct Run {
    /// The frames that came out, as beats.
    frames: Vec<Vec<Beat>>,
    cycles: u64,
    rows: Vec<Named>,
    outs: Vec<Named>,
}

/// A closed-loop run: each request offered (once offered, held until taken) on `req_pct`% of
/// the clocks, `source.ready` high on `ready_pct`% of them. Records inputs and outputs per cycle.
fn run(reqs: &[ReplyRequest], seed: u64, req_pct: u32, ready_pct: u32, record: bool) -> Run {
    let mut tb = Testbench::new(ReplyGen::default(), |u| &mut u.clock).unwrap();
    let mut rng = XorShift64::new(seed);
    let mut bp = Backpressure::new(seed ^ 0xA5A5_5A5A, ready_pct);
    let mut next = 0;
    let mut offered = false;
    let mut frames = Vec::with_capacity(reqs.len());
    let mut cur: Vec<Beat> = Vec::new();
    let (mut rows, mut outs) = (Vec::new(), Vec::new());
    let limit = 100 + 200 * reqs.len() as u64 * 100 / u64::from(ready_pct.max(1));
    while frames.len() < reqs.len() {
        assert!(tb.cycles() < limit, "stuck after {} frames", frames.len());
        if next < reqs.len() && !offered && rng.chance(req_pct) {
            offered = true;
        }
        if offered {
            reqs[next].drive(&mut tb.req);
        } else {
            // Garbage on the descriptor while not valid.
            random_request(&mut rng).drive(&mut tb.req);
        }
        tb.req.valid.next = offered;
        tb.source.ready.next = bp.ready();
        tb.settle();
        if offered && tb.req.ready.val() {
            offered = false;
            next += 1;
        }
        if tb.source.valid.val() && tb.source.ready.val() {
            cur.push(Beat {
                lo: tb.source.data_lo.val().0,
                hi: tb.source.data_hi.val().0,
                keep: tb.source.keep.val().to_u64() as u8,
                last: tb.source.last.val(),
            });
            if tb.source.last.val() {
                frames.push(std::mem::take(&mut cur));
            }
        }
        if record {
            let r = &tb.req;
            rows.push(vec![
                ("req$valid", u64::from(r.valid.val())),
                ("req$dst_mac_hi", u64::from(r.dst_mac_hi.val().0)),
                ("req$dst_mac_lo", r.dst_mac_lo.val().to_u64()),
                ("req$src_mac_hi", u64::from(r.src_mac_hi.val().0)),
                ("req$src_mac_lo", r.src_mac_lo.val().to_u64()),
                ("req$vlan_valid", u64::from(r.vlan_valid.val())),
                ("req$vlan_tci", r.vlan_tci.val().to_u64()),
                ("req$src_ip", u64::from(r.src_ip.val().0)),
                ("req$dst_ip", u64::from(r.dst_ip.val().0)),
                ("req$src_port", r.src_port.val().to_u64()),
                ("req$dst_port", r.dst_port.val().to_u64()),
                ("req$seq", u64::from(r.seq.val().0)),
                ("req$ack", u64::from(r.ack.val().0)),
                ("req$flags", r.flags.val().to_u64()),
                ("req$window", r.window.val().to_u64()),
                ("req$mss_valid", u64::from(r.mss_valid.val())),
                ("req$mss", r.mss.val().to_u64()),
                ("req$sack_perm", u64::from(r.sack_perm.val())),
                ("req$ts_valid", u64::from(r.ts_valid.val())),
                ("req$tsval", u64::from(r.tsval.val().0)),
                ("req$tsecr", u64::from(r.tsecr.val().0)),
                ("req$ws_valid", u64::from(r.ws_valid.val())),
                ("req$ws", r.ws.val().to_u64()),
                ("source$ready", u64::from(tb.source.ready.val())),
            ]);
        }
        tb.step();
        if record {
            outs.push(vec![
                ("req$ready", u64::from(tb.req.ready.val())),
                ("source$valid", u64::from(tb.source.valid.val())),
                ("source$data_lo", u64::from(tb.source.data_lo.val().0)),
                ("source$data_hi", u64::from(tb.source.data_hi.val().0)),
                ("source$keep", tb.source.keep.val().to_u64()),
                ("source$last", u64::from(tb.source.last.val())),
            ]);
        }
    }
    assert!(cur.is_empty());
    // Nothing more comes out.
    tb.req.valid.next = false;
    tb.source.ready.next = true;
    for _ in 0..12 {
        tb.step();
        assert!(!tb.source.valid.val(), "a frame nobody asked for");
    }
    Run {
        frames,
        cycles: tb.cycles(),
        rows,
        outs,
    }
}

fn check(reqs: &[ReplyRequest], r: &Run, what: &str) {
    assert_eq!(r.frames.len(), reqs.len());
    for (i, (req, got)) in reqs.iter().zip(&r.frames).enumerate() {
        let want = frame_to_beats(&req.frame());
        assert_eq!(got, &want, "{what}: frame {i} ({req:?})");
    }
}

fn requests(seed: u64, n: usize) -> Vec<ReplyRequest> {
    let mut rng = XorShift64::new(seed);
    (0..n).map(|_| random_request(&mut rng)).collect()
}

#[test]
fn random_descriptors_match_proto_under_random_timing_and_back_pressure() {
    let reqs = requests(1, 3000);
    for (seed, req_pct, ready_pct) in [(2, 30, 60), (3, 100, 100), (4, 100, 20), (5, 5, 90)] {
        let t0 = Clock::now();
        let r = run(&reqs, seed, req_pct, ready_pct, false);
        check(&reqs, &r, &format!("profile {seed}"));
        println!(
            "replygen profile {seed} (req {req_pct}%, ready {ready_pct}%): {} frames in {} cycles, {:.0} cycles/s",
            reqs.len(),
            r.cycles,
            r.cycles as f64 / t0.elapsed().as_secs_f64()
        );
    }
    // The stimulus covers every option combination with and without a tag.
    let mut seen = [[false; 2]; 16];
    for q in &reqs {
        let o = &q.options;
        let c = usize::from(o.mss.is_some())
            | usize::from(o.sack_perm) << 1
            | usize::from(o.timestamp.is_some()) << 2
            | usize::from(o.wscale.is_some()) << 3;
        seen[c][usize::from(q.vlan_tci.is_some())] = true;
    }
    assert!(seen.iter().flatten().all(|&s| s));
}

#[test]
fn frames_leave_back_to_back_and_the_first_after_the_latency() {
    let reqs = requests(6, 400);
    let r = run(&reqs, 7, 100, 100, true);
    check(&reqs, &r, "full rate");
    let beats: u64 = r.frames.iter().map(|f| f.len() as u64).sum();
    // The first request is taken at the first edge; its first beat is out REPLYGEN_LATENCY
    // clocks later; from then on one beat per clock with no gap; then 12 idle checks.
    let first = r
        .outs
        .iter()
        .position(|o| o[1].1 == 1)
        .expect("a beat came out");
    assert_eq!(first + 1, REPLYGEN_LATENCY);
    assert_eq!(r.cycles, REPLYGEN_LATENCY as u64 + beats + 12);
    assert!(r.outs[first..first + beats as usize]
        .iter()
        .all(|o| o[1].1 == 1));
}

/// Descriptors whose TCP (or IPv4) sum folds to 0xFFFF: checksum 0x0000, as proto computes.
#[test]
fn checksum_corners_zero_checksums() {
    let mut rng = XorShift64::new(8);
    let mut reqs = Vec::new();
    for _ in 0..200 {
        let mut q = random_request(&mut rng);
        // TCP: choose the window so the sum folds to 0xFFFF.
        q.window = 0;
        let f = wire::checksum::fold(!tcp_csum(&q.frame()) as u32);
        q.window = 0xFFFF - f;
        assert_eq!(tcp_csum(&q.frame()), 0, "{q:?}");
        reqs.push(q);
        // IPv4: choose the low half of the source address likewise.
        let mut q = random_request(&mut rng);
        q.src_ip[2] = 0;
        q.src_ip[3] = 0;
        let f = wire::checksum::fold(!ip_csum(&q.frame()) as u32);
        q.src_ip[2..].copy_from_slice(&(0xFFFF - f).to_be_bytes());
        assert_eq!(ip_csum(&q.frame()), 0, "{q:?}");
        reqs.push(q);
    }
    let r = run(&reqs, 9, 50, 50, false);
    check(&reqs, &r, "zero checksums");
    for f in &r.frames {
        assert_valid(&beats_to_frame(f));
    }
}

/// The unfolded TCP sum (pseudo-header + segment, checksum field as zero) and IPv4 header sum of
/// a frame, as `proto::wire::checksum` adds them before folding.
fn unfolded_sums(frame: &[u8]) -> (u32, u32) {
    use wire::checksum::{pseudo_header_v4, sum};
    let (_, ip, tcp) = parsed(frame);
    let seg = &frame[tcp.offset..];
    let t = pseudo_header_v4(ip.src, ip.dst, seg.len()) + sum(&seg[..16]) + sum(&seg[18..]);
    let h = &frame[ip.offset..ip.offset + 20];
    (t, sum(&h[..10]) + sum(&h[12..]))
}

/// Descriptors whose sums end in 0xFFFF with carries above, so the first end-around fold itself
/// carries and a second fold is needed (RFC 1071 §4.1 "while (sum>>16)").
#[test]
fn checksum_corners_first_fold_carries() {
    let mut rng = XorShift64::new(14);
    let mut reqs = Vec::new();
    while reqs.len() < 400 {
        let mut q = random_request(&mut rng);
        if reqs.len() % 2 == 0 {
            // TCP: the window brings the low half of the sum to 0xFFFF.
            q.window = 0;
            let (t, _) = unfolded_sums(&q.frame());
            q.window = 0xFFFF - (t & 0xFFFF) as u16;
            let (t, _) = unfolded_sums(&q.frame());
            if t >> 16 == 0 {
                continue;
            }
            assert_eq!((t & 0xFFFF) + (t >> 16), 0xFFFF + (t >> 16));
        } else {
            // IPv4: the low half of the source address does the same for the header sum.
            q.src_ip[2] = 0;
            q.src_ip[3] = 0;
            let (_, h) = unfolded_sums(&q.frame());
            q.src_ip[2..].copy_from_slice(&(0xFFFF - (h & 0xFFFF) as u16).to_be_bytes());
            let (_, h) = unfolded_sums(&q.frame());
            if h >> 16 == 0 {
                continue;
            }
            assert_eq!(h & 0xFFFF, 0xFFFF);
        }
        reqs.push(q);
    }
    let r = run(&reqs, 15, 70, 70, false);
    check(&reqs, &r, "first fold carries");
    for f in &r.frames {
        assert_valid(&beats_to_frame(f));
    }
}

fn parsed(frame: &[u8]) -> (wire::Frame, wire::Ipv4Info, wire::TcpInfo) {
    let f = wire::parse(frame).expect("parses");
    let (ip, tcp) = f.tcp().expect("IPv4/TCP");
    let (ip, tcp) = (*ip, tcp.clone());
    (f, ip, tcp)
}

fn tcp_csum(frame: &[u8]) -> u16 {
    parsed(frame).2.checksum
}

fn ip_csum(frame: &[u8]) -> u16 {
    parsed(frame).1.checksum
}

fn assert_valid(frame: &[u8]) {
    let (_, ip, tcp) = parsed(frame);
    assert!(
        checksums_ok(frame, &ip, &tcp),
        "bad checksums: {frame:02x?}"
    );
}

const CLIENT_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const HOST_MAC: [u8; 6] = [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0x02];
const CLIENT: [u8; 4] = [10, 77, 0, 2];
const HOST: [u8; 4] = [10, 77, 1, 1];
const CPORT: u16 = 40000;
const HPORT: u16 = 80;
const ISN: u32 = 0xFFFF_FFF0;
const SISN: u32 = 0x1234_5678;
const T0: Instant = Instant::from_secs(1000);

#[allow(clippy::too_many_arguments)]
fn segment(
    from_client: bool,
    vlan: Option<u16>,
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    options: OptionSet,
) -> Vec<u8> {
    let opts = options.to_bytes();
    let (sm, dm, sa, da, sp, dp) = if from_client {
        (CLIENT_MAC, HOST_MAC, CLIENT, HOST, CPORT, HPORT)
    } else {
        (HOST_MAC, CLIENT_MAC, HOST, CLIENT, HPORT, CPORT)
    };
    SegmentSpec {
        src_mac: sm,
        dst_mac: dm,
        vlan_tci: vlan,
        src_ip: sa,
        dst_ip: da,
        tos: 0,
        ip_id: 7,
        dont_fragment: true,
        ttl: 61,
        src_port: sp,
        dst_port: dp,
        seq,
        ack,
        flags,
        window,
        options: &opts,
        payload: &[],
    }
    .to_vec()
    .unwrap()
}

/// The whole SYN-proxy handshake through proto's real functions; returns every frame it
/// generates, named.
fn proxy_frames(vlan: Option<u16>, client_opts: OptionSet) -> Vec<(String, Vec<u8>)> {
    let cfg = NicConfig::default();
    let mut out = Vec::new();
    let tag = format!("vlan {vlan:?}, client {client_opts:?}");
    // 1. client SYN -> cookie SYN-ACK
    let syn = segment(true, vlan, ISN, 0, TcpFlags::SYN, 64240, client_opts);
    let (f, ip, tcp) = parsed(&syn);
    let (synack, cookie) = synproxy::cookie_synack(&cfg, &f, &ip, &tcp, T0);
    out.push((format!("cookie_synack ({tag})"), synack.to_vec()));
    let (_, _, sa) = parsed(&synack);
    // 2. client ACK with the cookie -> SYN to the host
    let ack_opts = OptionSet {
        timestamp: sa.options.timestamp.map(|t| (0xFFFF_FFFE, t.tsval)),
        ..OptionSet::default()
    };
    let ack = segment(
        true,
        vlan,
        ISN.wrapping_add(1),
        cookie.wrapping_add(1),
        TcpFlags::ACK,
        502,
        ack_opts,
    );
    let (f, ip, tcp) = parsed(&ack);
    let h = synproxy::check_cookie_ack(&cfg, &ip, &tcp, tcp.seq, T0).expect("valid cookie");
    let key = FlowKey {
        peer_addr: CLIENT,
        host_addr: HOST,
        peer_port: CPORT,
        host_port: HPORT,
    };
    let mut e = synproxy::pending_entry(key, &tcp, &h, T0);
    let ssyn = synproxy::server_syn(&e, h.mss, &f, &ip, &tcp);
    out.push((format!("server_syn ({tag})"), ssyn.to_vec()));
    // 3. host SYN-ACK -> ACK to the host + window update to the client
    let (_, _, st) = parsed(&ssyn);
    let host_opts = OptionSet {
        mss: Some(1460),
        sack_perm: st.options.sack_perm,
        timestamp: st.options.timestamp.map(|t| (0x8000_0000, t.tsval)),
        wscale: st.options.wscale.map(|_| 9),
    };
    let hsa = segment(
        false,
        vlan,
        SISN,
        ISN.wrapping_add(1),
        TcpFlags::SYN | TcpFlags::ACK,
        65160,
        host_opts,
    );
    let (f, ip, tcp) = parsed(&hsa);
    let (to_host, to_client) =
        synproxy::on_server_synack(&mut e, &f, &ip, &tcp, T0).expect("handoff");
    out.push((format!("server ack ({tag})"), to_host.to_vec()));
    out.push((format!("client window update ({tag})"), to_client.to_vec()));
    // 4. a SYN on the established connection -> challenge ACK (RFC 5961 §4.2)
    let syn2 = segment(true, vlan, 0xABCD_0000, 0, TcpFlags::SYN, 1000, client_opts);
    let (f, ip, tcp) = parsed(&syn2);
    let cack = synproxy::challenge_ack(&e, &f, &ip, &tcp);
    out.push((format!("challenge_ack ({tag})"), cack.to_vec()));
    out
}

#[test]
fn synproxy_frames_come_out_byte_for_byte() {
    let full = OptionSet {
        mss: Some(1400),
        sack_perm: true,
        timestamp: Some((0xFFFF_FF00, 0)),
        wscale: Some(7),
    };
    let mut named = Vec::new();
    for vlan in [None, Some(0x0FFF), Some(0xE064)] {
        for opts in [
            full,
            OptionSet {
                sack_perm: false,
                ..full
            },
            OptionSet {
                wscale: None,
                ..full
            },
            OptionSet {
                timestamp: None,
                ..full
            },
            OptionSet {
                mss: Some(536),
                ..OptionSet::default()
            },
        ] {
            named.extend(proxy_frames(vlan, opts));
        }
    }
    let mut reqs = Vec::new();
    for (name, frame) in &named {
        assert_valid(frame);
        let q = ReplyRequest::from_frame(frame).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(
            &q.frame(),
            frame,
            "{name}: the descriptor rebuilds proto's frame"
        );
        reqs.push(q);
    }
    let r = run(&reqs, 10, 60, 70, false);
    assert_eq!(r.frames.len(), named.len());
    let mut lens = std::collections::BTreeSet::new();
    for ((name, frame), got) in named.iter().zip(&r.frames) {
        let bytes = beats_to_frame(got);
        assert_eq!(&bytes, frame, "{name}");
        assert_eq!(got, &frame_to_beats(frame), "{name}");
        assert_valid(&bytes);
        lens.insert(frame.len());
    }
    // 54 (challenge ACK) up to 78 (tagged SYN with all options).
    assert!(lens.contains(&54) && lens.contains(&78), "{lens:?}");
}

#[test]
fn replygen_matches_verilator_cycle_for_cycle() {
    let model = build("replygen");
    let mut reqs = requests(11, 300);
    reqs.extend(requests(12, 100));
    let r = run(&reqs, 13, 40, 60, true);
    check(&reqs, &r, "verilator run");
    assert_eq!(model.inputs.len(), r.rows[0].len());
    assert_eq!(Model::names(&model.outputs).len(), 6);
    let rows: Vec<Vec<u64>> = r
        .rows
        .iter()
        .map(|x| in_port_order(&model.inputs, x))
        .collect();
    let sim: Vec<Vec<u64>> = r
        .outs
        .iter()
        .map(|x| in_port_order(&model.outputs, x))
        .collect();
    let ver = model.run(&rows);
    model.compare("replygen", &sim, &ver);
    println!(
        "replygen differential: {} cycles equal, {} frames out",
        rows.len(),
        r.frames.len()
    );
}
