//! Frames on the wire: parsing (Ethernet II, 802.1Q, IPv4 with options and fragments, IPv6, TCP
//! with every option), building, and checksums.
//!
//! Header validation is etherparse's (lengths, IHL, data offset); TCP options are parsed here with
//! Linux `tcp_parse_options` semantics ([`tcp_options`]), which no crate reproduces exactly.
//! [`parse`] never panics, whatever the bytes (a property test proves it).

pub mod build;
pub mod checksum;
pub mod tcp_options;

pub use build::{GenFrame, SegmentSpec, GEN_FRAME_CAP};
pub use tcp_options::{SackBlock, TcpOptions, Timestamp};

use etherparse::{
    Ethernet2HeaderSlice, Ipv4HeaderSlice, Ipv6HeaderSlice, SingleVlanHeaderSlice, TcpHeaderSlice,
};

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_IPV6: u16 = 0x86DD;
pub const ETHERTYPE_VLAN: u16 = 0x8100;
pub const IPPROTO_TCP: u8 = 6;

/// TCP control bits (RFC 9293 §3.1), in header order (low byte of the flags word).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
    pub const ECE: u8 = 0x40;
    pub const CWR: u8 = 0x80;

    pub const fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
    pub const fn fin(self) -> bool {
        self.has(Self::FIN)
    }
    pub const fn syn(self) -> bool {
        self.has(Self::SYN)
    }
    pub const fn rst(self) -> bool {
        self.has(Self::RST)
    }
    pub const fn ack(self) -> bool {
        self.has(Self::ACK)
    }
    /// conntrack `tcp_error` / `tcp_valid_flags`: after masking ECE, CWR and PSH the flags must be
    /// one of SYN, SYN|URG, SYN|ACK, RST, RST|ACK, FIN|ACK, FIN|ACK|URG, ACK, ACK|URG.
    pub const fn conntrack_valid(self) -> bool {
        const F: u8 = TcpFlags::FIN;
        const S: u8 = TcpFlags::SYN;
        const R: u8 = TcpFlags::RST;
        const A: u8 = TcpFlags::ACK;
        const U: u8 = TcpFlags::URG;
        let f = self.0 & !(Self::ECE | Self::CWR | Self::PSH);
        matches!(f, x if x == S || x == S | U || x == S | A || x == R || x == R | A || x == F | A
            || x == F | A | U || x == A || x == A | U)
    }
}

/// Why a frame could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParseError {
    /// Shorter than an Ethernet header.
    TruncatedEthernet,
    /// 802.1Q tag cut short.
    TruncatedVlan,
    /// IPv4 header invalid (version, IHL < 5, total length < IHL or beyond the frame).
    BadIpv4Header,
    /// IPv6 header cut short or payload length beyond the frame.
    BadIpv6Header,
    /// TCP header invalid (data offset < 5 or beyond the segment).
    BadTcpHeader,
}

/// The IPv4 header fields the NIC uses, with the byte offset of the header in the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Info {
    pub offset: usize,
    pub header_len: usize,
    pub total_len: u16,
    pub tos: u8,
    pub id: u16,
    pub dont_fragment: bool,
    /// More-fragments set or a non-zero fragment offset.
    pub fragment: bool,
    pub ttl: u8,
    pub protocol: u8,
    pub checksum: u16,
    pub src: [u8; 4],
    pub dst: [u8; 4],
}

/// The IPv6 header fields (flagged, not tracked), with its offset in the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Info {
    pub offset: usize,
    pub next_header: u8,
    pub payload_len: u16,
    pub hop_limit: u8,
    pub src: [u8; 16],
    pub dst: [u8; 16],
}

/// A parsed TCP header, with byte offsets into the frame for in-place rewriting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpInfo {
    pub offset: usize,
    pub header_len: usize,
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub checksum: u16,
    pub urgent: u16,
    pub payload_len: usize,
    pub options: TcpOptions,
}

impl TcpInfo {
    /// Sequence space the segment occupies: payload + SYN + FIN (conntrack `segment_seq_plus_len`).
    pub fn seg_len(&self) -> u32 {
        self.payload_len as u32 + self.flags.syn() as u32 + self.flags.fin() as u32
    }
    /// One past the last sequence number of the segment.
    pub fn end(&self) -> u32 {
        self.seq.wrapping_add(self.seg_len())
    }
}

/// What a frame carries, as far as the NIC cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// Not IP (ARP, LLDP, other ethertypes): passes through.
    NotIp,
    /// IPv4 carrying something other than TCP (ICMP, UDP, ...): passes through.
    Ipv4Other(Ipv4Info),
    /// An IPv4 fragment: the TCP header is not inspected.
    Ipv4Fragment(Ipv4Info),
    /// IPv4 + TCP: what the pipeline works on.
    Ipv4Tcp(Ipv4Info, TcpInfo),
    /// IPv6 (TCP header parsed when it follows the fixed header directly).
    Ipv6(Ipv6Info, Option<TcpInfo>),
}

