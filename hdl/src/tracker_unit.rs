//! [`TrackerUnit`] — the state and window unit: `proto::tracker::{on_wire, on_host,
//! open_from_peer, open_from_host}` as a pipeline, one segment per clock. Given one connection
//! table entry (its ten words, `proto::table::Entry::pack`), one segment's header fields, the
//! direction and the configuration, it produces the new entry words, the table write-back and the
//! tracker's [`Action`], bit for bit as the model (RFC 9293 §3.10.7 state handling of the host
//! endpoint, conntrack `tcp_in_window` bounds, RFC 5961 §3/§4/§5, RFC 7323 §5 PAWS, RFC 1337,
//! RFC 6191 TIME-WAIT reuse, simultaneous open and close; the deviations from the endpoint are
//! those of `proto::tracker`'s module docs and docs/model.md).
//!
//! ## Interface
//! * `clock` in. No reset: the valid bits power up clear.
//! * Throughput: one request per clock (II = 1), no back-pressure, no stall.
//! * Latency [`TRACKER_LATENCY`] = 4: a request sampled at the edge ending cycle `t` has its
//!   result on the outputs during cycle `t + 4`. In the pipeline the connection table's result
//!   (`conn_table` `rs_w`, `rs_valid`) feeds this unit directly and this unit's `wb_op`/`new_w`
//!   feed the table's write-back port, so the table's write-back distance is `D = 4`.
//! * Request inputs, sampled on every rising edge:
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `in_valid`, `in_tag` | 1, 16 | a request; the tag is returned with its result |
//! | `in_op` | 2 | [`OP_WIRE`] `on_wire` (a segment from the wire), [`OP_HOST`] `on_host`, [`OP_OPEN_PEER`] `open_from_peer`, [`OP_OPEN_HOST`] `open_from_host` |
//! | `cfg_rfc1337` | 1 | `NicConfig::rfc1337` (the only configuration bit the tracker reads) |
//! | `now_stamp` | 16 | `proto::tracker::stamp(now)`: device time in whole seconds mod 2^16 |
//! | `ent_w[0..10]` | 32 each | the entry, `Entry::pack` (for the open ops: `Entry::new(key, Closed).pack()`, as `proto::nic` builds it; any entry is accepted and treated as the model treats it) |
//! | `seq`, `ack` | 32 each | the segment's `seq`, `ack` (for a SYN-proxied connection from the wire, the caller passes `ack - seq_off`, the host's sequence space, as `proto::nic` does) |
//! | `flag_fin`, `flag_syn`, `flag_rst`, `flag_ack` | 1 each | the TCP flags the tracker reads (PSH, URG, ECE, CWR play no part) |
//! | `window` | 16 | the raw window field |
//! | `payload_len` | 16 | payload bytes (the parser's `payload_len`) |
//! | `ts_valid`, `tsval` | 1, 32 | the timestamp option's TSval (TSecr is not used) |
//! | `ws_valid`, `ws` | 1, 8 | the window-scale option as sent (clamped to 14 here, `wscale_clamped`) |
//!
//! * Result outputs, registered, all for the request of 4 cycles earlier (the data path is not
//!   gated: with `out_valid` clear they are junk, except `wb_op`, which is then [`WB_NONE`]):
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `out_valid`, `out_tag`, `out_op` | 1, 16, 2 | the request's valid, tag and op |
//! | `old_state` | 4 | the entry's state code before the segment (for events and counters) |
//! | `act` | 3 | [`ACT_ACCEPT`], [`ACT_IGNORE`], [`ACT_DROP`], [`ACT_CHALLENGE`], [`ACT_REUSE`] (`proto::tracker::Action`); host and open ops always give [`ACT_ACCEPT`] |
//! | `code` | 4 | [`ACT_DROP`]: the `DropReason` ([`drop_code`]); [`ACT_CHALLENGE`]: the `Challenge` ([`CH_RST`], [`CH_SYN`], [`CH_ACK`], [`CH_TIME_WAIT`]); otherwise 0 |
//! | `wb_op` | 2 | the table write-back in `conn_table`'s codes: [`WB_NONE`] (Ignore, Drop, Challenge: the entry is unchanged), [`WB_UPDATE`], [`WB_DELETE`] (the new state is CLOSED, or Reuse), [`WB_INSERT`] (the open ops) — what `proto::nic` does with the tracker's answer |
//! | `new_w[0..10]` | 32 each | the entry after the call (`Entry::pack`); equal to `ent_w` when the model leaves the entry alone. Words 0..2 (key), 7, 8 (SYN-proxy offsets) are never changed |
//!
//! Entries whose state code is not one of the 11 states (11..15: `Entry::unpack` is `None`, an
//! empty table slot) never reach the model; here a segment from the wire on one is dropped as
//! `UnknownFlow`, like CLOSED and LISTEN, and a host segment updates it like any other entry.
//! What the pipeline itself does around the tracker (`proto::nic`: the SYN-proxy pending
//! handshake, the host's TIME-WAIT reuse, the new lookup after a Reuse, events, counters) is not
//! in this unit.
//!
//! ## Structure: four stages, each at most one 32-bit carry chain deep
//! The entry is taken apart into its fields (word 3: state, flags, window scales, stamp; word 6:
//! the two max windows) and put back together in stage 4. Every sequence-space test of the model
//! (Linux `before(a, b)` = bit 31 of `a - b`, RFC 1982) becomes the sign of one subtraction of
//! registered values; bounds such as `before(seq, peer_end + rcv_wnd)` are rewritten over stage-1
//! differences (`sign((seq - peer_end) - rcv_wnd)`), so no stage chains two adders, and the one
//! three-operand sum, `before(end, peer_end - rcv_wnd)` = `sign((seq - peer_end) + seg_len +
//! rcv_wnd)`, goes through a carry-save step (one LUT level) first. Equalities are XOR/AND trees.
//!
//! | stage | computes (into its registers) |
//! |---|---|
//! | 1 | field and state decode; `seg_len`; the differences `seq - peer_end`, `peer_end - seq`, `ack - host_end`, `host_end - ack`, `host_end - seq`, `ts_recent - tsval`, the sign of `tsval - ts_recent`; the equalities `ack == host_end`, `ack == peer_end`, `seq == peer_end`, `tsval == ts_recent`; `rcv_wnd = max(host_maxwin << host_ws, 1)` and `peer_maxwin << peer_ws` (4-level log shifters) and whether the latter exceeds 66000; the three `ceil_shift` sums `v + 2^s - 1`; the max-window compares |
//! | 2 | every remaining predicate of the model as one bit (6 sign bits of a subtraction, 3 equalities, PAWS); `end`; the `ceil_shift` right shifts; `max(maxwin, window)` |
//! | 3 | the decision: the model's if-chains per state on predicate bits, giving `act`, `code`, which update applies (one-hot), and the next state of the two paths whose state depends on the segment |
//! | 4 | the new fields by the chosen update, the new words, `wb_op` |
//!
//! `max(peer_maxwin << s, 66000)` (conntrack MAXACKWINDOW) is compared without waiting for the
//! shifter: `pmw << s >= 66000` iff `pmw > 65999 >> s`, a constant shifted by `s`.
//!
//! Registers (yosys `synth_ecp5`): 2224 flip-flops; the five words the tracker never changes ride
//! along all four stages (Xilinx maps those delay lines to SRLs). Measured by
//! `tcpoff-hdl-report` (yosys 0.23, nextpnr-ecp5, 45k part): 1435 LUT4 + 312 CCU2C, 136.6 MHz;
//! the slowest path is stage 1's `ceil_shift` sum of the segment's window (clamp of the WS
//! option, mask, 17-bit add).

use crate::conn_table::{WB_DELETE, WB_INSERT, WB_NONE, WB_UPDATE};
use crate::lane::Lane;
use proto::config::NicConfig;
use proto::decision::DropReason;
use proto::table::{Entry, ENTRY_WORDS};
use proto::time::Instant;
use proto::tracker::{self, Action, Challenge};
use proto::wire::{TcpFlags, TcpInfo, TcpOptions, Timestamp};
use rust_hdl::prelude::*;

/// Clocks from a request's sampling edge to its result on the outputs.
pub const TRACKER_LATENCY: usize = 4;
/// Width of the opaque tag carried with each request.
pub const TRACKER_TAG_BITS: usize = 16;

/// `in_op`: a segment from the wire, `proto::tracker::on_wire`.
pub const OP_WIRE: u8 = 0;
/// `in_op`: a segment from the host, `proto::tracker::on_host`.
pub const OP_HOST: u8 = 1;
/// `in_op`: a new entry for the peer's SYN, `proto::tracker::open_from_peer`.
pub const OP_OPEN_PEER: u8 = 2;
/// `in_op`: a new entry for the host's SYN, `proto::tracker::open_from_host`.
pub const OP_OPEN_HOST: u8 = 3;

/// `act`: `Action::Accept`.
pub const ACT_ACCEPT: u8 = 0;
/// `act`: `Action::Ignore`.
pub const ACT_IGNORE: u8 = 1;
/// `act`: `Action::Drop(reason)`, `code` = [`drop_code`]`(reason)`.
pub const ACT_DROP: u8 = 2;
/// `act`: `Action::Challenge(kind)`, `code` = `CH_*`.
pub const ACT_CHALLENGE: u8 = 3;
/// `act`: `Action::Reuse`.
pub const ACT_REUSE: u8 = 4;

/// `code` of [`ACT_CHALLENGE`]: `Challenge::Rst` (RFC 5961 §3).
pub const CH_RST: u8 = 0;
/// `Challenge::Syn` (RFC 5961 §4).
pub const CH_SYN: u8 = 1;
/// `Challenge::Ack` (RFC 5961 §5).
pub const CH_ACK: u8 = 2;
/// `Challenge::TimeWait` (an old SYN on a TIME-WAIT connection).
pub const CH_TIME_WAIT: u8 = 3;

/// `DropReason`s in declaration order: `code` of [`ACT_DROP`] is the index.
pub const DROP_REASONS: [DropReason; 13] = [
    DropReason::Malformed,
    DropReason::BadChecksum,
    DropReason::InvalidFlags,
    DropReason::BadCookie,
    DropReason::UnknownFlow,
    DropReason::ListenOverflow,
    DropReason::RstOutOfWindow,
    DropReason::Challenged,
    DropReason::OutOfWindow,
    DropReason::AckOutOfRange,
    DropReason::Paws,
    DropReason::Rfc1337,
    DropReason::ProxyHandshake,
];

/// The drop codes the kernel writes as literals (rust-hdl kernels cannot name Rust constants);
/// `tests::kernel_drop_codes` checks them against [`DROP_REASONS`].
pub const KERNEL_DROP_CODES: [(DropReason, u8); 7] = [
    (DropReason::InvalidFlags, 2),
    (DropReason::UnknownFlow, 4),
    (DropReason::RstOutOfWindow, 6),
    (DropReason::OutOfWindow, 8),
    (DropReason::AckOutOfRange, 9),
    (DropReason::Paws, 10),
    (DropReason::Rfc1337, 11),
];

