//! One vendor's user serving two pharmacies from one account: each facility asks for its 事業者確認用 and
//! invites the same person; the second invitation is accepted with the account already signed in. The
//! vendor sees both facilities side by side, answers one, and starts the other from those answers (undated
//! drafts it must check and date); the facility gets the answers through sync.

use mamori_tests::passkeys::{my_facility, registered_admin};
use mamori_tests::{Browser, TestServer};

const VENDOR: &str = "ABCシステム株式会社";

/// As the administrator in `b`: adds the vendor, starts its 事業者確認用 (synced), and invites a user for it
/// on 利用者の管理; returns the form's URL and the invitation link.
async fn ask_the_vendor(b: &Browser, url: &str) -> (String, String) {
    b.add_vendor(url, VENDOR, "", "").await;
    b.goto(url).await;
    b.click(".new-checklist summary").await;
    let value = b
        .eval_string("return [...document.querySelectorAll('select[name=form] option')].find(o => o.value !== 'own').value")
        .await;
    b.fill("select[name=form]", &value).await;
    b.click(".new-checklist button.primary").await;
    b.wait(r#"li[data-item="1-①"]"#).await;
    // Made while connected: registered and synced at once.
    b.wait(r#".sync-state[data-sync="synced"]"#).await;
    let form = b.checklist_url().await;

    b.goto(&format!("{url}/people")).await;
    b.wait(".invite-name").await;
    b.fill(".invite-name", "山本 次郎").await;
    b.fill(".invite-role", "vendor").await;
    b.wait(".invite-vendor option:nth-child(2)").await;
    let vendor = b
        .eval_string("return document.querySelector('.invite-vendor option:nth-child(2)').value")
        .await;
    b.fill(".invite-vendor", &vendor).await;
    b.click(".send-invitation").await;
    b.wait(".invite-link").await;
    let link = b
        .eval_string("return document.querySelector('.invite-link').value")
        .await;
    (form, link)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_vendor_account_serves_two_facilities_and_reuses_its_answers() {
    let server = TestServer::start_signed_in().await;
    let minato = registered_admin(&server, "みなと薬局", "佐藤 花子").await;
    let sakura = registered_admin(&server, "さくら薬局", "高橋 健").await;
    let (minato_form, minato_link) = ask_the_vendor(&minato, &server.url).await;
    let (sakura_form, sakura_link) = ask_the_vendor(&sakura, &server.url).await;
    let sakura_id = my_facility(&sakura).await;

    // The vendor joins みなと薬局 with a new passkey and lands on its forms.
    let vendor = Browser::start().await;
    vendor.add_virtual_authenticator().await;
    vendor.goto(&minato_link).await;
    vendor.wait(".accept-invitation").await;
    vendor.fill(".person-name", "山本 次郎").await;
    vendor.click(".accept-invitation").await;
    vendor
        .wait(".vendor-facility .checklist-row:not(.receiving) .checklist-link")
        .await;
    vendor
        .click(".vendor-facility .checklist-row .checklist-link")
        .await;
    vendor.wait(r#"li[data-item="1-①"]"#).await;
    assert_eq!(
        vendor
            .eval("return document.querySelectorAll('.proxy').length")
            .await,
        0,
        "the vendor answers for itself, not on its behalf"
    );
    vendor
        .click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    vendor
        .wait(r#"li[data-item="1-①"][data-answer="yes"]"#)
        .await;
    vendor.wait(r#".sync-state[data-sync="synced"]"#).await;

    // さくら薬局's invitation, opened where the vendor is signed in: the same account joins.
    vendor.goto(&sakura_link).await;
    vendor.wait(".accept-as-me").await;
    vendor.click(".accept-as-me").await;
    vendor
        .wait_until(
            "both facilities side by side, each with its form",
            "document.querySelectorAll('.vendor-facility .checklist-row:not(.receiving)').length === 2",
        )
        .await;
    let names = vendor
        .eval_string("return [...document.querySelectorAll('.vendor-facility .facility-name')].map(e => e.textContent).sort().join('|')")
        .await;
    assert_eq!(names, "さくら薬局|みなと薬局");
    let me = mamori_tests::passkeys::run(&vendor, "return api('GET', '/api/me');").await;
    assert_eq!(
        me["body"]["memberships"].as_array().unwrap().len(),
        2,
        "one account, two memberships: {me}"
    );

    // さくら薬局's form, started from the みなと薬局 answers: undated drafts to check.
    vendor
        .click(&format!(
            r#".vendor-facility[data-facility="{sakura_id}"] .checklist-link"#
        ))
        .await;
    vendor.wait(".copy-from summary").await;
    vendor.click(".copy-from summary").await;
    vendor.click(".copy-answers").await;
    vendor
        .wait(r#"li[data-item="1-①"][data-answer="yes"]"#)
        .await;
    let checked = vendor
        .eval_string(
            r#"return document.querySelector('li[data-item="1-①"] input[name=checked_on]').value"#,
        )
        .await;
    assert_eq!(
        checked, "",
        "a copied answer has no 確認日 until the vendor checks it here"
    );
    assert_eq!(vendor.checklist_url().await, sakura_form);
    vendor.wait(r#".sync-state[data-sync="synced"]"#).await;

    // The facility receives it; the other facility's form is untouched by the copy.
    sakura.goto(&sakura_form).await;
    sakura
        .wait(r#"li[data-item="1-①"][data-answer="yes"]"#)
        .await;
    minato.goto(&minato_form).await;
    minato
        .wait(r#"li[data-item="1-①"][data-answer="yes"]"#)
        .await;

    for b in [minato, sakura, vendor] {
        b.close().await;
    }
}
