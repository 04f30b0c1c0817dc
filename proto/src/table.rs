//! The hardware connection table, as a model the hardware is compared with entry for entry.
//!
//! Geometry: `buckets` (a power of two) x `ways` slots; capacity = buckets * ways. A flow's
//! bucket is the low bits of its key hash; the hash is the cookie unit's H0 over the flow's
//! canonical 4-tuple (see [`crate::nic`]): the SipHash pipeline computes it for every segment
//! anyway, and being keyed by the secret it keeps an attacker from aiming many flows at one
//! bucket. A lookup compares the key against every way of the bucket in parallel; an insert
//! takes the lowest free way; when all ways are taken the insert fails ([`InsertError::BucketFull`])
//! and the caller applies the overflow policy (cookies for protected listeners, untracked
//! forwarding otherwise — nothing already in the table is evicted).
//!
//! An entry is [`ENTRY_WORDS`] 32-bit words, 40 bytes (Linux: 2,664 B per `tcp_sock`, 264 B per
//! TIME_WAIT socket). The target was 32 bytes; the last two words exist because a SYN-proxied
//! connection with timestamps needs a 32-bit TS offset and PAWS needs the peer's last TSval.
//!
//! | word | bits | field |
//! |---|---|---|
//! | 0 | 31:0 | peer (wire-side) IPv4 address, wire order as a big-endian u32 |
//! | 1 | 31:0 | host-side IPv4 address |
//! | 2 | 31:16, 15:0 | peer port, host port |
//! | 3 | 3:0 | [`TcpState`] code of the host endpoint |
//! | 3 | 7:4 | flags: [`flags::PROXIED`], [`flags::TS_OK`], [`flags::SIM_OPEN`], [`flags::OUTBOUND`] |
//! | 3 | 11:8, 15:12 | peer window scale, host window scale (15 = none offered) |
//! | 3 | 31:16 | stamp: device time of the last accepted segment, whole seconds mod 2^16 |
//! | 4 | 31:0 | peer_end: highest seq + len (+SYN/FIN) the peer sent (the host's RCV.NXT) |
//! | 5 | 31:0 | host_end: the same for the host (SND.NXT), in the host's sequence space |
//! | 6 | 31:16, 15:0 | peer max window, host max window, in units of each side's window scale |
//! | 7 | 31:0 | seq_off: SYN proxy cookie - host ISN (the cookie itself while the handoff is pending) |
//! | 8 | 31:0 | ts_off: host TSval - cookie TSval (the cookie TSval while the handoff is pending) |
//! | 9 | 31:0 | ts_recent: the peer's last TSval (PAWS) |

use crate::state::TcpState;

/// 32-bit words per table entry.
pub const ENTRY_WORDS: usize = 10;
/// Window-scale code meaning "no WS option seen".
pub const WS_NONE: u8 = 15;

/// Entry flag bits (word 3, bits 7:4).
pub mod flags {
    /// Handed off by the SYN proxy: every segment is translated.
    pub const PROXIED: u8 = 0x1;
    /// Both sides sent timestamps (RFC 7323 §3.2): PAWS applies.
    pub const TS_OK: u8 = 0x2;
    /// Reached SYN-RECEIVED by simultaneous open (RFC 9293 Fig. 7).
    pub const SIM_OPEN: u8 = 0x4;
    /// The host sent the first SYN (an active open).
    pub const OUTBOUND: u8 = 0x8;
}

/// A flow in canonical orientation: the peer is on the wire side, the host on the host side.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct FlowKey {
    pub peer_addr: [u8; 4],
    pub host_addr: [u8; 4],
    pub peer_port: u16,
    pub host_port: u16,
}

/// One connection, exactly as the hardware stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: FlowKey,
    pub state: TcpState,
    pub flags: u8,
    pub peer_ws: u8,
    pub host_ws: u8,
    pub stamp: u16,
    pub peer_end: u32,
    pub host_end: u32,
    pub peer_maxwin: u16,
    pub host_maxwin: u16,
    pub seq_off: u32,
    pub ts_off: u32,
    pub ts_recent: u32,
}

