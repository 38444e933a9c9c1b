//! Crafted chunks for tests and the benchmark: the attacks [`check`](super::check) exists for, each a
//! valid chunk by Automerge's checksum (so that only the bounds here stop it). Not part of the product: built
//! with the `craft` feature or in tests.

use std::io::Write;

use sha2::{Digest, Sha256};

use super::{MAGIC, write_uleb};

/// A chunk of `kind` around `body`, with the checksum Automerge expects of it (for a compressed change:
/// of the change it inflates to).
pub fn chunk(kind: u8, body: &[u8]) -> Vec<u8> {
    let checksum = checksum(kind, body);
    framed(kind, checksum, body)
}

fn framed(kind: u8, checksum: [u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 16);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&checksum);
    out.push(kind);
    write_uleb(&mut out, body.len() as u64);
    out.extend_from_slice(body);
    out
}

fn checksum(kind: u8, body: &[u8]) -> [u8; 4] {
    let mut header = vec![kind];
    write_uleb(&mut header, body.len() as u64);
    let hash = Sha256::new()
        .chain_update(&header)
        .chain_update(body)
        .finalize();
    [hash[0], hash[1], hash[2], hash[3]]
}

/// `n` zero bytes DEFLATE'd, written a megabyte at a time (a gigabyte never sits in memory), with the
/// checksum of a change chunk holding them.
fn deflated_zeros(n: usize) -> (Vec<u8>, [u8; 4]) {
    let piece = vec![0u8; 1 << 20];
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    let mut header = vec![1u8];
    write_uleb(&mut header, n as u64);
    let mut hash = Sha256::new().chain_update(&header);
    let mut left = n;
    while left > 0 {
        let take = left.min(piece.len());
        e.write_all(&piece[..take]).expect("deflate into memory");
        hash.update(&piece[..take]);
        left -= take;
    }
    let hash = hash.finalize();
    (
        e.finish().expect("deflate into memory"),
        [hash[0], hash[1], hash[2], hash[3]],
    )
}

/// A compressed change chunk (type 2) whose body inflates to `inflated` zero bytes: about a thousandth of
/// that on the wire.
pub fn compressed_bomb(inflated: usize) -> Vec<u8> {
    let (body, checksum) = deflated_zeros(inflated);
    framed(2, checksum, &body)
}

/// A document chunk (type 0) with one operation column, DEFLATE'd, that inflates to `inflated` zero bytes.
pub fn document_column_bomb(inflated: usize) -> Vec<u8> {
    let (column, _) = deflated_zeros(inflated);
    let mut body = Vec::new();
    write_uleb(&mut body, 1); // one actor
    write_uleb(&mut body, 16);
    body.extend_from_slice(&[7u8; 16]);
    write_uleb(&mut body, 0); // no heads
    write_uleb(&mut body, 0); // no change columns
    write_uleb(&mut body, 1); // one op column: the object's actor, DEFLATE'd
    write_uleb(&mut body, 0b1001);
    write_uleb(&mut body, column.len() as u64);
    body.extend_from_slice(&column);
    chunk(0, &body)
}

/// An uncompressed change (type 1) of a few dozen bytes whose run-length-encoded columns declare `ops`
/// operations, each setting the root's key `a` to null.
pub fn run_length_bomb(ops: u64, actor: &[u8]) -> Vec<u8> {
    run_length_bomb_padded(ops, actor, 0)
}

/// [`run_length_bomb`] with a commit message of `padding` bytes, to make it a given size on the wire.
pub fn run_length_bomb_padded(ops: u64, actor: &[u8], padding: usize) -> Vec<u8> {
    let run = |value: &[u8]| {
        let mut c = Vec::new();
        write_sleb(&mut c, ops as i64);
        c.extend_from_slice(value);
        c
    };
    let mut count = Vec::new();
    write_uleb(&mut count, ops);
    let columns: Vec<(u32, Vec<u8>)> = vec![
        (0x15, run(&[1, b'a'])), // key string
        (0x34, count),           // insert: all false
        (0x42, run(&[1])),       // action: set
        (0x56, run(&[0])),       // value metadata: null
        (0x70, run(&[0])),       // pred count: none
    ];
    let mut body = Vec::new();
    write_uleb(&mut body, 0); // no deps
    write_uleb(&mut body, actor.len() as u64);
    body.extend_from_slice(actor);
    write_uleb(&mut body, 1); // seq
    write_uleb(&mut body, 1); // start op
    write_sleb(&mut body, 0); // time
    write_uleb(&mut body, padding as u64); // message
    body.extend(std::iter::repeat_n(b'x', padding));
    write_uleb(&mut body, 0); // other actors
    write_uleb(&mut body, columns.len() as u64);
    for (spec, data) in &columns {
        write_uleb(&mut body, u64::from(*spec));
        write_uleb(&mut body, data.len() as u64);
    }
    for (_, data) in &columns {
        body.extend_from_slice(data);
    }
    chunk(1, &body)
}

/// A sync message (v1) with these heads and chunks, as a peer would send it.
pub fn sync_message(mut heads: Vec<automerge::ChangeHash>, chunks: Vec<Vec<u8>>) -> Vec<u8> {
    crate::order::sort(&mut heads);
    automerge::sync::Message {
        heads,
        need: Vec::new(),
        have: Vec::new(),
        changes: automerge::sync::ChunkList::from(chunks),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    }
    .encode()
}

/// `v` as unsigned LEB128, as the storage format and sync messages write numbers.
pub fn uleb(v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    write_uleb(&mut out, v);
    out
}

fn write_sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        let done = (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0);
        if done {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}
