//! What the driver needs from the PCI configuration space (PCIe base spec §7.5.1, §7.7.2), read
//! through the VFIO config region (`VFIO_PCI_CONFIG_REGION_INDEX`): the command register's
//! memory-space and bus-master bits, and where the MSI-X table and PBA live. The capability
//! list is walked by `pci-driver` (bounds and loop checks) over a snapshot of the first 256
//! bytes.

use pci_driver::config::caps::MsiXCapability;
use pci_driver::config::PciConfig;
use pci_driver::regions::{AsPciSubregion, BackedByPciSubregion, PciMemoryRegion, PciRegion};

/// Bytes of the conventional configuration space.
pub const CONFIG_LEN: usize = 256;
/// Offset of the Command register.
pub const COMMAND: u64 = 0x04;
/// Command register: Memory Space Enable.
pub const CMD_MEMORY: u16 = 1 << 1;
/// Command register: Bus Master Enable (the device may issue DMA and MSI-X writes).
pub const CMD_BUS_MASTER: u16 = 1 << 2;

/// The MSI-X capability's fields (§7.7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsixCap {
    /// Offset of the capability in configuration space.
    pub at: u64,
    /// Table Size + 1.
    pub vectors: u16,
    pub table_bir: u8,
    pub table_offset: u32,
    pub pba_bir: u8,
    pub pba_offset: u32,
}

/// Why the configuration space is not one the driver can use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Vendor ID 0xffff: nothing answers (surprise removal, a dead link).
    Gone,
    /// The capability list is malformed (pci-driver's reason).
    Caps(String),
    NoMsix,
}

/// Find the MSI-X capability in a snapshot of configuration space.
pub fn msix(config: &[u8]) -> Result<MsixCap, ConfigError> {
    if config.len() < CONFIG_LEN {
        return Err(ConfigError::Caps(format!(
            "config space is {} bytes",
            config.len()
        )));
    }
    if config[0] == 0xff && config[1] == 0xff {
        return Err(ConfigError::Gone);
    }
    let region = PciMemoryRegion::new(config);
    let cfg = PciConfig::backed_by(&region);
    let caps = cfg
        .capabilities()
        .map_err(|e| ConfigError::Caps(e.to_string()))?;
    let cap = caps
        .of_type::<MsiXCapability>()
        .map_err(|e| ConfigError::Caps(e.to_string()))?
        .next()
        .ok_or(ConfigError::NoMsix)?;
    let sub = cap.as_subregion();
    let rd = |off| {
        sub.read_le_u32(off)
            .map_err(|e| ConfigError::Caps(e.to_string()))
    };
    let ctrl = (rd(0)? >> 16) as u16;
    let table = rd(4)?;
    let pba = rd(8)?;
    Ok(MsixCap {
        at: sub.offset_in_underlying_region(),
        vectors: (ctrl & 0x7ff) + 1,
        table_bir: (table & 7) as u8,
        table_offset: table & !7,
        pba_bir: (pba & 7) as u8,
        pba_offset: pba & !7,
    })
}

/// A configuration space a test fake serves: a Type 0 header with `vendor`/`device`, and an
/// MSI-X capability (behind a power-management one, so the walk follows a list) when given.
#[cfg(test)]
pub fn test_config(msix: Option<MsixCap>) -> [u8; CONFIG_LEN] {
    let mut c = [0u8; CONFIG_LEN];
    c[0..2].copy_from_slice(&0x1234u16.to_le_bytes());
    c[2..4].copy_from_slice(&0x0bd1u16.to_le_bytes());
    if let Some(m) = msix {
        c[6] = 1 << 4; // Status: Capabilities List
        c[0x34] = 0x40;
        c[0x40] = 0x01; // PCI Power Management
        c[0x41] = m.at as u8;
        c[0x42..0x44].copy_from_slice(&0x0003u16.to_le_bytes());
        let at = m.at as usize;
        c[at] = 0x11;
        c[at + 1] = 0;
        c[at + 2..at + 4].copy_from_slice(&(m.vectors - 1).to_le_bytes());
        c[at + 4..at + 8].copy_from_slice(&(m.table_offset | m.table_bir as u32).to_le_bytes());
        c[at + 8..at + 12].copy_from_slice(&(m.pba_offset | m.pba_bir as u32).to_le_bytes());
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_msix_capability_behind_another() {
        let want = MsixCap {
            at: 0x70,
            vectors: 8,
            table_bir: 2,
            table_offset: 0,
            pba_bir: 2,
            pba_offset: 0x800,
        };
        assert_eq!(msix(&test_config(Some(want))), Ok(want));
    }

    #[test]
    fn missing_gone_and_looping_lists_are_errors() {
        assert_eq!(msix(&test_config(None)), Err(ConfigError::NoMsix));
        assert_eq!(msix(&[0xff; CONFIG_LEN]), Err(ConfigError::Gone));
        let mut c = test_config(None);
        c[6] = 1 << 4;
        c[0x34] = 0x40;
        c[0x40] = 0x01;
        c[0x41] = 0x40; // points at itself
        assert!(matches!(msix(&c), Err(ConfigError::Caps(_))));
        c[0x41] = 0x10; // inside the header
        assert!(matches!(msix(&c), Err(ConfigError::Caps(_))));
    }
}
