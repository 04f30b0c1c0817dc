//! [`WordQueue`] — a FIFO of `W`-word entries in block RAM, with the head presented as a
//! register (first-word fall-through), for the pipeline's per-port record, decision and reply
//! queues.
//!
//! ## Interface
//! * `clock` in.
//! * `push`, `push_w[W]` in: append an entry at the edge that samples `push`. The producer
//!   keeps `count < 2^A` (the pipeline issues records against credits); a push into a full
//!   queue is a protocol error.
//! * `head_valid`, `head_w[W]` out: the oldest entry, from registers and block-RAM outputs
//!   only; `pop` in removes it at the edge (ignored when `head_valid` is low).
//! * `count` out: entries pushed and not popped, the producer's credit view (an entry becomes
//!   visible at the head two clocks after its push: the RAM write, then the read).
//!
//! The RAM is read every clock at the address the head will have after this clock's pop, so
//! the next entry is on `head_w` the clock after a pop. Entries are `W` lanes of `Bram<Lane, A>`
//! (read-first; a read of the address being written only happens for an entry that is not
//! visible yet, and is read again the next clock).

use crate::bram::Bram;
use crate::lane::Lane;
use rust_hdl::prelude::*;

/// A FIFO of `2^A` entries of `W` words. See the [module docs](self).
#[derive(LogicBlock)]
pub struct WordQueue<const W: usize, const A: usize> {
    pub clock: Signal<In, Clock>,
    pub push: Signal<In, Bit>,
    pub push_w: [Signal<In, Lane>; W],
    pub pop: Signal<In, Bit>,
    pub head_valid: Signal<Out, Bit>,
    pub head_w: [Signal<Out, Lane>; W],
    pub count: Signal<Out, Lane>,

    mem: [Bram<Lane, A>; W],
    wr: DFF<Bits<A>>,
    rd: DFF<Bits<A>>,
    cnt: DFF<Lane>,
    vis: DFF<Lane>,
    push_d: DFF<Bit>,
    pop_ok: Signal<Local, Bit>,
    rd_next: Signal<Local, Bits<A>>,
}

impl<const W: usize, const A: usize> Default for WordQueue<W, A> {
    fn default() -> Self {
        WordQueue {
            clock: Default::default(),
            push: Default::default(),
            push_w: core::array::from_fn(|_| Default::default()),
            pop: Default::default(),
            head_valid: Default::default(),
            head_w: core::array::from_fn(|_| Default::default()),
            count: Default::default(),
            mem: core::array::from_fn(|_| Default::default()),
            wr: Default::default(),
            rd: Default::default(),
            cnt: Default::default(),
            vis: Default::default(),
            push_d: Default::default(),
            pop_ok: Default::default(),
            rd_next: Default::default(),
        }
    }
}

impl<const W: usize, const A: usize> Logic for WordQueue<W, A> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wr, rd, cnt, vis, push_d);
        self.pop_ok.next = self.pop.val() && (self.vis.q.val() != 0_u32);
        self.rd_next.next = self.rd.q.val();
        if self.pop_ok.val() {
            self.rd_next.next = self.rd.q.val() + 1;
        }
        for i in 0..W {
            self.mem[i].clock.next = self.clock.val();
            self.mem[i].write_enable.next = self.push.val();
            self.mem[i].write_address.next = self.wr.q.val();
            self.mem[i].write_data.next = self.push_w[i].val();
            self.mem[i].read_enable.next = true;
            self.mem[i].read_address.next = self.rd_next.val();
            self.head_w[i].next = self.mem[i].read_data.val();
        }
        self.rd.d.next = self.rd_next.val();
        if self.push.val() {
            self.wr.d.next = self.wr.q.val() + 1;
        }
        self.push_d.d.next = self.push.val();
        if self.push.val() && !self.pop_ok.val() {
            self.cnt.d.next = self.cnt.q.val() + 1_u32;
        }
        if (!self.push.val()) && self.pop_ok.val() {
            self.cnt.d.next = self.cnt.q.val() - 1_u32;
        }
        if self.push_d.q.val() && !self.pop_ok.val() {
            self.vis.d.next = self.vis.q.val() + 1_u32;
        }
        if (!self.push_d.q.val()) && self.pop_ok.val() {
            self.vis.d.next = self.vis.q.val() - 1_u32;
        }
        self.head_valid.next = self.vis.q.val() != 0_u32;
        self.count.next = self.cnt.q.val();
    }
}
