//! `tcpoff demo` — the reference model (`proto::nic::Nic`) under a generated workload: legit
//! clients doing whole connections to a protected listener while a spoofed SYN flood hits the
//! same listener ([`proto::testkit::workload`]). Prints what an operator wants to know: did the
//! legit connections get through, what the SYN cookies did, how full the connection table got and
//! with what, and every non-zero counter in `netstat -s` wording.

use clap::{Args, ValueEnum};
use proto::config::CookieMode;
use proto::counters::Counter;
use proto::table::Geometry;
use proto::testkit::workload::{self, TableSnapshot, WorkloadReport, WorkloadSpec, HOST};
use std::fmt::Write as _;
use std::time::Instant;

/// Most legit clients a run takes (their addresses are drawn from 10.77.0.0/18).
pub const MAX_CLIENTS: u32 = 16_000;
/// Most bytes each client sends (keeps a run within seconds).
pub const MAX_BYTES: u32 = 1 << 20;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Legit clients, one connection each
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(0..=MAX_CLIENTS as i64))]
    pub clients: u32,
    /// Spoofed SYNs in the flood (sources from 10.77.128.0/17)
    #[arg(long, default_value_t = 100_000)]
    pub flood: u32,
    /// Spoofed SYNs per second of simulated time
    #[arg(long, default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub flood_rate: u32,
    /// The listener's SYN-cookie mode: 0 off (track only), 1 on flood, 2 always
    #[arg(long, default_value = "1")]
    pub mode: ModeArg,
    /// Bytes each client sends
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u32).range(0..=MAX_BYTES as i64))]
    pub bytes: u32,
    /// The host only acknowledges the clients' data instead of echoing it
    #[arg(long)]
    pub no_echo: bool,
    /// Connection-table geometry: small (1Ki buckets x 4, ECP5-45k) or large (256Ki x 4, Alveo)
    #[arg(long, default_value = "small")]
    pub table: TableArg,
    /// Seed of the workload generator: the same seed gives the same report
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the report as JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    #[value(name = "0", alias = "off")]
    Off,
    #[value(name = "1", alias = "on-flood")]
    OnFlood,
    #[value(name = "2", alias = "always")]
    Always,
}

