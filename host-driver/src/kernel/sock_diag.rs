//! The sock_diag dump: one `SOCK_DIAG_BY_FAMILY` request (`struct inet_diag_req_v2`,
//! `NLM_F_REQUEST | NLM_F_DUMP`) per address family, answers read until `NLMSG_DONE`.

use super::{state_from_kernel, KernelSocket};
use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_sock_diag::{
    constants::{AF_INET, AF_INET6, IPPROTO_TCP},
    inet::{nlas::Nla, ExtensionFlags, InetRequest, InetResponse, SocketId, StateFlags},
    SockDiagMessage,
};
use netlink_sys::{protocols::NETLINK_SOCK_DIAG, Socket, SocketAddr};
use std::io;
use std::net::{IpAddr, SocketAddrV4};

/// Offsets in `struct tcp_info` (linux/tcp.h): `tcpi_last_data_recv`, `tcpi_last_ack_recv`.
const TCPI_LAST_DATA_RECV: usize = 52;
const TCPI_LAST_ACK_RECV: usize = 56;

fn ne32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The IPv4 address of `ip`: itself, or the address inside an IPv4-mapped IPv6 address.
fn v4(ip: IpAddr) -> Option<std::net::Ipv4Addr> {
    match ip {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(a) => a.to_ipv4_mapped(),
    }
}

/// A response as a [`KernelSocket`]; `None` for IPv6-only sockets and unknown states.
pub fn decode(r: &InetResponse) -> Option<KernelSocket> {
    let h = &r.header;
    let id = &h.socket_id;
    let mut peer_idle_ms = None;
    for nla in &r.nlas {
        if let Nla::TcpInfo(bytes) = nla {
            let d = ne32(bytes, TCPI_LAST_DATA_RECV);
            let a = ne32(bytes, TCPI_LAST_ACK_RECV);
            peer_idle_ms = match (d, a) {
                (Some(d), Some(a)) => Some(d.min(a)),
                (x, y) => x.or(y),
            };
        }
    }
    Some(KernelSocket {
        local: SocketAddrV4::new(v4(id.source_address)?, id.source_port),
        remote: SocketAddrV4::new(v4(id.destination_address)?, id.destination_port),
        state: state_from_kernel(h.state)?,
        inode: h.inode,
        uid: h.uid,
        recv_q: h.recv_queue,
        send_q: h.send_queue,
        peer_idle_ms,
        owners: Vec::new(),
    })
}

/// Dump one address family's TCP sockets.
fn dump_family(family: u8) -> io::Result<Vec<KernelSocket>> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    let mut hdr = NetlinkHeader::default();
    hdr.flags = NLM_F_REQUEST | NLM_F_DUMP;
    hdr.sequence_number = 1;
    let mut req = NetlinkMessage::new(
        hdr,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol: IPPROTO_TCP,
            extensions: ExtensionFlags::INFO,
            states: StateFlags::all(),
            socket_id: if family == AF_INET {
                SocketId::new_v4()
            } else {
                SocketId::new_v6()
            },
        })
        .into(),
    );
    req.finalize();
    let mut out = vec![0u8; req.buffer_len()];
    req.serialize(&mut out);
    socket.send(&out, 0)?;

    let mut socks = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = socket.recv(&mut &mut buf[..], 0)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "sock_diag: socket closed",
            ));
        }
        let mut at = 0;
        while at < n {
            let msg = NetlinkMessage::<SockDiagMessage>::deserialize(&buf[at..n]).map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidData, format!("sock_diag: {e}"))
            })?;
            let len = msg.header.length as usize;
            match msg.payload {
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(r)) => {
                    socks.extend(decode(&r));
                }
                NetlinkPayload::Done(_) => return Ok(socks),
                NetlinkPayload::Error(e) if e.code.is_some() => return Err(e.to_io()),
                _ => {}
            }
            if len == 0 {
                break;
            }
            at += len.next_multiple_of(4);
        }
    }
}

/// Every TCP socket (IPv4, and IPv4-mapped IPv6) of the current network namespace, without
/// owners.
pub fn dump_tcp() -> io::Result<Vec<KernelSocket>> {
    let mut all = dump_family(AF_INET)?;
    all.extend(dump_family(AF_INET6)?);
    Ok(all)
}
