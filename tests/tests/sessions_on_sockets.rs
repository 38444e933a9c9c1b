//! An open sync socket lives no longer than the session behind it: it is closed when the session reaches its
//! idle limit (a socket's pings and its own checks are not use), while a person sending their own changes
//! keeps the session in use; after it ends, the cookie no longer opens a socket.

use std::time::{Duration, Instant};

use automerge::ActorId;
use mamori_shared::answer::Choice;
use mamori_tests::TestServer;
use mamori_tests::fixtures::{answer, new_checklist};
use mamori_tests::passkeys::{facility_with_checklist, session_cookie};
use mamori_tests::sync_client::Device;

/// The idle limit for this test: short, yet long beside the few requests of its set-up.
const IDLE: Duration = Duration::from_secs(8);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_closes_when_its_session_ends_and_own_changes_keep_it_open() {
    let server = TestServer::start_configured(|c| {
        c.open_sync = false;
        c.session_idle_minutes = IDLE.as_secs_f64() / 60.0;
        // Pings every second: they must not count as use.
        c.ping_interval_ms = 1_000;
    })
    .await;
    let (admin, _facility, checklist) = facility_with_checklist(&server).await;
    let cookie = session_cookie(&admin, &server).await;
    // Nothing else uses the session from here on.
    admin.close().await;

    let mut device = Device::new("tablet");
    device
        .try_connect(&server.url, Some(&cookie))
        .await
        .expect("a live session opens a socket");
    let mut doc = new_checklist().with_actor(ActorId::from(&[0x71; 16][..]));
    answer(&mut doc, "1-①", Choice::Yes, "佐藤 花子");
    device.add(checklist, doc).await;

    // Own changes every second, for longer than the idle limit: the socket stays open.
    let busy_until = Instant::now() + IDLE + Duration::from_secs(4);
    let mut yes = false;
    while Instant::now() < busy_until {
        device
            .edit(checklist, |d| {
                let choice = if yes { Choice::Yes } else { Choice::No };
                answer(d, "1-①", choice, "佐藤 花子");
            })
            .await;
        yes = !yes;
        let until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < until {
            device.pump_once(Duration::from_millis(100)).await;
        }
        assert!(
            device.is_online(),
            "closed while its person was sending changes"
        );
        assert!(device.refused.is_empty(), "{:?}", device.refused);
    }
    assert!(device.server_has_all(checklist));

    // Then nothing but pings: closed once the idle limit passes, not before.
    let quiet_since = Instant::now();
    while device.is_online() {
        device.pump_once(Duration::from_millis(200)).await;
        assert!(
            quiet_since.elapsed() < IDLE + Duration::from_secs(10),
            "the socket outlived its session"
        );
    }
    let closed_after = quiet_since.elapsed();
    // The last own change may have been recorded up to a quarter of the limit before it was sent.
    assert!(
        closed_after + IDLE / 4 + Duration::from_secs(2) >= IDLE,
        "closed after {closed_after:?}, before the idle limit"
    );
    assert!(
        device.errors.iter().any(|e| e.contains("session")),
        "the server says why: {:?}",
        device.errors
    );
    let again = Device::new("tablet")
        .try_connect(&server.url, Some(&cookie))
        .await;
    assert!(again.is_err(), "an ended session opens no socket");
}
