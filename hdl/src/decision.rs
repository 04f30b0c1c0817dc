//! [`DecisionPipeline`] — one frame's header record in, the NIC's decision for it out: what
//! `proto::nic::Nic::process` decides, computed by the cookie unit, the connection table, the
//! state unit and the policy unit joined as docs/hdl.md ("The decision pipeline") draws them.
//!
//! ## Interface
//! * `clock` in.
//! * Record in: `in_valid` in, `in_ready` out (registers only), `in_w[REC_WORDS]`: one frame's
//!   [`RecordWords`] (the parser's record, the frame's MAC addresses, its ingress port and the
//!   device time it arrived). One record per clock (`in_ready` drops only while the lookup
//!   queue cannot take every record the cookie unit holds).
//! * Configuration (quasi-static, as `regs_block` presents it live): `cookie_key[8]`
//!   (`key[0].k0` lo, hi, `key[0].k1` lo, hi, then `key[1]`), `proxy_mss`, `proxy_ws`,
//!   `proxy_ts`, `proxy_sack`, `verify_csum`, `loose`, `rfc1337`, `flood_syn_rate`,
//!   `flood_pending` and the listener table `l_valid/l_addr/l_port/l_mode[16]`.
//! * Decision out, one per record in record order, registered: `d_valid`, `d_host` (the
//!   ingress port: 0 wire, 1 host), `d_verdict` (`V_*`), `d_reason` (drop: `DropReason`'s
//!   declaration index; punt: `P_*`), `d_edit` (`editor::EDIT_*`), `d_seq_adj`, `d_ts_adj` (the
//!   editor request's adjustments); up to two generated frames `r0_*`, `r1_*` (`valid`, `host`:
//!   the port it leaves by, `w[DESC_WORDS]`: a [`ReplyDesc`], `replygen`'s descriptor).
//! * Table management (`conn_table`'s port, in the clocks lookups leave idle): `mg_valid`,
//!   `mg_ready`, `mg_delete`, `mg_bucket`, `mg_way` in; the slot's words 2 clocks later on
//!   `mg_rvalid`, `mg_rhit` (occupied), `mg_rw` (registered). A delete of a tracked SYN-RECEIVED
//!   entry (an expired handshake) leaves the pending-handshake gauge.
//! * Counter pulses `cnt[Counter::COUNT]` (one clock, with the decision; `FramesGenerated`
//!   counts `1 + gen_two`), the state-transition event `ev_*` (slot, old and new state, whether
//!   the connection is proxied, its key), the table's `occupancy` and the pending-handshake
//!   gauge `pending`.
//!
//! ## Data flow (clock `t0` = the record is taken)
//! ```text
//! t0        record -> store_l, store_r, store_w (3 x 16 Bram<Lane, 6> lanes, index = tag);
//!           cookie unit request (H0 always; GENERATE for a wire SYN, CHECK for a wire pure ACK)
//! L=t0+21   cookie result + the key (store_l, read at L-1) -> lookup queue kq
//! L'>=L+2   kq head -> table lookup (bucket = H0); the table holds it while a write-back of its
//!           bucket is pending (a same-bucket record 1..4 lookups ahead)
//! R=L'+2    table result: state unit request (the entry, or a fresh one for the open ops; the
//!           record from store_r), policy unit request (listener, SYN count, cookie-ACK window);
//!           the lookup and cookie results -> result store res (by tag)
//! W=R+4     state unit result + policy result + res + store_w record (both read at W-1): the
//!           decision (below), the table's write-back (D = 4), counters, event; out at W+1
//! ```
//! II = 1: a record per clock in, a decision per clock out, except while the table holds a
//! lookup (two records of one bucket less than D + 1 = 5 lookups apart). Latency
//! [`DECISION_LATENCY`] = 30 clocks without a hold.
//!
//! One deviation from the model: the policy unit takes the pending-handshake gauge at R, before
//! the (at most 4) records in the stages after it have updated it, so the flood detector's
//! `pending > flood_pending` sees the handshakes of every decision made up to 4 records
//! earlier (at 125 MHz, 32 ns). The gauge itself (`pending`) is exact.
//!
//! ## The decision (`proto::nic::Nic::process`, branch for branch)
//! Not TCP: forward. Fragment / IPv6 / malformed: punt. Bad checksum (when verified) or flags
//! conntrack rejects: drop. Known wire flow: the SYN proxy's pending handshake (exact RST
//! closes, a retransmitted cookie ACK re-sends the SYN to the host, anything else is dropped),
//! else the state unit's action (accept/ignore with write-back and translation to the host's
//! sequence space when proxied, drop, challenge ACK, TIME-WAIT reuse in place or answered by a
//! cookie). Unknown wire flow: SYN -> track or cookie SYN-ACK by the listener's policy; pure ACK
//! to a listener validating cookies -> cookie check -> pending entry + SYN to the host; else
//! loose forward or drop. Known host flow: refusal RST of a pending handshake, TIME-WAIT reuse
//! by the host, else the state unit's host update and translation to the wire. Unknown host
//! flow: a SYN is tracked, anything else forwarded.
//!
//! Every branch of the model is in hardware; `d_unsupported` stays low (kept as a port so a
//! future path the hardware punts instead of deciding is visible to the tests).

use crate::bram::Bram;
use crate::conn_table::ConnTable;
use crate::cookie_unit::CookieUnit;
use crate::lane::Lane;
use crate::policy_unit::{PolicyUnit, LISTENERS};
use crate::tracker_unit::TrackerUnit;
use crate::word_queue::WordQueue;
use proto::counters::Counter;
use proto::table::ENTRY_WORDS;
use rust_hdl::prelude::*;

/// Words of a record ([`RecordWords`]).
pub const REC_WORDS: usize = 16;
/// Words of a generated frame's descriptor ([`ReplyDesc`]).
pub const DESC_WORDS: usize = 13;
/// Counter pulses (`Counter::COUNT`; a literal so the port array derives `Default`).
pub const COUNTERS: usize = 44;
const _: () = assert!(COUNTERS == Counter::COUNT);
/// Clocks from the edge that takes a record to its decision on the outputs, without a hold.
pub const DECISION_LATENCY: usize = 30;
/// Record-store tags: 128, more than the records that can be in flight (at most 62 in the
/// cookie unit and the lookup queue together, 6 from the lookup to the decision).
const TAG_BITS: usize = 7;
/// Tag delay line: the key is read back at L - 1 (19 clocks after the record is taken) and
/// the tag goes with the cookie result into the lookup queue at L.
const TAG_DELAY: usize = 21;
/// Words of the result store (what the W stage needs of the lookup and the cookie check).
const RES_WORDS: usize = 10;

/// Verdicts (`d_verdict`).
pub const V_FORWARD: u8 = 0;
pub const V_REWRITE: u8 = 1;
pub const V_CONSUME: u8 = 2;
pub const V_DROP: u8 = 3;
pub const V_PUNT: u8 = 4;
/// Punt reasons (`d_reason` with `V_PUNT`).
pub const P_FRAGMENT: u8 = 0;
pub const P_IPV6: u8 = 1;
pub const P_MALFORMED: u8 = 2;

// The kernel writes these counter indices as literals.
const _: () = {
    use Counter as C;
    assert!(C::WireFramesIn as usize == 0 && C::HostFramesIn as usize == 1);
    assert!(C::FramesForwarded as usize == 2 && C::FramesRewritten as usize == 3);
    assert!(C::FramesGenerated as usize == 4 && C::FramesDropped as usize == 5);
    assert!(C::FramesPunted as usize == 6 && C::NonTcpPassed as usize == 7);
    assert!(C::Ipv4Fragments as usize == 8 && C::Ipv6Frames as usize == 9);
    assert!(C::MalformedFrames as usize == 10 && C::InCsumErrors as usize == 11);
    assert!(C::InSegs as usize == 12 && C::SyncookiesSent as usize == 13);
    assert!(C::SyncookiesRecv as usize == 14 && C::SyncookiesFailed as usize == 15);
    assert!(C::ListenDrops as usize == 16 && C::ListenOverflows as usize == 17);
    assert!(C::PassiveOpens as usize == 18 && C::ActiveOpens as usize == 19);
    assert!(C::EstabResets as usize == 20 && C::TCPChallengeACK as usize == 22);
    assert!(C::TCPSYNChallenge as usize == 23 && C::PAWSEstab as usize == 24);
    assert!(C::RstOutOfWindow as usize == 25 && C::OutOfWindowDrops as usize == 26);
    assert!(C::AckOutOfRange as usize == 27 && C::InvalidFlags as usize == 28);
    assert!(C::UntrackedDrops as usize == 29 && C::Rfc1337Ignored as usize == 30);
    assert!(C::TWRecycled as usize == 32 && C::SynproxyRetrans as usize == 34);
    assert!(C::SynproxyHandoffs as usize == 33);
    assert!(C::TableInserts as usize == 35 && C::TableDeletes as usize == 36);
    assert!(C::TableFull as usize == 37 && C::FloodDetected as usize == 42);
};

/// The decision pipeline over a table of `2^A` buckets x 4 ways. See the [module docs](self).
#[derive(LogicBlock, Default)]
pub struct DecisionPipeline<const A: usize> {
    pub clock: Signal<In, Clock>,
    // ---- record in
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_w: [Signal<In, Lane>; REC_WORDS],
    // ---- configuration
    pub cookie_key: [Signal<In, Lane>; 8],
    pub proxy_mss: Signal<In, Lane>,
    pub proxy_ws: Signal<In, Lane>,
    pub proxy_ts: Signal<In, Bit>,
    pub proxy_sack: Signal<In, Bit>,
    pub verify_csum: Signal<In, Bit>,
    pub loose: Signal<In, Bit>,
    pub rfc1337: Signal<In, Bit>,
    pub flood_syn_rate: Signal<In, Lane>,
    pub flood_pending: Signal<In, Lane>,
    pub l_valid: [Signal<In, Bit>; LISTENERS],
    pub l_addr: [Signal<In, Lane>; LISTENERS],
    pub l_port: [Signal<In, Bits<16>>; LISTENERS],
    pub l_mode: [Signal<In, Bits<2>>; LISTENERS],
    // ---- decision out
    pub d_valid: Signal<Out, Bit>,
    pub d_host: Signal<Out, Bit>,
    pub d_verdict: Signal<Out, Bits<3>>,
    pub d_reason: Signal<Out, Bits<4>>,
    pub d_unsupported: Signal<Out, Bit>,
    pub d_edit: Signal<Out, Bits<2>>,
    pub d_seq_adj: Signal<Out, Lane>,
    pub d_ts_adj: Signal<Out, Lane>,
    pub r0_valid: Signal<Out, Bit>,
    pub r0_host: Signal<Out, Bit>,
    pub r0_w: [Signal<Out, Lane>; DESC_WORDS],
    pub r1_valid: Signal<Out, Bit>,
    pub r1_host: Signal<Out, Bit>,
    pub r1_w: [Signal<Out, Lane>; DESC_WORDS],
    pub cnt: [Signal<Out, Bit>; 32],
    pub cnt_hi: [Signal<Out, Bit>; COUNTERS - 32],
    pub gen_two: Signal<Out, Bit>,
    pub ev_valid: Signal<Out, Bit>,
    pub ev_slot: Signal<Out, Lane>,
    pub ev_old: Signal<Out, Lane>,
    pub ev_new: Signal<Out, Lane>,
    pub ev_proxied: Signal<Out, Bit>,
    pub ev_key: [Signal<Out, Lane>; 3],
    pub occupancy: Signal<Out, Lane>,
    pub pending: Signal<Out, Lane>,
    // ---- table management (the firmware's and the host's table window, the timers)
    pub mg_valid: Signal<In, Bit>,
    pub mg_ready: Signal<Out, Bit>,
    pub mg_delete: Signal<In, Bit>,
    pub mg_bucket: Signal<In, Bits<A>>,
    pub mg_way: Signal<In, Bits<2>>,
    pub mg_rvalid: Signal<Out, Bit>,
    pub mg_rhit: Signal<Out, Bit>,
    pub mg_rw: [Signal<Out, Lane>; ENTRY_WORDS],

