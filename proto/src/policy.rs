//! Listener policy: which SYNs are answered with cookies, and when a cookie ACK is validated.
//!
//! Per listener (Linux `tcp_syncookies` semantics, per listener instead of per host):
//! - mode 0 ([`CookieMode::Off`]): SYNs are forwarded and tracked; cookie ACKs are never checked.
//! - mode 1 ([`CookieMode::OnFlood`]): cookies while a flood is detected — more than
//!   `flood_syn_rate` SYNs to the listener in the current or the previous whole second, more
//!   than `flood_pending` handshakes pending on the host, or the flow's table bucket full (Linux's
//!   trigger is its SYN queue being full: `tcp_syn_flood_action`). Cookie ACKs are validated
//!   while a cookie was sent within the last 120 s (Linux `tcp_synq_no_recent_overflow`,
//!   TCP_SYNCOOKIE_VALID).
//! - mode 2 ([`CookieMode::Always`]): every SYN gets a cookie; every ACK of an unknown flow to
//!   the listener is a cookie ACK.

use crate::config::{CookieMode, Listener, NicConfig, MAX_LISTENERS};
use crate::time::Instant;

/// How long after the last cookie a cookie ACK is still validated (TCP_SYNCOOKIE_VALID).
pub const COOKIE_VALID_SECS: u64 = 120;

/// Run-time state of one listener (per-listener registers in hardware).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListenerRuntime {
    /// The whole second `syns_this` counts.
    pub second: u64,
    /// SYNs in `second`.
    pub syns_this: u32,
    /// SYNs in the second before it.
    pub syns_prev: u32,
    /// Second of the last cookie sent (+1; 0 = never).
    pub last_cookie: u64,
    /// Whether the flood detector is on (for counting FloodDetected on the rising edge).
    pub flooding: bool,
}

impl ListenerRuntime {
    /// Count a SYN at `now`; returns the SYN rate seen (max of this and the previous second).
    pub fn count_syn(&mut self, now: Instant) -> u32 {
        self.roll(now);
        self.syns_this = self.syns_this.saturating_add(1);
        self.syns_this.max(self.syns_prev)
    }

    fn roll(&mut self, now: Instant) {
        let s = now.secs();
        if s != self.second {
            self.syns_prev = if s == self.second + 1 {
                self.syns_this
            } else {
                0
            };
            self.syns_this = 0;
            self.second = s;
        }
    }

    pub fn note_cookie(&mut self, now: Instant) {
        self.last_cookie = now.secs() + 1;
    }

    /// Whether a cookie was sent within the last 120 s.
    pub fn recent_cookie(&self, now: Instant) -> bool {
        self.last_cookie != 0 && now.secs() + 1 - self.last_cookie <= COOKIE_VALID_SECS
    }
}

/// The listener table with its run-time state.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub runtime: [ListenerRuntime; MAX_LISTENERS],
}

/// What to do with a SYN to a listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynAction {
    /// Forward it to the host and track the connection.
    Track,
    /// Answer with a cookie SYN-ACK; allocate nothing.
    Cookie,
}

impl Policy {
    /// The index and definition of the listener for `addr:port` on the host side.
    pub fn find(cfg: &NicConfig, addr: [u8; 4], port: u16) -> Option<(usize, Listener)> {
        cfg.listeners
            .iter()
            .enumerate()
            .find(|(_, l)| l.port == port && (l.addr == addr || l.addr == [0; 4]))
            .map(|(i, l)| (i, *l))
    }

    /// Decide for a SYN to listener `i`. `pending` is the number of handshakes pending on the
    /// host; `bucket_full` whether the flow's bucket has no free way. Returns the action and
    /// whether a flood was newly detected.
    pub fn on_syn(
        &mut self,
        cfg: &NicConfig,
        i: usize,
        mode: CookieMode,
        pending: u32,
        bucket_full: bool,
        now: Instant,
    ) -> (SynAction, bool) {
        let rt = &mut self.runtime[i];
        let rate = rt.count_syn(now);
        let flood = rate > cfg.flood_syn_rate || pending > cfg.flood_pending || bucket_full;
        let newly = flood && !rt.flooding;
        rt.flooding = flood;
        let action = match mode {
            CookieMode::Always => SynAction::Cookie,
            CookieMode::OnFlood if flood => SynAction::Cookie,
            _ => SynAction::Track,
        };
        if action == SynAction::Cookie {
            rt.note_cookie(now);
        }
        (action, newly && mode == CookieMode::OnFlood)
    }

    /// Whether an ACK of an unknown flow to listener `i` is to be checked as a cookie ACK.
    pub fn validates_cookies(&self, i: usize, mode: CookieMode, now: Instant) -> bool {
        match mode {
            CookieMode::Always => true,
            CookieMode::OnFlood => self.runtime[i].recent_cookie(now),
            CookieMode::Off => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(rate: u32) -> NicConfig {
        NicConfig {
            flood_syn_rate: rate,
            ..NicConfig::default()
        }
    }

    #[test]
    fn mode1_switches_to_cookies_above_the_rate_and_back() {
        let c = cfg(3);
        let mut p = Policy::default();
        let t = Instant::from_secs(10);
        let acts: std::vec::Vec<_> = (0..5)
            .map(|_| p.on_syn(&c, 0, CookieMode::OnFlood, 0, false, t).0)
            .collect();
        assert_eq!(
            acts,
            [
                SynAction::Track,
                SynAction::Track,
                SynAction::Track,
                SynAction::Cookie,
                SynAction::Cookie
            ]
        );
        // The next second still sees the previous second's rate.
        assert_eq!(
            p.on_syn(&c, 0, CookieMode::OnFlood, 0, false, Instant::from_secs(11))
                .0,
            SynAction::Cookie
        );
        // Two quiet seconds later the flood is over.
        assert_eq!(
            p.on_syn(&c, 0, CookieMode::OnFlood, 0, false, Instant::from_secs(13))
                .0,
            SynAction::Track
        );
        // Cookie ACKs validate for 120 s after the last cookie (conformance 10).
        assert!(p.validates_cookies(0, CookieMode::OnFlood, Instant::from_secs(11 + 120)));
        assert!(!p.validates_cookies(0, CookieMode::OnFlood, Instant::from_secs(11 + 121)));
        assert!(!p.validates_cookies(1, CookieMode::OnFlood, Instant::from_secs(11)));
    }

    #[test]
    fn pending_and_full_bucket_trigger_cookies() {
        let c = NicConfig {
            flood_pending: 2,
            ..cfg(1000)
        };
        let mut p = Policy::default();
        let t = Instant::from_secs(1);
        assert_eq!(
            p.on_syn(&c, 0, CookieMode::OnFlood, 3, false, t),
            (SynAction::Cookie, true)
        );
        assert_eq!(
            p.on_syn(&c, 0, CookieMode::OnFlood, 0, true, t).0,
            SynAction::Cookie
        );
        assert_eq!(
            p.on_syn(&c, 0, CookieMode::Off, 3, true, t).0,
            SynAction::Track
        );
        assert_eq!(
            p.on_syn(&c, 0, CookieMode::Always, 0, false, t).0,
            SynAction::Cookie
        );
    }
}
