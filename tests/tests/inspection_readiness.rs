//! 準備状況 for the 立入検査, as a pharmacy's 管理者 walks it: every line the manual names starts red and turns
//! green only when its data is there (the checklist answered and dated, the contact chart, a device, the BCP
//! and the rules in the evidence register); most of it done offline, where the lines still turn green and the
//! access log's line says as of when the server last told it. With no vendor contract, the vendor forms are
//! not asked for and that line is green. Mamori's advice (reviews within 12 months, three backup
//! generations with one offline) is amber until done, never red.

use mamori_tests::passkeys::registered_admin;
use mamori_tests::{Browser, TestServer};

/// Each line's level by topic, as the screen shows them.
async fn levels(b: &Browser, url: &str) -> Vec<(String, String)> {
    b.goto(&format!("{url}/readiness")).await;
    b.wait(".readiness-line").await;
    let v = b
        .eval(
            "return [...document.querySelectorAll('.readiness-line')].map(l => [l.dataset.topic, l.dataset.level])",
        )
        .await;
    serde_json::from_value(v).unwrap()
}

async fn level(b: &Browser, url: &str, topic: &str) -> String {
    levels(b, url)
        .await
        .into_iter()
        .find(|(t, _)| t == topic)
        .unwrap_or_else(|| panic!("no line {topic}"))
        .1
}

async fn detail(b: &Browser, topic: &str) -> String {
    b.eval_string(&format!(
        "return document.querySelector('.readiness-line[data-topic=\"{topic}\"] .readiness-detail').textContent"
    ))
    .await
}

