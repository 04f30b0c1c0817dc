//! The SYN proxy, with netfilter SYNPROXY semantics (net/netfilter/nf_synproxy_core.c,
//! net/ipv4/netfilter/ipt_SYNPROXY.c, nf_conntrack_seqadj.c; linux-tcp.md §2):
//!
//! 1. client SYN -> cookie SYN-ACK (`synproxy_send_client_synack`): seq = cookie, window 0,
//!    MSS/WS announced from the configuration, TS carrying the client's options; nothing stored.
//! 2. client ACK with a valid cookie -> SYN to the host (`synproxy_send_server_syn`) with the
//!    client's ISN, the decoded MSS/WS/SACK, and the cookie in the ACK field with ACK clear.
//!    The entry is created here, holding the cookie and the cookie TSval until step 3.
//! 3. host SYN-ACK -> ACK to the host (`synproxy_send_server_ack`) and a window update to the
//!    client (`synproxy_send_client_ack`); seq offset = cookie - host ISN, TS offset = host
//!    TSval - cookie TSval.
//! 4. every later segment translated (`nf_ct_seq_adjust`, `nf_ct_sack_adjust`,
//!    `synproxy_tstamp_adjust`): host->client seq += off, TSval -= tsoff; client->host ack -= off,
//!    SACK edges -= off, TSecr += tsoff; checksums by RFC 1624 incremental updates.
//!
//! Generated frames are translated explicitly where netfilter relies on the hook seeing its own
//! output again (linux-tcp.md §2.4 "define translation of generated packets explicitly"): the
//! window update carries TSval = cookie TSval, i.e. what translation of the host's TSval gives.
//! ECN is never negotiated through the proxy (netfilter masks it out: it is not user-settable).

use crate::config::NicConfig;
use crate::cookie::{self, CookieOptions};
use crate::table::{flags, Entry, FlowKey, WS_NONE};
use crate::time::Instant;
use crate::tracker;
use crate::wire::checksum;
use crate::wire::tcp_options::OptionSet;
use crate::wire::{Frame, GenFrame, Ipv4Info, SegmentSpec, TcpFlags, TcpInfo};

/// TTL of generated frames (IPDEFTTL).
pub const TTL: u8 = 64;

/// Headers of generated frames: addresses and ports of `f` swapped (the reply direction).
fn reply_spec<'a>(f: &Frame, ip: &Ipv4Info, tcp: &TcpInfo, options: &'a [u8]) -> SegmentSpec<'a> {
    SegmentSpec {
        src_mac: f.dst_mac,
        dst_mac: f.src_mac,
        vlan_tci: f.vlan_tci,
        src_ip: ip.dst,
        dst_ip: ip.src,
        tos: 0,
        ip_id: 0,
        dont_fragment: true,
        ttl: TTL,
        src_port: tcp.dst_port,
        dst_port: tcp.src_port,
        seq: 0,
        ack: 0,
        flags: TcpFlags::ACK,
        window: 0,
        options,
        payload: &[],
    }
}

/// Headers of generated frames going the same way as `f`.
fn same_way_spec<'a>(
    f: &Frame,
    ip: &Ipv4Info,
    tcp: &TcpInfo,
    options: &'a [u8],
) -> SegmentSpec<'a> {
    SegmentSpec {
        src_mac: f.src_mac,
        dst_mac: f.dst_mac,
        src_ip: ip.src,
        dst_ip: ip.dst,
        src_port: tcp.src_port,
        dst_port: tcp.dst_port,
        ..reply_spec(f, ip, tcp, options)
    }
}

fn build(spec: &SegmentSpec) -> GenFrame {
    // Generated frames carry at most 20 bytes of options and no payload: they always fit.
    spec.to_gen_frame().unwrap_or_default()
}

