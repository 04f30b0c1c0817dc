//! A fake of the VFIO file descriptors for tests: the device fd's regions are a memfd (BAR0
//! at a non-zero region offset, so the driver must honour `vfio_region_info.offset`), the
//! config region is a byte array, DMA maps and unmaps are recorded, the MSI-X eventfds the
//! driver hands over can be signalled as the device would.

use super::fds::{RegionInfo, VfioFds};
use super::pci_config::{MsixCap, COMMAND};
use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::fs::FileExt;
use std::rc::Rc;
use vfio_bindings::bindings::vfio::*;
use vmm_sys_util::eventfd::EventFd;

/// Where the fake's BAR0 sits in the device "fd".
pub const BAR0_OFFSET: u64 = 0x10_0000;

pub struct FakeState {
    pub config: RefCell<[u8; 256]>,
    pub bar: File,
    pub bar_size: Cell<u64>,
    pub bar_flags: Cell<u32>,
    pub msix_count: Cell<u32>,
    pub device_flags: Cell<u32>,
    /// (iova, len, host address) of every live DMA mapping.
    pub maps: RefCell<Vec<(u64, u64, usize)>>,
    pub unmaps: RefCell<Vec<(u64, u64)>>,
    pub irqs: RefCell<Vec<EventFd>>,
    pub resets: Cell<u32>,
}

impl FakeState {
    /// A device with `bar0` (32-bit words) as its BAR0 and the MSI-X capability `msix`.
    pub fn new(bar0: &[u32], msix: Option<MsixCap>) -> Rc<FakeState> {
        let name = std::ffi::CString::new("tcpoff-fake-vfio").unwrap();
        // SAFETY: plain syscall; we own the fd on success.
        let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
        assert!(fd >= 0);
        // SAFETY: fresh owned fd.
        let bar = unsafe { File::from_raw_fd(fd) };
        let bytes: Vec<u8> = bar0.iter().flat_map(|w| w.to_le_bytes()).collect();
        bar.set_len(BAR0_OFFSET + bytes.len() as u64).unwrap();
        bar.write_all_at(&bytes, BAR0_OFFSET).unwrap();
        Rc::new(FakeState {
            config: RefCell::new(super::pci_config::test_config(msix)),
            bar,
            bar_size: Cell::new(bytes.len() as u64),
            bar_flags: Cell::new(
                VFIO_REGION_INFO_FLAG_READ
                    | VFIO_REGION_INFO_FLAG_WRITE
                    | VFIO_REGION_INFO_FLAG_MMAP,
            ),
            msix_count: Cell::new(msix.map_or(0, |m| m.vectors as u32)),
            device_flags: Cell::new(VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET),
            maps: RefCell::new(Vec::new()),
            unmaps: RefCell::new(Vec::new()),
            irqs: RefCell::new(Vec::new()),
            resets: Cell::new(0),
        })
    }

    /// The device's view of a BAR0 register.
    pub fn peek(&self, offset: u32) -> u32 {
        let mut b = [0u8; 4];
        self.bar
            .read_exact_at(&mut b, BAR0_OFFSET + offset as u64)
            .unwrap();
        u32::from_le_bytes(b)
    }

    /// The device sets a BAR0 register.
    pub fn poke(&self, offset: u32, v: u32) {
        self.bar
            .write_all_at(&v.to_le_bytes(), BAR0_OFFSET + offset as u64)
            .unwrap();
    }

    pub fn command(&self) -> u16 {
        let c = self.config.borrow();
        u16::from_le_bytes([c[COMMAND as usize], c[COMMAND as usize + 1]])
    }

    /// Surprise removal: every BAR and config read returns all-ones from now on.
    pub fn remove(&self) {
        let ones = vec![0xffu8; self.bar_size.get() as usize];
        self.bar.write_all_at(&ones, BAR0_OFFSET).unwrap();
        *self.config.borrow_mut() = [0xff; 256];
    }

    /// The device raises MSI-X `vector`.
    pub fn fire(&self, vector: usize) {
        self.irqs.borrow()[vector].write(1).unwrap();
    }

