//! Access enforced on every sync message, with sign-in required: a vendor's user opens only its own
//! 事業者確認用, by a raw sync message on its own socket; a 閲覧者's changes are refused and nothing stored
//! changes; a role change and a removal take effect on open connections within a second; a socket with no
//! session, or from another origin, is refused at the upgrade.

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use mamori_shared::model::{DocumentId, FacilityId, VendorId};
use mamori_tests::TestServer;
use mamori_tests::passkeys::{
    accept, browser_at, invite, register_facility, run, session_cookie, status,
};
use mamori_tests::sync_client::Device;
use serde_json::json;

/// A Mamori document (a signed-in server keeps no other) marked with `key`.
fn doc_with(key: &str, value: &str) -> AutoCommit {
    let mut d = mamori_tests::fixtures::new_checklist();
    d.put(ROOT, key, value).unwrap();
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sync_message_is_checked_against_the_servers_records() {
    let server = TestServer::start_signed_in().await;
    let facility = FacilityId::generate().to_string();
    let (vendor_a, vendor_b) = (
        VendorId::generate().to_string(),
        VendorId::generate().to_string(),
    );
    let (index, medical, form_a, form_b) = (
        DocumentId::generate(),
        DocumentId::generate(),
        DocumentId::generate(),
        DocumentId::generate(),
    );

    // No session: refused at the upgrade.
    let mut anonymous = Device::new("anonymous");
    let refused = anonymous.try_connect(&server.url, None).await;
    assert!(
        refused.as_ref().is_err_and(|e| e.starts_with("401")),
        "{refused:?}"
    );

    // The administrator registers the facility and its documents, then syncs them from a device.
    let admin = browser_at(&server).await;
    let r = register_facility(
        &admin,
        &server.registration_code().await,
        &facility,
        "みなと薬局",
        &index.to_string(),
        "佐藤 花子",
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    for (doc, form, vendor) in [
        (medical, Some("pharmacy"), None),
        (form_a, Some("vendor"), Some(&vendor_a)),
        (form_b, Some("vendor"), Some(&vendor_b)),
    ] {
        let r = run(
            &admin,
            &format!(
                "return api('POST', '/api/facilities/{facility}/documents', {});",
                json!({ "doc_id": doc.to_string(), "form": form, "vendor_id": vendor })
            ),
        )
        .await;
        assert_eq!(status(&r), 200, "{r}");
    }
    let mut admin_device = Device::new("admin");
    admin_device
        .try_connect(&server.url, Some(&session_cookie(&admin, &server).await))
        .await
        .unwrap();
    for (id, what) in [
        (index, "index"),
        (medical, "薬局確認用"),
        (form_a, "A社"),
        (form_b, "B社"),
    ] {
        admin_device.add(id, doc_with("title", what)).await;
        admin_device.synced(id).await;
    }
    // A document nobody registered is no one's: the server does not take it.
    let stray = DocumentId::generate();
    admin_device.add(stray, doc_with("title", "stray")).await;
    admin_device.pump_once(Duration::from_millis(200)).await;
    assert!(admin_device.unavailable.contains(&stray) || !admin_device.server_has_all(stray));

    // The vendor's user for vendor A, in its own browser.
    let (_, token) = invite(&admin, &facility, "vendor", Some(&vendor_a), "山本").await;
    let vendor = browser_at(&server).await;
    assert_eq!(status(&accept(&vendor, &token, "山本 次郎").await), 200);
    // Naming the facility as its place (`/sync?place=`, a balancer's routing key) grants nothing: without a
    // session it is refused as before, and the vendor below, naming the index, still cannot open it.
    let mut placed = Device::new("anonymous, placed");
    placed.place = Some(index);
    let refused = placed.try_connect(&server.url, None).await;
    assert!(
        refused.as_ref().is_err_and(|e| e.starts_with("401")),
        "{refused:?}"
    );
    let mut vendor_device = Device::new("vendor");
    vendor_device.place = Some(index);
    vendor_device
        .try_connect(&server.url, Some(&session_cookie(&vendor, &server).await))
        .await
        .unwrap();
    assert!(vendor_device.opened(form_a).await, "its own vendor form");
    for other in [medical, form_b, index] {
        assert!(
            !vendor_device.opened(other).await,
            "{other} must stay closed"
        );
        assert!(
            vendor_device
                .docs
                .get_mut(&other)
                .is_none_or(|d| d.get_heads().is_empty())
        );
    }
    // It fills in its own form.
    vendor_device
        .edit(form_a, |d| d.put(ROOT, "2-①", "はい").unwrap())
        .await;
    vendor_device.synced(form_a).await;
    assert!(
        vendor_device.refused.is_empty(),
        "{:?}",
        vendor_device.refused
    );

    // A 閲覧者 reads, and its changes are refused; the server's copy does not change.
    let (_, token) = invite(&admin, &facility, "viewer", None, "鈴木").await;
    let viewer = browser_at(&server).await;
    let joined = accept(&viewer, &token, "鈴木 三郎").await;
    let viewer_id = joined["body"]["person_id"].as_str().unwrap().to_string();
    let mut viewer_device = Device::new("viewer");
    viewer_device
        .try_connect(&server.url, Some(&session_cookie(&viewer, &server).await))
        .await
        .unwrap();
    assert!(viewer_device.opened(medical).await);
    viewer_device
        .edit(medical, |d| d.put(ROOT, "title", "書き換え").unwrap())
        .await;
    let start = Instant::now();
    while viewer_device.refused.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the viewer's change was not refused"
        );
        viewer_device.pump_once(Duration::from_millis(20)).await;
    }
    assert!(viewer_device.refused[0].1.contains("閲覧のみ"));
    let mut check = Device::new("check");
    check
        .try_connect(&server.url, Some(&session_cookie(&admin, &server).await))
        .await
        .unwrap();
    assert!(check.opened(medical).await);
    let title = check.docs[&medical]
        .get(ROOT, "title")
        .unwrap()
        .unwrap()
        .0
        .to_string();
    assert!(title.contains("薬局確認用"), "{title}");

    // A role change takes effect on the open connection: the vendor's user now acts for vendor B.
    let person = run(&vendor, "return api('GET', '/api/me');").await["body"]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = run(
        &admin,
        &format!(
            "return api('POST', '/api/facilities/{facility}/people/{person}/role', {});",
            json!({ "role": "vendor", "vendor_id": vendor_b })
        ),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    vendor_device.unavailable.clear();
    let start = Instant::now();
    while !vendor_device.unavailable.contains(&form_a) {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "vendor A's form is still open"
        );
        vendor_device.pump_once(Duration::from_millis(10)).await;
    }
    assert!(vendor_device.opened(form_b).await);

    // Removing the 閲覧者 (退職) closes its open connection within a second.
    let r = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/people/{viewer_id}/remove');"),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    let start = Instant::now();
    while viewer_device.is_online() {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "the removed person's connection is open"
        );
        viewer_device.pump_once(Duration::from_millis(10)).await;
    }
    println!(
        "removed person's connection closed after {:?}",
        start.elapsed()
    );
    // And it cannot come back.
    let back = viewer_device
        .try_connect(&server.url, Some(&session_cookie(&viewer, &server).await))
        .await;
    assert!(back.is_err(), "a removed person connected again");

    // Only an administrator manages people.
    let r = run(
        &vendor,
        &format!("return api('GET', '/api/facilities/{facility}/people');"),
    )
    .await;
    assert_eq!(status(&r), 403);

    for b in [admin, vendor, viewer] {
        b.close().await;
    }
}