/// Step 1: the cookie SYN-ACK answering a client SYN. Returns the frame and the cookie.
pub fn cookie_synack(
    cfg: &NicConfig,
    f: &Frame,
    ip: &Ipv4Info,
    tcp: &TcpInfo,
    now: Instant,
) -> (GenFrame, u32) {
    let o = &tcp.options;
    let (cookie, _mss) = cookie::init_sequence_v4(
        &cfg.cookie_key,
        ip.src,
        ip.dst,
        tcp.src_port,
        tcp.dst_port,
        tcp.seq,
        o.mss.unwrap_or(0),
        now.cookie_minute(),
    );
    // synproxy_tg4: client options masked by the rule's; without TS, WS and SACK are dropped.
    let ts = o.timestamp.filter(|_| cfg.proxy.timestamps);
    let mut set = OptionSet {
        mss: Some(cfg.proxy.mss),
        ..OptionSet::default()
    };
    if let Some(ts) = ts {
        let opts = CookieOptions {
            wscale: o.wscale_clamped(),
            sack_ok: o.sack_perm && cfg.proxy.sack_perm,
            ecn_ok: false,
        };
        set.timestamp = Some((
            cookie::init_timestamp_synproxy(&opts, now.ts_clock_ms()),
            ts.tsval,
        ));
        set.sack_perm = opts.sack_ok;
        set.wscale = o.wscale.map(|_| cfg.proxy.wscale);
    }
    let bytes = set.to_bytes();
    let spec = SegmentSpec {
        seq: cookie,
        ack: tcp.seq.wrapping_add(1),
        flags: TcpFlags::SYN | TcpFlags::ACK,
        window: 0,
        ..reply_spec(f, ip, tcp, &bytes)
    };
    (build(&spec), cookie)
}

/// What a valid cookie ACK decodes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handoff {
    pub mss: u16,
    pub options: CookieOptions,
    /// (client TSval, cookie TSval) when the ACK carries timestamps.
    pub ts: Option<(u32, u32)>,
}

/// Step 2a: validate a client ACK as a cookie ACK (`synproxy_recv_client_ack`). `seq` is the
/// sequence number to check with (the ACK's own, or ISN+1 for a zero-window probe).
pub fn check_cookie_ack(
    cfg: &NicConfig,
    ip: &Ipv4Info,
    tcp: &TcpInfo,
    seq: u32,
    now: Instant,
) -> Option<Handoff> {
    let mss = cookie::check_v4(
        &cfg.cookie_key,
        ip.src,
        ip.dst,
        tcp.src_port,
        tcp.dst_port,
        seq,
        tcp.ack,
        now.cookie_minute(),
    )?;
    let (options, ts) = match tcp.options.timestamp {
        // synproxy_check_timestamp_cookie: decoded without sysctl checks (the cookie in the
        // sequence number is what authenticates; the TS bits only carry the options).
        Some(t) => (
            cookie::decode_timestamp_synproxy(t.tsecr),
            Some((t.tsval, t.tsecr)),
        ),
        // cookie_timestamp_decode: an ACK without TS gets no WS, no SACK, no TS.
        None => (
            CookieOptions {
                wscale: None,
                sack_ok: false,
                ecn_ok: false,
            },
            None,
        ),
    };
    Some(Handoff { mss, options, ts })
}

/// Step 2b: the entry for a validated cookie ACK (host state SYN-RECEIVED: it is about to get
/// the proxy's SYN). The cookie and cookie TSval wait in `seq_off` / `ts_off` until step 3.
pub fn pending_entry(key: FlowKey, tcp: &TcpInfo, h: &Handoff, now: Instant) -> Entry {
    let mut e = Entry::new(key, crate::state::TcpState::SynReceived);
    e.flags = flags::PROXIED | if h.ts.is_some() { flags::TS_OK } else { 0 };
    e.peer_end = tcp.seq;
    e.peer_ws = h.options.wscale.unwrap_or(WS_NONE);
    e.peer_maxwin = tcp.window;
    e.seq_off = tcp.ack.wrapping_sub(1);
    if let Some((tsval, cookie_ts)) = h.ts {
        e.ts_recent = tsval;
        e.ts_off = cookie_ts;
    }
    e.stamp = tracker::stamp(now);
    e
}