/// A parsed frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub dst_mac: [u8; 6],
    pub src_mac: [u8; 6],
    /// The 802.1Q TCI, when the frame carries one tag.
    pub vlan_tci: Option<u16>,
    pub ethertype: u16,
    /// Byte offset of the layer-3 header.
    pub l3_offset: usize,
    pub payload: Payload,
}

impl Frame {
    pub fn tcp(&self) -> Option<(&Ipv4Info, &TcpInfo)> {
        match &self.payload {
            Payload::Ipv4Tcp(ip, tcp) => Some((ip, tcp)),
            _ => None,
        }
    }
}

/// Parse a frame. Never panics; errors only for headers that claim more than the frame holds or
/// that are invalid in themselves. Ethernet padding after the IP datagram is ignored.
pub fn parse(frame: &[u8]) -> Result<Frame, ParseError> {
    let eth = Ethernet2HeaderSlice::from_slice(frame).map_err(|_| ParseError::TruncatedEthernet)?;
    let mut ethertype = eth.ether_type().0;
    let mut l3 = eth.slice().len();
    let mut vlan_tci = None;
    if ethertype == ETHERTYPE_VLAN {
        let vlan = SingleVlanHeaderSlice::from_slice(&frame[l3..])
            .map_err(|_| ParseError::TruncatedVlan)?;
        vlan_tci = Some(u16::from_be_bytes([vlan.slice()[0], vlan.slice()[1]]));
        ethertype = vlan.ether_type().0;
        l3 += vlan.slice().len();
    }
    let payload = match ethertype {
        ETHERTYPE_IPV4 => parse_ipv4(frame, l3)?,
        ETHERTYPE_IPV6 => parse_ipv6(frame, l3)?,
        _ => Payload::NotIp,
    };
    Ok(Frame {
        dst_mac: eth.destination(),
        src_mac: eth.source(),
        vlan_tci,
        ethertype,
        l3_offset: l3,
        payload,
    })
}

fn parse_ipv4(frame: &[u8], off: usize) -> Result<Payload, ParseError> {
    let ip = Ipv4HeaderSlice::from_slice(&frame[off..]).map_err(|_| ParseError::BadIpv4Header)?;
    let header_len = ip.slice().len();
    let total_len = ip.total_len();
    if (total_len as usize) < header_len || off + total_len as usize > frame.len() {
        return Err(ParseError::BadIpv4Header);
    }
    let info = Ipv4Info {
        offset: off,
        header_len,
        total_len,
        tos: (ip.dcp().value() << 2) | ip.ecn().value(),
        id: ip.identification(),
        dont_fragment: ip.dont_fragment(),
        fragment: ip.more_fragments() || ip.fragments_offset().value() != 0,
        ttl: ip.ttl(),
        protocol: ip.protocol().0,
        checksum: ip.header_checksum(),
        src: ip.source(),
        dst: ip.destination(),
    };
    if info.fragment {
        return Ok(Payload::Ipv4Fragment(info));
    }
    if info.protocol != IPPROTO_TCP {
        return Ok(Payload::Ipv4Other(info));
    }
    let l4 = off + header_len;
    let tcp = parse_tcp(&frame[l4..off + total_len as usize], l4)?;
    Ok(Payload::Ipv4Tcp(info, tcp))
}

fn parse_ipv6(frame: &[u8], off: usize) -> Result<Payload, ParseError> {
    let ip = Ipv6HeaderSlice::from_slice(&frame[off..]).map_err(|_| ParseError::BadIpv6Header)?;
    let payload_len = ip.payload_length();
    let l4 = off + ip.slice().len();
    if l4 + payload_len as usize > frame.len() {
        return Err(ParseError::BadIpv6Header);
    }
    let info = Ipv6Info {
        offset: off,
        next_header: ip.next_header().0,
        payload_len,
        hop_limit: ip.hop_limit(),
        src: ip.source(),
        dst: ip.destination(),
    };
    let tcp = if info.next_header == IPPROTO_TCP {
        Some(parse_tcp(&frame[l4..l4 + payload_len as usize], l4)?)
    } else {
        None
    };
    Ok(Payload::Ipv6(info, tcp))
}

/// Parse a TCP segment (`seg` is the whole segment: header, options, payload); `offset` is where
/// it starts in the frame.
fn parse_tcp(seg: &[u8], offset: usize) -> Result<TcpInfo, ParseError> {
    let tcp = TcpHeaderSlice::from_slice(seg).map_err(|_| ParseError::BadTcpHeader)?;
    let header_len = tcp.slice().len();
    let flags = TcpFlags(seg[13]);
    let options = TcpOptions::parse(tcp.options(), flags.syn(), offset + 20);
    Ok(TcpInfo {
        offset,
        header_len,
        src_port: tcp.source_port(),
        dst_port: tcp.destination_port(),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        flags,
        window: tcp.window_size(),
        checksum: tcp.checksum(),
        urgent: tcp.urgent_pointer(),
        payload_len: seg.len() - header_len,
        options,
    })
}
