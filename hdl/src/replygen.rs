//! [`ReplyGen`] — the reply generator: the frames the NIC sends itself, built from one descriptor
//! each and streamed out with both checksums computed in hardware. These are the frames of
//! `proto::synproxy`: the cookie SYN-ACK answering a client SYN (`cookie_synack`, netfilter
//! `synproxy_send_client_synack`), the SYN to the host (`server_syn`,
//! `synproxy_send_server_syn`), the ACK to the host and the window update to the client at
//! handoff (`on_server_synack`, `synproxy_send_server_ack` / `synproxy_send_client_ack`), and
//! challenge ACKs (`challenge_ack`, RFC 5961 §3.2, §4.2, §5.2).
//!
//! ## Interface
//! * `clock` in. No reset: the valid bits power up clear.
//! * `req` ([`ReplyRequestPort`]): `valid` in, `ready` out, one frame's descriptor in — every
//!   field of a `proto::wire::SegmentSpec` the NIC varies ([`ReplyRequest`] is the same as plain
//!   Rust values): `dst_mac_hi`/`dst_mac_lo` and `src_mac_hi`/`src_mac_lo` (bytes 0..3 of the MAC
//!   in a 32-bit lane, bytes 4..5 in 16 bits), `vlan_valid` + `vlan_tci` (one 802.1Q tag),
//!   `src_ip`, `dst_ip`, `src_port`, `dst_port`, `seq`, `ack`, `flags` (the 8 TCP control bits),
//!   `window`, and the option set (`proto::wire::tcp_options::OptionSet`): `mss_valid` + `mss`,
//!   `sack_perm`, `ts_valid` + `tsval` + `tsecr`, `ws_valid` + `ws`. A request is taken on a clock
//!   edge where `valid && ready`. `ready` depends on registers only.
//! * `source` ([`StreamSource`], docs/hdl.md "Stream format"): the frame, 8 bytes per beat, `keep`
//!   0xFF except on the `last` beat. Back-pressure (`source.ready`) is honoured; `valid`, the data,
//!   `keep` and `last` depend on registers only. Unkept bytes of the last beat are zero (as
//!   `hdl::stream::frame_to_beats` pads).
//!
//! ## The frame (`proto::wire::build::SegmentSpec::write` with the fields `proto::synproxy`'s
//! `reply_spec` fixes)
//! Ethernet II (dst MAC, src MAC, optional tag `0x8100 | TCI`, type 0x0800); IPv4 without options:
//! version 4, IHL 5, TOS 0, total length, id 0, DF, TTL 64 (`proto::synproxy::TTL`, IPDEFTTL),
//! protocol 6, the header checksum (RFC 791 / RFC 1071); TCP: ports, seq, ack, data offset, flags,
//! window, checksum over the RFC 9293 §3.1 pseudo-header, urgent pointer 0, the options in the
//! Linux / netfilter `synproxy_build_options` layout (`OptionSet::to_bytes`): `[MSS]`, then
//! `SACKPERM,TS` or `NOP,NOP,TS` or `NOP,NOP,SACKPERM`, then `[NOP,WS]`. No payload and no
//! padding: like proto's builder, a frame shorter than 60 bytes (54 bytes without options) is
//! sent as it is (the MAC pads on the wire). Frames are 54 + 4·VLAN + 4·(option words) bytes,
//! 54..78: 7..10 beats.
//!
//! ## Latency and throughput
//! * A request taken at the edge ending cycle `t` has its first beat on `source` during cycle
//!   `t + 3` when the output is idle ([`REPLYGEN_LATENCY`]).
//! * Frames leave back to back with no idle beat between them as long as requests keep ahead:
//!   the next frame is loaded at the edge that takes the previous frame's last beat, and two
//!   requests wait behind the streaming frame. A frame is at least 7 beats, so the generator takes
//!   at most one request per 7 clocks in steady state; `ready` is low while both stages are full.
//!
//! ## Structure
//! 1. **Request register** (`s1_*`): the descriptor as taken, 16- and 8-bit fields in 32-bit lanes.
//! 2. **Assemble** (`s2_*`): the option words, compacted (pushed to the front in reverse order so
//!    that absent options leave no hole), the IPv4 / TCP lengths and data offset, the frame as 20
//!    32-bit words in wire order with the two checksum fields zero (the VLAN tag shifts everything
//!    after the MACs by one word), the beat count and last keep, and the one's-complement sums:
//!    the IPv4 header (RFC 1071) and the TCP pseudo-header + header (fixed positions) plus the
//!    options (every option word is 32-bit aligned in the TCP header, so its halves add at even
//!    positions wherever it lands; the sum is taken from the request fields, not the compacted
//!    words).
//! 3. **Load** into the output shift register (`out_w`): the sums folded twice (end-around carry;
//!    they stay below 2^21) and complemented, as `proto::wire::checksum::{ipv4_header, tcp_v4}`
//!    compute them (`!fold(sum)`: a sum folding to 0xFFFF gives 0x0000), ORed into their words
//!    (word 6 / 12 without a tag, 7 / 13 with one). Each beat taken shifts the words by two.
//!
//! Registers: 23 request fields (s1), 20 frame words + 3 sums + counts (s2), 20 output words +
//! beat count + keep; about 1,900 bits as written, 1,604 flip-flops after yosys drops the
//! constant ones (yosys `synth_ecp5`: 2199 LUT4 + 133 CCU2C + 395 PFUMX + 165 L6MUX21, most of
//! it the word muxes: the tag shift into stage 2 and load-or-shift into the output register).

