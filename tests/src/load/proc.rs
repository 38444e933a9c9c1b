//! What the kernel knows about a process: CPU time and memory, read from `/proc` (Linux).

/// CPU seconds (user + system) a process has used; `pid` may be `"self"`, or `"thread-self"` for the
/// calling thread alone.
pub fn cpu_seconds(pid: &str) -> f64 {
    let stat = Stat::of(pid);
    (stat.ticks(UTIME) + stat.ticks(STIME)) / clock_ticks_per_second()
}

/// CPU seconds a process and its children have used: its own, its ended children's (counted into it when
/// it reaped them) and its live children's. PostgreSQL's postmaster forks a process per connection, so this
/// is the whole cluster's CPU.
pub fn tree_cpu_seconds(pid: u32) -> f64 {
    let root = Stat::of(&pid.to_string());
    let own = root.ticks(UTIME) + root.ticks(STIME) + root.ticks(CUTIME) + root.ticks(CSTIME);
    let children: f64 = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .map(|p| Stat::of(&p.to_string()))
        .filter(|s| s.ticks(PPID) as u32 == pid)
        .map(|s| s.ticks(UTIME) + s.ticks(STIME))
        .sum();
    (own + children) / clock_ticks_per_second()
}

// Places in `/proc/<pid>/stat` after the command name (field 3, `state`, is place 0).
const PPID: usize = 1;
const UTIME: usize = 11;
const STIME: usize = 12;
const CUTIME: usize = 13;
const CSTIME: usize = 14;

/// The fields of `/proc/<pid>/stat` after the command name, which is in parentheses and may contain
/// spaces; empty when the process is gone.
struct Stat(Vec<String>);

impl Stat {
    fn of(pid: &str) -> Stat {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        Stat(
            stat.rsplit(')')
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        )
    }

    fn ticks(&self, i: usize) -> f64 {
        self.0
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    }
}

fn clock_ticks_per_second() -> f64 {
    // USER_HZ is 100 on every Linux this runs on; /proc offers no portable way to read it.
    100.0
}

/// Resident memory now and at its peak, in KiB.
pub fn memory_kib(pid: &str) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Memory {
        now: field("VmRSS:"),
        peak: field("VmHWM:"),
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub now: u64,
    pub peak: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let m = memory_kib("self");
        assert!(m.now > 0 && m.peak >= m.now, "{m:?}");
        assert!(cpu_seconds("self") >= 0.0);
    }

    #[test]
    fn a_tree_counts_its_children() {
        // A child that burns CPU and ends: its time moves into this process's reaped children's time.
        let me = std::process::id();
        let before = tree_cpu_seconds(me);
        let status = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"])
            .status()
            .expect("sh runs");
        assert!(status.success());
        let after = tree_cpu_seconds(me);
        assert!(
            after - before >= 0.05,
            "{before} -> {after}: the child's CPU is not counted"
        );
        assert!(after >= cpu_seconds("self"));
    }
}
