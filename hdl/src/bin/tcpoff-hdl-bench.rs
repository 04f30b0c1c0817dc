//! `tcpoff-hdl-bench` — the decision pipeline's initiation interval, measured in simulation.
//!
//! ```text
//! tcpoff-hdl-bench [--records N]
//! ```
//! Offers a record on every clock (`in_valid` always high) to `DecisionPipeline<10>` (1,024
//! buckets x 4 ways) for two workloads, checks every decision against `proto::nic::Nic`, and
//! prints decisions per clock, the clocks the table held a lookup, and the latency:
//! * random flows: 1,000 tracked connections (handshakes from either side, then data segments of a
//!   connection picked at random each time);
//! * same-flow bursts: one connection's segments back to back (data from the peer and the
//!   host's ACKs), where a pipelined table meets its own write-backs.
//!
//! Frames are 66-byte ACKs and 74-byte SYNs (TS option); the decision pipeline works on header
//! records, so the frame size only matters to the ports (one record per frame, at most one per
//! 8 clocks per port for minimum frames).

use hdl::decision::{DecisionPipeline, RecordWords, DECISION_LATENCY, REC_WORDS};
use hdl::lane::Lane;
use hdl::parser::HeaderRecord;
use hdl::testbench::Testbench;
use proto::config::NicConfig;
use proto::decision::{Port, Verdict};
use proto::nic::Nic;
use proto::table::Geometry;
use proto::time::Instant;
use proto::wire::tcp_options::OptionSet;
use proto::wire::{SegmentSpec, TcpFlags};
use std::collections::VecDeque;
use std::process::ExitCode;

const BUCKET_BITS: usize = 10;

fn frame(from_host: bool, flow: u32, seq: u32, ack: u32, flags: u8, tsval: u32) -> Vec<u8> {
    let client = [10, 0, (flow >> 8) as u8, flow as u8];
    let host = [10, 1, 0, 1];
    let cport = 20_000 + flow as u16;
    let syn = flags & TcpFlags::SYN != 0;
    let opts = OptionSet {
        mss: syn.then_some(1460),
        sack_perm: false,
        timestamp: Some((tsval, 0)),
        wscale: syn.then_some(7),
    }
    .to_bytes();
    let (src_ip, dst_ip, src_port, dst_port) = if from_host {
        (host, client, 80, cport)
    } else {
        (client, host, cport, 80)
    };
    SegmentSpec {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: [2, 0, 0, 0, 0, 2],
        vlan_tci: None,
        src_ip,
        dst_ip,
        tos: 0,
        ip_id: 0,
        dont_fragment: true,
        ttl: 64,
        src_port,
        dst_port,
        seq,
        ack,
        flags,
        window: 1000,
        options: &opts,
        payload: &[],
    }
    .to_vec()
    .expect("a small frame fits")
}

/// One connection's sequence state.
struct Conn {
    p: u32,
    h: u32,
    t: u32,
}

/// The frames of a workload: `flows` connections, `n` records, data segments of a random
/// connection (`random`) or of connection 0 only.
fn workload(flows: u32, n: usize, random: bool) -> Vec<(bool, Vec<u8>)> {
    let mut v = Vec::with_capacity(n);
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut conns: Vec<Conn> = (0..flows)
        .map(|i| Conn {
            p: 1000 * i,
            h: 7_000_000 + 1000 * i,
            t: 1,
        })
        .collect();
    // The handshakes, interleaved: every SYN, then every SYN-ACK, then every ACK.
    let sa = TcpFlags::SYN | TcpFlags::ACK;
    for (i, c) in conns.iter().enumerate() {
        v.push((false, frame(false, i as u32, c.p, 0, TcpFlags::SYN, c.t)));
    }
    for (i, c) in conns.iter().enumerate() {
        v.push((true, frame(true, i as u32, c.h, c.p + 1, sa, c.t)));
    }
    for (i, c) in conns.iter_mut().enumerate() {
        c.p += 1;
        c.h += 1;
        c.t += 1;
        v.push((false, frame(false, i as u32, c.p, c.h, TcpFlags::ACK, c.t)));
    }
    while v.len() < n {
        let i = if random {
            (next() % flows as u64) as u32
        } else {
            0
        };
        let c = &mut conns[i as usize];
        c.t += 1;
        if next() % 2 == 0 {
            v.push((false, frame(false, i, c.p, c.h, TcpFlags::ACK, c.t)));
        } else {
            v.push((true, frame(true, i, c.h, c.p, TcpFlags::ACK, c.t)));
        }
    }
    v
}

