//! [`SipHashUnit`] — SipHash-2-4 of a 16-byte message (Linux `siphash_2u64` / `siphash_4u32`),
//! fully pipelined: one new input per clock, half a SipRound per stage, result after
//! [`SIPHASH_LATENCY`] = 20 clocks.
//!
//! ## Interface
//! * `clock` in. No reset: the pipeline's valid bits power up clear (DFF initial value 0).
//! * Throughput: one input per clock (initiation interval 1), no back-pressure, no stall.
//! * Inputs, sampled on every rising edge:
//!   * `in_valid` (1 bit), `in_tag` (`Bits<8>`, [`SIPHASH_TAG_BITS`]): carried alongside the hash
//!     unchanged;
//!   * `k0_lo, k0_hi, k1_lo, k1_hi` ([`Lane`]): the 128-bit key `[k0, k1]` as in
//!     `proto::config::Key128` (`k0 = k0_hi << 32 | k0_lo`). The key is sampled with the message,
//!     so every input may use a different key (the cookie unit alternates `key[0]`/`key[1]`);
//!   * `m0_lo, m0_hi, m1_lo, m1_hi` ([`Lane`]): the message of `siphash_2u64(m0, m1, key)`
//!     (`m0 = m0_hi << 32 | m0_lo`). For `siphash_4u32(a, b, c, d)` this is
//!     `m0_lo = a, m0_hi = b, m1_lo = c, m1_hi = d`; for the Linux IPv4 cookie hash see
//!     [`SipHashInput::cookie_v4`].
//! * Outputs, registered:
//!   * `out_valid`, `out_tag`: `in_valid`, `in_tag` delayed by [`SIPHASH_LATENCY`] clocks;
//!   * `hash_lo, hash_hi` ([`Lane`]): the 64-bit SipHash-2-4 (`hash = hash_hi << 32 | hash_lo`;
//!     the Linux cookie hash is `hash_lo`). When `out_valid` is clear the hash is that of whatever
//!     was on the inputs (the data path is not gated).
//! * Timing: an input presented during cycle `t` (sampled at the edge ending cycle `t`) is on the
//!   outputs during cycle `t + 20`. With [`crate::testbench::Testbench`]: set the inputs, `step()`;
//!   after the twentieth `step()` counted from that one (inclusive) the outputs show the result.
//!
//! ## Structure
//! SipHash-2-4 of 16 bytes is 10 SipRounds (2 per message block `m0`, `m1`, and the length block
//! `16 << 56`, then 4 of finalization). Each stage does **half a SipRound**: one level of two
//! independent 64-bit adds, then rotations (wiring) and one XOR level, so the longest
//! register-to-register path is one 64-bit carry chain and a LUT. The 64-bit state words are
//! native 64-bit signals ([`Word`]), so each add is one 64-bit carry chain (CCU2C / CARRY8); built
//! from two 32-bit lanes, the carry from the low to the high half would go out of one chain,
//! through a LUT and into the next (measured 140 MHz instead of 208 MHz for a lone registered
//! 64-bit add on ECP5). The ports stay 32-bit lanes.
//!
//! Stage `2k` is the first half ("A") of SipRound `k`, stage `2k + 1` the second ("B"):
//!
//! | half | adds | then (into the stage's registers) |
//! |---|---|---|
//! | A | `a0 = v0 + v1`, `a2 = v2 + v3` | `v0 = rotl(a0, 32)`, `v1 = rotl(v1, 13) ^ a0`, `v2 = a2`, `v3 = rotl(v3, 16) ^ a2` |
//! | B | `f2 = v2 + v1`, `d0 = v0 + v3` | `v0 = d0`, `v1 = rotl(v1, 17) ^ f2`, `v2 = rotl(f2, 32)`, `v3 = rotl(v3, 21) ^ d0` |
//!
//! What happens between rounds is folded into the XOR level of the stage before (or into the
//! first stage), so each stage's registers hold the state ready for the next half round:
//!
//! | stage | folded in |
//! |---|---|
//! | 0 (A of round 0) | before the adds: `v = PREAMBLE(key)`, `v3 ^= m0` |
//! | 3 (B of round 1) | `v0 ^= m0`, `v3 ^= m1` |
//! | 7 (B of round 3) | `v0 ^= m1`, `v3 ^= 16 << 56` (the length block) |
//! | 11 (B of round 5) | `v0 ^= 16 << 56`, `v2 ^= 0xff` (finalization) |
//! | 19 (B of round 9) | `hash = v0 ^ v1 ^ v2 ^ v3 = rotl(v1, 17) ^ rotl(v3, 21) ^ f2 ^ rotl(f2, 32)` (`d0` cancels: one add) |
//!
//! Registers: 19 x 256 state bits less the v0 of stage 18 (which only the cancelled `d0` would
//! read), 64 hash bits, 10 x 64 message bits (m0 for three stages, m1 for seven) and 20 x (1 + 8)
//! valid/tag bits: 5684 bits.
//!
//! Measured (`tcpoff-hdl-report siphash_unit`, docs/hdl.md): nextpnr-ecp5 Fmax 145 MHz on the 45k
//! part (the earlier one-SipRound-per-stage unit on lanes: 46 MHz); the critical path is stage
//! 0, whose `k1 ^ const ^ m0` takes a LUT before the `v2 + v3` carry chain.

