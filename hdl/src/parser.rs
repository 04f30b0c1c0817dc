//! [`HeaderParser`] — the header parser: one [`RecordPort`] record per frame of a 64-bit stream.
//!
//! ## Interface
//! * `clock` in.
//! * `sink`: a [`StreamSink`] (docs/hdl.md stream format), one frame per `last`. The last beat's
//!   `keep` is read as a prefix: the frame ends at its first clear bit (`keep == 0` adds nothing).
//! * `rec`: a [`RecordPort`]: `valid` out, `ready` in, and the record's fields (each at most 32
//!   bits), held stable while `valid && !ready`. One record per frame, in frame order, produced
//!   after the frame's last beat.
//! * Back-pressure: `sink.ready` drops when a completed frame waits for the record stage and the
//!   record stage is still occupied (walking options, or its record not yet taken). Nothing is
//!   dropped. `sink.ready` depends on registers only (no combinational path from `rec.ready`).
//!
//! ## What the record says ([`HeaderRecord`] is the same as plain Rust values)
//! The disposition follows `proto::nic::Nic::process`'s use of `proto::wire::parse` exactly:
//! `Tcp` (IPv4/TCP, decidable), `NotTcp` (not IP, or IPv4 without TCP: passes through),
//! `PuntFragment`, `PuntIpv6` (a well-formed IPv6 frame), `PuntMalformed` (`parse` fails: runt,
//! cut VLAN tag, bad IPv4 version/IHL/total length, IPv6 payload beyond the frame, TCP data offset
//! < 5 or beyond the segment — also for TCP in IPv6). Fields are meaningful where the model defines
//! them: Ethernet/VLAN fields when the frame parses, IPv4 fields for IPv4 dispositions, TCP fields,
//! options and checksums for `Tcp`. TCP options follow Linux `tcp_parse_options` as
//! `proto::wire::tcp_options` does, including "last option wins" and the MPTCP/TFO quirks.
//! For the frame editor (`crate::csum_update`) the record also carries the TCP checksum field
//! as received (`tcp_csum`) and the SACK edges of the SACK option that won (`sack0 .. sack7`:
//! left and right edge of block 0, then block 1, ...; 0 beyond `2 * sack_blocks`).
//!
//! ## Structure
//! * **Stream stage.** Because the IPv4 header starts 14 or 18 bytes in, every IPv4 and TCP field
//!   (the TCP header starts at `l3 + 4*IHL`) sits in a 32-bit *word* `w[k]` = frame bytes
//!   `4k+2 .. 4k+5`. Each beat yields two such words (slot X = `w[2r-1]`, from the previous beat's
//!   last two bytes and this beat's first two; slot Y = `w[2r]`), each tagged with its byte offset;
//!   fields are captured by comparing that offset with `l3 + c` or `tcp_off + c`. On the last beat
//!   a third word (slot Z, bytes `8r+6, 8r+7`) feeds only the TCP checksum (no header field can
//!   end there in a well-formed frame). The one's-complement sums (RFC 1071) are accumulated as
//!   plain 32-bit sums of 16-bit halves: the IPv4 header's words (checksum field masked) and the
//!   TCP segment's words from `tcp_off` to `l3 + total_len` (partial last word masked; checksum
//!   field masked). For timing this takes two stages: a beat's masked words are summed into a
//!   register (`ip_q`, `tcp_q`) that the next beat adds to the running sum, so the last beat's
//!   part is still in `*_q` when the frame completes; the pseudo-header's sum is a register
//!   recomputed every clock. When the frame moves to the record stage the three are added and
//!   folded.
//!   The 10 TCP option words (40 bytes) are captured into registers.
//! * **Record stage.** One cycle after the last beat the frame moves here (its disposition and
//!   checksum verdicts computed on the way) while the stream stage takes the next frame. A small
//!   walker then decodes the options, one option (or one NOP) per clock, reading a 10-byte window
//!   at the current option through a logarithmic word shifter (4 words out) and a byte shift (a
//!   4-way choice of constant shifts). The record is valid when the walker is done. The SACK
//!   edges are cut from the option words (held until the record is taken) by the same kind of
//!   word shifter (9 words out) and byte shift at the output, from the word index and byte of
//!   the winning SACK option's first edge.
//!
//! ## Throughput and latency (measured by `hdl/tests/parser.rs`)
//! * Walker steps per frame: one per option and one per NOP up to the end of the option area
//!   (EOL or an illegal length ends the walk at that step); 0 without options.
//! * Latency: the record is valid `1 + steps` clocks after the edge that takes the last beat.
//! * The record stage holds a frame for `2 + steps` clocks when `rec.ready` is high (one to move
//!   the frame in, the walk, one to hand the record over). The stream stage takes one beat per
//!   clock and stalls only when a frame completes while the record stage still holds the previous
//!   one, so a frame of `B` beats following a frame of `steps` walker steps streams without a
//!   stall when `2 + steps <= B`.
//! * Common layouts keep up with back-to-back minimum-size frames: TS-only ACK (NOP, NOP, TS:
//!   3 steps, 66 bytes = 9 beats), Linux SYN (MSS, SACK-perm, TS, NOP, WS: 5 steps, 74 bytes = 10
//!   beats), ACK with TS and SACK (6 steps, >= 78 bytes); a 60-byte frame without options (8 beats)
//!   needs 2. `keeps_up_with_minimum_size_frames` checks one beat per clock for such a stream.
//! * Worst case: 40 one-byte NOPs = 40 steps, 42 clocks per frame in the record stage; such frames
//!   are at least 94 bytes (12 beats), so a stream made only of them runs at 12/42 of line rate.
//! * Frame length is a 32-bit byte count.
//!
//! State powers up idle (all registers zero); there is no reset input.

use crate::lane::Lane;
use crate::stream::StreamSink;
use proto::wire::{self, Payload};
use rust_hdl::prelude::*;

/// Dispositions (the `disposition` field).
pub const DISP_TCP: u64 = 0;
pub const DISP_NOT_TCP: u64 = 1;
pub const DISP_PUNT_FRAGMENT: u64 = 2;
pub const DISP_PUNT_IPV6: u64 = 3;
pub const DISP_PUNT_MALFORMED: u64 = 4;

/// Ethertype classes (the `eth_class` field).
pub const CLASS_IPV4_TCP: u64 = 0;
pub const CLASS_IPV4_OTHER: u64 = 1;
pub const CLASS_IPV6: u64 = 2;
pub const CLASS_OTHER: u64 = 3;

