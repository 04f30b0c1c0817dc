//! [`PolicyUnit`] — the listener table and the SYN-flood policy: which SYNs get a cookie, and
//! which ACKs of unknown flows are checked as cookie ACKs. The hardware of `proto::policy`.
//!
//! ## Interface
//! * `clock` in. No reset: the run-time registers power up zero, as `ListenerRuntime::default()`.
//! * Configuration (from the register block, quasi-static): per listener `i` < [`LISTENERS`]
//!   `l_valid[i]`, `l_addr[i]` (host-side IPv4 address, first wire byte in bits 31..24 as the parser
//!   gives it; 0 = any address), `l_port[i]`, `l_mode[i]` (`CookieMode` code: 0 off, 1 on flood,
//!   2 always); `flood_syn_rate`, `flood_pending` (`NicConfig`'s thresholds).
//! * Request, one per clock: `in_valid`, `in_kind` ([`KIND_FIND`], [`KIND_SYN`], [`KIND_ACK`]),
//!   `in_tag` (carried through), `in_addr` / `in_port` (the segment's host-side address and port),
//!   `in_now` (whole seconds of device time), `in_pending` (handshakes pending on the host, the
//!   pipeline's gauge), `in_bucket_full` (the flow's table bucket has no free way).
//! * Result, [`POLICY_LATENCY`] = 3 clocks later (a request sampled at the edge ending cycle `t`
//!   is on the outputs during cycle `t + 3`): `out_valid`, `out_tag`, `out_found`, `out_index`,
//!   `out_mode` (the first matching listener, `Policy::find`), and
//!   - for [`KIND_SYN`] to a listener: `out_cookie` (answer with a cookie SYN-ACK, `SynAction::
//!     Cookie`) and `out_flood_detected` (mode 1 flood newly detected: count `FloodDetected`),
//!     `Policy::on_syn`; the listener's run-time registers are updated;
//!   - for [`KIND_ACK`] to a listener: `out_validate` (check the ACK as a cookie ACK,
//!     `Policy::validates_cookies`);
//!   - [`KIND_FIND`] only looks up (the caller counts `ListenOverflows` with it).
//!
//!   Outputs other than `out_valid`/`out_tag` are meaningful only when `out_valid`.
//! * Throughput: one request per clock, any mix; back-to-back SYNs to one listener see each
//!   other's counts (the previous clock's write is forwarded to stage 3).
//!
//! ## Structure (three stages, each a few LUT levels or one carry chain)
//! 1. **Match**: the 16 listeners compared in parallel, `port == l_port && (addr == l_addr ||
//!    l_addr == 0)`; the lowest matching index wins (`Policy::find` takes the first in the
//!    table), built as an OR prefix with AND-OR selects (trees, not a chain of muxes); `now - 1`.
//! 2. **Read**: the matched listener's run-time registers (second, SYNs this and last second,
//!    last cookie, flooding) through a one-hot AND-OR mux; `now + 1`.
//! 3. **Decide and write**: the previous clock's write is forwarded (this request's read missed
//!    it), the registers are rolled to the current second (`ListenerRuntime::roll`), the SYN
//!    counted (`count_syn`, saturating; `rate > threshold` as `count > threshold || prev >
//!    threshold`), the decision made and registered to the outputs, the registers written back.
//!
//! ## Width choices
//! The model keeps seconds as `u64`; here they are 32 bits (`in_now`, the run-time `second` and
//! `last_cookie`), which wrap after 136 years of device uptime. Everything else is exact.

use crate::lane::Lane;
use proto::config::MAX_LISTENERS;
use rust_hdl::prelude::*;

/// Listener slots (`proto::config::MAX_LISTENERS`).
pub const LISTENERS: usize = MAX_LISTENERS;
/// Clocks from request to result.
pub const POLICY_LATENCY: usize = 3;
/// Request kinds (`in_kind`).
pub const KIND_FIND: u64 = 0;
pub const KIND_SYN: u64 = 1;
pub const KIND_ACK: u64 = 2;
/// `proto::policy::COOKIE_VALID_SECS` (TCP_SYNCOOKIE_VALID), written as a literal in the kernel.
pub const COOKIE_VALID_SECS: u32 = 120;
const _: () = assert!(COOKIE_VALID_SECS as u64 == proto::policy::COOKIE_VALID_SECS);

