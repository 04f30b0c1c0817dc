//! [`Testbench`] — a fast, single-threaded clocked driver for any rust-hdl [`Block`].
//!
//! rust-hdl's own `Simulation` runs each testbench in a thread and hands the circuit back and forth
//! over channels on every clock edge (~10K cycles/s). This driver calls the same evaluation
//! primitive (`Block::update_all` until nothing changes, as `rust_hdl::core::simulate::simulate`
//! does) directly, so its semantics are rust-hdl's and its speed is the circuit's.
//!
//! One [`Testbench::step`] is one clock cycle:
//! 1. drive the clock low and settle — this also propagates any inputs changed since the last step;
//! 2. drive the clock high and settle — every DFF samples the values settled in (1).
//!
//! The caller changes inputs only *between* steps, i.e. after the rising edge has settled, which is
//! how a synchronous upstream block behaves. After `step()` returns, registered outputs show the
//! values clocked in at that edge.
//!
//! ```
//! use hdl::siphash_unit::{SipHashUnit, SIPHASH_LATENCY};
//! use hdl::testbench::Testbench;
//! use rust_hdl::prelude::*;
//!
//! let mut tb = Testbench::new(SipHashUnit::default(), |u| &mut u.clock).unwrap();
//! tb.in_valid.next = true; // Deref to the circuit: set an input between steps
//! tb.step();
//! tb.in_valid.next = false;
//! tb.run(SIPHASH_LATENCY as u64 - 1);
//! assert!(tb.out_valid.val()); // the request comes out SIPHASH_LATENCY clocks later
//! assert_eq!(tb.cycles(), SIPHASH_LATENCY as u64);
//! ```

use rust_hdl::core::check_error::CheckError;
use rust_hdl::prelude::*;
use std::ops::{Deref, DerefMut};

/// How many delta iterations a settle may take before the circuit is declared oscillating.
pub const MAX_DELTAS: usize = 10_000;

/// Accessor for a block's clock input, e.g. `|u| &mut u.clock`.
pub type ClockFn<B> = fn(&mut B) -> &mut Signal<In, Clock>;

/// A clocked driver for the circuit `B`. Dereferences to `B` to set inputs and read outputs.
pub struct Testbench<B: Block> {
    uut: B,
    clock: ClockFn<B>,
    cycles: u64,
    deltas: u64,
}

impl<B: Block> Testbench<B> {
    /// Connects the circuit, runs rust-hdl's design checks (undriven signals, combinational loops,
    /// writes to inputs), and settles it with the clock low.
    pub fn new(mut uut: B, clock: ClockFn<B>) -> Result<Self, CheckError> {
        uut.connect_all();
        check_all(&uut)?;
        clock(&mut uut).next = false.into();
        let mut tb = Self {
            uut,
            clock,
            cycles: 0,
            deltas: 0,
        };
        tb.settle();
        Ok(tb)
    }

    /// Re-evaluates the circuit until no signal changes (after changing an input mid-cycle, to
    /// read a combinational output). Panics if it does not converge within [`MAX_DELTAS`].
    #[inline]
    pub fn settle(&mut self) {
        for _ in 0..MAX_DELTAS {
            self.uut.update_all();
            self.deltas += 1;
            if !self.uut.has_changed() {
                return;
            }
        }
        panic!("circuit did not settle within {MAX_DELTAS} delta iterations (combinational loop?)");
    }

    /// One clock cycle: clock low and settle, clock high and settle.
    #[inline]
    pub fn step(&mut self) {
        (self.clock)(&mut self.uut).next = false.into();
        self.settle();
        (self.clock)(&mut self.uut).next = true.into();
        self.settle();
        self.cycles += 1;
    }

    /// `n` clock cycles with the inputs unchanged.
    pub fn run(&mut self, n: u64) {
        for _ in 0..n {
            self.step();
        }
    }

    /// Holds a synchronous active-high reset input for `cycles` cycles, then releases it.
    pub fn reset(&mut self, reset: fn(&mut B) -> &mut Signal<In, Bit>, cycles: u64) {
        reset(&mut self.uut).next = true;
        self.run(cycles);
        reset(&mut self.uut).next = false;
    }

    /// Clock cycles stepped since construction.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Delta iterations (`update_all` calls over the whole circuit) since construction; divided by
    /// [`Testbench::cycles`] it says how deep the circuit's evaluation is.
    pub fn deltas(&self) -> u64 {
        self.deltas
    }

    /// The circuit, by value.
    pub fn into_inner(self) -> B {
        self.uut
    }
}

impl<B: Block> Deref for Testbench<B> {
    type Target = B;
    fn deref(&self) -> &B {
        &self.uut
    }
}

impl<B: Block> DerefMut for Testbench<B> {
    fn deref_mut(&mut self) -> &mut B {
        &mut self.uut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An 8-bit counter with a synchronous reset and a combinational `is_zero`.
    #[derive(LogicBlock, Default)]
    struct Counter {
        clock: Signal<In, Clock>,
        reset: Signal<In, Bit>,
        enable: Signal<In, Bit>,
        count: Signal<Out, Bits<8>>,
        is_zero: Signal<Out, Bit>,
        state: DFF<Bits<8>>,
    }

    impl Logic for Counter {
        #[hdl_gen]
        fn update(&mut self) {
            dff_setup!(self, clock, state);
            if self.reset.val() {
                self.state.d.next = 0.into();
            } else if self.enable.val() {
                self.state.d.next = self.state.q.val() + 1;
            }
            self.count.next = self.state.q.val();
            self.is_zero.next = self.state.q.val() == 0;
        }
    }

    #[test]
    fn counts_one_per_step_and_resets() {
        let mut tb = Testbench::new(Counter::default(), |u| &mut u.clock).unwrap();
        assert_eq!(tb.count.val(), 0);
        tb.enable.next = true;
        tb.run(5);
        assert_eq!(tb.count.val(), 5);
        assert!(!tb.is_zero.val());
        // Inputs change after the edge settled: the next edge sees them, not this one.
        tb.enable.next = false;
        tb.step();
        assert_eq!(tb.count.val(), 5);
        tb.enable.next = true;
        tb.run(251);
        assert_eq!(tb.count.val(), 0, "wraps at 8 bits");
        assert!(tb.is_zero.val());
        tb.run(3);
        tb.reset(|u| &mut u.reset, 2);
        assert_eq!(tb.count.val(), 0);
        tb.step();
        assert_eq!(tb.count.val(), 1);
        assert_eq!(tb.cycles(), 5 + 1 + 251 + 3 + 2 + 1);
    }

    #[test]
    fn reports_undriven_signals() {
        #[derive(LogicBlock, Default)]
        struct Open {
            clock: Signal<In, Clock>,
            out: Signal<Out, Bit>,
        }
        impl Logic for Open {
            fn update(&mut self) {}
        }
        assert!(Testbench::new(Open::default(), |u| &mut u.clock).is_err());
    }
}
