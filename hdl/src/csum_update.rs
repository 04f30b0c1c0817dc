//! [`CsumUpdate`] — the frame editor's edit computation: from one frame's parsed fields (old values
//! and their frame offsets) and its connection's offsets, the new seq / ack / SACK edges / TSval /
//! TSecr and the new TCP checksum by RFC 1624 incremental update. Pipelined, one request per clock,
//! [`CSUM_UPDATE_LATENCY`] clocks. Stage 1 of [`crate::editor::FrameEditor`].
//!
//! ## Interface
//! * `clock` in. No reset: the valid bits power up clear.
//! * `req` ([`EditRequestPort`]): `valid` in, `ready` out, the request's fields in (one request
//!   per frame, in frame order; [`EditRequest`] is the same as plain Rust values):
//!   * `op` (`EDIT_*`): which of `proto::synproxy`'s rewrites applies —
//!     [`EDIT_NONE`] (the frame passes unchanged), [`EDIT_TO_HOST`] (`translate_to_host`),
//!     [`EDIT_TO_WIRE`] (`translate_to_wire`), [`EDIT_REFUSAL`] (`translate_refusal`);
//!   * `seq_adj`, `ts_adj` ([`Lane`]): the entry's `seq_off` and `ts_off` (for `EDIT_REFUSAL`,
//!     `seq_adj` is the cookie: the pending entry's `seq_off`);
//!   * from the frame's [`crate::parser::HeaderRecord`]: `tcp_off`, `ack_flag` (flags & ACK),
//!     `seq`, `ack`, `ts_valid`, `ts_off` (frame offset of TSval), `tsval`, `tsecr`,
//!     `sack_blocks` (0..4), `sack_off` (frame offset of the first left edge), `csum` (the TCP
//!     checksum field, the record's `tcp_csum`) and `sack0 .. sack7`, the old SACK edges (left,
//!     right of block 0, then block 1, ...; those past `2 * sack_blocks` are don't-care, the
//!     record's are 0).
//!
//!   `ready` is `!out_valid || out_take` (combinational from `out_take`).
//! * Result (registers of the last stage), valid while `out_valid`, held until a clock with
//!   `out_take` high takes it: `edit` (the frame is rewritten), `tcp_off`, the new `seq`, `ack`,
//!   `csum` (16 bits), `ts` (the TS option is rewritten), `ts_off`, the new `tsval`, `tsecr`,
//!   `sack_len` (bytes of SACK edges rewritten: 8 per block, 0 for none), `sack_off`, and the new
//!   edges `sack[0..8]`. Fields that the rewrite leaves alone carry their old values.
//! * Timing: a request taken at the edge ending cycle `t` is on the outputs during cycle `t + 3`
//!   when the outputs were free; the whole pipeline stalls while a result waits (`out_valid &&
//!   !out_take`), so a steady consumer takes one result per clock (II = 1).
//!
//! ## What it computes (`proto::synproxy`, netfilter `nf_ct_seq_adjust`, `nf_ct_sack_adjust`,
//! `synproxy_tstamp_adjust`; linux-tcp.md §2.3)
//! * `EDIT_TO_HOST` (client -> host): `ack -= seq_off` if ACK is set, every SACK edge `-= seq_off`,
//!   `TSecr += ts_off`.
//! * `EDIT_TO_WIRE` (host -> client): `seq += seq_off`, `TSval -= ts_off`.
//! * `EDIT_REFUSAL` (the host's RST refusing the proxy's SYN): `seq = cookie + 1`.
//! * The checksum: RFC 1624 Eqn. 3, `HC' = ~(~HC + ~m + m')`, over every field that changes, as
//!   `proto::synproxy::rewrite32` applies `proto::wire::checksum::update_bytes` one field at a time
//!   (a field whose value does not change is skipped, as there: that matters only for `HC = 0xFFFF`,
//!   which a skipped no-op update keeps and an applied one turns into 0x0000).
//!
//! ## Structure: why one fold at the end is bit-exact with the model's per-field chain
//! For a field with old halves `oh, ol` and new halves `nh, nl` the model adds
//! `T = ~fold(oh + ol) + fold(nh + nl)` (16-bit values) to `~HC` and folds; at an odd offset of
//! the TCP header (options can start anywhere) both halves are byte-swapped (RFC 1071 §2(B)).
//! `fold(x)` (end-around carry) is 0 only for `x = 0` and otherwise the representative of `x` mod
//! 0xFFFF in `1..=0xFFFF`. So a chain of folds equals one fold of the whole sum: both are zero
//! exactly when every term is zero and agree mod 0xFFFF otherwise. A byte swap is multiplication by
//! 2^8 mod 0xFFFF and keeps zero at zero, so the TS and SACK groups can be summed unswapped, folded
//! and swapped once. The stages:
//!
//! | stage | computes (into its registers) |
//! |---|---|
//! | 1 | per field: the delta the op implies, `new = old + delta`, `c = ~fold(oh + ol)`, `changed = present && delta != 0` |
//! | 2 | per field: `t = changed ? c + fold(nh + nl) : 0`; group sums header (seq, ack), TS, SACK |
//! | 3 | `HC' = ~fold(~HC + hdr + swap?(fold(ts)) + swap?(fold(sack)))` |
//!
//! Fields are numbered 0 seq, 1 ack, 2 TSval, 3 TSecr, 4..11 SACK edges. All values are 32-bit
//! [`Lane`]s (a 16-bit quantity in a lane has its upper half zero). Registers: 3 stages x 12 new
//! values, 12 complements, 3 group sums, the offsets and flags: about 2,100 bits as written, 1,603
//! flip-flops after yosys drops the constant-zero upper bits (`synth_ecp5`: 1601 LUT4 + 874
//! CCU2C).

