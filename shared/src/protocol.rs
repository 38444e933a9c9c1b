//! The automerge-repo WebSocket protocol: its message set and CBOR framing, so that any automerge-repo
//! client (the JavaScript reference implementation, samod) can sync with a Mamori server.
//!
//! Every WebSocket binary frame is one CBOR map with a `type` field (`join`, `peer`, `sync`, `request`,
//! `doc-unavailable`, `leave`, `error`, and the advisory `ephemeral`, `remote-subscription-change`,
//! `remote-heads-changed`, which Mamori accepts and ignores). Field names are camelCase as the reference
//! implementation writes them; `data` is a CBOR byte string holding an Automerge sync message.
//!
//! Decoding never panics and never trusts a length it has not checked: a frame over
//! [`Limits::max_message_bytes`] is refused before parsing, and every other malformed frame is a
//! [`ProtocolError`] naming what was wrong.

use minicbor::data::Type;
use minicbor::{Decoder, Encoder};

use crate::error::ProtocolError;
use crate::model::{DocumentId, PeerId};

/// The protocol version this implementation speaks.
pub const PROTOCOL_VERSION: &str = "1";

/// What a peer says about its storage in `join` and `peer`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerMetadata {
    pub storage_id: Option<String>,
    pub is_ephemeral: bool,
}

/// One protocol message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Client → server, first message: who I am and which protocol versions I speak.
    Join {
        sender_id: PeerId,
        supported_protocol_versions: Vec<String>,
        metadata: Option<PeerMetadata>,
    },
    /// Server → client, the answer to `join`.
    Peer {
        sender_id: PeerId,
        selected_protocol_version: String,
        target_id: PeerId,
        metadata: Option<PeerMetadata>,
    },
    /// Either side: I am disconnecting (advisory).
    Leave { sender_id: PeerId },
    /// Start syncing a document the sender does not have yet.
    Request {
        document_id: DocumentId,
        sender_id: PeerId,
        target_id: PeerId,
        data: Vec<u8>,
    },
    /// An Automerge sync message about one document.
    Sync {
        document_id: DocumentId,
        sender_id: PeerId,
        target_id: PeerId,
        data: Vec<u8>,
    },
    /// The sender does not have the document (or may not show it: the two are never told apart).
    DocUnavailable {
        document_id: DocumentId,
        sender_id: PeerId,
        target_id: PeerId,
    },
    /// A protocol error; the sender closes the connection after it.
    Error { message: String },
    /// Mamori's extension (`mamori-refused`): the server did not accept the target's changes to one
    /// document, and why. The protocol has no per-change rejection, so the client sets its unaccepted changes
    /// aside and starts that document again from the server's state. Other clients ignore it.
    Refused {
        document_id: DocumentId,
        sender_id: PeerId,
        target_id: PeerId,
        reason: String,
    },
    /// A valid advisory message Mamori does not act on (ephemeral, remote heads, subscriptions).
    Advisory { kind: String },
}

/// Bounds on what a peer may send. Settings with sane defaults (`mamori-server --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest frame accepted, in bytes.
    pub max_message_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_message_bytes: 8 * 1024 * 1024,
        }
    }
}

/// The longest peer id accepted (automerge-repo's are UUIDs or short names; the server keeps and logs it).
pub const MAX_PEER_ID_BYTES: usize = 256;
/// An `error` message's text is kept (and logged) up to this many characters; a peer may send megabytes.
pub const MAX_ERROR_TEXT_CHARS: usize = 500;

