//! A hierarchical timing wheel (Varghese & Lauck, "Hashed and Hierarchical Timing Wheels",
//! SOSP 1987; the layout of Linux `kernel/time/timer.c` and tokio's driver): one timer per table
//! slot, O(1) arm and cancel, and an advance whose cost is the timers that expire or cascade,
//! never the number of slots.
//!
//! - Time is in ticks of 1 ms ([`TICK_NS`]). [`LEVELS`] levels of [`SLOTS`] buckets: level `l`
//!   bucket `b` holds timers whose deadline's base-64 digit `l` is `b` and whose higher digits
//!   equal those of the wheel's current time (`elapsed`); the level is the highest digit in
//!   which deadline and `elapsed` differ. Level 0 buckets therefore hold timers of one exact
//!   tick. The span is `64^5` ticks (12.4 days), far beyond the longest entry timer (32767 s).
//! - Advancing finds the next non-empty bucket with one rotate/count-trailing-zeros per level
//!   (a 64-bit occupancy word each), jumps `elapsed` to its start and either fires it (level 0)
//!   or cascades its timers one level down. Idle time costs nothing: a jump of hours is as cheap
//!   as a jump of a millisecond.
//! - Each bucket is an intrusive doubly linked list through the per-slot `next` / `prev` arrays
//!   (16-bit slot numbers); a node whose `prev` has the [`HEAD`] bit is the first of bucket
//!   `prev & !HEAD`. A slot that is not armed has `prev == NIL`. 8 bytes per slot in all.

/// Nanoseconds per tick.
pub const TICK_NS: u64 = 1_000_000;
/// Buckets per level.
pub const SLOTS: usize = 64;
/// Levels.
pub const LEVELS: usize = 5;
const BITS: u32 = 6;
/// Longest distance between `elapsed` and a deadline the wheel holds (`64^LEVELS - 1` ticks);
/// later deadlines are clamped to it (and re-checked by their owner when they fire).
pub const MAX_AHEAD: u64 = (1 << (BITS as u64 * LEVELS as u64)) - 1;
/// "No slot".
pub const NIL: u16 = u16::MAX;
/// `prev` of the first node of a bucket: `HEAD | bucket`.
pub const HEAD: u16 = 0x8000;

/// The timing wheel for `N` slots (`N` < 32768).
pub struct Wheel<const N: usize> {
    next: [u16; N],
    prev: [u16; N],
    /// Deadline tick, low 32 bits (a deadline is always within 2^32 ticks of `elapsed`).
    when: [u32; N],
    head: [u16; SLOTS * LEVELS],
    occupied: [u64; LEVELS],
    elapsed: u64,
    armed: u32,
}

const fn level_for(elapsed: u64, when: u64) -> usize {
    let mut masked = (elapsed ^ when) | (SLOTS as u64 - 1);
    if masked > MAX_AHEAD {
        masked = MAX_AHEAD;
    }
    let significant = 63 - masked.leading_zeros();
    (significant / BITS) as usize
}

const fn bucket_of(level: usize, when: u64) -> usize {
    level * SLOTS + ((when >> (BITS as usize * level)) as usize & (SLOTS - 1))
}

impl<const N: usize> Default for Wheel<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Wheel<N> {
    const CHECK: () = assert!(N < HEAD as usize, "slot numbers must fit 15 bits");

