//! Next year's checklist is offered when it is due, with the device's clock moved: nothing on 28 February
//! (the year's check exists); 「令和8年度を前年度から開始」 from 1 March, naming the edition it will use; still
//! on 1 July (令和8年度 has begun without one); gone once started; and the March after, offered again from
//! the newest checklist only.

use mamori_tests::{Browser, TestServer};
use serde_json::json;

/// Moves the page's clock to 10:00 local time on a date, from the next page load on (`Date` and
/// `Date.now()` shifted, running on from there). Returns the script's id, for [`unset_clock`].
async fn set_clock(b: &Browser, y: i32, m: u32, d: u32) -> String {
    let source = format!(
        "(() => {{ const D = Date; const offset = new D({y}, {}, {d}, 10).getTime() - D.now();\
         class Shifted extends D {{ constructor(...a) {{ if (a.length === 0) super(D.now() + offset); else super(...a); }}\
         static now() {{ return D.now() + offset; }} }}\
         globalThis.Date = Shifted; }})();",
        m - 1
    );
    let out = b
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": source }),
        )
        .await;
    out["identifier"].as_str().unwrap().to_string()
}

async fn unset_clock(b: &Browser, id: String) {
    b.cdp(
        "Page.removeScriptToEvaluateOnNewDocument",
        json!({ "identifier": id }),
    )
    .await;
}

/// The offers on home: (year offered, the button's words, the edition named, the row's title).
async fn offers(b: &Browser, url: &str) -> Vec<(String, String, String, String)> {
    b.goto(url).await;
    b.wait(".checklist-row .progress").await;
    let v = b
        .eval(
            "return [...document.querySelectorAll('.start-next')].map(s => [s.dataset.year, s.textContent, \
             s.closest('.checklist-row').querySelector('.next-edition').textContent, \
             s.closest('.checklist-row').querySelector('.checklist-title').textContent])",
        )
        .await;
    serde_json::from_value(v).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_year_is_offered_when_due() {
    let server = TestServer::start().await;
    let url = server.url.as_str();
    let b = Browser::start().await;

    // 28 February 2026 (令和7年度): set up; the year's checklist exists, and March has not come.
    let clock = set_clock(&b, 2026, 2, 28).await;
    b.set_up_facility(url, "さくら内科", "clinic", "佐藤").await;
    assert_eq!(offers(&b, url).await, vec![]);
    unset_clock(&b, clock).await;

    // 1 March: next year is offered, naming the edition it will use.
    let clock = set_clock(&b, 2026, 3, 1).await;
    let got = offers(&b, url).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let (year, words, edition, title) = &got[0];
    assert_eq!(year, "2026");
    assert_eq!(words, "令和8年度を前年度から開始");
    assert!(edition.contains("令和7年度版"), "{edition}");
    assert!(title.contains("令和7年度"), "{title}");
    unset_clock(&b, clock).await;

    // 1 July (令和8年度, none started): still offered; started, it is gone.
    let clock = set_clock(&b, 2026, 7, 1).await;
    let got = offers(&b, url).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1, "令和8年度を前年度から開始");
    b.click(".start-next").await;
    b.wait("li[data-item]").await;
    b.wait_saved().await;
    assert_eq!(offers(&b, url).await, vec![]);
    let rows = b
        .eval("return document.querySelectorAll('.checklist-row').length")
        .await;
    assert_eq!(rows, 2);
    unset_clock(&b, clock).await;

    // 1 March 2027: 令和9年度, from 令和8年度's checklist only.
    let clock = set_clock(&b, 2027, 3, 1).await;
    let got = offers(&b, url).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1, "令和9年度を前年度から開始");
    assert!(got[0].3.contains("令和8年度"), "{:?}", got[0]);
    unset_clock(&b, clock).await;
    b.close().await;
}