/// The record output: `valid`/`ready` and the fields of one frame's headers.
#[derive(LogicInterface, Default)]
pub struct RecordPort {
    pub valid: Signal<Out, Bit>,
    pub ready: Signal<In, Bit>,
    /// `DISP_*`.
    pub disposition: Signal<Out, Bits<3>>,
    /// `CLASS_*`: by ethertype, and for IPv4 by protocol.
    pub eth_class: Signal<Out, Bits<2>>,
    /// Bytes in the frame.
    pub frame_len: Signal<Out, Lane>,
    pub vlan: Signal<Out, Bit>,
    pub vlan_tci: Signal<Out, Bits<16>>,
    /// The frame's first 12 bytes (destination and source MAC) as three big-endian words, for
    /// the frames the NIC generates in reply.
    pub eth0: Signal<Out, Lane>,
    pub eth1: Signal<Out, Lane>,
    pub eth2: Signal<Out, Lane>,
    /// Byte offset of the IP header (14 or 18).
    pub ip_off: Signal<Out, Bits<8>>,
    pub ihl: Signal<Out, Bits<4>>,
    pub total_len: Signal<Out, Bits<16>>,
    /// More-fragments set or a non-zero fragment offset.
    pub fragment: Signal<Out, Bit>,
    pub src_ip: Signal<Out, Lane>,
    pub dst_ip: Signal<Out, Lane>,
    pub protocol: Signal<Out, Bits<8>>,
    /// Byte offset of the TCP header.
    pub tcp_off: Signal<Out, Bits<8>>,
    pub src_port: Signal<Out, Bits<16>>,
    pub dst_port: Signal<Out, Bits<16>>,
    pub seq: Signal<Out, Lane>,
    pub ack: Signal<Out, Lane>,
    pub flags: Signal<Out, Bits<8>>,
    pub window: Signal<Out, Bits<16>>,
    /// TCP data offset in 32-bit words.
    pub data_off: Signal<Out, Bits<4>>,
    pub payload_len: Signal<Out, Bits<16>>,
    /// MSS (SYN only, non-zero); 0 = none.
    pub mss: Signal<Out, Bits<16>>,
    pub ws_valid: Signal<Out, Bit>,
    /// Window scale as sent (unclamped).
    pub ws: Signal<Out, Bits<8>>,
    pub sack_perm: Signal<Out, Bit>,
    pub ts_valid: Signal<Out, Bit>,
    pub tsval: Signal<Out, Lane>,
    pub tsecr: Signal<Out, Lane>,
    /// Frame offset of TSval.
    pub ts_off: Signal<Out, Bits<8>>,
    /// SACK blocks (0..4) and the frame offset of the first left edge.
    pub sack_blocks: Signal<Out, Bits<3>>,
    pub sack_off: Signal<Out, Bits<8>>,
    /// The SACK block edges as received (left0, right0, left1, ... : the 32-bit words at
    /// `sack_off + 4k`), 0 beyond `2 * sack_blocks` (all 0 without SACK).
    pub sack0: Signal<Out, Lane>,
    pub sack1: Signal<Out, Lane>,
    pub sack2: Signal<Out, Lane>,
    pub sack3: Signal<Out, Lane>,
    pub sack4: Signal<Out, Lane>,
    pub sack5: Signal<Out, Lane>,
    pub sack6: Signal<Out, Lane>,
    pub sack7: Signal<Out, Lane>,
    pub md5: Signal<Out, Bit>,
    pub tfo_valid: Signal<Out, Bit>,
    pub tfo_len: Signal<Out, Bits<8>>,
    pub mptcp_valid: Signal<Out, Bit>,
    pub mptcp_subtype: Signal<Out, Bits<4>>,
    pub unknown_opts: Signal<Out, Bits<8>>,
    pub opts_truncated: Signal<Out, Bit>,
    pub ip_csum_ok: Signal<Out, Bit>,
    pub tcp_csum_ok: Signal<Out, Bit>,
    /// The TCP checksum field as received (bytes `tcp_off + 16 ..= tcp_off + 17`).
    pub tcp_csum: Signal<Out, Bits<16>>,
}

/// The header parser block. See the [module docs](self).
#[derive(LogicBlock, Default)]
pub struct HeaderParser {
    pub clock: Signal<In, Clock>,
    pub sink: StreamSink,
    pub rec: RecordPort,

    // ---- stream stage: per-cycle locals
    /// A beat moves this cycle.
    take: Signal<Local, Bit>,
    /// The completed frame moves to the record stage this cycle.
    xfer: Signal<Local, Bit>,
    /// Slot words X (0) and Y (1) and their frame byte offsets.
    sword: [Signal<Local, Lane>; 2],
    soff: [Signal<Local, Lane>; 2],
    /// The slot words' contributions to the TCP and IPv4 header sums (masked, 0 outside).
    tword: [Signal<Local, Lane>; 2],
    iword: [Signal<Local, Lane>; 2],
    /// Option word index (0..9) of each slot, 255 outside the option area.
    oidx: [Signal<Local, Bits<8>>; 2],
    /// Slot Z of the last beat (bytes 8r+6, 8r+7) and its TCP sum contribution.
    zword: Signal<Local, Lane>,
    ztword: Signal<Local, Lane>,
    /// Kept bytes in this beat (prefix of `keep`).
    lastn: Signal<Local, Lane>,
    /// Mask of the bytes inside the segment for a word that the segment's end cuts: the
    /// word's offset is `seg_end - d` (d = 1..3, and `d % 4 == (2 - seg_end) % 4` for every
    /// slot, the beat offset being a multiple of 8).
    pm2: Signal<Local, Bits<2>>,
    pmask: Signal<Local, Lane>,

    // ---- stream stage: registers
    boff: DFF<Lane>,
    /// Slot X's offset `boff - 2` as a register, stored XOR 0xFFFF_FFFE so that it powers up
    /// (and restarts each frame) as -2: the first beat's slot X is outside every field.
    soff0x: DFF<Lane>,
    bidx: DFF<Bits<4>>,
    /// Beat 0 (bytes 0..7) and the first word of beat 1 (bytes 8..11): the MAC addresses.
    eth0: DFF<Lane>,
    eth1: DFF<Lane>,
    eth2: DFF<Lane>,
    mid: DFF<Bit>,
    prev_hi: DFF<Lane>,
    pending: DFF<Bit>,
    flen: DFF<Lane>,
    l3: DFF<Lane>,
    vlan: DFF<Bit>,
    tci: DFF<Bits<16>>,
    et: DFF<Bits<16>>,
    ipw0: DFF<Lane>,
    ipw1: DFF<Lane>,
    ipw2: DFF<Lane>,
    src: DFF<Lane>,
    dst: DFF<Lane>,
    v6w: DFF<Lane>,
    seg_end: DFF<Lane>,
    tcp_off: DFF<Lane>,
    tw0: DFF<Lane>,
    tw1: DFF<Lane>,
    tw2: DFF<Lane>,
    tw3: DFF<Lane>,
    tw4: DFF<Lane>,
    /// Sums of 16-bit halves of the frame so far, except the beat taken last, whose
    /// contributions wait in `ip_q` / `tcp_q` (so the masking and the additions are two stages).
    ip_acc: DFF<Lane>,
    tcp_acc: DFF<Lane>,
    ip_q: DFF<Lane>,
    tcp_q: DFF<Lane>,
    /// The pseudo-header's sum (RFC 793 §3.1), recomputed every clock from the captured
    /// source, destination and segment length; they are final at least one clock before the
    /// frame's last beat when the frame is `Tcp`, so it is ready when the frame moves on.
    phdr: DFF<Lane>,
    opt: [DFF<Lane>; 10],

    // ---- transfer: derived values (locals)
    x_flen: Signal<Local, Bits<32>>,
    x_ihl4: Signal<Local, Bits<16>>,
    x_total: Signal<Local, Bits<16>>,
    x_seglen: Signal<Local, Bits<16>>,
    x_doff4: Signal<Local, Bits<16>>,
    x_plen: Signal<Local, Bits<16>>,
    x_v6doff4: Signal<Local, Bits<16>>,
    x_proto: Signal<Local, Bits<8>>,
    x_disp: Signal<Local, Bits<3>>,
    x_class: Signal<Local, Bits<2>>,
    tsum: Signal<Local, Lane>,
    isum: Signal<Local, Lane>,

