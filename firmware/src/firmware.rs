//! The firmware's main object: the configuration it runs with, the timers, the statistics, and
//! one [`Firmware::poll`] step that the core's main loop (and the simulator) calls forever.
//!
//! One poll, in order: heartbeat; the pipeline's transition events (arm, re-arm or disarm a
//! slot's timer); every timer due by now; up to [`PUNTS_PER_POLL`] punted frames; one mailbox
//! command. Nothing blocks and nothing allocates.

use proto::config::NicConfig;
use proto::counters::Counter;
use proto::events::{Event, TransitionCause, TransitionEvent};
use proto::state::TcpState;
use proto::table::Entry;
use proto::time::Instant;

use crate::hw::Hw;
use crate::timers::{ms, plan, Due, Timers, View};
use crate::{debug, error, info, warn};

/// Firmware version (Mailbox FW_VERSION, `Ping`'s reply): major << 16 | minor.
pub const FW_VERSION: u32 = 1 << 16;
/// Punted frames handled per poll (the rest wait in the queue, which counts what it drops).
pub const PUNTS_PER_POLL: usize = 16;
/// Largest punted or injected frame the firmware handles (an 802.1Q-tagged 1500-byte frame).
pub const MAX_FRAME: usize = 1522;

/// What the firmware did, by kind (also counted in the device counters where one exists).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub transitions: u64,
    pub expired: u64,
    pub keepalive_probes: u64,
    pub keepalive_resets: u64,
    pub syn_retransmits: u64,
    /// SYN retransmissions skipped: the cookie no longer validates (too old, new secret).
    pub syn_retransmit_stale: u64,
    pub close_wait_alarms: u64,
    /// Timers that fired for a slot that was already free.
    pub stale_timers: u64,
    /// Event or log descriptors the host's ring had no room for.
    pub posts_lost: u64,
    /// Generated frames the inject path refused.
    pub inject_failed: u64,
    /// Transitions for slots beyond the timers' capacity (`N`).
    pub untimed: u64,
    /// Table rescans (start, lost transition events, configuration or secret change).
    pub rescans: u64,
    /// Table reads or writes that failed.
    pub table_errors: u64,
}

/// The firmware, over the device `H`, with timers for `N` table slots.
pub struct Firmware<'t, H: Hw, const N: usize> {
    pub hw: H,
    pub(crate) cfg: NicConfig,
    pub(crate) generation: u32,
    pub(crate) timers: &'t mut Timers<N>,
    pub(crate) stats: Stats,
    pub(crate) punt_stats: crate::exceptions::PuntStats,
    pub(crate) capacity: u32,
    lost_seen: u32,
    pub(crate) frame: [u8; MAX_FRAME],
}

impl<'t, H: Hw, const N: usize> Firmware<'t, H, N> {
    /// Start: read the configuration and arm a timer for every entry already in the table.
    pub fn start(mut hw: H, timers: &'t mut Timers<N>) -> Self {
        let (cfg, generation) = match hw.config() {
            Ok(c) => c,
            Err(_) => {
                error!("config block does not decode; running with the defaults");
                (NicConfig::default(), 0)
            }
        };
        let capacity = hw.table_capacity();
        let lost_seen = hw.transitions_lost();
        let mut fw = Firmware {
            hw,
            cfg,
            generation,
            timers,
            stats: Stats::default(),
            punt_stats: Default::default(),
            capacity,
            lost_seen,
            frame: [0; MAX_FRAME],
        };
        if capacity as usize > N {
            error!(
                "table has {=u32} slots, timers only {=u32}",
                capacity, N as u32
            );
        }
        info!(
            "tcpoff firmware {=u32:x} up, {=u32} slots",
            FW_VERSION, capacity
        );
        let now = fw.hw.now();
        fw.rescan(now);
        fw
    }

