//! The server's HTTP API under `/api/` (and `/healthz`), as types: one request and one response struct per
//! route, used by the server to answer and by the app to ask and read. Both sides compiling against the same
//! structs is what keeps them agreeing; the field names, their optionality and nesting are the JSON on the
//! wire, so renaming a field here is a protocol change (the end-to-end test `typed_api` decodes every answer
//! of a real server with these types).
//!
//! Ids are the model's newtypes ([`PersonId`], [`FacilityId`], ...), roles [`Role`]: they serialise as the
//! plain strings the server has always sent. Times are Unix milliseconds (`i64`). Where the server answers
//! with a string it keeps for people (an access-log entry's person, a session's id), it stays a `String`.
//!
//! WebAuthn options and credentials are the one part the shared crate does not type: they belong to
//! `webauthn-rs` on the server and to the browser's `navigator.credentials` in the app, which takes them as
//! JSON. [`CeremonyStart`] and [`CeremonyFinish`] are generic over them, `serde_json::Value` by default (the
//! app passes them through), the `webauthn-rs` types on the server (which checks them on arrival as before).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::access::Role;
use crate::calendar::FiscalYear;
use crate::edition::FormKind;
use crate::model::{DocumentId, FacilityId, ItemId, PersonId, VendorId};

fn is_false(b: &bool) -> bool {
    !*b
}

// ---------------------------------------------------------------------------------------------------------
// Errors: every refused `/api/` call.
// ---------------------------------------------------------------------------------------------------------

/// The body of every `/api/` error answer (any 4xx or 5xx the server itself decides): a message for the
/// person, Japanese first, and two flags the app acts on. The flags are left out when false, so an error is
/// usually just `{"error": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    /// The request needs a fresh passkey proof first: the app runs `/api/reauth/...` and sends it again.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reauth: bool,
    /// A hand-back the server will never take: the departed device stops trying (and deletes its copy).
    #[serde(default, skip_serializing_if = "is_false")]
    pub hand_back_refused: bool,
}

// ---------------------------------------------------------------------------------------------------------
// Health: `GET /healthz`.
// ---------------------------------------------------------------------------------------------------------

/// Is the server up, which version, and how busy (for operators and the load benchmark; no ids, no people).
/// The app reads `sign_in_required` to know whether a 401 means "sign in" or "this server has no accounts".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always `"ok"`: an answer at all is the news.
    pub status: String,
    pub version: String,
    /// Open sync connections.
    pub connections: u64,
    /// Documents held in memory.
    pub documents_loaded: u64,
    pub sign_in_required: bool,
    /// The origin the server accepts pages and sync from (its public URL's): a page opened at another
    /// address is refused, and the app says so.
    #[serde(default)]
    pub public_origin: String,
}

// ---------------------------------------------------------------------------------------------------------
// Passkey ceremonies: the two calls every WebAuthn ceremony makes (registering a facility, joining by
// invitation, signing in, adding a passkey, proving one again).
// ---------------------------------------------------------------------------------------------------------

/// The answer to a ceremony's `.../start`: the ceremony's id, to send back with the credential, and the
/// options for the browser's authenticator (`O`: see the module's note on WebAuthn types).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeremonyStart<O = Value> {
    pub ceremony: String,
    pub options: O,
}

/// The body of a ceremony's `.../finish`: the ceremony's id and what the authenticator answered (`C`: see
/// the module's note on WebAuthn types).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeremonyFinish<C = Value> {
    pub ceremony: String,
    pub credential: C,
}

/// A new person's answer (registering a facility, joining by invitation): who the session cookie that came
/// with it is for. The app remembers the person on the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registered {
    pub person_id: PersonId,
    pub name: String,
}

// ---------------------------------------------------------------------------------------------------------
// Facilities: `POST /api/facilities/register/{start,finish}`.
// ---------------------------------------------------------------------------------------------------------

