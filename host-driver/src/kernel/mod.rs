//! # The kernel's TCP sockets in the current network namespace
//!
//! [`read_sockets`] asks the kernel for every TCP socket over netlink `NETLINK_SOCK_DIAG`
//! (`SOCK_DIAG_BY_FAMILY` with a `struct inet_diag_req_v2`, linux/inet_diag.h: IPv4 and IPv6,
//! all states, the `INET_DIAG_INFO` extension for `struct tcp_info`), the interface `ss -tan`
//! uses, and finds each socket's owning processes by matching its inode against the
//! `socket:[INODE]` links in `/proc/PID/fd` (as `ss -p` does).
//!
//! The namespace is the calling thread's: a netlink socket belongs to the namespace it was
//! created in.

mod procfs;
mod sock_diag;

pub use procfs::{owners, Owner};
pub use sock_diag::dump_tcp;

use proto::state::TcpState;
use std::net::SocketAddrV4;

/// One TCP socket as the kernel reports it. IPv4-mapped IPv6 sockets (`::ffff:a.b.c.d`) are
/// reported with their IPv4 addresses; other IPv6 sockets are left out (the NIC tracks IPv4).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KernelSocket {
    /// `idiag_src`: this host's end.
    pub local: SocketAddrV4,
    /// `idiag_dst`: the peer.
    pub remote: SocketAddrV4,
    /// `idiag_state`, in RFC 9293 terms (`TCP_NEW_SYN_RECV` request sockets are
    /// SYN-RECEIVED, `TCP_CLOSE` is CLOSED).
    pub state: TcpState,
    /// `idiag_inode` (0 for TIME-WAIT and request sockets, which no file refers to).
    pub inode: u32,
    pub uid: u32,
    pub recv_q: u32,
    pub send_q: u32,
    /// Milliseconds since the peer was last heard from: the smaller of `tcp_info`'s
    /// `tcpi_last_data_recv` and `tcpi_last_ack_recv`; `None` without `tcp_info` (TIME-WAIT
    /// and request sockets). In CLOSE-WAIT the peer has sent its FIN, so for an idle socket
    /// this is the time since the FIN: a lower bound of its age in CLOSE-WAIT, which the
    /// kernel does not record.
    pub peer_idle_ms: Option<u32>,
    /// The processes holding the socket open.
    pub owners: Vec<Owner>,
}

/// Every TCP socket of the current network namespace, with its owners.
pub fn read_sockets() -> std::io::Result<Vec<KernelSocket>> {
    let mut socks = dump_tcp()?;
    let inodes: std::collections::HashSet<u32> =
        socks.iter().map(|s| s.inode).filter(|&i| i != 0).collect();
    let map = owners(std::path::Path::new("/proc"), &inodes);
    for s in &mut socks {
        if let Some(o) = map.get(&s.inode) {
            s.owners = o.clone();
        }
    }
    Ok(socks)
}

/// `idiag_state` (include/net/tcp_states.h) to the RFC state; `None` for states that are not
/// connections' (`TCP_BOUND_INACTIVE`) or unknown codes.
pub fn state_from_kernel(code: u8) -> Option<TcpState> {
    Some(match code {
        1 => TcpState::Established,
        2 => TcpState::SynSent,
        3 | 12 => TcpState::SynReceived, // TCP_SYN_RECV, TCP_NEW_SYN_RECV
        4 => TcpState::FinWait1,
        5 => TcpState::FinWait2,
        6 => TcpState::TimeWait,
        7 => TcpState::Closed,
        8 => TcpState::CloseWait,
        9 => TcpState::LastAck,
        10 => TcpState::Listen,
        11 => TcpState::Closing,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_state_codes_map_to_the_rfc_states() {
        let mut seen: Vec<TcpState> = (0..=13).filter_map(state_from_kernel).collect();
        assert_eq!(state_from_kernel(12), Some(TcpState::SynReceived));
        assert_eq!(state_from_kernel(13), None);
        assert_eq!(state_from_kernel(0), None);
        seen.sort();
        seen.dedup();
        assert_eq!(
            seen,
            TcpState::ALL.to_vec(),
            "every RFC state has a kernel code"
        );
    }
}
