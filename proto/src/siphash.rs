//! SipHash-2-4, written round by round the way the hardware pipeline computes it.
//!
//! Bit-compatible with Linux `lib/siphash.c` / `include/linux/siphash.h` (`siphash()`,
//! `siphash_2u64()`, `siphash_4u32()`) and with the SipHash paper (Aumasson & Bernstein, 2012).
//!
//! The HDL mirrors [`SipState`] one [`SipState::sip_round`] per pipeline stage:
//! * [`SipState::new`] — Linux `PREAMBLE`: the four constants xored with the key
//!   (`key[0]` into v0/v2, `key[1]` into v1/v3).
//! * [`SipState::compress`] — one message word: `v3 ^= m`, 2 SipRounds, `v0 ^= m`.
//! * [`SipState::finish`] — Linux `POSTAMBLE` after the final block: `v2 ^= 0xff`, 4 SipRounds,
//!   `v0 ^ v1 ^ v2 ^ v3`.
//!
//! A message of `len` bytes is `len / 8` little-endian words followed by the final block
//! `(len << 56) | (remaining 0..7 bytes, little-endian)`, which is compressed like any other word.
//! The fixed-size Linux helpers are therefore: [`siphash_2u64`] = 3 compressions (a, b,
//! `16 << 56`) + finalization = 10 SipRounds; [`siphash_4u32`] is [`siphash_2u64`] over
//! `(b << 32 | a, d << 32 | c)`.

use crate::config::Key128;

/// `SIPHASH_CONST_0..3` ("somepseudorandomlygeneratedbytes").
pub const SIPHASH_CONST: [u64; 4] = [
    0x736f_6d65_7073_6575,
    0x646f_7261_6e64_6f6d,
    0x6c79_6765_6e65_7261,
    0x7465_6462_7974_6573,
];

/// The four 64-bit SipHash state words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SipState {
    pub v0: u64,
    pub v1: u64,
    pub v2: u64,
    pub v3: u64,
}

impl SipState {
    /// Linux `PREAMBLE`: v0 = C0 ^ k0, v1 = C1 ^ k1, v2 = C2 ^ k0, v3 = C3 ^ k1.
    pub const fn new(key: &Key128) -> Self {
        SipState {
            v0: SIPHASH_CONST[0] ^ key[0],
            v1: SIPHASH_CONST[1] ^ key[1],
            v2: SIPHASH_CONST[2] ^ key[0],
            v3: SIPHASH_CONST[3] ^ key[1],
        }
    }

    /// One SipRound (Linux `SIPHASH_PERMUTATION`), one hardware pipeline stage.
    pub fn sip_round(&mut self) {
        self.v0 = self.v0.wrapping_add(self.v1);
        self.v1 = self.v1.rotate_left(13);
        self.v1 ^= self.v0;
        self.v0 = self.v0.rotate_left(32);
        self.v2 = self.v2.wrapping_add(self.v3);
        self.v3 = self.v3.rotate_left(16);
        self.v3 ^= self.v2;
        self.v0 = self.v0.wrapping_add(self.v3);
        self.v3 = self.v3.rotate_left(21);
        self.v3 ^= self.v0;
        self.v2 = self.v2.wrapping_add(self.v1);
        self.v1 = self.v1.rotate_left(17);
        self.v1 ^= self.v2;
        self.v2 = self.v2.rotate_left(32);
    }

    /// Absorb one 64-bit message word (c = 2 rounds): `v3 ^= m; SipRound x2; v0 ^= m`.
    pub fn compress(&mut self, m: u64) {
        self.v3 ^= m;
        self.sip_round();
        self.sip_round();
        self.v0 ^= m;
    }

    /// Finalization (d = 4 rounds): `v2 ^= 0xff; SipRound x4; v0 ^ v1 ^ v2 ^ v3`.
    /// The final length block must already have been [`compress`](Self::compress)ed.
    pub fn finish(mut self) -> u64 {
        self.v2 ^= 0xff;
        self.sip_round();
        self.sip_round();
        self.sip_round();
        self.sip_round();
        (self.v0 ^ self.v1) ^ (self.v2 ^ self.v3)
    }
}

/// The final block of a `len`-byte message whose last `tail.len()` (< 8) bytes are `tail`:
/// `(len << 56) | tail as little-endian` (only the low 8 bits of `len` survive, as in Linux).
pub fn final_block(len: usize, tail: &[u8]) -> u64 {
    let mut b = (len as u64) << 56;
    for (i, byte) in tail.iter().take(7).enumerate() {
        b |= (*byte as u64) << (8 * i);
    }
    b
}

/// SipHash-2-4 of an arbitrary byte string (Linux `siphash()`; the reference algorithm).
pub fn siphash24(key: &Key128, msg: &[u8]) -> u64 {
    let mut s = SipState::new(key);
    let mut words = msg.chunks_exact(8);
    for w in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(w);
        s.compress(u64::from_le_bytes(bytes));
    }
    s.compress(final_block(msg.len(), words.remainder()));
    s.finish()
}

