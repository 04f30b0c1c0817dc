//! [`Pipeline`] — the NIC's data path, frame in to frame out: both ports' parsers and frame
//! buffers, the decision pipeline, the frame editors, the reply generators and the per-port
//! output merge (docs/hdl.md, "The decision pipeline").
//!
//! ## Interface
//! * `clock` in.
//! * `wire_in`, `host_in`: [`StreamSink`]s (docs/hdl.md stream format), the frames arriving on
//!   each port; `wire_out`, `host_out`: [`StreamSource`]s, the frames leaving by each port.
//! * `now_secs`, `now_ms`, `cookie_minute` in: device time (`Instant::secs`, `ts_clock_ms`,
//!   `cookie_minute`), sampled for a frame when its header record enters the decision pipeline.
//! * Configuration in, as [`DecisionPipeline`] takes it.
//! * Out, from the decision pipeline: `dec_valid`, `dec_host` (a decision for a frame from that
//!   port), the counter pulses `cnt`, `cnt_hi`, `gen_two`, the transition event `ev_*`,
//!   `occupancy`, `pending`; and its table-management port `mg_*` (in and out).
//!
//! ## Data flow
//! ```text
//! wire_in ─┬─ parser_w ── record ─┐                       ┌─ dq_w ─ release ─ fifo_w ─ edit_w ─┐
//!          └─ fifo_w (frame waits)├─ arbiter ─ decision ──┤                                   ├─ merge ─ host_out
//! host_in ─┬─ parser_h ── record ─┘    (rq_w, rq_h: the   ├─ yq_h ─ gen_h ────────────────────┘
//!          └─ fifo_h (frame waits)      editor fields)    ├─ dq_h ─ release ─ fifo_h ─ edit_h ─┐
//!                                                         └─ yq_w ─ gen_w ────────────────────┴─ merge ─ wire_out
//! ```
//! * Each port's stream goes to its parser and its frame buffer at once (a beat moves when both
//!   take it). The parser's record waits for the arbiter, which takes one record per clock
//!   (alternating between ports that both have one) when the decision pipeline is ready and every
//!   queue behind the decision pipeline has room for the records in flight: nothing
//!   downstream overflows, and the inputs are back-pressured instead.
//! * A decision goes into its port's decision queue `dq`; its generated frames into the reply
//!   queue `yq` of the port they leave by. The release engine of a port pops a decision and the
//!   frame's editor fields (`rq`, pushed when the record was taken): forward or rewrite
//!   releases the frame from the buffer through the port's editor (with the edit), drop,
//!   consume and punt discard it.
//! * Each output merges the editor's frames, the reply generator's frames and injected frames a
//!   whole frame at a time, round robin when several wait.
//! * Punted frames (fragments, IPv6, malformed) go through their port's editor unedited and
//!   leave by `punt_out` (both ports merged a frame at a time, with the port and the reason),
//!   for the firmware's exception queue; a route queue per port (`rt`) says, for each frame the
//!   editor emits, whether it is punted.
//! * `inject_in` carries the firmware's frames (keepalive probes, RSTs) into the merge of the
//!   port `inject_host` names, as a third source beside forwarded and generated frames.
//!
//! Throughput: a decision per clock (the parsers deliver one record per frame, at most one per
//! 8 clocks per port); every stream moves one beat per clock.

use crate::decision::{DecisionPipeline, COUNTERS, DESC_WORDS};
use crate::editor::FrameEditor;
use crate::frame_fifo::FrameFifo;
use crate::lane::Lane;
use crate::parser::HeaderParser;
use crate::policy_unit::LISTENERS;
use crate::replygen::ReplyGen;
use crate::stream::{StreamSink, StreamSource};
use crate::word_queue::WordQueue;
use proto::table::ENTRY_WORDS;
use rust_hdl::prelude::*;

/// Words of a record's editor fields in `rq`.
pub const RQ_WORDS: usize = 14;
/// Queue depth (address bits): 16 entries, the frame buffers' frame limit.
const QA: usize = 4;
/// A queue may take a record while `count + in flight` is below this (the kernel's literal
/// `15_u32`).
pub const QUEUE_LIMIT: u32 = 15;
const _: () = assert!(QUEUE_LIMIT as usize == (1 << QA) - 1);

/// The data path over a table of `2^A` buckets and frame buffers of `2^F` beats.
#[derive(LogicBlock, Default)]
pub struct Pipeline<const A: usize, const F: usize> {
    pub clock: Signal<In, Clock>,
    pub wire_in: StreamSink,
    pub host_in: StreamSink,
    pub wire_out: StreamSource,
    pub host_out: StreamSource,
    /// Punted frames (fragments, IPv6, malformed) for the firmware's exception queue, whole
    /// and unchanged, with their ingress port and reason (`decision::P_*`) held for the frame.
    pub punt_out: StreamSource,
    pub punt_host: Signal<Out, Bit>,
    pub punt_reason: Signal<Out, Bits<2>>,
    /// Frames the firmware sends (keepalive probes, RSTs), to the host port when `inject_host`
    /// (held for the whole frame), else to the wire port.
    pub inject_in: StreamSink,
    pub inject_host: Signal<In, Bit>,
    pub now_secs: Signal<In, Lane>,
    pub now_ms: Signal<In, Lane>,
    pub cookie_minute: Signal<In, Lane>,
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
    // ---- monitoring
    pub dec_valid: Signal<Out, Bit>,
    pub dec_host: Signal<Out, Bit>,
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
    // ---- table management (the decision pipeline's port)
    pub mg_valid: Signal<In, Bit>,
    pub mg_ready: Signal<Out, Bit>,
    pub mg_delete: Signal<In, Bit>,
    pub mg_bucket: Signal<In, Bits<A>>,
    pub mg_way: Signal<In, Bits<2>>,
    pub mg_rvalid: Signal<Out, Bit>,
    pub mg_rhit: Signal<Out, Bit>,
    pub mg_rw: [Signal<Out, Lane>; ENTRY_WORDS],

    // ---- blocks
    parser_w: HeaderParser,
    parser_h: HeaderParser,
    fifo_w: FrameFifo<F>,
    fifo_h: FrameFifo<F>,
    dec: DecisionPipeline<A>,
    rq_w: WordQueue<RQ_WORDS, QA>,
    rq_h: WordQueue<RQ_WORDS, QA>,
    dq_w: WordQueue<3, QA>,
    dq_h: WordQueue<3, QA>,
    yq_w: WordQueue<DESC_WORDS, QA>,
    yq_h: WordQueue<DESC_WORDS, QA>,
    edit_w: FrameEditor,
    edit_h: FrameEditor,
    gen_w: ReplyGen,
    gen_h: ReplyGen,
    /// Per port: where each frame released into the editor goes (word 0 of its decision:
    /// bit 3 punt, bits 5:4 the reason), popped at the frame's last beat out of the editor.
    rt_w: WordQueue<1, 3>,
    rt_h: WordQueue<1, 3>,

