//! A change is on the device before the network hears of it: every time the sync client is told a document
//! changed here, the device's save of that document has finished first (read from the page's performance
//! marks, which the app sets at each finished save and each hand-over to sync). Before, the change went to the
//! WebSocket in the same tap and the IndexedDB write finished later.

use mamori_tests::{Browser, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_saved_before_it_is_synced() {
    let server = TestServer::start().await;
    let b = Browser::start().await;
    b.set_up_facility(&server.url, "さくら内科", "clinic", "佐藤")
        .await;
    b.click(".checklist-row .checklist-link").await;
    b.wait("li.item").await;
    for (item, choice) in [("1-①", "yes"), ("1-①", "no"), ("1-①", "yes")] {
        b.click(&format!(
            r#"li[data-item="{item}"] button[data-choice="{choice}"]"#
        ))
        .await;
        b.wait(&format!(
            r#"li[data-item="{item}"][data-answer="{choice}"]"#
        ))
        .await;
    }
    b.wait(r#".sync-state[data-sync="synced"]"#).await;
    // In time order: each hand-over to sync of a document must come after as many finished saves of it.
    let verdict = b
        .eval(
            r#"
            const saved = {}, synced = {};
            const marks = performance.getEntriesByType('mark')
                .filter(m => m.name.startsWith('mamori-'))
                .sort((x, y) => x.startTime - y.startTime);
            let handed = 0;
            for (const m of marks) {
                const [what, doc] = m.name.split(':');
                if (what === 'mamori-saved') saved[doc] = (saved[doc] || 0) + 1;
                if (what === 'mamori-sync-local') {
                    handed += 1;
                    synced[doc] = (synced[doc] || 0) + 1;
                    if (synced[doc] > (saved[doc] || 0)) return 'sent before saved: ' + doc;
                }
            }
            return handed >= 3 ? 'ok' : 'only ' + handed + ' changes handed to sync';
            "#,
        )
        .await;
    assert_eq!(verdict, "ok");
}
