//! The trust boundary on sync, tried as an attacker would against a signed-in server: crafted sync messages
//! from a 閲覧者's and a 担当者's API tokens. Each attack is refused with a clear answer, and afterwards the
//! stored document (read from the store itself) and the access log show that nothing was kept. A writer's
//! honest but unusual messages (a whole document, a change before its dependency) are kept and logged; a
//! change whose log entry cannot be written is not kept, and arrives once the log is writable again.

use automerge::{ActorId, AutoCommit, ChangeHash};
use mamori_shared::answer::Choice;
use mamori_shared::model::DocumentId;
use mamori_tests::attacker::{Answer, Attacker, sync_message};
use mamori_tests::fixtures::{answer as put_answer, new_checklist};
use mamori_tests::passkeys::{facility_with_checklist, issue_token, run, session_cookie, status};
use mamori_tests::sync_client::Device;
use mamori_tests::{Browser, TestServer};
use sqlx::SqlitePool;

const ADMIN: [u8; 16] = [0xad; 16];
const STAFF: [u8; 16] = [0x57; 16];

/// What the store holds of `doc`: every chunk loaded together, as the server loads it.
async fn stored(db: &SqlitePool, doc: DocumentId) -> AutoCommit {
    let chunks: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT data FROM chunks WHERE doc_id = ? ORDER BY seq")
            .bind(doc.to_string())
            .fetch_all(db)
            .await
            .unwrap();
    AutoCommit::load(&chunks.concat()).unwrap()
}