    // ---- blocks
    cookie: CookieUnit,
    conn: ConnTable<A, 4>,
    tracker: TrackerUnit,
    policy: PolicyUnit,
    store_l: [Bram<Lane, TAG_BITS>; REC_WORDS],
    store_r: [Bram<Lane, TAG_BITS>; REC_WORDS],
    store_w: [Bram<Lane, TAG_BITS>; REC_WORDS],
    /// The lookup queue: cookie results waiting for the table (which holds a lookup whose
    /// bucket has a write-back pending): tag and check bits, key, H0, the SYN cookie.
    kq: WordQueue<6, 6>,
    /// The result store: what the W stage needs of the lookup and the cookie check, by tag.
    res: [Bram<Lane, TAG_BITS>; RES_WORDS],

    // ---- issue
    /// Records in the cookie unit (taken, not yet in the lookup queue).
    cu_cnt: DFF<Lane>,
    tag: DFF<Bits<TAG_BITS>>,
    dl_tag: [DFF<Bits<TAG_BITS>>; TAG_DELAY],
    dl_v: [DFF<Bit>; TAG_DELAY],
    // ---- the lookup issued (L'), then its result (R)
    iss_v: DFF<Bit>,
    iss_tag: DFF<Bits<TAG_BITS>>,
    iss_w0: DFF<Lane>,
    iss_cookie: DFF<Lane>,
    r_tag: DFF<Bits<TAG_BITS>>,
    r_w0: DFF<Lane>,
    r_cookie: DFF<Lane>,
    /// R's tag on its way to W - 1 (the result and store_w reads).
    wt: [DFF<Bits<TAG_BITS>>; 3],
    // ---- what W reads of the result store
    b_hit: Signal<Local, Bit>,
    b_full: Signal<Local, Bit>,
    b_slot: Signal<Local, Lane>,
    b_w: [Signal<Local, Lane>; ENTRY_WORDS],
    b_cookie: Signal<Local, Lane>,
    b_ok: Signal<Local, Bit>,
    b_mss: Signal<Local, Bits<2>>,
    b_pok: Signal<Local, Bit>,
    b_pmss: Signal<Local, Bits<2>>,
    // ---- policy result (R+3, read at W)
    p_found: DFF<Bit>,
    p_cookie: DFF<Bit>,
    p_flood: DFF<Bit>,
    p_validate: DFF<Bit>,
    // ---- run-time state
    gauge: DFF<Lane>,
    o_mgv: DFF<Bit>,
    o_mgh: DFF<Bit>,
    o_mgw: [DFF<Lane>; ENTRY_WORDS],
    r_lk: Signal<Local, Bit>,
    /// A management delete taken, on its way to its result (2 clocks).
    mgd: [DFF<Bit>; 2],
    g_a: Signal<Local, Lane>,
    g_b: Signal<Local, Lane>,
    // ---- output registers
    o_valid: DFF<Bit>,
    o_host: DFF<Bit>,
    o_verdict: DFF<Bits<3>>,
    o_reason: DFF<Bits<4>>,
    o_unsup: DFF<Bit>,
    o_edit: DFF<Bits<2>>,
    o_seq_adj: DFF<Lane>,
    o_ts_adj: DFF<Lane>,
    o_r0v: DFF<Bit>,
    o_r0h: DFF<Bit>,
    o_r0: [DFF<Lane>; DESC_WORDS],
    o_r1v: DFF<Bit>,
    o_r1h: DFF<Bit>,
    o_r1: [DFF<Lane>; DESC_WORDS],
    o_cnt: [DFF<Bit>; 32],
    o_cnt_hi: [DFF<Bit>; COUNTERS - 32],
    o_gen2: DFF<Bit>,
    o_ev: DFF<Bit>,
    o_ev_slot: DFF<Lane>,
    o_ev_old: DFF<Lane>,
    o_ev_new: DFF<Lane>,
    o_ev_px: DFF<Bit>,
    o_ev_key: [DFF<Lane>; 3],

    // ---- stage A, L and R locals
    a_acc: Signal<Local, Bit>,
    l_tag32: Signal<Local, Lane>,
    l_bits: Signal<Local, Lane>,
    l_ok32: Signal<Local, Lane>,
    l_pok32: Signal<Local, Lane>,
    l_mss32: Signal<Local, Lane>,
    l_pmss32: Signal<Local, Lane>,
    rk_peer: Signal<Local, Lane>,
    rk_host: Signal<Local, Lane>,
    rk_ports: Signal<Local, Lane>,
    r_hf: Signal<Local, Lane>,
    a_flags: Signal<Local, Lane>,
    a_host: Signal<Local, Bit>,
    a_tcp: Signal<Local, Bit>,
    a_mss: Signal<Local, Lane>,
    a_fv: Signal<Local, Lane>,
    a_bits: Signal<Local, Lane>,
    a_bits2: Signal<Local, Lane>,
    // ---- stage L/R locals (record from store_r)
    k_peer: Signal<Local, Lane>,
    k_host: Signal<Local, Lane>,
    k_ports: Signal<Local, Lane>,
    r_host: Signal<Local, Bit>,
    rr_host: Signal<Local, Bit>,
    r_flags: Signal<Local, Lane>,
    r_st: Signal<Local, Lane>,
    r_proxied: Signal<Local, Bit>,
    r_syn_only: Signal<Local, Bit>,
    r_host_tw_syn: Signal<Local, Bit>,
    r_seg: Signal<Local, Bit>,
    // ---- stage W locals (record from store_w)
    w_disp: Signal<Local, Lane>,
    w_host: Signal<Local, Bit>,
    w_flags: Signal<Local, Lane>,
    w_syn: Signal<Local, Bit>,
    w_ack: Signal<Local, Bit>,
    w_fin: Signal<Local, Bit>,
    w_rst: Signal<Local, Bit>,
    w_flags_ok: Signal<Local, Bit>,
    w_csum_ok: Signal<Local, Bit>,
    w_ts: Signal<Local, Bit>,
    w_ws_valid: Signal<Local, Bit>,
    w_sack_perm: Signal<Local, Bit>,
    w_ws14: Signal<Local, Lane>,
    w_seq: Signal<Local, Lane>,
    w_ack_no: Signal<Local, Lane>,
    w_tsval: Signal<Local, Lane>,
    w_tsecr: Signal<Local, Lane>,
    w_window: Signal<Local, Lane>,
    w_plen: Signal<Local, Lane>,
    w_stamp: Signal<Local, Lane>,
    w_kpeer: Signal<Local, Lane>,
    w_khost: Signal<Local, Lane>,
    w_kports: Signal<Local, Lane>,
    b_st: Signal<Local, Lane>,
    b_px: Signal<Local, Bit>,
    t_act: Signal<Local, Lane>,
    t_code: Signal<Local, Lane>,
    t_old: Signal<Local, Lane>,
    t_new: Signal<Local, Lane>,
    // the decision
    x_verdict: Signal<Local, Bits<3>>,
    x_reason: Signal<Local, Lane>,
    x_unsup: Signal<Local, Bit>,
    x_edit: Signal<Local, Bits<2>>,
    x_seq_adj: Signal<Local, Lane>,
    x_ts_adj: Signal<Local, Lane>,
    x_wb: Signal<Local, Bits<2>>,
    x_wb_sel: Signal<Local, Bits<2>>,
    x_ev: Signal<Local, Bit>,
    x_ev_old: Signal<Local, Lane>,
    x_ev_new: Signal<Local, Lane>,
    x_ev_px: Signal<Local, Bit>,
    x_reply: Signal<Local, Bits<3>>,
    x_insert: Signal<Local, Bit>,
    x_delete: Signal<Local, Bit>,
    x_replace: Signal<Local, Bit>,
    x_full: Signal<Local, Bit>,
    x_listen_ovf: Signal<Local, Bit>,
    x_passive: Signal<Local, Bit>,
    x_active: Signal<Local, Bit>,
    x_estab_rst: Signal<Local, Bit>,
    x_syn_chal: Signal<Local, Bit>,
    x_tw_recycled: Signal<Local, Bit>,
    x_ck_sent: Signal<Local, Bit>,
    x_ck_recv: Signal<Local, Bit>,
    x_retrans: Signal<Local, Bit>,
    // the entries the decision can write instead of the state unit's
    e_reuse: [Signal<Local, Lane>; ENTRY_WORDS],
    e_pend: [Signal<Local, Lane>; ENTRY_WORDS],
    e_hand: [Signal<Local, Lane>; ENTRY_WORDS],
    h_hws: Signal<Local, Lane>,
    h_pws: Signal<Local, Lane>,
    h_scaling: Signal<Local, Bit>,
    h_shift: Signal<Local, Lane>,
    h_ts: Signal<Local, Bit>,
    h_flags: Signal<Local, Lane>,
    h_wnd: Signal<Local, Lane>,
    h_one: Signal<Local, Lane>,
    h_maxwin: Signal<Local, Lane>,
    x_handoff: Signal<Local, Bit>,
    x_probe: Signal<Local, Bit>,
    g_mssi: Signal<Local, Bits<2>>,
    g_hack: [Signal<Local, Lane>; DESC_WORDS],
    g_cwin: [Signal<Local, Lane>; DESC_WORDS],
    // the generated frames
    g_synack: [Signal<Local, Lane>; DESC_WORDS],
    g_chal: [Signal<Local, Lane>; DESC_WORDS],
    g_ssyn: [Signal<Local, Lane>; DESC_WORDS],
    g_nib: Signal<Local, Lane>,
    g_pws: Signal<Local, Lane>,
    g_tsf: Signal<Local, Lane>,
    g_vlan: Signal<Local, Lane>,
    g_sa_ws: Signal<Local, Lane>,
    g_sa_sack: Signal<Local, Lane>,
    g_sa_wsnib: Signal<Local, Lane>,
    g_sa_sacknib: Signal<Local, Lane>,
    g_sa_wsval: Signal<Local, Lane>,
    g_ss_ws: Signal<Local, Lane>,
    g_ss_ts: Signal<Local, Lane>,
    g_ss_sack: Signal<Local, Lane>,
    g_ss_mss: Signal<Local, Lane>,
    t_bucket: Signal<Local, Lane>,
    t_way: Signal<Local, Lane>,
    t_free: Signal<Local, Lane>,
    g_ts_ok: Signal<Local, Bit>,
    g_sack_ok: Signal<Local, Bit>,
}

/// Generated-frame kinds (`x_reply`), the kernel's literals.
const _REPLY_NONE: u8 = 0;
const _REPLY_SYNACK: u8 = 1;
const _REPLY_CHALLENGE: u8 = 2;
const _REPLY_SERVER_SYN: u8 = 3;
const _REPLY_HANDOFF: u8 = 4;

