//! Properties of the wire layer: the parser never panics, built frames parse back, and every
//! incremental checksum update (RFC 1624 Eqn. 3, any offset) equals a full recomputation.

use proptest::prelude::*;
use proto::decision::Port;
use proto::nic::Nic;
use proto::table::Geometry;
use proto::time::Instant;
use proto::wire::tcp_options::OptionSet;
use proto::wire::{self, build::checksums_ok, checksum, Payload, SegmentSpec};

fn spec<'a>(
    options: &'a [u8],
    payload: &'a [u8],
    seq: u32,
    ack: u32,
    flags: u8,
    vlan: Option<u16>,
) -> SegmentSpec<'a> {
    SegmentSpec {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: [2, 0, 0, 0, 0, 2],
        vlan_tci: vlan,
        src_ip: [192, 0, 2, 1],
        dst_ip: [198, 51, 100, 7],
        tos: 0,
        ip_id: 7,
        dont_fragment: true,
        ttl: 64,
        src_port: 1234,
        dst_port: 443,
        seq,
        ack,
        flags,
        window: 1000,
        options,
        payload,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The parser never panics on arbitrary bytes, and neither does the whole NIC model.
    #[test]
    fn parser_and_model_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = wire::parse(&bytes);
        let mut nic = Nic::new(Default::default(), Geometry { buckets: 4, ways: 2 });
        let mut b = bytes.clone();
        let _ = nic.process(Port::Wire, &mut b, Instant::from_secs(1));
        let mut b = bytes;
        let _ = nic.process(Port::Host, &mut b, Instant::from_secs(1));
    }

    /// Arbitrary bytes behind a valid Ethernet/IPv4/TCP prefix: header lengths of every value.
    #[test]
    fn mangled_headers_never_panic(
        seq in any::<u32>(), doff in any::<u8>(), ihl in any::<u8>(), total in any::<u16>(),
        opts in proptest::collection::vec(any::<u8>(), 0..40), cut in 0usize..120,
    ) {
        let mut f = spec(&[], &opts, seq, 0, 2, None).to_vec().unwrap();
        f[14] = ihl;
        f[16..18].copy_from_slice(&total.to_be_bytes());
        f[14 + 20 + 12] = doff;
        f.truncate(cut.min(f.len()));
        let _ = wire::parse(&f);
    }

    /// Built frames parse back to what was built, with valid checksums, with and without VLAN.
    #[test]
    fn build_parse_round_trip(
        seq in any::<u32>(), ack in any::<u32>(), flags in any::<u8>(), vlan in proptest::option::of(any::<u16>()),
        mss in proptest::option::of(1u16..), ws in proptest::option::of(0u8..15), sack_perm in any::<bool>(),
        ts in proptest::option::of((any::<u32>(), any::<u32>())), payload in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let o = OptionSet { mss, sack_perm, timestamp: ts, wscale: ws }.to_bytes();
        let f = spec(&o, &payload, seq, ack, flags, vlan).to_vec().unwrap();
        let p = wire::parse(&f).unwrap();
        prop_assert_eq!(p.vlan_tci, vlan);
        let (ip, tcp) = p.tcp().unwrap();
        prop_assert!(checksums_ok(&f, ip, tcp));
        prop_assert_eq!((tcp.seq, tcp.ack, tcp.flags.0, tcp.payload_len), (seq, ack, flags, payload.len()));
        let syn = flags & 2 != 0;
        prop_assert_eq!(tcp.options.mss, if syn { mss } else { None });
        prop_assert_eq!(tcp.options.wscale, if syn { ws } else { None });
        prop_assert_eq!(tcp.options.timestamp.map(|t| (t.tsval, t.tsecr)), ts);
    }

    /// RFC 1624 Eqn. 3 over any 32-bit field at any offset (odd included) of a TCP segment equals
    /// recomputing the checksum from scratch.
    #[test]
    fn incremental_checksum_equals_full(
        payload in proptest::collection::vec(any::<u8>(), 4..80), pos in 0usize..76, new in any::<u32>(),
    ) {
        let f = spec(&[], &payload, 1, 2, 0x18, None).to_vec().unwrap();
        let p = wire::parse(&f).unwrap();
        let Payload::Ipv4Tcp(ip, tcp) = p.payload else { unreachable!() };
        let seg_start = tcp.offset;
        // Any 4 bytes of the segment except the checksum field itself.
        let at = seg_start + 20 + pos.min(payload.len() - 4);
        let mut g = f.clone();
        let old: [u8; 4] = g[at..at + 4].try_into().unwrap();
        g[at..at + 4].copy_from_slice(&new.to_be_bytes());
        let hc = u16::from_be_bytes([g[seg_start + 16], g[seg_start + 17]]);
        let inc = checksum::update_bytes(hc, at - seg_start, &old, &new.to_be_bytes());
        let full = checksum::tcp_v4(ip.src, ip.dst, &g[seg_start..]);
        prop_assert_eq!(inc, full);
        // Even offsets also through the 16-bit word form (inet_proto_csum_replace4).
        if (at - seg_start) % 2 == 0 {
            prop_assert_eq!(checksum::update32(hc, u32::from_be_bytes(old), new), full);
        }
    }
}