use crate::lane::Lane;
use crate::stream::StreamSource;
use proto::wire::tcp_options::{OptionSet, TcpOptions};
use proto::wire::SegmentSpec;
use rust_hdl::prelude::*;

/// Clocks from a request's sampling edge to its first beat on `source` (output idle).
pub const REPLYGEN_LATENCY: usize = 3;

/// Frame words the generator holds: 78 bytes at most (VLAN tag and 20 option bytes), 10 beats.
pub const FRAME_WORDS: usize = 20;

/// One generated frame's descriptor. See the [module docs](self).
#[derive(LogicInterface, Default)]
pub struct ReplyRequestPort {
    pub valid: Signal<In, Bit>,
    pub ready: Signal<Out, Bit>,
    /// Destination MAC bytes 0..3 (byte 0 in bits 31..24).
    pub dst_mac_hi: Signal<In, Lane>,
    /// Destination MAC bytes 4..5.
    pub dst_mac_lo: Signal<In, Bits<16>>,
    pub src_mac_hi: Signal<In, Lane>,
    pub src_mac_lo: Signal<In, Bits<16>>,
    /// One 802.1Q tag with this TCI.
    pub vlan_valid: Signal<In, Bit>,
    pub vlan_tci: Signal<In, Bits<16>>,
    pub src_ip: Signal<In, Lane>,
    pub dst_ip: Signal<In, Lane>,
    pub src_port: Signal<In, Bits<16>>,
    pub dst_port: Signal<In, Bits<16>>,
    pub seq: Signal<In, Lane>,
    pub ack: Signal<In, Lane>,
    /// TCP control bits (`proto::wire::TcpFlags`).
    pub flags: Signal<In, Bits<8>>,
    pub window: Signal<In, Bits<16>>,
    pub mss_valid: Signal<In, Bit>,
    pub mss: Signal<In, Bits<16>>,
    pub sack_perm: Signal<In, Bit>,
    pub ts_valid: Signal<In, Bit>,
    pub tsval: Signal<In, Lane>,
    pub tsecr: Signal<In, Lane>,
    pub ws_valid: Signal<In, Bit>,
    pub ws: Signal<In, Bits<8>>,
}

/// The reply generator. See the [module docs](self).
#[derive(LogicBlock, Default)]
pub struct ReplyGen {
    pub clock: Signal<In, Clock>,
    pub req: ReplyRequestPort,
    pub source: StreamSource,

