//! Generated traffic for the pipeline tests: conversations between clients on the wire and the
//! protected host, as frames in order, some computed from the model's replies (the cookie in a
//! client's ACK comes from the SYN-ACK the NIC sent).
//!
//! Kinds: tracked connections opened from either side with data, teardowns (TIME-WAIT, reuse
//! by a newer SYN from either side, exact RSTs) and stray segments (RSTs, SYNs, old and future
//! segments, bad checksums, invalid flags); SYN-proxied connections to a cookie listener (cookie
//! SYN-ACK, cookie ACK -> pending entry + SYN to the host, the host's SYN-ACK, translated data,
//! retransmitted ACKs, exact and inexact RSTs, refusals by the host, forged cookies); a spoofed
//! SYN flood on a mode-1 listener; non-TCP, IPv6, fragment and malformed frames.
#![allow(dead_code)]

use hdl::stream::XorShift64;
use proto::config::{CookieMode, Listener, NicConfig};
use proto::decision::Outcome;
use proto::wire::tcp_options::OptionSet;
use proto::wire::{self, SegmentSpec, TcpFlags};
use std::collections::VecDeque;

const S: u8 = TcpFlags::SYN;
const A: u8 = TcpFlags::ACK;
const F: u8 = TcpFlags::FIN;
const R: u8 = TcpFlags::RST;
const P: u8 = TcpFlags::PSH;

pub const HOST: [u8; 4] = [10, 1, 0, 1];
const TRACKED_PORT: u16 = 80;
const PROXY_PORT: u16 = 443;
const FLOOD_PORT: u16 = 8443;

pub fn config() -> NicConfig {
    let mut cfg = NicConfig {
        cookie_key: [
            [0x1234_5678_9abc_def0, 0x0fed_cba9_8765_4321],
            [0x5555_aaaa_3333_cccc, 0x0102_0304_0506_0708],
        ],
        flood_syn_rate: 40,
        flood_pending: 1000,
        ..NicConfig::default()
    };
    for (port, mode) in [
        (PROXY_PORT, CookieMode::Always),
        (FLOOD_PORT, CookieMode::OnFlood),
    ] {
        cfg.listeners
            .push(Listener {
                addr: HOST,
                port,
                mode,
            })
            .unwrap();
    }
    cfg
}

/// A frame between a client `c` (on the wire) and the host.
#[allow(clippy::too_many_arguments)]
fn segment(
    from_host: bool,
    c: ([u8; 4], u16),
    host_port: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    opts: &OptionSet,
    payload: usize,
) -> Vec<u8> {
    let cmac = [2, 0, c.0[2], c.0[3], 0, 1];
    let hmac = [2, 0, 0, 0, 0, 0xAA];
    let bytes = opts.to_bytes();
    let data = vec![0x5A; payload];
    let (src_mac, dst_mac, src_ip, dst_ip, src_port, dst_port) = if from_host {
        (hmac, cmac, HOST, c.0, host_port, c.1)
    } else {
        (cmac, hmac, c.0, HOST, c.1, host_port)
    };
    SegmentSpec {
        src_mac,
        dst_mac,
        vlan_tci: c.0[3].is_multiple_of(5).then_some(0x0123),
        src_ip,
        dst_ip,
        tos: 0,
        ip_id: 7,
        dont_fragment: true,
        ttl: 64,
        src_port,
        dst_port,
        seq,
        ack,
        flags,
        window: 29200,
        options: &bytes,
        payload: &data,
    }
    .to_vec()
    .unwrap()
}

fn syn_opts(rng: &mut XorShift64, tsval: u32) -> OptionSet {
    OptionSet {
        mss: Some([1460, 1400, 536, 9000][rng.below(4) as usize]),
        sack_perm: rng.chance(70),
        timestamp: rng.chance(80).then_some((tsval, 0)),
        wscale: rng
            .chance(70)
            .then_some([7, 0, 14, 15][rng.below(4) as usize]),
    }
}

fn ts(tsval: u32, tsecr: u32) -> OptionSet {
    OptionSet {
        timestamp: Some((tsval, tsecr)),
        ..OptionSet::default()
    }
}

/// A frame to send and how to derive the next ones from the model's answer.
enum Step {
    Frame(bool, Vec<u8>),
    /// The client's SYN to the cookie listener (its ACK needs the NIC's answer).
    Syn(Vec<u8>),
    /// The client's ACK of the cookie SYN-ACK the model just sent (or a forged one).
    CookieAck {
        forged: bool,
    },
}