struct Result {
    records: usize,
    clocks: u64,
    first_latency: u64,
}

fn run(frames: &[(bool, Vec<u8>)]) -> std::result::Result<Result, String> {
    let cfg = NicConfig::default();
    let mut nic = Nic::new(
        cfg.clone(),
        Geometry {
            buckets: 1 << BUCKET_BITS,
            ways: 4,
        },
    );
    let mut tb = Testbench::new(DecisionPipeline::<BUCKET_BITS>::default(), |t| &mut t.clock)
        .map_err(|e| format!("design check: {e:?}"))?;
    hdl::drive_config!(tb, &cfg);
    let now = Instant::from_secs(100_000);
    let mut expected: VecDeque<Verdict> = VecDeque::new();
    let (mut sent, mut decided) = (0usize, 0usize);
    let (mut first_in, mut first_out) = (None, None);
    // Clocks from the first decision to the last, for the steady-state rate.
    while decided < frames.len() {
        if tb.cycles() > 100 * frames.len() as u64 + 1000 {
            return Err(format!("stuck after {decided} decisions"));
        }
        tb.in_valid.next = false;
        if sent < frames.len() && tb.in_ready.val() {
            let (host, f) = &frames[sent];
            let w = RecordWords::pack(&HeaderRecord::from_model(f), f, *host, now);
            for k in 0..REC_WORDS {
                tb.in_w[k].next = Lane(w.0[k]);
            }
            tb.in_valid.next = true;
            let port = if *host { Port::Host } else { Port::Wire };
            expected.push_back(nic.process(port, &mut f.clone(), now).verdict);
            first_in.get_or_insert(tb.cycles());
            sent += 1;
        }
        tb.step();
        if tb.d_valid.val() {
            let want = expected.pop_front().ok_or("a decision nobody asked for")?;
            let got = tb.d_verdict.val().to_u64() as u8;
            let code = match want {
                Verdict::Forward => 0,
                Verdict::Rewrite => 1,
                Verdict::Consume => 2,
                Verdict::Drop(_) => 3,
                Verdict::Punt(_) => 4,
            };
            if got != code {
                return Err(format!(
                    "record {decided}: verdict {got}, the model says {want:?}"
                ));
            }
            first_out.get_or_insert(tb.cycles());
            decided += 1;
        }
    }
    let (fi, fo) = (first_in.unwrap_or(0), first_out.unwrap_or(0));
    Ok(Result {
        records: decided,
        clocks: tb.cycles() - fo + 1,
        first_latency: fo - fi,
    })
}

fn main() -> ExitCode {
    let mut n = 20_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next().map(|v| v.parse::<usize>())) {
            ("--records", Some(Ok(v))) if v >= 1000 => n = v,
            _ => {
                eprintln!("usage: tcpoff-hdl-bench [--records N]  (N >= 1000)");
                return ExitCode::from(2);
            }
        }
    }
    println!(
        "decision pipeline, {} buckets x 4 ways, a record offered every clock, checked against proto::nic",
        1 << BUCKET_BITS
    );
    for (name, flows, random) in [
        ("random flows (1000)", 1000, true),
        ("same-flow burst", 1, false),
    ] {
        let frames = workload(flows, n, random);
        let t0 = std::time::Instant::now();
        match run(&frames) {
            Ok(r) => println!(
                "  {name:<18} {:>7} records in {:>7} clocks: {:.3} decisions/clock (II {:.2}), latency {} clocks (documented {}), {:.0} cycles/s simulated",
                r.records,
                r.clocks,
                r.records as f64 / r.clocks as f64,
                r.clocks as f64 / r.records as f64,
                r.first_latency,
                DECISION_LATENCY,
                r.clocks as f64 / t0.elapsed().as_secs_f64()
            ),
            Err(e) => {
                eprintln!("tcpoff-hdl-bench: {name}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