/// Step 2c: the SYN to the host (`synproxy_send_server_syn`), built from the pending entry and
/// the client's ACK (or a later probe of the client).
pub fn server_syn(e: &Entry, mss: u16, f: &Frame, ip: &Ipv4Info, tcp: &TcpInfo) -> GenFrame {
    let ts_ok = e.has(flags::TS_OK);
    let set = OptionSet {
        mss: Some(mss),
        sack_perm: ts_ok && decoded_sack(e),
        timestamp: if ts_ok {
            Some((e.ts_recent, e.ts_off))
        } else {
            None
        },
        wscale: if e.peer_ws == WS_NONE {
            None
        } else {
            Some(e.peer_ws)
        },
    };
    let bytes = set.to_bytes();
    let spec = SegmentSpec {
        seq: e.peer_end.wrapping_sub(1),
        ack: e.seq_off,
        flags: TcpFlags::SYN,
        window: e.peer_maxwin,
        ..same_way_spec(f, ip, tcp, &bytes)
    };
    build(&spec)
}

/// The SACK bit of the cookie TSval held by a pending entry.
fn decoded_sack(e: &Entry) -> bool {
    e.ts_off & 0x10 != 0
}

/// Step 3: the host's SYN-ACK completes the handoff. Updates the entry (now ESTABLISHED with
/// its offsets) and returns (ACK to the host, window update to the client); `None` if the
/// SYN-ACK does not acknowledge the proxy's SYN.
pub fn on_server_synack(
    e: &mut Entry,
    f: &Frame,
    ip: &Ipv4Info,
    tcp: &TcpInfo,
    now: Instant,
) -> Option<(GenFrame, GenFrame)> {
    if !(tcp.flags.syn() && tcp.flags.ack()) || tcp.ack != e.peer_end {
        return None;
    }
    let cookie = e.seq_off;
    let cookie_ts = e.ts_off;
    let server_isn = tcp.seq;
    e.seq_off = cookie.wrapping_sub(server_isn);
    e.host_end = server_isn.wrapping_add(1);
    e.host_ws = if e.peer_ws == WS_NONE {
        WS_NONE
    } else {
        tcp.options.wscale_clamped().unwrap_or(WS_NONE)
    };
    if !e.scaling() {
        e.peer_ws = WS_NONE;
    }
    let server_ts = match (e.has(flags::TS_OK), tcp.options.timestamp) {
        (true, Some(t)) => {
            e.ts_off = t.tsval.wrapping_sub(cookie_ts);
            Some(t.tsval)
        }
        _ => {
            e.flags &= !flags::TS_OK;
            e.ts_off = 0;
            None
        }
    };
    let host_wnd = tcp.window as u32 >> e.host_shift();
    e.host_maxwin = ((tcp.window as u32 + (1 << e.host_shift()) - 1) >> e.host_shift()) as u16;
    e.state = crate::state::TcpState::Established;
    e.stamp = tracker::stamp(now);

    // ACK to the host: seq = client ISN + 1, ack = host ISN + 1, the client's window.
    let set = OptionSet {
        timestamp: server_ts.map(|sv| (e.ts_recent, sv)),
        ..OptionSet::default()
    };
    let bytes = set.to_bytes();
    let to_host = SegmentSpec {
        seq: tcp.ack,
        ack: e.host_end,
        flags: TcpFlags::ACK,
        window: e.peer_maxwin,
        ..reply_spec(f, ip, tcp, &bytes)
    };
    // Window update to the client, already in the client's sequence and timestamp space.
    let set = OptionSet {
        timestamp: server_ts.map(|_| (cookie_ts, e.ts_recent)),
        ..OptionSet::default()
    };
    let bytes2 = set.to_bytes();
    let to_client = SegmentSpec {
        seq: cookie.wrapping_add(1),
        ack: tcp.ack,
        flags: TcpFlags::ACK,
        window: host_wnd.min(0xFFFF) as u16,
        ..same_way_spec(f, ip, tcp, &bytes2)
    };
    Some((build(&to_host), build(&to_client)))
}

