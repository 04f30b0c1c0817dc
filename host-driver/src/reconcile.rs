//! # The device's table joined with the kernel's sockets
//!
//! [`reconcile`] pairs each device entry (`proto::events::DumpRecord`: the host endpoint's
//! state as the NIC tracks it) with the kernel socket of the same 4-tuple (host address:port =
//! the socket's `idiag_src`, peer = `idiag_dst`), and flags what the kernel alone cannot show:
//!
//! | finding | when |
//! |---|---|
//! | [`Finding::HalfOpen`] | the device tracks a connection the kernel has no socket for |
//! | [`Finding::CloseWaitTooLong`] | a kernel socket in CLOSE-WAIT whose peer has been silent at least the threshold (the application never called close()) |
//! | [`Finding::StateMismatch`] | both have it, in states no legitimate reason explains |
//!
//! The legitimate differences ([`Agreement`]), each with its reason:
//! - `ProxyPending`: a SYN-proxy entry (device SYN-RECEIVED, `flags::PROXIED`) whose handoff is
//!   still under way: the kernel has no socket yet, or only its request socket (SYN-RECV);
//! - `InFlight`: the states are one RFC 9293 transition apart in either direction — a segment
//!   between the NIC and the host's stack has changed one side and not yet the other (the NIC
//!   sees the peer's segments first, the kernel its own);
//! - `KernelTimeWaitEnded`: the device still holds TIME-WAIT (its length is configurable) after
//!   the kernel's fixed 60 s one ended, or the entry is CLOSED awaiting removal;
//! - `NotOffloaded`: a kernel socket the device does not track (loopback, another interface, a
//!   connection from before the NIC): shown, not flagged.
//!
//! Listening sockets are not connections and are left out.

use crate::kernel::KernelSocket;
use proto::events::DumpRecord;
use proto::state::TcpState;
use proto::table::flags;
use std::collections::BTreeMap;
use std::net::SocketAddrV4;

/// The join key: the host's end and the peer's.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Flow {
    pub host: SocketAddrV4,
    pub peer: SocketAddrV4,
}

impl Flow {
    pub fn of_record(r: &DumpRecord) -> Flow {
        let k = &r.entry.key;
        Flow {
            host: SocketAddrV4::new(k.host_addr.into(), k.host_port),
            peer: SocketAddrV4::new(k.peer_addr.into(), k.peer_port),
        }
    }

    pub fn of_socket(s: &KernelSocket) -> Flow {
        Flow {
            host: s.local,
            peer: s.remote,
        }
    }
}

/// Something wrong with a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Finding {
    HalfOpen { device: TcpState },
    CloseWaitTooLong { idle_ms: u64 },
    StateMismatch { device: TcpState, kernel: TcpState },
}

/// Why a difference is not a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Agreement {
    Same,
    ProxyPending,
    InFlight,
    KernelTimeWaitEnded,
    NotOffloaded,
}

/// One connection of the join.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    pub flow: Flow,
    /// The device's table slot and state, if it tracks the flow.
    pub slot: Option<u32>,
    pub device: Option<TcpState>,
    pub proxied: bool,
    pub kernel: Option<KernelSocket>,
    pub agreement: Option<Agreement>,
    pub findings: Vec<Finding>,
}

/// Thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// CLOSE-WAIT with the peer silent at least this long is a finding.
    pub close_wait_ms: u64,
}

impl Default for Options {
    /// Ten minutes: far beyond any application's orderly close, well inside the hours a
    /// leaked CLOSE-WAIT socket lives.
    fn default() -> Self {
        Options {
            close_wait_ms: 600_000,
        }
    }
}

/// RFC 9293 §3.3.2 transitions of one endpoint (Figure 5, simultaneous open and close
/// included): `b` can follow `a` on one segment, call or timeout.
pub fn next(a: TcpState, b: TcpState) -> bool {
    use TcpState::*;
    matches!(
        (a, b),
        (Closed, Listen | SynSent)
            | (Listen, SynReceived | SynSent | Closed)
            | (SynSent, SynReceived | Established | Closed)
            | (SynReceived, Established | FinWait1 | Listen | Closed)
            | (Established, FinWait1 | CloseWait | Closed)
            | (FinWait1, FinWait2 | Closing | TimeWait | Closed)
            | (FinWait2, TimeWait | Closed)
            | (CloseWait, LastAck | Closed)
            | (Closing, TimeWait | Closed)
            | (LastAck, Closed)
            | (TimeWait, Closed)
    )
}

