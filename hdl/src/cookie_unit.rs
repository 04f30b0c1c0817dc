//! [`CookieUnit`] — Linux-compatible IPv4 SYN cookies and the connection table's bucket hash, one
//! request per clock: generation (`__cookie_v4_init_sequence` → `secure_tcp_syn_cookie`), check
//! (`__cookie_v4_check` → `check_tcp_syn_cookie`) and, for every request, the table hash H0
//! (`proto::nic::flow_hash`). Bit for bit `proto::cookie::{init_sequence_v4_steps,
//! check_v4_steps}` (linux-tcp.md §1.2, §1.3).
//!
//! ## Interface
//! * `clock` in. No reset: the valid bits power up clear.
//! * Throughput: one request per clock (initiation interval 1), no back-pressure, no stall.
//! * Latency [`COOKIE_LATENCY`] = [`SIPHASH_LATENCY`] + 1 = 21: a request presented during cycle
//!   `t` (sampled at the edge ending cycle `t`) has its result on the outputs during cycle
//!   `t + 21`. With [`crate::testbench::Testbench`]: set the inputs, `step()`; after the 21st
//!   `step()` counted from that one (inclusive) the outputs show the result.
//! * Request inputs, sampled on every rising edge:
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `in_valid` | 1 | a request |
//! | `in_kind` | 2 | [`KIND_HASH`] (0): H0 only; [`KIND_GENERATE`] (1): a SYN's cookie; [`KIND_CHECK`] (2): an ACK's cookie; 3 is treated as [`KIND_HASH`] |
//! | `in_tag` | 16 ([`COOKIE_TAG_BITS`]) | opaque, returned with the result |
//! | `peer_addr`, `host_addr` | 32 each | the flow in **canonical order** (`proto::table::FlowKey`): the peer is the wire-side end, the host the host-side end. Addresses in wire order as the parser's `src_ip`/`dst_ip` lanes: first wire byte in bits 31..24 (`u32::from_be_bytes`) |
//! | `peer_port`, `host_port` | 16 each | host-order port numbers (the parser's `src_port`/`dst_port`) |
//! | `count` | 32 | the minute counter `tcp_cookie_time()` (`proto::time::Instant::cookie_minute`) |
//! | `isn` | 32 | the client's ISN: GENERATE the SYN's `seq`; CHECK the ACK's `seq - 1` |
//! | `ack_cookie` | 32 | CHECK: the ACK's `ack_seq - 1`, the cookie to check; unused otherwise |
//! | `mss_index` | 2 | GENERATE: the MSS-table index to encode (`proto::cookie::mss_index(&MSSTAB_V4, mss)`); unused otherwise |
//!
//! A cookie is always computed for the tuple *peer → host* (Linux `saddr, daddr, sport, dport` of
//! the client's SYN/ACK): cookies are only sent to and checked from the wire, where the peer is
//! the segment's source. For a segment from the host side the caller swaps source and
//! destination to get the canonical tuple; H0 is then the same for both directions of a flow.
//!
//! * Configuration inputs: `secret0_k0_lo, secret0_k0_hi, secret0_k1_lo, secret0_k1_hi` and
//!   `secret1_*` (32 each): Linux `syncookie_secret[0]` (keys H0) and `[1]` (keys H1) as
//!   `proto::config::NicConfig::cookie_key` (`cookie_key[c] = [k0, k1]`, `k0 = k0_hi << 32 |
//!   k0_lo`). Registers elsewhere hold them; they are quasi-static. They are sampled with each
//!   request (inside the SipHash units' first stage), so a change takes effect exactly from the
//!   requests presented after it: there is no window in which a request mixes two secrets.
//! * Outputs, registered, all for the request of [`COOKIE_LATENCY`] cycles earlier:
//!
//! | port | width | meaning |
//! |---|---|---|
//! | `out_valid`, `out_tag` | 1, 16 | `in_valid`, `in_tag` delayed |
//! | `out_kind` | 2 | the request's kind (3 comes back as 0) |
//! | `h0` | 32 | `cookie_hash(peer, host, peer_port, host_port, 0, c = 0)` = `proto::nic::flow_hash`: the table's bucket hash; every kind |
//! | `h0_hi` | 32 | the high half of H0's SipHash (Linux discards it; spare key-dependent bits, e.g. for a table signature) |
//! | `h1`, `h1_hi` | 32, 32 | `cookie_hash(.., count_used, c = 1)` and its high half: GENERATE `count_used = count`; CHECK `count - diff`, meaningful when `age_ok` |
//! | `syn_cookie` | 32 | GENERATE: the cookie ISN of the SYN-ACK, `secure_tcp_syn_cookie()` (`proto::cookie::init_sequence_v4(..).0`); meaningless for other kinds |
//! | `age_ok` | 1 | CHECK: the cookie's counter byte is `count` or `count - 1` (`CookieCheck::age_ok`); 0 for other kinds |
//! | `cookie_ok` | 1 | CHECK: the cookie is valid (`proto::cookie::check_v4` is `Some`); 0 for other kinds |
//! | `cookie_mss_index` | 2 | CHECK: the decoded MSS index (`MSSTAB_V4[cookie_mss_index]` is the MSS), meaningful when `cookie_ok` |
//!
//! When `out_valid` is clear the data outputs are those of whatever was on the inputs (the data
//! path is not gated); `age_ok` and `cookie_ok` are gated by `out_valid`.
//!
//! ## Structure
//! Three [`SipHashUnit`]s (latency [`SIPHASH_LATENCY`] = 20) run in parallel on the same message
//! words (`siphash_4u32(saddr, daddr, sport << 16 | dport, count)` as a little-endian Linux host
//! builds it, [`SipHashInput::cookie_v4`](crate::siphash_unit::SipHashInput::cookie_v4)):
//!
//! | unit | key | count word | its valid / tag lines carry |
//! |---|---|---|---|
//! | `sh0` | `secret0` | 0 | `in_valid`, `in_tag[7:0]` |
//! | `sh1_now` | `secret1` | `count` | kind is GENERATE, `aux` (below) |
//! | `sh1_prev` | `secret1` | `count - 1` | kind is CHECK, `in_tag[15:8]` |
//!
//! `__cookie_v4_check` needs H1 at `count - diff`, where `diff` depends on H0; since only
//! `diff` = 0 or 1 can pass the age check (`MAX_SYNCOOKIE_AGE` = 2), both candidates are hashed
//! in parallel and the result selects one, so checks need no second pass through a unit.
//! The request's other fields ride along the units' valid/tag delay lines (every bit of every
//! unit output is used) and one 32-bit delay line `pre`, reduced at entry to what the final
//! stage needs (all modulo 2^32):
//! * GENERATE: `pre = isn + (count << 24)`, `aux = mss_index`;
//! * CHECK: `pre = ack_cookie - isn`, `aux = count & 0xFF`.
//!
//! The final stage (cycle `t + 20`, registered into the outputs) does the arithmetic of
//! `secure_tcp_syn_cookie` / `check_tcp_syn_cookie`:
//! * GENERATE: `syn_cookie = H0 + pre + ((H1(count) + mss_index) & COOKIEMASK)`;
//! * CHECK: `v = pre - H0` (= `cookie - (H0 + sseq)`), `diff = (count - (v >> 24)) & 0xFF`,
//!   `H1 = diff == 1 ? H1(count - 1) : H1(count)`, `m = (v - H1) & COOKIEMASK`;
//!   `age_ok = diff < 2`, `cookie_ok = age_ok && m < 4`, `cookie_mss_index = m & 3`.
//!
//! Registers: 3 SipHash units (5684 bits each, their 9-bit valid/tag lines included), 20 x 32
//! `pre` bits, and 1 + 2 + 16 + 5 x 32 + 1 + 1 + 2 output bits = 17875. Synthesis merges what the
//! units share (the message delay lines, H0's zero count word, and the first rounds of the two
//! H1 units, whose inputs differ only in the count word): with the earlier 10-stage SipHash unit
//! (2714 bits, 8645 in all) yosys `synth_ecp5` kept 7685 FF (docs/hdl.md has the measured
//! counts).

