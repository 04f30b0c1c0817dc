//! # tcpoff-hdl — the hardware pipeline, in rust-hdl
//!
//! Every block here is a rust-hdl `Block`: simulated in Rust by [`testbench::Testbench`] and
//! emitted as Verilog by `tcpoff-hdl-gen` for Verilator and yosys. The tests in `hdl/tests/`
//! check each block against its software model in `proto`, and the Rust simulation against
//! Verilator running the generated Verilog.
//!
//! ## Blocks
//! * [`siphash_unit`] — SipHash-2-4 of two 64-bit words, fully pipelined (one hash per clock,
//!   half a SipRound per stage).
//! * [`bram`] — simple dual-port block RAM (registered read) that infers ECP5 DP16KD / Xilinx
//!   RAMB18/RAMB36.
//! * [`parser`] — the header parser: one `HeaderRecord` per frame (Ethernet, 802.1Q, IPv4, TCP
//!   and its options with Linux semantics, checksums).
//! * [`cookie_unit`] — Linux IPv4 SYN-cookie generation and check plus the table hash H0, one
//!   request per clock (three SipHash units in parallel).
//! * [`policy_unit`] — the listener table and SYN-flood policy (`proto::policy`): cookie or
//!   track per SYN, cookie-ACK validation, II = 1.
//! * [`conn_table`] — the connection table: buckets x 4 ways in block RAM, II = 1, write-backs
//!   forwarded to the lookups behind them.
//! * [`editor`] — the frame editor: seq/ack/SACK/TS rewrites of SYN-proxied segments at full
//!   stream rate, with [`csum_update`] computing the new values and the RFC 1624 checksum.
//! * [`frame_fifo`] — a port's store-and-forward frame buffer: frames wait whole for their
//!   decision, then leave or are dropped in order.
//! * [`tracker_unit`] — the state and window unit: `proto::tracker` as fixed-latency logic on one
//!   entry.
//! * [`replygen`] — the reply generator: cookie SYN-ACKs, proxy SYN/ACKs and challenge ACKs built
//!   from one descriptor each, both checksums in hardware, streamed back to back.
//! * [`regs_block`] — BAR0's register block: headers, Identity, Config (live values out), Counters.
//!
//! ## Foundations
//! * [`lane`] — a 32-bit `Synth` type with `u32`-speed simulation.
//! * [`testbench`] — the fast single-threaded clock driver.
//! * [`stream`] — the 64-bit frame stream interfaces and the beat/byte helpers and drivers tests use.
//! * [`verilog`] — Verilog generation with stable module names.
//! * [`report`] — yosys resource counts and nextpnr-ecp5 Fmax of the generated modules.
//!
//! ## Writing kernels: rust-hdl 0.46 pitfalls (upstream is frozen; we work around them)
//! * The Verilog generator emits operators without parentheses, and Verilog's precedence differs
//!   from Rust's (`a & b == c` is `(a & b) == c` in Rust, `a & (b == c)` in Verilog):
//!   parenthesise every mixed bitwise/compare sub-expression.
//! * Integer literals become 32-bit Verilog literals, widening the expression (`x + 1 == y` wraps
//!   in Rust at the width of `x`, not in Verilog): compare equal widths only, via a `Local` signal.
//! * One array-index level per kernel; assign every written signal at the top of each kernel
//!   (otherwise yosys infers latches).
//! * `Bits<N>` above 32 bits simulates as a bit array, and `<<`, `>>`, `get_bits` allocate: keep
//!   hot fields at most 32 bits, use [`lane::Lane`] for shifted/rotated data, and use
//!   [`bram::Bram`] rather than rust-hdl's `RAM` (a `BTreeMap`).
//! * A `Local` signal's `.val()` is its `next`, i.e. the value assigned *earlier in the same kernel
//!   run*: assign a local before reading it (a read before the assignment sees the previous delta
//!   iteration's value and costs extra iterations). Written in order, chained locals are free:
//!   [`siphash_unit`] chains its locals in order and settles in 8 delta iterations per clock cycle.
#![forbid(unsafe_code)]

pub mod bram;
pub mod conn_table;
pub mod cookie_unit;
pub mod csum_update;
pub mod decision;
pub mod editor;
pub mod frame_fifo;
pub mod lane;
pub mod parser;
pub mod pipeline;
pub mod policy_unit;
pub mod regs_block;
pub mod replygen;
pub mod report;
pub mod siphash_unit;
pub mod stream;
pub mod testbench;
pub mod tracker_unit;
pub mod verilog;
pub mod word_queue;
