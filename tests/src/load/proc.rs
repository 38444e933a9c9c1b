//! What the kernel knows about a process: CPU time and memory, read from `/proc` (Linux).

/// CPU seconds (user + system) a process has used; `pid` may be `"self"`, or `"thread-self"` for the
/// calling thread alone.
pub fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may contain spaces.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / clock_ticks_per_second()
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
}
