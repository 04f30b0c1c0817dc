//! # `ss`-style listings of connections
//!
//! Pure functions shared by the commands that list connections (the device's table, the join
//! with the kernel): [`Conn`] rows from dump records, filters in ss(8)'s syntax, an
//! `ss -tan`-like table with the 11 state names (`TcpState::ss_name`), JSON that parses back,
//! and the per-state summary of `-s`.
//!
//! Filters ([`Filter::parse`]), all of which must hold:
//! - `state NAME` (repeatable: any of them) and `exclude NAME`, where NAME is a state
//!   (`established`, `syn-sent`, `syn-recv`, `fin-wait-1`, `fin-wait-2`, `time-wait`, `closed`,
//!   `close-wait`, `last-ack`, `listening`, `closing`) or one of ss's groups: `all`,
//!   `connected` (all but listening and closed), `synchronized` (connected but syn-sent),
//!   `bucket` (syn-recv and time-wait, the kernel's minisockets), `big` (all but bucket);
//! - `src PREFIX[:PORT]`, `dst PREFIX[:PORT]` (`192.0.2.1`, `10.0.0.0/8`, `*:443`, `:443`) —
//!   src is this host's end, dst the peer's, as in ss;
//! - `sport [OP] [:]PORT`, `dport [OP] [:]PORT` with OP one of `=`/`==`/`eq`, `!=`/`ne`,
//!   `<`/`lt`, `>`/`gt`, `<=`/`le`, `>=`/`ge` (default `=`).

use crate::kernel::Owner;
use proto::events::{state_bit, DumpRecord, STATES_ALL};
use proto::state::TcpState;
use proto::table::flags;
use std::fmt::Write;
use std::net::{Ipv4Addr, SocketAddrV4};

/// One connection as listed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Conn {
    pub state: TcpState,
    /// This host's end.
    pub local: SocketAddrV4,
    /// The peer (wire side).
    pub peer: SocketAddrV4,
    /// The device's table slot.
    pub slot: u32,
    /// `proxied`, `ts`, `sim-open`, `outbound` (`proto::table::flags`).
    pub flags: Vec<String>,
    /// The processes holding the kernel's socket, when joined with the kernel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<Owner>,
}

const FLAG_NAMES: [(u8, &str); 4] = [
    (flags::PROXIED, "proxied"),
    (flags::TS_OK, "ts"),
    (flags::SIM_OPEN, "sim-open"),
    (flags::OUTBOUND, "outbound"),
];

impl Conn {
    pub fn from_record(r: &DumpRecord) -> Conn {
        let k = &r.entry.key;
        Conn {
            state: r.entry.state,
            local: SocketAddrV4::new(k.host_addr.into(), k.host_port),
            peer: SocketAddrV4::new(k.peer_addr.into(), k.peer_port),
            slot: r.slot,
            flags: FLAG_NAMES
                .iter()
                .filter(|(b, _)| r.entry.has(*b))
                .map(|(_, n)| n.to_string())
                .collect(),
            owners: Vec::new(),
        }
    }
}

fn mask(states: &[TcpState]) -> u16 {
    states.iter().fold(0, |m, &s| m | state_bit(s))
}