/// Registers the device's facility with its first 管理者 (answered by a [`CeremonyStart`]; the finish is a
/// [`CeremonyFinish`], answered by [`Registered`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterFacility {
    pub facility_id: FacilityId,
    pub facility_name: String,
    /// A [`crate::model::FacilityKind`]'s name; checked by the server, which answers 400 for an unknown one.
    pub kind: String,
    /// The facility's index document, made on the device before it was ever registered.
    pub index_doc: DocumentId,
    pub person_name: String,
    /// The one-time registration code from whoever runs the server (missing is the same as wrong).
    #[serde(default)]
    pub code: String,
}

// ---------------------------------------------------------------------------------------------------------
// Invitations: `/api/invitations/{token}[/start|/finish|/accept]`, `/api/facilities/{facility}/invitations`.
// ---------------------------------------------------------------------------------------------------------

/// `GET /api/invitations/{token}`: what the invitation page shows before anyone joins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationInfo {
    pub facility_name: String,
    pub role: Role,
    /// Who it is for, as the 管理者 wrote it (the page offers it as the new person's name).
    pub name: String,
    pub expires_at: i64,
}

/// `POST /api/invitations/{token}/start`: joining with a new passkey under this name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationStart {
    pub person_name: String,
}

/// `POST /api/invitations/{token}/accept`: joined with the account already signed in (a vendor's user who
/// serves several facilities keeps one account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationAccepted {
    pub person_id: PersonId,
    pub facility: FacilityId,
}

/// `POST /api/facilities/{facility}/invitations`: a 管理者 invites someone. A vendor invitation names the
/// vendor, any other does not; inviting a 管理者 needs a fresh passkey proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub role: Role,
    pub vendor_id: Option<VendorId>,
    pub name: String,
}

/// The new invitation: its id (to revoke it), its secret token and the link to hand over (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invited {
    pub id: String,
    pub token: String,
    pub link: String,
}

/// `DELETE .../invitations/{id}` and `DELETE .../tokens/{id}`: the id of what was revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    pub revoked: String,
}

// ---------------------------------------------------------------------------------------------------------
// Signing in and out: `/api/signin/{start,finish}`, `/api/signout`, `/api/me`.
// ---------------------------------------------------------------------------------------------------------

/// `POST /api/signin/start`: the person chosen on the device (a shared tablet lists who signed in there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInStart {
    pub person_id: PersonId,
}

/// `POST /api/signin/finish`: signed in; the session cookie comes with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub person_id: PersonId,
}

/// `POST /api/signout`: always `true` (signing out without a session is not an error); the cookie is
/// cleared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedOut {
    pub signed_out: bool,
}

/// `GET /api/me`: the signed-in person and every facility they belong to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub person_id: PersonId,
    pub name: String,
    pub memberships: Vec<MyMembership>,
    /// Where this person gets reminder mails (管理者 only are mailed); `None`: no mails.
    #[serde(default)]
    pub email: Option<String>,
}

impl Me {
    /// The person's role at `facility`, if they belong there.
    pub fn role_at(&self, facility: FacilityId) -> Option<Role> {
        self.memberships
            .iter()
            .find(|m| m.facility == facility)
            .map(|m| m.role)
    }
}

/// One of the signed-in person's memberships, with what the device needs to sync it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyMembership {
    pub facility: FacilityId,
    pub role: Role,
    pub vendor: Option<VendorId>,
    pub facility_name: Option<String>,
    /// The facility's index document; `None` for a vendor's user, who never sees the index (it lists every
    /// document) and gets `documents` instead.
    pub index_doc: Option<DocumentId>,
    /// For a vendor's user: the documents it may open there (its 事業者確認用, its contribution to the 機器台帳
    /// and what was shared with it).
    #[serde(default)]
    pub documents: Vec<DocumentId>,
}

// ---------------------------------------------------------------------------------------------------------
// Sessions: `GET /api/sessions`, `DELETE /api/sessions/{id}`.
// ---------------------------------------------------------------------------------------------------------

/// Where I am signed in, newest use first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sessions {
    pub sessions: Vec<SessionInfo>,
}

/// One session: its id is a prefix of the token's hash (never the token), enough to end it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The session this request came with.
    pub current: bool,
    pub id: String,
    /// The browser's user agent when it signed in.
    pub device: String,
    pub signed_in_at: i64,
    pub last_used_at: i64,
}

