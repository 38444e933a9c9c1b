//! Three server instances on one PostgreSQL database, on three localhost ports, no balancer: devices on
//! different instances converge; a person removed through one instance is cut off on the others at once; an
//! instance that stops leaves nothing acknowledged behind (its devices reconnect to another).

use std::time::{Duration, Instant};

use automerge::ActorId;
use mamori_shared::answer::Choice;
use mamori_shared::model::DocumentId;
use mamori_tests::TestServer;
use mamori_tests::fixtures::{answer, new_checklist};
use mamori_tests::passkeys::{
    accept, browser_at, facility_with_checklist, invite, run, session_cookie, status,
};
use mamori_tests::postgres::fresh_database;
use mamori_tests::sync_client::Device;

async fn instance(url: &str) -> TestServer {
    let url = url.to_string();
    TestServer::start_configured(move |c| {
        c.database_url = Some(url);
        c.open_sync = false;
    })
    .await
}

async fn connected(name: &str, server: &TestServer, cookie: &str) -> Device {
    let mut d = Device::new(name);
    // Devices on B name a place, as the app does (its facility index, a balancer's routing key): the
    // instance never reads it, so they sync as the others do.
    if name.ends_with("on B") {
        d.place = Some(DocumentId::generate());
    }
    d.try_connect(&server.url, Some(cookie))
        .await
        .unwrap_or_else(|e| panic!("{name} connects to {}: {e}", server.url));
    d
}

/// Pumps every device until all hold the same heads for `id`, and they are not empty.
async fn converged(devices: &mut [&mut Device], id: DocumentId, within: Duration) {
    let start = Instant::now();
    loop {
        let heads: Vec<_> = devices.iter_mut().map(|d| d.heads(id)).collect();
        if !heads[0].is_empty() && heads.iter().all(|h| *h == heads[0]) {
            return;
        }
        assert!(
            start.elapsed() < within,
            "devices on different instances did not converge: {heads:?}"
        );
        for d in devices.iter_mut() {
            d.pump_once(Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_share_documents_people_and_a_crash() {
    let database = fresh_database().await;
    let a = instance(&database).await;
    let b = instance(&database).await;
    let mut c = instance(&database).await;
    let (admin, facility, checklist) = facility_with_checklist(&a).await;
    let cookie = session_cookie(&admin, &a).await;

    // One device on each instance, each answering: every device ends with every answer.
    let mut on_a = connected("on A", &a, &cookie).await;
    let mut on_b = connected("on B", &b, &cookie).await;
    let mut on_c = connected("on C", &c, &cookie).await;
    let mut doc = new_checklist().with_actor(ActorId::from(&[0xa1; 16][..]));
    answer(&mut doc, "1-①", Choice::Yes, "佐藤 花子");
    on_a.add(checklist, doc).await;
    converged(&mut [&mut on_a], checklist, Duration::from_secs(5)).await;
    on_b.want(checklist).await;
    on_c.want(checklist).await;
    converged(
        &mut [&mut on_a, &mut on_b, &mut on_c],
        checklist,
        Duration::from_secs(10),
    )
    .await;
    for (device, item, actor) in [(&mut on_b, "1-②", 0xb1u8), (&mut on_c, "1-③", 0xc1u8)] {
        device
            .edit(checklist, |d| {
                d.set_actor(ActorId::from(&[actor; 16][..]));
                answer(d, item, Choice::No, "佐藤 花子");
            })
            .await;
    }
    let started = Instant::now();
    converged(
        &mut [&mut on_a, &mut on_b, &mut on_c],
        checklist,
        Duration::from_secs(10),
    )
    .await;
    println!(
        "answers made on B and C reached every instance's device in {:?}",
        started.elapsed()
    );
    let answers = mamori_shared::schema::checklist::answers(&on_a.docs[&checklist]).unwrap();
    assert_eq!(answers.len(), 3, "{answers:?}");

    // A staff member's devices on B and C; removed through A, both are cut off at once.
    let (_, token) = invite(&admin, &facility, "staff", None, "鈴木 一郎").await;
    let staff = browser_at(&a).await;
    let joined = accept(&staff, &token, "鈴木 一郎").await;
    assert_eq!(status(&joined), 200, "{joined}");
    let staff_id = run(&staff, "return api('GET', '/api/me');").await["body"]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    // The server's backups (their sizes cover every facility) are for a 管理者 only: not a 担当者, not
    // someone signed in nowhere, on whichever instance.
    let backups = format!("return api('GET', '/api/facilities/{facility}/backups');");
    assert_eq!(status(&run(&admin, &backups).await), 200);
    assert_eq!(
        status(&run(&staff, &backups).await),
        403,
        "a 担当者 reads the server's backups"
    );
    let nobody = browser_at(&b).await;
    assert_eq!(
        status(&run(&nobody, &backups).await),
        401,
        "nobody reads the server's backups"
    );
    nobody.close().await;
    let staff_cookie = session_cookie(&staff, &a).await;
    let mut staff_b = connected("staff on B", &b, &staff_cookie).await;
    let mut staff_c = connected("staff on C", &c, &staff_cookie).await;
    assert!(staff_b.opened(checklist).await && staff_c.opened(checklist).await);
    let r = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/people/{staff_id}/remove');"),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    let start = Instant::now();
    while staff_b.is_online() || staff_c.is_online() {
        // Each instance's own check comes every minute at most: only the database's notice is this fast.
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "a removed person's connection stayed open on another instance"
        );
        staff_b.pump_once(Duration::from_millis(10)).await;
        staff_c.pump_once(Duration::from_millis(10)).await;
    }
    println!(
        "removed through A, cut off on B and C after {:?}",
        start.elapsed()
    );
    assert_ne!(
        status(&run(&staff, &backups).await),
        200,
        "a removed person reads the server's backups"
    );

    // C stops right after acknowledging a burst of answers: all of it is on A already (through the database,
    // not through the device), and the device carries on through B.
    for n in 0..20 {
        on_c.edit(checklist, |d| {
            let choice = if n % 2 == 0 { Choice::Yes } else { Choice::No };
            answer(d, "2-①", choice, "佐藤 花子");
        })
        .await;
        on_c.pump_once(Duration::from_millis(1)).await;
    }
    let start = Instant::now();
    while !on_c.server_has_all(checklist) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "C did not acknowledge"
        );
        on_c.pump_once(Duration::from_millis(5)).await;
    }
    let acknowledged = on_c.heads(checklist);
    c.stop().await;
    on_c.disconnect().await;
    let start = Instant::now();
    while on_a.heads(checklist) != acknowledged {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "what C acknowledged did not reach A"
        );
        on_a.pump_once(Duration::from_millis(10)).await;
    }
    on_c.try_connect(&b.url, Some(&cookie))
        .await
        .expect("reconnects to B");
    on_c.want(checklist).await;
    converged(
        &mut [&mut on_a, &mut on_b, &mut on_c],
        checklist,
        Duration::from_secs(10),
    )
    .await;
    admin.close().await;
    staff.close().await;
}