use crate::lane::Lane;
use crate::siphash_unit::{SipHashUnit, SIPHASH_LATENCY};
use rust_hdl::prelude::*;

/// Clocks from a request's sampling edge to its result on the outputs: the SipHash units'
/// [`SIPHASH_LATENCY`] plus the final stage.
pub const COOKIE_LATENCY: usize = SIPHASH_LATENCY + 1;
/// Width of the opaque tag carried with each request.
pub const COOKIE_TAG_BITS: usize = 16;
/// `in_kind`: H0 (the table hash) only.
pub const KIND_HASH: u8 = 0;
/// `in_kind`: generate the cookie of a SYN from the wire.
pub const KIND_GENERATE: u8 = 1;
/// `in_kind`: check the cookie of an ACK from the wire.
pub const KIND_CHECK: u8 = 2;

/// Stages of the `pre` delay line: the SipHash latency.
const NP: usize = COOKIE_LATENCY - 1;

/// The SYN-cookie unit. See the [module docs](self) for the interface.
#[derive(LogicBlock, Default)]
pub struct CookieUnit {
    pub clock: Signal<In, Clock>,
    // ---- request
    pub in_valid: Signal<In, Bit>,
    pub in_kind: Signal<In, Bits<2>>,
    pub in_tag: Signal<In, Bits<COOKIE_TAG_BITS>>,
    pub peer_addr: Signal<In, Lane>,
    pub host_addr: Signal<In, Lane>,
    pub peer_port: Signal<In, Bits<16>>,
    pub host_port: Signal<In, Bits<16>>,
    pub count: Signal<In, Lane>,
    pub isn: Signal<In, Lane>,
    pub ack_cookie: Signal<In, Lane>,
    pub mss_index: Signal<In, Bits<2>>,
    // ---- configuration: syncookie_secret[0] and [1]
    pub secret0_k0_lo: Signal<In, Lane>,
    pub secret0_k0_hi: Signal<In, Lane>,
    pub secret0_k1_lo: Signal<In, Lane>,
    pub secret0_k1_hi: Signal<In, Lane>,
    pub secret1_k0_lo: Signal<In, Lane>,
    pub secret1_k0_hi: Signal<In, Lane>,
    pub secret1_k1_lo: Signal<In, Lane>,
    pub secret1_k1_hi: Signal<In, Lane>,
    // ---- result
    pub out_valid: Signal<Out, Bit>,
    pub out_kind: Signal<Out, Bits<2>>,
    pub out_tag: Signal<Out, Bits<COOKIE_TAG_BITS>>,
    pub h0: Signal<Out, Lane>,
    pub h0_hi: Signal<Out, Lane>,
    pub h1: Signal<Out, Lane>,
    pub h1_hi: Signal<Out, Lane>,
    pub syn_cookie: Signal<Out, Lane>,
    pub age_ok: Signal<Out, Bit>,
    pub cookie_ok: Signal<Out, Bit>,
    pub cookie_mss_index: Signal<Out, Bits<2>>,
    /// CHECK: the same check for the ISN one above `isn` (`seq` instead of `seq - 1`: the SYN
    /// proxy's zero-window probe at the client's ISN, `synproxy` `cookie_retrans`).
    pub probe_ok: Signal<Out, Bit>,
    pub probe_mss_index: Signal<Out, Bits<2>>,

