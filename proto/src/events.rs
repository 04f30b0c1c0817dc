//! # Descriptors and rings
//!
//! The fixed-size records the device and the host exchange outside the registers, each a fixed
//! number of 32-bit words (little-endian in host memory), and the ring protocol that carries
//! them. Layouts are in `docs/contract.md`; this module is their only definition.
//!
//! | record | words | carried by |
//! |---|---|---|
//! | [`TransitionEvent`], [`AlarmEvent`] ([`Event`]) | [`EVENT_WORDS`] | the event ring |
//! | [`LogChunk`] | [`LOG_WORDS`] | the log ring |
//! | [`PuntDesc`] | [`PUNT_WORDS`] | the exception queue (`regs::xq::DESC`) |
//! | [`DumpRecord`] | [`DUMP_RECORD_WORDS`] | the bulk table dump buffer |
//! | [`MailboxCommand`], [`MailboxReply`] | [`MBOX_REQ_WORDS`], [`MBOX_REPLY_WORDS`] | the mailbox registers |
//!
//! ## Ring protocol (Corundum's phase bit)
//!
//! A ring has `2^log2` slots. Producer and consumer keep free-running 32-bit indices; index `i`
//! lives in slot `i mod 2^log2` and its descriptor carries phase [`phase_for`]`(i)`: 1 on the
//! first lap, 0 on the second, 1 on the third... (bit `log2` of `i`, inverted). The producer
//! writes a descriptor with its phase in bit 31 of word 0 ([`PHASE_BIT`]) and never gets more
//! than `2^log2` ahead of the consumer's index (the ring's CONS register); the consumer knows the
//! slot at its index holds a new descriptor when the phase bit equals the phase it expects, so
//! the device never has to clear a slot and the host never has to read PROD. The host zeroes the
//! ring before enabling it, so nothing in it looks new on the first lap. [`RingProducer`] and
//! [`RingConsumer`] are the two halves of the protocol as pure logic.
//!
//! Reserved bits are written as zero and ignored by readers (a minor version may give them a
//! meaning). Codes that are not defined (a state 11..15, an unknown cause) are errors.

use crate::config::Key128;
use crate::decision::{Port, PuntReason};
use crate::state::TcpState;
use crate::table::{Entry, FlowKey, ENTRY_WORDS};
use crate::time::Instant;

/// Bit 31 of word 0 of every ring descriptor: its phase.
pub const PHASE_BIT: u32 = 1 << 31;

/// Words of an event-ring descriptor (32 bytes).
pub const EVENT_WORDS: usize = 8;
/// Words of a log-ring descriptor (32 bytes).
pub const LOG_WORDS: usize = 8;
/// Words of an exception-queue descriptor.
pub const PUNT_WORDS: usize = 4;
/// Words of a bulk-dump record: the slot, then the entry.
pub const DUMP_RECORD_WORDS: usize = 1 + ENTRY_WORDS;
/// Argument words of a mailbox command.
pub const MBOX_ARGS: usize = 8;
/// Reply words of a mailbox command.
pub const MBOX_RESP: usize = 8;
/// The mailbox request image: CMD then the ARG words.
pub const MBOX_REQ_WORDS: usize = 1 + MBOX_ARGS;
/// The mailbox reply image: STATUS, RESP_LEN, then the RESP words.
pub const MBOX_REPLY_WORDS: usize = 2 + MBOX_RESP;
/// Payload bytes of one log-ring descriptor.
pub const LOG_CHUNK_BYTES: usize = 4 * (LOG_WORDS - 2);
/// Largest ring [`RingConsumer`] and [`RingProducer`] accept (2^20 descriptors).
pub const MAX_RING_LOG2: u8 = 20;

/// Descriptor type codes (bits 7:0 of word 0).
pub mod desc_type {
    /// [`super::TransitionEvent`].
    pub const TRANSITION: u8 = 0x01;
    /// [`super::AlarmEvent`].
    pub const ALARM: u8 = 0x02;
    /// [`super::LogChunk`].
    pub const LOG: u8 = 0x10;
    /// [`super::PuntDesc`].
    pub const PUNT: u8 = 0x20;
}