/// `DELETE /api/sessions/{id}`: the session that ended (its sync connections closed too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEnded {
    pub ended: String,
}

// ---------------------------------------------------------------------------------------------------------
// Credentials: `/api/reauth/...`, `/api/passkeys[...]`, `/api/recovery-codes`, `/api/signin/recovery`.
// ---------------------------------------------------------------------------------------------------------

/// `POST /api/reauth/finish`: the passkey was proved again; sensitive changes are allowed for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reauthenticated {
    pub verified_at: i64,
}

/// `GET /api/passkeys`: my passkeys, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passkeys {
    pub passkeys: Vec<PasskeyInfo>,
}

/// One passkey, by the name its person gave it (never its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyInfo {
    /// The credential id (base64url), to remove it.
    pub id: String,
    pub name: String,
    pub created_at: i64,
    /// `None` until it is first used to sign in.
    pub last_used_at: Option<i64>,
}

/// `POST /api/passkeys/start`: another passkey for me, under this name (needs a fresh proof).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddPasskey {
    pub name: String,
}

/// `POST /api/passkeys/finish`: the name of the passkey added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyAdded {
    pub added: String,
}

/// `DELETE /api/passkeys/{id}`: the id of the passkey removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyRemoved {
    pub removed: String,
}

/// `GET /api/recovery-codes`: how many unused recovery codes I have (never the codes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodesLeft {
    pub remaining: i64,
}

/// `POST /api/recovery-codes`: a new set, replacing the old (shown once; needs a fresh proof).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub codes: Vec<String>,
}

/// `POST /api/signin/recovery`: signing in with a recovery code when every passkey is lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodeSignIn {
    pub code: String,
}

/// Signed in with a recovery code: the code is used up and every other session ended (a lost phone may hold
/// one). The new session counts as verified, so the person can add a passkey at once (`add_passkey`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInWithCode {
    pub person_id: PersonId,
    pub codes_left: i64,
    pub sessions_ended: u64,
    pub add_passkey: bool,
}

// ---------------------------------------------------------------------------------------------------------
// People: `/api/facilities/{facility}/people[...]`, `.../actors`, `/api/actors`.
// ---------------------------------------------------------------------------------------------------------

/// `GET /api/facilities/{facility}/people`: everyone who belongs or belonged there (for its 管理者).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct People {
    pub people: Vec<PersonInfo>,
}

/// One person at a facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonInfo {
    pub person_id: PersonId,
    pub name: String,
    pub role: Role,
    pub vendor: Option<VendorId>,
    /// Left the facility, or disabled everywhere (退職): listed so the 管理者 sees who had access.
    pub disabled: bool,
    /// The address the person gave for reminder mails, if any.
    #[serde(default)]
    pub email: Option<String>,
}

/// `PUT /api/me/email`: the signed-in person's address for reminder mails; `None` (or empty) stops them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetEmail {
    pub email: Option<String>,
}

/// The address now kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSet {
    pub email: Option<String>,
}

/// `POST .../people/{person}/role`: a new role (a vendor role names the vendor; needs a fresh proof).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetRole {
    pub role: Role,
    pub vendor_id: Option<VendorId>,
}

/// The role now held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSet {
    pub person_id: PersonId,
    pub role: Role,
}

/// `POST .../people/{person}/remove`: who left, and the API tokens they had issued there, which went with
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRemoved {
    pub removed: PersonId,
    pub tokens_revoked: Vec<String>,
}

/// `GET /api/facilities/{facility}/actors`: who is behind each Automerge actor (hex) of the facility, so
/// the app can show who answered each item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actors {
    pub actors: BTreeMap<String, ActorOwner>,
}

/// A person's name, or an API token's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorOwner {
    pub name: String,
    /// The actor is an API token's (a program), not a person's.
    pub token: bool,
}

/// `POST /api/actors`: the actors a device made and whom for (a shared tablet is used in turns), at most
/// 500 at once, hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceActors {
    /// Actor (hex) → the person signed in on the device when the actor was made.
    pub actors: BTreeMap<String, PersonId>,
}