/// The listener table and flood policy. See the [module docs](self).
#[derive(LogicBlock, Default)]
pub struct PolicyUnit {
    pub clock: Signal<In, Clock>,
    // ---- configuration
    pub l_valid: [Signal<In, Bit>; LISTENERS],
    pub l_addr: [Signal<In, Lane>; LISTENERS],
    pub l_port: [Signal<In, Bits<16>>; LISTENERS],
    pub l_mode: [Signal<In, Bits<2>>; LISTENERS],
    pub flood_syn_rate: Signal<In, Lane>,
    pub flood_pending: Signal<In, Lane>,
    // ---- request
    pub in_valid: Signal<In, Bit>,
    pub in_kind: Signal<In, Bits<2>>,
    pub in_tag: Signal<In, Bits<8>>,
    pub in_addr: Signal<In, Lane>,
    pub in_port: Signal<In, Bits<16>>,
    pub in_now: Signal<In, Lane>,
    pub in_pending: Signal<In, Lane>,
    pub in_bucket_full: Signal<In, Bit>,
    // ---- result
    pub out_valid: Signal<Out, Bit>,
    pub out_tag: Signal<Out, Bits<8>>,
    pub out_found: Signal<Out, Bit>,
    pub out_index: Signal<Out, Bits<4>>,
    pub out_mode: Signal<Out, Bits<2>>,
    pub out_cookie: Signal<Out, Bit>,
    pub out_flood_detected: Signal<Out, Bit>,
    pub out_validate: Signal<Out, Bit>,

    // ---- stage 1 registers: the request and its match
    s1_valid: DFF<Bit>,
    s1_kind: DFF<Bits<2>>,
    s1_tag: DFF<Bits<8>>,
    s1_now: DFF<Lane>,
    s1_now_m1: DFF<Lane>,
    s1_pending: DFF<Lane>,
    s1_bucket_full: DFF<Bit>,
    s1_found: DFF<Bit>,
    s1_index: DFF<Bits<4>>,
    s1_hot: DFF<Bits<16>>,
    s1_mode: DFF<Bits<2>>,
    // ---- stage 2 registers: the request and its listener's run-time registers as read
    s2_valid: DFF<Bit>,
    s2_kind: DFF<Bits<2>>,
    s2_tag: DFF<Bits<8>>,
    s2_now: DFF<Lane>,
    s2_now_m1: DFF<Lane>,
    s2_now_p1: DFF<Lane>,
    s2_pending: DFF<Lane>,
    s2_bucket_full: DFF<Bit>,
    s2_found: DFF<Bit>,
    s2_index: DFF<Bits<4>>,
    s2_hot: DFF<Bits<16>>,
    s2_mode: DFF<Bits<2>>,
    s2_second: DFF<Lane>,
    s2_this: DFF<Lane>,
    s2_prev: DFF<Lane>,
    s2_last: DFF<Lane>,
    s2_flooding: DFF<Bit>,
    /// The request ahead (in stage 3 now) writes this request's listener: take its write.
    s2_fwd: DFF<Bit>,
    /// `now == second` and `now - 1 == second` against the registers as read ...
    s2_rd_same: DFF<Bit>,
    s2_rd_next: DFF<Bit>,
    /// ... and against the request ahead's write (whose `second` is its `now`).
    s2_fw_same: DFF<Bit>,
    s2_fw_next: DFF<Bit>,
    // ---- per-listener run-time registers (`ListenerRuntime`)
    rt_second: [DFF<Lane>; LISTENERS],
    rt_this: [DFF<Lane>; LISTENERS],
    rt_prev: [DFF<Lane>; LISTENERS],
    rt_last_cookie: [DFF<Lane>; LISTENERS],
    rt_flooding: [DFF<Bit>; LISTENERS],
    // ---- the previous clock's write (forwarded to stage 3: its stage-2 read missed it)
    w_second: DFF<Lane>,
    w_this: DFF<Lane>,
    w_prev: DFF<Lane>,
    w_last: DFF<Lane>,
    w_flooding: DFF<Bit>,
    // ---- stage 3 output registers
    r_valid: DFF<Bit>,
    r_tag: DFF<Bits<8>>,
    r_found: DFF<Bit>,
    r_index: DFF<Bits<4>>,
    r_mode: DFF<Bits<2>>,
    r_cookie: DFF<Bit>,
    r_flood_detected: DFF<Bit>,
    r_validate: DFF<Bit>,

