//! One checklist item: its official wording, the answer buttons, the dates, the note, the guide.
//!
//! Every edit builds a whole new [`Answer`] from the current one and writes it as a unit, so concurrent
//! edits on other devices surface as a conflict shown here, never as a mix of two answers.

use leptos::prelude::*;
use mamori_shared::answer::{Answer, Choice};
use mamori_shared::calendar::{Date, FiscalYear};
use mamori_shared::edition::{FormItem, FormKind, reference_en};
use mamori_shared::model::DocumentId;

use crate::i18n::lang;
use crate::settings::use_settings;
use crate::state::{AnswerProblem, today, use_workspace};
use crate::tr;

#[component]
pub fn ItemCard(
    doc: DocumentId,
    item: FormItem<'static>,
    form: FormKind,
    fiscal_year: FiscalYear,
    read_only: bool,
    on_behalf: RwSignal<bool>,
) -> impl IntoView {
    let ws = use_workspace();
    let settings = use_settings();
    let item_id = item.id.clone();
    // Everything below reads this item through memos: a change to another item (here or from another device)
    // re-runs these reads, which come out equal, and re-renders nothing (the render-count test).
    let answers = {
        let item_id = item_id.clone();
        Memo::new(move |_| ws.item_answers(doc, &item_id))
    };
    let current = move || answers.get().map(|a| a.current);
    // 「確定後の変更」: this item's answer differs from the year's seal.
    let seal = Memo::new(move |_| ws.checklist_seal(doc));
    let changed_after_seal = {
        let item_id = item_id.clone();
        Memo::new(move |_| {
            let seal = seal.get()?;
            Some(
                answers
                    .with(|a| mamori_shared::seal::item_changed(&seal.text, &item_id, a.as_ref())),
            )
        })
    };
    let moved = {
        let item_id = item_id.clone();
        Memo::new(move |_| crate::components::edition_move::moved_item_note(doc, form, &item_id))
    };
    // Who answered, as the server attributes the answer's Automerge actor (known once synced). Memos over
    // the settings: they change for many reasons, and a card re-renders only if what it shows changed.
    let answered_by = Memo::new(move |_| {
        let actor = answers.get()?.author?;
        settings.with(|s| s.actor_names.get(&actor).cloned())
    });
    let style = Memo::new(move |_| settings.with(|s| s.dates()));
    let error = RwSignal::new(None::<String>);
    let item_for_check = item.clone();
    let flags = move || {
        current()
            .and_then(|a| a.check(&item_for_check, form, fiscal_year, today()).ok())
            .unwrap_or_default()
    };
    let show = move |d: Date| d.display(style.get());

    // A refused date is said beside the date box, which goes back to the stored date.
    let date_error = RwSignal::new(None::<String>);
    // Writes `next` (a whole answer); the refusal in plain words, if any.
    let try_write = {
        let item_id = item_id.clone();
        move |mut next: Answer| -> Option<String> {
            next.entry = ws.entry(form == FormKind::Vendor && on_behalf.get_untracked());
            match ws.answer(doc, &item_id, next) {
                Ok(()) => None,
                Err(AnswerProblem::Rule(rule)) => Some(rule_message(&rule)),
                Err(AnswerProblem::Schema(e)) => Some(e.to_string()),
            }
        }
    };
    // Writes `next`, showing a refusal below the item.
    let write = {
        let try_write = try_write.clone();
        move |next: Answer| {
            let refused = try_write(next);
            if refused.is_none() {
                date_error.set(None);
            }
            error.set(refused);
        }
    };
    let choose = {
        let write = write.clone();
        move |choice: Choice| {
            let next = match current() {
                Some(prev) => Answer {
                    choice,
                    checked_on: if matches!(choice, Choice::Yes | Choice::No) {
                        prev.checked_on.or(Some(today()))
                    } else {
                        prev.checked_on
                    },
                    target_on: if choice == Choice::No {
                        prev.target_on
                    } else {
                        None
                    },
                    ..prev
                },
                None => Answer::new(choice, today(), Default::default()),
            };
            write(next);
        }
    };
    // Sets a date from its box; the box then shows what is stored (the old date, when refused) and the
    // refusal is said beside it.
    let set_date = {
        let try_write = try_write.clone();
        move |target: bool, ev: leptos::ev::Event| {
            let input = event_target::<web_sys::HtmlInputElement>(&ev);
            let value = input.value();
            let Some(prev) = answers.get_untracked().map(|a| a.current) else {
                return;
            };
            let parsed = if value.is_empty() {
                Ok(None)
            } else {
                Date::parse_iso(&value).map(Some)
            };
            let refused = match parsed {
                Ok(date) if target => try_write(Answer {
                    target_on: date,
                    ..prev
                }),
                Ok(date) => try_write(Answer {
                    checked_on: date,
                    ..prev
                }),
                Err(e) => Some(e.to_string()),
            };
            if refused.is_some() {
                let stored = answers
                    .get_untracked()
                    .and_then(|a| {
                        if target {
                            a.current.target_on
                        } else {
                            a.current.checked_on
                        }
                    })
                    .map(|d| d.iso())
                    .unwrap_or_default();
                input.set_value(&stored);
            } else {
                error.set(None);
            }
            date_error.set(refused);
        }
    };
    let set_text = {
        let write = write.clone();
        move |reason: bool, value: String| {
            let Some(prev) = current() else { return };
            if reason {
                write(Answer {
                    reason: value,
                    ..prev
                })
            } else {
                write(Answer {
                    note: value,
                    ..prev
                })
            }
        }
    };
    let clear = {
        let item_id = item_id.clone();
        move |_| {
            if let Err(e) = ws.clear_answer(doc, &item_id) {
                error.set(Some(e.to_string()));
            }
        }
    };
    let offered = Choice::offered(&item, form);
    let glossary = item.glossary.clone();
    let slug = item.id.slug();
    let scope_label = move || {
        let l = lang();
        let labels: Vec<&str> = item
            .scopes
            .iter()
            .map(|s| l.pick(s.label_ja(), s.label_en()))
            .collect();
        (!labels.is_empty()).then(|| format!("（{}）", labels.join("、")))
    };

    view! {
        <li class="item card" id=format!("item-{slug}") data-item=item.id.to_string()
            data-answer=move || current().map(|a| choice_code(a.choice)).unwrap_or("none")
            data-sealed-change=move || (changed_after_seal.get() == Some(true)).then_some("true")>
            <div class="item-head">
                <span class="item-id">{item.id.to_string()}</span>
                {move || moved.get().map(|n| match n {
                    crate::components::edition_move::MovedNote::New => view! { <span class="badge moved-new" data-moved="new">{tr!("新しい項目", "New item")}</span> }.into_any(),
                    crate::components::edition_move::MovedNote::Reworded => view! { <span class="badge moved-reworded" data-moved="reworded">{tr!("文言変更", "Reworded")}</span> }.into_any(),
                })}
                {move || (changed_after_seal.get() == Some(true)).then(|| view! {
                    <span class="badge sealed-change">{tr!("確定後の変更", "Changed after sealing")}</span>
                })}
                <div class="item-text">
                    <p lang="ja">{item.text}<span class="scope">{scope_label}</span></p>
                    {item.note.map(|n| view! { <p class="item-note" lang="ja">{n}</p> })}
                    <Show when=move || lang() == crate::i18n::Lang::En>
                        <p class="item-en">{item.text_en}</p>
                    </Show>
                    {(!item.confirmed).then(|| view! {
                        <details class="unconfirmed">
                            <summary><span class="badge unconfirmed">{tr!("様式の文言は未確認", "Form wording unconfirmed")}" ⓘ"</span></summary>
                            <p class="unconfirmed-why">{tr!(
                                "この項目の文言は、厚生労働省の「チェックリストマニュアル」本文から作っています。この様式（薬局用・事業者確認用など）の公式の用紙そのものとはまだ照らし合わせていないため、言い回しが公式の用紙と少し違うことがあります。確認する内容は同じなので、そのまま回答して構いません。提出や保存に使う公式の様式は、厚生労働省のウェブサイト「医療分野のサイバーセキュリティ対策について」にあります。",
                                "This item's wording comes from the body of the MHLW checklist manual. It has not yet been compared with the official sheet of this form (pharmacy, vendor …), so the wording may differ a little from the official sheet. What is checked is the same: answer as usual. The official forms to submit and keep are on the MHLW website, on the page 「医療分野のサイバーセキュリティ対策について」."
                            )}</p>
                        </details>
                    })}
                    {item.evidence.zip(item.evidence_en).map(|(ja, en)| view! {
                        <p class="evidence">{tr!("立入検査で現物を確認: ", "Inspectors ask to see: ")}{move || lang().pick(ja, en)}</p>
                    })}
                </div>
            </div>
            <div class="choices" role="group" aria-label=tr!("回答", "Answer")>
                {offered.into_iter().map(|c| {
                    let choose = choose.clone();
                    view! {
                        <button type="button" class=format!("choice choice-{}", choice_code(c))
                            data-choice=choice_code(c)
                            aria-pressed=move || if current().is_some_and(|a| a.choice == c) { "true" } else { "false" }
                            disabled=read_only
                            on:click=move |_| choose(c)>
                            {move || lang().pick(c.label_ja(), c.label_en())}
                        </button>
                    }
                }).collect_view()}
            </div>
            {
                let set_date = set_date.clone();
                let set_text = set_text.clone();
                move || current().map(|a| {
                    let (sd1, sd2, st1, st2) = (set_date.clone(), set_date.clone(), set_text.clone(), set_text.clone());
                    view! {
                        <div class="answer-fields">
                            {matches!(a.choice, Choice::Yes | Choice::No).then(|| view! {
                                <label class="field date">
                                    <span>{tr!("確認日", "Checked on")}</span>
                                    <input type="date" name="checked_on" max=today().iso() disabled=read_only
                                        prop:value=a.checked_on.map(|d| d.iso()).unwrap_or_default()
                                        on:change=move |ev| sd1(false, ev) />
                                    <span class="date-display">{a.checked_on.map(show)}</span>
                                </label>
                            })}
                            {(a.choice == Choice::No).then(|| view! {
                                <label class="field date">
                                    <span>{tr!("目標日", "Target date")}</span>
                                    <input type="date" name="target_on" disabled=read_only
                                        min=a.checked_on.map(|d| d.iso()).unwrap_or_default()
                                        prop:value=a.target_on.map(|d| d.iso()).unwrap_or_default()
                                        on:change=move |ev| sd2(true, ev) />
                                    <span class="date-display">{a.target_on.map(show)}</span>
                                </label>
                            })}
                            {move || date_error.get().map(|e| view! { <p class="error date-error" role="alert">{e}</p> })}
                            {(a.choice == Choice::NotApplicable).then(|| view! {
                                <label class="field">
                                    <span>{tr!("対象外の理由", "Why not applicable")}</span>
                                    <input type="text" name="reason" disabled=read_only prop:value=a.reason.clone()
                                        on:change=move |ev| st1(true, event_target_value(&ev)) />
                                </label>
                            })}
                            <label class="field">
                                <span>{tr!("メモ", "Note")}</span>
                                <textarea name="note" rows="2" disabled=read_only prop:value=a.note.clone()
                                    on:change=move |ev| st2(false, event_target_value(&ev))></textarea>
                            </label>
                            <p class="entry muted">
                                {tr!("記入: ", "Entered by: ")}{a.entry.by.clone()}" "
                                {move || answered_by.get().map(|who| view! {
                                    <span class="answered-by" title=tr!("サーバーが記録したアカウント", "The account the server recorded")>
                                        "（"{tr!("アカウント: ", "account: ")}{who}"）"</span>" "
                                })}
                                <span class="entry-time">{move || crate::state::format_time(a.entry.at_ms, style.get())}</span>
                                {a.entry.on_behalf_of_vendor.then(|| view! { <span class="badge">{tr!("事業者の回答を代理入力", "entered for the vendor")}</span> })}
                            </p>
                        </div>
                    }
                })
            }
            <ul class="flags">
                {move || flags().into_iter().map(|f| view! {
                    <li class="flag" role="status">{move || lang().pick(f.message_ja(), f.message_en())}</li>
                }).collect_view()}
            </ul>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {crate::later::later(crate::later::Part::Suggestion { item: item_id.clone(), form })}
            <Conflicts answers write=write.clone() read_only />
            <details class="guide">
                <summary>{tr!("解説・用語", "Guide and glossary")}</summary>
                <p>{move || lang().pick(item.guide_ja, item.guide_en)}</p>
                <p class="muted small">{tr!("（Mamoriによる解説です。公式の文言ではありません）", "(Mamori's own guide, not official text)")}</p>
                {(!glossary.is_empty()).then(move || view! {
                    <dl class="glossary">
                        {glossary.into_iter().map(|g| view! {
                            <dt lang="ja">{g.term.clone()}</dt>
                            <dd>{move || lang().pick(g.definition_ja.clone(), g.definition_en.clone())}</dd>
                        }).collect_view()}
                    </dl>
                })}
                <p class="references">{item.references.iter().map(|r| view! { <span class="ref">"▶"{let r = r.clone(); move || lang().pick(r.clone(), reference_en(&r))}</span> }).collect_view()}</p>
            </details>
            {move || current().is_some().then(|| view! {
                <button type="button" class="link-button" disabled=read_only on:click=clear.clone()>{tr!("回答を取り消す", "Clear answer")}</button>
            })}
        </li>
    }
}