/// The 4-bit code of a drop reason (its declaration index, [`DROP_REASONS`]).
pub fn drop_code(r: DropReason) -> u8 {
    DROP_REASONS
        .iter()
        .position(|&x| x == r)
        .expect("every DropReason is listed") as u8
}

/// `(act, code)` of an action.
pub fn action_code(a: Action) -> (u8, u8) {
    match a {
        Action::Accept => (ACT_ACCEPT, 0),
        Action::Ignore => (ACT_IGNORE, 0),
        Action::Drop(r) => (ACT_DROP, drop_code(r)),
        Action::Challenge(c) => (
            ACT_CHALLENGE,
            match c {
                Challenge::Rst => CH_RST,
                Challenge::Syn => CH_SYN,
                Challenge::Ack => CH_ACK,
                Challenge::TimeWait => CH_TIME_WAIT,
            },
        ),
        Action::Reuse => (ACT_REUSE, 0),
    }
}

/// The action `(act, code)` stands for; `None` for codes the unit never produces.
pub fn decode_action(act: u8, code: u8) -> Option<Action> {
    Some(match act {
        ACT_ACCEPT if code == 0 => Action::Accept,
        ACT_IGNORE if code == 0 => Action::Ignore,
        ACT_DROP => Action::Drop(*DROP_REASONS.get(usize::from(code))?),
        ACT_CHALLENGE => Action::Challenge(match code {
            CH_RST => Challenge::Rst,
            CH_SYN => Challenge::Syn,
            CH_ACK => Challenge::Ack,
            CH_TIME_WAIT => Challenge::TimeWait,
            _ => return None,
        }),
        ACT_REUSE if code == 0 => Action::Reuse,
        _ => return None,
    })
}

/// The state and window unit. See the [module docs](self).
#[derive(LogicBlock, Default)]
pub struct TrackerUnit {
    pub clock: Signal<In, Clock>,
    // ---- request
    pub in_valid: Signal<In, Bit>,
    pub in_tag: Signal<In, Bits<TRACKER_TAG_BITS>>,
    pub in_op: Signal<In, Bits<2>>,
    pub cfg_rfc1337: Signal<In, Bit>,
    pub now_stamp: Signal<In, Bits<16>>,
    pub ent_w: [Signal<In, Lane>; ENTRY_WORDS],
    pub seq: Signal<In, Lane>,
    pub ack: Signal<In, Lane>,
    pub flag_fin: Signal<In, Bit>,
    pub flag_syn: Signal<In, Bit>,
    pub flag_rst: Signal<In, Bit>,
    pub flag_ack: Signal<In, Bit>,
    pub window: Signal<In, Bits<16>>,
    pub payload_len: Signal<In, Bits<16>>,
    pub ts_valid: Signal<In, Bit>,
    pub tsval: Signal<In, Lane>,
    pub ws_valid: Signal<In, Bit>,
    pub ws: Signal<In, Bits<8>>,
    // ---- result
    pub out_valid: Signal<Out, Bit>,
    pub out_tag: Signal<Out, Bits<TRACKER_TAG_BITS>>,
    pub out_op: Signal<Out, Bits<2>>,
    pub old_state: Signal<Out, Bits<4>>,
    pub act: Signal<Out, Bits<3>>,
    pub code: Signal<Out, Bits<4>>,
    pub wb_op: Signal<Out, Bits<2>>,
    pub new_w: [Signal<Out, Lane>; ENTRY_WORDS],

    // ================= stage 1 locals
    /// The entry's fields (word 3: state, flags, peer/host window scale, stamp).
    a_st: Signal<Local, Bits<4>>,
    a_fl: Signal<Local, Bits<4>>,
    a_pws: Signal<Local, Bits<4>>,
    a_hws: Signal<Local, Bits<4>>,
    /// Word 6: peer and host max window (16 bits each, as lanes).
    a_pmw: Signal<Local, Lane>,
    a_hmw: Signal<Local, Lane>,
    a_hmw16: Signal<Local, Bits<16>>,
    a_win: Signal<Local, Lane>,
    a_syn: Signal<Local, Bit>,
    a_ackf: Signal<Local, Bit>,
    a_rst: Signal<Local, Bit>,
    a_fin: Signal<Local, Bit>,
    a_plen: Signal<Local, Lane>,
    /// `Entry::scaling()`.
    a_scaling: Signal<Local, Bit>,
    /// Log shifters by the stored scale: `host_maxwin << host_ws`, `peer_maxwin << peer_ws`,
    /// `65999 >> peer_ws`.
    a_hx: [Signal<Local, Lane>; 5],
    a_px: [Signal<Local, Lane>; 5],
    a_tx: [Signal<Local, Lane>; 5],
    /// `rcv_wnd = max(host_maxwin_bytes, 1)`.
    a_rw: Signal<Local, Lane>,
    /// `wscale_clamped()` of the segment, 15 when absent.
    a_wsc: Signal<Local, Bits<4>>,
    /// `2^s - 1` for `s` = the segment's, the host's and the peer's window scale.
    a_mw: [Signal<Local, Lane>; 5],
    a_mh: [Signal<Local, Lane>; 5],
    a_mp: [Signal<Local, Lane>; 5],
    a_zero: Signal<Local, Lane>,

    // ================= stage 1 registers
    s1_valid: DFF<Bit>,
    s1_tag: DFF<Bits<TRACKER_TAG_BITS>>,
    s1_op: DFF<Bits<2>>,
    s1_rfc1337: DFF<Bit>,
    s1_now: DFF<Bits<16>>,
    /// Words 0, 1, 2, 7, 8: never changed.
    s1_keep: [DFF<Lane>; 5],
    s1_st: DFF<Bits<4>>,
    s1_fl: DFF<Bits<4>>,
    s1_pws: DFF<Bits<4>>,
    s1_hws: DFF<Bits<4>>,
    s1_stamp: DFF<Bits<16>>,
    s1_pe: DFF<Lane>,
    s1_he: DFF<Lane>,
    s1_tr: DFF<Lane>,
    s1_pmw: DFF<Lane>,
    s1_hmw: DFF<Lane>,
    s1_seq: DFF<Lane>,
    s1_tsval: DFF<Lane>,
    s1_win: DFF<Lane>,
    s1_syn: DFF<Bit>,
    s1_ackf: DFF<Bit>,
    s1_rst: DFF<Bit>,
    s1_fin: DFF<Bit>,
    s1_ts_valid: DFF<Bit>,
    s1_wsc: DFF<Bits<4>>,
    /// `seg_len()`, `rcv_wnd`.
    s1_seglen: DFF<Lane>,
    s1_rw: DFF<Lane>,
    /// `peer_maxwin << peer_ws`, and whether that is above 66000 (`peer_maxwin > 65999 >>
    /// peer_ws`); with scaling it is `max_ack_window` then, else 66000 is.
    s1_pmwb: DFF<Lane>,
    s1_pmw_gt: DFF<Bit>,
    s1_scaling: DFF<Bit>,
    /// Differences of the inputs: `seq - peer_end` and back, `ack - host_end` and back,
    /// `host_end - seq`, `ts_recent - tsval`.
    s1_d_sp: DFF<Lane>,
    s1_d_ps: DFF<Lane>,
    s1_d_ah: DFF<Lane>,
    s1_d_ha: DFF<Lane>,
    s1_d_hs: DFF<Lane>,
    s1_d_rt: DFF<Lane>,
    /// `before(tsval, ts_recent)`.
    s1_tsv_neg: DFF<Bit>,
    /// Equalities of the inputs.
    s1_ack_eq_he: DFF<Bit>,
    s1_ack_eq_pe: DFF<Bit>,
    s1_seq_eq_pe: DFF<Bit>,
    s1_tsv_eq_tr: DFF<Bit>,
    /// `seg_len() > 0`, `host_end == 0`, `ts_recent != 0`, `maxwin < window` (peer, host).
    s1_seg_nz: DFF<Bit>,
    s1_he_z: DFF<Bit>,
    s1_tr_nz: DFF<Bit>,
    s1_pmw_lt: DFF<Bit>,
    s1_hmw_lt: DFF<Bit>,
    /// Scaling once this SYN is in: on the wire in SYN-SENT (`host_ws`, the segment's WS), from
    /// the host in SYN-RECEIVED (`peer_ws`, the segment's WS).
    s1_sc_w: DFF<Bit>,
    s1_sc_h: DFF<Bit>,
    /// `ceil_shift` sums `v + 2^s - 1`: window by the segment's WS, host_maxwin by host_ws,
    /// peer_maxwin by peer_ws.
    s1_csw_sum: DFF<Lane>,
    s1_csh_sum: DFF<Lane>,
    s1_csp_sum: DFF<Lane>,
    /// State decode.
    s1_is_closed: DFF<Bit>,
    s1_is_synsent: DFF<Bit>,
    s1_is_synrcvd: DFF<Bit>,
    s1_is_est: DFF<Bit>,
    s1_is_fw1: DFF<Bit>,
    s1_is_fw2: DFF<Bit>,
    s1_is_cw: DFF<Bit>,
    s1_is_closing: DFF<Bit>,
    s1_is_lastack: DFF<Bit>,
    s1_is_tw: DFF<Bit>,
    s1_is_sync: DFF<Bit>,

    // ================= stage 2 locals
    /// Carry-save form of `(seq - peer_end) + seg_len + rcv_wnd` (sum, carries).
    b_csa_s: Signal<Local, Lane>,
    b_csa_c: Signal<Local, Lane>,
    b_one: Signal<Local, Lane>,
    /// `max(peer_maxwin_bytes, MAX_ACK_WINDOW_FLOOR)` (conntrack MAXACKWINDOW).
    b_maw: Signal<Local, Lane>,
    /// `ceil_shift` right shifts.
    b_cw: [Signal<Local, Lane>; 5],
    b_ch: [Signal<Local, Lane>; 5],
    b_cp: [Signal<Local, Lane>; 5],

