//! Socket owners from procfs (proc(5)): each `/proc/PID/fd/N` that links to `socket:[INODE]`
//! makes PID an owner of the socket with that inode; `/proc/PID/comm` names it.

use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A process holding a socket, as `ss -p` prints it: `("comm",pid=PID,fd=FD)`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Owner {
    pub pid: u32,
    pub comm: String,
    pub fd: u32,
}

/// The inode of a `socket:[INODE]` link target.
pub fn socket_inode(target: &str) -> Option<u32> {
    target
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The owners of each inode in `wanted`, found under `proc` (normally `/proc`). Processes
/// whose fds cannot be read (another user's, without privilege; exited meanwhile) are skipped,
/// as `ss -p` skips them.
pub fn owners(proc: &Path, wanted: &HashSet<u32>) -> HashMap<u32, Vec<Owner>> {
    let mut map: HashMap<u32, Vec<Owner>> = HashMap::new();
    if wanted.is_empty() {
        return map;
    }
    let Ok(dir) = std::fs::read_dir(proc) else {
        return map;
    };
    for ent in dir.flatten() {
        let name = ent.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(ent.path().join("fd")) else {
            continue;
        };
        let mut comm: Option<String> = None;
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let Some(inode) = target.to_str().and_then(socket_inode) else {
                continue;
            };
            if !wanted.contains(&inode) {
                continue;
            }
            let Some(fdn) = fd.file_name().to_str().and_then(|s| s.parse().ok()) else {
                continue;
            };
            let comm = comm
                .get_or_insert_with(|| {
                    std::fs::read_to_string(ent.path().join("comm"))
                        .map(|s| s.trim_end().to_string())
                        .unwrap_or_default()
                })
                .clone();
            map.entry(inode)
                .or_default()
                .push(Owner { pid, comm, fd: fdn });
        }
    }
    for v in map.values_mut() {
        v.sort();
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn socket_links_parse() {
        assert_eq!(socket_inode("socket:[123456]"), Some(123456));
        assert_eq!(socket_inode("pipe:[123]"), None);
        assert_eq!(socket_inode("socket:[x]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
    }

    #[test]
    fn owners_come_from_fd_links_in_a_proc_tree() {
        let root = std::env::temp_dir().join(format!("tcpoff-proc-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (pid, comm, links) in [
            (
                "100",
                "nginx",
                vec![("3", "socket:[7]"), ("4", "socket:[8]"), ("5", "pipe:[7]")],
            ),
            ("200", "curl", vec![("7", "socket:[7]")]),
            ("300", "idle", vec![("0", "/dev/null")]),
        ] {
            let fd = root.join(pid).join("fd");
            std::fs::create_dir_all(&fd).unwrap();
            std::fs::write(root.join(pid).join("comm"), format!("{comm}\n")).unwrap();
            for (n, t) in links {
                symlink(t, fd.join(n)).unwrap();
            }
        }
        std::fs::create_dir_all(root.join("self")).unwrap();
        let wanted: HashSet<u32> = [7, 9].into_iter().collect();
        let map = owners(&root, &wanted);
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(map.len(), 1, "{map:?}");
        assert_eq!(
            map[&7],
            vec![
                Owner {
                    pid: 100,
                    comm: "nginx".into(),
                    fd: 3
                },
                Owner {
                    pid: 200,
                    comm: "curl".into(),
                    fd: 7
                },
            ]
        );
    }
}