use crate::lane::Lane;
use rust_hdl::prelude::*;

/// Clocks from an input's sampling edge to its result on the outputs (see the module docs): one
/// per half SipRound.
pub const SIPHASH_LATENCY: usize = 20;
/// Width of the tag carried alongside each input.
pub const SIPHASH_TAG_BITS: usize = 8;

/// Stages = half rounds.
const N: usize = SIPHASH_LATENCY;
/// SipRounds: one A stage and one B stage each.
const R: usize = N / 2;
/// B stages that hold a SipHash state (the last one holds the hash).
const RB: usize = R - 1;
/// Stages of the message delay lines: m0 is folded in at stage 3, m1 at stages 3 and 7.
const M0_STAGES: usize = 3;
const M1_STAGES: usize = 7;

/// A 64-bit SipHash state word: `Bits<64>` in Verilog, a `u64` in simulation (as [`Lane`] is for
/// 32 bits; rust-hdl's own `Bits<64>` simulates as a bit array). Operators follow Verilog on a
/// 64-bit left-hand side: `+` wraps, shifts by 64 or more give 0, and a [`Lane`] operand of `|`
/// is zero-extended. `Word::from(lane)` zero-extends, `Lane::from(word)` keeps the low half
/// (Verilog assignment semantics, so `.into()` translates to a plain assignment).
#[derive(Copy, Clone, Default, PartialEq, Eq, Hash, Debug)]
pub struct Word(pub u64);

impl Synth for Word {
    const BITS: usize = 64;

    fn descriptor() -> TypeDescriptor {
        TypeDescriptor {
            name: "Word".into(),
            kind: TypeKind::Bits(64),
        }
    }

    fn vcd(self) -> VCDValue {
        self.0.to_bits::<64>().into()
    }

    fn verilog(self) -> VerilogLiteral {
        self.0.into()
    }
}

impl From<Lane> for Word {
    #[inline(always)]
    fn from(x: Lane) -> Self {
        Word(u64::from(x.0))
    }
}

impl From<Word> for Lane {
    #[inline(always)]
    fn from(x: Word) -> Self {
        Lane(x.0 as u32)
    }
}

impl std::ops::Add<Word> for Word {
    type Output = Word;
    #[inline(always)]
    fn add(self, rhs: Word) -> Word {
        Word(self.0.wrapping_add(rhs.0))
    }
}

impl std::ops::BitXor<Word> for Word {
    type Output = Word;
    #[inline(always)]
    fn bitxor(self, rhs: Word) -> Word {
        Word(self.0 ^ rhs.0)
    }
}

impl std::ops::BitXor<u64> for Word {
    type Output = Word;
    #[inline(always)]
    fn bitxor(self, rhs: u64) -> Word {
        Word(self.0 ^ rhs)
    }
}

impl std::ops::BitOr<Word> for Word {
    type Output = Word;
    #[inline(always)]
    fn bitor(self, rhs: Word) -> Word {
        Word(self.0 | rhs.0)
    }
}

impl std::ops::BitOr<Lane> for Word {
    type Output = Word;
    #[inline(always)]
    fn bitor(self, rhs: Lane) -> Word {
        Word(self.0 | u64::from(rhs.0))
    }
}

impl std::ops::Shl<u32> for Word {
    type Output = Word;
    #[inline(always)]
    fn shl(self, rhs: u32) -> Word {
        Word(self.0.checked_shl(rhs).unwrap_or(0))
    }
}

impl std::ops::Shr<u32> for Word {
    type Output = Word;
    #[inline(always)]
    fn shr(self, rhs: u32) -> Word {
        Word(self.0.checked_shr(rhs).unwrap_or(0))
    }
}

