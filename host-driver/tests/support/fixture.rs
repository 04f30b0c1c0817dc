//! TEST FIXTURE — not a device model. A small register file laid out as `proto::regs::LAYOUT`
//! says, and a vfio-user server (rust-vmm `vfio_user::Server`) serving it, so the host
//! driver's backends are exercised over real fds and a real socket where no card (and, until
//! the simulator lands, no simulated device) exists.
//!
//! What the register file does beyond holding values, and nothing more:
//! - the Identity block and every block header read as the contract lays them out;
//! - ring blocks report `DESC_WORDS` 8 and `MAX_LOG2` 12;
//! - Interrupt `TRIGGER`: each source bit written signals the eventfd of the MSI-X vector in
//!   that source's `VECTOR` register;
//! - Table `DUMP_GO`: writes the fixture's records into the DMA buffer at DUMP_ADDR (as many as
//!   DUMP_LEN holds, from DUMP_START), sets DUMP_STATUS / COUNT / NEXT and signals the
//!   TableDump vector — so `proto::device::bulk_dump` runs across DMA and an interrupt.
#![allow(dead_code)]

use proto::events::{DumpRecord, DUMP_RECORD_WORDS};
use proto::regs::{self, irq::IrqSource, BlockKind, Identity, LAYOUT};
use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Bytes of the fixture's BAR0.
pub const BAR0_BYTES: usize = regs::BAR0_LEN as usize;
/// MSI-X vectors the fixture offers.
pub const VECTORS: u32 = 8;

/// The Identity the fixture reports.
pub fn identity() -> Identity {
    Identity {
        contract: regs::CONTRACT_VERSION,
        build_id: 0x0f1c_0001,
        caps: regs::caps::BULK_DUMP | regs::caps::EVENT_RING,
        table_capacity: 4096,
        table_ways: 4,
        entry_words: proto::table::ENTRY_WORDS as u32,
        counters: proto::counters::Counter::COUNT as u32,
        clock_hz: 250_000_000,
        max_listeners: 16,
    }
}

/// BAR0 as 32-bit words: every block header, the Identity fields, ring geometry.
pub fn bar0_image() -> Vec<u32> {
    let mut w = vec![0u32; BAR0_BYTES / 4];
    for (i, b) in LAYOUT.iter().enumerate() {
        for (k, v) in b.header(regs::next_offset(i)).into_iter().enumerate() {
            w[b.offset as usize / 4 + k] = v;
        }
    }
    for (off, v) in identity().registers() {
        w[off as usize / 4] = v;
    }
    for kind in [BlockKind::EventRing, BlockKind::LogRing] {
        let base = regs::layout_of(kind).offset;
        w[(base + regs::ring::DESC_WORDS) as usize / 4] = 8;
        w[(base + regs::ring::MAX_LOG2) as usize / 4] = 12;
    }
    let irq = regs::layout_of(BlockKind::Interrupt).offset;
    w[(irq + regs::irq::NUM_VECTORS) as usize / 4] = VECTORS;
    w
}

/// A PCI configuration space: a Type 0 header and an MSI-X capability whose table and PBA are
/// in BAR 2 (`proto::regs::MSIX_BAR`).
pub fn config_space() -> [u8; 256] {
    let mut c = [0u8; 256];
    c[0..2].copy_from_slice(&0x1234u16.to_le_bytes());
    c[2..4].copy_from_slice(&0x0bd1u16.to_le_bytes());
    c[6] = 1 << 4; // Status: Capabilities List
    c[0x34] = 0x40;
    c[0x40] = 0x11; // MSI-X
    c[0x42..0x44].copy_from_slice(&((VECTORS - 1) as u16).to_le_bytes());
    c[0x44..0x48].copy_from_slice(&(regs::MSIX_BAR as u32).to_le_bytes());
    c[0x48..0x4c].copy_from_slice(&(0x800 | regs::MSIX_BAR as u32).to_le_bytes());
    c
}

/// The fixture's table: `n` ESTABLISHED flows from 198.51.100.x to 192.0.2.1:80, in slots
/// 3, 10, 17, ...
pub fn records(n: u32) -> Vec<DumpRecord> {
    (0..n)
        .map(|i| {
            let key = proto::table::FlowKey {
                peer_addr: [198, 51, 100, (i % 250) as u8 + 1],
                host_addr: [192, 0, 2, 1],
                peer_port: 40000 + i as u16,
                host_port: 80,
            };
            DumpRecord {
                slot: 3 + 7 * i,
                entry: proto::table::Entry::new(key, proto::state::TcpState::Established),
            }
        })
        .collect()
}

/// What the server side holds.
pub struct Regfile {
    pub bar: Vec<u32>,
    pub config: [u8; 256],
    pub irqs: Vec<File>,
    /// DMA regions the client mapped: (iova, size, the mapping of its memfd).
    pub dma: Vec<(u64, u64, crate_mmap::Map)>,
    pub table: Vec<DumpRecord>,
    pub resets: u32,
}

