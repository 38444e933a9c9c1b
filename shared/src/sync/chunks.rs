//! Reading the Automerge chunks a sync message carries, with their cost bounded before Automerge sees them.
//!
//! A sync message's `changes` list holds chunks: single changes (type 1), DEFLATE'd single changes (type 2),
//! whole documents (type 0) and bundles (type 3). Automerge trusts what a chunk declares: it inflates a
//! compressed change or a document's compressed columns to whatever size they unpack to (1 MB of DEFLATE'd
//! zeros is 1 GB), and a run-length-encoded column declares any number of operations in a few bytes, each
//! of which it then allocates. So each chunk is read here first, by the storage format
//! (<https://alexjg.github.io/automerge-storage-docs/>): every list entry must be whole chunks, one after
//! another (Automerge's v2 message puts several in one entry), never half of one, DEFLATE'd parts are inflated here under a cap, and the
//! operations and changes every column declares are counted and held to a budget proportional to the
//! message's size. Only then does Automerge parse the chunk, from the bytes checked here.
//!
//! Bundles are refused: no Automerge sync peer sends them.

use std::io::Read;

use automerge::Change;

/// The most operations (and changes) one sync message may declare, whatever its size. Automerge spends
/// about 1 KB of the server's memory per operation it takes in (measured: `bash scripts/bench.sh attacks`),
/// so this keeps one message's peak within 64 MB + 4x the frame size; a 3,000-row ledger import is 57,006.
/// A client sends a longer backlog over several messages ([`Batch`](super::Batch)).
pub const MAX_OPS_PER_MESSAGE: u64 = 65_536;

/// What one message's chunks may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkLimits {
    /// The most bytes all of a message's DEFLATE'd parts may inflate to, together.
    pub max_inflated_bytes: usize,
    /// Operations (and changes) any message may declare, whatever its size.
    pub ops_floor: u64,
    /// Operations (and changes) a message may declare per KiB it occupies, beyond the floor: on the wire and,
    /// for its DEFLATE'd parts, once more inflated. Honest Mamori messages carry about 50 per KiB (a
    /// 3,000-row ledger import: 57,006 operations in 157 KB compressed, 1,019 KB inflated); Automerge's cost
    /// per operation decides the rest (see docs/sync.md, the trust boundary).
    pub ops_per_kib: u64,
    /// Operations (and changes) any message may declare at most, however large.
    pub max_ops: u64,
}

impl Default for ChunkLimits {
    fn default() -> ChunkLimits {
        ChunkLimits {
            max_inflated_bytes: 16 * 1024 * 1024,
            ops_floor: 4_096,
            ops_per_kib: 128,
            max_ops: MAX_OPS_PER_MESSAGE,
        }
    }
}

impl ChunkLimits {
    /// The limits for a message whose chunks occupy `wire_bytes`.
    pub fn budget(&self, wire_bytes: usize) -> Budget {
        Budget {
            inflated_left: self.max_inflated_bytes,
            ops_left: self
                .ops_floor
                .saturating_add(self.ops_per_kib.saturating_mul(wire_bytes as u64) / 1024),
            ops_per_kib: self.ops_per_kib,
            max_ops_left: self.max_ops,
        }
    }
}

/// What is left of one message's allowance while its chunks are read.
#[derive(Debug, Clone)]
pub struct Budget {
    inflated_left: usize,
    ops_left: u64,
    ops_per_kib: u64,
    max_ops_left: u64,
}

impl Budget {
    fn spend_ops(&mut self, declared: u64) -> Result<(), ChunkError> {
        self.ops_left = self
            .ops_left
            .checked_sub(declared)
            .ok_or(ChunkError::TooManyOps { declared })?;
        self.max_ops_left = self
            .max_ops_left
            .checked_sub(declared)
            .ok_or(ChunkError::OverMessageCap { declared })?;
        Ok(())
    }

    /// Inflates `data` under what is left of the cap: first counting alone (nothing kept, so a bomb costs
    /// time bounded by the cap and no memory), then into a buffer of exactly that size.
    fn inflate(&mut self, data: &[u8]) -> Result<Vec<u8>, ChunkError> {
        let cap = self.inflated_left as u64;
        let malformed = |e: std::io::Error| {
            ChunkError::Malformed(format!("DEFLATE'd data does not inflate: {e}"))
        };
        let size = std::io::copy(
            &mut flate2::read::DeflateDecoder::new(data).take(cap + 1),
            &mut std::io::sink(),
        )
        .map_err(malformed)?;
        if size > cap {
            return Err(ChunkError::InflatesTooLarge);
        }
        let mut out = Vec::with_capacity(size as usize);
        flate2::read::DeflateDecoder::new(data)
            .read_to_end(&mut out)
            .map_err(malformed)?;
        self.inflated_left -= out.len();
        self.ops_left = self
            .ops_left
            .saturating_add(self.ops_per_kib.saturating_mul(out.len() as u64) / 1024);
        Ok(out)
    }
}

