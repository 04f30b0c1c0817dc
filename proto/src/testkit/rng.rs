//! xorshift64* (Marsaglia 2003, Vigna 2016): a tiny deterministic generator for workloads and
//! ISNs. Not cryptographic; chosen so that a seed reproduces a run exactly, without a `rand`
//! dependency.

/// The xorshift64* generator: 64 bits of state, never zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XorShift64Star {
    state: u64,
}

impl XorShift64Star {
    /// A generator for `seed`; the seed is mixed (SplitMix64's finaliser) so that nearby seeds
    /// give unrelated streams, and a zero state is avoided.
    pub fn new(seed: u64) -> XorShift64Star {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        XorShift64Star {
            state: if z == 0 { 0x2545_F491_4F6C_DD1D } else { z },
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift (Lemire), without modulo bias worth noting.
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..hi` (`lo < hi`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_bounded() {
        let mut a = XorShift64Star::new(7);
        let mut b = XorShift64Star::new(7);
        let xs: std::vec::Vec<u64> = (0..100).map(|_| a.below(10)).collect();
        let ys: std::vec::Vec<u64> = (0..100).map(|_| b.below(10)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|&x| x < 10));
        assert!(
            (0..10).all(|d| xs.contains(&d)),
            "every digit drawn in 100 tries"
        );
        assert_ne!(XorShift64Star::new(0).next_u64(), 0);
        assert_ne!(
            XorShift64Star::new(1).next_u64(),
            XorShift64Star::new(2).next_u64()
        );
    }
}
