//! `--device SPEC`: which tcpoff device a command talks to.
//!
//! | spec | backend |
//! |---|---|
//! | `pci:DDDD:BB:DD.F` | a PCIe card bound to `vfio-pci`, through the kernel's VFIO ([`crate::vfio`]) |
//! | `vfio-user:PATH` | the same PCI function served over the vfio-user Unix socket at PATH ([`crate::vfio_user`]) |
//!
//! Parsing is separate from opening: a malformed spec is a usage error (exit 2) before anything
//! is touched; a well-formed spec naming a device that is not there fails when it is opened,
//! with a one-line reason ([`crate::vfio::OpenError`]).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A PCI function address in the kernel's sysfs spelling, `domain:bus:device.function`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bdf {
    pub domain: u16,
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

impl fmt::Display for Bdf {
    /// `0000:03:00.0`, as in `/sys/bus/pci/devices/`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.device, self.function
        )
    }
}

fn hex<T: TryFrom<u32>>(s: &str, digits: usize, what: &str) -> Result<T, String> {
    if s.is_empty() || s.len() > digits || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "bad PCI {what} {s:?} (want up to {digits} hex digits)"
        ));
    }
    let v = u32::from_str_radix(s, 16).map_err(|e| e.to_string())?;
    T::try_from(v).map_err(|_| format!("PCI {what} {s:?} out of range"))
}

impl FromStr for Bdf {
    type Err = String;

    /// `DDDD:BB:DD.F` (the domain may be left out, as `lspci` prints it: `03:00.0`).
    fn from_str(s: &str) -> Result<Bdf, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let (domain, bus, devfn) = match parts[..] {
            [d, b, df] => (hex::<u16>(d, 4, "domain")?, b, df),
            [b, df] => (0, b, df),
            _ => return Err(format!("bad PCI address {s:?} (want DDDD:BB:DD.F)")),
        };
        let bus = hex::<u8>(bus, 2, "bus")?;
        let (dev, func) = devfn
            .split_once('.')
            .ok_or_else(|| format!("bad PCI address {s:?} (want DDDD:BB:DD.F)"))?;
        let device = hex::<u8>(dev, 2, "device")?;
        let function = hex::<u8>(func, 1, "function")?;
        if device > 0x1f {
            return Err(format!("PCI device {dev:?} out of range (0..1f)"));
        }
        if function > 7 {
            return Err(format!("PCI function {func:?} out of range (0..7)"));
        }
        Ok(Bdf {
            domain,
            bus,
            device,
            function,
        })
    }
}

/// What `--device` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceSpec {
    /// A card bound to vfio-pci.
    Pci(Bdf),
    /// A vfio-user server's socket.
    VfioUser(PathBuf),
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Pci(bdf) => write!(f, "pci:{bdf}"),
            DeviceSpec::VfioUser(p) => write!(f, "vfio-user:{}", p.display()),
        }
    }
}

impl FromStr for DeviceSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<DeviceSpec, String> {
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("bad device {s:?} (want pci:DDDD:BB:DD.F or vfio-user:PATH)"))?;
        match kind {
            "pci" => Ok(DeviceSpec::Pci(rest.parse()?)),
            "vfio-user" if rest.is_empty() => Err("vfio-user: needs a socket path".into()),
            "vfio-user" => Ok(DeviceSpec::VfioUser(PathBuf::from(rest))),
            _ => Err(format!(
                "unknown device kind {kind:?} (want pci:DDDD:BB:DD.F or vfio-user:PATH)"
            )),
        }
    }
}

impl DeviceSpec {
    /// Open the device the spec names.
    pub fn open(&self) -> Result<crate::backend::Backend, crate::vfio::OpenError> {
        use crate::backend::Backend;
        Ok(match self {
            DeviceSpec::Pci(bdf) => Backend::Vfio(crate::vfio::VfioDevice::open(*bdf)?),
            DeviceSpec::VfioUser(path) => {
                Backend::VfioUser(crate::vfio_user::VfioUserDevice::connect(path)?)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pci_addresses_parse_and_print_in_sysfs_form() {
        let d: DeviceSpec = "pci:0000:03:00.0".parse().unwrap();
        assert_eq!(
            d,
            DeviceSpec::Pci(Bdf {
                domain: 0,
                bus: 3,
                device: 0,
                function: 0
            })
        );
        assert_eq!(d.to_string(), "pci:0000:03:00.0");
        let d: DeviceSpec = "pci:3:1F.7".parse().unwrap();
        assert_eq!(d.to_string(), "pci:0000:03:1f.7");
        let e = "pci:10000:00:00.0".parse::<DeviceSpec>().unwrap_err();
        assert!(e.contains("domain"), "{e}");
    }

    #[test]
    fn malformed_specs_say_what_is_wrong() {
        for (spec, needle) in [
            ("0000:03:00.0", "unknown device kind"),
            ("pci:", "bad PCI"),
            ("pci:0000:03:00", "want DDDD:BB:DD.F"),
            ("pci:0000:03:20.0", "device \"20\" out of range"),
            ("pci:0000:03:00.8", "function \"8\" out of range"),
            ("pci:0000:g3:00.0", "bad PCI bus"),
            ("pci:1:2:3:4.0", "want DDDD:BB:DD.F"),
            ("vfio-user:", "needs a socket path"),
            ("sim0", "want pci:"),
        ] {
            let e = spec.parse::<DeviceSpec>().unwrap_err();
            assert!(e.contains(needle), "{spec}: {e}");
            assert!(!e.contains('\n'));
        }
    }

    #[test]
    fn vfio_user_takes_the_rest_as_a_path() {
        let d: DeviceSpec = "vfio-user:/run/tcpoff/sim.sock".parse().unwrap();
        assert_eq!(d, DeviceSpec::VfioUser("/run/tcpoff/sim.sock".into()));
        assert_eq!(d.to_string(), "vfio-user:/run/tcpoff/sim.sock");
    }
}