    pub fn config(&self) -> &NicConfig {
        &self.cfg
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub fn timers(&self) -> &Timers<N> {
        self.timers
    }

    /// One step of the main loop.
    pub fn poll(&mut self) {
        let now = self.hw.now();
        self.hw.heartbeat(ms(now) as u32);
        self.drain_transitions(now);
        self.run_timers(now);
        self.exceptions();
        self.mailbox();
    }

    /// Arm every occupied slot from its entry and clear the rest (O(table): only at start, after
    /// lost events and after a configuration or secret change).
    pub fn rescan(&mut self, now: Instant) {
        self.stats.rescans += 1;
        let slots = self.capacity.min(N as u32);
        for slot in 0..slots {
            match self.hw.table_read(slot) {
                Ok(Some(e)) => {
                    let cw = if e.state == TcpState::CloseWait {
                        // Unknown start: count from now (the alarm may be late, never early).
                        if self.timers.close_wait_ms(slot, now).is_none() {
                            self.timers.set_close_wait(slot, Some(now));
                        }
                        self.timers.close_wait_ms(slot, now)
                    } else {
                        self.timers.set_close_wait(slot, None);
                        None
                    };
                    let v = View::of(&e, now, cw);
                    self.timers.arm(&self.cfg, slot, &v, ms(now));
                }
                Ok(None) => self.timers.clear(slot),
                Err(_) => self.stats.table_errors += 1,
            }
        }
    }

    fn drain_transitions(&mut self, now: Instant) {
        while let Some(ev) = self.hw.next_transition() {
            self.on_transition(&ev);
        }
        let lost = self.hw.transitions_lost();
        if lost != self.lost_seen {
            warn!(
                "{=u32} transition events lost: rescanning",
                lost.wrapping_sub(self.lost_seen)
            );
            self.lost_seen = lost;
            self.rescan(now);
        }
    }

    /// A state change the pipeline reports: (re)arm the slot's timer from the event alone.
    pub fn on_transition(&mut self, ev: &TransitionEvent) {
        self.stats.transitions += 1;
        if ev.slot as usize >= N {
            self.stats.untimed += 1;
            return;
        }
        if ev.new == TcpState::Closed {
            self.timers.clear(ev.slot);
            return;
        }
        if ev.new == TcpState::CloseWait && ev.old != TcpState::CloseWait {
            self.timers.set_close_wait(ev.slot, Some(ev.at));
        } else if ev.new != TcpState::CloseWait {
            self.timers.set_close_wait(ev.slot, None);
        }
        let v = View {
            state: ev.new,
            proxied: ev.flags & proto::table::flags::PROXIED != 0,
            since_ms: ev.at.secs() * 1000,
            close_wait_ms: self.timers.close_wait_ms(ev.slot, ev.at),
        };
        self.timers.arm(&self.cfg, ev.slot, &v, ms(ev.at));
    }

    /// Fire every timer due by `now`.
    pub fn run_timers(&mut self, now: Instant) {
        let t = ms(now);
        while let Some(slot) = self.timers.wheel.pop_expired(t) {
            self.fire(slot as u32, now);
        }
    }

    fn fire(&mut self, slot: u32, now: Instant) {
        let e = match self.hw.table_read(slot) {
            Ok(Some(e)) => e,
            Ok(None) => {
                self.stats.stale_timers += 1;
                self.timers.clear(slot);
                return;
            }
            Err(_) => {
                self.stats.table_errors += 1;
                // Try again in a second rather than lose the timer.
                self.timers.wheel.arm(slot as u16, ms(now) + 1000);
                return;
            }
        };
        let v = View::of(&e, now, self.timers.close_wait_ms(slot, now));
        let p = plan(&self.cfg, &v, ms(now), true);
        match p.remove {
            Some(Due::Expire) => return self.expire(slot, &e, now),
            Some(Due::KeepaliveReset) => return self.keepalive_reset(slot, &e, now),
            _ => {}
        }
        let macs = self.hw.macs();
        if let Some(k) = p.probe {
            let f = crate::frames::keepalive_probe(&e, &macs);
            if self.send(proto::decision::Port::Wire, &f) {
                self.stats.keepalive_probes += 1;
                self.hw.count(Counter::KeepaliveProbes, 1);
                debug!("keepalive probe {=u32} slot {=u32}", k, slot);
            }
        }
        if let Some(k) = p.retransmit {
            match crate::frames::proxy_syn(&self.cfg, &e, &macs, now) {
                Some(f) => {
                    if self.send(proto::decision::Port::Host, &f) {
                        self.stats.syn_retransmits += 1;
                        self.hw.count(Counter::SynproxyRetrans, 1);
                        debug!("proxy SYN retransmission {=u32} slot {=u32}", k, slot);
                    }
                }
                None => self.stats.syn_retransmit_stale += 1,
            }
        }
        if let Some(age) = p.alarm {
            self.timers.set_close_wait(slot, None);
            self.stats.close_wait_alarms += 1;
            self.hw.count(Counter::CloseWaitAlarms, 1);
            let a = proto::events::AlarmEvent {
                kind: proto::events::AlarmKind::CloseWaitAge,
                key: e.key,
                state: e.state,
                at: now,
                slot,
                value: age,
            };
            self.post(&Event::Alarm(a));
            warn!(
                "CLOSE_WAIT for {=u32} s: {=[u8]}:{=u16} <- {=[u8]}:{=u16}",
                age, e.key.host_addr, e.key.host_port, e.key.peer_addr, e.key.peer_port
            );
        }
        let v = View {
            close_wait_ms: self.timers.close_wait_ms(slot, now),
            ..v
        };
        self.timers.arm(&self.cfg, slot, &v, ms(now));
    }

    fn expire(&mut self, slot: u32, e: &Entry, now: Instant) {
        if e.state == TcpState::TimeWait {
            self.hw.count(Counter::TW, 1);
        }
        self.hw.count(Counter::TableExpired, 1);
        self.stats.expired += 1;
        self.remove(slot, e, TransitionCause::Timeout, now);
    }

    fn keepalive_reset(&mut self, slot: u32, e: &Entry, now: Instant) {
        let macs = self.hw.macs();
        let rst = crate::frames::reset_to_host(e, &macs);
        if self.send(proto::decision::Port::Host, &rst) {
            self.hw.count(Counter::OutRsts, 1);
        }
        self.hw.count(Counter::KeepaliveResets, 1);
        self.stats.keepalive_resets += 1;
        info!("keepalive gave up on slot {=u32}", slot);
        self.remove(slot, e, TransitionCause::KeepaliveFailed, now);
    }

    /// Remove an entry, report the transition to the host and forget its timer.
    pub(crate) fn remove(&mut self, slot: u32, e: &Entry, cause: TransitionCause, now: Instant) {
        match self.hw.table_remove(slot) {
            Ok(Some(_)) => self.hw.count(Counter::TableDeletes, 1),
            Ok(None) => {}
            Err(_) => self.stats.table_errors += 1,
        }
        self.timers.clear(slot);
        let ev = TransitionEvent {
            key: e.key,
            old: e.state,
            new: TcpState::Closed,
            cause,
            at: now,
            slot,
            flags: e.flags,
        };
        self.post(&Event::Transition(ev));
    }

    pub(crate) fn post(&mut self, ev: &Event) {
        if !self.hw.post_event(ev) {
            self.stats.posts_lost += 1;
            self.hw.count(Counter::EventsLost, 1);
        }
    }

    /// Inject a generated frame; counts it or its failure.
    pub(crate) fn send(&mut self, port: proto::decision::Port, frame: &[u8]) -> bool {
        match self.hw.inject(port, frame) {
            Ok(()) => {
                self.hw.count(Counter::FramesGenerated, 1);
                true
            }
            Err(_) => {
                self.stats.inject_failed += 1;
                false
            }
        }
    }
}
