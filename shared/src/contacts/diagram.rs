//! The contact chart as an SVG drawing: one box per contact under whoever calls it, each box with the
//! contact's role, full name, numbers (as `tel:` links) and hours, text wrapped onto more lines rather than
//! cut.
//!
//! Two drawings of the same chart: one for the screen (360 units wide: it reads on a phone and beside the
//! call list) and one for A4 paper, drawn in points at the page's printable width so its smallest text is
//! 10.5 pt, split into parts at most a page tall so a long chart goes onto a second page between two boxes
//! instead of being shrunk. The stylesheet shows one or the other (`public/emergency.css`).

use super::page::escape;
use super::{Shown, tel_href};

/// How one drawing is laid out, in its own units.
struct Layout {
    /// The drawing's class (which of the two the stylesheet shows).
    class: &'static str,
    width: f32,
    /// The role and the hours.
    small: f32,
    /// The name and the numbers.
    large: f32,
    /// Space from one depth of the tree to the next.
    indent: f32,
    /// Inside a box, above and below its text.
    pad: f32,
    /// Between two boxes.
    gap: f32,
    /// A part's height at most: the first part leaves room for the page's heading. `None`: one part.
    pages: Option<(f32, f32)>,
}

/// For the screen: as wide as a phone, the size text is read at on a tablet beside the call list.
const SCREEN: Layout = Layout {
    class: "chart-screen",
    width: 360.0,
    small: 10.0,
    large: 12.0,
    indent: 18.0,
    pad: 5.0,
    gap: 8.0,
    pages: None,
};

/// For A4 portrait: one unit is one point when the drawing fills the printable width (186 mm with 12 mm
/// margins, 527 pt), so 10.5 units print at 10.5 pt (10 pt and more even if the margins are 15 mm). A page
/// holds 774 pt; the first part leaves room for the chart's heading (the facility, the dates).
const PRINT: Layout = Layout {
    class: "chart-print",
    width: 527.0,
    small: 10.5,
    large: 11.5,
    indent: 16.0,
    pad: 4.0,
    gap: 6.0,
    pages: Some((620.0, 730.0)),
};

/// Height of a line of text of the given size.
fn line_height(size: f32) -> f32 {
    size * 1.3
}

/// The diagram's own words (the contacts' are theirs, see [`super::english`] for the template's).
#[derive(Debug, Clone, Copy)]
pub struct Words {
    pub title: &'static str,
    pub noticed: &'static str,
    pub call: &'static str,
    pub no_number: &'static str,
    pub hours: &'static str,
    /// Between a label and what follows it on one line.
    pub gap: &'static str,
}

/// The static 緊急連絡 copy and the Japanese screen.
pub const JA: Words = Words {
    title: "連絡体制図",
    noticed: "インシデントを発見した人",
    call: "すぐに下の順に連絡",
    no_number: "電話番号 未登録",
    hours: "受付時間",
    gap: "　",
};

/// The English screen.
pub const EN: Words = Words {
    title: "Contact chart",
    noticed: "Whoever notices the incident",
    call: "calls these, in this order",
    no_number: "No number yet",
    hours: "Hours",
    gap: " ",
};

/// The escalation tree drawn twice: for the screen and, split into page-sized parts, for print.
pub fn diagram(contacts: &[Shown], words: &Words) -> String {
    let mut s = draw(contacts, &SCREEN, words);
    s.push_str(&draw(contacts, &PRINT, words));
    s
}

/// A piece of text in one style.
struct Span {
    text: String,
    size: f32,
    bold: bool,
    fill: &'static str,
}

/// One box: the lines of text it holds, placed.
struct Node {
    x: f32,
    y: f32,
    height: f32,
    color: &'static str,
    /// Each line: its baseline offset from the box's top and its pieces.
    lines: Vec<(f32, Vec<(usize, String)>)>,
    spans: Vec<Span>,
    href: Option<String>,
    /// The box this one is called from (`None`: from the first box).
    parent: Option<usize>,
}

fn span(text: impl Into<String>, size: f32, bold: bool, fill: &'static str) -> Span {
    Span {
        text: text.into(),
        size,
        bold,
        fill,
    }
}