impl<const A: usize> Logic for DecisionPipeline<A> {
    #[hdl_gen]
    fn update(&mut self) {
        // ================= clocks and defaults
        clock!(self, clock, cookie, conn, tracker, policy, kq);
        for i in 0..REC_WORDS {
            self.store_l[i].clock.next = self.clock.val();
            self.store_r[i].clock.next = self.clock.val();
            self.store_w[i].clock.next = self.clock.val();
        }
        for i in 0..RES_WORDS {
            self.res[i].clock.next = self.clock.val();
        }
        for i in 0..3 {
            self.wt[i].clock.next = self.clock.val();
        }
        dff_setup!(
            self, clock, cu_cnt, tag, iss_v, iss_tag, iss_w0, iss_cookie, r_tag, r_w0, r_cookie,
            p_found, p_cookie, p_flood, p_validate, gauge, o_valid, o_host, o_verdict, o_reason,
            o_unsup, o_edit, o_seq_adj, o_ts_adj, o_r0v, o_r0h, o_r1v, o_r1h, o_gen2, o_ev,
            o_ev_slot, o_ev_old, o_ev_new, o_ev_px, o_mgv, o_mgh
        );
        for i in 0..TAG_DELAY {
            self.dl_tag[i].clock.next = self.clock.val();
            self.dl_v[i].clock.next = self.clock.val();
        }
        for i in 0..DESC_WORDS {
            self.o_r0[i].clock.next = self.clock.val();
            self.o_r1[i].clock.next = self.clock.val();
            self.o_r0[i].d.next = self.o_r0[i].q.val();
            self.o_r1[i].d.next = self.o_r1[i].q.val();
        }
        for i in 0..32 {
            self.o_cnt[i].clock.next = self.clock.val();
            self.o_cnt[i].d.next = false;
        }
        for i in 0..(COUNTERS - 32) {
            self.o_cnt_hi[i].clock.next = self.clock.val();
            self.o_cnt_hi[i].d.next = false;
        }
        for i in 0..3 {
            self.o_ev_key[i].clock.next = self.clock.val();
            self.o_ev_key[i].d.next = self.o_ev_key[i].q.val();
        }

        // ================= outputs (registers)
        // Room in the lookup queue for every record the cookie unit holds and one more.
        self.in_ready.next = (self.cu_cnt.q.val() + self.kq.count.val()) < 62_u32;
        self.d_valid.next = self.o_valid.q.val();
        self.d_host.next = self.o_host.q.val();
        self.d_verdict.next = self.o_verdict.q.val();
        self.d_reason.next = self.o_reason.q.val();
        self.d_unsupported.next = self.o_unsup.q.val();
        self.d_edit.next = self.o_edit.q.val();
        self.d_seq_adj.next = self.o_seq_adj.q.val();
        self.d_ts_adj.next = self.o_ts_adj.q.val();
        self.r0_valid.next = self.o_r0v.q.val();
        self.r0_host.next = self.o_r0h.q.val();
        self.r1_valid.next = self.o_r1v.q.val();
        self.r1_host.next = self.o_r1h.q.val();
        for i in 0..DESC_WORDS {
            self.r0_w[i].next = self.o_r0[i].q.val();
            self.r1_w[i].next = self.o_r1[i].q.val();
        }
        for i in 0..32 {
            self.cnt[i].next = self.o_cnt[i].q.val();
        }
        for i in 0..(COUNTERS - 32) {
            self.cnt_hi[i].next = self.o_cnt_hi[i].q.val();
        }
        self.gen_two.next = self.o_gen2.q.val();
        self.ev_valid.next = self.o_ev.q.val();
        self.ev_slot.next = self.o_ev_slot.q.val();
        self.ev_old.next = self.o_ev_old.q.val();
        self.ev_new.next = self.o_ev_new.q.val();
        self.ev_proxied.next = self.o_ev_px.q.val();
        for i in 0..3 {
            self.ev_key[i].next = self.o_ev_key[i].q.val();
        }
        self.occupancy.next = self.conn.occupancy.val();
        self.pending.next = self.gauge.q.val();
        self.o_valid.d.next = false;
        self.o_r0v.d.next = false;
        self.o_r1v.d.next = false;
        self.o_ev.d.next = false;
        self.o_gen2.d.next = false;

        // ================= stage A: take a record, hash it
        self.a_flags.next = (self.in_w[7].val() >> 8_u32) & 0xFF_u32;
        self.a_host.next = (self.in_w[9].val() & 0x8_u32) != 0_u32;
        self.a_tcp.next = (self.in_w[9].val() & 0x7_u32) == 0_u32;
        self.a_mss.next = self.in_w[8].val() & 0xFFFF_u32;
        // conntrack tcp_valid_flags (ECE, CWR, PSH ignored) and the checksum verdict, kept
        // with the record: bit 9 "checksums pass", bit 10 "flags valid".
        self.a_fv.next = self.a_flags.val() & 0x37_u32;
        self.a_bits.next = self.in_w[9].val();
        if ((self.in_w[9].val() & 0x80_u32) != 0_u32) || !self.verify_csum.val() {
            self.a_bits.next = self.in_w[9].val() | 0x200_u32;
        }
        if (((self.a_fv.val() == 0x02_u32) || (self.a_fv.val() == 0x22_u32))
            || ((self.a_fv.val() == 0x12_u32) || (self.a_fv.val() == 0x04_u32)))
            || (((self.a_fv.val() == 0x14_u32) || (self.a_fv.val() == 0x11_u32))
                || (((self.a_fv.val() == 0x31_u32) || (self.a_fv.val() == 0x10_u32))
                    || (self.a_fv.val() == 0x30_u32)))
        {
            self.a_bits2.next = self.a_bits.val() | 0x400_u32;
        } else {
            self.a_bits2.next = self.a_bits.val();
        }
        self.a_acc.next =
            self.in_valid.val() && ((self.cu_cnt.q.val() + self.kq.count.val()) < 62_u32);
        self.tag.d.next = self.tag.q.val();
        self.cookie.in_valid.next = false;
        self.cookie.in_kind.next = 0.into();
        self.cookie.in_tag.next = 0.into();
        for i in 0..REC_WORDS {
            self.store_l[i].write_enable.next = self.a_acc.val();
            self.store_r[i].write_enable.next = self.a_acc.val();
            self.store_w[i].write_enable.next = self.a_acc.val();
            self.store_l[i].write_address.next = self.tag.q.val();
            self.store_r[i].write_address.next = self.tag.q.val();
            self.store_w[i].write_address.next = self.tag.q.val();
            self.store_l[i].write_data.next = self.in_w[i].val();
            self.store_r[i].write_data.next = self.in_w[i].val();
            self.store_w[i].write_data.next = self.in_w[i].val();
        }
        self.store_l[9].write_data.next = self.a_bits2.val();
        self.store_r[9].write_data.next = self.a_bits2.val();
        self.store_w[9].write_data.next = self.a_bits2.val();
        if self.a_acc.val() {
            self.tag.d.next = self.tag.q.val() + 1;
            self.cookie.in_valid.next = true;
            // GENERATE for a SYN from the wire, CHECK for a pure ACK from the wire.
            if self.a_tcp.val() && !self.a_host.val() {
                if (self.a_flags.val() & 0x12_u32) == 0x02_u32 {
                    self.cookie.in_kind.next = 1.into();
                }
                if (self.a_flags.val() & 0x17_u32) == 0x10_u32 {
                    self.cookie.in_kind.next = 2.into();
                }
            }
        }
        // The flow in canonical order (peer = the wire side).
        self.cookie.peer_addr.next = self.in_w[0].val();
        self.cookie.host_addr.next = self.in_w[1].val();
        self.cookie.peer_port.next = bit_cast::<16, 32>((self.in_w[2].val() >> 16_u32).into());
        self.cookie.host_port.next = bit_cast::<16, 32>(self.in_w[2].val().into());
        if self.a_host.val() {
            self.cookie.peer_addr.next = self.in_w[1].val();
            self.cookie.host_addr.next = self.in_w[0].val();
            self.cookie.peer_port.next = bit_cast::<16, 32>(self.in_w[2].val().into());
            self.cookie.host_port.next = bit_cast::<16, 32>((self.in_w[2].val() >> 16_u32).into());
        }
        self.cookie.count.next = self.in_w[15].val();
        self.cookie.isn.next = self.in_w[3].val();
        if (self.a_flags.val() & 0x02_u32) == 0_u32 {
            self.cookie.isn.next = self.in_w[3].val() - 1_u32;
        }
        self.cookie.ack_cookie.next = self.in_w[4].val() - 1_u32;
        // mss_index(&MSSTAB_V4, mss): {536, 1300, 1440, 1460}.
        self.cookie.mss_index.next = 0.into();
        if self.a_mss.val() >= 1300_u32 {
            self.cookie.mss_index.next = 1.into();
        }
        if self.a_mss.val() >= 1440_u32 {
            self.cookie.mss_index.next = 2.into();
        }
        if self.a_mss.val() >= 1460_u32 {
            self.cookie.mss_index.next = 3.into();
        }
        self.cookie.secret0_k0_lo.next = self.cookie_key[0].val();
        self.cookie.secret0_k0_hi.next = self.cookie_key[1].val();
        self.cookie.secret0_k1_lo.next = self.cookie_key[2].val();
        self.cookie.secret0_k1_hi.next = self.cookie_key[3].val();
        self.cookie.secret1_k0_lo.next = self.cookie_key[4].val();
        self.cookie.secret1_k0_hi.next = self.cookie_key[5].val();
        self.cookie.secret1_k1_lo.next = self.cookie_key[6].val();
        self.cookie.secret1_k1_hi.next = self.cookie_key[7].val();
        // The tag follows the record: store_r is read at L - 1, store_w at W - 1.
        self.dl_tag[0].d.next = self.tag.q.val();
        self.dl_v[0].d.next = self.a_acc.val();
        for i in 1..TAG_DELAY {
            self.dl_tag[i].d.next = self.dl_tag[i - 1].q.val();
            self.dl_v[i].d.next = self.dl_v[i - 1].q.val();
        }
        self.cu_cnt.d.next = self.cu_cnt.q.val();
        if self.a_acc.val() && !self.cookie.out_valid.val() {
            self.cu_cnt.d.next = self.cu_cnt.q.val() + 1_u32;
        }
        if (!self.a_acc.val()) && self.cookie.out_valid.val() {
            self.cu_cnt.d.next = self.cu_cnt.q.val() - 1_u32;
        }
        for i in 0..REC_WORDS {
            self.store_l[i].read_enable.next = self.dl_v[19].q.val();
            self.store_l[i].read_address.next = self.dl_tag[19].q.val();
            self.store_r[i].read_enable.next = self.iss_v.q.val();
            self.store_r[i].read_address.next = self.iss_tag.q.val();
            self.store_w[i].read_enable.next = true;
            self.store_w[i].read_address.next = self.wt[2].q.val();
        }

        // ================= stage L: cookie result (and the key read back) -> lookup queue
        self.r_host.next = (self.store_l[9].read_data.val() & 0x8_u32) != 0_u32;
        self.k_peer.next = self.store_l[0].read_data.val();
        self.k_host.next = self.store_l[1].read_data.val();
        self.k_ports.next = self.store_l[2].read_data.val();
        if self.r_host.val() {
            self.k_peer.next = self.store_l[1].read_data.val();
            self.k_host.next = self.store_l[0].read_data.val();
            self.k_ports.next = (self.store_l[2].read_data.val() << 16_u32)
                | (self.store_l[2].read_data.val() >> 16_u32);
        }
        self.l_tag32.next = bit_cast::<32, TAG_BITS>(self.dl_tag[20].q.val()).into();
        self.l_ok32.next = 0_u32.into();
        if self.cookie.cookie_ok.val() {
            self.l_ok32.next = 0x100_u32.into();
        }
        self.l_pok32.next = 0_u32.into();
        if self.cookie.probe_ok.val() {
            self.l_pok32.next = 0x800_u32.into();
        }
        // Word 0: tag, cookie_ok << 8, its MSS index << 9, probe_ok << 11, its index << 12.
        self.l_mss32.next = bit_cast::<32, 2>(self.cookie.cookie_mss_index.val()).into();
        self.l_pmss32.next = bit_cast::<32, 2>(self.cookie.probe_mss_index.val()).into();
        self.l_bits.next = ((self.l_tag32.val() | self.l_ok32.val())
            | (self.l_mss32.val() << 9_u32))
            | (self.l_pok32.val() | (self.l_pmss32.val() << 12_u32));
        self.kq.push.next = self.cookie.out_valid.val();
        self.kq.push_w[0].next = self.l_bits.val();
        self.kq.push_w[1].next = self.k_peer.val();
        self.kq.push_w[2].next = self.k_host.val();
        self.kq.push_w[3].next = self.k_ports.val();
        self.kq.push_w[4].next = self.cookie.h0.val();
        self.kq.push_w[5].next = self.cookie.syn_cookie.val();
        // The lookup, from the queue's head; the table holds it while a write-back of its
        // bucket is pending.
        self.conn.lk_valid.next = self.kq.head_valid.val();
        self.conn.lk_bucket.next = bit_cast::<A, 32>(self.kq.head_w[4].val().into());
        self.conn.lk_peer.next = self.kq.head_w[1].val();
        self.conn.lk_host.next = self.kq.head_w[2].val();
        self.conn.lk_ports.next = self.kq.head_w[3].val();
        self.kq.pop.next = self.kq.head_valid.val() && self.conn.lk_ready.val();
        self.iss_v.d.next = self.kq.head_valid.val() && self.conn.lk_ready.val();
        self.iss_tag.d.next = bit_cast::<TAG_BITS, 32>(self.kq.head_w[0].val().into());
        self.iss_w0.d.next = self.kq.head_w[0].val();
        self.iss_cookie.d.next = self.kq.head_w[5].val();
        self.r_tag.d.next = self.iss_tag.q.val();
        self.r_w0.d.next = self.iss_w0.q.val();
        self.r_cookie.d.next = self.iss_cookie.q.val();
        self.wt[0].d.next = self.r_tag.q.val();
        self.wt[1].d.next = self.wt[0].q.val();
        self.wt[2].d.next = self.wt[1].q.val();
        // Management requests take the issue slots lookups leave idle (the table's rule).
        self.conn.mg_valid.next = self.mg_valid.val();
        self.conn.mg_delete.next = self.mg_delete.val();
        self.conn.mg_bucket.next = self.mg_bucket.val();
        self.conn.mg_way.next = self.mg_way.val();
        self.mg_ready.next = self.conn.mg_ready.val();
        for i in 0..2 {
            self.mgd[i].clock.next = self.clock.val();
        }
        self.mgd[0].d.next =
            (self.mg_valid.val() && self.conn.mg_ready.val()) && self.mg_delete.val();
        self.mgd[1].d.next = self.mgd[0].q.val();
        self.r_lk.next = self.conn.rs_valid.val();
        self.o_mgv.d.next = self.conn.rs_mgmt.val();
        self.o_mgh.d.next = self.conn.rs_hit.val();
        for i in 0..ENTRY_WORDS {
            self.o_mgw[i].clock.next = self.clock.val();
            self.o_mgw[i].d.next = self.conn.rs_w[i].val();
            self.mg_rw[i].next = self.o_mgw[i].q.val();
        }
        self.mg_rvalid.next = self.o_mgv.q.val();
        self.mg_rhit.next = self.o_mgh.q.val();

        // ================= stage R: table result -> state unit, policy unit
        self.rr_host.next = (self.store_r[9].read_data.val() & 0x8_u32) != 0_u32;
        self.rk_peer.next = self.store_r[0].read_data.val();
        self.rk_host.next = self.store_r[1].read_data.val();
        self.rk_ports.next = self.store_r[2].read_data.val();
        if self.rr_host.val() {
            self.rk_peer.next = self.store_r[1].read_data.val();
            self.rk_host.next = self.store_r[0].read_data.val();
            self.rk_ports.next = (self.store_r[2].read_data.val() << 16_u32)
                | (self.store_r[2].read_data.val() >> 16_u32);
        }
        self.r_flags.next = (self.store_r[7].read_data.val() >> 8_u32) & 0xFF_u32;
        self.r_st.next = self.conn.rs_w[3].val() & 0xF_u32;
        self.r_proxied.next = (self.conn.rs_w[3].val() & 0x10_u32) != 0_u32;
        self.r_syn_only.next = (self.r_flags.val() & 0x12_u32) == 0x02_u32;
        self.r_host_tw_syn.next = (self.rr_host.val() && self.conn.rs_hit.val())
            && (self.r_syn_only.val() && (self.r_st.val() == 10_u32));
        // A TCP segment the pipeline decides on (checksums pass, flags valid).
        self.r_seg.next = (self.store_r[9].read_data.val() & 0x607_u32) == 0x600_u32;
        self.tracker.in_valid.next = self.r_lk.val();
        self.tracker.in_tag.next = 0.into();
        self.tracker.cfg_rfc1337.next = self.rfc1337.val();
        self.tracker.now_stamp.next = bit_cast::<16, 32>(self.store_r[13].read_data.val().into());
        // The op: the entry found, or a fresh one for the open ops (and the host's TIME-WAIT
        // reuse, which the decision writes in place).
        self.tracker.in_op.next = 2.into(); // OP_OPEN_PEER
        if self.rr_host.val() {
            self.tracker.in_op.next = 3.into(); // OP_OPEN_HOST
        }
        if self.conn.rs_hit.val() && !self.r_host_tw_syn.val() {
            self.tracker.in_op.next = 0.into(); // OP_WIRE
            if self.rr_host.val() {
                self.tracker.in_op.next = 1.into(); // OP_HOST
            }
        }
        for i in 0..ENTRY_WORDS {
            self.tracker.ent_w[i].next = self.conn.rs_w[i].val();
        }
        if (!self.conn.rs_hit.val()) || self.r_host_tw_syn.val() {
            for i in 3..ENTRY_WORDS {
                self.tracker.ent_w[i].next = 0_u32.into();
            }
            self.tracker.ent_w[0].next = self.rk_peer.val();
            self.tracker.ent_w[1].next = self.rk_host.val();
            self.tracker.ent_w[2].next = self.rk_ports.val();
            // Entry::new(key, Closed): state 0, no flags, both WS = WS_NONE (15).
            self.tracker.ent_w[3].next = 0xFF00_u32.into();
        }
        self.tracker.seq.next = self.store_r[3].read_data.val();
        self.tracker.ack.next = self.store_r[4].read_data.val();
        if (self.conn.rs_hit.val() && self.r_proxied.val()) && !self.rr_host.val() {
            // Tracked in the host's sequence space.
            self.tracker.ack.next = self.store_r[4].read_data.val() - self.conn.rs_w[7].val();
        }
        self.tracker.flag_fin.next = (self.r_flags.val() & 0x01_u32) != 0_u32;
        self.tracker.flag_syn.next = (self.r_flags.val() & 0x02_u32) != 0_u32;
        self.tracker.flag_rst.next = (self.r_flags.val() & 0x04_u32) != 0_u32;
        self.tracker.flag_ack.next = (self.r_flags.val() & 0x10_u32) != 0_u32;
        self.tracker.window.next =
            bit_cast::<16, 32>((self.store_r[7].read_data.val() >> 16_u32).into());
        self.tracker.payload_len.next =
            bit_cast::<16, 32>((self.store_r[8].read_data.val() >> 16_u32).into());
        self.tracker.ts_valid.next = (self.store_r[9].read_data.val() & 0x40_u32) != 0_u32;
        self.tracker.tsval.next = self.store_r[5].read_data.val();
        self.tracker.ws_valid.next = (self.store_r[9].read_data.val() & 0x10_u32) != 0_u32;
        self.tracker.ws.next = bit_cast::<8, 32>(self.store_r[7].read_data.val().into());
        // Policy: a wire SYN of an unknown flow or on a TIME-WAIT entry counts toward its
        // listener's SYN rate; a wire segment of an unknown flow asks whether the listener
        // validates cookies; everything else only looks the listener up.
        for i in 0..LISTENERS {
            self.policy.l_valid[i].next = self.l_valid[i].val();
            self.policy.l_addr[i].next = self.l_addr[i].val();
            self.policy.l_port[i].next = self.l_port[i].val();
            self.policy.l_mode[i].next = self.l_mode[i].val();
        }
        self.policy.flood_syn_rate.next = self.flood_syn_rate.val();
        self.policy.flood_pending.next = self.flood_pending.val();
        self.policy.in_valid.next = self.r_lk.val();
        self.policy.in_tag.next = 0.into();
        self.policy.in_addr.next = self.rk_host.val();
        self.policy.in_port.next = bit_cast::<16, 32>(self.rk_ports.val().into());
        self.policy.in_now.next = self.store_r[13].read_data.val();
        self.policy.in_pending.next = self.gauge.q.val();
        self.policy.in_bucket_full.next = self.conn.rs_full.val() && !self.conn.rs_hit.val();
        self.policy.in_kind.next = 0.into(); // KIND_FIND
        if (self.r_seg.val() && !self.rr_host.val()) && !self.conn.rs_hit.val() {
            self.policy.in_kind.next = 2.into(); // KIND_ACK
        }
        if ((self.r_seg.val() && !self.rr_host.val()) && self.r_syn_only.val())
            && ((!self.conn.rs_hit.val()) || (self.r_st.val() == 10_u32))
        {
            self.policy.in_kind.next = 1.into(); // KIND_SYN
        }
        // The result store: what W needs of the lookup and the cookie check.
        self.t_bucket.next = bit_cast::<32, A>(self.conn.rs_bucket.val()).into();
        self.t_way.next = bit_cast::<32, 2>(self.conn.rs_way.val()).into();
        self.t_free.next = bit_cast::<32, 2>(self.conn.rs_free.val()).into();
        self.r_hf.next = 0_u32.into();
        if self.conn.rs_hit.val() && !self.conn.rs_full.val() {
            self.r_hf.next = 1_u32.into();
        }
        if (!self.conn.rs_hit.val()) && self.conn.rs_full.val() {
            self.r_hf.next = 2_u32.into();
        }
        if self.conn.rs_hit.val() && self.conn.rs_full.val() {
            self.r_hf.next = 3_u32.into();
        }
        for i in 0..RES_WORDS {
            self.res[i].write_enable.next = self.r_lk.val();
            self.res[i].write_address.next = self.r_tag.q.val();
            self.res[i].read_enable.next = true;
            self.res[i].read_address.next = self.wt[2].q.val();
        }
        // Word 0: hit, full << 1, and the cookie check bits of the lookup queue's word 0.
        self.res[0].write_data.next = (self.r_w0.q.val() & 0x3F00_u32) | self.r_hf.val();
        // Word 1: the slot (bucket * 4 + way): the hit's, else the free way an insert takes.
        self.res[1].write_data.next = (self.t_bucket.val() << 2_u32) | self.t_way.val();
        if !self.conn.rs_hit.val() {
            self.res[1].write_data.next = (self.t_bucket.val() << 2_u32) | self.t_free.val();
        }
        // Words 2..8: the entry's words 3..9; word 9: the SYN cookie.
        for i in 3..ENTRY_WORDS {
            self.res[i - 1].write_data.next = self.conn.rs_w[i].val();
        }
        self.res[9].write_data.next = self.r_cookie.q.val();
        self.p_found.d.next = self.p_found.q.val();
        self.p_cookie.d.next = self.p_cookie.q.val();
        self.p_flood.d.next = self.p_flood.q.val();
        self.p_validate.d.next = self.p_validate.q.val();
        if self.policy.out_valid.val() {
            self.p_found.d.next = self.policy.out_found.val();
            self.p_cookie.d.next = self.policy.out_cookie.val();
            self.p_flood.d.next = self.policy.out_flood_detected.val();
            self.p_validate.d.next = self.policy.out_validate.val();
        }

        // ================= stage W: the decision
        self.b_hit.next = (self.res[0].read_data.val() & 0x1_u32) != 0_u32;
        self.b_full.next = (self.res[0].read_data.val() & 0x2_u32) != 0_u32;
        self.b_ok.next = (self.res[0].read_data.val() & 0x100_u32) != 0_u32;
        self.b_mss.next = bit_cast::<2, 32>((self.res[0].read_data.val() >> 9_u32).into());
        self.b_pok.next = (self.res[0].read_data.val() & 0x800_u32) != 0_u32;
        self.b_pmss.next = bit_cast::<2, 32>((self.res[0].read_data.val() >> 12_u32).into());
        self.b_slot.next = self.res[1].read_data.val();
        self.b_cookie.next = self.res[9].read_data.val();
        for i in 3..ENTRY_WORDS {
            self.b_w[i].next = self.res[i - 1].read_data.val();
        }
        self.w_disp.next = self.store_w[9].read_data.val() & 0x7_u32;
        self.w_host.next = (self.store_w[9].read_data.val() & 0x8_u32) != 0_u32;
        self.w_ws_valid.next = (self.store_w[9].read_data.val() & 0x10_u32) != 0_u32;
        self.w_sack_perm.next = (self.store_w[9].read_data.val() & 0x20_u32) != 0_u32;
        self.w_ts.next = (self.store_w[9].read_data.val() & 0x40_u32) != 0_u32;
        self.w_csum_ok.next = (self.store_w[9].read_data.val() & 0x200_u32) != 0_u32;
        self.w_flags_ok.next = (self.store_w[9].read_data.val() & 0x400_u32) != 0_u32;
        self.w_flags.next = (self.store_w[7].read_data.val() >> 8_u32) & 0xFF_u32;
        self.w_syn.next = (self.w_flags.val() & 0x02_u32) != 0_u32;
        self.w_ack.next = (self.w_flags.val() & 0x10_u32) != 0_u32;
        self.w_fin.next = (self.w_flags.val() & 0x01_u32) != 0_u32;
        self.w_rst.next = (self.w_flags.val() & 0x04_u32) != 0_u32;
        // wscale_clamped: min(WS, 14).
        self.w_ws14.next = self.store_w[7].read_data.val() & 0xFF_u32;
        if (self.store_w[7].read_data.val() & 0xFF_u32) > 14_u32 {
            self.w_ws14.next = 14_u32.into();
        }
        self.w_seq.next = self.store_w[3].read_data.val();
        self.w_ack_no.next = self.store_w[4].read_data.val();
        self.w_tsval.next = self.store_w[5].read_data.val();
        self.w_tsecr.next = self.store_w[6].read_data.val();
        self.w_window.next = self.store_w[7].read_data.val() >> 16_u32;
        self.w_plen.next = self.store_w[8].read_data.val() >> 16_u32;
        self.w_stamp.next = self.store_w[13].read_data.val() & 0xFFFF_u32;
        self.w_kpeer.next = self.store_w[0].read_data.val();
        self.w_khost.next = self.store_w[1].read_data.val();
        self.w_kports.next = self.store_w[2].read_data.val();
        if self.w_host.val() {
            self.w_kpeer.next = self.store_w[1].read_data.val();
            self.w_khost.next = self.store_w[0].read_data.val();
            self.w_kports.next = (self.store_w[2].read_data.val() << 16_u32)
                | (self.store_w[2].read_data.val() >> 16_u32);
        }
        self.b_w[0].next = self.w_kpeer.val();
        self.b_w[1].next = self.w_khost.val();
        self.b_w[2].next = self.w_kports.val();
        self.b_st.next = self.b_w[3].val() & 0xF_u32;
        self.b_px.next = (self.b_w[3].val() & 0x10_u32) != 0_u32;
        self.t_act.next = bit_cast::<32, 3>(self.tracker.act.val()).into();
        self.t_code.next = bit_cast::<32, 4>(self.tracker.code.val()).into();
        self.t_old.next = bit_cast::<32, 4>(self.tracker.old_state.val()).into();
        self.t_new.next = self.tracker.new_w[3].val() & 0xF_u32;

        // The entry of a SYN reusing a TIME-WAIT tuple (tracker::open_from_peer on a fresh
        // entry) and the SYN proxy's pending entry (synproxy::pending_entry).
        self.e_reuse[0].next = self.w_kpeer.val();
        self.e_reuse[1].next = self.w_khost.val();
        self.e_reuse[2].next = self.w_kports.val();
        // SYN-RECEIVED, TS_OK when the SYN has TS, peer WS, host WS none, the stamp.
        self.g_pws.next = 0xF00_u32.into();
        if self.w_ws_valid.val() {
            self.g_pws.next = self.w_ws14.val() << 8_u32;
        }
        self.g_tsf.next = 0_u32.into();
        if self.w_ts.val() {
            self.g_tsf.next = 0x20_u32.into();
        }
        self.e_reuse[3].next =
            ((self.g_pws.val() | 0xF003_u32) | self.g_tsf.val()) | (self.w_stamp.val() << 16_u32);
        self.e_reuse[4].next = (self.w_seq.val() + self.w_plen.val())
            + ((self.w_flags.val() & 0x01_u32) + ((self.w_flags.val() >> 1_u32) & 0x01_u32));
        self.e_reuse[5].next = 0_u32.into();
        self.e_reuse[6].next = self.w_window.val() << 16_u32;
        self.e_reuse[7].next = 0_u32.into();
        self.e_reuse[8].next = 0_u32.into();
        self.e_reuse[9].next = 0_u32.into();
        if self.w_ts.val() {
            self.e_reuse[9].next = self.w_tsval.val();
        }
        self.g_nib.next = 0xF_u32.into();
        if self.w_ts.val() {
            self.g_nib.next = self.w_tsecr.val() & 0xF_u32;
        }
        self.e_pend[0].next = self.w_kpeer.val();
        self.e_pend[1].next = self.w_khost.val();
        self.e_pend[2].next = self.w_kports.val();
        self.e_pend[3].next =
            ((self.g_nib.val() << 8_u32) | 0xF013_u32) | (self.w_stamp.val() << 16_u32);
        self.e_pend[4].next = self.w_seq.val();
        self.e_pend[5].next = 0_u32.into();
        self.e_pend[6].next = self.w_window.val() << 16_u32;
        self.e_pend[7].next = self.w_ack_no.val() - 1_u32;
        self.e_pend[8].next = 0_u32.into();
        self.e_pend[9].next = 0_u32.into();
        if self.w_ts.val() {
            self.e_pend[3].next =
                ((self.g_nib.val() << 8_u32) | 0xF033_u32) | (self.w_stamp.val() << 16_u32);
            self.e_pend[8].next = self.w_tsecr.val();
            self.e_pend[9].next = self.w_tsval.val();
        }

        // The host's SYN-ACK completing a proxied handshake (synproxy::on_server_synack): the
        // offsets, the host's window scale and window, ESTABLISHED.
        self.h_hws.next = 0xF_u32.into();
        if self.w_ws_valid.val() && ((self.b_w[3].val() & 0xF00_u32) != 0xF00_u32) {
            self.h_hws.next = self.w_ws14.val();
        }
        self.h_scaling.next = self.h_hws.val() != 0xF_u32;
        self.h_pws.next = 0xF_u32.into();
        self.h_shift.next = 0_u32.into();
        if self.h_scaling.val() {
            self.h_pws.next = (self.b_w[3].val() >> 8_u32) & 0xF_u32;
            self.h_shift.next = self.h_hws.val();
        }
        self.h_ts.next = ((self.b_w[3].val() & 0x20_u32) != 0_u32) && self.w_ts.val();
        self.h_flags.next = (self.b_w[3].val() >> 4_u32) & 0xD_u32;
        if self.h_ts.val() {
            self.h_flags.next = (self.b_w[3].val() >> 4_u32) & 0xF_u32;
        }
        self.h_one.next = 1_u32.into();
        self.h_wnd.next = self.w_window.val() >> self.h_shift.val();
        self.h_maxwin.next = ((self.w_window.val() + (self.h_one.val() << self.h_shift.val()))
            - 1_u32)
            >> self.h_shift.val();
        self.e_hand[0].next = self.b_w[0].val();
        self.e_hand[1].next = self.b_w[1].val();
        self.e_hand[2].next = self.b_w[2].val();
        self.e_hand[3].next = (((self.h_flags.val() << 4_u32) | 0x4_u32)
            | ((self.h_pws.val() << 8_u32) | (self.h_hws.val() << 12_u32)))
            | (self.w_stamp.val() << 16_u32);
        self.e_hand[4].next = self.b_w[4].val();
        self.e_hand[5].next = self.w_seq.val() + 1_u32;
        self.e_hand[6].next = (self.b_w[6].val() & 0xFFFF_0000_u32) | self.h_maxwin.val();
        self.e_hand[7].next = self.b_w[7].val() - self.w_seq.val();
        self.e_hand[8].next = 0_u32.into();
        if self.h_ts.val() {
            self.e_hand[8].next = self.w_tsval.val() - self.b_w[8].val();
        }
        self.e_hand[9].next = self.b_w[9].val();

        // Defaults: forward, nothing written, nothing generated.
        self.x_verdict.next = 0.into();
        self.x_reason.next = 0_u32.into();
        self.x_unsup.next = false;
        self.x_edit.next = 0.into();
        self.x_seq_adj.next = 0_u32.into();
        self.x_ts_adj.next = 0_u32.into();
        self.x_wb.next = 0.into();
        self.x_wb_sel.next = 0.into(); // 0 the state unit's words, 1 e_reuse, 2 e_pend
        self.x_ev.next = false;
        self.x_ev_old.next = self.t_old.val();
        self.x_ev_new.next = self.t_new.val();
        self.x_ev_px.next = self.b_px.val();
        self.x_reply.next = 0.into();
        self.x_insert.next = false;
        self.x_delete.next = false;
        self.x_replace.next = false;
        self.x_full.next = false;
        self.x_listen_ovf.next = false;
        self.x_passive.next = false;
        self.x_active.next = false;
        self.x_estab_rst.next = false;
        self.x_syn_chal.next = false;
        self.x_tw_recycled.next = false;
        self.x_ck_sent.next = false;
        self.x_ck_recv.next = false;
        self.x_retrans.next = false;
        self.x_handoff.next = false;
        self.x_probe.next = false;

        if self.w_disp.val() == 1_u32 {
            // Not TCP: passes.
        } else if self.w_disp.val() != 0_u32 {
            self.x_verdict.next = 4.into();
            self.x_reason.next = self.w_disp.val() - 2_u32;
        } else if !self.w_csum_ok.val() {
            self.x_verdict.next = 3.into();
            self.x_reason.next = 1_u32.into(); // BadChecksum
        } else if !self.w_flags_ok.val() {
            self.x_verdict.next = 3.into();
            self.x_reason.next = 2_u32.into(); // InvalidFlags
        } else if (!self.w_host.val()) && self.b_hit.val() {
            // ---- a known flow, from the wire
            if self.b_px.val() && (self.b_st.val() == 3_u32) {
                // The SYN proxy waits for the host's SYN-ACK (wire_proxy_pending).
                self.x_verdict.next = 3.into();
                self.x_reason.next = 12_u32.into(); // ProxyHandshake
                if self.w_rst.val() {
                    self.x_reason.next = 6_u32.into(); // RstOutOfWindow
                    if self.w_seq.val() == self.b_w[4].val() {
                        self.x_verdict.next = 0.into();
                        self.x_reason.next = 0_u32.into();
                        self.x_wb.next = 2.into();
                        self.x_delete.next = true;
                        self.x_ev.next = true;
                        self.x_ev_old.next = 3_u32.into();
                        self.x_ev_new.next = 0_u32.into();
                    }
                } else if ((self.w_ack.val() && !self.w_syn.val()) && !self.w_fin.val())
                    && (self.w_ack_no.val() == (self.b_w[7].val() + 1_u32))
                {
                    if (self.w_seq.val() == self.b_w[4].val()) && (self.w_plen.val() == 0_u32) {
                        if self.b_ok.val() {
                            self.x_verdict.next = 2.into();
                            self.x_reason.next = 0_u32.into();
                            self.x_retrans.next = true;
                            self.x_reply.next = 3.into();
                        }
                    } else if (self.w_seq.val() == (self.b_w[4].val() - 1_u32)) && self.b_pok.val()
                    {
                        // A zero-window probe at the client's ISN: checked with ISN = seq.
                        self.x_verdict.next = 2.into();
                        self.x_reason.next = 0_u32.into();
                        self.x_retrans.next = true;
                        self.x_probe.next = true;
                        self.x_reply.next = 3.into();
                    }
                }
            } else if (self.t_act.val() == 0_u32) || (self.t_act.val() == 1_u32) {
                // Accept / Ignore: the state unit's entry is written back.
                self.x_wb.next = self.tracker.wb_op.val();
                self.x_delete.next = self.tracker.wb_op.val() == 2;
                if self.t_new.val() != self.t_old.val() {
                    self.x_ev.next = true;
                    if (self.t_new.val() == 0_u32)
                        && ((self.t_old.val() == 4_u32) || (self.t_old.val() == 7_u32))
                    {
                        self.x_estab_rst.next = true;
                    }
                    if ((self.t_new.val() == 4_u32) && (self.t_old.val() == 3_u32))
                        && ((self.tracker.new_w[3].val() & 0x80_u32) == 0_u32)
                    {
                        self.x_passive.next = true;
                    }
                }
                if self.b_px.val() {
                    self.x_verdict.next = 1.into();
                    self.x_edit.next = 1.into(); // EDIT_TO_HOST
                    self.x_seq_adj.next = self.b_w[7].val();
                    self.x_ts_adj.next = self.b_w[8].val();
                }
            } else if self.t_act.val() == 2_u32 {
                self.x_verdict.next = 3.into();
                self.x_reason.next = self.t_code.val();
            } else if self.t_act.val() == 3_u32 {
                self.x_verdict.next = 3.into();
                self.x_reason.next = 7_u32.into(); // Challenged
                self.x_syn_chal.next = self.t_code.val() == 1_u32;
                self.x_reply.next = 2.into();
            } else {
                // Reuse (RFC 6191): in place, or a cookie when the listener says so.
                self.x_tw_recycled.next = true;
                self.x_ev.next = true;
                self.x_ev_old.next = 10_u32.into();
                if self.p_found.q.val() && self.p_cookie.q.val() {
                    self.x_verdict.next = 2.into();
                    self.x_wb.next = 2.into();
                    self.x_delete.next = true;
                    self.x_ev_new.next = 0_u32.into();
                    self.x_ck_sent.next = true;
                    self.x_reply.next = 1.into();
                } else {
                    self.x_wb.next = 1.into();
                    self.x_wb_sel.next = 1.into();
                    self.x_replace.next = true;
                    self.x_ev_new.next = 3_u32.into();
                    self.x_ev_px.next = false;
                }
            }
        } else if !self.w_host.val() {
            // ---- an unknown flow, from the wire
            self.x_ev_old.next = 0_u32.into();
            self.x_ev_new.next = 3_u32.into();
            self.x_ev_px.next = false;
            if self.w_syn.val() && !self.w_ack.val() {
                if self.p_found.q.val() && self.p_cookie.q.val() {
                    self.x_verdict.next = 2.into();
                    self.x_ck_sent.next = true;
                    self.x_reply.next = 1.into();
                } else if self.b_full.val() {
                    self.x_full.next = true;
                    self.x_listen_ovf.next = self.p_found.q.val();
                } else {
                    self.x_wb.next = 3.into();
                    self.x_insert.next = true;
                    self.x_ev.next = true;
                }
            } else if self.p_found.q.val() && self.p_validate.q.val() {
                self.x_verdict.next = 3.into();
                self.x_reason.next = 4_u32.into(); // UnknownFlow
                if (self.w_ack.val() && !self.w_fin.val()) && !self.w_rst.val() {
                    self.x_reason.next = 3_u32.into(); // BadCookie
                    if self.b_ok.val() {
                        self.x_ck_recv.next = true;
                        if self.b_full.val() {
                            self.x_full.next = true;
                            self.x_listen_ovf.next = true;
                            self.x_reason.next = 5_u32.into(); // ListenOverflow
                        } else {
                            self.x_verdict.next = 2.into();
                            self.x_reason.next = 0_u32.into();
                            self.x_wb.next = 3.into();
                            self.x_wb_sel.next = 2.into();
                            self.x_insert.next = true;
                            self.x_ev.next = true;
                            self.x_ev_px.next = true;
                            self.x_reply.next = 3.into();
                        }
                    }
                }
            } else if !self.loose.val() {
                self.x_verdict.next = 3.into();
                self.x_reason.next = 4_u32.into(); // UnknownFlow
            }
        } else if self.b_hit.val() {
            // ---- a known flow, from the host
            if self.b_px.val() && (self.b_st.val() == 3_u32) {
                if self.w_rst.val() {
                    // The host refused: the client sees the RST at cookie + 1.
                    self.x_verdict.next = 1.into();
                    self.x_edit.next = 3.into(); // EDIT_REFUSAL
                    self.x_seq_adj.next = self.b_w[7].val();
                    self.x_wb.next = 2.into();
                    self.x_delete.next = true;
                    self.x_ev.next = true;
                    self.x_ev_old.next = 3_u32.into();
                    self.x_ev_new.next = 0_u32.into();
                } else if (self.w_syn.val() && self.w_ack.val())
                    && (self.w_ack_no.val() == self.b_w[4].val())
                {
                    // The handoff: ACK to the host, window update to the client.
                    self.x_verdict.next = 2.into();
                    self.x_handoff.next = true;
                    self.x_wb.next = 1.into();
                    self.x_wb_sel.next = 3.into();
                    self.x_passive.next = true;
                    self.x_ev.next = true;
                    self.x_ev_old.next = 3_u32.into();
                    self.x_ev_new.next = 4_u32.into();
                    self.x_reply.next = 4.into();
                } else {
                    self.x_verdict.next = 3.into();
                    self.x_reason.next = 12_u32.into(); // ProxyHandshake
                }
            } else if (self.w_syn.val() && !self.w_ack.val()) && (self.b_st.val() == 10_u32) {
                // Linux tw_reuse by the host: its new SYN_SENT entry in place.
                self.x_wb.next = 1.into();
                self.x_replace.next = true;
                self.x_tw_recycled.next = true;
                self.x_active.next = true;
                self.x_ev.next = true;
                self.x_ev_old.next = 10_u32.into();
                self.x_ev_new.next = 2_u32.into();
                self.x_ev_px.next = false;
            } else {
                self.x_wb.next = self.tracker.wb_op.val();
                self.x_delete.next = self.tracker.wb_op.val() == 2;
                self.x_ev.next = self.t_new.val() != self.t_old.val();
                self.x_active.next = ((self.tracker.new_w[3].val() & 0x80_u32) != 0_u32)
                    && ((self.b_w[3].val() & 0x80_u32) == 0_u32);
                if self.b_px.val() {
                    self.x_verdict.next = 1.into();
                    self.x_edit.next = 2.into(); // EDIT_TO_WIRE
                    self.x_seq_adj.next = self.b_w[7].val();
                    self.x_ts_adj.next = self.b_w[8].val();
                }
            }
        } else if self.w_syn.val() && !self.w_ack.val() {
            // ---- an unknown flow, from the host: an active open
            self.x_ev_old.next = 0_u32.into();
            self.x_ev_new.next = 2_u32.into();
            self.x_ev_px.next = false;
            if self.b_full.val() {
                self.x_full.next = true;
            } else {
                self.x_wb.next = 3.into();
                self.x_insert.next = true;
                self.x_active.next = true;
                self.x_ev.next = true;
            }
        }

        // ---- the table's write-back (D = 4 clocks after the lookup result)
        self.conn.wb_op.next = 0.into();
        for i in 0..ENTRY_WORDS {
            self.conn.wb_w[i].next = self.tracker.new_w[i].val();
        }
        if self.tracker.out_valid.val() {
            self.conn.wb_op.next = self.x_wb.val();
            if self.x_wb_sel.val() == 1 {
                for i in 0..ENTRY_WORDS {
                    self.conn.wb_w[i].next = self.e_reuse[i].val();
                }
            }
            if self.x_wb_sel.val() == 2 {
                for i in 0..ENTRY_WORDS {
                    self.conn.wb_w[i].next = self.e_pend[i].val();
                }
            }
            if self.x_wb_sel.val() == 3 {
                for i in 0..ENTRY_WORDS {
                    self.conn.wb_w[i].next = self.e_hand[i].val();
                }
            }
        }

        // ---- generated frames (replygen descriptors, ReplyDesc layout)
        // To the sender (synproxy::reply_spec): MACs, addresses and ports swapped.
        self.g_ts_ok.next = self.w_ts.val() && self.proxy_ts.val();
        self.g_sack_ok.next = self.w_sack_perm.val() && self.proxy_sack.val();
        self.g_vlan.next = 0_u32.into();
        if (self.store_w[9].read_data.val() & 0x100_u32) != 0_u32 {
            self.g_vlan.next = 0x10_u32.into();
        }
        // synproxy_tg4: with TS, WS (the rule's) if the client sent WS, SACK if both allow it;
        // the TSval carries the client's options (synproxy_init_timestamp_cookie).
        self.g_sa_ws.next = 0_u32.into();
        self.g_sa_wsval.next = 0_u32.into();
        self.g_sa_wsnib.next = 0xF_u32.into();
        if self.w_ws_valid.val() {
            self.g_sa_ws.next = 0x8_u32.into();
            self.g_sa_wsval.next = self.proxy_ws.val() & 0xFF_u32;
            self.g_sa_wsnib.next = self.w_ws14.val();
        }
        self.g_sa_sack.next = 0_u32.into();
        self.g_sa_sacknib.next = 0_u32.into();
        if self.g_sack_ok.val() {
            self.g_sa_sack.next = 0x2_u32.into();
            self.g_sa_sacknib.next = 0x10_u32.into();
        }
        self.g_synack[0].next = self.store_w[11].read_data.val();
        self.g_synack[1].next = self.store_w[10].read_data.val();
        self.g_synack[2].next = (self.store_w[12].read_data.val() << 16_u32)
            | (self.store_w[12].read_data.val() >> 16_u32);
        self.g_synack[3].next = self.store_w[1].read_data.val();
        self.g_synack[4].next = self.store_w[0].read_data.val();
        self.g_synack[5].next = (self.store_w[2].read_data.val() << 16_u32)
            | (self.store_w[2].read_data.val() >> 16_u32);
        self.g_synack[6].next = self.b_cookie.val();
        self.g_synack[7].next = self.w_seq.val() + 1_u32;
        self.g_synack[8].next = 0x1200_u32.into();
        self.g_synack[9].next = ((self.proxy_mss.val() << 16_u32) | 0x1_u32) | self.g_vlan.val();
        self.g_synack[10].next = 0_u32.into();
        self.g_synack[11].next = 0_u32.into();
        self.g_synack[12].next = self.store_w[9].read_data.val() >> 16_u32;
        if self.g_ts_ok.val() {
            self.g_synack[8].next = self.g_sa_wsval.val() | 0x1200_u32;
            self.g_synack[9].next = (((self.proxy_mss.val() << 16_u32) | 0x5_u32)
                | (self.g_sa_ws.val() | self.g_sa_sack.val()))
                | self.g_vlan.val();
            self.g_synack[10].next = ((self.store_w[14].read_data.val() & 0xFFFF_FFC0_u32)
                | self.g_sa_wsnib.val())
                | self.g_sa_sacknib.val();
            self.g_synack[11].next = self.w_tsval.val();
        }
        // Challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (synproxy::challenge_ack).
        for i in 0..6 {
            self.g_chal[i].next = self.g_synack[i].val();
        }
        self.g_chal[6].next = self.b_w[5].val();
        if self.b_px.val() {
            self.g_chal[6].next = self.b_w[5].val() + self.b_w[7].val();
        }
        self.g_chal[7].next = self.b_w[4].val();
        self.g_chal[8].next = (self.b_w[6].val() << 16_u32) | 0x1000_u32;
        self.g_chal[9].next = self.g_vlan.val();
        self.g_chal[10].next = 0_u32.into();
        self.g_chal[11].next = 0_u32.into();
        self.g_chal[12].next = self.g_synack[12].val();
        // The SYN to the host (synproxy::server_syn), the same way as the client's ACK, from
        // the pending entry: the one being inserted, or the one found (a retransmission).
        self.g_ssyn[0].next = self.store_w[10].read_data.val();
        self.g_ssyn[1].next = self.store_w[11].read_data.val();
        self.g_ssyn[2].next = self.store_w[12].read_data.val();
        self.g_ssyn[3].next = self.store_w[0].read_data.val();
        self.g_ssyn[4].next = self.store_w[1].read_data.val();
        self.g_ssyn[5].next = self.store_w[2].read_data.val();
        // MSSTAB_V4[index] of the check that passed.
        self.g_mssi.next = self.b_mss.val();
        if self.x_probe.val() {
            self.g_mssi.next = self.b_pmss.val();
        }
        self.g_ss_mss.next = 536_u32.into();
        if self.g_mssi.val() == 1 {
            self.g_ss_mss.next = 1300_u32.into();
        }
        if self.g_mssi.val() == 2 {
            self.g_ss_mss.next = 1440_u32.into();
        }
        if self.g_mssi.val() == 3 {
            self.g_ss_mss.next = 1460_u32.into();
        }
        self.g_ss_ws.next = 0_u32.into();
        self.g_ss_ts.next = 0_u32.into();
        self.g_ss_sack.next = 0_u32.into();
        self.g_ssyn[10].next = 0_u32.into();
        self.g_ssyn[11].next = 0_u32.into();
        if self.b_hit.val() {
            self.g_ssyn[6].next = self.b_w[4].val() - 1_u32;
            self.g_ssyn[7].next = self.b_w[7].val();
            self.g_ssyn[8].next = (self.b_w[6].val() & 0xFFFF_0000_u32)
                | (((self.b_w[3].val() >> 8_u32) & 0xF_u32) | 0x200_u32);
            if (self.b_w[3].val() & 0xF00_u32) != 0xF00_u32 {
                self.g_ss_ws.next = 0x8_u32.into();
            }
            if (self.b_w[3].val() & 0x20_u32) != 0_u32 {
                self.g_ss_ts.next = 0x4_u32.into();
                if (self.b_w[8].val() & 0x10_u32) != 0_u32 {
                    self.g_ss_sack.next = 0x2_u32.into();
                }
                self.g_ssyn[10].next = self.b_w[9].val();
                self.g_ssyn[11].next = self.b_w[8].val();
            }
        } else {
            self.g_ssyn[6].next = self.w_seq.val() - 1_u32;
            self.g_ssyn[7].next = self.w_ack_no.val() - 1_u32;
            self.g_ssyn[8].next = (self.w_window.val() << 16_u32) | (self.g_nib.val() | 0x200_u32);
            if self.g_nib.val() != 0xF_u32 {
                self.g_ss_ws.next = 0x8_u32.into();
            }
            if self.w_ts.val() {
                self.g_ss_ts.next = 0x4_u32.into();
                if (self.w_tsecr.val() & 0x10_u32) != 0_u32 {
                    self.g_ss_sack.next = 0x2_u32.into();
                }
                self.g_ssyn[10].next = self.w_tsval.val();
                self.g_ssyn[11].next = self.w_tsecr.val();
            }
        }
        self.g_ssyn[9].next = (((self.g_ss_mss.val() << 16_u32) | 0x1_u32)
            | (self.g_ss_ws.val() | self.g_ss_ts.val()))
            | (self.g_ss_sack.val() | self.g_vlan.val());
        self.g_ssyn[12].next = self.g_synack[12].val();

        // The handoff's ACK to the host (reply_spec of the host's SYN-ACK): seq = client ISN + 1,
        // ack = host ISN + 1, the client's window, TS (client TSval, host TSval).
        for i in 0..6 {
            self.g_hack[i].next = self.g_synack[i].val();
            self.g_cwin[i].next = self.g_ssyn[i].val();
        }
        self.g_hack[6].next = self.w_ack_no.val();
        self.g_hack[7].next = self.w_seq.val() + 1_u32;
        self.g_hack[8].next = (self.b_w[6].val() & 0xFFFF_0000_u32) | 0x1000_u32;
        self.g_hack[9].next = self.g_vlan.val();
        self.g_hack[10].next = 0_u32.into();
        self.g_hack[11].next = 0_u32.into();
        self.g_hack[12].next = self.g_synack[12].val();
        // The window update to the client (same way as the SYN-ACK), in the client's space:
        // seq = cookie + 1, the host's window unscaled, TS (cookie TSval, client TSval).
        self.g_cwin[6].next = self.b_w[7].val() + 1_u32;
        self.g_cwin[7].next = self.w_ack_no.val();
        self.g_cwin[8].next = (self.h_wnd.val() << 16_u32) | 0x1000_u32;
        self.g_cwin[9].next = self.g_vlan.val();
        self.g_cwin[10].next = 0_u32.into();
        self.g_cwin[11].next = 0_u32.into();
        self.g_cwin[12].next = self.g_synack[12].val();
        if self.h_ts.val() {
            self.g_hack[9].next = self.g_vlan.val() | 0x4_u32;
            self.g_hack[10].next = self.b_w[9].val();
            self.g_hack[11].next = self.w_tsval.val();
            self.g_cwin[9].next = self.g_vlan.val() | 0x4_u32;
            self.g_cwin[10].next = self.b_w[8].val();
            self.g_cwin[11].next = self.b_w[9].val();
        }

        // ---- the registered outputs, counters, event and the pending gauge
        // The gauge: + / - the decision's transition, - a management delete of a tracked
        // (not proxied) SYN-RECEIVED entry (an expired handshake).
        self.g_a.next = self.gauge.q.val();
        self.g_b.next = self.g_a.val();
        if (self.mgd[1].q.val() && self.conn.rs_mgmt.val())
            && (self.conn.rs_hit.val() && ((self.conn.rs_w[3].val() & 0x1F_u32) == 3_u32))
        {
            self.g_b.next = self.g_a.val() - 1_u32;
        }
        self.gauge.d.next = self.g_b.val();
        if self.tracker.out_valid.val() {
            self.o_valid.d.next = true;
            self.o_host.d.next = self.w_host.val();
            self.o_verdict.d.next = self.x_verdict.val();
            self.o_reason.d.next = bit_cast::<4, 32>(self.x_reason.val().into());
            self.o_unsup.d.next = self.x_unsup.val();
            self.o_edit.d.next = self.x_edit.val();
            self.o_seq_adj.d.next = self.x_seq_adj.val();
            self.o_ts_adj.d.next = self.x_ts_adj.val();
            if self.x_reply.val() == 1 {
                self.o_r0v.d.next = true;
                self.o_r0h.d.next = false;
                for i in 0..DESC_WORDS {
                    self.o_r0[i].d.next = self.g_synack[i].val();
                }
            }
            if self.x_reply.val() == 2 {
                self.o_r0v.d.next = true;
                self.o_r0h.d.next = false;
                for i in 0..DESC_WORDS {
                    self.o_r0[i].d.next = self.g_chal[i].val();
                }
            }
            if self.x_reply.val() == 3 {
                self.o_r0v.d.next = true;
                self.o_r0h.d.next = true;
                for i in 0..DESC_WORDS {
                    self.o_r0[i].d.next = self.g_ssyn[i].val();
                }
            }
            if self.x_reply.val() == 4 {
                self.o_r0v.d.next = true;
                self.o_r0h.d.next = true;
                self.o_r1v.d.next = true;
                self.o_r1h.d.next = false;
                self.o_gen2.d.next = true;
                for i in 0..DESC_WORDS {
                    self.o_r0[i].d.next = self.g_hack[i].val();
                    self.o_r1[i].d.next = self.g_cwin[i].val();
                }
            }
            self.o_ev.d.next = self.x_ev.val();
            self.o_ev_slot.d.next = self.b_slot.val();
            self.o_ev_old.d.next = self.x_ev_old.val();
            self.o_ev_new.d.next = self.x_ev_new.val();
            self.o_ev_px.d.next = self.x_ev_px.val();
            self.o_ev_key[0].d.next = self.w_kpeer.val();
            self.o_ev_key[1].d.next = self.w_khost.val();
            self.o_ev_key[2].d.next = self.w_kports.val();
            // Handshakes pending on the host: tracked (not proxied) entries in SYN-RECEIVED.
            if self.x_ev.val() && !self.x_ev_px.val() {
                if (self.x_ev_old.val() == 3_u32) && (self.x_ev_new.val() != 3_u32) {
                    self.gauge.d.next = self.g_b.val() - 1_u32;
                }
                if (self.x_ev_new.val() == 3_u32) && (self.x_ev_old.val() != 3_u32) {
                    self.gauge.d.next = self.g_b.val() + 1_u32;
                }
            }
            // Counters (Nic::process and Nic::account).
            self.o_cnt[0].d.next = !self.w_host.val();
            self.o_cnt[1].d.next = self.w_host.val();
            self.o_cnt[2].d.next = self.x_verdict.val() == 0;
            self.o_cnt[3].d.next = self.x_verdict.val() == 1;
            self.o_cnt[4].d.next = self.x_reply.val() != 0;
            self.o_cnt[5].d.next = self.x_verdict.val() == 3;
            self.o_cnt[6].d.next = self.x_verdict.val() == 4;
            self.o_cnt[7].d.next = self.w_disp.val() == 1_u32;
            self.o_cnt[8].d.next = self.w_disp.val() == 2_u32;
            self.o_cnt[9].d.next = self.w_disp.val() == 3_u32;
            self.o_cnt[12].d.next = self.w_disp.val() == 0_u32;
            self.o_cnt[13].d.next = self.x_ck_sent.val();
            self.o_cnt[14].d.next = self.x_ck_recv.val();
            self.o_cnt[17].d.next = self.x_listen_ovf.val();
            self.o_cnt[18].d.next = self.x_passive.val();
            self.o_cnt[19].d.next = self.x_active.val();
            self.o_cnt[20].d.next = self.x_estab_rst.val();
            self.o_cnt[23].d.next = self.x_syn_chal.val();
            self.o_cnt_hi[0].d.next = self.x_tw_recycled.val();
            self.o_cnt_hi[1].d.next = self.x_handoff.val();
            self.o_cnt_hi[2].d.next = self.x_retrans.val();
            self.o_cnt_hi[3].d.next = self.x_insert.val() || self.x_replace.val();
            self.o_cnt_hi[4].d.next = self.x_delete.val() || self.x_replace.val();
            self.o_cnt_hi[5].d.next = self.x_full.val();
            self.o_cnt_hi[10].d.next = self.p_flood.q.val();
            if self.x_verdict.val() == 4 {
                self.o_cnt[10].d.next = self.w_disp.val() == 4_u32;
            }
            if self.x_verdict.val() == 3 {
                // DropReason::counter
                self.o_cnt[10].d.next = self.x_reason.val() == 0_u32;
                self.o_cnt[11].d.next = self.x_reason.val() == 1_u32;
                self.o_cnt[28].d.next = self.x_reason.val() == 2_u32;
                self.o_cnt[15].d.next = self.x_reason.val() == 3_u32;
                self.o_cnt[29].d.next =
                    (self.x_reason.val() == 4_u32) || (self.x_reason.val() == 12_u32);
                self.o_cnt[16].d.next = self.x_reason.val() == 5_u32;
                self.o_cnt[25].d.next = self.x_reason.val() == 6_u32;
                self.o_cnt[22].d.next = self.x_reason.val() == 7_u32;
                self.o_cnt[26].d.next = self.x_reason.val() == 8_u32;
                self.o_cnt[27].d.next = self.x_reason.val() == 9_u32;
                self.o_cnt[24].d.next = self.x_reason.val() == 10_u32;
                self.o_cnt[30].d.next = self.x_reason.val() == 11_u32;
            }
        }
    }
}

