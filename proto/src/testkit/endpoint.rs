//! A minimal TCP endpoint: the RFC 9293 state machine, enough to open, exchange data and close
//! connections through the NIC, and to notice when the NIC gets something wrong. Not a full
//! stack: no reassembly (out-of-order data is dropped and re-ACKed), no congestion control, no
//! delayed ACKs, no SACK blocks (SACK-permitted is negotiated only), no urgent data.
//!
//! What it does implement:
//! - OPEN, active and passive (RFC 9293 §3.10.1), SYN options MSS / WS / SACK-permitted / TS
//!   (RFC 7323) or none; simultaneous open (§3.5 Figure 7);
//! - SEND in MSS-sized segments within the peer's window, with the persist timer and Linux's
//!   zero-window probe (`tcp_xmit_probe_skb`: seq = SND.UNA - 1) when the window is 0, which is
//!   how the SYN proxy's zero-window SYN-ACK is honoured until its window update;
//! - SEGMENT ARRIVES (§3.10.7) in every state, with RFC 5961 challenge ACKs and RFC 7323 PAWS;
//! - CLOSE (§3.10.4) through FIN-WAIT-1/2, CLOSING, TIME-WAIT, CLOSE-WAIT, LAST-ACK, and
//!   simultaneous close (§3.6 Figure 13); ABORT (§3.10.5) with a RST;
//! - retransmission (RFC 6298 style, fixed initial RTO with exponential backoff, go-back-N) and
//!   the 2*MSL TIME-WAIT timer.
//!
//! Each endpoint sees only its own side's sequence and timestamp numbers: a SYN proxy between
//! two endpoints translates them and neither endpoint can tell. Time is passed in (`now`); the
//! TSval clock is the endpoint's own millisecond clock, `now` in ms plus a per-endpoint offset.

use std::collections::VecDeque;
use std::vec::Vec;

use crate::state::TcpState;
use crate::time::{Duration, Instant};
use crate::tracker::{after, before};
use crate::wire::build::checksums_ok;
use crate::wire::tcp_options::OptionSet;
use crate::wire::{self, SegmentSpec, TcpFlags, TcpInfo};

use TcpState::*;

/// RFC 9293 §3.7.1: the MSS assumed when the peer sends no MSS option.
pub const DEFAULT_MSS: u16 = 536;

/// An IPv4 address and port.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Addr {
    pub ip: [u8; 4],
    pub port: u16,
}

impl core::fmt::Display for Addr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let [a, b, c, d] = self.ip;
        write!(f, "{a}.{b}.{c}.{d}:{}", self.port)
    }
}

impl Addr {
    pub const fn new(ip: [u8; 4], port: u16) -> Addr {
        Addr { ip, port }
    }
}

/// The options an endpoint puts on its SYN (and accepts on the peer's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynOptions {
    pub mss: Option<u16>,
    pub wscale: Option<u8>,
    pub sack_perm: bool,
    pub timestamps: bool,
}

impl SynOptions {
    /// What Linux sends by default: MSS 1460, WS 7, SACK-permitted, timestamps.
    pub const LINUX: SynOptions = SynOptions {
        mss: Some(1460),
        wscale: Some(7),
        sack_perm: true,
        timestamps: true,
    };
    /// No options at all (MSS 536 assumed by the peer).
    pub const NONE: SynOptions = SynOptions {
        mss: None,
        wscale: None,
        sack_perm: false,
        timestamps: false,
    };
}

/// When the application closes its side by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoClose {
    /// Only when [`Endpoint::close`] is called.
    Manual,
    /// When the peer's FIN arrives (a server reading EOF, then closing).
    WhenPeerCloses,
    /// Once everything the application sent has been acknowledged.
    AfterAcked,
    /// Once this many bytes have been received (a client waiting for its echo).
    AfterReceived(u64),
}

/// The application on top of the endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct App {
    /// Send back every byte received.
    pub echo: bool,
    pub close: AutoClose,
}

impl App {
    pub const MANUAL: App = App {
        echo: false,
        close: AutoClose::Manual,
    };
}

/// How one endpoint is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointConfig {
    pub mac: [u8; 6],
    pub peer_mac: [u8; 6],
    pub local: Addr,
    pub remote: Addr,
    /// The initial send sequence number (ISS).
    pub isn: u32,
    pub options: SynOptions,
    /// Receive buffer in bytes: the window offered (the application reads at once).
    pub rcv_buf: u32,
    /// Added to `now` in ms to give TSval (each host's TS clock has its own origin).
    pub ts_offset: u32,
    /// Initial retransmission timeout (RFC 6298 §2.1: 1 s).
    pub rto: Duration,
    /// Retransmissions of one segment before the connection is given up (Linux
    /// tcp_synack_retries = 5).
    pub max_retries: u32,
    /// TIME-WAIT length, 2*MSL (Linux TCP_TIMEWAIT_LEN: 60 s).
    pub time_wait: Duration,
    pub app: App,
}

/// A locally administered MAC derived from an IPv4 address.
pub const fn mac_of(ip: [u8; 4]) -> [u8; 6] {
    [0x02, 0x00, ip[0], ip[1], ip[2], ip[3]]
}

