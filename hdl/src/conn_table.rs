//! [`ConnTable`] — the connection table: `2^A` buckets x 4 ways of [`ENTRY_WORDS`]-word entries in
//! block RAM, one lookup per clock, with the write-back of each lookup's decision forwarded to the
//! lookups behind it, so that the table behaves exactly like `proto::table::Table` executing the
//! requests one after another (each lookup followed by its write-back).
//!
//! ## Geometry and storage (`proto::table`)
//! * `2^A` buckets (`A` = bucket address bits, a const generic: [`ConnTableTest`] 16 buckets,
//!   [`ConnTableSmall`] = `Geometry::SMALL` 1 Ki, [`ConnTableLarge`] = `Geometry::LARGE` 256 Ki),
//!   [`CONN_TABLE_WAYS`] = 4 ways, fixed (the priority encoders are written out for four). Slot
//!   `bucket * 4 + way`, as `Geometry::slot`.
//! * One [`Bram`] lane per (way, word): 40 RAMs of `2^A` x 32 bits, all addressed by the bucket,
//!   so one read returns the whole bucket and the four keys are compared in parallel.
//! * An entry is `Entry::pack`'s ten words. A slot is **empty** when its state code (word 3, bits
//!   3:0) is not one of the 11 states, exactly when `Entry::unpack` returns `None`. So that the
//!   RAM's power-up zeros read as empty (an all-zero entry is a valid CLOSED entry of key
//!   0.0.0.0:0), the RAM stores word 3 XOR [`STATE_XOR`] (`0xF`): a stored 0 is code 15. Every
//!   port of this block carries the *logical* words; a deleted or never-used slot reads as
//!   [`EMPTY_WORDS`] (`[0, 0, 0, 0xF, 0, ..]`).
//!
//! ## Interface (`ConnTable<A, D>`)
//! * `clock` in. No reset: the table powers up empty, the pipeline idle.
//! * **Lookup port** (stage 0), highest priority: `lk_valid` in, `lk_ready` out, `lk_bucket`
//!   (`Bits<A>`, the low `A` bits of the flow's key hash: `Geometry::bucket`), `lk_peer`,
//!   `lk_host`, `lk_ports` ([`Lane`]s: the key as entry words 0, 1, 2). Taken on an edge with
//!   `lk_valid && lk_ready`.
//! * **Management port** (stage 0; firmware/host table window, expiry sweeps): `mg_valid` in,
//!   `mg_ready` out, `mg_delete` (0 = read slot, 1 = read and delete slot), `mg_bucket`
//!   (`Bits<A>`), `mg_way` (`Bits<2>`). It uses the issue slots the lookup port leaves idle:
//!   `mg_ready` is low while `lk_valid` is high. A management operation is ordered with the
//!   lookups like any other request (it sees every earlier write-back; later lookups see its
//!   delete).
//! * **Result** (registered), [`CONN_TABLE_LATENCY`] = 2 clocks after the request's edge:
//!   `rs_valid` (a lookup result), `rs_mgmt` (a management result), `rs_bucket`, and
//!   * lookup: `rs_hit` (the key is in the bucket, `Table::lookup`), `rs_way` (the hit way, lowest
//!     if the key is there twice; 0 on a miss), `rs_w[0..10]` (the hit entry's words; 0 on a
//!     miss), `rs_full` (`Table::bucket_full`), `rs_free` (the lowest free way, the one
//!     `Table::insert` would take; 0 when full);
//!   * management: `rs_hit` = the slot is occupied, `rs_way` = `mg_way`, `rs_w` = the slot's words
//!     (before a delete), `rs_full`/`rs_free` as for a lookup;
//!   * neither: the other outputs are junk (the data path is not gated).
//! * **Write-back** port, exactly `D` clocks after the result (so `2 + D` after the request):
//!   `wb_op` (`Bits<2>`: [`WB_NONE`], [`WB_UPDATE`] the hit slot := `wb_w`, [`WB_DELETE`] free the
//!   hit slot, [`WB_INSERT`] the lowest free way := `wb_w`) and `wb_w[0..10]` (the entry,
//!   `Entry::pack`). The table remembers where: update/delete on a miss and insert into a full
//!   bucket do nothing (`InsertError::BucketFull`: the caller saw `rs_full`); an insert on a hit
//!   adds a second copy, as `Table::insert` would. `wb_op` is ignored in cycles that carry no
//!   lookup's write-back (idle slots and management operations, whose delete the table does
//!   itself).
//! * `occupancy` out ([`Lane`]): occupied slots (`Table::occupancy`), registered.
//!
//! ## Latency, throughput, hazards
//! * L = [`CONN_TABLE_LATENCY`] = 2: a request sampled at the edge ending cycle `t` has its
//!   result on the outputs during cycle `t + 2`; its write-back is sampled at the edge ending
//!   cycle `t + 2 + D` and written to the RAM on that edge.
//! * II = 1: one request (lookup or management) per clock.
//! * Every request observes the write-backs of **all** requests taken before it. Writes issued
//!   up to the cycle of its result computation (cycle `t + 1`) are in the RAM or forwarded: the
//!   write on the edge of its RAM read (previous-write registers) and the write in cycle `t + 1`
//!   itself (combinational from the write-back port) override the RAM data way by way. The
//!   write-backs of the `D` requests taken in cycles `t - D .. t - 1` do not exist yet when the
//!   result must be computed, so a request for a **bucket** one of them used is held
//!   (`lk_ready` / `mg_ready` low) until the newest such request is `D + 1` cycles old — the
//!   least stall that keeps the results exact (full and free way depend on an earlier insert or
//!   delete in the bucket even for another flow). Requests to other buckets are never held;
//!   with `D = 0` nothing is ever held. `lk_ready` depends on `lk_bucket` and registers only.
//! * In the pipeline the write-back comes from `tracker_unit`, so `D` = its latency, 4
//!   (`tests/decision_loop.rs` runs the two joined). A minimum-size frame is 8 beats, so the two
//!   ports' parsers deliver at most one header every 4 clocks: a hold happens only when the two
//!   directions of one bucket's flows arrive 1..4 clocks apart, and costs at most `D` clocks.
//!
//! ## Structure
//! ```text
//! cycle t     issue: hazard check (D-deep bucket history), RAM read of the bucket (40 lanes)
//! cycle t+1   RAM data; key compare and state check (code < 11 = occupied) of each way's RAM
//!             words, of the previous edge's write and of this cycle's write, in parallel; per
//!             way the newest source wins; priority encoders; word select -> result registers
//! cycle t+2   result outputs; delay line (D stages) keeps bucket, hit way, free way
//! cycle t+2+D write-back: the RAM write port (all ten lanes of one way), occupancy counter
//! ```
//! Registers: stage 1 `A + 101` bits (valid, management, delete, bucket, key, way), result
//! `A + 337` (flags, bucket, ways, one-hot targets, 320 word bits), delay line `D * (A + 11)`,
//! hazard window `D * (A + 1)`, previous write `A + 324` (way, bucket, 320 word bits), occupancy
//! 32: 856 for `Geometry::SMALL` with D = 1.
//!
//! The RAMs are [`Bram::collisions_undefined`] (bare DP16KD / RAMB on both FPGA families): a
//! lane's read is disabled on the edge its own way of the same bucket is written, and that
//! write is forwarded instead, so no read ever depends on a read-during-write result.
//!
//! ## Measured (`hdl/tests/conn_table.rs`)
//! * yosys 0.23 `synth_ecp5`, `Geometry::SMALL`: 80 DP16KD (2 per lane, 1024 x 18 each; an
//!   ECP5-45k has 108), 846 FF (the hazard window's bucket register merges with stage 1's),
//!   about 5.1K LUT4 + 2K PFUMX + 0.7K L6MUX21 + 122 CCU2C (3.45K LUT4 with the RAMs as black
//!   boxes: abc duplicates the stage-1 select logic behind the slow RAM outputs; most of it is
//!   the 320-bit word select).
//! * rust-hdl simulation of the 16-bucket instance: 50-150K cycles/s ([`Testbench`]).
//!
//! [`Testbench`]: crate::testbench::Testbench

