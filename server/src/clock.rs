//! The wall clock, read in one place: milliseconds since the Unix epoch, as every table stores time.
//! Functions that decide by time take `now` as an argument (tests pass their own); handlers read it here.

/// Now, in milliseconds since the Unix epoch (0 if the clock is before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
