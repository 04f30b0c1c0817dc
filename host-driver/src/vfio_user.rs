//! # The vfio-user backend: a tcpoff PCI function served over a Unix socket
//!
//! [`VfioUserDevice`] implements `proto::device::Device` as a vfio-user client (rust-vmm
//! `vfio_user::Client`; the protocol is QEMU's docs/interop/vfio-user.rst, its messages mirror
//! linux/vfio.h):
//! - registers: `VFIO_USER_REGION_READ` / `VFIO_USER_REGION_WRITE` of 4 bytes on region
//!   `VFIO_PCI_BAR0_REGION_INDEX`;
//! - DMA: each buffer is a memfd, mapped here and announced with `VFIO_USER_DMA_MAP` (the fd
//!   travels over the socket, so the server maps the same pages); placement and alignment as
//!   for VFIO ([`crate::dma`]);
//! - interrupts: one eventfd per MSI-X vector, sent with `VFIO_USER_SET_IRQS`
//!   (`VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER`);
//! - a socket that fails (the server exited) makes the device gone: reads return all-ones,
//!   writes are dropped, the fallible calls return `DeviceError::Gone`.

use crate::dma::{self, Pool};
use crate::mmap::Mmap;
use crate::vfio::pci_config::{self, ConfigError, CONFIG_LEN};
use crate::vfio::OpenError;
use proto::device::{Device, DeviceError};
use proto::regs::{RegisterAccess, ALL_ONES, BAR0_LEN};
use proto::time::Duration;
use std::os::fd::AsRawFd;
use std::path::Path;
use vfio_bindings::bindings::vfio::{
    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_NONE,
    VFIO_PCI_BAR0_REGION_INDEX, VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_MSIX_IRQ_INDEX,
};
use vfio_user::Client;
use vmm_sys_util::eventfd::EventFd;

pub struct VfioUserDevice {
    client: Client,
    bar0_len: u64,
    dma: Pool,
    irqs: Vec<EventFd>,
    msix: pci_config::MsixCap,
    gone: bool,
}

impl VfioUserDevice {
    /// Connect to the server at `path`, check the function's configuration space (MSI-X
    /// outside BAR0, as for a card) and BAR0, and wire the MSI-X vectors to eventfds.
    pub fn connect(path: &Path) -> Result<Self, OpenError> {
        let shown = path.display();
        if !path.exists() {
            return Err(OpenError::VfioUser(format!("no socket at {shown}")));
        }
        let mut client =
            Client::new(path).map_err(|e| OpenError::VfioUser(format!("{shown}: {e}")))?;
        let mut config = [0u8; CONFIG_LEN];
        client
            .region_read(VFIO_PCI_CONFIG_REGION_INDEX, 0, &mut config)
            .map_err(|e| OpenError::VfioUser(format!("config space: {e}")))?;
        let msix = pci_config::msix(&config).map_err(|e| match e {
            ConfigError::Gone => OpenError::Gone,
            ConfigError::NoMsix => OpenError::NoMsix,
            ConfigError::Caps(s) => OpenError::Config(s),
        })?;
        if msix.table_bir == 0 {
            return Err(OpenError::MsixInRegisterBar { what: "table" });
        }
        if msix.pba_bir == 0 {
            return Err(OpenError::MsixInRegisterBar { what: "PBA" });
        }
        let bar0_len = client
            .region(VFIO_PCI_BAR0_REGION_INDEX)
            .map_or(0, |r| r.size);
        if bar0_len < BAR0_LEN as u64 {
            return Err(OpenError::Bar0(format!(
                "{bar0_len} bytes, the register map needs {BAR0_LEN}"
            )));
        }
        let vectors = client
            .get_irq_info(VFIO_PCI_MSIX_IRQ_INDEX)
            .map_err(|e| OpenError::VfioUser(format!("MSI-X info: {e}")))?
            .count
            .min(msix.vectors as u32)
            .min(crate::irq::MAX_VECTORS);
        if vectors == 0 {
            return Err(OpenError::NoMsix);
        }
        let irqs = crate::irq::eventfds(vectors).map_err(|e| OpenError::VfioUser(e.to_string()))?;
        let fds: Vec<i32> = irqs.iter().map(|f| f.as_raw_fd()).collect();
        client
            .set_irqs(
                VFIO_PCI_MSIX_IRQ_INDEX,
                VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
                0,
                vectors,
                &fds,
            )
            .map_err(|e| OpenError::VfioUser(format!("set MSI-X eventfds: {e}")))?;
        Ok(VfioUserDevice {
            client,
            bar0_len,
            dma: Pool::default(),
            irqs,
            msix,
            gone: false,
        })
    }

