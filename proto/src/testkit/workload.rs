//! A seeded workload: legit clients doing whole connections to a protected listener, interleaved
//! with a spoofed SYN flood, through one [`crate::nic::Nic`] ([`super::harness::Harness`]).
//!
//! - `clients` legit clients (10.77.0.0/18) each open a connection to the listener at
//!   [`HOST`], send `bytes` bytes, and close in order: with `echo` the host sends every byte
//!   back and the client closes once it has them all; without, the client closes once its data
//!   is acknowledged. The host closes when it reads the client's FIN (CLOSE-WAIT -> LAST-ACK).
//! - `flood` spoofed SYNs from random sources in 10.77.128.0/17 to the same listener, at
//!   `flood_rate` per second of simulated time; nobody answers for them.
//! - The listener's cookie mode is `mode` (0 off, 1 on flood, 2 always).
//!
//! Client start times, addresses, ports, ISNs and options, and the flood's sources all come from
//! one [`XorShift64Star`] seeded with `seed`: a spec gives the same report every time. The run
//! goes on until every endpoint is done (TIME-WAIT and retransmission timers included), then
//! the NIC's timers run long enough to expire every transitional entry. The report is what an
//! operator wants to see; the model's wall-clock time is the caller's to measure.

use std::string::String;
use std::vec::Vec;

use crate::config::{CookieMode, Listener, NicConfig};
use crate::counters::Counter;
use crate::decision::Port;
use crate::nic::Transition;
use crate::state::TcpState;
use crate::table::{FlowKey, Geometry};
use crate::time::{Duration, Instant};
use crate::wire::tcp_options::OptionSet;
use crate::wire::{SegmentSpec, TcpFlags};

use super::endpoint::{mac_of, Addr, App, AutoClose, EndpointConfig, SynOptions};
use super::harness::{Call, EpId, Harness};
use super::rng::XorShift64Star;

/// The protected listener.
pub const HOST: Addr = Addr::new([10, 77, 64, 1], 80);
/// When the workload starts (device time).
pub const START: Instant = Instant::from_secs(100);

/// Whether `ip` is in the flood's subnet, 10.77.128.0/17.
pub fn in_flood_subnet(ip: [u8; 4]) -> bool {
    ip[0] == 10 && ip[1] == 77 && ip[2] >= 128
}

/// What to run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkloadSpec {
    /// Legit clients, each one connection (at most 16,000).
    pub clients: u32,
    /// Spoofed SYNs.
    pub flood: u32,
    /// Cookie mode of the listener.
    pub mode: CookieMode,
    /// Bytes each client sends.
    pub bytes: u32,
    /// The host echoes (otherwise it only acknowledges).
    pub echo: bool,
    pub seed: u64,
    /// Spoofed SYNs per second of simulated time.
    pub flood_rate: u32,
    /// The NIC's table.
    pub geometry: Geometry,
    /// `NicConfig::flood_syn_rate` (mode 1's rate threshold).
    pub flood_syn_rate: u32,
    /// `NicConfig::flood_pending` (mode 1's pending-handshake threshold).
    pub flood_pending: u32,
    /// Half-open connections the host's listener holds (Linux max_syn_backlog).
    pub host_backlog: u32,
    /// One-way delay between an endpoint and the NIC, in microseconds.
    pub latency_us: u64,
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        let cfg = NicConfig::default();
        WorkloadSpec {
            clients: 200,
            flood: 100_000,
            mode: CookieMode::OnFlood,
            bytes: 4096,
            echo: true,
            seed: 1,
            flood_rate: 50_000,
            geometry: Geometry::SMALL,
            flood_syn_rate: cfg.flood_syn_rate,
            flood_pending: cfg.flood_pending,
            host_backlog: 4096,
            latency_us: 50,
        }
    }
}

/// One counter's value.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CounterValue {
    pub name: &'static str,
    pub value: u64,
}