/// How many actors were registered, and those already someone else's (left as they were).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorsRegistered {
    pub person_id: PersonId,
    pub registered: u64,
    pub conflicts: Vec<String>,
}

// ---------------------------------------------------------------------------------------------------------
// Documents: `POST /api/facilities/{facility}/documents`.
// ---------------------------------------------------------------------------------------------------------

/// A device registers a document it made for the facility, so the server knows whose it is before its first
/// change arrives (a checklist names its form, and for a 事業者確認用 the vendor; a vendor's contribution to
/// the 機器台帳 is `kind: vendor_devices` with the vendor, which then may write it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterDocument {
    pub doc_id: DocumentId,
    pub form: Option<FormKind>,
    /// The document's kind; absent from older devices (then nothing is granted by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<crate::schema::DocKind>,
    pub vendor_id: Option<VendorId>,
}

/// The document registered (again, harmlessly, if it already was).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRegistered {
    pub doc_id: DocumentId,
}

// ---------------------------------------------------------------------------------------------------------
// API tokens: `/api/facilities/{facility}/tokens[/{id}]`.
// ---------------------------------------------------------------------------------------------------------

/// `POST .../tokens`: a token for a program, never 管理者, expiring (needs a fresh proof).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueToken {
    pub name: String,
    pub role: Role,
    pub vendor_id: Option<VendorId>,
    /// Required (1 to 365): `None` is refused with a message saying so, rather than failing to decode.
    pub expires_in_days: Option<u32>,
}

/// The new token: its id (to revoke it) and its secret (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenIssued {
    pub id: String,
    pub token: String,
    pub expires_at: i64,
}

/// `GET .../tokens`: the facility's live tokens (never their secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub tokens: Vec<TokenInfo>,
}

/// One live token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub vendor_id: Option<VendorId>,
    /// The name of the person who issued it.
    pub issued_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

// ---------------------------------------------------------------------------------------------------------
// Leaving: `/api/device/departure[/{doc}]`, `/api/facilities/{facility}/quarantine[...]`.
// ---------------------------------------------------------------------------------------------------------

/// `GET /api/device/departure`: did this browser's person leave? `{"departed": false}`, or `true` with the
/// departure's details beside it (flattened, as the server has always sent them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartureStatus {
    pub departed: bool,
    #[serde(flatten)]
    pub departure: Option<Departed>,
}

/// A departure: every facility left (the device deletes their data) and until when handing back is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Departed {
    pub person_id: PersonId,
    /// Disabled (退職): every facility is gone.
    pub disabled: bool,
    pub facilities: Vec<FacilityId>,
    /// Always present once departed; `None` (null) when no membership ended (a disabled person).
    pub hand_back_until: Option<i64>,
}

/// The query of `POST /api/device/departure/{doc}` (the body is the whole Automerge document).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandBackQuery {
    /// The facility a document the server never registered belongs to (made offline, never synced).
    pub facility: Option<FacilityId>,
}

/// How many changes the server lacked and now keeps in quarantine, and the set's id (none when nothing was
/// new).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandedBack {
    pub quarantined: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// What a handed-back set would change, for the 管理者 who decides on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HandBackSummary {
    /// The changes do not apply to the server's copy.
    Unreadable,
    /// Not a checklist (an index, a ledger, ...).
    Other,
    /// A checklist: which one, and the items whose current answer would differ.
    Checklist {
        form: FormKind,
        fiscal_year: FiscalYear,
        vendor_name: String,
        items: Vec<ItemId>,
    },
}

/// `GET .../quarantine`: the facility's handed-back sets, undecided first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantine {
    pub quarantine: Vec<QuarantinedSet>,
}

/// One handed-back set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinedSet {
    pub id: String,
    pub doc_id: DocumentId,
    pub person_id: PersonId,
    pub person_name: String,
    pub device: String,
    pub received_at: i64,
    /// How many changes.
    pub changes: i64,
    /// `None` if the stored summary does not read.
    pub summary: Option<HandBackSummary>,
    /// `"accepted"` or `"discarded"`, `None` while undecided.
    pub decision: Option<String>,
}