/// Why a chunk was not accepted. Each is a protocol error: the message is refused whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    #[error("a chunk is malformed: {0}")]
    Malformed(String),
    #[error(
        "a chunk is cut short (each entry of a message's changes must hold whole chunks): it declares {declared} bytes, {present} are present"
    )]
    CutShort { declared: u64, present: usize },
    #[error("bundle chunks are not accepted")]
    Bundle,
    #[error("unknown chunk type {0}")]
    UnknownType(u8),
    #[error("compressed data would inflate beyond this message's limit")]
    InflatesTooLarge,
    #[error(
        "the chunks declare more operations than a message of this size may carry ({declared} more)"
    )]
    TooManyOps { declared: u64 },
    #[error(
        "the chunks declare more operations than any one message may carry ({declared} more): send them over several messages"
    )]
    OverMessageCap { declared: u64 },
    #[error("Automerge does not accept the chunk: {0}")]
    Automerge(String),
}

/// One checked chunk, ready for Automerge.
#[derive(Debug)]
pub enum Checked {
    /// A single change (a compressed one arrives inflated: its bytes, hash and checksum are the same).
    Change(Box<Change>),
    /// A whole document: its bytes as they came, every part of which was inflated and counted here.
    Document(Vec<u8>),
}

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Checks one entry of a message's `changes` list against `budget`: whole chunks, one after another.
pub fn check(entry: &[u8], budget: &mut Budget) -> Result<Vec<Checked>, ChunkError> {
    let mut out = Vec::new();
    let mut rest = entry;
    if rest.is_empty() {
        return Err(ChunkError::Malformed("an empty entry".into()));
    }
    while !rest.is_empty() {
        let (checked, len) = check_one(rest, budget)?;
        out.push(checked);
        rest = &rest[len..];
    }
    Ok(out)
}

/// Checks the chunk at the start of `bytes`; returns it and its length.
fn check_one(bytes: &[u8], budget: &mut Budget) -> Result<(Checked, usize), ChunkError> {
    let mut r = Reader::new(bytes);
    if r.take(4)? != MAGIC {
        return Err(ChunkError::Malformed("no Automerge magic bytes".into()));
    }
    let checksum: [u8; 4] = r.take(4)?.try_into().expect("four bytes");
    let kind = r.byte()?;
    let declared = r.uleb()?;
    let present = r.remaining();
    if declared > present as u64 {
        return Err(ChunkError::CutShort { declared, present });
    }
    let len = bytes.len() - present + declared as usize;
    let chunk = &bytes[..len];
    let body = r.take(declared as usize)?;
    let checked = match kind {
        0 => {
            document_cost(body, budget)?;
            Ok(Checked::Document(chunk.to_vec()))
        }
        1 => {
            change_cost(body, budget)?;
            automerge_change(chunk.to_vec())
        }
        2 => {
            let inflated = budget.inflate(body)?;
            change_cost(&inflated, budget)?;
            let mut whole = Vec::with_capacity(inflated.len() + 16);
            whole.extend_from_slice(&MAGIC);
            whole.extend_from_slice(&checksum);
            whole.push(1);
            write_uleb(&mut whole, inflated.len() as u64);
            whole.extend_from_slice(&inflated);
            automerge_change(whole)
        }
        3 => Err(ChunkError::Bundle),
        other => Err(ChunkError::UnknownType(other)),
    }?;
    Ok((checked, len))
}

fn automerge_change(bytes: Vec<u8>) -> Result<Checked, ChunkError> {
    Change::from_bytes(bytes)
        .map(|c| Checked::Change(Box::new(c)))
        .map_err(|e| ChunkError::Automerge(e.to_string()))
}

/// A change chunk's body: the operations its columns declare.
fn change_cost(body: &[u8], budget: &mut Budget) -> Result<(), ChunkError> {
    let mut r = Reader::new(body);
    let deps = r.count(32)?;
    r.take(deps * 32)?;
    r.prefixed()?; // actor
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.sleb()?; // time
    r.prefixed()?; // message
    let others = r.count(1)?;
    for _ in 0..others {
        r.prefixed()?;
    }
    let columns = r.columns()?;
    let mut ops = 0u64;
    for (spec, len) in columns {
        if spec & DEFLATE != 0 {
            return Err(ChunkError::Malformed(
                "a change's columns may not be compressed".into(),
            ));
        }
        ops = ops.max(rows(spec, r.take(len)?)?);
    }
    budget.spend_ops(ops)
}

