//! [`RegsBlock`] — the start of BAR0's register block (`proto::regs`, docs/contract.md): every
//! block header of [`LAYOUT`], the Identity block, the Config block (shadow registers, APPLY,
//! the listener window) with its live values as ports for the pipeline, and the Counters block
//! (one 64-bit counter per `proto::counters::Counter`, snapshot and clear).
//!
//! ## Interface
//! * `clock` in. No reset: the block powers up as `proto::regs::ConfigRegs::new()` (the Config
//!   registers hold `NicConfig::default()`, no listeners, generation 0; that configuration is
//!   also live), counters and snapshot bank zero, snapshot generation 0.
//! * Register port (the PCIe/AXI-lite bridge's side; byte offsets into BAR0, one access of each
//!   kind per clock):
//!   - read: `rd_valid`, `rd_addr` (12 bits) in; [`READ_LATENCY`] = 2 clocks later (a read
//!     sampled at the edge ending cycle `t` is on the outputs during cycle `t + 2`) `rd_ack` and
//!     `rd_data` (registered). A read sees every write sampled at or before its own edge.
//!   - write: `wr_valid`, `wr_addr`, `wr_data` in; takes effect at the edge that samples it.
//!   - Offsets that are not 4-aligned, registers a block does not list, and the blocks not yet
//!     implemented (below) read 0 and ignore writes (contract: "registers of a block that are not
//!     listed read as zero and ignore writes").
//! * `time_lo`, `time_hi` in: device time in ns (the pipeline's timebase); a read of TIME_LO
//!   returns `time_lo` and latches `time_hi` for TIME_HI.
//! * `inc[i]` in, one per `Counter::ALL[i]`: a pulse adds 1 to live counter `i` (any number of
//!   counters may pulse in one clock).
//! * Live configuration out (registered; changes only at APPLY, all at once): `cfg_generation`
//!   (APPLY writes so far), `cookie_key[0..8]` (the COOKIE_KEY words), `proxy_mss`,
//!   `proxy_wscale`, `proxy_sack`, `proxy_ts`, `flood_syn_rate`, `flood_pending`,
//!   `time_wait_ms`, `fin_timeout_ms`, `syn_recv_timeout_ms`, `proxy_syn_rto_ms`,
//!   `established_idle_s`, `close_wait_alarm_s`, `ka_enable`, `ka_idle_s`, `ka_interval_s`,
//!   `ka_probes`, `rfc1337`, `loose`, `verify_csum`, and the listener table `l_valid[i]`,
//!   `l_addr[i]`, `l_port[i]`, `l_mode[i]` (as [`crate::policy_unit::PolicyUnit`] takes it;
//!   an entry is valid when LST_VALID is set and its mode code is 0, 1 or 2). Narrow outputs are
//!   the low bits of their register; the host-side decoder (`decode_config`) rejects values
//!   that do not fit.
//!
//! ## Register semantics (`proto::regs`)
//! * Headers: TYPE, VERSION, NEXT, SIZE of every `LAYOUT` entry (`BlockDesc::header`,
//!   `next_offset`), as constants.
//! * Identity: the values of `Identity::registers` given at construction; TIME_LO / TIME_HI as
//!   above.
//! * Config: exactly `proto::regs::ConfigRegs` for the listed registers: every register stores
//!   all 32 bits; APPLY (bit 0) counts the generation (what APPLY reads) and copies the shadow
//!   registers and listener table into the live ones in one clock; writing LST_INDEX loads the
//!   window (LST_ADDR / LST_PORT / LST_MODE) from that entry (zeros past the table); LST_COMMIT
//!   (bit 0) stores the window into entry LST_INDEX; LST_COMMIT reads 0. (`ConfigRegs` also
//!   stores writes to the unlisted words 0x28 / 0x2C; here they read 0 as the contract says.)
//! * Counters (`cnt`): NUM = [`NUM_COUNTERS`]; CTRL bit 0 SNAPSHOT copies every live counter
//!   into the snapshot bank in one clock and counts GENERATION; bit 1 CLEAR zeroes the live
//!   counters in the same clock after the copy. The increments sampled in the clock of the CTRL
//!   write are not in the snapshot: they count towards the next one (after a clear, the live
//!   counters restart from them), so nothing is lost. VALUE reads come from the snapshot bank;
//!   reading a counter's lo word latches its hi word, which every hi read returns. Counters wrap
//!   at 2^64 (a 32-bit low half with its carry into the 32-bit high half, in the same clock).
//!
//! ## Not implemented yet
//! The Interrupt, Table, EventRing, LogRing, Mailbox and Exception blocks: their headers are
//! served, their fields read 0 and ignore writes (so Interrupt MASK does not yet reset to all
//! masked).
//!
//! ## Structure
//! Reads: stage 1 registers the request; stage 2 decodes the offset against constant tables
//! (headers, Identity) and the Config / Counters ranges and registers the selected word. Writes
//! decode in the clock they arrive. Everything is in flip-flops: 44 x 2 x 64 bits of counters,
//! 2 x 27 words of Config registers, 2 x 3 x 16 listener words.

