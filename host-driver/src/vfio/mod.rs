//! # The kernel VFIO backend (linux/vfio.h) for tcpoff PCIe cards
//!
//! [`VfioDevice`] implements `proto::device::Device` for a card bound to `vfio-pci`:
//! - registers: BAR0 (`VFIO_PCI_BAR0_REGION_INDEX`) mmap'd from the device fd at its region
//!   offset, accessed with volatile 32-bit loads and stores;
//! - bus mastering: the command register's Memory Space and Bus Master Enable bits, set through
//!   the config region (`VFIO_PCI_CONFIG_REGION_INDEX`) at open and again after a reset;
//! - DMA: zeroed shared memory (huge pages when a buffer is 2 MiB multiples), mapped with
//!   `VFIO_IOMMU_MAP_DMA` at an IOVA chosen by [`crate::dma`];
//! - interrupts: one eventfd per MSI-X vector (`VFIO_DEVICE_SET_IRQS`), waited on with
//!   [`crate::irq::wait`];
//! - the MSI-X table and PBA must not be in BAR0 (the contract puts them in BAR 2,
//!   `proto::regs::MSIX_BAR`): a BAR0 mapping covers the registers and nothing else;
//! - a device that reads all-ones at offset 0 (surprise removal) is gone: reads return
//!   all-ones, writes are dropped, the fallible calls return `DeviceError::Gone`.
//!
//! The ioctl surface is the [`VfioFds`] trait; [`KernelFds`] is the kernel's.

mod fds;
mod kernel;
pub mod pci_config;
pub mod sysfs;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

pub use fds::{RegionInfo, VfioFds};
pub use kernel::KernelFds;

use crate::device_spec::Bdf;
use crate::dma::{self, Pool};
use crate::mmap::Mmap;
use pci_config::{ConfigError, CMD_BUS_MASTER, CMD_MEMORY, COMMAND, CONFIG_LEN};
use proto::device::{Device, DeviceError};
use proto::regs::{RegisterAccess, ALL_ONES, BAR0_LEN};
use proto::time::Duration;
use std::path::PathBuf;
use vfio_bindings::bindings::vfio::{
    VFIO_DEVICE_FLAGS_RESET, VFIO_PCI_BAR0_REGION_INDEX, VFIO_PCI_CONFIG_REGION_INDEX,
    VFIO_PCI_MSIX_IRQ_INDEX, VFIO_REGION_INFO_FLAG_MMAP, VFIO_REGION_INFO_FLAG_READ,
    VFIO_REGION_INFO_FLAG_WRITE,
};
use vmm_sys_util::eventfd::EventFd;

/// Why a device could not be opened; each is one line for the operator.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error(
        "no {0}: VFIO is not available on this machine (load vfio-pci and bind the card to it)"
    )]
    NoVfio(PathBuf),
    #[error("no PCI device {0}")]
    NoSuchDevice(Bdf),
    #[error("{bdf} is not bound to vfio-pci (driver: {}); bind it with driverctl set-override {bdf} vfio-pci", driver.as_deref().unwrap_or("none"))]
    NotBound { bdf: Bdf, driver: Option<String> },
    #[error("{0} has no IOMMU group (enable the IOMMU: intel_iommu=on or amd_iommu=on)")]
    NoIommuGroup(Bdf),
    #[error("{bdf}: IOMMU group {group} has no /dev/vfio/{group}")]
    NoGroupDevice { bdf: Bdf, group: u32 },
    #[error("no permission to open {} (run as root or give this user the VFIO group)", .0.display())]
    NoPermission(PathBuf),
    #[error("IOMMU group {0} is not viable: bind every device in it to vfio-pci")]
    GroupNotViable(u32),
    #[error("device gone (config space reads all-ones)")]
    Gone,
    #[error("device has no MSI-X capability")]
    NoMsix,
    #[error(
        "MSI-X {what} is in BAR0, the register BAR (the contract puts it in BAR {})",
        proto::regs::MSIX_BAR
    )]
    MsixInRegisterBar { what: &'static str },
    #[error("bad PCI configuration space: {0}")]
    Config(String),
    #[error("BAR0 unusable: {0}")]
    Bar0(String),
    #[error("VFIO: {0}")]
    Vfio(String),
    #[error("vfio-user: {0}")]
    VfioUser(String),
}