    /// `VFIO_USER_DEVICE_RESET`.
    pub fn reset(&mut self) -> Result<(), DeviceError> {
        self.live()?;
        self.client.reset().map_err(|_| self.lost())
    }

    /// The MSI-X capability found at connect.
    pub fn msix(&self) -> pci_config::MsixCap {
        self.msix
    }

    fn lost(&mut self) -> DeviceError {
        self.gone = true;
        DeviceError::Gone
    }

    fn live(&self) -> Result<(), DeviceError> {
        if self.gone {
            Err(DeviceError::Gone)
        } else {
            Ok(())
        }
    }
}

impl RegisterAccess for VfioUserDevice {
    fn read32(&mut self, offset: u32) -> u32 {
        if self.gone || !offset.is_multiple_of(4) || offset as u64 + 4 > self.bar0_len {
            return ALL_ONES;
        }
        let mut b = [0u8; 4];
        match self
            .client
            .region_read(VFIO_PCI_BAR0_REGION_INDEX, offset as u64, &mut b)
        {
            Ok(()) => u32::from_le_bytes(b),
            Err(_) => {
                self.gone = true;
                ALL_ONES
            }
        }
    }

    fn write32(&mut self, offset: u32, value: u32) {
        if self.gone || !offset.is_multiple_of(4) || offset as u64 + 4 > self.bar0_len {
            return;
        }
        if self
            .client
            .region_write(
                VFIO_PCI_BAR0_REGION_INDEX,
                offset as u64,
                &value.to_le_bytes(),
            )
            .is_err()
        {
            self.gone = true;
        }
    }
}

impl Device for VfioUserDevice {
    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        self.live()?;
        self.dma.read(addr, buf)
    }

    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), DeviceError> {
        self.live()?;
        self.dma.write(addr, data)
    }

    fn alloc_dma(&mut self, len: usize) -> Result<u64, DeviceError> {
        self.live()?;
        let (size, align) = dma::layout(len)?;
        let iova = self
            .dma
            .place(size, align)
            .ok_or(DeviceError::NoMemory { len })?;
        let (mem, file) =
            Mmap::memfd("tcpoff-dma", size as usize).map_err(|_| DeviceError::NoMemory { len })?;
        self.client
            .dma_map(0, iova, size, file.as_raw_fd())
            .map_err(|_| self.lost())?;
        // the server holds its own reference to the memfd now; ours closes here
        drop(file);
        self.dma.insert(iova, mem);
        Ok(iova)
    }

    fn free_dma(&mut self, addr: u64) -> Result<(), DeviceError> {
        let len = self
            .dma
            .buffers()
            .find(|&(a, _)| a == addr)
            .map(|(_, l)| l)
            .ok_or(DeviceError::Dma { addr, len: 0 })?;
        self.live()?;
        self.client.dma_unmap(addr, len).map_err(|_| self.lost())?;
        self.dma.remove(addr);
        Ok(())
    }

    fn wait_irq(&mut self, vector: u16, timeout: Duration) -> Result<bool, DeviceError> {
        self.live()?;
        let fd = self
            .irqs
            .get(vector as usize)
            .ok_or(DeviceError::Unsupported("MSI-X vector not enabled"))?;
        crate::irq::wait(fd, timeout).map_err(|e| DeviceError::Io(e.raw_os_error().unwrap_or(0)))
    }

    fn irq_vectors(&self) -> u16 {
        self.irqs.len() as u16
    }
}

