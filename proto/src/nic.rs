//! The reference pipeline: what the NIC does to each frame, in the order the hardware does it.
//!
//! ```text
//!  frame in (Wire | Host)
//!    -> parse (wire::parse)            malformed -> punt; fragment / IPv6 -> punt; non-TCP -> forward
//!    -> checksums, conntrack flag check             bad -> drop
//!    -> canonical key, bucket hash (cookie H0), table lookup
//!    -> known flow:   tracker (RFC 9293 / 5961 / 7323 / 1337), SYN-proxy pending or translation
//!       unknown flow: listener policy: SYN -> track or cookie SYN-ACK; ACK -> cookie check -> handoff
//!    -> outcome: forward / rewrite / consume / drop / punt, plus generated frames; counters; events
//! ```
//!
//! Unknown flows (no table entry): a SYN from the wire is tracked, or answered with a cookie
//! when its listener says so ([`crate::policy`]); an ACK to a listener that validates cookies
//! is a cookie ACK; anything else to such a listener is dropped. Other unknown segments are
//! forwarded untracked when `loose` is set (the default: an inline NIC must not cut connections
//! it did not see start) and dropped otherwise. Segments from the host are trusted.
//!
//! A full bucket never evicts: a SYN that cannot be tracked is forwarded untracked (counted
//! `TableFull`) unless its listener is in cookie mode 1 or 2, where the full bucket counts as a
//! flood and the SYN gets a cookie instead; a cookie ACK that cannot be inserted is dropped
//! (`ListenOverflows`), and the client's retransmission tries again.

use std::collections::VecDeque;

use crate::config::{CookieMode, NicConfig};
use crate::cookie;
use crate::counters::Counter;
use crate::decision::{DropReason, Outcome, Port, PuntReason, Reply, Verdict};
use crate::policy::{Policy, SynAction};
use crate::state::TcpState;
use crate::synproxy;
use crate::table::{flags, Entry, FlowKey, Geometry, Table};
use crate::time::Instant;
use crate::tracker::{self, Action, Challenge};
use crate::wire::{self, Frame, Ipv4Info, Payload, TcpInfo};

/// How many transitions the model buffers before counting `EventsLost` (the event ring).
pub const EVENT_QUEUE: usize = 1 << 16;

/// A state change of one connection's host endpoint (becomes an event-ring descriptor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub key: FlowKey,
    pub old: TcpState,
    pub new: TcpState,
    pub at: Instant,
    pub slot: u32,
}

/// The NIC model.
pub struct Nic {
    cfg: NicConfig,
    table: Table,
    policy: Policy,
    counters: [u64; Counter::COUNT],
    events: VecDeque<Transition>,
    /// Handshakes pending on the host: tracked (not proxied) entries in SYN-RECEIVED.
    pending: u32,
}

/// The flow's key in canonical orientation, from a segment arriving on `ingress`.
pub fn flow_key(ingress: Port, ip: &Ipv4Info, tcp: &TcpInfo) -> FlowKey {
    match ingress {
        Port::Wire => FlowKey {
            peer_addr: ip.src,
            host_addr: ip.dst,
            peer_port: tcp.src_port,
            host_port: tcp.dst_port,
        },
        Port::Host => FlowKey {
            peer_addr: ip.dst,
            host_addr: ip.src,
            peer_port: tcp.dst_port,
            host_port: tcp.src_port,
        },
    }
}

/// The table hash of a flow: the cookie unit's H0 (`cookie_hash(peer, host, 0, c=0)`), which the
/// SipHash pipeline computes for every segment anyway and which is keyed by the secret.
pub fn flow_hash(cfg: &NicConfig, key: &FlowKey) -> u32 {
    cookie::cookie_hash_v4(
        &cfg.cookie_key,
        key.peer_addr,
        key.host_addr,
        key.peer_port,
        key.host_port,
        0,
        0,
    )
}

impl Nic {
    pub fn new(cfg: NicConfig, geometry: Geometry) -> Nic {
        Nic {
            cfg,
            table: Table::new(geometry),
            policy: Policy::default(),
            counters: [0; Counter::COUNT],
            events: VecDeque::new(),
            pending: 0,
        }
    }