use crate::bram::Bram;
use crate::lane::Lane;
use proto::table::ENTRY_WORDS;
use rust_hdl::prelude::*;

/// Ways per bucket (fixed).
pub const CONN_TABLE_WAYS: usize = 4;
/// Clocks from a request's edge to its result on the outputs.
pub const CONN_TABLE_LATENCY: usize = 2;
/// The write-back delay `D` of the named instances below, which the block's tests use (the
/// pipeline instantiates `ConnTable<A, TRACKER_LATENCY>`, D = 4).
pub const CONN_TABLE_WB_DELAY: usize = 1;
/// Largest supported write-back delay.
pub const MAX_WB_DELAY: usize = 8;
/// Stored word 3 = logical word 3 XOR this, so the RAM's power-up zeros are state code 15 (empty).
pub const STATE_XOR: u32 = 0xF;
/// What an empty slot reads as (a deleted or never-written slot).
pub const EMPTY_WORDS: [u32; ENTRY_WORDS] = [0, 0, 0, STATE_XOR, 0, 0, 0, 0, 0, 0];
/// `wb_op` codes.
pub const WB_NONE: u64 = 0;
pub const WB_UPDATE: u64 = 1;
pub const WB_DELETE: u64 = 2;
pub const WB_INSERT: u64 = 3;

/// RAM lanes: one per (way, word); lane `way * 10 + word`.
const LANES: usize = CONN_TABLE_WAYS * ENTRY_WORDS;
// The kernel's index expressions are written with the literals 4 and 10.
const _: () = assert!(ENTRY_WORDS == 10 && CONN_TABLE_WAYS == 4);