/// Answers given on other devices while apart: all shown whole until someone picks one.
#[component]
fn Conflicts(
    answers: Memo<Option<mamori_shared::schema::checklist::ItemAnswers>>,
    write: impl Fn(Answer) + Clone + Send + Sync + 'static,
    read_only: bool,
) -> impl IntoView {
    let settings = use_settings();
    move || {
        let a = answers.get()?;
        if a.conflicts.is_empty() {
            return None;
        }
        let all: Vec<Answer> = std::iter::once(a.current).chain(a.conflicts).collect();
        let style = settings.with(|s| s.dates());
        Some(view! {
            <div class="conflict" role="alert">
                <p><strong>{tr!("別の端末で異なる回答がありました。どちらかを選んでください。", "Different answers were given on other devices. Choose one.")}</strong></p>
                <ul>
                    {all.into_iter().map(|ans| {
                        let write = write.clone();
                        let label = format!(
                            "{} {} {} {}",
                            ans.choice.label_ja(),
                            ans.checked_on.map(|d| d.display(style)).unwrap_or_default(),
                            ans.target_on.map(|d| format!("→ {}", d.display(style))).unwrap_or_default(),
                            ans.entry.by,
                        );
                        view! {
                            <li>
                                <span>{label}</span>
                                <button type="button" class="button small" disabled=read_only on:click=move |_| write(ans.clone())>
                                    {tr!("この回答にする", "Use this answer")}
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        })
    }
}

pub fn choice_code(c: Choice) -> &'static str {
    match c {
        Choice::Yes => "yes",
        Choice::No => "no",
        Choice::NotRequired => "not_required",
        Choice::NotApplicable => "not_applicable",
    }
}

/// A refused answer, in the user's language.
fn rule_message(e: &mamori_shared::error::AnswerError) -> String {
    use mamori_shared::error::AnswerError::*;
    let l = lang();
    match e {
        CheckDateInFuture(_) => l
            .pick(
                "確認日に未来の日付は入力できません。",
                "The check date cannot be in the future.",
            )
            .into(),
        TargetBeforeCheck { .. } => l
            .pick(
                "目標日は確認日より後の日付にしてください。",
                "The target date must be after the check date.",
            )
            .into(),
        other => other.to_string(),
    }
}
