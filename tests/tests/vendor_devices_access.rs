//! A vendor's contribution to the 機器台帳 (`vendor_devices`), enforced by the server on raw sync messages:
//! the vendor's user opens and writes its own contribution and nothing else of the facility (not the
//! 機器台帳, not the 利用者ID台帳, not the index, not another vendor's contribution, even by document id);
//! changes it sends for those are not kept; it registers nothing; a document registered as something else
//! cannot be re-registered into a contribution; `/api/me` lists only its own.

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use mamori_shared::model::{DocumentId, FacilityId, VendorId};
use mamori_tests::TestServer;
use mamori_tests::passkeys::{
    accept, browser_at, invite, register_facility, run, session_cookie, status,
};
use mamori_tests::sync_client::Device;
use serde_json::json;

/// A contribution document as a facility's app makes it, written out key by key (the same shape as
/// `mamori_shared::schema::vendor_devices::create`).
fn contribution(facility: &str, vendor: &str) -> AutoCommit {
    let mut d = AutoCommit::new();
    d.put(ROOT, "schema", 1u64).unwrap();
    d.put(ROOT, "kind", "vendor_devices").unwrap();
    let meta = d.put_object(ROOT, "meta", ObjType::Map).unwrap();
    d.put(&meta, "facility_id", facility).unwrap();
    d.put(&meta, "vendor_id", vendor).unwrap();
    d.put(&meta, "created_at_ms", 1i64).unwrap();
    for key in ["rows", "base", "decisions"] {
        d.put_object(ROOT, key, ObjType::Map).unwrap();
    }
    d
}

/// A row of the 機器台帳 (or a contribution) with `number` and `os`, under `id`.
fn put_device(d: &mut AutoCommit, id: &str, number: &str, os: &str) {
    let rows = match d.get(ROOT, "rows").unwrap() {
        Some((_, rows)) => rows,
        None => d.put_object(ROOT, "rows", ObjType::Map).unwrap(),
    };
    let row = d.put_object(&rows, id, ObjType::Map).unwrap();
    d.put(&row, "id", id).unwrap();
    d.put(&row, "number", number).unwrap();
    d.put(&row, "os", os).unwrap();
}

/// The server's copy of `id`, read by a fresh device of `cookie`'s person.
async fn servers_copy(server: &TestServer, cookie: &str, id: DocumentId) -> AutoCommit {
    let mut check = Device::new("check");
    check.try_connect(&server.url, Some(cookie)).await.unwrap();
    assert!(check.opened(id).await, "the facility opens {id}");
    check.docs.remove(&id).unwrap()
}

