//! Every screen holds on a phone (390×844) and a tablet (820×1180), in Japanese and in English: nothing
//! pushes the page sideways (only a scroll container such as the ledger table may be wider than the screen),
//! no button, badge or state pill cuts its text (nor a field its placeholder), every button, field and
//! toggle is at least 44 px each way, every field has a label (visible or aria), the header stays one row, a
//! sheet's 保存/キャンセル are on screen, and a checklist section's first はい/いいえ are above the fold on
//! the phone. And no screen logs an error, signed out, signed in (a passkey, as deployed) or offline.
//!
//! One browser tours all of it: the window is resized in place and the language switched in place (the top
//! bar's switch), so each screen loads once per size and state. Each problem names the state, size,
//! language, route and element, and all problems are reported together.

use std::time::Duration;

use mamori_tests::{Browser, TestServer};
use serde_json::{Value, json};

/// The phone and the tablet, in CSS pixels.
const SIZES: [(&str, u32, u32); 2] = [("phone 390×844", 390, 844), ("tablet 820×1180", 820, 1180)];

/// Records the page's errors (console.error, uncaught exceptions, rejected promises) in sessionStorage, so
/// errors logged while a screen loads or between two checks are read at the next check.
const ERROR_HOOK: &str = "(() => { const keep = (what) => { try { \
    const l = JSON.parse(sessionStorage.getItem('__errors') || '[]'); l.push(location.pathname + ': ' + what); \
    sessionStorage.setItem('__errors', JSON.stringify(l)); } catch (_) {} }; \
    const o = console.error; console.error = (...a) => { keep(a.map(String).join(' ')); o.apply(console, a); }; \
    addEventListener('error', e => keep('uncaught: ' + e.message)); \
    addEventListener('unhandledrejection', e => keep('unhandled rejection: ' + String(e.reason))); })();";