/// Why a record did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Word 0's type code is not the one expected (or not one we know).
    BadType(u8),
    /// A state code 11..15.
    BadState(u8),
    /// An undefined [`TransitionCause`] code.
    BadCause(u8),
    /// An undefined [`AlarmKind`] code.
    BadAlarm(u8),
    /// An undefined [`PuntReason`] code.
    BadReason(u8),
    /// A length field larger than the record can hold.
    BadLength(u32),
    /// An undefined mailbox command id.
    BadCommand(u16),
    /// A mailbox argument out of its range (port code, state mask, level, ...).
    BadArgument { index: u8, value: u32 },
    /// An undefined mailbox error code.
    BadStatus(u8),
    /// The mailbox STATUS is not DONE: there is no reply to decode.
    NotDone,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            DecodeError::BadType(t) => write!(f, "unexpected descriptor type {t:#04x}"),
            DecodeError::BadState(s) => write!(f, "state code {s} is not a TCP state"),
            DecodeError::BadCause(c) => write!(f, "unknown transition cause {c}"),
            DecodeError::BadAlarm(a) => write!(f, "unknown alarm kind {a}"),
            DecodeError::BadReason(r) => write!(f, "unknown punt reason {r}"),
            DecodeError::BadLength(l) => write!(f, "length {l} too large"),
            DecodeError::BadCommand(c) => write!(f, "unknown mailbox command {c}"),
            DecodeError::BadArgument { index, value } => {
                write!(f, "mailbox argument {index}: {value:#x} out of range")
            }
            DecodeError::BadStatus(s) => write!(f, "unknown mailbox error code {s}"),
            DecodeError::NotDone => f.write_str("mailbox reply not ready"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DecodeError {}

/// A fixed-size descriptor with a phase bit, carried by a ring.
pub trait Descriptor<const N: usize>: Sized {
    fn encode(&self, phase: bool) -> [u32; N];
    fn decode(words: &[u32; N]) -> Result<(Self, bool), DecodeError>;
}

/// The phase bit of a descriptor's word 0.
pub const fn phase_of(word0: u32) -> bool {
    word0 & PHASE_BIT != 0
}

/// The phase a descriptor at free-running index `index` of a `2^log2` ring carries.
pub const fn phase_for(index: u32, log2: u8) -> bool {
    (index >> log2) & 1 == 0
}

const fn phase_word(phase: bool) -> u32 {
    if phase {
        PHASE_BIT
    } else {
        0
    }
}

fn state(code: u32) -> Result<TcpState, DecodeError> {
    let c = (code & 0xF) as u8;
    TcpState::from_code(c).ok_or(DecodeError::BadState(c))
}

fn expect_type(word0: u32, ty: u8) -> Result<(), DecodeError> {
    let t = word0 as u8;
    if t == ty {
        Ok(())
    } else {
        Err(DecodeError::BadType(t))
    }
}

fn key_words(k: &FlowKey) -> [u32; 3] {
    [
        u32::from_be_bytes(k.peer_addr),
        u32::from_be_bytes(k.host_addr),
        (k.peer_port as u32) << 16 | k.host_port as u32,
    ]
}

fn key_from(w: &[u32]) -> FlowKey {
    let g = |i: usize| w.get(i).copied().unwrap_or(0);
    FlowKey {
        peer_addr: g(0).to_be_bytes(),
        host_addr: g(1).to_be_bytes(),
        peer_port: (g(2) >> 16) as u16,
        host_port: g(2) as u16,
    }
}

/// The code of a port in descriptors and mailbox arguments: wire 0, host 1.
pub const fn port_code(p: Port) -> u8 {
    match p {
        Port::Wire => 0,
        Port::Host => 1,
    }
}

/// The port with this code.
pub const fn port_from_code(c: u8) -> Option<Port> {
    match c {
        0 => Some(Port::Wire),
        1 => Some(Port::Host),
        _ => None,
    }
}

/// The code of a punt reason in [`PuntDesc`].
pub const fn punt_code(r: PuntReason) -> u8 {
    match r {
        PuntReason::Ipv4Fragment => 0,
        PuntReason::Ipv6 => 1,
        PuntReason::Malformed => 2,
    }
}

/// The punt reason with this code.
pub const fn punt_from_code(c: u8) -> Option<PuntReason> {
    match c {
        0 => Some(PuntReason::Ipv4Fragment),
        1 => Some(PuntReason::Ipv6),
        2 => Some(PuntReason::Malformed),
        _ => None,
    }
}

// ---- event ring ---------------------------------------------------------------------------

/// What made a connection change state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TransitionCause {
    /// A segment from the wire (the peer).
    WireSegment = 0,
    /// A segment from the host.
    HostSegment = 1,
    /// The SYN proxy handed a validated cookie connection to the host.
    ProxyHandoff = 2,
    /// A timer expired the entry (TIME-WAIT, idle, half-open).
    Timeout = 3,
    /// Keepalive found the peer gone; the NIC reset the connection.
    KeepaliveFailed = 4,
    /// The host removed the entry (table window, `RemoveEntry`, `Flush`).
    HostRequest = 5,
    /// A newer SYN reused a TIME-WAIT 4-tuple (RFC 6191).
    Recycled = 6,
}

impl TransitionCause {
    pub const ALL: [TransitionCause; 7] = [
        TransitionCause::WireSegment,
        TransitionCause::HostSegment,
        TransitionCause::ProxyHandoff,
        TransitionCause::Timeout,
        TransitionCause::KeepaliveFailed,
        TransitionCause::HostRequest,
        TransitionCause::Recycled,
    ];
    pub const fn from_code(c: u8) -> Option<TransitionCause> {
        if (c as usize) < TransitionCause::ALL.len() {
            Some(TransitionCause::ALL[c as usize])
        } else {
            None
        }
    }
}

/// A state change of one connection's host endpoint.
///
/// | word | bits | field |
/// |---|---|---|
/// | 0 | 31 | phase |
/// | 0 | 23:16, 15:12, 11:8, 7:0 | cause, new state, old state, type = 0x01 |
/// | 1, 2 | 31:0 | peer address, host address (big-endian) |
/// | 3 | 31:16, 15:0 | peer port, host port |
/// | 4, 5 | 31:0 | device time in ns, lo, hi |
/// | 6 | 31:0 | table slot |
/// | 7 | 3:0 | the entry's flags after the change (`table::flags`) |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransitionEvent {
    pub key: FlowKey,
    pub old: TcpState,
    pub new: TcpState,
    pub cause: TransitionCause,
    pub at: Instant,
    pub slot: u32,
    pub flags: u8,
}

impl TransitionEvent {
    pub fn encode(&self, phase: bool) -> [u32; EVENT_WORDS] {
        let k = key_words(&self.key);
        [
            phase_word(phase)
                | (self.cause as u32) << 16
                | (self.new.code() as u32) << 12
                | (self.old.code() as u32) << 8
                | desc_type::TRANSITION as u32,
            k[0],
            k[1],
            k[2],
            self.at.nanos() as u32,
            (self.at.nanos() >> 32) as u32,
            self.slot,
            self.flags as u32 & 0xF,
        ]
    }

