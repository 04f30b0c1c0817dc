//! The whole data path (`hdl::pipeline`) against the reference model, frame for frame: frames
//! stream into both ports (random idle beats), leave by both ports (random back-pressure), and
//! every frame that leaves must be the model's — the forwarded or rewritten frame of the other
//! port's input, in order, or a generated frame (cookie SYN-ACK, SYN to the host, handoff ACK
//! and window update, challenge ACK), in order — with nothing missing at the end, every
//! decision's event, and every counter equal to `proto::nic::Nic::process` on the same frames
//! in the order the hardware decided them. Traffic: `common::traffic`.

mod common;

use common::traffic::{config, Traffic};
use common::verilated::{replay, TraceRow};
use hdl::lane::Lane;

use hdl::stream::{beats_to_frame, Backpressure, Beat, StreamDriver, XorShift64};
use hdl::testbench::Testbench;
use proto::counters::Counter;
use proto::decision::Port;
use proto::nic::Nic;
use proto::table::Geometry;
use proto::time::Instant;
use std::collections::VecDeque;

use hdl::pipeline::PipelineTest;

fn drive_time(tb: &mut Testbench<PipelineTest>, now: Instant) {
    tb.now_secs.next = Lane(now.secs() as u32);
    tb.now_ms.next = Lane(now.ts_clock_ms());
    tb.cookie_minute.next = Lane(now.cookie_minute());
}

/// One output port: the frame being received and what may leave next.
#[derive(Default)]
struct Output {
    beats: Vec<Beat>,
    /// Forwarded or rewritten frames, in order.
    fwd: VecDeque<Vec<u8>>,
    /// Generated frames, in order.
    gen: VecDeque<Vec<u8>>,
    /// Injected frames, in order.
    inj: VecDeque<Vec<u8>>,
    frames: usize,
}

impl Output {
    fn take(&mut self, name: &str, s: &hdl::stream::StreamSource) {
        if !(s.valid.val() && s.ready.val()) {
            return;
        }
        let b = Beat {
            lo: s.data_lo.val().0,
            hi: s.data_hi.val().0,
            keep: s.keep.val().to_u64() as u8,
            last: s.last.val(),
        };
        self.beats.push(b);
        if b.last {
            let f = beats_to_frame(&self.beats);
            self.beats.clear();
            self.frames += 1;
            if self.fwd.front() == Some(&f) {
                self.fwd.pop_front();
            } else if self.gen.front() == Some(&f) {
                self.gen.pop_front();
            } else if self.inj.front() == Some(&f) {
                self.inj.pop_front();
            } else {
                panic!(
                    "{name}: frame {} is not the model's:\n  got       {f:02x?}\n  forwarded {:02x?}\n  generated {:02x?}",
                    self.frames,
                    self.fwd.front(),
                    self.gen.front()
                );
            }
        }
    }
}

/// Every input port's value as driven for the coming edge (Verilog names).
fn inputs(tb: &PipelineTest) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = Vec::new();
    for (p, s) in [
        ("wire_in", &tb.wire_in),
        ("host_in", &tb.host_in),
        ("inject_in", &tb.inject_in),
    ] {
        v.push((format!("{p}$valid"), s.valid.next as u64));
        v.push((format!("{p}$data_lo"), s.data_lo.next.0 as u64));
        v.push((format!("{p}$data_hi"), s.data_hi.next.0 as u64));
        v.push((format!("{p}$keep"), s.keep.next.to_u64()));
        v.push((format!("{p}$last"), s.last.next as u64));
    }
    v.push(("wire_out$ready".into(), tb.wire_out.ready.next as u64));
    v.push(("host_out$ready".into(), tb.host_out.ready.next as u64));
    v.push(("punt_out$ready".into(), tb.punt_out.ready.next as u64));
    v.push(("inject_host".into(), tb.inject_host.next as u64));
    for (n, x) in [
        ("now_secs", &tb.now_secs),
        ("now_ms", &tb.now_ms),
        ("cookie_minute", &tb.cookie_minute),
    ] {
        v.push((n.into(), x.next.0 as u64));
    }
    v.extend(hdl::config_inputs!(tb));
    v
}