/// Entries in one state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StateCount {
    pub state: &'static str,
    pub count: usize,
}

/// The table at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TableSnapshot {
    /// Entries in use.
    pub entries: usize,
    /// Entries of flows from the flood's subnet.
    pub flood_entries: usize,
    /// Entries per state (states with none left out), `ss` names.
    pub states: Vec<StateCount>,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WorkloadReport {
    pub spec: WorkloadSpec,
    pub legit_attempted: u32,
    /// Clients whose data arrived whole (the echo, or all bytes at the host) and whose two
    /// endpoints both closed in order (client through TIME-WAIT, host through LAST-ACK to
    /// CLOSED), with no reset and no timeout.
    pub legit_completed: u32,
    /// Legit connections that went through the SYN proxy (the client saw the cookie as the
    /// host's ISN).
    pub legit_proxied: u32,
    /// The first few clients that did not complete, and why.
    pub failures: Vec<String>,
    pub flood_syns_sent: u32,
    /// The NIC's counters, in register order.
    pub counters: Vec<CounterValue>,
    pub table_capacity: usize,
    /// The largest occupancy, and the table at that moment.
    pub peak: TableSnapshot,
    /// When every endpoint is done (all TIME-WAIT and retransmission timers have run).
    pub end: TableSnapshot,
    /// After the NIC's own timers have expired every transitional entry.
    pub after_expiry: TableSnapshot,
    /// Frames given to `Nic::process`.
    pub frames_processed: u64,
    /// Frames delivered to either side (forwarded or generated).
    pub frames_delivered: u64,
    /// SYNs the host's listener dropped, its backlog full.
    pub host_backlog_drops: u64,
    /// Simulated time the run covered, in ms.
    pub simulated_ms: u64,
}

impl WorkloadReport {
    pub fn counter(&self, c: Counter) -> u64 {
        self.counters
            .iter()
            .find(|v| v.name == c.name())
            .map_or(0, |v| v.value)
    }
}

/// A spoofed SYN from a random source in 10.77.128.0/17 to `to` (half with Linux's options).
pub fn spoofed_syn(rng: &mut XorShift64Star, to: Addr) -> Vec<u8> {
    let low = rng.below(1 << 15) as u32;
    let src = [10, 77, 128 | (low >> 8) as u8, low as u8];
    let opts = if rng.chance(1, 2) {
        OptionSet {
            mss: Some(1460),
            sack_perm: true,
            timestamp: Some((rng.next_u32(), 0)),
            wscale: Some(7),
        }
    } else {
        OptionSet::default()
    };
    let bytes = opts.to_bytes();
    SegmentSpec {
        src_mac: mac_of(src),
        dst_mac: mac_of(to.ip),
        vlan_tci: None,
        src_ip: src,
        dst_ip: to.ip,
        tos: 0,
        ip_id: rng.next_u32() as u16,
        dont_fragment: true,
        ttl: 64,
        src_port: rng.range(1024, 65536) as u16,
        dst_port: to.port,
        seq: rng.next_u32(),
        ack: 0,
        flags: TcpFlags::SYN,
        window: 64240,
        options: &bytes,
        payload: &[],
    }
    .to_vec()
    .unwrap_or_default()
}

/// The address of legit client `i` (10.77.0.0/18).
pub fn client_addr(i: u32, port: u16) -> Addr {
    Addr::new([10, 77, (i / 250) as u8 & 0x3F, (i % 250) as u8 + 1], port)
}

fn snapshot(h: &Harness) -> TableSnapshot {
    let mut states = [0usize; 11];
    let mut flood = 0;
    for (_, e) in h.nic().table().iter() {
        states[e.state.code() as usize] += 1;
        flood += in_flood_subnet(e.key.peer_addr) as usize;
    }
    TableSnapshot {
        entries: h.nic().table().occupancy(),
        flood_entries: flood,
        states: state_counts(&states),
    }
}

