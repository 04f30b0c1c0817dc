//! [`FrameFifo`] — a port's store-and-forward frame buffer: each frame waits here, whole, while
//! the decision pipeline works on its header record, then leaves (forward) or is discarded (drop)
//! in arrival order.
//!
//! ## Interface
//! * `clock` in. No reset: the buffer powers up empty.
//! * `sink`: a [`StreamSink`] (docs/hdl.md stream format), one frame per `last`. `sink.ready` is
//!   low while the buffer has no room for a beat or already holds [`MAX_FRAMES`] complete frames;
//!   it depends on registers only. Nothing is ever dropped at the input: back-pressure only.
//! * `rel_valid`, `rel_drop` in, `rel_ready` out: the decision for the oldest complete frame not
//!   yet released, taken when `rel_valid && rel_ready`: `rel_drop` low forwards it on `source`,
//!   high discards it (in one clock, whatever its length). `rel_ready` is high while a complete
//!   frame waits and the one-deep decision slot is free (it depends on registers only).
//! * `source`: a [`StreamSource`] with the released frames' beats, unchanged, `keep`/`last` as
//!   they came in; `valid` and the data depend on registers only.
//! * `frames`: complete frames held (released ones still streaming out excluded).
//!
//! ## Throughput and latency
//! * One beat per clock in and one out, at the same time; a frame can be released the clock after
//!   its last beat is written, and its first beat is on `source` three clocks after the release
//!   when the engine is idle (decision slot, block-RAM read, output register). The engine takes
//!   the next decision as it issues the current frame's last read, so released frames stream
//!   back to back without a gap (`tests/frame_fifo.rs` checks one beat per clock).
//! * Capacity: `2^A` beats (`A` a build-time parameter; a frame longer than the buffer can never
//!   complete, so `A` must cover the largest frame: 11 bits = 16 KiB covers 9 KiB jumbo frames)
//!   and [`MAX_FRAMES`] frames.
//!
//! ## Structure
//! Three [`Bram`]s of `2^A` words (data low lane, data high lane, `keep | last << 8`), written at
//! `wr_ptr` by the sink. Each completed frame's length in beats goes into a 16-entry register
//! queue (one-hot head and tail). The output engine, once a frame is released, reads its beats
//! from `rd_ptr` on, one per clock, into a two-entry output queue (`out`, then `skid`) sized so
//! that a read issued while `source.ready` is high never has to wait: the read is issued only if
//! the beats already held or in flight leave room for it.

use crate::bram::Bram;
use crate::lane::Lane;
use crate::stream::{StreamSink, StreamSource};
use rust_hdl::prelude::*;

/// Complete frames the buffer holds at most (the length queue's depth).
pub const MAX_FRAMES: usize = 16;

/// The frame buffer, `2^A` beats. See the [module docs](self).
#[derive(LogicBlock)]
pub struct FrameFifo<const A: usize> {
    pub clock: Signal<In, Clock>,
    pub sink: StreamSink,
    pub rel_valid: Signal<In, Bit>,
    pub rel_drop: Signal<In, Bit>,
    pub rel_ready: Signal<Out, Bit>,
    pub source: StreamSource,
    pub frames: Signal<Out, Bits<5>>,

    // ---- storage
    mem_lo: Bram<Lane, A>,
    mem_hi: Bram<Lane, A>,
    mem_meta: Bram<Lane, A>,
    // ---- write side
    wr_ptr: DFF<Lane>,
    wr_beats: DFF<Lane>,
    // ---- frame-length queue
    len: [DFF<Lane>; MAX_FRAMES],
    len_tail: DFFWithInit<Bits<16>>,
    len_head: DFFWithInit<Bits<16>>,
    n_frames: DFF<Bits<5>>,
    // ---- read side
    rd_ptr: DFF<Lane>,
    /// Beats of the released frame still to be read (0: the engine is free).
    rd_left: DFF<Lane>,
    /// The released decision waiting for the engine: valid, drop, the frame's length in beats.
    nx_valid: DFF<Bit>,
    nx_drop: DFF<Bit>,
    nx_len: DFF<Lane>,
    in_flight: DFF<Bit>,
    out_valid: DFF<Bit>,
    out_lo: DFF<Lane>,
    out_hi: DFF<Lane>,
    out_meta: DFF<Lane>,
    skid_valid: DFF<Bit>,
    skid_lo: DFF<Lane>,
    skid_hi: DFF<Lane>,
    skid_meta: DFF<Lane>,

    // ---- combinational
    depth: Constant<Lane>,
    mask: Constant<Lane>,
    used_mask: Constant<Lane>,
    used: Signal<Local, Lane>,
    meta_in: Signal<Local, Lane>,
    room: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    push_len: Signal<Local, Bit>,
    head_len: Signal<Local, Lane>,
    rel_take: Signal<Local, Bit>,
    consume: Signal<Local, Bit>,
    held: Signal<Local, Bits<2>>,
    issue: Signal<Local, Bit>,
    ptr_next: Signal<Local, Lane>,
    engine_free: Signal<Local, Bit>,
    zero: Signal<Local, Lane>,
    one: Signal<Local, Lane>,
    max_frames: Signal<Local, Bits<5>>,
}