impl Drop for VfioUserDevice {
    fn drop(&mut self) {
        if !self.gone {
            let _ = self.client.set_irqs(
                VFIO_PCI_MSIX_IRQ_INDEX,
                VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
                0,
                0,
                &[],
            );
            let bufs: Vec<(u64, u64)> = self.dma.buffers().collect();
            for (iova, len) in bufs {
                let _ = self.client.dma_unmap(iova, len);
            }
        }
        let _ = self.client.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{self, FixtureServer};
    use proto::device::{bulk_dump, check_present};
    use proto::regs::{self, irq::IrqSource, BlockKind, Window};

    #[test]
    fn registers_dma_and_an_interrupt_round_trip_through_the_socket() {
        let table = fixture::records(40);
        let server = FixtureServer::start("roundtrip", table.clone());
        let mut dev = VfioUserDevice::connect(server.path()).expect("connect");
        assert_eq!(dev.irq_vectors(), fixture::VECTORS as u16);

        // region read: the register map walks and identifies
        let blocks = regs::walk(&mut dev).unwrap();
        assert_eq!(blocks.len(), regs::LAYOUT.len());
        let id = regs::Identity::read(&mut Window::new(&mut dev, 0)).unwrap();
        assert_eq!(id, fixture::identity());
        // region write, read back
        let cfg = regs::find(&blocks, BlockKind::Config).unwrap().offset;
        dev.write32(cfg + regs::cfg::TIME_WAIT_MS, 30_000);
        assert_eq!(dev.read32(cfg + regs::cfg::TIME_WAIT_MS), 30_000);

        // an interrupt round trip: route a source to vector 5, trigger it, wait for it
        let irq = regs::find(&blocks, BlockKind::Interrupt).unwrap().offset;
        dev.write32(irq + regs::irq::vector(IrqSource::Mailbox), 5);
        assert!(!dev.wait_irq(5, Duration(0)).unwrap());
        dev.write32(irq + regs::irq::TRIGGER, IrqSource::Mailbox.bit());
        assert!(dev.wait_irq(5, Duration::from_secs(60)).unwrap());
        assert!(!dev.wait_irq(4, Duration(0)).unwrap());

        // DMA: a bulk dump whose buffer holds 16 records, so it takes three sweeps, each
        // written by the server into the client's memfd and announced by the TableDump vector
        let tbl = regs::find(&blocks, BlockKind::Table).unwrap().offset;
        dev.write32(irq + regs::irq::vector(IrqSource::TableDump), 3);
        let len = 16 * proto::events::DUMP_RECORD_WORDS * 4;
        let buf = dev.alloc_dma(len).unwrap();
        assert_eq!(buf % 4096, 0);
        let mut got = Vec::new();
        let n = bulk_dump(
            &mut dev,
            tbl,
            buf,
            len as u32,
            3,
            Duration::from_secs(60),
            |r| got.push(r),
        )
        .unwrap();
        assert_eq!(n, 40);
        assert_eq!(got, table);
        dev.free_dma(buf).unwrap();
        dev.reset().unwrap();
        drop(dev);
        let regfile = server.finish();
        assert!(regfile.dma.is_empty(), "the buffer was unmapped");
        assert!(regfile.irqs.is_empty(), "MSI-X was disabled");
        assert_eq!(regfile.resets, 1);
    }

    #[test]
    fn a_dead_socket_makes_the_device_gone() {
        let server = FixtureServer::start("gone", Vec::new());
        let mut dev = VfioUserDevice::connect(server.path()).expect("connect");
        assert!(check_present(&mut dev).is_ok());
        let buf = dev.alloc_dma(4096).unwrap();
        // the connection dies
        dev.client.shutdown().unwrap();
        assert_eq!(dev.read32(0), ALL_ONES);
        assert_eq!(check_present(&mut dev), Err(DeviceError::Gone));
        assert_eq!(dev.dma_read(buf, &mut [0u8; 4]), Err(DeviceError::Gone));
        assert_eq!(dev.wait_irq(0, Duration(0)), Err(DeviceError::Gone));
        drop(dev);
        server.finish();
    }

    #[test]
    fn a_missing_socket_is_one_line() {
        let e = VfioUserDevice::connect(Path::new("/nonexistent/tcpoff.sock"))
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "vfio-user: no socket at /nonexistent/tcpoff.sock"
        );
    }
}