impl EndpointConfig {
    /// Linux-like defaults for the connection `local` <-> `remote` starting at `isn`.
    pub fn new(local: Addr, remote: Addr, isn: u32) -> EndpointConfig {
        EndpointConfig {
            mac: mac_of(local.ip),
            peer_mac: mac_of(remote.ip),
            local,
            remote,
            isn,
            options: SynOptions::LINUX,
            rcv_buf: 64 * 1024 * 4,
            ts_offset: isn.rotate_left(7),
            rto: Duration::from_secs(1),
            max_retries: 5,
            time_wait: Duration::from_secs(60),
            app: App::MANUAL,
        }
    }
}

/// What happened to an endpoint, for assertions and reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct EndpointStats {
    pub segs_in: u64,
    pub segs_out: u64,
    pub bad_checksums: u64,
    pub retransmits: u64,
    pub window_probes: u64,
    pub challenge_acks: u64,
    pub paws_drops: u64,
    pub unacceptable: u64,
    pub rsts_in: u64,
    pub rsts_out: u64,
}

/// A TCP endpoint (one connection).
#[derive(Clone, Debug)]
pub struct Endpoint {
    cfg: EndpointConfig,
    state: TcpState,
    history: Vec<TcpState>,
    passive: bool,
    sim_open: bool,
    // RFC 9293 §3.3.1 send sequence variables.
    iss: u32,
    snd_una: u32,
    snd_nxt: u32,
    snd_wnd: u32,
    snd_wl1: u32,
    snd_wl2: u32,
    max_snd_wnd: u32,
    // Receive sequence variables.
    irs: u32,
    rcv_nxt: u32,
    // Negotiated options.
    ws_peer: bool,
    snd_shift: u8,
    rcv_shift: u8,
    peer_mss: u16,
    ts_ok: bool,
    sack_ok: bool,
    ts_recent: u32,
    // Data: `tx` holds the bytes from SND.UNA on (in flight, then unsent).
    tx: VecDeque<u8>,
    app_sent: u64,
    fin_queued: bool,
    fin_seq: Option<u32>,
    fin_in_flight: bool,
    rx: Vec<u8>,
    peer_fin: bool,
    // Timers.
    rtx_deadline: Option<Instant>,
    backoff: u32,
    tw_deadline: Option<Instant>,
    // Outcome.
    reset: bool,
    timed_out: bool,
    ack_now: bool,
    sent_this_round: bool,
    out: Vec<Vec<u8>>,
    ip_id: u16,
    stats: EndpointStats,
}

/// The byte at offset `i` of what an endpoint with `seed` sends (a recognisable pattern, so an
/// echo can be checked byte for byte).
pub fn pattern_byte(seed: u32, i: u64) -> u8 {
    let x = (i ^ seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 56) as u8
}

impl Endpoint {
    /// A CLOSED endpoint; [`Endpoint::connect`] opens it actively.
    pub fn new(cfg: EndpointConfig) -> Endpoint {
        Endpoint {
            iss: cfg.isn,
            snd_una: cfg.isn,
            snd_nxt: cfg.isn,
            cfg,
            state: Closed,
            history: std::vec![Closed],
            passive: false,
            sim_open: false,
            snd_wnd: 0,
            snd_wl1: 0,
            snd_wl2: 0,
            max_snd_wnd: 0,
            irs: 0,
            rcv_nxt: 0,
            ws_peer: false,
            snd_shift: 0,
            rcv_shift: 0,
            peer_mss: DEFAULT_MSS,
            ts_ok: false,
            sack_ok: false,
            ts_recent: 0,
            tx: VecDeque::new(),
            app_sent: 0,
            fin_queued: false,
            fin_seq: None,
            fin_in_flight: false,
            rx: Vec::new(),
            peer_fin: false,
            rtx_deadline: None,
            backoff: 0,
            tw_deadline: None,
            reset: false,
            timed_out: false,
            ack_now: false,
            sent_this_round: false,
            out: Vec::new(),
            ip_id: 0,
            stats: EndpointStats::default(),
        }
    }

    /// A passive OPEN (RFC 9293 §3.10.1): the endpoint waits in LISTEN for this 4-tuple's SYN.
    pub fn listen(cfg: EndpointConfig) -> Endpoint {
        let mut e = Endpoint::new(cfg);
        e.passive = true;
        e.set_state(Listen);
        e
    }

    // ---- accessors -----------------------------------------------------------------------

