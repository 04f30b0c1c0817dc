//! The register / descriptor contract (`proto::regs`, `proto::events`, `proto::device`) against a
//! fake device built from `regs::LAYOUT`: the walk finds every block and refuses corrupt lists,
//! the configuration survives the registers, every descriptor survives encoding, rings keep
//! their phase across wraps, the host-side helpers drive the protocols, and `docs/contract.md`
//! agrees with the constants.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proto::config::{CookieMode, Keepalive, Listener, NicConfig, ProxyOptions, MAX_LISTENERS};
use proto::counters::Counter;
use proto::decision::{Port, PuntReason};
use proto::device::{self, Device, DeviceError, HostRing, OpError};
use proto::events::{
    self, cmd_id, AlarmEvent, AlarmKind, DecodeError, Descriptor, DumpRecord, Event, LogAssembler,
    LogChunk, MailboxCommand, MailboxReply, MboxError, MboxState, PuntDesc, Response, RingConsumer,
    RingProducer, TransitionCause, TransitionEvent, EVENT_WORDS, LOG_WORDS, MBOX_REPLY_WORDS,
    MBOX_REQ_WORDS, PUNT_WORDS, STATES_ALL,
};
use proto::regs::irq::IrqSource;
use proto::regs::{
    self, caps, cfg, cnt, hdr, ident, irq, mbox, ring, tbl, BlockKind, ConfigError, ConfigRegs,
    Identity, RegError, RegisterAccess, TableCmd, TableFault, WalkError, Window, ALL_ONES,
    BAR0_LEN, CONTRACT_VERSION, LAYOUT,
};
use proto::state::TcpState;
use proto::table::{flags, Entry, FlowKey, ENTRY_WORDS};
use proto::time::{Duration, Instant};

// ---- the fake device ------------------------------------------------------------------------

const DMA_BASE: u64 = 0x10_0000_0000;
const CAPACITY: u32 = 64;
const EVENT_VECTOR: u16 = 1;
const MBOX_VECTOR: u16 = 2;
const DUMP_VECTOR: u16 = 3;

/// A device whose BAR0 is a `Vec<u32>` laid out from `LAYOUT`, with just enough behaviour behind
/// the doorbells: the Config block is `regs::ConfigRegs`, the table a map, the firmware answers
/// the mailbox, the DMA memory is a `Vec<u8>` at `DMA_BASE`.
struct Fake {
    bar: Vec<u32>,
    cfg: ConfigRegs,
    mem: Vec<u8>,
    table: BTreeMap<u32, Entry>,
    live: Vec<u64>,
    producers: [Option<RingProducer>; 2],
    pending_irqs: Vec<u16>,
    /// STATUS reads that still show BUSY after a table command.
    busy_reads: u32,
    gone: bool,
    firmware_alive: bool,
    /// Reads and writes seen (to check the walk reads nothing but headers).
    reads: Vec<u32>,
}

fn base(kind: BlockKind) -> u32 {
    regs::layout_of(kind).offset
}

fn key(n: u8) -> FlowKey {
    FlowKey {
        peer_addr: [192, 0, 2, n],
        host_addr: [10, 1, 1, 1],
        peer_port: 40_000 + n as u16,
        host_port: 443,
    }
}

fn entry(n: u8, state: TcpState) -> Entry {
    let mut e = Entry::new(key(n), state);
    e.flags = flags::TS_OK;
    e.peer_ws = 7;
    e.host_ws = 9;
    e.stamp = n as u16 * 3;
    e.peer_end = 1000 * n as u32;
    e.host_end = 2000 * n as u32;
    e.peer_maxwin = 500;
    e.host_maxwin = 600;
    e.ts_recent = 0xDEAD_0000 | n as u32;
    e
}

impl Fake {
    fn new() -> Fake {
        let mut f = Fake {
            bar: vec![0; (BAR0_LEN / 4) as usize],
            cfg: ConfigRegs::new(),
            mem: Vec::new(),
            table: BTreeMap::new(),
            live: vec![0; Counter::COUNT],
            producers: [None, None],
            pending_irqs: Vec::new(),
            busy_reads: 0,
            gone: false,
            firmware_alive: true,
            reads: Vec::new(),
        };
        for (i, b) in LAYOUT.iter().enumerate() {
            for (j, w) in b.header(regs::next_offset(i)).into_iter().enumerate() {
                f.bar[(b.offset / 4) as usize + j] = w;
            }
        }
        let id = Identity {
            contract: CONTRACT_VERSION,
            build_id: 0x00C0_FFEE,
            caps: caps::SYNPROXY | caps::BULK_DUMP | caps::EVENT_RING | caps::FIRMWARE,
            table_capacity: CAPACITY,
            table_ways: 4,
            entry_words: ENTRY_WORDS as u32,
            counters: Counter::COUNT as u32,
            clock_hz: 250_000_000,
            max_listeners: MAX_LISTENERS as u32,
        };
        for (o, v) in id.registers() {
            f.set(BlockKind::Identity, o, v);
        }
        f.set(BlockKind::Identity, ident::TIME_LO, 0x89AB_CDEF);
        f.set(BlockKind::Identity, ident::TIME_HI, 0x1);
        for k in [BlockKind::EventRing, BlockKind::LogRing] {
            f.set(k, ring::DESC_WORDS, EVENT_WORDS as u32);
            f.set(k, ring::MAX_LOG2, 12);
        }
        f.set(BlockKind::Counters, cnt::NUM, Counter::COUNT as u32);
        f.set(BlockKind::Mailbox, mbox::FW_VERSION, regs::version(0, 3));
        f.set(BlockKind::Interrupt, irq::NUM_VECTORS, 4);
        f.set(
            BlockKind::Interrupt,
            irq::vector(IrqSource::EventRing),
            EVENT_VECTOR as u32,
        );
        f.set(
            BlockKind::Interrupt,
            irq::vector(IrqSource::Mailbox),
            MBOX_VECTOR as u32,
        );
        f.set(
            BlockKind::Interrupt,
            irq::vector(IrqSource::TableDump),
            DUMP_VECTOR as u32,
        );
        f
    }

    fn set(&mut self, kind: BlockKind, rel: u32, v: u32) {
        self.bar[((base(kind) + rel) / 4) as usize] = v;
    }

    fn get(&self, kind: BlockKind, rel: u32) -> u32 {
        self.bar[((base(kind) + rel) / 4) as usize]
    }

    fn raise(&mut self, src: IrqSource) {
        let st = self.get(BlockKind::Interrupt, irq::STATUS);
        self.set(BlockKind::Interrupt, irq::STATUS, st | src.bit());
        let v = self.get(BlockKind::Interrupt, irq::vector(src)) as u16;
        self.pending_irqs.push(v);
    }

    fn mem_range(&self, addr: u64, len: usize) -> Option<std::ops::Range<usize>> {
        let start = addr.checked_sub(DMA_BASE)? as usize;
        (start + len <= self.mem.len()).then_some(start..start + len)
    }

    fn write_words(&mut self, addr: u64, words: &[u32]) {
        let r = self
            .mem_range(addr, 4 * words.len())
            .expect("device DMA in range");
        assert!(events::words_to_le(words, &mut self.mem[r]));
    }

    /// The device writing one descriptor to the event (0) or log (1) ring.
    fn emit<const N: usize>(&mut self, which: usize, desc: impl FnOnce(bool) -> [u32; N]) -> bool {
        let kind = [BlockKind::EventRing, BlockKind::LogRing][which];
        let cons = self.get(kind, ring::CONS);
        let Some(p) = self.producers[which].as_mut() else {
            return false;
        };
        let Some((slot, phase)) = p.push(cons) else {
            let lost = self.get(kind, ring::LOST);
            self.set(kind, ring::LOST, lost + 1);
            return false;
        };
        let prod = p.index();
        let base =
            (self.get(kind, ring::BASE_HI) as u64) << 32 | self.get(kind, ring::BASE_LO) as u64;
        self.write_words(base + slot as u64 * 4 * N as u64, &desc(phase));
        self.set(kind, ring::PROD, prod);
        self.raise([IrqSource::EventRing, IrqSource::LogRing][which]);
        true
    }