fn truncated(mut text: String, max_chars: usize) -> String {
    if let Some((cut, _)) = text.char_indices().nth(max_chars) {
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// The fields a message may carry, collected before the message is assembled.
#[derive(Default)]
struct Fields {
    kind: Option<String>,
    sender_id: Option<String>,
    target_id: Option<String>,
    document_id: Option<String>,
    data: Option<Vec<u8>>,
    versions: Option<Vec<String>>,
    selected: Option<String>,
    message: Option<String>,
    metadata: Option<PeerMetadata>,
}

fn missing(field: &'static str) -> ProtocolError {
    ProtocolError::MissingField(field)
}

impl Message {
    /// Decodes one frame.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Message, ProtocolError> {
        if bytes.len() > limits.max_message_bytes {
            return Err(ProtocolError::TooLarge {
                size: bytes.len(),
                max: limits.max_message_bytes,
            });
        }
        let mut d = Decoder::new(bytes);
        let len = d
            .map()?
            .ok_or(ProtocolError::Malformed("indefinite-length map".into()))?;
        let mut f = Fields::default();
        for _ in 0..len {
            match d.str()? {
                "type" => f.kind = Some(d.str()?.to_string()),
                "senderId" => f.sender_id = Some(d.str()?.to_string()),
                "targetId" => f.target_id = Some(d.str()?.to_string()),
                "documentId" => f.document_id = Some(d.str()?.to_string()),
                "data" => f.data = Some(d.bytes()?.to_vec()),
                "selectedProtocolVersion" => f.selected = Some(d.str()?.to_string()),
                "message" => f.message = Some(d.str()?.to_string()),
                "supportedProtocolVersions" => {
                    let n = d
                        .array()?
                        .ok_or(ProtocolError::Malformed("indefinite-length array".into()))?;
                    let mut versions = Vec::new();
                    for _ in 0..n.min(64) {
                        versions.push(d.str()?.to_string());
                    }
                    if n > 64 {
                        return Err(ProtocolError::Malformed(
                            "too many protocol versions".into(),
                        ));
                    }
                    f.versions = Some(versions);
                }
                "peerMetadata" | "metadata" => f.metadata = decode_metadata(&mut d)?,
                _ => d.skip()?,
            }
        }
        if d.position() != bytes.len() {
            return Err(ProtocolError::Malformed(
                "trailing bytes after the message".into(),
            ));
        }
        let kind = f.kind.take().ok_or(missing("type"))?;
        let peer = |v: Option<String>, name| {
            let id = v.ok_or(missing(name))?;
            if id.len() > MAX_PEER_ID_BYTES {
                return Err(ProtocolError::Malformed(format!(
                    "{name} is longer than {MAX_PEER_ID_BYTES} bytes"
                )));
            }
            Ok(PeerId::new(id))
        };
        let doc = |v: Option<String>| -> Result<DocumentId, ProtocolError> {
            let text = v.ok_or(missing("documentId"))?;
            DocumentId::parse(&text).ok_or(ProtocolError::BadDocumentId(text))
        };
        Ok(match kind.as_str() {
            "join" => Message::Join {
                sender_id: peer(f.sender_id, "senderId")?,
                supported_protocol_versions: f
                    .versions
                    .ok_or(missing("supportedProtocolVersions"))?,
                metadata: f.metadata,
            },
            "peer" => Message::Peer {
                sender_id: peer(f.sender_id, "senderId")?,
                selected_protocol_version: f.selected.ok_or(missing("selectedProtocolVersion"))?,
                target_id: peer(f.target_id, "targetId")?,
                metadata: f.metadata,
            },
            "leave" => Message::Leave {
                sender_id: peer(f.sender_id, "senderId")?,
            },
            "request" | "sync" => {
                let (document_id, sender_id, target_id) = (
                    doc(f.document_id)?,
                    peer(f.sender_id, "senderId")?,
                    peer(f.target_id, "targetId")?,
                );
                let data = f.data.ok_or(missing("data"))?;
                if kind == "sync" {
                    Message::Sync {
                        document_id,
                        sender_id,
                        target_id,
                        data,
                    }
                } else {
                    Message::Request {
                        document_id,
                        sender_id,
                        target_id,
                        data,
                    }
                }
            }
            "doc-unavailable" => Message::DocUnavailable {
                document_id: doc(f.document_id)?,
                sender_id: peer(f.sender_id, "senderId")?,
                target_id: peer(f.target_id, "targetId")?,
            },
            "error" => Message::Error {
                message: truncated(f.message.ok_or(missing("message"))?, MAX_ERROR_TEXT_CHARS),
            },
            "mamori-refused" => Message::Refused {
                document_id: doc(f.document_id)?,
                sender_id: peer(f.sender_id, "senderId")?,
                target_id: peer(f.target_id, "targetId")?,
                reason: f.message.ok_or(missing("message"))?,
            },
            "ephemeral" | "remote-subscription-change" | "remote-heads-changed" => {
                Message::Advisory { kind }
            }
            _ => return Err(ProtocolError::UnknownType(kind)),
        })
    }

    /// Encodes one frame.
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        // Writing to a Vec cannot fail.
        let _ = self.encode_into(&mut e);
        e.into_writer()
    }

    fn encode_into(
        &self,
        e: &mut Encoder<Vec<u8>>,
    ) -> Result<(), minicbor::encode::Error<std::convert::Infallible>> {
        match self {
            Message::Join {
                sender_id,
                supported_protocol_versions,
                metadata,
            } => {
                e.map(3 + metadata.is_some() as u64)?;
                e.str("type")?.str("join")?;
                e.str("senderId")?.str(sender_id.as_str())?;
                e.str("supportedProtocolVersions")?
                    .array(supported_protocol_versions.len() as u64)?;
                for v in supported_protocol_versions {
                    e.str(v)?;
                }
                if let Some(m) = metadata {
                    e.str("peerMetadata")?;
                    encode_metadata(e, m)?;
                }
            }
            Message::Peer {
                sender_id,
                selected_protocol_version,
                target_id,
                metadata,
            } => {
                e.map(4 + metadata.is_some() as u64)?;
                e.str("type")?.str("peer")?;
                e.str("senderId")?.str(sender_id.as_str())?;
                e.str("selectedProtocolVersion")?
                    .str(selected_protocol_version)?;
                e.str("targetId")?.str(target_id.as_str())?;
                if let Some(m) = metadata {
                    e.str("peerMetadata")?;
                    encode_metadata(e, m)?;
                }
            }
            Message::Leave { sender_id } => {
                e.map(2)?
                    .str("type")?
                    .str("leave")?
                    .str("senderId")?
                    .str(sender_id.as_str())?;
            }
            Message::Request {
                document_id,
                sender_id,
                target_id,
                data,
            }
            | Message::Sync {
                document_id,
                sender_id,
                target_id,
                data,
            } => {
                let kind = if matches!(self, Message::Sync { .. }) {
                    "sync"
                } else {
                    "request"
                };
                e.map(5)?.str("type")?.str(kind)?;
                e.str("documentId")?.str(&document_id.to_string())?;
                e.str("senderId")?.str(sender_id.as_str())?;
                e.str("targetId")?.str(target_id.as_str())?;
                e.str("data")?.bytes(data)?;
            }
            Message::DocUnavailable {
                document_id,
                sender_id,
                target_id,
            } => {
                e.map(4)?.str("type")?.str("doc-unavailable")?;
                e.str("documentId")?.str(&document_id.to_string())?;
                e.str("senderId")?.str(sender_id.as_str())?;
                e.str("targetId")?.str(target_id.as_str())?;
            }
            Message::Error { message } => {
                e.map(2)?
                    .str("type")?
                    .str("error")?
                    .str("message")?
                    .str(message)?;
            }
            Message::Refused {
                document_id,
                sender_id,
                target_id,
                reason,
            } => {
                e.map(5)?.str("type")?.str("mamori-refused")?;
                e.str("documentId")?.str(&document_id.to_string())?;
                e.str("senderId")?.str(sender_id.as_str())?;
                e.str("targetId")?.str(target_id.as_str())?;
                e.str("message")?.str(reason)?;
            }
            Message::Advisory { kind } => {
                e.map(1)?.str("type")?.str(kind)?;
            }
        }
        Ok(())
    }

    /// The document a message is about, if any.
    pub fn document_id(&self) -> Option<DocumentId> {
        match self {
            Message::Request { document_id, .. }
            | Message::Sync { document_id, .. }
            | Message::DocUnavailable { document_id, .. }
            | Message::Refused { document_id, .. } => Some(*document_id),
            _ => None,
        }
    }
}

