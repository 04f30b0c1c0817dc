//! The 64-bit frame stream (docs/hdl.md, "Stream format"), as rust-hdl interfaces, plus the
//! Rust-side helpers tests use to turn frames into beats and to drive a block's stream input.
//!
//! ## Interface
//! * [`StreamSink`] — a block's stream input: `valid, data_lo, data_hi, keep, last` in, `ready`
//!   out. [`StreamSource`] is the mirror image (a block's stream output); the two `join`.
//! * Byte `i` (0..7, wire order) of a beat is `data_lo[31-8i:24-8i]` for `i < 4` and
//!   `data_hi[31-8(i-4):24-8(i-4)]` otherwise; `keep[i]` marks byte `i` valid. Only the last beat
//!   of a frame may have `keep != 0xFF`; blocks read a last beat's keep as a prefix (the bytes up
//!   to the first clear bit), so any other pattern cannot hang them.
//! * A beat moves on a clock edge where `valid && ready`.
//!
//! ## Rust helpers
//! * [`Beat`], [`frame_to_beats`], [`beats_to_frame`] — the byte <-> beat mapping above.
//! * [`StreamDriver`] — queues frames and offers their beats to a [`StreamSink`], honouring
//!   `ready`, with optional random idle cycles between beats.
//! * [`Backpressure`] — a random `ready` pattern for a block's output.
//! * [`XorShift64`] — the small deterministic generator both use.

use crate::lane::Lane;
use rust_hdl::prelude::*;
use std::collections::VecDeque;

/// A block's stream input. See the [module docs](self).
#[derive(LogicInterface, Default)]
#[join = "StreamSource"]
pub struct StreamSink {
    pub valid: Signal<In, Bit>,
    pub ready: Signal<Out, Bit>,
    pub data_lo: Signal<In, Lane>,
    pub data_hi: Signal<In, Lane>,
    pub keep: Signal<In, Bits<8>>,
    pub last: Signal<In, Bit>,
}

/// A block's stream output; joins a [`StreamSink`].
#[derive(LogicInterface, Default)]
#[join = "StreamSink"]
pub struct StreamSource {
    pub valid: Signal<Out, Bit>,
    pub ready: Signal<In, Bit>,
    pub data_lo: Signal<Out, Lane>,
    pub data_hi: Signal<Out, Lane>,
    pub keep: Signal<Out, Bits<8>>,
    pub last: Signal<Out, Bit>,
}

/// One beat, as plain Rust values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Beat {
    pub lo: u32,
    pub hi: u32,
    /// Bit `i` marks byte `i` valid.
    pub keep: u8,
    pub last: bool,
}

impl Beat {
    /// Byte `i` (0..7) of the beat, whether kept or not.
    pub fn byte(&self, i: usize) -> u8 {
        let word = if i < 4 { self.lo } else { self.hi };
        (word >> (24 - 8 * (i % 4))) as u8
    }
}

/// The beats of one frame: 8 bytes per beat, the last beat's keep a prefix mask. An empty frame
/// is one beat with `keep == 0` (the stream has no other way to end a frame).
pub fn frame_to_beats(frame: &[u8]) -> Vec<Beat> {
    if frame.is_empty() {
        return vec![Beat {
            last: true,
            ..Beat::default()
        }];
    }
    let n = frame.len().div_ceil(8);
    frame
        .chunks(8)
        .enumerate()
        .map(|(b, chunk)| {
            let mut bytes = [0u8; 8];
            bytes[..chunk.len()].copy_from_slice(chunk);
            Beat {
                lo: u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
                hi: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
                keep: ((1u16 << chunk.len()) - 1) as u8,
                last: b + 1 == n,
            }
        })
        .collect()
}

/// The bytes the beats carry: every byte whose keep bit is set, in order.
pub fn beats_to_frame(beats: &[Beat]) -> Vec<u8> {
    let mut out = Vec::with_capacity(beats.len() * 8);
    for beat in beats {
        for i in 0..8 {
            if beat.keep & (1 << i) != 0 {
                out.push(beat.byte(i));
            }
        }
    }
    out
}

/// xorshift64: a small, fast, deterministic generator for stimulus.
#[derive(Clone, Debug)]
pub struct XorShift64(u64);

impl XorShift64 {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < u64::from(percent)
    }
}