/// A document chunk's body: its compressed columns inflated under the cap, its changes and operations
/// counted.
fn document_cost(body: &[u8], budget: &mut Budget) -> Result<(), ChunkError> {
    let mut r = Reader::new(body);
    let actors = r.count(1)?;
    for _ in 0..actors {
        r.prefixed()?;
    }
    let heads = r.count(32)?;
    r.take(heads * 32)?;
    let change_columns = r.columns()?;
    let op_columns = r.columns()?;
    for columns in [change_columns, op_columns] {
        let mut declared = 0u64;
        for (spec, len) in columns {
            let data = r.take(len)?;
            let n = if spec & DEFLATE != 0 {
                let inflated = budget.inflate(data)?;
                rows(spec, &inflated)?
            } else {
                rows(spec, data)?
            };
            declared = declared.max(n);
        }
        budget.spend_ops(declared)?;
    }
    // What remains is the heads' indices, one small number each.
    Ok(())
}

const DEFLATE: u32 = 0b1000;

/// How many rows a column declares (for a group column, also the rows of the columns it groups).
fn rows(spec: u32, data: &[u8]) -> Result<u64, ChunkError> {
    let mut r = Reader::new(data);
    let mut rows = 0u64;
    let mut grouped = 0u64;
    match spec & 0b111 {
        // Boolean: alternating run lengths.
        4 => {
            while r.remaining() > 0 {
                rows = rows.saturating_add(r.uleb()?);
            }
        }
        // Raw values: their count comes from the value metadata column.
        7 => {}
        kind => {
            let value = |r: &mut Reader<'_>| -> Result<u64, ChunkError> {
                match kind {
                    3 => r.sleb().map(|_| 0),
                    5 => r.prefixed().map(|_| 0),
                    _ => r.uleb(),
                }
            };
            while r.remaining() > 0 {
                let count = r.sleb()?;
                if count > 0 {
                    let v = value(&mut r)?;
                    rows = rows.saturating_add(count as u64);
                    grouped = grouped.saturating_add((count as u64).saturating_mul(v));
                } else if count < 0 {
                    for _ in 0..count.unsigned_abs() {
                        if r.remaining() == 0 {
                            return Err(ChunkError::Malformed("a literal run is cut short".into()));
                        }
                        grouped = grouped.saturating_add(value(&mut r)?);
                        rows += 1;
                    }
                } else {
                    rows = rows.saturating_add(r.uleb()?);
                }
            }
            if kind != 0 {
                grouped = 0;
            }
        }
    }
    Ok(rows.max(grouped))
}

/// A cursor over bytes that never reads past its end.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, at: 0 }
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.at
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ChunkError> {
        if n > self.remaining() {
            return Err(ChunkError::Malformed(format!(
                "{n} bytes declared, {} left",
                self.remaining()
            )));
        }
        let out = &self.data[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, ChunkError> {
        Ok(self.take(1)?[0])
    }

    fn uleb(&mut self) -> Result<u64, ChunkError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                break;
            }
            value |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ChunkError::Malformed("a number overflows 64 bits".into()))
    }

    fn sleb(&mut self) -> Result<i64, ChunkError> {
        let mut value = 0i64;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            if shift >= 64 {
                return Err(ChunkError::Malformed("a number overflows 64 bits".into()));
            }
            value |= i64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
        }
    }

    /// A count of items each at least `min` bytes long, refused when the rest cannot hold them.
    fn count(&mut self, min: usize) -> Result<usize, ChunkError> {
        let n = self.uleb()?;
        if n > (self.remaining() / min) as u64 {
            return Err(ChunkError::Malformed(format!(
                "{n} items declared, {} bytes left",
                self.remaining()
            )));
        }
        Ok(n as usize)
    }

    fn prefixed(&mut self) -> Result<&'a [u8], ChunkError> {
        let n = self.uleb()?;
        if n > self.remaining() as u64 {
            return Err(ChunkError::Malformed(format!(
                "{n} bytes declared, {} left",
                self.remaining()
            )));
        }
        self.take(n as usize)
    }

    /// Column metadata: (specification, length) pairs whose lengths fit in what follows.
    fn columns(&mut self) -> Result<Vec<(u32, usize)>, ChunkError> {
        let n = self.count(2)?;
        let mut out = Vec::with_capacity(n);
        let mut total = 0u64;
        for _ in 0..n {
            let spec = u32::try_from(self.uleb()?)
                .map_err(|_| ChunkError::Malformed("a column specification overflows".into()))?;
            let len = self.uleb()?;
            total = total.saturating_add(len);
            out.push((spec, len as usize));
        }
        if total > self.remaining() as u64 {
            return Err(ChunkError::Malformed(format!(
                "columns declare {total} bytes, {} left",
                self.remaining()
            )));
        }
        Ok(out)
    }
}

fn write_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

#[cfg(any(test, feature = "craft"))]
pub mod craft;
#[cfg(test)]
mod tests;
