//! Internet checksums: RFC 1071 (full) and RFC 1624 Eqn. 3 (incremental).
//!
//! Incremental updates follow RFC 1624 Eqn. 3, `HC' = ~(~HC + ~m + m')`, not RFC 1141's Eqn. 2,
//! which can produce 0xFFFF where a full recomputation gives 0x0000. Fields of any length at any
//! byte position are handled by [`update_bytes`]: a field starting at an odd offset of the
//! checksummed region contributes byte-swapped (RFC 1071 §2(B)), e.g. a timestamp option after a
//! single NOP. 32-bit fields are Linux `inet_proto_csum_replace4`.

/// Ones-complement sum of `bytes` as big-endian 16-bit words, the last odd byte padded with zero.
/// Returned unfolded (callers fold once at the end).
pub fn sum(bytes: &[u8]) -> u32 {
    let mut acc: u32 = 0;
    let mut chunks = bytes.chunks_exact(2);
    for c in &mut chunks {
        acc += u16::from_be_bytes([c[0], c[1]]) as u32;
        // Fold early so the accumulator cannot overflow on long buffers.
        if acc & 0x8000_0000 != 0 {
            acc = (acc & 0xFFFF) + (acc >> 16);
        }
    }
    if let [last] = chunks.remainder() {
        acc += (*last as u32) << 8;
    }
    acc
}

/// Fold a 32-bit accumulator to 16 bits with end-around carry.
pub fn fold(mut acc: u32) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    acc as u16
}

/// The RFC 1071 checksum of `bytes` (the complement of the folded sum).
pub fn checksum(bytes: &[u8]) -> u16 {
    !fold(sum(bytes))
}

/// The IPv4 header checksum of `header`, with its checksum field (bytes 10..12) taken as zero.
pub fn ipv4_header(header: &[u8]) -> u16 {
    let acc = sum(&header[..10]) + sum(&header[12..]);
    !fold(acc)
}

/// The IPv4 pseudo-header sum for TCP (RFC 9293 §3.1): src, dst, zero, protocol 6, TCP length.
pub fn pseudo_header_v4(src: [u8; 4], dst: [u8; 4], tcp_len: usize) -> u32 {
    sum(&src) + sum(&dst) + 6 + tcp_len as u32
}

/// The TCP checksum of `segment` (header, options, payload) over IPv4, with the segment's own
/// checksum field (bytes 16..18) taken as zero.
pub fn tcp_v4(src: [u8; 4], dst: [u8; 4], segment: &[u8]) -> u16 {
    let acc = pseudo_header_v4(src, dst, segment.len()) + sum(&segment[..16]) + sum(&segment[18..]);
    !fold(acc)
}

/// RFC 1624 Eqn. 3 for one 16-bit word: `HC' = ~(~HC + ~m + m')`.
pub fn update16(hc: u16, old: u16, new: u16) -> u16 {
    !fold((!hc) as u32 + (!old) as u32 + new as u32)
}

/// A 32-bit field at an even offset (Linux `inet_proto_csum_replace4`): two 16-bit updates.
pub fn update32(hc: u16, old: u32, new: u32) -> u16 {
    let hc = update16(hc, (old >> 16) as u16, (new >> 16) as u16);
    update16(hc, old as u16, new as u16)
}

/// Replace the bytes `old` with `new` (same length) at byte position `pos` of the checksummed
/// region (for TCP: counted from the first byte of the TCP header; the pseudo-header is 12
/// bytes, so parity is the same). Odd positions contribute byte-swapped.
pub fn update_bytes(hc: u16, pos: usize, old: &[u8], new: &[u8]) -> u16 {
    debug_assert_eq!(old.len(), new.len());
    let (so, sn) = if pos.is_multiple_of(2) {
        (sum(old), sum(new))
    } else {
        // An odd start: the first byte is the low half of a word. Summing the bytes as if they
        // started at an even position gives the byte-swapped sum; swap it back.
        (swap(fold(sum(old))) as u32, swap(fold(sum(new))) as u32)
    };
    !fold((!hc) as u32 + (!fold(so)) as u32 + sn)
}

fn swap(x: u16) -> u16 {
    x.rotate_left(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3 numerical example: sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2.
        assert_eq!(
            fold(sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])),
            0xddf2
        );
    }

    /// RFC 1624 §4 example: Eqn. 3 gives 0x0000 where RFC 1141's Eqn. 2 gave 0xFFFF.
    #[test]
    fn rfc1624_section4_example() {
        assert_eq!(update16(0xDD2F, 0x5555, 0x3285), 0x0000);
    }

    #[test]
    fn odd_offset_update_matches_recompute() {
        let mut buf = [0u8; 21];
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        let hc = checksum(&buf);
        let new = [0xde, 0xad, 0xbe, 0xef];
        let mut old = [0u8; 4];
        old.copy_from_slice(&buf[5..9]);
        buf[5..9].copy_from_slice(&new);
        assert_eq!(update_bytes(hc, 5, &old, &new), checksum(&buf));
    }
}