/// A 16-bucket table (64 slots): full buckets and collisions are frequent in tests.
pub type ConnTableTest = ConnTable<4, CONN_TABLE_WB_DELAY>;
/// `Geometry::SMALL`: 1 Ki buckets x 4 ways, fits an ECP5-45k (80 DP16KD).
pub type ConnTableSmall = ConnTable<10, CONN_TABLE_WB_DELAY>;
/// `Geometry::LARGE`: 256 Ki buckets x 4 ways (UltraRAM boards).
pub type ConnTableLarge = ConnTable<18, CONN_TABLE_WB_DELAY>;

/// The connection table. See the [module docs](self).
#[derive(LogicBlock)]
pub struct ConnTable<const A: usize, const D: usize> {
    pub clock: Signal<In, Clock>,
    // ---- lookup port
    pub lk_valid: Signal<In, Bit>,
    pub lk_ready: Signal<Out, Bit>,
    pub lk_bucket: Signal<In, Bits<A>>,
    pub lk_peer: Signal<In, Lane>,
    pub lk_host: Signal<In, Lane>,
    pub lk_ports: Signal<In, Lane>,
    // ---- management port
    pub mg_valid: Signal<In, Bit>,
    pub mg_ready: Signal<Out, Bit>,
    pub mg_delete: Signal<In, Bit>,
    pub mg_bucket: Signal<In, Bits<A>>,
    pub mg_way: Signal<In, Bits<2>>,
    // ---- write-back port
    pub wb_op: Signal<In, Bits<2>>,
    pub wb_w: [Signal<In, Lane>; ENTRY_WORDS],
    // ---- result
    pub rs_valid: Signal<Out, Bit>,
    pub rs_mgmt: Signal<Out, Bit>,
    pub rs_hit: Signal<Out, Bit>,
    pub rs_bucket: Signal<Out, Bits<A>>,
    pub rs_way: Signal<Out, Bits<2>>,
    pub rs_full: Signal<Out, Bit>,
    pub rs_free: Signal<Out, Bits<2>>,
    pub rs_w: [Signal<Out, Lane>; ENTRY_WORDS],
    pub occupancy: Signal<Out, Lane>,

    // ---- the table: lane `way * 10 + word`
    ram: [Bram<Lane, A>; LANES],

    // ---- stage 1: the request taken on the last edge (its bucket's words arrive now)
    s1_v: DFF<Bit>,
    s1_m: DFF<Bit>,
    s1_x: DFF<Bit>,
    s1_bucket: DFF<Bits<A>>,
    s1_peer: DFF<Lane>,
    s1_host: DFF<Lane>,
    s1_ports: DFF<Lane>,
    s1_mway: DFF<Bits<2>>,
    // ---- result registers; `r_tu` / `r_ti` are the one-hot ways an update/delete and an
    // insert would write (0 = nothing: a miss, a full bucket, a management read of a free slot)
    r_v: DFF<Bit>,
    r_m: DFF<Bit>,
    r_x: DFF<Bit>,
    r_hit: DFF<Bit>,
    r_full: DFF<Bit>,
    r_bucket: DFF<Bits<A>>,
    r_way: DFF<Bits<2>>,
    r_free: DFF<Bits<2>>,
    r_tu: DFF<Bits<4>>,
    r_ti: DFF<Bits<4>>,
    r_w: [DFF<Lane>; ENTRY_WORDS],
    // ---- delay line from the result to the write-back (D stages)
    dl_v: [DFF<Bit>; D],
    dl_m: [DFF<Bit>; D],
    dl_x: [DFF<Bit>; D],
    dl_bucket: [DFF<Bits<A>>; D],
    dl_tu: [DFF<Bits<4>>; D],
    dl_ti: [DFF<Bits<4>>; D],
    // ---- hazard window: buckets of the requests taken 1..=D cycles ago
    hz_v: [DFF<Bit>; D],
    hz_bucket: [DFF<Bits<A>>; D],
    // ---- the write of the last edge (forwarded to the read that edge could not see)
    pw_we: DFF<Bits<4>>,
    pw_bucket: DFF<Bits<A>>,
    pw_w: [DFF<Lane>; ENTRY_WORDS],
    occ: DFF<Lane>,