/// The fully pipelined SipHash-2-4 unit. See the [module docs](self) for the interface.
#[derive(LogicBlock, Default)]
pub struct SipHashUnit {
    pub clock: Signal<In, Clock>,
    pub in_valid: Signal<In, Bit>,
    pub in_tag: Signal<In, Bits<SIPHASH_TAG_BITS>>,
    pub k0_lo: Signal<In, Lane>,
    pub k0_hi: Signal<In, Lane>,
    pub k1_lo: Signal<In, Lane>,
    pub k1_hi: Signal<In, Lane>,
    pub m0_lo: Signal<In, Lane>,
    pub m0_hi: Signal<In, Lane>,
    pub m1_lo: Signal<In, Lane>,
    pub m1_hi: Signal<In, Lane>,
    pub out_valid: Signal<Out, Bit>,
    pub out_tag: Signal<Out, Bits<SIPHASH_TAG_BITS>>,
    pub hash_lo: Signal<Out, Lane>,
    pub hash_hi: Signal<Out, Lane>,

    // ---- registers
    valid: [DFF<Bit>; N],
    tag: [DFF<Bits<SIPHASH_TAG_BITS>>; N],
    /// The state after the A half of round k (stage 2k); round 9 needs no v0 (it cancels out of
    /// the hash).
    ra0: [DFF<Word>; RB],
    ra1: [DFF<Word>; R],
    ra2: [DFF<Word>; R],
    ra3: [DFF<Word>; R],
    /// The state after the B half of round k (stage 2k + 1), for k < 9.
    rb0: [DFF<Word>; RB],
    rb1: [DFF<Word>; RB],
    rb2: [DFF<Word>; RB],
    rb3: [DFF<Word>; RB],
    /// m0 for stage 3 (index 2), m1 for stages 3 (index 2) and 7 (index 6).
    m0d: [DFF<Word>; M0_STAGES],
    m1d: [DFF<Word>; M1_STAGES],
    /// The hash (stage 19).
    h: DFF<Word>,

    // ---- entry locals: the high key and message lanes widened, then the 64-bit words
    k0h: Signal<Local, Word>,
    k1h: Signal<Local, Word>,
    m0h: Signal<Local, Word>,
    m1h: Signal<Local, Word>,
    k0: Signal<Local, Word>,
    k1: Signal<Local, Word>,
    m0: Signal<Local, Word>,
    m1: Signal<Local, Word>,

    // ---- A stages: the input state x, then `a0 = v0 + v1`, `a2 = v2 + v3`
    xa0: [Signal<Local, Word>; R],
    xa1: [Signal<Local, Word>; R],
    xa2: [Signal<Local, Word>; R],
    xa3: [Signal<Local, Word>; R],
    a0: [Signal<Local, Word>; R],
    a2: [Signal<Local, Word>; R],
    // ---- B stages (input state: the A registers): `f2 = v2 + v1`, `d0 = v0 + v3`
    f2: [Signal<Local, Word>; R],
    /// Not in the last stage, where it cancels out of the hash.
    d0: [Signal<Local, Word>; RB],
}