    fn table_data(&self) -> [u32; ENTRY_WORDS] {
        std::array::from_fn(|i| self.get(BlockKind::Table, tbl::data(i)))
    }

    fn table_cmd(&mut self, code: u32) {
        let idx = self.get(BlockKind::Table, tbl::INDEX);
        let fault = match code {
            1 => match self.table.get(&idx) {
                _ if idx >= CAPACITY => Some(TableFault::BadIndex),
                None => Some(TableFault::Empty),
                Some(e) => {
                    for (i, w) in e.pack().into_iter().enumerate() {
                        self.set(BlockKind::Table, tbl::data(i), w);
                    }
                    None
                }
            },
            2 => match Entry::unpack(&self.table_data()) {
                _ if idx >= CAPACITY => Some(TableFault::BadIndex),
                None => Some(TableFault::BadEntry),
                Some(e) => {
                    self.table.insert(idx, e);
                    None
                }
            },
            3 => self
                .table
                .remove(&idx)
                .map_or(Some(TableFault::Empty), |_| None),
            4 => {
                let k = Entry::unpack(&{
                    let mut d = self.table_data();
                    d[3] = 0;
                    d
                })
                .map(|e| e.key);
                match self.table.iter().find(|(_, e)| Some(e.key) == k) {
                    Some((s, _)) => {
                        let s = *s;
                        self.set(BlockKind::Table, tbl::INDEX, s);
                        None
                    }
                    None => Some(TableFault::NotFound),
                }
            }
            5 => match (
                Entry::unpack(&self.table_data()),
                (0..CAPACITY).find(|s| !self.table.contains_key(s)),
            ) {
                (None, _) => Some(TableFault::BadEntry),
                (_, None) => Some(TableFault::BucketFull),
                (Some(e), Some(s)) => {
                    self.table.insert(s, e);
                    self.set(BlockKind::Table, tbl::INDEX, s);
                    None
                }
            },
            _ => Some(TableFault::BadCommand),
        };
        self.set(
            BlockKind::Table,
            tbl::STATUS,
            fault.map_or(0, |f| (f as u32) << 8),
        );
        self.busy_reads = 2;
    }

    fn dump(&mut self) {
        let addr = (self.get(BlockKind::Table, tbl::DUMP_ADDR_HI) as u64) << 32
            | self.get(BlockKind::Table, tbl::DUMP_ADDR_LO) as u64;
        let len = self.get(BlockKind::Table, tbl::DUMP_LEN) as usize;
        let start = self.get(BlockKind::Table, tbl::DUMP_START);
        let rec = events::DUMP_RECORD_WORDS * 4;
        let fits = len / rec;
        let mut status = tbl::DONE;
        let mut count = 0usize;
        let mut next = CAPACITY;
        if fits == 0 {
            status |= (TableFault::BadLength as u32) << 8;
            next = start;
        } else {
            let occupied: Vec<(u32, Entry)> =
                self.table.range(start..).map(|(s, e)| (*s, *e)).collect();
            for (slot, e) in occupied {
                if count == fits {
                    next = slot;
                    break;
                }
                let w = DumpRecord { slot, entry: e }.encode();
                self.write_words(addr + (count * rec) as u64, &w);
                count += 1;
            }
            if next == CAPACITY {
                status |= tbl::END;
            }
        }
        self.set(BlockKind::Table, tbl::DUMP_COUNT, count as u32);
        self.set(BlockKind::Table, tbl::DUMP_NEXT, next);
        self.set(BlockKind::Table, tbl::DUMP_STATUS, status);
        self.raise(IrqSource::TableDump);
    }

    /// The firmware's side of the mailbox.
    fn firmware(&mut self) {
        if !self.firmware_alive {
            return;
        }
        let req: [u32; MBOX_REQ_WORDS] =
            std::array::from_fn(|i| self.get(BlockKind::Mailbox, mbox::CMD + 4 * i as u32));
        let tag = (req[0] >> 16) as u16;
        let result = match MailboxCommand::decode(&req) {
            Err(DecodeError::BadCommand(_)) => Err(MboxError::UnknownCommand),
            Err(_) => Err(MboxError::BadArgument),
            Ok((cmd, _)) => match cmd {
                MailboxCommand::Ping => Ok(Response::Ping {
                    fw_version: self.get(BlockKind::Mailbox, mbox::FW_VERSION),
                }),
                MailboxCommand::RemoveEntry { key } => {
                    match self
                        .table
                        .iter()
                        .find(|(_, e)| e.key == key)
                        .map(|(s, e)| (*s, *e))
                    {
                        Some((slot, e)) => {
                            self.table.remove(&slot);
                            Ok(Response::RemoveEntry {
                                slot,
                                state: e.state,
                            })
                        }
                        None => Err(MboxError::NotFound),
                    }
                }
                MailboxCommand::Flush { states } => {
                    let before = self.table.len();
                    self.table
                        .retain(|_, e| states & events::state_bit(e.state) == 0);
                    Ok(Response::Flush {
                        removed: (before - self.table.len()) as u32,
                    })
                }
                MailboxCommand::SetSecret { key } => {
                    let mut c = self.cfg.config().expect("config decodes");
                    c.cookie_key = key;
                    regs::apply_config(&mut self.cfg, &c).expect("config encodes");
                    Ok(Response::SetSecret {
                        generation: self.cfg.generation(),
                    })
                }
                _ => Err(MboxError::Unsupported),
            },
        };
        let img = MailboxReply { tag, result }.encode();
        for (i, w) in img.into_iter().enumerate() {
            self.set(BlockKind::Mailbox, mbox::STATUS + 4 * i as u32, w);
        }
        self.raise(IrqSource::Mailbox);
    }
}

impl RegisterAccess for Fake {
    fn read32(&mut self, offset: u32) -> u32 {
        self.reads.push(offset);
        if self.gone {
            return ALL_ONES;
        }
        let Some((_, b, rel)) = regs::locate(offset) else {
            return self
                .bar
                .get((offset / 4) as usize)
                .copied()
                .unwrap_or(ALL_ONES);
        };
        match b.kind {
            // Headers from the register file (tests corrupt them there), fields from the model.
            BlockKind::Config if rel >= hdr::LEN => self.cfg.read32(rel),
            BlockKind::Table if rel == tbl::STATUS && self.busy_reads > 0 => {
                self.busy_reads -= 1;
                self.get(BlockKind::Table, tbl::STATUS) | tbl::BUSY
            }
            _ => self.bar[(offset / 4) as usize],
        }
    }

    fn write32(&mut self, offset: u32, value: u32) {
        if self.gone {
            return;
        }
        let Some((_, b, rel)) = regs::locate(offset) else {
            return;
        };
        if rel < hdr::LEN {
            return;
        }
        match (b.kind, rel) {
            (BlockKind::Config, _) => self.cfg.write32(rel, value),
            (BlockKind::Table, tbl::CMD) => self.table_cmd(value),
            (BlockKind::Table, tbl::DUMP_GO) => self.dump(),
            (BlockKind::Mailbox, mbox::DOORBELL) => self.firmware(),
            (BlockKind::EventRing | BlockKind::LogRing, ring::CTRL) => {
                let which = (b.kind == BlockKind::LogRing) as usize;
                self.set(b.kind, rel, value);
                if value & ring::ENABLE != 0 {
                    for r in [ring::PROD, ring::CONS, ring::LOST] {
                        self.set(b.kind, r, 0);
                    }
                    let log2 = self.get(b.kind, ring::SIZE_LOG2) as u8;
                    self.producers[which] = RingProducer::new(log2).ok();
                } else {
                    self.producers[which] = None;
                }
            }
            (BlockKind::Counters, cnt::CTRL) => {
                if value & cnt::SNAPSHOT != 0 {
                    for i in 0..Counter::COUNT {
                        let v = self.live[i];
                        self.set(BlockKind::Counters, cnt::lo(i), v as u32);
                        self.set(BlockKind::Counters, cnt::hi(i), (v >> 32) as u32);
                    }
                    let g = self.get(BlockKind::Counters, cnt::GENERATION);
                    self.set(BlockKind::Counters, cnt::GENERATION, g + 1);
                }
                if value & cnt::CLEAR != 0 {
                    self.live.iter_mut().for_each(|v| *v = 0);
                }
            }
            (BlockKind::Interrupt, irq::STATUS) => {
                let st = self.get(BlockKind::Interrupt, irq::STATUS);
                self.set(BlockKind::Interrupt, irq::STATUS, st & !value);
            }
            _ => self.bar[(offset / 4) as usize] = value,
        }
    }
}