fn draw(contacts: &[Shown], l: &Layout, words: &Words) -> String {
    let x_of = |depth: usize| 8.0 + (depth + 1).min(8) as f32 * l.indent;
    // The first box: whoever notices the incident.
    let mut nodes = vec![place(
        0.0,
        "#b42318",
        vec![vec![
            span(
                format!("{}{}", words.noticed, words.gap),
                l.small,
                false,
                "#475467",
            ),
            span(words.call, l.large, true, "#101828"),
        ]],
        l,
    )];
    for c in contacts {
        let color = match c.group.as_str() {
            "internal" => "#1d5a85",
            "vendors" => "#6941c6",
            "police" | "ministry" => "#b54708",
            _ => "#027a48",
        };
        let who = vec![
            span(
                format!("{}{}", c.label(), words.gap),
                l.small,
                false,
                "#475467",
            ),
            span(c.title(), l.large, true, "#101828"),
        ];
        let phones: Vec<&str> = c.phones.iter().map(|p| p.number.as_str()).collect();
        let mut reach = if phones.is_empty() {
            vec![span(words.no_number, l.small, false, "#b42318")]
        } else {
            vec![span(phones.join(" / "), l.large, true, color)]
        };
        if !c.hours.trim().is_empty() {
            reach.push(span(
                format!("{}{} {}", words.gap, words.hours, c.hours.trim()),
                l.small,
                false,
                "#475467",
            ));
        }
        let mut node = place(x_of(c.depth), color, vec![who, reach], l);
        node.href = c.phones.first().and_then(|p| tel_href(&p.number));
        node.parent = c
            .called_by
            .as_ref()
            .and_then(|by| contacts.iter().position(|x| &x.id == by))
            .map(|p| p + 1);
        nodes.push(node);
    }
    // Stack the boxes, then cut the stack into parts between two boxes.
    let mut y = 0.0;
    for n in &mut nodes {
        n.y = y;
        y += n.height + l.gap;
    }
    let mut parts: Vec<(f32, f32)> = Vec::new();
    let mut start = 0.0;
    for n in &nodes {
        let limit = match (l.pages, parts.is_empty()) {
            (None, _) => f32::INFINITY,
            (Some((first, _)), true) => first,
            (Some((_, next)), false) => next,
        };
        if n.y + n.height - start > limit && n.y > start {
            parts.push((start, n.y - l.gap));
            start = n.y;
        }
    }
    parts.push((start, y - l.gap + 2.0));
    parts
        .iter()
        .map(|&(top, bottom)| part(&nodes, l, top, bottom, words.title))
        .collect()
}

/// One box at `x`: its lines wrapped to the room it has.
fn place(x: f32, color: &'static str, paragraphs: Vec<Vec<Span>>, l: &Layout) -> Node {
    // The text starts 12 units into the box and keeps 10 from its right edge.
    let room = l.width - x - 4.0 - 12.0 - 10.0;
    let mut spans = Vec::new();
    let mut lines = Vec::new();
    let mut height = l.pad;
    for paragraph in paragraphs {
        let first = spans.len();
        spans.extend(paragraph);
        for line in wrap(&spans[first..], room) {
            let size = line
                .iter()
                .map(|(i, _)| spans[first + i].size)
                .fold(0.0, f32::max);
            let h = line_height(size);
            // The baseline sits where the text's ascent (about 0.9 em) fits under the line above.
            lines.push((
                height + (h - size) / 2.0 + size * 0.88,
                line.into_iter().map(|(i, t)| (first + i, t)).collect(),
            ));
            height += h;
        }
    }
    Node {
        x,
        y: 0.0,
        height: height + l.pad,
        color,
        lines,
        spans,
        href: None,
        parent: None,
    }
}

/// How wide a character is, in ems: CJK full width, Latin letters and digits about half.
fn em(ch: char) -> f32 {
    match ch {
        ' ' => 0.3,
        c if c.is_ascii() => 0.6,
        '\u{ff61}'..='\u{ff9f}' => 0.5,
        _ => 1.0,
    }
}

/// What may not start a line (closing brackets, punctuation) or end one (opening brackets).
fn no_start(ch: char) -> bool {
    "）」』】〕、。，．・：；？！ー〜ゃゅょっャュョッぁぃぅぇぉァィゥェォ)]}.,:;!?/".contains(ch)
}
fn no_end(ch: char) -> bool {
    "（「『【〔([{".contains(ch)
}

/// Splits text into what a line may not break inside: a run of Latin letters and digits (a phone number,
/// a company's English name) stays whole; each CJK character stands alone, with its punctuation.
fn units(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut glue_next = false;
    for ch in text.chars() {
        let latin = ch.is_ascii_alphanumeric() || "-#+*().".contains(ch);
        let join = match out.last() {
            None => false,
            Some(last) => {
                let prev = last.chars().last().unwrap_or(' ');
                glue_next
                    || no_start(ch)
                    || (latin
                        && (prev.is_ascii_alphanumeric() || "-#+*().".contains(prev))
                        && prev != ' ')
            }
        };
        if join {
            if let Some(last) = out.last_mut() {
                last.push(ch);
            }
        } else {
            out.push(ch.to_string());
        }
        glue_next = no_end(ch);
    }
    out
}