/// Linux `siphash_2u64(first, second, key)`: the 16-byte message `first LE | second LE`.
pub fn siphash_2u64(a: u64, b: u64, key: &Key128) -> u64 {
    let mut s = SipState::new(key);
    s.compress(a);
    s.compress(b);
    s.compress(16u64 << 56);
    s.finish()
}

/// Linux `siphash_4u32(a, b, c, d, key)` = `siphash_2u64((u64)b << 32 | a, (u64)d << 32 | c)`:
/// the 16-byte message `a LE | b LE | c LE | d LE`.
pub fn siphash_4u32(a: u32, b: u32, c: u32, d: u32, key: &Key128) -> u64 {
    siphash_2u64(
        ((b as u64) << 32) | a as u64,
        ((d as u64) << 32) | c as u64,
        key,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::hash::Hasher;
    use siphasher::sip::SipHasher24;

    /// Deterministic splitmix64 stream for "random-ish" inputs.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }

    fn reference(key: &Key128, msg: &[u8]) -> u64 {
        let mut h = SipHasher24::new_with_keys(key[0], key[1]);
        h.write(msg);
        h.finish()
    }

    const PAPER_KEY: Key128 = [0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908];

    #[test]
    fn paper_test_vector() {
        let msg: [u8; 15] = core::array::from_fn(|i| i as u8);
        assert_eq!(siphash24(&PAPER_KEY, &msg), 0xa129_ca61_49be_45e5);
        assert_eq!(reference(&PAPER_KEY, &msg), 0xa129_ca61_49be_45e5);
    }

    #[test]
    fn paper_key_all_lengths_0_to_63() {
        let msg: [u8; 64] = core::array::from_fn(|i| i as u8);
        for len in 0..64 {
            assert_eq!(
                siphash24(&PAPER_KEY, &msg[..len]),
                reference(&PAPER_KEY, &msg[..len]),
                "len {len}"
            );
        }
    }

    #[test]
    fn siphash24_matches_siphasher_random() {
        let mut rng = Rng(1);
        let mut buf = [0u8; 200];
        for round in 0..4000 {
            let key = [rng.next(), rng.next()];
            let len = (rng.next() % 200) as usize;
            for b in buf.iter_mut().take(len) {
                *b = rng.next() as u8;
            }
            assert_eq!(
                siphash24(&key, &buf[..len]),
                reference(&key, &buf[..len]),
                "round {round} len {len}"
            );
        }
    }

    #[test]
    fn siphash_2u64_matches_siphasher() {
        let mut rng = Rng(2);
        for _ in 0..4000 {
            let key = [rng.next(), rng.next()];
            let (a, b) = (rng.next(), rng.next());
            let mut msg = [0u8; 16];
            msg[..8].copy_from_slice(&a.to_le_bytes());
            msg[8..].copy_from_slice(&b.to_le_bytes());
            assert_eq!(siphash_2u64(a, b, &key), reference(&key, &msg));
            assert_eq!(siphash_2u64(a, b, &key), siphash24(&key, &msg));
        }
    }

    #[test]
    fn siphash_4u32_matches_siphasher() {
        let mut rng = Rng(3);
        for _ in 0..4000 {
            let key = [rng.next(), rng.next()];
            let w = [
                rng.next() as u32,
                rng.next() as u32,
                rng.next() as u32,
                rng.next() as u32,
            ];
            let mut msg = [0u8; 16];
            for (i, x) in w.iter().enumerate() {
                msg[4 * i..4 * i + 4].copy_from_slice(&x.to_le_bytes());
            }
            assert_eq!(
                siphash_4u32(w[0], w[1], w[2], w[3], &key),
                reference(&key, &msg)
            );
        }
    }

    #[test]
    fn round_by_round_equals_helpers() {
        // Ten SipRounds in total for a 16-byte message: 2 + 2 + 2 compression, 4 finalization.
        let key = [0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210];
        let mut s = SipState::new(&key);
        let mut rounds = 0;
        for m in [0x1111u64, 0x2222, 16 << 56] {
            s.v3 ^= m;
            s.sip_round();
            s.sip_round();
            rounds += 2;
            s.v0 ^= m;
        }
        s.v2 ^= 0xff;
        for _ in 0..4 {
            s.sip_round();
            rounds += 1;
        }
        assert_eq!(rounds, 10);
        assert_eq!(
            s.v0 ^ s.v1 ^ s.v2 ^ s.v3,
            siphash_2u64(0x1111, 0x2222, &key)
        );
    }

    #[test]
    fn preamble_constants() {
        let s = SipState::new(&[0, 0]);
        assert_eq!(
            s,
            SipState {
                v0: 0x736f6d6570736575,
                v1: 0x646f72616e646f6d,
                v2: 0x6c7967656e657261,
                v3: 0x7465646279746573
            }
        );
        let s = SipState::new(&[1, 2]);
        assert_eq!(
            (s.v0, s.v1, s.v2, s.v3),
            (
                0x736f6d6570736574,
                0x646f72616e646f6f,
                0x6c7967656e657260,
                0x7465646279746571
            )
        );
    }
}