/// A record's words (`in_w`) as plain Rust values: what the top level packs from the parser's
/// record, the frame's first 12 bytes, the ingress port and the device time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordWords(pub [u32; REC_WORDS]);

impl RecordWords {
    /// Pack `rec` (the parser's record of `frame`), arriving on the host port when `from_host`,
    /// at device time `now`.
    pub fn pack(
        rec: &crate::parser::HeaderRecord,
        frame: &[u8],
        from_host: bool,
        now: proto::time::Instant,
    ) -> RecordWords {
        let mut w = [0u32; REC_WORDS];
        let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let be16 = |b: &[u8]| u16::from_be_bytes([b[0], b[1]]) as u32;
        if frame.len() >= 12 {
            w[10] = be32(&frame[0..4]);
            w[11] = be32(&frame[6..10]);
            w[12] = be16(&frame[4..6]) << 16 | be16(&frame[10..12]);
        }
        let mut bits = rec.disposition as u32 & 7;
        if from_host {
            bits |= 0x8;
        }
        if let Some(eth) = rec.eth {
            if let Some(tci) = eth.vlan_tci {
                bits |= 0x100 | (tci as u32) << 16;
            }
        }
        if let Some(ip) = rec.ipv4 {
            w[0] = ip.src;
            w[1] = ip.dst;
        }
        if let Some(t) = rec.tcp {
            w[2] = (t.src_port as u32) << 16 | t.dst_port as u32;
            w[3] = t.seq;
            w[4] = t.ack;
            if let Some((tsval, tsecr, _)) = t.ts {
                w[5] = tsval;
                w[6] = tsecr;
                bits |= 0x40;
            }
            w[7] = (t.window as u32) << 16 | (t.flags as u32) << 8 | t.ws.unwrap_or(0) as u32;
            w[8] = (t.payload_len as u32) << 16 | t.mss.unwrap_or(0) as u32;
            if t.ws.is_some() {
                bits |= 0x10;
            }
            if t.sack_perm {
                bits |= 0x20;
            }
            if t.ip_csum_ok && t.tcp_csum_ok {
                bits |= 0x80;
            }
        }
        w[9] = bits;
        w[13] = now.secs() as u32;
        w[14] = now.ts_clock_ms();
        w[15] = now.cookie_minute();
        RecordWords(w)
    }
}

