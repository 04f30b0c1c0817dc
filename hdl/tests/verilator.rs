//! Verilator checks of the generated Verilog:
//! * lint: `verilator --lint-only -Wall` on every module `tcpoff-hdl-gen` writes, clean except the
//!   classes waived (with reasons) in `hdl/verilator/waivers.vlt`;
//! * differential: the generated Verilog, built with `hdl/verilator/harness.cpp`, and the rust-hdl
//!   simulation get the same stimulus and must agree on every output port on every cycle.
//!
//! Builds are cached in `target/tmp/hdl/verilator/<module>/` and redone when the Verilog, the
//! harness, the waivers or the Verilator version change. Without `verilator` on PATH these tests
//! fail (CI installs it), they do not skip.

mod common;

use common::verilated::{build, waivers, Model};
use common::{generated, require_tool};
use hdl::bram::Bram;
use hdl::lane::Lane;
use hdl::siphash_unit::{SipHashInput, SipHashUnit, SIPHASH_LATENCY};
use hdl::stream::XorShift64;
use hdl::testbench::Testbench;
use rust_hdl::prelude::*;
use std::process::Command;
use std::time::Instant;

#[test]
fn lint_all_generated_modules() {
    require_tool("verilator", "--version");
    let tops = hdl::verilog::tops();
    assert!(!tops.is_empty());
    for t in tops {
        let (path, _) = generated(t.name);
        let out = Command::new("verilator")
            .args(["--lint-only", "-Wall", "--top-module", t.name])
            .arg(waivers())
            .arg(&path)
            .output()
            .expect("run verilator");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && !text.contains("%Warning") && !text.contains("%Error"),
            "verilator --lint-only -Wall {} is not clean ({}):\n{text}",
            path.display(),
            out.status
        );
        println!(
            "lint {}: clean ({} lines)",
            t.name,
            std::fs::read_to_string(&path).unwrap().lines().count()
        );
    }
}

#[test]
fn siphash_unit_matches_verilator_cycle_for_cycle() {
    let model = build("siphash_unit");
    assert_eq!(
        Model::names(&model.inputs),
        [
            "in_valid", "in_tag", "k0_lo", "k0_hi", "k1_lo", "k1_hi", "m0_lo", "m0_hi", "m1_lo",
            "m1_hi"
        ]
    );
    assert_eq!(
        Model::names(&model.outputs),
        ["out_valid", "out_tag", "hash_lo", "hash_hi"]
    );
    // Random inputs, 70% valid, with runs of idle cycles and all-ones/all-zeros words.
    let mut rng = XorShift64::new(0xD1FF_0001);
    let n = 20_000;
    let mut stim = Vec::with_capacity(n + SIPHASH_LATENCY);
    for t in 0..n {
        let word = |rng: &mut XorShift64| match rng.below(16) {
            0 => 0,
            1 => u64::MAX,
            _ => rng.next_u64(),
        };
        stim.push(SipHashInput {
            valid: (t / 500) % 7 != 3 && rng.chance(70),
            tag: rng.next_u64() as u8,
            key: [word(&mut rng), word(&mut rng)],
            m: [word(&mut rng), word(&mut rng)],
        });
    }
    stim.extend(std::iter::repeat_n(
        SipHashInput::default(),
        SIPHASH_LATENCY,
    ));

    let mut tb = Testbench::new(SipHashUnit::default(), |u| &mut u.clock).unwrap();
    let mut sim = Vec::with_capacity(stim.len());
    let t0 = Instant::now();
    for inp in &stim {
        inp.drive(&mut tb);
        tb.step();
        sim.push(vec![
            u64::from(tb.out_valid.val()),
            tb.out_tag.val().to_u64(),
            u64::from(tb.hash_lo.val().0),
            u64::from(tb.hash_hi.val().0),
        ]);
    }
    let sim_secs = t0.elapsed().as_secs_f64();
    let rows: Vec<Vec<u64>> = stim
        .iter()
        .map(|i| {
            vec![
                u64::from(i.valid),
                u64::from(i.tag),
                i.key[0] & 0xFFFF_FFFF,
                i.key[0] >> 32,
                i.key[1] & 0xFFFF_FFFF,
                i.key[1] >> 32,
                i.m[0] & 0xFFFF_FFFF,
                i.m[0] >> 32,
                i.m[1] & 0xFFFF_FFFF,
                i.m[1] >> 32,
            ]
        })
        .collect();
    let t0 = Instant::now();
    let ver = model.run(&rows);
    let ver_secs = t0.elapsed().as_secs_f64();
    model.compare("siphash_unit", &sim, &ver);
    // The comparison is not vacuous: valid results came out and they are the right hashes.
    let valid: Vec<_> = sim.iter().enumerate().filter(|(_, o)| o[0] == 1).collect();
    assert!(valid.len() > n / 2);
    for (t, o) in valid {
        let i = &stim[t + 1 - SIPHASH_LATENCY];
        let h = proto::siphash::siphash_2u64(i.m[0], i.m[1], &i.key);
        assert_eq!((o[2], o[3]), (h & 0xFFFF_FFFF, h >> 32), "cycle {t}");
    }
    println!(
        "siphash_unit differential: {} cycles equal; rust-hdl {:.0} cycles/s, verilator (incl. I/O) {:.0} cycles/s",
        stim.len(),
        stim.len() as f64 / sim_secs,
        stim.len() as f64 / ver_secs
    );
}

#[test]
fn bram_matches_verilator_cycle_for_cycle() {
    let model = build("bram_512x32");
    assert_eq!(
        Model::names(&model.inputs),
        [
            "write_enable",
            "write_address",
            "write_data",
            "read_enable",
            "read_address"
        ]
    );
    assert_eq!(Model::names(&model.outputs), ["read_data"]);
    // Mostly a 16-word window so reads hit fresh writes, read-during-write included.
    let mut rng = XorShift64::new(0xB7A3_0001);
    let mut rows = Vec::new();
    let mut same_edge = 0;
    for _ in 0..20_000 {
        let addr = |rng: &mut XorShift64| {
            if rng.chance(80) {
                rng.below(16)
            } else {
                rng.below(512)
            }
        };
        let (we, wa, wd) = (
            u64::from(rng.chance(50)),
            addr(&mut rng),
            rng.next_u64() & 0xFFFF_FFFF,
        );
        let (re, ra) = (u64::from(rng.chance(80)), addr(&mut rng));
        same_edge += usize::from(we == 1 && re == 1 && wa == ra);
        rows.push(vec![we, wa, wd, re, ra]);
    }
    assert!(same_edge > 100, "stimulus must exercise read-during-write");
    let mut tb = Testbench::new(hdl::verilog::BramTest::default(), |b| &mut b.clock).unwrap();
    let mut sim = Vec::with_capacity(rows.len());
    for r in &rows {
        drive_bram(&mut tb, r);
        tb.step();
        sim.push(vec![u64::from(tb.read_data.val().0)]);
    }
    let ver = model.run(&rows);
    model.compare("bram_512x32", &sim, &ver);
    assert!(sim.iter().filter(|o| o[0] != 0).count() > rows.len() / 2);
}

fn drive_bram(b: &mut Bram<Lane, 9>, r: &[u64]) {
    b.write_enable.next = r[0] != 0;
    b.write_address.next = r[1].to_bits();
    b.write_data.next = Lane(r[2] as u32);
    b.read_enable.next = r[3] != 0;
    b.read_address.next = r[4].to_bits();
}
