//! Linux-compatible SYN cookies (linux-tcp.md §1), bit for bit.
//!
//! Implemented kernel functions (L: net/ipv4/syncookies.c, net/ipv6/syncookies.c,
//! net/core/filter.c, net/netfilter/nf_synproxy_core.c):
//! * `cookie_hash()` (v4 and v6) — [`cookie_hash_v4`], [`cookie_hash_v6`], over [`crate::siphash`].
//! * `secure_tcp_syn_cookie()` — [`secure_syn_cookie`]; `check_tcp_syn_cookie()` —
//!   [`check_syn_cookie`].
//! * `__cookie_v4_init_sequence()` / `__cookie_v6_init_sequence()` — [`init_sequence_v4`],
//!   [`init_sequence_v6`] (MSS table search: [`mss_index`]).
//! * `__cookie_v4_check()` / `__cookie_v6_check()` — [`check_v4`], [`check_v6`], with every
//!   intermediate value in [`CookieCheck`] ([`check_v4_steps`], [`check_v6_steps`]).
//! * `cookie_init_timestamp()` — [`init_timestamp`]; `cookie_timestamp_decode()` +
//!   `cookie_ecn_ok()` — [`decode_timestamp`] / [`decode_no_timestamp`] / [`decode_ack_options`].
//! * `synproxy_init_timestamp_cookie()` / `synproxy_check_timestamp_cookie()` (SYNPROXY and the
//!   xdp_synproxy selftest: no `ts_off`, no "never above now" correction, no sysctl checks) —
//!   [`init_timestamp_synproxy`], [`decode_timestamp_synproxy`].
//! * `bpf_tcp_raw_gen_syncookie_ipv4/6()` — [`bpf_gen_syncookie_v4`], [`bpf_gen_syncookie_v6`].
//! * The flag preconditions of `cookie_v4_check()` — [`is_cookie_ack_candidate`].
//!
//! Conventions: addresses are in wire order (`[u8; 4]` / `[u8; 16]`), ports are host-order
//! `u16`, sequence numbers are host-order `u32` as on the wire after `ntohl`. The hash message is
//! the one a **little-endian** Linux host builds (§1.2): Linux passes the raw network-order
//! values reinterpreted as host integers, so on x86/arm64 the message bytes are the wire bytes.
//! The cookie secret is `[Key128; 2]` (Linux `syncookie_secret[2]` / `syncookie6_secret[2]`,
//! [`crate::config::NicConfig::cookie_key`]); index `c = 0` keys H0, `c = 1` keys H1.
//! The minute counter (`tcp_cookie_time()`) is passed in; callers use
//! [`crate::time::Instant::cookie_minute`].
//!
//! Nothing here panics on any input: all arithmetic is modulo 2^32, as in the kernel.

use crate::config::Key128;
use crate::siphash::{siphash24, siphash_4u32};

/// Bits of the cookie below the counter byte.
pub const COOKIEBITS: u32 = 24;
/// `(1 << COOKIEBITS) - 1`.
pub const COOKIEMASK: u32 = (1 << COOKIEBITS) - 1;
/// A cookie is valid for counter values `count` and `count + 1` (60..120 s).
pub const MAX_SYNCOOKIE_AGE: u32 = 2;
/// Low bits of the cookie TSval that carry the options.
pub const TSBITS: u32 = 6;
/// `(1 << TSBITS) - 1`.
pub const TSMASK: u32 = (1 << TSBITS) - 1;
/// Window-scale nibble of the TS cookie; the value 0xF means "peer sent no WS".
pub const TS_OPT_WSCALE_MASK: u32 = 0x0F;
/// SACK-permitted bit of the TS cookie.
pub const TS_OPT_SACK: u32 = 1 << 4;
/// ECN bit of the TS cookie.
pub const TS_OPT_ECN: u32 = 1 << 5;
/// Linux `TCP_MAX_WSCALE`: `tcp_parse_options` clamps a peer's WS shift to 14.
pub const TCP_MAX_WSCALE: u8 = 14;
/// Linux `TCP_MSS_DEFAULT` (include/uapi/linux/tcp.h): the BPF raw helper's MSS when the SYN has
/// no MSS option (IPv4).
pub const TCP_MSS_DEFAULT: u16 = 536;
/// The IPv6 BPF raw helper's default: `IPV6_MIN_MTU - sizeof(tcphdr) - sizeof(ipv6hdr)` =
/// 1280 - 20 - 40.
pub const TCP_MSS_DEFAULT_V6: u16 = 1220;
/// net/ipv4/syncookies.c `msstab`.
pub const MSSTAB_V4: [u16; 4] = [536, 1300, 1440, 1460];
/// net/ipv6/syncookies.c `msstab`: {1280-60, 1480-60, 1500-60, 9000-60}.
pub const MSSTAB_V6: [u16; 4] = [1220, 1420, 1440, 8940];

