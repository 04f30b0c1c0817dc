//! The frame buffer: every forwarded frame comes out beat for beat as it went in, every dropped
//! one never comes out, in order, under random idle input, random release timing and random
//! back-pressure; full rate when nobody waits; and the generated Verilog equals the rust-hdl
//! simulation under Verilator cycle by cycle.

mod common;

use common::verilated::{build, in_port_order, Model};
use hdl::frame_fifo::{FrameFifo, MAX_FRAMES};
use hdl::stream::{frame_to_beats, Backpressure, Beat, StreamDriver, XorShift64};
use hdl::testbench::Testbench;
use std::collections::VecDeque;

/// The buffer the tests use: 256 beats (2 KiB), enough for a 1518-byte frame.
type Fifo = FrameFifo<8>;

fn random_frame(rng: &mut XorShift64) -> Vec<u8> {
    let len = match rng.below(10) {
        0 => 1 + rng.below(8) as usize,
        1 => 1500 + rng.below(19) as usize,
        _ => 60 + rng.below(200) as usize,
    };
    (0..len).map(|_| rng.next_u32() as u8).collect()
}

/// A closed-loop run: frames in through `sink` (idle `idle`% of the time), decisions at random
/// (drop with probability `drop`%, offered `rel`% of the clocks), `source.ready` `ready`% of the
/// time. Returns the output beats, the expected ones, the cycle count, and per-cycle
/// (inputs, outputs) for Verilator.
struct Run {
    got: Vec<Beat>,
    want: Vec<Beat>,
    cycles: u64,
    rows: Vec<Vec<(&'static str, u64)>>,
    outs: Vec<Vec<(&'static str, u64)>>,
}

fn run(frames: &[Vec<u8>], seed: u64, idle: u32, rel: u32, drop: u32, ready: u32) -> Run {
    let mut tb = Testbench::new(Fifo::default(), |f| &mut f.clock).unwrap();
    let mut drv = StreamDriver::new(seed, idle);
    for f in frames {
        drv.push_frame(f);
    }
    let mut rng = XorShift64::new(seed ^ 0x5151);
    let mut bp = Backpressure::new(seed ^ 0xA5A5, ready);
    let mut decisions: VecDeque<bool> = (0..frames.len()).map(|_| rng.chance(drop)).collect();
    let want: Vec<Beat> = frames
        .iter()
        .zip(decisions.iter())
        .filter(|(_, &d)| !d)
        .flat_map(|(f, _)| frame_to_beats(f))
        .collect();
    let mut got = Vec::with_capacity(want.len());
    let (mut rows, mut outs) = (Vec::new(), Vec::new());
    let limit = 50 * frames.iter().map(|f| f.len() as u64 / 8 + 10).sum::<u64>();
    while got.len() < want.len() || !decisions.is_empty() {
        assert!(
            tb.cycles() < limit,
            "stuck: {} of {} beats out",
            got.len(),
            want.len()
        );
        drv.drive(&mut tb.sink);
        tb.rel_valid.next = !decisions.is_empty() && rng.chance(rel);
        tb.rel_drop.next = decisions.front().copied().unwrap_or(false);
        tb.source.ready.next = bp.ready();
        tb.settle();
        drv.handshake(&tb.sink);
        if tb.rel_valid.val() && tb.rel_ready.val() {
            decisions.pop_front();
        }
        if tb.source.valid.val() && tb.source.ready.val() {
            got.push(Beat {
                lo: tb.source.data_lo.val().0,
                hi: tb.source.data_hi.val().0,
                keep: tb.source.keep.val().to_u64() as u8,
                last: tb.source.last.val(),
            });
        }
        rows.push(vec![
            ("sink$valid", u64::from(tb.sink.valid.val())),
            ("sink$data_lo", u64::from(tb.sink.data_lo.val().0)),
            ("sink$data_hi", u64::from(tb.sink.data_hi.val().0)),
            ("sink$keep", tb.sink.keep.val().to_u64()),
            ("sink$last", u64::from(tb.sink.last.val())),
            ("rel_valid", u64::from(tb.rel_valid.val())),
            ("rel_drop", u64::from(tb.rel_drop.val())),
            ("source$ready", u64::from(tb.source.ready.val())),
        ]);
        tb.step();
        outs.push(vec![
            ("sink$ready", u64::from(tb.sink.ready.val())),
            ("rel_ready", u64::from(tb.rel_ready.val())),
            ("source$valid", u64::from(tb.source.valid.val())),
            ("source$data_lo", u64::from(tb.source.data_lo.val().0)),
            ("source$data_hi", u64::from(tb.source.data_hi.val().0)),
            ("source$keep", tb.source.keep.val().to_u64()),
            ("source$last", u64::from(tb.source.last.val())),
            ("frames", tb.frames.val().to_u64()),
        ]);
    }
    // Nothing more comes out, and the buffer is empty.
    tb.source.ready.next = true;
    tb.rel_valid.next = false;
    tb.sink.valid.next = false;
    for _ in 0..8 {
        tb.step();
        assert!(!tb.source.valid.val(), "a beat nobody released");
    }
    assert_eq!(tb.frames.val().to_u64(), 0);
    assert!(drv.is_idle());
    Run {
        got,
        want,
        cycles: tb.cycles(),
        rows,
        outs,
    }
}

fn frames(seed: u64, n: usize) -> Vec<Vec<u8>> {
    let mut rng = XorShift64::new(seed);
    (0..n).map(|_| random_frame(&mut rng)).collect()
}

#[test]
fn forwarded_frames_come_out_whole_and_in_order_dropped_ones_never() {
    let fs = frames(1, 600);
    for (seed, idle, rel, drop, ready) in [
        (2, 10, 50, 30, 70),
        (3, 0, 100, 50, 100),
        (4, 40, 10, 20, 30), // slow decisions: the buffer fills and back-pressures
        (5, 0, 100, 0, 15),  // a slow reader
    ] {
        let r = run(&fs, seed, idle, rel, drop, ready);
        assert_eq!(r.got.len(), r.want.len());
        for (i, (g, w)) in r.got.iter().zip(&r.want).enumerate() {
            assert_eq!(g, w, "profile {seed}: beat {i}");
        }
        println!(
            "frame_fifo profile {seed}: {} frames, {} beats out in {} cycles",
            fs.len(),
            r.got.len(),
            r.cycles
        );
    }
}

#[test]
fn full_rate_when_nobody_waits() {
    // Minimum-size frames back to back, released at once, read at once: one beat per clock.
    let fs: Vec<Vec<u8>> = (0..400).map(|i| vec![i as u8; 64]).collect();
    let r = run(&fs, 7, 0, 100, 0, 100);
    assert_eq!(r.got, r.want);
    let beats = r.want.len() as u64;
    // Start-up: the first frame's 8 beats, its release and the read latency.
    assert!(
        r.cycles <= beats + 8 + 4 + 8,
        "{} beats took {} cycles",
        beats,
        r.cycles
    );
}

#[test]
fn holds_at_most_max_frames_and_back_pressures_the_sink() {
    // Nothing is released: after MAX_FRAMES one-beat frames the sink stops taking beats.
    let mut tb = Testbench::new(Fifo::default(), |f| &mut f.clock).unwrap();
    let mut drv = StreamDriver::new(9, 0);
    for _ in 0..MAX_FRAMES + 4 {
        drv.push_frame(&[0xAB; 8]);
    }
    for _ in 0..100 {
        drv.drive(&mut tb.sink);
        tb.source.ready.next = true;
        tb.settle();
        drv.handshake(&tb.sink);
        tb.step();
    }
    assert_eq!(drv.frames_sent(), MAX_FRAMES as u64);
    assert_eq!(tb.frames.val().to_u64(), MAX_FRAMES as u64);
    assert!(!tb.sink.ready.val());
    assert!(!tb.source.valid.val());
    // And the beat limit: a 2 KiB buffer takes 256 beats of a long frame, then waits.
    let mut tb = Testbench::new(Fifo::default(), |f| &mut f.clock).unwrap();
    let mut drv = StreamDriver::new(10, 0);
    drv.push_frame(&vec![0x11; 8 * 300]);
    for _ in 0..400 {
        drv.drive(&mut tb.sink);
        tb.settle();
        drv.handshake(&tb.sink);
        tb.step();
    }
    assert_eq!(drv.beats_sent(), 256);
    assert_eq!(tb.frames.val().to_u64(), 0, "the frame is not complete");
    assert!(!tb.rel_ready.val());
}

#[test]
fn frame_fifo_matches_verilator_cycle_for_cycle() {
    let model = build("frame_fifo_256");
    let fs = frames(11, 150);
    let r = run(&fs, 12, 15, 40, 30, 60);
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
    assert_eq!(Model::names(&model.outputs).len(), 8);
    let ver = model.run(&rows);
    model.compare("frame_fifo_256", &sim, &ver);
    println!(
        "frame_fifo differential: {} cycles equal, {} beats out",
        rows.len(),
        r.got.len()
    );
    assert!(r.got.len() > 1000);
}