/// One conversation: its frames in order (some computed from the model's replies).
struct Conv {
    client: ([u8; 4], u16),
    port: u16,
    steps: VecDeque<Step>,
    /// The last reply the model generated toward the client for this conversation.
    last_synack: Option<(u32, u32)>,
    isn: u32,
    /// The last frame sent awaits the NIC's outcome.
    waiting: bool,
}

fn tracked(rng: &mut XorShift64, i: u32) -> Conv {
    let c = (
        [10, 0, (i >> 8) as u8, i as u8],
        1024 + (rng.next_u32() % 60000) as u16,
    );
    let port = TRACKED_PORT;
    let (mut p, mut h) = (rng.next_u32(), rng.next_u32());
    let (mut pt, mut ht) = (rng.next_u32() >> 1, rng.next_u32() >> 1);
    let mut v = VecDeque::new();
    let push = |v: &mut VecDeque<Step>, host: bool, seq, ack, fl, o: OptionSet, n| {
        v.push_back(Step::Frame(
            host,
            segment(host, c, port, seq, ack, fl, &o, n),
        ))
    };
    if rng.chance(70) {
        push(&mut v, false, p, 0, S, syn_opts(rng, pt), 0);
        push(&mut v, true, h, p + 1, S | A, syn_opts(rng, ht), 0);
    } else {
        push(&mut v, true, h, 0, S, syn_opts(rng, ht), 0);
        push(&mut v, false, p, h + 1, S | A, syn_opts(rng, pt), 0);
    }
    p += 1;
    h += 1;
    pt += 1;
    ht += 1;
    push(&mut v, false, p, h, A, ts(pt, ht), 0);
    for _ in 0..rng.below(4) {
        let n = 1 + rng.below(1200) as u32;
        if rng.chance(50) {
            push(&mut v, false, p, h, A | P, ts(pt, ht), n as usize);
            p += n;
            pt += 1;
            push(&mut v, true, h, p, A, ts(ht, pt), 0);
        } else {
            push(&mut v, true, h, p, A | P, ts(ht, pt), n as usize);
            h += n;
            ht += 1;
            push(&mut v, false, p, h, A, ts(pt, ht), 0);
        }
        if rng.chance(30) {
            // A stray: RST, SYN, old or future segment, bad checksum, invalid flags.
            let k = rng.below(6);
            let seq = p
                .wrapping_add(rng.next_u32() % 200_000)
                .wrapping_sub(100_000);
            let fl = [R, S, A, R | A, F | S, A][k as usize];
            let mut f = segment(
                false,
                c,
                port,
                seq,
                h,
                fl,
                &ts(pt - rng.below(2) as u32, ht),
                0,
            );
            if k == 5 {
                let n = f.len();
                f[n - 1] ^= 0x40; // a TCP checksum that does not verify
            }
            v.push_back(Step::Frame(rng.chance(15), f));
        }
    }
    if rng.chance(12) {
        // An exact RST ends the connection (RFC 5961 §3.2: RST at RCV.NXT).
        push(&mut v, false, p, h, R | A, ts(pt, ht), 0);
    } else if rng.chance(50) {
        // The host closes first: it ends in TIME-WAIT; sometimes a newer SYN reuses the tuple.
        push(&mut v, true, h, p, F | A, ts(ht, pt), 0);
        push(&mut v, false, p, h + 1, A, ts(pt, ht + 1), 0);
        push(&mut v, false, p, h + 1, F | A, ts(pt + 1, ht + 1), 0);
        push(&mut v, true, h + 1, p + 1, A, ts(ht + 2, pt + 1), 0);
        if rng.chance(40) {
            push(&mut v, false, p + 100_000, 0, S, syn_opts(rng, pt + 50), 0);
        } else if rng.chance(30) {
            push(&mut v, true, h + 100_000, 0, S, syn_opts(rng, ht + 50), 0);
        }
    } else {
        push(&mut v, false, p, h, F | A, ts(pt, ht), 0);
        push(&mut v, true, h, p + 1, A, ts(ht, pt + 1), 0);
        push(&mut v, true, h, p + 1, F | A, ts(ht + 1, pt + 1), 0);
        push(&mut v, false, p + 1, h + 1, A, ts(pt + 2, ht + 1), 0);
    }
    Conv {
        client: c,
        port,
        steps: v,
        last_synack: None,
        isn: 0,
        waiting: false,
    }
}

fn proxied(rng: &mut XorShift64, i: u32) -> Conv {
    let c = (
        [10, 2, (i >> 8) as u8, i as u8],
        1024 + (rng.next_u32() % 60000) as u16,
    );
    let isn = rng.next_u32();
    let mut v = VecDeque::new();
    let tsval = rng.next_u32() >> 1;
    v.push_back(Step::Syn(segment(
        false,
        c,
        PROXY_PORT,
        isn,
        0,
        S,
        &syn_opts(rng, tsval),
        0,
    )));
    v.push_back(Step::CookieAck {
        forged: rng.chance(20),
    });
    Conv {
        client: c,
        port: PROXY_PORT,
        steps: v,
        last_synack: None,
        isn,
        waiting: false,
    }
}