// ---------------------------------------------------------------------------------------------
// Hash
// ---------------------------------------------------------------------------------------------

/// A network-order 16-bit field reinterpreted as a little-endian host `u16` (`(__force u16)`).
const fn raw16(host: u16) -> u16 {
    u16::from_le_bytes(host.to_be_bytes())
}

/// The 16-byte SipHash message of the v4 `cookie_hash()` on a little-endian host:
/// `saddr[4] | daddr[4] | dport[2] | sport[2] | count (LE)` — the bytes of
/// `siphash_4u32(saddr, daddr, (u32)sport << 16 | (u32)dport, count)`.
pub fn cookie_message_v4(
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    count: u32,
) -> [u8; 16] {
    let mut m = [0u8; 16];
    m[0..4].copy_from_slice(&saddr);
    m[4..8].copy_from_slice(&daddr);
    m[8..10].copy_from_slice(&dport.to_be_bytes());
    m[10..12].copy_from_slice(&sport.to_be_bytes());
    m[12..16].copy_from_slice(&count.to_le_bytes());
    m
}

/// The 40-byte SipHash message of the v6 `cookie_hash()` on a little-endian host: the struct
/// `{ in6_addr saddr; in6_addr daddr; u32 count; __be16 sport; __be16 dport; }` =
/// `saddr[16] | daddr[16] | count (LE) | sport[2] | dport[2]` (note: sport before dport).
pub fn cookie_message_v6(
    saddr: [u8; 16],
    daddr: [u8; 16],
    sport: u16,
    dport: u16,
    count: u32,
) -> [u8; 40] {
    let mut m = [0u8; 40];
    m[0..16].copy_from_slice(&saddr);
    m[16..32].copy_from_slice(&daddr);
    m[32..36].copy_from_slice(&count.to_le_bytes());
    m[36..38].copy_from_slice(&sport.to_be_bytes());
    m[38..40].copy_from_slice(&dport.to_be_bytes());
    m
}

/// net/ipv4/syncookies.c `cookie_hash(saddr, daddr, sport, dport, count, c)`: the low 32 bits of
/// `siphash_4u32(saddr, daddr, sport << 16 | dport, count, &key[c])`. `c` is taken modulo 2
/// (Linux only uses 0 and 1).
#[allow(clippy::too_many_arguments)]
pub fn cookie_hash_v4(
    key: &[Key128; 2],
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    count: u32,
    c: usize,
) -> u32 {
    let ports = ((raw16(sport) as u32) << 16) | raw16(dport) as u32;
    siphash_4u32(
        u32::from_le_bytes(saddr),
        u32::from_le_bytes(daddr),
        ports,
        count,
        &key[c & 1],
    ) as u32
}

/// net/ipv6/syncookies.c `cookie_hash()`: the low 32 bits of `siphash()` over the 40-byte
/// [`cookie_message_v6`], keyed with `key[c]` (`c` taken modulo 2).
#[allow(clippy::too_many_arguments)]
pub fn cookie_hash_v6(
    key: &[Key128; 2],
    saddr: [u8; 16],
    daddr: [u8; 16],
    sport: u16,
    dport: u16,
    count: u32,
    c: usize,
) -> u32 {
    siphash24(
        &key[c & 1],
        &cookie_message_v6(saddr, daddr, sport, dport, count),
    ) as u32
}

// ---------------------------------------------------------------------------------------------
// ISN cookie: generic core (the arithmetic after the two hashes)
// ---------------------------------------------------------------------------------------------

/// The MSS table index of `__cookie_v{4,6}_init_sequence`: the largest `i` in 3..=1 with
/// `mss >= table[i]`, else 0 (no lower clamp: any smaller MSS encodes index 0).
pub fn mss_index(table: &[u16; 4], mss: u16) -> usize {
    let mut i = table.len() - 1;
    while i > 0 {
        if mss >= table[i] {
            break;
        }
        i -= 1;
    }
    i
}