    // ---- the three hashes (module docs table)
    sh0: SipHashUnit,
    sh1_now: SipHashUnit,
    sh1_prev: SipHashUnit,

    // ---- entry locals
    is_gen: Signal<Local, Bit>,
    is_chk: Signal<Local, Bit>,
    /// `in_tag` as a lane.
    tag32: Signal<Local, Lane>,
    /// The message words: `saddr`, `daddr` as little-endian integers, `raw(sport) << 16 |
    /// raw(dport)` (the byte swap of `dport << 16 | sport`).
    w_saddr: Signal<Local, Lane>,
    w_daddr: Signal<Local, Lane>,
    w_ports: Signal<Local, Lane>,
    /// The ports as lanes (`sport` = the peer's, `dport` = the host's) and `dport << 16 | sport`
    /// before the swap.
    sport: Signal<Local, Lane>,
    dport: Signal<Local, Lane>,
    ports: Signal<Local, Lane>,
    /// The request reduced for the final stage (module docs).
    pre_in: Signal<Local, Lane>,
    aux_in: Signal<Local, Lane>,

    // ---- registers
    pre: [DFF<Lane>; NP],
    r_valid: DFF<Bit>,
    r_kind: DFF<Bits<2>>,
    r_tag: DFF<Bits<COOKIE_TAG_BITS>>,
    r_h0: DFF<Lane>,
    r_h0_hi: DFF<Lane>,
    r_h1: DFF<Lane>,
    r_h1_hi: DFF<Lane>,
    r_cookie: DFF<Lane>,
    r_age_ok: DFF<Bit>,
    r_ok: DFF<Bit>,
    r_mssind: DFF<Bits<2>>,
    r_pok: DFF<Bit>,
    r_pmssind: DFF<Bits<2>>,