    // ---- locals (assigned before they are read, in kernel order)
    /// 11: state codes below it are states (occupied slots).
    c_states: Signal<Local, Lane>,
    // write-back stage: the request taken 2 + D cycles ago
    x_v: Signal<Local, Bit>,
    x_m: Signal<Local, Bit>,
    x_x: Signal<Local, Bit>,
    x_bucket: Signal<Local, Bits<A>>,
    x_tu: Signal<Local, Bits<4>>,
    x_ti: Signal<Local, Bits<4>>,
    /// This edge's write: one-hot way, empty pattern, the logical words, occupancy +1 / -1.
    wr_we: Signal<Local, Bits<4>>,
    wr_del: Signal<Local, Bit>,
    wr_w: [Signal<Local, Lane>; ENTRY_WORDS],
    wr_inc: Signal<Local, Bit>,
    wr_dec: Signal<Local, Bit>,
    // issue stage
    lk_haz: Signal<Local, Bit>,
    mg_haz: Signal<Local, Bit>,
    lk_acc: Signal<Local, Bit>,
    mg_acc: Signal<Local, Bit>,
    rd_bucket: Signal<Local, Bits<A>>,
    rd_clash: Signal<Local, Bit>,
    // stage 1
    /// This edge's write / the last edge's write is to stage 1's bucket.
    fa: Signal<Local, Bit>,
    fb: Signal<Local, Bit>,
    /// Where way `w`'s current words come from: this edge's write (`src_c`), else the last
    /// edge's write (`src_p`), else the RAM.
    src_c: [Signal<Local, Bit>; CONN_TABLE_WAYS],
    src_p: [Signal<Local, Bit>; CONN_TABLE_WAYS],
    /// The three candidates' state codes (logical) and whether they are states and match the key
    /// (`_c` this edge's write, `_p` the last edge's write, `_r` each way's RAM word).
    code_c: Signal<Local, Lane>,
    code_p: Signal<Local, Lane>,
    code_r: [Signal<Local, Lane>; CONN_TABLE_WAYS],
    oc_c: Signal<Local, Bit>,
    oc_p: Signal<Local, Bit>,
    oc_r: [Signal<Local, Bit>; CONN_TABLE_WAYS],
    mt_c: Signal<Local, Bit>,
    mt_p: Signal<Local, Bit>,
    mt_r: [Signal<Local, Bit>; CONN_TABLE_WAYS],
    /// Way `w` is occupied / holds the key, after forwarding.
    oc: [Signal<Local, Bit>; CONN_TABLE_WAYS],
    mt: [Signal<Local, Bit>; CONN_TABLE_WAYS],
    /// The selected way's words come from this edge's write / the last edge's write.
    sel_c: Signal<Local, Bit>,
    sel_p: Signal<Local, Bit>,
    h_hit: Signal<Local, Bit>,
    h_way: Signal<Local, Bits<2>>,
    h_hot: Signal<Local, Bits<4>>,
    f_full: Signal<Local, Bit>,
    f_way: Signal<Local, Bits<2>>,
    f_hot: Signal<Local, Bits<4>>,
    m_hot: Signal<Local, Bits<4>>,
    m_occ: Signal<Local, Bit>,
    sel: Signal<Local, Bits<4>>,
}

impl<const A: usize, const D: usize> Default for ConnTable<A, D> {
    fn default() -> Self {
        assert!(
            D <= MAX_WB_DELAY,
            "write-back delay {D} above {MAX_WB_DELAY}"
        );
        fn arr<T: Default, const N: usize>() -> [T; N] {
            std::array::from_fn(|_| T::default())
        }
        ConnTable {
            clock: Default::default(),
            lk_valid: Default::default(),
            lk_ready: Default::default(),
            lk_bucket: Default::default(),
            lk_peer: Default::default(),
            lk_host: Default::default(),
            lk_ports: Default::default(),
            mg_valid: Default::default(),
            mg_ready: Default::default(),
            mg_delete: Default::default(),
            mg_bucket: Default::default(),
            mg_way: Default::default(),
            wb_op: Default::default(),
            wb_w: arr(),
            rs_valid: Default::default(),
            rs_mgmt: Default::default(),
            rs_hit: Default::default(),
            rs_bucket: Default::default(),
            rs_way: Default::default(),
            rs_full: Default::default(),
            rs_free: Default::default(),
            rs_w: arr(),
            occupancy: Default::default(),
            ram: std::array::from_fn(|_| Bram::collisions_undefined()),
            s1_v: Default::default(),
            s1_m: Default::default(),
            s1_x: Default::default(),
            s1_bucket: Default::default(),
            s1_peer: Default::default(),
            s1_host: Default::default(),
            s1_ports: Default::default(),
            s1_mway: Default::default(),
            r_v: Default::default(),
            r_m: Default::default(),
            r_x: Default::default(),
            r_hit: Default::default(),
            r_full: Default::default(),
            r_bucket: Default::default(),
            r_way: Default::default(),
            r_free: Default::default(),
            r_tu: Default::default(),
            r_ti: Default::default(),
            r_w: arr(),
            dl_v: arr(),
            dl_m: arr(),
            dl_x: arr(),
            dl_bucket: arr(),
            dl_tu: arr(),
            dl_ti: arr(),
            hz_v: arr(),
            hz_bucket: arr(),
            pw_we: Default::default(),
            pw_bucket: Default::default(),
            pw_w: arr(),
            occ: Default::default(),
            c_states: Default::default(),
            x_v: Default::default(),
            x_m: Default::default(),
            x_x: Default::default(),
            x_bucket: Default::default(),
            x_tu: Default::default(),
            x_ti: Default::default(),
            wr_we: Default::default(),
            wr_del: Default::default(),
            wr_w: arr(),
            wr_inc: Default::default(),
            wr_dec: Default::default(),
            lk_haz: Default::default(),
            mg_haz: Default::default(),
            lk_acc: Default::default(),
            mg_acc: Default::default(),
            rd_bucket: Default::default(),
            rd_clash: Default::default(),
            fa: Default::default(),
            fb: Default::default(),
            src_c: arr(),
            src_p: arr(),
            code_c: Default::default(),
            code_p: Default::default(),
            code_r: arr(),
            oc_c: Default::default(),
            oc_p: Default::default(),
            oc_r: arr(),
            mt_c: Default::default(),
            mt_p: Default::default(),
            mt_r: arr(),
            oc: arr(),
            mt: arr(),
            sel_c: Default::default(),
            sel_p: Default::default(),
            h_hit: Default::default(),
            h_way: Default::default(),
            h_hot: Default::default(),
            f_full: Default::default(),
            f_way: Default::default(),
            f_hot: Default::default(),
            m_hot: Default::default(),
            m_occ: Default::default(),
            sel: Default::default(),
        }
    }
}

