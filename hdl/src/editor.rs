//! [`FrameEditor`] — the frame editor: rewrites seq, ack, SACK edges, TSval, TSecr and the TCP
//! checksum of SYN-proxied segments as they stream through (netfilter SYNPROXY + seqadj semantics,
//! `proto::synproxy::{translate_to_host, translate_to_wire, translate_refusal}`), at full rate.
//!
//! ## Interface
//! * `clock` in. No reset: state powers up idle.
//! * `req` ([`EditRequestPort`], see [`crate::csum_update`]): one edit request per frame, in frame
//!   order — also for frames that pass unchanged (`op = EDIT_NONE`). The pipeline buffers each
//!   frame while the table decides, so the request comes before (or with) the frame's first beat.
//!   `req.ready` is combinational: it also rises on the clock where the previous frame's last beat
//!   enters (depends on `sink.valid`, `sink.last`, never on `source.ready`).
//! * `sink` ([`StreamSink`]): the frames, docs/hdl.md stream format. `sink.ready` depends on
//!   registers only: it is low while the frame's edit is not computed yet or the output is full.
//! * `source` ([`StreamSource`]): the same frames, beat for beat, `keep` and `last` untouched, the
//!   edited fields overwritten; frames with `op = EDIT_NONE` are bit-identical to the input.
//!   Back-pressure (`source.ready`) is honoured; `source.valid` and data are registers.
//!
//! ## Throughput and latency
//! * The stream moves one beat per clock with no bubbles, frame after frame, as long as requests
//!   keep ahead of frames (a frame's edit is loaded at the edge that takes the previous frame's
//!   last beat).
//! * Stream latency: a beat taken at the edge ending cycle `t` is on `source` during cycle `t + 1`.
//! * Request to first beat: the request's edit takes [`CSUM_UPDATE_LATENCY`] (3) clocks and one
//!   more to load, so an idle editor takes a frame's first beat 4 clocks after its request.
//! * Requests: II = 1 (a stream of one-beat frames moves one frame per clock).
//!
//! ## Structure
//! 1. **Edit computation** ([`CsumUpdate`], 3 stages): new field values and the RFC 1624 checksum.
//! 2. **Load.** When the current frame ends (or the editor is idle) the next result is loaded
//!    into the patcher, re-cut into *beat-aligned words*: a 64-bit beat is two 32-bit lanes, lane
//!    `j` of the frame (bytes `4j .. 4j+3`) being `data_lo` of beat `j/2` for even `j` and
//!    `data_hi` for odd `j`. Each rewritten region is turned into the lane words it covers (fields
//!    `w_0, w_1, ...` from byte `4j + r`: lane `j + k` gets `(w_{k-1} << (32 - 8r)) | (w_k >> 8r)`),
//!    with an empty word in front when it starts in a `data_hi` lane:
//!    * header: dst-port/seq, seq/ack, ack/flags, window/checksum (the TCP header starts at
//!      `14 + 4 * IHL` or `18 + 4 * IHL`, 2 mod 4, so these fields never move within their lanes)
//!      — 6 words;
//!    * TS: TSval, TSecr at any alignment — 4 words;
//!    * SACK: up to 8 edges at any alignment — 10 words.
//! 3. **Patch.** Each region's words sit in a shift register; from the beat where the region
//!    starts, every beat taken uses words 0 and 1 for its two lanes and shifts by two. Which bytes
//!    of a lane are overwritten follows from the byte ranges of the rewritten fields (seq..ack
//!    `tcp_off + 4 .. + 12`, checksum `tcp_off + 16 .. + 18`, TS `ts_off .. + 8`, SACK
//!    `sack_off .. + 8n`): for a lane at byte `p` and a range `[s, e)` the mask is
//!    `(!0 >> 8 max(s - p, 0)) & !(!0 >> 8 max(e - p, 0))` (shifts by 32 or more give 0). The
//!    regions never overlap (the parser's TS and SACK offsets point into distinct options), so the
//!    patched lane is `in & !masks | words & masks`, one level of logic. A field straddling two
//!    beats is simply two partial lanes in consecutive beats.
//! 4. **Output.** An output register and a one-beat skid register: `sink.ready` depends on
//!    registers only and the stream still moves every clock when `source.ready` stays high.
//!
//! Frames not rewritten (`edit` low) load empty ranges, so every mask is zero. Fields a rewrite
//! leaves alone (e.g. ack when the ACK flag is clear, TS when `ts_off == 0`) are written back with
//! their old value: the same bytes.
//!
//! Registers: those of the edit computation (see [`crate::csum_update`]), 20 region words, 8 range
//! bounds, 3 region starts, the beat offset and 2 x 74 output/skid bits. yosys 0.23 `synth_ecp5`
//! of the whole editor: 4251 LUT4 + 1450 CCU2C + 358 L6MUX21 + 934 PFUMX, 2405 FF.