use crate::lane::Lane;
use crate::parser::HeaderRecord;
use rust_hdl::prelude::*;

/// Clocks from a request's sampling edge to its result on the outputs.
pub const CSUM_UPDATE_LATENCY: usize = 3;

/// `op`: the frame passes unchanged.
pub const EDIT_NONE: u8 = 0;
/// `op`: client -> host, `proto::synproxy::translate_to_host`.
pub const EDIT_TO_HOST: u8 = 1;
/// `op`: host -> client, `proto::synproxy::translate_to_wire`.
pub const EDIT_TO_WIRE: u8 = 2;
/// `op`: the host's RST refusing the proxy's SYN, `proto::synproxy::translate_refusal`.
pub const EDIT_REFUSAL: u8 = 3;

/// Fields edited per frame: seq, ack, TSval, TSecr and 8 SACK edges.
const NF: usize = 12;

/// One frame's edit request. See the [module docs](self).
#[derive(LogicInterface, Default)]
pub struct EditRequestPort {
    pub valid: Signal<In, Bit>,
    pub ready: Signal<Out, Bit>,
    /// `EDIT_*`.
    pub op: Signal<In, Bits<2>>,
    /// The entry's `seq_off` (`EDIT_REFUSAL`: the cookie).
    pub seq_adj: Signal<In, Lane>,
    /// The entry's `ts_off`.
    pub ts_adj: Signal<In, Lane>,
    /// Frame offset of the TCP header.
    pub tcp_off: Signal<In, Bits<8>>,
    /// The ACK flag.
    pub ack_flag: Signal<In, Bit>,
    /// The TCP checksum field.
    pub csum: Signal<In, Bits<16>>,
    pub seq: Signal<In, Lane>,
    pub ack: Signal<In, Lane>,
    pub ts_valid: Signal<In, Bit>,
    /// Frame offset of TSval (TSecr follows).
    pub ts_off: Signal<In, Bits<8>>,
    pub tsval: Signal<In, Lane>,
    pub tsecr: Signal<In, Lane>,
    /// SACK blocks (0..4).
    pub sack_blocks: Signal<In, Bits<3>>,
    /// Frame offset of the first left edge.
    pub sack_off: Signal<In, Bits<8>>,
    /// The old SACK edges: left and right of block 0, block 1, ...
    pub sack0: Signal<In, Lane>,
    pub sack1: Signal<In, Lane>,
    pub sack2: Signal<In, Lane>,
    pub sack3: Signal<In, Lane>,
    pub sack4: Signal<In, Lane>,
    pub sack5: Signal<In, Lane>,
    pub sack6: Signal<In, Lane>,
    pub sack7: Signal<In, Lane>,
}