    // ---- stage 1: the request as taken
    s1_valid: DFF<Bit>,
    s1_dmac_hi: DFF<Lane>,
    s1_dmac_lo: DFF<Lane>,
    s1_smac_hi: DFF<Lane>,
    s1_smac_lo: DFF<Lane>,
    s1_vlan: DFF<Bit>,
    s1_tci: DFF<Lane>,
    s1_sip: DFF<Lane>,
    s1_dip: DFF<Lane>,
    s1_sport: DFF<Lane>,
    s1_dport: DFF<Lane>,
    s1_seq: DFF<Lane>,
    s1_ack: DFF<Lane>,
    s1_flags: DFF<Lane>,
    s1_window: DFF<Lane>,
    s1_mss_v: DFF<Bit>,
    s1_mss: DFF<Lane>,
    s1_sack: DFF<Bit>,
    s1_ts_v: DFF<Bit>,
    s1_tsval: DFF<Lane>,
    s1_tsecr: DFF<Lane>,
    s1_ws_v: DFF<Bit>,
    s1_ws: DFF<Lane>,
    // ---- stage 2: the assembled frame, checksum fields zero, and the sums
    s2_valid: DFF<Bit>,
    s2_vlan: DFF<Bit>,
    s2_w: [DFF<Lane>; FRAME_WORDS],
    s2_ip_sum: DFF<Lane>,
    s2_tcp_sum: DFF<Lane>,
    s2_opt_sum: DFF<Lane>,
    s2_beats: DFF<Bits<4>>,
    s2_keep: DFF<Bits<8>>,
    // ---- output shift register: words 0 and 1 are the beat on `source`
    out_w: [DFF<Lane>; FRAME_WORDS],
    /// Beats left, the one on `source` included (0: idle).
    out_beats: DFF<Bits<4>>,
    out_keep: DFF<Bits<8>>,

    // ---- combinational
    take: Signal<Local, Bit>,
    adv: Signal<Local, Bit>,
    consume: Signal<Local, Bit>,
    is_last: Signal<Local, Bit>,
    load: Signal<Local, Bit>,
    /// Option words (32 bits each) and their count.
    o0: Signal<Local, Lane>,
    o1: Signal<Local, Lane>,
    o2: Signal<Local, Lane>,
    o3: Signal<Local, Lane>,
    o4: Signal<Local, Lane>,
    n_opt: Signal<Local, Lane>,
    opt_len: Signal<Local, Lane>,
    ts_head: Signal<Local, Lane>,
    ws_word: Signal<Local, Lane>,
    mss_word: Signal<Local, Lane>,
    /// The frame after the MACs (and tag), from the ethertype on: 16 words.
    r: [Signal<Local, Lane>; 16],
    vn: Signal<Local, Lane>,
    opt_sum: Signal<Local, Lane>,
    ip_f1: Signal<Local, Lane>,
    ip_f2: Signal<Local, Lane>,
    tcp_sum: Signal<Local, Lane>,
    tcp_f1: Signal<Local, Lane>,
    tcp_f2: Signal<Local, Lane>,
    ip_csum: Signal<Local, Lane>,
    tcp_csum: Signal<Local, Lane>,
}

