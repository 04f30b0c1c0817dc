//! Frames the firmware generates from a table entry alone (no frame to answer), built with
//! proto's builders (`proto::wire::build::SegmentSpec`, `proto::synproxy::server_syn`) so they
//! are byte-equal to what the pipeline's reply generator would emit: IPv4 id 0, DF, TTL 64,
//! no IP options.
//!
//! - Keepalive probe (Linux `tcp_keepalive_timer` -> `tcp_write_wakeup` -> `tcp_xmit_probe_skb`):
//!   an ACK from the host to the peer with seq = SND.NXT - 1 (one byte the peer has already
//!   acknowledged, so a live peer must answer with an ACK), ack = RCV.NXT, no payload and no
//!   timestamp option (the host's TSval is not stored; as the pipeline's challenge ACKs).
//! - Reset toward the host (half-open detection gave up, `tcp_write_err` on the host's behalf):
//!   RST|ACK from the peer, seq = RCV.NXT (exactly what the host accepts, RFC 5961 §3.2), ack =
//!   SND.NXT.
//! - The SYN proxy's SYN to the host, retransmitted (netfilter `synproxy_send_server_syn`): the
//!   options come back from the cookie (`proto::cookie::check_v4` decodes the MSS, the entry
//!   holds WS / SACK / TS), exactly as the pipeline built it on the cookie ACK.
//!
//! For SYN-proxied entries the host's sequence space is translated into the client's (seq +
//! seq_off), as `proto::synproxy::translate_to_wire` does for forwarded segments.

use proto::config::NicConfig;
use proto::table::{flags, Entry};
use proto::time::Instant;
use proto::wire::{
    self, Frame, GenFrame, Ipv4Info, Payload, SegmentSpec, TcpFlags, TcpInfo, TcpOptions, Timestamp,
};

use crate::hw::PortMacs;

fn spec<'a>(src_mac: [u8; 6], dst_mac: [u8; 6]) -> SegmentSpec<'a> {
    SegmentSpec {
        src_mac,
        dst_mac,
        vlan_tci: None,
        src_ip: [0; 4],
        dst_ip: [0; 4],
        tos: 0,
        ip_id: 0,
        dont_fragment: true,
        ttl: proto::synproxy::TTL,
        src_port: 0,
        dst_port: 0,
        seq: 0,
        ack: 0,
        flags: TcpFlags::ACK,
        window: 0,
        options: &[],
        payload: &[],
    }
}

/// The host's SND.NXT in the peer's sequence space.
fn host_seq_on_wire(e: &Entry) -> u32 {
    if e.has(flags::PROXIED) {
        e.host_end.wrapping_add(e.seq_off)
    } else {
        e.host_end
    }
}

/// A keepalive probe from the host to the peer (leaves through the wire port).
pub fn keepalive_probe(e: &Entry, macs: &PortMacs) -> GenFrame {
    let s = SegmentSpec {
        src_ip: e.key.host_addr,
        dst_ip: e.key.peer_addr,
        src_port: e.key.host_port,
        dst_port: e.key.peer_port,
        seq: host_seq_on_wire(e).wrapping_sub(1),
        ack: e.peer_end,
        window: e.host_maxwin,
        ..spec(macs.host, macs.wire)
    };
    // 54 bytes always fit GEN_FRAME_CAP.
    s.to_gen_frame().unwrap_or_default()
}

/// A reset from the peer to the host (leaves through the host port), in the host's space.
pub fn reset_to_host(e: &Entry, macs: &PortMacs) -> GenFrame {
    let s = SegmentSpec {
        src_ip: e.key.peer_addr,
        dst_ip: e.key.host_addr,
        src_port: e.key.peer_port,
        dst_port: e.key.host_port,
        seq: e.peer_end,
        ack: e.host_end,
        flags: TcpFlags::RST | TcpFlags::ACK,
        ..spec(macs.wire, macs.host)
    };
    s.to_gen_frame().unwrap_or_default()
}

/// The SYN proxy's SYN to the host for a pending (proxied SYN-RECEIVED) entry, rebuilt for a
/// retransmission. `None` when the cookie no longer validates (older than two cookie minutes,
/// or the secret changed): the host can no longer be handed this connection.
pub fn proxy_syn(cfg: &NicConfig, e: &Entry, macs: &PortMacs, now: Instant) -> Option<GenFrame> {
    let cookie = e.seq_off;
    let mss = proto::cookie::check_v4(
        &cfg.cookie_key,
        e.key.peer_addr,
        e.key.host_addr,
        e.key.peer_port,
        e.key.host_port,
        e.peer_end,
        cookie.wrapping_add(1),
        now.cookie_minute(),
    )?;
    // The cookie ACK the pipeline answered, as far as server_syn reads it.
    let f = Frame {
        dst_mac: macs.host,
        src_mac: macs.wire,
        vlan_tci: None,
        ethertype: wire::ETHERTYPE_IPV4,
        l3_offset: 14,
        payload: Payload::NotIp,
    };
    let ip = Ipv4Info {
        offset: 14,
        header_len: 20,
        total_len: 40,
        tos: 0,
        id: 0,
        dont_fragment: true,
        fragment: false,
        ttl: proto::synproxy::TTL,
        protocol: wire::IPPROTO_TCP,
        checksum: 0,
        src: e.key.peer_addr,
        dst: e.key.host_addr,
    };
    let mut options = TcpOptions::default();
    if e.has(flags::TS_OK) {
        options.timestamp = Some(Timestamp {
            tsval: e.ts_recent,
            tsecr: e.ts_off,
            offset: 0,
        });
    }
    let tcp = TcpInfo {
        offset: 34,
        header_len: 20,
        src_port: e.key.peer_port,
        dst_port: e.key.host_port,
        seq: e.peer_end,
        ack: cookie.wrapping_add(1),
        flags: TcpFlags(TcpFlags::ACK),
        window: e.peer_maxwin,
        checksum: 0,
        urgent: 0,
        payload_len: 0,
        options,
    };
    Some(proto::synproxy::server_syn(e, mss, &f, &ip, &tcp))
}