/// The states a `state` / `exclude` word names, as a mask (bit n = state code n).
pub fn state_mask(word: &str) -> Option<u16> {
    use TcpState::*;
    let bucket = mask(&[SynReceived, TimeWait]);
    let connected = STATES_ALL & !mask(&[Listen, Closed]);
    Some(match word.to_ascii_lowercase().as_str() {
        "all" => STATES_ALL,
        "connected" => connected,
        "synchronized" => connected & !mask(&[SynSent]),
        "bucket" => bucket,
        "big" => STATES_ALL & !bucket,
        w => state_bit(TcpState::parse(w)?),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Op {
    fn parse(w: &str) -> Option<Op> {
        Some(match w {
            "=" | "==" | "eq" => Op::Eq,
            "!=" | "ne" | "neq" => Op::Ne,
            "<" | "lt" => Op::Lt,
            ">" | "gt" => Op::Gt,
            "<=" | "le" | "leq" => Op::Le,
            ">=" | "ge" | "geq" => Op::Ge,
            _ => return None,
        })
    }

    fn holds(self, a: u16, b: u16) -> bool {
        match self {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Lt => a < b,
            Op::Gt => a > b,
            Op::Le => a <= b,
            Op::Ge => a >= b,
        }
    }
}

/// An address prefix and an optional port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Endpoint {
    net: Ipv4Addr,
    len: u8,
    port: Option<u16>,
}

impl Endpoint {
    fn parse(w: &str) -> Result<Endpoint, String> {
        let bad = || format!("bad address {w:?} (want ADDR[/LEN][:PORT], *:PORT or :PORT)");
        let (addr, port) = match w.rsplit_once(':') {
            Some((a, p)) => (a, Some(p.parse::<u16>().map_err(|_| bad())?)),
            None => (w, None),
        };
        let (net, len) = match addr {
            "" | "*" => (Ipv4Addr::UNSPECIFIED, 0),
            a => match a.split_once('/') {
                Some((n, l)) => (
                    n.parse().map_err(|_| bad())?,
                    l.parse::<u8>().ok().filter(|&l| l <= 32).ok_or_else(bad)?,
                ),
                None => (a.parse().map_err(|_| bad())?, 32),
            },
        };
        Ok(Endpoint { net, len, port })
    }

    fn matches(&self, a: SocketAddrV4) -> bool {
        let m = if self.len == 0 {
            0
        } else {
            u32::MAX << (32 - self.len as u32)
        };
        (u32::from(*a.ip()) & m) == (u32::from(self.net) & m)
            && self.port.is_none_or(|p| p == a.port())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cond {
    Src(Endpoint),
    Dst(Endpoint),
    Sport(Op, u16),
    Dport(Op, u16),
}

/// A parsed filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    states: u16,
    conds: Vec<Cond>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            states: STATES_ALL,
            conds: Vec::new(),
        }
    }
}

impl Filter {
    /// Parse filter words as ss takes them after its options.
    pub fn parse<S: AsRef<str>>(words: &[S]) -> Result<Filter, String> {
        let mut f = Filter::default();
        let mut included: Option<u16> = None;
        let mut excluded = 0u16;
        let mut it = words.iter().map(|w| w.as_ref()).peekable();
        while let Some(w) = it.next() {
            let mut arg = |what: &str| {
                it.next()
                    .ok_or_else(|| format!("{w} needs {what}"))
                    .map(str::to_string)
            };
            match w {
                "state" | "exclude" => {
                    let name = arg("a state name")?;
                    let m = state_mask(&name).ok_or_else(|| format!("unknown state {name:?}"))?;
                    if w == "state" {
                        *included.get_or_insert(0) |= m;
                    } else {
                        excluded |= m;
                    }
                }
                "src" => f
                    .conds
                    .push(Cond::Src(Endpoint::parse(&arg("an address")?)?)),
                "dst" => f
                    .conds
                    .push(Cond::Dst(Endpoint::parse(&arg("an address")?)?)),
                "sport" | "dport" => {
                    let mut v = arg("a port")?;
                    let op = match Op::parse(&v) {
                        Some(op) => {
                            v = arg("a port")?;
                            op
                        }
                        None => Op::Eq,
                    };
                    let port = v
                        .trim_start_matches(':')
                        .parse::<u16>()
                        .map_err(|_| format!("bad port {v:?}"))?;
                    f.conds.push(if w == "sport" {
                        Cond::Sport(op, port)
                    } else {
                        Cond::Dport(op, port)
                    });
                }
                _ => return Err(format!("unknown filter word {w:?}")),
            }
        }
        f.states = included.unwrap_or(STATES_ALL) & !excluded;
        Ok(f)
    }

    pub fn matches(&self, c: &Conn) -> bool {
        self.states & state_bit(c.state) != 0
            && self.conds.iter().all(|cond| match *cond {
                Cond::Src(e) => e.matches(c.local),
                Cond::Dst(e) => e.matches(c.peer),
                Cond::Sport(op, p) => op.holds(c.local.port(), p),
                Cond::Dport(op, p) => op.holds(c.peer.port(), p),
            })
    }

    /// The rows that pass, in their order.
    pub fn apply<'a>(&self, conns: &'a [Conn]) -> Vec<&'a Conn> {
        conns.iter().filter(|c| self.matches(c)).collect()
    }
}

/// `users:(("comm",pid=P,fd=F),...)`, as ss -p prints owners.
pub fn users(owners: &[Owner]) -> String {
    let parts: Vec<String> = owners
        .iter()
        .map(|o| format!("(\"{}\",pid={},fd={})", o.comm, o.pid, o.fd))
        .collect();
    format!("users:({})", parts.join(","))
}

