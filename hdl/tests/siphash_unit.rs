//! The pipelined SipHash unit against `proto::siphash` and the `siphasher` crate: random keys,
//! messages, valid bits and tags, one input per clock; every output cycle must show exactly the
//! input of [`SIPHASH_LATENCY`] cycles before, hashed.

use core::hash::Hasher;
use hdl::siphash_unit::{SipHashInput, SipHashOutput, SipHashUnit, SIPHASH_LATENCY};
use hdl::stream::XorShift64;
use hdl::testbench::Testbench;
use proto::cookie::cookie_hash_v4;
use proto::siphash::siphash_2u64;
use siphasher::sip::SipHasher24;
use std::time::Instant;

fn siphasher(key: [u64; 2], m: [u64; 2]) -> u64 {
    let mut h = SipHasher24::new_with_keys(key[0], key[1]);
    h.write(&m[0].to_le_bytes());
    h.write(&m[1].to_le_bytes());
    h.finish()
}

fn random_input(rng: &mut XorShift64, valid_percent: u64) -> SipHashInput {
    SipHashInput {
        valid: rng.next_u64() % 100 < valid_percent,
        tag: rng.next_u64() as u8,
        key: [rng.next_u64(), rng.next_u64()],
        m: [rng.next_u64(), rng.next_u64()],
    }
}

/// Feeds `inputs` one per clock (then idle cycles to drain) and checks every output cycle.
/// Returns (valid results checked, cycles, seconds).
fn run_and_check(inputs: &[SipHashInput]) -> (usize, u64, f64) {
    let mut tb = Testbench::new(SipHashUnit::default(), |u| &mut u.clock).unwrap();
    let idle = SipHashInput::default();
    let mut checked = 0;
    let t0 = Instant::now();
    for t in 0..inputs.len() + SIPHASH_LATENCY {
        inputs.get(t).unwrap_or(&idle).drive(&mut tb);
        tb.step();
        // After the step of cycle t the outputs show the input of cycle t + 1 - LATENCY.
        let out = SipHashOutput::read(&tb);
        match (t + 1)
            .checked_sub(SIPHASH_LATENCY)
            .and_then(|i| inputs.get(i))
        {
            Some(inp) => {
                assert_eq!(out.valid, inp.valid, "cycle {t}: valid");
                assert_eq!(out.tag, inp.tag, "cycle {t}: tag");
                // The data path is not gated: the hash is right whether or not valid is set.
                let want = siphash_2u64(inp.m[0], inp.m[1], &inp.key);
                assert_eq!(
                    out.hash, want,
                    "cycle {t}: hash of {inp:x?} (valid {})",
                    inp.valid
                );
                assert_eq!(want, siphasher(inp.key, inp.m), "proto vs siphasher");
                checked += usize::from(inp.valid);
            }
            // Power-up: nothing valid before the first input arrives.
            None => assert!(!out.valid, "cycle {t}: valid before any input"),
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "siphash_unit: {:.1} delta iterations per cycle",
        tb.deltas() as f64 / tb.cycles() as f64
    );
    (checked, tb.cycles(), secs)
}

#[test]
fn random_stream_matches_proto_and_siphasher() {
    let mut rng = XorShift64::new(0x5EED_0001);
    let inputs: Vec<_> = (0..20_000).map(|_| random_input(&mut rng, 80)).collect();
    let (checked, cycles, secs) = run_and_check(&inputs);
    assert!(checked > 15_000);
    println!(
        "siphash_unit: {checked} valid hashes in {cycles} cycles, {secs:.3} s = {:.0} cycles/s",
        cycles as f64 / secs
    );
}

#[test]
fn back_to_back_valid_and_edge_values() {
    // Every input valid, with all-zero / all-one words and keys mixed in.
    let mut rng = XorShift64::new(7);
    let special = [0u64, u64::MAX, 0xFFFF_FFFF, 0xFFFF_FFFF_0000_0000, 1 << 63];
    let mut inputs = Vec::new();
    for (i, &k0) in special.iter().enumerate() {
        for &k1 in &special {
            for &a in &special {
                inputs.push(SipHashInput {
                    valid: true,
                    tag: (inputs.len() as u8).wrapping_mul(37),
                    key: [k0, k1],
                    m: [a, special[(i + 1) % special.len()] ^ rng.next_u64()],
                });
            }
        }
    }
    let (checked, _, _) = run_and_check(&inputs);
    assert_eq!(checked, inputs.len());
}

#[test]
fn paper_vector_through_the_pipeline() {
    // SipHash paper key 00..0f over the 16 bytes 00..0f: 3f2acc7f57c29bdb (the paper's table,
    // length 16, as the little-endian u64).
    let key = [0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908];
    let m = [0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908];
    let mut tb = Testbench::new(SipHashUnit::default(), |u| &mut u.clock).unwrap();
    SipHashInput {
        valid: true,
        tag: 0xA5,
        key,
        m,
    }
    .drive(&mut tb);
    tb.step();
    SipHashInput::default().drive(&mut tb);
    for _ in 1..SIPHASH_LATENCY {
        assert!(!tb.out_valid.val(), "result before the documented latency");
        tb.step();
    }
    let out = SipHashOutput::read(&tb);
    assert!(out.valid);
    assert_eq!(out.tag, 0xA5);
    assert_eq!(out.hash, 0x3f2a_cc7f_57c2_9bdb);
    assert_eq!(out.hash, siphasher(key, m));
    tb.step();
    assert!(!tb.out_valid.val(), "one input, one result");
}

#[test]
fn linux_v4_cookie_hash_words() {
    // hash_lo of SipHashInput::cookie_v4 is proto's cookie_hash_v4, for both secrets.
    let mut rng = XorShift64::new(0xC00C1E);
    let secrets = [
        [rng.next_u64(), rng.next_u64()],
        [rng.next_u64(), rng.next_u64()],
    ];
    let mut inputs = Vec::new();
    let mut want = Vec::new();
    for i in 0..2000usize {
        let saddr = (rng.next_u64() as u32).to_be_bytes();
        let daddr = (rng.next_u64() as u32).to_be_bytes();
        let (sport, dport) = (rng.next_u64() as u16, rng.next_u64() as u16);
        let count = if i % 2 == 0 { 0 } else { rng.next_u64() as u32 };
        let c = i % 2;
        let mut inp = SipHashInput::cookie_v4(secrets[c], saddr, daddr, sport, dport, count);
        inp.tag = i as u8;
        inputs.push(inp);
        want.push(cookie_hash_v4(
            &secrets, saddr, daddr, sport, dport, count, c,
        ));
    }
    let mut tb = Testbench::new(SipHashUnit::default(), |u| &mut u.clock).unwrap();
    let mut got = Vec::new();
    for t in 0..inputs.len() + SIPHASH_LATENCY {
        inputs.get(t).copied().unwrap_or_default().drive(&mut tb);
        tb.step();
        let out = SipHashOutput::read(&tb);
        if out.valid {
            got.push((out.tag, out.hash as u32));
        }
    }
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(*g, (i as u8, *w), "cookie hash {i}");
    }
}
