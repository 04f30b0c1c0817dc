//! The device a command opened, whichever backend serves it: one type for the commands, with
//! what differs between backends (reset, where interrupts come from) in one place.

use crate::vfio::pci_config::MsixCap;
use crate::vfio::{KernelFds, VfioDevice};
use crate::vfio_user::VfioUserDevice;
use proto::device::{Device, DeviceError};
use proto::regs::RegisterAccess;
use proto::time::Duration;

pub enum Backend {
    Vfio(VfioDevice<KernelFds>),
    VfioUser(VfioUserDevice),
}

impl Backend {
    /// Function-level reset (`VFIO_DEVICE_RESET` / `VFIO_USER_DEVICE_RESET`).
    pub fn reset(&mut self) -> Result<(), DeviceError> {
        match self {
            Backend::Vfio(d) => d.reset(),
            Backend::VfioUser(d) => d.reset(),
        }
    }

    /// How the host reaches the device, in one line.
    pub fn describe(&self) -> String {
        let (how, m): (&str, MsixCap) = match self {
            Backend::Vfio(d) => ("vfio-pci, BAR0 mmap'd", d.msix()),
            Backend::VfioUser(d) => ("vfio-user, BAR0 by region messages", d.msix()),
        };
        format!(
            "{how}; MSI-X table in BAR{} at {:#x}, PBA in BAR{} at {:#x}",
            m.table_bir, m.table_offset, m.pba_bir, m.pba_offset
        )
    }

    fn dev(&mut self) -> &mut dyn Device {
        match self {
            Backend::Vfio(d) => d,
            Backend::VfioUser(d) => d,
        }
    }
}

impl RegisterAccess for Backend {
    fn read32(&mut self, offset: u32) -> u32 {
        self.dev().read32(offset)
    }
    fn write32(&mut self, offset: u32, value: u32) {
        self.dev().write32(offset, value)
    }
}

impl Device for Backend {
    fn dma_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        self.dev().dma_read(addr, buf)
    }
    fn dma_write(&mut self, addr: u64, data: &[u8]) -> Result<(), DeviceError> {
        self.dev().dma_write(addr, data)
    }
    fn alloc_dma(&mut self, len: usize) -> Result<u64, DeviceError> {
        self.dev().alloc_dma(len)
    }
    fn free_dma(&mut self, addr: u64) -> Result<(), DeviceError> {
        self.dev().free_dma(addr)
    }
    fn wait_irq(&mut self, vector: u16, timeout: Duration) -> Result<bool, DeviceError> {
        self.dev().wait_irq(vector, timeout)
    }
    fn irq_vectors(&self) -> u16 {
        match self {
            Backend::Vfio(d) => d.irq_vectors(),
            Backend::VfioUser(d) => d.irq_vectors(),
        }
    }
}