    pub fn decode(w: &[u32; EVENT_WORDS]) -> Result<(Self, bool), DecodeError> {
        expect_type(w[0], desc_type::TRANSITION)?;
        let c = (w[0] >> 16) as u8;
        Ok((
            TransitionEvent {
                key: key_from(&w[1..4]),
                old: state(w[0] >> 8)?,
                new: state(w[0] >> 12)?,
                cause: TransitionCause::from_code(c).ok_or(DecodeError::BadCause(c))?,
                at: Instant::from_nanos((w[5] as u64) << 32 | w[4] as u64),
                slot: w[6],
                flags: (w[7] & 0xF) as u8,
            },
            phase_of(w[0]),
        ))
    }

    /// The event for a transition of the reference model.
    #[cfg(feature = "std")]
    pub fn from_transition(t: &crate::nic::Transition, cause: TransitionCause, flags: u8) -> Self {
        TransitionEvent {
            key: t.key,
            old: t.old,
            new: t.new,
            cause,
            at: t.at,
            slot: t.slot,
            flags,
        }
    }
}

/// Kinds of alarm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AlarmKind {
    /// A connection stayed in CLOSE-WAIT longer than `close_wait_alarm` (the application never
    /// called close()); value = age in seconds.
    CloseWaitAge = 0,
    /// A mode-1 listener switched to cookies; value = SYNs in the last second. The key's host
    /// side is the listener, its peer side zero.
    FloodStart = 1,
    /// The listener left cookie mode; value = SYNs in the last second.
    FloodEnd = 2,
}

impl AlarmKind {
    pub const ALL: [AlarmKind; 3] = [
        AlarmKind::CloseWaitAge,
        AlarmKind::FloodStart,
        AlarmKind::FloodEnd,
    ];
    pub const fn from_code(c: u8) -> Option<AlarmKind> {
        if (c as usize) < AlarmKind::ALL.len() {
            Some(AlarmKind::ALL[c as usize])
        } else {
            None
        }
    }
}

/// An alarm naming a connection or a listener.
///
/// | word | bits | field |
/// |---|---|---|
/// | 0 | 31 | phase |
/// | 0 | 23:16, 11:8, 7:0 | alarm kind, connection state, type = 0x02 |
/// | 1..3 | | the 4-tuple, as in a transition |
/// | 4, 5 | 31:0 | device time in ns, lo, hi |
/// | 6 | 31:0 | table slot (`u32::MAX` = none) |
/// | 7 | 31:0 | value (see [`AlarmKind`]) |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlarmEvent {
    pub kind: AlarmKind,
    pub key: FlowKey,
    pub state: TcpState,
    pub at: Instant,
    pub slot: u32,
    pub value: u32,
}

impl AlarmEvent {
    pub fn encode(&self, phase: bool) -> [u32; EVENT_WORDS] {
        let k = key_words(&self.key);
        [
            phase_word(phase)
                | (self.kind as u32) << 16
                | (self.state.code() as u32) << 8
                | desc_type::ALARM as u32,
            k[0],
            k[1],
            k[2],
            self.at.nanos() as u32,
            (self.at.nanos() >> 32) as u32,
            self.slot,
            self.value,
        ]
    }

    pub fn decode(w: &[u32; EVENT_WORDS]) -> Result<(Self, bool), DecodeError> {
        expect_type(w[0], desc_type::ALARM)?;
        let k = (w[0] >> 16) as u8;
        Ok((
            AlarmEvent {
                kind: AlarmKind::from_code(k).ok_or(DecodeError::BadAlarm(k))?,
                key: key_from(&w[1..4]),
                state: state(w[0] >> 8)?,
                at: Instant::from_nanos((w[5] as u64) << 32 | w[4] as u64),
                slot: w[6],
                value: w[7],
            },
            phase_of(w[0]),
        ))
    }
}

/// Anything on the event ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Transition(TransitionEvent),
    Alarm(AlarmEvent),
}

impl Event {
    pub fn encode(&self, phase: bool) -> [u32; EVENT_WORDS] {
        match self {
            Event::Transition(t) => t.encode(phase),
            Event::Alarm(a) => a.encode(phase),
        }
    }

    pub fn decode(w: &[u32; EVENT_WORDS]) -> Result<(Self, bool), DecodeError> {
        match w[0] as u8 {
            desc_type::TRANSITION => {
                TransitionEvent::decode(w).map(|(t, p)| (Event::Transition(t), p))
            }
            desc_type::ALARM => AlarmEvent::decode(w).map(|(a, p)| (Event::Alarm(a), p)),
            t => Err(DecodeError::BadType(t)),
        }
    }
}

impl Descriptor<EVENT_WORDS> for Event {
    fn encode(&self, phase: bool) -> [u32; EVENT_WORDS] {
        Event::encode(self, phase)
    }
    fn decode(w: &[u32; EVENT_WORDS]) -> Result<(Self, bool), DecodeError> {
        Event::decode(w)
    }
}

// ---- log ring ----------------------------------------------------------------------------