    // ================= stage 2 registers
    s2_valid: DFF<Bit>,
    s2_tag: DFF<Bits<TRACKER_TAG_BITS>>,
    s2_op: DFF<Bits<2>>,
    s2_rfc1337: DFF<Bit>,
    s2_now: DFF<Bits<16>>,
    s2_keep: [DFF<Lane>; 5],
    s2_st: DFF<Bits<4>>,
    s2_fl: DFF<Bits<4>>,
    s2_pws: DFF<Bits<4>>,
    s2_hws: DFF<Bits<4>>,
    s2_stamp: DFF<Bits<16>>,
    s2_pe: DFF<Lane>,
    s2_he: DFF<Lane>,
    s2_tr: DFF<Lane>,
    s2_pmw: DFF<Lane>,
    s2_hmw: DFF<Lane>,
    s2_win: DFF<Lane>,
    s2_tsval: DFF<Lane>,
    s2_end: DFF<Lane>,
    s2_syn: DFF<Bit>,
    s2_ackf: DFF<Bit>,
    s2_rst: DFF<Bit>,
    s2_fin: DFF<Bit>,
    s2_ts_valid: DFF<Bit>,
    s2_wsc: DFF<Bits<4>>,
    s2_seg_nz: DFF<Bit>,
    s2_he_z: DFF<Bit>,
    s2_tr_nz: DFF<Bit>,
    s2_sc_w: DFF<Bit>,
    s2_sc_h: DFF<Bit>,
    s2_is_closed: DFF<Bit>,
    s2_is_synsent: DFF<Bit>,
    s2_is_synrcvd: DFF<Bit>,
    s2_is_est: DFF<Bit>,
    s2_is_fw1: DFF<Bit>,
    s2_is_fw2: DFF<Bit>,
    s2_is_cw: DFF<Bit>,
    s2_is_closing: DFF<Bit>,
    s2_is_lastack: DFF<Bit>,
    s2_is_tw: DFF<Bit>,
    s2_is_sync: DFF<Bit>,
    /// `max(maxwin, window)`, peer and host.
    s2_pmw_max: DFF<Lane>,
    s2_hmw_max: DFF<Lane>,
    /// `ceil_shift(window, ws)`, `ceil_shift(host_maxwin, host_ws)`, `ceil_shift(peer_maxwin, peer_ws)`.
    s2_csw: DFF<Lane>,
    s2_csh: DFF<Lane>,
    s2_csp: DFF<Lane>,
    /// The predicates (names: `a_op_b` says `a op b` in sequence space).
    s2_ack_eq_he: DFF<Bit>,
    s2_ack_eq_pe: DFF<Bit>,
    s2_seq_eq_pe: DFF<Bit>,
    s2_seq_eq_pe_m1: DFF<Bit>,
    s2_end_eq_pe: DFF<Bit>,
    s2_seq_before_pe: DFF<Bit>,
    s2_seq_after_pe: DFF<Bit>,
    s2_ack_after_he: DFF<Bit>,
    s2_seq_before_top: DFF<Bit>,
    s2_seq_after_top: DFF<Bit>,
    s2_ack_before_floor: DFF<Bit>,
    s2_end_before_bot: DFF<Bit>,
    s2_end_after_pe: DFF<Bit>,
    s2_end_after_he: DFF<Bit>,
    /// `(tsval - ts_recent) as i32 > 0`, `>= 0`; `(ts_recent - tsval) as i32 > PAWS_WINDOW`.
    s2_ts_newer: DFF<Bit>,
    s2_ts_not_older: DFF<Bit>,
    s2_ts_paws_old: DFF<Bit>,

    // ================= stage 3 locals
    c_act: Signal<Local, Bits<3>>,
    c_code: Signal<Local, Bits<4>>,
    /// Which update the model applies (at most one is set).
    c_close: Signal<Local, Bit>,
    c_synsent: Signal<Local, Bit>,
    c_uw: Signal<Local, Bit>,
    c_stamp_only: Signal<Local, Bit>,
    c_hsyn: Signal<Local, Bit>,
    c_hnorm: Signal<Local, Bit>,
    c_opeer: Signal<Local, Bit>,
    c_ohost: Signal<Local, Bit>,
    c_paws: Signal<Local, Bit>,
    c_exact: Signal<Local, Bit>,
    /// The state after `update_from_wire`, and after an ordinary host segment.
    c_uw_st: Signal<Local, Bits<4>>,
    c_hn_st: Signal<Local, Bits<4>>,

    // ================= stage 3 registers: the decision, and what stage 4 needs
    s3_valid: DFF<Bit>,
    s3_tag: DFF<Bits<TRACKER_TAG_BITS>>,
    s3_op: DFF<Bits<2>>,
    s3_st: DFF<Bits<4>>,
    s3_act: DFF<Bits<3>>,
    s3_code: DFF<Bits<4>>,
    s3_close: DFF<Bit>,
    s3_synsent: DFF<Bit>,
    s3_uw: DFF<Bit>,
    s3_stamp_only: DFF<Bit>,
    s3_hsyn: DFF<Bit>,
    s3_hnorm: DFF<Bit>,
    s3_opeer: DFF<Bit>,
    s3_ohost: DFF<Bit>,
    s3_uw_st: DFF<Bits<4>>,
    s3_hn_st: DFF<Bits<4>>,
    /// `update_from_wire` closes (LAST-ACK, our FIN acknowledged); the entry was CLOSED.
    s3_uw_closes: DFF<Bit>,
    s3_is_closed: DFF<Bit>,
    s3_keep: [DFF<Lane>; 5],
    s3_fl: DFF<Bits<4>>,
    s3_pws: DFF<Bits<4>>,
    s3_hws: DFF<Bits<4>>,
    s3_stamp: DFF<Bits<16>>,
    s3_now: DFF<Bits<16>>,
    s3_pe: DFF<Lane>,
    s3_he: DFF<Lane>,
    s3_tr: DFF<Lane>,
    s3_pmw: DFF<Lane>,
    s3_hmw: DFF<Lane>,
    s3_win: DFF<Lane>,
    s3_tsval: DFF<Lane>,
    s3_end: DFF<Lane>,
    s3_syn: DFF<Bit>,
    s3_ackf: DFF<Bit>,
    s3_ts_valid: DFF<Bit>,
    s3_wsc: DFF<Bits<4>>,
    s3_sc_w: DFF<Bit>,
    s3_sc_h: DFF<Bit>,
    s3_pmw_max: DFF<Lane>,
    s3_hmw_max: DFF<Lane>,
    s3_csw: DFF<Lane>,
    s3_csh: DFF<Lane>,
    s3_csp: DFF<Lane>,
    s3_end_after_pe: DFF<Bit>,
    s3_end_after_he: DFF<Bit>,
    s3_seq_after_pe: DFF<Bit>,
    s3_ts_not_older: DFF<Bit>,

    // ================= stage 4 locals: the new fields and write-back
    d_del: Signal<Local, Bit>,
    d_wb: Signal<Local, Bits<2>>,
    d_st: Signal<Local, Bits<4>>,
    d_fl: Signal<Local, Bits<4>>,
    d_pws: Signal<Local, Bits<4>>,
    d_hws: Signal<Local, Bits<4>>,
    d_stamp: Signal<Local, Bits<16>>,
    d_pe: Signal<Local, Lane>,
    d_he: Signal<Local, Lane>,
    d_pmw: Signal<Local, Lane>,
    d_hmw: Signal<Local, Lane>,
    d_tr: Signal<Local, Lane>,
    /// The word-3 fields as lanes, and word 3.
    d_st32: Signal<Local, Lane>,
    d_fl32: Signal<Local, Lane>,
    d_pws32: Signal<Local, Lane>,
    d_hws32: Signal<Local, Lane>,
    d_stamp32: Signal<Local, Lane>,
    d_w3: Signal<Local, Lane>,

    // ================= stage 4 registers (the outputs)
    r_valid: DFF<Bit>,
    r_tag: DFF<Bits<TRACKER_TAG_BITS>>,
    r_op: DFF<Bits<2>>,
    r_old: DFF<Bits<4>>,
    r_act: DFF<Bits<3>>,
    r_code: DFF<Bits<4>>,
    r_wb: DFF<Bits<2>>,
    r_w: [DFF<Lane>; ENTRY_WORDS],
}

