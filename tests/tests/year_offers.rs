//! Next year's checklist is offered when it is due, with the device's clock moved: nothing on 28 February
//! (the year's check exists); 「令和8年度を前年度から開始」 from 1 March, naming the edition it will use; still
//! on 1 July (令和8年度 has begun without one); gone once started; and the March after, offered again from
//! the newest checklist only.

use mamori_tests::{Browser, TestServer};

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
    let clock = b.set_clock(2026, 2, 28).await;
    b.set_up_facility(url, "さくら内科", "clinic", "佐藤").await;
    assert_eq!(offers(&b, url).await, vec![]);
    b.unset_clock(clock).await;

    // 1 March: next year is offered, naming the edition it will use.
    let clock = b.set_clock(2026, 3, 1).await;
    let got = offers(&b, url).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let (year, words, edition, title) = &got[0];
    assert_eq!(year, "2026");
    assert_eq!(words, "令和8年度を前年度から開始");
    assert!(edition.contains("令和7年度版"), "{edition}");
    assert!(title.contains("令和7年度"), "{title}");
    b.unset_clock(clock).await;

    // 1 July (令和8年度, none started): still offered; started, it is gone.
    let clock = b.set_clock(2026, 7, 1).await;
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
    b.unset_clock(clock).await;

    // 1 March 2027: 令和9年度, from 令和8年度's checklist only.
    let clock = b.set_clock(2027, 3, 1).await;
    let got = offers(&b, url).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1, "令和9年度を前年度から開始");
    assert!(got[0].3.contains("令和8年度"), "{:?}", got[0]);
    b.unset_clock(clock).await;
    b.close().await;
}