    pub fn config(&self) -> &EndpointConfig {
        &self.cfg
    }
    pub fn state(&self) -> TcpState {
        self.state
    }
    /// Every state the endpoint went through, starting with CLOSED (or LISTEN).
    pub fn history(&self) -> &[TcpState] {
        &self.history
    }
    pub fn local(&self) -> Addr {
        self.cfg.local
    }
    pub fn remote(&self) -> Addr {
        self.cfg.remote
    }
    /// The data received, in order.
    pub fn rx(&self) -> &[u8] {
        &self.rx
    }
    /// How many bytes the application has handed over for sending.
    pub fn app_sent(&self) -> u64 {
        self.app_sent
    }
    /// Bytes handed over and not yet acknowledged.
    pub fn unacked(&self) -> usize {
        self.tx.len()
    }
    /// Whether the received data is exactly the start of what this endpoint sent (an echo).
    pub fn rx_is_echo(&self) -> bool {
        self.rx.len() as u64 <= self.app_sent
            && self
                .rx
                .iter()
                .enumerate()
                .all(|(i, &b)| b == pattern_byte(self.pattern_seed(), i as u64))
    }
    /// The connection was reset by the peer (a RST was accepted).
    pub fn was_reset(&self) -> bool {
        self.reset
    }
    /// The connection was given up after `max_retries` retransmissions.
    pub fn timed_out(&self) -> bool {
        self.timed_out
    }
    /// The peer's FIN has been received.
    pub fn peer_closed(&self) -> bool {
        self.peer_fin
    }
    /// Reached SYN-RECEIVED from SYN-SENT (simultaneous open).
    pub fn simultaneous_open(&self) -> bool {
        self.sim_open
    }
    pub fn stats(&self) -> &EndpointStats {
        &self.stats
    }
    /// (ISS, IRS): the endpoint's own and the peer's initial sequence numbers, as it sees them.
    pub fn isns(&self) -> (u32, u32) {
        (self.iss, self.irs)
    }
    /// (SND.UNA, SND.NXT, SND.WND, RCV.NXT).
    pub fn seq_vars(&self) -> (u32, u32, u32, u32) {
        (self.snd_una, self.snd_nxt, self.snd_wnd, self.rcv_nxt)
    }
    /// Whether timestamps were negotiated, and the last TSval received (TS.Recent).
    pub fn timestamps(&self) -> (bool, u32) {
        (self.ts_ok, self.ts_recent)
    }
    /// The window-scale shifts in force: (applied to the peer's window, applied to ours).
    pub fn shifts(&self) -> (u8, u8) {
        (self.snd_shift, self.rcv_shift)
    }
    /// The peer's MSS as negotiated.
    pub fn peer_mss(&self) -> u16 {
        self.peer_mss
    }
    /// SACK-permitted negotiated.
    pub fn sack_ok(&self) -> bool {
        self.sack_ok
    }
    /// The next instant a timer of this endpoint fires.
    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.rtx_deadline, self.tw_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
    /// Take the frames produced since the last call.
    pub fn take_output(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.out)
    }

    fn pattern_seed(&self) -> u32 {
        u32::from_be_bytes(self.cfg.local.ip) ^ (self.cfg.local.port as u32) << 16
    }

    fn set_state(&mut self, s: TcpState) {
        if s != self.state {
            self.state = s;
            self.history.push(s);
        }
        if s == TimeWait || s == Closed {
            self.rtx_deadline = None;
        }
    }

    // ---- user calls (RFC 9293 §3.10.1 - §3.10.5) -------------------------------------------

    /// Active OPEN (§3.10.1, CLOSED state): send the SYN, enter SYN-SENT.
    pub fn connect(&mut self, now: Instant) {
        if self.state != Closed {
            return;
        }
        self.iss = self.cfg.isn;
        self.snd_una = self.iss;
        self.snd_nxt = self.iss.wrapping_add(1);
        self.set_state(SynSent);
        self.send_syn(now, false);
        self.arm_rtx(now);
    }

    /// SEND (§3.10.2): queue `n` bytes of the endpoint's pattern.
    pub fn send(&mut self, n: usize, now: Instant) {
        let seed = self.pattern_seed();
        for i in 0..n as u64 {
            self.tx.push_back(pattern_byte(seed, self.app_sent + i));
        }
        self.app_sent += n as u64;
        self.flush(now);
    }

    /// CLOSE (§3.10.4): a FIN after the queued data; FIN-WAIT-1 or LAST-ACK.
    pub fn close(&mut self, now: Instant) {
        match self.state {
            Listen | SynSent => self.set_state(Closed),
            // "Queue for processing after entering ESTABLISHED state."
            SynReceived => self.fin_queued = true,
            Established => {
                self.fin_queued = true;
                self.set_state(FinWait1);
            }
            CloseWait => {
                self.fin_queued = true;
                self.set_state(LastAck);
            }
            _ => return,
        }
        self.flush(now);
    }

    /// ABORT (§3.10.5): `<SEQ=SND.NXT><CTL=RST>` in the synchronized states, then CLOSED.
    pub fn abort(&mut self, now: Instant) {
        if matches!(
            self.state,
            SynReceived | Established | FinWait1 | FinWait2 | CloseWait
        ) {
            self.emit(self.snd_nxt, 0, TcpFlags::RST, &[], None, now);
            self.stats.rsts_out += 1;
        }
        self.tx.clear();
        self.set_state(Closed);
        self.tw_deadline = None;
    }

    // ---- timers --------------------------------------------------------------------------

    fn rto(&self) -> Duration {
        Duration(
            self.cfg
                .rto
                .nanos()
                .saturating_mul(1 << self.backoff.min(10))
                .min(Duration::from_secs(120).nanos()),
        )
    }

    fn arm_rtx(&mut self, now: Instant) {
        self.rtx_deadline = Some(now + self.rto());
    }

    /// Fire the timers due at `now`: the TIME-WAIT timer (§3.10.8: 2*MSL, then CLOSED), the
    /// retransmission timer (SYN, SYN-ACK, data, FIN) and the persist timer (zero-window probe).
    pub fn on_timer(&mut self, now: Instant) {
        if matches!(self.tw_deadline, Some(d) if now >= d) {
            self.tw_deadline = None;
            self.set_state(Closed);
            return;
        }
        let Some(d) = self.rtx_deadline else { return };
        if now < d {
            return;
        }
        self.rtx_deadline = None;
        if self.backoff >= self.cfg.max_retries {
            // The user timeout: the connection is given up (Linux tcp_write_err, no RST).
            self.timed_out = true;
            self.tx.clear();
            self.set_state(Closed);
            return;
        }
        self.backoff += 1;
        match self.state {
            SynSent => {
                self.stats.retransmits += 1;
                self.send_syn(now, false);
                self.arm_rtx(now);
            }
            SynReceived => {
                self.stats.retransmits += 1;
                self.send_syn(now, true);
                self.arm_rtx(now);
            }
            Established | CloseWait | FinWait1 | Closing | LastAck => {
                if self.snd_nxt != self.snd_una {
                    // Go back N: everything from SND.UNA is sent again.
                    self.stats.retransmits += 1;
                    self.snd_nxt = self.snd_una;
                    self.fin_in_flight = false;
                    self.flush(now);
                } else if self.unsent() > 0 && self.snd_wnd == 0 {
                    // RFC 9293 §3.8.6.1 zero-window probing, as Linux does it: a bare ACK at
                    // SND.UNA - 1 that the receiver must answer with its window.
                    self.stats.window_probes += 1;
                    self.emit_ack_at(self.snd_una.wrapping_sub(1), now);
                    self.arm_rtx(now);
                }
            }
            _ => {}
        }
    }

    // ---- output --------------------------------------------------------------------------

    fn window_field(&self, syn: bool) -> u16 {
        if syn {
            self.cfg.rcv_buf.min(0xFFFF) as u16
        } else {
            (self.cfg.rcv_buf >> self.rcv_shift).min(0xFFFF) as u16
        }
    }

    fn tsval(&self, now: Instant) -> u32 {
        now.ts_clock_ms().wrapping_add(self.cfg.ts_offset)
    }

    /// Payload bytes per segment: the peer's MSS less the timestamp option (Linux mss_cache).
    fn eff_mss(&self) -> usize {
        let own = self.cfg.options.mss.unwrap_or(DEFAULT_MSS);
        let m = self.peer_mss.min(own) as usize;
        m.saturating_sub(if self.ts_ok { 12 } else { 0 }).max(1)
    }

    fn in_flight_data(&self) -> usize {
        let n = self.snd_nxt.wrapping_sub(self.snd_una) as usize;
        n - self.fin_in_flight as usize
    }

    fn unsent(&self) -> usize {
        self.tx.len().saturating_sub(self.in_flight_data())
    }

    fn emit(
        &mut self,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
        syn_opts: Option<OptionSet>,
        now: Instant,
    ) {
        let syn = flags & TcpFlags::SYN != 0;
        let rst = flags & TcpFlags::RST != 0;
        let opts = match syn_opts {
            Some(o) => o,
            None if self.ts_ok && !rst => OptionSet {
                timestamp: Some((self.tsval(now), self.ts_recent)),
                ..OptionSet::default()
            },
            None => OptionSet::default(),
        };
        let bytes = opts.to_bytes();
        self.ip_id = self.ip_id.wrapping_add(1);
        let spec = SegmentSpec {
            src_mac: self.cfg.mac,
            dst_mac: self.cfg.peer_mac,
            vlan_tci: None,
            src_ip: self.cfg.local.ip,
            dst_ip: self.cfg.remote.ip,
            tos: 0,
            ip_id: self.ip_id,
            dont_fragment: true,
            ttl: 64,
            src_port: self.cfg.local.port,
            dst_port: self.cfg.remote.port,
            seq,
            ack,
            flags,
            window: if rst { 0 } else { self.window_field(syn) },
            options: &bytes,
            payload,
        };
        // Options are at most 20 bytes and payloads at most one MSS: always buildable.
        if let Ok(f) = spec.to_vec() {
            self.out.push(f);
            self.stats.segs_out += 1;
        }
        if flags & TcpFlags::ACK != 0 {
            self.ack_now = false;
            self.sent_this_round = true;
        }
    }

    fn emit_ack_at(&mut self, seq: u32, now: Instant) {
        self.emit(seq, self.rcv_nxt, TcpFlags::ACK, &[], None, now);
    }

    /// SYN (`synack` false) or SYN-ACK carrying the endpoint's options (RFC 7323 §2.2, §3.2:
    /// a SYN-ACK carries WS and TS only if the SYN did; SACK-permitted likewise, RFC 2018).
    fn send_syn(&mut self, now: Instant, synack: bool) {
        let o = self.cfg.options;
        let ts = if synack { self.ts_ok } else { o.timestamps };
        let set = OptionSet {
            mss: o.mss,
            sack_perm: if synack { self.sack_ok } else { o.sack_perm },
            timestamp: ts.then(|| (self.tsval(now), if synack { self.ts_recent } else { 0 })),
            wscale: if synack && !self.ws_peer {
                None
            } else {
                o.wscale
            },
        };
        if synack {
            self.emit(
                self.iss,
                self.rcv_nxt,
                TcpFlags::SYN | TcpFlags::ACK,
                &[],
                Some(set),
                now,
            );
        } else {
            self.emit(self.iss, 0, TcpFlags::SYN, &[], Some(set), now);
        }
    }

    /// Send what the window allows (data in MSS-sized segments, then the FIN), and a pure ACK
    /// if one is owed and nothing else carried it. RFC 9293 §3.8.6 / §3.10.2.
    fn flush(&mut self, now: Instant) {
        self.app_close_check();
        if matches!(
            self.state,
            Established | CloseWait | FinWait1 | Closing | LastAck
        ) {
            let mss = self.eff_mss();
            loop {
                let unsent = self.unsent();
                if unsent > 0 {
                    let wnd_end = self.snd_una.wrapping_add(self.snd_wnd);
                    let usable = if after(wnd_end, self.snd_nxt) {
                        wnd_end.wrapping_sub(self.snd_nxt) as usize
                    } else {
                        0
                    };
                    let n = unsent.min(mss).min(usable);
                    if n == 0 {
                        break;
                    }
                    let off = self.in_flight_data();
                    let payload: Vec<u8> = self.tx.range(off..off + n).copied().collect();
                    let flags = TcpFlags::ACK | if n == unsent { TcpFlags::PSH } else { 0 };
                    self.emit(self.snd_nxt, self.rcv_nxt, flags, &payload, None, now);
                    self.snd_nxt = self.snd_nxt.wrapping_add(n as u32);
                    continue;
                }
                if self.fin_queued && !self.fin_in_flight && !self.fin_acked() {
                    // The FIN goes out once all data has been segmentized (§3.10.4); it is sent
                    // whatever the window (as most stacks do for a bare FIN).
                    let seq = self.snd_nxt;
                    self.fin_seq = Some(seq);
                    self.emit(
                        seq,
                        self.rcv_nxt,
                        TcpFlags::FIN | TcpFlags::ACK,
                        &[],
                        None,
                        now,
                    );
                    self.snd_nxt = seq.wrapping_add(1);
                    self.fin_in_flight = true;
                }
                break;
            }
            if self.snd_nxt != self.snd_una || (self.unsent() > 0 && self.snd_wnd == 0) {
                if self.rtx_deadline.is_none() {
                    self.arm_rtx(now);
                }
            } else {
                self.rtx_deadline = None;
            }
        }
        if self.ack_now && !matches!(self.state, Closed | Listen | SynSent) {
            self.emit_ack_at(self.snd_nxt, now);
        }
        self.ack_now = false;
    }

    fn fin_acked(&self) -> bool {
        matches!(self.fin_seq, Some(f) if !before(self.snd_una, f.wrapping_add(1)))
    }

    /// The application's own close, per [`AutoClose`].
    fn app_close_check(&mut self) {
        let want = match self.cfg.app.close {
            AutoClose::Manual => false,
            AutoClose::WhenPeerCloses => self.state == CloseWait,
            AutoClose::AfterAcked => self.state == Established && self.tx.is_empty(),
            AutoClose::AfterReceived(n) => {
                matches!(self.state, Established | CloseWait) && self.rx.len() as u64 >= n
            }
        };
        if want && !self.fin_queued {
            // As close() (§3.10.4), without its flush: the caller is flushing.
            self.fin_queued = true;
            match self.state {
                Established => self.set_state(FinWait1),
                CloseWait => self.set_state(LastAck),
                _ => {}
            }
        }
    }

    // ---- input ---------------------------------------------------------------------------

    /// A frame for this endpoint arrived at `now`.
    pub fn on_frame(&mut self, frame: &[u8], now: Instant) {
        let Ok(parsed) = wire::parse(frame) else {
            return;
        };
        let Some((ip, tcp)) = parsed.tcp() else {
            return;
        };
        if !checksums_ok(frame, ip, tcp) {
            self.stats.bad_checksums += 1;
            return;
        }
        let start = tcp.offset + tcp.header_len;
        let payload = &frame[start..start + tcp.payload_len];
        self.stats.segs_in += 1;
        self.sent_this_round = false;
        match self.state {
            Closed => {
                if let Some(rst) = reset_for(frame) {
                    self.out.push(rst);
                    self.stats.rsts_out += 1;
                }
                return;
            }
            Listen => self.on_listen(tcp, now),
            SynSent => self.on_syn_sent(tcp, now),
            TimeWait => self.on_time_wait(tcp, now),
            _ => self.on_synchronized(tcp, payload, now),
        }
        self.flush(now);
    }

    fn take_syn_options(&mut self, tcp: &TcpInfo) {
        let own = self.cfg.options;
        let o = &tcp.options;
        self.ws_peer = own.wscale.is_some() && o.wscale.is_some();
        if self.ws_peer {
            self.snd_shift = o.wscale_clamped().unwrap_or(0);
            self.rcv_shift = own.wscale.unwrap_or(0).min(14);
        } else {
            self.snd_shift = 0;
            self.rcv_shift = 0;
        }
        self.sack_ok = own.sack_perm && o.sack_perm;
        self.ts_ok = own.timestamps && o.timestamp.is_some();
        if let (true, Some(ts)) = (self.ts_ok, o.timestamp) {
            self.ts_recent = ts.tsval;
        }
        self.peer_mss = o.mss.unwrap_or(DEFAULT_MSS);
    }

    /// The peer's window in bytes: SYN windows are never scaled (RFC 7323 §2.2).
    fn seg_wnd(&self, tcp: &TcpInfo) -> u32 {
        if tcp.flags.syn() {
            tcp.window as u32
        } else {
            (tcp.window as u32) << self.snd_shift
        }
    }

    fn set_snd_wnd(&mut self, tcp: &TcpInfo) {
        let w = self.seg_wnd(tcp);
        if self.snd_wnd == 0 && w > 0 {
            // The window opened: the persist timer's backoff is over.
            self.backoff = 0;
            self.rtx_deadline = None;
        }
        self.snd_wnd = w;
        self.max_snd_wnd = self.max_snd_wnd.max(w);
        self.snd_wl1 = tcp.seq;
        self.snd_wl2 = tcp.ack;
    }

    /// §3.10.7.2 LISTEN.
    fn on_listen(&mut self, tcp: &TcpInfo, now: Instant) {
        let f = tcp.flags;
        if f.rst() {
            return;
        }
        if f.ack() {
            self.rst_reply(tcp.ack, None, now);
            return;
        }
        if !f.syn() {
            return;
        }
        self.irs = tcp.seq;
        self.rcv_nxt = tcp.seq.wrapping_add(1);
        self.take_syn_options(tcp);
        self.iss = self.cfg.isn;
        self.snd_una = self.iss;
        self.snd_nxt = self.iss.wrapping_add(1);
        self.snd_wnd = tcp.window as u32;
        self.snd_wl1 = tcp.seq;
        self.snd_wl2 = 0;
        self.set_state(SynReceived);
        self.send_syn(now, true);
        self.arm_rtx(now);
    }

    /// §3.10.7.3 SYN-SENT.
    fn on_syn_sent(&mut self, tcp: &TcpInfo, now: Instant) {
        let f = tcp.flags;
        // First: the ACK bit. Acceptable iff SND.UNA < SEG.ACK =< SND.NXT.
        let ack_ok = f.ack() && after(tcp.ack, self.snd_una) && !after(tcp.ack, self.snd_nxt);
        if f.ack() && !ack_ok {
            if !f.rst() {
                self.rst_reply(tcp.ack, None, now);
            }
            return;
        }
        // Second: RST, acceptable only with an acceptable ACK.
        if f.rst() {
            if ack_ok {
                self.stats.rsts_in += 1;
                self.reset = true;
                self.set_state(Closed);
            }
            return;
        }
        // Fourth: SYN.
        if !f.syn() {
            return;
        }
        self.irs = tcp.seq;
        self.rcv_nxt = tcp.seq.wrapping_add(1);
        self.take_syn_options(tcp);
        if ack_ok {
            self.snd_una = tcp.ack;
            self.backoff = 0;
            self.rtx_deadline = None;
            self.set_snd_wnd(tcp);
            self.set_state(Established);
            self.ack_now = true;
        } else {
            // Simultaneous open (§3.5 Figure 7): SYN-RECEIVED, answer <SEQ=ISS><ACK=RCV.NXT>
            // <CTL=SYN,ACK> (with our options again, as Linux does).
            self.sim_open = true;
            self.snd_wnd = tcp.window as u32;
            self.snd_wl1 = tcp.seq;
            self.set_state(SynReceived);
            self.send_syn(now, true);
            self.arm_rtx(now);
        }
    }

    /// TIME-WAIT (§3.10.7.4, Linux `tcp_timewait_state_process`): a retransmitted FIN is
    /// acknowledged and restarts the 2*MSL timer; an exact RST ends the state; anything else
    /// gets an ACK.
    fn on_time_wait(&mut self, tcp: &TcpInfo, now: Instant) {
        let f = tcp.flags;
        if f.rst() {
            if tcp.seq == self.rcv_nxt {
                self.stats.rsts_in += 1;
                self.tw_deadline = None;
                self.set_state(Closed);
            }
            return;
        }
        if f.fin() && tcp.end() == self.rcv_nxt {
            self.tw_deadline = Some(now + self.cfg.time_wait);
        }
        if tcp.seg_len() > 0 || f.syn() {
            self.ack_now = true;
        }
    }

    /// The sequence-number acceptability test of §3.10.7.4 (first check).
    fn acceptable(&self, tcp: &TcpInfo) -> bool {
        let wnd = (self.window_field(false) as u32) << self.rcv_shift;
        let len = tcp.seg_len();
        let in_wnd = |s: u32| !before(s, self.rcv_nxt) && before(s, self.rcv_nxt.wrapping_add(wnd));
        match (len, wnd) {
            (0, 0) => tcp.seq == self.rcv_nxt,
            (0, _) => in_wnd(tcp.seq),
            (_, 0) => false,
            _ => in_wnd(tcp.seq) || in_wnd(tcp.seq.wrapping_add(len - 1)),
        }
    }

    /// §3.10.7.4, SYN-RECEIVED and the synchronized states except TIME-WAIT.
    fn on_synchronized(&mut self, tcp: &TcpInfo, payload: &[u8], now: Instant) {
        let f = tcp.flags;
        // RFC 7323 §5.3 R1: PAWS, before the sequence check (RSTs exempt, Linux).
        if self.ts_ok && !f.rst() {
            if let Some(ts) = tcp.options.timestamp {
                if (ts.tsval.wrapping_sub(self.ts_recent) as i32) < 0 {
                    self.stats.paws_drops += 1;
                    self.ack_now = true;
                    return;
                }
            }
        }
        // Linux tcp_validate_incoming: in a simultaneous open, the peer's SYN-ACK acknowledging
        // our SYN is let through in SYN-RECEIVED (RFC 9293 Figure 7 line 6).
        let simopen_synack = self.state == SynReceived
            && f.syn()
            && f.ack()
            && tcp.seq.wrapping_add(1) == self.rcv_nxt
            && tcp.ack == self.snd_nxt;
        // First: sequence number.
        if !simopen_synack && !self.acceptable(tcp) {
            self.stats.unacceptable += 1;
            if !f.rst() {
                self.ack_now = true;
            }
            return;
        }
        // RFC 7323 §4.3: TS.Recent from a segment covering RCV.NXT (Last.ACK.sent).
        if self.ts_ok {
            if let Some(ts) = tcp.options.timestamp {
                if !after(tcp.seq, self.rcv_nxt)
                    && (ts.tsval.wrapping_sub(self.ts_recent) as i32) >= 0
                {
                    self.ts_recent = ts.tsval;
                }
            }
        }
        // Second: RST (RFC 5961 §3.2: exact -> reset, otherwise a challenge ACK).
        if f.rst() {
            let exact = tcp.seq == self.rcv_nxt;
            if exact || self.state == SynReceived {
                self.stats.rsts_in += 1;
                self.reset = true;
                self.tx.clear();
                self.tw_deadline = None;
                self.set_state(Closed);
            } else {
                self.stats.challenge_acks += 1;
                self.ack_now = true;
            }
            return;
        }
        // Fourth: SYN in a synchronized state (RFC 5961 §4.2): challenge ACK.
        if f.syn() && !simopen_synack {
            self.stats.challenge_acks += 1;
            self.ack_now = true;
            return;
        }
        // Fifth: ACK.
        if !f.ack() {
            return;
        }
        if self.state == SynReceived {
            if after(tcp.ack, self.snd_una) && !after(tcp.ack, self.snd_nxt) {
                self.snd_una = tcp.ack;
                self.backoff = 0;
                self.rtx_deadline = None;
                self.set_snd_wnd(tcp);
                self.set_state(Established);
                if simopen_synack {
                    self.ack_now = true;
                }
                if self.fin_queued {
                    self.set_state(FinWait1);
                }
            } else {
                self.rst_reply(tcp.ack, None, now);
                return;
            }
        }
        if after(tcp.ack, self.snd_nxt) {
            // Acknowledges something not yet sent: ACK and drop.
            self.ack_now = true;
            return;
        }
        // RFC 5961 §5.2: too old an ACK gets a challenge ACK.
        let floor = self.snd_una.wrapping_sub(self.max_snd_wnd.max(1));
        if before(tcp.ack, floor) {
            self.stats.challenge_acks += 1;
            self.ack_now = true;
            return;
        }
        if after(tcp.ack, self.snd_una) {
            let mut n = tcp.ack.wrapping_sub(self.snd_una) as usize;
            if self.fin_in_flight && matches!(self.fin_seq, Some(s) if tcp.ack == s.wrapping_add(1))
            {
                n -= 1;
                self.fin_in_flight = false;
            }
            let n = n.min(self.tx.len());
            self.tx.drain(..n);
            self.snd_una = tcp.ack;
            self.backoff = 0;
            // RFC 6298 §5.3: restart the timer for what is still outstanding.
            self.rtx_deadline = None;
        }
        // Window update (SND.UNA =< SEG.ACK =< SND.NXT, WL1/WL2 rule).
        if before(self.snd_wl1, tcp.seq)
            || (self.snd_wl1 == tcp.seq && !before(tcp.ack, self.snd_wl2))
        {
            self.set_snd_wnd(tcp);
        }
        match self.state {
            // A FIN on the same segment takes FIN-WAIT-1 straight to TIME-WAIT (eighth step).
            FinWait1 if self.fin_acked() && !f.fin() => self.set_state(FinWait2),
            Closing if self.fin_acked() => {
                self.set_state(TimeWait);
                self.tw_deadline = Some(now + self.cfg.time_wait);
            }
            LastAck if self.fin_acked() => {
                self.set_state(Closed);
                return;
            }
            _ => {}
        }
        // Seventh: segment text, in order only.
        let mut seq = tcp.seq;
        if tcp.payload_len > 0 {
            if matches!(self.state, Established | FinWait1 | FinWait2) {
                let skip = self.rcv_nxt.wrapping_sub(seq) as usize;
                if before(self.rcv_nxt, seq) {
                    // Out of order: no reassembly here; the duplicate ACK asks for RCV.NXT.
                    self.ack_now = true;
                    return;
                }
                if skip < payload.len() {
                    let data = &payload[skip..];
                    self.rx.extend_from_slice(data);
                    self.rcv_nxt = self.rcv_nxt.wrapping_add(data.len() as u32);
                    if self.cfg.app.echo && !self.fin_queued {
                        self.tx.extend(data.iter().copied());
                        self.app_sent += data.len() as u64;
                    }
                }
                self.ack_now = true;
            }
            seq = seq.wrapping_add(tcp.payload_len as u32);
        }
        // Eighth: FIN, when it is next in sequence.
        if f.fin() && seq == self.rcv_nxt {
            self.rcv_nxt = self.rcv_nxt.wrapping_add(1);
            self.peer_fin = true;
            self.ack_now = true;
            match self.state {
                SynReceived | Established => self.set_state(CloseWait),
                FinWait1 => {
                    if self.fin_acked() {
                        self.set_state(TimeWait);
                        self.tw_deadline = Some(now + self.cfg.time_wait);
                    } else {
                        // Simultaneous close (§3.6 Figure 13).
                        self.set_state(Closing);
                    }
                }
                FinWait2 => {
                    self.set_state(TimeWait);
                    self.tw_deadline = Some(now + self.cfg.time_wait);
                }
                _ => {}
            }
        } else if f.fin() && before(seq, self.rcv_nxt) {
            // A retransmitted FIN: re-ACK.
            self.ack_now = true;
        }
    }

    /// `<SEQ=seq><CTL=RST>` (or with an ACK when `ack` is given).
    fn rst_reply(&mut self, seq: u32, ack: Option<u32>, now: Instant) {
        let (flags, a) = match ack {
            Some(a) => (TcpFlags::RST | TcpFlags::ACK, a),
            None => (TcpFlags::RST, 0),
        };
        let ts = self.ts_ok;
        self.ts_ok = false;
        self.emit(seq, a, flags, &[], None, now);
        self.ts_ok = ts;
        self.stats.rsts_out += 1;
    }
}

