//! Timers for the whole connection table: one [`Wheel`] slot per table slot, armed from the
//! pipeline's transition events and re-armed lazily when it fires, so nothing scans the table
//! per tick. What each state's timer does:
//!
//! | state | timer | on expiry | reference |
//! |---|---|---|---|
//! | TIME-WAIT | `time_wait` (2*MSL, 60 s) | entry removed (`TW`) | RFC 9293 §3.10.7.4 (MUST-13), Linux `tcp_time_wait` / `TCP_TIMEWAIT_LEN` |
//! | FIN-WAIT-1/2, CLOSING, LAST-ACK | `fin_timeout` (60 s) | removed | Linux `tcp_fin_timeout`, `tcp_keepalive_timer`'s FIN-WAIT-2 branch |
//! | SYN-SENT, SYN-RECEIVED | `syn_recv_timeout` (60 s) | removed | conntrack SYN_RECV, Linux `tcp_synack_timer` (63 s of retries) |
//! | SYN-RECEIVED, SYN-proxied | SYN to the host retransmitted after `proxy_syn_rto`, doubling (1, 3, 7, 15... s) | SYN resent (`SynproxyRetrans`) | netfilter `synproxy_send_server_syn`, Linux `tcp_retransmit_timer` backoff |
//! | ESTABLISHED, keepalive on | probe after `idle`, then every `interval` | after `probes` unanswered probes: RST to the host, entry removed (`KeepaliveResets`) | Linux `tcp_keepalive_timer` |
//! | ESTABLISHED, CLOSE-WAIT, other | `established_idle` (8 h) | removed | conntrack ESTABLISHED |
//! | CLOSE-WAIT | `close_wait_alarm` after entering CLOSE-WAIT | an `AlarmEvent::CloseWaitAge` naming the connection | (the application never called close()) |
//!
//! Idle timers agree with the model's sweep, `proto::nic::Nic::expire`: an entry expires once
//! its age (`proto::tracker::age_secs`, whole seconds from its 16-bit stamp) exceeds
//! `proto::config::entry_timeout`, i.e. at device time `(stamp + timeout + 1)` s — never early,
//! between `timeout` and `timeout + 1 s` after the last segment.
//!
//! Lazy re-arming: a segment that refreshes an entry changes its stamp but sends no event. When
//! a timer fires the firmware reads the entry, recomputes every deadline from its stamp and
//! state, acts on what is due and re-arms for the next one. An entry is visited at most every
//! `MAX_ENTRY_TIMEOUT` + 1 s (32768 s), so its 16-bit stamp never wraps unseen.
//!
//! Keepalive is measured from the stamp's second `S` (the only record of the last segment the
//! table keeps): probe `k` (0-based) at `S + idle + k * interval`, and if the stamp has not moved
//! by `S + idle + probes * interval` the connection is reset: detection is exactly
//! `idle + interval * probes` after a last segment at a whole second (and never more than 1 s
//! before it otherwise). A live peer's answer to a probe refreshes the stamp, which moves every
//! later deadline.

use proto::config::{entry_timeout, NicConfig};
use proto::state::TcpState;
use proto::table::{flags, Entry};
use proto::time::Instant;
use proto::tracker;

use crate::wheel::{Wheel, TICK_NS};

/// Milliseconds of device time.
pub fn ms(t: Instant) -> u64 {
    t.nanos() / TICK_NS
}

/// Most SYN retransmissions the proxy sends before the handshake timeout removes the entry.
pub const MAX_SYN_RETRIES: u32 = 16;

/// What a connection's timer looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    pub state: TcpState,
    pub proxied: bool,
    /// Start of the second of the last segment (the stamp, widened), in ms.
    pub since_ms: u64,
    /// Start of the second the connection entered CLOSE-WAIT, in ms, while its alarm is pending.
    pub close_wait_ms: Option<u64>,
}

impl View {
    /// The view of a table entry as of `now`.
    pub fn of(e: &Entry, now: Instant, close_wait_ms: Option<u64>) -> View {
        let age = tracker::age_secs(e, now);
        View {
            state: e.state,
            proxied: e.has(flags::PROXIED),
            since_ms: now.secs().saturating_sub(age) * 1000,
            close_wait_ms,
        }
    }
}

/// Something a timer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// Idle timeout: remove the entry.
    Expire,
    /// Keepalive gave up: reset toward the host and remove.
    KeepaliveReset,
    /// Send keepalive probe number `k` (0-based).
    Probe(u32),
    /// Retransmit the SYN proxy's SYN to the host (retransmission number `k`, 1-based).
    RetransmitSyn(u32),
    /// Raise the CLOSE-WAIT age alarm; value = age in seconds.
    CloseWaitAlarm(u32),
}