impl Entry {
    /// A fresh entry for `key` in `state`, with no window scale seen yet.
    pub fn new(key: FlowKey, state: TcpState) -> Entry {
        Entry {
            key,
            state,
            flags: 0,
            peer_ws: WS_NONE,
            host_ws: WS_NONE,
            stamp: 0,
            peer_end: 0,
            host_end: 0,
            peer_maxwin: 0,
            host_maxwin: 0,
            seq_off: 0,
            ts_off: 0,
            ts_recent: 0,
        }
    }

    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Window scaling is in force only when both SYNs carried WS (RFC 7323 §2.2).
    pub fn scaling(&self) -> bool {
        self.peer_ws != WS_NONE && self.host_ws != WS_NONE
    }

    /// The shift applied to the peer's (non-SYN) window field.
    pub fn peer_shift(&self) -> u32 {
        if self.scaling() {
            self.peer_ws.min(14) as u32
        } else {
            0
        }
    }

    /// The shift applied to the host's (non-SYN) window field.
    pub fn host_shift(&self) -> u32 {
        if self.scaling() {
            self.host_ws.min(14) as u32
        } else {
            0
        }
    }

    /// The largest window the peer offered, in bytes (conntrack `td_maxwin` of the peer).
    pub fn peer_maxwin_bytes(&self) -> u32 {
        (self.peer_maxwin as u32) << self.peer_shift()
    }

    /// The largest window the host offered, in bytes.
    pub fn host_maxwin_bytes(&self) -> u32 {
        (self.host_maxwin as u32) << self.host_shift()
    }

    /// The entry as the hardware stores it.
    pub fn pack(&self) -> [u32; ENTRY_WORDS] {
        [
            u32::from_be_bytes(self.key.peer_addr),
            u32::from_be_bytes(self.key.host_addr),
            (self.key.peer_port as u32) << 16 | self.key.host_port as u32,
            (self.state.code() as u32 & 0xF)
                | (self.flags as u32 & 0xF) << 4
                | (self.peer_ws as u32 & 0xF) << 8
                | (self.host_ws as u32 & 0xF) << 12
                | (self.stamp as u32) << 16,
            self.peer_end,
            self.host_end,
            (self.peer_maxwin as u32) << 16 | self.host_maxwin as u32,
            self.seq_off,
            self.ts_off,
            self.ts_recent,
        ]
    }

    /// Decode a stored entry; `None` when the state code is not one of the 11 states.
    pub fn unpack(w: &[u32; ENTRY_WORDS]) -> Option<Entry> {
        Some(Entry {
            key: FlowKey {
                peer_addr: w[0].to_be_bytes(),
                host_addr: w[1].to_be_bytes(),
                peer_port: (w[2] >> 16) as u16,
                host_port: w[2] as u16,
            },
            state: TcpState::from_code((w[3] & 0xF) as u8)?,
            flags: ((w[3] >> 4) & 0xF) as u8,
            peer_ws: ((w[3] >> 8) & 0xF) as u8,
            host_ws: ((w[3] >> 12) & 0xF) as u8,
            stamp: (w[3] >> 16) as u16,
            peer_end: w[4],
            host_end: w[5],
            peer_maxwin: (w[6] >> 16) as u16,
            host_maxwin: w[6] as u16,
            seq_off: w[7],
            ts_off: w[8],
            ts_recent: w[9],
        })
    }
}

/// Table shape: a build-time parameter of the hardware.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Geometry {
    /// Number of buckets, a power of two.
    pub buckets: u32,
    /// Slots per bucket, compared in parallel.
    pub ways: u32,
}

impl Geometry {
    /// The large configuration, for boards with UltraRAM (Alveo U50/U250): 256 Ki x 4 = 1 Mi.
    pub const LARGE: Geometry = Geometry {
        buckets: 1 << 18,
        ways: 4,
    };
    /// The small configuration, fitting an ECP5-45k's block RAM: 1 Ki x 4 = 4 Ki entries.
    pub const SMALL: Geometry = Geometry {
        buckets: 1 << 10,
        ways: 4,
    };

    pub const fn capacity(&self) -> usize {
        (self.buckets * self.ways) as usize
    }

    /// The bucket of a flow whose key hash is `hash`.
    pub const fn bucket(&self, hash: u32) -> u32 {
        hash & (self.buckets - 1)
    }

    /// The slot index of `way` in `bucket`.
    pub const fn slot(&self, bucket: u32, way: u32) -> u32 {
        bucket * self.ways + way
    }
}

/// Why an insert failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertError {
    /// Every way of the flow's bucket is taken (the table's overflow behaviour: no eviction).
    BucketFull,
}