use crate::csum_update::{CsumUpdate, EditRequestPort, CSUM_UPDATE_LATENCY};
use crate::lane::Lane;
use crate::stream::{StreamSink, StreamSource};
use rust_hdl::prelude::*;

/// Clocks from a request's sampling edge to the edge that can take its frame's first beat, when
/// the editor is idle (the edit computation plus the load).
pub const EDITOR_REQUEST_LATENCY: usize = CSUM_UPDATE_LATENCY + 1;

/// Byte ranges the patcher rewrites: 0 seq..ack, 1 checksum, 2 TS, 3 SACK.
const NR: usize = 4;

/// The frame editor. See the [module docs](self).
#[derive(LogicBlock, Default)]
pub struct FrameEditor {
    pub clock: Signal<In, Clock>,
    pub req: EditRequestPort,
    pub sink: StreamSink,
    pub source: StreamSource,

    // ---- stage 1: the edit computation
    calc: CsumUpdate,

    // ---- handshake locals
    /// `boff` reached 256.
    bsat: Signal<Local, Bit>,
    /// A beat enters this clock.
    take: Signal<Local, Bit>,
    /// The next frame's edit is loaded this clock.
    load: Signal<Local, Bit>,
    /// The output register is free (empty, or its beat leaves this clock).
    ofree: Signal<Local, Bit>,

    // ---- load locals: the result re-cut into beat-aligned words
    ones: Signal<Local, Lane>,
    /// Header region: first byte of its first lane (`tcp_off + 2`), its lane parity (bit 2).
    hbase: Signal<Local, Lane>,
    hodd: Signal<Local, Bit>,
    hw: [Signal<Local, Lane>; 4],
    /// TS and SACK regions: `r` = 8 x (offset & 3) and `31 - r` (= `r ^ 31`): a word's tail
    /// `w << (32 - r)` is `(w << 1) << (r ^ 31)`, a shift by a byte multiple without an adder.
    ts_r: Signal<Local, Lane>,
    ts_ri: Signal<Local, Lane>,
    todd: Signal<Local, Bit>,
    tw: [Signal<Local, Lane>; 3],
    sack_r: Signal<Local, Lane>,
    sack_ri: Signal<Local, Lane>,
    sodd: Signal<Local, Bit>,
    sw: [Signal<Local, Lane>; 9],

    // ---- patch locals
    p_lo: Signal<Local, Lane>,
    p_hi: Signal<Local, Lane>,
    /// Per range: head and tail shift amounts and the mask, for each lane.
    hd_lo: [Signal<Local, Lane>; NR],
    tl_lo: [Signal<Local, Lane>; NR],
    m_lo: [Signal<Local, Lane>; NR],
    hd_hi: [Signal<Local, Lane>; NR],
    tl_hi: [Signal<Local, Lane>; NR],
    m_hi: [Signal<Local, Lane>; NR],
    mask_lo: Signal<Local, Lane>,
    mask_hi: Signal<Local, Lane>,
    out_lo: Signal<Local, Lane>,
    out_hi: Signal<Local, Lane>,