impl Logic for TrackerUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            s1_valid,
            s1_tag,
            s1_op,
            s1_rfc1337,
            s1_now,
            s1_st,
            s1_fl,
            s1_pws,
            s1_hws,
            s1_stamp,
            s1_pe,
            s1_he,
            s1_tr,
            s1_pmw,
            s1_hmw,
            s1_seq,
            s1_tsval,
            s1_win,
            s1_syn,
            s1_ackf,
            s1_rst,
            s1_fin,
            s1_ts_valid,
            s1_wsc,
            s1_seglen,
            s1_rw,
            s1_pmwb,
            s1_pmw_gt,
            s1_scaling,
            s1_d_sp,
            s1_d_ps,
            s1_d_ah,
            s1_d_ha,
            s1_d_hs,
            s1_d_rt,
            s1_tsv_neg,
            s1_ack_eq_he,
            s1_ack_eq_pe,
            s1_seq_eq_pe,
            s1_tsv_eq_tr,
            s1_seg_nz,
            s1_he_z,
            s1_tr_nz,
            s1_pmw_lt,
            s1_hmw_lt,
            s1_sc_w,
            s1_sc_h,
            s1_csw_sum,
            s1_csh_sum,
            s1_csp_sum,
            s1_is_closed,
            s1_is_synsent,
            s1_is_synrcvd,
            s1_is_est,
            s1_is_fw1,
            s1_is_fw2,
            s1_is_cw,
            s1_is_closing,
            s1_is_lastack,
            s1_is_tw,
            s1_is_sync,
            s2_valid,
            s2_tag,
            s2_op,
            s2_rfc1337,
            s2_now,
            s2_st,
            s2_fl,
            s2_pws,
            s2_hws,
            s2_stamp,
            s2_pe,
            s2_he,
            s2_tr,
            s2_pmw,
            s2_hmw,
            s2_win,
            s2_tsval,
            s2_end,
            s2_syn,
            s2_ackf,
            s2_rst,
            s2_fin,
            s2_ts_valid,
            s2_wsc,
            s2_seg_nz,
            s2_he_z,
            s2_tr_nz,
            s2_sc_w,
            s2_sc_h,
            s2_is_closed,
            s2_is_synsent,
            s2_is_synrcvd,
            s2_is_est,
            s2_is_fw1,
            s2_is_fw2,
            s2_is_cw,
            s2_is_closing,
            s2_is_lastack,
            s2_is_tw,
            s2_is_sync,
            s2_pmw_max,
            s2_hmw_max,
            s2_csw,
            s2_csh,
            s2_csp,
            s2_ack_eq_he,
            s2_ack_eq_pe,
            s2_seq_eq_pe,
            s2_seq_eq_pe_m1,
            s2_end_eq_pe,
            s2_seq_before_pe,
            s2_seq_after_pe,
            s2_ack_after_he,
            s2_seq_before_top,
            s2_seq_after_top,
            s2_ack_before_floor,
            s2_end_before_bot,
            s2_end_after_pe,
            s2_end_after_he,
            s2_ts_newer,
            s2_ts_not_older,
            s2_ts_paws_old,
            s3_valid,
            s3_tag,
            s3_op,
            s3_st,
            s3_act,
            s3_code,
            s3_close,
            s3_synsent,
            s3_uw,
            s3_stamp_only,
            s3_hsyn,
            s3_hnorm,
            s3_opeer,
            s3_ohost,
            s3_uw_st,
            s3_hn_st,
            s3_uw_closes,
            s3_is_closed,
            s3_fl,
            s3_pws,
            s3_hws,
            s3_stamp,
            s3_now,
            s3_pe,
            s3_he,
            s3_tr,
            s3_pmw,
            s3_hmw,
            s3_win,
            s3_tsval,
            s3_end,
            s3_syn,
            s3_ackf,
            s3_ts_valid,
            s3_wsc,
            s3_sc_w,
            s3_sc_h,
            s3_pmw_max,
            s3_hmw_max,
            s3_csw,
            s3_csh,
            s3_csp,
            s3_end_after_pe,
            s3_end_after_he,
            s3_seq_after_pe,
            s3_ts_not_older,
            r_valid,
            r_tag,
            r_op,
            r_old,
            r_act,
            r_code,
            r_wb
        );
        for i in 0..5 {
            self.s1_keep[i].clock.next = self.clock.val();
            self.s2_keep[i].clock.next = self.clock.val();
            self.s3_keep[i].clock.next = self.clock.val();
        }
        for i in 0..10 {
            self.r_w[i].clock.next = self.clock.val();
        }

        // ================= stage 1: decode, differences, windows, shifts
        self.a_zero.next = 0_u32.into();
        self.a_st.next = bit_cast::<4, 32>(self.ent_w[3].val().into());
        self.a_fl.next = bit_cast::<4, 32>((self.ent_w[3].val() >> 4_u32).into());
        self.a_pws.next = bit_cast::<4, 32>((self.ent_w[3].val() >> 8_u32).into());
        self.a_hws.next = bit_cast::<4, 32>((self.ent_w[3].val() >> 12_u32).into());
        self.a_pmw.next = self.ent_w[6].val() >> 16_u32;
        self.a_hmw.next = self.ent_w[6].val() & 0xFFFF_u32;
        self.a_hmw16.next = bit_cast::<16, 32>(self.ent_w[6].val().into());
        self.a_win.next = bit_cast::<32, 16>(self.window.val()).into();
        self.a_fin.next = self.flag_fin.val();
        self.a_syn.next = self.flag_syn.val();
        self.a_rst.next = self.flag_rst.val();
        self.a_ackf.next = self.flag_ack.val();
        self.a_plen.next = bit_cast::<32, 16>(self.payload_len.val()).into();

        // Entry::scaling (a stored scale is 0..14 or 15 = none); with it, host_shift() and
        // peer_shift() are the stored scales themselves.
        self.a_scaling.next = (self.a_pws.val() != 15) && (self.a_hws.val() != 15);
        // host_maxwin << host_ws: a 4-level log shifter.
        self.a_hx[0].next = self.a_hmw.val();
        self.a_hx[1].next = self.a_hx[0].val();
        if self.a_hws.val().get_bit(0) {
            self.a_hx[1].next = self.a_hx[0].val() << 1_u32;
        }
        self.a_hx[2].next = self.a_hx[1].val();
        if self.a_hws.val().get_bit(1) {
            self.a_hx[2].next = self.a_hx[1].val() << 2_u32;
        }
        self.a_hx[3].next = self.a_hx[2].val();
        if self.a_hws.val().get_bit(2) {
            self.a_hx[3].next = self.a_hx[2].val() << 4_u32;
        }
        self.a_hx[4].next = self.a_hx[3].val();
        if self.a_hws.val().get_bit(3) {
            self.a_hx[4].next = self.a_hx[3].val() << 8_u32;
        }
        // rcv_wnd = max(host_maxwin_bytes, 1): a non-zero 16-bit value shifted by <= 14 is
        // non-zero.
        self.a_rw.next = self.a_hmw.val();
        if self.a_scaling.val() {
            self.a_rw.next = self.a_hx[4].val();
        }
        if !self.a_hmw16.val().any() {
            self.a_rw.next = 1_u32.into();
        }
        // peer_maxwin << peer_ws.
        self.a_px[0].next = self.a_pmw.val();
        self.a_px[1].next = self.a_px[0].val();
        if self.a_pws.val().get_bit(0) {
            self.a_px[1].next = self.a_px[0].val() << 1_u32;
        }
        self.a_px[2].next = self.a_px[1].val();
        if self.a_pws.val().get_bit(1) {
            self.a_px[2].next = self.a_px[1].val() << 2_u32;
        }
        self.a_px[3].next = self.a_px[2].val();
        if self.a_pws.val().get_bit(2) {
            self.a_px[3].next = self.a_px[2].val() << 4_u32;
        }
        self.a_px[4].next = self.a_px[3].val();
        if self.a_pws.val().get_bit(3) {
            self.a_px[4].next = self.a_px[3].val() << 8_u32;
        }
        // max(peer_maxwin_bytes, 66000): unscaled, a 16-bit window is below 66000; scaled,
        // pmw << s >= 66000 iff pmw > (65999 >> s), a threshold that depends on s alone, so
        // the compare runs beside the shifter.
        self.a_tx[0].next = 65999_u32.into();
        self.a_tx[1].next = self.a_tx[0].val();
        if self.a_pws.val().get_bit(0) {
            self.a_tx[1].next = self.a_tx[0].val() >> 1_u32;
        }
        self.a_tx[2].next = self.a_tx[1].val();
        if self.a_pws.val().get_bit(1) {
            self.a_tx[2].next = self.a_tx[1].val() >> 2_u32;
        }
        self.a_tx[3].next = self.a_tx[2].val();
        if self.a_pws.val().get_bit(2) {
            self.a_tx[3].next = self.a_tx[2].val() >> 4_u32;
        }
        self.a_tx[4].next = self.a_tx[3].val();
        if self.a_pws.val().get_bit(3) {
            self.a_tx[4].next = self.a_tx[3].val() >> 8_u32;
        }

        // The segment's window scale, wscale_clamped() (15 = none).
        self.a_wsc.next = 15.into();
        if self.ws_valid.val() {
            self.a_wsc.next = bit_cast::<4, 8>(self.ws.val());
            if self.ws.val() > 14 {
                self.a_wsc.next = 14.into();
            }
        }
        // ceil_shift(v, s) = (v + 2^s - 1) >> s; the masks 2^s - 1 depend on s alone.
        self.a_mw[0].next = 0_u32.into();
        self.a_mw[1].next = self.a_mw[0].val();
        if self.a_wsc.val().get_bit(0) {
            self.a_mw[1].next = 1_u32.into();
        }
        self.a_mw[2].next = self.a_mw[1].val();
        if self.a_wsc.val().get_bit(1) {
            self.a_mw[2].next = (self.a_mw[1].val() << 2_u32) | 3_u32;
        }
        self.a_mw[3].next = self.a_mw[2].val();
        if self.a_wsc.val().get_bit(2) {
            self.a_mw[3].next = (self.a_mw[2].val() << 4_u32) | 0xF_u32;
        }
        self.a_mw[4].next = self.a_mw[3].val();
        if self.a_wsc.val().get_bit(3) {
            self.a_mw[4].next = (self.a_mw[3].val() << 8_u32) | 0xFF_u32;
        }
        self.a_mh[0].next = 0_u32.into();
        self.a_mh[1].next = self.a_mh[0].val();
        if self.a_hws.val().get_bit(0) {
            self.a_mh[1].next = 1_u32.into();
        }
        self.a_mh[2].next = self.a_mh[1].val();
        if self.a_hws.val().get_bit(1) {
            self.a_mh[2].next = (self.a_mh[1].val() << 2_u32) | 3_u32;
        }
        self.a_mh[3].next = self.a_mh[2].val();
        if self.a_hws.val().get_bit(2) {
            self.a_mh[3].next = (self.a_mh[2].val() << 4_u32) | 0xF_u32;
        }
        self.a_mh[4].next = self.a_mh[3].val();
        if self.a_hws.val().get_bit(3) {
            self.a_mh[4].next = (self.a_mh[3].val() << 8_u32) | 0xFF_u32;
        }
        self.a_mp[0].next = 0_u32.into();
        self.a_mp[1].next = self.a_mp[0].val();
        if self.a_pws.val().get_bit(0) {
            self.a_mp[1].next = 1_u32.into();
        }
        self.a_mp[2].next = self.a_mp[1].val();
        if self.a_pws.val().get_bit(1) {
            self.a_mp[2].next = (self.a_mp[1].val() << 2_u32) | 3_u32;
        }
        self.a_mp[3].next = self.a_mp[2].val();
        if self.a_pws.val().get_bit(2) {
            self.a_mp[3].next = (self.a_mp[2].val() << 4_u32) | 0xF_u32;
        }
        self.a_mp[4].next = self.a_mp[3].val();
        if self.a_pws.val().get_bit(3) {
            self.a_mp[4].next = (self.a_mp[3].val() << 8_u32) | 0xFF_u32;
        }

        self.s1_valid.d.next = self.in_valid.val();
        self.s1_tag.d.next = self.in_tag.val();
        self.s1_op.d.next = self.in_op.val();
        self.s1_rfc1337.d.next = self.cfg_rfc1337.val();
        self.s1_now.d.next = self.now_stamp.val();
        self.s1_keep[0].d.next = self.ent_w[0].val();
        self.s1_keep[1].d.next = self.ent_w[1].val();
        self.s1_keep[2].d.next = self.ent_w[2].val();
        self.s1_keep[3].d.next = self.ent_w[7].val();
        self.s1_keep[4].d.next = self.ent_w[8].val();
        self.s1_st.d.next = self.a_st.val();
        self.s1_fl.d.next = self.a_fl.val();
        self.s1_pws.d.next = self.a_pws.val();
        self.s1_hws.d.next = self.a_hws.val();
        self.s1_stamp.d.next = bit_cast::<16, 32>((self.ent_w[3].val() >> 16_u32).into());
        self.s1_pe.d.next = self.ent_w[4].val();
        self.s1_he.d.next = self.ent_w[5].val();
        self.s1_tr.d.next = self.ent_w[9].val();
        self.s1_pmw.d.next = self.a_pmw.val();
        self.s1_hmw.d.next = self.a_hmw.val();
        self.s1_seq.d.next = self.seq.val();
        self.s1_tsval.d.next = self.tsval.val();
        self.s1_win.d.next = self.a_win.val();
        self.s1_syn.d.next = self.a_syn.val();
        self.s1_ackf.d.next = self.a_ackf.val();
        self.s1_rst.d.next = self.a_rst.val();
        self.s1_fin.d.next = self.a_fin.val();
        self.s1_ts_valid.d.next = self.ts_valid.val();
        self.s1_wsc.d.next = self.a_wsc.val();
        // TcpInfo::seg_len (conntrack segment_seq_plus_len): payload + SYN + FIN.
        self.s1_seglen.d.next = (self.a_plen.val() + self.a_syn.val()) + self.a_fin.val();
        self.s1_rw.d.next = self.a_rw.val();
        self.s1_pmwb.d.next = self.a_px[4].val();
        self.s1_pmw_gt.d.next = self.a_pmw.val() > self.a_tx[4].val();
        self.s1_scaling.d.next = self.a_scaling.val();
        self.s1_d_sp.d.next = self.seq.val() - self.ent_w[4].val();
        self.s1_d_ps.d.next = self.ent_w[4].val() - self.seq.val();
        self.s1_d_ah.d.next = self.ack.val() - self.ent_w[5].val();
        self.s1_d_ha.d.next = self.ent_w[5].val() - self.ack.val();
        self.s1_d_hs.d.next = self.ent_w[5].val() - self.seq.val();
        self.s1_d_rt.d.next = self.ent_w[9].val() - self.tsval.val();
        self.s1_tsv_neg.d.next =
            bit_cast::<1, 32>(((self.tsval.val() - self.ent_w[9].val()) >> 31_u32).into()).any();
        self.s1_ack_eq_he.d.next = self.ack.val() == self.ent_w[5].val();
        self.s1_ack_eq_pe.d.next = self.ack.val() == self.ent_w[4].val();
        self.s1_seq_eq_pe.d.next = self.seq.val() == self.ent_w[4].val();
        self.s1_tsv_eq_tr.d.next = self.tsval.val() == self.ent_w[9].val();
        self.s1_seg_nz.d.next =
            (self.payload_len.val().any() || self.a_syn.val()) || self.a_fin.val();
        self.s1_he_z.d.next = self.ent_w[5].val() == self.a_zero.val();
        self.s1_tr_nz.d.next = self.ent_w[9].val() != self.a_zero.val();
        self.s1_pmw_lt.d.next = self.a_pmw.val() < self.a_win.val();
        self.s1_hmw_lt.d.next = self.a_hmw.val() < self.a_win.val();
        self.s1_sc_w.d.next = (self.a_hws.val() != 15) && (self.a_wsc.val() != 15);
        self.s1_sc_h.d.next = (self.a_pws.val() != 15) && (self.a_wsc.val() != 15);
        self.s1_csw_sum.d.next = self.a_win.val() + self.a_mw[4].val();
        self.s1_csh_sum.d.next = self.a_hmw.val() + self.a_mh[4].val();
        self.s1_csp_sum.d.next = self.a_pmw.val() + self.a_mp[4].val();
        self.s1_is_closed.d.next = self.a_st.val() == 0;
        self.s1_is_synsent.d.next = self.a_st.val() == 2;
        self.s1_is_synrcvd.d.next = self.a_st.val() == 3;
        self.s1_is_est.d.next = self.a_st.val() == 4;
        self.s1_is_fw1.d.next = self.a_st.val() == 5;
        self.s1_is_fw2.d.next = self.a_st.val() == 6;
        self.s1_is_cw.d.next = self.a_st.val() == 7;
        self.s1_is_closing.d.next = self.a_st.val() == 8;
        self.s1_is_lastack.d.next = self.a_st.val() == 9;
        self.s1_is_tw.d.next = self.a_st.val() == 10;
        self.s1_is_sync.d.next = (self.a_st.val() >= 4) && (self.a_st.val() <= 9);

        // ================= stage 2: the predicates, each one carry chain or compare tree
        // Linux before(a, b) = (a - b) as i32 < 0, after(a, b) = before(b, a); with
        // d_sp = seq - pe, d_ps = pe - seq, L = seg_len, end = seq + L (all mod 2^32):
        //   before(seq, pe + rw)  = sign(d_sp - rw)      after(seq, pe + rw) = sign(d_ps + rw)
        //   before(end, pe - rw)  = sign(d_sp + L + rw)  after(end, pe)      = sign(d_ps - L)
        //   after(end, he)        = sign((he - seq) - L) end == pe           = (d_ps == L)
        //   seq == pe - 1         = (d_ps == 1)          before(ack, he - maw) = sign(d_ah + maw)
        self.b_one.next = 1_u32.into();
        self.b_maw.next = 66000_u32.into();
        if self.s1_scaling.q.val() && self.s1_pmw_gt.q.val() {
            self.b_maw.next = self.s1_pmwb.q.val();
        }
        self.b_csa_s.next = (self.s1_d_sp.q.val() ^ self.s1_seglen.q.val()) ^ self.s1_rw.q.val();
        self.b_csa_c.next = (((self.s1_d_sp.q.val() & self.s1_seglen.q.val())
            | (self.s1_d_sp.q.val() & self.s1_rw.q.val()))
            | (self.s1_seglen.q.val() & self.s1_rw.q.val()))
            << 1_u32;

        // ceil_shift right shifts (by the segment's, the host's, the peer's scale).
        self.b_cw[0].next = self.s1_csw_sum.q.val();
        self.b_cw[1].next = self.b_cw[0].val();
        if self.s1_wsc.q.val().get_bit(0) {
            self.b_cw[1].next = self.b_cw[0].val() >> 1_u32;
        }
        self.b_cw[2].next = self.b_cw[1].val();
        if self.s1_wsc.q.val().get_bit(1) {
            self.b_cw[2].next = self.b_cw[1].val() >> 2_u32;
        }
        self.b_cw[3].next = self.b_cw[2].val();
        if self.s1_wsc.q.val().get_bit(2) {
            self.b_cw[3].next = self.b_cw[2].val() >> 4_u32;
        }
        self.b_cw[4].next = self.b_cw[3].val();
        if self.s1_wsc.q.val().get_bit(3) {
            self.b_cw[4].next = self.b_cw[3].val() >> 8_u32;
        }
        self.b_ch[0].next = self.s1_csh_sum.q.val();
        self.b_ch[1].next = self.b_ch[0].val();
        if self.s1_hws.q.val().get_bit(0) {
            self.b_ch[1].next = self.b_ch[0].val() >> 1_u32;
        }
        self.b_ch[2].next = self.b_ch[1].val();
        if self.s1_hws.q.val().get_bit(1) {
            self.b_ch[2].next = self.b_ch[1].val() >> 2_u32;
        }
        self.b_ch[3].next = self.b_ch[2].val();
        if self.s1_hws.q.val().get_bit(2) {
            self.b_ch[3].next = self.b_ch[2].val() >> 4_u32;
        }
        self.b_ch[4].next = self.b_ch[3].val();
        if self.s1_hws.q.val().get_bit(3) {
            self.b_ch[4].next = self.b_ch[3].val() >> 8_u32;
        }
        self.b_cp[0].next = self.s1_csp_sum.q.val();
        self.b_cp[1].next = self.b_cp[0].val();
        if self.s1_pws.q.val().get_bit(0) {
            self.b_cp[1].next = self.b_cp[0].val() >> 1_u32;
        }
        self.b_cp[2].next = self.b_cp[1].val();
        if self.s1_pws.q.val().get_bit(1) {
            self.b_cp[2].next = self.b_cp[1].val() >> 2_u32;
        }
        self.b_cp[3].next = self.b_cp[2].val();
        if self.s1_pws.q.val().get_bit(2) {
            self.b_cp[3].next = self.b_cp[2].val() >> 4_u32;
        }
        self.b_cp[4].next = self.b_cp[3].val();
        if self.s1_pws.q.val().get_bit(3) {
            self.b_cp[4].next = self.b_cp[3].val() >> 8_u32;
        }

        self.s2_valid.d.next = self.s1_valid.q.val();
        self.s2_tag.d.next = self.s1_tag.q.val();
        self.s2_op.d.next = self.s1_op.q.val();
        self.s2_rfc1337.d.next = self.s1_rfc1337.q.val();
        self.s2_now.d.next = self.s1_now.q.val();
        for i in 0..5 {
            self.s2_keep[i].d.next = self.s1_keep[i].q.val();
        }
        self.s2_st.d.next = self.s1_st.q.val();
        self.s2_fl.d.next = self.s1_fl.q.val();
        self.s2_pws.d.next = self.s1_pws.q.val();
        self.s2_hws.d.next = self.s1_hws.q.val();
        self.s2_stamp.d.next = self.s1_stamp.q.val();
        self.s2_pe.d.next = self.s1_pe.q.val();
        self.s2_he.d.next = self.s1_he.q.val();
        self.s2_tr.d.next = self.s1_tr.q.val();
        self.s2_pmw.d.next = self.s1_pmw.q.val();
        self.s2_hmw.d.next = self.s1_hmw.q.val();
        self.s2_win.d.next = self.s1_win.q.val();
        self.s2_tsval.d.next = self.s1_tsval.q.val();
        self.s2_end.d.next = self.s1_seq.q.val() + self.s1_seglen.q.val();
        self.s2_syn.d.next = self.s1_syn.q.val();
        self.s2_ackf.d.next = self.s1_ackf.q.val();
        self.s2_rst.d.next = self.s1_rst.q.val();
        self.s2_fin.d.next = self.s1_fin.q.val();
        self.s2_ts_valid.d.next = self.s1_ts_valid.q.val();
        self.s2_wsc.d.next = self.s1_wsc.q.val();
        self.s2_seg_nz.d.next = self.s1_seg_nz.q.val();
        self.s2_he_z.d.next = self.s1_he_z.q.val();
        self.s2_tr_nz.d.next = self.s1_tr_nz.q.val();
        self.s2_sc_w.d.next = self.s1_sc_w.q.val();
        self.s2_sc_h.d.next = self.s1_sc_h.q.val();
        self.s2_is_closed.d.next = self.s1_is_closed.q.val();
        self.s2_is_synsent.d.next = self.s1_is_synsent.q.val();
        self.s2_is_synrcvd.d.next = self.s1_is_synrcvd.q.val();
        self.s2_is_est.d.next = self.s1_is_est.q.val();
        self.s2_is_fw1.d.next = self.s1_is_fw1.q.val();
        self.s2_is_fw2.d.next = self.s1_is_fw2.q.val();
        self.s2_is_cw.d.next = self.s1_is_cw.q.val();
        self.s2_is_closing.d.next = self.s1_is_closing.q.val();
        self.s2_is_lastack.d.next = self.s1_is_lastack.q.val();
        self.s2_is_tw.d.next = self.s1_is_tw.q.val();
        self.s2_is_sync.d.next = self.s1_is_sync.q.val();
        self.s2_pmw_max.d.next = self.s1_pmw.q.val();
        if self.s1_pmw_lt.q.val() {
            self.s2_pmw_max.d.next = self.s1_win.q.val();
        }
        self.s2_hmw_max.d.next = self.s1_hmw.q.val();
        if self.s1_hmw_lt.q.val() {
            self.s2_hmw_max.d.next = self.s1_win.q.val();
        }
        self.s2_csw.d.next = self.b_cw[4].val() & 0xFFFF_u32;
        self.s2_csh.d.next = self.b_ch[4].val() & 0xFFFF_u32;
        self.s2_csp.d.next = self.b_cp[4].val() & 0xFFFF_u32;
        self.s2_ack_eq_he.d.next = self.s1_ack_eq_he.q.val();
        self.s2_ack_eq_pe.d.next = self.s1_ack_eq_pe.q.val();
        self.s2_seq_eq_pe.d.next = self.s1_seq_eq_pe.q.val();
        self.s2_seq_eq_pe_m1.d.next = self.s1_d_ps.q.val() == self.b_one.val();
        self.s2_end_eq_pe.d.next = self.s1_d_ps.q.val() == self.s1_seglen.q.val();
        self.s2_seq_before_pe.d.next =
            bit_cast::<1, 32>((self.s1_d_sp.q.val() >> 31_u32).into()).any();
        self.s2_seq_after_pe.d.next =
            bit_cast::<1, 32>((self.s1_d_ps.q.val() >> 31_u32).into()).any();
        self.s2_ack_after_he.d.next =
            bit_cast::<1, 32>((self.s1_d_ha.q.val() >> 31_u32).into()).any();
        self.s2_seq_before_top.d.next =
            bit_cast::<1, 32>(((self.s1_d_sp.q.val() - self.s1_rw.q.val()) >> 31_u32).into()).any();
        self.s2_seq_after_top.d.next =
            bit_cast::<1, 32>(((self.s1_d_ps.q.val() + self.s1_rw.q.val()) >> 31_u32).into()).any();
        self.s2_ack_before_floor.d.next =
            bit_cast::<1, 32>(((self.s1_d_ah.q.val() + self.b_maw.val()) >> 31_u32).into()).any();
        self.s2_end_before_bot.d.next =
            bit_cast::<1, 32>(((self.b_csa_s.val() + self.b_csa_c.val()) >> 31_u32).into()).any();
        self.s2_end_after_pe.d.next =
            bit_cast::<1, 32>(((self.s1_d_ps.q.val() - self.s1_seglen.q.val()) >> 31_u32).into())
                .any();
        self.s2_end_after_he.d.next =
            bit_cast::<1, 32>(((self.s1_d_hs.q.val() - self.s1_seglen.q.val()) >> 31_u32).into())
                .any();
        // (tsval - ts_recent) as i32 > 0 and >= 0; (ts_recent - tsval) as i32 > 1, i.e. not
        // negative and neither 0 (tsval == ts_recent) nor 1.
        self.s2_ts_not_older.d.next = !self.s1_tsv_neg.q.val();
        self.s2_ts_newer.d.next = (!self.s1_tsv_neg.q.val()) && (!self.s1_tsv_eq_tr.q.val());
        self.s2_ts_paws_old.d.next =
            ((!bit_cast::<1, 32>((self.s1_d_rt.q.val() >> 31_u32).into()).any())
                && (!self.s1_tsv_eq_tr.q.val()))
                && (self.s1_d_rt.q.val() != self.b_one.val());

        // ================= stage 3: the decision
        self.c_act.next = 0.into(); // ACT_ACCEPT
        self.c_code.next = 0.into();
        self.c_close.next = false;
        self.c_synsent.next = false;
        self.c_uw.next = false;
        self.c_stamp_only.next = false;
        self.c_hsyn.next = false;
        self.c_hnorm.next = false;
        self.c_opeer.next = false;
        self.c_ohost.next = false;
        // RFC 7323 §5 PAWS (tcp_paws_check; RSTs exempt).
        self.c_paws.next = (((self.s2_fl.q.val().get_bit(1) && self.s2_tr_nz.q.val())
            && self.s2_ts_valid.q.val())
            && self.s2_ts_paws_old.q.val())
            && (!self.s2_rst.q.val());
        // Linux tcp_reset_check: RCV.NXT, or RCV.NXT - 1 after the peer's FIN.
        self.c_exact.next = self.s2_seq_eq_pe.q.val()
            || (self.s2_seq_eq_pe_m1.q.val()
                && ((self.s2_is_cw.q.val() || self.s2_is_lastack.q.val())
                    || self.s2_is_closing.q.val()));
        if self.s2_op.q.val() == 0 {
            // ---- on_wire
            if self.s2_is_synsent.q.val() {
                // RFC 9293 §3.10.7.3.
                if self.s2_rst.q.val() {
                    if self.s2_ackf.q.val() && self.s2_ack_eq_he.q.val() {
                        self.c_close.next = true;
                    } else {
                        self.c_act.next = 2.into(); // ACT_DROP
                        self.c_code.next = 6.into(); // RstOutOfWindow
                    }
                } else if self.s2_syn.q.val() {
                    if self.s2_ackf.q.val() && (!self.s2_ack_eq_he.q.val()) {
                        self.c_act.next = 2.into(); // ACT_DROP
                        self.c_code.next = 9.into(); // AckOutOfRange
                    } else {
                        self.c_synsent.next = true;
                    }
                } else {
                    self.c_act.next = 1.into(); // ACT_IGNORE
                }
            } else if self.s2_is_synrcvd.q.val() {
                // on_wire_syn_received.
                if self.s2_rst.q.val() {
                    if self.s2_seq_eq_pe.q.val() {
                        self.c_close.next = true;
                    } else {
                        self.c_act.next = 2.into(); // ACT_DROP
                        self.c_code.next = 6.into(); // RstOutOfWindow
                    }
                } else if self.s2_syn.q.val() && (!self.s2_ackf.q.val()) {
                    self.c_act.next = 1.into(); // ACT_IGNORE
                } else if !self.s2_ackf.q.val() {
                    self.c_act.next = 2.into(); // ACT_DROP
                    self.c_code.next = 2.into(); // InvalidFlags
                } else if self.s2_he_z.q.val() || (!self.s2_ack_eq_he.q.val()) {
                    self.c_act.next = 2.into(); // ACT_DROP
                    self.c_code.next = 9.into(); // AckOutOfRange
                } else if self.s2_syn.q.val() && (!self.s2_fl.q.val().get_bit(2)) {
                    self.c_act.next = 2.into(); // ACT_DROP
                    self.c_code.next = 2.into(); // InvalidFlags
                } else {
                    self.c_uw.next = true;
                }
            } else if self.s2_is_tw.q.val() {
                // on_wire_time_wait.
                if self.s2_syn.q.val() && (!self.s2_ackf.q.val()) {
                    // RFC 6191: a newer SYN (seq, or timestamp when both use them) reuses.
                    if self.s2_seq_after_pe.q.val()
                        || ((self.s2_fl.q.val().get_bit(1) && self.s2_ts_valid.q.val())
                            && self.s2_ts_newer.q.val())
                    {
                        self.c_act.next = 4.into(); // ACT_REUSE
                    } else {
                        self.c_act.next = 3.into(); // ACT_CHALLENGE
                        self.c_code.next = 3.into(); // CH_TIME_WAIT
                    }
                } else if self.s2_rst.q.val() {
                    if self.s2_rfc1337.q.val() {
                        self.c_act.next = 2.into(); // ACT_DROP
                        self.c_code.next = 11.into(); // Rfc1337
                    } else if self.s2_seq_eq_pe.q.val() {
                        self.c_close.next = true;
                    } else {
                        self.c_act.next = 2.into(); // ACT_DROP
                        self.c_code.next = 6.into(); // RstOutOfWindow
                    }
                } else if self.s2_syn.q.val() {
                    self.c_act.next = 3.into(); // ACT_CHALLENGE
                    self.c_code.next = 1.into(); // CH_SYN
                } else if self.s2_seq_eq_pe.q.val() || self.s2_end_eq_pe.q.val() {
                    self.c_stamp_only.next = true;
                } else {
                    self.c_act.next = 1.into(); // ACT_IGNORE
                }
            } else if self.s2_is_sync.q.val() {
                // on_wire_synchronized.
                if self.c_paws.val() {
                    if self.s2_syn.q.val() {
                        self.c_act.next = 3.into(); // ACT_CHALLENGE
                        self.c_code.next = 1.into(); // CH_SYN
                    } else {
                        self.c_act.next = 2.into(); // ACT_DROP
                        self.c_code.next = 10.into(); // Paws
                    }
                } else if self.s2_rst.q.val() {
                    // RFC 5961 §3.
                    if self.c_exact.val() {
                        self.c_close.next = true;
                    } else if (!self.s2_seq_before_pe.q.val()) && self.s2_seq_before_top.q.val() {
                        self.c_act.next = 3.into(); // ACT_CHALLENGE
                        self.c_code.next = 0.into(); // CH_RST
                    } else {
                        self.c_act.next = 2.into(); // ACT_DROP
                        self.c_code.next = 6.into(); // RstOutOfWindow
                    }
                } else if self.s2_syn.q.val() {
                    // RFC 5961 §4.
                    self.c_act.next = 3.into(); // ACT_CHALLENGE
                    self.c_code.next = 1.into(); // CH_SYN
                } else if !self.s2_ackf.q.val() {
                    self.c_act.next = 2.into(); // ACT_DROP
                    self.c_code.next = 2.into(); // InvalidFlags
                } else if self.s2_seq_after_top.q.val() {
                    // conntrack I.
                    self.c_act.next = 2.into(); // ACT_DROP
                    self.c_code.next = 8.into(); // OutOfWindow
                } else if self.s2_ack_after_he.q.val() {
                    // RFC 5961 §5 / conntrack III.
                    self.c_act.next = 2.into(); // ACT_DROP
                    self.c_code.next = 9.into(); // AckOutOfRange
                } else if self.s2_ack_before_floor.q.val() {
                    // RFC 5961 §5 / conntrack IV.
                    self.c_act.next = 3.into(); // ACT_CHALLENGE
                    self.c_code.next = 2.into(); // CH_ACK
                } else if self.s2_seg_nz.q.val() && self.s2_end_before_bot.q.val() {
                    // conntrack II: an old retransmission.
                    self.c_act.next = 1.into(); // ACT_IGNORE
                } else {
                    self.c_uw.next = true;
                }
            } else {
                // CLOSED, LISTEN (and the non-state codes).
                self.c_act.next = 2.into(); // ACT_DROP
                self.c_code.next = 4.into(); // UnknownFlow
            }
        } else if self.s2_op.q.val() == 1 {
            // ---- on_host
            if self.s2_rst.q.val() {
                self.c_close.next = true;
            } else if (self.s2_syn.q.val() && self.s2_is_synrcvd.q.val()) && self.s2_he_z.q.val() {
                self.c_hsyn.next = true;
            } else {
                self.c_hnorm.next = true;
            }
        } else if self.s2_op.q.val() == 2 {
            self.c_opeer.next = true;
        } else {
            self.c_ohost.next = true;
        }

        // The state after update_from_wire (SYN-RECEIVED and the synchronized states):
        // RFC 9293 §3.10.7.4 fifth step (our FIN acknowledged), then eighth step (FIN).
        self.c_uw_st.next = self.s2_st.q.val();
        if self.s2_is_synrcvd.q.val() {
            self.c_uw_st.next = 4.into(); // ESTABLISHED
            if self.s2_fin.q.val() {
                self.c_uw_st.next = 7.into(); // CLOSE-WAIT
            }
        }
        if self.s2_is_est.q.val() && self.s2_fin.q.val() {
            self.c_uw_st.next = 7.into(); // CLOSE-WAIT
        }
        if self.s2_is_fw1.q.val() {
            if self.s2_ack_eq_he.q.val() {
                self.c_uw_st.next = 6.into(); // FIN-WAIT-2
                if self.s2_fin.q.val() {
                    self.c_uw_st.next = 10.into(); // TIME-WAIT
                }
            } else if self.s2_fin.q.val() {
                self.c_uw_st.next = 8.into(); // CLOSING
            }
        }
        if self.s2_is_fw2.q.val() && self.s2_fin.q.val() {
            self.c_uw_st.next = 10.into(); // TIME-WAIT
        }
        if self.s2_is_closing.q.val() && self.s2_ack_eq_he.q.val() {
            self.c_uw_st.next = 10.into(); // TIME-WAIT
        }
        if self.s2_is_lastack.q.val() && self.s2_ack_eq_he.q.val() {
            self.c_uw_st.next = 0.into(); // CLOSED
        }

        // The state after an ordinary segment from the host.
        self.c_hn_st.next = self.s2_st.q.val();
        if self.s2_fin.q.val() {
            // RFC 9293 §3.10.4 CLOSE.
            if self.s2_is_est.q.val() || self.s2_is_synrcvd.q.val() {
                self.c_hn_st.next = 5.into(); // FIN-WAIT-1
            }
            if self.s2_is_cw.q.val() {
                self.c_hn_st.next = 9.into(); // LAST-ACK
            }
        } else if (((self.s2_ackf.q.val() && (!self.s2_syn.q.val())) && self.s2_is_synrcvd.q.val())
            && self.s2_fl.q.val().get_bit(2))
            && self.s2_ack_eq_pe.q.val()
        {
            // Simultaneous open: the host acknowledged the peer's SYN-ACK.
            self.c_hn_st.next = 4.into(); // ESTABLISHED
        }

        self.s3_valid.d.next = self.s2_valid.q.val();
        self.s3_tag.d.next = self.s2_tag.q.val();
        self.s3_op.d.next = self.s2_op.q.val();
        self.s3_st.d.next = self.s2_st.q.val();
        self.s3_act.d.next = self.c_act.val();
        self.s3_code.d.next = self.c_code.val();
        self.s3_close.d.next = self.c_close.val();
        self.s3_synsent.d.next = self.c_synsent.val();
        self.s3_uw.d.next = self.c_uw.val();
        self.s3_stamp_only.d.next = self.c_stamp_only.val();
        self.s3_hsyn.d.next = self.c_hsyn.val();
        self.s3_hnorm.d.next = self.c_hnorm.val();
        self.s3_opeer.d.next = self.c_opeer.val();
        self.s3_ohost.d.next = self.c_ohost.val();
        self.s3_uw_st.d.next = self.c_uw_st.val();
        self.s3_hn_st.d.next = self.c_hn_st.val();
        self.s3_uw_closes.d.next = self.s2_is_lastack.q.val() && self.s2_ack_eq_he.q.val();
        self.s3_is_closed.d.next = self.s2_is_closed.q.val();
        for i in 0..5 {
            self.s3_keep[i].d.next = self.s2_keep[i].q.val();
        }
        self.s3_fl.d.next = self.s2_fl.q.val();
        self.s3_pws.d.next = self.s2_pws.q.val();
        self.s3_hws.d.next = self.s2_hws.q.val();
        self.s3_stamp.d.next = self.s2_stamp.q.val();
        self.s3_now.d.next = self.s2_now.q.val();
        self.s3_pe.d.next = self.s2_pe.q.val();
        self.s3_he.d.next = self.s2_he.q.val();
        self.s3_tr.d.next = self.s2_tr.q.val();
        self.s3_pmw.d.next = self.s2_pmw.q.val();
        self.s3_hmw.d.next = self.s2_hmw.q.val();
        self.s3_win.d.next = self.s2_win.q.val();
        self.s3_tsval.d.next = self.s2_tsval.q.val();
        self.s3_end.d.next = self.s2_end.q.val();
        self.s3_syn.d.next = self.s2_syn.q.val();
        self.s3_ackf.d.next = self.s2_ackf.q.val();
        self.s3_ts_valid.d.next = self.s2_ts_valid.q.val();
        self.s3_wsc.d.next = self.s2_wsc.q.val();
        self.s3_sc_w.d.next = self.s2_sc_w.q.val();
        self.s3_sc_h.d.next = self.s2_sc_h.q.val();
        self.s3_pmw_max.d.next = self.s2_pmw_max.q.val();
        self.s3_hmw_max.d.next = self.s2_hmw_max.q.val();
        self.s3_csw.d.next = self.s2_csw.q.val();
        self.s3_csh.d.next = self.s2_csh.q.val();
        self.s3_csp.d.next = self.s2_csp.q.val();
        self.s3_end_after_pe.d.next = self.s2_end_after_pe.q.val();
        self.s3_end_after_he.d.next = self.s2_end_after_he.q.val();
        self.s3_seq_after_pe.d.next = self.s2_seq_after_pe.q.val();
        self.s3_ts_not_older.d.next = self.s2_ts_not_older.q.val();

        // ================= stage 4: the new fields, the write-back, the words
        // New fields; unchanged unless a path sets them.
        self.d_st.next = self.s3_st.q.val();
        self.d_fl.next = self.s3_fl.q.val();
        self.d_pws.next = self.s3_pws.q.val();
        self.d_hws.next = self.s3_hws.q.val();
        self.d_stamp.next = self.s3_stamp.q.val();
        self.d_pe.next = self.s3_pe.q.val();
        self.d_he.next = self.s3_he.q.val();
        self.d_pmw.next = self.s3_pmw.q.val();
        self.d_hmw.next = self.s3_hmw.q.val();
        self.d_tr.next = self.s3_tr.q.val();
        if self.s3_close.q.val() {
            // An acceptable RST (either direction): CLOSED, nothing else changes.
            self.d_st.next = 0.into(); // CLOSED
        }
        if self.s3_synsent.q.val() {
            // The peer's SYN(-ACK) in SYN-SENT; both_syns_seen.
            self.d_st.next = 3.into(); // SYN-RECEIVED
            if self.s3_ackf.q.val() {
                self.d_st.next = 4.into(); // ESTABLISHED
            } else {
                self.d_fl.next = self.s3_fl.q.val() | 4;
            }
            if !self.s3_ts_valid.q.val() {
                self.d_fl.next = self.d_fl.val() & 0xD;
            }
            self.d_pws.next = self.s3_wsc.q.val();
            if self.s3_hws.q.val() == 15 {
                self.d_pws.next = 15.into();
            }
            self.d_pe.next = self.s3_end.q.val();
            self.d_pmw.next = self.s3_win.q.val();
            self.d_hmw.next = self.s3_hmw.q.val();
            if self.s3_sc_w.q.val() {
                self.d_pmw.next = self.s3_csw.q.val();
                self.d_hmw.next = self.s3_csh.q.val();
            }
            if self.s3_ts_valid.q.val() {
                self.d_tr.next = self.s3_tsval.q.val();
            }
            self.d_stamp.next = self.s3_now.q.val();
        }
        if self.s3_uw.q.val() {
            // update_from_wire and the state moves.
            self.d_st.next = self.s3_uw_st.q.val();
            if self.s3_end_after_pe.q.val() {
                self.d_pe.next = self.s3_end.q.val();
            }
            if !self.s3_syn.q.val() {
                self.d_pmw.next = self.s3_pmw_max.q.val();
            }
            // RFC 7323 §4.3: !after(seq, new peer_end) is true when peer_end moved to end.
            if ((self.s3_ts_valid.q.val() && self.s3_fl.q.val().get_bit(1))
                && (self.s3_end_after_pe.q.val() || (!self.s3_seq_after_pe.q.val())))
                && self.s3_ts_not_older.q.val()
            {
                self.d_tr.next = self.s3_tsval.q.val();
            }
            self.d_stamp.next = self.s3_now.q.val();
        }
        if self.s3_stamp_only.q.val() {
            // TIME-WAIT: a retransmitted FIN or in-window ACK restarts 2*MSL.
            self.d_stamp.next = self.s3_now.q.val();
        }
        if self.s3_hsyn.q.val() {
            // The host's SYN-ACK, or its own crossing SYN, in SYN-RECEIVED; both_syns_seen.
            self.d_hws.next = self.s3_wsc.q.val();
            if self.s3_pws.q.val() == 15 {
                self.d_hws.next = 15.into();
            }
            if !self.s3_ackf.q.val() {
                self.d_fl.next = self.s3_fl.q.val() | 0xC;
                if self.s3_wsc.q.val() == 15 {
                    self.d_pws.next = 15.into();
                }
            }
            if !self.s3_ts_valid.q.val() {
                self.d_fl.next = self.d_fl.val() & 0xD;
            }
            self.d_he.next = self.s3_end.q.val();
            self.d_hmw.next = self.s3_win.q.val();
            if self.s3_sc_h.q.val() {
                self.d_pmw.next = self.s3_csp.q.val();
                self.d_hmw.next = self.s3_csw.q.val();
            }
            self.d_stamp.next = self.s3_now.q.val();
        }
        if self.s3_hnorm.q.val() {
            if self.s3_end_after_he.q.val() {
                self.d_he.next = self.s3_end.q.val();
            }
            if !self.s3_syn.q.val() {
                self.d_hmw.next = self.s3_hmw_max.q.val();
            }
            self.d_stamp.next = self.s3_now.q.val();
            self.d_st.next = self.s3_hn_st.q.val();
        }
        if self.s3_opeer.q.val() {
            self.d_st.next = 3.into(); // SYN-RECEIVED
            self.d_pe.next = self.s3_end.q.val();
            self.d_pws.next = self.s3_wsc.q.val();
            self.d_pmw.next = self.s3_win.q.val();
            if self.s3_ts_valid.q.val() {
                self.d_fl.next = self.s3_fl.q.val() | 2;
                self.d_tr.next = self.s3_tsval.q.val();
            }
            self.d_stamp.next = self.s3_now.q.val();
        }
        if self.s3_ohost.q.val() {
            self.d_st.next = 2.into(); // SYN-SENT
            self.d_fl.next = self.s3_fl.q.val() | 8;
            if self.s3_ts_valid.q.val() {
                self.d_fl.next = self.s3_fl.q.val() | 0xA;
            }
            self.d_he.next = self.s3_end.q.val();
            self.d_hws.next = self.s3_wsc.q.val();
            self.d_hmw.next = self.s3_win.q.val();
            self.d_stamp.next = self.s3_now.q.val();
        }

        // Write-back: what proto::nic does with the answer.
        self.d_del.next = ((self.s3_close.q.val()
            || (self.s3_uw.q.val() && self.s3_uw_closes.q.val()))
            || (self.s3_act.q.val() == 4))
            || (self.s3_hnorm.q.val() && self.s3_is_closed.q.val());
        self.d_wb.next = 0.into(); // WB_NONE
        if self.s3_act.q.val() == 0 {
            self.d_wb.next = 1.into(); // WB_UPDATE
        }
        if self.d_del.val() {
            self.d_wb.next = 2.into(); // WB_DELETE
        }
        if self.s3_opeer.q.val() || self.s3_ohost.q.val() {
            self.d_wb.next = 3.into(); // WB_INSERT
        }
        if !self.s3_valid.q.val() {
            self.d_wb.next = 0.into(); // WB_NONE
        }

        self.d_st32.next = bit_cast::<32, 4>(self.d_st.val()).into();
        self.d_fl32.next = bit_cast::<32, 4>(self.d_fl.val()).into();
        self.d_pws32.next = bit_cast::<32, 4>(self.d_pws.val()).into();
        self.d_hws32.next = bit_cast::<32, 4>(self.d_hws.val()).into();
        self.d_stamp32.next = bit_cast::<32, 16>(self.d_stamp.val()).into();
        self.d_w3.next = ((self.d_st32.val() | (self.d_fl32.val() << 4_u32))
            | ((self.d_pws32.val() << 8_u32) | (self.d_hws32.val() << 12_u32)))
            | (self.d_stamp32.val() << 16_u32);

        self.r_valid.d.next = self.s3_valid.q.val();
        self.r_tag.d.next = self.s3_tag.q.val();
        self.r_op.d.next = self.s3_op.q.val();
        self.r_old.d.next = self.s3_st.q.val();
        self.r_act.d.next = self.s3_act.q.val();
        self.r_code.d.next = self.s3_code.q.val();
        self.r_wb.d.next = self.d_wb.val();
        self.r_w[0].d.next = self.s3_keep[0].q.val();
        self.r_w[1].d.next = self.s3_keep[1].q.val();
        self.r_w[2].d.next = self.s3_keep[2].q.val();
        self.r_w[3].d.next = self.d_w3.val();
        self.r_w[4].d.next = self.d_pe.val();
        self.r_w[5].d.next = self.d_he.val();
        self.r_w[6].d.next = (self.d_pmw.val() << 16_u32) | self.d_hmw.val();
        self.r_w[7].d.next = self.s3_keep[3].q.val();
        self.r_w[8].d.next = self.s3_keep[4].q.val();
        self.r_w[9].d.next = self.d_tr.val();

        // ================= outputs
        self.out_valid.next = self.r_valid.q.val();
        self.out_tag.next = self.r_tag.q.val();
        self.out_op.next = self.r_op.q.val();
        self.old_state.next = self.r_old.q.val();
        self.act.next = self.r_act.q.val();
        self.code.next = self.r_code.q.val();
        self.wb_op.next = self.r_wb.q.val();
        for i in 0..10 {
            self.new_w[i].next = self.r_w[i].q.val();
        }
    }
}

