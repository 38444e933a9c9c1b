//! `/bench/storage`: measures saving and loading a large hospital's documents on this device, in a
//! separate IndexedDB database that is deleted afterwards (the user's data is never touched). The benchmark
//! command reads the JSON it prints; a person can open it too.

use automerge::AutoCommit;
use leptos::prelude::*;
use mamori_shared::answer::{Answer, Choice, Entry};
use mamori_shared::calendar::{Date, FiscalYear};
use mamori_shared::edition::{FormKind, edition};
use mamori_shared::model::{DocumentId, FacilityId};
use mamori_shared::schema::checklist::{self, ChecklistMeta};

use crate::storage::{DeviceStore, StorageError};

const BENCH_DB: &str = "mamori-bench";

fn now() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or_default()
}

/// A checklist with every item answered three times (edit history, as a year of use leaves it).
fn busy_checklist(n: usize) -> Result<AutoCommit, mamori_shared::error::SchemaError> {
    let ed = edition("r7").expect("r7 is embedded");
    let form = if n.is_multiple_of(5) {
        FormKind::Medical
    } else {
        FormKind::Vendor
    };
    let meta = ChecklistMeta {
        facility_id: FacilityId::generate(),
        form,
        edition: "r7".into(),
        fiscal_year: FiscalYear(2026),
        vendor_id: None,
        vendor_name: format!("事業者{n}"),
        created_at_ms: 0,
        copied_from: None,
        moved_from_edition: None,
    };
    let mut doc = checklist::create(&meta)?;
    let day = Date::new(2026, 6, 1).expect("valid");
    for round in 0..3 {
        for item in ed.form_items(form) {
            let choice = if round == 2 && item.section == 2 {
                Choice::No
            } else {
                Choice::Yes
            };
            let answer = Answer {
                target_on: (choice == Choice::No).then(|| Date::new(2027, 3, 31).expect("valid")),
                note: format!(
                    "{}の確認メモ（{}回目）。担当者と手順を確認した。",
                    item.id,
                    round + 1
                ),
                entry: Entry {
                    by: "ベンチ 太郎".into(),
                    device: "bench".into(),
                    at_ms: 0,
                    on_behalf_of_vendor: false,
                },
                ..Answer::new(choice, day, Entry::default())
            };
            checklist::put_answer(&mut doc, &item.id, &answer)?;
            doc.commit();
        }
    }
    Ok(doc)
}

async fn run(count: usize) -> Result<String, StorageError> {
    let fail = |e: mamori_shared::error::SchemaError| StorageError::Failed(e.to_string());
    let docs: Vec<(DocumentId, Vec<u8>)> = (0..count)
        .map(|n| busy_checklist(n).map(|mut d| (DocumentId::generate(), d.save())))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    let bytes: usize = docs.iter().map(|(_, b)| b.len()).sum();
    let store = DeviceStore::open_named(BENCH_DB).await?;
    store.clear().await?;

    let t0 = now();
    for (id, b) in &docs {
        store.save(*id, b).await?;
    }
    let save_ms = now() - t0;

    let t1 = now();
    let rows = store.load_all().await?;
    let read_ms = now() - t1;
    let t2 = now();
    let mut answers = 0;
    for (_, b) in &rows {
        let doc = AutoCommit::load(b).map_err(|e| StorageError::Failed(e.to_string()))?;
        answers += checklist::answers(&doc).map_err(fail)?.len();
    }
    let parse_ms = now() - t2;
    store.clear().await?;
    Ok(serde_json::json!({
        "checklists": count,
        "bytes": bytes,
        "answers_loaded": answers,
        "save_ms": save_ms,
        "load_read_ms": read_ms,
        "load_parse_ms": parse_ms,
    })
    .to_string())
}

#[component]
pub fn StorageBench() -> impl IntoView {
    let result = RwSignal::new(String::new());
    let count = leptos_router::hooks::use_query_map().with_untracked(|q| {
        q.get("checklists")
            .and_then(|v| v.parse().ok())
            .unwrap_or(50)
    });
    leptos::task::spawn_local(async move {
        let out = run(count)
            .await
            .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string());
        result.set(out);
    });
    view! {
        <section class="page">
            <h1>"Storage benchmark"</h1>
            <p>{format!("{count} checklists, each item answered three times")}</p>
            <pre id="bench-result">{result}</pre>
        </section>
    }
}