fn judge(
    device: Option<(TcpState, bool)>,
    kernel: Option<&KernelSocket>,
    opts: &Options,
) -> (Option<Agreement>, Vec<Finding>) {
    let mut findings = Vec::new();
    if let Some(k) = kernel {
        if k.state == TcpState::CloseWait {
            if let Some(idle) = k.peer_idle_ms {
                if idle as u64 >= opts.close_wait_ms {
                    findings.push(Finding::CloseWaitTooLong {
                        idle_ms: idle as u64,
                    });
                }
            }
        }
    }
    let agreement = match (device, kernel.map(|k| k.state)) {
        (None, Some(_)) => Some(Agreement::NotOffloaded),
        (None, None) => None,
        (Some((d, proxied)), k) if proxied && d == TcpState::SynReceived => match k {
            None | Some(TcpState::SynReceived) => Some(Agreement::ProxyPending),
            Some(k) if k == d || next(d, k) => Some(Agreement::InFlight),
            Some(k) => {
                findings.push(Finding::StateMismatch {
                    device: d,
                    kernel: k,
                });
                None
            }
        },
        (Some((d, _)), None) => match d {
            TcpState::TimeWait | TcpState::Closed => Some(Agreement::KernelTimeWaitEnded),
            d => {
                findings.push(Finding::HalfOpen { device: d });
                None
            }
        },
        (Some((d, _)), Some(k)) if d == k => Some(Agreement::Same),
        (Some((d, _)), Some(k)) if next(d, k) || next(k, d) => Some(Agreement::InFlight),
        (Some((d, _)), Some(k)) => {
            findings.push(Finding::StateMismatch {
                device: d,
                kernel: k,
            });
            None
        }
    };
    (agreement, findings)
}