impl Logic for ReplyGen {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, s1_valid, s1_dmac_hi, s1_dmac_lo, s1_smac_hi, s1_smac_lo, s1_vlan, s1_tci,
            s1_sip, s1_dip, s1_sport, s1_dport, s1_seq, s1_ack, s1_flags, s1_window, s1_mss_v,
            s1_mss, s1_sack, s1_ts_v, s1_tsval, s1_tsecr, s1_ws_v, s1_ws, s2_valid, s2_vlan,
            s2_ip_sum, s2_tcp_sum, s2_opt_sum, s2_beats, s2_keep, out_beats, out_keep
        );
        for i in 0..20 {
            self.s2_w[i].clock.next = self.clock.val();
            self.s2_w[i].d.next = self.s2_w[i].q.val();
            self.out_w[i].clock.next = self.clock.val();
            self.out_w[i].d.next = self.out_w[i].q.val();
        }

        // ================= handshakes
        self.consume.next = (self.out_beats.q.val() != bits::<4>(0)) && self.source.ready.val();
        self.is_last.next = self.out_beats.q.val() == bits::<4>(1);
        // The output register takes the next frame when idle or as its last beat leaves.
        self.load.next = self.s2_valid.q.val()
            && ((self.out_beats.q.val() == bits::<4>(0))
                || (self.is_last.val() && self.consume.val()));
        // Stage 1 moves into stage 2 when stage 2 is empty or being loaded.
        self.adv.next = self.s1_valid.q.val() && (!self.s2_valid.q.val() || self.load.val());
        // Registers only: stage 1 is free, or it moves on because stage 2 is empty.
        self.req.ready.next = !self.s1_valid.q.val() || !self.s2_valid.q.val();
        self.take.next = self.req.valid.val() && (!self.s1_valid.q.val() || !self.s2_valid.q.val());

        // ================= stage 1: the request
        self.s1_valid.d.next = self.take.val() || (self.s1_valid.q.val() && !self.adv.val());
        if self.take.val() {
            self.s1_dmac_hi.d.next = self.req.dst_mac_hi.val();
            self.s1_dmac_lo.d.next = bit_cast::<32, 16>(self.req.dst_mac_lo.val()).into();
            self.s1_smac_hi.d.next = self.req.src_mac_hi.val();
            self.s1_smac_lo.d.next = bit_cast::<32, 16>(self.req.src_mac_lo.val()).into();
            self.s1_vlan.d.next = self.req.vlan_valid.val();
            self.s1_tci.d.next = bit_cast::<32, 16>(self.req.vlan_tci.val()).into();
            self.s1_sip.d.next = self.req.src_ip.val();
            self.s1_dip.d.next = self.req.dst_ip.val();
            self.s1_sport.d.next = bit_cast::<32, 16>(self.req.src_port.val()).into();
            self.s1_dport.d.next = bit_cast::<32, 16>(self.req.dst_port.val()).into();
            self.s1_seq.d.next = self.req.seq.val();
            self.s1_ack.d.next = self.req.ack.val();
            self.s1_flags.d.next = bit_cast::<32, 8>(self.req.flags.val()).into();
            self.s1_window.d.next = bit_cast::<32, 16>(self.req.window.val()).into();
            self.s1_mss_v.d.next = self.req.mss_valid.val();
            self.s1_mss.d.next = bit_cast::<32, 16>(self.req.mss.val()).into();
            self.s1_sack.d.next = self.req.sack_perm.val();
            self.s1_ts_v.d.next = self.req.ts_valid.val();
            self.s1_tsval.d.next = self.req.tsval.val();
            self.s1_tsecr.d.next = self.req.tsecr.val();
            self.s1_ws_v.d.next = self.req.ws_valid.val();
            self.s1_ws.d.next = bit_cast::<32, 8>(self.req.ws.val()).into();
        }

        // ================= stage 2: assemble
        // Option words (OptionSet::to_bytes / synproxy_build_options), pushed to the front in
        // reverse order so the present ones end up compacted at o0, o1, ...
        self.mss_word.next = self.s1_mss.q.val() | 0x0204_0000_u32;
        self.ws_word.next = self.s1_ws.q.val() | 0x0103_0300_u32;
        self.ts_head.next = 0x0101_080A_u32.into();
        if self.s1_sack.q.val() {
            self.ts_head.next = 0x0402_080A_u32.into();
        }
        self.o0.next = 0_u32.into();
        self.o1.next = 0_u32.into();
        self.o2.next = 0_u32.into();
        self.o3.next = 0_u32.into();
        self.o4.next = 0_u32.into();
        self.n_opt.next = 0_u32.into();
        // Option sum: every option word sits at an even position of the TCP header.
        self.opt_sum.next = 0_u32.into();
        if self.s1_ws_v.q.val() {
            // NOP, WS (kind 3, length 3, shift)
            self.o0.next = self.ws_word.val();
            self.n_opt.next = 1_u32.into();
            self.opt_sum.next = self.s1_ws.q.val() + 0x0403_u32;
        }
        if self.s1_ts_v.q.val() {
            // [SACKPERM | NOP, NOP], TS (kind 8, length 10), TSval, TSecr; nothing but WS precedes.
            self.o3.next = self.o0.val();
            self.o2.next = self.s1_tsecr.q.val();
            self.o1.next = self.s1_tsval.q.val();
            self.o0.next = self.ts_head.val();
            self.n_opt.next = self.n_opt.val() + 3_u32;
            self.opt_sum.next = self.opt_sum.val()
                + (self.ts_head.val() >> 16_u32)
                + (self.ts_head.val() & 0xFFFF_u32)
                + (self.s1_tsval.q.val() >> 16_u32)
                + (self.s1_tsval.q.val() & 0xFFFF_u32)
                + (self.s1_tsecr.q.val() >> 16_u32)
                + (self.s1_tsecr.q.val() & 0xFFFF_u32);
        } else if self.s1_sack.q.val() {
            // NOP, NOP, SACKPERM (kind 4, length 2)
            self.o1.next = self.o0.val();
            self.o0.next = 0x0101_0402_u32.into();
            self.n_opt.next = self.n_opt.val() + 1_u32;
            self.opt_sum.next = self.opt_sum.val() + 0x0503_u32;
        }
        if self.s1_mss_v.q.val() {
            // MSS (kind 2, length 4), first
            self.o4.next = self.o3.val();
            self.o3.next = self.o2.val();
            self.o2.next = self.o1.val();
            self.o1.next = self.o0.val();
            self.o0.next = self.mss_word.val();
            self.n_opt.next = self.n_opt.val() + 1_u32;
            self.opt_sum.next = self.opt_sum.val() + self.s1_mss.q.val() + 0x0204_u32;
        }
        self.opt_len.next = self.n_opt.val() << 2_u32;

        // The frame from the ethertype on (SegmentSpec::write): IPv4 header, TCP header, options.
        self.r[0].next = 0x0800_4500_u32.into();
        // total length | id 0
        self.r[1].next = (self.opt_len.val() + 40_u32) << 16_u32;
        // DF | TTL 64, protocol 6
        self.r[2].next = 0x4000_4006_u32.into();
        // header checksum (at load) | src hi
        self.r[3].next = self.s1_sip.q.val() >> 16_u32;
        self.r[4].next = (self.s1_sip.q.val() << 16_u32) | (self.s1_dip.q.val() >> 16_u32);
        self.r[5].next = (self.s1_dip.q.val() << 16_u32) | self.s1_sport.q.val();
        self.r[6].next = (self.s1_dport.q.val() << 16_u32) | (self.s1_seq.q.val() >> 16_u32);
        self.r[7].next = (self.s1_seq.q.val() << 16_u32) | (self.s1_ack.q.val() >> 16_u32);
        // ack lo | data offset, flags
        self.r[8].next = (self.s1_ack.q.val() << 16_u32)
            | ((self.n_opt.val() + 5_u32) << 12_u32)
            | self.s1_flags.q.val();
        // window | checksum (at load)
        self.r[9].next = self.s1_window.q.val() << 16_u32;
        // urgent pointer 0 | options
        self.r[10].next = self.o0.val() >> 16_u32;
        self.r[11].next = (self.o0.val() << 16_u32) | (self.o1.val() >> 16_u32);
        self.r[12].next = (self.o1.val() << 16_u32) | (self.o2.val() >> 16_u32);
        self.r[13].next = (self.o2.val() << 16_u32) | (self.o3.val() >> 16_u32);
        self.r[14].next = (self.o3.val() << 16_u32) | (self.o4.val() >> 16_u32);
        self.r[15].next = self.o4.val() << 16_u32;

        self.vn.next = self.n_opt.val();
        if self.s1_vlan.q.val() {
            self.vn.next = self.n_opt.val() + 1_u32;
        }
        if self.adv.val() {
            self.s2_vlan.d.next = self.s1_vlan.q.val();
            self.s2_w[0].d.next = self.s1_dmac_hi.q.val();
            self.s2_w[1].d.next =
                (self.s1_dmac_lo.q.val() << 16_u32) | (self.s1_smac_hi.q.val() >> 16_u32);
            self.s2_w[2].d.next = (self.s1_smac_hi.q.val() << 16_u32) | self.s1_smac_lo.q.val();
            if self.s1_vlan.q.val() {
                self.s2_w[3].d.next = self.s1_tci.q.val() | 0x8100_0000_u32;
                for k in 0..16 {
                    self.s2_w[k + 4].d.next = self.r[k].val();
                }
            } else {
                for k in 0..16 {
                    self.s2_w[k + 3].d.next = self.r[k].val();
                }
                self.s2_w[19].d.next = 0_u32.into();
            }
            // RFC 1071 sums. IPv4: 0x4500 + total length + DF + TTL/protocol + addresses.
            self.s2_ip_sum.d.next = (self.opt_len.val() + 0xC52E_u32)
                + (self.s1_sip.q.val() >> 16_u32)
                + (self.s1_sip.q.val() & 0xFFFF_u32)
                + (self.s1_dip.q.val() >> 16_u32)
                + (self.s1_dip.q.val() & 0xFFFF_u32);
            // TCP: pseudo-header (addresses, protocol 6, TCP length 20 + options) + header.
            self.s2_tcp_sum.d.next = (self.opt_len.val() + 26_u32)
                + (self.s1_sip.q.val() >> 16_u32)
                + (self.s1_sip.q.val() & 0xFFFF_u32)
                + (self.s1_dip.q.val() >> 16_u32)
                + (self.s1_dip.q.val() & 0xFFFF_u32)
                + self.s1_sport.q.val()
                + self.s1_dport.q.val()
                + (self.s1_seq.q.val() >> 16_u32)
                + (self.s1_seq.q.val() & 0xFFFF_u32)
                + (self.s1_ack.q.val() >> 16_u32)
                + (self.s1_ack.q.val() & 0xFFFF_u32)
                + (((self.n_opt.val() + 5_u32) << 12_u32) | self.s1_flags.q.val())
                + self.s1_window.q.val();
            self.s2_opt_sum.d.next = self.opt_sum.val();
            // 54 + 4 (VLAN + option words) bytes: 7 + (vn + 1) / 2 beats, the last one holding 6
            // bytes (vn even) or 2 (vn odd).
            self.s2_beats.d.next = bit_cast::<4, 32>(((self.vn.val() + 15_u32) >> 1_u32).into());
            self.s2_keep.d.next = 0x3F.into();
            if (self.vn.val() & 1_u32) != 0_u32 {
                self.s2_keep.d.next = 0x03.into();
            }
        }
        self.s2_valid.d.next = self.adv.val() || (self.s2_valid.q.val() && !self.load.val());

        // ================= load: fold, complement, insert; or shift by a beat
        self.ip_f1.next =
            (self.s2_ip_sum.q.val() & 0xFFFF_u32) + (self.s2_ip_sum.q.val() >> 16_u32);
        self.ip_f2.next = (self.ip_f1.val() & 0xFFFF_u32) + (self.ip_f1.val() >> 16_u32);
        self.ip_csum.next = (!self.ip_f2.val()) & 0xFFFF_u32;
        self.tcp_sum.next = self.s2_tcp_sum.q.val() + self.s2_opt_sum.q.val();
        self.tcp_f1.next = (self.tcp_sum.val() & 0xFFFF_u32) + (self.tcp_sum.val() >> 16_u32);
        self.tcp_f2.next = (self.tcp_f1.val() & 0xFFFF_u32) + (self.tcp_f1.val() >> 16_u32);
        self.tcp_csum.next = (!self.tcp_f2.val()) & 0xFFFF_u32;
        if self.load.val() {
            for i in 0..20 {
                self.out_w[i].d.next = self.s2_w[i].q.val();
            }
            if self.s2_vlan.q.val() {
                self.out_w[7].d.next = self.s2_w[7].q.val() | (self.ip_csum.val() << 16_u32);
                self.out_w[13].d.next = self.s2_w[13].q.val() | self.tcp_csum.val();
            } else {
                self.out_w[6].d.next = self.s2_w[6].q.val() | (self.ip_csum.val() << 16_u32);
                self.out_w[12].d.next = self.s2_w[12].q.val() | self.tcp_csum.val();
            }
            self.out_beats.d.next = self.s2_beats.q.val();
            self.out_keep.d.next = self.s2_keep.q.val();
        } else if self.consume.val() {
            for i in 0..18 {
                self.out_w[i].d.next = self.out_w[i + 2].q.val();
            }
            self.out_w[18].d.next = 0_u32.into();
            self.out_w[19].d.next = 0_u32.into();
            self.out_beats.d.next = self.out_beats.q.val() - 1;
        }

        // ================= output
        self.source.valid.next = self.out_beats.q.val() != bits::<4>(0);
        self.source.data_lo.next = self.out_w[0].q.val();
        self.source.data_hi.next = self.out_w[1].q.val();
        self.source.last.next = self.is_last.val();
        self.source.keep.next = 0xFF.into();
        if self.is_last.val() {
            self.source.keep.next = self.out_keep.q.val();
        }
    }
}