    /// An empty wheel at tick 0.
    pub const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let _ = Self::CHECK;
        Wheel {
            next: [NIL; N],
            prev: [NIL; N],
            when: [0; N],
            head: [NIL; SLOTS * LEVELS],
            occupied: [0; LEVELS],
            elapsed: 0,
            armed: 0,
        }
    }

    /// The wheel's current tick: every deadline up to it has been handed out.
    pub fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Timers armed.
    pub fn armed(&self) -> u32 {
        self.armed
    }

    pub fn is_armed(&self, slot: u16) -> bool {
        self.prev.get(slot as usize).is_some_and(|&p| p != NIL)
    }

    /// The deadline tick of an armed slot.
    pub fn deadline(&self, slot: u16) -> Option<u64> {
        if !self.is_armed(slot) {
            return None;
        }
        let w = self.when[slot as usize];
        Some(self.elapsed + w.wrapping_sub(self.elapsed as u32) as u64)
    }

    /// Arm (or re-arm) `slot` to fire at tick `when`. A deadline at or before `elapsed` fires at
    /// the next advance; one beyond [`MAX_AHEAD`] is clamped. Slots outside the wheel are ignored.
    pub fn arm(&mut self, slot: u16, when: u64) {
        if slot as usize >= N {
            return;
        }
        self.cancel(slot);
        let when = when.clamp(self.elapsed, self.elapsed + MAX_AHEAD);
        self.link(slot, when);
        self.armed += 1;
    }

    /// Disarm `slot` (nothing if it is not armed).
    pub fn cancel(&mut self, slot: u16) {
        if !self.is_armed(slot) {
            return;
        }
        self.unlink(slot);
        self.armed -= 1;
    }

    fn link(&mut self, slot: u16, when: u64) {
        let b = bucket_of(level_for(self.elapsed, when), when);
        let s = slot as usize;
        let first = self.head[b];
        self.when[s] = when as u32;
        self.next[s] = first;
        self.prev[s] = HEAD | b as u16;
        if first != NIL {
            self.prev[first as usize] = slot;
        }
        self.head[b] = slot;
        self.occupied[b / SLOTS] |= 1 << (b % SLOTS);
    }

    fn unlink(&mut self, slot: u16) {
        let s = slot as usize;
        let (p, n) = (self.prev[s], self.next[s]);
        if p & HEAD != 0 {
            let b = (p & !HEAD) as usize;
            self.head[b] = n;
            if n == NIL {
                self.occupied[b / SLOTS] &= !(1 << (b % SLOTS));
            } else {
                self.prev[n as usize] = p;
            }
        } else {
            self.next[p as usize] = n;
            if n != NIL {
                self.prev[n as usize] = p;
            }
        }
        self.prev[s] = NIL;
        self.next[s] = NIL;
    }

    /// The next non-empty bucket and the tick it is due at.
    fn next_bucket(&self) -> Option<(usize, u64)> {
        for level in 0..LEVELS {
            let occ = self.occupied[level];
            if occ == 0 {
                continue;
            }
            let slot_range = 1u64 << (BITS as usize * level);
            let level_range = slot_range << BITS;
            let now_slot = ((self.elapsed / slot_range) % SLOTS as u64) as u32;
            let slot = (occ.rotate_right(now_slot).trailing_zeros() + now_slot) as u64 % 64;
            let level_start = self.elapsed & !(level_range - 1);
            let mut due = level_start + slot * slot_range;
            // Below the top level a bucket never holds the current digit (those timers live a
            // level lower), so a start at or before `elapsed` is the top level's next lap.
            if level > 0 && due <= self.elapsed {
                due += level_range;
            }
            return Some((level * SLOTS + slot as usize, due));
        }
        None
    }

    /// The earliest tick at which [`Wheel::pop_expired`] may return a slot (a lower bound: a
    /// higher-level bucket may only cascade then).
    pub fn next_due(&self) -> Option<u64> {
        self.next_bucket().map(|(_, due)| due)
    }

    /// Hand out one slot whose deadline is at or before tick `now` (disarmed; its owner re-arms
    /// it if it wants), cascading buckets on the way. `None` when nothing is due by `now`;
    /// `elapsed` is then `now`. Ticks never go backwards: an earlier `now` only returns `None`.
    pub fn pop_expired(&mut self, now: u64) -> Option<u16> {
        loop {
            let Some((b, due)) = self.next_bucket() else {
                self.elapsed = self.elapsed.max(now);
                return None;
            };
            if due > now {
                self.elapsed = self.elapsed.max(now);
                return None;
            }
            self.elapsed = due;
            if b < SLOTS {
                let slot = self.head[b];
                self.unlink(slot);
                self.armed -= 1;
                return Some(slot);
            }
            // Cascade: every timer of the bucket moves to a lower level relative to `due`.
            let mut n = self.head[b];
            while n != NIL {
                let next = self.next[n as usize];
                let when = self.deadline(n).unwrap_or(due);
                self.unlink(n);
                self.link(n, when.max(due));
                n = next;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: every armed deadline in a plain array, fired in deadline order.
    fn check_against_reference(arms: &[(u16, u64)], steps: &[u64]) {
        let mut w: Wheel<64> = Wheel::new();
        let mut reference = [None::<u64>; 64];
        for &(s, t) in arms {
            w.arm(s, t);
            reference[s as usize] = Some(t);
        }
        for &now in steps {
            let mut fired = std::vec::Vec::new();
            while let Some(s) = w.pop_expired(now) {
                fired.push((s, w.elapsed()));
            }
            let mut expect: std::vec::Vec<u16> = (0..64u16)
                .filter(|&s| reference[s as usize].is_some_and(|t| t <= now))
                .collect();
            for &s in &expect {
                reference[s as usize] = None;
            }
            let mut got: std::vec::Vec<u16> = fired.iter().map(|&(s, _)| s).collect();
            for &(s, at) in &fired {
                // Each slot is handed out at its own deadline tick (elapsed == deadline).
                let t = arms.iter().rev().find(|a| a.0 == s).unwrap().1;
                assert_eq!(at, t, "slot {s} fired at tick {at}, deadline {t}");
            }
            got.sort();
            expect.sort();
            assert_eq!(got, expect, "at tick {now}");
        }
        assert_eq!(
            w.armed() as usize,
            reference.iter().filter(|r| r.is_some()).count()
        );
    }

    #[test]
    fn fires_each_deadline_at_its_tick_across_levels() {
        let arms: std::vec::Vec<(u16, u64)> = (0..64u16)
            .map(|s| (s, 1 + (s as u64 * 7919 * 7919 * 31) % (MAX_AHEAD / 2)))
            .collect();
        let mut steps: std::vec::Vec<u64> = arms.iter().map(|a| a.1).collect();
        steps.sort();
        check_against_reference(&arms, &steps);
    }

    #[test]
    fn a_coarse_advance_hands_out_everything_due() {
        let arms: std::vec::Vec<(u16, u64)> =
            (0..64u16).map(|s| (s, s as u64 * 1_000_003)).collect();
        check_against_reference(&arms, &[10, 5_000_000, 31_000_000, 64_000_000, 70_000_000]);
    }

    #[test]
    fn rearm_and_cancel_move_the_timer() {
        let mut w: Wheel<8> = Wheel::new();
        w.arm(3, 60_000);
        w.arm(4, 61_000);
        w.arm(3, 100); // earlier: must leave its level-2 bucket
        w.cancel(4);
        assert_eq!(w.pop_expired(99), None);
        assert_eq!(w.pop_expired(100), Some(3));
        assert_eq!(w.pop_expired(1_000_000), None);
        assert_eq!(w.armed(), 0);
        // Past deadlines fire at once; deadlines beyond the span are clamped.
        w.arm(1, 5);
        assert_eq!(w.pop_expired(w.elapsed()), Some(1));
        w.arm(2, u64::MAX);
        assert_eq!(w.deadline(2), Some(w.elapsed() + MAX_AHEAD));
    }

    #[test]
    fn many_timers_in_one_bucket_all_fire() {
        let mut w: Wheel<1000> = Wheel::new();
        for s in 0..1000u16 {
            w.arm(s, 60_000);
        }
        let mut n = 0;
        while let Some(_s) = w.pop_expired(60_000) {
            assert_eq!(w.elapsed(), 60_000);
            n += 1;
        }
        assert_eq!(n, 1000);
    }
}