/// One request as plain Rust values (what tests and drivers put on the ports).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TrackerRequest {
    pub valid: bool,
    pub tag: u16,
    /// `OP_*` (2 bits).
    pub op: u8,
    pub rfc1337: bool,
    /// `proto::tracker::stamp(now)`.
    pub now: u16,
    /// The entry, `Entry::pack`.
    pub w: [u32; ENTRY_WORDS],
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub payload_len: u16,
    pub tsval: Option<u32>,
    /// The WS option as sent (unclamped).
    pub ws: Option<u8>,
}

impl TrackerRequest {
    /// The request that asks the unit what `op` does to `entry` for `tcp` (its payload length
    /// must fit 16 bits, as IPv4 guarantees).
    pub fn new(op: u8, entry: &Entry, tcp: &TcpInfo, rfc1337: bool, now: Instant) -> Self {
        TrackerRequest {
            valid: true,
            tag: 0,
            op,
            rfc1337,
            now: tracker::stamp(now),
            w: entry.pack(),
            seq: tcp.seq,
            ack: tcp.ack,
            flags: tcp.flags.0,
            window: tcp.window,
            payload_len: u16::try_from(tcp.payload_len).expect("IPv4 payload fits 16 bits"),
            tsval: tcp.options.timestamp.map(|t| t.tsval),
            ws: tcp.options.wscale,
        }
    }