/// A piece of a defmt log frame. A frame longer than [`LOG_CHUNK_BYTES`] spans consecutive
/// descriptors, the first with `first`, the last with `last` (a short frame is one descriptor
/// with both). `seq` counts descriptors of the log stream (wrapping), so a lost chunk shows as a
/// gap even inside a frame.
///
/// | word | bits | field |
/// |---|---|---|
/// | 0 | 31 | phase |
/// | 0 | 23:16, 9, 8, 7:0 | bytes used (0..24), last, first, type = 0x10 |
/// | 1 | 31:0 | descriptor sequence number (wraps) |
/// | 2..7 | | payload: byte `i` in word `2 + i/4`, bits `8(i%4)+7 : 8(i%4)` (so the bytes lie in order in host memory) |
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogChunk {
    pub seq: u32,
    pub first: bool,
    pub last: bool,
    pub data: heapless::Vec<u8, LOG_CHUNK_BYTES>,
}

impl LogChunk {
    pub fn encode(&self, phase: bool) -> [u32; LOG_WORDS] {
        let mut w = [0u32; LOG_WORDS];
        w[0] = phase_word(phase)
            | (self.data.len() as u32) << 16
            | (self.last as u32) << 9
            | (self.first as u32) << 8
            | desc_type::LOG as u32;
        w[1] = self.seq;
        for (i, b) in self.data.iter().enumerate() {
            if let Some(x) = w.get_mut(2 + i / 4) {
                *x |= (*b as u32) << (8 * (i % 4));
            }
        }
        w
    }

    pub fn decode(w: &[u32; LOG_WORDS]) -> Result<(Self, bool), DecodeError> {
        expect_type(w[0], desc_type::LOG)?;
        let len = (w[0] >> 16) & 0xFF;
        if len as usize > LOG_CHUNK_BYTES {
            return Err(DecodeError::BadLength(len));
        }
        let mut data = heapless::Vec::new();
        for i in 0..len as usize {
            let word = w.get(2 + i / 4).copied().unwrap_or(0);
            let _ = data.push((word >> (8 * (i % 4))) as u8);
        }
        Ok((
            LogChunk {
                seq: w[1],
                first: w[0] & (1 << 8) != 0,
                last: w[0] & (1 << 9) != 0,
                data,
            },
            phase_of(w[0]),
        ))
    }

    /// The chunks of a log frame (at least one, even for an empty frame), numbered from `seq`.
    pub fn split(seq: u32, frame: &[u8]) -> impl Iterator<Item = LogChunk> + '_ {
        let n = frame.len().div_ceil(LOG_CHUNK_BYTES).max(1);
        (0..n).map(move |i| {
            let start = i * LOG_CHUNK_BYTES;
            let end = (start + LOG_CHUNK_BYTES).min(frame.len());
            let mut data = heapless::Vec::new();
            let _ = data.extend_from_slice(frame.get(start..end).unwrap_or(&[]));
            LogChunk {
                seq: seq.wrapping_add(i as u32),
                first: i == 0,
                last: i + 1 == n,
                data,
            }
        })
    }
}

impl Descriptor<LOG_WORDS> for LogChunk {
    fn encode(&self, phase: bool) -> [u32; LOG_WORDS] {
        LogChunk::encode(self, phase)
    }
    fn decode(w: &[u32; LOG_WORDS]) -> Result<(Self, bool), DecodeError> {
        LogChunk::decode(w)
    }
}

/// Joins [`LogChunk`]s back into frames of at most `MAX` bytes. A gap in the sequence numbers
/// (a lost descriptor) or a frame too long discards the frame and counts it once; its remaining
/// chunks are skipped up to its last one.
#[derive(Clone, Debug, Default)]
pub struct LogAssembler<const MAX: usize> {
    buf: heapless::Vec<u8, MAX>,
    /// The sequence number the next chunk of the frame in progress must have.
    expect: Option<u32>,
    /// Skipping the rest of a discarded frame.
    skipping: bool,
    discarded: u32,
}

impl<const MAX: usize> LogAssembler<MAX> {
    pub fn new() -> Self {
        LogAssembler {
            buf: heapless::Vec::new(),
            expect: None,
            skipping: false,
            discarded: 0,
        }
    }

    /// Frames discarded so far.
    pub fn discarded(&self) -> u32 {
        self.discarded
    }

    fn discard(&mut self, last: bool) {
        self.discarded = self.discarded.wrapping_add(1);
        self.expect = None;
        self.buf.clear();
        self.skipping = !last;
    }

    /// Add a chunk; returns the frame when this chunk completes one.
    pub fn push(&mut self, c: &LogChunk) -> Option<&[u8]> {
        if c.first {
            if self.expect.is_some() {
                self.discard(true);
            }
            self.skipping = false;
            self.buf.clear();
        } else if self.expect != Some(c.seq) {
            // A gap: part of the frame in progress, or the start of this one, was lost.
            if self.skipping {
                self.skipping = !c.last;
            } else {
                self.discard(c.last);
            }
            return None;
        }
        if self.buf.extend_from_slice(&c.data).is_err() {
            self.discard(c.last);
            return None;
        }
        if c.last {
            self.expect = None;
            Some(&self.buf)
        } else {
            self.expect = Some(c.seq.wrapping_add(1));
            None
        }
    }
}

// ---- exception queue ------------------------------------------------------------------------

/// A frame the pipeline handed to the firmware.
///
/// | word | bits | field |
/// |---|---|---|
/// | 0 | 31 | phase (in `regs::xq::DESC`: 1 = a frame is waiting) |
/// | 0 | 16, 11:8, 7:0 | ingress port (0 wire, 1 host), reason ([`punt_code`]), type = 0x20 |
/// | 1 | 15:0 | frame length in bytes |
/// | 2, 3 | 31:0 | device time of arrival in ns, lo, hi |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PuntDesc {
    pub port: Port,
    pub reason: PuntReason,
    pub len: u16,
    pub at: Instant,
}