/// The `ss -tan`-like table: a header and one line per connection, columns padded to fit.
pub fn table(conns: &[&Conn]) -> String {
    let with_process = conns.iter().any(|c| !c.owners.is_empty());
    let mut rows: Vec<Vec<String>> = vec![[
        "State",
        "Slot",
        "Local Address:Port",
        "Peer Address:Port",
        "Flags",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()];
    if with_process {
        rows[0].push("Process".into());
    }
    for c in conns {
        let mut r = vec![
            c.state.ss_name().to_string(),
            c.slot.to_string(),
            c.local.to_string(),
            c.peer.to_string(),
            if c.flags.is_empty() {
                "-".into()
            } else {
                c.flags.join(",")
            },
        ];
        if with_process {
            r.push(if c.owners.is_empty() {
                String::new()
            } else {
                users(&c.owners)
            });
        }
        rows.push(r);
    }
    let cols = rows[0].len();
    let width: Vec<usize> = (0..cols)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            if i + 1 == cols {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ", w = width[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The rows as a JSON array.
pub fn to_json(conns: &[&Conn]) -> String {
    serde_json::to_string_pretty(conns).expect("rows serialize")
}

/// Parse what [`to_json`] wrote.
pub fn from_json(text: &str) -> Result<Vec<Conn>, serde_json::Error> {
    serde_json::from_str(text)
}

/// `-s`: how many connections each state holds, and its busiest peers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StateSummary {
    pub state: TcpState,
    pub count: u64,
    /// Peer addresses with the most connections in this state, most first (ties by address).
    pub top_peers: Vec<(Ipv4Addr, u64)>,
}

/// Per-state counts in `TcpState::ALL` order (states with none left out), each with its `top`
/// peer addresses.
pub fn summary(conns: &[&Conn], top: usize) -> Vec<StateSummary> {
    TcpState::ALL
        .iter()
        .filter_map(|&state| {
            let mut peers: std::collections::BTreeMap<Ipv4Addr, u64> = Default::default();
            for c in conns.iter().filter(|c| c.state == state) {
                *peers.entry(*c.peer.ip()).or_default() += 1;
            }
            let count = peers.values().sum();
            if count == 0 {
                return None;
            }
            let mut top_peers: Vec<(Ipv4Addr, u64)> = peers.into_iter().collect();
            top_peers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            top_peers.truncate(top);
            Some(StateSummary {
                state,
                count,
                top_peers,
            })
        })
        .collect()
}

/// The summary as text: `Total: N`, then one line per state with its top peers.
pub fn summary_text(s: &[StateSummary]) -> String {
    let total: u64 = s.iter().map(|x| x.count).sum();
    let mut out = format!("Total: {total}\n");
    let w = s.iter().map(|x| x.state.ss_name().len()).max().unwrap_or(0);
    for x in s {
        let peers: Vec<String> = x
            .top_peers
            .iter()
            .map(|(a, n)| format!("{a} ({n})"))
            .collect();
        let _ = writeln!(
            out,
            "  {:<w$}  {:>8}  {}",
            x.state.ss_name(),
            x.count,
            peers.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::table::{Entry, FlowKey};
    use TcpState::*;

    fn conn(slot: u32, state: TcpState, host_port: u16, peer: [u8; 4], peer_port: u16) -> Conn {
        let mut entry = Entry::new(
            FlowKey {
                peer_addr: peer,
                host_addr: [192, 0, 2, 1],
                peer_port,
                host_port,
            },
            state,
        );
        if slot % 2 == 1 {
            entry.flags = flags::PROXIED | flags::TS_OK;
        }
        Conn::from_record(&DumpRecord { slot, entry })
    }

    fn sample() -> Vec<Conn> {
        vec![
            conn(0, Established, 443, [198, 51, 100, 1], 40000),
            conn(1, Established, 443, [198, 51, 100, 2], 40001),
            conn(2, TimeWait, 443, [198, 51, 100, 1], 40002),
            conn(3, SynReceived, 80, [203, 0, 113, 9], 50000),
            conn(4, SynSent, 5000, [203, 0, 113, 9], 22),
            conn(5, CloseWait, 80, [198, 51, 100, 1], 40003),
            conn(6, Closed, 80, [198, 51, 100, 3], 40004),
        ]
    }

    fn slots(f: &[&str]) -> Vec<u32> {
        let all = sample();
        Filter::parse(f)
            .unwrap()
            .apply(&all)
            .iter()
            .map(|c| c.slot)
            .collect()
    }

    #[test]
    fn records_become_rows_with_host_side_local() {
        let c = conn(1, Established, 443, [198, 51, 100, 2], 40001);
        assert_eq!(c.local.to_string(), "192.0.2.1:443");
        assert_eq!(c.peer.to_string(), "198.51.100.2:40001");
        assert_eq!(c.flags, vec!["proxied", "ts"]);
    }

    #[test]
    fn state_filters_and_ss_groups() {
        assert_eq!(slots(&[]), vec![0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(slots(&["state", "established"]), vec![0, 1]);
        assert_eq!(slots(&["state", "time-wait"]), vec![2]);
        assert_eq!(
            slots(&["state", "ESTAB", "state", "close-wait"]),
            vec![0, 1, 5]
        );
        assert_eq!(slots(&["state", "connected"]), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(slots(&["state", "synchronized"]), vec![0, 1, 2, 3, 5]);
        assert_eq!(slots(&["state", "bucket"]), vec![2, 3]);
        assert_eq!(slots(&["state", "big"]), vec![0, 1, 4, 5, 6]);
        assert_eq!(slots(&["exclude", "established"]), vec![2, 3, 4, 5, 6]);
        assert_eq!(
            slots(&["state", "all", "exclude", "bucket"]),
            vec![0, 1, 4, 5, 6]
        );
        for s in TcpState::ALL {
            assert_eq!(state_mask(s.ss_name()), Some(state_bit(s)), "{s}");
        }
    }

    #[test]
    fn address_and_port_filters() {
        assert_eq!(slots(&["dst", "198.51.100.1"]), vec![0, 2, 5]);
        assert_eq!(slots(&["dst", "198.51.100.0/24"]), vec![0, 1, 2, 5, 6]);
        assert_eq!(slots(&["dst", "203.0.113.9:22"]), vec![4]);
        assert_eq!(slots(&["src", "*:80"]), vec![3, 5, 6]);
        assert_eq!(slots(&["src", ":443", "dst", "198.51.100.2"]), vec![1]);
        assert_eq!(slots(&["src", "10.0.0.0/8"]), Vec::<u32>::new());
        assert_eq!(slots(&["sport", "=", ":443"]), vec![0, 1, 2]);
        assert_eq!(slots(&["sport", "443"]), vec![0, 1, 2]);
        assert_eq!(slots(&["dport", "gt", ":40002"]), vec![3, 5, 6]);
        assert_eq!(slots(&["dport", "<=", "22"]), vec![4]);
        assert_eq!(slots(&["dport", "!=", ":22", "state", "syn-recv"]), vec![3]);
    }

    #[test]
    fn bad_filters_say_what_is_wrong() {
        for (f, needle) in [
            (vec!["state"], "state needs a state name"),
            (vec!["state", "estab1"], "unknown state"),
            (vec!["dst", "198.51.100.300"], "bad address"),
            (vec!["dst", "10.0.0.0/33"], "bad address"),
            (vec!["sport", "gt"], "sport needs a port"),
            (vec!["dport", ":http"], "bad port"),
            (vec!["proto", "tcp"], "unknown filter word"),
        ] {
            let e = Filter::parse(&f).unwrap_err();
            assert!(e.contains(needle), "{f:?}: {e}");
        }
    }

    #[test]
    fn the_table_reads_like_ss() {
        let all = sample();
        let rows: Vec<&Conn> = all.iter().take(3).collect();
        let t = table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("State      Slot  Local Address:Port  Peer Address:Port"));
        assert_eq!(
            lines[2],
            "ESTAB      1     192.0.2.1:443       198.51.100.2:40001  proxied,ts"
        );
        assert!(lines[3].starts_with("TIME-WAIT  2 "));
        assert!(!t.contains("Process"));

        let mut owned = all[0].clone();
        owned.owners = vec![Owner {
            pid: 812,
            comm: "nginx".into(),
            fd: 7,
        }];
        let t = table(&[&owned]);
        assert!(t.lines().next().unwrap().ends_with("Process"));
        assert!(t.contains("users:((\"nginx\",pid=812,fd=7))"), "{t}");
    }

    #[test]
    fn json_parses_back() {
        let mut all = sample();
        all[3].owners = vec![Owner {
            pid: 1,
            comm: "init".into(),
            fd: 3,
        }];
        let rows: Vec<&Conn> = all.iter().collect();
        let text = to_json(&rows);
        assert_eq!(from_json(&text).unwrap(), all);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v[0]["local"], "192.0.2.1:443");
        assert_eq!(v[2]["state"], "TimeWait");
        assert!(v[0].get("owners").is_none());
    }

    #[test]
    fn the_summary_counts_states_and_top_peers() {
        let all = sample();
        let rows: Vec<&Conn> = all.iter().collect();
        let s = summary(&rows, 1);
        let states: Vec<(TcpState, u64)> = s.iter().map(|x| (x.state, x.count)).collect();
        assert_eq!(
            states,
            vec![
                (Closed, 1),
                (SynSent, 1),
                (SynReceived, 1),
                (Established, 2),
                (CloseWait, 1),
                (TimeWait, 1)
            ]
        );
        let est = s.iter().find(|x| x.state == Established).unwrap();
        assert_eq!(est.top_peers, vec![([198, 51, 100, 1].into(), 1)]);
        let text = summary_text(&s);
        assert!(text.starts_with("Total: 7\n"), "{text}");
        assert!(
            text.contains("ESTAB              2  198.51.100.1 (1)"),
            "{text}"
        );
    }
}
