//! [`Lane`] — a 32-bit signal type that simulates as a plain `u32`.
//!
//! rust-hdl's `Bits<32>` is correct but its `<<` and `>>` go through `BigUint` (an allocation per
//! shift), which makes rotate-heavy kernels such as SipHash simulate thousands of times slower than
//! the arithmetic they describe. `Lane` is a drop-in `Synth` type for 32-bit data:
//!
//! * in Verilog it is indistinguishable from `Bits<32>`: it declares as `[31:0]`, and because
//!   `#[hdl_gen]` translates operators *syntactically*, `a << 13` emits `a << 32'hd` whatever the
//!   Rust type;
//! * in simulation every operator is one `u32` instruction.
//!
//! Semantics follow Verilog on a 32-bit left-hand side: `+` wraps modulo 2^32; a shift by 32 or
//! more gives 0 (Rust would panic or mask the amount); `Lane + bool` adds a carry-in.
//!
//! Rules for kernels that use lanes (rust-hdl's generator drops parentheses and widens literals, see
//! the crate docs): keep every operand of an expression 32 bits wide so the Verilog expression is
//! evaluated at 32 bits, and parenthesise every sub-expression explicitly.

use rust_hdl::prelude::*;

/// A 32-bit value: `Bits<32>` in Verilog, `u32` in simulation. See the [module docs](self).
#[derive(Copy, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Lane(pub u32);

impl Synth for Lane {
    const BITS: usize = 32;

    fn descriptor() -> TypeDescriptor {
        TypeDescriptor {
            name: "Lane".into(),
            kind: TypeKind::Bits(32),
        }
    }

    fn vcd(self) -> VCDValue {
        Bits::<32>::from(self).into()
    }

    fn verilog(self) -> VerilogLiteral {
        Bits::<32>::from(self).into()
    }
}

impl From<u32> for Lane {
    #[inline(always)]
    fn from(x: u32) -> Self {
        Lane(x)
    }
}

impl From<Lane> for u32 {
    #[inline(always)]
    fn from(x: Lane) -> Self {
        x.0
    }
}

impl From<Bits<32>> for Lane {
    #[inline(always)]
    fn from(x: Bits<32>) -> Self {
        Lane(x.to_u32())
    }
}

impl From<Lane> for Bits<32> {
    #[inline(always)]
    fn from(x: Lane) -> Self {
        x.0.to_bits()
    }
}

impl std::fmt::LowerHex for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::LowerHex::fmt(&self.0, f)
    }
}

macro_rules! lane_binop {
    ($tr:ident, $method:ident, $body:expr) => {
        impl std::ops::$tr<Lane> for Lane {
            type Output = Lane;
            #[inline(always)]
            fn $method(self, rhs: Lane) -> Lane {
                Lane($body(self.0, rhs.0))
            }
        }
        impl std::ops::$tr<u32> for Lane {
            type Output = Lane;
            #[inline(always)]
            fn $method(self, rhs: u32) -> Lane {
                Lane($body(self.0, rhs))
            }
        }
    };
}

lane_binop!(Add, add, u32::wrapping_add);
lane_binop!(Sub, sub, u32::wrapping_sub);
lane_binop!(BitAnd, bitand, |a: u32, b: u32| a & b);
lane_binop!(BitOr, bitor, |a: u32, b: u32| a | b);
lane_binop!(BitXor, bitxor, |a: u32, b: u32| a ^ b);
// Verilog shifts by >= the width give 0.
lane_binop!(Shl, shl, |a: u32, b: u32| a.checked_shl(b).unwrap_or(0));
lane_binop!(Shr, shr, |a: u32, b: u32| a.checked_shr(b).unwrap_or(0));

/// `x + carry`: a carry-in, as Verilog zero-extends a 1-bit operand.
impl std::ops::Add<bool> for Lane {
    type Output = Lane;
    #[inline(always)]
    fn add(self, rhs: bool) -> Lane {
        Lane(self.0.wrapping_add(u32::from(rhs)))
    }
}

impl std::ops::Not for Lane {
    type Output = Lane;
    #[inline(always)]
    fn not(self) -> Lane {
        Lane(!self.0)
    }
}

/// Compare with a 32-bit literal (`x == 5_u32` is `x == 32'h5` in Verilog: equal widths).
impl PartialEq<u32> for Lane {
    #[inline(always)]
    fn eq(&self, rhs: &u32) -> bool {
        self.0 == *rhs
    }
}

impl PartialOrd<u32> for Lane {
    #[inline(always)]
    fn partial_cmp(&self, rhs: &u32) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_follow_verilog_32_bit_semantics() {
        let a = Lane(0xffff_fff0);
        assert_eq!(a + Lane(0x20), Lane(0x10));
        assert_eq!(a + true, Lane(0xffff_fff1));
        assert_eq!(Lane(1) << 31, Lane(0x8000_0000));
        assert_eq!(Lane(1) << 32, Lane(0));
        assert_eq!(Lane(0x8000_0000) >> 40, Lane(0));
        assert_eq!(!Lane(0), Lane(u32::MAX));
        assert_eq!(Lane(0x0f0f) ^ 0xffff, Lane(0xf0f0));
    }

    #[test]
    fn converts_to_and_from_bits() {
        let b: Bits<32> = Lane(0xdead_beef).into();
        assert_eq!(b.to_u32(), 0xdead_beef);
        assert_eq!(Lane::from(b), Lane(0xdead_beef));
        assert_eq!(Lane(0x1234).verilog().to_string(), "32'h1234");
    }
}
