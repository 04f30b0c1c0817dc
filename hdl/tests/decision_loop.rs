//! The connection table and the state unit joined as the pipeline joins them (docs/hdl.md, "The
//! decision pipeline"): each lookup's result feeds `tracker_unit`, whose new entry and write-back
//! kind go straight back to the table's write-back port, `D = TRACKER_LATENCY` = 4 clocks after
//! the result. Segments of a few dozen connections (whole handshakes, data, teardowns from both
//! sides, plus stray segments) are offered one per clock with same-flow bursts back to back —
//! where pipelined hash tables break — and every decision must equal `proto::table` +
//! `proto::tracker` executed one segment after another. Prints the lookups per clock achieved.

use hdl::conn_table::{ConnTable, CONN_TABLE_LATENCY};
use hdl::lane::Lane;
use hdl::stream::XorShift64;
use hdl::testbench::Testbench;
use hdl::tracker_unit::{
    action_code, TrackerUnit, OP_HOST, OP_OPEN_HOST, OP_OPEN_PEER, OP_WIRE, TRACKER_LATENCY,
};
use proto::config::NicConfig;
use proto::state::TcpState;
use proto::table::{Entry, FlowKey, Geometry, Table, ENTRY_WORDS};
use proto::time::Instant;
use proto::tracker::{self, Action};
use proto::wire::{TcpFlags, TcpInfo, TcpOptions, Timestamp};
use std::collections::VecDeque;

/// The write-back distance is the tracker's latency.
const D: usize = 4;
const _: () = assert!(TRACKER_LATENCY == D);

#[derive(Clone, Debug)]
struct Seg {
    key: FlowKey,
    hash: u32,
    from_wire: bool,
    tcp: TcpInfo,
}

fn segment(seq: u32, ack: u32, flags: u8, len: usize, ts: u32, ws: Option<u8>) -> TcpInfo {
    TcpInfo {
        offset: 34,
        header_len: 32,
        src_port: 0,
        dst_port: 0,
        seq,
        ack,
        flags: TcpFlags(flags),
        window: 502,
        checksum: 0,
        urgent: 0,
        payload_len: len,
        options: TcpOptions {
            wscale: ws,
            timestamp: Some(Timestamp {
                tsval: ts,
                tsecr: 0,
                offset: 58,
            }),
            ..TcpOptions::default()
        },
    }
}