async fn change_entries(admin: &Browser, facility: &str) -> Vec<serde_json::Value> {
    let r = run(
        admin,
        &format!("return api('GET', '/api/facilities/{facility}/log?kind=change');"),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    r["body"]["entries"].as_array().cloned().unwrap_or_default()
}

async fn token(admin: &Browser, facility: &str, role: &str) -> String {
    issue_token(admin, facility, &format!("{role} token"), role, None)
        .await
        .1
}

/// An attacker connected with `token` that has opened `doc` (an empty first message, answered by sync).
async fn opened(server: &TestServer, token: &str, doc: DocumentId) -> Attacker {
    let mut a = Attacker::connect(&server.url, Some(token), None).await;
    let answer = a.send(doc, sync_message(Vec::new(), Vec::new())).await;
    assert!(matches!(answer, Answer::Sync(_)), "{answer:?}");
    a
}

/// A change made on a copy of `base` under `actor`, answering `item`.
fn change_on(base: &mut AutoCommit, actor: &[u8], item: &str) -> (AutoCommit, automerge::Change) {
    let mut doc = base.fork().with_actor(ActorId::from(actor));
    put_answer(&mut doc, item, Choice::Yes, "someone");
    doc.commit();
    let change = doc.get_last_local_change().unwrap().clone();
    (doc, change)
}

fn has(doc: &mut AutoCommit, hash: &ChangeHash) -> bool {
    doc.get_change_by_hash(hash).is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crafted_sync_messages_are_refused_and_nothing_is_kept_or_logged() {
    let server = TestServer::start_signed_in().await;
    let (admin, facility, checklist) = facility_with_checklist(&server).await;

    // The 管理者's device stores the checklist under its own actor id (which the server then holds as theirs).
    let mut admin_device = Device::new("admin");
    admin_device
        .try_connect(&server.url, Some(&session_cookie(&admin, &server).await))
        .await
        .unwrap();
    let mut base = new_checklist().with_actor(ActorId::from(&ADMIN[..]));
    put_answer(&mut base, "1-①", Choice::Yes, "佐藤 花子");
    base.commit();
    admin_device.add(checklist, base.fork()).await;
    while !admin_device.server_has_all(checklist) {
        admin_device
            .pump_once(std::time::Duration::from_millis(50))
            .await;
    }
    let db = SqlitePool::connect(&format!(
        "sqlite://{}",
        server.data_dir().join("mamori.db").display()
    ))
    .await
    .unwrap();
    let kept_heads = stored(&db, checklist).await.get_heads();
    assert_eq!(kept_heads, base.get_heads());
    let logged = change_entries(&admin, &facility).await.len();
    let viewer = token(&admin, &facility, "viewer").await;
    let staff = token(&admin, &facility, "staff").await;

    // No credentials, or a revoked token: the upgrade itself is refused.
    let refused = Attacker::try_connect(&server.url, None, None).await.err();
    assert!(
        refused.as_deref().is_some_and(|s| s.starts_with("401")),
        "{refused:?}"
    );
    let (revoked_id, revoked) =
        issue_token(&admin, &facility, "departed vendor", "staff", None).await;
    let r = run(
        &admin,
        &format!("return api('DELETE', '/api/facilities/{facility}/tokens/{revoked_id}');"),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    let refused = Attacker::try_connect(&server.url, Some(&revoked), None)
        .await
        .err();
    assert!(
        refused.as_deref().is_some_and(|s| s.starts_with("401")),
        "{refused:?}"
    );

    // The forged change: a 閲覧者 answering under the 管理者's actor id.
    let (_, forged) = change_on(&mut base, &ADMIN, "2-①");
    let z = forged.raw_bytes().to_vec();
    let splits: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("two chunks", vec![z[..1].to_vec(), z[1..].to_vec()]),
        (
            "three chunks",
            vec![z[..5].to_vec(), z[5..40].to_vec(), z[40..].to_vec()],
        ),
        ("many chunks", z.chunks(7).map(<[u8]>::to_vec).collect()),
        ("half a change", vec![z[..z.len() / 2].to_vec()]),
    ];
    for (what, chunks) in splits {
        let mut a = opened(&server, &viewer, checklist).await;
        let answer = a
            .send(checklist, sync_message(vec![forged.hash()], chunks))
            .await;
        assert!(
            matches!(&answer, Answer::Error(e) if e.contains("chunk")),
            "a viewer's write in {what}: {answer:?}"
        );
        assert_eq!(
            a.answer().await,
            Answer::Closed,
            "{what}: the connection closes"
        );
    }

    // A 担当者's own change, with the first bytes of the forged one in the same chunk and the rest after.
    let (_, own) = change_on(&mut base, &STAFF, "2-②");
    let mut first = own.raw_bytes().to_vec();
    first.extend_from_slice(&z[..10]);
    let mut a = opened(&server, &staff, checklist).await;
    let answer = a
        .send(
            checklist,
            sync_message(
                vec![own.hash(), forged.hash()],
                vec![first, z[10..].to_vec()],
            ),
        )
        .await;
    assert!(
        matches!(&answer, Answer::Error(e) if e.contains("chunk")),
        "{answer:?}"
    );

    // A 閲覧者's whole-document chunk is read into its changes and refused like them.
    let (mut whole, _) = change_on(&mut base, &ADMIN, "2-③");
    let mut a = opened(&server, &viewer, checklist).await;
    let answer = a
        .send(
            checklist,
            sync_message(whole.get_heads(), vec![whole.save()]),
        )
        .await;
    assert!(
        matches!(&answer, Answer::Refused(r) if r.contains("閲覧のみ")),
        "{answer:?}"
    );

    // A 担当者's whole, valid change under the 管理者's actor id: impersonation.
    let mut a = opened(&server, &staff, checklist).await;
    let answer = a
        .send(
            checklist,
            sync_message(vec![forged.hash()], vec![z.clone()]),
        )
        .await;
    assert!(
        matches!(&answer, Answer::Refused(r) if r.contains("別の利用者")),
        "{answer:?}"
    );

    // Nothing of it is stored or logged.
    let mut kept = stored(&db, checklist).await;
    assert_eq!(kept.get_heads(), kept_heads);
    assert!(!has(&mut kept, &forged.hash()) && !has(&mut kept, &own.hash()));
    assert_eq!(
        change_entries(&admin, &facility).await.len(),
        logged,
        "no change was logged"
    );

    // A 担当者's whole document (Automerge sends one when most of a document is owed): kept, claimed, logged.
    let (mut theirs, written) = change_on(&mut base, &STAFF, "2-④");
    let mut a = opened(&server, &staff, checklist).await;
    let answer = a
        .send(
            checklist,
            sync_message(theirs.get_heads(), vec![theirs.save()]),
        )
        .await;
    assert!(matches!(answer, Answer::Sync(_)), "{answer:?}");
    let mut kept = stored(&db, checklist).await;
    assert!(has(&mut kept, &written.hash()));
    let entries = change_entries(&admin, &facility).await;
    assert_eq!(entries.len(), logged + 1, "{entries:?}");
    assert!(
        entries[0]["detail"].as_str().unwrap().contains("2-④"),
        "{}",
        entries[0]
    );
    assert_eq!(entries[0]["name"], "staff token");

    // A change sent before its dependency waits, and is kept and logged once the dependency arrives.
    let mut device = theirs.fork().with_actor(ActorId::from(&STAFF[..]));
    put_answer(&mut device, "2-⑤", Choice::No, "staff");
    device.commit();
    let c1 = device.get_last_local_change().unwrap().clone();
    put_answer(&mut device, "2-⑥", Choice::Yes, "staff");
    device.commit();
    let c2 = device.get_last_local_change().unwrap().clone();
    let answer = a
        .send(
            checklist,
            sync_message(device.get_heads(), vec![c2.raw_bytes().to_vec()]),
        )
        .await;
    assert!(matches!(answer, Answer::Sync(_)), "{answer:?}");
    assert!(
        !has(&mut stored(&db, checklist).await, &c2.hash()),
        "not stored before its dependency"
    );
    let answer = a
        .send(
            checklist,
            sync_message(device.get_heads(), vec![c1.raw_bytes().to_vec()]),
        )
        .await;
    assert!(matches!(answer, Answer::Sync(_)), "{answer:?}");
    let mut kept = stored(&db, checklist).await;
    assert!(has(&mut kept, &c1.hash()) && has(&mut kept, &c2.hash()));
    let entries = change_entries(&admin, &facility).await;
    assert_eq!(entries.len(), logged + 2, "{entries:?}");
    let detail = entries[0]["detail"].as_str().unwrap();
    assert!(detail.contains("2-⑤") && detail.contains("2-⑥"), "{detail}");

    // With the log unwritable, a change is not kept; once it is writable again, the change arrives.
    sqlx::query("CREATE TRIGGER log_read_only BEFORE INSERT ON access_log BEGIN SELECT RAISE(ABORT, 'read only'); END")
        .execute(&db)
        .await
        .unwrap();
    put_answer(&mut device, "2-⑦", Choice::Yes, "staff");
    device.commit();
    let c3 = device.get_last_local_change().unwrap().clone();
    let answer = a
        .send(
            checklist,
            sync_message(device.get_heads(), vec![c3.raw_bytes().to_vec()]),
        )
        .await;
    assert!(
        matches!(&answer, Answer::Error(e) if e.contains("record")),
        "{answer:?}"
    );
    assert!(
        !has(&mut stored(&db, checklist).await, &c3.hash()),
        "kept without its log entry"
    );
    sqlx::query("DROP TRIGGER log_read_only")
        .execute(&db)
        .await
        .unwrap();
    let mut a = opened(&server, &staff, checklist).await;
    let answer = a
        .send(
            checklist,
            sync_message(device.get_heads(), vec![c3.raw_bytes().to_vec()]),
        )
        .await;
    assert!(matches!(answer, Answer::Sync(_)), "{answer:?}");
    assert!(has(&mut stored(&db, checklist).await, &c3.hash()));
    let entries = change_entries(&admin, &facility).await;
    assert_eq!(entries.len(), logged + 3);
    assert!(entries[0]["detail"].as_str().unwrap().contains("2-⑦"));

    // The chain still verifies.
    let r = run(&admin, "return api('GET', '/api/log/head');").await;
    assert_eq!(status(&r), 200, "{r}");
}