/// `secure_tcp_syn_cookie()` after hashing:
/// `ISN = H0 + sseq + (count << 24) + ((H1 + data) & 0xFFFFFF)  (mod 2^32)`,
/// with `h0 = cookie_hash(.., 0, 0)`, `h1 = cookie_hash(.., count, 1)`, `data` = the MSS index.
pub fn secure_syn_cookie(h0: u32, h1: u32, sseq: u32, count: u32, data: u32) -> u32 {
    h0.wrapping_add(sseq)
        .wrapping_add(count << COOKIEBITS)
        .wrapping_add(h1.wrapping_add(data) & COOKIEMASK)
}

/// Every intermediate value of a cookie check (`__cookie_v{4,6}_check` →
/// `check_tcp_syn_cookie`), in pipeline order, so a hardware unit can be compared stage by
/// stage.
///
/// All fields are computed for every input, without Linux's early return when the age check
/// fails: `h1` is always `cookie_hash(.., count_used, 1)` and `mssind` always
/// `(v - h1) & COOKIEMASK`. A unit that short-circuits (or computes H1 for both `count_now` and
/// `count_now - 1` in parallel and selects with `diff`) matches `cookie`..`count_used` always and
/// `h1`/`mssind` whenever `diff < MAX_SYNCOOKIE_AGE`; the verdict is [`CookieCheck::mss`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CookieCheck {
    /// The cookie: the ACK's `ack_seq - 1`.
    pub cookie: u32,
    /// The client ISN: the ACK's `seq - 1`.
    pub sseq: u32,
    /// `cookie_hash(.., count = 0, c = 0)`.
    pub h0: u32,
    /// `cookie - (h0 + sseq)`: counter byte in bits 24..31, `(H1 + mssind) & COOKIEMASK` below.
    pub v: u32,
    /// `(count_now - (v >> 24)) & 0xFF`; valid iff `< MAX_SYNCOOKIE_AGE`.
    pub diff: u32,
    /// `count_now - diff`: the counter the cookie was (supposedly) generated at.
    pub count_used: u32,
    /// `cookie_hash(.., count = count_used, c = 1)`.
    pub h1: u32,
    /// `(v - h1) & COOKIEMASK`; valid iff `< 4`.
    pub mssind: u32,
    /// The verdict: `Some(msstab[mssind])` iff `diff < 2 && mssind < 4` (Linux returns the MSS,
    /// or 0 for an invalid cookie).
    pub mss: Option<u16>,
}

impl CookieCheck {
    /// The cookie's counter is `count_now` or `count_now - 1` (mod 256).
    pub const fn age_ok(&self) -> bool {
        self.diff < MAX_SYNCOOKIE_AGE
    }

    /// What `check_tcp_syn_cookie()` returns: `(u32)-1` if the age check fails, else `mssind`.
    pub const fn linux_data(&self) -> u32 {
        if self.age_ok() {
            self.mssind
        } else {
            u32::MAX
        }
    }

    /// Whether the cookie was accepted.
    pub const fn is_valid(&self) -> bool {
        self.mss.is_some()
    }
}

/// `check_tcp_syn_cookie()` + the table lookup of `__cookie_v{4,6}_check`, given H0 and a way to
/// compute H1 at a counter value.
pub fn check_syn_cookie(
    table: &[u16; 4],
    h0: u32,
    h1_at: impl FnOnce(u32) -> u32,
    ack_seq: u32,
    seq: u32,
    count_now: u32,
) -> CookieCheck {
    let cookie = ack_seq.wrapping_sub(1);
    let sseq = seq.wrapping_sub(1);
    let v = cookie.wrapping_sub(h0.wrapping_add(sseq));
    let diff = count_now.wrapping_sub(v >> COOKIEBITS) & (u32::MAX >> COOKIEBITS);
    let count_used = count_now.wrapping_sub(diff);
    let h1 = h1_at(count_used);
    let mssind = v.wrapping_sub(h1) & COOKIEMASK;
    let mss = if diff < MAX_SYNCOOKIE_AGE {
        table.get(mssind as usize).copied()
    } else {
        None
    };
    CookieCheck {
        cookie,
        sseq,
        h0,
        v,
        diff,
        count_used,
        h1,
        mssind,
        mss,
    }
}