/// After the cookie ACK: the host's SYN-ACK (the handoff), data both ways (translated), a
/// teardown, and now and then a stray segment.
fn proxied_tail(rng: &mut XorShift64, conv: &mut Conv, cookie: u32, cookie_ts: u32) {
    let (c, port) = (conv.client, conv.port);
    let mut p = conv.isn.wrapping_add(1);
    let hisn = rng.next_u32();
    let mut h = hisn.wrapping_add(1);
    let (mut pt, mut ht) = (rng.next_u32() >> 1, rng.next_u32() >> 1);
    let mut hopts = syn_opts(rng, ht);
    hopts.timestamp = hopts.timestamp.map(|(v, _)| (v, pt));
    let v = &mut conv.steps;
    v.push_back(Step::Frame(
        true,
        segment(true, c, port, hisn, p, S | A, &hopts, 0),
    ));
    // The client's view of the host's sequence space starts at the cookie.
    let off = cookie.wrapping_sub(hisn);
    for _ in 0..rng.below(5) {
        let n = 1 + rng.below(1000) as u32;
        if rng.chance(50) {
            let f = segment(
                false,
                c,
                port,
                p,
                h.wrapping_add(off),
                A | P,
                &ts(pt, cookie_ts),
                n as usize,
            );
            v.push_back(Step::Frame(false, f));
            p = p.wrapping_add(n);
            pt += 1;
            v.push_back(Step::Frame(
                true,
                segment(true, c, port, h, p, A, &ts(ht, pt), 0),
            ));
        } else {
            v.push_back(Step::Frame(
                true,
                segment(true, c, port, h, p, A | P, &ts(ht, pt), n as usize),
            ));
            h = h.wrapping_add(n);
            ht += 1;
            let f = segment(
                false,
                c,
                port,
                p,
                h.wrapping_add(off),
                A,
                &ts(pt, cookie_ts),
                0,
            );
            v.push_back(Step::Frame(false, f));
        }
        if rng.chance(20) {
            let seq = p
                .wrapping_add(rng.next_u32() % 100_000)
                .wrapping_sub(50_000);
            let fl = [R, S, A][rng.below(3) as usize];
            let f = segment(
                false,
                c,
                port,
                seq,
                h.wrapping_add(off),
                fl,
                &ts(pt, cookie_ts),
                0,
            );
            v.push_back(Step::Frame(false, f));
        }
    }
    let f = segment(
        false,
        c,
        port,
        p,
        h.wrapping_add(off),
        F | A,
        &ts(pt, cookie_ts),
        0,
    );
    v.push_back(Step::Frame(false, f));
    v.push_back(Step::Frame(
        true,
        segment(true, c, port, h, p + 1, F | A, &ts(ht, pt), 0),
    ));
    let f = segment(
        false,
        c,
        port,
        p + 1,
        h.wrapping_add(off) + 1,
        A,
        &ts(pt + 1, cookie_ts),
        0,
    );
    v.push_back(Step::Frame(false, f));
}

fn flood(rng: &mut XorShift64) -> Conv {
    let c = (
        [10, 9, rng.below(256) as u8, rng.below(256) as u8],
        1024 + (rng.next_u32() % 60000) as u16,
    );
    let mut v = VecDeque::new();
    v.push_back(Step::Frame(
        false,
        segment(
            false,
            c,
            FLOOD_PORT,
            rng.next_u32(),
            0,
            S,
            &OptionSet::default(),
            0,
        ),
    ));
    Conv {
        client: c,
        port: FLOOD_PORT,
        steps: v,
        last_synack: None,
        isn: 0,
        waiting: false,
    }
}

/// Frames the NIC does not track: non-TCP, IPv6, an IPv4 fragment, runts.
fn other(rng: &mut XorShift64) -> Vec<u8> {
    let base = segment(
        false,
        ([10, 3, 0, 1], 999),
        80,
        1,
        2,
        A,
        &OptionSet::default(),
        8,
    );
    let mut f = base.clone();
    match rng.below(5) {
        0 => {
            f[12] = 0x08;
            f[13] = 0x06; // ARP
        }
        1 => {
            f[14 + 9] = 17; // UDP
        }
        2 => {
            f[14 + 6] = 0x20; // more fragments
        }
        3 => f.truncate(10 + rng.below(40) as usize),
        _ => {
            let mut v6 = base[..14].to_vec();
            v6[12] = 0x86;
            v6[13] = 0xDD;
            v6.extend_from_slice(&[0x60, 0, 0, 0, 0, 20, 6, 64]);
            v6.extend_from_slice(&[0u8; 32]);
            v6.extend_from_slice(&[0u8; 20]);
            v6[14 + 40 + 12] = 0x50;
            f = v6;
        }
    }
    f
}