impl PuntDesc {
    pub fn encode(&self, phase: bool) -> [u32; PUNT_WORDS] {
        [
            phase_word(phase)
                | (port_code(self.port) as u32) << 16
                | (punt_code(self.reason) as u32) << 8
                | desc_type::PUNT as u32,
            self.len as u32,
            self.at.nanos() as u32,
            (self.at.nanos() >> 32) as u32,
        ]
    }

    pub fn decode(w: &[u32; PUNT_WORDS]) -> Result<(Self, bool), DecodeError> {
        expect_type(w[0], desc_type::PUNT)?;
        let r = ((w[0] >> 8) & 0xF) as u8;
        Ok((
            PuntDesc {
                port: if w[0] & (1 << 16) != 0 {
                    Port::Host
                } else {
                    Port::Wire
                },
                reason: punt_from_code(r).ok_or(DecodeError::BadReason(r))?,
                len: w[1] as u16,
                at: Instant::from_nanos((w[3] as u64) << 32 | w[2] as u64),
            },
            phase_of(w[0]),
        ))
    }
}

impl Descriptor<PUNT_WORDS> for PuntDesc {
    fn encode(&self, phase: bool) -> [u32; PUNT_WORDS] {
        PuntDesc::encode(self, phase)
    }
    fn decode(w: &[u32; PUNT_WORDS]) -> Result<(Self, bool), DecodeError> {
        PuntDesc::decode(w)
    }
}

// ---- bulk dump ------------------------------------------------------------------------------

/// One occupied slot as the bulk dump writes it: word 0 the slot, words 1.. the entry
/// ([`Entry::pack`]). Records are packed back to back; no phase (DUMP_COUNT says how many).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DumpRecord {
    pub slot: u32,
    pub entry: Entry,
}

impl DumpRecord {
    pub fn encode(&self) -> [u32; DUMP_RECORD_WORDS] {
        let mut w = [0u32; DUMP_RECORD_WORDS];
        w[0] = self.slot;
        w[1..].copy_from_slice(&self.entry.pack());
        w
    }

    pub fn decode(w: &[u32; DUMP_RECORD_WORDS]) -> Result<Self, DecodeError> {
        let mut e = [0u32; ENTRY_WORDS];
        e.copy_from_slice(&w[1..]);
        Ok(DumpRecord {
            slot: w[0],
            entry: Entry::unpack(&e).ok_or(DecodeError::BadState((w[4] & 0xF) as u8))?,
        })
    }
}

// ---- mailbox -------------------------------------------------------------------------------

/// Mailbox command ids (CMD bits 15:0).
pub mod cmd_id {
    pub const PING: u16 = 0;
    pub const CONFIG_SET: u16 = 1;
    pub const TABLE_DUMP: u16 = 2;
    pub const FLUSH: u16 = 3;
    pub const REMOVE_ENTRY: u16 = 4;
    pub const INJECT_FRAME: u16 = 5;
    pub const SET_SECRET: u16 = 6;
    pub const SET_LOG_LEVEL: u16 = 7;
}

/// A state mask with every state's bit (bit `n` = the state with code `n`).
pub const STATES_ALL: u16 = (1 << 11) - 1;

/// The mask bit of a state.
pub const fn state_bit(s: TcpState) -> u16 {
    1 << s.code()
}

/// A host-to-firmware command. Arguments are ARG words 0.. in the order listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailboxCommand {
    /// Is the firmware alive? Reply: firmware version.
    Ping,
    /// The host wrote and applied the Config block; the firmware reloads what it uses (timers,
    /// keepalive). Args: the APPLY generation. Reply: the generation now in use.
    ConfigSet { generation: u32 },
    /// A filtered dump by the firmware (the hardware dump takes every slot). Args: buffer
    /// address lo, hi, length in bytes, first slot, state mask. Reply: records written, next slot
    /// (the table's capacity when finished). Records are [`DumpRecord`]s.
    TableDump {
        addr: u64,
        len: u32,
        start_slot: u32,
        states: u16,
    },
    /// Remove every entry whose state is in the mask (`conntrack -F`). Args: state mask. Reply:
    /// entries removed.
    Flush { states: u16 },
    /// Remove one connection. Args: peer address, host address, peer port << 16 | host port.
    /// Reply: its slot, its state.
    RemoveEntry { key: FlowKey },
    /// Send a frame the host placed in DMA memory. Args: port, length, address lo, hi.
    InjectFrame { port: Port, len: u16, addr: u64 },
    /// Install a new SYN-cookie key (lands in the Config block's COOKIE_KEY, applied). Args: the
    /// 8 key words in COOKIE_KEY order. Reply: the APPLY generation.
    SetSecret { key: [Key128; 2] },
    /// Set the firmware's defmt log level. Args: 0 trace, 1 debug, 2 info, 3 warn, 4 error.
    SetLogLevel { level: u8 },
}

