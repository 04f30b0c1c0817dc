//! TCP options with Linux `tcp_parse_options` semantics (net/ipv4/tcp_input.c) and the option
//! layouts netfilter SYNPROXY builds (`synproxy_build_options`).
//!
//! Parsing rules (RFC 9293 MUST-6/MUST-7, MUST-64/65/69; linux-tcp.md §6):
//! - EOL ends the list; NOP is one byte of padding; options need not be aligned.
//! - A multi-byte option stops the parse when fewer than 2 bytes remain, its length is < 2
//!   ("silly") or longer than what remains ("partial"). [`TcpOptions::truncated`] records that.
//! - Unknown kinds are skipped by their length.
//! - MSS, WS and SACK-permitted count only on a SYN (MUST-65); MSS 0 is ignored; a WS above 14 is
//!   kept raw here and clamped by [`TcpOptions::wscale_clamped`] (RFC 7323 §2.3).
//! - SACK needs len >= 10 and (len - 2) % 8 == 0; at most 4 blocks fit in 40 bytes.

use heapless::Vec;

pub const KIND_EOL: u8 = 0;
pub const KIND_NOP: u8 = 1;
pub const KIND_MSS: u8 = 2;
pub const KIND_WS: u8 = 3;
pub const KIND_SACK_PERM: u8 = 4;
pub const KIND_SACK: u8 = 5;
pub const KIND_TS: u8 = 8;
pub const KIND_MD5: u8 = 19;
pub const KIND_MPTCP: u8 = 30;
pub const KIND_TFO: u8 = 34;
pub const KIND_EXP: u8 = 254;
/// Experimental-option ExID of pre-RFC TCP Fast Open (TCPOPT_FASTOPEN_MAGIC).
pub const TFO_EXP_MAGIC: u16 = 0xF989;
/// RFC 7323 §2.3 / TCP_MAX_WSCALE.
pub const MAX_WSCALE: u8 = 14;
/// Maximum option space (data offset 15).
pub const MAX_OPTIONS_LEN: usize = 40;

/// The timestamp option (RFC 7323 §3), with the frame offset of TSval (TSecr follows at +4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    pub tsval: u32,
    pub tsecr: u32,
    /// Byte offset of TSval within the frame (may be odd: checksum updates must handle it).
    pub offset: usize,
}

/// One SACK block (RFC 2018): left and right edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SackBlock {
    pub left: u32,
    pub right: u32,
}

/// Every option the NIC cares about, parsed from one TCP header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpOptions {
    /// MSS (SYN only, non-zero).
    pub mss: Option<u16>,
    /// Window scale shift as sent (SYN only); see [`TcpOptions::wscale_clamped`].
    pub wscale: Option<u8>,
    /// SACK-permitted (SYN only).
    pub sack_perm: bool,
    pub timestamp: Option<Timestamp>,
    /// SACK blocks, in option order.
    pub sack: Vec<SackBlock, 4>,
    /// Byte offset of the first SACK left edge in the frame.
    pub sack_offset: Option<usize>,
    /// TCP Fast Open (kind 34, or kind 254 with ExID 0xF989): cookie length in bytes.
    pub tfo_cookie_len: Option<u8>,
    /// MPTCP (kind 30): the subtype (high nibble of the third byte).
    pub mptcp_subtype: Option<u8>,
    /// TCP-MD5 signature present (kind 19): must not be modified by a middlebox.
    pub md5: bool,
    /// Options of kinds not listed above, skipped by length.
    pub unknown: u8,
    /// The parse stopped at an illegal length (silly or partial option).
    pub truncated: bool,
}