async fn overall(b: &Browser) -> String {
    b.eval_string("return document.querySelector('.readiness-overall').dataset.level")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_facility_walks_from_red_to_green_partly_offline() {
    let server = TestServer::start().await;
    let url = server.url.as_str();
    let b = registered_admin(&server, "みどり薬局", "田中 一郎").await;

    // Step 1: a new facility. Everything the inspector looks at in person is red; the vendor forms are
    // asked for (set up says there is a vendor contract) and none is registered.
    let start = levels(&b, url).await;
    // (いいえ without a target: none yet, so that line has nothing to ask.)
    for topic in [
        "answered",
        "vendor-forms",
        "device-ledger",
        "contact-chart",
        "bcp",
        "rules",
    ] {
        let found = start
            .iter()
            .find(|(t, _)| t == topic)
            .map(|(_, l)| l.as_str());
        assert_eq!(found, Some("red"), "{topic} at the start: {start:?}");
    }
    for topic in ["documents-reviewed", "backups"] {
        let found = start
            .iter()
            .find(|(t, _)| t == topic)
            .map(|(_, l)| l.as_str());
        assert_eq!(found, Some("amber"), "advice is never red: {start:?}");
    }
    assert_eq!(overall(&b).await, "red");
    // The facility joined the server this month: no review is due yet, and the line says as of when.
    b.wait_until(
        "the server's review marks were fetched",
        "document.querySelector('.readiness-line[data-topic=\"log-review\"] .readiness-detail')?.textContent.includes('時点')",
    )
    .await;
    assert_eq!(level(&b, url, "log-review").await, "green");
    let summary = b
        .eval_string("return document.querySelector('.readiness-overall').textContent")
        .await;
    assert!(summary.contains("あと"), "{summary}");

    // Step 2: no vendor contract (施設の情報): the vendor forms are not required.
    b.goto(&format!("{url}/setup")).await;
    b.click("input[name=vendor]:not(:checked)").await;
    b.click("button[type=submit]").await;
    b.wait(".checklist-row").await;
    assert_eq!(level(&b, url, "vendor-forms").await, "green");
    assert!(detail(&b, "vendor-forms").await.contains("不要"));

    // Step 3: the checklist, online: every item はい, today as its 確認日. The two answer lines turn green.
    b.click(".readiness-line[data-topic=answered] a").await;
    b.wait("li.item").await;
    let base = b.checklist_url().await;
    let sections = b
        .eval("return document.querySelectorAll('.section-tabs a').length")
        .await
        .as_u64()
        .unwrap();
    for n in 1..=sections {
        b.goto(&format!("{base}/section/{n}")).await;
        b.wait("li.item").await;
        b.eval(
            "document.querySelectorAll('li.item button[data-choice=yes]').forEach(x => x.click())",
        )
        .await;
        b.wait_until(
            "every item of the section says はい",
            "[...document.querySelectorAll('li.item')].every(li => li.querySelector('button[data-choice=yes]').getAttribute('aria-pressed') === 'true')",
        )
        .await;
    }
    b.wait_saved().await;
    assert_eq!(level(&b, url, "answered").await, "green");
    assert_eq!(level(&b, url, "targets").await, "green");

    // Step 4: the network goes. The rest is done offline.
    b.set_offline(true).await;
    // The contact chart: each of the template's contacts gets a name and a number.
    b.goto(&format!("{url}/contacts")).await;
    b.wait(".chart-diagram svg").await;
    let contacts: Vec<String> = serde_json::from_value(
        b.eval(
            "return [...document.querySelectorAll('li.contact-row')].map(r => r.dataset.contact)",
        )
        .await,
    )
    .unwrap();
    for (n, id) in contacts.iter().enumerate() {
        b.click(&format!(
            r#"li.contact-row[data-contact="{id}"] .edit-contact"#
        ))
        .await;
        b.wait(".contact-sheet").await;
        b.fill(".contact-sheet input[name=name]", &format!("担当 {n}"))
            .await;
        b.fill(
            ".contact-sheet input[name=phone_0]",
            &format!("03-1234-56{n:02}"),
        )
        .await;
        b.click(".save-contact").await;
        b.wait_until(
            "the sheet closed",
            "!document.querySelector('.contact-sheet')",
        )
        .await;
    }
    b.click(".mark-reviewed").await;
    b.wait_saved().await;
    // One device in the ledger, both ledgers marked reviewed.
    b.goto(&format!("{url}/ledgers/devices")).await;
    b.click(".add-row").await;
    b.fill(".row-sheet input[name=number]", "PC-001").await;
    b.fill(".row-sheet input[name=os]", "Windows 11").await;
    b.click(".save-row").await;
    b.wait(".ledger-row").await;
    b.click(".ledger-review .mark-reviewed").await;
    b.wait(".ledger-reviewed").await;
    b.goto(&format!("{url}/ledgers/accounts")).await;
    b.click(".ledger-review .mark-reviewed").await;
    b.wait(".ledger-reviewed").await;
    b.wait_saved().await;

    let offline = levels(&b, url).await;
    for topic in ["contact-chart", "device-ledger"] {
        let found = offline
            .iter()
            .find(|(t, _)| t == topic)
            .map(|(_, l)| l.as_str());
        assert_eq!(found, Some("green"), "{topic} offline: {offline:?}");
    }
    assert_eq!(level(&b, url, "bcp").await, "red");
    assert!(
        detail(&b, "log-review").await.contains("時点"),
        "offline, the log line says as of when"
    );

    // Step 5: the evidence register, still offline: the rules as a document, the BCP filled in by stage.
    b.goto(&format!("{url}/evidence")).await;
    b.click(".add-record[data-kind=rules]").await;
    b.wait(".record-sheet").await;
    b.fill(
        ".record-sheet input[name=record_title]",
        "医療情報システム運用管理規程",
    )
    .await;
    b.fill(".record-sheet input[name=record_version]", "第1版")
        .await;
    let today = b
        .eval_string("const d = new Date(); return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0')")
        .await;
    b.fill(".record-sheet input[name=record_effective]", &today)
        .await;
    b.click(".save-record").await;
    b.wait(".evidence-row[data-kind=rules]").await;
    let stages = ["heiji", "kenchi", "shodo", "fukkyu", "jigo"];
    for (n, stage) in stages.iter().enumerate() {
        let card = format!(".bcp-stage[data-stage={stage}]");
        b.fill(
            &format!("{card} textarea[name=stage_plan]"),
            &format!("対応 {n}"),
        )
        .await;
        b.click(&format!("{card} .save-stage")).await;
        b.wait(&format!("{card} .saved-note")).await;
        if n == 3 {
            // Four of five stages: not yet a BCP.
            assert_eq!(level(&b, url, "bcp").await, "red");
            b.goto(&format!("{url}/evidence")).await;
        }
    }
    // Three generations of backups, the oldest kept offline.
    for (generation, offline_copy) in [(1, false), (2, false), (3, true)] {
        b.fill(
            ".backup-form input[name=backup_generation]",
            &generation.to_string(),
        )
        .await;
        b.fill(".backup-form input[name=backup_medium]", "外付けHDD")
            .await;
        if offline_copy {
            b.click(".backup-form input[name=backup_offline]").await;
        }
        b.click(".add-backup").await;
        b.wait_until(
            "the backup is listed",
            &format!("document.querySelectorAll('.backup-row').length === {generation}"),
        )
        .await;
    }
    b.wait_saved().await;

    let after = levels(&b, url).await;
    assert!(
        after.iter().all(|(_, l)| l == "green"),
        "every line green, offline: {after:?}"
    );
    assert_eq!(overall(&b).await, "green");
    assert!(detail(&b, "bcp").await.contains("BCP"));

    // Step 6: online again: the 管理者 records this month's log review, and the line names it.
    b.set_offline(false).await;
    b.goto(&format!("{url}/log")).await;
    b.click(".mark-reviewed").await;
    b.wait_until(
        "the review is recorded",
        "document.querySelector('.last-review').textContent.match(/\\d/)",
    )
    .await;
    b.goto(&format!("{url}/readiness")).await;
    b.wait_until(
        "the line names the review",
        "document.querySelector('.readiness-line[data-topic=\"log-review\"] .readiness-detail')?.textContent.includes('最終確認')",
    )
    .await;
    // Home says ready, in one line under the finished first steps.
    b.goto(url).await;
    b.wait(r#".readiness-summary[data-level="green"]"#).await;

    // Step 7: last fiscal year, chosen on the screen: no form was filled in then, so it is not ready, and
    // the binder offered is that year's.
    b.goto(&format!("{url}/readiness")).await;
    b.wait(".readiness-line").await;
    let this_year: i32 = b
        .eval_string("return document.querySelector('.readiness-year select').value")
        .await
        .parse()
        .unwrap();
    let last_year = this_year - 1;
    b.eval(&format!(
        "const s = document.querySelector('.readiness-year select'); s.value = '{last_year}'; \
         s.dispatchEvent(new Event('change', {{ bubbles: true }}));"
    ))
    .await;
    b.wait_until(
        "last year is shown",
        &format!("location.search === '?year={last_year}' && document.querySelector('.readiness-line[data-topic=\"answered\"]')?.dataset.level === 'red'"),
    )
    .await;
    let lead = b
        .eval_string("return document.querySelector('.readiness .lead').textContent")
        .await;
    assert!(
        lead.starts_with(&format!("令和{}年度", last_year - 2018)),
        "the screen names the year: {lead}"
    );
    let binder = b
        .eval_string("return document.querySelector('.open-binder').getAttribute('href')")
        .await;
    assert_eq!(binder, format!("/binder?year={last_year}"));
    b.close().await;
}