    /// The segment as `proto` sees it (the fields the tracker reads; the rest default).
    pub fn tcp_info(&self) -> TcpInfo {
        TcpInfo {
            offset: 34,
            header_len: 20,
            src_port: 0,
            dst_port: 0,
            seq: self.seq,
            ack: self.ack,
            flags: TcpFlags(self.flags),
            window: self.window,
            checksum: 0,
            urgent: 0,
            payload_len: usize::from(self.payload_len),
            options: TcpOptions {
                wscale: self.ws,
                timestamp: self.tsval.map(|tsval| Timestamp {
                    tsval,
                    tsecr: 0,
                    offset: 0,
                }),
                ..TcpOptions::default()
            },
        }
    }

    /// What `proto` says: the result the unit must produce for this request (`tag` and `valid`
    /// copied). Panics if the request's entry does not unpack (a state code above 10).
    pub fn expected(&self) -> TrackerResult {
        let before = Entry::unpack(&self.w).expect("the entry's state code is a state");
        let mut e = before;
        let tcp = self.tcp_info();
        let now = Instant::from_secs(u64::from(self.now));
        let (action, wb) = match self.op & 3 {
            OP_WIRE => {
                let cfg = NicConfig {
                    rfc1337: self.rfc1337,
                    ..NicConfig::default()
                };
                let a = tracker::on_wire(&mut e, &tcp, &cfg, now);
                let wb = match a {
                    // proto::nic::wire_known: store, and remove when CLOSED.
                    Action::Accept if e.state == proto::state::TcpState::Closed => WB_DELETE,
                    Action::Accept => WB_UPDATE,
                    // Ignore stores the unchanged entry: no write needed.
                    Action::Ignore | Action::Drop(_) | Action::Challenge(_) => WB_NONE,
                    Action::Reuse => WB_DELETE,
                };
                (a, wb)
            }
            OP_HOST => {
                tracker::on_host(&mut e, &tcp, now);
                let wb = if e.state == proto::state::TcpState::Closed {
                    WB_DELETE
                } else {
                    WB_UPDATE
                };
                (Action::Accept, wb)
            }
            OP_OPEN_PEER => {
                tracker::open_from_peer(&mut e, &tcp, now);
                (Action::Accept, WB_INSERT)
            }
            _ => {
                tracker::open_from_host(&mut e, &tcp, now);
                (Action::Accept, WB_INSERT)
            }
        };
        let (act, code) = action_code(action);
        TrackerResult {
            valid: self.valid,
            tag: self.tag,
            op: self.op & 3,
            old_state: before.state.code(),
            act,
            code,
            wb_op: if self.valid { wb as u8 } else { WB_NONE as u8 },
            w: e.pack(),
        }
    }

