//! 立入検査用資料 — everything the inspector asks to see, as one printable A4 document made on the device
//! (offline too): a cover with the access log's head hash, contents, the 準備状況 summary, this year's form
//! and each vendor's, the two ledgers, the contact chart and the evidence register. Page numbers
//! ("n / N") come from the print style's page margin boxes; the document is Japanese, as the forms are.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use mamori_shared::contacts::diagram;
use mamori_shared::edition::FormKind;
use mamori_shared::model::DocumentId;
use mamori_shared::readiness::overall;
use mamori_shared::schema::evidence::BcpStage;
use mamori_shared::schema::ledger::{Account, Device};

use crate::components::readiness::{
    cached_reviews, chosen_year, detail, mark, refresh_log_reviews, title,
};
use crate::i18n::Lang;
use crate::pages::ledgers::ledger_print_table;
use crate::pages::print::ChecklistSheet;
use crate::settings::use_settings;
use crate::state::{today, use_workspace};
use crate::tr;

#[component]
pub fn BinderPage() -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
    let chosen = chosen_year();
    // A 管理者 device asks for the log's current head (and this year's review marks) when it can.
    Effect::new(move |_| {
        let Some(f) = ws.index().map(|i| i.facility.id) else {
            return;
        };
        if crate::account::role_at(f) == Some(mamori_shared::access::Role::Admin) {
            spawn_local(crate::account::check_log_head());
            refresh_log_reviews(f, chosen.get());
        }
    });
    let content = move || {
        let index = ws.index()?;
        let year = chosen.get();
        let style = settings.with(|s| s.date_style);
        let heard = cached_reviews(index.facility.id, year);
        let readiness = ws.readiness(year, heard.as_ref())?;
        let own = readiness.own_checklist;
        let vendor_forms: Vec<(String, DocumentId)> = index
            .checklists()
            .into_iter()
            .filter(|(_, m)| m.form == FormKind::Vendor && m.fiscal_year == year)
            .map(|(e, m)| (m.vendor_name.clone(), e.id))
            .collect();
        let chart = ws.contact_chart();
        let evidence = ws.evidence();
        let head = settings.with(|s| s.log_head.clone());
        let level = overall(&readiness.lines);
        let ja = Lang::Ja;

        let mut contents: Vec<String> = vec!["準備状況".into()];
        if own.is_some() {
            contents.push(format!(
                "{} チェックリスト",
                index.facility.kind.institution_form().title_ja()
            ));
        }
        for (name, _) in &vendor_forms {
            contents.push(format!("事業者確認用（{name}）"));
        }
        contents.extend(
            [
                "機器台帳",
                "利用者ID台帳",
                "連絡体制図",
                "証跡一覧（文書・BCP・バックアップ）",
            ]
            .map(String::from),
        );

        Some(view! {
            <article class="binder" lang="ja">
                <section class="binder-cover">
                    <p class="binder-kind">"立入検査用資料"</p>
                    <h1>{index.facility.name.clone()}</h1>
                    <table class="print-who">
                        <tbody>
                            <tr><th>"年度"</th><td>{year.label_ja()}</td></tr>
                            <tr><th>"印刷日"</th><td>{today().display(style)}</td></tr>
                            <tr><th>"準備状況"</th><td class="binder-overall" data-level=level.key()>
                                {format!("{} {}", mark(level), match level {
                                    mamori_shared::readiness::Level::Green => "準備できています".to_string(),
                                    _ => format!("不足 {} 項目", readiness.lines.iter().filter(|l| !l.topic.advice() && l.level != mamori_shared::readiness::Level::Green).count()),
                                })}
                            </td></tr>
                            <tr><th>"アクセスログ"</th><td class="binder-log-head">{match head {
                                Some((seq, hash)) => format!("記録番号 {seq} 時点のハッシュ: {hash}"),
                                None => "この端末では未取得（管理者がオンラインで開くと記載されます）".to_string(),
                            }}</td></tr>
                        </tbody>
                    </table>
                    <p class="print-note">"アクセスログのハッシュは、ログが後から書き換えられていないことを確かめるためのものです（mamori-server verify-log）。"</p>
                    <h2>"目次"</h2>
                    <ol class="binder-contents">
                        {contents.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
                    </ol>
                </section>

                <section class="binder-part" data-part="readiness">
                    <h2>{format!("準備状況（{}）", year.label_ja())}</h2>
                    <table class="print-table binder-readiness">
                        <thead><tr><th class="col-id">"状況"</th><th>"確認すること"</th><th>"内容"</th></tr></thead>
                        <tbody>
                            {readiness.lines.iter().map(|l| view! {
                                <tr data-topic=l.topic.key()>
                                    <td class="col-id">{mark(l.level)}</td>
                                    <td>{title(l.topic, ja)}{l.topic.advice().then_some("（助言）")}</td>
                                    <td>{detail(l, ja)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <p class="print-note">"✓ 済 ／ ! 要確認（助言） ／ ✕ 不足。「助言」は手引きの必須ではなく、Mamori の推奨です。"</p>
                </section>

                {own.map(|id| view! { <section class="binder-part" data-part="own-form"><ChecklistSheet id /></section> })}
                {vendor_forms.into_iter().map(|(_, id)| view! {
                    <section class="binder-part" data-part="vendor-form"><ChecklistSheet id /></section>
                }).collect_view()}

                <section class="binder-part binder-wide" data-part="device-ledger">
                    <h2>"機器台帳（2-①）"</h2>
                    {ledger_print_table::<Device>(ws)}
                </section>
                <section class="binder-part binder-wide" data-part="user-ledger">
                    <h2>"利用者ID台帳（2-④）"</h2>
                    {ledger_print_table::<Account>(ws)}
                </section>

                <section class="binder-part" data-part="contact-chart">
                    <h2>"連絡体制図（3-①）"</h2>
                    {match chart {
                        Some(c) => view! {
                            <figure class="chart-diagram" inner_html=diagram::diagram(&c.shown, &diagram::JA)></figure>
                        }.into_any(),
                        None => view! { <p>"連絡体制図はまだ作成されていません。"</p> }.into_any(),
                    }}
                </section>

                <section class="binder-part" data-part="evidence">
                    <h2>"証跡一覧"</h2>
                    {match evidence {
                        None => view! { <p>"登録された文書はありません。"</p> }.into_any(),
                        Some(e) => {
                            let fmt = move |d: Option<mamori_shared::calendar::Date>| d.map(|d| d.display(style)).unwrap_or_else(|| "—".into());
                            view! {
                                <h3>"文書"</h3>
                                <table class="print-table binder-evidence">
                                    <thead><tr><th>"種類"</th><th>"文書名・版"</th><th>"管理責任者"</th><th>"施行日"</th><th>"最終見直し"</th><th>"次回見直し"</th><th>"項目"</th></tr></thead>
                                    <tbody>
                                        {e.documents.is_empty().then(|| view! { <tr><td colspan="7">"登録なし"</td></tr> })}
                                        {e.records().into_iter().map(|r| view! {
                                            <tr>
                                                <td>{r.kind().name_ja()}</td>
                                                <td>{format!("{} {}", r.title, r.version)}</td>
                                                <td>{r.owner.clone()}</td>
                                                <td>{fmt(r.effective_on)}</td>
                                                <td>{fmt(r.reviewed.as_ref().and_then(|x| x.on))}</td>
                                                <td>{fmt(r.next_review_on)}</td>
                                                <td>{r.items.iter().map(|i| i.as_str().to_string()).collect::<Vec<_>>().join("、")}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <h3>"BCP（段階ごとの記入）"</h3>
                                <table class="print-table binder-bcp">
                                    <thead><tr><th>"段階"</th><th>"対応内容"</th><th>"担当"</th><th>"確認日"</th></tr></thead>
                                    <tbody>
                                        {BcpStage::ALL.into_iter().map(|s| {
                                            let stage = e.stage(s);
                                            view! {
                                                <tr><td>{s.name_ja()}</td><td>{stage.plan}</td><td>{stage.owner}</td><td>{fmt(stage.checked_on)}</td></tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <h3>"バックアップの記録（3-②）"</h3>
                                <table class="print-table binder-backups">
                                    <thead><tr><th>"取得日"</th><th>"世代"</th><th>"媒体"</th><th>"オフライン"</th><th>"復元テスト"</th></tr></thead>
                                    <tbody>
                                        {e.backups.is_empty().then(|| view! { <tr><td colspan="5">"記録なし"</td></tr> })}
                                        {e.backups().into_iter().map(|b| view! {
                                            <tr><td>{fmt(b.taken_on)}</td><td>{b.generation}</td><td>{b.medium.clone()}</td><td>{if b.offline { "○" } else { "—" }}</td><td>{fmt(b.restore_tested_on)}</td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }
                    }}
                </section>
            </article>
        })
    };
    view! {
        <div class="print-toolbar no-print">
            <A href=move || format!("/readiness?year={}", chosen.get().0) attr:class="button">{"← "}{tr!("準備状況へ戻る", "Back to readiness")}</A>
            <button class="button primary print-binder" on:click=move |_| { let _ = window().print(); }>{tr!("印刷する", "Print")}</button>
        </div>
        <p class="muted no-print">{tr!(
            "立入検査で提示する資料一式です。印刷ダイアログで「PDF に保存」もできます。",
            "Everything the inspector asks to see, in one document. The print dialog can also save it as a PDF."
        )}</p>
        {content}
    }
}