/// One descriptor as plain Rust values: the `SegmentSpec` fields the NIC varies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplyRequest {
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
    pub vlan_tci: Option<u16>,
    pub src_ip: [u8; 4],
    pub dst_ip: [u8; 4],
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub options: OptionSet,
}

impl ReplyRequest {
    /// The frame `proto` builds for this descriptor: `SegmentSpec::to_vec` with the fields
    /// `proto::synproxy::reply_spec` fixes (TOS 0, id 0, DF, TTL 64, no payload).
    pub fn frame(&self) -> Vec<u8> {
        let opts = self.options.to_bytes();
        SegmentSpec {
            src_mac: self.src_mac,
            dst_mac: self.dst_mac,
            vlan_tci: self.vlan_tci,
            src_ip: self.src_ip,
            dst_ip: self.dst_ip,
            tos: 0,
            ip_id: 0,
            dont_fragment: true,
            ttl: proto::synproxy::TTL,
            src_port: self.src_port,
            dst_port: self.dst_port,
            seq: self.seq,
            ack: self.ack,
            flags: self.flags,
            window: self.window,
            options: &opts,
            payload: &[],
        }
        .to_vec()
        .expect("at most 20 option bytes always fit")
    }

    /// The descriptor of a generated frame (for checking proto's outputs): its headers and its
    /// options read without the SYN-only rule. `None` if it does not parse as IPv4/TCP.
    pub fn from_frame(frame: &[u8]) -> Option<Self> {
        let f = proto::wire::parse(frame).ok()?;
        let (ip, tcp) = f.tcp()?;
        let raw = &frame[tcp.offset + 20..tcp.offset + tcp.header_len];
        let o = TcpOptions::parse(raw, true, 0);
        Some(ReplyRequest {
            src_mac: f.src_mac,
            dst_mac: f.dst_mac,
            vlan_tci: f.vlan_tci,
            src_ip: ip.src,
            dst_ip: ip.dst,
            src_port: tcp.src_port,
            dst_port: tcp.dst_port,
            seq: tcp.seq,
            ack: tcp.ack,
            flags: tcp.flags.0,
            window: tcp.window,
            options: OptionSet {
                mss: o.mss,
                sack_perm: o.sack_perm,
                timestamp: o.timestamp.map(|t| (t.tsval, t.tsecr)),
                wscale: o.wscale,
            },
        })
    }