/// The layout checks, run in the page with the screen's size (`vw`, `vh`) given: a list of problems, each
/// naming the element.
const CHECK: &str = r#"
const problems = [];
const name = el => {
  let s = el.tagName.toLowerCase();
  if (el.id) s += '#' + el.id;
  for (const c of el.classList) s += '.' + c;
  for (const a of ['name', 'data-item', 'data-choice', 'href']) if (el.getAttribute(a)) s += `[${a}="${el.getAttribute(a)}"]`;
  const t = (el.innerText || el.value || el.getAttribute('aria-label') || el.placeholder || '').trim().replace(/\s+/g, ' ').slice(0, 40);
  return t ? `${s} 「${t}」` : s;
};
const shown = el => {
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) return false;
  const cs = getComputedStyle(el);
  return cs.visibility !== 'hidden' && cs.display !== 'none';
};
// Inside something that scrolls or clips sideways (the ledger table's wrapper, say): not the page's width.
const contained = el => {
  for (let p = el.parentElement; p && p !== document.body && p !== document.documentElement; p = p.parentElement) {
    if (/(auto|scroll|hidden|clip)/.test(getComputedStyle(p).overflowX)) return true;
  }
  return false;
};
const se = document.scrollingElement;
if (se.scrollWidth > vw) problems.push(`the page scrolls sideways: ${se.scrollWidth} px wide on a ${vw} px screen`);
const out = [];
for (const el of document.body.querySelectorAll('*')) {
  if (!shown(el) || el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
  const r = el.getBoundingClientRect();
  if ((r.right > vw + 1 || r.left < -1) && !contained(el) && getComputedStyle(el).position !== 'fixed') {
    // Only the outermost: its children overflow with it.
    if (!out.some(o => o.contains(el))) { out.push(el); problems.push(`${name(el)} reaches past the screen (${Math.round(r.left)}…${Math.round(r.right)} px of ${vw})`); }
  }
}
// Text that runs past the screen out of a box that does not (a long address or hash with no break).
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let t = walker.nextNode(); t; t = walker.nextNode()) {
  const el = t.parentElement;
  if (!t.textContent.trim() || !el || !shown(el) || el.closest('svg') || out.some(o => o.contains(el)) || contained(t)) continue;
  const range = document.createRange();
  range.selectNodeContents(t);
  const r = range.getBoundingClientRect();
  if (r.right > vw + 1 || r.left < -1) { out.push(el); problems.push(`the text of ${name(el)} runs past the screen (${Math.round(r.left)}…${Math.round(r.right)} px of ${vw})`); }
}
const texts = 'button, .button, .badge, .save-state, .sync-state, a.tile, .tab, .emergency-button, .icon-button, .lang-switch, .sort, summary, .flag';
for (const el of document.querySelectorAll(texts)) {
  if (!shown(el)) continue;
  if (el.scrollWidth > el.clientWidth + 1) problems.push(`${name(el)} cuts its text (${el.scrollWidth} px of text in ${el.clientWidth} px)`);
  else if (el.scrollHeight > el.clientHeight + 1 && getComputedStyle(el).overflowY !== 'visible') problems.push(`${name(el)} cuts its text (${el.scrollHeight} px of lines in ${el.clientHeight} px)`);
}
const targets = 'button, .button, input, select, textarea, summary, a.tile, .tab, .icon-button, .emergency-button, .lang-switch';
for (const el of document.querySelectorAll(targets)) {
  if (!shown(el) || el.type === 'hidden') continue;
  // A checkbox or radio button is tapped through its label.
  const box = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label') ? el.closest('label') : el;
  const r = box.getBoundingClientRect();
  if (r.height < 43.5 || r.width < 43.5) problems.push(`${name(box)} is too small to tap (${Math.round(r.width)}×${Math.round(r.height)} px, at least 44×44)`);
}
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (!shown(el) || el.type === 'hidden') continue;
  const labelled = el.labels && el.labels.length > 0 || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title;
  if (!labelled) problems.push(`${name(el)} has no label (a placeholder is not one)`);
}
// A placeholder is a hint only when it shows whole.
const pen = document.createElement('canvas').getContext('2d');
for (const el of document.querySelectorAll('input[placeholder]')) {
  if (!shown(el) || el.value || !el.placeholder) continue;
  const cs = getComputedStyle(el);
  pen.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
  const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const need = pen.measureText(el.placeholder).width;
  if (need > room + 1) problems.push(`${name(el)} cuts its placeholder (${Math.round(need)} px of text in ${Math.round(room)} px)`);
}
const bar = document.querySelector('.topbar');
if (bar && bar.getBoundingClientRect().height > 72) problems.push(`the top bar takes two rows (${Math.round(bar.getBoundingClientRect().height)} px high)`);
const emergency = document.querySelector('.topbar .emergency-button');
if (bar && (!emergency || !shown(emergency))) problems.push('the top bar hides 緊急連絡');
for (const sheet of document.querySelectorAll('.sheet')) {
  const actions = sheet.querySelector('.row-actions, .sheet-actions');
  if (!actions) { problems.push(`${name(sheet)} has no actions`); continue; }
  const a = actions.getBoundingClientRect();
  if (a.top < 0 || a.bottom > vh + 1) problems.push(`${name(actions)} of the sheet is off screen (${Math.round(a.top)}…${Math.round(a.bottom)} px of ${vh})`);
}
return problems;
"#;

/// One screen of the tour: its path, what shows once it is drawn, and what to click on it first (a sheet
/// to open) with what shows then.
struct Screen {
    path: String,
    ready: &'static str,
    then: Option<(&'static str, &'static str)>,
}

fn screen(path: &str, ready: &'static str) -> Screen {
    Screen {
        path: path.to_string(),
        ready,
        then: None,
    }
}

/// Resizes the page's viewport in place (the same browser, the same profile and service worker), as a
/// phone or tablet has it: its scroll bars drawn over the page, taking no width.
async fn resize(b: &Browser, w: u32, h: u32) {
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": w, "height": h, "deviceScaleFactor": 1, "mobile": true }),
    )
    .await;
}

async fn lang(b: &Browser) -> String {
    b.eval_string("return document.documentElement.lang").await
}

/// Waits two animation frames: whatever the last change asked for is laid out and painted.
async fn settle(b: &Browser) {
    b.eval_async("requestAnimationFrame(() => requestAnimationFrame(() => done(null)));")
        .await;
}

/// The errors the page logged since the last call.
async fn errors(b: &Browser) -> Vec<String> {
    let v = b
        .eval(
            "const l = JSON.parse(sessionStorage.getItem('__errors') || '[]'); \
             sessionStorage.removeItem('__errors'); return l;",
        )
        .await;
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect()
}