impl Logic for SipHashUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, h);
        for s in 0..N {
            self.valid[s].clock.next = self.clock.val();
            self.tag[s].clock.next = self.clock.val();
        }
        for k in 0..R {
            self.ra1[k].clock.next = self.clock.val();
            self.ra2[k].clock.next = self.clock.val();
            self.ra3[k].clock.next = self.clock.val();
        }
        for k in 0..RB {
            self.ra0[k].clock.next = self.clock.val();
            self.rb0[k].clock.next = self.clock.val();
            self.rb1[k].clock.next = self.clock.val();
            self.rb2[k].clock.next = self.clock.val();
            self.rb3[k].clock.next = self.clock.val();
        }
        for s in 0..M0_STAGES {
            self.m0d[s].clock.next = self.clock.val();
        }
        for s in 0..M1_STAGES {
            self.m1d[s].clock.next = self.clock.val();
        }

        // ---- the key and message as 64-bit words (`hi << 32 | lo`)
        self.k0h.next = self.k0_hi.val().into();
        self.k1h.next = self.k1_hi.val().into();
        self.m0h.next = self.m0_hi.val().into();
        self.m1h.next = self.m1_hi.val().into();
        self.k0.next = (self.k0h.val() << 32_u32) | self.k0_lo.val();
        self.k1.next = (self.k1h.val() << 32_u32) | self.k1_lo.val();
        self.m0.next = (self.m0h.val() << 32_u32) | self.m0_lo.val();
        self.m1.next = (self.m1h.val() << 32_u32) | self.m1_lo.val();

        // ---- valid, tag and message delay lines
        self.valid[0].d.next = self.in_valid.val();
        self.tag[0].d.next = self.in_tag.val();
        for s in 1..N {
            self.valid[s].d.next = self.valid[s - 1].q.val();
            self.tag[s].d.next = self.tag[s - 1].q.val();
        }
        self.m0d[0].d.next = self.m0.val();
        for s in 1..M0_STAGES {
            self.m0d[s].d.next = self.m0d[s - 1].q.val();
        }
        self.m1d[0].d.next = self.m1.val();
        for s in 1..M1_STAGES {
            self.m1d[s].d.next = self.m1d[s - 1].q.val();
        }

        // ---- A stage inputs: stage 0 from the ports (PREAMBLE, v3 ^= m0), stage 2k from 2k - 1
        self.xa0[0].next = self.k0.val() ^ 0x736f_6d65_7073_6575_u64;
        self.xa1[0].next = self.k1.val() ^ 0x646f_7261_6e64_6f6d_u64;
        self.xa2[0].next = self.k0.val() ^ 0x6c79_6765_6e65_7261_u64;
        self.xa3[0].next = (self.k1.val() ^ 0x7465_6462_7974_6573_u64) ^ self.m0.val();
        for k in 1..R {
            self.xa0[k].next = self.rb0[k - 1].q.val();
            self.xa1[k].next = self.rb1[k - 1].q.val();
            self.xa2[k].next = self.rb2[k - 1].q.val();
            self.xa3[k].next = self.rb3[k - 1].q.val();
        }

        // ---- A stages: v0 += v1; v2 += v3; v1 = rotl(v1, 13) ^ v0; v3 = rotl(v3, 16) ^ v2;
        // v0 = rotl(v0, 32)
        for k in 0..R {
            self.a0[k].next = self.xa0[k].val() + self.xa1[k].val();
            self.a2[k].next = self.xa2[k].val() + self.xa3[k].val();
            self.ra1[k].d.next =
                ((self.xa1[k].val() << 13_u32) | (self.xa1[k].val() >> 51_u32)) ^ self.a0[k].val();
            self.ra2[k].d.next = self.a2[k].val();
            self.ra3[k].d.next =
                ((self.xa3[k].val() << 16_u32) | (self.xa3[k].val() >> 48_u32)) ^ self.a2[k].val();
        }
        for k in 0..RB {
            self.ra0[k].d.next = (self.a0[k].val() << 32_u32) | (self.a0[k].val() >> 32_u32);
        }

        // ---- B stages: v2 += v1; v0 += v3; v1 = rotl(v1, 17) ^ v2; v3 = rotl(v3, 21) ^ v0;
        // v2 = rotl(v2, 32)
        for k in 0..R {
            self.f2[k].next = self.ra2[k].q.val() + self.ra1[k].q.val();
        }
        for k in 0..RB {
            self.d0[k].next = self.ra0[k].q.val() + self.ra3[k].q.val();
            self.rb0[k].d.next = self.d0[k].val();
            self.rb1[k].d.next = ((self.ra1[k].q.val() << 17_u32)
                | (self.ra1[k].q.val() >> 47_u32))
                ^ self.f2[k].val();
            self.rb2[k].d.next = (self.f2[k].val() << 32_u32) | (self.f2[k].val() >> 32_u32);
            self.rb3[k].d.next = ((self.ra3[k].q.val() << 21_u32)
                | (self.ra3[k].q.val() >> 43_u32))
                ^ self.d0[k].val();
        }
        // ... with the message words and constants folded in between rounds (module docs table).
        // Stage 3: v0 ^= m0, v3 ^= m1.
        self.rb0[1].d.next = self.d0[1].val() ^ self.m0d[2].q.val();
        self.rb3[1].d.next = (((self.ra3[1].q.val() << 21_u32) | (self.ra3[1].q.val() >> 43_u32))
            ^ self.d0[1].val())
            ^ self.m1d[2].q.val();
        // Stage 7: v0 ^= m1, v3 ^= 16 << 56.
        self.rb0[3].d.next = self.d0[3].val() ^ self.m1d[6].q.val();
        self.rb3[3].d.next = (((self.ra3[3].q.val() << 21_u32) | (self.ra3[3].q.val() >> 43_u32))
            ^ self.d0[3].val())
            ^ 0x1000_0000_0000_0000_u64;
        // Stage 11: v0 ^= 16 << 56, v2 ^= 0xff.
        self.rb0[5].d.next = self.d0[5].val() ^ 0x1000_0000_0000_0000_u64;
        self.rb2[5].d.next =
            ((self.f2[5].val() << 32_u32) | (self.f2[5].val() >> 32_u32)) ^ 0xff_u64;
        // Stage 19: v0 ^ v1 ^ v2 ^ v3 with v0 = d0 and v3 = rotl(v3, 21) ^ d0: d0 cancels.
        self.h.d.next = (((self.ra1[9].q.val() << 17_u32) | (self.ra1[9].q.val() >> 47_u32))
            ^ ((self.ra3[9].q.val() << 21_u32) | (self.ra3[9].q.val() >> 43_u32)))
            ^ (self.f2[9].val() ^ ((self.f2[9].val() << 32_u32) | (self.f2[9].val() >> 32_u32)));

        // ---- outputs
        self.out_valid.next = self.valid[19].q.val();
        self.out_tag.next = self.tag[19].q.val();
        self.hash_lo.next = self.h.q.val().into();
        self.hash_hi.next = (self.h.q.val() >> 32_u32).into();
    }
}