    // ---- final-stage locals
    /// `pre` out of its delay line.
    pre_last: Signal<Local, Lane>,
    /// `aux` as a lane: GENERATE the MSS index, CHECK `count & 0xFF`.
    aux: Signal<Local, Lane>,
    /// CHECK: `v = cookie - (H0 + sseq)`.
    v: Signal<Local, Lane>,
    /// CHECK: `(count - (v >> 24)) & 0xFF`.
    diff: Signal<Local, Bits<8>>,
    /// CHECK with `diff == 1`: H1 is that of `count - 1`.
    use_prev: Signal<Local, Bit>,
    h1_lo: Signal<Local, Lane>,
    /// CHECK: `(v - H1) & COOKIEMASK`, the MSS index if below 4.
    m: Signal<Local, Lane>,
    /// CHECK: `m` without its two low bits (zero iff `m < 4`).
    m_high: Signal<Local, Bits<32>>,
    v2: Signal<Local, Lane>,
    diff2: Signal<Local, Bits<8>>,
    h1b_lo: Signal<Local, Lane>,
    m2: Signal<Local, Lane>,
    /// The tag's bytes, back from `sh0` and `sh1_prev`, as lanes.
    tag_lo: Signal<Local, Lane>,
    tag_hi: Signal<Local, Lane>,
}

