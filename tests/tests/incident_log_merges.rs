//! Two devices log entries of one incident while apart (offline); once they meet again through the server
//! both show every entry, in time order, the same on both. The log exports as CSV in that order, header
//! first, every row naming the facility, times said to be JST, devices by the names people gave them; the
//! printed page names the facility and the time zone.

use mamori_tests::{Browser, TestServer};

async fn add_entry(b: &Browser, at: &str, text: &str) {
    b.fill("input[name=entry_at]", at).await;
    b.fill("textarea[name=entry_text]", text).await;
    b.click(".add-entry-button").await;
    b.wait_until(
        "the entry is listed",
        &format!("[...document.querySelectorAll('.timeline-entry .entry-text')].some(e => e.textContent === {text:?})"),
    )
    .await;
}

async fn timeline(b: &Browser) -> Vec<String> {
    serde_json::from_value(
        b.eval("return [...document.querySelectorAll('.timeline-entry .entry-text')].map(e => e.textContent)")
            .await,
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_logged_apart_merge_in_time_order_on_both_devices() {
    let server = TestServer::start().await;
    let a = Browser::start().await;
    let b = Browser::start().await;

    a.set_up_facility(&server.url, "ひかりクリニック", "clinic", "佐藤")
        .await;
    let join = a.join_link(&server.url).await;
    b.goto(&join).await;
    b.wait(".checklist-row").await;

    // A's device is named 受付PC in 設定 (B's is not named).
    a.goto(&format!("{}/settings", server.url)).await;
    a.fill("input[name=device_name]", "受付PC").await;
    a.wait_until(
        "the name is kept",
        "JSON.parse(localStorage.getItem('mamori.settings')).device_name === '受付PC'",
    )
    .await;

    // A starts the incident; B sees it.
    a.goto(&format!("{}/incidents", server.url)).await;
    a.fill("input[name=incident_title]", "電子カルテが開けない")
        .await;
    a.click(".start-incident button[type=submit]").await;
    a.wait(".add-entry").await;
    let incident = a.client.current_url().await.unwrap().to_string();
    b.goto(&incident).await;
    b.wait(".add-entry").await;

    // Both go offline and log, interleaved in time.
    a.set_offline(true).await;
    b.set_offline(true).await;
    a.wait(r#".save-state[data-network="offline"]"#).await;
    b.wait(r#".save-state[data-network="offline"]"#).await;
    add_entry(&a, "2020-01-06T10:05", "受付PCの画面に脅迫文").await;
    add_entry(&b, "2020-01-06T10:07", "院長に電話、判断を仰ぐ").await;
    add_entry(&a, "2020-01-06T10:10", "LANケーブルを抜いた").await;
    add_entry(&b, "2020-01-06T10:02", "電子カルテが応答しない").await;
    // A one-tap first-response step, recorded now (after the typed times).
    a.click(r#"button.step[data-step="0"]"#).await;
    a.wait(r#"button.step[data-step="0"][disabled]"#).await;
    assert_eq!(timeline(&a).await.len(), 3);
    assert_eq!(timeline(&b).await.len(), 2);

    // They meet again.
    a.set_offline(false).await;
    b.set_offline(false).await;
    let expected = [
        "電子カルテが応答しない",
        "受付PCの画面に脅迫文",
        "院長に電話、判断を仰ぐ",
        "LANケーブルを抜いた",
    ];
    for d in [&a, &b] {
        d.wait_until(
            "all five entries are on the device",
            "document.querySelectorAll('.timeline-entry').length === 5",
        )
        .await;
        let got = timeline(d).await;
        assert_eq!(&got[..4], &expected, "time order");
        assert!(got[4].contains("ネットワークから切り離した"), "{got:?}");
    }
    assert_eq!(timeline(&a).await, timeline(&b).await, "the same on both");

    // The CSV export, offline-made, in the same order.
    let csv = a
        .eval_async(
            "const id = location.pathname.split('/').pop(); \
             let captured = null; \
             const orig = URL.createObjectURL; \
             URL.createObjectURL = (blob) => { captured = blob; return orig.call(URL, blob); }; \
             document.querySelector('.export-csv').click(); \
             setTimeout(async () => { URL.createObjectURL = orig; done(captured ? await captured.text() : ''); }, 200);",
        )
        .await;
    let csv = csv.as_str().unwrap_or_default().to_string();
    let first = csv.find("電子カルテが応答しない").expect("entry in CSV");
    let last = csv.find("LANケーブルを抜いた").expect("entry in CSV");
    assert!(first < last, "CSV in time order");
    // The header is the first row; times are said to be JST.
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next(),
        Some("施設,インシデント,日時 (JST),記録日時 (JST),種別,内容,連絡先,回答,記録者,端末"),
        "{csv}"
    );
    // Every row names the facility; A's entries carry the device's name, not its id.
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.iter().all(|r| r.starts_with("ひかりクリニック,")),
        "{csv}"
    );
    let cut = rows
        .iter()
        .find(|r| r.contains("LANケーブルを抜いた"))
        .unwrap();
    assert!(cut.ends_with(",受付PC"), "{cut}");
    // The printed page names the facility and the time zone of its times.
    let facility = a
        .eval_string("return document.querySelector('.incident-facility').textContent")
        .await;
    assert_eq!(facility, "ひかりクリニック");
    let zone = a
        .eval_string("return document.querySelector('.time-zone').textContent")
        .await;
    assert!(
        zone.contains("時間帯") && zone.len() > "時刻はこの端末の時間帯: ".len(),
        "{zone}"
    );
    a.close().await;
    b.close().await;
}
