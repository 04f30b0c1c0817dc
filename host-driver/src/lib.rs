//! # The tcpoff host driver
//!
//! What the `tcpoff` command is built from:
//! - [`device_spec`] — `--device pci:DDDD:BB:DD.F | vfio-user:PATH`, and opening it as a
//!   [`backend::Backend`];
//! - [`vfio`] — the kernel VFIO backend for PCIe cards; [`vfio_user`] — the vfio-user client
//!   backend; both implement `proto::device::Device`, over [`mmap`] (shared mappings),
//!   [`dma`] (DMA buffer placement) and [`irq`] (MSI-X eventfds);
//! - [`kernel`] — the kernel's TCP sockets over sock_diag, with their owning processes;
//!   [`reconcile`] — the device's table joined with them;
//! - [`ss`] — `ss -tan`-style listings: rows, state and address filters, table, JSON, summary.

pub mod backend;
pub mod device_spec;
pub mod dma;
pub mod irq;
pub mod kernel;
pub mod mmap;
pub mod reconcile;
pub mod ss;
pub mod vfio;
pub mod vfio_user;

#[cfg(test)]
#[path = "../tests/support/fixture.rs"]
mod fixture;