impl MailboxCommand {
    /// Every command's id and name (for docs and tools).
    pub const NAMES: [(u16, &'static str); 8] = [
        (cmd_id::PING, "Ping"),
        (cmd_id::CONFIG_SET, "ConfigSet"),
        (cmd_id::TABLE_DUMP, "TableDump"),
        (cmd_id::FLUSH, "Flush"),
        (cmd_id::REMOVE_ENTRY, "RemoveEntry"),
        (cmd_id::INJECT_FRAME, "InjectFrame"),
        (cmd_id::SET_SECRET, "SetSecret"),
        (cmd_id::SET_LOG_LEVEL, "SetLogLevel"),
    ];

    pub const fn id(&self) -> u16 {
        match self {
            MailboxCommand::Ping => cmd_id::PING,
            MailboxCommand::ConfigSet { .. } => cmd_id::CONFIG_SET,
            MailboxCommand::TableDump { .. } => cmd_id::TABLE_DUMP,
            MailboxCommand::Flush { .. } => cmd_id::FLUSH,
            MailboxCommand::RemoveEntry { .. } => cmd_id::REMOVE_ENTRY,
            MailboxCommand::InjectFrame { .. } => cmd_id::INJECT_FRAME,
            MailboxCommand::SetSecret { .. } => cmd_id::SET_SECRET,
            MailboxCommand::SetLogLevel { .. } => cmd_id::SET_LOG_LEVEL,
        }
    }

    /// The request image: CMD (id | tag << 16), then the ARG words.
    pub fn encode(&self, tag: u16) -> [u32; MBOX_REQ_WORDS] {
        let mut w = [0u32; MBOX_REQ_WORDS];
        w[0] = self.id() as u32 | (tag as u32) << 16;
        let a = &mut w[1..];
        match *self {
            MailboxCommand::Ping => {}
            MailboxCommand::ConfigSet { generation } => a[0] = generation,
            MailboxCommand::TableDump {
                addr,
                len,
                start_slot,
                states,
            } => {
                a[0] = addr as u32;
                a[1] = (addr >> 32) as u32;
                a[2] = len;
                a[3] = start_slot;
                a[4] = states as u32;
            }
            MailboxCommand::Flush { states } => a[0] = states as u32,
            MailboxCommand::RemoveEntry { key } => a[..3].copy_from_slice(&key_words(&key)),
            MailboxCommand::InjectFrame { port, len, addr } => {
                a[0] = port_code(port) as u32;
                a[1] = len as u32;
                a[2] = addr as u32;
                a[3] = (addr >> 32) as u32;
            }
            MailboxCommand::SetSecret { key } => {
                for (i, v) in [key[0][0], key[0][1], key[1][0], key[1][1]]
                    .into_iter()
                    .enumerate()
                {
                    a[2 * i] = v as u32;
                    a[2 * i + 1] = (v >> 32) as u32;
                }
            }
            MailboxCommand::SetLogLevel { level } => a[0] = level as u32,
        }
        w
    }

    /// Decode a request image (the firmware's side); returns the command and its tag.
    pub fn decode(w: &[u32; MBOX_REQ_WORDS]) -> Result<(Self, u16), DecodeError> {
        let id = w[0] as u16;
        let tag = (w[0] >> 16) as u16;
        let a = &w[1..];
        let arg = |i: usize| a.get(i).copied().unwrap_or(0);
        let mask = |i: usize| {
            let v = arg(i);
            if v == 0 || v & !(STATES_ALL as u32) != 0 {
                Err(DecodeError::BadArgument {
                    index: i as u8,
                    value: v,
                })
            } else {
                Ok(v as u16)
            }
        };
        let wide = |i: usize| (arg(i + 1) as u64) << 32 | arg(i) as u64;
        let cmd = match id {
            cmd_id::PING => MailboxCommand::Ping,
            cmd_id::CONFIG_SET => MailboxCommand::ConfigSet { generation: arg(0) },
            cmd_id::TABLE_DUMP => MailboxCommand::TableDump {
                addr: wide(0),
                len: arg(2),
                start_slot: arg(3),
                states: mask(4)?,
            },
            cmd_id::FLUSH => MailboxCommand::Flush { states: mask(0)? },
            cmd_id::REMOVE_ENTRY => MailboxCommand::RemoveEntry { key: key_from(a) },
            cmd_id::INJECT_FRAME => {
                let port =
                    port_from_code(arg(0).min(0xFF) as u8).ok_or(DecodeError::BadArgument {
                        index: 0,
                        value: arg(0),
                    })?;
                if arg(1) > u16::MAX as u32 {
                    return Err(DecodeError::BadArgument {
                        index: 1,
                        value: arg(1),
                    });
                }
                MailboxCommand::InjectFrame {
                    port,
                    len: arg(1) as u16,
                    addr: wide(2),
                }
            }
            cmd_id::SET_SECRET => MailboxCommand::SetSecret {
                key: [[wide(0), wide(2)], [wide(4), wide(6)]],
            },
            cmd_id::SET_LOG_LEVEL => {
                if arg(0) > 4 {
                    return Err(DecodeError::BadArgument {
                        index: 0,
                        value: arg(0),
                    });
                }
                MailboxCommand::SetLogLevel {
                    level: arg(0) as u8,
                }
            }
            other => return Err(DecodeError::BadCommand(other)),
        };
        Ok((cmd, tag))
    }
}

/// Mailbox states (STATUS bits 1:0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MboxState {
    Idle = 0,
    Busy = 1,
    Done = 2,
}

impl MboxState {
    /// The state field of a STATUS value (3 is not a state).
    pub const fn of(status: u32) -> Option<MboxState> {
        match status & 3 {
            0 => Some(MboxState::Idle),
            1 => Some(MboxState::Busy),
            2 => Some(MboxState::Done),
            _ => None,
        }
    }
}

/// Mailbox error codes (STATUS bits 15:8; 0 = success).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MboxError {
    /// The command id is not one the firmware knows.
    UnknownCommand = 1,
    /// An argument is out of range.
    BadArgument = 2,
    /// DOORBELL was written while a command was running.
    Busy = 3,
    /// RemoveEntry: no such connection.
    NotFound = 4,
    /// A DMA transfer failed (bad address, IOMMU fault).
    Dma = 5,
    /// The buffer cannot hold one record.
    NoSpace = 6,
    /// The firmware gave up waiting on the pipeline.
    Timeout = 7,
    /// The firmware hit an internal error (see the log ring).
    Internal = 8,
    /// The command exists but this build does not implement it.
    Unsupported = 9,
}