/// Every output port's value (Verilog names).
fn outputs(tb: &PipelineTest) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = vec![
        ("wire_in$ready".into(), tb.wire_in.ready.val() as u64),
        ("host_in$ready".into(), tb.host_in.ready.val() as u64),
        ("inject_in$ready".into(), tb.inject_in.ready.val() as u64),
        ("punt_host".into(), tb.punt_host.val() as u64),
        ("punt_reason".into(), tb.punt_reason.val().to_u64()),
        ("mg_ready".into(), tb.mg_ready.val() as u64),
        ("mg_rvalid".into(), tb.mg_rvalid.val() as u64),
        ("mg_rhit".into(), tb.mg_rhit.val() as u64),
    ];
    for (k, w) in tb.mg_rw.iter().enumerate() {
        v.push((format!("mg_rw${k}"), w.val().0 as u64));
    }
    for (p, s) in [
        ("wire_out", &tb.wire_out),
        ("host_out", &tb.host_out),
        ("punt_out", &tb.punt_out),
    ] {
        v.push((format!("{p}$valid"), s.valid.val() as u64));
        v.push((format!("{p}$data_lo"), s.data_lo.val().0 as u64));
        v.push((format!("{p}$data_hi"), s.data_hi.val().0 as u64));
        v.push((format!("{p}$keep"), s.keep.val().to_u64()));
        v.push((format!("{p}$last"), s.last.val() as u64));
    }
    for (n, x) in [
        ("dec_valid", &tb.dec_valid),
        ("dec_host", &tb.dec_host),
        ("gen_two", &tb.gen_two),
        ("ev_valid", &tb.ev_valid),
        ("ev_proxied", &tb.ev_proxied),
    ] {
        v.push((n.into(), x.val() as u64));
    }
    for (n, x) in [
        ("ev_slot", &tb.ev_slot),
        ("ev_old", &tb.ev_old),
        ("ev_new", &tb.ev_new),
        ("occupancy", &tb.occupancy),
        ("pending", &tb.pending),
    ] {
        v.push((n.into(), x.val().0 as u64));
    }
    for k in 0..3 {
        v.push((format!("ev_key${k}"), tb.ev_key[k].val().0 as u64));
    }
    for (i, c) in tb.cnt.iter().enumerate() {
        v.push((format!("cnt${i}"), c.val() as u64));
    }
    for (i, c) in tb.cnt_hi.iter().enumerate() {
        v.push((format!("cnt_hi${i}"), c.val() as u64));
    }
    v
}

/// The per-cycle inputs and outputs of a run, for the Verilator replay.
type Trace = Vec<TraceRow>;