/// The edit computation. See the [module docs](self).
#[derive(LogicBlock, Default)]
pub struct CsumUpdate {
    pub clock: Signal<In, Clock>,
    pub req: EditRequestPort,
    pub out_valid: Signal<Out, Bit>,
    /// The consumer takes the result at this clock's edge.
    pub out_take: Signal<In, Bit>,
    pub edit: Signal<Out, Bit>,
    pub tcp_off: Signal<Out, Lane>,
    pub seq: Signal<Out, Lane>,
    pub ack: Signal<Out, Lane>,
    /// The new checksum in bits 15..0 (bits 31..16 zero).
    pub csum: Signal<Out, Lane>,
    pub ts: Signal<Out, Bit>,
    pub ts_off: Signal<Out, Lane>,
    pub tsval: Signal<Out, Lane>,
    pub tsecr: Signal<Out, Lane>,
    pub sack_len: Signal<Out, Lane>,
    pub sack_off: Signal<Out, Lane>,
    pub sack: [Signal<Out, Lane>; 8],

    // ---- control
    /// The pipeline moves this clock.
    adv: Signal<Local, Bit>,

    // ---- stage 1 locals
    zero: Signal<Local, Lane>,
    is_edit: Signal<Local, Bit>,
    neg_seq_adj: Signal<Local, Lane>,
    /// Old value and delta of each field.
    old: [Signal<Local, Lane>; NF],
    delta: [Signal<Local, Lane>; NF],
    /// The field exists in this frame.
    present: [Signal<Local, Bit>; NF],
    /// `oh + ol`, then its end-around fold.
    osum: [Signal<Local, Lane>; NF],
    ofold: [Signal<Local, Lane>; NF],
    tcp_off32: Signal<Local, Lane>,
    ts_off32: Signal<Local, Lane>,
    sack_off32: Signal<Local, Lane>,
    blocks32: Signal<Local, Lane>,
    /// Offset parities relative to the TCP header (bit 0 of `x_off ^ tcp_off`).
    ts_odd: Signal<Local, Bit>,
    sack_odd: Signal<Local, Bit>,

    // ---- stage 1 registers
    s1_valid: DFF<Bit>,
    s1_edit: DFF<Bit>,
    s1_hc: DFF<Bits<16>>,
    s1_tcp_off: DFF<Lane>,
    s1_ts: DFF<Bit>,
    s1_ts_off: DFF<Lane>,
    s1_ts_odd: DFF<Bit>,
    s1_sack_len: DFF<Lane>,
    s1_sack_off: DFF<Lane>,
    s1_sack_odd: DFF<Bit>,
    s1_new: [DFF<Lane>; NF],
    /// `~fold(oh + ol)` (16 bits).
    s1_c: [DFF<Lane>; NF],
    s1_changed: [DFF<Bit>; NF],

    // ---- stage 2 locals
    nsum: [Signal<Local, Lane>; NF],
    /// The field's term `~fold(oh + ol) + fold(nh + nl)`, 0 when it does not change.
    term: [Signal<Local, Lane>; NF],

    // ---- stage 2 registers
    s2_valid: DFF<Bit>,
    s2_edit: DFF<Bit>,
    s2_hc: DFF<Bits<16>>,
    s2_tcp_off: DFF<Lane>,
    s2_ts: DFF<Bit>,
    s2_ts_off: DFF<Lane>,
    s2_ts_odd: DFF<Bit>,
    s2_sack_len: DFF<Lane>,
    s2_sack_off: DFF<Lane>,
    s2_sack_odd: DFF<Bit>,
    s2_new: [DFF<Lane>; NF],
    s2_ghdr: DFF<Lane>,
    s2_gts: DFF<Lane>,
    s2_gsack: DFF<Lane>,

    // ---- stage 3 locals
    ts_f1: Signal<Local, Lane>,
    ts_f2: Signal<Local, Lane>,
    ts_g: Signal<Local, Lane>,
    sack_f1: Signal<Local, Lane>,
    sack_f2: Signal<Local, Lane>,
    sack_g: Signal<Local, Lane>,
    hc32: Signal<Local, Lane>,
    total: Signal<Local, Lane>,
    tot_f1: Signal<Local, Lane>,
    tot_f2: Signal<Local, Lane>,

    // ---- stage 3 registers (the outputs)
    s3_valid: DFF<Bit>,
    s3_edit: DFF<Bit>,
    s3_csum: DFF<Lane>,
    s3_tcp_off: DFF<Lane>,
    s3_ts: DFF<Bit>,
    s3_ts_off: DFF<Lane>,
    s3_sack_len: DFF<Lane>,
    s3_sack_off: DFF<Lane>,
    s3_new: [DFF<Lane>; NF],
}