use crate::lane::Lane;
use proto::config::{NicConfig, MAX_LISTENERS};
use proto::counters::Counter;
use proto::regs::{cfg, cnt, encode_config, ident, next_offset, Identity, LAYOUT};
use rust_hdl::prelude::*;

/// Counters implemented: `Counter::COUNT` (the kernels use the literal 44).
pub const NUM_COUNTERS: usize = 44;
const _: () = assert!(NUM_COUNTERS == Counter::COUNT);
/// Clocks from a read request to its data.
pub const READ_LATENCY: usize = 2;
/// Listener entries (`proto::config::MAX_LISTENERS`; the kernels use the literal 16).
pub const LISTENERS: usize = 16;
const _: () = assert!(LISTENERS == MAX_LISTENERS);
/// The flat Config registers: COOKIE_KEY (8 words) up to VERIFY_CSUM, contiguous (the kernels use
/// the literal 27).
pub const FLAT_WORDS: usize = 27;
const FLAT_BASE: u32 = 0x200 + cfg::COOKIE_KEY;
const _: () = assert!((cfg::VERIFY_CSUM - cfg::COOKIE_KEY) / 4 + 1 == FLAT_WORDS as u32);
/// Header words: 4 per LAYOUT block (the kernels use the literal 36).
const HDR_WORDS: usize = 36;
const _: () = assert!(HDR_WORDS == 4 * LAYOUT.len());
/// Identity registers served as constants (`Identity::registers`; the kernels use the literal 10).
const ID_WORDS: usize = 10;

/// The flat register index of a Config field (offset relative to the block).
const fn flat(off: u32) -> usize {
    ((off - cfg::COOKIE_KEY) / 4) as usize
}

/// The Identity this block serves when built with `Default` (the test-sized and generated
/// module): Geometry::SMALL, all 44 counters, 250 MHz, no optional capability yet.
pub fn default_identity() -> Identity {
    let g = proto::table::Geometry::SMALL;
    Identity {
        contract: proto::regs::CONTRACT_VERSION,
        build_id: 0,
        caps: 0,
        table_capacity: g.buckets * g.ways,
        table_ways: g.ways,
        entry_words: proto::table::ENTRY_WORDS as u32,
        counters: NUM_COUNTERS as u32,
        clock_hz: 250_000_000,
        max_listeners: LISTENERS as u32,
    }
}

/// The register block. See the [module docs](self).
#[derive(LogicBlock)]
pub struct RegsBlock {
    pub clock: Signal<In, Clock>,
    // ---- register port
    pub rd_valid: Signal<In, Bit>,
    pub rd_addr: Signal<In, Bits<12>>,
    pub rd_ack: Signal<Out, Bit>,
    pub rd_data: Signal<Out, Lane>,
    pub wr_valid: Signal<In, Bit>,
    pub wr_addr: Signal<In, Bits<12>>,
    pub wr_data: Signal<In, Lane>,
    // ---- device time and counter increments
    pub time_lo: Signal<In, Lane>,
    pub time_hi: Signal<In, Lane>,
    pub inc: [Signal<In, Bit>; NUM_COUNTERS],
    // ---- live configuration
    pub cfg_generation: Signal<Out, Lane>,
    pub cookie_key: [Signal<Out, Lane>; 8],
    pub proxy_mss: Signal<Out, Bits<16>>,
    pub proxy_wscale: Signal<Out, Bits<4>>,
    pub proxy_sack: Signal<Out, Bit>,
    pub proxy_ts: Signal<Out, Bit>,
    pub flood_syn_rate: Signal<Out, Lane>,
    pub flood_pending: Signal<Out, Lane>,
    pub time_wait_ms: Signal<Out, Lane>,
    pub fin_timeout_ms: Signal<Out, Lane>,
    pub syn_recv_timeout_ms: Signal<Out, Lane>,
    pub proxy_syn_rto_ms: Signal<Out, Lane>,
    pub established_idle_s: Signal<Out, Lane>,
    pub close_wait_alarm_s: Signal<Out, Lane>,
    pub ka_enable: Signal<Out, Bit>,
    pub ka_idle_s: Signal<Out, Lane>,
    pub ka_interval_s: Signal<Out, Lane>,
    pub ka_probes: Signal<Out, Bits<8>>,
    pub rfc1337: Signal<Out, Bit>,
    pub loose: Signal<Out, Bit>,
    pub verify_csum: Signal<Out, Bit>,
    pub l_valid: [Signal<Out, Bit>; LISTENERS],
    pub l_addr: [Signal<Out, Lane>; LISTENERS],
    pub l_port: [Signal<Out, Bits<16>>; LISTENERS],
    pub l_mode: [Signal<Out, Bits<2>>; LISTENERS],