fn row_ids(doc: &AutoCommit) -> Vec<String> {
    match doc.get(ROOT, "rows").unwrap() {
        Some((_, rows)) => doc.keys(&rows).collect(),
        None => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_reaches_its_own_contribution_and_nothing_else() {
    let server = TestServer::start_signed_in().await;
    let facility = FacilityId::generate().to_string();
    let (vendor_a, vendor_b) = (
        VendorId::generate().to_string(),
        VendorId::generate().to_string(),
    );
    let (index, devices, accounts, from_a, from_b) = (
        DocumentId::generate(),
        DocumentId::generate(),
        DocumentId::generate(),
        DocumentId::generate(),
        DocumentId::generate(),
    );

    // Step 1: the 管理者 registers the facility, its ledgers and one contribution per vendor, and syncs them.
    let admin = browser_at(&server).await;
    let r = register_facility(
        &admin,
        &server.registration_code().await,
        &facility,
        "さくら内科",
        &index.to_string(),
        "佐藤 花子",
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    let register = |body: serde_json::Value| {
        let admin = &admin;
        let facility = facility.clone();
        async move {
            run(
                admin,
                &format!("return api('POST', '/api/facilities/{facility}/documents', {body});"),
            )
            .await
        }
    };
    for body in [
        json!({ "doc_id": devices.to_string(), "form": null, "kind": "device_ledger" }),
        json!({ "doc_id": accounts.to_string(), "form": null, "kind": "user_ledger" }),
        json!({ "doc_id": from_a.to_string(), "form": null, "kind": "vendor_devices", "vendor_id": vendor_a }),
        json!({ "doc_id": from_b.to_string(), "form": null, "kind": "vendor_devices", "vendor_id": vendor_b }),
    ] {
        let r = register(body).await;
        assert_eq!(status(&r), 200, "{r}");
    }
    // A contribution names its vendor.
    let r = register(json!({ "doc_id": DocumentId::generate().to_string(), "form": null, "kind": "vendor_devices" })).await;
    assert_eq!(status(&r), 400, "a contribution without a vendor: {r}");
    // A document already registered stays what it was: the 機器台帳 cannot be re-registered as vendor A's.
    let r = register(json!({ "doc_id": devices.to_string(), "form": null, "kind": "vendor_devices", "vendor_id": vendor_a })).await;
    assert_eq!(status(&r), 200, "registering again is harmless: {r}");

    let admin_cookie = session_cookie(&admin, &server).await;
    let mut tablet = Device::new("admin");
    tablet
        .try_connect(&server.url, Some(&admin_cookie))
        .await
        .unwrap();
    let mut ledger =
        mamori_shared::schema::ledger::create::<mamori_shared::schema::ledger::Device>(
            FacilityId::parse(&facility).unwrap(),
            1,
        )
        .unwrap();
    put_device(&mut ledger, "row-a", "001", "Windows 11");
    put_device(&mut ledger, "row-other", "002", "Windows 10");
    let people = mamori_shared::schema::ledger::create::<mamori_shared::schema::ledger::Account>(
        FacilityId::parse(&facility).unwrap(),
        1,
    )
    .unwrap();
    let mut a = contribution(&facility, &vendor_a);
    put_device(&mut a, "row-a", "001", "Windows 11");
    let mut b = contribution(&facility, &vendor_b);
    put_device(&mut b, "row-b", "101", "Linux");
    let mut idx = mamori_tests::fixtures::new_checklist();
    idx.put(ROOT, "title", "index stand-in").unwrap();
    for (id, doc) in [
        (index, idx),
        (devices, ledger),
        (accounts, people),
        (from_a, a),
        (from_b, b),
    ] {
        tablet.add(id, doc).await;
        tablet.synced(id).await;
    }

    // Step 2: vendor A's user, in its own browser, then on a raw socket with its session.
    let (_, token) = invite(&admin, &facility, "vendor", Some(&vendor_a), "山本").await;
    let vendor = browser_at(&server).await;
    let joined = accept(&vendor, &token, "山本 次郎").await;
    assert_eq!(status(&joined), 200, "{joined}");
    let vendor_person = joined["body"]["person_id"].as_str().unwrap().to_string();
    let vendor_cookie = session_cookie(&vendor, &server).await;

    // /api/me lists its contribution and nothing else of the facility.
    let me = run(&vendor, "return api('GET', '/api/me');").await;
    let listed: Vec<String> = me["body"]["memberships"][0]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, vec![from_a.to_string()], "{me}");
    assert!(me["body"]["memberships"][0]["index_doc"].is_null(), "{me}");

    // It opens and writes its own contribution.
    let mut raw = Device::new("vendor");
    raw.try_connect(&server.url, Some(&vendor_cookie))
        .await
        .unwrap();
    assert!(raw.opened(from_a).await, "its own contribution");
    raw.edit(from_a, |d| {
        put_device(d, "row-new", "003", "Windows Server 2022")
    })
    .await;
    raw.synced(from_a).await;
    assert!(raw.refused.is_empty(), "{:?}", raw.refused);

    // A contribution registered for it but still empty on the server: writing first, the vendor cannot make
    // it another kind of document (a 機器台帳 of its own making); the facility's contribution then goes in.
    let early = DocumentId::generate();
    let r = register(json!({ "doc_id": early.to_string(), "form": null, "kind": "vendor_devices", "vendor_id": vendor_a })).await;
    assert_eq!(status(&r), 200, "{r}");
    let mut as_ledger = mamori_shared::schema::ledger::create::<
        mamori_shared::schema::ledger::Device,
    >(FacilityId::parse(&facility).unwrap(), 1)
    .unwrap();
    put_device(&mut as_ledger, "row-x", "900", "forged");
    raw.add(early, as_ledger).await;
    let start = Instant::now();
    while !raw.refused.iter().any(|(doc, _)| *doc == early) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the vendor's document of another kind was taken"
        );
        raw.pump_once(Duration::from_millis(20)).await;
    }
    tablet.add(early, contribution(&facility, &vendor_a)).await;
    tablet.synced(early).await;
    assert!(tablet.refused.is_empty(), "{:?}", tablet.refused);

    // By document id, nothing else opens: the ledgers, the index, vendor B's contribution.
    for (other, what) in [
        (devices, "機器台帳"),
        (accounts, "利用者ID台帳"),
        (index, "the index"),
        (from_b, "vendor B's contribution"),
    ] {
        assert!(!raw.opened(other).await, "{what} must stay closed");
        assert!(
            raw.docs
                .get_mut(&other)
                .is_none_or(|d| d.get_heads().is_empty()),
            "{what}: nothing of it reached the vendor"
        );
    }

    // Changes it sends for them anyway are not kept: a row pushed into the 機器台帳 and into B's contribution.
    let mut forged_ledger = AutoCommit::new();
    put_device(&mut forged_ledger, "row-forged", "999", "forged");
    let mut forged_b = AutoCommit::new();
    put_device(&mut forged_b, "row-forged", "999", "forged");
    raw.docs.remove(&devices);
    raw.docs.remove(&from_b);
    raw.add(devices, forged_ledger).await;
    raw.add(from_b, forged_b).await;
    for _ in 0..20 {
        raw.pump_once(Duration::from_millis(20)).await;
    }
    for (id, expected) in [
        (devices, vec!["row-a", "row-other"]),
        (from_b, vec!["row-b"]),
        (from_a, vec!["row-a", "row-new"]),
    ] {
        let copy = servers_copy(&server, &admin_cookie, id).await;
        assert_eq!(row_ids(&copy), expected, "the server's copy of {id}");
    }

    // It registers nothing: not a contribution of its own, not a new ledger.
    let r = run(
        &vendor,
        &format!(
            "return api('POST', '/api/facilities/{facility}/documents', {});",
            json!({ "doc_id": DocumentId::generate().to_string(), "form": null, "kind": "vendor_devices", "vendor_id": vendor_a })
        ),
    )
    .await;
    assert_eq!(status(&r), 403, "{r}");

    // Removed (the contract ended), the vendor's open socket is closed and a new one refused: its
    // contribution takes nothing more from it.
    let r = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/people/{vendor_person}/remove');"),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    let start = Instant::now();
    while raw.is_online() {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "the removed vendor's socket stays open"
        );
        raw.pump_once(Duration::from_millis(20)).await;
    }
    let mut again = Device::new("removed vendor");
    assert!(
        again
            .try_connect(&server.url, Some(&vendor_cookie))
            .await
            .is_err(),
        "a removed vendor's session opens no socket"
    );
    assert_eq!(
        row_ids(&servers_copy(&server, &admin_cookie, from_a).await),
        vec!["row-a", "row-new"],
        "nothing more in its contribution"
    );

    for b in [admin, vendor] {
        b.close().await;
    }
}