/// Every intermediate value of cookie generation (for stage-by-stage comparison).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CookieInit {
    /// Index into the MSS table ([`mss_index`]).
    pub mssind: u32,
    /// The MSS written back (`*mssp = msstab[mssind]`): what the SYN-ACK announces/encodes.
    pub mss: u16,
    /// `cookie_hash(.., 0, 0)`.
    pub h0: u32,
    /// `cookie_hash(.., count, 1)`.
    pub h1: u32,
    /// The cookie ISN ([`secure_syn_cookie`]).
    pub isn: u32,
}

fn init_core(
    table: &[u16; 4],
    h0: u32,
    h1: u32,
    client_seq: u32,
    client_mss: u16,
    count: u32,
) -> CookieInit {
    let idx = mss_index(table, client_mss);
    let mssind = idx as u32;
    CookieInit {
        mssind,
        mss: table[idx],
        h0,
        h1,
        isn: secure_syn_cookie(h0, h1, client_seq, count, mssind),
    }
}

// ---------------------------------------------------------------------------------------------
// IPv4
// ---------------------------------------------------------------------------------------------

/// [`init_sequence_v4`] with every intermediate value.
#[allow(clippy::too_many_arguments)]
pub fn init_sequence_v4_steps(
    key: &[Key128; 2],
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    client_seq: u32,
    client_mss: u16,
    count: u32,
) -> CookieInit {
    let h0 = cookie_hash_v4(key, saddr, daddr, sport, dport, 0, 0);
    let h1 = cookie_hash_v4(key, saddr, daddr, sport, dport, count, 1);
    init_core(&MSSTAB_V4, h0, h1, client_seq, client_mss, count)
}

/// `__cookie_v4_init_sequence(iph, th, &mss)` for the client's SYN `saddr:sport -> daddr:dport`
/// with sequence number `client_seq` and MSS `client_mss`, at minute counter `count`.
/// Returns `(cookie ISN, MSS written back = MSSTAB_V4[index])`.
#[allow(clippy::too_many_arguments)]
pub fn init_sequence_v4(
    key: &[Key128; 2],
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    client_seq: u32,
    client_mss: u16,
    count: u32,
) -> (u32, u16) {
    let s = init_sequence_v4_steps(
        key, saddr, daddr, sport, dport, client_seq, client_mss, count,
    );
    (s.isn, s.mss)
}

/// [`check_v4`] with every intermediate value.
#[allow(clippy::too_many_arguments)]
pub fn check_v4_steps(
    key: &[Key128; 2],
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack_seq: u32,
    count_now: u32,
) -> CookieCheck {
    let h0 = cookie_hash_v4(key, saddr, daddr, sport, dport, 0, 0);
    let h1_at = |count| cookie_hash_v4(key, saddr, daddr, sport, dport, count, 1);
    check_syn_cookie(&MSSTAB_V4, h0, h1_at, ack_seq, seq, count_now)
}

/// `__cookie_v4_check(iph, th)` for the client's ACK `saddr:sport -> daddr:dport` (same
/// orientation as the SYN) with sequence number `seq` and acknowledgment `ack_seq`, at minute
/// counter `count_now`: cookie = `ack_seq - 1`, client ISN = `seq - 1`. `Some(mss)` = valid,
/// with the decoded MSS; `None` = invalid (Linux returns 0).
#[allow(clippy::too_many_arguments)]
pub fn check_v4(
    key: &[Key128; 2],
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack_seq: u32,
    count_now: u32,
) -> Option<u16> {
    check_v4_steps(key, saddr, daddr, sport, dport, seq, ack_seq, count_now).mss
}

// ---------------------------------------------------------------------------------------------
// IPv6
// ---------------------------------------------------------------------------------------------

/// [`init_sequence_v6`] with every intermediate value.
#[allow(clippy::too_many_arguments)]
pub fn init_sequence_v6_steps(
    key: &[Key128; 2],
    saddr: [u8; 16],
    daddr: [u8; 16],
    sport: u16,
    dport: u16,
    client_seq: u32,
    client_mss: u16,
    count: u32,
) -> CookieInit {
    let h0 = cookie_hash_v6(key, saddr, daddr, sport, dport, 0, 0);
    let h1 = cookie_hash_v6(key, saddr, daddr, sport, dport, count, 1);
    init_core(&MSSTAB_V6, h0, h1, client_seq, client_mss, count)
}