/// One connection's segments in order: open (by the peer or by the host), data both ways,
/// close (either side first), with a stray segment now and then (random seq/ack/flags).
fn connection(rng: &mut XorShift64, i: u32) -> Vec<Seg> {
    let key = FlowKey {
        peer_addr: [10, 0, (i >> 8) as u8, i as u8],
        host_addr: [10, 1, 0, 1],
        peer_port: 1024 + (rng.next_u32() % 60000) as u16,
        host_port: 80,
    };
    let hash = rng.next_u32();
    let (mut p, mut h) = (rng.next_u32(), rng.next_u32());
    let (mut pts, mut hts) = (rng.next_u32() >> 1, rng.next_u32() >> 1);
    let mut v = Vec::new();
    let mut push = |from_wire: bool, tcp: TcpInfo| {
        v.push(Seg {
            key,
            hash,
            from_wire,
            tcp,
        })
    };
    const S: u8 = TcpFlags::SYN;
    const A: u8 = TcpFlags::ACK;
    const F: u8 = TcpFlags::FIN;
    if rng.chance(70) {
        push(true, segment(p, 0, S, 0, pts, Some(7)));
        push(false, segment(h, p + 1, S | A, 0, hts, Some(7)));
    } else {
        push(false, segment(h, 0, S, 0, hts, Some(7)));
        push(true, segment(p, h + 1, S | A, 0, pts, Some(7)));
    }
    p += 1;
    h += 1;
    pts += 1;
    hts += 1;
    push(true, segment(p, h, A, 0, pts, None));
    for _ in 0..rng.below(4) {
        let n = 1 + rng.below(1400) as u32;
        if rng.chance(50) {
            push(true, segment(p, h, A, n as usize, pts, None));
            p += n;
            pts += 1;
            push(false, segment(h, p, A, 0, hts, None));
        } else {
            push(false, segment(h, p, A, n as usize, hts, None));
            h += n;
            hts += 1;
            push(true, segment(p, h, A, 0, pts, None));
        }
        if rng.chance(25) {
            // A stray: old, future, RST or SYN in the middle of the connection.
            let flags = [A, TcpFlags::RST, S, A | F, TcpFlags::RST | A][rng.below(5) as usize];
            let seq = p
                .wrapping_add(rng.next_u32() % 200_000)
                .wrapping_sub(100_000);
            push(
                rng.chance(80),
                segment(
                    seq,
                    h,
                    flags,
                    0,
                    pts.wrapping_sub(rng.below(3) as u32),
                    None,
                ),
            );
        }
    }
    if rng.chance(50) {
        push(true, segment(p, h, F | A, 0, pts, None));
        push(false, segment(h, p + 1, A, 0, hts, None));
        push(false, segment(h, p + 1, F | A, 0, hts + 1, None));
        push(true, segment(p + 1, h + 1, A, 0, pts + 1, None));
    } else {
        push(false, segment(h, p, F | A, 0, hts, None));
        push(true, segment(p, h + 1, A, 0, pts, None));
        push(true, segment(p, h + 1, F | A, 0, pts + 1, None));
        push(false, segment(h + 1, p + 1, A, 0, hts + 1, None));
    }
    v
}

/// Segments of `n` connections, interleaved; with probability `burst`% the next segment is the
/// same connection's next one (a back-to-back same-flow burst).
fn traffic(seed: u64, n: u32, burst: u32) -> Vec<Seg> {
    let mut rng = XorShift64::new(seed);
    let mut conns: Vec<VecDeque<Seg>> = (0..n)
        .map(|i| connection(&mut rng, i).into_iter().collect())
        .collect();
    let mut out = Vec::new();
    let mut last = 0usize;
    while conns.iter().any(|c| !c.is_empty()) {
        let pick = if !conns[last].is_empty() && rng.chance(burst) {
            last
        } else {
            let live: Vec<usize> = (0..conns.len()).filter(|&i| !conns[i].is_empty()).collect();
            live[rng.below(live.len() as u64) as usize]
        };
        out.push(conns[pick].pop_front().unwrap());
        last = pick;
    }
    out
}

/// What the model does with one segment: the tracker request (op, entry given) if any, and the
/// expected (act, code, new entry).
struct Expect {
    op: u8,
    given: [u32; ENTRY_WORDS],
    act: (u8, u8),
    new: [u32; ENTRY_WORDS],
}

/// `proto::table` + `proto::tracker`, one segment after another, with the write-back rule of
/// `tracker_unit` (`wb_op`): Accept updates (or deletes when the state becomes CLOSED), Reuse
/// deletes, Ignore/Drop/Challenge leave the entry; a SYN of an unknown flow opens an entry if
/// its bucket has room.
fn model(table: &mut Table, cfg: &NicConfig, s: &Seg, now: Instant) -> Option<Expect> {
    match table.lookup(&s.key, s.hash) {
        Some(slot) => {
            let before = *table.get(slot).unwrap();
            let mut e = before;
            let (op, act) = if s.from_wire {
                (OP_WIRE, tracker::on_wire(&mut e, &s.tcp, cfg, now))
            } else {
                tracker::on_host(&mut e, &s.tcp, now);
                (OP_HOST, Action::Accept)
            };
            match act {
                Action::Accept if e.state == TcpState::Closed => {
                    table.remove(slot);
                }
                Action::Accept => *table.get_mut(slot).unwrap() = e,
                Action::Reuse => {
                    table.remove(slot);
                }
                _ => {}
            }
            Some(Expect {
                op,
                given: before.pack(),
                act: action_code(act),
                new: e.pack(),
            })
        }
        None if s.tcp.flags.syn() && !s.tcp.flags.ack() => {
            let blank = Entry::new(s.key, TcpState::Closed);
            let mut e = blank;
            let op = if s.from_wire {
                tracker::open_from_peer(&mut e, &s.tcp, now);
                OP_OPEN_PEER
            } else {
                tracker::open_from_host(&mut e, &s.tcp, now);
                OP_OPEN_HOST
            };
            let _ = table.insert(e, s.hash);
            Some(Expect {
                op,
                given: blank.pack(),
                act: action_code(Action::Accept),
                new: e.pack(),
            })
        }
        None => None,
    }
}