impl Logic for CookieUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, r_valid, r_kind, r_tag, r_h0, r_h0_hi, r_h1, r_h1_hi, r_cookie, r_age_ok,
            r_ok, r_mssind, r_pok, r_pmssind
        );
        for s in 0..NP {
            self.pre[s].clock.next = self.clock.val();
        }
        self.sh0.clock.next = self.clock.val();
        self.sh1_now.clock.next = self.clock.val();
        self.sh1_prev.clock.next = self.clock.val();

        // ================= entry: the message words, the side band
        self.is_gen.next = self.in_kind.val() == 1;
        self.is_chk.next = self.in_kind.val() == 2;
        self.tag32.next = bit_cast::<32, 16>(self.in_tag.val()).into();
        // Wire-order lanes to little-endian integers: a byte swap.
        self.w_saddr.next = ((self.peer_addr.val() << 24_u32)
            | ((self.peer_addr.val() << 8_u32) & 0x00FF_0000_u32))
            | (((self.peer_addr.val() >> 8_u32) & 0x0000_FF00_u32)
                | (self.peer_addr.val() >> 24_u32));
        self.w_daddr.next = ((self.host_addr.val() << 24_u32)
            | ((self.host_addr.val() << 8_u32) & 0x00FF_0000_u32))
            | (((self.host_addr.val() >> 8_u32) & 0x0000_FF00_u32)
                | (self.host_addr.val() >> 24_u32));
        self.sport.next = bit_cast::<32, 16>(self.peer_port.val()).into();
        self.dport.next = bit_cast::<32, 16>(self.host_port.val()).into();
        self.ports.next = (self.dport.val() << 16_u32) | self.sport.val();
        self.w_ports.next = ((self.ports.val() << 24_u32)
            | ((self.ports.val() << 8_u32) & 0x00FF_0000_u32))
            | (((self.ports.val() >> 8_u32) & 0x0000_FF00_u32) | (self.ports.val() >> 24_u32));

        // What the final stage needs of the request (module docs).
        self.pre_in.next = self.isn.val() + (self.count.val() << 24_u32);
        self.aux_in.next = bit_cast::<32, 2>(self.mss_index.val()).into();
        if self.is_chk.val() {
            self.pre_in.next = self.ack_cookie.val() - self.isn.val();
            self.aux_in.next = self.count.val() & 0xFF_u32;
        }
        self.pre[0].d.next = self.pre_in.val();
        for s in 1..NP {
            self.pre[s].d.next = self.pre[s - 1].q.val();
        }
        // The line's last register (a one-pass loop: rust-hdl's Verilog generator evaluates array
        // indices from loop variables only, not from constants).
        for s in (NP - 1)..NP {
            self.pre_last.next = self.pre[s].q.val();
        }

        // H0 = cookie_hash(.., count = 0, c = 0), keyed with syncookie_secret[0].
        self.sh0.in_valid.next = self.in_valid.val();
        self.sh0.in_tag.next = bit_cast::<8, 32>(self.tag32.val().into());
        self.sh0.k0_lo.next = self.secret0_k0_lo.val();
        self.sh0.k0_hi.next = self.secret0_k0_hi.val();
        self.sh0.k1_lo.next = self.secret0_k1_lo.val();
        self.sh0.k1_hi.next = self.secret0_k1_hi.val();
        self.sh0.m0_lo.next = self.w_saddr.val();
        self.sh0.m0_hi.next = self.w_daddr.val();
        self.sh0.m1_lo.next = self.w_ports.val();
        self.sh0.m1_hi.next = 0_u32.into();
        // H1(count) = cookie_hash(.., count, c = 1).
        self.sh1_now.in_valid.next = self.is_gen.val();
        self.sh1_now.in_tag.next = bit_cast::<8, 32>(self.aux_in.val().into());
        self.sh1_now.k0_lo.next = self.secret1_k0_lo.val();
        self.sh1_now.k0_hi.next = self.secret1_k0_hi.val();
        self.sh1_now.k1_lo.next = self.secret1_k1_lo.val();
        self.sh1_now.k1_hi.next = self.secret1_k1_hi.val();
        self.sh1_now.m0_lo.next = self.w_saddr.val();
        self.sh1_now.m0_hi.next = self.w_daddr.val();
        self.sh1_now.m1_lo.next = self.w_ports.val();
        self.sh1_now.m1_hi.next = self.count.val();
        // H1(count - 1) = cookie_hash(.., count - 1, c = 1).
        self.sh1_prev.in_valid.next = self.is_chk.val();
        self.sh1_prev.in_tag.next = bit_cast::<8, 32>((self.tag32.val() >> 8_u32).into());
        self.sh1_prev.k0_lo.next = self.secret1_k0_lo.val();
        self.sh1_prev.k0_hi.next = self.secret1_k0_hi.val();
        self.sh1_prev.k1_lo.next = self.secret1_k1_lo.val();
        self.sh1_prev.k1_hi.next = self.secret1_k1_hi.val();
        self.sh1_prev.m0_lo.next = self.w_saddr.val();
        self.sh1_prev.m0_hi.next = self.w_daddr.val();
        self.sh1_prev.m1_lo.next = self.w_ports.val();
        self.sh1_prev.m1_hi.next = self.count.val() - 1_u32;

        // ================= final stage: check_tcp_syn_cookie / secure_tcp_syn_cookie
        self.aux.next = bit_cast::<32, 8>(self.sh1_now.out_tag.val()).into();
        self.tag_lo.next = bit_cast::<32, 8>(self.sh0.out_tag.val()).into();
        self.tag_hi.next = bit_cast::<32, 8>(self.sh1_prev.out_tag.val()).into();
        self.v.next = self.pre_last.val() - self.sh0.hash_lo.val();
        self.diff.next = bit_cast::<8, 32>((self.aux.val() - (self.v.val() >> 24_u32)).into());
        self.use_prev.next = self.sh1_prev.out_valid.val() && (self.diff.val() == 1);
        self.h1_lo.next = self.sh1_now.hash_lo.val();
        self.r_h1_hi.d.next = self.sh1_now.hash_hi.val();
        if self.use_prev.val() {
            self.h1_lo.next = self.sh1_prev.hash_lo.val();
            self.r_h1_hi.d.next = self.sh1_prev.hash_hi.val();
        }
        self.m.next = (self.v.val() - self.h1_lo.val()) & 0x00FF_FFFF_u32;
        self.m_high.next = (self.m.val() & 0x00FF_FFFC_u32).into();
        // The probe's check: the cookie less ISN + 1 (one less than v).
        self.v2.next = self.v.val() - 1_u32;
        self.diff2.next = bit_cast::<8, 32>((self.aux.val() - (self.v2.val() >> 24_u32)).into());
        self.h1b_lo.next = self.sh1_now.hash_lo.val();
        if self.sh1_prev.out_valid.val() && (self.diff2.val() == 1) {
            self.h1b_lo.next = self.sh1_prev.hash_lo.val();
        }
        self.m2.next = (self.v2.val() - self.h1b_lo.val()) & 0x00FF_FFFF_u32;
        self.r_pok.d.next = ((self.sh0.out_valid.val() && self.sh1_prev.out_valid.val())
            && (self.diff2.val() < 2))
            && ((self.m2.val() & 0x00FF_FFFC_u32) == 0_u32);
        self.r_pmssind.d.next = bit_cast::<2, 32>(self.m2.val().into());

        self.r_valid.d.next = self.sh0.out_valid.val();
        self.r_kind.d.next = 0.into();
        if self.sh1_now.out_valid.val() {
            self.r_kind.d.next = 1.into();
        }
        if self.sh1_prev.out_valid.val() {
            self.r_kind.d.next = 2.into();
        }
        self.r_tag.d.next =
            bit_cast::<16, 32>(((self.tag_hi.val() << 8_u32) | self.tag_lo.val()).into());
        self.r_h0.d.next = self.sh0.hash_lo.val();
        self.r_h0_hi.d.next = self.sh0.hash_hi.val();
        self.r_h1.d.next = self.h1_lo.val();
        self.r_cookie.d.next = (self.sh0.hash_lo.val() + self.pre_last.val())
            + ((self.sh1_now.hash_lo.val() + self.aux.val()) & 0x00FF_FFFF_u32);
        self.r_age_ok.d.next =
            (self.sh0.out_valid.val() && self.sh1_prev.out_valid.val()) && (self.diff.val() < 2);
        self.r_ok.d.next = ((self.sh0.out_valid.val() && self.sh1_prev.out_valid.val())
            && (self.diff.val() < 2))
            && (self.m_high.val() == 0);
        self.r_mssind.d.next = bit_cast::<2, 32>(self.m.val().into());

        // ================= outputs
        self.out_valid.next = self.r_valid.q.val();
        self.out_kind.next = self.r_kind.q.val();
        self.out_tag.next = self.r_tag.q.val();
        self.h0.next = self.r_h0.q.val();
        self.h0_hi.next = self.r_h0_hi.q.val();
        self.h1.next = self.r_h1.q.val();
        self.h1_hi.next = self.r_h1_hi.q.val();
        self.syn_cookie.next = self.r_cookie.q.val();
        self.age_ok.next = self.r_age_ok.q.val();
        self.cookie_ok.next = self.r_ok.q.val();
        self.cookie_mss_index.next = self.r_mssind.q.val();
        self.probe_ok.next = self.r_pok.q.val();
        self.probe_mss_index.next = self.r_pmssind.q.val();
    }
}