impl Logic for CsumUpdate {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            s1_valid,
            s1_edit,
            s1_hc,
            s1_tcp_off,
            s1_ts,
            s1_ts_off,
            s1_ts_odd,
            s1_sack_len,
            s1_sack_off,
            s1_sack_odd,
            s2_valid,
            s2_edit,
            s2_hc,
            s2_tcp_off,
            s2_ts,
            s2_ts_off,
            s2_ts_odd,
            s2_sack_len,
            s2_sack_off,
            s2_sack_odd,
            s2_ghdr,
            s2_gts,
            s2_gsack,
            s3_valid,
            s3_edit,
            s3_csum,
            s3_tcp_off,
            s3_ts,
            s3_ts_off,
            s3_sack_len,
            s3_sack_off
        );
        for i in 0..12 {
            self.s1_new[i].clock.next = self.clock.val();
            self.s1_new[i].d.next = self.s1_new[i].q.val();
            self.s1_c[i].clock.next = self.clock.val();
            self.s1_c[i].d.next = self.s1_c[i].q.val();
            self.s1_changed[i].clock.next = self.clock.val();
            self.s1_changed[i].d.next = self.s1_changed[i].q.val();
            self.s2_new[i].clock.next = self.clock.val();
            self.s2_new[i].d.next = self.s2_new[i].q.val();
            self.s3_new[i].clock.next = self.clock.val();
            self.s3_new[i].d.next = self.s3_new[i].q.val();
        }

        // ================= control: the whole pipeline moves unless a result waits
        self.adv.next = (!self.s3_valid.q.val()) || self.out_take.val();
        self.req.ready.next = (!self.s3_valid.q.val()) || self.out_take.val();

        // ================= stage 1: deltas (translate_* semantics), new values, old sums
        self.old[0].next = self.req.seq.val();
        self.old[1].next = self.req.ack.val();
        self.old[2].next = self.req.tsval.val();
        self.old[3].next = self.req.tsecr.val();
        self.old[4].next = self.req.sack0.val();
        self.old[5].next = self.req.sack1.val();
        self.old[6].next = self.req.sack2.val();
        self.old[7].next = self.req.sack3.val();
        self.old[8].next = self.req.sack4.val();
        self.old[9].next = self.req.sack5.val();
        self.old[10].next = self.req.sack6.val();
        self.old[11].next = self.req.sack7.val();
        self.tcp_off32.next = bit_cast::<32, 8>(self.req.tcp_off.val()).into();
        self.ts_off32.next = bit_cast::<32, 8>(self.req.ts_off.val()).into();
        self.sack_off32.next = bit_cast::<32, 8>(self.req.sack_off.val()).into();
        self.blocks32.next = bit_cast::<32, 3>(self.req.sack_blocks.val()).into();
        self.ts_odd.next = bit_cast::<1, 8>(self.req.ts_off.val() ^ self.req.tcp_off.val()).any();
        self.sack_odd.next =
            bit_cast::<1, 8>(self.req.sack_off.val() ^ self.req.tcp_off.val()).any();
        self.zero.next = 0_u32.into();
        self.is_edit.next = self.req.op.val() != 0;
        self.neg_seq_adj.next = (!self.req.seq_adj.val()) + 1_u32;

        for i in 0..12 {
            self.delta[i].next = 0_u32.into();
        }
        if self.req.op.val() == 1 {
            // EDIT_TO_HOST: nf_ct_seq_adjust (ORIGINAL: ack), nf_ct_sack_adjust,
            // synproxy_tstamp_adjust (ORIGINAL: TSecr += tsoff).
            if self.req.ack_flag.val() {
                self.delta[1].next = self.neg_seq_adj.val();
            }
            self.delta[3].next = self.req.ts_adj.val();
            for k in 4..12 {
                self.delta[k].next = self.neg_seq_adj.val();
            }
        } else if self.req.op.val() == 2 {
            // EDIT_TO_WIRE: nf_ct_seq_adjust (REPLY: seq), synproxy_tstamp_adjust (REPLY: TSval -=).
            self.delta[0].next = self.req.seq_adj.val();
            self.delta[2].next = (!self.req.ts_adj.val()) + 1_u32;
        } else if self.req.op.val() == 3 {
            // EDIT_REFUSAL: seq = cookie + 1.
            self.delta[0].next = (self.req.seq_adj.val() + 1_u32) - self.req.seq.val();
        }

        self.present[0].next = true;
        self.present[1].next = true;
        self.present[2].next = self.req.ts_valid.val();
        self.present[3].next = self.req.ts_valid.val();
        for b in 0..4 {
            self.present[4 + 2 * b].next = self.req.sack_blocks.val().index() > b;
            self.present[5 + 2 * b].next = self.req.sack_blocks.val().index() > b;
        }
        for i in 0..12 {
            self.osum[i].next = (self.old[i].val() >> 16_u32) + (self.old[i].val() & 0xFFFF_u32);
            self.ofold[i].next = (self.osum[i].val() & 0xFFFF_u32) + (self.osum[i].val() >> 16_u32);
        }

        if self.adv.val() {
            self.s1_valid.d.next = self.req.valid.val();
            self.s1_edit.d.next = self.is_edit.val();
            self.s1_hc.d.next = self.req.csum.val();
            self.s1_tcp_off.d.next = self.tcp_off32.val();
            self.s1_ts.d.next = self.is_edit.val() && self.req.ts_valid.val();
            self.s1_ts_off.d.next = self.ts_off32.val();
            self.s1_ts_odd.d.next = self.ts_odd.val();
            self.s1_sack_len.d.next = 0_u32.into();
            if self.is_edit.val() {
                self.s1_sack_len.d.next = self.blocks32.val() << 3_u32;
            }
            self.s1_sack_off.d.next = self.sack_off32.val();
            self.s1_sack_odd.d.next = self.sack_odd.val();
            for i in 0..12 {
                self.s1_new[i].d.next = self.old[i].val() + self.delta[i].val();
                self.s1_c[i].d.next = self.ofold[i].val() ^ 0xFFFF_u32;
                self.s1_changed[i].d.next =
                    self.present[i].val() && (self.delta[i].val() != self.zero.val());
            }
        }

        // ================= stage 2: per-field terms, group sums
        for i in 0..12 {
            self.nsum[i].next =
                (self.s1_new[i].q.val() >> 16_u32) + (self.s1_new[i].q.val() & 0xFFFF_u32);
            self.term[i].next = 0_u32.into();
            if self.s1_changed[i].q.val() {
                self.term[i].next = self.s1_c[i].q.val()
                    + ((self.nsum[i].val() & 0xFFFF_u32) + (self.nsum[i].val() >> 16_u32));
            }
        }
        if self.adv.val() {
            self.s2_valid.d.next = self.s1_valid.q.val();
            self.s2_edit.d.next = self.s1_edit.q.val();
            self.s2_hc.d.next = self.s1_hc.q.val();
            self.s2_tcp_off.d.next = self.s1_tcp_off.q.val();
            self.s2_ts.d.next = self.s1_ts.q.val();
            self.s2_ts_off.d.next = self.s1_ts_off.q.val();
            self.s2_ts_odd.d.next = self.s1_ts_odd.q.val();
            self.s2_sack_len.d.next = self.s1_sack_len.q.val();
            self.s2_sack_off.d.next = self.s1_sack_off.q.val();
            self.s2_sack_odd.d.next = self.s1_sack_odd.q.val();
            for i in 0..12 {
                self.s2_new[i].d.next = self.s1_new[i].q.val();
            }
            self.s2_ghdr.d.next = self.term[0].val() + self.term[1].val();
            self.s2_gts.d.next = self.term[2].val() + self.term[3].val();
            self.s2_gsack.d.next = ((self.term[4].val() + self.term[5].val())
                + (self.term[6].val() + self.term[7].val()))
                + ((self.term[8].val() + self.term[9].val())
                    + (self.term[10].val() + self.term[11].val()));
        }

        // ================= stage 3: fold the groups, swap the odd ones, fold the total
        self.ts_f1.next = (self.s2_gts.q.val() & 0xFFFF_u32) + (self.s2_gts.q.val() >> 16_u32);
        self.ts_f2.next = (self.ts_f1.val() & 0xFFFF_u32) + (self.ts_f1.val() >> 16_u32);
        self.ts_g.next = self.ts_f2.val();
        if self.s2_ts_odd.q.val() {
            self.ts_g.next =
                ((self.ts_f2.val() << 8_u32) | (self.ts_f2.val() >> 8_u32)) & 0xFFFF_u32;
        }
        self.sack_f1.next =
            (self.s2_gsack.q.val() & 0xFFFF_u32) + (self.s2_gsack.q.val() >> 16_u32);
        self.sack_f2.next = (self.sack_f1.val() & 0xFFFF_u32) + (self.sack_f1.val() >> 16_u32);
        self.sack_g.next = self.sack_f2.val();
        if self.s2_sack_odd.q.val() {
            self.sack_g.next =
                ((self.sack_f2.val() << 8_u32) | (self.sack_f2.val() >> 8_u32)) & 0xFFFF_u32;
        }
        self.hc32.next = bit_cast::<32, 16>(self.s2_hc.q.val()).into();
        self.total.next = ((self.hc32.val() ^ 0xFFFF_u32) + self.s2_ghdr.q.val())
            + (self.ts_g.val() + self.sack_g.val());
        self.tot_f1.next = (self.total.val() & 0xFFFF_u32) + (self.total.val() >> 16_u32);
        self.tot_f2.next = (self.tot_f1.val() & 0xFFFF_u32) + (self.tot_f1.val() >> 16_u32);
        if self.adv.val() {
            self.s3_valid.d.next = self.s2_valid.q.val();
            self.s3_edit.d.next = self.s2_edit.q.val();
            self.s3_csum.d.next = self.tot_f2.val() ^ 0xFFFF_u32;
            self.s3_tcp_off.d.next = self.s2_tcp_off.q.val();
            self.s3_ts.d.next = self.s2_ts.q.val();
            self.s3_ts_off.d.next = self.s2_ts_off.q.val();
            self.s3_sack_len.d.next = self.s2_sack_len.q.val();
            self.s3_sack_off.d.next = self.s2_sack_off.q.val();
            for i in 0..12 {
                self.s3_new[i].d.next = self.s2_new[i].q.val();
            }
        }

        // ================= outputs
        self.out_valid.next = self.s3_valid.q.val();
        self.edit.next = self.s3_edit.q.val();
        self.tcp_off.next = self.s3_tcp_off.q.val();
        self.seq.next = self.s3_new[0].q.val();
        self.ack.next = self.s3_new[1].q.val();
        self.csum.next = self.s3_csum.q.val();
        self.ts.next = self.s3_ts.q.val();
        self.ts_off.next = self.s3_ts_off.q.val();
        self.tsval.next = self.s3_new[2].q.val();
        self.tsecr.next = self.s3_new[3].q.val();
        self.sack_len.next = self.s3_sack_len.q.val();
        self.sack_off.next = self.s3_sack_off.q.val();
        for k in 0..8 {
            self.sack[k].next = self.s3_new[k + 4].q.val();
        }
    }
}