    // ---- read pipeline
    s1_valid: DFF<Bit>,
    s1_addr: DFF<Lane>,
    r_valid: DFF<Bit>,
    r_data: DFF<Lane>,
    time_hi_latch: DFF<Lane>,
    cnt_hi_latch: DFF<Lane>,
    // ---- Config: shadow and live registers
    generation: DFF<Lane>,
    sh_flat: [DFFWithInit<Lane>; FLAT_WORDS],
    live_flat: [DFFWithInit<Lane>; FLAT_WORDS],
    w_index: DFF<Lane>,
    w_addr: DFF<Lane>,
    w_port: DFF<Lane>,
    w_mode: DFF<Lane>,
    sh_addr: [DFF<Lane>; LISTENERS],
    sh_port: [DFF<Lane>; LISTENERS],
    sh_mode: [DFF<Lane>; LISTENERS],
    live_addr: [DFF<Lane>; LISTENERS],
    live_port: [DFF<Bits<16>>; LISTENERS],
    live_mode: [DFF<Bits<2>>; LISTENERS],
    live_valid: [DFF<Bit>; LISTENERS],
    // ---- Counters: live (public so tests can preload a count near 2^32) and snapshot
    pub live_lo: [DFF<Lane>; NUM_COUNTERS],
    pub live_hi: [DFF<Lane>; NUM_COUNTERS],
    snap_lo: [DFF<Lane>; NUM_COUNTERS],
    snap_hi: [DFF<Lane>; NUM_COUNTERS],
    snap_gen: DFF<Lane>,

    // ---- constants: header and Identity tables, indices, offsets
    hdr_addr: [Constant<Lane>; HDR_WORDS],
    hdr_val: [Constant<Lane>; HDR_WORDS],
    id_addr: [Constant<Lane>; ID_WORDS],
    id_val: [Constant<Lane>; ID_WORDS],
    index: [Constant<Lane>; NUM_COUNTERS],
    a_time_lo: Constant<Lane>,
    a_time_hi: Constant<Lane>,
    a_apply: Constant<Lane>,
    a_lst_index: Constant<Lane>,
    a_lst_addr: Constant<Lane>,
    a_lst_port: Constant<Lane>,
    a_lst_mode: Constant<Lane>,
    a_lst_commit: Constant<Lane>,
    a_flat: Constant<Lane>,
    a_flat_end: Constant<Lane>,
    a_cnt_ctrl: Constant<Lane>,
    a_cnt_num: Constant<Lane>,
    a_cnt_gen: Constant<Lane>,
    a_cnt_value: Constant<Lane>,
    a_cnt_end: Constant<Lane>,
    num_counters: Constant<Lane>,
    ones: Constant<Lane>,
    three: Constant<Lane>,