    // ---- patcher registers
    /// The current frame's edit is loaded.
    act: DFF<Bit>,
    /// Byte offset of the next beat in its frame, saturating at 256 (every rewritten range ends
    /// before byte 140: the TCP header starts at most at 18 + 60 and is at most 60 bytes), so
    /// the range arithmetic is 9 bits wide after synthesis.
    boff: DFF<Lane>,
    /// Region shift registers: header, TS, SACK words.
    rh: [DFF<Lane>; 6],
    rt: [DFF<Lane>; 4],
    rs: [DFF<Lane>; 10],
    /// First byte of the beat where each region's shifting starts.
    hstart: DFF<Lane>,
    tstart: DFF<Lane>,
    sstart: DFF<Lane>,
    /// The rewritten byte ranges `[gs, ge)`.
    gs: [DFF<Lane>; NR],
    ge: [DFF<Lane>; NR],

    // ---- output and skid registers
    o_valid: DFF<Bit>,
    o_lo: DFF<Lane>,
    o_hi: DFF<Lane>,
    o_keep: DFF<Bits<8>>,
    o_last: DFF<Bit>,
    k_valid: DFF<Bit>,
    k_lo: DFF<Lane>,
    k_hi: DFF<Lane>,
    k_keep: DFF<Bits<8>>,
    k_last: DFF<Bit>,
}

