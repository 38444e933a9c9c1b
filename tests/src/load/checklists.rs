//! The checklists a load answers. Signed in, made through the real API as a clinic makes them (never by
//! writing to the database): facilities registered by their 管理者 with a passkey in a headless Chromium,
//! checklists registered, one API token per load client issued by that 管理者, and each checklist's first
//! content uploaded over sync with one of those tokens. On an open server (`--open-sync`, the same load
//! without sign-in, for comparison) each checklist is simply synced to it.

use mamori_shared::edition::FormKind;
use mamori_shared::model::{DocumentId, FacilityId};

use super::{ChecklistDoc, Checklists};
use crate::fixtures::new_checklist_at;
use crate::passkeys::{
    browser_at_url, issue_token, register_checklists, register_facility, status,
};
use crate::server::ServerProcess;
use crate::sync_client::Device;

/// How many of each.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub facilities: usize,
    pub checklists_per_facility: usize,
    /// Tokens per checklist: one per client when the load puts this many clients on each.
    pub tokens_per_checklist: usize,
}

/// Registers `shape.facilities` pharmacies on `server` (any instance of a deployment: the others share its
/// database), each with its checklists and tokens; returns them for [`super::Scenario::checklists`].
pub async fn through_the_api(server: &ServerProcess, shape: Shape) -> Checklists {
    let admin = browser_at_url(&server.url).await;
    let mut docs = Vec::new();
    for f in 0..shape.facilities {
        let facility = FacilityId::generate();
        let r = register_facility(
            &admin,
            &server.registration_code().await,
            &facility.to_string(),
            &format!("負荷試験薬局 {f}"),
            &DocumentId::generate().to_string(),
            &format!("管理者 {f}"),
        )
        .await;
        assert_eq!(status(&r), 200, "{r}");
        // The registration signed this browser in as the new facility's 管理者, with a fresh passkey proof:
        // what issuing tokens asks for.
        let ids =
            register_checklists(&admin, &facility.to_string(), shape.checklists_per_facility).await;
        let mut tokens = Vec::new();
        for t in 0..ids.len() * shape.tokens_per_checklist {
            let (_, secret) = issue_token(
                &admin,
                &facility.to_string(),
                &format!("負荷試験端末 {t}"),
                "staff",
                None,
            )
            .await;
            tokens.push(secret);
        }
        let mut seeder = Device::new("load-seed");
        seeder
            .try_connect_with_token(&server.url, &tokens[0])
            .await
            .expect("the server accepts the facility's token");
        for (n, id) in ids.iter().enumerate() {
            let checklist = new_checklist_at(facility, FormKind::Pharmacy);
            seeder.add(*id, checklist).await;
            seeder.synced(*id).await;
            assert!(seeder.refused.is_empty(), "{:?}", seeder.refused);
            let base = seeder.docs.get_mut(id).expect("seeded").save();
            let per = shape.tokens_per_checklist;
            docs.push(ChecklistDoc {
                id: *id,
                base,
                tokens: tokens[n * per..(n + 1) * per].to_vec(),
                facility: f,
            });
        }
        seeder.disconnect().await;
    }
    admin.close().await;
    Checklists { docs }
}

/// `n` new pharmacy checklists synced to the open server at `url` (no tokens: its clients need none).
pub async fn on_an_open_server(url: &str, n: usize) -> Checklists {
    let mut seeder = Device::new("load-seed");
    seeder
        .try_connect(url, None)
        .await
        .expect("the open server accepts a device");
    let facility = FacilityId::generate();
    let mut docs = Vec::with_capacity(n);
    for _ in 0..n {
        let id = DocumentId::generate();
        seeder
            .add(id, new_checklist_at(facility, FormKind::Pharmacy))
            .await;
        seeder.synced(id).await;
        docs.push(ChecklistDoc {
            id,
            base: seeder.docs.get_mut(&id).expect("seeded").save(),
            tokens: Vec::new(),
            facility: 0,
        });
    }
    seeder.disconnect().await;
    Checklists { docs }
}

/// The same checklists as the server holds them now: a run's clients start from these, so they do not first
/// download what earlier runs wrote (on a new device that is a first sync, not what a load measures).
pub async fn refreshed(url: &str, signed: &Checklists) -> Checklists {
    let mut docs = Vec::with_capacity(signed.docs.len());
    for doc in &signed.docs {
        let mut reader = Device::new("load-refresh");
        match doc.tokens.first() {
            Some(token) => reader.try_connect_with_token(url, token).await,
            None => reader.try_connect(url, None).await,
        }
        .expect("the server accepts the reader");
        assert!(reader.opened(doc.id).await, "{} is on the server", doc.id);
        // Everything the server has, not only its first message.
        while reader.pump_once(std::time::Duration::from_millis(50)).await {}
        docs.push(ChecklistDoc {
            id: doc.id,
            base: reader.docs.get_mut(&doc.id).expect("opened").save(),
            tokens: doc.tokens.clone(),
            facility: doc.facility,
        });
        reader.disconnect().await;
    }
    Checklists { docs }
}