/// Puts the cookie secret (`proto::config::NicConfig::cookie_key`) on the configuration inputs.
pub fn drive_secrets(u: &mut CookieUnit, secret: &[[u64; 2]; 2]) {
    let lo = |x: u64| Lane(x as u32);
    let hi = |x: u64| Lane((x >> 32) as u32);
    u.secret0_k0_lo.next = lo(secret[0][0]);
    u.secret0_k0_hi.next = hi(secret[0][0]);
    u.secret0_k1_lo.next = lo(secret[0][1]);
    u.secret0_k1_hi.next = hi(secret[0][1]);
    u.secret1_k0_lo.next = lo(secret[1][0]);
    u.secret1_k0_hi.next = hi(secret[1][0]);
    u.secret1_k1_lo.next = lo(secret[1][1]);
    u.secret1_k1_hi.next = hi(secret[1][1]);
}

/// One request as plain Rust values (what tests and drivers put on the ports). The tuple is in
/// canonical order (`proto::table::FlowKey`): `peer_*` is the wire side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CookieRequest {
    pub valid: bool,
    /// [`KIND_HASH`], [`KIND_GENERATE`] or [`KIND_CHECK`] (2 bits).
    pub kind: u8,
    pub tag: u16,
    /// Wire order, as `proto::table::FlowKey`.
    pub peer_addr: [u8; 4],
    pub host_addr: [u8; 4],
    pub peer_port: u16,
    pub host_port: u16,
    /// The minute counter.
    pub count: u32,
    /// GENERATE: the SYN's `seq`; CHECK: the ACK's `seq - 1`.
    pub isn: u32,
    /// CHECK: the ACK's `ack_seq - 1`.
    pub ack_cookie: u32,
    /// GENERATE: the MSS-table index (2 bits).
    pub mss_index: u8,
}