    // ---- combinational
    zero: Signal<Local, Lane>,
    lp_bits: [Signal<Local, Bits<32>>; LISTENERS],
    lm_bits: [Signal<Local, Bits<32>>; LISTENERS],
    ra: Signal<Local, Lane>,
    ra_ok: Signal<Local, Bit>,
    ra_flat: Signal<Local, Bit>,
    ra_fidx: Signal<Local, Lane>,
    ra_cnt: Signal<Local, Bit>,
    ra_crel: Signal<Local, Lane>,
    ra_cidx: Signal<Local, Lane>,
    ra_chi: Signal<Local, Bit>,
    rd: Signal<Local, Lane>,
    wa: Signal<Local, Lane>,
    wa_ok: Signal<Local, Bit>,
    wa_flat: Signal<Local, Bit>,
    wa_fidx: Signal<Local, Lane>,
    do_apply: Signal<Local, Bit>,
    do_commit: Signal<Local, Bit>,
    do_index: Signal<Local, Bit>,
    do_snap: Signal<Local, Bit>,
    do_clear: Signal<Local, Bit>,
}

impl Default for RegsBlock {
    fn default() -> Self {
        Self::new(&default_identity())
    }
}

impl RegsBlock {
    /// The block serving `id` in its Identity block.
    pub fn new(id: &Identity) -> RegsBlock {
        let mut hdr_addr = Vec::new();
        let mut hdr_val = Vec::new();
        for (i, b) in LAYOUT.iter().enumerate() {
            for (j, w) in b.header(next_offset(i)).into_iter().enumerate() {
                hdr_addr.push(Constant::new(Lane(b.offset + 4 * j as u32)));
                hdr_val.push(Constant::new(Lane(w)));
            }
        }
        let regs = id.registers();
        // The power-up Config registers: NicConfig::default()'s flat registers.
        let mut init = [0u32; FLAT_WORDS];
        if let Ok(writes) = encode_config(&NicConfig::default()) {
            for (off, v) in writes {
                if (cfg::COOKIE_KEY..=cfg::VERIFY_CSUM).contains(&off) {
                    init[flat(off)] = v;
                }
            }
        }
        let reg = |x: u32| Constant::new(Lane(x));
        RegsBlock {
            clock: Default::default(),
            rd_valid: Default::default(),
            rd_addr: Default::default(),
            rd_ack: Default::default(),
            rd_data: Default::default(),
            wr_valid: Default::default(),
            wr_addr: Default::default(),
            wr_data: Default::default(),
            time_lo: Default::default(),
            time_hi: Default::default(),
            inc: core::array::from_fn(|_| Default::default()),
            cfg_generation: Default::default(),
            cookie_key: Default::default(),
            proxy_mss: Default::default(),
            proxy_wscale: Default::default(),
            proxy_sack: Default::default(),
            proxy_ts: Default::default(),
            flood_syn_rate: Default::default(),
            flood_pending: Default::default(),
            time_wait_ms: Default::default(),
            fin_timeout_ms: Default::default(),
            syn_recv_timeout_ms: Default::default(),
            proxy_syn_rto_ms: Default::default(),
            established_idle_s: Default::default(),
            close_wait_alarm_s: Default::default(),
            ka_enable: Default::default(),
            ka_idle_s: Default::default(),
            ka_interval_s: Default::default(),
            ka_probes: Default::default(),
            rfc1337: Default::default(),
            loose: Default::default(),
            verify_csum: Default::default(),
            l_valid: Default::default(),
            l_addr: Default::default(),
            l_port: Default::default(),
            l_mode: Default::default(),
            s1_valid: Default::default(),
            s1_addr: Default::default(),
            r_valid: Default::default(),
            r_data: Default::default(),
            time_hi_latch: Default::default(),
            cnt_hi_latch: Default::default(),
            generation: Default::default(),
            sh_flat: init.map(|v| DFFWithInit::new(Lane(v))),
            live_flat: init.map(|v| DFFWithInit::new(Lane(v))),
            w_index: Default::default(),
            w_addr: Default::default(),
            w_port: Default::default(),
            w_mode: Default::default(),
            sh_addr: Default::default(),
            sh_port: Default::default(),
            sh_mode: Default::default(),
            live_addr: Default::default(),
            live_port: Default::default(),
            live_mode: Default::default(),
            live_valid: Default::default(),
            live_lo: core::array::from_fn(|_| Default::default()),
            live_hi: core::array::from_fn(|_| Default::default()),
            snap_lo: core::array::from_fn(|_| Default::default()),
            snap_hi: core::array::from_fn(|_| Default::default()),
            snap_gen: Default::default(),
            hdr_addr: hdr_addr.try_into().unwrap_or_else(|_| unreachable!()),
            hdr_val: hdr_val.try_into().unwrap_or_else(|_| unreachable!()),
            id_addr: regs.map(|(o, _)| reg(o)),
            id_val: regs.map(|(_, v)| reg(v)),
            index: core::array::from_fn(|i| reg(i as u32)),
            a_time_lo: reg(ident::TIME_LO),
            a_time_hi: reg(ident::TIME_HI),
            a_apply: reg(0x200 + cfg::APPLY),
            a_lst_index: reg(0x200 + cfg::LST_INDEX),
            a_lst_addr: reg(0x200 + cfg::LST_ADDR),
            a_lst_port: reg(0x200 + cfg::LST_PORT),
            a_lst_mode: reg(0x200 + cfg::LST_MODE),
            a_lst_commit: reg(0x200 + cfg::LST_COMMIT),
            a_flat: reg(FLAT_BASE),
            a_flat_end: reg(FLAT_BASE + 4 * FLAT_WORDS as u32),
            a_cnt_ctrl: reg(0x800 + cnt::CTRL),
            a_cnt_num: reg(0x800 + cnt::NUM),
            a_cnt_gen: reg(0x800 + cnt::GENERATION),
            a_cnt_value: reg(0x800 + cnt::VALUE),
            a_cnt_end: reg(0x800 + cnt::VALUE + 8 * NUM_COUNTERS as u32),
            num_counters: reg(NUM_COUNTERS as u32),
            ones: reg(u32::MAX),
            three: reg(3),
            zero: Default::default(),
            lp_bits: Default::default(),
            lm_bits: Default::default(),
            ra: Default::default(),
            ra_ok: Default::default(),
            ra_flat: Default::default(),
            ra_fidx: Default::default(),
            ra_cnt: Default::default(),
            ra_crel: Default::default(),
            ra_cidx: Default::default(),
            ra_chi: Default::default(),
            rd: Default::default(),
            wa: Default::default(),
            wa_ok: Default::default(),
            wa_flat: Default::default(),
            wa_fidx: Default::default(),
            do_apply: Default::default(),
            do_commit: Default::default(),
            do_index: Default::default(),
            do_snap: Default::default(),
            do_clear: Default::default(),
        }
    }
}

