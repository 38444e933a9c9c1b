//! Errors, one enum per concern.

use thiserror::Error;

/// An edition file that cannot be used.
#[derive(Debug, Error, PartialEq)]
pub enum EditionError {
    #[error("edition file is not valid JSON for the edition schema: {0}")]
    Parse(String),
    #[error("edition {edition} is inconsistent: {msg}")]
    Invalid { edition: String, msg: String },
}

/// A date that cannot be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DateError {
    #[error("expected a date as YYYY-MM-DD, got {0:?}")]
    Format(String),
    #[error("{0:?} is not a day in the calendar")]
    NoSuchDay(String),
}

/// An answer that breaks the checklist's rules.
#[derive(Debug, Error, PartialEq, Eq, Clone)]
pub enum AnswerError {
    #[error("the check date (確認日) is required")]
    MissingCheckDate,
    #[error("the check date (確認日) {0} is in the future")]
    CheckDateInFuture(String),
    #[error("a いいえ needs a target date (目標日)")]
    MissingTargetDate,
    #[error("the target date (目標日) {target} is before the check date {checked}")]
    TargetBeforeCheck { checked: String, target: String },
    #[error(
        "記入不要 is only for 2-② and 2-③ on institution forms when there is no vendor contract"
    )]
    NotRequiredNotAllowed,
    #[error("対象外 is only for vendor forms")]
    NotApplicableNotAllowed,
}

/// A document that Mamori cannot read or write as asked.
#[derive(Debug, Error)]
pub enum SchemaError {
    #[error(
        "document schema version {found} is newer than this app understands ({supported}): update Mamori"
    )]
    TooNew { found: u64, supported: u64 },
    #[error("document is not a {expected} document")]
    WrongKind { expected: &'static str },
    #[error("document does not match the schema: {0}")]
    Hydrate(#[from] autosurgeon::HydrateError),
    #[error("could not write the document: {0}")]
    Reconcile(#[from] autosurgeon::ReconcileError),
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("no document {0} on this device")]
    UnknownDocument(String),
    #[error("no facility is set up on this device")]
    NoFacility,
    #[error("unknown item {0} for this form")]
    UnknownItem(String),
    #[error("unknown edition {0}")]
    UnknownEdition(String),
    #[error("answers cannot be copied between different forms")]
    DifferentForms,
    #[error("the seal does not read: {0}")]
    Seal(#[from] crate::seal::SealError),
    #[error("could not encode a row: {0}")]
    Encode(String),
    #[error(
        "取り込みの間にこの端末で台帳が変更されたため、取り込みませんでした。もう一度取り込んでください (the document was changed here during the import)"
    )]
    ChangedMeanwhile,
    #[error(
        "この端末のデータを読み込んでいます。少し待ってからもう一度お試しください (still reading this device's data)"
    )]
    StillLoading,
}

/// A protocol frame that cannot be accepted.
#[derive(Debug, Error, PartialEq, Eq, Clone)]
pub enum ProtocolError {
    #[error("message of {size} bytes is over the limit of {max}")]
    TooLarge { size: usize, max: usize },
    #[error("message is not valid CBOR for the protocol: {0}")]
    Malformed(String),
    #[error("message has no {0} field")]
    MissingField(&'static str),
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    #[error("{0:?} is not a document id")]
    BadDocumentId(String),
}

impl From<minicbor::decode::Error> for ProtocolError {
    fn from(e: minicbor::decode::Error) -> ProtocolError {
        ProtocolError::Malformed(e.to_string())
    }
}

/// An Automerge sync message that cannot be applied.
#[derive(Debug, Error, PartialEq, Eq, Clone)]
pub enum SyncError {
    #[error("not an Automerge sync message: {0}")]
    BadSyncMessage(String),
    #[error("the sync message could not be applied: {0}")]
    Rejected(String),
}