fn io_err(e: std::io::Error) -> DeviceError {
    DeviceError::Io(e.raw_os_error().unwrap_or(libc::EIO))
}

/// A tcpoff card through VFIO.
pub struct VfioDevice<F: VfioFds> {
    fds: F,
    bar0: Mmap,
    dma: Pool,
    irqs: Vec<EventFd>,
    msix: pci_config::MsixCap,
    gone: bool,
}

impl VfioDevice<KernelFds> {
    /// Open the card at `bdf` (`/sys/bus/pci/devices/BDF`, bound to vfio-pci).
    pub fn open(bdf: Bdf) -> Result<Self, OpenError> {
        VfioDevice::new(KernelFds::open(bdf, &sysfs::Roots::default())?)
    }
}

impl<F: VfioFds> VfioDevice<F> {
    /// Bring up a device whose VFIO fds are open: check its configuration space, map BAR0,
    /// enable memory decoding and bus mastering, and wire every MSI-X vector (up to
    /// [`crate::irq::MAX_VECTORS`]) to an eventfd.
    pub fn new(fds: F) -> Result<Self, OpenError> {
        let mut config = [0u8; CONFIG_LEN];
        fds.read_region(VFIO_PCI_CONFIG_REGION_INDEX, 0, &mut config)
            .map_err(|e| OpenError::Config(e.to_string()))?;
        let msix = pci_config::msix(&config).map_err(|e| match e {
            ConfigError::Gone => OpenError::Gone,
            ConfigError::NoMsix => OpenError::NoMsix,
            ConfigError::Caps(s) => OpenError::Config(s),
        })?;
        if msix.table_bir == VFIO_PCI_BAR0_REGION_INDEX as u8 {
            return Err(OpenError::MsixInRegisterBar { what: "table" });
        }
        if msix.pba_bir == VFIO_PCI_BAR0_REGION_INDEX as u8 {
            return Err(OpenError::MsixInRegisterBar { what: "PBA" });
        }
        let bar = fds
            .region_info(VFIO_PCI_BAR0_REGION_INDEX)
            .ok_or_else(|| OpenError::Bar0("no BAR0 region".into()))?;
        let need =
            VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP;
        if bar.flags & need != need {
            return Err(OpenError::Bar0(format!(
                "region flags {:#x} lack read/write/mmap",
                bar.flags
            )));
        }
        if bar.size < BAR0_LEN as u64 {
            return Err(OpenError::Bar0(format!(
                "{} bytes, the register map needs {BAR0_LEN}",
                bar.size
            )));
        }
        let bar0 = Mmap::shared_fd(fds.mmap_fd(), bar.offset, bar.size as usize)
            .map_err(|e| OpenError::Bar0(format!("mmap: {e}")))?;
        let vectors = fds
            .irq_count(VFIO_PCI_MSIX_IRQ_INDEX)
            .min(msix.vectors as u32)
            .min(crate::irq::MAX_VECTORS);
        if vectors == 0 {
            return Err(OpenError::NoMsix);
        }
        let irqs = crate::irq::eventfds(vectors).map_err(|e| OpenError::Vfio(e.to_string()))?;
        let mut dev = VfioDevice {
            fds,
            bar0,
            dma: Pool::default(),
            irqs,
            msix,
            gone: false,
        };
        dev.enable_bus_master()
            .map_err(|e| OpenError::Config(format!("command register: {e}")))?;
        let refs: Vec<&EventFd> = dev.irqs.iter().collect();
        dev.fds
            .enable_msix(&refs)
            .map_err(|e| OpenError::Vfio(format!("VFIO_DEVICE_SET_IRQS: {e}")))?;
        Ok(dev)
    }