// The Config block's base (0x200) and the Counters block's (0x800) are fixed by LAYOUT.
const _: () = assert!(proto::regs::layout_of(proto::regs::BlockKind::Config).offset == 0x200);
const _: () = assert!(proto::regs::layout_of(proto::regs::BlockKind::Counters).offset == 0x800);
// The narrow outputs' registers, by flat index (the kernel uses these literals).
const _: () = assert!(flat(cfg::PROXY_MSS) == 8 && flat(cfg::PROXY_WSCALE) == 9);
const _: () = assert!(flat(cfg::PROXY_SACK) == 10 && flat(cfg::PROXY_TS) == 11);
const _: () = assert!(flat(cfg::FLOOD_SYN_RATE) == 12 && flat(cfg::FLOOD_PENDING) == 13);
const _: () = assert!(flat(cfg::TIME_WAIT_MS) == 14 && flat(cfg::FIN_TIMEOUT_MS) == 15);
const _: () = assert!(flat(cfg::SYN_RECV_TIMEOUT_MS) == 16 && flat(cfg::PROXY_SYN_RTO_MS) == 17);
const _: () = assert!(flat(cfg::ESTABLISHED_IDLE_S) == 18 && flat(cfg::CLOSE_WAIT_ALARM_S) == 19);
const _: () = assert!(flat(cfg::KA_ENABLE) == 20 && flat(cfg::KA_IDLE_S) == 21);
const _: () = assert!(flat(cfg::KA_INTERVAL_S) == 22 && flat(cfg::KA_PROBES) == 23);
const _: () = assert!(flat(cfg::RFC1337) == 24 && flat(cfg::LOOSE) == 25);
const _: () = assert!(flat(cfg::VERIFY_CSUM) == 26 && cfg::LST_VALID == 1 << 31);