/// One edit request as plain Rust values (what tests and drivers put on an [`EditRequestPort`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EditRequest {
    /// `EDIT_*`.
    pub op: u8,
    pub seq_adj: u32,
    pub ts_adj: u32,
    pub tcp_off: u8,
    pub ack_flag: bool,
    pub csum: u16,
    pub seq: u32,
    pub ack: u32,
    /// (TSval, TSecr, frame offset of TSval)
    pub ts: Option<(u32, u32, u8)>,
    /// Blocks (0..4), frame offset of the first left edge.
    pub sack_blocks: u8,
    pub sack_off: u8,
    /// Old edges (left, right of block 0, ...); entries past `2 * sack_blocks` are don't-care.
    pub sack: [u32; 8],
}

impl EditRequest {
    /// A request that leaves its frame unchanged (any frame: not TCP, not proxied, malformed).
    pub fn pass() -> Self {
        Self::default()
    }

    /// The request for a frame with the parser's record `rec` of it: `op` with the entry's
    /// `seq_off` (`seq_adj`) and `ts_off` (`ts_adj`). Offsets, old values, the checksum field
    /// and the SACK edges all come from the record.
    /// A record that is not `Tcp` gives [`EditRequest::pass`].
    pub fn from_record(rec: &HeaderRecord, op: u8, seq_adj: u32, ts_adj: u32) -> Self {
        let Some(t) = rec.tcp else {
            return Self::pass();
        };
        let (sack_blocks, sack_off) = t.sack.unwrap_or((0, 0));
        EditRequest {
            op,
            seq_adj,
            ts_adj,
            tcp_off: t.tcp_off,
            ack_flag: t.flags & 0x10 != 0,
            csum: t.tcp_csum,
            seq: t.seq,
            ack: t.ack,
            ts: t.ts,
            sack_blocks,
            sack_off,
            sack: t.sack_edges,
        }
    }

