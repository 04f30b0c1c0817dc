//! [`Bram`] — a simple dual-port block RAM: one write port, one registered read port, one clock.
//!
//! rust-hdl's own `RAM` simulates through a `BTreeMap` (a tree walk and possibly an allocation per
//! access); this block keeps its contents in a `Vec` and emits a hand-written Verilog memory that
//! yosys maps to block RAM (ECP5 `DP16KD`, Xilinx `RAMB18E1`/`RAMB36E1`).
//!
//! ## Interface (`Bram<D, A>`: words of type `D`, `2^A` of them)
//! * `clock` in; both ports act on its rising edge.
//! * Write port: `write_enable`, `write_address` (`Bits<A>`), `write_data` (`D`). On an edge with
//!   `write_enable`, `mem[write_address] <= write_data`.
//! * Read port: `read_enable`, `read_address` (`Bits<A>`), `read_data` (`D`, registered). On an
//!   edge with `read_enable`, `read_data <= mem[read_address]`; otherwise `read_data` holds. So the
//!   word addressed during cycle `t` is on `read_data` during cycle `t + 1`.
//! * **Read during write** to the same address on the same edge (a *collision*):
//!   * [`Bram::default`] returns the **old** word (read-first: the write lands after the read); a
//!     read of that address on the next edge sees the new word. Xilinx block RAM does this
//!     natively; ECP5's `DP16KD` does not define a collision between its two ports, so yosys adds
//!     emulation logic (measured for 512 x 32: 54 LUT4 + 75 FF + muxes next to the `DP16KD`).
//!   * [`Bram::collisions_undefined`] leaves the collision result undefined, as the RAM
//!     primitives do: the memory carries yosys's `no_rw_check` attribute and maps to the bare
//!     block RAM. The simulation **panics** on a collision (an enabled read and an enabled write
//!     of one address on one edge), so a design that uses this mode is proven, by its tests, never
//!     to rely on the result. Pipelines that read back recent writes forward them themselves (the
//!     connection table does) and can use this mode.
//! * Power-up: every word and `read_data` are zero (Verilog `initial`, which yosys turns into the
//!   block RAM's initial contents and the output register's init value).
//!
//! Keep `D` at most 32 bits wide for fast simulation (crate docs); wider words work but simulate
//! as bit arrays.
//!
//! ## Verilog
//! ```verilog
//! reg [W-1:0] mem [0:2**A-1];
//! always @(posedge clock) begin
//!    if (write_enable) mem[write_address] <= write_data;
//!    if (read_enable) read_data <= mem[read_address];
//! end
//! ```
//! plus the zeroing `initial` block (and `(* no_rw_check *)` on `mem` for
//! [`Bram::collisions_undefined`]). The non-blocking assignments give the read-first behaviour in
//! every simulator; yosys infers a synchronous-read memory with an enable and maps it to block
//! RAM (the `yosys` test checks the `DP16KD` / `RAMB` counts).

use rust_hdl::core::timing::TimingInfo;
use rust_hdl::prelude::*;

/// Largest supported address width (a 1M-word memory).
pub const MAX_ADDRESS_BITS: usize = 20;

/// Simple dual-port block RAM of `2^A` words of type `D`. See the [module docs](self).
#[derive(LogicBlock)]
pub struct Bram<D: Synth, const A: usize> {
    pub clock: Signal<In, Clock>,
    pub write_enable: Signal<In, Bit>,
    pub write_address: Signal<In, Bits<A>>,
    pub write_data: Signal<In, D>,
    pub read_enable: Signal<In, Bit>,
    pub read_address: Signal<In, Bits<A>>,
    pub read_data: Signal<Out, D>,
    /// The contents (simulation only; `_` keeps it out of the rust-hdl hierarchy).
    _mem: Vec<D>,
    /// [`Bram::collisions_undefined`].
    _collisions_undefined: bool,
}

impl<D: Synth, const A: usize> Default for Bram<D, A> {
    fn default() -> Self {
        assert!(
            (1..=MAX_ADDRESS_BITS).contains(&A),
            "Bram address width {A} outside 1..={MAX_ADDRESS_BITS}"
        );
        Bram {
            clock: Default::default(),
            write_enable: Default::default(),
            write_address: Default::default(),
            write_data: Default::default(),
            read_enable: Default::default(),
            read_address: Default::default(),
            read_data: Default::default(),
            _mem: vec![D::default(); 1 << A],
            _collisions_undefined: false,
        }
    }
}

impl<D: Synth, const A: usize> Bram<D, A> {
    /// Number of words.
    pub const DEPTH: usize = 1 << A;

    /// A RAM whose read-during-write result is undefined (no collision logic in hardware; the
    /// simulation panics on a collision). See the [module docs](self).
    pub fn collisions_undefined() -> Self {
        Bram {
            _collisions_undefined: true,
            ..Default::default()
        }
    }

    /// The word at `address`, read directly (a debug/test back door: no clock, no port).
    pub fn peek(&self, address: usize) -> D {
        self._mem[address]
    }
}

impl<D: Synth, const A: usize> Logic for Bram<D, A> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            // Read before write: a read of the address being written returns the old word.
            if self._collisions_undefined
                && self.read_enable.val()
                && self.write_enable.val()
                && self.read_address.val() == self.write_address.val()
            {
                panic!(
                    "Bram::collisions_undefined: read and write of address {:#x} on one edge",
                    self.read_address.val().index()
                );
            }
            if self.read_enable.val() {
                self.read_data.next = self._mem[self.read_address.val().index()];
            }
            if self.write_enable.val() {
                self._mem[self.write_address.val().index()] = self.write_data.val();
            }
        }
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
// Simple dual-port block RAM, {depth} x {width}; {collision}.
{attr}reg [{msb}:0] mem [0:{last}];
integer i;
initial begin
   for (i = 0; i < {depth}; i = i + 1) mem[i] = {zero};
   read_data = {zero};
end

always @(posedge clock) begin
   if (write_enable) mem[write_address] <= write_data;
   if (read_enable) read_data <= mem[read_address];
end",
            depth = Self::DEPTH,
            width = D::BITS,
            msb = D::BITS - 1,
            last = Self::DEPTH - 1,
            zero = D::default().verilog(),
            collision = if self._collisions_undefined {
                "read-during-write result undefined"
            } else {
                "read-during-write returns the old word"
            },
            attr = if self._collisions_undefined {
                "(* no_rw_check *) "
            } else {
                ""
            },
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "bram".into(),
            clock: "clock".into(),
            inputs: vec![
                "write_enable".into(),
                "write_address".into(),
                "write_data".into(),
                "read_enable".into(),
                "read_address".into(),
            ],
            outputs: vec!["read_data".into()],
        }]
    }
}