    // ---- arbiter
    inflight: DFF<Lane>,
    last_host: DFF<Bit>,
    room: Signal<Local, Bit>,
    take_w: Signal<Local, Bit>,
    take_h: Signal<Local, Bit>,
    // ---- output merges: owner 0 none, 1 forwarded, 2 generated, 3 injected frames; `rr` the
    // source served last (the next frame goes to the next one that waits)
    own_w: DFF<Bits<2>>,
    own_h: DFF<Bits<2>>,
    rr_w: DFF<Bits<2>>,
    rr_h: DFF<Bits<2>>,
    sel_w: Signal<Local, Bits<2>>,
    sel_h: Signal<Local, Bits<2>>,
    fv_w: Signal<Local, Bit>,
    fv_h: Signal<Local, Bit>,
    iv_w: Signal<Local, Bit>,
    iv_h: Signal<Local, Bit>,
    // ---- the punt merge: owner 0 none, 1 from the wire port, 2 from the host port
    own_p: DFF<Bits<2>>,
    rr_p: DFF<Bit>,
    sel_p: Signal<Local, Bits<2>>,
    pv_w: Signal<Local, Bit>,
    pv_h: Signal<Local, Bit>,
    p_host: DFF<Bit>,
    p_reason: DFF<Bits<2>>,
    // ---- release engines
    rel_w: Signal<Local, Bit>,
    rel_h: Signal<Local, Bit>,
    drop_w: Signal<Local, Bit>,
    drop_h: Signal<Local, Bit>,
    // ---- record fields as lanes, per port
    w_sport: Signal<Local, Lane>,
    w_dport: Signal<Local, Lane>,
    w_win: Signal<Local, Lane>,
    w_flags: Signal<Local, Lane>,
    w_ws: Signal<Local, Lane>,
    w_plen: Signal<Local, Lane>,
    w_mss: Signal<Local, Lane>,
    w_disp: Signal<Local, Lane>,
    w_tcpoff: Signal<Local, Lane>,
    w_tsoff: Signal<Local, Lane>,
    w_sackoff: Signal<Local, Lane>,
    w_sackn: Signal<Local, Lane>,
    w_csum: Signal<Local, Lane>,
    w_tci: Signal<Local, Lane>,
    w_bits: Signal<Local, Lane>,
    w_ew0: Signal<Local, Lane>,
    w_f: [Signal<Local, Lane>; 5],
    h_sport: Signal<Local, Lane>,
    h_dport: Signal<Local, Lane>,
    h_win: Signal<Local, Lane>,
    h_flags: Signal<Local, Lane>,
    h_ws: Signal<Local, Lane>,
    h_plen: Signal<Local, Lane>,
    h_mss: Signal<Local, Lane>,
    h_disp: Signal<Local, Lane>,
    h_tcpoff: Signal<Local, Lane>,
    h_tsoff: Signal<Local, Lane>,
    h_sackoff: Signal<Local, Lane>,
    h_sackn: Signal<Local, Lane>,
    h_csum: Signal<Local, Lane>,
    h_tci: Signal<Local, Lane>,
    h_bits: Signal<Local, Lane>,
    h_ew0: Signal<Local, Lane>,
    h_f: [Signal<Local, Lane>; 5],
    dq0: Signal<Local, Lane>,
    dq_p: Signal<Local, Lane>,
    dq_x: Signal<Local, Lane>,
    dq_r: Signal<Local, Lane>,
}