fn decode_metadata(d: &mut Decoder<'_>) -> Result<Option<PeerMetadata>, ProtocolError> {
    if matches!(d.datatype()?, Type::Null | Type::Undefined) {
        d.skip()?;
        return Ok(None);
    }
    let n = d.map()?.ok_or(ProtocolError::Malformed(
        "indefinite-length metadata".into(),
    ))?;
    let mut m = PeerMetadata::default();
    for _ in 0..n {
        match d.str()? {
            "storageId" if matches!(d.datatype()?, Type::String) => {
                m.storage_id = Some(d.str()?.to_string())
            }
            "isEphemeral" if matches!(d.datatype()?, Type::Bool) => m.is_ephemeral = d.bool()?,
            _ => d.skip()?,
        }
    }
    Ok(Some(m))
}

fn encode_metadata(
    e: &mut Encoder<Vec<u8>>,
    m: &PeerMetadata,
) -> Result<(), minicbor::encode::Error<std::convert::Infallible>> {
    e.map(1 + m.storage_id.is_some() as u64)?;
    if let Some(id) = &m.storage_id {
        e.str("storageId")?.str(id)?;
    }
    e.str("isEphemeral")?.bool(m.is_ephemeral)?;
    Ok(())
}

#[cfg(test)]
mod tests;
