//! The exception slow path: frames the pipeline punted (`proto::decision::PuntReason`: IPv4
//! fragments, IPv6, headers it could not parse). Each is parsed again with `proto::wire::parse`
//! and either sent on through the inject path or dropped, with the reason counted.
//!
//! | frame | outcome | why |
//! |---|---|---|
//! | unparseable (`Malformed`) | dropped (`FramesDropped`; the pipeline counted `MalformedFrames`) | no TCP endpoint accepts it (Linux `tcp_v4_rcv` / `ip_rcv_core` drop it) |
//! | IPv4 fragment, header checksum wrong (when `verify_checksums`) | dropped (`InCsumErrors`) | `ip_rcv_core` |
//! | IPv4 fragment | sent on unchanged when `loose`, else dropped (`UntrackedDrops`) | the TCP header may be absent or split: not trackable without reassembly, so it is treated as an untracked segment (model.md: "an inline device must not cut connections it did not see open"); the host reassembles |
//! | IPv6 | sent on unchanged when `loose`, else dropped (`UntrackedDrops`) | the pipeline tracks IPv4 only (model.md: IPv6 is punted) |
//! | anything the pipeline could have decided (non-IP, non-TCP, IPv4 TCP) | sent on unchanged when `loose`, else dropped | the pipeline forwards non-TCP itself; a TCP segment here is untracked |
//! | longer than [`MAX_FRAME`] or shorter than its descriptor says | dropped (`MalformedFrames`) | the queue broke its own contract |
//!
//! A frame the inject path refuses is dropped and counted as such.

use proto::counters::Counter;
use proto::decision::Port;
use proto::wire::{self, Payload};

use crate::firmware::{Firmware, MAX_FRAME, PUNTS_PER_POLL};
use crate::hw::Hw;
use crate::warn;

/// What became of a punted frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PuntOutcome {
    /// Sent on out of this port.
    Sent(Port),
    Dropped(DropWhy),
}

/// Why a punted frame was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropWhy {
    /// Headers do not parse.
    Malformed,
    /// IPv4 header checksum wrong.
    BadChecksum,
    /// Untracked and `loose` is off.
    NotLoose,
    /// Longer than the firmware's buffer, or shorter than its descriptor.
    BadLength,
    /// The inject path refused it.
    InjectFailed,
}

/// Punted frames by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PuntStats {
    pub sent: u64,
    pub malformed: u64,
    pub bad_checksum: u64,
    pub not_loose: u64,
    pub bad_length: u64,
    pub inject_failed: u64,
}

impl PuntStats {
    fn note(&mut self, o: PuntOutcome) {
        match o {
            PuntOutcome::Sent(_) => self.sent += 1,
            PuntOutcome::Dropped(DropWhy::Malformed) => self.malformed += 1,
            PuntOutcome::Dropped(DropWhy::BadChecksum) => self.bad_checksum += 1,
            PuntOutcome::Dropped(DropWhy::NotLoose) => self.not_loose += 1,
            PuntOutcome::Dropped(DropWhy::BadLength) => self.bad_length += 1,
            PuntOutcome::Dropped(DropWhy::InjectFailed) => self.inject_failed += 1,
        }
    }
}

/// The decision for one punted frame (no side effects).
pub fn decide(frame: &[u8], ingress: Port, loose: bool, verify_checksums: bool) -> PuntOutcome {
    let pass = if loose {
        PuntOutcome::Sent(ingress.other())
    } else {
        PuntOutcome::Dropped(DropWhy::NotLoose)
    };
    match wire::parse(frame) {
        Err(_) => PuntOutcome::Dropped(DropWhy::Malformed),
        Ok(f) => match f.payload {
            Payload::Ipv4Fragment(ip) => {
                let hdr = frame
                    .get(ip.offset..ip.offset + ip.header_len)
                    .unwrap_or(&[]);
                if verify_checksums && wire::checksum::checksum(hdr) != 0 {
                    PuntOutcome::Dropped(DropWhy::BadChecksum)
                } else {
                    pass
                }
            }
            _ => pass,
        },
    }
}

impl<H: Hw, const N: usize> Firmware<'_, H, N> {
    /// Handle up to [`PUNTS_PER_POLL`] punted frames.
    pub fn exceptions(&mut self) {
        for _ in 0..PUNTS_PER_POLL {
            let Some(d) = self.hw.punt_head() else { return };
            let o = self.punted(d.port, d.len as usize);
            self.hw.punt_pop();
            self.punt_stats.note(o);
        }
    }

    fn punted(&mut self, port: Port, len: usize) -> PuntOutcome {
        let o = if len > MAX_FRAME {
            PuntOutcome::Dropped(DropWhy::BadLength)
        } else {
            let n = self.hw.punt_read(&mut self.frame[..len]);
            if n < len {
                PuntOutcome::Dropped(DropWhy::BadLength)
            } else {
                decide(
                    &self.frame[..len],
                    port,
                    self.cfg.loose,
                    self.cfg.verify_checksums,
                )
            }
        };
        let o = match o {
            PuntOutcome::Sent(out) => match self.hw.inject(out, &self.frame[..len]) {
                Ok(()) => {
                    self.hw.count(Counter::FramesForwarded, 1);
                    o
                }
                Err(_) => PuntOutcome::Dropped(DropWhy::InjectFailed),
            },
            d => d,
        };
        if let PuntOutcome::Dropped(why) = o {
            self.hw.count(Counter::FramesDropped, 1);
            match why {
                DropWhy::Malformed | DropWhy::InjectFailed => {}
                DropWhy::BadLength => self.hw.count(Counter::MalformedFrames, 1),
                DropWhy::BadChecksum => self.hw.count(Counter::InCsumErrors, 1),
                DropWhy::NotLoose => self.hw.count(Counter::UntrackedDrops, 1),
            }
            if why == DropWhy::InjectFailed {
                warn!(
                    "punted frame of {=u32} bytes not sent: inject refused",
                    len as u32
                );
            }
        }
        o
    }

    /// Punted frames by outcome.
    pub fn punt_stats(&self) -> &PuntStats {
        &self.punt_stats
    }
}