    // ---- stage 1 logic
    hit: [Signal<Local, Bit>; LISTENERS],
    m_lower: Signal<Local, Bit>,
    m_hot: Signal<Local, Bits<16>>,
    m_index: Signal<Local, Bits<4>>,
    m_mode: Signal<Local, Bits<2>>,
    m_zero: Signal<Local, Lane>,
    // ---- stage 2 logic: the one-hot read
    rd_second: Signal<Local, Lane>,
    rd_this: Signal<Local, Lane>,
    rd_prev: Signal<Local, Lane>,
    rd_last: Signal<Local, Lane>,
    rd_flooding: Signal<Local, Bit>,
    // ---- stage 3 logic: roll, count, decide
    c_second: Signal<Local, Lane>,
    c_this: Signal<Local, Lane>,
    c_prev: Signal<Local, Lane>,
    c_last: Signal<Local, Lane>,
    c_flooding: Signal<Local, Bit>,
    c_same: Signal<Local, Bit>,
    c_next: Signal<Local, Bit>,
    c_max: Signal<Local, Lane>,
    c_count: Signal<Local, Lane>,
    c_flood: Signal<Local, Bit>,
    c_is_syn: Signal<Local, Bit>,
    c_is_ack: Signal<Local, Bit>,
    c_cookie: Signal<Local, Bit>,
    c_since: Signal<Local, Lane>,
    c_valid_secs: Signal<Local, Lane>,
    c_recent: Signal<Local, Bit>,
    c_zero: Signal<Local, Lane>,
}

