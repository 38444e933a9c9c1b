//! The 緊急連絡 screen as plain HTML and the contact chart as an SVG diagram, both pure functions.
//!
//! The app shows the same markup in its `/emergency` route and keeps a complete copy of it as a static page
//! in the service worker's cache (`/emergency`), refreshed on every change and sync, so the numbers are on
//! screen with no network, no server, no session and before the wasm app has even loaded.

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
        h.push_str(&diagram(&chart.contacts));
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

const ROW: usize = 58;
const WIDTH: usize = 360;
const INDENT: usize = 18;
const FONT: f32 = 12.0;

/// The escalation tree as an SVG drawing, one box per contact under whoever calls it, numbers as `tel:`
/// links. Vertical and 360 units wide, so it reads on a phone and scales onto A4.
pub fn diagram(contacts: &[Shown]) -> String {
    let rows = contacts.len() + 1;
    let height = rows * ROW + 8;
    let mut s = format!(
        r#"<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="連絡体制図" font-family="sans-serif">"#
    );
    // The first box: whoever notices the incident.
    s.push_str(&node_box(
        0,
        0,
        "#b42318",
        "インシデントを発見した人",
        "すぐに下の順に連絡",
        "",
    ));
    let x_of = |depth: usize| 8 + (depth + 1).min(7) * INDENT;
    for (i, c) in contacts.iter().enumerate() {
        let row = i + 1;
        let x = x_of(c.depth);
        // The line from the caller's box (or the first box) down to this one.
        let (px, py) = match c
            .called_by
            .as_ref()
            .and_then(|by| contacts.iter().position(|x| &x.id == by))
        {
            Some(p) => (x_of(contacts[p].depth) + 8, (p + 1) * ROW + ROW - 10),
            None => (16, ROW - 10),
        };
        let cy = row * ROW + ROW / 2 - 4;
        s.push_str(&format!(
            r##"<path d="M{px} {py} V{cy} H{x}" fill="none" stroke="#667085" stroke-width="1.5"/>"##
        ));
        let phones: Vec<String> = c.phones.iter().map(|p| p.number.clone()).collect();
        let color = match c.group.as_str() {
            "internal" => "#1d5a85",
            "vendors" => "#6941c6",
            "police" | "ministry" => "#b54708",
            _ => "#027a48",
        };
        let mut b = node_box(
            x,
            row * ROW,
            color,
            c.label(),
            &c.title(),
            &phones.join(" / "),
        );
        if let Some(href) = c.phones.first().and_then(|p| tel_href(&p.number)) {
            b = format!(r#"<a href="{}">{b}</a>"#, escape(&href));
        }
        s.push_str(&b);
    }
    s.push_str("</svg>");
    s
}

fn node_box(x: usize, y: usize, color: &str, line1: &str, line2: &str, line3: &str) -> String {
    let w = WIDTH - x - 4;
    let h = ROW - 10;
    let room = w as f32 - 14.0;
    format!(
        r##"<g class="chart-node"><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="#ffffff" stroke="{color}" stroke-width="2"/><rect x="{x}" y="{y}" width="5" height="{h}" rx="2" fill="{color}"/><text x="{tx}" y="{y1}" font-size="{small}" fill="#475467">{}</text><text x="{tx}" y="{y2}" font-size="{FONT}" font-weight="bold" fill="#101828">{}</text><text x="{tx}" y="{y3}" font-size="{FONT}" fill="{color}">{}</text></g>"##,
        escape(&fit(line1, room, FONT - 2.0)),
        escape(&fit(line2, room, FONT)),
        escape(&fit(line3, room, FONT)),
        tx = x + 10,
        y1 = y + 13,
        y2 = y + 28,
        y3 = y + 43,
        small = FONT - 2.0,
    )
}

/// Cuts text to what fits `room` units at `size` (a full-width character is about one em, others half).
fn fit(text: &str, room: f32, size: f32) -> String {
    let mut used = 0.0;
    let mut out = String::new();
    for ch in text.chars() {
        let w = if ch.is_ascii() { 0.55 } else { 1.0 } * size;
        if used + w > room - size {
            out.push('…');
            return out;
        }
        used += w;
        out.push(ch);
    }
    out
}