/// `__cookie_v6_init_sequence(iph, th, &mss)`; as [`init_sequence_v4`] with [`MSSTAB_V6`].
#[allow(clippy::too_many_arguments)]
pub fn init_sequence_v6(
    key: &[Key128; 2],
    saddr: [u8; 16],
    daddr: [u8; 16],
    sport: u16,
    dport: u16,
    client_seq: u32,
    client_mss: u16,
    count: u32,
) -> (u32, u16) {
    let s = init_sequence_v6_steps(
        key, saddr, daddr, sport, dport, client_seq, client_mss, count,
    );
    (s.isn, s.mss)
}

/// [`check_v6`] with every intermediate value.
#[allow(clippy::too_many_arguments)]
pub fn check_v6_steps(
    key: &[Key128; 2],
    saddr: [u8; 16],
    daddr: [u8; 16],
    sport: u16,
    dport: u16,
    seq: u32,
    ack_seq: u32,
    count_now: u32,
) -> CookieCheck {
    let h0 = cookie_hash_v6(key, saddr, daddr, sport, dport, 0, 0);
    let h1_at = |count| cookie_hash_v6(key, saddr, daddr, sport, dport, count, 1);
    check_syn_cookie(&MSSTAB_V6, h0, h1_at, ack_seq, seq, count_now)
}

/// `__cookie_v6_check(iph, th)`; as [`check_v4`] with [`MSSTAB_V6`].
#[allow(clippy::too_many_arguments)]
pub fn check_v6(
    key: &[Key128; 2],
    saddr: [u8; 16],
    daddr: [u8; 16],
    sport: u16,
    dport: u16,
    seq: u32,
    ack_seq: u32,
    count_now: u32,
) -> Option<u16> {
    check_v6_steps(key, saddr, daddr, sport, dport, seq, ack_seq, count_now).mss
}

/// The flag preconditions for treating a segment to a listener as a cookie ACK: Linux only
/// calls `cookie_v4_check` for a non-SYN segment (`tcp_v4_cookie_check` in `tcp_v4_do_rcv`), and
/// `cookie_v4_check` itself requires ACK set and RST clear. (The listener preconditions — sysctl
/// `tcp_syncookies != 0` and a recent SYN-queue overflow, `!tcp_synq_no_recent_overflow` — are
/// listener state, handled by the NIC model.)
pub const fn is_cookie_ack_candidate(syn: bool, ack: bool, rst: bool) -> bool {
    !syn && ack && !rst
}

// ---------------------------------------------------------------------------------------------
// BPF raw helpers
// ---------------------------------------------------------------------------------------------

/// `bpf_tcp_raw_gen_syncookie_ipv4()`: `mss` = the SYN's MSS option, or [`TCP_MSS_DEFAULT`] (536)
/// if it has none or its value is 0 (`tcp_parse_mss_option(th, 0) ?: TCP_MSS_DEFAULT`); returns
/// `cookie | (mss written back as u64) << 32` (bits 48..63 zero). The helper's `-EINVAL` for a
/// bad `th_len` is the caller's header validation and not modelled here.
#[allow(clippy::too_many_arguments)]
pub fn bpf_gen_syncookie_v4(
    key: &[Key128; 2],
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    client_seq: u32,
    client_mss: Option<u16>,
    count: u32,
) -> u64 {
    let mss = match client_mss {
        Some(m) if m != 0 => m,
        _ => TCP_MSS_DEFAULT,
    };
    let (cookie, mss) = init_sequence_v4(key, saddr, daddr, sport, dport, client_seq, mss, count);
    cookie as u64 | (mss as u64) << 32
}

/// `bpf_tcp_raw_gen_syncookie_ipv6()`: as [`bpf_gen_syncookie_v4`] with default
/// [`TCP_MSS_DEFAULT_V6`] (1220) and [`init_sequence_v6`].
#[allow(clippy::too_many_arguments)]
pub fn bpf_gen_syncookie_v6(
    key: &[Key128; 2],
    saddr: [u8; 16],
    daddr: [u8; 16],
    sport: u16,
    dport: u16,
    client_seq: u32,
    client_mss: Option<u16>,
    count: u32,
) -> u64 {
    let mss = match client_mss {
        Some(m) if m != 0 => m,
        _ => TCP_MSS_DEFAULT_V6,
    };
    let (cookie, mss) = init_sequence_v6(key, saddr, daddr, sport, dport, client_seq, mss, count);
    cookie as u64 | (mss as u64) << 32
}

// ---------------------------------------------------------------------------------------------
// Timestamp cookie (options in the low 6 bits of TSval)
// ---------------------------------------------------------------------------------------------