impl MboxError {
    pub const ALL: [MboxError; 9] = [
        MboxError::UnknownCommand,
        MboxError::BadArgument,
        MboxError::Busy,
        MboxError::NotFound,
        MboxError::Dma,
        MboxError::NoSpace,
        MboxError::Timeout,
        MboxError::Internal,
        MboxError::Unsupported,
    ];
    pub const fn from_code(c: u8) -> Option<MboxError> {
        if c >= 1 && (c as usize) <= MboxError::ALL.len() {
            Some(MboxError::ALL[c as usize - 1])
        } else {
            None
        }
    }
}

/// The successful reply of each command, as RESP words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// RESP\[0\]: firmware version.
    Ping { fw_version: u32 },
    /// RESP\[0\]: APPLY generation now in use.
    ConfigSet { generation: u32 },
    /// RESP\[0\]: records written; RESP\[1\]: next slot.
    TableDump { count: u32, next_slot: u32 },
    /// RESP\[0\]: entries removed.
    Flush { removed: u32 },
    /// RESP\[0\]: slot; RESP\[1\]: state code.
    RemoveEntry { slot: u32, state: TcpState },
    /// No words.
    InjectFrame,
    /// RESP\[0\]: APPLY generation.
    SetSecret { generation: u32 },
    /// No words.
    SetLogLevel,
}

impl Response {
    /// The command id this reply answers.
    pub const fn id(&self) -> u16 {
        match self {
            Response::Ping { .. } => cmd_id::PING,
            Response::ConfigSet { .. } => cmd_id::CONFIG_SET,
            Response::TableDump { .. } => cmd_id::TABLE_DUMP,
            Response::Flush { .. } => cmd_id::FLUSH,
            Response::RemoveEntry { .. } => cmd_id::REMOVE_ENTRY,
            Response::InjectFrame => cmd_id::INJECT_FRAME,
            Response::SetSecret { .. } => cmd_id::SET_SECRET,
            Response::SetLogLevel => cmd_id::SET_LOG_LEVEL,
        }
    }

    /// The RESP words.
    pub fn words(&self) -> heapless::Vec<u32, MBOX_RESP> {
        let mut v = heapless::Vec::new();
        let w: &[u32] = match *self {
            Response::Ping { fw_version } => &[fw_version],
            Response::ConfigSet { generation } | Response::SetSecret { generation } => {
                &[generation]
            }
            Response::TableDump { count, next_slot } => &[count, next_slot],
            Response::Flush { removed } => &[removed],
            Response::RemoveEntry { slot, state } => &[slot, state.code() as u32],
            Response::InjectFrame | Response::SetLogLevel => &[],
        };
        let _ = v.extend_from_slice(w);
        v
    }

    /// Decode the RESP words of command `id`.
    pub fn decode(id: u16, w: &[u32]) -> Result<Response, DecodeError> {
        let need = match id {
            cmd_id::TABLE_DUMP | cmd_id::REMOVE_ENTRY => 2,
            cmd_id::INJECT_FRAME | cmd_id::SET_LOG_LEVEL => 0,
            cmd_id::PING | cmd_id::CONFIG_SET | cmd_id::FLUSH | cmd_id::SET_SECRET => 1,
            other => return Err(DecodeError::BadCommand(other)),
        };
        if w.len() < need {
            return Err(DecodeError::BadLength(w.len() as u32));
        }
        let g = |i: usize| w.get(i).copied().unwrap_or(0);
        Ok(match id {
            cmd_id::PING => Response::Ping { fw_version: g(0) },
            cmd_id::CONFIG_SET => Response::ConfigSet { generation: g(0) },
            cmd_id::TABLE_DUMP => Response::TableDump {
                count: g(0),
                next_slot: g(1),
            },
            cmd_id::FLUSH => Response::Flush { removed: g(0) },
            cmd_id::REMOVE_ENTRY => Response::RemoveEntry {
                slot: g(0),
                state: if g(1) > 0xF {
                    return Err(DecodeError::BadState(g(1).min(0xFF) as u8));
                } else {
                    state(g(1))?
                },
            },
            cmd_id::INJECT_FRAME => Response::InjectFrame,
            cmd_id::SET_SECRET => Response::SetSecret { generation: g(0) },
            _ => Response::SetLogLevel,
        })
    }
}

/// A finished mailbox command: the tag it carried and its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailboxReply {
    pub tag: u16,
    pub result: Result<Response, MboxError>,
}

impl MailboxReply {
    /// The reply image: STATUS (DONE, error code, tag), RESP_LEN, RESP words.
    pub fn encode(&self) -> [u32; MBOX_REPLY_WORDS] {
        let mut w = [0u32; MBOX_REPLY_WORDS];
        let code = match self.result {
            Ok(_) => 0,
            Err(e) => e as u32,
        };
        w[0] = MboxState::Done as u32 | code << 8 | (self.tag as u32) << 16;
        if let Ok(r) = self.result {
            let words = r.words();
            w[1] = words.len() as u32;
            w[2..2 + words.len()].copy_from_slice(&words);
        }
        w
    }

