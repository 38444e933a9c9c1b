//! Leaving a facility on this device. When the person signed in here was disabled (退職) or removed from a
//! facility, the device first hands back every document it holds for that facility (the server keeps only
//! the changes it lacks, in a quarantine a 管理者 reviews), then deletes that facility's data and says so.
//!
//! Nothing is deleted until every hand-back has been received: a device that cannot reach the server keeps
//! everything and tries again on its next connect. Until then the offline copy stays readable on the
//! device; no server can reach into a tablet that is offline.

use std::cell::Cell;
use std::collections::BTreeSet;

use leptos::prelude::{GetUntracked, Update};
use mamori_shared::api::DepartureStatus;

use crate::api::{self, NO_BODY};
use crate::error::AppError;
use crate::settings::use_settings;
use crate::state::Workspace;

thread_local! {
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Asks the server whether this device's person left a facility; if so, hands back and deletes that
/// facility's data. Quietly does nothing offline or when no one left.
pub async fn check(ws: Workspace) {
    if RUNNING.with(|r| r.replace(true)) {
        return;
    }
    if let Err(e) = hand_back_and_delete(ws).await {
        leptos::logging::warn!("could not finish leaving the facility yet: {e}");
    }
    RUNNING.with(|r| r.set(false));
}

async fn hand_back_and_delete(ws: Workspace) -> Result<(), AppError> {
    let a = api::call("GET", "/api/device/departure", NO_BODY).await?;
    let Ok(DepartureStatus {
        departed: true,
        departure: Some(d),
    }) = a.read::<DepartureStatus>()
    else {
        return Ok(());
    };
    if d.facilities.is_empty() {
        return Ok(());
    }
    let held = ws.saved_documents_of(&d.facilities);
    // Already handed back and deleted (an earlier check on this device): nothing to do, nothing to say.
    if held.is_empty() {
        return Ok(());
    }
    let set_aside: Vec<_> = ws
        .set_aside
        .get_untracked()
        .into_iter()
        .filter(|s| held.iter().any(|(id, _, _)| *id == s.document))
        .collect();
    let facility_names: Vec<String> = d
        .facilities
        .iter()
        .filter_map(|f| {
            ws.index_untracked()
                .filter(|i| i.facility.id == *f)
                .map(|i| i.facility.name)
        })
        .collect();
    // Every copy first, set-aside ones included (they hold changes the server refused at the time).
    let uploads = held
        .iter()
        .map(|(id, f, bytes)| (*id, *f, bytes.as_slice()))
        .chain(set_aside.iter().filter_map(|s| {
            let f = held.iter().find(|(id, _, _)| *id == s.document)?.1;
            Some((s.document, f, s.bytes.as_slice()))
        }));
    let mut not_taken = 0;
    for (id, facility, bytes) in uploads {
        let a = api::post_bytes(
            &format!("/api/device/departure/{id}?facility={facility}"),
            bytes,
        )
        .await?;
        // The server will never take these (the time to hand back has passed, or they were not this
        // person's to change): trying again cannot help, and the data goes anyway.
        if a.status == 403 && a.error_body().is_some_and(|e| e.hand_back_refused) {
            not_taken += 1;
            continue;
        }
        if !a.ok() {
            return Err(a.refused());
        }
    }
    let ids: BTreeSet<_> = held.iter().map(|(id, _, _)| *id).collect();
    ws.forget(&ids).await?;
    // The emergency copy holds that facility's contacts too: gone now, rewritten with what is left.
    crate::emergency::forget().await;
    // Its evidence files too (the cache holds only files of facilities on this device; simpler and safer to
    // drop it whole: the others are fetched again when next viewed online).
    crate::files::forget().await;
    let names = if facility_names.is_empty() {
        String::new()
    } else {
        format!("「{}」", facility_names.join("」「"))
    };
    use_settings().update(|s| {
        if s.facility_index.is_some_and(|i| ids.contains(&i)) {
            s.facility_index = None;
        }
        s.known_people.retain(|k| k.person_id != d.person_id);
        let refused = if not_taken == 0 {
            String::new()
        } else {
            format!(
                " {not_taken} 件の文書の変更は受け付けられませんでした (changes to {not_taken} documents were not accepted: too late, or not yours to change)."
            )
        };
        s.departure_notice = Some(format!(
            "利用が終了したため、この端末から{names}のデータ ({} 件の文書) を削除しました。未同期の変更は管理者に送られました。 \
             (Your access ended: this device deleted the facility's data; unsynced changes were sent to the administrator.){refused}",
            ids.len()
        ));
    });
    Ok(())
}