/// The options a cookie carries in its TSval (and what a cookie ACK restores).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct CookieOptions {
    /// The peer's window-scale shift (`snd_wscale`), `None` if it sent no WS option.
    pub wscale: Option<u8>,
    /// The peer sent SACK-permitted.
    pub sack_ok: bool,
    /// ECN negotiated (SYN had ECE|CWR and ECN is enabled).
    pub ecn_ok: bool,
}

impl CookieOptions {
    /// No window scaling, no SACK, no ECN: what a SYN or cookie ACK without a TS option leaves.
    pub const NONE: CookieOptions = CookieOptions {
        wscale: None,
        sack_ok: false,
        ecn_ok: false,
    };
}

/// The 6-bit option value of `cookie_init_timestamp()`: `(wscale or 0xF) | sack << 4 | ecn << 5`.
/// A `wscale` above 14 is clamped to [`TCP_MAX_WSCALE`], as `tcp_parse_options` does before
/// Linux stores `snd_wscale` (so 15 can never be mistaken for "no WS").
pub fn encode_ts_options(o: &CookieOptions) -> u32 {
    let ws = match o.wscale {
        Some(w) => core::cmp::min(w, TCP_MAX_WSCALE) as u32,
        None => TS_OPT_WSCALE_MASK,
    };
    ws | if o.sack_ok { TS_OPT_SACK } else { 0 } | if o.ecn_ok { TS_OPT_ECN } else { 0 }
}

/// `cookie_init_timestamp()` (only used when the SYN had a TS option): `ts = (now >> 6) << 6 |
/// options`; if `ts > now`, `ts -= 64` (mod 2^32), so the cookie TSval never exceeds later
/// TSvals. `ts_now_ms` is the 1 kHz TCP timestamp clock ([`crate::time::Instant::ts_clock_ms`]).
/// The result is *before* `ts_off` (`secure_tcp_ts_off`) is added for the wire.
pub fn init_timestamp(o: &CookieOptions, ts_now_ms: u32) -> u32 {
    let ts = (ts_now_ms & !TSMASK) | encode_ts_options(o);
    if ts > ts_now_ms {
        ts.wrapping_sub(1 << TSBITS)
    } else {
        ts
    }
}

/// SYNPROXY `synproxy_init_timestamp_cookie()` and the xdp_synproxy selftest: `(now & ~0x3F) |
/// options`, with neither the "never above now" correction nor a `ts_off` (the TSval is sent as
/// is).
pub fn init_timestamp_synproxy(o: &CookieOptions, ts_now_ms: u32) -> u32 {
    (ts_now_ms & !TSMASK) | encode_ts_options(o)
}

/// The listener's sysctls that `cookie_timestamp_decode()` / `cookie_ecn_ok()` consult.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CookieSysctls {
    /// `tcp_timestamps != 0`.
    pub timestamps: bool,
    /// `tcp_sack`.
    pub sack: bool,
    /// `tcp_window_scaling`.
    pub window_scaling: bool,
    /// `tcp_ecn != 0` (the route's `RTAX_FEATURE_ECN` is not modelled).
    pub ecn: bool,
}

impl Default for CookieSysctls {
    /// Linux defaults: all enabled (`tcp_ecn` = 2 is non-zero).
    fn default() -> Self {
        CookieSysctls {
            timestamps: true,
            sack: true,
            window_scaling: true,
            ecn: true,
        }
    }
}

/// Why a cookie ACK's TS echo was refused (`cookie_timestamp_decode()` returned false; Linux
/// then drops the ACK as if the cookie were invalid).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CookieTsError {
    /// The ACK has a TS option but `tcp_timestamps` is 0.
    TimestampsDisabled,
    /// The SACK bit is set but `tcp_sack` is 0.
    SackDisabled,
    /// A window scale (nibble != 0xF) is encoded but `tcp_window_scaling` is 0.
    WindowScalingDisabled,
}

impl core::fmt::Display for CookieTsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            CookieTsError::TimestampsDisabled => {
                "cookie ACK has a timestamp but timestamps are disabled"
            }
            CookieTsError::SackDisabled => "cookie timestamp encodes SACK but SACK is disabled",
            CookieTsError::WindowScalingDisabled => {
                "cookie timestamp encodes a window scale but window scaling is disabled"
            }
        })
    }
}

impl core::error::Error for CookieTsError {}