    /// The device's DMA engine writes `data` at `iova` (through the IOMMU mapping).
    pub fn dma_write(&self, iova: u64, data: &[u8]) {
        let maps = self.maps.borrow();
        let &(base, len, host) = maps
            .iter()
            .find(|&&(b, l, _)| iova >= b && iova + data.len() as u64 <= b + l)
            .expect("IOMMU fault: no mapping");
        // SAFETY: inside a live mapping the driver registered.
        unsafe {
            std::ptr::copy_nonoverlapping(
                data.as_ptr(),
                (host + (iova - base) as usize) as *mut u8,
                data.len(),
            )
        };
        let _ = len;
    }
}

pub struct FakeFds(pub Rc<FakeState>);

impl VfioFds for FakeFds {
    fn device_flags(&self) -> u32 {
        self.0.device_flags.get()
    }

    fn region_info(&self, index: u32) -> Option<RegionInfo> {
        match index {
            VFIO_PCI_BAR0_REGION_INDEX => Some(RegionInfo {
                flags: self.0.bar_flags.get(),
                size: self.0.bar_size.get(),
                offset: BAR0_OFFSET,
            }),
            VFIO_PCI_CONFIG_REGION_INDEX => Some(RegionInfo {
                flags: VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
                size: 256,
                offset: 7 << 40,
            }),
            _ => None,
        }
    }

    fn irq_count(&self, index: u32) -> u32 {
        if index == VFIO_PCI_MSIX_IRQ_INDEX {
            self.0.msix_count.get()
        } else {
            0
        }
    }

    fn read_region(&self, index: u32, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        match index {
            VFIO_PCI_CONFIG_REGION_INDEX => {
                let c = self.0.config.borrow();
                let at = offset as usize;
                buf.copy_from_slice(
                    c.get(at..at + buf.len())
                        .ok_or(io::ErrorKind::InvalidInput)?,
                );
                Ok(())
            }
            VFIO_PCI_BAR0_REGION_INDEX => self.0.bar.read_exact_at(buf, BAR0_OFFSET + offset),
            _ => Err(io::ErrorKind::InvalidInput.into()),
        }
    }

    fn write_region(&self, index: u32, offset: u64, data: &[u8]) -> io::Result<()> {
        match index {
            VFIO_PCI_CONFIG_REGION_INDEX => {
                let mut c = self.0.config.borrow_mut();
                let at = offset as usize;
                c.get_mut(at..at + data.len())
                    .ok_or(io::ErrorKind::InvalidInput)?
                    .copy_from_slice(data);
                Ok(())
            }
            VFIO_PCI_BAR0_REGION_INDEX => self.0.bar.write_all_at(data, BAR0_OFFSET + offset),
            _ => Err(io::ErrorKind::InvalidInput.into()),
        }
    }

    fn mmap_fd(&self) -> RawFd {
        self.0.bar.as_raw_fd()
    }

    unsafe fn map_dma(&self, iova: u64, len: u64, vaddr: *mut u8) -> io::Result<()> {
        let mut maps = self.0.maps.borrow_mut();
        if maps.iter().any(|&(b, l, _)| iova < b + l && b < iova + len) {
            return Err(io::Error::from_raw_os_error(libc::EEXIST));
        }
        if !iova.is_multiple_of(4096)
            || !len.is_multiple_of(4096)
            || !(vaddr as usize).is_multiple_of(4096)
        {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        maps.push((iova, len, vaddr as usize));
        Ok(())
    }

    fn unmap_dma(&self, iova: u64, len: u64) -> io::Result<()> {
        let mut maps = self.0.maps.borrow_mut();
        let i = maps
            .iter()
            .position(|&(b, l, _)| b == iova && l == len)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))?;
        maps.remove(i);
        self.0.unmaps.borrow_mut().push((iova, len));
        Ok(())
    }

    fn enable_msix(&self, fds: &[&EventFd]) -> io::Result<()> {
        if fds.len() as u32 > self.0.msix_count.get() {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        *self.0.irqs.borrow_mut() = fds.iter().map(|f| f.try_clone().unwrap()).collect();
        Ok(())
    }

    fn disable_msix(&self) -> io::Result<()> {
        self.0.irqs.borrow_mut().clear();
        Ok(())
    }

    fn reset(&self) -> io::Result<()> {
        self.0.resets.set(self.0.resets.get() + 1);
        // a function-level reset clears the command register
        let mut c = self.0.config.borrow_mut();
        c[COMMAND as usize] = 0;
        c[COMMAND as usize + 1] = 0;
        Ok(())
    }
}