/// What a host with no connection for a segment answers (RFC 9293 §3.10.7.1, CLOSED): nothing
/// to a RST; `<SEQ=SEG.ACK><CTL=RST>` to an ACK; `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`
/// otherwise. The reply goes back the way the segment came.
pub fn reset_for(frame: &[u8]) -> Option<Vec<u8>> {
    let parsed = wire::parse(frame).ok()?;
    let (ip, tcp) = parsed.tcp()?;
    if tcp.flags.rst() {
        return None;
    }
    let (seq, ack, flags) = if tcp.flags.ack() {
        (tcp.ack, 0, TcpFlags::RST)
    } else {
        (0, tcp.end(), TcpFlags::RST | TcpFlags::ACK)
    };
    SegmentSpec {
        src_mac: parsed.dst_mac,
        dst_mac: parsed.src_mac,
        vlan_tci: parsed.vlan_tci,
        src_ip: ip.dst,
        dst_ip: ip.src,
        tos: 0,
        ip_id: 0,
        dont_fragment: true,
        ttl: 64,
        src_port: tcp.dst_port,
        dst_port: tcp.src_port,
        seq,
        ack,
        flags,
        window: 0,
        options: &[],
        payload: &[],
    }
    .to_vec()
    .ok()
}

#[cfg(test)]
mod tests {
    //! Two endpoints back to back, no NIC: the endpoint alone must be a sane TCP.
    use super::*;