/// `cookie_timestamp_decode()` + `cookie_ecn_ok()` for a cookie ACK **with** a TS option.
/// `tsecr` is the echoed value after the caller removed `ts_off` (Linux: if the ACK has TS and
/// `TSecr != 0`, `TSecr -= secure_tcp_ts_off(..)`). Order of checks as in Linux: timestamps
/// sysctl, SACK bit vs `tcp_sack`, then nibble 0xF = no WS, else WS vs `tcp_window_scaling`.
/// ECN = bit 5 && `tcp_ecn`. The TS age is not checked (only the sequence cookie
/// authenticates). A connection restored from such an ACK has timestamps on.
pub fn decode_timestamp(
    tsecr: u32,
    sysctl: &CookieSysctls,
) -> Result<CookieOptions, CookieTsError> {
    if !sysctl.timestamps {
        return Err(CookieTsError::TimestampsDisabled);
    }
    let sack_ok = tsecr & TS_OPT_SACK != 0;
    if sack_ok && !sysctl.sack {
        return Err(CookieTsError::SackDisabled);
    }
    let ecn_ok = tsecr & TS_OPT_ECN != 0 && sysctl.ecn;
    let nibble = tsecr & TS_OPT_WSCALE_MASK;
    if nibble == TS_OPT_WSCALE_MASK {
        return Ok(CookieOptions {
            wscale: None,
            sack_ok,
            ecn_ok,
        });
    }
    if !sysctl.window_scaling {
        return Err(CookieTsError::WindowScalingDisabled);
    }
    Ok(CookieOptions {
        wscale: Some(nibble as u8),
        sack_ok,
        ecn_ok,
    })
}

/// `cookie_timestamp_decode()` for a cookie ACK **without** a TS option: `tcp_clear_options`,
/// always accepted — the connection has no window scaling, no SACK, no timestamps, and no ECN
/// (`rcv_tsecr` is 0, so `cookie_ecn_ok` is false). Linux conformance case 14.
pub const fn decode_no_timestamp() -> CookieOptions {
    CookieOptions::NONE
}

/// [`decode_timestamp`] if the ACK carries a TS option (`Some(tsecr)`, `ts_off` removed), else
/// [`decode_no_timestamp`].
pub fn decode_ack_options(
    tsecr: Option<u32>,
    sysctl: &CookieSysctls,
) -> Result<CookieOptions, CookieTsError> {
    match tsecr {
        Some(t) => decode_timestamp(t, sysctl),
        None => Ok(decode_no_timestamp()),
    }
}