    /// Puts this request on the unit's ports (their `next` values).
    pub fn drive(&self, u: &mut TrackerUnit) {
        u.in_valid.next = self.valid;
        u.in_tag.next = u64::from(self.tag).to_bits();
        u.in_op.next = u64::from(self.op & 3).to_bits();
        u.cfg_rfc1337.next = self.rfc1337;
        u.now_stamp.next = u64::from(self.now).to_bits();
        for (p, &w) in u.ent_w.iter_mut().zip(&self.w) {
            p.next = Lane(w);
        }
        u.seq.next = Lane(self.seq);
        u.ack.next = Lane(self.ack);
        u.flag_fin.next = self.flags & TcpFlags::FIN != 0;
        u.flag_syn.next = self.flags & TcpFlags::SYN != 0;
        u.flag_rst.next = self.flags & TcpFlags::RST != 0;
        u.flag_ack.next = self.flags & TcpFlags::ACK != 0;
        u.window.next = u64::from(self.window).to_bits();
        u.payload_len.next = u64::from(self.payload_len).to_bits();
        u.ts_valid.next = self.tsval.is_some();
        u.tsval.next = Lane(self.tsval.unwrap_or(0));
        u.ws_valid.next = self.ws.is_some();
        u.ws.next = u64::from(self.ws.unwrap_or(0)).to_bits();
    }
}

