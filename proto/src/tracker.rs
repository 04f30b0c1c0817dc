//! The RFC 9293 state of the *host* endpoint of each connection, inferred from both directions.
//!
//! Segments from the wire are checked the way the host itself would check them before the host
//! sees them, so the NIC can answer or drop hostile ones at line rate:
//! - RFC 9293 §3.10.7.3 (SYN-SENT) and §3.10.7.4 (the other states), in that section's order;
//! - RFC 5961 §3 (RST: exact `SEG.SEQ == RCV.NXT` resets, in-window gets a challenge ACK, out of
//!   window is dropped), §4 (SYN in a synchronized state: challenge ACK), §5 (ACK range);
//! - RFC 7323 §5 PAWS (`tcp_paws_check`, TCP_PAWS_WINDOW = 1; RSTs exempt);
//! - RFC 1337 (RST in TIME-WAIT ignored when configured; Linux `tcp_rfc1337`);
//! - RFC 6191 / Linux `tcp_timewait_state_process`: a SYN newer than the TIME-WAIT connection
//!   (higher sequence number, or newer timestamp) reuses the 4-tuple;
//! - conntrack `tcp_in_window` bounds: seq above the upper bound is invalid (dropped), an old
//!   retransmission below the lower bound is accepted without updating state.
//!
//! Segments from the host are trusted: they reveal what the host did (sent SYN, SYN-ACK, FIN,
//! RST) and move its state accordingly.
//!
//! Deviations from the endpoint, with the table fields of [`crate::table`]:
//! - RCV.NXT is `peer_end` (the highest sequence the peer sent), SND.NXT is `host_end`;
//!   SND.UNA is not stored, so RFC 5961 §5's lower bound `SND.UNA - MAX.SND.WND` is taken as
//!   conntrack's `host_end - max(peer max window, 66000)` (MAXACKWINDOW): looser, never stricter.
//! - The upper sequence bound is `peer_end + host max window` (conntrack uses the host's highest
//!   ACK + window; ours is never lower).
//! - Challenge ACKs are not rate-limited per connection (Linux's 500 ms per-socket limiter would
//!   need another timestamp per entry); the per-netns limit is unlimited by default since 2022.
//! - PAWS's 24-day idle exemption is not applied: idle entries expire long before that.

use crate::config::NicConfig;
use crate::decision::DropReason;
use crate::state::TcpState;
use crate::table::{flags, Entry, WS_NONE};
use crate::time::Instant;
use crate::wire::TcpInfo;
use TcpState::*;

/// `a` is before `b` in sequence space (Linux `before()`, RFC 1982).
pub fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `a` is after `b` in sequence space (Linux `after()`).
pub fn after(a: u32, b: u32) -> bool {
    before(b, a)
}

/// conntrack MAXACKWINDOW's floor.
pub const MAX_ACK_WINDOW_FLOOR: u32 = 66_000;
/// RFC 7323 TCP_PAWS_WINDOW.
pub const PAWS_WINDOW: i32 = 1;

/// Why the NIC answers with a challenge ACK (each is counted as TCPChallengeACK).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// RFC 5961 §3: RST in the window but not exactly at RCV.NXT.
    Rst,
    /// RFC 5961 §4: SYN in a synchronized state (also TCPSYNChallenge).
    Syn,
    /// RFC 5961 §5: ACK below SND.UNA - MAX.SND.WND.
    Ack,
    /// An old SYN on a TIME-WAIT connection: re-ACK it (Linux TCP_TW_ACK).
    TimeWait,
}

/// What the tracker says about a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Pass it on; the entry was updated.
    Accept,
    /// Pass it on without updating the entry (an old retransmission; conntrack IGNORE).
    Ignore,
    /// Drop it.
    Drop(DropReason),
    /// Drop it and send `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>` to the peer.
    Challenge(Challenge),
    /// A new SYN may take over this TIME-WAIT 4-tuple: delete the entry and start afresh.
    Reuse,
}

/// The whole-second stamp of [`Entry::stamp`].
pub fn stamp(now: Instant) -> u16 {
    now.secs() as u16
}

/// Seconds since the entry's stamp (mod 2^16).
pub fn age_secs(e: &Entry, now: Instant) -> u64 {
    stamp(now).wrapping_sub(e.stamp) as u64
}