    // ---- record stage: registers
    busy: DFF<Bit>,
    walk: DFF<Bit>,
    r_disp: DFF<Bits<3>>,
    r_class: DFF<Bits<2>>,
    r_flen: DFF<Lane>,
    r_vlan: DFF<Bit>,
    r_tci: DFF<Bits<16>>,
    r_eth0: DFF<Lane>,
    r_eth1: DFF<Lane>,
    r_eth2: DFF<Lane>,
    r_l3: DFF<Lane>,
    r_ipw0: DFF<Lane>,
    r_ipw1: DFF<Lane>,
    r_ipw2: DFF<Lane>,
    r_src: DFF<Lane>,
    r_dst: DFF<Lane>,
    r_seg_end: DFF<Lane>,
    r_tcp_off: DFF<Lane>,
    r_tw0: DFF<Lane>,
    r_seq: DFF<Lane>,
    r_ack: DFF<Lane>,
    r_tw3: DFF<Lane>,
    r_csum: DFF<Bits<16>>,
    r_ipok: DFF<Bit>,
    r_tcpok: DFF<Bit>,
    r_syn: DFF<Bit>,
    w: [DFF<Lane>; 10],
    pos: DFF<Lane>,
    pos8: DFF<Bits<8>>,
    pw: DFF<Bits<8>>,
    optlen8: DFF<Bits<8>>,
    o_mss: DFF<Bits<16>>,
    o_wsv: DFF<Bit>,
    o_ws: DFF<Bits<8>>,
    o_sackp: DFF<Bit>,
    o_tsv: DFF<Bit>,
    o_tsval: DFF<Lane>,
    o_tsecr: DFF<Lane>,
    o_tsoff: DFF<Lane>,
    o_sackn: DFF<Bits<3>>,
    o_sackoff: DFF<Lane>,
    /// Option word holding the first SACK edge's first byte, and that byte's index in it.
    o_sackpw: DFF<Bits<8>>,
    o_sackb: DFF<Bits<2>>,
    o_md5: DFF<Bit>,
    o_tfov: DFF<Bit>,
    o_tfolen: DFF<Bits<8>>,
    o_mpv: DFF<Bit>,
    o_mpsub: DFF<Bits<4>>,
    o_unk: DFF<Bits<8>>,
    o_trunc: DFF<Bit>,

    // ---- walker locals
    /// Option words pw .. pw+3.
    wsel: [Signal<Local, Lane>; 4],
    /// Option bytes pos .. pos+3, pos+4 .. pos+7, pos+8 .. pos+11.
    wa: Signal<Local, Lane>,
    wb: Signal<Local, Lane>,
    wc: Signal<Local, Lane>,
    /// pos % 4.
    pb: Signal<Local, Bits<2>>,
    /// The word shifter's index bits and stages (by 1, 2 words).
    pwl: Signal<Local, Bits<4>>,
    wl1: [Signal<Local, Lane>; 10],
    wl2: [Signal<Local, Lane>; 10],
    okind: Signal<Local, Bits<8>>,
    olen: Signal<Local, Bits<8>>,

    // ---- SACK edge output locals
    /// Option words o_sackpw .. o_sackpw+8, and the 8 edges cut from them.
    ssel: [Signal<Local, Lane>; 9],
    sedge: [Signal<Local, Lane>; 8],
    spl: Signal<Local, Bits<4>>,
    sl1: [Signal<Local, Lane>; 10],
    sl2: [Signal<Local, Lane>; 10],
    sl3: [Signal<Local, Lane>; 10],
}