    /// Set the port's descriptor inputs (not `valid`).
    pub fn drive(&self, p: &mut ReplyRequestPort) {
        let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let be16 = |b: &[u8]| u16::from_be_bytes([b[0], b[1]]) as u64;
        let o = &self.options;
        p.dst_mac_hi.next = Lane(be32(&self.dst_mac[..4]));
        p.dst_mac_lo.next = be16(&self.dst_mac[4..]).into();
        p.src_mac_hi.next = Lane(be32(&self.src_mac[..4]));
        p.src_mac_lo.next = be16(&self.src_mac[4..]).into();
        p.vlan_valid.next = self.vlan_tci.is_some();
        p.vlan_tci.next = u64::from(self.vlan_tci.unwrap_or(0)).into();
        p.src_ip.next = Lane(u32::from_be_bytes(self.src_ip));
        p.dst_ip.next = Lane(u32::from_be_bytes(self.dst_ip));
        p.src_port.next = u64::from(self.src_port).into();
        p.dst_port.next = u64::from(self.dst_port).into();
        p.seq.next = Lane(self.seq);
        p.ack.next = Lane(self.ack);
        p.flags.next = u64::from(self.flags).into();
        p.window.next = u64::from(self.window).into();
        p.mss_valid.next = o.mss.is_some();
        p.mss.next = u64::from(o.mss.unwrap_or(0)).into();
        p.sack_perm.next = o.sack_perm;
        p.ts_valid.next = o.timestamp.is_some();
        let (tsval, tsecr) = o.timestamp.unwrap_or((0, 0));
        p.tsval.next = Lane(tsval);
        p.tsecr.next = Lane(tsecr);
        p.ws_valid.next = o.wscale.is_some();
        p.ws.next = u64::from(o.wscale.unwrap_or(0)).into();
    }
}