/// Record the options of the connection's first SYN, seen from the peer (a passive open).
pub fn open_from_peer(e: &mut Entry, tcp: &TcpInfo, now: Instant) {
    e.state = SynReceived;
    e.peer_end = tcp.end();
    e.peer_ws = tcp.options.wscale_clamped().unwrap_or(WS_NONE);
    e.peer_maxwin = tcp.window;
    if let Some(ts) = tcp.options.timestamp {
        // TS_OK means "offered" until the other side's SYN shows whether both did.
        e.flags |= flags::TS_OK;
        e.ts_recent = ts.tsval;
    }
    e.stamp = stamp(now);
}

/// Record the host's first SYN (an active open).
pub fn open_from_host(e: &mut Entry, tcp: &TcpInfo, now: Instant) {
    e.state = SynSent;
    e.flags |= flags::OUTBOUND;
    e.host_end = tcp.end();
    e.host_ws = tcp.options.wscale_clamped().unwrap_or(WS_NONE);
    e.host_maxwin = tcp.window;
    if tcp.options.timestamp.is_some() {
        e.flags |= flags::TS_OK;
    }
    e.stamp = stamp(now);
}

/// The second SYN of the handshake has been seen: fix timestamps and window units.
fn both_syns_seen(e: &mut Entry, other_has_ts: bool) {
    if !other_has_ts {
        e.flags &= !flags::TS_OK;
    }
    if e.scaling() {
        // SYN windows are never scaled (RFC 7323 §2.2): express them in scaled units.
        e.peer_maxwin = ceil_shift(e.peer_maxwin, e.peer_shift());
        e.host_maxwin = ceil_shift(e.host_maxwin, e.host_shift());
    }
}

fn ceil_shift(v: u16, s: u32) -> u16 {
    ((v as u32 + (1 << s) - 1) >> s) as u16
}

/// A segment from the wire toward the host. Updates `e` and says what to do with the segment.
pub fn on_wire(e: &mut Entry, tcp: &TcpInfo, cfg: &NicConfig, now: Instant) -> Action {
    let f = tcp.flags;
    match e.state {
        // RFC 9293 §3.10.7.3: the host sent a SYN.
        SynSent => {
            if f.rst() {
                // (2) RST is acceptable only with an ACK of our SYN.
                return if f.ack() && tcp.ack == e.host_end {
                    e.state = Closed;
                    Action::Accept
                } else {
                    Action::Drop(DropReason::RstOutOfWindow)
                };
            }
            if f.syn() {
                if f.ack() && tcp.ack != e.host_end {
                    // (1) unacceptable ACK: the host would answer with a RST.
                    return Action::Drop(DropReason::AckOutOfRange);
                }
                e.peer_end = tcp.end();
                e.peer_ws = if e.host_ws == WS_NONE {
                    WS_NONE
                } else {
                    tcp.options.wscale_clamped().unwrap_or(WS_NONE)
                };
                e.peer_maxwin = tcp.window;
                if let Some(ts) = tcp.options.timestamp {
                    e.ts_recent = ts.tsval;
                }
                both_syns_seen(e, tcp.options.timestamp.is_some());
                if f.ack() {
                    // (4) our SYN is acknowledged: ESTABLISHED.
                    e.state = Established;
                } else {
                    // (4) simultaneous open (RFC 9293 Fig. 7): SYN-RECEIVED.
                    e.state = SynReceived;
                    e.flags |= flags::SIM_OPEN;
                }
                e.stamp = stamp(now);
                return Action::Accept;
            }
            // (5) neither SYN nor RST: conntrack ignores it (sIG); the host drops it.
            Action::Ignore
        }
        SynReceived => on_wire_syn_received(e, tcp, now),
        TimeWait => on_wire_time_wait(e, tcp, cfg, now),
        Listen | Closed => Action::Drop(DropReason::UnknownFlow),
        Established | FinWait1 | FinWait2 | CloseWait | Closing | LastAck => {
            on_wire_synchronized(e, tcp, now)
        }
    }
}

fn on_wire_syn_received(e: &mut Entry, tcp: &TcpInfo, now: Instant) -> Action {
    let f = tcp.flags;
    if f.rst() {
        // RFC 5961 §3: only the exact sequence number resets a half-open connection.
        return if tcp.seq == e.peer_end {
            e.state = Closed;
            Action::Accept
        } else {
            Action::Drop(DropReason::RstOutOfWindow)
        };
    }
    if f.syn() && !f.ack() {
        // A retransmitted SYN (the host resends its SYN-ACK) or a different one (the host
        // answers it itself, Linux `tcp_check_req`): passed on, state untouched (conntrack sIG).
        return Action::Ignore;
    }
    if !f.ack() {
        return Action::Drop(DropReason::InvalidFlags);
    }
    if e.host_end == 0 || tcp.ack != e.host_end {
        // RFC 9293 §3.10.7.4 fifth step, SYN-RECEIVED: an ACK not acknowledging our SYN gets
        // a RST from the host; the NIC drops it.
        return Action::Drop(DropReason::AckOutOfRange);
    }
    if f.syn() && !e.has(flags::SIM_OPEN) {
        return Action::Drop(DropReason::InvalidFlags);
    }
    e.state = Established;
    update_from_wire(e, tcp, now);
    if f.fin() {
        e.state = CloseWait;
    }
    Action::Accept
}