fn state_counts(n: &[usize; 11]) -> Vec<StateCount> {
    TcpState::ALL
        .iter()
        .filter(|s| n[s.code() as usize] > 0)
        .map(|s| StateCount {
            state: s.ss_name(),
            count: n[s.code() as usize],
        })
        .collect()
}

/// The table at its fullest, replayed from the NIC's transitions (every insert is a
/// transition from CLOSED, every removal one to CLOSED).
fn peak_from(transitions: &[Transition]) -> TableSnapshot {
    let mut states = [0usize; 11];
    let (mut entries, mut flood) = (0usize, 0usize);
    let mut peak = TableSnapshot::default();
    for t in transitions {
        let f = in_flood_subnet(t.key.peer_addr) as usize;
        if t.old == TcpState::Closed {
            entries += 1;
            flood += f;
        } else {
            states[t.old.code() as usize] = states[t.old.code() as usize].saturating_sub(1);
        }
        if t.new == TcpState::Closed {
            entries = entries.saturating_sub(1);
            flood = flood.saturating_sub(f);
        } else {
            states[t.new.code() as usize] += 1;
        }
        if entries > peak.entries {
            peak = TableSnapshot {
                entries,
                flood_entries: flood,
                states: state_counts(&states),
            };
        }
    }
    peak
}

/// Whether endpoint `id` closed in order: through TIME-WAIT or LAST-ACK, no reset, no timeout.
fn closed_in_order(h: &Harness, id: EpId) -> bool {
    let ep = h.endpoint(id);
    !ep.was_reset()
        && !ep.timed_out()
        && matches!(ep.state(), TcpState::Closed | TcpState::TimeWait)
        && ep
            .history()
            .iter()
            .any(|s| matches!(s, TcpState::TimeWait | TcpState::LastAck))
}

