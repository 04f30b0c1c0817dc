//! [`VfioFds`] over the kernel, with `vfio-ioctls` (its `kvm` feature off: this is a host
//! driver, there is no VM to tell about the group): `/dev/vfio/vfio` is the container
//! (`VFIO_GET_API_VERSION`, `VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU)`, `VFIO_SET_IOMMU`),
//! `/dev/vfio/GROUP` the group (`VFIO_GROUP_GET_STATUS`, `VFIO_GROUP_SET_CONTAINER`,
//! `VFIO_GROUP_GET_DEVICE_FD`).

use super::fds::{RegionInfo, VfioFds};
use super::sysfs::{self, Roots};
use super::OpenError;
use crate::device_spec::Bdf;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use vfio_ioctls::{VfioContainer, VfioDevice, VfioError};
use vmm_sys_util::eventfd::EventFd;

pub struct KernelFds {
    // The device holds a reference to the container; keep ours for DMA mapping.
    device: VfioDevice,
    container: Arc<VfioContainer>,
    flags: u32,
}

/// `VFIO_DEVICE_GET_INFO` = `_IO(VFIO_TYPE, VFIO_BASE + 7)` (linux/vfio.h): vfio-ioctls reads
/// the flags but keeps them private.
const VFIO_DEVICE_GET_INFO: libc::c_ulong = (b';' as libc::c_ulong) << 8 | (100 + 7);

fn device_info_flags(fd: RawFd) -> io::Result<u32> {
    let mut info = vfio_bindings::bindings::vfio::vfio_device_info {
        argsz: std::mem::size_of::<vfio_bindings::bindings::vfio::vfio_device_info>() as u32,
        ..Default::default()
    };
    // SAFETY: the ioctl writes at most argsz bytes into `info`.
    let r = unsafe { libc::ioctl(fd, VFIO_DEVICE_GET_INFO, &mut info) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(info.flags)
}

/// What a vfio-ioctls error means to an operator.
fn explain(e: VfioError, located: &sysfs::Located) -> OpenError {
    let denied = |err: &io::Error| err.kind() == io::ErrorKind::PermissionDenied;
    match e {
        VfioError::OpenContainer(err) if denied(&err) => {
            OpenError::NoPermission("/dev/vfio/vfio".into())
        }
        VfioError::OpenContainer(err) => OpenError::Vfio(format!("/dev/vfio/vfio: {err}")),
        VfioError::OpenGroup(err, _) if denied(&err) => {
            OpenError::NoPermission(located.group_dev.clone())
        }
        VfioError::GroupViable => OpenError::GroupNotViable(located.group),
        e => OpenError::Vfio(e.to_string()),
    }
}

impl KernelFds {
    /// Open `bdf` through VFIO (type1 IOMMU container and group).
    pub fn open(bdf: Bdf, roots: &Roots) -> Result<KernelFds, OpenError> {
        let located = sysfs::locate(bdf, roots)?;
        let container = Arc::new(VfioContainer::new(None).map_err(|e| explain(e, &located))?);
        let device = VfioDevice::new(&located.sysfs, container.clone(), false)
            .map_err(|e| explain(e, &located))?;
        let flags =
            device_info_flags(device.as_raw_fd()).map_err(|e| OpenError::Vfio(e.to_string()))?;
        Ok(KernelFds {
            device,
            container,
            flags,
        })
    }

    fn region_offset(&self, index: u32) -> io::Result<u64> {
        self.region_info(index)
            .map(|r| r.offset)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))
    }
}

impl VfioFds for KernelFds {
    fn device_flags(&self) -> u32 {
        self.flags
    }

    fn region_info(&self, index: u32) -> Option<RegionInfo> {
        let size = self.device.get_region_size(index);
        (size != 0).then(|| RegionInfo {
            flags: self.device.get_region_flags(index),
            size,
            offset: self.device.get_region_offset(index),
        })
    }

    fn irq_count(&self, index: u32) -> u32 {
        self.device.get_irq_info(index).map_or(0, |i| i.count)
    }

    fn read_region(&self, index: u32, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let base = self.region_offset(index)?;
        device_file(&self.device).read_exact_at(buf, base + offset)
    }

    fn write_region(&self, index: u32, offset: u64, data: &[u8]) -> io::Result<()> {
        let base = self.region_offset(index)?;
        device_file(&self.device).write_all_at(data, base + offset)
    }

    fn mmap_fd(&self) -> RawFd {
        self.device.as_raw_fd()
    }

    unsafe fn map_dma(&self, iova: u64, len: u64, vaddr: *mut u8) -> io::Result<()> {
        // SAFETY: the caller keeps the pages mapped and touches them only through raw pointers.
        unsafe { self.container.vfio_dma_map(iova, len as usize, vaddr) }
            .map_err(|e| io::Error::other(e.to_string()))
    }

    fn unmap_dma(&self, iova: u64, len: u64) -> io::Result<()> {
        self.container
            .vfio_dma_unmap(iova, len as usize)
            .map_err(|e| io::Error::other(e.to_string()))
    }

    fn enable_msix(&self, fds: &[&EventFd]) -> io::Result<()> {
        self.device
            .enable_msix(fds.to_vec())
            .map_err(|e| io::Error::other(e.to_string()))
    }

    fn disable_msix(&self) -> io::Result<()> {
        self.device
            .disable_msix()
            .map_err(|e| io::Error::other(e.to_string()))
    }

    fn reset(&self) -> io::Result<()> {
        self.device.reset();
        Ok(())
    }
}

/// The device fd as a file, for positioned reads and writes (borrowed: VfioDevice owns it).
fn device_file(dev: &VfioDevice) -> std::mem::ManuallyDrop<std::fs::File> {
    use std::os::fd::FromRawFd;
    // SAFETY: the fd stays open while `dev` lives; ManuallyDrop keeps us from closing it.
    std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(dev.as_raw_fd()) })
}