impl Device for Fake {
    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        if self.gone {
            return Err(DeviceError::Gone);
        }
        let r = self.mem_range(addr, buf.len()).ok_or(DeviceError::Dma {
            addr,
            len: buf.len(),
        })?;
        buf.copy_from_slice(&self.mem[r]);
        Ok(())
    }

    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), DeviceError> {
        if self.gone {
            return Err(DeviceError::Gone);
        }
        let r = self.mem_range(addr, data.len()).ok_or(DeviceError::Dma {
            addr,
            len: data.len(),
        })?;
        self.mem[r].copy_from_slice(data);
        Ok(())
    }

    fn alloc_dma(&mut self, len: usize) -> Result<u64, DeviceError> {
        let start = self.mem.len().next_multiple_of(4096);
        self.mem.resize(start + len, 0);
        Ok(DMA_BASE + start as u64)
    }

    fn wait_irq(&mut self, vector: u16, _timeout: Duration) -> Result<bool, DeviceError> {
        if self.gone {
            return Err(DeviceError::Gone);
        }
        match self.pending_irqs.iter().position(|&v| v == vector) {
            Some(i) => {
                self.pending_irqs.remove(i);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

fn found(dev: &mut Fake, kind: BlockKind) -> u32 {
    let blocks = regs::walk(dev).expect("walk");
    regs::find(&blocks, kind).expect("block").offset
}

// ---- walking ------------------------------------------------------------------------------

#[test]
fn walk_finds_every_block_of_the_layout() {
    let mut dev = Fake::new();
    let blocks = regs::walk(&mut dev).unwrap();
    assert_eq!(blocks.len(), LAYOUT.len());
    for (b, l) in blocks.iter().zip(LAYOUT.iter()) {
        assert_eq!(
            (b.kind, b.version, b.offset, b.size),
            (l.kind, l.version, l.offset, l.size)
        );
        assert!(b.compatible());
    }
    for k in BlockKind::ALL {
        assert_eq!(regs::find(&blocks, k).unwrap().offset, base(k), "{k}");
    }
    // The walk reads headers only.
    assert!(dev
        .reads
        .iter()
        .all(|o| regs::locate(*o).unwrap().2 < hdr::LEN));

    let id_base = regs::find(&blocks, BlockKind::Identity).unwrap().offset;
    let id = Identity::read(&mut Window::new(&mut dev, id_base)).unwrap();
    assert_eq!(id.table_capacity, CAPACITY);
    assert_eq!(id.geometry().unwrap().buckets, CAPACITY / 4);
    assert!(id.has(caps::BULK_DUMP | caps::FIRMWARE));
    assert!(!id.has(caps::SIMULATED));
    assert_eq!(
        regs::device_time(&mut Window::new(&mut dev, id_base)).unwrap(),
        Instant::from_nanos(0x1_89AB_CDEF)
    );
}

#[test]
fn header_words_serve_the_layout() {
    for (i, b) in LAYOUT.iter().enumerate() {
        let h = b.header(regs::next_offset(i));
        for (j, w) in h.iter().enumerate() {
            assert_eq!(regs::header_word(b.offset + 4 * j as u32), Some(*w));
        }
        assert_eq!(regs::header_word(b.offset + hdr::LEN), None);
        assert_eq!(regs::layout_of(b.kind), *b);
        assert_eq!(BlockKind::from_type_code(b.kind.type_code()), Some(b.kind));
    }
    assert_eq!(regs::next_offset(LAYOUT.len() - 1), 0);
    assert_eq!(regs::locate(BAR0_LEN), None);
    assert_eq!(
        BlockKind::Identity.type_code().to_be_bytes(),
        *b"IDNT",
        "FourCC reads as text in a hex dump"
    );
}

#[test]
fn walk_skips_unknown_blocks() {
    let mut dev = Fake::new();
    dev.set(BlockKind::Exception, hdr::TYPE, regs::fourcc(b"ZZZZ"));
    let blocks = regs::walk(&mut dev).unwrap();
    assert_eq!(blocks.len(), LAYOUT.len() - 1);
    assert!(blocks.iter().all(|b| b.kind != BlockKind::Exception));
    assert_eq!(
        regs::find(&blocks, BlockKind::Exception),
        Err(WalkError::Missing(BlockKind::Exception))
    );
    assert!(
        regs::find(&blocks, BlockKind::Counters).is_ok(),
        "walk went past it"
    );
}

#[test]
fn walk_rejects_bad_next_pointers() {
    let cfg_next = |v: u32| {
        let mut dev = Fake::new();
        dev.set(BlockKind::Config, hdr::NEXT, v);
        regs::walk(&mut dev)
    };
    let at = base(BlockKind::Config);
    assert_eq!(
        cfg_next(BAR0_LEN + 0x100),
        Err(WalkError::NextOutOfRange {
            at,
            next: BAR0_LEN + 0x100
        })
    );
    assert_eq!(
        cfg_next(0x302),
        Err(WalkError::NextOutOfRange { at, next: 0x302 })
    );
    assert_eq!(cfg_next(0x100), Err(WalkError::Loop { at, next: 0x100 }));
    assert_eq!(cfg_next(at), Err(WalkError::Loop { at, next: at }));
    assert_eq!(
        cfg_next(at + 0x40),
        Err(WalkError::Overlap { at: at + 0x40 })
    );
    // A loop from the last block back to the first.
    let mut dev = Fake::new();
    dev.set(BlockKind::Counters, hdr::NEXT, 0x0);
    assert!(regs::walk(&mut dev).is_ok());
    dev.set(BlockKind::Counters, hdr::NEXT, base(BlockKind::Interrupt));
    assert!(matches!(regs::walk(&mut dev), Err(WalkError::Loop { .. })));
}

#[test]
fn walk_rejects_bad_sizes_and_foreign_devices() {
    let mut dev = Fake::new();
    dev.set(BlockKind::Table, hdr::SIZE, 8);
    assert_eq!(
        regs::walk(&mut dev),
        Err(WalkError::BadSize {
            at: base(BlockKind::Table),
            size: 8
        })
    );
    let mut dev = Fake::new();
    dev.set(BlockKind::Counters, hdr::SIZE, 0x1000);
    assert!(matches!(
        regs::walk(&mut dev),
        Err(WalkError::BadSize { .. })
    ));
    let mut dev = Fake::new();
    dev.set(BlockKind::Interrupt, hdr::SIZE, 0x180);
    assert_eq!(
        regs::walk(&mut dev),
        Err(WalkError::Overlap {
            at: base(BlockKind::Config)
        })
    );
    let mut dev = Fake::new();
    dev.set(BlockKind::Identity, hdr::TYPE, regs::fourcc(b"MQNC"));
    assert_eq!(
        regs::walk(&mut dev),
        Err(WalkError::NotTcpoff {
            found: regs::fourcc(b"MQNC")
        })
    );
}

#[test]
fn walk_reports_a_device_that_is_gone() {
    let mut dev = Fake::new();
    dev.gone = true;
    assert_eq!(
        regs::walk(&mut dev),
        Err(WalkError::DeviceGone { offset: 0 })
    );
    // Gone half way: one header reads all-ones.
    let mut dev = Fake::new();
    dev.set(BlockKind::Mailbox, hdr::NEXT, ALL_ONES);
    assert_eq!(
        regs::walk(&mut dev),
        Err(WalkError::DeviceGone {
            offset: base(BlockKind::Mailbox)
        })
    );
}

/// A BAR of many 16-byte unknown blocks: the walk stops at MAX_VISITED instead of running on.
struct Chain(Vec<u32>);
impl RegisterAccess for Chain {
    fn read32(&mut self, offset: u32) -> u32 {
        self.0
            .get((offset / 4) as usize)
            .copied()
            .unwrap_or(ALL_ONES)
    }
    fn write32(&mut self, _: u32, _: u32) {}
}

#[test]
fn walk_visits_a_bounded_number_of_blocks() {
    let n = regs::MAX_VISITED + 10;
    let mut words = Vec::new();
    for i in 0..n {
        let ty = if i == 0 {
            BlockKind::Identity.type_code()
        } else {
            regs::fourcc(b"JUNK")
        };
        let next = if i + 1 == n { 0 } else { 16 * (i as u32 + 1) };
        words.extend([ty, regs::version(1, 0), next, 16]);
    }
    let len = 4 * words.len() as u32;
    assert_eq!(
        regs::walk_bar(&mut Chain(words), len),
        Err(WalkError::TooManyBlocks)
    );
}

#[test]
fn find_and_identity_check_versions() {
    let mut dev = Fake::new();
    dev.set(BlockKind::Config, hdr::VERSION, regs::version(1, 7));
    assert!(regs::find(&regs::walk(&mut dev).unwrap(), BlockKind::Config).is_ok());
    dev.set(BlockKind::Config, hdr::VERSION, regs::version(2, 0));
    assert_eq!(
        regs::find(&regs::walk(&mut dev).unwrap(), BlockKind::Config),
        Err(WalkError::Incompatible {
            kind: BlockKind::Config,
            version: regs::version(2, 0)
        })
    );

    let id = |dev: &mut Fake| Identity::read(&mut Window::new(dev, 0));
    let mut dev = Fake::new();
    dev.set(BlockKind::Identity, ident::ENTRY_WORDS, 8);
    assert!(matches!(
        id(&mut dev),
        Err(WalkError::Mismatch { device: 8, .. })
    ));
    let mut dev = Fake::new();
    dev.set(BlockKind::Identity, ident::MAGIC, 0x1234);
    assert_eq!(id(&mut dev), Err(WalkError::BadMagic { found: 0x1234 }));
    let mut dev = Fake::new();
    dev.set(BlockKind::Identity, ident::CONTRACT, regs::version(9, 0));
    assert!(matches!(id(&mut dev), Err(WalkError::Incompatible { .. })));
}

// ---- configuration -------------------------------------------------------------------------

fn busy_config() -> NicConfig {
    let mut listeners = heapless::Vec::new();
    for l in [
        Listener {
            addr: [10, 1, 1, 1],
            port: 443,
            mode: CookieMode::Always,
        },
        Listener {
            addr: [0, 0, 0, 0],
            port: 80,
            mode: CookieMode::OnFlood,
        },
        Listener {
            addr: [10, 1, 1, 2],
            port: 22,
            mode: CookieMode::Off,
        },
    ] {
        listeners.push(l).unwrap();
    }
    NicConfig {
        listeners,
        cookie_key: [
            [0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210],
            [0xFFFF_FFFF_FFFF_FFFF, 0x0000_0001_0000_0000],
        ],
        proxy: ProxyOptions {
            mss: 1380,
            wscale: 14,
            sack_perm: false,
            timestamps: true,
        },
        flood_syn_rate: 12_345,
        flood_pending: u32::MAX,
        time_wait: Duration::from_millis(30_500),
        fin_timeout: Duration::from_secs(20),
        syn_recv_timeout: Duration::from_millis(63_000),
        proxy_syn_rto: Duration::from_millis(250),
        established_idle: Duration::from_secs(32_767),
        close_wait_alarm: Duration::from_secs(600),
        keepalive: Keepalive {
            enabled: true,
            idle: Duration::from_secs(300),
            interval: Duration::from_secs(15),
            probes: 5,
        },
        rfc1337: true,
        loose: false,
        verify_checksums: false,
    }
}

#[test]
fn config_round_trips_through_the_registers() {
    let c = busy_config();
    assert_ne!(c, NicConfig::default());
    let mut dev = Fake::new();
    let at = found(&mut dev, BlockKind::Config);
    // Reset state: the defaults, no listeners.
    assert_eq!(
        regs::decode_config(&mut Window::new(&mut dev, at)).unwrap(),
        NicConfig::default()
    );
    regs::apply_config(&mut Window::new(&mut dev, at), &c).unwrap();
    assert_eq!(
        regs::decode_config(&mut Window::new(&mut dev, at)).unwrap(),
        c
    );
    assert_eq!(dev.cfg.generation(), 1);
    assert_eq!(dev.cfg.config().unwrap(), c);
    assert_eq!(dev.cfg.read32(cfg::APPLY), 1, "APPLY reads the generation");

    // Writes are ordered: every listener write sequence is index, fields, commit; APPLY last.
    let w = regs::encode_config(&c).unwrap();
    assert_eq!(w.last(), Some(&(cfg::APPLY, 1)));
    assert_eq!(
        w.iter().filter(|(o, _)| *o == cfg::LST_COMMIT).count(),
        MAX_LISTENERS
    );

    // A smaller configuration clears the listeners it no longer has.
    let mut fewer = c.clone();
    fewer.listeners.truncate(1);
    regs::apply_config(&mut Window::new(&mut dev, at), &fewer).unwrap();
    assert_eq!(dev.cfg.config().unwrap(), fewer);
    assert_eq!(dev.cfg.generation(), 2);
}

#[test]
fn config_encode_rejects_what_registers_cannot_carry() {
    let field = |c: &NicConfig| match regs::encode_config(c) {
        Err(ConfigError::OutOfRange { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    let c = NicConfig {
        time_wait: Duration(1_500_000_500),
        ..NicConfig::default()
    };
    assert_eq!(field(&c), "TIME_WAIT_MS");
    let c = NicConfig {
        established_idle: Duration::from_millis(1500),
        ..NicConfig::default()
    };
    assert_eq!(field(&c), "ESTABLISHED_IDLE_S");
    let c = NicConfig {
        fin_timeout: Duration(0),
        ..NicConfig::default()
    };
    assert_eq!(field(&c), "FIN_TIMEOUT_MS");
    let c = NicConfig {
        established_idle: Duration::from_secs(32_768),
        ..NicConfig::default()
    };
    assert_eq!(field(&c), "ESTABLISHED_IDLE_S", "over MAX_ENTRY_TIMEOUT");
    let c = NicConfig {
        time_wait: Duration::from_secs(40_000),
        ..NicConfig::default()
    };
    assert_eq!(field(&c), "TIME_WAIT_MS", "over MAX_ENTRY_TIMEOUT");
    let c = NicConfig {
        proxy_syn_rto: Duration::from_secs(50 * 86_400),
        ..NicConfig::default()
    };
    assert_eq!(field(&c), "PROXY_SYN_RTO_MS", "over 2^32 ms");
    let mut c = NicConfig::default();
    c.proxy.wscale = 15;
    assert_eq!(field(&c), "PROXY_WSCALE");
    let mut c = NicConfig::default();
    c.proxy.mss = 0;
    assert_eq!(field(&c), "PROXY_MSS");
}

#[test]
fn config_decode_rejects_bad_register_values() {
    let decode_after = |writes: &[(u32, u32)]| {
        let mut m = ConfigRegs::new();
        for &(o, v) in writes {
            m.write32(o, v);
        }
        regs::decode_config(&mut m)
    };
    assert_eq!(
        decode_after(&[
            (cfg::LST_INDEX, 3),
            (cfg::LST_MODE, cfg::LST_VALID | 7),
            (cfg::LST_COMMIT, 1)
        ]),
        Err(ConfigError::BadListenerMode { index: 3, code: 7 })
    );
    assert_eq!(
        decode_after(&[
            (cfg::LST_INDEX, 0),
            (cfg::LST_PORT, 0x1_0000),
            (cfg::LST_MODE, cfg::LST_VALID),
            (cfg::LST_COMMIT, 1)
        ]),
        Err(ConfigError::OutOfRange {
            field: "LST_PORT",
            value: 0x1_0000
        })
    );
    // Staged but never committed: not a listener.
    assert_eq!(
        decode_after(&[(cfg::LST_INDEX, 0), (cfg::LST_MODE, cfg::LST_VALID | 9)])
            .unwrap()
            .listeners
            .len(),
        0
    );
    assert_eq!(
        decode_after(&[(cfg::LOOSE, 2)]),
        Err(ConfigError::NotBool {
            field: "LOOSE",
            value: 2
        })
    );
    assert!(matches!(
        decode_after(&[(cfg::PROXY_MSS, 0)]),
        Err(ConfigError::OutOfRange {
            field: "PROXY_MSS",
            ..
        })
    ));
    assert!(matches!(
        decode_after(&[(cfg::PROXY_WSCALE, 15)]),
        Err(ConfigError::OutOfRange {
            field: "PROXY_WSCALE",
            ..
        })
    ));
    assert!(matches!(
        decode_after(&[(cfg::KA_PROBES, 256)]),
        Err(ConfigError::OutOfRange {
            field: "KA_PROBES",
            ..
        })
    ));
    assert!(matches!(
        decode_after(&[(cfg::ESTABLISHED_IDLE_S, 40_000)]),
        Err(ConfigError::OutOfRange {
            field: "ESTABLISHED_IDLE_S",
            ..
        })
    ));
    assert!(matches!(
        decode_after(&[(cfg::TIME_WAIT_MS, 0)]),
        Err(ConfigError::OutOfRange {
            field: "TIME_WAIT_MS",
            ..
        })
    ));
    // Wrong block, device gone.
    let mut dev = Fake::new();
    assert_eq!(
        regs::decode_config(&mut Window::new(&mut dev, base(BlockKind::Table))),
        Err(ConfigError::WrongBlock {
            found: BlockKind::Table.type_code()
        })
    );
    dev.gone = true;
    assert_eq!(
        regs::decode_config(&mut Window::new(&mut dev, base(BlockKind::Config))),
        Err(ConfigError::DeviceGone)
    );
}

// ---- counters -----------------------------------------------------------------------------

#[test]
fn counter_offsets_follow_counter_all() {
    let value = cnt::FIELDS.iter().find(|f| f.name == "VALUE").unwrap();
    assert_eq!(value.count as usize, Counter::COUNT);
    assert_eq!(value.stride, 8);
    for (i, c) in Counter::ALL.iter().enumerate() {
        assert_eq!(
            cnt::offset_of(*c),
            cnt::VALUE + 8 * i as u32,
            "{}",
            c.name()
        );
        assert_eq!(cnt::hi(i), cnt::offset_of(*c) + 4);
        assert!(cnt::hi(i) + 4 <= regs::layout_of(BlockKind::Counters).size);
    }

    let mut dev = Fake::new();
    let at = found(&mut dev, BlockKind::Counters);
    for (i, v) in dev.live.iter_mut().enumerate() {
        *v = (i as u64) << 33 | 0xFFFF_FFF0 | i as u64;
    }
    let expect = dev.live.clone();
    let mut out = [0u64; Counter::COUNT];
    regs::snapshot_counters(&mut Window::new(&mut dev, at), true);
    let gen = regs::read_counters(&mut Window::new(&mut dev, at), &mut out).unwrap();
    assert_eq!(gen, 1);
    assert_eq!(out.to_vec(), expect);
    assert!(
        dev.live.iter().all(|v| *v == 0),
        "CLEAR zeroed the live counters"
    );
    assert_eq!(
        out[Counter::SyncookiesSent as usize],
        expect[Counter::SyncookiesSent as usize]
    );
    dev.gone = true;
    assert!(matches!(
        regs::read_counters(&mut Window::new(&mut dev, at), &mut out),
        Err(RegError::DeviceGone { .. })
    ));
}

// ---- table window and bulk dump ---------------------------------------------------------------

#[test]
fn table_window_reads_writes_looks_up_and_deletes() {
    let mut dev = Fake::new();
    let at = found(&mut dev, BlockKind::Table);
    let mut w = Window::new(&mut dev, at);
    assert_eq!(regs::read_entry(&mut w, 5), Ok(None));
    let e = entry(1, TcpState::Established);
    regs::write_entry(&mut w, 5, &e).unwrap();
    assert_eq!(regs::read_entry(&mut w, 5), Ok(Some(e)));
    assert_eq!(regs::lookup(&mut w, &e.key), Ok(Some(5)));
    assert_eq!(regs::lookup(&mut w, &key(9)), Ok(None));
    let s = regs::insert(&mut w, &entry(2, TcpState::SynReceived)).unwrap();
    assert_eq!(s, 0);
    assert_eq!(regs::delete_entry(&mut w, 5), Ok(true));
    assert_eq!(regs::delete_entry(&mut w, 5), Ok(false));
    assert_eq!(
        regs::read_entry(&mut w, CAPACITY),
        Err(RegError::Table(TableFault::BadIndex))
    );
    w.write32(tbl::INDEX, 7);
    assert_eq!(
        regs::table_cmd(&mut w, TableCmd::Write),
        Ok(()),
        "DATA still holds entry 2"
    );
    // A state code that is not a state is refused by the device.
    w.write32(tbl::data(3), 0xB);
    assert_eq!(
        regs::table_cmd(&mut w, TableCmd::Write),
        Err(RegError::Table(TableFault::BadEntry))
    );
}

#[test]
fn bulk_dump_takes_several_sweeps_through_a_small_buffer() {
    let mut dev = Fake::new();
    let at = found(&mut dev, BlockKind::Table);
    for (n, slot) in (1..=40u8).zip((0..CAPACITY).filter(|s| s % 3 != 1)) {
        dev.table
            .insert(slot, entry(n, TcpState::ALL[n as usize % 11]));
    }
    let want: Vec<DumpRecord> = dev
        .table
        .iter()
        .map(|(s, e)| DumpRecord {
            slot: *s,
            entry: *e,
        })
        .collect();
    let rec = (events::DUMP_RECORD_WORDS * 4) as u32;
    let buf_len = 16 * rec + rec / 2;
    let buf = dev.alloc_dma(buf_len as usize).unwrap();
    let mut got = Vec::new();
    let n = device::bulk_dump(
        &mut dev,
        at,
        buf,
        buf_len,
        DUMP_VECTOR,
        Duration::from_millis(10),
        |r| got.push(r),
    )
    .unwrap();
    assert_eq!(n, 40);
    assert_eq!(got, want);

    // A buffer that cannot hold one record is a fault, not a hang.
    assert_eq!(
        device::bulk_dump(
            &mut dev,
            at,
            buf,
            rec - 4,
            DUMP_VECTOR,
            Duration::from_millis(10),
            |_| ()
        ),
        Err(OpError::Reg(RegError::Table(TableFault::BadLength)))
    );
}

// ---- mailbox ------------------------------------------------------------------------------

#[test]
fn mailbox_call_runs_commands_and_reports_firmware_errors() {
    let mut dev = Fake::new();
    let at = found(&mut dev, BlockKind::Mailbox);
    dev.table.insert(9, entry(3, TcpState::CloseWait));
    let t = Duration::from_millis(100);
    let call = |dev: &mut Fake, tag, cmd| device::mailbox_call(dev, at, MBOX_VECTOR, t, tag, &cmd);
    assert_eq!(
        call(&mut dev, 1, MailboxCommand::Ping),
        Ok(Response::Ping {
            fw_version: regs::version(0, 3)
        })
    );
    assert_eq!(
        call(&mut dev, 2, MailboxCommand::RemoveEntry { key: key(3) }),
        Ok(Response::RemoveEntry {
            slot: 9,
            state: TcpState::CloseWait
        })
    );
    assert_eq!(
        call(&mut dev, 3, MailboxCommand::RemoveEntry { key: key(3) }),
        Err(OpError::Firmware(MboxError::NotFound))
    );
    let secret = [[1, 2], [3, 4]];
    assert_eq!(
        call(&mut dev, 4, MailboxCommand::SetSecret { key: secret }),
        Ok(Response::SetSecret { generation: 1 })
    );
    assert_eq!(dev.cfg.config().unwrap().cookie_key, secret);
    assert_eq!(
        call(&mut dev, 5, MailboxCommand::SetLogLevel { level: 2 }),
        Err(OpError::Firmware(MboxError::Unsupported))
    );
    // An id the firmware does not know.
    let mut w = Window::new(&mut dev, at);
    w.write32(mbox::CMD, 77 | 6 << 16);
    w.write32(mbox::DOORBELL, 1);
    assert_eq!(MboxState::of(w.read32(mbox::STATUS)), Some(MboxState::Done));
    assert_eq!(
        (w.read32(mbox::STATUS) >> 8) as u8,
        MboxError::UnknownCommand as u8
    );

    // Dead firmware: the reply never comes (the stale DONE of tag 6 is not ours).
    dev.firmware_alive = false;
    assert_eq!(
        call(&mut dev, 7, MailboxCommand::Ping),
        Err(OpError::Device(DeviceError::Timeout))
    );
    // Busy mailbox.
    dev.set(BlockKind::Mailbox, mbox::STATUS, MboxState::Busy as u32);
    assert_eq!(
        call(&mut dev, 8, MailboxCommand::Ping),
        Err(OpError::MailboxBusy)
    );
}

// ---- rings --------------------------------------------------------------------------------

#[test]
fn ring_phase_survives_wraps() {
    const N: usize = 8;
    let log2 = 2u8;
    let mut mem = vec![0u8; (4 * N) << log2];
    let mut p = RingProducer::new(log2).unwrap();
    let mut c = RingConsumer::new(log2).unwrap();
    assert!(
        c.expected_phase(),
        "the first lap carries phase 1; zeroed memory is old"
    );
    assert_eq!(c.poll_slice::<N>(&mem), None);

    let mut seq = 0u32;
    let mut produce = |p: &mut RingProducer, mem: &mut [u8], cons: u32| -> bool {
        let Some((slot, phase)) = p.push(cons) else {
            return false;
        };
        let e = TransitionEvent {
            key: key(1),
            old: TcpState::SynReceived,
            new: TcpState::Established,
            cause: TransitionCause::WireSegment,
            at: Instant::from_nanos(seq as u64),
            slot: seq,
            flags: 0,
        };
        seq += 1;
        let off = slot as usize * 4 * N;
        assert!(events::words_to_le(
            &e.encode(phase),
            &mut mem[off..off + 4 * N]
        ));
        true
    };
    let mut expect = 0u32;
    // Uneven bursts over seven laps: the consumer sees every descriptor once, in order.
    for burst in [3usize, 4, 1, 4, 2, 4, 4, 3, 1, 2, 4] {
        for _ in 0..burst {
            assert!(produce(&mut p, &mut mem, c.index()));
        }
        assert!(!p.is_full(c.index()) || burst == 4);
        if burst == 4 {
            assert!(!produce(&mut p, &mut mem, c.index()), "full ring refuses");
        }
        while let Some(w) = c.poll_slice::<N>(&mem) {
            let (e, phase) = TransitionEvent::decode(&w).unwrap();
            assert_eq!(e.slot, expect);
            assert_eq!(phase, events::phase_for(expect, log2));
            expect += 1;
        }
        assert_eq!(c.index(), p.index());
    }
    assert!(expect > 7 * 4);
    // Phases alternate lap by lap, also where the free-running index wraps at 2^32.
    assert_ne!(
        events::phase_for(u32::MAX, log2),
        events::phase_for(0, log2)
    );
    assert!(events::phase_for(0, log2) && !events::phase_for(4, log2));
    assert!(RingConsumer::new(events::MAX_RING_LOG2 + 1).is_err());
    assert!(RingProducer::new(events::MAX_RING_LOG2 + 1).is_err());
}

#[test]
fn host_ring_consumes_what_the_device_writes() {
    let mut dev = Fake::new();
    let at = found(&mut dev, BlockKind::EventRing);
    let mut r = HostRing::<EVENT_WORDS>::open(&mut dev, at, 3).unwrap();
    assert_eq!(dev.get(BlockKind::EventRing, ring::CTRL), ring::ENABLE);
    assert_eq!(dev.get(BlockKind::EventRing, ring::SIZE_LOG2), 3);
    assert_eq!(r.poll(&mut dev), Ok(None));

    let ev = |i: u32| {
        Event::Transition(TransitionEvent {
            key: key(i as u8),
            old: TcpState::Established,
            new: TcpState::CloseWait,
            cause: TransitionCause::WireSegment,
            at: Instant::from_secs(i as u64),
            slot: i,
            flags: flags::PROXIED,
        })
    };
    let mut next = 0u32;
    for round in 0..5 {
        // Fill the ring (8), plus two the device must drop.
        let mut sent = 0;
        for _ in 0..10 {
            if dev.emit(0, |phase| ev(next + sent).encode(phase)) {
                sent += 1;
            }
        }
        assert_eq!(sent, 8);
        assert!(device::wait_for(&mut dev, EVENT_VECTOR, Duration(0), |_| Ok(Some(()))).is_ok());
        for _ in 0..sent {
            let w = r.poll(&mut dev).unwrap().expect("new descriptor");
            assert_eq!(
                Event::decode(&w),
                Ok((ev(next), events::phase_for(next, 3)))
            );
            next += 1;
        }
        assert_eq!(r.poll(&mut dev), Ok(None), "round {round}: nothing more");
        assert_eq!(r.lost(&mut dev), Ok(2 * (round + 1)));
        r.release(&mut dev);
        assert_eq!(dev.get(BlockKind::EventRing, ring::CONS), next);
    }
    // A log-ring sized block refuses a descriptor size it does not have.
    dev.set(BlockKind::LogRing, ring::DESC_WORDS, 4);
    assert_eq!(
        HostRing::<LOG_WORDS>::open(&mut dev, base(BlockKind::LogRing), 3).map(|_| ()),
        Err(OpError::Protocol(
            "ring descriptor size differs from the contract"
        ))
    );
    assert!(matches!(
        HostRing::<EVENT_WORDS>::open(&mut dev, at, 13),
        Err(OpError::Device(DeviceError::Unsupported(_)))
    ));
    r.close(&mut dev).unwrap();
    assert_eq!(dev.get(BlockKind::EventRing, ring::CTRL), 0);
}

// ---- descriptors ---------------------------------------------------------------------------

#[test]
fn transition_and_alarm_events_round_trip() {
    for (i, (old, new)) in TcpState::ALL
        .iter()
        .zip(TcpState::ALL.iter().rev())
        .enumerate()
    {
        for cause in TransitionCause::ALL {
            let e = TransitionEvent {
                key: key(i as u8),
                old: *old,
                new: *new,
                cause,
                at: Instant::from_nanos(0xFEDC_BA98_7654_3210 + i as u64),
                slot: 0x000F_FFFF - i as u32,
                flags: flags::PROXIED | flags::OUTBOUND,
            };
            for phase in [false, true] {
                let w = e.encode(phase);
                assert_eq!(TransitionEvent::decode(&w), Ok((e, phase)));
                assert_eq!(
                    <Event as Descriptor<EVENT_WORDS>>::decode(&w),
                    Ok((Event::Transition(e), phase))
                );
                assert_eq!(w[0] & events::PHASE_BIT != 0, phase);
            }
        }
    }
    for kind in AlarmKind::ALL {
        let a = AlarmEvent {
            kind,
            key: key(4),
            state: TcpState::CloseWait,
            at: Instant::from_secs(99),
            slot: u32::MAX,
            value: 301,
        };
        for phase in [false, true] {
            assert_eq!(AlarmEvent::decode(&a.encode(phase)), Ok((a, phase)));
            assert_eq!(
                Event::decode(&Event::Alarm(a).encode(phase)),
                Ok((Event::Alarm(a), phase))
            );
        }
    }
}

#[test]
fn log_chunks_round_trip_and_reassemble() {
    let frame: Vec<u8> = (0..61u8).collect();
    let chunks: Vec<LogChunk> = LogChunk::split(7, &frame).collect();
    assert_eq!(chunks.len(), 3);
    assert!(chunks[0].first && !chunks[0].last && chunks[2].last);
    let mut asm = LogAssembler::<256>::new();
    let mut out = None;
    for c in &chunks {
        for phase in [true, false] {
            assert_eq!(LogChunk::decode(&c.encode(phase)), Ok((c.clone(), phase)));
        }
        out = asm.push(c).map(|f| f.to_vec());
    }
    assert_eq!(out.as_deref(), Some(&frame[..]));
    // Bytes lie in order in host memory.
    let mut bytes = [0u8; 4 * LOG_WORDS];
    assert!(events::words_to_le(&chunks[0].encode(true), &mut bytes));
    assert_eq!(&bytes[8..32], &frame[..24]);
    // An empty frame is one chunk; a lost middle chunk discards the frame.
    let empty: Vec<LogChunk> = LogChunk::split(8, &[]).collect();
    assert_eq!(empty.len(), 1);
    assert_eq!(asm.push(&empty[0]), Some(&[][..]));
    assert_eq!(asm.discarded(), 0);
    assert_eq!(asm.push(&chunks[0]), None);
    assert_eq!(asm.push(&chunks[2]), None, "chunk 1 is missing");
    assert_eq!(asm.discarded(), 1);
    let again: Vec<LogChunk> = LogChunk::split(u32::MAX, &frame).collect();
    assert_eq!(again[2].seq, 1, "sequence numbers wrap");
    let done = again
        .iter()
        .filter_map(|c| asm.push(c).map(|f| f.to_vec()))
        .last();
    assert_eq!(done.as_deref(), Some(&frame[..]));
    // Frames larger than the assembler are discarded, not truncated.
    let mut small = LogAssembler::<32>::new();
    assert!(chunks.iter().all(|c| small.push(c).is_none()));
    assert_eq!(small.discarded(), 1);
}

#[test]
fn punt_descriptors_and_dump_records_round_trip() {
    for port in [Port::Wire, Port::Host] {
        for reason in [
            PuntReason::Ipv4Fragment,
            PuntReason::Ipv6,
            PuntReason::Malformed,
        ] {
            let d = PuntDesc {
                port,
                reason,
                len: 1514,
                at: Instant::from_nanos(u64::MAX - 5),
            };
            for phase in [false, true] {
                let w: [u32; PUNT_WORDS] = d.encode(phase);
                assert_eq!(PuntDesc::decode(&w), Ok((d, phase)));
            }
            assert_eq!(
                events::punt_from_code(events::punt_code(reason)),
                Some(reason)
            );
            assert_eq!(events::port_from_code(events::port_code(port)), Some(port));
        }
    }
    for (i, s) in TcpState::ALL.iter().enumerate() {
        let r = DumpRecord {
            slot: 1 << 20 | i as u32,
            entry: entry(i as u8, *s),
        };
        assert_eq!(DumpRecord::decode(&r.encode()), Ok(r));
    }
}

#[test]
fn mailbox_commands_and_replies_round_trip() {
    let cmds = [
        MailboxCommand::Ping,
        MailboxCommand::ConfigSet { generation: 42 },
        MailboxCommand::TableDump {
            addr: 0x1234_5678_9ABC_D000,
            len: 1 << 26,
            start_slot: 77,
            states: events::state_bit(TcpState::TimeWait) | events::state_bit(TcpState::CloseWait),
        },
        MailboxCommand::Flush { states: STATES_ALL },
        MailboxCommand::RemoveEntry { key: key(200) },
        MailboxCommand::InjectFrame {
            port: Port::Host,
            len: 60,
            addr: DMA_BASE + 0x40,
        },
        MailboxCommand::SetSecret {
            key: [[u64::MAX, 1], [2, 0x8000_0000_0000_0000]],
        },
        MailboxCommand::SetLogLevel { level: 4 },
    ];
    let ids: Vec<u16> = cmds.iter().map(|c| c.id()).collect();
    let named: Vec<u16> = MailboxCommand::NAMES.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, named, "NAMES lists every command in id order");
    for (i, c) in cmds.iter().enumerate() {
        let tag = 0xA500 | i as u16;
        let w: [u32; MBOX_REQ_WORDS] = c.encode(tag);
        assert_eq!(MailboxCommand::decode(&w), Ok((*c, tag)));
    }
    let replies = [
        Response::Ping { fw_version: 3 },
        Response::ConfigSet { generation: 9 },
        Response::TableDump {
            count: 1000,
            next_slot: 1 << 20,
        },
        Response::Flush { removed: 5 },
        Response::RemoveEntry {
            slot: 17,
            state: TcpState::LastAck,
        },
        Response::InjectFrame,
        Response::SetSecret { generation: 10 },
        Response::SetLogLevel,
    ];
    for (i, r) in replies.iter().enumerate() {
        assert_eq!(r.id(), cmds[i].id());
        let ok = MailboxReply {
            tag: i as u16,
            result: Ok(*r),
        };
        let w: [u32; MBOX_REPLY_WORDS] = ok.encode();
        assert_eq!(MailboxReply::decode(r.id(), &w), Ok(ok));
    }
    for e in MboxError::ALL {
        let err = MailboxReply {
            tag: 0xFFFF,
            result: Err(e),
        };
        assert_eq!(MailboxReply::decode(cmd_id::FLUSH, &err.encode()), Ok(err));
        assert_eq!(MboxError::from_code(e as u8), Some(e));
    }
}

#[test]
fn decoders_reject_invalid_codes() {
    let t = TransitionEvent {
        key: key(1),
        old: TcpState::Listen,
        new: TcpState::SynReceived,
        cause: TransitionCause::WireSegment,
        at: Instant::ZERO,
        slot: 0,
        flags: 0,
    }
    .encode(true);
    for bad in 11..16u32 {
        let mut w = t;
        w[0] = (w[0] & !0xF00) | bad << 8;
        assert_eq!(
            TransitionEvent::decode(&w),
            Err(DecodeError::BadState(bad as u8))
        );
        let mut w = t;
        w[0] = (w[0] & !0xF000) | bad << 12;
        assert_eq!(
            TransitionEvent::decode(&w),
            Err(DecodeError::BadState(bad as u8))
        );
    }
    let mut w = t;
    w[0] = (w[0] & !0xFF_0000) | 99 << 16;
    assert_eq!(TransitionEvent::decode(&w), Err(DecodeError::BadCause(99)));
    let mut w = t;
    w[0] = (w[0] & !0xFF) | 0x7E;
    assert_eq!(Event::decode(&w), Err(DecodeError::BadType(0x7E)));
    assert_eq!(
        AlarmEvent::decode(&t),
        Err(DecodeError::BadType(events::desc_type::TRANSITION))
    );
    let mut w = t;
    w[0] = (w[0] & !0xFF_00FF) | 3 << 16 | events::desc_type::ALARM as u32;
    assert_eq!(AlarmEvent::decode(&w), Err(DecodeError::BadAlarm(3)));

    let mut l = LogChunk::split(1, b"x").next().unwrap().encode(true);
    l[0] = (l[0] & !0xFF_0000) | 25 << 16;
    assert_eq!(LogChunk::decode(&l), Err(DecodeError::BadLength(25)));

    let mut p = PuntDesc {
        port: Port::Wire,
        reason: PuntReason::Ipv6,
        len: 64,
        at: Instant::ZERO,
    }
    .encode(true);
    p[0] = (p[0] & !0xF00) | 7 << 8;
    assert_eq!(PuntDesc::decode(&p), Err(DecodeError::BadReason(7)));

    let mut d = DumpRecord {
        slot: 1,
        entry: entry(1, TcpState::Established),
    }
    .encode();
    d[4] = (d[4] & !0xF) | 12;
    assert_eq!(DumpRecord::decode(&d), Err(DecodeError::BadState(12)));

    let mut m = [0u32; MBOX_REQ_WORDS];
    m[0] = 999;
    assert_eq!(
        MailboxCommand::decode(&m),
        Err(DecodeError::BadCommand(999))
    );
    m[0] = cmd_id::FLUSH as u32;
    assert!(matches!(
        MailboxCommand::decode(&m),
        Err(DecodeError::BadArgument { index: 0, value: 0 })
    ));
    m[1] = 1 << 11;
    assert!(matches!(
        MailboxCommand::decode(&m),
        Err(DecodeError::BadArgument { .. })
    ));
    m[0] = cmd_id::INJECT_FRAME as u32;
    m[1] = 2;
    assert!(matches!(
        MailboxCommand::decode(&m),
        Err(DecodeError::BadArgument { index: 0, .. })
    ));
    m[0] = cmd_id::SET_LOG_LEVEL as u32;
    m[1] = 5;
    assert!(matches!(
        MailboxCommand::decode(&m),
        Err(DecodeError::BadArgument { .. })
    ));

    let mut r = [0u32; MBOX_REPLY_WORDS];
    assert_eq!(
        MailboxReply::decode(cmd_id::PING, &r),
        Err(DecodeError::NotDone)
    );
    r[0] = MboxState::Done as u32 | 200 << 8;
    assert_eq!(
        MailboxReply::decode(cmd_id::PING, &r),
        Err(DecodeError::BadStatus(200))
    );
    r[0] = MboxState::Done as u32;
    assert_eq!(
        MailboxReply::decode(cmd_id::PING, &r),
        Err(DecodeError::BadLength(0))
    );
    r[1] = 9;
    assert_eq!(
        MailboxReply::decode(cmd_id::PING, &r),
        Err(DecodeError::BadLength(9))
    );
    r[1] = 2;
    r[3] = 11;
    assert_eq!(
        MailboxReply::decode(cmd_id::REMOVE_ENTRY, &r),
        Err(DecodeError::BadState(11))
    );
}

#[test]
fn a_device_that_is_gone_is_an_error_everywhere() {
    let mut dev = Fake::new();
    let t = Duration::from_millis(1);
    dev.gone = true;
    assert_eq!(device::check_present(&mut dev), Err(DeviceError::Gone));
    assert_eq!(
        Identity::read(&mut Window::new(&mut dev, 0)),
        Err(WalkError::DeviceGone {
            offset: ident::MAGIC
        })
    );
    assert!(regs::device_time(&mut Window::new(&mut dev, 0)).is_err());
    assert_eq!(
        device::mailbox_call(
            &mut dev,
            base(BlockKind::Mailbox),
            MBOX_VECTOR,
            t,
            1,
            &MailboxCommand::Ping
        ),
        Err(OpError::Device(DeviceError::Gone))
    );
    assert_eq!(
        HostRing::<EVENT_WORDS>::open(&mut dev, base(BlockKind::EventRing), 3).map(|_| ()),
        Err(OpError::Device(DeviceError::Gone))
    );
    let tb = base(BlockKind::Table);
    assert!(matches!(
        regs::read_entry(&mut Window::new(&mut dev, tb), 0),
        Err(RegError::DeviceGone { .. })
    ));
    assert_eq!(
        device::bulk_dump(&mut dev, tb, DMA_BASE, 4096, DUMP_VECTOR, t, |_| ()),
        Err(OpError::Device(DeviceError::Gone))
    );
}

// ---- register map as data and as documentation -------------------------------------------------

#[test]
fn fields_are_named_once_and_fit_their_blocks() {
    for b in LAYOUT {
        let f = b.kind.fields();
        for (i, x) in f.iter().enumerate() {
            assert!(
                x.offset >= hdr::LEN && x.end() <= b.size,
                "{}.{}",
                b.kind,
                x.name
            );
            assert!(
                !x.doc.trim().is_empty(),
                "{}.{} has a description",
                b.kind,
                x.name
            );
            assert!(f[i + 1..]
                .iter()
                .all(|y| y.name != x.name && y.offset >= x.end()));
        }
    }
    assert_eq!(irq::FIELDS.last().unwrap().count, irq::MAX_SOURCES);
    assert!(IrqSource::ALL.len() as u32 <= irq::MAX_SOURCES);
    for s in IrqSource::ALL {
        assert_eq!(IrqSource::from_code(s as u32), Some(s));
    }
    for f in TableFault::ALL {
        assert_eq!(TableFault::from_code(f as u8), Some(f));
    }
    assert_eq!(TableFault::from_code(0), None);
    assert_eq!(
        regs::mbox::RESP - regs::mbox::STATUS,
        8,
        "STATUS, RESP_LEN, RESP form the reply image"
    );
    assert_eq!(
        regs::mbox::ARG - regs::mbox::CMD,
        4,
        "CMD, ARG form the request image"
    );
}

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/contract.md");
const BEGIN: &str = "<!-- BEGIN GENERATED: regs::render_markdown -->\n";
const END: &str = "<!-- END GENERATED -->";

/// `docs/contract.md` holds `regs::render_markdown`'s output between the markers, and names every
/// block, command, error code and cause the code defines. `TCPOFF_BLESS=1` rewrites the
/// generated part.
#[test]
fn contract_doc_matches_the_constants() {
    let mut generated = String::new();
    regs::render_markdown(&mut generated).unwrap();
    let doc = std::fs::read_to_string(DOC).expect("docs/contract.md");
    let (head, rest) = doc.split_once(BEGIN).expect("BEGIN marker");
    let (current, tail) = rest.split_once(END).expect("END marker");
    if current != generated {
        if std::env::var_os("TCPOFF_BLESS").is_some() {
            std::fs::write(DOC, format!("{head}{BEGIN}{generated}{END}{tail}")).unwrap();
        } else {
            panic!(
                "docs/contract.md's register tables are stale; run with TCPOFF_BLESS=1. \
                 Expected:\n{generated}"
            );
        }
    }
    let prose = format!("{head}{tail}");
    let mut names: Vec<String> = BlockKind::ALL.iter().map(|k| k.name().into()).collect();
    names.extend(MailboxCommand::NAMES.iter().map(|(_, n)| n.to_string()));
    names.extend(MboxError::ALL.iter().map(|e| format!("{e:?}")));
    names.extend(TableFault::ALL.iter().map(|e| format!("{e:?}")));
    names.extend(TransitionCause::ALL.iter().map(|e| format!("{e:?}")));
    names.extend(AlarmKind::ALL.iter().map(|e| format!("{e:?}")));
    names.extend(IrqSource::ALL.iter().map(|e| format!("{e:?}")));
    names.extend(["Read", "Write", "Delete", "Lookup", "Insert"].map(String::from));
    for n in names {
        assert!(
            prose.contains(&format!("`{n}`")),
            "docs/contract.md never names `{n}`"
        );
    }
}

// ---- no input from a device panics ------------------------------------------------------------

proptest! {
    #[test]
    fn decoders_never_panic(w in prop::array::uniform8(any::<u32>()), extra in prop::array::uniform3(any::<u32>())) {
        let _ = Event::decode(&w);
        let _ = LogChunk::decode(&w);
        let p: [u32; PUNT_WORDS] = [w[0], w[1], w[2], w[3]];
        let _ = PuntDesc::decode(&p);
        let mut d = [0u32; events::DUMP_RECORD_WORDS];
        d[..8].copy_from_slice(&w);
        d[8..].copy_from_slice(&extra);
        let _ = DumpRecord::decode(&d);
        let mut m = [0u32; MBOX_REQ_WORDS];
        m[..8].copy_from_slice(&w);
        m[8] = extra[0];
        let _ = MailboxCommand::decode(&m);
        let mut r = [0u32; MBOX_REPLY_WORDS];
        r[..8].copy_from_slice(&w);
        r[8..10].copy_from_slice(&extra[..2]);
        for (id, _) in MailboxCommand::NAMES {
            let _ = MailboxReply::decode(id, &r);
        }
        let _ = MailboxReply::decode(extra[2] as u16, &r);
    }

    #[test]
    fn walk_and_config_decode_never_panic(words in prop::collection::vec(any::<u32>(), 0..1100), seed in any::<u32>()) {
        let mut bar = Chain(words.clone());
        let len = 4 * words.len() as u32;
        let _ = regs::walk_bar(&mut bar, len);
        let _ = regs::walk(&mut bar);
        let _ = regs::decode_config(&mut Window::new(&mut bar, seed % 0x1000));
        let _ = Identity::read(&mut Window::new(&mut bar, seed % 0x1000));
        let mut out = [0u64; Counter::COUNT];
        let _ = regs::read_counters(&mut Window::new(&mut bar, seed), &mut out);
    }

    #[test]
    fn transition_events_round_trip(peer in any::<[u8; 4]>(), host in any::<[u8; 4]>(), ports in any::<(u16, u16)>(),
                                    old in 0..11u8, new in 0..11u8, cause in 0..7u8, at in any::<u64>(),
                                    slot in any::<u32>(), fl in 0..16u8, phase in any::<bool>()) {
        let e = TransitionEvent {
            key: FlowKey { peer_addr: peer, host_addr: host, peer_port: ports.0, host_port: ports.1 },
            old: TcpState::from_code(old).unwrap(),
            new: TcpState::from_code(new).unwrap(),
            cause: TransitionCause::from_code(cause).unwrap(),
            at: Instant::from_nanos(at),
            slot,
            flags: fl,
        };
        prop_assert_eq!(TransitionEvent::decode(&e.encode(phase)), Ok((e, phase)));
    }
}