    /// Set Memory Space and Bus Master Enable in the command register.
    fn enable_bus_master(&mut self) -> Result<(), DeviceError> {
        let mut cmd = [0u8; 2];
        self.fds
            .read_region(VFIO_PCI_CONFIG_REGION_INDEX, COMMAND, &mut cmd)
            .map_err(io_err)?;
        let v = u16::from_le_bytes(cmd);
        if v == 0xffff {
            self.gone = true;
            return Err(DeviceError::Gone);
        }
        let v = v | CMD_MEMORY | CMD_BUS_MASTER;
        self.fds
            .write_region(VFIO_PCI_CONFIG_REGION_INDEX, COMMAND, &v.to_le_bytes())
            .map_err(io_err)
    }

    /// Function-level reset (`VFIO_DEVICE_RESET`); bus mastering is enabled again after it.
    /// DMA mappings and the MSI-X wiring survive (they live in the IOMMU and VFIO, not the
    /// device).
    pub fn reset(&mut self) -> Result<(), DeviceError> {
        if self.fds.device_flags() & VFIO_DEVICE_FLAGS_RESET == 0 {
            return Err(DeviceError::Unsupported("the device cannot be reset"));
        }
        self.fds.reset().map_err(io_err)?;
        self.enable_bus_master()
    }

    /// The MSI-X capability found at open.
    pub fn msix(&self) -> pci_config::MsixCap {
        self.msix
    }

    fn check_gone(&mut self) -> Result<(), DeviceError> {
        if self.gone {
            return Err(DeviceError::Gone);
        }
        if self.bar0.read32(0) == Some(ALL_ONES) {
            self.gone = true;
            return Err(DeviceError::Gone);
        }
        Ok(())
    }
}

impl<F: VfioFds> RegisterAccess for VfioDevice<F> {
    fn read32(&mut self, offset: u32) -> u32 {
        if self.gone {
            return ALL_ONES;
        }
        let v = self.bar0.read32(offset as usize).unwrap_or(ALL_ONES);
        if v == ALL_ONES && (offset == 0 || self.bar0.read32(0) == Some(ALL_ONES)) {
            // offset 0 is the Identity block's TYPE, never all-ones on a live device
            self.gone = true;
        }
        v
    }

    fn write32(&mut self, offset: u32, value: u32) {
        if !self.gone {
            self.bar0.write32(offset as usize, value);
        }
    }
}

impl<F: VfioFds> Device for VfioDevice<F> {
    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        self.check_gone()?;
        self.dma.read(addr, buf)
    }

    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), DeviceError> {
        self.check_gone()?;
        self.dma.write(addr, data)
    }

    fn alloc_dma(&mut self, len: usize) -> Result<u64, DeviceError> {
        self.check_gone()?;
        let (size, align) = dma::layout(len)?;
        let iova = self
            .dma
            .place(size, align)
            .ok_or(DeviceError::NoMemory { len })?;
        let mem = Mmap::anonymous(size as usize).map_err(|_| DeviceError::NoMemory { len })?;
        // SAFETY: `mem` moves into the pool and stays mapped until free_dma or drop unmaps the
        // IOVA first; the pool touches it only through raw-pointer copies.
        unsafe { self.fds.map_dma(iova, size, mem.as_ptr()) }.map_err(io_err)?;
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
        self.fds.unmap_dma(addr, len).map_err(io_err)?;
        self.dma.remove(addr);
        Ok(())
    }

    fn wait_irq(&mut self, vector: u16, timeout: Duration) -> Result<bool, DeviceError> {
        self.check_gone()?;
        let fd = self
            .irqs
            .get(vector as usize)
            .ok_or(DeviceError::Unsupported("MSI-X vector not enabled"))?;
        crate::irq::wait(fd, timeout).map_err(io_err)
    }

    fn irq_vectors(&self) -> u16 {
        self.irqs.len() as u16
    }
}

impl<F: VfioFds> Drop for VfioDevice<F> {
    fn drop(&mut self) {
        let _ = self.fds.disable_msix();
        for (iova, buf) in self.dma.drain() {
            // the IOMMU must stop reaching the pages before they are unmapped
            if self.fds.unmap_dma(iova, buf.len() as u64).is_err() {
                // keep the pages rather than let the device write freed memory
                std::mem::forget(buf);
            }
        }
    }
}