impl<const A: usize> Default for FrameFifo<A> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            sink: Default::default(),
            rel_valid: Default::default(),
            rel_drop: Default::default(),
            rel_ready: Default::default(),
            source: Default::default(),
            frames: Default::default(),
            mem_lo: Bram::collisions_undefined(),
            mem_hi: Bram::collisions_undefined(),
            mem_meta: Bram::collisions_undefined(),
            wr_ptr: Default::default(),
            wr_beats: Default::default(),
            len: Default::default(),
            len_tail: DFFWithInit::new(1.into()),
            len_head: DFFWithInit::new(1.into()),
            n_frames: Default::default(),
            rd_ptr: Default::default(),
            rd_left: Default::default(),
            nx_valid: Default::default(),
            nx_drop: Default::default(),
            nx_len: Default::default(),
            in_flight: Default::default(),
            out_valid: Default::default(),
            out_lo: Default::default(),
            out_hi: Default::default(),
            out_meta: Default::default(),
            skid_valid: Default::default(),
            skid_lo: Default::default(),
            skid_hi: Default::default(),
            skid_meta: Default::default(),
            depth: Constant::new(Lane(1 << A)),
            mask: Constant::new(Lane((1 << A) - 1)),
            used_mask: Constant::new(Lane((2 << A) - 1)),
            used: Default::default(),
            meta_in: Default::default(),
            room: Default::default(),
            take: Default::default(),
            push_len: Default::default(),
            head_len: Default::default(),
            rel_take: Default::default(),
            consume: Default::default(),
            held: Default::default(),
            issue: Default::default(),
            ptr_next: Default::default(),
            engine_free: Default::default(),
            zero: Default::default(),
            one: Default::default(),
            max_frames: Default::default(),
        }
    }
}