/// Offers queued frames' beats to a [`StreamSink`].
///
/// Per clock cycle: [`StreamDriver::drive`] sets the sink's inputs; after the circuit settled
/// (so `ready` reflects them) [`StreamDriver::handshake`] says whether the beat moves on the coming
/// edge and advances the queue if it does; then the clock steps. A beat once offered stays offered
/// until taken (valid is never withdrawn), as the stream protocol requires.
#[derive(Clone, Debug)]
pub struct StreamDriver {
    queue: VecDeque<Beat>,
    offered: Option<Beat>,
    rng: XorShift64,
    idle_percent: u32,
    beats_sent: u64,
    frames_sent: u64,
}

impl StreamDriver {
    /// `idle_percent`: chance of an idle cycle (valid low) before each new beat.
    pub fn new(seed: u64, idle_percent: u32) -> Self {
        Self {
            queue: VecDeque::new(),
            offered: None,
            rng: XorShift64::new(seed),
            idle_percent,
            beats_sent: 0,
            frames_sent: 0,
        }
    }

    /// Queue a frame.
    pub fn push_frame(&mut self, frame: &[u8]) {
        self.queue.extend(frame_to_beats(frame));
    }

    /// Queue beats as they are (to test odd keep patterns).
    pub fn push_beats(&mut self, beats: &[Beat]) {
        self.queue.extend(beats.iter().copied());
    }

    /// Nothing queued and nothing offered.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.offered.is_none()
    }

    pub fn beats_sent(&self) -> u64 {
        self.beats_sent
    }

    pub fn frames_sent(&self) -> u64 {
        self.frames_sent
    }

    /// Set the sink's inputs for the coming clock edge.
    pub fn drive(&mut self, sink: &mut StreamSink) {
        if self.offered.is_none() && !self.queue.is_empty() && !self.rng.chance(self.idle_percent) {
            self.offered = self.queue.pop_front();
        }
        match self.offered {
            Some(b) => {
                sink.valid.next = true;
                sink.data_lo.next = Lane(b.lo);
                sink.data_hi.next = Lane(b.hi);
                sink.keep.next = (b.keep as u64).into();
                sink.last.next = b.last;
            }
            None => {
                sink.valid.next = false;
                // Garbage on idle data lines, so blocks that look at data without valid fail.
                let junk = self.rng.next_u64();
                sink.data_lo.next = Lane(junk as u32);
                sink.data_hi.next = Lane((junk >> 32) as u32);
                sink.keep.next = ((junk >> 8) & 0xFF).into();
                sink.last.next = junk & 1 != 0;
            }
        }
    }

    /// With the inputs driven and the circuit settled: true when the offered beat moves on the
    /// coming edge (`valid && ready`); the driver then moves to the next beat.
    pub fn handshake(&mut self, sink: &StreamSink) -> bool {
        match self.offered {
            Some(b) if sink.ready.val() => {
                self.offered = None;
                self.beats_sent += 1;
                if b.last {
                    self.frames_sent += 1;
                }
                true
            }
            _ => false,
        }
    }
}

/// A random `ready` for a block's output: ready with probability `ready_percent`/100 per cycle.
#[derive(Clone, Debug)]
pub struct Backpressure {
    rng: XorShift64,
    ready_percent: u32,
}

impl Backpressure {
    pub fn new(seed: u64, ready_percent: u32) -> Self {
        Self {
            rng: XorShift64::new(seed),
            ready_percent,
        }
    }
    pub fn ready(&mut self) -> bool {
        self.rng.chance(self.ready_percent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beats_round_trip_and_follow_the_byte_order() {
        let frame: Vec<u8> = (0..21u8).collect();
        let beats = frame_to_beats(&frame);
        assert_eq!(beats.len(), 3);
        assert_eq!(beats[0].lo, 0x0001_0203);
        assert_eq!(beats[0].hi, 0x0405_0607);
        assert_eq!((beats[0].keep, beats[0].last), (0xFF, false));
        assert_eq!((beats[2].keep, beats[2].last), (0x1F, true));
        assert_eq!(beats[2].byte(4), 20);
        assert_eq!(beats_to_frame(&beats), frame);
        for len in 0..40 {
            let f: Vec<u8> = (0..len as u8).map(|x| x ^ 0x5A).collect();
            let b = frame_to_beats(&f);
            assert!(b.last().unwrap().last);
            assert_eq!(b.iter().filter(|x| x.last).count(), 1);
            assert_eq!(beats_to_frame(&b), f);
        }
    }

    #[test]
    fn rng_is_deterministic() {
        let mut a = XorShift64::new(7);
        let mut b = XorShift64::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert!(a.below(10) < 10);
    }
}
