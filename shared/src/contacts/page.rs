//! The 緊急連絡 screen as plain HTML and the contact chart as an SVG diagram, both pure functions.
//!
//! The app shows the same markup in its `/emergency` route and keeps a complete copy of it as a static page
//! in the service worker's cache (`/emergency`), refreshed on every change and sync, so the numbers are on
//! screen with no network, no server, no session and before the wasm app has even loaded.

use super::diagram::{JA, diagram};
use super::{Shown, tel_href};

/// The stylesheet of the emergency screen and the diagram: linked by the app, inlined in the static copy.
pub const STYLE: &str = include_str!("../../../public/emergency.css");

/// One facility's chart, ready to render.
#[derive(Debug, Clone)]
pub struct PageChart {
    pub facility: String,
    pub contacts: Vec<Shown>,
    /// 最終同期: when this device last had the server's copy, already formatted (device time zone).
    pub synced: String,
    /// When the chart last changed, formatted.
    pub changed: String,
}

/// Escapes text for HTML (element content and quoted attribute values).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The first thing to do, before any call (the manual's first response: isolate, do not power off).
pub const FIRST_STEP_JA: &str = "まず、異常のある端末をネットワークから切り離してください（LANケーブルを抜く・Wi-Fiを切る）。電源は切らないでください。";
pub const FIRST_STEP_EN: &str = "First, disconnect the affected computer from the network (unplug the cable, turn Wi-Fi off). Do not switch it off.";

/// The emergency screen's content (no `<html>`): the call list in escalation order and the diagram.
pub fn body(charts: &[PageChart]) -> String {
    let mut h = String::new();
    h.push_str(r#"<div class="emergency">"#);
    h.push_str(r#"<header class="emergency-head"><h1>緊急連絡 <small lang="en">Emergency contacts</small></h1>"#);
    h.push_str(&format!(
        r#"<p class="emergency-first">{}<br><small lang="en">{}</small></p></header>"#,
        FIRST_STEP_JA, FIRST_STEP_EN
    ));
    if charts.is_empty() {
        h.push_str(r#"<p class="emergency-empty">この端末には連絡体制図がありません。<small lang="en">No contact chart on this device.</small></p>"#);
    }
    for chart in charts {
        h.push_str(&format!(
            r#"<section class="emergency-facility"><h2>{}</h2><p class="freshness">最終同期: <span class="synced">{}</span>・連絡体制図の更新: <span class="changed">{}</span></p>"#,
            escape(&chart.facility),
            escape(&chart.synced),
            escape(&chart.changed)
        ));
        h.push_str(r#"<ol class="call-list">"#);
        for c in &chart.contacts {
            let caller = c
                .called_by
                .as_ref()
                .and_then(|by| chart.contacts.iter().find(|x| &x.id == by))
                .map(|x| x.role.as_str());
            let group = c
                .group_tag()
                .map(|g| format!(r#" <span class="call-group">{}</span>"#, escape(g)))
                .unwrap_or_default();
            h.push_str(&format!(
                r#"<li class="call depth-{}" data-contact="{}"><div class="call-who"><span class="call-role">{}</span> <span class="call-name">{}</span>{group}</div>"#,
                c.depth.min(5),
                escape(&c.id),
                escape(c.label()),
                escape(&c.title()),
            ));
            if let Some(by) = caller {
                h.push_str(&format!(
                    r#"<p class="call-from">← {} から連絡</p>"#,
                    escape(by)
                ));
            }
            let links: Vec<String> = c
                .phones
                .iter()
                .filter_map(|p| {
                    tel_href(&p.number).map(|href| {
                        format!(
                            r#"<a class="tel" href="{}"><span class="tel-label">{}</span> <span class="tel-number">{}</span></a>"#,
                            escape(&href),
                            escape(&p.label),
                            escape(&p.number)
                        )
                    })
                })
                .collect();
            if links.is_empty() {
                h.push_str(r#"<p class="call-missing">電話番号が未登録です</p>"#);
            } else {
                h.push_str(r#"<div class="call-numbers">"#);
                h.push_str(&links.join(""));
                h.push_str("</div>");
            }
            // What was entered only: a template's instruction to whoever fills the chart is not shown.
            let extra: Vec<String> = [c.hours.as_str(), c.email.as_str()]
                .into_iter()
                .chain(c.notes_entered())
                .filter(|s| !s.trim().is_empty())
                .map(escape)
                .collect();
            if !extra.is_empty() {
                h.push_str(&format!(r#"<p class="call-meta">{}</p>"#, extra.join("・")));
            }
            h.push_str("</li>");
        }
        h.push_str("</ol>");
        h.push_str(r#"<figure class="chart-diagram">"#);
        h.push_str(&diagram(&chart.contacts, &JA));
        h.push_str("</figure></section>");
    }
    h.push_str("</div>");
    h
}

/// The static page kept by the service worker: complete, with its own style and no script at all.
pub fn document(charts: &[PageChart], saved_at: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>緊急連絡 — 守り Mamori</title><style>{STYLE}</style></head><body class="static-emergency">{}<p class="emergency-foot">この画面は端末内の写し（{}作成）です。<a href="/">守り Mamori を開く</a></p></body></html>"#,
        body(charts),
        escape(saved_at)
    )
}