/// SYNPROXY `synproxy_check_timestamp_cookie()`: WS = `tsecr & 0xF` unless 0xF, SACK = bit 4,
/// ECN = bit 5; no sysctl checks and no `ts_off`.
pub fn decode_timestamp_synproxy(tsecr: u32) -> CookieOptions {
    let nibble = tsecr & TS_OPT_WSCALE_MASK;
    CookieOptions {
        wscale: if nibble == TS_OPT_WSCALE_MASK {
            None
        } else {
            Some(nibble as u8)
        },
        sack_ok: tsecr & TS_OPT_SACK != 0,
        ecn_ok: tsecr & TS_OPT_ECN != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [Key128; 2] = [
        [0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908],
        [0x1716_1514_1312_1110, 0x1f1e_1d1c_1b1a_1918],
    ];

    #[test]
    fn v4_hash_is_siphash_of_message() {
        let (s, d) = ([10, 0, 0, 1], [192, 168, 1, 2]);
        for (c, k) in KEY.iter().enumerate() {
            for count in [0u32, 1, 0x1234_5678, u32::MAX] {
                let m = cookie_message_v4(s, d, 40000, 80, count);
                assert_eq!(
                    cookie_hash_v4(&KEY, s, d, 40000, 80, count, c),
                    siphash24(k, &m) as u32
                );
            }
        }
    }

    #[test]
    fn message_layouts() {
        let m = cookie_message_v4([1, 2, 3, 4], [5, 6, 7, 8], 0x1122, 0x3344, 0xAABB_CCDD);
        assert_eq!(
            m,
            [1, 2, 3, 4, 5, 6, 7, 8, 0x33, 0x44, 0x11, 0x22, 0xDD, 0xCC, 0xBB, 0xAA]
        );
        let m = cookie_message_v6([1; 16], [2; 16], 0x1122, 0x3344, 0xAABB_CCDD);
        assert_eq!(&m[32..], &[0xDD, 0xCC, 0xBB, 0xAA, 0x11, 0x22, 0x33, 0x44]);
    }

    #[test]
    fn mss_index_boundaries() {
        let cases = [
            (0, 0),
            (535, 0),
            (536, 0),
            (1299, 0),
            (1300, 1),
            (1439, 1),
            (1440, 2),
            (1459, 2),
            (1460, 3),
            (u16::MAX, 3),
        ];
        for (mss, idx) in cases {
            assert_eq!(mss_index(&MSSTAB_V4, mss), idx, "mss {mss}");
        }
        let cases = [
            (0, 0),
            (1419, 0),
            (1420, 1),
            (1440, 2),
            (8939, 2),
            (8940, 3),
            (9000, 3),
        ];
        for (mss, idx) in cases {
            assert_eq!(mss_index(&MSSTAB_V6, mss), idx, "mss {mss}");
        }
    }

    #[test]
    fn counter_byte_is_exact() {
        // After removing H0 + sseq the top byte is exactly count mod 256 (the 24-bit term never carries).
        for count in [0u32, 1, 255, 256, 0xFFFF_FFFF] {
            let (isn, _) = init_sequence_v4(
                &KEY,
                [1, 1, 1, 1],
                [2, 2, 2, 2],
                1,
                2,
                0xFFFF_FFF0,
                1460,
                count,
            );
            let h0 = cookie_hash_v4(&KEY, [1, 1, 1, 1], [2, 2, 2, 2], 1, 2, 0, 0);
            assert_eq!(
                isn.wrapping_sub(h0.wrapping_add(0xFFFF_FFF0)) >> 24,
                count & 0xFF
            );
        }
    }

    #[test]
    fn steps_consistent() {
        let i = init_sequence_v4_steps(&KEY, [1, 2, 3, 4], [5, 6, 7, 8], 1234, 80, 1000, 1460, 77);
        let c = check_v4_steps(
            &KEY,
            [1, 2, 3, 4],
            [5, 6, 7, 8],
            1234,
            80,
            1001,
            i.isn.wrapping_add(1),
            78,
        );
        assert_eq!(
            (c.h0, c.diff, c.count_used, c.h1, c.mssind, c.mss),
            (i.h0, 1, 77, i.h1, 3, Some(1460))
        );
        assert_eq!(c.linux_data(), 3);
        let c = check_v4_steps(
            &KEY,
            [1, 2, 3, 4],
            [5, 6, 7, 8],
            1234,
            80,
            1001,
            i.isn.wrapping_add(1),
            79,
        );
        assert!(!c.age_ok() && !c.is_valid());
        assert_eq!(c.linux_data(), u32::MAX);
    }

    #[test]
    fn ts_encode_decode_all_options() {
        let s = CookieSysctls::default();
        for ws in (0..=14u8).map(Some).chain([None]) {
            for sack_ok in [false, true] {
                for ecn_ok in [false, true] {
                    let o = CookieOptions {
                        wscale: ws,
                        sack_ok,
                        ecn_ok,
                    };
                    for now in [0u32, 5, 63, 64, 1000, 0xFFFF_FFFF] {
                        let ts = init_timestamp(&o, now);
                        assert_eq!(decode_timestamp(ts, &s), Ok(o));
                        assert_eq!(
                            decode_timestamp_synproxy(init_timestamp_synproxy(&o, now)),
                            o
                        );
                        assert_eq!(ts & TSMASK, encode_ts_options(&o));
                        if now >= 64 {
                            assert!(ts <= now && now - ts < 128);
                        }
                    }
                }
            }
        }
        assert_eq!(
            encode_ts_options(&CookieOptions {
                wscale: Some(200),
                ..CookieOptions::NONE
            }),
            14
        );
    }

    #[test]
    fn no_panic_extremes() {
        for c in [0usize, 1, 2, usize::MAX] {
            let _ = cookie_hash_v4(&KEY, [0; 4], [255; 4], 0, u16::MAX, u32::MAX, c);
            let _ = cookie_hash_v6(&KEY, [0; 16], [255; 16], 0, u16::MAX, u32::MAX, c);
        }
        for x in [0u32, 1, u32::MAX] {
            let _ = check_v4(&KEY, [0; 4], [0; 4], 0, 0, x, x, x);
            let _ = check_v6(&KEY, [0; 16], [0; 16], 0, 0, x, x, x);
            let _ = init_sequence_v4(&KEY, [0; 4], [0; 4], 0, 0, x, 0, x);
            let _ = decode_timestamp(x, &CookieSysctls::default());
        }
    }
}
