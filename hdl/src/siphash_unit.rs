//! [`SipHashUnit`] — SipHash-2-4 of a 16-byte message (Linux `siphash_2u64` / `siphash_4u32`),
//! fully pipelined: one new input per clock, one SipRound per stage, result after
//! [`SIPHASH_LATENCY`] clocks.
//!
//! ## Interface
//! * `clock` in. No reset: the pipeline's valid bits power up clear (DFF initial value 0).
//! * Inputs, sampled on every rising edge (no back-pressure, no stall):
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
//!   outputs during cycle `t + 10`. With [`crate::testbench::Testbench`]: set the inputs, `step()`;
//!   after the tenth `step()` counted from that one (inclusive) the outputs show the result.
//!
//! ## Structure
//! SipHash's 64-bit state words travel as lo/hi [`Lane`] pairs (a 64-bit add is two 32-bit adds
//! with a carry `(lo_sum < lo_a)`; a rotation by r < 32 is two shift-or pairs; by 32 a swap).
//! Stage `s` (0..9) computes SipRound `s`; what happens between rounds is folded into the stage
//! before (so each stage's registers hold the state ready for the next round):
//!
//! | stage | before the round | after the round (into the stage's registers) |
//! |---|---|---|
//! | 0 | `v = PREAMBLE(key)`, `v3 ^= m0` | — |
//! | 1 | — | `v0 ^= m0`, `v3 ^= m1` |
//! | 3 | — | `v0 ^= m1`, `v3 ^= 16 << 56` (the length block) |
//! | 5 | — | `v0 ^= 16 << 56`, `v2 ^= 0xff` (finalization) |
//! | 9 | — | `hash = v0 ^ v1 ^ v2 ^ v3` |
//!
//! Registers: 9 x 256 state bits, 64 hash bits, 4 x 64 message bits (m0 for one stage, m1 for
//! three), 10 x (1 + 8) valid/tag bits.

use crate::lane::Lane;
use rust_hdl::prelude::*;

/// Clocks from an input's sampling edge to its result on the outputs (see the module docs).
pub const SIPHASH_LATENCY: usize = 10;
/// Width of the tag carried alongside each input.
pub const SIPHASH_TAG_BITS: usize = 8;

/// Rounds = stages.
const N: usize = SIPHASH_LATENCY;
/// Stages that hold a SipHash state (the last stage holds the hash).
const NS: usize = SIPHASH_LATENCY - 1;

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
    v0l: [DFF<Lane>; NS],
    v0h: [DFF<Lane>; NS],
    v1l: [DFF<Lane>; NS],
    v1h: [DFF<Lane>; NS],
    v2l: [DFF<Lane>; NS],
    v2h: [DFF<Lane>; NS],
    v3l: [DFF<Lane>; NS],
    v3h: [DFF<Lane>; NS],
    /// m0 for stage 1.
    m0l: DFF<Lane>,
    m0h: DFF<Lane>,
    /// m1 for stages 1 (index 0) and 3 (index 2).
    m1l: [DFF<Lane>; 3],
    m1h: [DFF<Lane>; 3],
    hl: DFF<Lane>,
    hh: DFF<Lane>,

    // ---- per-stage round locals: the round's input state x, then its intermediate values
    x0l: [Signal<Local, Lane>; N],
    x0h: [Signal<Local, Lane>; N],
    x1l: [Signal<Local, Lane>; N],
    x1h: [Signal<Local, Lane>; N],
    x2l: [Signal<Local, Lane>; N],
    x2h: [Signal<Local, Lane>; N],
    x3l: [Signal<Local, Lane>; N],
    x3h: [Signal<Local, Lane>; N],
    /// `a0 = v0 + v1`
    a0l: [Signal<Local, Lane>; N],
    a0h: [Signal<Local, Lane>; N],
    /// `b1 = rotl(v1, 13) ^ a0`
    b1l: [Signal<Local, Lane>; N],
    b1h: [Signal<Local, Lane>; N],
    /// `a2 = v2 + v3`
    a2l: [Signal<Local, Lane>; N],
    a2h: [Signal<Local, Lane>; N],
    /// `b3 = rotl(v3, 16) ^ a2`
    b3l: [Signal<Local, Lane>; N],
    b3h: [Signal<Local, Lane>; N],
    /// `d0 = rotl(a0, 32) + b3` — the new v0
    d0l: [Signal<Local, Lane>; N],
    d0h: [Signal<Local, Lane>; N],
    /// `e3 = rotl(b3, 21) ^ d0` — the new v3
    e3l: [Signal<Local, Lane>; N],
    e3h: [Signal<Local, Lane>; N],
    /// `f2 = a2 + b1` — the new v2 is `rotl(f2, 32)`
    f2l: [Signal<Local, Lane>; N],
    f2h: [Signal<Local, Lane>; N],
    /// `g1 = rotl(b1, 17) ^ f2` — the new v1
    g1l: [Signal<Local, Lane>; N],
    g1h: [Signal<Local, Lane>; N],
}

