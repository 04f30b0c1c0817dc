//! The firmware's log path: defmt frames (rzCOBS-encoded by defmt's encoder in the core's
//! global logger) are queued whole in a [`LogQueue`], and [`LogQueue::pump`] cuts each frame
//! into `proto::events::LogChunk`s (24 bytes each, first/last flags, a sequence number per
//! descriptor) and posts them into the host's log ring. The host joins them with
//! `proto::events::LogAssembler` and decodes them with `defmt-decoder` against the firmware ELF.
//!
//! Nothing blocks: a frame that does not fit the queue is dropped whole and counted; a chunk the
//! ring has no room for is lost (the device counts it in LOST) and its sequence number is still
//! used, so the host sees the gap and discards the frame instead of decoding garbage.

use proto::events::{LogChunk, LOG_CHUNK_BYTES};

use crate::hw::Hw;

/// Frames of the log stream, queued until the main loop pumps them. `B` bytes of storage; each
/// frame takes its length + 2.
pub struct LogQueue<const B: usize> {
    buf: [u8; B],
    /// Free-running indices: start of the oldest committed frame, end of the committed frames,
    /// end of the frame being written.
    read: usize,
    commit: usize,
    write: usize,
    /// The frame being written did not fit and is being dropped.
    dropping: bool,
    in_frame: bool,
    dropped: u32,
    seq: u32,
}

impl<const B: usize> Default for LogQueue<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const B: usize> LogQueue<B> {
    pub const fn new() -> Self {
        LogQueue {
            buf: [0; B],
            read: 0,
            commit: 0,
            write: 0,
            dropping: false,
            in_frame: false,
            dropped: 0,
            seq: 0,
        }
    }

    /// Frames dropped because the queue was full.
    pub fn dropped(&self) -> u32 {
        self.dropped
    }

    /// Bytes of committed frames waiting (length prefixes included).
    pub fn pending(&self) -> usize {
        self.commit - self.read
    }

    fn put(&mut self, b: u8) {
        self.buf[self.write % B] = b;
        self.write += 1;
    }

    /// Begin a frame.
    pub fn start_frame(&mut self) {
        self.in_frame = true;
        self.dropping = self.write + 2 - self.read > B;
        if !self.dropping {
            self.write += 2;
        }
    }

    /// Append bytes to the frame being written.
    pub fn write(&mut self, bytes: &[u8]) {
        if !self.in_frame || self.dropping {
            return;
        }
        if self.write + bytes.len() - self.read > B
            || self.write - self.commit - 2 + bytes.len() > u16::MAX as usize
        {
            self.dropping = true;
            return;
        }
        for &b in bytes {
            self.put(b);
        }
    }

    /// Finish the frame: commit it, or count it dropped.
    pub fn end_frame(&mut self) {
        if !self.in_frame {
            return;
        }
        self.in_frame = false;
        if self.dropping {
            self.write = self.commit;
            self.dropped = self.dropped.wrapping_add(1);
            self.dropping = false;
            return;
        }
        let len = (self.write - self.commit - 2) as u16;
        let [lo, hi] = len.to_le_bytes();
        self.buf[self.commit % B] = lo;
        self.buf[(self.commit + 1) % B] = hi;
        self.commit = self.write;
    }

    /// Post every committed frame into the log ring; returns the descriptors posted.
    pub fn pump<H: Hw + ?Sized>(&mut self, hw: &mut H) -> u32 {
        let mut posted = 0;
        while self.read != self.commit {
            let len = u16::from_le_bytes([self.buf[self.read % B], self.buf[(self.read + 1) % B]])
                as usize;
            let start = self.read + 2;
            let n = len.div_ceil(LOG_CHUNK_BYTES).max(1);
            for i in 0..n {
                let from = start + i * LOG_CHUNK_BYTES;
                let to = (from + LOG_CHUNK_BYTES).min(start + len);
                let mut data = heapless::Vec::new();
                for j in from..to {
                    let _ = data.push(self.buf[j % B]);
                }
                let c = LogChunk {
                    seq: self.seq,
                    first: i == 0,
                    last: i + 1 == n,
                    data,
                };
                self.seq = self.seq.wrapping_add(1);
                if hw.post_log(&c) {
                    posted += 1;
                }
            }
            self.read = start + len;
        }
        posted
    }
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use super::*;
    use crate::sim::SimHw;
    use proto::events::LogAssembler;

    fn frame(q: &mut LogQueue<128>, bytes: &[u8]) {
        q.start_frame();
        q.write(&bytes[..bytes.len() / 2]);
        q.write(&bytes[bytes.len() / 2..]);
        q.end_frame();
    }

    #[test]
    fn frames_cross_the_ring_whole_and_in_order() {
        let mut hw = SimHw::new(Default::default(), proto::table::Geometry::SMALL);
        let mut q: LogQueue<128> = LogQueue::new();
        let frames: [&[u8]; 3] = [b"short", &[7u8; 60], b""];
        for _ in 0..4 {
            // Several laps of the 128-byte queue.
            for f in frames {
                frame(&mut q, f);
            }
            q.pump(&mut hw);
        }
        let mut a: LogAssembler<256> = LogAssembler::new();
        let got: std::vec::Vec<std::vec::Vec<u8>> = hw
            .logs
            .iter()
            .filter_map(|c| a.push(c).map(|f| f.to_vec()))
            .collect();
        assert_eq!(got.len(), 12);
        for (i, g) in got.iter().enumerate() {
            assert_eq!(g.as_slice(), frames[i % 3]);
        }
        assert_eq!(a.discarded(), 0);
        assert_eq!(q.dropped(), 0);
    }

    #[test]
    fn a_frame_too_big_is_dropped_whole_and_a_lost_chunk_shows_as_a_gap() {
        let mut hw = SimHw::new(Default::default(), proto::table::Geometry::SMALL);
        let mut q: LogQueue<128> = LogQueue::new();
        frame(&mut q, &[1u8; 200]);
        assert_eq!(q.dropped(), 1);
        assert_eq!(q.pending(), 0);
        frame(&mut q, &[2u8; 60]); // 3 chunks
        hw.log_room = 1; // the ring takes only the first
        q.pump(&mut hw);
        frame(&mut q, b"next");
        hw.log_room = usize::MAX;
        q.pump(&mut hw);
        let mut a: LogAssembler<256> = LogAssembler::new();
        let got: std::vec::Vec<std::vec::Vec<u8>> = hw
            .logs
            .iter()
            .filter_map(|c| a.push(c).map(|f| f.to_vec()))
            .collect();
        assert_eq!(got, [b"next".to_vec()]);
        assert_eq!(a.discarded(), 1, "the torn frame is discarded, not decoded");
    }
}