impl<const A: usize, const F: usize> Logic for Pipeline<A, F> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(
            self, clock, parser_w, parser_h, fifo_w, fifo_h, dec, rq_w, rq_h, dq_w, dq_h, yq_w,
            yq_h, edit_w, edit_h, gen_w, gen_h, rt_w, rt_h
        );
        dff_setup!(
            self, clock, inflight, last_host, own_w, own_h, rr_w, rr_h, own_p, rr_p, p_host,
            p_reason
        );

        // ================= ingress: each port's beats to its parser and its frame buffer
        self.wire_in.ready.next = self.parser_w.sink.ready.val() && self.fifo_w.sink.ready.val();
        self.parser_w.sink.valid.next = self.wire_in.valid.val() && self.fifo_w.sink.ready.val();
        self.fifo_w.sink.valid.next = self.wire_in.valid.val() && self.parser_w.sink.ready.val();
        self.parser_w.sink.data_lo.next = self.wire_in.data_lo.val();
        self.parser_w.sink.data_hi.next = self.wire_in.data_hi.val();
        self.parser_w.sink.keep.next = self.wire_in.keep.val();
        self.parser_w.sink.last.next = self.wire_in.last.val();
        self.fifo_w.sink.data_lo.next = self.wire_in.data_lo.val();
        self.fifo_w.sink.data_hi.next = self.wire_in.data_hi.val();
        self.fifo_w.sink.keep.next = self.wire_in.keep.val();
        self.fifo_w.sink.last.next = self.wire_in.last.val();
        self.host_in.ready.next = self.parser_h.sink.ready.val() && self.fifo_h.sink.ready.val();
        self.parser_h.sink.valid.next = self.host_in.valid.val() && self.fifo_h.sink.ready.val();
        self.fifo_h.sink.valid.next = self.host_in.valid.val() && self.parser_h.sink.ready.val();
        self.parser_h.sink.data_lo.next = self.host_in.data_lo.val();
        self.parser_h.sink.data_hi.next = self.host_in.data_hi.val();
        self.parser_h.sink.keep.next = self.host_in.keep.val();
        self.parser_h.sink.last.next = self.host_in.last.val();
        self.fifo_h.sink.data_lo.next = self.host_in.data_lo.val();
        self.fifo_h.sink.data_hi.next = self.host_in.data_hi.val();
        self.fifo_h.sink.keep.next = self.host_in.keep.val();
        self.fifo_h.sink.last.next = self.host_in.last.val();

        // ================= arbiter: one record into the decision pipeline
        self.room.next = ((((self.dq_w.count.val() + self.inflight.q.val()) < 15_u32)
            && ((self.dq_h.count.val() + self.inflight.q.val()) < 15_u32))
            && (((self.yq_w.count.val() + self.inflight.q.val()) < 15_u32)
                && ((self.yq_h.count.val() + self.inflight.q.val()) < 15_u32)))
            && ((self.rq_w.count.val() < 15_u32) && (self.rq_h.count.val() < 15_u32));
        self.take_w.next = false;
        self.take_h.next = false;
        if self.dec.in_ready.val() && self.room.val() {
            if self.parser_w.rec.valid.val()
                && ((!self.parser_h.rec.valid.val()) || self.last_host.q.val())
            {
                self.take_w.next = true;
            } else if self.parser_h.rec.valid.val() {
                self.take_h.next = true;
            }
        }
        self.parser_w.rec.ready.next = self.take_w.val();
        self.parser_h.rec.ready.next = self.take_h.val();
        self.dec.in_valid.next = self.take_w.val() || self.take_h.val();
        if self.take_w.val() {
            self.last_host.d.next = false;
        }
        if self.take_h.val() {
            self.last_host.d.next = true;
        }
        // The record words (decision::RecordWords) of the record taken.
        self.w_sport.next = bit_cast::<32, 16>(self.parser_w.rec.src_port.val()).into();
        self.w_dport.next = bit_cast::<32, 16>(self.parser_w.rec.dst_port.val()).into();
        self.w_win.next = bit_cast::<32, 16>(self.parser_w.rec.window.val()).into();
        self.w_flags.next = bit_cast::<32, 8>(self.parser_w.rec.flags.val()).into();
        self.w_ws.next = bit_cast::<32, 8>(self.parser_w.rec.ws.val()).into();
        self.w_plen.next = bit_cast::<32, 16>(self.parser_w.rec.payload_len.val()).into();
        self.w_mss.next = bit_cast::<32, 16>(self.parser_w.rec.mss.val()).into();
        self.w_disp.next = bit_cast::<32, 3>(self.parser_w.rec.disposition.val()).into();
        self.w_tcpoff.next = bit_cast::<32, 8>(self.parser_w.rec.tcp_off.val()).into();
        self.w_tsoff.next = bit_cast::<32, 8>(self.parser_w.rec.ts_off.val()).into();
        self.w_sackoff.next = bit_cast::<32, 8>(self.parser_w.rec.sack_off.val()).into();
        self.w_sackn.next = bit_cast::<32, 3>(self.parser_w.rec.sack_blocks.val()).into();
        self.w_csum.next = bit_cast::<32, 16>(self.parser_w.rec.tcp_csum.val()).into();
        self.w_tci.next = bit_cast::<32, 16>(self.parser_w.rec.vlan_tci.val()).into();
        self.w_f[0].next = 0_u32.into();
        if self.parser_w.rec.ws_valid.val() {
            self.w_f[0].next = 0x10_u32.into();
        }
        self.w_f[1].next = 0_u32.into();
        if self.parser_w.rec.sack_perm.val() {
            self.w_f[1].next = 0x20_u32.into();
        }
        self.w_f[2].next = 0_u32.into();
        if self.parser_w.rec.ts_valid.val() {
            self.w_f[2].next = 0x40_u32.into();
        }
        self.w_f[3].next = 0_u32.into();
        if self.parser_w.rec.ip_csum_ok.val() && self.parser_w.rec.tcp_csum_ok.val() {
            self.w_f[3].next = 0x80_u32.into();
        }
        self.w_f[4].next = 0_u32.into();
        if self.parser_w.rec.vlan.val() {
            self.w_f[4].next = 0x100_u32.into();
        }
        self.w_bits.next = (((self.w_disp.val() | 0_u32)
            | (self.w_f[0].val() | self.w_f[1].val()))
            | ((self.w_f[2].val() | self.w_f[3].val()) | self.w_f[4].val()))
            | (self.w_tci.val() << 16_u32);
        self.w_ew0.next = ((self.w_tcpoff.val() | ((self.w_flags.val() & 0x10_u32) << 4_u32))
            | ((self.w_f[2].val() << 3_u32) | (self.w_sackn.val() << 10_u32)))
            | ((self.w_tsoff.val() << 16_u32) | (self.w_sackoff.val() << 24_u32));
        self.h_sport.next = bit_cast::<32, 16>(self.parser_h.rec.src_port.val()).into();
        self.h_dport.next = bit_cast::<32, 16>(self.parser_h.rec.dst_port.val()).into();
        self.h_win.next = bit_cast::<32, 16>(self.parser_h.rec.window.val()).into();
        self.h_flags.next = bit_cast::<32, 8>(self.parser_h.rec.flags.val()).into();
        self.h_ws.next = bit_cast::<32, 8>(self.parser_h.rec.ws.val()).into();
        self.h_plen.next = bit_cast::<32, 16>(self.parser_h.rec.payload_len.val()).into();
        self.h_mss.next = bit_cast::<32, 16>(self.parser_h.rec.mss.val()).into();
        self.h_disp.next = bit_cast::<32, 3>(self.parser_h.rec.disposition.val()).into();
        self.h_tcpoff.next = bit_cast::<32, 8>(self.parser_h.rec.tcp_off.val()).into();
        self.h_tsoff.next = bit_cast::<32, 8>(self.parser_h.rec.ts_off.val()).into();
        self.h_sackoff.next = bit_cast::<32, 8>(self.parser_h.rec.sack_off.val()).into();
        self.h_sackn.next = bit_cast::<32, 3>(self.parser_h.rec.sack_blocks.val()).into();
        self.h_csum.next = bit_cast::<32, 16>(self.parser_h.rec.tcp_csum.val()).into();
        self.h_tci.next = bit_cast::<32, 16>(self.parser_h.rec.vlan_tci.val()).into();
        self.h_f[0].next = 0_u32.into();
        if self.parser_h.rec.ws_valid.val() {
            self.h_f[0].next = 0x10_u32.into();
        }
        self.h_f[1].next = 0_u32.into();
        if self.parser_h.rec.sack_perm.val() {
            self.h_f[1].next = 0x20_u32.into();
        }
        self.h_f[2].next = 0_u32.into();
        if self.parser_h.rec.ts_valid.val() {
            self.h_f[2].next = 0x40_u32.into();
        }
        self.h_f[3].next = 0_u32.into();
        if self.parser_h.rec.ip_csum_ok.val() && self.parser_h.rec.tcp_csum_ok.val() {
            self.h_f[3].next = 0x80_u32.into();
        }
        self.h_f[4].next = 0_u32.into();
        if self.parser_h.rec.vlan.val() {
            self.h_f[4].next = 0x100_u32.into();
        }
        self.h_bits.next = (((self.h_disp.val() | 0x8_u32)
            | (self.h_f[0].val() | self.h_f[1].val()))
            | ((self.h_f[2].val() | self.h_f[3].val()) | self.h_f[4].val()))
            | (self.h_tci.val() << 16_u32);
        self.h_ew0.next = ((self.h_tcpoff.val() | ((self.h_flags.val() & 0x10_u32) << 4_u32))
            | ((self.h_f[2].val() << 3_u32) | (self.h_sackn.val() << 10_u32)))
            | ((self.h_tsoff.val() << 16_u32) | (self.h_sackoff.val() << 24_u32));
        self.dec.in_w[0].next = self.parser_w.rec.src_ip.val();
        self.dec.in_w[1].next = self.parser_w.rec.dst_ip.val();
        self.dec.in_w[2].next = (self.w_sport.val() << 16_u32) | self.w_dport.val();
        self.dec.in_w[3].next = self.parser_w.rec.seq.val();
        self.dec.in_w[4].next = self.parser_w.rec.ack.val();
        self.dec.in_w[5].next = self.parser_w.rec.tsval.val();
        self.dec.in_w[6].next = self.parser_w.rec.tsecr.val();
        self.dec.in_w[7].next =
            ((self.w_win.val() << 16_u32) | (self.w_flags.val() << 8_u32)) | self.w_ws.val();
        self.dec.in_w[8].next = (self.w_plen.val() << 16_u32) | self.w_mss.val();
        self.dec.in_w[9].next = self.w_bits.val();
        self.dec.in_w[10].next = self.parser_w.rec.eth0.val();
        self.dec.in_w[11].next =
            (self.parser_w.rec.eth1.val() << 16_u32) | (self.parser_w.rec.eth2.val() >> 16_u32);
        self.dec.in_w[12].next = (self.parser_w.rec.eth1.val() & 0xFFFF_0000_u32)
            | (self.parser_w.rec.eth2.val() & 0xFFFF_u32);
        if self.take_h.val() {
            self.dec.in_w[0].next = self.parser_h.rec.src_ip.val();
            self.dec.in_w[1].next = self.parser_h.rec.dst_ip.val();
            self.dec.in_w[2].next = (self.h_sport.val() << 16_u32) | self.h_dport.val();
            self.dec.in_w[3].next = self.parser_h.rec.seq.val();
            self.dec.in_w[4].next = self.parser_h.rec.ack.val();
            self.dec.in_w[5].next = self.parser_h.rec.tsval.val();
            self.dec.in_w[6].next = self.parser_h.rec.tsecr.val();
            self.dec.in_w[7].next =
                ((self.h_win.val() << 16_u32) | (self.h_flags.val() << 8_u32)) | self.h_ws.val();
            self.dec.in_w[8].next = (self.h_plen.val() << 16_u32) | self.h_mss.val();
            self.dec.in_w[9].next = self.h_bits.val();
            self.dec.in_w[10].next = self.parser_h.rec.eth0.val();
            self.dec.in_w[11].next =
                (self.parser_h.rec.eth1.val() << 16_u32) | (self.parser_h.rec.eth2.val() >> 16_u32);
            self.dec.in_w[12].next = (self.parser_h.rec.eth1.val() & 0xFFFF_0000_u32)
                | (self.parser_h.rec.eth2.val() & 0xFFFF_u32);
        }
        self.dec.in_w[13].next = self.now_secs.val();
        self.dec.in_w[14].next = self.now_ms.val();
        self.dec.in_w[15].next = self.cookie_minute.val();
        // The editor fields wait in the port's record queue for the decision.
        self.rq_w.push.next = self.take_w.val();
        self.rq_h.push.next = self.take_h.val();
        self.rq_w.push_w[0].next = self.w_ew0.val();
        self.rq_w.push_w[1].next = self.w_csum.val();
        self.rq_w.push_w[2].next = self.parser_w.rec.seq.val();
        self.rq_w.push_w[3].next = self.parser_w.rec.ack.val();
        self.rq_w.push_w[4].next = self.parser_w.rec.tsval.val();
        self.rq_w.push_w[5].next = self.parser_w.rec.tsecr.val();
        self.rq_w.push_w[6].next = self.parser_w.rec.sack0.val();
        self.rq_w.push_w[7].next = self.parser_w.rec.sack1.val();
        self.rq_w.push_w[8].next = self.parser_w.rec.sack2.val();
        self.rq_w.push_w[9].next = self.parser_w.rec.sack3.val();
        self.rq_w.push_w[10].next = self.parser_w.rec.sack4.val();
        self.rq_w.push_w[11].next = self.parser_w.rec.sack5.val();
        self.rq_w.push_w[12].next = self.parser_w.rec.sack6.val();
        self.rq_w.push_w[13].next = self.parser_w.rec.sack7.val();
        self.rq_h.push_w[0].next = self.h_ew0.val();
        self.rq_h.push_w[1].next = self.h_csum.val();
        self.rq_h.push_w[2].next = self.parser_h.rec.seq.val();
        self.rq_h.push_w[3].next = self.parser_h.rec.ack.val();
        self.rq_h.push_w[4].next = self.parser_h.rec.tsval.val();
        self.rq_h.push_w[5].next = self.parser_h.rec.tsecr.val();
        self.rq_h.push_w[6].next = self.parser_h.rec.sack0.val();
        self.rq_h.push_w[7].next = self.parser_h.rec.sack1.val();
        self.rq_h.push_w[8].next = self.parser_h.rec.sack2.val();
        self.rq_h.push_w[9].next = self.parser_h.rec.sack3.val();
        self.rq_h.push_w[10].next = self.parser_h.rec.sack4.val();
        self.rq_h.push_w[11].next = self.parser_h.rec.sack5.val();
        self.rq_h.push_w[12].next = self.parser_h.rec.sack6.val();
        self.rq_h.push_w[13].next = self.parser_h.rec.sack7.val();
        // Records in flight (taken, not decided).
        self.inflight.d.next = self.inflight.q.val();
        if self.dec.in_valid.val() && !self.dec.d_valid.val() {
            self.inflight.d.next = self.inflight.q.val() + 1_u32;
        }
        if (!self.dec.in_valid.val()) && self.dec.d_valid.val() {
            self.inflight.d.next = self.inflight.q.val() - 1_u32;
        }

        // ================= configuration
        for i in 0..8 {
            self.dec.cookie_key[i].next = self.cookie_key[i].val();
        }
        self.dec.proxy_mss.next = self.proxy_mss.val();
        self.dec.proxy_ws.next = self.proxy_ws.val();
        self.dec.proxy_ts.next = self.proxy_ts.val();
        self.dec.proxy_sack.next = self.proxy_sack.val();
        self.dec.verify_csum.next = self.verify_csum.val();
        self.dec.loose.next = self.loose.val();
        self.dec.rfc1337.next = self.rfc1337.val();
        self.dec.flood_syn_rate.next = self.flood_syn_rate.val();
        self.dec.flood_pending.next = self.flood_pending.val();
        for i in 0..LISTENERS {
            self.dec.l_valid[i].next = self.l_valid[i].val();
            self.dec.l_addr[i].next = self.l_addr[i].val();
            self.dec.l_port[i].next = self.l_port[i].val();
            self.dec.l_mode[i].next = self.l_mode[i].val();
        }

        // ================= decisions -> queues; monitoring outputs
        self.dec_valid.next = self.dec.d_valid.val();
        self.dec_host.next = self.dec.d_host.val();
        for i in 0..32 {
            self.cnt[i].next = self.dec.cnt[i].val();
        }
        for i in 0..(COUNTERS - 32) {
            self.cnt_hi[i].next = self.dec.cnt_hi[i].val();
        }
        self.gen_two.next = self.dec.gen_two.val();
        self.ev_valid.next = self.dec.ev_valid.val();
        self.ev_slot.next = self.dec.ev_slot.val();
        self.ev_old.next = self.dec.ev_old.val();
        self.ev_new.next = self.dec.ev_new.val();
        self.ev_proxied.next = self.dec.ev_proxied.val();
        for i in 0..3 {
            self.ev_key[i].next = self.dec.ev_key[i].val();
        }
        self.occupancy.next = self.dec.occupancy.val();
        self.pending.next = self.dec.pending.val();
        self.dec.mg_valid.next = self.mg_valid.val();
        self.dec.mg_delete.next = self.mg_delete.val();
        self.dec.mg_bucket.next = self.mg_bucket.val();
        self.dec.mg_way.next = self.mg_way.val();
        self.mg_ready.next = self.dec.mg_ready.val();
        self.mg_rvalid.next = self.dec.mg_rvalid.val();
        self.mg_rhit.next = self.dec.mg_rhit.val();
        for i in 0..ENTRY_WORDS {
            self.mg_rw[i].next = self.dec.mg_rw[i].val();
        }
        // Decision queue entry: word 0 = pass (forward or rewrite) | edit op << 1 | punt << 3
        // | punt reason << 4.
        self.dq0.next = bit_cast::<32, 2>(self.dec.d_edit.val()).into();
        self.dq_p.next = 0_u32.into();
        if self.dec.d_verdict.val() < 2 {
            self.dq_p.next = 1_u32.into();
        }
        self.dq_x.next = 0_u32.into();
        if self.dec.d_verdict.val() == 4 {
            self.dq_x.next = 8_u32.into();
        }
        self.dq_r.next = bit_cast::<32, 4>(self.dec.d_reason.val()).into();
        self.dq_w.push.next = self.dec.d_valid.val() && !self.dec.d_host.val();
        self.dq_h.push.next = self.dec.d_valid.val() && self.dec.d_host.val();
        self.dq_w.push_w[0].next = ((self.dq0.val() << 1_u32) | self.dq_p.val())
            | (self.dq_x.val() | ((self.dq_r.val() & 3_u32) << 4_u32));
        self.dq_w.push_w[1].next = self.dec.d_seq_adj.val();
        self.dq_w.push_w[2].next = self.dec.d_ts_adj.val();
        self.dq_h.push_w[0].next = ((self.dq0.val() << 1_u32) | self.dq_p.val())
            | (self.dq_x.val() | ((self.dq_r.val() & 3_u32) << 4_u32));
        self.dq_h.push_w[1].next = self.dec.d_seq_adj.val();
        self.dq_h.push_w[2].next = self.dec.d_ts_adj.val();
        // Generated frames to the queue of the port they leave by (r0 and r1 never share one).
        self.yq_w.push.next = (self.dec.r0_valid.val() && !self.dec.r0_host.val())
            || (self.dec.r1_valid.val() && !self.dec.r1_host.val());
        self.yq_h.push.next = (self.dec.r0_valid.val() && self.dec.r0_host.val())
            || (self.dec.r1_valid.val() && self.dec.r1_host.val());
        for i in 0..DESC_WORDS {
            self.yq_w.push_w[i].next = self.dec.r0_w[i].val();
            self.yq_h.push_w[i].next = self.dec.r0_w[i].val();
            if self.dec.r1_valid.val() && !self.dec.r1_host.val() {
                self.yq_w.push_w[i].next = self.dec.r1_w[i].val();
            }
            if self.dec.r1_valid.val() && self.dec.r1_host.val() {
                self.yq_h.push_w[i].next = self.dec.r1_w[i].val();
            }
        }

        // ================= release engines: decision + editor fields -> buffer, editor
        // Forwarded, rewritten and punted frames go through the editor (punted ones unedited);
        // dropped and consumed ones are discarded.
        self.drop_w.next = (self.dq_w.head_w[0].val() & 9_u32) == 0_u32;
        self.drop_h.next = (self.dq_h.head_w[0].val() & 9_u32) == 0_u32;
        self.rel_w.next = ((self.dq_w.head_valid.val() && self.rq_w.head_valid.val())
            && (self.fifo_w.rel_ready.val() && (self.rt_w.count.val() < 6_u32)))
            && (self.drop_w.val() || self.edit_w.req.ready.val());
        self.rel_h.next = ((self.dq_h.head_valid.val() && self.rq_h.head_valid.val())
            && (self.fifo_h.rel_ready.val() && (self.rt_h.count.val() < 6_u32)))
            && (self.drop_h.val() || self.edit_h.req.ready.val());
        self.rt_w.push.next = self.rel_w.val() && !self.drop_w.val();
        self.rt_w.push_w[0].next = self.dq_w.head_w[0].val();
        self.rt_h.push.next = self.rel_h.val() && !self.drop_h.val();
        self.rt_h.push_w[0].next = self.dq_h.head_w[0].val();
        self.dq_w.pop.next = self.rel_w.val();
        self.rq_w.pop.next = self.rel_w.val();
        self.dq_h.pop.next = self.rel_h.val();
        self.rq_h.pop.next = self.rel_h.val();
        self.fifo_w.rel_valid.next = self.rel_w.val();
        self.fifo_w.rel_drop.next = self.drop_w.val();
        self.fifo_h.rel_valid.next = self.rel_h.val();
        self.fifo_h.rel_drop.next = self.drop_h.val();
        self.edit_w.req.valid.next = self.rel_w.val() && !self.drop_w.val();
        self.edit_h.req.valid.next = self.rel_h.val() && !self.drop_h.val();
        self.edit_w.req.op.next = bit_cast::<2, 32>((self.dq_w.head_w[0].val() >> 1_u32).into());
        self.edit_w.req.seq_adj.next = self.dq_w.head_w[1].val();
        self.edit_w.req.ts_adj.next = self.dq_w.head_w[2].val();
        self.edit_w.req.tcp_off.next = bit_cast::<8, 32>(self.rq_w.head_w[0].val().into());
        self.edit_w.req.ack_flag.next = (self.rq_w.head_w[0].val() & 0x100_u32) != 0_u32;
        self.edit_w.req.ts_valid.next = (self.rq_w.head_w[0].val() & 0x200_u32) != 0_u32;
        self.edit_w.req.sack_blocks.next =
            bit_cast::<3, 32>((self.rq_w.head_w[0].val() >> 10_u32).into());
        self.edit_w.req.ts_off.next =
            bit_cast::<8, 32>((self.rq_w.head_w[0].val() >> 16_u32).into());
        self.edit_w.req.sack_off.next =
            bit_cast::<8, 32>((self.rq_w.head_w[0].val() >> 24_u32).into());
        self.edit_w.req.csum.next = bit_cast::<16, 32>(self.rq_w.head_w[1].val().into());
        self.edit_w.req.seq.next = self.rq_w.head_w[2].val();
        self.edit_w.req.ack.next = self.rq_w.head_w[3].val();
        self.edit_w.req.tsval.next = self.rq_w.head_w[4].val();
        self.edit_w.req.tsecr.next = self.rq_w.head_w[5].val();
        self.edit_w.req.sack0.next = self.rq_w.head_w[6].val();
        self.edit_w.req.sack1.next = self.rq_w.head_w[7].val();
        self.edit_w.req.sack2.next = self.rq_w.head_w[8].val();
        self.edit_w.req.sack3.next = self.rq_w.head_w[9].val();
        self.edit_w.req.sack4.next = self.rq_w.head_w[10].val();
        self.edit_w.req.sack5.next = self.rq_w.head_w[11].val();
        self.edit_w.req.sack6.next = self.rq_w.head_w[12].val();
        self.edit_w.req.sack7.next = self.rq_w.head_w[13].val();
        self.edit_h.req.op.next = bit_cast::<2, 32>((self.dq_h.head_w[0].val() >> 1_u32).into());
        self.edit_h.req.seq_adj.next = self.dq_h.head_w[1].val();
        self.edit_h.req.ts_adj.next = self.dq_h.head_w[2].val();
        self.edit_h.req.tcp_off.next = bit_cast::<8, 32>(self.rq_h.head_w[0].val().into());
        self.edit_h.req.ack_flag.next = (self.rq_h.head_w[0].val() & 0x100_u32) != 0_u32;
        self.edit_h.req.ts_valid.next = (self.rq_h.head_w[0].val() & 0x200_u32) != 0_u32;
        self.edit_h.req.sack_blocks.next =
            bit_cast::<3, 32>((self.rq_h.head_w[0].val() >> 10_u32).into());
        self.edit_h.req.ts_off.next =
            bit_cast::<8, 32>((self.rq_h.head_w[0].val() >> 16_u32).into());
        self.edit_h.req.sack_off.next =
            bit_cast::<8, 32>((self.rq_h.head_w[0].val() >> 24_u32).into());
        self.edit_h.req.csum.next = bit_cast::<16, 32>(self.rq_h.head_w[1].val().into());
        self.edit_h.req.seq.next = self.rq_h.head_w[2].val();
        self.edit_h.req.ack.next = self.rq_h.head_w[3].val();
        self.edit_h.req.tsval.next = self.rq_h.head_w[4].val();
        self.edit_h.req.tsecr.next = self.rq_h.head_w[5].val();
        self.edit_h.req.sack0.next = self.rq_h.head_w[6].val();
        self.edit_h.req.sack1.next = self.rq_h.head_w[7].val();
        self.edit_h.req.sack2.next = self.rq_h.head_w[8].val();
        self.edit_h.req.sack3.next = self.rq_h.head_w[9].val();
        self.edit_h.req.sack4.next = self.rq_h.head_w[10].val();
        self.edit_h.req.sack5.next = self.rq_h.head_w[11].val();
        self.edit_h.req.sack6.next = self.rq_h.head_w[12].val();
        self.edit_h.req.sack7.next = self.rq_h.head_w[13].val();
        // Buffers stream through the editors.
        self.edit_w.sink.valid.next = self.fifo_w.source.valid.val();
        self.edit_w.sink.data_lo.next = self.fifo_w.source.data_lo.val();
        self.edit_w.sink.data_hi.next = self.fifo_w.source.data_hi.val();
        self.edit_w.sink.keep.next = self.fifo_w.source.keep.val();
        self.edit_w.sink.last.next = self.fifo_w.source.last.val();
        self.fifo_w.source.ready.next = self.edit_w.sink.ready.val();
        self.edit_h.sink.valid.next = self.fifo_h.source.valid.val();
        self.edit_h.sink.data_lo.next = self.fifo_h.source.data_lo.val();
        self.edit_h.sink.data_hi.next = self.fifo_h.source.data_hi.val();
        self.edit_h.sink.keep.next = self.fifo_h.source.keep.val();
        self.edit_h.sink.last.next = self.fifo_h.source.last.val();
        self.fifo_h.source.ready.next = self.edit_h.sink.ready.val();

        // ================= reply generators
        self.gen_w.req.valid.next = self.yq_w.head_valid.val();
        self.yq_w.pop.next = self.yq_w.head_valid.val() && self.gen_w.req.ready.val();
        self.gen_w.req.dst_mac_hi.next = self.yq_w.head_w[0].val();
        self.gen_w.req.dst_mac_lo.next =
            bit_cast::<16, 32>((self.yq_w.head_w[2].val() >> 16_u32).into());
        self.gen_w.req.src_mac_hi.next = self.yq_w.head_w[1].val();
        self.gen_w.req.src_mac_lo.next = bit_cast::<16, 32>(self.yq_w.head_w[2].val().into());
        self.gen_w.req.vlan_valid.next = (self.yq_w.head_w[9].val() & 0x10_u32) != 0_u32;
        self.gen_w.req.vlan_tci.next = bit_cast::<16, 32>(self.yq_w.head_w[12].val().into());
        self.gen_w.req.src_ip.next = self.yq_w.head_w[3].val();
        self.gen_w.req.dst_ip.next = self.yq_w.head_w[4].val();
        self.gen_w.req.src_port.next =
            bit_cast::<16, 32>((self.yq_w.head_w[5].val() >> 16_u32).into());
        self.gen_w.req.dst_port.next = bit_cast::<16, 32>(self.yq_w.head_w[5].val().into());
        self.gen_w.req.seq.next = self.yq_w.head_w[6].val();
        self.gen_w.req.ack.next = self.yq_w.head_w[7].val();
        self.gen_w.req.flags.next = bit_cast::<8, 32>((self.yq_w.head_w[8].val() >> 8_u32).into());
        self.gen_w.req.window.next =
            bit_cast::<16, 32>((self.yq_w.head_w[8].val() >> 16_u32).into());
        self.gen_w.req.mss_valid.next = (self.yq_w.head_w[9].val() & 0x1_u32) != 0_u32;
        self.gen_w.req.mss.next = bit_cast::<16, 32>((self.yq_w.head_w[9].val() >> 16_u32).into());
        self.gen_w.req.sack_perm.next = (self.yq_w.head_w[9].val() & 0x2_u32) != 0_u32;
        self.gen_w.req.ts_valid.next = (self.yq_w.head_w[9].val() & 0x4_u32) != 0_u32;
        self.gen_w.req.tsval.next = self.yq_w.head_w[10].val();
        self.gen_w.req.tsecr.next = self.yq_w.head_w[11].val();
        self.gen_w.req.ws_valid.next = (self.yq_w.head_w[9].val() & 0x8_u32) != 0_u32;
        self.gen_w.req.ws.next = bit_cast::<8, 32>(self.yq_w.head_w[8].val().into());
        self.gen_h.req.valid.next = self.yq_h.head_valid.val();
        self.yq_h.pop.next = self.yq_h.head_valid.val() && self.gen_h.req.ready.val();
        self.gen_h.req.dst_mac_hi.next = self.yq_h.head_w[0].val();
        self.gen_h.req.dst_mac_lo.next =
            bit_cast::<16, 32>((self.yq_h.head_w[2].val() >> 16_u32).into());
        self.gen_h.req.src_mac_hi.next = self.yq_h.head_w[1].val();
        self.gen_h.req.src_mac_lo.next = bit_cast::<16, 32>(self.yq_h.head_w[2].val().into());
        self.gen_h.req.vlan_valid.next = (self.yq_h.head_w[9].val() & 0x10_u32) != 0_u32;
        self.gen_h.req.vlan_tci.next = bit_cast::<16, 32>(self.yq_h.head_w[12].val().into());
        self.gen_h.req.src_ip.next = self.yq_h.head_w[3].val();
        self.gen_h.req.dst_ip.next = self.yq_h.head_w[4].val();
        self.gen_h.req.src_port.next =
            bit_cast::<16, 32>((self.yq_h.head_w[5].val() >> 16_u32).into());
        self.gen_h.req.dst_port.next = bit_cast::<16, 32>(self.yq_h.head_w[5].val().into());
        self.gen_h.req.seq.next = self.yq_h.head_w[6].val();
        self.gen_h.req.ack.next = self.yq_h.head_w[7].val();
        self.gen_h.req.flags.next = bit_cast::<8, 32>((self.yq_h.head_w[8].val() >> 8_u32).into());
        self.gen_h.req.window.next =
            bit_cast::<16, 32>((self.yq_h.head_w[8].val() >> 16_u32).into());
        self.gen_h.req.mss_valid.next = (self.yq_h.head_w[9].val() & 0x1_u32) != 0_u32;
        self.gen_h.req.mss.next = bit_cast::<16, 32>((self.yq_h.head_w[9].val() >> 16_u32).into());
        self.gen_h.req.sack_perm.next = (self.yq_h.head_w[9].val() & 0x2_u32) != 0_u32;
        self.gen_h.req.ts_valid.next = (self.yq_h.head_w[9].val() & 0x4_u32) != 0_u32;
        self.gen_h.req.tsval.next = self.yq_h.head_w[10].val();
        self.gen_h.req.tsecr.next = self.yq_h.head_w[11].val();
        self.gen_h.req.ws_valid.next = (self.yq_h.head_w[9].val() & 0x8_u32) != 0_u32;
        self.gen_h.req.ws.next = bit_cast::<8, 32>(self.yq_h.head_w[8].val().into());

        // ================= output merges (whole frames; round robin when several wait)
        // The editors' outputs: to the other port's merge, or (punted frames) to the punt merge.
        self.edit_w.source.ready.next = false;
        self.edit_h.source.ready.next = false;
        self.inject_in.ready.next = false;
        // wire_out: frames from the host port (edit_h), generated toward the wire (gen_w) and
        // injected toward the wire.
        self.fv_w.next = (self.edit_h.source.valid.val() && self.rt_h.head_valid.val())
            && ((self.rt_h.head_w[0].val() & 8_u32) == 0_u32);
        self.iv_w.next = self.inject_in.valid.val() && !self.inject_host.val();
        self.sel_w.next = self.own_w.q.val();
        if self.own_w.q.val() == 0 {
            if self.rr_w.q.val() == 1 {
                if self.gen_w.source.valid.val() {
                    self.sel_w.next = 2.into();
                } else if self.iv_w.val() {
                    self.sel_w.next = 3.into();
                } else if self.fv_w.val() {
                    self.sel_w.next = 1.into();
                }
            } else if self.rr_w.q.val() == 2 {
                if self.iv_w.val() {
                    self.sel_w.next = 3.into();
                } else if self.fv_w.val() {
                    self.sel_w.next = 1.into();
                } else if self.gen_w.source.valid.val() {
                    self.sel_w.next = 2.into();
                }
            } else {
                if self.fv_w.val() {
                    self.sel_w.next = 1.into();
                } else if self.gen_w.source.valid.val() {
                    self.sel_w.next = 2.into();
                } else if self.iv_w.val() {
                    self.sel_w.next = 3.into();
                }
            }
        }
        self.wire_out.valid.next = false;
        self.wire_out.data_lo.next = self.edit_h.source.data_lo.val();
        self.wire_out.data_hi.next = self.edit_h.source.data_hi.val();
        self.wire_out.keep.next = self.edit_h.source.keep.val();
        self.wire_out.last.next = self.edit_h.source.last.val();
        self.gen_w.source.ready.next = false;
        if self.sel_w.val() == 1 {
            self.wire_out.valid.next = self.fv_w.val();
            if self.fv_w.val() && self.wire_out.ready.val() {
                self.own_w.d.next = 1.into();
                if self.edit_h.source.last.val() {
                    self.own_w.d.next = 0.into();
                    self.rr_w.d.next = 1.into();
                }
            }
        }
        if self.sel_w.val() == 2 {
            self.wire_out.valid.next = self.gen_w.source.valid.val();
            self.wire_out.data_lo.next = self.gen_w.source.data_lo.val();
            self.wire_out.data_hi.next = self.gen_w.source.data_hi.val();
            self.wire_out.keep.next = self.gen_w.source.keep.val();
            self.wire_out.last.next = self.gen_w.source.last.val();
            self.gen_w.source.ready.next = self.wire_out.ready.val();
            if self.gen_w.source.valid.val() && self.wire_out.ready.val() {
                self.own_w.d.next = 2.into();
                if self.gen_w.source.last.val() {
                    self.own_w.d.next = 0.into();
                    self.rr_w.d.next = 2.into();
                }
            }
        }
        if self.sel_w.val() == 3 {
            self.wire_out.valid.next = self.iv_w.val();
            self.wire_out.data_lo.next = self.inject_in.data_lo.val();
            self.wire_out.data_hi.next = self.inject_in.data_hi.val();
            self.wire_out.keep.next = self.inject_in.keep.val();
            self.wire_out.last.next = self.inject_in.last.val();
            if self.iv_w.val() && self.wire_out.ready.val() {
                self.own_w.d.next = 3.into();
                if self.inject_in.last.val() {
                    self.own_w.d.next = 0.into();
                    self.rr_w.d.next = 3.into();
                }
            }
        }
        if self.sel_w.val() == 1 {
            self.edit_h.source.ready.next = self.wire_out.ready.val();
        }
        if (self.sel_w.val() == 3) && !self.inject_host.val() {
            self.inject_in.ready.next = self.wire_out.ready.val();
        }
        // host_out: frames from the wire port (edit_w), generated toward the host (gen_h) and
        // injected toward the host.
        self.fv_h.next = (self.edit_w.source.valid.val() && self.rt_w.head_valid.val())
            && ((self.rt_w.head_w[0].val() & 8_u32) == 0_u32);
        self.iv_h.next = self.inject_in.valid.val() && self.inject_host.val();
        self.sel_h.next = self.own_h.q.val();
        if self.own_h.q.val() == 0 {
            if self.rr_h.q.val() == 1 {
                if self.gen_h.source.valid.val() {
                    self.sel_h.next = 2.into();
                } else if self.iv_h.val() {
                    self.sel_h.next = 3.into();
                } else if self.fv_h.val() {
                    self.sel_h.next = 1.into();
                }
            } else if self.rr_h.q.val() == 2 {
                if self.iv_h.val() {
                    self.sel_h.next = 3.into();
                } else if self.fv_h.val() {
                    self.sel_h.next = 1.into();
                } else if self.gen_h.source.valid.val() {
                    self.sel_h.next = 2.into();
                }
            } else {
                if self.fv_h.val() {
                    self.sel_h.next = 1.into();
                } else if self.gen_h.source.valid.val() {
                    self.sel_h.next = 2.into();
                } else if self.iv_h.val() {
                    self.sel_h.next = 3.into();
                }
            }
        }
        self.host_out.valid.next = false;
        self.host_out.data_lo.next = self.edit_w.source.data_lo.val();
        self.host_out.data_hi.next = self.edit_w.source.data_hi.val();
        self.host_out.keep.next = self.edit_w.source.keep.val();
        self.host_out.last.next = self.edit_w.source.last.val();
        self.gen_h.source.ready.next = false;
        if self.sel_h.val() == 1 {
            self.host_out.valid.next = self.fv_h.val();
            if self.fv_h.val() && self.host_out.ready.val() {
                self.own_h.d.next = 1.into();
                if self.edit_w.source.last.val() {
                    self.own_h.d.next = 0.into();
                    self.rr_h.d.next = 1.into();
                }
            }
        }
        if self.sel_h.val() == 2 {
            self.host_out.valid.next = self.gen_h.source.valid.val();
            self.host_out.data_lo.next = self.gen_h.source.data_lo.val();
            self.host_out.data_hi.next = self.gen_h.source.data_hi.val();
            self.host_out.keep.next = self.gen_h.source.keep.val();
            self.host_out.last.next = self.gen_h.source.last.val();
            self.gen_h.source.ready.next = self.host_out.ready.val();
            if self.gen_h.source.valid.val() && self.host_out.ready.val() {
                self.own_h.d.next = 2.into();
                if self.gen_h.source.last.val() {
                    self.own_h.d.next = 0.into();
                    self.rr_h.d.next = 2.into();
                }
            }
        }
        if self.sel_h.val() == 3 {
            self.host_out.valid.next = self.iv_h.val();
            self.host_out.data_lo.next = self.inject_in.data_lo.val();
            self.host_out.data_hi.next = self.inject_in.data_hi.val();
            self.host_out.keep.next = self.inject_in.keep.val();
            self.host_out.last.next = self.inject_in.last.val();
            if self.iv_h.val() && self.host_out.ready.val() {
                self.own_h.d.next = 3.into();
                if self.inject_in.last.val() {
                    self.own_h.d.next = 0.into();
                    self.rr_h.d.next = 3.into();
                }
            }
        }
        if self.sel_h.val() == 1 {
            self.edit_w.source.ready.next = self.host_out.ready.val();
        }
        if (self.sel_h.val() == 3) && self.inject_host.val() {
            self.inject_in.ready.next = self.host_out.ready.val();
        }
        // punt_out: punted frames of either port, with their port and reason.
        self.pv_w.next = (self.edit_w.source.valid.val() && self.rt_w.head_valid.val())
            && ((self.rt_w.head_w[0].val() & 8_u32) != 0_u32);
        self.pv_h.next = (self.edit_h.source.valid.val() && self.rt_h.head_valid.val())
            && ((self.rt_h.head_w[0].val() & 8_u32) != 0_u32);
        self.sel_p.next = self.own_p.q.val();
        if self.own_p.q.val() == 0 {
            if self.pv_w.val() && ((!self.pv_h.val()) || self.rr_p.q.val()) {
                self.sel_p.next = 1.into();
            } else if self.pv_h.val() {
                self.sel_p.next = 2.into();
            }
        }
        self.punt_out.valid.next = false;
        self.punt_out.data_lo.next = self.edit_w.source.data_lo.val();
        self.punt_out.data_hi.next = self.edit_w.source.data_hi.val();
        self.punt_out.keep.next = self.edit_w.source.keep.val();
        self.punt_out.last.next = self.edit_w.source.last.val();
        self.punt_host.next = self.p_host.q.val();
        self.punt_reason.next = self.p_reason.q.val();
        if self.sel_p.val() == 1 {
            self.punt_out.valid.next = self.pv_w.val();
            self.punt_host.next = false;
            self.punt_reason.next = bit_cast::<2, 32>((self.rt_w.head_w[0].val() >> 4_u32).into());
            self.edit_w.source.ready.next = self.punt_out.ready.val();
            if self.pv_w.val() && self.punt_out.ready.val() {
                self.own_p.d.next = 1.into();
                self.p_host.d.next = false;
                self.p_reason.d.next =
                    bit_cast::<2, 32>((self.rt_w.head_w[0].val() >> 4_u32).into());
                if self.edit_w.source.last.val() {
                    self.own_p.d.next = 0.into();
                    self.rr_p.d.next = false;
                }
            }
        }
        if self.sel_p.val() == 2 {
            self.punt_out.valid.next = self.pv_h.val();
            self.punt_out.data_lo.next = self.edit_h.source.data_lo.val();
            self.punt_out.data_hi.next = self.edit_h.source.data_hi.val();
            self.punt_out.keep.next = self.edit_h.source.keep.val();
            self.punt_out.last.next = self.edit_h.source.last.val();
            self.punt_host.next = true;
            self.punt_reason.next = bit_cast::<2, 32>((self.rt_h.head_w[0].val() >> 4_u32).into());
            self.edit_h.source.ready.next = self.punt_out.ready.val();
            if self.pv_h.val() && self.punt_out.ready.val() {
                self.own_p.d.next = 2.into();
                self.p_host.d.next = true;
                self.p_reason.d.next =
                    bit_cast::<2, 32>((self.rt_h.head_w[0].val() >> 4_u32).into());
                if self.edit_h.source.last.val() {
                    self.own_p.d.next = 0.into();
                    self.rr_p.d.next = true;
                }
            }
        }
        // A frame's route leaves with its last beat out of the editor.
        self.rt_w.pop.next = (self.edit_w.source.valid.val() && self.edit_w.source.ready.val())
            && self.edit_w.source.last.val();
        self.rt_h.pop.next = (self.edit_h.source.valid.val() && self.edit_h.source.ready.val())
            && self.edit_h.source.last.val();
    }
}

/// The data path the tests and the generated module use: 16 buckets x 4 ways, 2 KiB frame
/// buffers.
pub type PipelineTest = Pipeline<4, 8>;
