//! What an operator configures on the NIC (`tcpoff config`), with Linux's defaults.
//!
//! The register map's configuration block ([`crate::regs`]) carries exactly these fields.

use crate::state::TcpState;
use crate::time::Duration;

/// A 128-bit SipHash key as Linux's `siphash_key_t`: `[key[0], key[1]]`, key[0] xored into v0/v2,
/// key[1] into v1/v3.
pub type Key128 = [u64; 2];

/// SYN-cookie mode of a listener (Linux `tcp_syncookies` semantics, per listener).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[repr(u8)]
pub enum CookieMode {
    /// 0: never send cookies; connections are tracked only.
    Off = 0,
    /// 1: send cookies (through the SYN proxy) only under flood: SYN rate or pending handshakes
    /// above the configured thresholds, or the table full for the flow's bucket.
    #[default]
    OnFlood = 1,
    /// 2: always answer SYNs with cookies; every connection goes through the SYN proxy.
    Always = 2,
}

impl CookieMode {
    pub const fn from_code(c: u8) -> Option<CookieMode> {
        match c {
            0 => Some(CookieMode::Off),
            1 => Some(CookieMode::OnFlood),
            2 => Some(CookieMode::Always),
            _ => None,
        }
    }
}

/// A protected listener: destination address and port on the host side, and its cookie mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Listener {
    pub addr: [u8; 4],
    pub port: u16,
    pub mode: CookieMode,
}

/// How many listeners the table holds (a register-file CAM in hardware).
pub const MAX_LISTENERS: usize = 16;

/// What the SYN proxy announces to clients on the host's behalf (iptables SYNPROXY `--mss`,
/// `--wscale`, `--sack-perm`, `--timestamp`): these "must match the backend".
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProxyOptions {
    pub mss: u16,
    pub wscale: u8,
    pub sack_perm: bool,
    pub timestamps: bool,
}

impl Default for ProxyOptions {
    /// The xdp_synproxy selftest's settings: `--mss 1460 --wscale 7 --sack-perm --timestamp`.
    fn default() -> Self {
        ProxyOptions {
            mss: 1460,
            wscale: 7,
            sack_perm: true,
            timestamps: true,
        }
    }
}

/// Keepalive for half-open detection (Linux TCP_KEEPALIVE_TIME / INTVL / PROBES).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Keepalive {
    pub enabled: bool,
    pub idle: Duration,
    pub interval: Duration,
    pub probes: u8,
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive {
            enabled: false,
            idle: Duration::from_secs(7200),
            interval: Duration::from_secs(75),
            probes: 9,
        }
    }
}

/// The longest timeout an entry timer (TIME-WAIT, FIN-WAIT, SYN-RECEIVED, idle) can have:
/// 2^15 - 1 s (9 h 6 min). Entries carry a 16-bit whole-second stamp (see [`crate::table`]), so
/// an age is exact modulo 2^16 s; with timeouts at most 2^15 s, a timer sweep that visits every
/// entry at least every 2^15 s never mistakes an expired entry for a fresh one. Longer configured
/// timeouts are clamped to this (and refused by the register encoder).
pub const MAX_ENTRY_TIMEOUT: Duration = Duration::from_secs(32_767);

/// The whole configuration.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NicConfig {
    pub listeners: heapless::Vec<Listener, MAX_LISTENERS>,
    /// The SYN-cookie secret: `cookie_key[0]` for H0, `cookie_key[1]` for H1 (Linux
    /// `syncookie_secret[2]`). Also keys the connection table's bucket hash (see [`crate::table`]).
    pub cookie_key: [Key128; 2],
    pub proxy: ProxyOptions,
    /// Mode-1 listeners switch to cookies above this many SYNs in one second.
    pub flood_syn_rate: u32,
    /// ... or above this many handshakes pending on the host (entries in SYN-RECEIVED).
    pub flood_pending: u32,
    /// TIME-WAIT length, 2*MSL (Linux TCP_TIMEWAIT_LEN: 60 s).
    pub time_wait: Duration,
    /// Orphaned FIN-WAIT-2 lifetime (Linux tcp_fin_timeout: 60 s).
    pub fin_timeout: Duration,
    /// SYN-RECEIVED lifetime (conntrack SYN_RECV: 60 s; Linux gives up a request at 63 s).
    pub syn_recv_timeout: Duration,
    /// How long the SYN proxy waits for the host's SYN-ACK before retransmitting its SYN.
    pub proxy_syn_rto: Duration,
    /// Idle ESTABLISHED (and CLOSE-WAIT) expiry. conntrack uses 5 days; an entry's 16-bit
    /// second stamp cannot measure that, so the default is 8 h and [`MAX_ENTRY_TIMEOUT`] caps it.
    /// An expired connection that speaks again is still forwarded (untracked, `loose`).
    pub established_idle: Duration,
    /// CLOSE-WAIT age that raises an alarm naming the connection.
    pub close_wait_alarm: Duration,
    pub keepalive: Keepalive,
    /// RFC 1337: ignore RSTs in TIME-WAIT (Linux tcp_rfc1337, default 0).
    pub rfc1337: bool,
    /// Forward (untracked) non-SYN segments of unknown flows that are not cookie ACKs. With
    /// `false` they are dropped (conntrack `nf_conntrack_tcp_loose = 0`).
    pub loose: bool,
    /// Verify IPv4 and TCP checksums of incoming frames and drop bad ones.
    pub verify_checksums: bool,
}

impl Default for NicConfig {
    fn default() -> Self {
        NicConfig {
            listeners: heapless::Vec::new(),
            cookie_key: [
                [0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908],
                [0x1716_1514_1312_1110, 0x1f1e_1d1c_1b1a_1918],
            ],
            proxy: ProxyOptions::default(),
            flood_syn_rate: 1000,
            flood_pending: 256,
            time_wait: Duration::from_secs(60),
            fin_timeout: Duration::from_secs(60),
            syn_recv_timeout: Duration::from_secs(60),
            proxy_syn_rto: Duration::from_secs(1),
            established_idle: Duration::from_secs(28_800),
            close_wait_alarm: Duration::from_secs(300),
            keepalive: Keepalive::default(),
            rfc1337: false,
            loose: true,
            verify_checksums: true,
        }
    }
}

impl NicConfig {
    /// The listener a SYN to `addr:port` on the host side hits, if any.
    pub fn listener(&self, addr: [u8; 4], port: u16) -> Option<&Listener> {
        self.listeners
            .iter()
            .find(|l| l.port == port && (l.addr == addr || l.addr == [0; 4]))
    }
}

/// The idle time after which a table entry in `state` expires (at most [`MAX_ENTRY_TIMEOUT`]):
/// TIME-WAIT `time_wait`; SYN-SENT / SYN-RECEIVED `syn_recv_timeout`; FIN-WAIT-1/2, CLOSING,
/// LAST-ACK `fin_timeout`; every other state `established_idle`. One definition for the
/// model's sweep ([`crate::nic::Nic::expire`]) and the firmware's timing wheel.
pub fn entry_timeout(cfg: &NicConfig, state: TcpState) -> Duration {
    let t = match state {
        TcpState::TimeWait => cfg.time_wait,
        TcpState::SynSent | TcpState::SynReceived => cfg.syn_recv_timeout,
        TcpState::FinWait1 | TcpState::FinWait2 | TcpState::Closing | TcpState::LastAck => {
            cfg.fin_timeout
        }
        _ => cfg.established_idle,
    };
    t.min(MAX_ENTRY_TIMEOUT)
}