/// `POST .../quarantine/{id}/accept`: merged into the document, for everyone (needs a fresh proof).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandBackAccepted {
    pub accepted: String,
    pub doc_id: DocumentId,
}

/// `POST .../quarantine/{id}/discard`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandBackDiscarded {
    pub discarded: String,
}

// ---------------------------------------------------------------------------------------------------------
// Backups: `/api/facilities/{facility}/backups`.
// ---------------------------------------------------------------------------------------------------------

/// One backup the server took (each covers every facility it serves), as a facility's 管理者 sees it: no
/// server paths, only the file's name and whether its offline copy was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    /// Unix milliseconds.
    pub taken_at: i64,
    /// The backup file's name (`mamori-20261207T033000Z.db`).
    pub name: String,
    pub bytes: u64,
    pub evidence_files: u64,
    pub evidence_bytes: u64,
    /// Whether the copy to the second, offline or write-once location was written.
    pub offline_copy: bool,
    /// What went wrong, if anything (the offline copy could not be written, say).
    pub problem: Option<String>,
}

/// `GET .../backups`: the generations kept now, newest first, and the schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecords {
    pub records: Vec<BackupRecord>,
    /// How often the server takes one, in hours.
    pub every_hours: u64,
    pub keep_daily: u32,
    pub keep_weekly: u32,
    /// Whether a second, offline location is configured.
    pub offline_location: bool,
}

// ---------------------------------------------------------------------------------------------------------
// Access log: `/api/facilities/{facility}/log[.csv|/review]`, `/api/log/{device-opens,head,hash/{seq}}`.
// ---------------------------------------------------------------------------------------------------------

/// The query of `GET .../log` and `.../log.csv`: every filter optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogQuery {
    pub person: Option<PersonId>,
    pub document: Option<DocumentId>,
    /// A log kind's name (`sign_in`, ...); empty is the same as none.
    pub kind: Option<String>,
    /// Unix milliseconds, inclusive.
    pub from: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub to: Option<i64>,
    /// For the CSV: `utf8` (default, with BOM) or `sjis`.
    pub encoding: Option<String>,
}

/// `GET .../log`: the entries, newest first, the chain's head, the last monthly review and the kinds to
/// filter by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPage {
    pub entries: Vec<LogEntry>,
    pub head: LogHead,
    pub last_review: Option<LogEntry>,
    pub kinds: Vec<LogKind>,
    /// When the facility was registered on the server (Unix ms): its log, and the monthly review, start
    /// then.
    #[serde(default)]
    pub facility_since: Option<i64>,
}

/// One access-log entry. Person and document stay strings: the log keeps what was recorded, whatever
/// the records say today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub seq: i64,
    pub at: i64,
    /// The device's clock, for what happened offline.
    pub device_at: Option<i64>,
    pub person_id: Option<String>,
    pub name: String,
    pub kind: String,
    /// The kind as people read it (Japanese).
    pub kind_ja: String,
    pub document: Option<String>,
    pub detail: String,
    pub device: String,
    pub hash: String,
}

/// A kind of entry and its Japanese label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogKind {
    pub kind: String,
    pub label: String,
}

/// The chain's head (`GET /api/log/head`, and in [`LogPage`]): 管理者 devices keep it and compare on each
/// sync, so a rewritten log shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHead {
    pub seq: i64,
    pub hash: String,
}

/// `GET /api/log/hash/{seq}`: an earlier entry's hash, `None` when the entry is gone (purged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHash {
    pub seq: i64,
    pub hash: Option<String>,
}

/// `POST .../log/review`: the 管理者 reviewed the log through this entry (the monthly check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewed {
    pub reviewed_through: i64,
}

/// `POST /api/log/device-opens`: documents opened on a device while it could not reach the server (at most
/// 1000 at once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceOpens {
    pub opens: Vec<DeviceOpen>,
}

/// One offline open, at the device's time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceOpen {
    pub document: DocumentId,
    pub at: i64,
}