/// Join `device` records with `kernel` sockets; rows in flow order.
pub fn reconcile(device: &[DumpRecord], kernel: &[KernelSocket], opts: &Options) -> Vec<Row> {
    let mut by_flow: BTreeMap<Flow, (Option<&DumpRecord>, Option<&KernelSocket>)> = BTreeMap::new();
    for r in device {
        by_flow.entry(Flow::of_record(r)).or_default().0 = Some(r);
    }
    for k in kernel.iter().filter(|k| k.state != TcpState::Listen) {
        by_flow.entry(Flow::of_socket(k)).or_default().1 = Some(k);
    }
    by_flow
        .into_iter()
        .map(|(flow, (d, k))| {
            let dev = d.map(|r| (r.entry.state, r.entry.has(flags::PROXIED)));
            let (agreement, findings) = judge(dev, k, opts);
            Row {
                flow,
                slot: d.map(|r| r.slot),
                device: d.map(|r| r.entry.state),
                proxied: d.is_some_and(|r| r.entry.has(flags::PROXIED)),
                kernel: k.cloned(),
                agreement,
                findings,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::table::{Entry, FlowKey};
    use TcpState::*;

    const HOST: [u8; 4] = [192, 0, 2, 1];

    fn rec(peer_port: u16, state: TcpState, proxied: bool) -> DumpRecord {
        let mut entry = Entry::new(
            FlowKey {
                peer_addr: [198, 51, 100, 7],
                host_addr: HOST,
                peer_port,
                host_port: 443,
            },
            state,
        );
        if proxied {
            entry.flags |= flags::PROXIED;
        }
        DumpRecord {
            slot: peer_port as u32,
            entry,
        }
    }

    fn sock(peer_port: u16, state: TcpState, idle: Option<u32>) -> KernelSocket {
        KernelSocket {
            local: SocketAddrV4::new(HOST.into(), 443),
            remote: SocketAddrV4::new([198, 51, 100, 7].into(), peer_port),
            state,
            inode: 1000 + peer_port as u32,
            uid: 0,
            recv_q: 0,
            send_q: 0,
            peer_idle_ms: idle,
            owners: Vec::new(),
        }
    }

    fn one(d: Option<DumpRecord>, k: Option<KernelSocket>, opts: &Options) -> Row {
        let rows = reconcile(d.as_slice(), k.as_slice(), opts);
        assert_eq!(rows.len(), 1);
        rows.into_iter().next().unwrap()
    }

    #[test]
    fn the_join_pairs_by_four_tuple_and_keeps_each_side() {
        let dev = [rec(1, Established, false), rec(2, FinWait2, false)];
        let kern = [
            sock(1, Established, Some(5)),
            sock(3, Established, Some(5)),
            KernelSocket {
                remote: SocketAddrV4::new([0, 0, 0, 0].into(), 0),
                ..sock(0, Listen, None)
            },
        ];
        let rows = reconcile(&dev, &kern, &Options::default());
        assert_eq!(rows.len(), 3, "the listener is left out");
        assert_eq!(rows[0].flow.peer.port(), 1);
        assert_eq!(rows[0].slot, Some(1));
        assert_eq!(rows[0].agreement, Some(Agreement::Same));
        assert_eq!(rows[0].kernel.as_ref().unwrap().inode, 1001);
        assert_eq!(rows[1].flow.peer.port(), 2);
        assert_eq!(
            rows[1].findings,
            vec![Finding::HalfOpen { device: FinWait2 }]
        );
        assert_eq!(rows[2].flow.peer.port(), 3);
        assert_eq!(rows[2].agreement, Some(Agreement::NotOffloaded));
        assert!(rows[2].findings.is_empty() && rows[2].device.is_none());
    }

    #[test]
    fn half_open_unless_the_kernel_legitimately_let_go() {
        let o = Options::default();
        for s in [
            SynSent,
            SynReceived,
            Established,
            FinWait1,
            CloseWait,
            LastAck,
            Closing,
        ] {
            let r = one(Some(rec(9, s, false)), None, &o);
            assert_eq!(r.findings, vec![Finding::HalfOpen { device: s }], "{s}");
        }
        for s in [TimeWait, Closed] {
            let r = one(Some(rec(9, s, false)), None, &o);
            assert_eq!(r.agreement, Some(Agreement::KernelTimeWaitEnded));
            assert!(r.findings.is_empty());
        }
    }

    #[test]
    fn a_pending_syn_proxy_handoff_is_not_half_open() {
        let o = Options::default();
        let r = one(Some(rec(9, SynReceived, true)), None, &o);
        assert_eq!(r.agreement, Some(Agreement::ProxyPending));
        assert!(r.findings.is_empty() && r.proxied);
        let r = one(
            Some(rec(9, SynReceived, true)),
            Some(sock(9, SynReceived, None)),
            &o,
        );
        assert_eq!(r.agreement, Some(Agreement::ProxyPending));
        let r = one(
            Some(rec(9, SynReceived, true)),
            Some(sock(9, Established, Some(1))),
            &o,
        );
        assert_eq!(r.agreement, Some(Agreement::InFlight));
        let r = one(
            Some(rec(9, SynReceived, true)),
            Some(sock(9, TimeWait, None)),
            &o,
        );
        assert_eq!(
            r.findings,
            vec![Finding::StateMismatch {
                device: SynReceived,
                kernel: TimeWait
            }]
        );
        // without the proxy flag the same SYN-RECEIVED entry is half-open
        let r = one(Some(rec(9, SynReceived, false)), None, &o);
        assert_eq!(
            r.findings,
            vec![Finding::HalfOpen {
                device: SynReceived
            }]
        );
    }

    #[test]
    fn states_one_transition_apart_are_in_flight_others_disagree() {
        let o = Options::default();
        for (d, k) in [
            (SynReceived, Established),
            (Established, SynReceived),
            (Established, FinWait1),
            (CloseWait, Established),
            (FinWait1, TimeWait),
            (LastAck, CloseWait),
        ] {
            let r = one(Some(rec(9, d, false)), Some(sock(9, k, Some(0))), &o);
            assert_eq!(r.agreement, Some(Agreement::InFlight), "{d} / {k}");
            assert!(r.findings.is_empty());
        }
        for (d, k) in [
            (Established, TimeWait),
            (SynSent, CloseWait),
            (TimeWait, Established),
            (FinWait2, LastAck),
        ] {
            let r = one(Some(rec(9, d, false)), Some(sock(9, k, Some(0))), &o);
            assert_eq!(
                r.findings,
                vec![Finding::StateMismatch {
                    device: d,
                    kernel: k
                }],
                "{d} / {k}"
            );
            assert_eq!(r.agreement, None);
        }
    }

    #[test]
    fn close_wait_too_long_follows_the_threshold() {
        let o = Options {
            close_wait_ms: 30_000,
        };
        let r = one(
            Some(rec(9, CloseWait, false)),
            Some(sock(9, CloseWait, Some(29_999))),
            &o,
        );
        assert!(r.findings.is_empty());
        let r = one(
            Some(rec(9, CloseWait, false)),
            Some(sock(9, CloseWait, Some(30_000))),
            &o,
        );
        assert_eq!(
            r.findings,
            vec![Finding::CloseWaitTooLong { idle_ms: 30_000 }]
        );
        assert_eq!(r.agreement, Some(Agreement::Same));
        // kernel-only sockets are checked too
        let r = one(None, Some(sock(9, CloseWait, Some(90_000))), &o);
        assert_eq!(
            r.findings,
            vec![Finding::CloseWaitTooLong { idle_ms: 90_000 }]
        );
        // an established socket's silence is not a CLOSE-WAIT finding
        let r = one(None, Some(sock(9, Established, Some(90_000))), &o);
        assert!(r.findings.is_empty());
    }

    #[test]
    fn transitions_follow_the_rfc_diagram() {
        assert!(next(Established, CloseWait));
        assert!(!next(CloseWait, Established));
        assert!(next(SynSent, SynReceived), "simultaneous open");
        assert!(next(FinWait1, Closing), "simultaneous close");
        for s in TcpState::ALL {
            assert!(!next(s, s), "{s}");
        }
    }

    #[test]
    fn rows_serialize_and_parse_back() {
        let rows = reconcile(
            &[rec(1, Established, false), rec(2, CloseWait, true)],
            &[sock(2, CloseWait, Some(700_000))],
            &Options::default(),
        );
        let json = serde_json::to_string(&rows).unwrap();
        let back: Vec<Row> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rows);
        assert!(json.contains("\"kind\":\"close-wait-too-long\""), "{json}");
    }
}