    /// Decode a reply image for command `id`.
    pub fn decode(id: u16, w: &[u32; MBOX_REPLY_WORDS]) -> Result<MailboxReply, DecodeError> {
        if MboxState::of(w[0]) != Some(MboxState::Done) {
            return Err(DecodeError::NotDone);
        }
        let tag = (w[0] >> 16) as u16;
        let code = (w[0] >> 8) as u8;
        if code != 0 {
            let e = MboxError::from_code(code).ok_or(DecodeError::BadStatus(code))?;
            return Ok(MailboxReply {
                tag,
                result: Err(e),
            });
        }
        let len = w[1];
        if len as usize > MBOX_RESP {
            return Err(DecodeError::BadLength(len));
        }
        Ok(MailboxReply {
            tag,
            result: Ok(Response::decode(id, &w[2..2 + len as usize])?),
        })
    }
}

// ---- ring halves ------------------------------------------------------------------------------

/// A ring size the protocol does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadRingSize(pub u32);

impl core::fmt::Display for BadRingSize {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ring size 2^{} above 2^{}", self.0, MAX_RING_LOG2)
    }
}

/// The consumer half of a phase-bit ring (the host for the event and log rings). Pure logic:
/// give it the words of the slot it points at; it says whether they are new.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingConsumer {
    log2: u8,
    cons: u32,
}

impl RingConsumer {
    /// A consumer of a `2^size_log2`-slot ring, at index 0 (the state after ENABLE).
    pub fn new(size_log2: u8) -> Result<RingConsumer, BadRingSize> {
        if size_log2 > MAX_RING_LOG2 {
            return Err(BadRingSize(size_log2 as u32));
        }
        Ok(RingConsumer {
            log2: size_log2,
            cons: 0,
        })
    }

    pub const fn size_log2(&self) -> u8 {
        self.log2
    }

    /// Slots in the ring.
    pub const fn size(&self) -> u32 {
        1 << self.log2
    }

    /// The free-running consumer index: the value for the ring's CONS register.
    pub const fn index(&self) -> u32 {
        self.cons
    }

    /// The slot the next descriptor will be in.
    pub const fn slot(&self) -> u32 {
        self.cons & (self.size() - 1)
    }

    /// Byte offset of the next descriptor in the ring memory, for descriptors of `words` words.
    pub const fn byte_offset(&self, words: usize) -> u64 {
        self.slot() as u64 * words as u64 * 4
    }

    /// The phase a new descriptor in the next slot carries.
    pub const fn expected_phase(&self) -> bool {
        phase_for(self.cons, self.log2)
    }

    /// Whether a descriptor whose word 0 is `word0` is new.
    pub const fn is_new(&self, word0: u32) -> bool {
        phase_of(word0) == self.expected_phase()
    }

    /// Look at the next slot: `read(slot)` returns its words. If they are new, consume them
    /// (advance) and return them.
    pub fn poll<const N: usize, E>(
        &mut self,
        read: impl FnOnce(u32) -> Result<[u32; N], E>,
    ) -> Result<Option<[u32; N]>, E> {
        let w = read(self.slot())?;
        if w.first().is_some_and(|&w0| self.is_new(w0)) {
            self.cons = self.cons.wrapping_add(1);
            Ok(Some(w))
        } else {
            Ok(None)
        }
    }

    /// [`RingConsumer::poll`] on ring memory held as bytes (little-endian words). A ring
    /// shorter than the slot reads as nothing new.
    pub fn poll_slice<const N: usize>(&mut self, ring: &[u8]) -> Option<[u32; N]> {
        let off = self.byte_offset(N) as usize;
        let bytes = ring.get(off..off + 4 * N)?;
        self.poll(|_| words_from_le::<N>(bytes).ok_or(()))
            .ok()
            .flatten()
    }
}

/// The producer half of a phase-bit ring (the device; the simulator and tests use it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingProducer {
    log2: u8,
    prod: u32,
}

impl RingProducer {
    pub fn new(size_log2: u8) -> Result<RingProducer, BadRingSize> {
        if size_log2 > MAX_RING_LOG2 {
            return Err(BadRingSize(size_log2 as u32));
        }
        Ok(RingProducer {
            log2: size_log2,
            prod: 0,
        })
    }

    /// The free-running producer index: the ring's PROD register.
    pub const fn index(&self) -> u32 {
        self.prod
    }

    pub const fn size(&self) -> u32 {
        1 << self.log2
    }

    /// Whether the ring is full given the consumer's index (CONS).
    pub const fn is_full(&self, cons: u32) -> bool {
        self.prod.wrapping_sub(cons) >= self.size()
    }

    /// Claim the next slot: its slot number and the phase to write, or `None` when the ring is
    /// full (the descriptor is lost and counted).
    pub fn push(&mut self, cons: u32) -> Option<(u32, bool)> {
        if self.is_full(cons) {
            return None;
        }
        let at = (
            self.prod & (self.size() - 1),
            phase_for(self.prod, self.log2),
        );
        self.prod = self.prod.wrapping_add(1);
        Some(at)
    }
}

/// `N` little-endian words from the first `4 N` bytes of `b`.
pub fn words_from_le<const N: usize>(b: &[u8]) -> Option<[u32; N]> {
    let b = b.get(..4 * N)?;
    let mut w = [0u32; N];
    for (x, c) in w.iter_mut().zip(b.chunks_exact(4)) {
        *x = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    Some(w)
}

/// Write `words` little-endian into `out`; `false` if `out` is too short.
pub fn words_to_le(words: &[u32], out: &mut [u8]) -> bool {
    let Some(out) = out.get_mut(..4 * words.len()) else {
        return false;
    };
    for (c, w) in out.chunks_exact_mut(4).zip(words) {
        c.copy_from_slice(&w.to_le_bytes());
    }
    true
}