/// The timers' decision at time `t_ms` for a connection: what is due now (at most one action of
/// each kind; removal excludes the rest) and the next deadline, if the entry stays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub remove: Option<Due>,
    pub probe: Option<u32>,
    pub retransmit: Option<u32>,
    pub alarm: Option<u32>,
    pub next_ms: Option<u64>,
}

fn secs_ms(d: proto::time::Duration) -> u64 {
    d.millis()
}

/// Deadlines of `v` at `t_ms`. With `act` false nothing is due (re-arming after a rescan or an
/// event): the next deadline strictly after the last one that has passed is returned.
pub fn plan(cfg: &NicConfig, v: &View, t_ms: u64, act: bool) -> Plan {
    let mut p = Plan::default();
    let mut next = u64::MAX;
    let idle_deadline = v.since_ms + (entry_timeout(cfg, v.state).secs() + 1) * 1000;
    if t_ms >= idle_deadline && act {
        p.remove = Some(Due::Expire);
        return p;
    }
    next = next.min(idle_deadline);

    let ka = &cfg.keepalive;
    if v.state == TcpState::Established && ka.enabled {
        let k0 = v.since_ms + secs_ms(ka.idle.min(proto::config::MAX_ENTRY_TIMEOUT));
        let intvl = secs_ms(ka.interval.min(proto::config::MAX_ENTRY_TIMEOUT)).max(1);
        if t_ms >= k0 {
            let k = ((t_ms - k0) / intvl).min(u32::MAX as u64) as u32;
            if k >= ka.probes as u32 {
                if act {
                    p.remove = Some(Due::KeepaliveReset);
                    return p;
                }
                // Re-arm only: the reset is due now.
                next = next.min(t_ms);
            } else {
                if act {
                    p.probe = Some(k);
                }
                next = next.min(k0 + (k as u64 + 1) * intvl);
            }
        } else {
            next = next.min(k0);
        }
    }

    if v.state == TcpState::SynReceived && v.proxied {
        let rto = secs_ms(cfg.proxy_syn_rto).max(1);
        // Retransmission k at since + rto * (2^k - 1).
        let mut k = 0u32;
        while k < MAX_SYN_RETRIES && v.since_ms + rto * ((1u64 << (k + 1)) - 1) <= t_ms {
            k += 1;
        }
        if k > 0 && act {
            p.retransmit = Some(k);
        }
        if k < MAX_SYN_RETRIES {
            next = next.min(v.since_ms + rto * ((1u64 << (k + 1)) - 1));
        }
    }

    if v.state == TcpState::CloseWait {
        if let Some(cw) = v.close_wait_ms {
            let at = cw + secs_ms(cfg.close_wait_alarm.min(proto::config::MAX_ENTRY_TIMEOUT));
            if t_ms >= at && act {
                p.alarm = Some(((t_ms - cw) / 1000) as u32);
            } else {
                next = next.min(at.max(t_ms));
            }
        }
    }
    p.next_ms = Some(next);
    p
}

/// Per-slot timer state: the wheel and the CLOSE-WAIT alarm's start.
pub struct Timers<const N: usize> {
    pub wheel: Wheel<N>,
    /// Stamp (whole seconds mod 2^16) at which the slot entered CLOSE-WAIT while its alarm is
    /// pending; 0 = no alarm pending (a stamp of 0 is kept as 1: at most 1 s late, never early).
    close_wait: [u16; N],
}

impl<const N: usize> Default for Timers<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Timers<N> {
    pub const fn new() -> Self {
        Timers {
            wheel: Wheel::new(),
            close_wait: [0; N],
        }
    }

    /// The CLOSE-WAIT start of `slot` in ms as of `now`, if its alarm is pending.
    pub fn close_wait_ms(&self, slot: u32, now: Instant) -> Option<u64> {
        let s = *self.close_wait.get(slot as usize)?;
        if s == 0 {
            return None;
        }
        let age = tracker::stamp(now).wrapping_sub(s) as u64;
        Some(now.secs().saturating_sub(age) * 1000)
    }

    pub fn set_close_wait(&mut self, slot: u32, at: Option<Instant>) {
        if let Some(x) = self.close_wait.get_mut(slot as usize) {
            *x = at.map_or(0, |t| tracker::stamp(t).max(1));
        }
    }

    /// Forget `slot` (its entry is gone).
    pub fn clear(&mut self, slot: u32) {
        self.wheel.cancel(slot as u16);
        self.set_close_wait(slot, None);
    }

    /// Arm `slot` for view `v` as of `t_ms` (no action; see [`plan`]).
    pub fn arm(&mut self, cfg: &NicConfig, slot: u32, v: &View, t_ms: u64) {
        if slot as usize >= N {
            return;
        }
        match plan(cfg, v, t_ms, false).next_ms {
            Some(at) => self.wheel.arm(slot as u16, at),
            None => self.wheel.cancel(slot as u16),
        }
    }
}
