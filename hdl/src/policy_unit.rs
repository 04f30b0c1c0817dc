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
//! * Result, [`POLICY_LATENCY`] = 2 clocks later (a request sampled at the edge ending cycle `t`
//!   is on the outputs during cycle `t + 2`): `out_valid`, `out_tag`, `out_found`, `out_index`,
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
//!   other's counts (the run-time registers are read and written in the same stage).
//!
//! ## Structure
//! 1. **Match** (registered): the 16 listeners compared in parallel, `port == l_port &&
//!    (addr == l_addr || l_addr == 0)`; the lowest matching index wins (`Policy::find` takes the
//!    first in the table).
//! 2. **Decide and update** (registered): the matched listener's run-time registers are read
//!    through a 16-way mux, rolled to the current second (`ListenerRuntime::roll`), counted, and
//!    written back; the decision is registered to the outputs.
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
pub const POLICY_LATENCY: usize = 2;
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
    s1_pending: DFF<Lane>,
    s1_bucket_full: DFF<Bit>,
    s1_found: DFF<Bit>,
    s1_index: DFF<Bits<4>>,
    s1_hot: DFF<Bits<16>>,
    s1_mode: DFF<Bits<2>>,
    // ---- per-listener run-time registers (`ListenerRuntime`)
    rt_second: [DFF<Lane>; LISTENERS],
    rt_this: [DFF<Lane>; LISTENERS],
    rt_prev: [DFF<Lane>; LISTENERS],
    rt_last_cookie: [DFF<Lane>; LISTENERS],
    rt_flooding: [DFF<Bit>; LISTENERS],
    // ---- stage 2 output registers
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
    m_found: Signal<Local, Bit>,
    m_index: Signal<Local, Bits<4>>,
    m_hot: Signal<Local, Bits<16>>,
    m_mode: Signal<Local, Bits<2>>,
    m_zero: Signal<Local, Lane>,
    // ---- stage 2 logic: the matched listener's registers, rolled and counted
    c_second: Signal<Local, Lane>,
    c_this: Signal<Local, Lane>,
    c_prev: Signal<Local, Lane>,
    c_last: Signal<Local, Lane>,
    c_flooding: Signal<Local, Bit>,
    c_next_second: Signal<Local, Lane>,
    c_max: Signal<Local, Lane>,
    c_count: Signal<Local, Lane>,
    c_rate: Signal<Local, Lane>,
    c_flood: Signal<Local, Bit>,
    c_is_syn: Signal<Local, Bit>,
    c_is_ack: Signal<Local, Bit>,
    c_cookie: Signal<Local, Bit>,
    c_since: Signal<Local, Lane>,
    c_valid_secs: Signal<Local, Lane>,
    c_recent: Signal<Local, Bit>,
    c_now1: Signal<Local, Lane>,
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
            s1_pending,
            s1_bucket_full,
            s1_found,
            s1_index,
            s1_hot,
            s1_mode,
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
        // Priority: the lowest index. `m_index` counts the listeners passed over.
        self.m_found.next = false;
        self.m_index.next = 0.into();
        self.m_hot.next = 0.into();
        self.m_mode.next = 0.into();
        for i in 0..16 {
            if !self.m_found.val() {
                if self.hit[i].val() {
                    self.m_found.next = true;
                    self.m_hot.next = self.m_hot.val().replace_bit(i, true);
                    self.m_mode.next = self.l_mode[i].val();
                } else {
                    self.m_index.next = self.m_index.val() + 1;
                }
            }
        }
        if !self.m_found.val() {
            self.m_index.next = 0.into();
        }
        self.s1_valid.d.next = self.in_valid.val();
        self.s1_kind.d.next = self.in_kind.val();
        self.s1_tag.d.next = self.in_tag.val();
        self.s1_now.d.next = self.in_now.val();
        self.s1_pending.d.next = self.in_pending.val();
        self.s1_bucket_full.d.next = self.in_bucket_full.val();
        self.s1_found.d.next = self.m_found.val();
        self.s1_index.d.next = self.m_index.val();
        self.s1_hot.d.next = self.m_hot.val();
        self.s1_mode.d.next = self.m_mode.val();

        // ================= stage 2: the listener's run-time registers
        self.c_second.next = 0_u32.into();
        self.c_this.next = 0_u32.into();
        self.c_prev.next = 0_u32.into();
        self.c_last.next = 0_u32.into();
        self.c_flooding.next = false;
        for i in 0..16 {
            if self.s1_hot.q.val().get_bit(i) {
                self.c_second.next = self.rt_second[i].q.val();
                self.c_this.next = self.rt_this[i].q.val();
                self.c_prev.next = self.rt_prev[i].q.val();
                self.c_last.next = self.rt_last_cookie[i].q.val();
                self.c_flooding.next = self.rt_flooding[i].q.val();
            }
        }
        self.c_is_syn.next = (self.s1_valid.q.val() && self.s1_found.q.val())
            && (self.s1_kind.q.val() == bits::<2>(1));
        self.c_is_ack.next = (self.s1_valid.q.val() && self.s1_found.q.val())
            && (self.s1_kind.q.val() == bits::<2>(2));
        // ListenerRuntime::roll: a new second moves this second's count to the previous one
        // (or clears it after a gap of more than a second).
        self.c_next_second.next = self.c_second.val() + 1_u32;
        if self.s1_now.q.val() != self.c_second.val() {
            self.c_prev.next = 0_u32.into();
            if self.s1_now.q.val() == self.c_next_second.val() {
                self.c_prev.next = self.c_this.val();
            }
            self.c_this.next = 0_u32.into();
            self.c_second.next = self.s1_now.q.val();
        }
        // count_syn: saturating increment; the rate is the larger of the two seconds.
        self.c_max.next = 0xFFFF_FFFF_u32.into();
        self.c_count.next = self.c_this.val();
        if self.c_this.val() != self.c_max.val() {
            self.c_count.next = self.c_this.val() + 1_u32;
        }
        self.c_rate.next = self.c_count.val();
        if self.c_prev.val() > self.c_count.val() {
            self.c_rate.next = self.c_prev.val();
        }
        self.c_flood.next = ((self.c_rate.val() > self.flood_syn_rate.val())
            || (self.s1_pending.q.val() > self.flood_pending.val()))
            || self.s1_bucket_full.q.val();
        // on_syn: mode 2 always, mode 1 under flood.
        self.c_cookie.next = (self.s1_mode.q.val() == bits::<2>(2))
            || ((self.s1_mode.q.val() == bits::<2>(1)) && self.c_flood.val());
        // recent_cookie: last_cookie != 0 && now + 1 - last_cookie <= 120.
        self.c_now1.next = self.s1_now.q.val() + 1_u32;
        self.c_since.next = self.c_now1.val() - self.c_last.val();
        // COOKIE_VALID_SECS, as a literal: rust-hdl emits a named constant as an undefined name.
        self.c_valid_secs.next = 120_u32.into();
        self.c_zero.next = 0_u32.into();
        self.c_recent.next = (self.c_last.val() != self.c_zero.val())
            && (self.c_since.val() <= self.c_valid_secs.val());
        if self.c_is_syn.val() {
            for i in 0..16 {
                if self.s1_hot.q.val().get_bit(i) {
                    self.rt_second[i].d.next = self.c_second.val();
                    self.rt_this[i].d.next = self.c_count.val();
                    self.rt_prev[i].d.next = self.c_prev.val();
                    self.rt_flooding[i].d.next = self.c_flood.val();
                    if self.c_cookie.val() {
                        self.rt_last_cookie[i].d.next = self.c_now1.val();
                    }
                }
            }
        }
        self.r_valid.d.next = self.s1_valid.q.val();
        self.r_tag.d.next = self.s1_tag.q.val();
        self.r_found.d.next = self.s1_found.q.val();
        self.r_index.d.next = self.s1_index.q.val();
        self.r_mode.d.next = self.s1_mode.q.val();
        self.r_cookie.d.next = self.c_is_syn.val() && self.c_cookie.val();
        self.r_flood_detected.d.next = (self.c_is_syn.val()
            && (self.s1_mode.q.val() == bits::<2>(1)))
            && (self.c_flood.val() && !self.c_flooding.val());
        self.r_validate.d.next = self.c_is_ack.val()
            && ((self.s1_mode.q.val() == bits::<2>(2))
                || ((self.s1_mode.q.val() == bits::<2>(1)) && self.c_recent.val()));

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