/// Checks the screen as it is now; problems are prefixed with where they were seen.
async fn check(
    b: &Browser,
    (at, w, h): (&str, u32, u32),
    s: &Screen,
    extra: &mut Vec<String>,
) -> Vec<String> {
    settle(b).await;
    let l = lang(b).await;
    let mut problems: Vec<String> = b
        .eval(&format!("const vw = {w}, vh = {h};\n{CHECK}"))
        .await
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect();
    problems.append(extra);
    problems
        .into_iter()
        .map(|p| format!("[{at}, {l}] {}: {p}", s.path))
        .collect()
}

/// Tours the screens at one size in both languages (switching in place: each screen is checked in the
/// language it opens in, then in the other); returns the problems found.
async fn tour(
    b: &Browser,
    url: &str,
    at: &str,
    (w, h): (u32, u32),
    screens: &[Screen],
) -> Vec<String> {
    let phone = w < 600;
    let mut found = Vec::new();
    for s in screens {
        b.goto(&format!("{url}{}", s.path)).await;
        b.wait(s.ready).await;
        if let Some((click, sheet)) = s.then {
            b.click(click).await;
            b.wait(sheet).await;
        }
        for round in 0..2 {
            let mut extra = Vec::new();
            if phone && s.path.contains("/section/") {
                // The first answer buttons show without scrolling.
                let bottom = b
                    .eval("return document.querySelector('li.item .choice')?.getBoundingClientRect().bottom ?? -1")
                    .await
                    .as_f64()
                    .unwrap_or(-1.0);
                if !(0.0..=h as f64).contains(&bottom) {
                    extra.push(format!("the first answer buttons are below the fold (bottom at {bottom:.0} px of {h})"));
                }
            }
            found.extend(check(b, (at, w, h), s, &mut extra).await);
            for e in errors(b).await {
                found.push(format!("[{at}] {}: the page logged an error: {e}", s.path));
            }
            // The static 緊急連絡 copy (served by the service worker) has no language switch.
            let switch = b
                .eval("return !!document.querySelector('.topbar .lang-switch')")
                .await;
            if round == 0 && switch == Value::Bool(true) {
                let before = lang(b).await;
                // Clicked from the page: an open sheet's backdrop covers the top bar.
                b.eval("document.querySelector('.topbar .lang-switch').click()")
                    .await;
                b.wait_until(
                    "the language switched",
                    &format!("document.documentElement.lang !== {before:?}"),
                )
                .await;
            } else if round == 0 {
                break;
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_holds_on_a_phone_and_a_tablet_in_both_languages() {
    let started = std::time::Instant::now();
    let server = TestServer::start_signed_in().await;
    let url = server.url.clone();
    let b = Browser::start_sized(390, 844).await;
    b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": ERROR_HOOK }),
    )
    .await;
    b.add_virtual_authenticator().await;

    // Step 1: a pharmacy set up on this device, signed out, with something on each screen: a vendor, a
    // ledger row, an incident.
    b.set_up_facility(&url, "さくら薬局 駅前店", "pharmacy", "佐藤 花子")
        .await;
    let checklist = b.open_first_checklist().await;
    let sections: Vec<String> = b
        .eval("return [...document.querySelectorAll('.section-tabs a')].map(a => new URL(a.href).pathname)")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(sections.len() >= 3, "{sections:?}");
    b.add_vendor(
        &url,
        "株式会社メディシステム",
        "電子薬歴・レセコン",
        "03-1234-5678",
    )
    .await;
    b.goto(&format!("{url}/ledgers/devices")).await;
    b.click(".add-row").await;
    b.fill(".row-sheet input[name=computer_name]", "受付PC-01")
        .await;
    b.fill(".row-sheet input[name=number]", "A-001").await;
    b.click(".save-row").await;
    b.wait(".ledger-row").await;
    b.goto(&format!("{url}/incidents")).await;
    b.fill("input[name=incident_title]", "電子薬歴が開けない")
        .await;
    b.click(".start-incident button[type=submit]").await;
    b.wait(".add-entry").await;
    let incident = b.client.current_url().await.unwrap().path().to_string();
    // The ledger shows the device's name first, and keeps it in view while the table scrolls sideways.
    b.goto(&format!("{url}/ledgers/devices")).await;
    b.wait(".ledger-row").await;
    let first = b
        .eval(
            "const th = document.querySelector('.ledger-table th'); \
             const td = document.querySelector('.ledger-row td'); \
             return [th.textContent, td.textContent, getComputedStyle(td).position, getComputedStyle(th).position];",
        )
        .await;
    assert_eq!(
        first,
        json!(["コンピュータ名", "受付PC-01", "sticky", "sticky"]),
        "the ledger's first column is the device's name, sticky"
    );

    let mut screens = vec![
        screen("/", ".checklist-row"),
        screen("/setup", "main form, main .page"),
    ];
    let path = |u: &str| u.strip_prefix(url.as_str()).unwrap_or(u).to_string();
    for s in &sections {
        screens.push(screen(s, "li.item .choice"));
    }
    screens.extend([
        screen(&format!("{}/print", path(&checklist)), ".print-sheet"),
        screen("/contacts", ".chart-diagram svg"),
        Screen {
            then: Some(("li.contact-row .edit-contact", ".contact-sheet")),
            ..screen("/contacts", ".chart-diagram svg")
        },
        screen("/emergency", ".call"),
        screen("/incidents", ".incident-row"),
        screen(&incident, ".add-entry"),
        screen("/ledgers/devices", ".ledger-row"),
        Screen {
            then: Some((".ledger-row", ".row-sheet")),
            ..screen("/ledgers/devices", ".ledger-row")
        },
        screen("/ledgers/accounts", ".ledger-table"),
        screen("/vendors", ".vendor-row"),
        Screen {
            then: Some((".add-vendor", ".vendor-sheet")),
            ..screen("/vendors", ".vendor-row")
        },
        screen("/evidence", ".bcp-stage"),
        Screen {
            then: Some((".add-record", ".record-sheet")),
            ..screen("/evidence", ".bcp-stage")
        },
        screen("/readiness", ".readiness-line"),
        screen("/reminders", ".reminders .lead"),
        screen("/binder", ".binder-cover"),
        screen("/settings", "main .page"),
        screen("/people", "main .page"),
        screen("/log", "main .page"),
        screen("/account", "main .page"),
        screen("/vendor", "main .page"),
        screen("/set-aside", "main .page"),
    ]);

    let mut problems = Vec::new();
    // Step 2: signed out (the server asks for sign-in: the top bar and its banner say so).
    b.wait(".sign-in-banner").await;
    for (size, w, h) in SIZES {
        resize(&b, w, h).await;
        problems.extend(tour(&b, &url, &format!("signed out, {size}"), (w, h), &screens).await);
    }
    println!("signed out: {:.0?}", started.elapsed());
    // The sign-in reminder closes with its ×, and stays closed for this browser session (the top bar still
    // says サインイン).
    b.goto(&url).await;
    b.click(".sign-in-banner .banner-close").await;
    b.wait_until(
        "the reminder is closed",
        "!document.querySelector('.sign-in-banner')",
    )
    .await;
    b.goto(&format!("{url}/contacts")).await;
    b.wait(".chart-diagram svg").await;
    assert_eq!(
        b.eval("return !!document.querySelector('.sign-in-banner')")
            .await,
        Value::Bool(false),
        "the closed reminder stays closed on the next screen"
    );

    // Step 3: signed in with a passkey, the facility registered, its documents synced.
    let code = server.registration_code().await;
    b.goto(&format!("{url}/account?code={code}")).await;
    b.wait(".register-facility").await;
    b.fill(".person-name", "佐藤 花子").await;
    b.click(".register-facility").await;
    b.wait(".me").await;
    b.goto(&url).await;
    b.wait(r#".checklist-row .sync-state[data-sync="synced"]"#)
        .await;
    for (size, w, h) in SIZES {
        resize(&b, w, h).await;
        problems.extend(tour(&b, &url, &format!("signed in, {size}"), (w, h), &screens).await);
    }
    println!("signed in: {:.0?}", started.elapsed());

    // Step 4: offline, each screen opened afresh from the service worker's copy.
    b.wait_for_service_worker().await;
    b.set_offline(true).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (size, w, h) = SIZES[0];
    resize(&b, w, h).await;
    problems.extend(tour(&b, &url, &format!("offline, {size}"), (w, h), &screens).await);
    println!("offline: {:.0?}", started.elapsed());

    b.close().await;
    assert!(
        problems.is_empty(),
        "{} layout problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
