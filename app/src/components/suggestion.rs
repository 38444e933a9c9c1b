//! What Mamori's own data says about a checklist item, shown beside it as a suggestion: the person still
//! answers はい/いいえ. Item 3-① reads the contact chart, 3-③ points to the first-response template.

use leptos::prelude::*;
use leptos_router::components::A;
use mamori_shared::contacts;
use mamori_shared::edition::FormKind;
use mamori_shared::model::ItemId;

use crate::settings::use_settings;
use crate::state::use_workspace;
use crate::tr;

#[component]
pub fn Suggestion(item: ItemId, form: FormKind) -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
    if form == FormKind::Vendor {
        return None;
    }
    match item.as_str() {
        "3-①" => Some(
            view! {
                <aside class="suggestion chart-suggestion" role="note">
                    {move || {
                        let index = ws.index();
                        let chart = ws.contact_chart();
                        let vendors = index.map(|i| i.vendors).unwrap_or_default();
                        let check = contacts::check(chart.as_ref().map(|c| &c.chart), &vendors);
                        let style = settings.with(|s| s.date_style);
                        let mut lines: Vec<String> = Vec::new();
                        if !check.exists {
                            lines.push(tr!("連絡体制図はまだありません。", "There is no contact chart yet.")().into());
                        } else if check.entered == 0 {
                            lines.push(tr!(
                                "連絡体制図はひな形のままです。連絡先の名前と電話番号を入力してください。",
                                "The contact chart is still the template: enter the contacts' names and numbers."
                            )().into());
                        } else {
                            lines.push(format!("{}（{}{}）", tr!("連絡体制図があります", "The contact chart exists")(), check.entered, tr!("件の連絡先を入力済み", " contacts entered")()));
                            lines.push(match check.reviewed_on {
                                Some(d) => format!("{} {}", tr!("最終見直し:", "Last reviewed:")(), d.display(style)),
                                None => tr!("見直しの記録がありません。", "No review recorded.")().into(),
                            });
                            if !check.without_phone.is_empty() {
                                lines.push(format!("{} {}", tr!("電話番号のない連絡先:", "Contacts without a number:")(), check.without_phone.join("、")));
                            }
                        }
                        if !check.vendors_without_phone.is_empty() {
                            lines.push(format!("{} {}", tr!("電話番号のない事業者:", "Vendors without a number:")(), check.vendors_without_phone.join("、")));
                        }
                        let state = if check.complete() { "ok" } else { "todo" };
                        view! {
                            <div data-state=state>
                                <p class="suggestion-title">{tr!("Mamoriのデータから（回答はご自身で）", "From Mamori's data (you still answer)")}</p>
                                <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                                <A href="/contacts">{tr!("連絡体制図を開く", "Open the contact chart")}</A>
                            </div>
                        }
                    }}
                </aside>
            }
            .into_any(),
        ),
        "3-③" => Some(
            view! {
                <aside class="suggestion bcp-suggestion" role="note">
                    <p class="suggestion-title">{tr!("Mamoriのデータから（回答はご自身で）", "From Mamori's data (you still answer)")}</p>
                    <p>{tr!(
                        "BCPの初動手順は、インシデント対応記録のひな形（切り離し・記録・連絡・報告・紙運用・バックアップ確認）と合わせて確認できます。",
                        "Check your BCP's first steps against the incident log template (isolate, record, call, report, paper operation, backups)."
                    )}</p>
                    <a href="/incidents#steps">{tr!("初動の手順（ひな形）を見る", "See the first-response template")}</a>
                </aside>
            }
            .into_any(),
        ),
        "2-①" | "2-②" | "2-③" | "2-④" | "2-⑤" | "2-⑥" | "2-⑩" => Some(
            view! {
                <aside class="suggestion ledger-suggestion" role="note">
                    <p class="suggestion-title">{tr!("Mamoriのデータから（回答はご自身で）", "From Mamori's data (you still answer)")}</p>
                    {move || ws.ledger_findings(item.as_str()).into_iter().map(|(f, path)| {
                        let link = (!path.is_empty()).then(|| {
                            let href = if f.rows.is_empty() || path == "/vendors" { path.to_string() } else { format!("{path}?check={}", f.item) };
                            view! { <a href=href class="finding-link">{tr!("該当する行を見る", "See the rows")}</a> }
                        });
                        view! {
                            <p class="finding" data-ok=f.ok.to_string()>
                                {move || crate::i18n::lang().pick(f.summary_ja.clone(), f.summary_en.clone())}" "{link}
                            </p>
                        }
                    }).collect_view()}
                </aside>
            }
            .into_any(),
        ),
        _ => None,
    }
}