fn drive_tracker(t: &mut TrackerUnit, s: &Seg, x: &Expect, tag: u16, now: Instant) {
    t.in_valid.next = true;
    t.in_tag.next = (tag as u64).into();
    t.in_op.next = (x.op as u64).into();
    t.cfg_rfc1337.next = NicConfig::default().rfc1337;
    t.now_stamp.next = (tracker::stamp(now) as u64).into();
    for k in 0..ENTRY_WORDS {
        t.ent_w[k].next = Lane(x.given[k]);
    }
    let f = s.tcp.flags;
    t.seq.next = Lane(s.tcp.seq);
    t.ack.next = Lane(s.tcp.ack);
    t.flag_fin.next = f.fin();
    t.flag_syn.next = f.syn();
    t.flag_rst.next = f.rst();
    t.flag_ack.next = f.ack();
    t.window.next = (s.tcp.window as u64).into();
    t.payload_len.next = (s.tcp.payload_len as u64).into();
    let ts = s.tcp.options.timestamp;
    t.ts_valid.next = ts.is_some();
    t.tsval.next = Lane(ts.map_or(0, |t| t.tsval));
    t.ws_valid.next = s.tcp.options.wscale.is_some();
    t.ws.next = (s.tcp.options.wscale.unwrap_or(0) as u64).into();
}