/// What a line may break between: where a name has spaces (株式会社ほくとメディカル 東日本サポートセンター),
/// at a space, each word whole if it takes at most half a line; elsewhere between characters ([`units`]).
fn pieces(text: &str, size: f32, room: f32) -> Vec<String> {
    let mut out = Vec::new();
    for (k, word) in text.split(' ').enumerate() {
        if k > 0 {
            out.push(" ".to_string());
        }
        let width: f32 = word.chars().map(em).sum::<f32>() * size;
        if width <= room / 2.0 && !word.is_empty() {
            out.push(word.to_string());
        } else {
            out.extend(units(word));
        }
    }
    out
}

/// Flows spans into lines no wider than `room`: each line a list of (span index, text).
fn wrap(spans: &[Span], room: f32) -> Vec<Vec<(usize, String)>> {
    let mut lines: Vec<Vec<(usize, String)>> = vec![Vec::new()];
    let mut used = 0.0;
    for (i, s) in spans.iter().enumerate() {
        for unit in pieces(&s.text, s.size, room) {
            let w: f32 = unit.chars().map(em).sum::<f32>() * s.size;
            if used + w > room && used > 0.0 {
                // A space at a line's end is dropped; the new line starts with this unit.
                lines.push(Vec::new());
                used = 0.0;
                if unit.trim().is_empty() {
                    continue;
                }
            }
            used += w;
            let line = lines.last_mut().expect("a line");
            match line.last_mut() {
                Some((j, text)) if *j == i => text.push_str(&unit),
                _ => line.push((i, unit)),
            }
        }
    }
    // A space before a break is not drawn.
    for line in &mut lines {
        if let Some((_, text)) = line.last_mut() {
            text.truncate(text.trim_end_matches(' ').len());
        }
        line.retain(|(_, text)| !text.is_empty());
    }
    lines.retain(|l| !l.is_empty());
    lines
}

/// The drawing of the boxes between `top` and `bottom`, with every line that passes through it.
fn part(nodes: &[Node], l: &Layout, top: f32, bottom: f32, title: &str) -> String {
    let (w, h) = (l.width, bottom - top);
    let mut s = format!(
        r#"<svg class="chart-svg {}" xmlns="http://www.w3.org/2000/svg" viewBox="0 {top} {w} {h}" width="{w}" height="{h}" role="img" aria-label="{title}" font-family="sans-serif">"#,
        l.class
    );
    // The lines first, under the boxes: from the caller's left edge down, then across to the box.
    for n in nodes.iter().skip(1) {
        let p = &nodes[n.parent.unwrap_or(0)];
        let (px, py) = (p.x + 8.0, p.y + p.height);
        let cy = n.y + l.pad + line_height(l.large) / 2.0;
        if py < bottom && cy > top {
            s.push_str(&format!(
                r##"<path d="M{px} {py} V{cy} H{x}" fill="none" stroke="#667085" stroke-width="1.5"/>"##,
                x = n.x
            ));
        }
    }
    for n in nodes.iter().filter(|n| n.y >= top && n.y < bottom) {
        s.push_str(&node(n, l));
    }
    s.push_str("</svg>");
    s
}

fn node(n: &Node, l: &Layout) -> String {
    let (x, y, h, color) = (n.x, n.y, n.height, n.color);
    let w = l.width - x - 4.0;
    let mut g = format!(
        r##"<g class="chart-node"><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="#ffffff" stroke="{color}" stroke-width="2"/><rect x="{x}" y="{y}" width="5" height="{h}" rx="2" fill="{color}"/>"##
    );
    for (baseline, pieces) in &n.lines {
        g.push_str(&format!(r#"<text x="{}" y="{}">"#, x + 12.0, y + baseline));
        for (i, text) in pieces {
            let sp = &n.spans[*i];
            g.push_str(&format!(
                r#"<tspan font-size="{}"{} fill="{}">{}</tspan>"#,
                sp.size,
                if sp.bold {
                    r#" font-weight="bold""#
                } else {
                    ""
                },
                sp.fill,
                escape(text)
            ));
        }
        g.push_str("</text>");
    }
    g.push_str("</g>");
    match &n.href {
        Some(href) => format!(r#"<a href="{}">{g}</a>"#, escape(href)),
        None => g,
    }
}
