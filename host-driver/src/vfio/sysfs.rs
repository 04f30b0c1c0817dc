//! The checks before any VFIO ioctl, from sysfs and /dev, so each way a card can be out of
//! reach gets its own one-line reason instead of an errno from deep inside an open:
//! `/dev/vfio` present (the vfio module loaded), `/sys/bus/pci/devices/BDF` present, its
//! `driver` link naming `vfio-pci`, its `iommu_group` link present, `/dev/vfio/GROUP` present.

use super::OpenError;
use crate::device_spec::Bdf;
use std::path::{Path, PathBuf};

/// Where the checks look: `/sys` and `/dev` on a real machine, a directory tree in tests.
#[derive(Clone, Debug)]
pub struct Roots {
    pub sys: PathBuf,
    pub dev: PathBuf,
}

impl Default for Roots {
    fn default() -> Self {
        Roots {
            sys: "/sys".into(),
            dev: "/dev".into(),
        }
    }
}

/// What the checks found: the device's sysfs directory and its IOMMU group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub sysfs: PathBuf,
    pub group: u32,
    pub group_dev: PathBuf,
}

fn link_name(p: &Path) -> Option<String> {
    let target = std::fs::read_link(p).ok()?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}

/// Locate `bdf` and check that VFIO can open it.
pub fn locate(bdf: Bdf, roots: &Roots) -> Result<Located, OpenError> {
    let vfio = roots.dev.join("vfio");
    if !vfio.is_dir() {
        return Err(OpenError::NoVfio(vfio));
    }
    let sysfs = roots.sys.join("bus/pci/devices").join(bdf.to_string());
    if !sysfs.exists() {
        return Err(OpenError::NoSuchDevice(bdf));
    }
    match link_name(&sysfs.join("driver")) {
        Some(d) if d == "vfio-pci" => {}
        driver => return Err(OpenError::NotBound { bdf, driver }),
    }
    let group = link_name(&sysfs.join("iommu_group"))
        .and_then(|g| g.parse::<u32>().ok())
        .ok_or(OpenError::NoIommuGroup(bdf))?;
    let group_dev = vfio.join(group.to_string());
    if !group_dev.exists() {
        return Err(OpenError::NoGroupDevice { bdf, group });
    }
    Ok(Located {
        sysfs,
        group,
        group_dev,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    struct Tree(PathBuf);
    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tree(name: &str) -> (Tree, Roots) {
        let root = std::env::temp_dir().join(format!("tcpoff-sysfs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("sys/bus/pci/devices")).unwrap();
        std::fs::create_dir_all(root.join("sys/bus/pci/drivers/vfio-pci")).unwrap();
        std::fs::create_dir_all(root.join("sys/bus/pci/drivers/ixgbe")).unwrap();
        std::fs::create_dir_all(root.join("sys/kernel/iommu_groups/12")).unwrap();
        std::fs::create_dir_all(root.join("dev")).unwrap();
        let roots = Roots {
            sys: root.join("sys"),
            dev: root.join("dev"),
        };
        (Tree(root), roots)
    }

    const BDF: Bdf = Bdf {
        domain: 0,
        bus: 3,
        device: 0,
        function: 0,
    };

    fn add_device(r: &Roots, driver: Option<&str>, group: bool) -> PathBuf {
        let d = r.sys.join("bus/pci/devices/0000:03:00.0");
        std::fs::create_dir_all(&d).unwrap();
        if let Some(drv) = driver {
            symlink(r.sys.join("bus/pci/drivers").join(drv), d.join("driver")).unwrap();
        }
        if group {
            symlink(r.sys.join("kernel/iommu_groups/12"), d.join("iommu_group")).unwrap();
        }
        d
    }

    #[test]
    fn each_missing_piece_has_its_own_reason() {
        let (_t, r) = tree("reasons");
        let e = locate(BDF, &r).unwrap_err();
        assert!(matches!(e, OpenError::NoVfio(_)), "{e}");
        assert!(e.to_string().contains("/dev/vfio"), "{e}");

        std::fs::create_dir_all(r.dev.join("vfio")).unwrap();
        let e = locate(BDF, &r).unwrap_err();
        assert_eq!(e, OpenError::NoSuchDevice(BDF));
        assert!(e.to_string().contains("0000:03:00.0"), "{e}");

        let d = add_device(&r, Some("ixgbe"), false);
        let e = locate(BDF, &r).unwrap_err();
        assert_eq!(
            e,
            OpenError::NotBound {
                bdf: BDF,
                driver: Some("ixgbe".into())
            }
        );
        assert!(e.to_string().contains("ixgbe"), "{e}");
        std::fs::remove_file(d.join("driver")).unwrap();
        assert_eq!(
            locate(BDF, &r).unwrap_err(),
            OpenError::NotBound {
                bdf: BDF,
                driver: None
            }
        );

        symlink(r.sys.join("bus/pci/drivers/vfio-pci"), d.join("driver")).unwrap();
        assert_eq!(locate(BDF, &r).unwrap_err(), OpenError::NoIommuGroup(BDF));

        symlink(r.sys.join("kernel/iommu_groups/12"), d.join("iommu_group")).unwrap();
        assert_eq!(
            locate(BDF, &r).unwrap_err(),
            OpenError::NoGroupDevice {
                bdf: BDF,
                group: 12
            }
        );

        std::fs::write(r.dev.join("vfio/12"), b"").unwrap();
        let found = locate(BDF, &r).unwrap();
        assert_eq!(found.group, 12);
        assert_eq!(found.sysfs, d);
        assert_eq!(found.group_dev, r.dev.join("vfio/12"));
    }

    #[test]
    fn messages_are_one_line() {
        let (_t, r) = tree("oneline");
        add_device(&r, Some("vfio-pci"), true);
        for e in [
            OpenError::NoVfio(r.dev.join("vfio")),
            OpenError::NoSuchDevice(BDF),
            OpenError::NotBound {
                bdf: BDF,
                driver: None,
            },
            OpenError::NoIommuGroup(BDF),
            OpenError::NoGroupDevice { bdf: BDF, group: 3 },
            OpenError::NoPermission(r.dev.join("vfio/3")),
        ] {
            let s = e.to_string();
            assert!(!s.contains('\n') && !s.is_empty(), "{s:?}");
        }
    }
}