impl TcpOptions {
    /// Parse the option bytes of a header. `syn` says whether the SYN flag is set; `base` is the
    /// frame offset of the first option byte (for [`Timestamp::offset`] and `sack_offset`).
    pub fn parse(opts: &[u8], syn: bool, base: usize) -> TcpOptions {
        let mut out = TcpOptions::default();
        let mut i = 0;
        while i < opts.len() {
            let kind = opts[i];
            match kind {
                KIND_EOL => break,
                KIND_NOP => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let remaining = opts.len() - i;
            if remaining < 2 {
                out.truncated = true;
                break;
            }
            let len = opts[i + 1] as usize;
            if len < 2 || len > remaining {
                out.truncated = true;
                break;
            }
            let body = &opts[i + 2..i + len];
            match kind {
                KIND_MSS if len == 4 && syn => {
                    let mss = u16::from_be_bytes([body[0], body[1]]);
                    if mss != 0 {
                        out.mss = Some(mss);
                    }
                }
                KIND_WS if len == 3 && syn => out.wscale = Some(body[0]),
                KIND_SACK_PERM if len == 2 && syn => out.sack_perm = true,
                KIND_TS if len == 10 => {
                    out.timestamp = Some(Timestamp {
                        tsval: be32(&body[0..4]),
                        tsecr: be32(&body[4..8]),
                        offset: base + i + 2,
                    })
                }
                KIND_SACK if len >= 10 && (len - 2).is_multiple_of(8) => {
                    out.sack_offset = Some(base + i + 2);
                    out.sack.clear();
                    for b in body.chunks_exact(8) {
                        // At most 4 blocks fit in 40 bytes, so this never overflows.
                        let _ = out.sack.push(SackBlock {
                            left: be32(&b[0..4]),
                            right: be32(&b[4..8]),
                        });
                    }
                }
                KIND_MD5 => out.md5 = true,
                KIND_MPTCP => out.mptcp_subtype = body.first().map(|b| b >> 4),
                KIND_TFO => out.tfo_cookie_len = Some(body.len() as u8),
                KIND_EXP if len >= 4 && u16::from_be_bytes([body[0], body[1]]) == TFO_EXP_MAGIC => {
                    out.tfo_cookie_len = Some((body.len() - 2) as u8)
                }
                KIND_MSS | KIND_WS | KIND_SACK_PERM | KIND_TS | KIND_SACK | KIND_EXP => {}
                _ => out.unknown = out.unknown.saturating_add(1),
            }
            i += len;
        }
        out
    }

    /// The window scale with RFC 7323 §2.3's clamp: values above 14 are treated as 14.
    pub fn wscale_clamped(&self) -> Option<u8> {
        self.wscale.map(|w| w.min(MAX_WSCALE))
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Option bytes being built; always a multiple of 4 long once [`OptionBytes::padded`].
pub type OptionBytes = Vec<u8, MAX_OPTIONS_LEN>;

/// What a generated SYN, SYN-ACK or ACK carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptionSet {
    pub mss: Option<u16>,
    pub sack_perm: bool,
    /// (TSval, TSecr)
    pub timestamp: Option<(u32, u32)>,
    pub wscale: Option<u8>,
}

impl OptionSet {
    /// netfilter `synproxy_build_options` layout: `[MSS]` then `SACKPERM,TS` (or `NOP,NOP,TS`,
    /// or `NOP,NOP,SACKPERM` without TS), then `NOP,WS`. Always a multiple of 4 bytes.
    pub fn to_bytes(&self) -> OptionBytes {
        let mut o = OptionBytes::new();
        let mut put = |b: &[u8]| {
            // 4 + 12 + 4 = 20 bytes at most: within capacity.
            let _ = o.extend_from_slice(b);
        };
        if let Some(mss) = self.mss {
            put(&[KIND_MSS, 4]);
            put(&mss.to_be_bytes());
        }
        if let Some((tsval, tsecr)) = self.timestamp {
            if self.sack_perm {
                put(&[KIND_SACK_PERM, 2, KIND_TS, 10]);
            } else {
                put(&[KIND_NOP, KIND_NOP, KIND_TS, 10]);
            }
            put(&tsval.to_be_bytes());
            put(&tsecr.to_be_bytes());
        } else if self.sack_perm {
            put(&[KIND_NOP, KIND_NOP, KIND_SACK_PERM, 2]);
        }
        if let Some(ws) = self.wscale {
            put(&[KIND_NOP, KIND_WS, 3, ws]);
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_layout_parses_back() {
        let set = OptionSet {
            mss: Some(1460),
            sack_perm: true,
            timestamp: Some((7, 9)),
            wscale: Some(7),
        };
        let b = set.to_bytes();
        assert_eq!(b.len(), 20);
        let p = TcpOptions::parse(&b, true, 34);
        assert_eq!(p.mss, Some(1460));
        assert!(p.sack_perm);
        assert_eq!(p.wscale, Some(7));
        assert_eq!(
            p.timestamp,
            Some(Timestamp {
                tsval: 7,
                tsecr: 9,
                offset: 34 + 8
            })
        );
        assert!(!p.truncated);
    }

    /// Conformance 44: option len 0 or 1, or beyond the header -> parsing stops, no crash;
    /// unknown kinds skipped.
    #[test]
    fn conformance_44_bad_lengths_stop_the_parse() {
        for bad in [0u8, 1] {
            let p = TcpOptions::parse(&[KIND_MSS, bad, 5, 0xB4, KIND_WS, 3, 7, 0], true, 0);
            assert!(p.truncated && p.mss.is_none() && p.wscale.is_none());
        }
        let p = TcpOptions::parse(&[KIND_NOP, KIND_TS, 10, 0, 0], false, 0);
        assert!(p.truncated && p.timestamp.is_none());
        // Unknown kind 99 of length 4 is skipped and the MSS after it still counts.
        let p = TcpOptions::parse(&[99, 4, 0, 0, KIND_MSS, 4, 5, 0xB4], true, 0);
        assert_eq!((p.unknown, p.mss, p.truncated), (1, Some(1460), false));
        // A lone multi-byte kind in the last byte.
        assert!(TcpOptions::parse(&[KIND_NOP, KIND_MSS], true, 0).truncated);
        // EOL ends the list: what follows is padding.
        assert_eq!(
            TcpOptions::parse(&[KIND_EOL, KIND_MSS, 4, 5, 0xB4], true, 0).mss,
            None
        );
    }

    /// Conformance 45: WS and MSS on a non-SYN segment are ignored.
    #[test]
    fn conformance_45_syn_only_options() {
        let b = OptionSet {
            mss: Some(1460),
            sack_perm: true,
            timestamp: None,
            wscale: Some(7),
        }
        .to_bytes();
        let p = TcpOptions::parse(&b, false, 0);
        assert_eq!((p.mss, p.wscale, p.sack_perm), (None, None, false));
    }

    #[test]
    fn ws_above_14_is_treated_as_14() {
        let p = TcpOptions::parse(&[KIND_WS, 3, 15], true, 0);
        assert_eq!((p.wscale, p.wscale_clamped()), (Some(15), Some(14)));
    }

    #[test]
    fn sack_tfo_mptcp_md5() {
        let mut b = std::vec![KIND_NOP, KIND_NOP, KIND_SACK, 18];
        for v in [1u32, 2, 3, 4] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(&[KIND_TFO, 6, 1, 2, 3, 4, KIND_MPTCP, 4, 0x21, 0, KIND_MD5, 2]);
        let p = TcpOptions::parse(&b, false, 100);
        assert_eq!(
            p.sack.as_slice(),
            &[
                SackBlock { left: 1, right: 2 },
                SackBlock { left: 3, right: 4 }
            ]
        );
        assert_eq!(p.sack_offset, Some(104));
        assert_eq!(
            (p.tfo_cookie_len, p.mptcp_subtype, p.md5),
            (Some(4), Some(2), true)
        );
        // SACK with a bad length ((len-2) % 8 != 0) is not taken.
        let p = TcpOptions::parse(&[KIND_SACK, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0], false, 0);
        assert!(p.sack.is_empty());
        // Experimental TFO.
        let p = TcpOptions::parse(&[KIND_EXP, 4, 0xF9, 0x89], true, 0);
        assert_eq!(p.tfo_cookie_len, Some(0));
    }
}