fn on_wire_time_wait(e: &mut Entry, tcp: &TcpInfo, cfg: &NicConfig, now: Instant) -> Action {
    let f = tcp.flags;
    if f.syn() && !f.ack() {
        // RFC 6191 / tcp_timewait_state_process TCP_TW_SYN: a newer SYN reuses the 4-tuple.
        let newer_ts = e.has(flags::TS_OK)
            && matches!(tcp.options.timestamp, Some(ts) if (ts.tsval.wrapping_sub(e.ts_recent) as i32) > 0);
        let newer_seq = after(tcp.seq, e.peer_end);
        return if newer_seq || newer_ts {
            Action::Reuse
        } else {
            Action::Challenge(Challenge::TimeWait)
        };
    }
    if f.rst() {
        if cfg.rfc1337 {
            // RFC 1337 TIME-WAIT assassination protection.
            return Action::Drop(DropReason::Rfc1337);
        }
        return if tcp.seq == e.peer_end {
            e.state = Closed;
            Action::Accept
        } else {
            Action::Drop(DropReason::RstOutOfWindow)
        };
    }
    if f.syn() {
        return Action::Challenge(Challenge::Syn);
    }
    if tcp.seq == e.peer_end || tcp.end() == e.peer_end {
        // A retransmitted FIN or an in-window ACK: the host re-ACKs and restarts 2*MSL.
        e.stamp = stamp(now);
        return Action::Accept;
    }
    Action::Ignore
}

fn on_wire_synchronized(e: &mut Entry, tcp: &TcpInfo, now: Instant) -> Action {
    let f = tcp.flags;
    let rcv_wnd = e.host_maxwin_bytes().max(1);

    // RFC 7323 §5 PAWS, before anything else (tcp_validate_incoming step 1).
    if e.has(flags::TS_OK) && e.ts_recent != 0 {
        if let Some(ts) = tcp.options.timestamp {
            if (e.ts_recent.wrapping_sub(ts.tsval) as i32) > PAWS_WINDOW && !f.rst() {
                return if f.syn() {
                    Action::Challenge(Challenge::Syn)
                } else {
                    Action::Drop(DropReason::Paws)
                };
            }
        }
    }

    // RFC 5961 §3: RST.
    if f.rst() {
        let exact = tcp.seq == e.peer_end
            // Linux `tcp_reset_check`: RCV.NXT - 1 after the peer's FIN.
            || (tcp.seq == e.peer_end.wrapping_sub(1) && matches!(e.state, CloseWait | LastAck | Closing));
        if exact {
            e.state = Closed;
            return Action::Accept;
        }
        let in_window =
            !before(tcp.seq, e.peer_end) && before(tcp.seq, e.peer_end.wrapping_add(rcv_wnd));
        return if in_window {
            Action::Challenge(Challenge::Rst)
        } else {
            Action::Drop(DropReason::RstOutOfWindow)
        };
    }

    // RFC 5961 §4: any SYN in a synchronized state.
    if f.syn() {
        return Action::Challenge(Challenge::Syn);
    }

    if !f.ack() {
        // RFC 9293 §3.10.7.4 fifth step: "if the ACK bit is off, drop the segment".
        return Action::Drop(DropReason::InvalidFlags);
    }

    // conntrack I: beyond the upper bound of what the host can accept.
    if after(tcp.seq, e.peer_end.wrapping_add(rcv_wnd)) {
        return Action::Drop(DropReason::OutOfWindow);
    }
    // RFC 5961 §5 / conntrack III and IV: the ACK must lie in [SND.UNA - MAX.SND.WND, SND.NXT].
    if after(tcp.ack, e.host_end) {
        return Action::Drop(DropReason::AckOutOfRange);
    }
    let max_ack_window = e.peer_maxwin_bytes().max(MAX_ACK_WINDOW_FLOOR);
    if before(tcp.ack, e.host_end.wrapping_sub(max_ack_window)) {
        return Action::Challenge(Challenge::Ack);
    }
    // conntrack II: an old retransmission entirely below the window — passed, state untouched.
    if tcp.seg_len() > 0 && before(tcp.end(), e.peer_end.wrapping_sub(rcv_wnd)) {
        return Action::Ignore;
    }

    update_from_wire(e, tcp, now);

    // RFC 9293 §3.10.7.4 fifth step (ACK of our FIN), then eighth step (FIN).
    let fin_acked = tcp.ack == e.host_end;
    match e.state {
        FinWait1 if fin_acked => e.state = FinWait2,
        Closing if fin_acked => e.state = TimeWait,
        LastAck if fin_acked => {
            e.state = Closed;
            return Action::Accept;
        }
        _ => {}
    }
    if f.fin() {
        e.state = match e.state {
            Established => CloseWait,
            FinWait1 => Closing,
            FinWait2 => TimeWait,
            s => s,
        };
    }
    Action::Accept
}