/// Run the workload.
pub fn run(spec: &WorkloadSpec) -> WorkloadReport {
    let mut rng = XorShift64Star::new(spec.seed);
    let mut cfg = NicConfig::default();
    // One listener; a vector of 16 always has room for it.
    let _ = cfg.listeners.push(Listener {
        addr: HOST.ip,
        port: HOST.port,
        mode: spec.mode,
    });
    cfg.flood_syn_rate = spec.flood_syn_rate;
    cfg.flood_pending = spec.flood_pending;
    let mut h = Harness::new(cfg, spec.geometry);
    h.set_recording(false);
    h.set_seed(rng.next_u64());
    h.set_start(START);
    h.set_latency(Duration(spec.latency_us * 1000));

    let mut tpl = EndpointConfig::new(HOST, HOST, 0);
    tpl.app = App {
        echo: spec.echo,
        close: AutoClose::WhenPeerCloses,
    };
    h.listen(Port::Host, HOST, tpl, spec.host_backlog as usize);

    // The flood spans `flood / flood_rate` seconds (at least one); clients start within it.
    let span_ns =
        (spec.flood as u64 * 1_000_000_000 / spec.flood_rate.max(1) as u64).max(1_000_000_000);
    let clients = spec.clients.min(16_000);
    let mut ids = Vec::with_capacity(clients as usize);
    for i in 0..clients {
        let at = START + Duration(rng.below(span_ns));
        let port = rng.range(1024, 65536) as u16;
        let mut c = EndpointConfig::new(client_addr(i, port), HOST, rng.next_u32());
        c.ts_offset = rng.next_u32();
        if rng.chance(1, 8) {
            c.options = SynOptions::NONE;
        }
        c.app = App {
            echo: false,
            close: if spec.echo {
                AutoClose::AfterReceived(spec.bytes as u64)
            } else {
                AutoClose::AfterAcked
            },
        };
        let id = h.add_endpoint(Port::Wire, c);
        h.schedule(at, id, Call::Connect);
        h.schedule(at, id, Call::Send(spec.bytes as usize));
        ids.push(id);
    }
    for k in 0..spec.flood {
        let at = START + Duration(k as u64 * span_ns / spec.flood.max(1) as u64);
        let f = spoofed_syn(&mut rng, HOST);
        h.inject(at, Port::Wire, f);
    }

    // Everything, every endpoint timer included (an hour of simulated time is plenty).
    h.run_until_idle(START + Duration(span_ns) + Duration::from_secs(3600));
    let end_time = h.now();
    let end = snapshot(&h);
    // Then the NIC's timers: every transitional state's lifetime, and a second for the stamp.
    let c = h.nic().config();
    let longest = [c.time_wait, c.fin_timeout, c.syn_recv_timeout]
        .into_iter()
        .max()
        .unwrap_or_default();
    h.run_for(Duration(longest.nanos() + Duration::from_secs(2).nanos()));
    let after_expiry = snapshot(&h);

    let mut completed = 0;
    let mut proxied = 0;
    let mut failures = Vec::new();
    for (i, &id) in ids.iter().enumerate() {
        let ep = h.endpoint(id);
        let host = h.peer_of(id);
        if let Some(s) = host {
            if ep.isns().1 != h.endpoint(s).isns().0 {
                proxied += 1;
            }
        }
        let data_ok = if spec.echo {
            ep.rx().len() == spec.bytes as usize && ep.rx_is_echo()
        } else {
            host.is_some_and(|s| h.endpoint(s).rx().len() == spec.bytes as usize)
        };
        let ok = data_ok && closed_in_order(&h, id) && host.is_some_and(|s| closed_in_order(&h, s));
        if ok {
            completed += 1;
        } else if failures.len() < 10 {
            failures.push(describe(&h, i, id, host));
        }
    }

    let counters = Counter::ALL
        .iter()
        .map(|&c| CounterValue {
            name: c.name(),
            value: h.nic().counter(c),
        })
        .collect();
    let stats = *h.stats();
    WorkloadReport {
        spec: spec.clone(),
        legit_attempted: clients,
        legit_completed: completed,
        legit_proxied: proxied,
        failures,
        flood_syns_sent: spec.flood,
        counters,
        table_capacity: spec.geometry.capacity(),
        peak: peak_from(h.transitions()),
        end,
        after_expiry,
        frames_processed: stats.frames_processed,
        frames_delivered: stats.frames_delivered,
        host_backlog_drops: stats.backlog_drops,
        simulated_ms: end_time.saturating_sub(START).millis(),
    }
}

/// `SYN-SENT -> ESTAB -> ...` in `ss` names.
fn path(states: &[TcpState]) -> String {
    let names: Vec<&str> = states.iter().map(|s| s.ss_name()).collect();
    if names.is_empty() {
        String::from("(none)")
    } else {
        names.join(" -> ")
    }
}

/// One line on a client that did not complete: both endpoints' state paths and what went
/// wrong, and the NIC's view of the flow.
fn describe(h: &Harness, i: usize, id: EpId, host: Option<EpId>) -> String {
    let ep = h.endpoint(id);
    let trouble = |reset: bool, timeout: bool| match (reset, timeout) {
        (true, _) => ", reset",
        (false, true) => ", timed out",
        _ => "",
    };
    let mut s = std::format!(
        "client {i} {}: {}{}, {} bytes received",
        ep.local(),
        path(ep.history()),
        trouble(ep.was_reset(), ep.timed_out()),
        ep.rx().len(),
    );
    match host {
        Some(hid) => {
            let hp = h.endpoint(hid);
            s.push_str(&std::format!(
                "; host {}{}, {} bytes received",
                path(hp.history()),
                trouble(hp.was_reset(), hp.timed_out()),
                hp.rx().len(),
            ));
        }
        None => s.push_str("; the host never accepted it"),
    }
    let key: FlowKey = h.key_of(id);
    s.push_str(&std::format!("; NIC {}", path(&h.states_of(&key))));
    s
}