/// A minimal shared mapping of a received memfd (the fixture cannot use the driver's crate).
pub mod crate_mmap {
    pub struct Map {
        pub ptr: *mut u8,
        pub len: usize,
    }
    // SAFETY: plain shared memory.
    unsafe impl Send for Map {}
    impl Map {
        pub fn new(fd: i32, offset: u64, len: usize) -> std::io::Result<Map> {
            // SAFETY: a fresh mapping of a memfd the client sent.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    fd,
                    offset as libc::off_t,
                )
            };
            if p == libc::MAP_FAILED {
                return Err(std::io::Error::last_os_error());
            }
            Ok(Map { ptr: p.cast(), len })
        }
    }
    impl Drop for Map {
        fn drop(&mut self) {
            // SAFETY: ours.
            unsafe { libc::munmap(self.ptr.cast(), self.len) };
        }
    }
}

impl Regfile {
    pub fn new(table: Vec<DumpRecord>) -> Regfile {
        Regfile {
            bar: bar0_image(),
            config: config_space(),
            irqs: Vec::new(),
            dma: Vec::new(),
            table,
            resets: 0,
        }
    }

    fn reg(&self, kind: BlockKind, rel: u32) -> u32 {
        self.bar[((regs::layout_of(kind).offset + rel) / 4) as usize]
    }

    fn set(&mut self, kind: BlockKind, rel: u32, v: u32) {
        self.bar[((regs::layout_of(kind).offset + rel) / 4) as usize] = v;
    }

    fn fire(&mut self, source: IrqSource) {
        let v = self.reg(BlockKind::Interrupt, regs::irq::vector(source)) as usize;
        if let Some(f) = self.irqs.get_mut(v) {
            let _ = f.write_all(&1u64.to_ne_bytes());
        }
    }

    /// Device-side DMA write: `data` at `iova` inside a mapped region.
    fn dma_write(&mut self, iova: u64, data: &[u8]) -> bool {
        for (base, size, map) in &self.dma {
            if iova >= *base && iova + data.len() as u64 <= base + size {
                // SAFETY: inside the mapping.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        data.as_ptr(),
                        map.ptr.add((iova - base) as usize),
                        data.len(),
                    )
                };
                return true;
            }
        }
        false
    }

    fn dump(&mut self) {
        use regs::tbl;
        let addr = self.reg(BlockKind::Table, tbl::DUMP_ADDR_LO) as u64
            | (self.reg(BlockKind::Table, tbl::DUMP_ADDR_HI) as u64) << 32;
        let len = self.reg(BlockKind::Table, tbl::DUMP_LEN) as usize;
        let start = self.reg(BlockKind::Table, tbl::DUMP_START);
        let room = len / (DUMP_RECORD_WORDS * 4);
        let todo: Vec<DumpRecord> = self
            .table
            .iter()
            .filter(|r| r.slot >= start)
            .copied()
            .collect();
        let mut count = 0u32;
        let mut fault = 0u32;
        for r in todo.iter().take(room) {
            let bytes: Vec<u8> = r.encode().iter().flat_map(|w| w.to_le_bytes()).collect();
            if !self.dma_write(addr + count as u64 * bytes.len() as u64, &bytes) {
                fault = regs::TableFault::Dma as u32;
                break;
            }
            count += 1;
        }
        let end = count as usize == todo.len();
        let next = if end {
            self.reg(BlockKind::Identity, regs::ident::TABLE_CAPACITY)
        } else {
            todo[count as usize].slot
        };
        let status = tbl::DONE | if end { tbl::END } else { 0 } | fault << 8;
        self.set(BlockKind::Table, tbl::DUMP_STATUS, status);
        self.set(BlockKind::Table, tbl::DUMP_COUNT, count);
        self.set(BlockKind::Table, tbl::DUMP_NEXT, next);
        self.fire(IrqSource::TableDump);
    }
}

const CONFIG_INDEX: u32 = vfio_bindings::bindings::vfio::VFIO_PCI_CONFIG_REGION_INDEX;

impl vfio_user::ServerBackend for Regfile {
    fn region_read(&mut self, region: u32, offset: u64, data: &mut [u8]) -> std::io::Result<()> {
        let src: Vec<u8> = match region {
            0 => self.bar.iter().flat_map(|w| w.to_le_bytes()).collect(),
            CONFIG_INDEX => self.config.to_vec(),
            _ => vec![0; 4096],
        };
        let at = offset as usize;
        let part = src
            .get(at..at + data.len())
            .ok_or(std::io::ErrorKind::InvalidInput)?;
        data.copy_from_slice(part);
        Ok(())
    }