/// A generated frame's descriptor (`r0_w`, `r1_w`) as plain Rust values: `replygen`'s request.
/// Words: dst MAC 0..3, src MAC 0..3, dst MAC 4..5 | src MAC 4..5, src IP, dst IP,
/// src port | dst port, seq, ack, window | flags | WS, MSS | bits (0 MSS, 1 SACK-permitted,
/// 2 TS, 3 WS, 4 VLAN), TSval, TSecr, VLAN TCI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplyDesc(pub [u32; DESC_WORDS]);

impl ReplyDesc {
    pub fn request(&self) -> crate::replygen::ReplyRequest {
        let w = &self.0;
        let mac = |hi: u32, lo: u32| {
            let h = hi.to_be_bytes();
            let l = (lo as u16).to_be_bytes();
            [h[0], h[1], h[2], h[3], l[0], l[1]]
        };
        let bits = w[9] & 0xFFFF;
        crate::replygen::ReplyRequest {
            dst_mac: mac(w[0], w[2] >> 16),
            src_mac: mac(w[1], w[2]),
            vlan_tci: (bits & 0x10 != 0).then_some(w[12] as u16),
            src_ip: w[3].to_be_bytes(),
            dst_ip: w[4].to_be_bytes(),
            src_port: (w[5] >> 16) as u16,
            dst_port: w[5] as u16,
            seq: w[6],
            ack: w[7],
            flags: (w[8] >> 8) as u8,
            window: (w[8] >> 16) as u16,
            options: proto::wire::tcp_options::OptionSet {
                mss: (bits & 1 != 0).then_some((w[9] >> 16) as u16),
                sack_perm: bits & 2 != 0,
                timestamp: (bits & 4 != 0).then_some((w[10], w[11])),
                wscale: (bits & 8 != 0).then_some(w[8] as u8),
            },
        }
    }
}