impl Logic for SipHashUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, m0l, m0h, hl, hh);
        for s in 0..10 {
            self.valid[s].clock.next = self.clock.val();
            self.tag[s].clock.next = self.clock.val();
        }
        for s in 0..9 {
            self.v0l[s].clock.next = self.clock.val();
            self.v0h[s].clock.next = self.clock.val();
            self.v1l[s].clock.next = self.clock.val();
            self.v1h[s].clock.next = self.clock.val();
            self.v2l[s].clock.next = self.clock.val();
            self.v2h[s].clock.next = self.clock.val();
            self.v3l[s].clock.next = self.clock.val();
            self.v3h[s].clock.next = self.clock.val();
        }
        for s in 0..3 {
            self.m1l[s].clock.next = self.clock.val();
            self.m1h[s].clock.next = self.clock.val();
        }

        // ---- valid, tag and message delay lines
        self.valid[0].d.next = self.in_valid.val();
        self.tag[0].d.next = self.in_tag.val();
        for s in 1..10 {
            self.valid[s].d.next = self.valid[s - 1].q.val();
            self.tag[s].d.next = self.tag[s - 1].q.val();
        }
        self.m0l.d.next = self.m0_lo.val();
        self.m0h.d.next = self.m0_hi.val();
        self.m1l[0].d.next = self.m1_lo.val();
        self.m1h[0].d.next = self.m1_hi.val();
        for s in 1..3 {
            self.m1l[s].d.next = self.m1l[s - 1].q.val();
            self.m1h[s].d.next = self.m1h[s - 1].q.val();
        }

        // ---- round inputs: stage 0 from the ports (PREAMBLE, v3 ^= m0), stage s from stage s-1
        self.x0l[0].next = self.k0_lo.val() ^ 0x7073_6575_u32;
        self.x0h[0].next = self.k0_hi.val() ^ 0x736f_6d65_u32;
        self.x1l[0].next = self.k1_lo.val() ^ 0x6e64_6f6d_u32;
        self.x1h[0].next = self.k1_hi.val() ^ 0x646f_7261_u32;
        self.x2l[0].next = self.k0_lo.val() ^ 0x6e65_7261_u32;
        self.x2h[0].next = self.k0_hi.val() ^ 0x6c79_6765_u32;
        self.x3l[0].next = (self.k1_lo.val() ^ 0x7974_6573_u32) ^ self.m0_lo.val();
        self.x3h[0].next = (self.k1_hi.val() ^ 0x7465_6462_u32) ^ self.m0_hi.val();
        for s in 1..10 {
            self.x0l[s].next = self.v0l[s - 1].q.val();
            self.x0h[s].next = self.v0h[s - 1].q.val();
            self.x1l[s].next = self.v1l[s - 1].q.val();
            self.x1h[s].next = self.v1h[s - 1].q.val();
            self.x2l[s].next = self.v2l[s - 1].q.val();
            self.x2h[s].next = self.v2h[s - 1].q.val();
            self.x3l[s].next = self.v3l[s - 1].q.val();
            self.x3h[s].next = self.v3h[s - 1].q.val();
        }

        // ---- one SipRound per stage
        for s in 0..10 {
            // v0 += v1
            self.a0l[s].next = self.x0l[s].val() + self.x1l[s].val();
            self.a0h[s].next =
                (self.x0h[s].val() + self.x1h[s].val()) + (self.a0l[s].val() < self.x0l[s].val());
            // v1 = rotl(v1, 13) ^ v0
            self.b1l[s].next =
                ((self.x1l[s].val() << 13_u32) | (self.x1h[s].val() >> 19_u32)) ^ self.a0l[s].val();
            self.b1h[s].next =
                ((self.x1h[s].val() << 13_u32) | (self.x1l[s].val() >> 19_u32)) ^ self.a0h[s].val();
            // v2 += v3
            self.a2l[s].next = self.x2l[s].val() + self.x3l[s].val();
            self.a2h[s].next =
                (self.x2h[s].val() + self.x3h[s].val()) + (self.a2l[s].val() < self.x2l[s].val());
            // v3 = rotl(v3, 16) ^ v2
            self.b3l[s].next =
                ((self.x3l[s].val() << 16_u32) | (self.x3h[s].val() >> 16_u32)) ^ self.a2l[s].val();
            self.b3h[s].next =
                ((self.x3h[s].val() << 16_u32) | (self.x3l[s].val() >> 16_u32)) ^ self.a2h[s].val();
            // v0 = rotl(v0, 32) + v3
            self.d0l[s].next = self.a0h[s].val() + self.b3l[s].val();
            self.d0h[s].next =
                (self.a0l[s].val() + self.b3h[s].val()) + (self.d0l[s].val() < self.a0h[s].val());
            // v3 = rotl(v3, 21) ^ v0
            self.e3l[s].next =
                ((self.b3l[s].val() << 21_u32) | (self.b3h[s].val() >> 11_u32)) ^ self.d0l[s].val();
            self.e3h[s].next =
                ((self.b3h[s].val() << 21_u32) | (self.b3l[s].val() >> 11_u32)) ^ self.d0h[s].val();
            // v2 += v1
            self.f2l[s].next = self.a2l[s].val() + self.b1l[s].val();
            self.f2h[s].next =
                (self.a2h[s].val() + self.b1h[s].val()) + (self.f2l[s].val() < self.a2l[s].val());
            // v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
            self.g1l[s].next =
                ((self.b1l[s].val() << 17_u32) | (self.b1h[s].val() >> 15_u32)) ^ self.f2l[s].val();
            self.g1h[s].next =
                ((self.b1h[s].val() << 17_u32) | (self.b1l[s].val() >> 15_u32)) ^ self.f2h[s].val();
        }

        // ---- stage registers: the round's result ...
        for s in 0..9 {
            self.v0l[s].d.next = self.d0l[s].val();
            self.v0h[s].d.next = self.d0h[s].val();
            self.v1l[s].d.next = self.g1l[s].val();
            self.v1h[s].d.next = self.g1h[s].val();
            self.v2l[s].d.next = self.f2h[s].val();
            self.v2h[s].d.next = self.f2l[s].val();
            self.v3l[s].d.next = self.e3l[s].val();
            self.v3h[s].d.next = self.e3h[s].val();
        }
        // ... with the message words and constants folded in between rounds (module docs table).
        self.v0l[1].d.next = self.d0l[1].val() ^ self.m0l.q.val();
        self.v0h[1].d.next = self.d0h[1].val() ^ self.m0h.q.val();
        self.v3l[1].d.next = self.e3l[1].val() ^ self.m1l[0].q.val();
        self.v3h[1].d.next = self.e3h[1].val() ^ self.m1h[0].q.val();
        self.v0l[3].d.next = self.d0l[3].val() ^ self.m1l[2].q.val();
        self.v0h[3].d.next = self.d0h[3].val() ^ self.m1h[2].q.val();
        self.v3h[3].d.next = self.e3h[3].val() ^ 0x1000_0000_u32;
        self.v0h[5].d.next = self.d0h[5].val() ^ 0x1000_0000_u32;
        self.v2l[5].d.next = self.f2h[5].val() ^ 0xff_u32;
        // Stage 9: v0 ^ v1 ^ v2 ^ v3 (v2 = rotl(f2, 32)).
        self.hl.d.next =
            (self.d0l[9].val() ^ self.g1l[9].val()) ^ (self.f2h[9].val() ^ self.e3l[9].val());
        self.hh.d.next =
            (self.d0h[9].val() ^ self.g1h[9].val()) ^ (self.f2l[9].val() ^ self.e3h[9].val());

        // ---- outputs
        self.out_valid.next = self.valid[9].q.val();
        self.out_tag.next = self.tag[9].q.val();
        self.hash_lo.next = self.hl.q.val();
        self.hash_hi.next = self.hh.q.val();
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