    /// Drives the request's fields (not `valid`) onto `p`.
    pub fn drive(&self, p: &mut EditRequestPort) {
        p.op.next = u64::from(self.op).to_bits();
        p.seq_adj.next = Lane(self.seq_adj);
        p.ts_adj.next = Lane(self.ts_adj);
        p.tcp_off.next = u64::from(self.tcp_off).to_bits();
        p.ack_flag.next = self.ack_flag;
        p.csum.next = u64::from(self.csum).to_bits();
        p.seq.next = Lane(self.seq);
        p.ack.next = Lane(self.ack);
        let (tsval, tsecr, ts_off) = self.ts.unwrap_or((0, 0, 0));
        p.ts_valid.next = self.ts.is_some();
        p.ts_off.next = u64::from(ts_off).to_bits();
        p.tsval.next = Lane(tsval);
        p.tsecr.next = Lane(tsecr);
        p.sack_blocks.next = u64::from(self.sack_blocks).to_bits();
        p.sack_off.next = u64::from(self.sack_off).to_bits();
        p.sack0.next = Lane(self.sack[0]);
        p.sack1.next = Lane(self.sack[1]);
        p.sack2.next = Lane(self.sack[2]);
        p.sack3.next = Lane(self.sack[3]);
        p.sack4.next = Lane(self.sack[4]);
        p.sack5.next = Lane(self.sack[5]);
        p.sack6.next = Lane(self.sack[6]);
        p.sack7.next = Lane(self.sack[7]);
    }