/// One input of the unit as plain Rust values (what tests and drivers put on the ports).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SipHashInput {
    pub valid: bool,
    pub tag: u8,
    /// `[k0, k1]`, as `proto::config::Key128`.
    pub key: [u64; 2],
    /// The message of `siphash_2u64(m[0], m[1], key)`.
    pub m: [u64; 2],
}

impl SipHashInput {
    /// `siphash_4u32(a, b, c, d, key)`: `m0 = b << 32 | a`, `m1 = d << 32 | c`.
    pub fn from_4u32(w: [u32; 4], key: [u64; 2]) -> Self {
        SipHashInput {
            valid: true,
            tag: 0,
            key,
            m: [
                (u64::from(w[1]) << 32) | u64::from(w[0]),
                (u64::from(w[3]) << 32) | u64::from(w[2]),
            ],
        }
    }

    /// The input of the Linux IPv4 `cookie_hash(saddr, daddr, sport, dport, count, c)` keyed with
    /// `key` (= `syncookie_secret[c]`); the cookie hash is the low 32 bits of the result
    /// (`hash_lo`). Conventions as `proto::cookie`: addresses in wire order, ports and count
    /// host-order. The words are what a little-endian host passes to `siphash_4u32`:
    /// `saddr` and `daddr` as LE integers, `(raw sport) << 16 | raw dport`, `count`.
    pub fn cookie_v4(
        key: [u64; 2],
        saddr: [u8; 4],
        daddr: [u8; 4],
        sport: u16,
        dport: u16,
        count: u32,
    ) -> Self {
        let raw16 = |p: u16| u32::from(u16::from_le_bytes(p.to_be_bytes()));
        Self::from_4u32(
            [
                u32::from_le_bytes(saddr),
                u32::from_le_bytes(daddr),
                (raw16(sport) << 16) | raw16(dport),
                count,
            ],
            key,
        )
    }

    /// Puts this input on the unit's ports (their `next` values).
    pub fn drive(&self, u: &mut SipHashUnit) {
        u.in_valid.next = self.valid;
        u.in_tag.next = u64::from(self.tag).to_bits();
        u.k0_lo.next = Lane(self.key[0] as u32);
        u.k0_hi.next = Lane((self.key[0] >> 32) as u32);
        u.k1_lo.next = Lane(self.key[1] as u32);
        u.k1_hi.next = Lane((self.key[1] >> 32) as u32);
        u.m0_lo.next = Lane(self.m[0] as u32);
        u.m0_hi.next = Lane((self.m[0] >> 32) as u32);
        u.m1_lo.next = Lane(self.m[1] as u32);
        u.m1_hi.next = Lane((self.m[1] >> 32) as u32);
    }
}

/// The unit's outputs as plain Rust values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SipHashOutput {
    pub valid: bool,
    pub tag: u8,
    pub hash: u64,
}

impl SipHashOutput {
    /// Reads the unit's output ports.
    pub fn read(u: &SipHashUnit) -> Self {
        SipHashOutput {
            valid: u.out_valid.val(),
            tag: u.out_tag.val().to_u32() as u8,
            hash: (u64::from(u.hash_hi.val().0) << 32) | u64::from(u.hash_lo.val().0),
        }
    }
}