/// Take in an accepted segment from the peer.
fn update_from_wire(e: &mut Entry, tcp: &TcpInfo, now: Instant) {
    if after(tcp.end(), e.peer_end) {
        e.peer_end = tcp.end();
    }
    if !tcp.flags.syn() {
        e.peer_maxwin = e.peer_maxwin.max(tcp.window);
    }
    if let Some(ts) = tcp.options.timestamp {
        // RFC 7323 §4.3: remember the newest TSval of an in-order segment.
        if e.has(flags::TS_OK)
            && !after(tcp.seq, e.peer_end)
            && (ts.tsval.wrapping_sub(e.ts_recent) as i32) >= 0
        {
            e.ts_recent = ts.tsval;
        }
    }
    e.stamp = stamp(now);
}

/// A segment from the host toward the wire: the host is trusted; its segments show what it did.
pub fn on_host(e: &mut Entry, tcp: &TcpInfo, now: Instant) {
    let f = tcp.flags;
    if f.rst() {
        e.state = Closed;
        return;
    }
    if f.syn() && f.ack() && matches!(e.state, SynReceived) && e.host_end == 0 {
        // The host's SYN-ACK (passive open, or its half of a simultaneous open).
        e.host_ws = if e.peer_ws == WS_NONE {
            WS_NONE
        } else {
            tcp.options.wscale_clamped().unwrap_or(WS_NONE)
        };
        e.host_maxwin = tcp.window;
        e.host_end = tcp.end();
        both_syns_seen(e, tcp.options.timestamp.is_some());
        e.stamp = stamp(now);
        return;
    }
    if f.syn() && !f.ack() && matches!(e.state, SynReceived) && e.host_end == 0 {
        // The host's own SYN crossed the peer's (RFC 9293 Fig. 7, seen from the other end): the
        // host is an active opener that will meet the peer's SYN in SYN-SENT and move to
        // SYN-RECEIVED, the state the entry already holds. Record its half of the handshake;
        // the peer's SYN-ACK then completes it (`on_wire_syn_received`).
        e.host_ws = if e.peer_ws == WS_NONE {
            WS_NONE
        } else {
            tcp.options.wscale_clamped().unwrap_or(WS_NONE)
        };
        if e.host_ws == WS_NONE {
            e.peer_ws = WS_NONE;
        }
        e.host_maxwin = tcp.window;
        e.host_end = tcp.end();
        e.flags |= flags::SIM_OPEN | flags::OUTBOUND;
        both_syns_seen(e, tcp.options.timestamp.is_some());
        e.stamp = stamp(now);
        return;
    }
    if after(tcp.end(), e.host_end) {
        e.host_end = tcp.end();
    }
    if !f.syn() {
        e.host_maxwin = e.host_maxwin.max(tcp.window);
    }
    e.stamp = stamp(now);
    if f.fin() {
        // RFC 9293 §3.10.4 CLOSE: the host closed its side.
        e.state = match e.state {
            Established | SynReceived => FinWait1,
            CloseWait => LastAck,
            s => s,
        };
    } else if f.ack()
        && !f.syn()
        && e.state == SynReceived
        && e.has(flags::SIM_OPEN)
        && tcp.ack == e.peer_end
    {
        // Simultaneous open: the host acknowledged the peer's SYN-ACK (its own SYN-ACK, which
        // also acknowledges the peer's SYN, leaves it in SYN-RECEIVED: RFC 9293 Fig. 7).
        e.state = Established;
    }
}