impl Logic for RegsBlock {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            s1_valid,
            s1_addr,
            r_valid,
            r_data,
            time_hi_latch,
            cnt_hi_latch,
            generation,
            w_index,
            w_addr,
            w_port,
            w_mode,
            snap_gen
        );
        for i in 0..27 {
            self.sh_flat[i].clock.next = self.clock.val();
            self.sh_flat[i].d.next = self.sh_flat[i].q.val();
            self.live_flat[i].clock.next = self.clock.val();
            self.live_flat[i].d.next = self.live_flat[i].q.val();
        }
        for i in 0..16 {
            self.sh_addr[i].clock.next = self.clock.val();
            self.sh_addr[i].d.next = self.sh_addr[i].q.val();
            self.sh_port[i].clock.next = self.clock.val();
            self.sh_port[i].d.next = self.sh_port[i].q.val();
            self.sh_mode[i].clock.next = self.clock.val();
            self.sh_mode[i].d.next = self.sh_mode[i].q.val();
            self.live_addr[i].clock.next = self.clock.val();
            self.live_addr[i].d.next = self.live_addr[i].q.val();
            self.live_port[i].clock.next = self.clock.val();
            self.live_port[i].d.next = self.live_port[i].q.val();
            self.live_mode[i].clock.next = self.clock.val();
            self.live_mode[i].d.next = self.live_mode[i].q.val();
            self.live_valid[i].clock.next = self.clock.val();
            self.live_valid[i].d.next = self.live_valid[i].q.val();
            self.lp_bits[i].next = self.sh_port[i].q.val().into();
            self.lm_bits[i].next = self.sh_mode[i].q.val().into();
        }
        for i in 0..44 {
            self.live_lo[i].clock.next = self.clock.val();
            self.live_lo[i].d.next = self.live_lo[i].q.val();
            self.live_hi[i].clock.next = self.clock.val();
            self.live_hi[i].d.next = self.live_hi[i].q.val();
            self.snap_lo[i].clock.next = self.clock.val();
            self.snap_lo[i].d.next = self.snap_lo[i].q.val();
            self.snap_hi[i].clock.next = self.clock.val();
            self.snap_hi[i].d.next = self.snap_hi[i].q.val();
        }
        self.zero.next = 0_u32.into();

        // ================= read stage 1: register the request
        self.s1_valid.d.next = self.rd_valid.val();
        self.s1_addr.d.next = bit_cast::<32, 12>(self.rd_addr.val()).into();

        // ================= read stage 2: decode the offset, select the word
        self.ra.next = self.s1_addr.q.val();
        self.ra_ok.next = (self.ra.val() & 3_u32) == self.zero.val();
        self.ra_flat.next = self.ra_ok.val()
            && ((self.ra.val() >= self.a_flat.val()) && (self.ra.val() < self.a_flat_end.val()));
        self.ra_fidx.next = (self.ra.val() - self.a_flat.val()) >> 2_u32;
        self.ra_cnt.next = self.ra_ok.val()
            && ((self.ra.val() >= self.a_cnt_value.val())
                && (self.ra.val() < self.a_cnt_end.val()));
        self.ra_crel.next = self.ra.val() - self.a_cnt_value.val();
        self.ra_cidx.next = self.ra_crel.val() >> 3_u32;
        self.ra_chi.next = (self.ra_crel.val() & 4_u32) != self.zero.val();
        self.rd.next = 0_u32.into();
        // Block headers and the Identity block's constants (`BlockDesc::header`,
        // `Identity::registers`).
        for i in 0..36 {
            if self.ra.val() == self.hdr_addr[i].val() {
                self.rd.next = self.hdr_val[i].val();
            }
        }
        for i in 0..10 {
            if self.ra.val() == self.id_addr[i].val() {
                self.rd.next = self.id_val[i].val();
            }
        }
        // Identity TIME_LO / TIME_HI: reading lo latches hi.
        if self.ra.val() == self.a_time_lo.val() {
            self.rd.next = self.time_lo.val();
            if self.s1_valid.q.val() {
                self.time_hi_latch.d.next = self.time_hi.val();
            }
        }
        if self.ra.val() == self.a_time_hi.val() {
            self.rd.next = self.time_hi_latch.q.val();
        }
        // Config (`ConfigRegs::read32`): APPLY reads the generation, LST_COMMIT reads 0.
        if self.ra.val() == self.a_apply.val() {
            self.rd.next = self.generation.q.val();
        }
        if self.ra.val() == self.a_lst_index.val() {
            self.rd.next = self.w_index.q.val();
        }
        if self.ra.val() == self.a_lst_addr.val() {
            self.rd.next = self.w_addr.q.val();
        }
        if self.ra.val() == self.a_lst_port.val() {
            self.rd.next = self.w_port.q.val();
        }
        if self.ra.val() == self.a_lst_mode.val() {
            self.rd.next = self.w_mode.q.val();
        }
        for i in 0..27 {
            if self.ra_flat.val() && (self.ra_fidx.val() == self.index[i].val()) {
                self.rd.next = self.sh_flat[i].q.val();
            }
        }
        // Counters: NUM, GENERATION, the snapshot bank (lo latches hi).
        if self.ra.val() == self.a_cnt_num.val() {
            self.rd.next = self.num_counters.val();
        }
        if self.ra.val() == self.a_cnt_gen.val() {
            self.rd.next = self.snap_gen.q.val();
        }
        if self.ra_cnt.val() && self.ra_chi.val() {
            self.rd.next = self.cnt_hi_latch.q.val();
        }
        for i in 0..44 {
            if (self.ra_cnt.val() && !self.ra_chi.val())
                && (self.ra_cidx.val() == self.index[i].val())
            {
                self.rd.next = self.snap_lo[i].q.val();
                if self.s1_valid.q.val() {
                    self.cnt_hi_latch.d.next = self.snap_hi[i].q.val();
                }
            }
        }
        self.r_valid.d.next = self.s1_valid.q.val();
        self.r_data.d.next = 0_u32.into();
        if self.s1_valid.q.val() {
            self.r_data.d.next = self.rd.val();
        }
        self.rd_ack.next = self.r_valid.q.val();
        self.rd_data.next = self.r_data.q.val();

        // ================= writes
        self.wa.next = bit_cast::<32, 12>(self.wr_addr.val()).into();
        self.wa_ok.next = self.wr_valid.val() && ((self.wa.val() & 3_u32) == self.zero.val());
        self.wa_flat.next = self.wa_ok.val()
            && ((self.wa.val() >= self.a_flat.val()) && (self.wa.val() < self.a_flat_end.val()));
        self.wa_fidx.next = (self.wa.val() - self.a_flat.val()) >> 2_u32;
        self.do_apply.next = (self.wa_ok.val() && (self.wa.val() == self.a_apply.val()))
            && ((self.wr_data.val() & 1_u32) != self.zero.val());
        self.do_commit.next = (self.wa_ok.val() && (self.wa.val() == self.a_lst_commit.val()))
            && ((self.wr_data.val() & 1_u32) != self.zero.val());
        self.do_index.next = self.wa_ok.val() && (self.wa.val() == self.a_lst_index.val());
        self.do_snap.next = (self.wa_ok.val() && (self.wa.val() == self.a_cnt_ctrl.val()))
            && ((self.wr_data.val() & 1_u32) != self.zero.val());
        self.do_clear.next = (self.wa_ok.val() && (self.wa.val() == self.a_cnt_ctrl.val()))
            && ((self.wr_data.val() & 2_u32) != self.zero.val());
        // Config shadow registers.
        for i in 0..27 {
            if self.wa_flat.val() && (self.wa_fidx.val() == self.index[i].val()) {
                self.sh_flat[i].d.next = self.wr_data.val();
            }
        }
        if self.wa_ok.val() && (self.wa.val() == self.a_lst_addr.val()) {
            self.w_addr.d.next = self.wr_data.val();
        }
        if self.wa_ok.val() && (self.wa.val() == self.a_lst_port.val()) {
            self.w_port.d.next = self.wr_data.val();
        }
        if self.wa_ok.val() && (self.wa.val() == self.a_lst_mode.val()) {
            self.w_mode.d.next = self.wr_data.val();
        }
        // LST_INDEX: store it and load the window from that entry (zeros past the table).
        if self.do_index.val() {
            self.w_index.d.next = self.wr_data.val();
            self.w_addr.d.next = 0_u32.into();
            self.w_port.d.next = 0_u32.into();
            self.w_mode.d.next = 0_u32.into();
        }
        for i in 0..16 {
            if self.do_index.val() && (self.wr_data.val() == self.index[i].val()) {
                self.w_addr.d.next = self.sh_addr[i].q.val();
                self.w_port.d.next = self.lp_bits[i].val().into();
                self.w_mode.d.next = self.lm_bits[i].val().into();
            }
            // LST_COMMIT: the window into entry LST_INDEX.
            if self.do_commit.val() && (self.w_index.q.val() == self.index[i].val()) {
                self.sh_addr[i].d.next = self.w_addr.q.val();
                self.sh_port[i].d.next = self.w_port.q.val();
                self.sh_mode[i].d.next = self.w_mode.q.val();
            }
            // APPLY: the listener table goes live.
            if self.do_apply.val() {
                self.live_addr[i].d.next = self.sh_addr[i].q.val();
                self.live_port[i].d.next = self.lp_bits[i].val().get_bits::<16>(0);
                self.live_mode[i].d.next = self.lm_bits[i].val().get_bits::<2>(0);
                // Valid: LST_VALID set and a mode code of 0, 1 or 2.
                self.live_valid[i].d.next = ((self.sh_mode[i].q.val() & 0x8000_0000_u32)
                    != self.zero.val())
                    && ((self.sh_mode[i].q.val() & 0xFF_u32) < self.three.val());
            }
        }
        // APPLY: the flat registers go live, the generation counts.
        if self.do_apply.val() {
            self.generation.d.next = self.generation.q.val() + 1_u32;
        }
        for i in 0..27 {
            if self.do_apply.val() {
                self.live_flat[i].d.next = self.sh_flat[i].q.val();
            }
        }

        // ================= counters: count, snapshot, clear
        if self.do_snap.val() {
            self.snap_gen.d.next = self.snap_gen.q.val() + 1_u32;
        }
        for i in 0..44 {
            if self.do_snap.val() {
                self.snap_lo[i].d.next = self.live_lo[i].q.val();
                self.snap_hi[i].d.next = self.live_hi[i].q.val();
            }
            if self.inc[i].val() {
                self.live_lo[i].d.next = self.live_lo[i].q.val() + 1_u32;
                if self.live_lo[i].q.val() == self.ones.val() {
                    self.live_hi[i].d.next = self.live_hi[i].q.val() + 1_u32;
                }
            }
            if self.do_clear.val() {
                self.live_hi[i].d.next = 0_u32.into();
                self.live_lo[i].d.next = 0_u32.into();
                if self.inc[i].val() {
                    self.live_lo[i].d.next = 1_u32.into();
                }
            }
        }

        // ================= live configuration out
        self.cfg_generation.next = self.generation.q.val();
        for i in 0..8 {
            self.cookie_key[i].next = self.live_flat[i].q.val();
        }
        self.proxy_mss.next = bit_cast::<16, 32>(self.live_flat[8].q.val().into());
        self.proxy_wscale.next = bit_cast::<4, 32>(self.live_flat[9].q.val().into());
        self.proxy_sack.next = (self.live_flat[10].q.val() & 1_u32) != self.zero.val();
        self.proxy_ts.next = (self.live_flat[11].q.val() & 1_u32) != self.zero.val();
        self.flood_syn_rate.next = self.live_flat[12].q.val();
        self.flood_pending.next = self.live_flat[13].q.val();
        self.time_wait_ms.next = self.live_flat[14].q.val();
        self.fin_timeout_ms.next = self.live_flat[15].q.val();
        self.syn_recv_timeout_ms.next = self.live_flat[16].q.val();
        self.proxy_syn_rto_ms.next = self.live_flat[17].q.val();
        self.established_idle_s.next = self.live_flat[18].q.val();
        self.close_wait_alarm_s.next = self.live_flat[19].q.val();
        self.ka_enable.next = (self.live_flat[20].q.val() & 1_u32) != self.zero.val();
        self.ka_idle_s.next = self.live_flat[21].q.val();
        self.ka_interval_s.next = self.live_flat[22].q.val();
        self.ka_probes.next = bit_cast::<8, 32>(self.live_flat[23].q.val().into());
        self.rfc1337.next = (self.live_flat[24].q.val() & 1_u32) != self.zero.val();
        self.loose.next = (self.live_flat[25].q.val() & 1_u32) != self.zero.val();
        self.verify_csum.next = (self.live_flat[26].q.val() & 1_u32) != self.zero.val();
        for i in 0..16 {
            self.l_addr[i].next = self.live_addr[i].q.val();
            self.l_port[i].next = self.live_port[i].q.val();
            self.l_mode[i].next = self.live_mode[i].q.val();
            self.l_valid[i].next = self.live_valid[i].q.val();
        }
    }
}
