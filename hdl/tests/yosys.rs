//! yosys synthesis of the generated Verilog for ECP5 (`synth_ecp5`) and Xilinx 7-series
//! (`synth_xilinx`): each run must complete, and the resource counts must show what the blocks
//! promise (the SipHash unit's documented register count, block RAM inferred as one `DP16KD` /
//! `RAMB18E1`). The counts are printed (`cargo test -p tcpoff-hdl --test yosys -- --nocapture`)
//! and kept in `target/tmp/hdl/yosys/<module>.<family>.stat`.
//!
//! Without `yosys` on PATH these tests fail (CI installs it), they do not skip.

mod common;

use common::yosys::{count, synth, Family};
use hdl::siphash_unit::{SIPHASH_LATENCY, SIPHASH_TAG_BITS};

/// The unit's state registers: 256 bits after each half-round stage but the last, less the v0 of
/// the last A stage (it cancels out of the hash), plus the 64-bit hash.
fn siphash_state_bits() -> u64 {
    (SIPHASH_LATENCY as u64 - 1) * 256 - 64 + 64
}

/// Message delay-line stages: m0 for three stages, m1 for seven (64 bits each).
const SIPHASH_MESSAGE_STAGES: u64 = 3 + 7;

/// The unit's documented registers: the state and hash, the message delay lines, and valid + tag
/// for every stage.
fn siphash_register_bits() -> u64 {
    siphash_state_bits()
        + SIPHASH_MESSAGE_STAGES * 64
        + SIPHASH_LATENCY as u64 * (1 + SIPHASH_TAG_BITS as u64)
}

#[test]
fn siphash_unit_ecp5() {
    let c = synth("siphash_unit", Family::Ecp5);
    assert_eq!(c.get("TRELLIS_FF"), Some(&siphash_register_bits()));
    assert!(count(&c, "LUT4") > 1000 && count(&c, "CCU2C") > 0, "{c:?}");
    assert_eq!(count(&c, "DP16KD") + count(&c, "TRELLIS_DPR16X4"), 0);
    println!(
        "siphash_unit ecp5: {} LUT4 + {} CCU2C (2 LUT4 each), {} FF, {} cells",
        c["LUT4"], c["CCU2C"], c["TRELLIS_FF"], c["total"]
    );
}

#[test]
fn siphash_unit_xilinx() {
    let c = synth("siphash_unit", Family::Xilinx);
    // Xilinx packs the delay lines (no reset, no enable) into shift registers: each of the 1 + 8
    // valid/tag lines (20 stages) into one SRLC32E, each bit of the m0 line (3 stages) into one
    // SRL16E and each bit of the m1 line (7 stages, tapped after 3) into two. Only the state and
    // hash registers stay flip-flops.
    let lanes = 1 + SIPHASH_TAG_BITS as u64;
    assert_eq!(count(&c, "SRLC32E"), lanes, "{c:?}");
    assert_eq!(count(&c, "SRL16E"), 3 * 64, "{c:?}");
    assert_eq!(count(&c, "FD"), siphash_state_bits(), "{c:?}");
    let luts = count(&c, "LUT");
    assert!(luts > 1000 && count(&c, "CARRY4") > 0, "{c:?}");
    assert_eq!(count(&c, "RAMB"), 0);
    println!(
        "siphash_unit xilinx: {luts} LUTs, {} CARRY4, {} FF + {} SRL16E + {} SRLC32E, {} cells",
        c["CARRY4"],
        count(&c, "FD"),
        c["SRL16E"],
        c["SRLC32E"],
        c["total"]
    );
}

#[test]
fn bram_ecp5_infers_one_dp16kd() {
    // Read-first: one DP16KD plus yosys's collision emulation (DP16KD leaves it undefined).
    let c = synth("bram_512x32", Family::Ecp5);
    assert_eq!(c.get("DP16KD"), Some(&1), "{c:?}");
    assert_eq!(count(&c, "TRELLIS_DPR16X4"), 0, "no LUT RAM: {c:?}");
    // Undefined collisions: the bare block RAM, nothing else.
    let n = synth("bram_512x32_norw", Family::Ecp5);
    assert_eq!(n.get("DP16KD"), Some(&1), "{n:?}");
    assert_eq!(n.get("total"), Some(&1), "only the DP16KD: {n:?}");
    println!(
        "bram 512x32 ecp5: read-first {} cells ({} LUT4, {} FF + 1 DP16KD); undefined-collision 1 DP16KD",
        c["total"],
        count(&c, "LUT4"),
        count(&c, "TRELLIS_FF")
    );
}

#[test]
fn bram_xilinx_infers_one_ramb18() {
    for name in ["bram_512x32", "bram_512x32_norw"] {
        let c = synth(name, Family::Xilinx);
        assert_eq!(count(&c, "RAMB18E1") + count(&c, "RAMB36E1"), 1, "{c:?}");
        assert_eq!(
            count(&c, "RAM32") + count(&c, "RAM64") + count(&c, "RAM128"),
            0
        );
        // Nothing but the RAM and the I/O buffers (a top-level synthesis adds IBUF/OBUF/BUFG).
        assert_eq!(count(&c, "LUT") + count(&c, "FD"), 0, "{name}: {c:?}");
    }
}
