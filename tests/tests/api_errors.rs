//! What the API answers when something goes wrong on the server: a database error is a 500 with a plain
//! message, nothing of the database's own text (table names, SQL, file paths) in it; a conflict the person
//! can act on is a 409 with a Japanese message.

use mamori_shared::model::{DocumentId, FacilityId};
use mamori_tests::TestServer;
use mamori_tests::passkeys::{browser_at, register_facility, status};
use sqlx::SqlitePool;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_error_is_a_500_that_leaks_nothing() {
    let server = TestServer::start_signed_in().await;
    server.health().await;
    let db = SqlitePool::connect(&format!(
        "sqlite://{}",
        server.data_dir().join("mamori.db").display()
    ))
    .await
    .unwrap();
    // The directory's write fails inside the database, with text only the database knows.
    sqlx::query(
        "CREATE TRIGGER facilities_fail BEFORE INSERT ON facilities \
         BEGIN SELECT RAISE(ABORT, 'sqlite internals: table facilities'); END",
    )
    .execute(&db)
    .await
    .unwrap();
    let b = browser_at(&server).await;
    let code = server.registration_code().await;
    let facility = FacilityId::generate().to_string();
    let r = register_facility(
        &b,
        &code,
        &facility,
        "さくら薬局",
        &DocumentId::generate().to_string(),
        "佐藤",
    )
    .await;
    assert_eq!(status(&r), 500, "{r}");
    let said = r["body"]["error"].as_str().unwrap_or_default();
    assert!(said.contains("サーバーで問題が起きました"), "{r}");
    for leaked in ["sqlite", "facilities", "database", "SQL"] {
        assert!(!r.to_string().contains(leaked), "{leaked} in {r}");
    }

    // Once the database is well again, the same code still works (it was not spent) and a second
    // registration of the facility is a conflict the person is told about in Japanese.
    sqlx::query("DROP TRIGGER facilities_fail")
        .execute(&db)
        .await
        .unwrap();
    let index = DocumentId::generate().to_string();
    let r = register_facility(&b, &code, &facility, "さくら薬局", &index, "佐藤").await;
    assert_eq!(status(&r), 200, "{r}");
    let again = browser_at(&server).await;
    let r = register_facility(
        &again,
        &server.registration_code().await,
        &facility,
        "さくら薬局",
        &index,
        "鈴木",
    )
    .await;
    assert_eq!(status(&r), 409, "{r}");
    assert!(
        r["body"]["error"].as_str().unwrap().contains("登録済み"),
        "{r}"
    );
}
