//! In English, every label is English: a tour of the screens with a facility whose own data is all in
//! ASCII finds no Japanese text outside an element marked `lang="ja"` (the official form's wording, the
//! language switch's 日本語); Japanese an English sentence quotes 「…」 or explains in parentheses is meant. The template's own texts (the contact chart's
//! groups and roles) are labels until someone changes them, so they are translated too.

use mamori_tests::{Browser, TestServer};

/// Japanese text nodes on the page not inside `[lang=ja]`, with the nearest element's tag and class.
const UNTRANSLATED: &str = r#"
const jp = /[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9d]/;
const out = [];
const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walk.nextNode(); n; n = walk.nextNode()) {
  const el = n.parentElement;
  // Japanese that English text quotes or explains in parentheses is meant: 「医療分野の…」, (企画管理者).
  const own = n.textContent.replace(/「[^」]*」/g, '').replace(/\([^)]*\)/g, '').replace(/（[^）]*）/g, '');
  if (!el || !jp.test(own)) continue;
  if (el.closest('script,style,noscript,[hidden]')) continue;
  const marked = el.closest('[lang]');
  if (marked && marked.getAttribute('lang').startsWith('ja')) continue;
  const r = el.getBoundingClientRect();
  const shown = r.width > 0 || r.height > 0 || el.closest('option,select,details');
  if (!shown) continue;
  const cls = el.getAttribute('class');
  out.push(el.tagName.toLowerCase() + (cls ? '.' + cls.split(' ').join('.') : '') + ': ' + n.textContent.trim().slice(0, 80));
}
for (const el of document.querySelectorAll('[placeholder],[aria-label],[title]')) {
  for (const a of ['placeholder', 'aria-label', 'title']) {
    const v = el.getAttribute(a);
    const marked = el.closest('[lang]');
    if (v && jp.test(v) && !(marked && marked.getAttribute('lang').startsWith('ja'))) out.push(el.tagName.toLowerCase() + '[' + a + ']: ' + v);
  }
}
return out;
"#;

async fn untranslated(b: &Browser, route: &str, found: &mut Vec<String>) {
    let list = b.eval(UNTRANSLATED).await;
    for line in list.as_array().unwrap() {
        found.push(format!("{route}  {}", line.as_str().unwrap()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_label_is_english() {
    let server = TestServer::start().await;
    let url = server.url.as_str();
    let b = Browser::start().await;
    b.goto(url).await;
    b.wait("form select[name=kind]").await;
    b.click(".lang-switch").await;
    b.wait_until(
        "the page is in English",
        "document.documentElement.lang === 'en'",
    )
    .await;
    let mut found = Vec::new();
    untranslated(&b, "/setup (new)", &mut found).await;
    b.fill("select[name=kind]", "pharmacy").await;
    b.fill("input[name=name]", "Sakura Pharmacy").await;
    b.fill("input[name=user]", "Hanako Sato").await;
    b.click("button[type=submit]").await;
    b.wait(".checklist-row").await;
    b.add_vendor(url, "Recept Systems Inc", "billing", "03-1111-2222")
        .await;
    b.goto(&format!("{url}/ledgers/devices")).await;
    b.click(".add-row").await;
    b.fill(".row-sheet input[name=number]", "PC-001").await;
    b.fill(".row-sheet input[name=os]", "Windows 10").await;
    untranslated(&b, "/ledgers/devices (row sheet)", &mut found).await;
    b.click(".save-row").await;
    b.wait(".ledger-row").await;
    b.wait_saved().await;

    b.goto(url).await;
    b.wait(".checklist-row").await;
    untranslated(&b, "/", &mut found).await;
    let checklist = b.open_first_checklist().await;
    for n in 1..=4 {
        let route = format!("{checklist}/section/{n}");
        b.goto(&route).await;
        b.wait("li.item").await;
        // Every item's details open: the guide, the dates, the suggestions from the ledgers.
        b.eval("document.querySelectorAll('li.item details').forEach(d => d.open = true)")
            .await;
        untranslated(&b, &route.replace(url, ""), &mut found).await;
    }
    b.goto(&format!("{checklist}/print")).await;
    b.wait(".print-sheet").await;
    untranslated(&b, "print", &mut found).await;

    for (route, ready) in [
        ("/contacts", ".chart-diagram svg"),
        ("/emergency", ".call"),
        ("/incidents", ".start-incident"),
        ("/ledgers/devices", ".ledger-row"),
        ("/ledgers/accounts", ".add-row"),
        ("/vendors", ".vendor-list"),
        ("/evidence", ".bcp-stage"),
        ("/readiness", ".readiness-line"),
        ("/reminders", ".reminders .lead"),
        ("/binder", ".binder-cover"),
        ("/settings", "input[name=lang]"),
        ("/setup", "form select[name=kind]"),
    ] {
        b.goto(&format!("{url}{route}")).await;
        b.wait(ready).await;
        untranslated(&b, route, &mut found).await;
    }
    b.goto(&format!("{url}/contacts")).await;
    b.click(r#"li.contact-row[data-contact="t-officer"] .edit-contact"#)
        .await;
    b.wait(".contact-sheet").await;
    untranslated(&b, "/contacts (edit sheet)", &mut found).await;

    b.goto(&format!("{url}/incidents")).await;
    b.fill("input[name=incident_title]", "Records system down")
        .await;
    b.click(".start-incident button[type=submit]").await;
    b.wait(".add-entry").await;
    b.click(r#"button.step[data-step="0"]"#).await;
    b.wait(".timeline-entry").await;
    untranslated(&b, "/incidents/:id", &mut found).await;

    assert!(
        found.is_empty(),
        "{} Japanese texts in English mode:\n{}",
        found.len(),
        found.join("\n")
    );
    b.close().await;
}