/// The decision pipeline the tests use: 16 buckets x 4 ways.
pub type DecisionPipelineTest = DecisionPipeline<4>;

/// Drives the configuration and table-management-idle inputs of a block that has the
/// decision pipeline's configuration ports (`DecisionPipeline`, `pipeline::Pipeline`) from a
/// `proto::config::NicConfig`, as `regs_block`'s live values would.
#[macro_export]
macro_rules! drive_config {
    ($tb:expr, $cfg:expr) => {{
        use $crate::lane::Lane;
        let cfg: &proto::config::NicConfig = $cfg;
        for (k, key) in cfg.cookie_key.iter().enumerate() {
            for (j, half) in key.iter().enumerate() {
                $tb.cookie_key[4 * k + 2 * j].next = Lane(*half as u32);
                $tb.cookie_key[4 * k + 2 * j + 1].next = Lane((*half >> 32) as u32);
            }
        }
        $tb.proxy_mss.next = Lane(cfg.proxy.mss as u32);
        $tb.proxy_ws.next = Lane(cfg.proxy.wscale as u32);
        $tb.proxy_ts.next = cfg.proxy.timestamps;
        $tb.proxy_sack.next = cfg.proxy.sack_perm;
        $tb.verify_csum.next = cfg.verify_checksums;
        $tb.loose.next = cfg.loose;
        $tb.rfc1337.next = cfg.rfc1337;
        $tb.flood_syn_rate.next = Lane(cfg.flood_syn_rate);
        $tb.flood_pending.next = Lane(cfg.flood_pending);
        for i in 0..$crate::policy_unit::LISTENERS {
            let l = cfg.listeners.get(i);
            $tb.l_valid[i].next = l.is_some();
            $tb.l_addr[i].next = Lane(l.map_or(0, |l| u32::from_be_bytes(l.addr)));
            $tb.l_port[i].next = u64::from(l.map_or(0, |l| l.port)).into();
            $tb.l_mode[i].next = u64::from(l.map_or(0, |l| l.mode as u8)).into();
        }
        $tb.mg_valid.next = false;
    }};
}