/// Streams `total` frames through the data path, checking everything against the model;
/// returns the model's counters and, when `trace`, every cycle's inputs and outputs.
fn run(total: usize, seed: u64, trace: bool) -> (Nic, Trace) {
    let mut cycles: Trace = Vec::new();
    let cfg = config();
    let mut nic = Nic::new(
        cfg.clone(),
        Geometry {
            buckets: 16,
            ways: 4,
        },
    );
    let mut tb = Testbench::new(PipelineTest::default(), |t| &mut t.clock).unwrap();
    hdl::drive_config!(tb, &cfg);
    let mut traffic = Traffic::new(seed);
    let mut rng = XorShift64::new(seed + 1);
    let mut drv = [
        StreamDriver::new(seed + 2, 15),
        StreamDriver::new(seed + 3, 15),
    ];
    let mut bp = [
        Backpressure::new(seed + 4, 85),
        Backpressure::new(seed + 5, 85),
    ];
    // Frames sent on each port, not yet decided.
    let mut sent: [VecDeque<Vec<u8>>; 2] = Default::default();
    let mut out: [Output; 3] = Default::default();
    // The reasons of the punted frames expected on punt_out, per ingress port, in order (the
    // frames themselves wait in out[2]: the wire port's as `fwd`, the host port's as `gen`).
    let mut punts: [VecDeque<u64>; 2] = Default::default();
    // Frames the "firmware" injects, and the one in the inject driver.
    let mut inj_drv = StreamDriver::new(seed + 6, 30);
    let mut inj_host = false;
    let mut injected = 0usize;
    let mut hw_counts = [0u64; Counter::COUNT];
    let (mut offered, mut decided) = (0usize, 0usize);
    let mut now = Instant::from_secs(1_000_000);
    let mut batch_end = 0usize;
    drive_time(&mut tb, now);
    while decided < total
        || !inj_drv.is_idle()
        || out
            .iter()
            .any(|o| !o.fwd.is_empty() || !o.gen.is_empty() || !o.inj.is_empty())
    {
        assert!(
            tb.cycles() < 200 * total as u64,
            "stuck: {offered} offered, {decided} decided"
        );
        // Time moves between batches of frames, with the pipeline drained, so each frame's
        // device time is known.
        if decided == offered && offered == batch_end && offered < total {
            now = Instant(now.0 + 1_000_000 + rng.below(40_000_000));
            drive_time(&mut tb, now);
            batch_end = (offered + 1 + rng.below(40) as usize).min(total);
        }
        if offered < batch_end && drv.iter().all(|d| d.is_idle()) {
            let (from_host, frame) = traffic.next_frame();
            drv[from_host as usize].push_frame(&frame);
            sent[from_host as usize].push_back(frame);
            offered += 1;
        }
        // Now and then the firmware injects a frame (a keepalive probe, an RST) to a port.
        if inj_drv.is_idle() && offered < total && rng.chance(1) {
            let (_, f) = traffic.next_frame();
            inj_host = rng.chance(50);
            inj_drv.push_frame(&f);
            out[inj_host as usize].inj.push_back(f);
            injected += 1;
        }
        drv[0].drive(&mut tb.wire_in);
        drv[1].drive(&mut tb.host_in);
        inj_drv.drive(&mut tb.inject_in);
        tb.inject_host.next = inj_host;
        tb.wire_out.ready.next = bp[0].ready();
        tb.host_out.ready.next = bp[1].ready();
        tb.punt_out.ready.next = bp[0].ready();
        tb.settle();
        drv[0].handshake(&tb.wire_in);
        drv[1].handshake(&tb.host_in);
        inj_drv.handshake(&tb.inject_in);
        out[0].take("wire_out", &tb.wire_out);
        out[1].take("host_out", &tb.host_out);
        if tb.punt_out.valid.val() && tb.punt_out.ready.val() && tb.punt_out.last.val() {
            let host = tb.punt_host.val();
            // The frame must be the next punted one of its own port.
            let queue = if host { &out[2].gen } else { &out[2].fwd };
            let mut beats = out[2].beats.clone();
            beats.push(Beat {
                lo: tb.punt_out.data_lo.val().0,
                hi: tb.punt_out.data_hi.val().0,
                keep: tb.punt_out.keep.val().to_u64() as u8,
                last: true,
            });
            assert_eq!(
                queue.front(),
                Some(&beats_to_frame(&beats)),
                "punted frame {}: not the next of its port",
                out[2].frames
            );
            let want = punts[host as usize].pop_front();
            assert_eq!(
                Some(tb.punt_reason.val().to_u64()),
                want,
                "punted frame {}: reason",
                out[2].frames
            );
        }
        out[2].take("punt_out", &tb.punt_out);
        let ins = if trace { inputs(&tb) } else { Vec::new() };
        tb.step();
        if trace {
            cycles.push((ins, outputs(&tb)));
        }
        if tb.dec_valid.val() {
            // The model decides the same frame now: the hardware's order is the model's.
            let host = tb.dec_host.val();
            let frame = sent[host as usize]
                .pop_front()
                .expect("a decision for no frame");
            let mut f = frame.clone();
            let port = if host { Port::Host } else { Port::Wire };
            let o = nic.process(port, &mut f, now);
            traffic.observe(&frame, &o);
            if o.passes() {
                out[(!host) as usize].fwd.push_back(f);
            }
            if let proto::decision::Verdict::Punt(r) = o.verdict {
                let code = match r {
                    proto::decision::PuntReason::Ipv4Fragment => hdl::decision::P_FRAGMENT,
                    proto::decision::PuntReason::Ipv6 => hdl::decision::P_IPV6,
                    proto::decision::PuntReason::Malformed => hdl::decision::P_MALFORMED,
                };
                if host {
                    out[2].gen.push_back(frame.clone());
                } else {
                    out[2].fwd.push_back(frame.clone());
                }
                punts[host as usize].push_back(code as u64);
            }
            for r in &o.replies {
                out[(r.port == Port::Host) as usize]
                    .gen
                    .push_back(r.frame.as_slice().to_vec());
            }
            let want: Vec<_> = nic
                .drain_events()
                .map(|t| (t.key, t.old.code() as u32, t.new.code() as u32, t.slot))
                .collect();
            let got: Vec<_> = hdl::transition_event!(tb).into_iter().collect();
            assert_eq!(got, want, "decision {decided}: event");
            let pulses = tb.cnt.iter().chain(tb.cnt_hi.iter());
            for (n, p) in hw_counts.iter_mut().zip(pulses) {
                *n += p.val() as u64;
            }
            hw_counts[Counter::FramesGenerated as usize] += tb.gen_two.val() as u64;
            decided += 1;
        }
    }
    assert!(sent.iter().all(|s| s.is_empty()));
    assert!(punts.iter().all(|p| p.is_empty()));
    assert!(
        injected > 0 && out[2].frames > 0,
        "nothing injected or punted"
    );
    for c in Counter::ALL {
        assert_eq!(
            hw_counts[*c as usize],
            nic.counter(*c),
            "counter {}",
            c.name()
        );
    }
    let n = |c: Counter| nic.counter(c);
    println!(
        "{total} frames in {} clocks: {} out by the wire, {} by the host, {} punted, {injected} injected; {:?}",
        tb.cycles(),
        out[0].frames,
        out[1].frames,
        out[2].frames,
        Counter::ALL
            .iter()
            .filter(|c| n(**c) != 0)
            .map(|c| (c.name(), n(*c)))
            .collect::<Vec<_>>()
    );
    (nic, cycles)
}

#[test]
fn data_path_equals_the_model_frame_for_frame() {
    let (nic, _) = run(1500, 0x0f1e_2d3c, false);
    let n = |c: Counter| nic.counter(c);
    for c in [
        Counter::FramesRewritten,
        Counter::SyncookiesSent,
        Counter::SynproxyHandoffs,
        Counter::TCPChallengeACK,
        Counter::FramesDropped,
        Counter::NonTcpPassed,
    ] {
        assert!(n(c) > 0, "the traffic never reached {}", c.name());
    }
}

#[test]
fn data_path_matches_verilator_cycle_for_cycle() {
    let (_, trace) = run(400, 0x0bad_cafe, true);
    let cycles = replay("pipeline_16x4", &trace);
    println!("pipeline_16x4 differential: {cycles} cycles equal");
}