impl Logic for FrameEditor {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, act, boff, hstart, tstart, sstart, o_valid, o_lo, o_hi, o_keep, o_last,
            k_valid, k_lo, k_hi, k_keep, k_last
        );
        for i in 0..6 {
            self.rh[i].clock.next = self.clock.val();
            self.rh[i].d.next = self.rh[i].q.val();
        }
        for i in 0..4 {
            self.rt[i].clock.next = self.clock.val();
            self.rt[i].d.next = self.rt[i].q.val();
            self.gs[i].clock.next = self.clock.val();
            self.gs[i].d.next = self.gs[i].q.val();
            self.ge[i].clock.next = self.clock.val();
            self.ge[i].d.next = self.ge[i].q.val();
        }
        for i in 0..10 {
            self.rs[i].clock.next = self.clock.val();
            self.rs[i].d.next = self.rs[i].q.val();
        }
        self.calc.clock.next = self.clock.val();
        EditRequestPort::link(&mut self.req, &mut self.calc.req);

        // ================= handshake
        self.sink.ready.next = self.act.q.val() && (!self.k_valid.q.val());
        self.take.next = self.sink.valid.val() && self.act.q.val() && (!self.k_valid.q.val());
        self.ofree.next = (!self.o_valid.q.val()) || self.source.ready.val();
        self.load.next = self.calc.out_valid.val()
            && ((!self.act.q.val()) || (self.take.val() && self.sink.last.val()));
        self.calc.out_take.next = self.load.val();

        // ================= patch the beat on the sink
        self.ones.next = 0xFFFF_FFFF_u32.into();
        self.p_lo.next = self.boff.q.val();
        self.p_hi.next = self.boff.q.val() + 4_u32;
        for j in 0..4 {
            self.hd_lo[j].next = 0_u32.into();
            if self.gs[j].q.val() > self.p_lo.val() {
                self.hd_lo[j].next = (self.gs[j].q.val() - self.p_lo.val()) << 3_u32;
            }
            self.tl_lo[j].next = 0_u32.into();
            if self.ge[j].q.val() > self.p_lo.val() {
                self.tl_lo[j].next = (self.ge[j].q.val() - self.p_lo.val()) << 3_u32;
            }
            self.m_lo[j].next = (self.ones.val() >> self.hd_lo[j].val())
                & (!(self.ones.val() >> self.tl_lo[j].val()));
            self.hd_hi[j].next = 0_u32.into();
            if self.gs[j].q.val() > self.p_hi.val() {
                self.hd_hi[j].next = (self.gs[j].q.val() - self.p_hi.val()) << 3_u32;
            }
            self.tl_hi[j].next = 0_u32.into();
            if self.ge[j].q.val() > self.p_hi.val() {
                self.tl_hi[j].next = (self.ge[j].q.val() - self.p_hi.val()) << 3_u32;
            }
            self.m_hi[j].next = (self.ones.val() >> self.hd_hi[j].val())
                & (!(self.ones.val() >> self.tl_hi[j].val()));
        }
        self.mask_lo.next =
            (self.m_lo[0].val() | self.m_lo[1].val()) | (self.m_lo[2].val() | self.m_lo[3].val());
        self.mask_hi.next =
            (self.m_hi[0].val() | self.m_hi[1].val()) | (self.m_hi[2].val() | self.m_hi[3].val());
        self.out_lo.next = (self.sink.data_lo.val() & (!self.mask_lo.val()))
            | ((self.rh[0].q.val() & (self.m_lo[0].val() | self.m_lo[1].val()))
                | ((self.rt[0].q.val() & self.m_lo[2].val())
                    | (self.rs[0].q.val() & self.m_lo[3].val())));
        self.out_hi.next = (self.sink.data_hi.val() & (!self.mask_hi.val()))
            | ((self.rh[1].q.val() & (self.m_hi[0].val() | self.m_hi[1].val()))
                | ((self.rt[1].q.val() & self.m_hi[2].val())
                    | (self.rs[1].q.val() & self.m_hi[3].val())));

        // ================= output register + skid
        if self.ofree.val() {
            if self.k_valid.q.val() {
                self.o_valid.d.next = true;
                self.o_lo.d.next = self.k_lo.q.val();
                self.o_hi.d.next = self.k_hi.q.val();
                self.o_keep.d.next = self.k_keep.q.val();
                self.o_last.d.next = self.k_last.q.val();
                self.k_valid.d.next = false;
            } else {
                self.o_valid.d.next = self.take.val();
                self.o_lo.d.next = self.out_lo.val();
                self.o_hi.d.next = self.out_hi.val();
                self.o_keep.d.next = self.sink.keep.val();
                self.o_last.d.next = self.sink.last.val();
            }
        } else if self.take.val() {
            self.k_valid.d.next = true;
            self.k_lo.d.next = self.out_lo.val();
            self.k_hi.d.next = self.out_hi.val();
            self.k_keep.d.next = self.sink.keep.val();
            self.k_last.d.next = self.sink.last.val();
        }
        self.source.valid.next = self.o_valid.q.val();
        self.source.data_lo.next = self.o_lo.q.val();
        self.source.data_hi.next = self.o_hi.q.val();
        self.source.keep.next = self.o_keep.q.val();
        self.source.last.next = self.o_last.q.val();

        // ================= advance the regions with the beat
        self.bsat.next = bit_cast::<1, 32>((self.boff.q.val() >> 8_u32).into()).any();
        if self.take.val() {
            if !self.bsat.val() {
                self.boff.d.next = (self.boff.q.val() + 8_u32) & 0x1FF_u32;
            }
            if self.boff.q.val() >= self.hstart.q.val() {
                for i in 0..4 {
                    self.rh[i].d.next = self.rh[i + 2].q.val();
                }
                self.rh[4].d.next = 0_u32.into();
                self.rh[5].d.next = 0_u32.into();
            }
            if self.boff.q.val() >= self.tstart.q.val() {
                self.rt[0].d.next = self.rt[2].q.val();
                self.rt[1].d.next = self.rt[3].q.val();
                self.rt[2].d.next = 0_u32.into();
                self.rt[3].d.next = 0_u32.into();
            }
            if self.boff.q.val() >= self.sstart.q.val() {
                for i in 0..8 {
                    self.rs[i].d.next = self.rs[i + 2].q.val();
                }
                self.rs[8].d.next = 0_u32.into();
                self.rs[9].d.next = 0_u32.into();
            }
            if self.sink.last.val() {
                self.boff.d.next = 0_u32.into();
                self.act.d.next = false;
            }
        }

        // ================= load the next frame's edit (beat-aligned words, byte ranges)
        // Header: lanes from tcp_off + 2: dst port | seq hi, seq lo | ack hi, ack lo | flags,
        // window | checksum.
        self.hbase.next = self.calc.tcp_off.val() + 2_u32;
        self.hodd.next = bit_cast::<1, 32>((self.hbase.val() >> 2_u32).into()).any();
        self.hw[0].next = self.calc.seq.val() >> 16_u32;
        self.hw[1].next = (self.calc.seq.val() << 16_u32) | (self.calc.ack.val() >> 16_u32);
        self.hw[2].next = self.calc.ack.val() << 16_u32;
        self.hw[3].next = self.calc.csum.val();
        // TS: TSval, TSecr from byte ts_off = 4j + r.
        self.ts_r.next = (self.calc.ts_off.val() & 3_u32) << 3_u32;
        self.ts_ri.next = self.ts_r.val() ^ 31_u32;
        self.todd.next = bit_cast::<1, 32>((self.calc.ts_off.val() >> 2_u32).into()).any();
        self.tw[0].next = self.calc.tsval.val() >> self.ts_r.val();
        self.tw[1].next = ((self.calc.tsval.val() << 1_u32) << self.ts_ri.val())
            | (self.calc.tsecr.val() >> self.ts_r.val());
        self.tw[2].next = (self.calc.tsecr.val() << 1_u32) << self.ts_ri.val();
        // SACK: 8 edges from byte sack_off = 4j + r.
        self.sack_r.next = (self.calc.sack_off.val() & 3_u32) << 3_u32;
        self.sack_ri.next = self.sack_r.val() ^ 31_u32;
        self.sodd.next = bit_cast::<1, 32>((self.calc.sack_off.val() >> 2_u32).into()).any();
        self.sw[0].next = self.calc.sack[0].val() >> self.sack_r.val();
        for k in 1..8 {
            self.sw[k].next = ((self.calc.sack[k - 1].val() << 1_u32) << self.sack_ri.val())
                | (self.calc.sack[k].val() >> self.sack_r.val());
        }
        self.sw[8].next = (self.calc.sack[7].val() << 1_u32) << self.sack_ri.val();

        if self.load.val() {
            self.act.d.next = true;
            self.hstart.d.next = self.hbase.val() & 0xFFFF_FFF8_u32;
            self.tstart.d.next = self.calc.ts_off.val() & 0xFFFF_FFF8_u32;
            self.sstart.d.next = self.calc.sack_off.val() & 0xFFFF_FFF8_u32;
            if self.hodd.val() {
                self.rh[0].d.next = 0_u32.into();
                for i in 0..4 {
                    self.rh[i + 1].d.next = self.hw[i].val();
                }
                self.rh[5].d.next = 0_u32.into();
            } else {
                for i in 0..4 {
                    self.rh[i].d.next = self.hw[i].val();
                }
                self.rh[4].d.next = 0_u32.into();
                self.rh[5].d.next = 0_u32.into();
            }
            if self.todd.val() {
                self.rt[0].d.next = 0_u32.into();
                for i in 0..3 {
                    self.rt[i + 1].d.next = self.tw[i].val();
                }
            } else {
                for i in 0..3 {
                    self.rt[i].d.next = self.tw[i].val();
                }
                self.rt[3].d.next = 0_u32.into();
            }
            if self.sodd.val() {
                self.rs[0].d.next = 0_u32.into();
                for i in 0..9 {
                    self.rs[i + 1].d.next = self.sw[i].val();
                }
            } else {
                for i in 0..9 {
                    self.rs[i].d.next = self.sw[i].val();
                }
                self.rs[9].d.next = 0_u32.into();
            }
            // Rewritten ranges; empty (s == e) when the frame is not rewritten.
            for j in 0..4 {
                self.gs[j].d.next = 0_u32.into();
                self.ge[j].d.next = 0_u32.into();
            }
            if self.calc.edit.val() {
                self.gs[0].d.next = self.calc.tcp_off.val() + 4_u32;
                self.ge[0].d.next = self.calc.tcp_off.val() + 12_u32;
                self.gs[1].d.next = self.calc.tcp_off.val() + 16_u32;
                self.ge[1].d.next = self.calc.tcp_off.val() + 18_u32;
            }
            if self.calc.ts.val() {
                self.gs[2].d.next = self.calc.ts_off.val();
                self.ge[2].d.next = self.calc.ts_off.val() + 8_u32;
            }
            self.gs[3].d.next = self.calc.sack_off.val();
            self.ge[3].d.next = self.calc.sack_off.val() + self.calc.sack_len.val();
        }
    }
}