/// The values driven on the configuration and table-management inputs of such a block, by
/// Verilog port name (for a Verilator replay of a recorded run).
#[macro_export]
macro_rules! config_inputs {
    ($tb:expr) => {{
        let mut v: Vec<(String, u64)> = Vec::new();
        for (n, x) in [
            ("proxy_mss", &$tb.proxy_mss),
            ("proxy_ws", &$tb.proxy_ws),
            ("flood_syn_rate", &$tb.flood_syn_rate),
            ("flood_pending", &$tb.flood_pending),
        ] {
            v.push((n.to_string(), x.next.0 as u64));
        }
        for (n, x) in [
            ("proxy_ts", &$tb.proxy_ts),
            ("proxy_sack", &$tb.proxy_sack),
            ("verify_csum", &$tb.verify_csum),
            ("loose", &$tb.loose),
            ("rfc1337", &$tb.rfc1337),
            ("mg_valid", &$tb.mg_valid),
            ("mg_delete", &$tb.mg_delete),
        ] {
            v.push((n.to_string(), x.next as u64));
        }
        v.push(("mg_bucket".to_string(), $tb.mg_bucket.next.to_u64()));
        v.push(("mg_way".to_string(), $tb.mg_way.next.to_u64()));
        for k in 0..8 {
            v.push((format!("cookie_key${k}"), $tb.cookie_key[k].next.0 as u64));
        }
        for i in 0..$crate::policy_unit::LISTENERS {
            v.push((format!("l_valid${i}"), $tb.l_valid[i].next as u64));
            v.push((format!("l_addr${i}"), $tb.l_addr[i].next.0 as u64));
            v.push((format!("l_port${i}"), $tb.l_port[i].next.to_u64()));
            v.push((format!("l_mode${i}"), $tb.l_mode[i].next.to_u64()));
        }
        v
    }};
}

/// The state-transition event on the outputs of a block with the decision pipeline's event
/// ports, if there is one: (key, old state code, new state code, slot).
#[macro_export]
macro_rules! transition_event {
    ($tb:expr) => {{
        $tb.ev_valid.val().then(|| {
            let k = [
                $tb.ev_key[0].val().0,
                $tb.ev_key[1].val().0,
                $tb.ev_key[2].val().0,
            ];
            (
                proto::table::FlowKey {
                    peer_addr: k[0].to_be_bytes(),
                    host_addr: k[1].to_be_bytes(),
                    peer_port: (k[2] >> 16) as u16,
                    host_port: k[2] as u16,
                },
                $tb.ev_old.val().0,
                $tb.ev_new.val().0,
                $tb.ev_slot.val().0,
            )
        })
    }};
}
