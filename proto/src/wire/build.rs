//! Building Ethernet / IPv4 / TCP frames.
//!
//! The byte layout here is exactly what the hardware reply generator emits (a fixed 20-byte IPv4
//! header, no IP options, the TCP options given), so it is written out field by field; tests
//! parse every built frame back through [`super::parse`] (etherparse) and verify both checksums.

use super::checksum;
use super::{ETHERTYPE_IPV4, ETHERTYPE_VLAN};

/// Room for any frame the NIC generates: 14 + 4 (VLAN) + 20 (IPv4) + 60 (TCP with 40 bytes of
/// options) = 98 bytes, rounded up. Generated frames carry no payload.
pub const GEN_FRAME_CAP: usize = 128;

/// A frame the NIC generated.
pub type GenFrame = heapless::Vec<u8, GEN_FRAME_CAP>;

/// Everything that goes into one IPv4/TCP frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentSpec<'a> {
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
    pub vlan_tci: Option<u16>,
    pub src_ip: [u8; 4],
    pub dst_ip: [u8; 4],
    pub tos: u8,
    pub ip_id: u16,
    pub dont_fragment: bool,
    pub ttl: u8,
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// TCP control bits ([`super::TcpFlags`] constants).
    pub flags: u8,
    pub window: u16,
    /// Option bytes, a multiple of 4, at most 40.
    pub options: &'a [u8],
    pub payload: &'a [u8],
}

/// The frame would not fit the buffer, or the options are not a multiple of 4 bytes up to 40.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildError;

impl SegmentSpec<'_> {
    /// Bytes the frame occupies.
    pub fn len(&self) -> usize {
        14 + if self.vlan_tci.is_some() { 4 } else { 0 }
            + 20
            + 20
            + self.options.len()
            + self.payload.len()
    }

    /// Never empty: there is always at least a header.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Write the frame into `out`; returns its length.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, BuildError> {
        let len = self.len();
        if out.len() < len || !self.options.len().is_multiple_of(4) || self.options.len() > 40 {
            return Err(BuildError);
        }
        let out = &mut out[..len];
        out[0..6].copy_from_slice(&self.dst_mac);
        out[6..12].copy_from_slice(&self.src_mac);
        let mut p = 12;
        if let Some(tci) = self.vlan_tci {
            out[12..14].copy_from_slice(&ETHERTYPE_VLAN.to_be_bytes());
            out[14..16].copy_from_slice(&tci.to_be_bytes());
            p = 16;
        }
        out[p..p + 2].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        let ip = p + 2;
        let tcp_len = 20 + self.options.len() + self.payload.len();
        {
            let h = &mut out[ip..ip + 20];
            h[0] = 0x45;
            h[1] = self.tos;
            h[2..4].copy_from_slice(&((20 + tcp_len) as u16).to_be_bytes());
            h[4..6].copy_from_slice(&self.ip_id.to_be_bytes());
            h[6..8]
                .copy_from_slice(&(if self.dont_fragment { 0x4000u16 } else { 0 }).to_be_bytes());
            h[8] = self.ttl;
            h[9] = super::IPPROTO_TCP;
            h[10..12].fill(0);
            h[12..16].copy_from_slice(&self.src_ip);
            h[16..20].copy_from_slice(&self.dst_ip);
            let c = checksum::ipv4_header(h);
            h[10..12].copy_from_slice(&c.to_be_bytes());
        }
        let t = ip + 20;
        {
            let s = &mut out[t..];
            s[0..2].copy_from_slice(&self.src_port.to_be_bytes());
            s[2..4].copy_from_slice(&self.dst_port.to_be_bytes());
            s[4..8].copy_from_slice(&self.seq.to_be_bytes());
            s[8..12].copy_from_slice(&self.ack.to_be_bytes());
            s[12] = (((20 + self.options.len()) / 4) as u8) << 4;
            s[13] = self.flags;
            s[14..16].copy_from_slice(&self.window.to_be_bytes());
            s[16..20].fill(0);
            s[20..20 + self.options.len()].copy_from_slice(self.options);
            s[20 + self.options.len()..].copy_from_slice(self.payload);
            let c = checksum::tcp_v4(self.src_ip, self.dst_ip, s);
            s[16..18].copy_from_slice(&c.to_be_bytes());
        }
        Ok(len)
    }

    /// Build into a [`GenFrame`] (frames without payload, as the NIC generates them).
    pub fn to_gen_frame(&self) -> Result<GenFrame, BuildError> {
        let mut buf = [0u8; GEN_FRAME_CAP];
        let n = self.write(&mut buf)?;
        GenFrame::from_slice(&buf[..n]).map_err(|_| BuildError)
    }

    /// Build into a heap buffer (any size).
    #[cfg(feature = "std")]
    pub fn to_vec(&self) -> Result<std::vec::Vec<u8>, BuildError> {
        let mut v = std::vec![0u8; self.len()];
        self.write(&mut v)?;
        Ok(v)
    }
}

/// Verify the IPv4 header checksum and the TCP checksum of a parsed IPv4/TCP frame.
pub fn checksums_ok(frame: &[u8], ip: &super::Ipv4Info, tcp: &super::TcpInfo) -> bool {
    let ih = &frame[ip.offset..ip.offset + ip.header_len];
    let seg = &frame[tcp.offset..ip.offset + ip.total_len as usize];
    checksum::ipv4_header(ih) == ip.checksum
        && checksum::tcp_v4(ip.src, ip.dst, seg) == tcp.checksum
}