/// How many opens were logged (those of documents the person may not open are dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpensLogged {
    pub logged: u64,
}

/// An evidence file kept for a facility (its BCP as PDF, a scanned rule, a photo of backup media):
/// `PUT /api/facilities/{facility}/files/{sha256}` answers with it, `GET /api/facilities/{facility}/files`
/// lists them. The bytes live on the server, addressed by their SHA-256; what a file is evidence of lives in
/// a document, which names it by `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// The SHA-256 of the bytes, 64 lowercase hex digits.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
    /// The type the server read from the bytes themselves (`application/pdf`, `image/png`, `image/jpeg`),
    /// never what the uploader claimed.
    pub media_type: String,
    /// When this facility first uploaded it (server time).
    pub uploaded_at_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_error_leaves_out_its_false_flags() {
        let e = ErrorBody {
            error: "x".into(),
            reauth: false,
            hand_back_refused: false,
        };
        assert_eq!(serde_json::to_value(&e).unwrap(), json!({ "error": "x" }));
        let e: ErrorBody = serde_json::from_value(json!({ "error": "x", "reauth": true })).unwrap();
        assert!(e.reauth && !e.hand_back_refused);
    }

    #[test]
    fn a_departure_is_flat_and_absent_when_none() {
        let none = DepartureStatus {
            departed: false,
            departure: None,
        };
        assert_eq!(
            serde_json::to_value(&none).unwrap(),
            json!({ "departed": false })
        );
        assert_eq!(
            serde_json::from_value::<DepartureStatus>(json!({ "departed": false })).unwrap(),
            none
        );
        let person = PersonId::generate();
        let gone = json!({
            "departed": true, "person_id": person, "disabled": true, "facilities": [],
            "hand_back_until": null,
        });
        let read: DepartureStatus = serde_json::from_value(gone.clone()).unwrap();
        assert_eq!(read.departure.as_ref().map(|d| d.person_id), Some(person));
        assert_eq!(serde_json::to_value(&read).unwrap(), gone);
    }

    #[test]
    fn a_summary_is_tagged_by_kind() {
        assert_eq!(
            serde_json::to_value(HandBackSummary::Other).unwrap(),
            json!({ "kind": "other" })
        );
        let s: HandBackSummary = serde_json::from_value(json!({
            "kind": "checklist", "form": "vendor", "fiscal_year": 2025, "vendor_name": "", "items": ["1-1"],
        }))
        .unwrap();
        assert!(matches!(s, HandBackSummary::Checklist { .. }));
    }
}

/// `POST /api/facilities/{facility}/checklists/{doc}/seal` (a 管理者 with a fresh passkey proof): the year's
/// check closed. `text` is the canonical text (`mamori_shared::seal`), signed by the server's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub text: String,
    pub key_id: String,
    /// The Ed25519 signature over `text`, as hex.
    pub signature: String,
    pub sealed_at_ms: i64,
    /// The block the binder prints (text, key id and signature), what `mamori-server verify-seal` reads.
    pub printed: String,
}

/// `GET /api/seal-key`: the server's public key for seals (shown on 設定 so a seal can be checked elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealKeyInfo {
    pub key_id: String,
    /// The Ed25519 public key, as hex.
    pub public_key: String,
}

/// `GET /api/editions`: the checklist editions this server loaded from its folder (beside the embedded
/// ones every build has), and the files it skipped. Anyone may ask: editions are public forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Editions {
    pub editions: Vec<EditionInfo>,
    pub skipped: Vec<EditionSkipped>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditionInfo {
    pub id: String,
    pub title_ja: String,
    pub fiscal_year: i32,
    /// SHA-256 of the edition file as served (`GET /api/editions/{id}`): a device fetches it again when
    /// this changes.
    pub sha256: String,
    /// SHA-256 of the official file the edition was transcribed from.
    pub official_sha256: String,
    pub items: usize,
    /// How many items' wording is confirmed against the official form.
    pub confirmed_items: usize,
}

/// An edition file the server did not load, and why (shown to the operator; the file's name only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditionSkipped {
    pub file: String,
    pub reason: String,
}