impl<const A: usize> Logic for FrameFifo<A> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, wr_ptr, wr_beats, len_tail, len_head, n_frames, rd_ptr, rd_left, nx_valid,
            nx_drop, nx_len, in_flight, out_valid, out_lo, out_hi, out_meta, skid_valid, skid_lo,
            skid_hi, skid_meta
        );
        for i in 0..16 {
            self.len[i].clock.next = self.clock.val();
            self.len[i].d.next = self.len[i].q.val();
        }
        self.mem_lo.clock.next = self.clock.val();
        self.mem_hi.clock.next = self.clock.val();
        self.mem_meta.clock.next = self.clock.val();
        self.zero.next = 0_u32.into();
        self.one.next = 1_u32.into();
        self.max_frames.next = 16.into();

        // ================= write side: a beat into the buffer
        // Beats held: the pointers' difference is at most 2^A, so its low A + 1 bits are exact
        // and synthesis keeps an (A + 1)-bit subtractor rather than a 32-bit one.
        self.used.next = (self.wr_ptr.q.val() - self.rd_ptr.q.val()) & self.used_mask.val();
        self.room.next = (self.used.val() != self.depth.val())
            && (self.n_frames.q.val() != self.max_frames.val());
        self.sink.ready.next = self.room.val();
        self.take.next = self.sink.valid.val() && self.room.val();
        self.mem_lo.write_enable.next = self.take.val();
        self.mem_hi.write_enable.next = self.take.val();
        self.mem_meta.write_enable.next = self.take.val();
        self.mem_lo.write_address.next =
            bit_cast::<A, 32>((self.wr_ptr.q.val() & self.mask.val()).into());
        self.mem_hi.write_address.next =
            bit_cast::<A, 32>((self.wr_ptr.q.val() & self.mask.val()).into());
        self.mem_meta.write_address.next =
            bit_cast::<A, 32>((self.wr_ptr.q.val() & self.mask.val()).into());
        self.mem_lo.write_data.next = self.sink.data_lo.val();
        self.mem_hi.write_data.next = self.sink.data_hi.val();
        self.meta_in.next = bit_cast::<32, 8>(self.sink.keep.val()).into();
        self.mem_meta.write_data.next = self.meta_in.val();
        if self.sink.last.val() {
            self.mem_meta.write_data.next = self.meta_in.val() | 0x100_u32;
        }
        self.push_len.next = self.take.val() && self.sink.last.val();
        if self.take.val() {
            self.wr_ptr.d.next = self.wr_ptr.q.val() + 1_u32;
            self.wr_beats.d.next = self.wr_beats.q.val() + 1_u32;
            if self.sink.last.val() {
                self.wr_beats.d.next = 0_u32.into();
            }
        }
        if self.push_len.val() {
            for i in 0..16 {
                if self.len_tail.q.val().get_bit(i) {
                    self.len[i].d.next = self.wr_beats.q.val() + 1_u32;
                }
            }
            self.len_tail.d.next =
                (self.len_tail.q.val() << 1_u64) | (self.len_tail.q.val() >> 15_u64);
        }

        // ================= release: the decision for the oldest complete frame waits in `nx`
        self.head_len.next = 0_u32.into();
        for i in 0..16 {
            if self.len_head.q.val().get_bit(i) {
                self.head_len.next = self.len[i].q.val();
            }
        }
        self.rel_ready.next = (self.n_frames.q.val() != bits::<5>(0)) && !self.nx_valid.q.val();
        self.rel_take.next = self.rel_valid.val()
            && ((self.n_frames.q.val() != bits::<5>(0)) && !self.nx_valid.q.val());
        self.n_frames.d.next = self.n_frames.q.val();
        if self.push_len.val() && !self.rel_take.val() {
            self.n_frames.d.next = self.n_frames.q.val() + 1;
        }
        if self.rel_take.val() && !self.push_len.val() {
            self.n_frames.d.next = self.n_frames.q.val() - 1;
        }
        if self.rel_take.val() {
            self.len_head.d.next =
                (self.len_head.q.val() << 1_u64) | (self.len_head.q.val() >> 15_u64);
            self.nx_valid.d.next = true;
            self.nx_drop.d.next = self.rel_drop.val();
            self.nx_len.d.next = self.head_len.val();
        }

        // ================= output engine: read ahead into out / skid
        self.consume.next = self.out_valid.q.val() && self.source.ready.val();
        // Beats held or in flight after this clock's consumption; a read may be issued while
        // fewer than two would be.
        self.held.next = 0.into();
        if self.out_valid.q.val() && !self.consume.val() {
            self.held.next = self.held.val() + 1;
        }
        if self.skid_valid.q.val() {
            self.held.next = self.held.val() + 1;
        }
        if self.in_flight.q.val() {
            self.held.next = self.held.val() + 1;
        }
        self.issue.next = (self.rd_left.q.val() != self.zero.val())
            && ((self.held.val() != bits::<2>(2)) && (self.held.val() != bits::<2>(3)));
        self.mem_lo.read_enable.next = self.issue.val();
        self.mem_hi.read_enable.next = self.issue.val();
        self.mem_meta.read_enable.next = self.issue.val();
        self.mem_lo.read_address.next =
            bit_cast::<A, 32>((self.rd_ptr.q.val() & self.mask.val()).into());
        self.mem_hi.read_address.next =
            bit_cast::<A, 32>((self.rd_ptr.q.val() & self.mask.val()).into());
        self.mem_meta.read_address.next =
            bit_cast::<A, 32>((self.rd_ptr.q.val() & self.mask.val()).into());
        self.in_flight.d.next = self.issue.val();
        self.ptr_next.next = self.rd_ptr.q.val();
        if self.issue.val() {
            self.ptr_next.next = self.rd_ptr.q.val() + 1_u32;
            self.rd_left.d.next = self.rd_left.q.val() - 1_u32;
        }
        self.rd_ptr.d.next = self.ptr_next.val();
        // The engine takes the next decision as it issues the current frame's last read, so
        // released frames stream back to back; a drop skips the frame's beats in one clock.
        self.engine_free.next = (self.rd_left.q.val() == self.zero.val())
            || ((self.rd_left.q.val() == self.one.val()) && self.issue.val());
        if self.nx_valid.q.val() && self.engine_free.val() {
            self.nx_valid.d.next = false;
            if self.nx_drop.q.val() {
                self.rd_ptr.d.next = self.ptr_next.val() + self.nx_len.q.val();
            } else {
                self.rd_left.d.next = self.nx_len.q.val();
            }
        }
        // The output queue: `out` is what `source` shows; `skid` the beat behind it.
        if self.consume.val() {
            self.out_valid.d.next = false;
            if self.skid_valid.q.val() {
                self.out_valid.d.next = true;
                self.out_lo.d.next = self.skid_lo.q.val();
                self.out_hi.d.next = self.skid_hi.q.val();
                self.out_meta.d.next = self.skid_meta.q.val();
                self.skid_valid.d.next = false;
            }
        }
        if self.in_flight.q.val() {
            // The beat read last clock arrives: into `out` if it is (or becomes) free and nothing
            // waits in `skid`, else into `skid`.
            if (!self.out_valid.q.val() || self.consume.val()) && !self.skid_valid.q.val() {
                self.out_valid.d.next = true;
                self.out_lo.d.next = self.mem_lo.read_data.val();
                self.out_hi.d.next = self.mem_hi.read_data.val();
                self.out_meta.d.next = self.mem_meta.read_data.val();
            } else {
                self.skid_valid.d.next = true;
                self.skid_lo.d.next = self.mem_lo.read_data.val();
                self.skid_hi.d.next = self.mem_hi.read_data.val();
                self.skid_meta.d.next = self.mem_meta.read_data.val();
            }
        }
        self.source.valid.next = self.out_valid.q.val();
        self.source.data_lo.next = self.out_lo.q.val();
        self.source.data_hi.next = self.out_hi.q.val();
        self.source.keep.next = bit_cast::<8, 32>(self.out_meta.q.val().into());
        self.source.last.next = (self.out_meta.q.val() & 0x100_u32) != self.zero.val();
        self.frames.next = self.n_frames.q.val();
    }
}