    const A: Addr = Addr::new([10, 0, 0, 1], 1000);
    const B: Addr = Addr::new([10, 0, 0, 2], 80);

    /// Deliver frames back and forth until both are quiet; `t` advances 1 ms per exchange.
    fn pump(a: &mut Endpoint, b: &mut Endpoint, t: &mut Instant) {
        for _ in 0..10_000 {
            let fa = a.take_output();
            let fb = b.take_output();
            if fa.is_empty() && fb.is_empty() {
                return;
            }
            *t = *t + Duration::from_millis(1);
            for f in fa {
                b.on_frame(&f, *t);
            }
            for f in fb {
                a.on_frame(&f, *t);
            }
        }
        panic!("no quiescence");
    }

    #[test]
    fn open_transfer_close_back_to_back() {
        let mut t = Instant::from_secs(5);
        let mut a = Endpoint::new(EndpointConfig::new(A, B, 0xFFFF_FF00));
        let mut cb = EndpointConfig::new(B, A, 7);
        cb.app = App {
            echo: true,
            close: AutoClose::WhenPeerCloses,
        };
        cb.options = SynOptions::NONE;
        let mut b = Endpoint::listen(cb);
        a.connect(t);
        a.send(10_000, t);
        pump(&mut a, &mut b, &mut t);
        assert_eq!((a.state(), b.state()), (Established, Established));
        // B offered no options: no scaling, no timestamps, MSS 536.
        assert_eq!(
            (a.shifts(), a.timestamps().0, a.peer_mss()),
            ((0, 0), false, 536)
        );
        assert_eq!(b.rx().len(), 10_000);
        assert_eq!(a.rx().len(), 10_000);
        assert!(a.rx_is_echo());
        a.close(t);
        pump(&mut a, &mut b, &mut t);
        assert_eq!(a.state(), TimeWait);
        assert_eq!(b.history().last(), Some(&Closed));
        a.on_timer(t + Duration::from_secs(60));
        assert_eq!(a.state(), Closed);
        assert!(!a.was_reset() && !b.was_reset());
    }

    #[test]
    fn simultaneous_open_and_close_back_to_back() {
        let mut t = Instant::from_secs(5);
        let mut a = Endpoint::new(EndpointConfig::new(A, B, 1));
        let mut b = Endpoint::new(EndpointConfig::new(B, A, 2));
        a.connect(t);
        b.connect(t);
        pump(&mut a, &mut b, &mut t);
        for e in [&a, &b] {
            assert_eq!(e.history(), [Closed, SynSent, SynReceived, Established]);
            assert_eq!(e.shifts(), (7, 7));
        }
        a.close(t);
        b.close(t);
        pump(&mut a, &mut b, &mut t);
        for e in [&a, &b] {
            assert_eq!(&e.history()[4..], [FinWait1, Closing, TimeWait]);
        }
    }

    #[test]
    fn closed_port_answers_with_rst() {
        let t = Instant::from_secs(5);
        let mut a = Endpoint::new(EndpointConfig::new(A, B, 1));
        a.connect(t);
        let syn = a.take_output().pop().unwrap();
        let rst = reset_for(&syn).unwrap();
        a.on_frame(&rst, t);
        assert!(a.was_reset());
        assert_eq!(a.state(), Closed);
    }
}