/// Runs `segs` through the joined blocks (a table of `2^A` buckets x 4 ways), offering one per
/// clock; checks every decision against the model. Returns (clocks, holds).
fn run<const A: usize>(segs: &[Seg]) -> (u64, u64) {
    let geometry = Geometry {
        buckets: 1 << A,
        ways: 4,
    };
    let mut tbl = Testbench::new(ConnTable::<A, D>::default(), |t| &mut t.clock).unwrap();
    let mut trk = Testbench::new(TrackerUnit::default(), |t| &mut t.clock).unwrap();
    let cfg = NicConfig::default();
    let mut table = Table::new(geometry);
    let now = |i: usize| Instant::from_secs(5_000 + i as u64 / 400);
    // Segments the table has taken, oldest first, waiting for their lookup results.
    let mut issued: VecDeque<usize> = VecDeque::new();
    // Expected tracker results, oldest first: (segment, expectation).
    let mut pending: VecDeque<(usize, Expect)> = VecDeque::new();
    let (mut next, mut holds) = (0usize, 0u64);
    let limit = 4 * segs.len() as u64 + 100;
    while next < segs.len() || !issued.is_empty() || !pending.is_empty() {
        assert!(tbl.cycles() < limit, "stuck at segment {next}");
        // ---- tracker result -> table write-back (wired straight through)
        tbl.wb_op.next = trk.wb_op.val();
        for k in 0..ENTRY_WORDS {
            tbl.wb_w[k].next = trk.new_w[k].val();
        }
        if trk.out_valid.val() {
            let (i, x) = pending.pop_front().expect("a result nobody asked for");
            assert_eq!(trk.out_tag.val().to_u64() as usize, i & 0xFFFF);
            let got_act = (trk.act.val().to_u64() as u8, trk.code.val().to_u64() as u8);
            assert_eq!(got_act, x.act, "segment {i}: {:?}", segs[i]);
            let got: Vec<u32> = (0..ENTRY_WORDS).map(|k| trk.new_w[k].val().0).collect();
            assert_eq!(got, x.new, "segment {i}: new entry");
        }
        // ---- table result -> tracker request
        trk.in_valid.next = false;
        if tbl.rs_valid.val() {
            let i = issued
                .pop_front()
                .expect("a lookup result nobody asked for");
            let s = &segs[i];
            // The hardware saw the table as the model sees it now.
            let hit = tbl.rs_hit.val();
            assert_eq!(
                hit,
                table.lookup(&s.key, s.hash).is_some(),
                "segment {i}: hit"
            );
            assert_eq!(
                tbl.rs_full.val(),
                table.bucket_full(s.hash),
                "segment {i}: full"
            );
            if let Some(x) = model(&mut table, &cfg, s, now(i)) {
                let words: Vec<u32> = (0..ENTRY_WORDS).map(|k| tbl.rs_w[k].val().0).collect();
                if hit {
                    assert_eq!(words, x.given, "segment {i}: entry read");
                }
                drive_tracker(&mut trk, s, &x, i as u16, now(i));
                pending.push_back((i, x));
            }
        }
        // ---- the next segment -> table lookup
        tbl.lk_valid.next = next < segs.len();
        if let Some(s) = segs.get(next) {
            let w = Entry::new(s.key, TcpState::Closed).pack();
            tbl.lk_bucket.next = ((s.hash & (geometry.buckets - 1)) as u64).into();
            tbl.lk_peer.next = Lane(w[0]);
            tbl.lk_host.next = Lane(w[1]);
            tbl.lk_ports.next = Lane(w[2]);
        }
        tbl.settle();
        if next < segs.len() {
            if tbl.lk_ready.val() {
                issued.push_back(next);
                next += 1;
            } else {
                holds += 1;
            }
        }
        tbl.step();
        trk.step();
    }
    assert_eq!(tbl.occupancy.val().0 as usize, table.occupancy());
    (tbl.cycles(), holds)
}

/// Same-flow bursts: half the segments follow their predecessor's connection at once, in a 16-bucket
/// table (full buckets, collisions). Every decision is exact; a segment whose bucket is still
/// being decided waits for the write-back (at most D + 1 clocks after the previous one).
#[test]
fn same_flow_bursts_decide_like_the_model() {
    let (mut n, mut clocks, mut holds) = (0, 0, 0);
    for seed in 1..=4 {
        let segs = traffic(seed, 60, 50);
        let (c, h) = run::<4>(&segs);
        n += segs.len();
        clocks += c;
        holds += h;
    }
    println!(
        "decision loop, same-flow bursts, 16 buckets: {n} segments in {clocks} clocks \
         ({:.2} lookups/clock), {holds} hold clocks",
        n as f64 / clocks as f64
    );
    assert!(n > 2000);
    assert!(holds > 0, "the bursts reached the hazard window");
}

/// Many connections over 256 buckets, no forced bursts: a lookup every clock but for the rare
/// bucket that is still being decided.
#[test]
fn interleaved_flows_decide_like_the_model_at_one_lookup_per_clock() {
    let segs = traffic(9, 400, 0);
    let (clocks, holds) = run::<8>(&segs);
    println!(
        "decision loop, interleaved flows, 256 buckets: {} segments in {clocks} clocks \
         ({:.2} lookups/clock), {holds} hold clocks",
        segs.len(),
        segs.len() as f64 / clocks as f64
    );
    // One lookup per clock but for the holds (a bucket whose previous lookup is less than D + 1
    // clocks old), then the last result and its decision drain.
    let drain = (CONN_TABLE_LATENCY + TRACKER_LATENCY) as u64;
    assert_eq!(clocks, segs.len() as u64 + holds + drain);
    assert!(holds * 10 < clocks, "holds are rare across 256 buckets");
}