impl<const A: usize, const D: usize> ConnTable<A, D> {
    /// Buckets.
    pub const BUCKETS: usize = 1 << A;
    /// Slots (buckets x ways).
    pub const CAPACITY: usize = CONN_TABLE_WAYS << A;
    /// The write-back delay `D`.
    pub const WB_DELAY: usize = D;

    /// The `proto::table::Geometry` this instance implements.
    pub fn geometry() -> proto::table::Geometry {
        proto::table::Geometry {
            buckets: Self::BUCKETS as u32,
            ways: CONN_TABLE_WAYS as u32,
        }
    }

    /// The logical words of `slot` as the RAM holds them now (a test back door: no clock, no
    /// port; writes still in the pipeline are not included).
    pub fn peek_slot(&self, slot: usize) -> [u32; ENTRY_WORDS] {
        let (bucket, way) = (slot / CONN_TABLE_WAYS, slot % CONN_TABLE_WAYS);
        let mut w: [u32; ENTRY_WORDS] =
            std::array::from_fn(|k| self.ram[way * ENTRY_WORDS + k].peek(bucket).0);
        w[3] ^= STATE_XOR;
        w
    }
}

impl<const A: usize, const D: usize> Logic for ConnTable<A, D> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, s1_v, s1_m, s1_x, s1_bucket, s1_peer, s1_host, s1_ports, s1_mway, r_v,
            r_m, r_x, r_hit, r_full, r_bucket, r_way, r_free, r_tu, r_ti, pw_we, pw_bucket, occ
        );
        for k in 0..10 {
            self.r_w[k].clock.next = self.clock.val();
            self.r_w[k].d.next = self.r_w[k].q.val();
            self.pw_w[k].clock.next = self.clock.val();
            self.pw_w[k].d.next = self.pw_w[k].q.val();
        }
        for p in 0..D {
            self.dl_v[p].clock.next = self.clock.val();
            self.dl_v[p].d.next = self.dl_v[p].q.val();
            self.dl_m[p].clock.next = self.clock.val();
            self.dl_m[p].d.next = self.dl_m[p].q.val();
            self.dl_x[p].clock.next = self.clock.val();
            self.dl_x[p].d.next = self.dl_x[p].q.val();
            self.dl_bucket[p].clock.next = self.clock.val();
            self.dl_bucket[p].d.next = self.dl_bucket[p].q.val();
            self.dl_tu[p].clock.next = self.clock.val();
            self.dl_tu[p].d.next = self.dl_tu[p].q.val();
            self.dl_ti[p].clock.next = self.clock.val();
            self.dl_ti[p].d.next = self.dl_ti[p].q.val();
            self.hz_v[p].clock.next = self.clock.val();
            self.hz_v[p].d.next = self.hz_v[p].q.val();
            self.hz_bucket[p].clock.next = self.clock.val();
            self.hz_bucket[p].d.next = self.hz_bucket[p].q.val();
        }
        for i in 0..40 {
            self.ram[i].clock.next = self.clock.val();
        }
        self.c_states.next = 11_u32.into();

        // ================= write-back stage: the request taken 2 + D cycles ago
        // D = 0: the result registers themselves; otherwise the end of the delay line.
        self.x_v.next = self.r_v.q.val();
        self.x_m.next = self.r_m.q.val();
        self.x_x.next = self.r_x.q.val();
        self.x_bucket.next = self.r_bucket.q.val();
        self.x_tu.next = self.r_tu.q.val();
        self.x_ti.next = self.r_ti.q.val();
        for p in D.saturating_sub(1)..D {
            self.x_v.next = self.dl_v[p].q.val();
            self.x_m.next = self.dl_m[p].q.val();
            self.x_x.next = self.dl_x[p].q.val();
            self.x_bucket.next = self.dl_bucket[p].q.val();
            self.x_tu.next = self.dl_tu[p].q.val();
            self.x_ti.next = self.dl_ti[p].q.val();
        }
        // The write: which way (one-hot), an entry or the empty pattern, the occupancy change.
        self.wr_we.next = 0.into();
        self.wr_del.next = false;
        self.wr_inc.next = false;
        self.wr_dec.next = false;
        if self.x_v.val() {
            if self.wb_op.val().get_bit(0) {
                if self.wb_op.val().get_bit(1) {
                    // WB_INSERT: the lowest free way (none when the bucket is full).
                    self.wr_we.next = self.x_ti.val();
                    self.wr_inc.next = self.x_ti.val().any();
                } else {
                    // WB_UPDATE: the hit way (none on a miss).
                    self.wr_we.next = self.x_tu.val();
                }
            } else if self.wb_op.val().get_bit(1) {
                // WB_DELETE: free the hit way (none on a miss).
                self.wr_we.next = self.x_tu.val();
                self.wr_del.next = true;
                self.wr_dec.next = self.x_tu.val().any();
            }
        }
        if self.x_m.val() && self.x_x.val() {
            // Management delete: the addressed way if it was occupied.
            self.wr_we.next = self.x_tu.val();
            self.wr_del.next = true;
            self.wr_dec.next = self.x_tu.val().any();
        }
        for k in 0..10 {
            self.wr_w[k].next = self.wb_w[k].val();
            if self.wr_del.val() {
                self.wr_w[k].next = 0_u32.into();
            }
        }
        if self.wr_del.val() {
            self.wr_w[3].next = 15_u32.into();
        }
        // RAM write ports: all ten lanes of the written way; word 3 stored XOR 0xF.
        for w in 0..4 {
            for k in 0..10 {
                self.ram[w * 10 + k].write_enable.next = self.wr_we.val().get_bit(w);
                self.ram[w * 10 + k].write_address.next = self.x_bucket.val();
                self.ram[w * 10 + k].write_data.next = self.wr_w[k].val();
            }
            self.ram[w * 10 + 3].write_data.next = self.wr_w[3].val() ^ 15_u32;
        }

        // ================= issue stage: hazard check, bucket read
        // A bucket used by a request taken in the last D cycles waits for its write-back.
        self.lk_haz.next = false;
        self.mg_haz.next = false;
        for p in 0..D {
            if self.hz_v[p].q.val() && (self.hz_bucket[p].q.val() == self.lk_bucket.val()) {
                self.lk_haz.next = true;
            }
            if self.hz_v[p].q.val() && (self.hz_bucket[p].q.val() == self.mg_bucket.val()) {
                self.mg_haz.next = true;
            }
        }
        self.lk_ready.next = !self.lk_haz.val();
        self.mg_ready.next = (!self.lk_valid.val()) && (!self.mg_haz.val());
        self.lk_acc.next = self.lk_valid.val() && (!self.lk_haz.val());
        self.mg_acc.next = self.mg_valid.val() && (!self.lk_valid.val()) && (!self.mg_haz.val());
        self.rd_bucket.next = self.mg_bucket.val();
        if self.lk_valid.val() {
            self.rd_bucket.next = self.lk_bucket.val();
        }
        // A way being written in this bucket on this edge is not read (the write is forwarded
        // from the previous-write registers next cycle).
        self.rd_clash.next = self.x_bucket.val() == self.rd_bucket.val();
        for w in 0..4 {
            for k in 0..10 {
                self.ram[w * 10 + k].read_address.next = self.rd_bucket.val();
                self.ram[w * 10 + k].read_enable.next =
                    !(self.wr_we.val().get_bit(w) && self.rd_clash.val());
            }
        }
        self.s1_v.d.next = self.lk_acc.val();
        self.s1_m.d.next = self.mg_acc.val();
        self.s1_x.d.next = self.mg_delete.val();
        self.s1_bucket.d.next = self.rd_bucket.val();
        self.s1_peer.d.next = self.lk_peer.val();
        self.s1_host.d.next = self.lk_host.val();
        self.s1_ports.d.next = self.lk_ports.val();
        self.s1_mway.d.next = self.mg_way.val();
        for p in 0..D.min(1) {
            self.hz_v[p].d.next = self.lk_acc.val() || self.mg_acc.val();
            self.hz_bucket[p].d.next = self.rd_bucket.val();
        }
        for p in 1..D {
            self.hz_v[p].d.next = self.hz_v[p - 1].q.val();
            self.hz_bucket[p].d.next = self.hz_bucket[p - 1].q.val();
        }

        // ================= stage 1: compare, then forward, then encode
        // Each way's words are the RAM's unless this edge's write or the last edge's write (the
        // one the RAM read could not see) went to it; the newest wins. The key compare and the
        // state check are done on the three candidates in parallel (the two writes are shared
        // by the ways), and the forwarding selects among the results.
        self.fa.next = self.x_bucket.val() == self.s1_bucket.q.val();
        self.fb.next = self.pw_bucket.q.val() == self.s1_bucket.q.val();
        self.code_c.next = self.wr_w[3].val() & 15_u32;
        self.oc_c.next = self.code_c.val() < self.c_states.val();
        self.mt_c.next = self.oc_c.val()
            && (self.wr_w[0].val() == self.s1_peer.q.val())
            && (self.wr_w[1].val() == self.s1_host.q.val())
            && (self.wr_w[2].val() == self.s1_ports.q.val());
        self.code_p.next = self.pw_w[3].q.val() & 15_u32;
        self.oc_p.next = self.code_p.val() < self.c_states.val();
        self.mt_p.next = self.oc_p.val()
            && (self.pw_w[0].q.val() == self.s1_peer.q.val())
            && (self.pw_w[1].q.val() == self.s1_host.q.val())
            && (self.pw_w[2].q.val() == self.s1_ports.q.val());
        for w in 0..4 {
            self.src_c[w].next = self.fa.val() && self.wr_we.val().get_bit(w);
            self.src_p[w].next =
                self.fb.val() && self.pw_we.q.val().get_bit(w) && (!self.src_c[w].val());
            // Occupied: the state code is a state (`Entry::unpack` succeeds).
            self.code_r[w].next = (self.ram[w * 10 + 3].read_data.val() ^ 15_u32) & 15_u32;
            self.oc_r[w].next = self.code_r[w].val() < self.c_states.val();
            self.mt_r[w].next = self.oc_r[w].val()
                && (self.ram[w * 10].read_data.val() == self.s1_peer.q.val())
                && (self.ram[w * 10 + 1].read_data.val() == self.s1_host.q.val())
                && (self.ram[w * 10 + 2].read_data.val() == self.s1_ports.q.val());
            self.oc[w].next = self.oc_r[w].val();
            self.mt[w].next = self.mt_r[w].val();
            if self.src_p[w].val() {
                self.oc[w].next = self.oc_p.val();
                self.mt[w].next = self.mt_p.val();
            }
            if self.src_c[w].val() {
                self.oc[w].next = self.oc_c.val();
                self.mt[w].next = self.mt_c.val();
            }
        }
        // Lowest matching way (`Table::lookup` finds the first).
        self.h_hit.next = true;
        self.h_way.next = 0.into();
        self.h_hot.next = 0.into();
        if self.mt[0].val() {
            self.h_hot.next = 1.into();
        } else if self.mt[1].val() {
            self.h_way.next = 1.into();
            self.h_hot.next = 2.into();
        } else if self.mt[2].val() {
            self.h_way.next = 2.into();
            self.h_hot.next = 4.into();
        } else if self.mt[3].val() {
            self.h_way.next = 3.into();
            self.h_hot.next = 8.into();
        } else {
            self.h_hit.next = false;
        }
        // Lowest free way (`Table::insert` takes it).
        self.f_full.next = false;
        self.f_way.next = 0.into();
        self.f_hot.next = 0.into();
        if !self.oc[0].val() {
            self.f_hot.next = 1.into();
        } else if !self.oc[1].val() {
            self.f_way.next = 1.into();
            self.f_hot.next = 2.into();
        } else if !self.oc[2].val() {
            self.f_way.next = 2.into();
            self.f_hot.next = 4.into();
        } else if !self.oc[3].val() {
            self.f_way.next = 3.into();
            self.f_hot.next = 8.into();
        } else {
            self.f_full.next = true;
        }
        // Management: the addressed way, one-hot, and whether it is occupied.
        self.m_hot.next = 1.into();
        if self.s1_mway.q.val().get_bit(0) {
            self.m_hot.next = 2.into();
        }
        if self.s1_mway.q.val().get_bit(1) {
            self.m_hot.next = 4.into();
            if self.s1_mway.q.val().get_bit(0) {
                self.m_hot.next = 8.into();
            }
        }
        self.m_occ.next = false;
        for w in 0..4 {
            if self.m_hot.val().get_bit(w) && self.oc[w].val() {
                self.m_occ.next = true;
            }
        }
        // Result registers.
        self.r_v.d.next = self.s1_v.q.val();
        self.r_m.d.next = self.s1_m.q.val();
        self.r_x.d.next = self.s1_x.q.val();
        self.r_bucket.d.next = self.s1_bucket.q.val();
        self.r_full.d.next = self.f_full.val();
        self.r_free.d.next = self.f_way.val();
        self.r_ti.d.next = self.f_hot.val();
        self.r_hit.d.next = self.h_hit.val();
        self.r_way.d.next = self.h_way.val();
        self.r_tu.d.next = self.h_hot.val();
        self.sel.next = self.h_hot.val();
        if self.s1_m.q.val() {
            self.r_hit.d.next = self.m_occ.val();
            self.r_way.d.next = self.s1_mway.q.val();
            self.r_tu.d.next = 0.into();
            if self.m_occ.val() {
                self.r_tu.d.next = self.m_hot.val();
            }
            self.sel.next = self.m_hot.val();
        }
        // The selected way's words (0 when none): from the RAM lane, or one of the two writes.
        self.sel_c.next = false;
        self.sel_p.next = false;
        for k in 0..10 {
            self.r_w[k].d.next = 0_u32.into();
        }
        for w in 0..4 {
            if self.sel.val().get_bit(w) {
                self.sel_c.next = self.src_c[w].val();
                self.sel_p.next = self.src_p[w].val();
                for k in 0..10 {
                    self.r_w[k].d.next = self.ram[w * 10 + k].read_data.val();
                }
                self.r_w[3].d.next = self.ram[w * 10 + 3].read_data.val() ^ 15_u32;
            }
        }
        if self.sel_p.val() {
            for k in 0..10 {
                self.r_w[k].d.next = self.pw_w[k].q.val();
            }
        }
        if self.sel_c.val() {
            for k in 0..10 {
                self.r_w[k].d.next = self.wr_w[k].val();
            }
        }

        // ================= delay line to the write-back, previous write, occupancy
        for p in 0..D.min(1) {
            self.dl_v[p].d.next = self.r_v.q.val();
            self.dl_m[p].d.next = self.r_m.q.val();
            self.dl_x[p].d.next = self.r_x.q.val();
            self.dl_bucket[p].d.next = self.r_bucket.q.val();
            self.dl_tu[p].d.next = self.r_tu.q.val();
            self.dl_ti[p].d.next = self.r_ti.q.val();
        }
        for p in 1..D {
            self.dl_v[p].d.next = self.dl_v[p - 1].q.val();
            self.dl_m[p].d.next = self.dl_m[p - 1].q.val();
            self.dl_x[p].d.next = self.dl_x[p - 1].q.val();
            self.dl_bucket[p].d.next = self.dl_bucket[p - 1].q.val();
            self.dl_tu[p].d.next = self.dl_tu[p - 1].q.val();
            self.dl_ti[p].d.next = self.dl_ti[p - 1].q.val();
        }
        self.pw_we.d.next = self.wr_we.val();
        self.pw_bucket.d.next = self.x_bucket.val();
        for k in 0..10 {
            self.pw_w[k].d.next = self.wr_w[k].val();
        }
        if self.wr_inc.val() {
            self.occ.d.next = self.occ.q.val() + 1_u32;
        }
        if self.wr_dec.val() {
            self.occ.d.next = self.occ.q.val() - 1_u32;
        }

        // ================= outputs
        self.rs_valid.next = self.r_v.q.val();
        self.rs_mgmt.next = self.r_m.q.val();
        self.rs_hit.next = self.r_hit.q.val();
        self.rs_bucket.next = self.r_bucket.q.val();
        self.rs_way.next = self.r_way.q.val();
        self.rs_full.next = self.r_full.q.val();
        self.rs_free.next = self.r_free.q.val();
        for k in 0..10 {
            self.rs_w[k].next = self.r_w[k].q.val();
        }
        self.occupancy.next = self.occ.q.val();
    }
}

/// One cycle's result outputs, as plain Rust values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableResult {
    pub valid: bool,
    pub mgmt: bool,
    pub hit: bool,
    pub bucket: u32,
    pub way: u32,
    pub full: bool,
    pub free: u32,
    pub words: [u32; ENTRY_WORDS],
}

impl TableResult {
    /// The result outputs of `t` (registered: valid after a `Testbench::step`).
    pub fn read<const A: usize, const D: usize>(t: &ConnTable<A, D>) -> Self {
        TableResult {
            valid: t.rs_valid.val(),
            mgmt: t.rs_mgmt.val(),
            hit: t.rs_hit.val(),
            bucket: t.rs_bucket.val().index() as u32,
            way: t.rs_way.val().index() as u32,
            full: t.rs_full.val(),
            free: t.rs_free.val().index() as u32,
            words: std::array::from_fn(|k| t.rs_w[k].val().0),
        }
    }

    /// The slot (`Geometry::slot`) of `way`.
    pub fn slot(&self) -> u32 {
        self.bucket * CONN_TABLE_WAYS as u32 + self.way
    }
}