/// The conversations in progress and the next frame to send.
pub struct Traffic {
    rng: XorShift64,
    convs: Vec<Conv>,
    n_tracked: u32,
    n_proxied: u32,
}

impl Traffic {
    pub fn new(seed: u64) -> Self {
        Traffic {
            rng: XorShift64::new(seed),
            convs: Vec::new(),
            n_tracked: 0,
            n_proxied: 0,
        }
    }

    /// The next frame and whether the host sends it. A conversation whose next frame needs
    /// the NIC's answer to its last one (`observe`) is not picked until it has it.
    pub fn next_frame(&mut self) -> (bool, Vec<u8>) {
        let rng = &mut self.rng;
        while self.convs.len() < 24 {
            let k = rng.below(10);
            self.convs.push(if k < 5 {
                self.n_tracked += 1;
                tracked(rng, self.n_tracked)
            } else if k < 8 {
                self.n_proxied += 1;
                proxied(rng, self.n_proxied)
            } else {
                flood(rng)
            });
        }
        let ready: Vec<usize> = (0..self.convs.len())
            .filter(|&i| !self.convs[i].waiting && !self.convs[i].steps.is_empty())
            .collect();
        if rng.chance(5) || ready.is_empty() {
            return (rng.chance(30), other(rng));
        }
        let conv = &mut self.convs[ready[rng.below(ready.len() as u64) as usize]];
        match conv.steps.pop_front().unwrap() {
            Step::Frame(h, f) => (h, f),
            Step::Syn(f) => {
                // The client's ACK waits for the NIC's answer to this SYN.
                conv.waiting = true;
                (false, f)
            }
            Step::CookieAck { forged } => {
                let (cookie, tsval) = conv.last_synack.unwrap_or((rng.next_u32(), 0));
                let ack = if forged {
                    rng.next_u32()
                } else {
                    cookie.wrapping_add(1)
                };
                let o = if tsval != 0 {
                    ts(rng.next_u32() >> 1, tsval)
                } else {
                    OptionSet::default()
                };
                let (c, port) = (conv.client, conv.port);
                let seq = conv.isn.wrapping_add(1);
                let f = segment(false, c, port, seq, ack, A, &o, 0);
                // What may follow the handshake: a retransmitted ACK, an RST (exact or not),
                // the host refusing, stray data.
                for _ in 0..rng.below(3) {
                    let (h2, f2) = match rng.below(6) {
                        5 => (false, segment(false, c, port, conv.isn, ack, A, &o, 0)),
                        0 => (false, f.clone()),
                        1 => (false, segment(false, c, port, seq, 0, R, &o, 0)),
                        2 => (false, segment(false, c, port, seq + 9, 0, R, &o, 0)),
                        3 => (true, segment(true, c, port, 77, seq, R | A, &o, 0)),
                        _ => (false, segment(false, c, port, seq, ack, A | P, &o, 20)),
                    };
                    conv.steps.push_back(Step::Frame(h2, f2));
                }
                if !forged {
                    proxied_tail(rng, conv, cookie, tsval);
                }
                (false, f)
            }
        }
    }

    /// The NIC's outcome for `frame`: remember a cookie SYN-ACK for the client's ACK.
    pub fn observe(&mut self, frame: &[u8], out: &Outcome) {
        let convs = &mut self.convs;
        if let Ok(p) = wire::parse(frame) {
            if let Some((ip, t)) = p.tcp() {
                if let Some(c) = convs
                    .iter_mut()
                    .find(|c| c.client == (ip.src, t.src_port) && c.port == t.dst_port)
                {
                    c.waiting = false;
                }
            }
        }
        // Remember the cookie SYN-ACK for the client's ACK.
        for r in &out.replies {
            if let Ok(p) = wire::parse(r.frame.as_slice()) {
                if let Some((ip, t)) = p.tcp() {
                    if t.flags.0 == S | A && ip.dst != HOST {
                        if let Some(c) = convs
                            .iter_mut()
                            .find(|c| c.client == (ip.dst, t.dst_port) && c.port == t.src_port)
                        {
                            c.last_synack =
                                Some((t.seq, t.options.timestamp.map_or(0, |x| x.tsval)));
                        }
                    }
                }
            }
        }
        convs.retain(|c| !c.steps.is_empty() || c.waiting);
    }
}