impl Logic for HeaderParser {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, boff, soff0x, bidx, eth0, eth1, eth2, r_eth0, r_eth1, r_eth2, mid,
            prev_hi, pending, flen, l3, vlan, tci, et, ipw0, ipw1, ipw2, src, dst, v6w, seg_end,
            tcp_off, tw0, tw1, tw2, tw3, tw4, ip_acc, tcp_acc, ip_q, tcp_q, phdr, busy, walk,
            r_disp, r_class, r_flen, r_vlan, r_tci, r_l3, r_ipw0, r_ipw1, r_ipw2, r_src, r_dst,
            r_seg_end, r_tcp_off, r_tw0, r_seq, r_ack, r_tw3, r_csum, r_ipok, r_tcpok, r_syn, pos,
            pos8, pw, optlen8, o_mss, o_wsv, o_ws, o_sackp, o_tsv, o_tsval, o_tsecr, o_tsoff,
            o_sackn, o_sackoff, o_sackpw, o_sackb, o_md5, o_tfov, o_tfolen, o_mpv, o_mpsub, o_unk,
            o_trunc
        );
        for j in 0..10 {
            self.opt[j].clock.next = self.clock.val();
            self.opt[j].d.next = self.opt[j].q.val();
            self.w[j].clock.next = self.clock.val();
            self.w[j].d.next = self.w[j].q.val();
        }

        // ================= handshake
        self.sink.ready.next = (!self.pending.q.val()) || (!self.busy.q.val());
        self.take.next = self.sink.valid.val() && ((!self.pending.q.val()) || (!self.busy.q.val()));
        self.xfer.next = self.pending.q.val() && (!self.busy.q.val());

        // ================= slot words
        self.sword[0].next = (self.prev_hi.q.val() << 16_u32) | (self.sink.data_lo.val() >> 16_u32);
        self.soff[0].next = self.soff0x.q.val() ^ 0xFFFF_FFFE_u32;
        self.sword[1].next =
            (self.sink.data_lo.val() << 16_u32) | (self.sink.data_hi.val() >> 16_u32);
        self.soff[1].next = self.boff.q.val() | 2_u32; // boff is a multiple of 8
        self.zword.next = self.sink.data_hi.val() << 16_u32;

        // Kept bytes: the prefix of keep.
        self.lastn.next = 0_u32.into();
        if self.sink.keep.val().get_bit(0) {
            self.lastn.next = 1_u32.into();
            if self.sink.keep.val().get_bit(1) {
                self.lastn.next = 2_u32.into();
                if self.sink.keep.val().get_bit(2) {
                    self.lastn.next = 3_u32.into();
                    if self.sink.keep.val().get_bit(3) {
                        self.lastn.next = 4_u32.into();
                        if self.sink.keep.val().get_bit(4) {
                            self.lastn.next = 5_u32.into();
                            if self.sink.keep.val().get_bit(5) {
                                self.lastn.next = 6_u32.into();
                                if self.sink.keep.val().get_bit(6) {
                                    self.lastn.next = 7_u32.into();
                                    if self.sink.keep.val().get_bit(7) {
                                        self.lastn.next = 8_u32.into();
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        self.pm2.next = bit_cast::<2, 32>(((self.seg_end.q.val() ^ 3_u32) + 3_u32).into());
        self.pmask.next = 0xFFFF_FFFF_u32.into();
        if self.pm2.val() == 1 {
            self.pmask.next = 0xFFFF_FF00_u32.into();
        }
        if self.pm2.val() == 2 {
            self.pmask.next = 0xFFFF_0000_u32.into();
        }
        if self.pm2.val() == 3 {
            self.pmask.next = 0xFF00_0000_u32.into();
        }

        // Sum contributions and option word indices of the two slots.
        for i in 0..2 {
            self.tword[i].next = 0_u32.into();
            if (self.soff[i].val() >= self.tcp_off.q.val())
                && (self.soff[i].val() < self.seg_end.q.val())
            {
                if (self.soff[i].val() + 4_u32) <= self.seg_end.q.val() {
                    self.tword[i].next = self.sword[i].val();
                    if self.soff[i].val() == (self.tcp_off.q.val() + 16_u32) {
                        self.tword[i].next = self.sword[i].val() & 0xFFFF_u32;
                    }
                } else {
                    self.tword[i].next = self.sword[i].val() & self.pmask.val();
                }
            }
            self.iword[i].next = 0_u32.into();
            if (self.soff[i].val() >= self.l3.q.val())
                && ((self.soff[i].val() < (self.l3.q.val() + 20_u32))
                    || (self.soff[i].val() < self.tcp_off.q.val()))
            {
                self.iword[i].next = self.sword[i].val();
                if self.soff[i].val() == (self.l3.q.val() + 8_u32) {
                    self.iword[i].next = self.sword[i].val() & 0xFFFF_0000_u32;
                }
            }
        }
        // (Unrolled: rust-hdl evaluates a cast's width outside the loop.)
        self.oidx[0].next = 255.into();
        if (self.soff[0].val() >= (self.tcp_off.q.val() + 20_u32))
            && (self.soff[0].val() < (self.tcp_off.q.val() + 60_u32))
        {
            self.oidx[0].next = bit_cast::<8, 32>(
                ((self.soff[0].val() - (self.tcp_off.q.val() + 20_u32)) >> 2_u32).into(),
            );
        }
        self.oidx[1].next = 255.into();
        if (self.soff[1].val() >= (self.tcp_off.q.val() + 20_u32))
            && (self.soff[1].val() < (self.tcp_off.q.val() + 60_u32))
        {
            self.oidx[1].next = bit_cast::<8, 32>(
                ((self.soff[1].val() - (self.tcp_off.q.val() + 20_u32)) >> 2_u32).into(),
            );
        }
        self.ztword.next = 0_u32.into();
        if self.sink.last.val()
            && ((self.boff.q.val() + 6_u32) >= self.tcp_off.q.val())
            && ((self.boff.q.val() + 6_u32) < self.seg_end.q.val())
        {
            if (self.boff.q.val() + 10_u32) <= self.seg_end.q.val() {
                self.ztword.next = self.zword.val();
            } else {
                self.ztword.next = self.zword.val() & self.pmask.val();
            }
        }

        // ================= stream stage registers
        if self.xfer.val() {
            self.pending.d.next = false;
        }
        if self.take.val() {
            self.prev_hi.d.next = self.sink.data_hi.val();
            self.boff.d.next = self.boff.q.val() + 8_u32;
            self.soff0x.d.next = (self.boff.q.val() + 6_u32) ^ 0xFFFF_FFFE_u32;
            if self.bidx.q.val() != 15 {
                self.bidx.d.next = self.bidx.q.val() + 1;
            }
            self.mid.d.next = !self.sink.last.val();
            if self.mid.q.val() {
                self.ip_acc.d.next = self.ip_acc.q.val() + self.ip_q.q.val();
                self.ip_q.d.next = ((self.iword[0].val() >> 16_u32)
                    + (self.iword[0].val() & 0xFFFF_u32))
                    + ((self.iword[1].val() >> 16_u32) + (self.iword[1].val() & 0xFFFF_u32));
                self.tcp_acc.d.next = self.tcp_acc.q.val() + self.tcp_q.q.val();
                self.tcp_q.d.next = (((self.tword[0].val() >> 16_u32)
                    + (self.tword[0].val() & 0xFFFF_u32))
                    + ((self.tword[1].val() >> 16_u32) + (self.tword[1].val() & 0xFFFF_u32)))
                    + (self.ztword.val() >> 16_u32);
            } else {
                // First beat: nothing of the IP header can be in it.
                self.ip_acc.d.next = 0_u32.into();
                self.tcp_acc.d.next = 0_u32.into();
                self.ip_q.d.next = 0_u32.into();
                self.tcp_q.d.next = 0_u32.into();
                self.seg_end.d.next = 0_u32.into();
                self.l3.d.next = 14_u32.into();
            }
            // The MAC addresses (beat 0 and the first word of beat 1).
            if self.bidx.q.val() == 0 {
                self.eth0.d.next = self.sink.data_lo.val();
                self.eth1.d.next = self.sink.data_hi.val();
            }
            if self.bidx.q.val() == 1 {
                self.eth2.d.next = self.sink.data_lo.val();
            }
            // Ethertype (bytes 12..13, slot Y of beat 1) and the VLAN tag (slot X of beat 2).
            if self.bidx.q.val() == 1 {
                self.et.d.next = bit_cast::<16, 32>(self.sword[1].val().into());
                self.vlan.d.next = bit_cast::<16, 32>(self.sword[1].val().into()) == 0x8100;
                if bit_cast::<16, 32>(self.sword[1].val().into()) == 0x8100 {
                    self.l3.d.next = 18_u32.into();
                } else {
                    self.l3.d.next = 14_u32.into();
                }
            }
            if (self.bidx.q.val() == 2) && self.vlan.q.val() {
                self.tci.d.next = bit_cast::<16, 32>((self.sword[0].val() >> 16_u32).into());
                self.et.d.next = bit_cast::<16, 32>(self.sword[0].val().into());
            }
            for i in 0..2 {
                if self.soff[i].val() == self.l3.q.val() {
                    self.ipw0.d.next = self.sword[i].val();
                    self.seg_end.d.next = self.l3.q.val() + (self.sword[i].val() & 0xFFFF_u32);
                    self.tcp_off.d.next =
                        self.l3.q.val() + ((self.sword[i].val() >> 22_u32) & 0x3C_u32);
                }
                if self.soff[i].val() == (self.l3.q.val() + 4_u32) {
                    self.ipw1.d.next = self.sword[i].val();
                }
                if self.soff[i].val() == (self.l3.q.val() + 8_u32) {
                    self.ipw2.d.next = self.sword[i].val();
                }
                if self.soff[i].val() == (self.l3.q.val() + 12_u32) {
                    self.src.d.next = self.sword[i].val();
                }
                if self.soff[i].val() == (self.l3.q.val() + 16_u32) {
                    self.dst.d.next = self.sword[i].val();
                }
                if self.soff[i].val() == (self.l3.q.val() + 52_u32) {
                    self.v6w.d.next = self.sword[i].val();
                }
                if self.soff[i].val() == self.tcp_off.q.val() {
                    self.tw0.d.next = self.sword[i].val();
                }
                if self.soff[i].val() == (self.tcp_off.q.val() + 4_u32) {
                    self.tw1.d.next = self.sword[i].val();
                }
                if self.soff[i].val() == (self.tcp_off.q.val() + 8_u32) {
                    self.tw2.d.next = self.sword[i].val();
                }
                if self.soff[i].val() == (self.tcp_off.q.val() + 12_u32) {
                    self.tw3.d.next = self.sword[i].val();
                }
                if self.soff[i].val() == (self.tcp_off.q.val() + 16_u32) {
                    self.tw4.d.next = self.sword[i].val();
                }
                for j in 0..10 {
                    if self.oidx[i].val().index() == j {
                        self.opt[j].d.next = self.sword[i].val();
                    }
                }
            }
            if self.sink.last.val() {
                self.flen.d.next = self.boff.q.val() + self.lastn.val();
                self.pending.d.next = true;
                self.boff.d.next = 0_u32.into();
                self.soff0x.d.next = 0_u32.into();
                self.bidx.d.next = 0.into();
            }
        }

        // ================= classification of the completed frame (from stream-stage registers)
        self.x_flen.next = self.flen.q.val().into();
        self.x_ihl4.next = bit_cast::<16, 32>(((self.ipw0.q.val() >> 22_u32) & 0x3C_u32).into());
        self.x_total.next = bit_cast::<16, 32>(self.ipw0.q.val().into());
        self.x_seglen.next = bit_cast::<16, 32>(
            ((self.ipw0.q.val() & 0xFFFF_u32) - ((self.ipw0.q.val() >> 22_u32) & 0x3C_u32)).into(),
        );
        self.x_doff4.next = bit_cast::<16, 32>(((self.tw3.q.val() >> 26_u32) & 0x3C_u32).into());
        self.x_plen.next = bit_cast::<16, 32>((self.ipw1.q.val() >> 16_u32).into());
        self.x_v6doff4.next = bit_cast::<16, 32>(((self.v6w.q.val() >> 26_u32) & 0x3C_u32).into());
        self.x_proto.next = bit_cast::<8, 32>((self.ipw2.q.val() >> 16_u32).into());
        self.phdr.d.next = (((self.src.q.val() >> 16_u32) + (self.src.q.val() & 0xFFFF_u32))
            + ((self.dst.q.val() >> 16_u32) + (self.dst.q.val() & 0xFFFF_u32)))
            + ((self.seg_end.q.val() - self.tcp_off.q.val()) + 6_u32);
        self.tsum.next = (self.tcp_acc.q.val() + self.tcp_q.q.val()) + self.phdr.q.val();
        self.isum.next = self.ip_acc.q.val() + self.ip_q.q.val();

        self.x_disp.next = 4.into(); // DISP_PUNT_MALFORMED
        self.x_class.next = 3.into(); // CLASS_OTHER
        if (self.x_flen.val() >= 14) && ((!self.vlan.q.val()) || (self.x_flen.val() >= 18)) {
            if self.et.q.val() == 0x0800 {
                if self.x_proto.val() == 6 {
                    self.x_class.next = 0.into(); // CLASS_IPV4_TCP
                } else {
                    self.x_class.next = 1.into(); // CLASS_IPV4_OTHER
                }
                if (bit_cast::<4, 32>((self.ipw0.q.val() >> 28_u32).into()) == 4)
                    && (self.x_ihl4.val() >= 20)
                    && (self.x_total.val() >= self.x_ihl4.val())
                    && ((self.l3.q.val() + (self.ipw0.q.val() & 0xFFFF_u32)) <= self.flen.q.val())
                {
                    if bit_cast::<14, 32>(self.ipw1.q.val().into()).any() {
                        self.x_disp.next = 2.into(); // DISP_PUNT_FRAGMENT
                    } else if self.x_proto.val() != 6 {
                        self.x_disp.next = 1.into(); // DISP_NOT_TCP
                    } else if (self.x_seglen.val() >= 20)
                        && (self.x_doff4.val() >= 20)
                        && (self.x_doff4.val() <= self.x_seglen.val())
                    {
                        self.x_disp.next = 0.into(); // DISP_TCP
                    }
                }
            } else if self.et.q.val() == 0x86DD {
                self.x_class.next = 2.into(); // CLASS_IPV6
                if (bit_cast::<4, 32>((self.ipw0.q.val() >> 28_u32).into()) == 6)
                    && ((self.l3.q.val() + 40_u32) <= self.flen.q.val())
                    && (((self.l3.q.val() + 40_u32) + (self.ipw1.q.val() >> 16_u32))
                        <= self.flen.q.val())
                {
                    if bit_cast::<8, 32>((self.ipw1.q.val() >> 8_u32).into()) == 6 {
                        if (self.x_plen.val() >= 20)
                            && (self.x_v6doff4.val() >= 20)
                            && (self.x_v6doff4.val() <= self.x_plen.val())
                        {
                            self.x_disp.next = 3.into(); // DISP_PUNT_IPV6
                        }
                    } else {
                        self.x_disp.next = 3.into(); // DISP_PUNT_IPV6
                    }
                }
            } else {
                self.x_disp.next = 1.into(); // DISP_NOT_TCP
            }
        }

        // ================= record stage
        if self.busy.q.val() && (!self.walk.q.val()) && self.rec.ready.val() {
            self.busy.d.next = false;
        }
        if self.xfer.val() {
            self.busy.d.next = true;
            self.r_disp.d.next = self.x_disp.val();
            self.r_class.d.next = self.x_class.val();
            self.r_flen.d.next = self.flen.q.val();
            self.r_vlan.d.next = self.vlan.q.val();
            self.r_tci.d.next = self.tci.q.val();
            self.r_eth0.d.next = self.eth0.q.val();
            self.r_eth1.d.next = self.eth1.q.val();
            self.r_eth2.d.next = self.eth2.q.val();
            self.r_l3.d.next = self.l3.q.val();
            self.r_ipw0.d.next = self.ipw0.q.val();
            self.r_ipw1.d.next = self.ipw1.q.val();
            self.r_ipw2.d.next = self.ipw2.q.val();
            self.r_src.d.next = self.src.q.val();
            self.r_dst.d.next = self.dst.q.val();
            self.r_seg_end.d.next = self.seg_end.q.val();
            self.r_tcp_off.d.next = self.tcp_off.q.val();
            self.r_tw0.d.next = self.tw0.q.val();
            self.r_seq.d.next = self.tw1.q.val();
            self.r_ack.d.next = self.tw2.q.val();
            self.r_tw3.d.next = self.tw3.q.val();
            self.r_csum.d.next = bit_cast::<16, 32>((self.tw4.q.val() >> 16_u32).into());
            // IPv4 header: !fold(sum without the checksum field) == checksum field.
            self.r_ipok.d.next = bit_cast::<16, 32>(
                (((((self.isum.val() & 0xFFFF_u32) + (self.isum.val() >> 16_u32)) & 0xFFFF_u32)
                    + (((self.isum.val() & 0xFFFF_u32) + (self.isum.val() >> 16_u32)) >> 16_u32))
                    ^ (self.ipw2.q.val() & 0xFFFF_u32))
                    .into(),
            ) == 0xFFFF;
            self.r_tcpok.d.next = bit_cast::<16, 32>(
                (((((self.tsum.val() & 0xFFFF_u32) + (self.tsum.val() >> 16_u32)) & 0xFFFF_u32)
                    + (((self.tsum.val() & 0xFFFF_u32) + (self.tsum.val() >> 16_u32)) >> 16_u32))
                    ^ (self.tw4.q.val() >> 16_u32))
                    .into(),
            ) == 0xFFFF;
            self.r_syn.d.next = bit_cast::<1, 32>((self.tw3.q.val() >> 17_u32).into()).any();
            // Walk the options of a `Tcp` (disposition 0) frame that has any.
            self.walk.d.next = (self.x_disp.val() == 0) && (self.x_doff4.val() > 20);
            self.pos.d.next = 0_u32.into();
            self.pos8.d.next = 0.into();
            self.pw.d.next = 0.into();
            self.optlen8.d.next = bit_cast::<8, 16>(self.x_doff4.val()) - 20;
            self.o_mss.d.next = 0.into();
            self.o_wsv.d.next = false;
            self.o_ws.d.next = 0.into();
            self.o_sackp.d.next = false;
            self.o_tsv.d.next = false;
            self.o_tsval.d.next = 0_u32.into();
            self.o_tsecr.d.next = 0_u32.into();
            self.o_tsoff.d.next = 0_u32.into();
            self.o_sackn.d.next = 0.into();
            self.o_sackoff.d.next = 0_u32.into();
            self.o_sackpw.d.next = 0.into();
            self.o_sackb.d.next = 0.into();
            self.o_md5.d.next = false;
            self.o_tfov.d.next = false;
            self.o_tfolen.d.next = 0.into();
            self.o_mpv.d.next = false;
            self.o_mpsub.d.next = 0.into();
            self.o_unk.d.next = 0.into();
            self.o_trunc.d.next = false;
            for j in 0..10 {
                self.w[j].d.next = self.opt[j].q.val();
            }
        }

        // ================= option walker
        // wsel[k] = w[pw + k] (0 past w[9]), a logarithmic word shifter (pw <= 10).
        self.pwl.next = bit_cast::<4, 8>(self.pw.q.val());
        for k in 0..10 {
            self.wl1[k].next = self.w[k].q.val();
        }
        for k in 0..9 {
            if self.pwl.val().get_bit(0) {
                self.wl1[k].next = self.w[k + 1].q.val();
            }
        }
        for k in 9..10 {
            if self.pwl.val().get_bit(0) {
                self.wl1[k].next = 0_u32.into();
            }
        }
        for k in 0..10 {
            self.wl2[k].next = self.wl1[k].val();
        }
        for k in 0..8 {
            if self.pwl.val().get_bit(1) {
                self.wl2[k].next = self.wl1[k + 2].val();
            }
        }
        for k in 8..10 {
            if self.pwl.val().get_bit(1) {
                self.wl2[k].next = 0_u32.into();
            }
        }
        // Shifts by 4 and by 8 words at once (pw <= 10 never sets both bits).
        for k in 0..4 {
            self.wsel[k].next = self.wl2[k].val();
            if self.pwl.val().get_bit(2) {
                self.wsel[k].next = self.wl2[k + 4].val();
            }
            if self.pwl.val().get_bit(3) {
                self.wsel[k].next = 0_u32.into();
            }
        }
        for k in 0..2 {
            if self.pwl.val().get_bit(3) {
                self.wsel[k].next = self.wl2[k + 8].val();
            }
        }
        // Byte shift by pos % 4 as a 4-way choice of constant shifts.
        self.pb.next = bit_cast::<2, 32>(self.pos.q.val().into());
        self.wa.next = self.wsel[0].val();
        self.wb.next = self.wsel[1].val();
        self.wc.next = self.wsel[2].val();
        if self.pb.val() == 1 {
            self.wa.next = (self.wsel[0].val() << 8_u32) | (self.wsel[1].val() >> 24_u32);
            self.wb.next = (self.wsel[1].val() << 8_u32) | (self.wsel[2].val() >> 24_u32);
            self.wc.next = (self.wsel[2].val() << 8_u32) | (self.wsel[3].val() >> 24_u32);
        }
        if self.pb.val() == 2 {
            self.wa.next = (self.wsel[0].val() << 16_u32) | (self.wsel[1].val() >> 16_u32);
            self.wb.next = (self.wsel[1].val() << 16_u32) | (self.wsel[2].val() >> 16_u32);
            self.wc.next = (self.wsel[2].val() << 16_u32) | (self.wsel[3].val() >> 16_u32);
        }
        if self.pb.val() == 3 {
            self.wa.next = (self.wsel[0].val() << 24_u32) | (self.wsel[1].val() >> 8_u32);
            self.wb.next = (self.wsel[1].val() << 24_u32) | (self.wsel[2].val() >> 8_u32);
            self.wc.next = (self.wsel[2].val() << 24_u32) | (self.wsel[3].val() >> 8_u32);
        }
        self.okind.next = bit_cast::<8, 32>((self.wa.val() >> 24_u32).into());
        self.olen.next = bit_cast::<8, 32>((self.wa.val() >> 16_u32).into());

        if self.walk.q.val() {
            if (self.pos8.q.val() >= self.optlen8.q.val()) || (self.okind.val() == 0) {
                self.walk.d.next = false;
            } else if self.okind.val() == 1 {
                self.pos.d.next = self.pos.q.val() + 1_u32;
                self.pos8.d.next = self.pos8.q.val() + 1;
                self.pw.d.next = bit_cast::<8, 32>(((self.pos.q.val() + 1_u32) >> 2_u32).into());
                if (self.pos8.q.val() + 1) >= self.optlen8.q.val() {
                    self.walk.d.next = false;
                }
            } else if (self.olen.val() < 2)
                || (self.olen.val() > (self.optlen8.q.val() - self.pos8.q.val()))
            {
                self.o_trunc.d.next = true;
                self.walk.d.next = false;
            } else {
                if self.okind.val() == 2 {
                    if (self.olen.val() == 4)
                        && self.r_syn.q.val()
                        && bit_cast::<16, 32>(self.wa.val().into()).any()
                    {
                        self.o_mss.d.next = bit_cast::<16, 32>(self.wa.val().into());
                    }
                } else if self.okind.val() == 3 {
                    if (self.olen.val() == 3) && self.r_syn.q.val() {
                        self.o_wsv.d.next = true;
                        self.o_ws.d.next = bit_cast::<8, 32>((self.wa.val() >> 8_u32).into());
                    }
                } else if self.okind.val() == 4 {
                    if (self.olen.val() == 2) && self.r_syn.q.val() {
                        self.o_sackp.d.next = true;
                    }
                } else if self.okind.val() == 8 {
                    if self.olen.val() == 10 {
                        self.o_tsv.d.next = true;
                        self.o_tsval.d.next = (self.wa.val() << 16_u32) | (self.wb.val() >> 16_u32);
                        self.o_tsecr.d.next = (self.wb.val() << 16_u32) | (self.wc.val() >> 16_u32);
                        self.o_tsoff.d.next = (self.r_tcp_off.q.val() + self.pos.q.val()) + 22_u32;
                    }
                } else if self.okind.val() == 5 {
                    if (self.olen.val() >= 10) && (((self.olen.val() - 2) & 7) == 0) {
                        self.o_sackn.d.next =
                            bit_cast::<3, 32>(((self.wa.val() >> 16_u32) >> 3_u32).into());
                        self.o_sackoff.d.next =
                            (self.r_tcp_off.q.val() + self.pos.q.val()) + 22_u32;
                        self.o_sackpw.d.next =
                            bit_cast::<8, 32>(((self.pos.q.val() + 2_u32) >> 2_u32).into());
                        self.o_sackb.d.next = bit_cast::<2, 32>((self.pos.q.val() + 2_u32).into());
                    }
                } else if self.okind.val() == 19 {
                    self.o_md5.d.next = true;
                } else if self.okind.val() == 30 {
                    if self.olen.val() > 2 {
                        self.o_mpv.d.next = true;
                        self.o_mpsub.d.next = bit_cast::<4, 32>((self.wa.val() >> 12_u32).into());
                    } else {
                        self.o_mpv.d.next = false;
                    }
                } else if self.okind.val() == 34 {
                    self.o_tfov.d.next = true;
                    self.o_tfolen.d.next = self.olen.val() - 2;
                } else if self.okind.val() == 254 {
                    if (self.olen.val() >= 4)
                        && (bit_cast::<16, 32>(self.wa.val().into()) == 0xF989)
                    {
                        self.o_tfov.d.next = true;
                        self.o_tfolen.d.next = self.olen.val() - 4;
                    }
                } else {
                    self.o_unk.d.next = self.o_unk.q.val() + 1;
                }
                self.pos.d.next = self.pos.q.val() + ((self.wa.val() >> 16_u32) & 0xFF_u32);
                self.pos8.d.next = self.pos8.q.val() + self.olen.val();
                self.pw.d.next = bit_cast::<8, 32>(
                    ((self.pos.q.val() + ((self.wa.val() >> 16_u32) & 0xFF_u32)) >> 2_u32).into(),
                );
                if (self.pos8.q.val() + self.olen.val()) >= self.optlen8.q.val() {
                    self.walk.d.next = false;
                }
            }
        }

        // ================= SACK edges (from the option words, stable while the record waits)
        // Edge k is option bytes b+4k .. b+4k+3 with b = pos+2 of the SACK option that won:
        // word o_sackpw+k shifted left by o_sackb bytes, filled from word o_sackpw+k+1.
        // ssel[k] = w[o_sackpw + k] (0 past w[9]), a logarithmic word shifter (o_sackpw <= 9).
        self.spl.next = bit_cast::<4, 8>(self.o_sackpw.q.val());
        for k in 0..10 {
            self.sl1[k].next = self.w[k].q.val();
        }
        for k in 0..9 {
            if self.spl.val().get_bit(0) {
                self.sl1[k].next = self.w[k + 1].q.val();
            }
        }
        for k in 9..10 {
            if self.spl.val().get_bit(0) {
                self.sl1[k].next = 0_u32.into();
            }
        }
        for k in 0..10 {
            self.sl2[k].next = self.sl1[k].val();
        }
        for k in 0..8 {
            if self.spl.val().get_bit(1) {
                self.sl2[k].next = self.sl1[k + 2].val();
            }
        }
        for k in 8..10 {
            if self.spl.val().get_bit(1) {
                self.sl2[k].next = 0_u32.into();
            }
        }
        for k in 0..10 {
            self.sl3[k].next = self.sl2[k].val();
        }
        for k in 0..6 {
            if self.spl.val().get_bit(2) {
                self.sl3[k].next = self.sl2[k + 4].val();
            }
        }
        for k in 6..10 {
            if self.spl.val().get_bit(2) {
                self.sl3[k].next = 0_u32.into();
            }
        }
        for k in 0..9 {
            self.ssel[k].next = self.sl3[k].val();
            if self.spl.val().get_bit(3) {
                self.ssel[k].next = 0_u32.into();
            }
        }
        for k in 0..2 {
            if self.spl.val().get_bit(3) {
                self.ssel[k].next = self.sl3[k + 8].val();
            }
        }
        for k in 0..8 {
            self.sedge[k].next = self.ssel[k].val();
            if self.o_sackb.q.val() == 1 {
                self.sedge[k].next =
                    (self.ssel[k].val() << 8_u32) | (self.ssel[k + 1].val() >> 24_u32);
            }
            if self.o_sackb.q.val() == 2 {
                self.sedge[k].next =
                    (self.ssel[k].val() << 16_u32) | (self.ssel[k + 1].val() >> 16_u32);
            }
            if self.o_sackb.q.val() == 3 {
                self.sedge[k].next =
                    (self.ssel[k].val() << 24_u32) | (self.ssel[k + 1].val() >> 8_u32);
            }
        }

        // ================= record outputs
        self.rec.valid.next = self.busy.q.val() && (!self.walk.q.val());
        self.rec.disposition.next = self.r_disp.q.val();
        self.rec.eth_class.next = self.r_class.q.val();
        self.rec.frame_len.next = self.r_flen.q.val();
        self.rec.vlan.next = self.r_vlan.q.val();
        self.rec.vlan_tci.next = self.r_tci.q.val();
        self.rec.eth0.next = self.r_eth0.q.val();
        self.rec.eth1.next = self.r_eth1.q.val();
        self.rec.eth2.next = self.r_eth2.q.val();
        self.rec.ip_off.next = bit_cast::<8, 32>(self.r_l3.q.val().into());
        self.rec.ihl.next = bit_cast::<4, 32>((self.r_ipw0.q.val() >> 24_u32).into());
        self.rec.total_len.next = bit_cast::<16, 32>(self.r_ipw0.q.val().into());
        self.rec.fragment.next = bit_cast::<14, 32>(self.r_ipw1.q.val().into()).any();
        self.rec.src_ip.next = self.r_src.q.val();
        self.rec.dst_ip.next = self.r_dst.q.val();
        self.rec.protocol.next = bit_cast::<8, 32>((self.r_ipw2.q.val() >> 16_u32).into());
        self.rec.tcp_off.next = bit_cast::<8, 32>(self.r_tcp_off.q.val().into());
        self.rec.src_port.next = bit_cast::<16, 32>((self.r_tw0.q.val() >> 16_u32).into());
        self.rec.dst_port.next = bit_cast::<16, 32>(self.r_tw0.q.val().into());
        self.rec.seq.next = self.r_seq.q.val();
        self.rec.ack.next = self.r_ack.q.val();
        self.rec.flags.next = bit_cast::<8, 32>((self.r_tw3.q.val() >> 16_u32).into());
        self.rec.window.next = bit_cast::<16, 32>(self.r_tw3.q.val().into());
        self.rec.data_off.next = bit_cast::<4, 32>((self.r_tw3.q.val() >> 28_u32).into());
        self.rec.payload_len.next = bit_cast::<16, 32>(
            ((self.r_seg_end.q.val() - self.r_tcp_off.q.val())
                - ((self.r_tw3.q.val() >> 26_u32) & 0x3C_u32))
                .into(),
        );
        self.rec.mss.next = self.o_mss.q.val();
        self.rec.ws_valid.next = self.o_wsv.q.val();
        self.rec.ws.next = self.o_ws.q.val();
        self.rec.sack_perm.next = self.o_sackp.q.val();
        self.rec.ts_valid.next = self.o_tsv.q.val();
        self.rec.tsval.next = self.o_tsval.q.val();
        self.rec.tsecr.next = self.o_tsecr.q.val();
        self.rec.ts_off.next = bit_cast::<8, 32>(self.o_tsoff.q.val().into());
        self.rec.sack_blocks.next = self.o_sackn.q.val();
        self.rec.sack_off.next = bit_cast::<8, 32>(self.o_sackoff.q.val().into());
        self.rec.md5.next = self.o_md5.q.val();
        self.rec.tfo_valid.next = self.o_tfov.q.val();
        self.rec.tfo_len.next = self.o_tfolen.q.val();
        self.rec.mptcp_valid.next = self.o_mpv.q.val();
        self.rec.mptcp_subtype.next = self.o_mpsub.q.val();
        self.rec.unknown_opts.next = self.o_unk.q.val();
        self.rec.opts_truncated.next = self.o_trunc.q.val();
        self.rec.ip_csum_ok.next = self.r_ipok.q.val();
        self.rec.tcp_csum_ok.next = self.r_tcpok.q.val();
        self.rec.tcp_csum.next = self.r_csum.q.val();
        self.rec.sack0.next = 0_u32.into();
        self.rec.sack1.next = 0_u32.into();
        self.rec.sack2.next = 0_u32.into();
        self.rec.sack3.next = 0_u32.into();
        self.rec.sack4.next = 0_u32.into();
        self.rec.sack5.next = 0_u32.into();
        self.rec.sack6.next = 0_u32.into();
        self.rec.sack7.next = 0_u32.into();
        if self.o_sackn.q.val() >= 1 {
            self.rec.sack0.next = self.sedge[0].val();
            self.rec.sack1.next = self.sedge[1].val();
        }
        if self.o_sackn.q.val() >= 2 {
            self.rec.sack2.next = self.sedge[2].val();
            self.rec.sack3.next = self.sedge[3].val();
        }
        if self.o_sackn.q.val() >= 3 {
            self.rec.sack4.next = self.sedge[4].val();
            self.rec.sack5.next = self.sedge[5].val();
        }
        if self.o_sackn.q.val() >= 4 {
            self.rec.sack6.next = self.sedge[6].val();
            self.rec.sack7.next = self.sedge[7].val();
        }
    }
}

/// Ethernet-level fields (when the frame parses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EthFields {
    /// `CLASS_*`.
    pub class: u8,
    pub vlan_tci: Option<u16>,
    /// Bytes 0..12 (destination and source MAC) as big-endian words.
    pub head: [u32; 3],
}

/// IPv4 header fields (IPv4 dispositions: `Tcp`, `PuntFragment`, `NotTcp` for IPv4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Fields {
    pub ip_off: u8,
    pub ihl: u8,
    pub total_len: u16,
    pub fragment: bool,
    pub src: u32,
    pub dst: u32,
    pub protocol: u8,
}

/// TCP fields, options and checksum verdicts (disposition `Tcp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpFields {
    pub tcp_off: u8,
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub data_off: u8,
    pub payload_len: u16,
    pub mss: Option<u16>,
    pub ws: Option<u8>,
    pub sack_perm: bool,
    /// (TSval, TSecr, frame offset of TSval)
    pub ts: Option<(u32, u32, u8)>,
    /// (blocks, frame offset of the first left edge)
    pub sack: Option<(u8, u8)>,
    /// The SACK edges (left0, right0, left1, ...), 0 beyond the blocks present.
    pub sack_edges: [u32; 8],
    pub md5: bool,
    pub tfo_len: Option<u8>,
    pub mptcp_subtype: Option<u8>,
    pub unknown_opts: u8,
    pub opts_truncated: bool,
    pub ip_csum_ok: bool,
    pub tcp_csum_ok: bool,
    /// The checksum field as received.
    pub tcp_csum: u16,
}

/// One [`HeaderParser`] record as plain Rust values, holding exactly the fields that are defined
/// for its disposition (the rest of the port's fields are don't-care), so two records compare
/// field by field with `==`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderRecord {
    /// `DISP_*`.
    pub disposition: u8,
    pub frame_len: u32,
    pub eth: Option<EthFields>,
    pub ipv4: Option<Ipv4Fields>,
    pub tcp: Option<TcpFields>,
}

impl HeaderRecord {
    /// Read the record a [`RecordPort`] presents.
    pub fn read(p: &RecordPort) -> HeaderRecord {
        let disposition = p.disposition.val().to_u32() as u8;
        let class = p.eth_class.val().to_u32() as u8;
        let u8f = |b: Bits<8>| b.to_u32() as u8;
        let u16f = |b: Bits<16>| b.to_u32() as u16;
        let parsed = u64::from(disposition) != DISP_PUNT_MALFORMED;
        let is_v4 = u64::from(disposition) == DISP_TCP
            || u64::from(disposition) == DISP_PUNT_FRAGMENT
            || (u64::from(disposition) == DISP_NOT_TCP && u64::from(class) == CLASS_IPV4_OTHER);
        let is_tcp = u64::from(disposition) == DISP_TCP;
        HeaderRecord {
            disposition,
            frame_len: p.frame_len.val().0,
            eth: parsed.then(|| EthFields {
                class,
                vlan_tci: p.vlan.val().then(|| u16f(p.vlan_tci.val())),
                head: [p.eth0.val().0, p.eth1.val().0, p.eth2.val().0],
            }),
            ipv4: is_v4.then(|| Ipv4Fields {
                ip_off: u8f(p.ip_off.val()),
                ihl: p.ihl.val().to_u32() as u8,
                total_len: u16f(p.total_len.val()),
                fragment: p.fragment.val(),
                src: p.src_ip.val().0,
                dst: p.dst_ip.val().0,
                protocol: u8f(p.protocol.val()),
            }),
            tcp: is_tcp.then(|| TcpFields {
                tcp_off: u8f(p.tcp_off.val()),
                src_port: u16f(p.src_port.val()),
                dst_port: u16f(p.dst_port.val()),
                seq: p.seq.val().0,
                ack: p.ack.val().0,
                flags: u8f(p.flags.val()),
                window: u16f(p.window.val()),
                data_off: p.data_off.val().to_u32() as u8,
                payload_len: u16f(p.payload_len.val()),
                mss: Some(u16f(p.mss.val())).filter(|&m| m != 0),
                ws: p.ws_valid.val().then(|| u8f(p.ws.val())),
                sack_perm: p.sack_perm.val(),
                ts: p
                    .ts_valid
                    .val()
                    .then(|| (p.tsval.val().0, p.tsecr.val().0, u8f(p.ts_off.val()))),
                sack: (p.sack_blocks.val().to_u32() != 0)
                    .then(|| (p.sack_blocks.val().to_u32() as u8, u8f(p.sack_off.val()))),
                sack_edges: [
                    p.sack0.val().0,
                    p.sack1.val().0,
                    p.sack2.val().0,
                    p.sack3.val().0,
                    p.sack4.val().0,
                    p.sack5.val().0,
                    p.sack6.val().0,
                    p.sack7.val().0,
                ],
                md5: p.md5.val(),
                tfo_len: p.tfo_valid.val().then(|| u8f(p.tfo_len.val())),
                mptcp_subtype: p
                    .mptcp_valid
                    .val()
                    .then(|| p.mptcp_subtype.val().to_u32() as u8),
                unknown_opts: u8f(p.unknown_opts.val()),
                opts_truncated: p.opts_truncated.val(),
                ip_csum_ok: p.ip_csum_ok.val(),
                tcp_csum_ok: p.tcp_csum_ok.val(),
                tcp_csum: u16f(p.tcp_csum.val()),
            }),
        }
    }

    /// The record the software model implies for `frame`: `proto::wire::parse`, classified as
    /// `proto::nic::Nic::process` does, with the checksum verdicts of `checksums_ok` split in two.
    pub fn from_model(frame: &[u8]) -> HeaderRecord {
        let frame_len = frame.len() as u32;
        let parsed = match wire::parse(frame) {
            Ok(p) => p,
            Err(_) => {
                return HeaderRecord {
                    disposition: DISP_PUNT_MALFORMED as u8,
                    frame_len,
                    eth: None,
                    ipv4: None,
                    tcp: None,
                }
            }
        };
        let v4 = |ip: &wire::Ipv4Info| Ipv4Fields {
            ip_off: ip.offset as u8,
            ihl: (ip.header_len / 4) as u8,
            total_len: ip.total_len,
            fragment: ip.fragment,
            src: u32::from_be_bytes(ip.src),
            dst: u32::from_be_bytes(ip.dst),
            protocol: ip.protocol,
        };
        let class_of = |ip: &wire::Ipv4Info| {
            if ip.protocol == wire::IPPROTO_TCP {
                CLASS_IPV4_TCP
            } else {
                CLASS_IPV4_OTHER
            }
        };
        let (disposition, class, ipv4, tcp) = match &parsed.payload {
            Payload::NotIp => (DISP_NOT_TCP, CLASS_OTHER, None, None),
            Payload::Ipv4Other(ip) => (DISP_NOT_TCP, class_of(ip), Some(v4(ip)), None),
            Payload::Ipv4Fragment(ip) => (DISP_PUNT_FRAGMENT, class_of(ip), Some(v4(ip)), None),
            Payload::Ipv6(..) => (DISP_PUNT_IPV6, CLASS_IPV6, None, None),
            Payload::Ipv4Tcp(ip, t) => {
                let o = &t.options;
                let ih = &frame[ip.offset..ip.offset + ip.header_len];
                let seg = &frame[t.offset..ip.offset + ip.total_len as usize];
                let ip_ok = wire::checksum::ipv4_header(ih) == ip.checksum;
                let tcp_ok = wire::checksum::tcp_v4(ip.src, ip.dst, seg) == t.checksum;
                debug_assert_eq!(ip_ok && tcp_ok, wire::build::checksums_ok(frame, ip, t));
                let mut sack_edges = [0u32; 8];
                for (k, b) in o.sack.iter().enumerate() {
                    sack_edges[2 * k] = b.left;
                    sack_edges[2 * k + 1] = b.right;
                }
                let tcp = TcpFields {
                    tcp_off: t.offset as u8,
                    src_port: t.src_port,
                    dst_port: t.dst_port,
                    seq: t.seq,
                    ack: t.ack,
                    flags: t.flags.0,
                    window: t.window,
                    data_off: (t.header_len / 4) as u8,
                    payload_len: t.payload_len as u16,
                    mss: o.mss,
                    ws: o.wscale,
                    sack_perm: o.sack_perm,
                    ts: o.timestamp.map(|ts| (ts.tsval, ts.tsecr, ts.offset as u8)),
                    sack: o.sack_offset.map(|off| (o.sack.len() as u8, off as u8)),
                    sack_edges,
                    md5: o.md5,
                    tfo_len: o.tfo_cookie_len,
                    mptcp_subtype: o.mptcp_subtype,
                    unknown_opts: o.unknown,
                    opts_truncated: o.truncated,
                    ip_csum_ok: ip_ok,
                    tcp_csum_ok: tcp_ok,
                    tcp_csum: t.checksum,
                };
                (DISP_TCP, CLASS_IPV4_TCP, Some(v4(ip)), Some(tcp))
            }
        };
        HeaderRecord {
            disposition: disposition as u8,
            frame_len,
            eth: Some(EthFields {
                class: class as u8,
                vlan_tci: parsed.vlan_tci,
                head: core::array::from_fn(|k| {
                    u32::from_be_bytes([
                        frame[4 * k],
                        frame[4 * k + 1],
                        frame[4 * k + 2],
                        frame[4 * k + 3],
                    ])
                }),
            }),
            ipv4,
            tcp,
        }
    }
}
