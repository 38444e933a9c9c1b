//! Checklist editions beyond the embedded 令和7年度版: fetched from the server (which loads them from its
//! folder), validated here as the server did, registered with the shared registry, and kept in
//! localStorage so that a checklist in such an edition opens offline after a reload. A device set up
//! offline has no server and keeps the embedded edition; a checklist in an edition this device lacks opens
//! read-only (the checklist screen says so).

use gloo_storage::{LocalStorage, Storage};
use mamori_shared::api::Editions;
use mamori_shared::edition::{Edition, EditionData, register};
use serde::{Deserialize, Serialize};

use crate::api::{self, NO_BODY};
use crate::state::Workspace;

/// The localStorage key of the kept editions.
const KEY: &str = "mamori-editions";

/// An edition as this device keeps it: the server's file hash (to know when it changed) and the data.
#[derive(Serialize, Deserialize)]
struct Kept {
    sha256: String,
    data: EditionData,
}

fn kept() -> Vec<Kept> {
    LocalStorage::get(KEY).unwrap_or_default()
}

/// Registers the editions kept on this device (at start, before any checklist is read). One that no longer
/// validates (kept by an older build) is dropped from the registry, not from storage.
pub fn load_kept() {
    for k in kept() {
        if let Ok(e) = Edition::from_data(k.data) {
            let _ = register(e);
        }
    }
}

/// Asks the server which editions it has and fetches those this device lacks or holds in another version.
/// Registered at once; the screens re-read (`revision`) when any arrived. Errors are quiet: the embedded and
/// kept editions still work, and the next connection asks again.
pub async fn refresh(ws: Workspace) {
    let Ok(answer) = api::call("GET", "/api/editions", NO_BODY).await else {
        return;
    };
    let Ok(listing) = answer.read::<Editions>() else {
        return;
    };
    let mut all = kept();
    let mut arrived = false;
    for info in listing.editions {
        // Kept and registered (one kept by an older build may not have validated at start).
        if all.iter().any(|k| k.sha256 == info.sha256)
            && mamori_shared::edition::edition(&info.id).is_some()
        {
            continue;
        }
        let Ok(answer) = api::call("GET", &format!("/api/editions/{}", info.id), NO_BODY).await
        else {
            continue;
        };
        let Ok(data) = answer.read::<EditionData>() else {
            continue;
        };
        match Edition::from_data(data.clone()).map(register) {
            Ok(Ok(_)) => {
                all.retain(|k| k.data.id != info.id);
                all.push(Kept {
                    sha256: info.sha256,
                    data,
                });
                arrived = true;
            }
            Ok(Err(e)) | Err(e) => {
                leptos::logging::warn!("edition {} not taken: {e}", info.id);
            }
        }
    }
    if arrived {
        if let Err(e) = LocalStorage::set(KEY, &all) {
            leptos::logging::warn!("editions not kept for offline: {e}");
        }
        ws.touched_all();
    }
}