    pub fn config(&self) -> &NicConfig {
        &self.cfg
    }

    /// Replace the configuration (`tcpoff config set`); the table is kept.
    pub fn set_config(&mut self, cfg: NicConfig) {
        self.cfg = cfg;
    }

    pub fn table(&self) -> &Table {
        &self.table
    }

    pub fn counter(&self, c: Counter) -> u64 {
        self.counters[c as usize]
    }

    pub fn counters(&self) -> &[u64; Counter::COUNT] {
        &self.counters
    }

    /// Handshakes pending on the host.
    pub fn pending(&self) -> u32 {
        self.pending
    }

    pub fn drain_events(&mut self) -> impl Iterator<Item = Transition> + '_ {
        self.events.drain(..)
    }

    fn count(&mut self, c: Counter) {
        self.counters[c as usize] += 1;
    }

    /// Process one frame arriving on `ingress` at `now`. The frame is rewritten in place when
    /// the verdict is [`Verdict::Rewrite`]; it leaves through `ingress.other()` when
    /// [`Outcome::passes`].
    pub fn process(&mut self, ingress: Port, frame: &mut [u8], now: Instant) -> Outcome {
        self.count(match ingress {
            Port::Wire => Counter::WireFramesIn,
            Port::Host => Counter::HostFramesIn,
        });
        let out = match wire::parse(frame) {
            Err(_) => Outcome::new(Verdict::Punt(PuntReason::Malformed)),
            Ok(parsed) => match &parsed.payload {
                Payload::NotIp | Payload::Ipv4Other(_) => {
                    self.count(Counter::NonTcpPassed);
                    Outcome::new(Verdict::Forward)
                }
                Payload::Ipv4Fragment(_) => Outcome::new(Verdict::Punt(PuntReason::Ipv4Fragment)),
                Payload::Ipv6(..) => Outcome::new(Verdict::Punt(PuntReason::Ipv6)),
                Payload::Ipv4Tcp(ip, tcp) => {
                    let (ip, tcp) = (*ip, tcp.clone());
                    self.segment(ingress, frame, &parsed, &ip, &tcp, now)
                }
            },
        };
        self.account(&out);
        out
    }

    /// Count the verdict and the generated frames.
    fn account(&mut self, out: &Outcome) {
        match out.verdict {
            Verdict::Forward => self.count(Counter::FramesForwarded),
            Verdict::Rewrite => self.count(Counter::FramesRewritten),
            Verdict::Consume => {}
            Verdict::Drop(r) => {
                self.count(Counter::FramesDropped);
                self.count(r.counter());
            }
            Verdict::Punt(r) => {
                self.count(Counter::FramesPunted);
                if r.counter() != Counter::FramesPunted {
                    self.count(r.counter());
                }
            }
        }
        self.counters[Counter::FramesGenerated as usize] += out.replies.len() as u64;
    }

    fn segment(
        &mut self,
        ingress: Port,
        frame: &mut [u8],
        f: &Frame,
        ip: &Ipv4Info,
        tcp: &TcpInfo,
        now: Instant,
    ) -> Outcome {
        self.count(Counter::InSegs);
        if self.cfg.verify_checksums && !wire::build::checksums_ok(frame, ip, tcp) {
            return Outcome::new(Verdict::Drop(DropReason::BadChecksum));
        }
        // conntrack `tcp_error`: flag combinations no valid segment carries.
        if !tcp.flags.conntrack_valid() {
            return Outcome::new(Verdict::Drop(DropReason::InvalidFlags));
        }
        let key = flow_key(ingress, ip, tcp);
        let hash = flow_hash(&self.cfg, &key);
        match (ingress, self.table.lookup(&key, hash)) {
            (Port::Wire, Some(slot)) => self.wire_known(slot, frame, f, ip, tcp, now),
            (Port::Wire, None) => self.wire_unknown(key, hash, f, ip, tcp, now),
            (Port::Host, Some(slot)) => self.host_known(slot, key, frame, f, ip, tcp, now),
            (Port::Host, None) => self.host_unknown(key, hash, tcp, now),
        }
    }

    // ---- unknown flows -------------------------------------------------------------------

    fn wire_unknown(
        &mut self,
        key: FlowKey,
        hash: u32,
        f: &Frame,
        ip: &Ipv4Info,
        tcp: &TcpInfo,
        now: Instant,
    ) -> Outcome {
        let fl = tcp.flags;
        let listener = Policy::find(&self.cfg, ip.dst, tcp.dst_port);
        if fl.syn() && !fl.ack() {
            let Some((i, l)) = listener else {
                // Not a protected listener: tracked all the same (cookie mode 0 behaviour).
                return self.track_syn(key, hash, tcp, now, true);
            };
            let bucket_full = self.table.bucket_full(hash);
            let (action, newly) =
                self.policy
                    .on_syn(&self.cfg, i, l.mode, self.pending, bucket_full, now);
            if newly {
                self.count(Counter::FloodDetected);
            }
            return match action {
                SynAction::Cookie => {
                    let (synack, _cookie) = synproxy::cookie_synack(&self.cfg, f, ip, tcp, now);
                    self.count(Counter::SyncookiesSent);
                    reply(Verdict::Consume, Port::Wire, synack, None)
                }
                SynAction::Track => self.track_syn(key, hash, tcp, now, true),
            };
        }
        if let Some((i, l)) = listener {
            if self.policy.validates_cookies(i, l.mode, now) {
                // netfilter SYNPROXY: only a pure ACK (no SYN/FIN/RST) can carry a cookie.
                if fl.ack() && !fl.syn() && !fl.fin() && !fl.rst() {
                    return self.cookie_ack(key, hash, f, ip, tcp, now);
                }
                return Outcome::new(Verdict::Drop(DropReason::UnknownFlow));
            }
        }
        if self.cfg.loose {
            Outcome::new(Verdict::Forward)
        } else {
            Outcome::new(Verdict::Drop(DropReason::UnknownFlow))
        }
    }

    /// Insert a tracked entry for a SYN (from the peer when `from_wire`, else from the host).
    fn track_syn(
        &mut self,
        key: FlowKey,
        hash: u32,
        tcp: &TcpInfo,
        now: Instant,
        from_wire: bool,
    ) -> Outcome {
        let mut e = Entry::new(key, TcpState::Closed);
        if from_wire {
            tracker::open_from_peer(&mut e, tcp, now);
        } else {
            tracker::open_from_host(&mut e, tcp, now);
        }
        match self.table.insert(e, hash) {
            Ok(slot) => {
                self.count(Counter::TableInserts);
                if !from_wire {
                    self.count(Counter::ActiveOpens);
                }
                self.transition(slot, key, TcpState::Closed, e.state, false, now);
            }
            Err(_) => {
                self.count(Counter::TableFull);
                if from_wire && Policy::find(&self.cfg, key.host_addr, key.host_port).is_some() {
                    self.count(Counter::ListenOverflows);
                }
            }
        }
        Outcome::new(Verdict::Forward)
    }

    fn cookie_ack(
        &mut self,
        key: FlowKey,
        hash: u32,
        f: &Frame,
        ip: &Ipv4Info,
        tcp: &TcpInfo,
        now: Instant,
    ) -> Outcome {
        let Some(h) = synproxy::check_cookie_ack(&self.cfg, ip, tcp, tcp.seq, now) else {
            return Outcome::new(Verdict::Drop(DropReason::BadCookie));
        };
        self.count(Counter::SyncookiesRecv);
        let e = synproxy::pending_entry(key, tcp, &h, now);
        let Ok(slot) = self.table.insert(e, hash) else {
            self.count(Counter::TableFull);
            self.count(Counter::ListenOverflows);
            return Outcome::new(Verdict::Drop(DropReason::ListenOverflow));
        };
        self.count(Counter::TableInserts);
        self.transition(
            slot,
            key,
            TcpState::Closed,
            TcpState::SynReceived,
            true,
            now,
        );
        let syn = synproxy::server_syn(&e, h.mss, f, ip, tcp);
        reply(Verdict::Consume, Port::Host, syn, None)
    }

    fn host_unknown(&mut self, key: FlowKey, hash: u32, tcp: &TcpInfo, now: Instant) -> Outcome {
        if tcp.flags.syn() && !tcp.flags.ack() {
            return self.track_syn(key, hash, tcp, now, false);
        }
        // The host is trusted: its segments of untracked flows pass.
        Outcome::new(Verdict::Forward)
    }

    // ---- known flows ---------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn wire_known(
        &mut self,
        slot: u32,
        frame: &mut [u8],
        f: &Frame,
        ip: &Ipv4Info,
        tcp: &TcpInfo,
        now: Instant,
    ) -> Outcome {
        let Some(&before) = self.table.get(slot) else {
            return Outcome::new(Verdict::Drop(DropReason::UnknownFlow));
        };
        let proxied = before.has(flags::PROXIED);
        if proxied && before.state == TcpState::SynReceived {
            return self.wire_proxy_pending(slot, before, f, ip, tcp, now);
        }
        // A SYN toward a protected listener that lands on a TIME-WAIT entry counts toward the
        // listener's SYN rate before the state check (the hardware's policy unit sees it while
        // the state unit decides); its action applies if the SYN reuses the tuple.
        let fl = tcp.flags;
        let reuse_policy = if before.state == TcpState::TimeWait && fl.syn() && !fl.ack() {
            Policy::find(&self.cfg, ip.dst, tcp.dst_port).map(|(i, l)| {
                let (action, newly) =
                    self.policy
                        .on_syn(&self.cfg, i, l.mode, self.pending, false, now);
                if newly {
                    self.count(Counter::FloodDetected);
                }
                action
            })
        } else {
            None
        };
        // Track in the host's sequence space.
        let mut view = tcp.clone();
        if proxied {
            view.ack = tcp.ack.wrapping_sub(before.seq_off);
        }
        let mut e = before;
        let action = tracker::on_wire(&mut e, &view, &self.cfg, now);
        match action {
            Action::Accept | Action::Ignore => {
                if let Some(slot_e) = self.table.get_mut(slot) {
                    *slot_e = e;
                }
                if e.state != before.state {
                    if e.state == TcpState::Closed
                        && matches!(before.state, TcpState::Established | TcpState::CloseWait)
                    {
                        self.count(Counter::EstabResets);
                    }
                    if e.state == TcpState::Established
                        && before.state == TcpState::SynReceived
                        && !e.has(flags::OUTBOUND)
                    {
                        self.count(Counter::PassiveOpens);
                    }
                    self.transition(slot, e.key, before.state, e.state, proxied, now);
                }
                if e.state == TcpState::Closed {
                    self.remove(slot);
                }
                if proxied {
                    synproxy::translate_to_host(frame, tcp, &e);
                    Outcome::new(Verdict::Rewrite)
                } else {
                    Outcome::new(Verdict::Forward)
                }
            }
            Action::Drop(r) => Outcome::new(Verdict::Drop(r)),
            Action::Challenge(c) => {
                // TCPChallengeACK is counted with the drop reason (`account`).
                if c == Challenge::Syn {
                    self.count(Counter::TCPSYNChallenge);
                }
                let ack = synproxy::challenge_ack(&before, f, ip, tcp);
                reply(Verdict::Drop(DropReason::Challenged), Port::Wire, ack, None)
            }
            Action::Reuse => {
                // RFC 6191: the TIME-WAIT entry gives way to the new connection, in place (the
                // slot is rewritten with the new entry: one table write, one event).
                self.count(Counter::TWRecycled);
                if reuse_policy == Some(SynAction::Cookie) {
                    self.transition(
                        slot,
                        before.key,
                        before.state,
                        TcpState::Closed,
                        proxied,
                        now,
                    );
                    self.remove(slot);
                    let (synack, _cookie) = synproxy::cookie_synack(&self.cfg, f, ip, tcp, now);
                    self.count(Counter::SyncookiesSent);
                    return reply(Verdict::Consume, Port::Wire, synack, None);
                }
                let mut e = Entry::new(before.key, TcpState::Closed);
                tracker::open_from_peer(&mut e, tcp, now);
                self.replace(slot, e);
                self.transition(slot, e.key, before.state, e.state, false, now);
                Outcome::new(Verdict::Forward)
            }
        }
    }

    /// A segment from the client while the proxy waits for the host's SYN-ACK.
    fn wire_proxy_pending(
        &mut self,
        slot: u32,
        e: Entry,
        f: &Frame,
        ip: &Ipv4Info,
        tcp: &TcpInfo,
        now: Instant,
    ) -> Outcome {
        let fl = tcp.flags;
        if fl.rst() {
            if tcp.seq == e.peer_end {
                self.transition(slot, e.key, e.state, TcpState::Closed, true, now);
                self.remove(slot);
                return Outcome::new(Verdict::Forward);
            }
            return Outcome::new(Verdict::Drop(DropReason::RstOutOfWindow));
        }
        // A retransmitted cookie ACK, or a zero-window probe (seq = ISN): the client is waiting
        // for its window to open; resend the SYN to the host (netfilter cookie_retrans).
        let probe = (tcp.seq == e.peer_end && tcp.payload_len == 0)
            || tcp.seq == e.peer_end.wrapping_sub(1);
        if fl.ack() && !fl.syn() && !fl.fin() && probe && tcp.ack == e.seq_off.wrapping_add(1) {
            if let Some(h) = synproxy::check_cookie_ack(&self.cfg, ip, tcp, e.peer_end, now) {
                self.count(Counter::SynproxyRetrans);
                let syn = synproxy::server_syn(&e, h.mss, f, ip, tcp);
                return reply(Verdict::Consume, Port::Host, syn, None);
            }
        }
        Outcome::new(Verdict::Drop(DropReason::ProxyHandshake))
    }

    #[allow(clippy::too_many_arguments)]
    fn host_known(
        &mut self,
        slot: u32,
        key: FlowKey,
        frame: &mut [u8],
        f: &Frame,
        ip: &Ipv4Info,
        tcp: &TcpInfo,
        now: Instant,
    ) -> Outcome {
        let Some(&before) = self.table.get(slot) else {
            return Outcome::new(Verdict::Forward);
        };
        let proxied = before.has(flags::PROXIED);
        if proxied && before.state == TcpState::SynReceived {
            return self.host_proxy_pending(slot, before, frame, f, ip, tcp, now);
        }
        if tcp.flags.syn() && !tcp.flags.ack() && before.state == TcpState::TimeWait {
            // Linux tw_reuse: the host itself reuses its TIME-WAIT 4-tuple for a new connect().
            self.count(Counter::TWRecycled);
            let mut e = Entry::new(key, TcpState::Closed);
            tracker::open_from_host(&mut e, tcp, now);
            self.replace(slot, e);
            self.count(Counter::ActiveOpens);
            self.transition(slot, key, before.state, e.state, false, now);
            return Outcome::new(Verdict::Forward);
        }
        let mut e = before;
        tracker::on_host(&mut e, tcp, now);
        if let Some(s) = self.table.get_mut(slot) {
            *s = e;
        }
        if e.has(flags::OUTBOUND) && !before.has(flags::OUTBOUND) {
            // The host's SYN crossed the peer's: an active open after all.
            self.count(Counter::ActiveOpens);
        }
        if e.state != before.state {
            self.transition(slot, key, before.state, e.state, proxied, now);
        }
        if e.state == TcpState::Closed {
            self.remove(slot);
        }
        if proxied {
            synproxy::translate_to_wire(frame, tcp, &before);
            Outcome::new(Verdict::Rewrite)
        } else {
            Outcome::new(Verdict::Forward)
        }
    }

    /// A segment from the host while the proxy waits for its SYN-ACK.
    #[allow(clippy::too_many_arguments)]
    fn host_proxy_pending(
        &mut self,
        slot: u32,
        mut e: Entry,
        frame: &mut [u8],
        f: &Frame,
        ip: &Ipv4Info,
        tcp: &TcpInfo,
        now: Instant,
    ) -> Outcome {
        if tcp.flags.rst() {
            // The host refused the connection: the client sees the RST at cookie + 1.
            synproxy::translate_refusal(frame, tcp, e.seq_off);
            self.transition(slot, e.key, e.state, TcpState::Closed, true, now);
            self.remove(slot);
            return Outcome::new(Verdict::Rewrite);
        }
        let Some((to_host, to_client)) = synproxy::on_server_synack(&mut e, f, ip, tcp, now) else {
            return Outcome::new(Verdict::Drop(DropReason::ProxyHandshake));
        };
        if let Some(s) = self.table.get_mut(slot) {
            *s = e;
        }
        self.count(Counter::SynproxyHandoffs);
        self.count(Counter::PassiveOpens);
        self.transition(
            slot,
            e.key,
            TcpState::SynReceived,
            TcpState::Established,
            true,
            now,
        );
        reply(
            Verdict::Consume,
            Port::Host,
            to_host,
            Some((Port::Wire, to_client)),
        )
    }

    // ---- bookkeeping ---------------------------------------------------------------------

    /// Rewrite an occupied slot with a new connection's entry (TIME-WAIT reuse): counted as the
    /// old entry's delete and the new one's insert.
    fn replace(&mut self, slot: u32, e: Entry) {
        if let Some(s) = self.table.get_mut(slot) {
            *s = e;
            self.count(Counter::TableDeletes);
            self.count(Counter::TableInserts);
        }
    }

    fn remove(&mut self, slot: u32) {
        if self.table.remove(slot).is_some() {
            self.count(Counter::TableDeletes);
        }
    }

    /// Record a state change: pending-handshake gauge, event.
    fn transition(
        &mut self,
        slot: u32,
        key: FlowKey,
        old: TcpState,
        new: TcpState,
        proxied: bool,
        at: Instant,
    ) {
        if !proxied {
            if old == TcpState::SynReceived {
                self.pending = self.pending.saturating_sub(1);
            }
            if new == TcpState::SynReceived {
                self.pending += 1;
            }
        }
        if self.events.len() >= EVENT_QUEUE {
            self.count(Counter::EventsLost);
        } else {
            self.events.push_back(Transition {
                key,
                old,
                new,
                at,
                slot,
            });
        }
    }

    /// The idle time after which an entry in `state` expires (at most
    /// [`crate::config::MAX_ENTRY_TIMEOUT`]).
    pub fn timeout(&self, state: TcpState) -> crate::time::Duration {
        crate::config::entry_timeout(&self.cfg, state)
    }

    /// Run the timers as of `now`: every entry idle for longer than its state's timeout
    /// ([`Nic::timeout`]) is removed, never early (RFC 9293 MUST-13: TIME-WAIT lasts at least
    /// 2*MSL). Entry stamps have one-second resolution, so an entry goes between `timeout` and
    /// `timeout + 1 s` after its last segment. Returns how many entries expired. (The firmware
    /// does this with a timing wheel fed by the event ring instead of a scan.)
    pub fn expire(&mut self, now: Instant) -> usize {
        let expired: std::vec::Vec<(u32, Entry)> = self
            .table
            .iter()
            .filter(|(_, e)| tracker::age_secs(e, now) > self.timeout(e.state).secs())
            .map(|(s, e)| (s, *e))
            .collect();
        for (slot, e) in &expired {
            if e.state == TcpState::TimeWait {
                self.count(Counter::TW);
            }
            self.count(Counter::TableExpired);
            self.transition(
                *slot,
                e.key,
                e.state,
                TcpState::Closed,
                e.has(flags::PROXIED),
                now,
            );
            self.remove(*slot);
        }
        expired.len()
    }

    /// The cookie mode of the listener for `key`, if the flow goes to one.
    pub fn listener_mode(&self, key: &FlowKey) -> Option<CookieMode> {
        Policy::find(&self.cfg, key.host_addr, key.host_port).map(|(_, l)| l.mode)
    }
}

fn reply(
    verdict: Verdict,
    port: Port,
    frame: wire::GenFrame,
    second: Option<(Port, wire::GenFrame)>,
) -> Outcome {
    let mut out = Outcome::new(verdict);
    // At most MAX_REPLIES (2) frames are ever pushed.
    let _ = out.replies.push(Reply { port, frame });
    if let Some((port, frame)) = second {
        let _ = out.replies.push(Reply { port, frame });
    }
    out
}
