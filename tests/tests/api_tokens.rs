//! API tokens have a life cycle: issued only with an expiry of at most a year and never as 管理者, listed on
//! 利用者の管理 without their secrets, refused once expired (an open socket closes then), and revoked with
//! their issuer when the issuer is removed from the facility (the token's socket closes at once).

use std::time::Duration;

use mamori_shared::model::DocumentId;
use mamori_tests::TestServer;
use mamori_tests::attacker::{Answer, Attacker, sync_message};
use mamori_tests::passkeys::{issue_token, joined, my_facility, registered_admin, run, status};
use serde_json::json;
use sqlx::SqlitePool;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expire_are_listed_and_go_with_their_issuer() {
    let server = TestServer::start_signed_in().await;
    let admin = registered_admin(&server, "みなと薬局", "佐藤 花子").await;
    let facility = my_facility(&admin).await;
    let doc = DocumentId::generate();
    let r = run(
        &admin,
        &format!(
            "return api('POST', '/api/facilities/{facility}/documents', {});",
            json!({ "doc_id": doc.to_string(), "form": "pharmacy" })
        ),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");

    // No expiry, more than a year, or the 管理者 role: refused.
    for body in [
        json!({ "name": "x", "role": "staff" }),
        json!({ "name": "x", "role": "staff", "expires_in_days": 366 }),
        json!({ "name": "x", "role": "admin", "expires_in_days": 30 }),
    ] {
        let r = run(
            &admin,
            &format!("return api('POST', '/api/facilities/{facility}/tokens', {body});"),
        )
        .await;
        assert_eq!(status(&r), 400, "{body}: {r}");
    }

    // A second 管理者 sets up an integration's token; it is listed with who issued it, never its secret.
    let (other, _other_id) = joined(&server, &admin, "admin", "田中 一郎").await;
    let (other_token_id, other_token) =
        issue_token(&other, &facility, "受付システム連携", "staff", None).await;
    let listed = run(
        &admin,
        &format!("return api('GET', '/api/facilities/{facility}/tokens');"),
    )
    .await;
    assert_eq!(status(&listed), 200, "{listed}");
    let row = listed["body"]["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == other_token_id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(row["issued_by"], "田中 一郎");
    assert_eq!(row["role"], "staff");
    assert!(row["expires_at"].as_i64().unwrap() > row["created_at"].as_i64().unwrap());
    assert!(
        !listed.to_string().contains(&other_token),
        "a secret in the listing"
    );

    // Its program is connected when its issuer is removed: the socket closes, and the token opens nothing.
    let mut program = Attacker::connect(&server.url, Some(&other_token), None).await;
    let first = program
        .send(doc, sync_message(Vec::new(), Vec::new()))
        .await;
    assert!(
        !matches!(first, Answer::Closed | Answer::Error(_)),
        "{first:?}"
    );
    let other_id = run(&other, "return api('GET', '/api/me');").await["body"]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    let removed = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/people/{other_id}/remove');"),
    )
    .await;
    assert_eq!(status(&removed), 200, "{removed}");
    assert_eq!(removed["body"]["tokens_revoked"], json!([other_token_id]));
    let after = program.answer().await;
    assert!(
        matches!(after, Answer::Closed | Answer::Error(_)),
        "{after:?}"
    );
    let again = Attacker::try_connect(&server.url, Some(&other_token), None).await;
    assert!(again.err().is_some_and(|s| s.starts_with("401")));
    let listed = run(
        &admin,
        &format!("return api('GET', '/api/facilities/{facility}/tokens');"),
    )
    .await;
    assert!(!listed.to_string().contains(&other_token_id), "{listed}");

    // Who else may see or make tokens: a 担当者 and a 閲覧者 are refused, the removed 管理者 and nobody at
    // all are not even signed in.
    let tokens = format!("/api/facilities/{facility}/tokens");
    let calls = [
        format!("api('GET', '{tokens}')"),
        format!(
            "api('POST', '{tokens}', {})",
            json!({ "name": "x", "role": "staff", "expires_in_days": 30 })
        ),
        format!("api('DELETE', '{tokens}/{other_token_id}')"),
    ];
    for (role, expected) in [("staff", 403), ("viewer", 403)] {
        let (member, _) = joined(&server, &admin, role, &format!("{role} さん")).await;
        for call in &calls {
            let r = run(&member, &format!("return {call};")).await;
            assert_eq!(status(&r), expected, "{role}: {call}: {r}");
        }
        member.close().await;
    }
    for call in &calls {
        let r = run(&other, &format!("return {call};")).await;
        assert_eq!(status(&r), 401, "removed: {call}: {r}");
    }
    let line = mamori_tests::server::post_with_headers(server.port, &tokens, &[]).await;
    assert!(line.contains(" 401 "), "nobody: {line}");

    // A token past its expiry opens nothing; one expiring while connected is closed then.
    let db = SqlitePool::connect(&format!(
        "sqlite://{}",
        server.data_dir().join("mamori.db").display()
    ))
    .await
    .unwrap();
    let expire_in = |id: String, ms: i64| {
        let db = db.clone();
        async move {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as i64;
            sqlx::query("UPDATE api_tokens SET expires_at = ? WHERE id = ?")
                .bind(now + ms)
                .bind(id)
                .execute(&db)
                .await
                .unwrap();
        }
    };
    let (expired_id, expired) = issue_token(&admin, &facility, "古い連携", "viewer", None).await;
    expire_in(expired_id, -1).await;
    let refused = Attacker::try_connect(&server.url, Some(&expired), None).await;
    assert!(refused.err().is_some_and(|s| s.starts_with("401")));

    let (soon_id, soon) = issue_token(&admin, &facility, "まもなく期限", "viewer", None).await;
    expire_in(soon_id, 2_000).await;
    let mut program = Attacker::connect(&server.url, Some(&soon), None).await;
    let first = program
        .send(doc, sync_message(Vec::new(), Vec::new()))
        .await;
    assert!(
        !matches!(first, Answer::Closed | Answer::Error(_)),
        "{first:?}"
    );
    let closed = tokio::time::timeout(Duration::from_secs(20), program.answer()).await;
    assert!(
        matches!(closed, Ok(Answer::Closed | Answer::Error(_))),
        "the socket outlived its token: {closed:?}"
    );

    // On 利用者の管理: a token issued there shows its secret once, is listed, and is revoked with a click.
    admin.goto(&format!("{}/people", server.url)).await;
    admin.wait(".token-form .token-name").await;
    admin.fill(".token-form .token-name", "予約システム").await;
    admin.click(".issue-token").await;
    admin.wait(".token-value").await;
    let shown = admin
        .eval_string("return document.querySelector('.token-value').textContent")
        .await;
    let mut program = Attacker::connect(&server.url, Some(&shown), None).await;
    let first = program
        .send(doc, sync_message(Vec::new(), Vec::new()))
        .await;
    assert!(
        !matches!(first, Answer::Closed | Answer::Error(_)),
        "{first:?}"
    );
    let listed = run(
        &admin,
        &format!("return api('GET', '/api/facilities/{facility}/tokens');"),
    )
    .await;
    let id = listed["body"]["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "予約システム")
        .and_then(|t| t["id"].as_str())
        .unwrap_or_else(|| panic!("{listed}"))
        .to_string();
    let revoke = format!(r#".token-row[data-token="{id}"] .revoke-token"#);
    admin.wait(&revoke).await;
    admin.click(&revoke).await;
    let after = program.answer().await;
    assert!(
        matches!(after, Answer::Closed | Answer::Error(_)),
        "{after:?}"
    );
    let again = Attacker::try_connect(&server.url, Some(&shown), None).await;
    assert!(again.err().is_some_and(|s| s.starts_with("401")));

    admin.close().await;
    other.close().await;
}