impl From<ModeArg> for CookieMode {
    fn from(m: ModeArg) -> CookieMode {
        match m {
            ModeArg::Off => CookieMode::Off,
            ModeArg::OnFlood => CookieMode::OnFlood,
            ModeArg::Always => CookieMode::Always,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TableArg {
    Small,
    Large,
}

impl DemoArgs {
    pub fn spec(&self) -> WorkloadSpec {
        WorkloadSpec {
            clients: self.clients,
            flood: self.flood,
            flood_rate: self.flood_rate,
            mode: self.mode.into(),
            bytes: self.bytes,
            echo: !self.no_echo,
            seed: self.seed,
            geometry: match self.table {
                TableArg::Small => Geometry::SMALL,
                TableArg::Large => Geometry::LARGE,
            },
            ..WorkloadSpec::default()
        }
    }
}

/// The JSON form: the model's report plus the run's wall-clock time.
#[derive(serde::Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    report: &'a WorkloadReport,
    wall_ms: f64,
}

pub fn run(args: &DemoArgs) -> Result<(), String> {
    let spec = args.spec();
    let t0 = Instant::now();
    let report = workload::run(&spec);
    let wall = t0.elapsed().as_secs_f64();
    if args.json {
        let json = serde_json::to_string_pretty(&JsonReport {
            report: &report,
            wall_ms: wall * 1e3,
        })
        .map_err(|e| format!("cannot encode the report as JSON: {e}"))?;
        println!("{json}");
    } else {
        print!("{}", render(&report, wall));
    }
    Ok(())
}

fn mode_name(m: CookieMode) -> &'static str {
    match m {
        CookieMode::Off => "0 (off: track only)",
        CookieMode::OnFlood => "1 (cookies under flood)",
        CookieMode::Always => "2 (cookies always)",
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

fn count_in(s: &TableSnapshot, state: &str) -> usize {
    s.states
        .iter()
        .find(|c| c.state == state)
        .map_or(0, |c| c.count)
}

/// The text report.
pub fn render(r: &WorkloadReport, wall_s: f64) -> String {
    let s = &r.spec;
    let c = |k: Counter| r.counter(k);
    let ip = HOST.ip;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "tcpoff demo: the reference model of the NIC, no hardware (seed {})",
        s.seed
    );
    let _ = writeln!(
        o,
        "  listener    {}.{}.{}.{}:{}, cookie mode {}",
        ip[0],
        ip[1],
        ip[2],
        ip[3],
        HOST.port,
        mode_name(s.mode)
    );
    let _ = writeln!(
        o,
        "  clients     {} legit, {} bytes each{}, from 10.77.0.0/18",
        s.clients,
        s.bytes,
        if s.echo { ", echoed back" } else { "" }
    );
    let _ = writeln!(
        o,
        "  flood       {} spoofed SYNs at {}/s from 10.77.128.0/17",
        r.flood_syns_sent, s.flood_rate
    );
    let _ = writeln!(
        o,
        "  table       {} buckets x {} ways = {} entries",
        s.geometry.buckets, s.geometry.ways, r.table_capacity
    );

    let _ = writeln!(o, "\nlegit connections");
    let _ = writeln!(
        o,
        "  completed   {} of {} ({:.1}%): data intact, both ends closed in order",
        r.legit_completed,
        r.legit_attempted,
        percent(r.legit_completed as usize, r.legit_attempted as usize)
    );
    let _ = writeln!(
        o,
        "  proxied     {} through the SYN proxy (cookie handshake, then handed to the host)",
        r.legit_proxied
    );
    for f in &r.failures {
        let _ = writeln!(o, "  failed      {f}");
    }
    let failed = r.legit_attempted.saturating_sub(r.legit_completed) as usize;
    if failed > r.failures.len() {
        let _ = writeln!(
            o,
            "              ... and {} more not completed",
            failed - r.failures.len()
        );
    }

    let _ = writeln!(o, "\nSYN cookies");
    let _ = writeln!(
        o,
        "  sent {}   validated {}   failed {}",
        c(Counter::SyncookiesSent),
        c(Counter::SyncookiesRecv),
        c(Counter::SyncookiesFailed)
    );

    let _ = writeln!(o, "\nconnection table");
    for (what, snap) in [
        ("peak", &r.peak),
        ("at end", &r.end),
        ("expired", &r.after_expiry),
    ] {
        let _ = writeln!(
            o,
            "  {what:<10}  {:>7} of {} ({:.1}%), {} of them flood",
            snap.entries,
            r.table_capacity,
            percent(snap.entries, r.table_capacity),
            snap.flood_entries
        );
    }
    let _ = writeln!(
        o,
        "  (\"at end\": every endpoint finished; \"expired\": after the NIC's own timers ran)"
    );

    let _ = writeln!(o, "\nstate distribution (ss names)");
    let _ = writeln!(
        o,
        "  {:<12} {:>8} {:>8} {:>8}",
        "state", "peak", "at end", "expired"
    );
    let mut any = false;
    for st in proto::state::TcpState::ALL {
        let name = st.ss_name();
        let n = [&r.peak, &r.end, &r.after_expiry].map(|snap| count_in(snap, name));
        if n.iter().any(|&v| v > 0) {
            any = true;
            let _ = writeln!(o, "  {name:<12} {:>8} {:>8} {:>8}", n[0], n[1], n[2]);
        }
    }
    if !any {
        let _ = writeln!(o, "  (the table stayed empty)");
    }

    let _ = writeln!(o, "\ncounters (non-zero, netstat -s wording)");
    for v in &r.counters {
        if v.value == 0 {
            continue;
        }
        if let Some(k) = Counter::from_name(v.name) {
            let line = k.wording().replace("{}", &v.value.to_string());
            let _ = writeln!(o, "  {line:<62} {}", v.name);
        }
    }

    let _ = writeln!(o, "\nrun");
    let _ = writeln!(
        o,
        "  frames      {} through the NIC, {} delivered; host listener backlog drops {}",
        r.frames_processed, r.frames_delivered, r.host_backlog_drops
    );
    let _ = writeln!(
        o,
        "  time        {:.3} s simulated in {:.3} s wall ({:.0} frames/s)",
        r.simulated_ms as f64 / 1e3,
        wall_s,
        if wall_s > 0.0 {
            r.frames_processed as f64 / wall_s
        } else {
            0.0
        }
    );
    o
}