    /// The port's input fields (not `valid`) by name, in declaration order, as a Verilator
    /// harness row wants them.
    pub fn port_values(&self) -> [(&'static str, u64); 22] {
        let (tsval, tsecr, ts_off) = self.ts.unwrap_or((0, 0, 0));
        let s = self.sack.map(u64::from);
        [
            ("op", u64::from(self.op)),
            ("seq_adj", u64::from(self.seq_adj)),
            ("ts_adj", u64::from(self.ts_adj)),
            ("tcp_off", u64::from(self.tcp_off)),
            ("ack_flag", u64::from(self.ack_flag)),
            ("csum", u64::from(self.csum)),
            ("seq", u64::from(self.seq)),
            ("ack", u64::from(self.ack)),
            ("ts_valid", u64::from(self.ts.is_some())),
            ("ts_off", u64::from(ts_off)),
            ("tsval", u64::from(tsval)),
            ("tsecr", u64::from(tsecr)),
            ("sack_blocks", u64::from(self.sack_blocks)),
            ("sack_off", u64::from(self.sack_off)),
            ("sack0", s[0]),
            ("sack1", s[1]),
            ("sack2", s[2]),
            ("sack3", s[3]),
            ("sack4", s[4]),
            ("sack5", s[5]),
            ("sack6", s[6]),
            ("sack7", s[7]),
        ]
    }
}

/// A [`CsumUpdate`] result as plain Rust values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EditResult {
    pub edit: bool,
    pub tcp_off: u32,
    pub seq: u32,
    pub ack: u32,
    pub csum: u16,
    pub ts: bool,
    pub ts_off: u32,
    pub tsval: u32,
    pub tsecr: u32,
    pub sack_len: u32,
    pub sack_off: u32,
    pub sack: [u32; 8],
}

impl EditResult {
    /// Reads the result outputs of `u` (meaningful while `out_valid`).
    pub fn read(u: &CsumUpdate) -> Self {
        EditResult {
            edit: u.edit.val(),
            tcp_off: u.tcp_off.val().0,
            seq: u.seq.val().0,
            ack: u.ack.val().0,
            csum: u.csum.val().0 as u16,
            ts: u.ts.val(),
            ts_off: u.ts_off.val().0,
            tsval: u.tsval.val().0,
            tsecr: u.tsecr.val().0,
            sack_len: u.sack_len.val().0,
            sack_off: u.sack_off.val().0,
            sack: std::array::from_fn(|k| u.sack[k].val().0),
        }
    }
}