/// The unit's outputs as plain Rust values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TrackerResult {
    pub valid: bool,
    pub tag: u16,
    pub op: u8,
    pub old_state: u8,
    pub act: u8,
    pub code: u8,
    pub wb_op: u8,
    pub w: [u32; ENTRY_WORDS],
}

impl TrackerResult {
    /// Reads the unit's output ports.
    pub fn read(u: &TrackerUnit) -> Self {
        let mut w = [0; ENTRY_WORDS];
        for (x, p) in w.iter_mut().zip(&u.new_w) {
            *x = p.val().0;
        }
        TrackerResult {
            valid: u.out_valid.val(),
            tag: u.out_tag.val().to_u32() as u16,
            op: u.out_op.val().to_u32() as u8,
            old_state: u.old_state.val().to_u32() as u8,
            act: u.act.val().to_u32() as u8,
            code: u.code.val().to_u32() as u8,
            wb_op: u.wb_op.val().to_u32() as u8,
            w,
        }
    }

    /// The tracker action the outputs stand for.
    pub fn action(&self) -> Option<Action> {
        decode_action(self.act, self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_drop_codes() {
        for (r, c) in KERNEL_DROP_CODES {
            assert_eq!(drop_code(r), c, "{r:?}");
            assert_eq!(decode_action(ACT_DROP, c), Some(Action::Drop(r)));
        }
        for (i, r) in DROP_REASONS.iter().enumerate() {
            assert_eq!(usize::from(drop_code(*r)), i);
        }
        assert_eq!(decode_action(ACT_DROP, 13), None);
        assert_eq!(decode_action(5, 0), None);
        assert_eq!(decode_action(ACT_CHALLENGE, 4), None);
    }

    #[test]
    fn actions_round_trip() {
        let all = [
            Action::Accept,
            Action::Ignore,
            Action::Reuse,
            Action::Challenge(Challenge::Rst),
            Action::Challenge(Challenge::Syn),
            Action::Challenge(Challenge::Ack),
            Action::Challenge(Challenge::TimeWait),
        ];
        for a in all
            .into_iter()
            .chain(DROP_REASONS.iter().map(|&r| Action::Drop(r)))
        {
            let (act, code) = action_code(a);
            assert_eq!(decode_action(act, code), Some(a));
        }
    }
}