/// The table itself (the model needs the heap; the firmware reaches the hardware table through
/// the table-access registers instead).
#[cfg(feature = "std")]
#[derive(Clone, Debug)]
pub struct Table {
    geometry: Geometry,
    slots: std::vec::Vec<Option<Entry>>,
    occupied: usize,
}

#[cfg(feature = "std")]
impl Table {
    pub fn new(geometry: Geometry) -> Table {
        assert!(
            geometry.buckets.is_power_of_two() && geometry.ways > 0,
            "bad table geometry"
        );
        Table {
            geometry,
            slots: std::vec![None; geometry.capacity()],
            occupied: 0,
        }
    }

    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Entries in use.
    pub fn occupancy(&self) -> usize {
        self.occupied
    }

    /// The slot holding `key`, if any.
    pub fn lookup(&self, key: &FlowKey, hash: u32) -> Option<u32> {
        let b = self.geometry.bucket(hash);
        (0..self.geometry.ways)
            .map(|w| self.geometry.slot(b, w))
            .find(|&s| matches!(&self.slots[s as usize], Some(e) if e.key == *key))
    }

    /// Whether every way of the bucket of `hash` is taken.
    pub fn bucket_full(&self, hash: u32) -> bool {
        let b = self.geometry.bucket(hash);
        (0..self.geometry.ways).all(|w| self.slots[self.geometry.slot(b, w) as usize].is_some())
    }

    /// Insert into the lowest free way of the bucket; returns the slot.
    pub fn insert(&mut self, entry: Entry, hash: u32) -> Result<u32, InsertError> {
        let b = self.geometry.bucket(hash);
        let slot = (0..self.geometry.ways)
            .map(|w| self.geometry.slot(b, w))
            .find(|&s| self.slots[s as usize].is_none())
            .ok_or(InsertError::BucketFull)?;
        self.slots[slot as usize] = Some(entry);
        self.occupied += 1;
        Ok(slot)
    }

    pub fn get(&self, slot: u32) -> Option<&Entry> {
        self.slots.get(slot as usize).and_then(|e| e.as_ref())
    }

    pub fn get_mut(&mut self, slot: u32) -> Option<&mut Entry> {
        self.slots.get_mut(slot as usize).and_then(|e| e.as_mut())
    }

    /// Free a slot; returns what it held.
    pub fn remove(&mut self, slot: u32) -> Option<Entry> {
        let e = self.slots.get_mut(slot as usize)?.take();
        if e.is_some() {
            self.occupied -= 1;
        }
        e
    }

    /// Occupied slots with their entries, in slot order (what a bulk dump transfers).
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Entry)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (i as u32, e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> FlowKey {
        FlowKey {
            peer_addr: [10, 0, 0, n],
            host_addr: [10, 0, 1, 1],
            peer_port: 40000 + n as u16,
            host_port: 80,
        }
    }

    #[test]
    fn pack_round_trip() {
        let mut e = Entry::new(key(1), TcpState::FinWait2);
        e.flags = flags::PROXIED | flags::TS_OK;
        e.peer_ws = 7;
        e.stamp = 0xBEEF;
        e.peer_end = 1;
        e.host_end = 2;
        e.peer_maxwin = 3;
        e.host_maxwin = 4;
        e.seq_off = 5;
        e.ts_off = 6;
        e.ts_recent = 7;
        assert_eq!(Entry::unpack(&e.pack()), Some(e));
        let mut w = e.pack();
        w[3] = (w[3] & !0xF) | 11;
        assert_eq!(Entry::unpack(&w), None, "code 11 is not a state");
    }

    #[test]
    fn bucket_overflow_refuses_without_evicting() {
        let mut t = Table::new(Geometry {
            buckets: 4,
            ways: 2,
        });
        let h = 6; // every key aimed at bucket 2
        let s0 = t
            .insert(Entry::new(key(1), TcpState::Established), h)
            .unwrap();
        let s1 = t
            .insert(Entry::new(key(2), TcpState::Established), h)
            .unwrap();
        assert_eq!((s0, s1), (4, 5));
        assert!(t.bucket_full(h));
        assert_eq!(
            t.insert(Entry::new(key(3), TcpState::Established), h),
            Err(InsertError::BucketFull)
        );
        assert_eq!(t.lookup(&key(2), h), Some(5));
        assert_eq!(t.lookup(&key(3), h), None);
        t.remove(s0);
        assert_eq!(
            t.insert(Entry::new(key(3), TcpState::Established), h),
            Ok(4)
        );
        assert_eq!(t.occupancy(), 2);
    }
}