impl Logic for PolicyUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            s1_valid,
            s1_kind,
            s1_tag,
            s1_now,
            s1_now_m1,
            s1_pending,
            s1_bucket_full,
            s1_found,
            s1_index,
            s1_hot,
            s1_mode,
            s2_valid,
            s2_kind,
            s2_tag,
            s2_now,
            s2_now_m1,
            s2_now_p1,
            s2_pending,
            s2_bucket_full,
            s2_found,
            s2_index,
            s2_hot,
            s2_mode,
            s2_second,
            s2_this,
            s2_prev,
            s2_last,
            s2_flooding,
            s2_fwd,
            s2_rd_same,
            s2_rd_next,
            s2_fw_same,
            s2_fw_next,
            w_second,
            w_this,
            w_prev,
            w_last,
            w_flooding,
            r_valid,
            r_tag,
            r_found,
            r_index,
            r_mode,
            r_cookie,
            r_flood_detected,
            r_validate
        );
        for i in 0..16 {
            self.rt_second[i].clock.next = self.clock.val();
            self.rt_this[i].clock.next = self.clock.val();
            self.rt_prev[i].clock.next = self.clock.val();
            self.rt_last_cookie[i].clock.next = self.clock.val();
            self.rt_flooding[i].clock.next = self.clock.val();
            self.rt_second[i].d.next = self.rt_second[i].q.val();
            self.rt_this[i].d.next = self.rt_this[i].q.val();
            self.rt_prev[i].d.next = self.rt_prev[i].q.val();
            self.rt_last_cookie[i].d.next = self.rt_last_cookie[i].q.val();
            self.rt_flooding[i].d.next = self.rt_flooding[i].q.val();
        }

        // ================= stage 1: Policy::find, the first listener that matches
        self.m_zero.next = 0_u32.into();
        for i in 0..16 {
            self.hit[i].next = (self.l_valid[i].val()
                && (self.l_port[i].val() == self.in_port.val()))
                && ((self.l_addr[i].val() == self.in_addr.val())
                    || (self.l_addr[i].val() == self.m_zero.val()));
        }
        // Lowest index wins: listener i is chosen if it matches and no lower one does (an OR
        // prefix and AND-OR selects, which synthesis builds as trees, not a chain of muxes).
        self.m_lower.next = false;
        self.m_hot.next = 0.into();
        self.m_index.next = 0.into();
        self.m_mode.next = 0.into();
        for i in 0..16 {
            if self.hit[i].val() && !self.m_lower.val() {
                self.m_hot.next = self.m_hot.val().replace_bit(i, true);
                self.m_mode.next = self.m_mode.val() | self.l_mode[i].val();
                if (i & 1) != 0 {
                    self.m_index.next = self.m_index.val().replace_bit(0, true);
                }
                if (i & 2) != 0 {
                    self.m_index.next = self.m_index.val().replace_bit(1, true);
                }
                if (i & 4) != 0 {
                    self.m_index.next = self.m_index.val().replace_bit(2, true);
                }
                if (i & 8) != 0 {
                    self.m_index.next = self.m_index.val().replace_bit(3, true);
                }
            }
            self.m_lower.next = self.m_lower.val() || self.hit[i].val();
        }
        self.s1_valid.d.next = self.in_valid.val();
        self.s1_kind.d.next = self.in_kind.val();
        self.s1_tag.d.next = self.in_tag.val();
        self.s1_now.d.next = self.in_now.val();
        self.s1_now_m1.d.next = self.in_now.val() - 1_u32;
        self.s1_pending.d.next = self.in_pending.val();
        self.s1_bucket_full.d.next = self.in_bucket_full.val();
        self.s1_found.d.next = self.m_lower.val();
        self.s1_index.d.next = self.m_index.val();
        self.s1_hot.d.next = self.m_hot.val();
        self.s1_mode.d.next = self.m_mode.val();

        // ================= stage 2: read the listener's run-time registers (one-hot AND-OR)
        self.rd_second.next = 0_u32.into();
        self.rd_this.next = 0_u32.into();
        self.rd_prev.next = 0_u32.into();
        self.rd_last.next = 0_u32.into();
        self.rd_flooding.next = false;
        for i in 0..16 {
            if self.s1_hot.q.val().get_bit(i) {
                self.rd_second.next = self.rd_second.val() | self.rt_second[i].q.val();
                self.rd_this.next = self.rd_this.val() | self.rt_this[i].q.val();
                self.rd_prev.next = self.rd_prev.val() | self.rt_prev[i].q.val();
                self.rd_last.next = self.rd_last.val() | self.rt_last_cookie[i].q.val();
                self.rd_flooding.next = self.rd_flooding.val() || self.rt_flooding[i].q.val();
            }
        }
        self.s2_valid.d.next = self.s1_valid.q.val();
        self.s2_kind.d.next = self.s1_kind.q.val();
        self.s2_tag.d.next = self.s1_tag.q.val();
        self.s2_now.d.next = self.s1_now.q.val();
        self.s2_now_m1.d.next = self.s1_now_m1.q.val();
        self.s2_now_p1.d.next = self.s1_now.q.val() + 1_u32;
        self.s2_pending.d.next = self.s1_pending.q.val();
        self.s2_bucket_full.d.next = self.s1_bucket_full.q.val();
        self.s2_found.d.next = self.s1_found.q.val();
        self.s2_index.d.next = self.s1_index.q.val();
        self.s2_hot.d.next = self.s1_hot.q.val();
        self.s2_mode.d.next = self.s1_mode.q.val();
        self.s2_second.d.next = self.rd_second.val();
        self.s2_this.d.next = self.rd_this.val();
        self.s2_prev.d.next = self.rd_prev.val();
        self.s2_last.d.next = self.rd_last.val();
        self.s2_flooding.d.next = self.rd_flooding.val();
        // Compared here, a clock early, so stage 3 only selects: the roll's two equalities for
        // both places the listener's registers can come from.
        self.s2_fwd.d.next = ((self.s2_valid.q.val() && self.s2_found.q.val())
            && (self.s2_kind.q.val() == bits::<2>(1)))
            && (self.s1_hot.q.val() == self.s2_hot.q.val());
        self.s2_rd_same.d.next = self.s1_now.q.val() == self.rd_second.val();
        self.s2_rd_next.d.next = self.s1_now_m1.q.val() == self.rd_second.val();
        self.s2_fw_same.d.next = self.s1_now.q.val() == self.s2_now.q.val();
        self.s2_fw_next.d.next = self.s1_now_m1.q.val() == self.s2_now.q.val();

        // ================= stage 3: roll, count, decide, write back
        // The previous request's write landed after this request's stage-2 read: forward it.
        self.c_second.next = self.s2_second.q.val();
        self.c_this.next = self.s2_this.q.val();
        self.c_prev.next = self.s2_prev.q.val();
        self.c_last.next = self.s2_last.q.val();
        self.c_flooding.next = self.s2_flooding.q.val();
        self.c_same.next = self.s2_rd_same.q.val();
        self.c_next.next = self.s2_rd_next.q.val();
        if self.s2_fwd.q.val() {
            self.c_second.next = self.w_second.q.val();
            self.c_this.next = self.w_this.q.val();
            self.c_prev.next = self.w_prev.q.val();
            self.c_last.next = self.w_last.q.val();
            self.c_flooding.next = self.w_flooding.q.val();
            self.c_same.next = self.s2_fw_same.q.val();
            self.c_next.next = self.s2_fw_next.q.val();
        }
        self.c_is_syn.next = (self.s2_valid.q.val() && self.s2_found.q.val())
            && (self.s2_kind.q.val() == bits::<2>(1));
        self.c_is_ack.next = (self.s2_valid.q.val() && self.s2_found.q.val())
            && (self.s2_kind.q.val() == bits::<2>(2));
        // ListenerRuntime::roll: a new second moves this second's count to the previous one
        // (or clears it after a gap of more than a second).
        if !self.c_same.val() {
            self.c_prev.next = 0_u32.into();
            if self.c_next.val() {
                self.c_prev.next = self.c_this.val();
            }
            self.c_this.next = 0_u32.into();
            self.c_second.next = self.s2_now.q.val();
        }
        // count_syn: saturating increment; the rate is the larger of the two seconds.
        self.c_max.next = 0xFFFF_FFFF_u32.into();
        self.c_count.next = self.c_this.val();
        if self.c_this.val() != self.c_max.val() {
            self.c_count.next = self.c_this.val() + 1_u32;
        }
        // rate > threshold, rate = max(count, prev); `count > t` is `this >= t && t != MAX`
        // (count saturates), which keeps the increment off this path.
        self.c_flood.next = ((((self.c_this.val() >= self.flood_syn_rate.val())
            && (self.flood_syn_rate.val() != self.c_max.val()))
            || (self.c_prev.val() > self.flood_syn_rate.val()))
            || (self.s2_pending.q.val() > self.flood_pending.val()))
            || self.s2_bucket_full.q.val();
        // on_syn: mode 2 always, mode 1 under flood.
        self.c_cookie.next = (self.s2_mode.q.val() == bits::<2>(2))
            || ((self.s2_mode.q.val() == bits::<2>(1)) && self.c_flood.val());
        // recent_cookie: last_cookie != 0 && now + 1 - last_cookie <= 120.
        self.c_since.next = self.s2_now_p1.q.val() - self.c_last.val();
        // COOKIE_VALID_SECS, as a literal: rust-hdl emits a named constant as an undefined name.
        self.c_valid_secs.next = 120_u32.into();
        self.c_zero.next = 0_u32.into();
        self.c_recent.next = (self.c_last.val() != self.c_zero.val())
            && (self.c_since.val() <= self.c_valid_secs.val());
        self.w_second.d.next = self.c_second.val();
        self.w_this.d.next = self.c_count.val();
        self.w_prev.d.next = self.c_prev.val();
        self.w_last.d.next = self.c_last.val();
        if self.c_cookie.val() {
            self.w_last.d.next = self.s2_now_p1.q.val();
        }
        self.w_flooding.d.next = self.c_flood.val();
        if self.c_is_syn.val() {
            for i in 0..16 {
                if self.s2_hot.q.val().get_bit(i) {
                    self.rt_second[i].d.next = self.c_second.val();
                    self.rt_this[i].d.next = self.c_count.val();
                    self.rt_prev[i].d.next = self.c_prev.val();
                    self.rt_flooding[i].d.next = self.c_flood.val();
                    if self.c_cookie.val() {
                        self.rt_last_cookie[i].d.next = self.s2_now_p1.q.val();
                    }
                }
            }
        }
        self.r_valid.d.next = self.s2_valid.q.val();
        self.r_tag.d.next = self.s2_tag.q.val();
        self.r_found.d.next = self.s2_found.q.val();
        self.r_index.d.next = self.s2_index.q.val();
        self.r_mode.d.next = self.s2_mode.q.val();
        self.r_cookie.d.next = self.c_is_syn.val() && self.c_cookie.val();
        self.r_flood_detected.d.next = (self.c_is_syn.val()
            && (self.s2_mode.q.val() == bits::<2>(1)))
            && (self.c_flood.val() && !self.c_flooding.val());
        self.r_validate.d.next = self.c_is_ack.val()
            && ((self.s2_mode.q.val() == bits::<2>(2))
                || ((self.s2_mode.q.val() == bits::<2>(1)) && self.c_recent.val()));

        self.out_valid.next = self.r_valid.q.val();
        self.out_tag.next = self.r_tag.q.val();
        self.out_found.next = self.r_found.q.val();
        self.out_index.next = self.r_index.q.val();
        self.out_mode.next = self.r_mode.q.val();
        self.out_cookie.next = self.r_cookie.q.val();
        self.out_flood_detected.next = self.r_flood_detected.q.val();
        self.out_validate.next = self.r_validate.q.val();
    }
}
