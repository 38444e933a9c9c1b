//! A small file system for tests that need a full disk or a small browser quota: a tmpfs mounted on a
//! folder (mounting needs root, which the test machines have), unmounted on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs of `size` (as `mount` reads it: `32m`) mounted on a folder; unmounted on drop.
pub struct SmallDisk {
    at: PathBuf,
}

impl SmallDisk {
    pub fn mount(at: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "this test mounts a small tmpfs: run it as root");
        SmallDisk { at: at.to_owned() }
    }

    pub fn path(&self) -> &Path {
        &self.at
    }

    /// Fills the file system to the last byte with a file of its own; returns that file.
    pub fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.at.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let mut chunk = vec![0x5a_u8; 1 << 20];
        while !chunk.is_empty() {
            if f.write_all(&chunk).is_err() {
                chunk.truncate(chunk.len() / 2);
            }
        }
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}