impl CookieRequest {
    /// H0 only, for the flow `peer -> host`.
    pub fn hash(peer_addr: [u8; 4], host_addr: [u8; 4], peer_port: u16, host_port: u16) -> Self {
        CookieRequest {
            valid: true,
            kind: KIND_HASH,
            peer_addr,
            host_addr,
            peer_port,
            host_port,
            ..Self::default()
        }
    }

    /// `__cookie_v4_init_sequence` for the client's SYN `peer:peer_port -> host:host_port` with
    /// sequence number `syn_seq`, encoding `mss_index`, at minute `count`.
    pub fn generate(
        peer_addr: [u8; 4],
        host_addr: [u8; 4],
        peer_port: u16,
        host_port: u16,
        syn_seq: u32,
        mss_index: u8,
        count: u32,
    ) -> Self {
        CookieRequest {
            kind: KIND_GENERATE,
            count,
            isn: syn_seq,
            mss_index,
            ..Self::hash(peer_addr, host_addr, peer_port, host_port)
        }
    }

    /// `__cookie_v4_check` for the client's ACK `peer:peer_port -> host:host_port` with
    /// sequence number `seq` and acknowledgment `ack_seq` (raw, as on the wire: the `- 1`s are
    /// done here), at minute `count`.
    pub fn check(
        peer_addr: [u8; 4],
        host_addr: [u8; 4],
        peer_port: u16,
        host_port: u16,
        seq: u32,
        ack_seq: u32,
        count: u32,
    ) -> Self {
        CookieRequest {
            kind: KIND_CHECK,
            count,
            isn: seq.wrapping_sub(1),
            ack_cookie: ack_seq.wrapping_sub(1),
            ..Self::hash(peer_addr, host_addr, peer_port, host_port)
        }
    }

    /// Puts this request on the unit's ports (their `next` values).
    pub fn drive(&self, u: &mut CookieUnit) {
        u.in_valid.next = self.valid;
        u.in_kind.next = u64::from(self.kind & 3).to_bits();
        u.in_tag.next = u64::from(self.tag).to_bits();
        u.peer_addr.next = Lane(u32::from_be_bytes(self.peer_addr));
        u.host_addr.next = Lane(u32::from_be_bytes(self.host_addr));
        u.peer_port.next = u64::from(self.peer_port).to_bits();
        u.host_port.next = u64::from(self.host_port).to_bits();
        u.count.next = Lane(self.count);
        u.isn.next = Lane(self.isn);
        u.ack_cookie.next = Lane(self.ack_cookie);
        u.mss_index.next = u64::from(self.mss_index & 3).to_bits();
    }
}

/// The unit's outputs as plain Rust values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CookieResult {
    pub valid: bool,
    pub kind: u8,
    pub tag: u16,
    pub h0: u32,
    pub h0_hi: u32,
    pub h1: u32,
    pub h1_hi: u32,
    pub syn_cookie: u32,
    pub age_ok: bool,
    pub cookie_ok: bool,
    pub cookie_mss_index: u8,
    pub probe_ok: bool,
    pub probe_mss_index: u8,
}

impl CookieResult {
    /// Reads the unit's output ports.
    pub fn read(u: &CookieUnit) -> Self {
        CookieResult {
            valid: u.out_valid.val(),
            kind: u.out_kind.val().to_u32() as u8,
            tag: u.out_tag.val().to_u32() as u16,
            h0: u.h0.val().0,
            h0_hi: u.h0_hi.val().0,
            h1: u.h1.val().0,
            h1_hi: u.h1_hi.val().0,
            syn_cookie: u.syn_cookie.val().0,
            age_ok: u.age_ok.val(),
            cookie_ok: u.cookie_ok.val(),
            cookie_mss_index: u.cookie_mss_index.val().to_u32() as u8,
            probe_ok: u.probe_ok.val(),
            probe_mss_index: u.probe_mss_index.val().to_u32() as u8,
        }
    }
}
