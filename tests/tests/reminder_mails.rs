//! 期限 by e-mail, against SMTP servers the test runs on localhost: the 管理者 gives an address on 利用者の
//!管理; while the mail server accepts connections and never answers, the server keeps serving (a save
//! syncs, `/healthz` answers) and keeps trying; once a working server takes its place, the weekly summary
//! arrives (its Japanese subject decoded) naming the overdue いいえ; a target date moved into the past
//! brings one overdue mail; a restart sends nothing again.

use mamori_server::config::SmtpTls;
use mamori_shared::calendar::jst_date;
use mamori_tests::passkeys::{my_facility, registered_admin, run};
use mamori_tests::server::get_json;
use mamori_tests::smtp::{SilentServer, SmtpServer};
use mamori_tests::{Browser, TestServer};

fn days_ago(n: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    jst_date(now).unwrap().plus_days(-n).iso()
}

/// 1-① いいえ, checked 20 days ago with a 目標日 (which must come after it), saved and synced.
async fn answer_no(b: &Browser, url: &str, target: &str) {
    b.goto(url).await;
    b.click(".checklist-row .checklist-link").await;
    b.click(r#"li[data-item="1-①"] button[data-choice="no"]"#)
        .await;
    b.fill(
        r#"li[data-item="1-①"] input[name=checked_on]"#,
        &days_ago(20),
    )
    .await;
    b.fill(r#"li[data-item="1-①"] input[name=target_on]"#, target)
        .await;
    b.wait_until(
        "the target is kept",
        &format!(
            r#"document.querySelector('li[data-item="1-①"] input[name=target_on]').value === '{target}' && !document.querySelector('li[data-item="1-①"] .date-error')"#
        ),
    )
    .await;
    b.wait_saved().await;
    b.goto(url).await;
    b.wait(r#".checklist-row .sync-state[data-sync="synced"]"#)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_are_mailed_once_even_when_the_mail_server_hangs() {
    let silent = SilentServer::start().await;
    let port = silent.port;
    let configure = move |c: &mut mamori_server::config::Config| {
        c.smtp_host = Some("127.0.0.1".into());
        c.smtp_port = port;
        c.smtp_tls = SmtpTls::None;
        c.smtp_timeout_seconds = 2;
        c.reminder_check_seconds = 1;
    };
    let server = TestServer::start_configured(configure).await;
    let url = server.url.clone();
    let admin = registered_admin(&server, "みどり薬局", "田中 一郎").await;

    // Step 1: 1-① いいえ, to have been fixed three days ago.
    answer_no(&admin, &url, &days_ago(3)).await;

    // Step 2: the 管理者 gives an address for reminder mails on 利用者の管理.
    admin.goto(&format!("{url}/people")).await;
    admin
        .fill("input[name=reminder_email]", "kanri@clinic.example")
        .await;
    admin.click(".save-email").await;
    admin
        .wait_until(
            "the address is kept",
            "document.querySelector('.notice')?.textContent.includes('kanri@clinic.example')",
        )
        .await;
    // The access log says an address was given, not which.
    let facility = my_facility(&admin).await;
    let log = run(
        &admin,
        &format!("return api('GET', '/api/facilities/{facility}/log?kind=mail_address_set');"),
    )
    .await;
    let entries = log["body"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(entries.len(), 1, "{log}");
    assert!(!entries[0].to_string().contains("kanri@"), "{log}");

    // Step 3: the mail server hangs; everything else goes on.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let started = std::time::Instant::now();
    let health = get_json(server.port, "/healthz").await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1) && health.is_object(),
        "the server answers while the mail server hangs: {health}"
    );
    answer_no(&admin, &url, &days_ago(3)).await;

    // Step 4: a working mail server takes its place: the weekly summary arrives, once.
    drop(silent);
    let smtp = SmtpServer::start(port).await;
    let mails = smtp.wait_for(1, 30).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let weekly = &mails[0];
    assert_eq!(weekly.to, vec!["kanri@clinic.example".to_string()]);
    assert_eq!(weekly.subject, "【守り】みどり薬局 期限のお知らせ（週次）");
    assert!(
        weekly.body.contains("■ 期限切れ") && weekly.body.contains("1-①（いいえ）の目標日"),
        "{}",
        weekly.body
    );
    assert!(
        !weekly.body.contains("田中"),
        "no person is named: {}",
        weekly.body
    );
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(
        smtp.received().len(),
        1,
        "the overdue item was in the summary"
    );

    // Step 5: the target moves to five days ago: that is a new overdue date, mailed once.
    answer_no(&admin, &url, &days_ago(5)).await;
    let mails = smtp.wait_for(2, 30).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert_eq!(mails[1].subject, "【守り】みどり薬局 期限切れ 1件");
    assert!(
        mails[1].body.contains("1-①（いいえ）の目標日"),
        "{}",
        mails[1].body
    );

    // Step 6: a restart sends nothing again.
    let server = server.restart(configure).await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert_eq!(smtp.received().len(), 2, "{:?}", smtp.received());
    let health = get_json(server.port, "/healthz").await;
    assert!(health.is_object());
    admin.close().await;
}
