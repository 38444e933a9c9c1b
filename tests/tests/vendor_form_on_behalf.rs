//! A vendor's 事業者確認用 entered by the clinic from the vendor's paper form: vendor wording, sections 1–2
//! only, 対象外 with a reason, marked as entered on the vendor's behalf, and printed with the 事業者名. The
//! language choice is remembered across reloads.

use mamori_tests::{Browser, TestServer};

const VENDOR: &str = "東京メディカルシステム株式会社";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_form_entered_for_the_vendor_and_printed() {
    let server = TestServer::start().await;
    let b = Browser::start().await;

    // Step 1: a hospital with a vendor.
    b.set_up_facility(&server.url, "中央病院", "hospital", "鈴木")
        .await;
    b.wait(".checklist-row").await;
    b.add_vendor(&server.url, VENDOR, "電子カルテ", "").await;

    // Step 2: start the vendor's 事業者確認用 from the home screen.
    b.goto(&server.url).await;
    b.click(".new-checklist summary").await;
    let value = b.eval_string("return [...document.querySelectorAll('select[name=form] option')].find(o => o.value !== 'own').value").await;
    b.fill("select[name=form]", &value).await;
    b.click(".new-checklist button.primary").await;
    b.wait(r#"li[data-item="1-①"]"#).await;

    // Step 3: the vendor form: two sections, the vendor's side of 1-①, unconfirmed wording marked.
    let tabs = b
        .eval("return document.querySelectorAll('.section-tabs a').length")
        .await;
    assert_eq!(tabs, 2, "事業者確認用 has sections 1 and 2 only");
    let text = b
        .wait(r#"li[data-item="1-①"] .item-text"#)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("提供に係る管理責任者"),
        "vendor wording: {text}"
    );
    assert!(
        text.contains("未確認"),
        "unconfirmed wording is marked: {text}"
    );
    assert_eq!(
        b.eval("return document.querySelector('.proxy input').checked")
            .await,
        true
    );
    b.click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    let entry = b
        .wait(r#"li[data-item="1-①"] .entry"#)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        entry.contains("鈴木") && entry.contains("代理入力"),
        "marked as entered for the vendor, by whom: {entry}"
    );

    // Step 4: 2-⑬ 対象外 asks for a reason, then is clean.
    b.click(r#".section-tabs a[href$="/section/2"]"#).await;
    b.click(r#"li[data-item="2-⑬"] button[data-choice="not_applicable"]"#)
        .await;
    b.wait(r#"li[data-item="2-⑬"] .flag"#).await;
    b.fill(
        r#"li[data-item="2-⑬"] input[name=reason]"#,
        "ネットワーク機器は保守契約の対象外",
    )
    .await;
    b.wait_until(
        "the reason flag clears",
        r#"!document.querySelector('li[data-item="2-⑬"] .flag')"#,
    )
    .await;
    b.wait_saved().await;

    // Step 5: the print view names the vendor and circles 対象外.
    let url = b.client.current_url().await.unwrap();
    b.goto(&format!(
        "{}/print",
        url.as_str().rsplit_once("/section").unwrap().0
    ))
    .await;
    let vendor = b
        .wait(".print-who .vendor-name")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(vendor, VENDOR);
    let circled = b
        .eval_string(r#"return document.querySelector('tr[data-item="2-⑬"] .circled').innerText"#)
        .await;
    assert_eq!(circled, "対象外");
    let sections = b
        .eval("return document.querySelectorAll('.print-table').length")
        .await;
    assert_eq!(sections, 2);

    // Step 6: switch to English; the choice survives a reload.
    b.click(".lang-switch").await;
    b.wait_until(
        "the page is in English",
        "document.documentElement.lang === 'en'",
    )
    .await;
    b.client.refresh().await.unwrap();
    b.wait(".print-sheet").await;
    b.wait_until(
        "English is remembered",
        "document.documentElement.lang === 'en'",
    )
    .await;
    let back = b.wait(".print-toolbar a").await.text().await.unwrap();
    assert!(
        back.contains("Back to the checklist"),
        "UI in English: {back}"
    );
    b.close().await;
}