    fn region_write(&mut self, region: u32, offset: u64, data: &[u8]) -> std::io::Result<()> {
        if region == CONFIG_INDEX {
            let at = offset as usize;
            self.config
                .get_mut(at..at + data.len())
                .ok_or(std::io::ErrorKind::InvalidInput)?
                .copy_from_slice(data);
            return Ok(());
        }
        if region != 0
            || data.len() != 4
            || !offset.is_multiple_of(4)
            || offset as usize >= BAR0_BYTES
        {
            return Err(std::io::ErrorKind::InvalidInput.into());
        }
        let v = u32::from_le_bytes(data.try_into().unwrap());
        let irq_base = regs::layout_of(BlockKind::Interrupt).offset as u64;
        let tbl_base = regs::layout_of(BlockKind::Table).offset as u64;
        if offset == irq_base + regs::irq::TRIGGER as u64 {
            for s in IrqSource::ALL {
                if v & s.bit() != 0 {
                    self.fire(s);
                }
            }
        } else if offset == tbl_base + regs::tbl::DUMP_GO as u64 {
            self.dump();
        } else {
            self.bar[offset as usize / 4] = v;
        }
        Ok(())
    }

    fn dma_map(
        &mut self,
        _flags: vfio_user::DmaMapFlags,
        offset: u64,
        address: u64,
        size: u64,
        fd: Option<File>,
    ) -> std::io::Result<()> {
        let fd = fd.ok_or(std::io::ErrorKind::InvalidInput)?;
        let map = crate_mmap::Map::new(fd.as_raw_fd(), offset, size as usize)?;
        self.dma.push((address, size, map));
        Ok(())
    }

    fn dma_unmap(
        &mut self,
        _flags: vfio_user::DmaUnmapFlags,
        address: u64,
        _size: u64,
    ) -> std::io::Result<()> {
        self.dma.retain(|(a, _, _)| *a != address);
        Ok(())
    }

    fn reset(&mut self) -> std::io::Result<()> {
        self.resets += 1;
        self.bar = bar0_image();
        Ok(())
    }

    fn set_irqs(
        &mut self,
        index: u32,
        _flags: u32,
        start: u32,
        count: u32,
        fds: Vec<File>,
    ) -> std::io::Result<()> {
        if index != vfio_bindings::bindings::vfio::VFIO_PCI_MSIX_IRQ_INDEX {
            return Err(std::io::ErrorKind::InvalidInput.into());
        }
        if count == 0 {
            self.irqs.clear();
            return Ok(());
        }
        if start != 0 || fds.len() != count as usize {
            return Err(std::io::ErrorKind::InvalidInput.into());
        }
        self.irqs = fds;
        Ok(())
    }
}

/// The fixture's vfio-user server on a socket in a fresh temporary directory, answering one
/// client in a background thread.
pub struct FixtureServer {
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub state: Arc<Mutex<Option<Regfile>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn server_regions() -> Vec<vfio_user::ServerRegion> {
    use vfio_bindings::bindings::vfio::*;
    (0..VFIO_PCI_NUM_REGIONS)
        .map(|index| {
            let size = match index {
                VFIO_PCI_BAR0_REGION_INDEX => BAR0_BYTES as u64,
                VFIO_PCI_BAR2_REGION_INDEX => 0x1000,
                VFIO_PCI_CONFIG_REGION_INDEX => 256,
                _ => 0,
            };
            let flags = if size > 0 {
                VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE
            } else {
                0
            };
            vfio_user::ServerRegion {
                region_info: vfio_region_info {
                    argsz: std::mem::size_of::<vfio_region_info>() as u32,
                    flags,
                    index,
                    size,
                    ..Default::default()
                },
                sparse_areas: Vec::new(),
                mmap_fd: None,
            }
        })
        .collect()
}

fn server_irqs() -> Vec<vfio_user::IrqInfo> {
    use vfio_bindings::bindings::vfio::*;
    (0..VFIO_PCI_NUM_IRQS)
        .map(|index| vfio_user::IrqInfo {
            index,
            flags: VFIO_IRQ_INFO_EVENTFD,
            count: if index == VFIO_PCI_MSIX_IRQ_INDEX {
                VECTORS
            } else {
                0
            },
        })
        .collect()
}

impl FixtureServer {
    /// Serve `table` at a new socket `NAME.sock` in a fresh directory under the temp dir.
    pub fn start(name: &str, table: Vec<DumpRecord>) -> FixtureServer {
        let dir = std::env::temp_dir().join(format!(
            "tcpoff-fixture-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("dev.sock");
        let server = vfio_user::Server::new(&socket, true, server_irqs(), server_regions())
            .expect("bind the fixture's vfio-user socket");
        let state = Arc::new(Mutex::new(None));
        let st = state.clone();
        let thread = std::thread::spawn(move || {
            let mut regfile = Regfile::new(table);
            let _ = server.run(&mut regfile);
            *st.lock().unwrap() = Some(regfile);
        });
        FixtureServer {
            dir,
            socket,
            state,
            thread: Some(thread),
        }
    }

    /// Wait for the client to hang up; the register file as it was left.
    pub fn finish(mut self) -> Regfile {
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.state.lock().unwrap().take().expect("server state")
    }

    pub fn path(&self) -> &Path {
        &self.socket
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