#[tokio::test]
async fn a_browser_socket_from_another_origin_is_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start().await;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    let req = "GET /sync HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 512];
    let n = s.read(&mut buf).await.unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_under_another_persons_actor_id_are_refused() {
    let server = TestServer::start_signed_in().await;
    let facility = FacilityId::generate().to_string();
    let (index, checklist) = (DocumentId::generate(), DocumentId::generate());
    let admin = browser_at(&server).await;
    let r = register_facility(
        &admin,
        &server.registration_code().await,
        &facility,
        "さくら医院",
        &index.to_string(),
        "院長",
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    let r = run(
        &admin,
        &format!(
            "return api('POST', '/api/facilities/{facility}/documents', {});",
            json!({ "doc_id": checklist.to_string(), "form": "medical" })
        ),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");

    // The administrator's tablet writes with its own actor id, which the server records as theirs.
    let admins_actor = automerge::ActorId::random();
    let mut tablet = Device::new("admin-tablet");
    tablet
        .try_connect(&server.url, Some(&session_cookie(&admin, &server).await))
        .await
        .unwrap();
    tablet
        .add(
            checklist,
            doc_with("title", "医療機関確認用").with_actor(admins_actor.clone()),
        )
        .await;
    tablet
        .edit(checklist, |d| d.put(ROOT, "1-①", "はい").unwrap())
        .await;
    tablet.synced(checklist).await;

    // A staff member's device makes a change under the administrator's actor id: refused.
    let (_, token) = invite(&admin, &facility, "staff", None, "田中").await;
    let staff = browser_at(&server).await;
    assert_eq!(status(&accept(&staff, &token, "田中 一郎").await), 200);
    let mut device = Device::new("staff-tablet");
    device
        .try_connect(&server.url, Some(&session_cookie(&staff, &server).await))
        .await
        .unwrap();
    assert!(device.opened(checklist).await);
    device
        .edit(checklist, |d| {
            d.set_actor(admins_actor.clone());
            d.put(ROOT, "1-①", "いいえ").unwrap();
        })
        .await;
    let start = Instant::now();
    while device.refused.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the impersonating change was accepted"
        );
        device.pump_once(Duration::from_millis(20)).await;
    }
    assert!(
        device.refused[0].1.contains("別の利用者"),
        "{:?}",
        device.refused
    );

    // Under its own actor id the same person's change is kept; relaying changes the server already has is
    // fine for anyone.
    device
        .edit(checklist, |d| {
            d.set_actor(automerge::ActorId::random());
            d.put(ROOT, "1-②", "はい").unwrap();
        })
        .await;
    device.synced(checklist).await;
    assert_eq!(device.refused.len(), 1);
    let start = Instant::now();
    loop {
        tablet.pump_once(Duration::from_millis(20)).await;
        let doc = &tablet.docs[&checklist];
        if doc.get(ROOT, "1-②").unwrap().is_some() {
            assert_eq!(
                doc.get(ROOT, "1-①").unwrap().unwrap().0.to_string(),
                "\"はい\""
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the staff change did not arrive"
        );
    }
    for b in [admin, staff] {
        b.close().await;
    }
}