/// Overwrite the 32-bit field at frame offset `at` and fix the TCP checksum (RFC 1624 Eqn. 3;
/// `at` may be odd relative to the TCP header, e.g. a timestamp after a single NOP).
fn rewrite32(frame: &mut [u8], tcp_off: usize, at: usize, new: u32) {
    let mut old = [0u8; 4];
    old.copy_from_slice(&frame[at..at + 4]);
    let new = new.to_be_bytes();
    if old == new {
        return;
    }
    frame[at..at + 4].copy_from_slice(&new);
    let hc = u16::from_be_bytes([frame[tcp_off + 16], frame[tcp_off + 17]]);
    let hc = checksum::update_bytes(hc, at - tcp_off, &old, &new);
    frame[tcp_off + 16..tcp_off + 18].copy_from_slice(&hc.to_be_bytes());
}

/// Translate a client->host segment in place: ack -= seq_off, SACK edges -= seq_off,
/// TSecr += ts_off (`nf_ct_seq_adjust` for the ORIGINAL direction, `nf_ct_sack_adjust`,
/// `synproxy_tstamp_adjust`).
pub fn translate_to_host(frame: &mut [u8], tcp: &TcpInfo, e: &Entry) {
    let t = tcp.offset;
    if tcp.flags.ack() {
        rewrite32(frame, t, t + 8, tcp.ack.wrapping_sub(e.seq_off));
    }
    if let Some(at) = tcp.options.sack_offset {
        for (i, b) in tcp.options.sack.iter().enumerate() {
            rewrite32(frame, t, at + 8 * i, b.left.wrapping_sub(e.seq_off));
            rewrite32(frame, t, at + 8 * i + 4, b.right.wrapping_sub(e.seq_off));
        }
    }
    if let Some(ts) = tcp.options.timestamp {
        if e.ts_off != 0 {
            rewrite32(frame, t, ts.offset + 4, ts.tsecr.wrapping_add(e.ts_off));
        }
    }
}

/// Translate a host->client segment in place: seq += seq_off, TSval -= ts_off. SACK blocks of
/// this direction acknowledge the client's own sequence space and are left alone.
pub fn translate_to_wire(frame: &mut [u8], tcp: &TcpInfo, e: &Entry) {
    let t = tcp.offset;
    rewrite32(frame, t, t + 4, tcp.seq.wrapping_add(e.seq_off));
    if let Some(ts) = tcp.options.timestamp {
        if e.ts_off != 0 {
            rewrite32(frame, t, ts.offset, ts.tsval.wrapping_sub(e.ts_off));
        }
    }
}

/// A challenge ACK `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>` (RFC 5961 §3.2, §4.2, §5.2) answering
/// segment `f` from the peer, in the peer's sequence space.
pub fn challenge_ack(e: &Entry, f: &Frame, ip: &Ipv4Info, tcp: &TcpInfo) -> GenFrame {
    let seq = if e.has(flags::PROXIED) {
        e.host_end.wrapping_add(e.seq_off)
    } else {
        e.host_end
    };
    let spec = SegmentSpec {
        seq,
        ack: e.peer_end,
        flags: TcpFlags::ACK,
        window: e.host_maxwin,
        ..reply_spec(f, ip, tcp, &[])
    };
    build(&spec)
}

/// Rewrite the seq of a host RST refusing the proxy's SYN so the client sees it at
/// cookie + 1 (netfilter: CLOSE state + RST from REPLY -> seqadj_init(isn - rst_seq + 1)).
pub fn translate_refusal(frame: &mut [u8], tcp: &TcpInfo, cookie: u32) {
    rewrite32(frame, tcp.offset, tcp.offset + 4, cookie.wrapping_add(1));
}
