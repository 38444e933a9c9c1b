//! Actor ids a person cannot claim: the fixed ones that commit schema migrations (the same on every device;
//! on sync the gate treats them as no one's and never claims them). Held actors: `directory::tests`.

use mamori_tests::TestServer;
use mamori_tests::passkeys::{facility_with_checklist, run, status};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_actor_cannot_be_claimed() {
    let server = TestServer::start_signed_in().await;
    let (admin, _facility, _) = facility_with_checklist(&server).await;
    let me = run(&admin, "return api('GET', '/api/me');").await;
    let person = me["body"]["person_id"].as_str().unwrap().to_string();
    // `mamori-m` and the step's version, as `schema::migrate` makes it.
    let migration = format!("{}{}", hex(b"mamori-m"), hex(&2u64.to_be_bytes()));
    let r = run(
        &admin,
        &format!(
            "return api('POST', '/api/actors', {});",
            json!({ "actors": { migration.clone(): person.clone() } })
        ),
    )
    .await;
    assert_eq!(status(&r), 400, "{r}");
    // An ordinary actor of theirs is registered as theirs.
    let own = "0f".repeat(16);
    let r = run(
        &admin,
        &format!(
            "return api('POST', '/api/actors', {});",
            json!({ "actors": { own: person } })
        ),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(r["body"]["conflicts"], json!([]), "{r}");
    admin.close().await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
