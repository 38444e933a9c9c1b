//! Not a check: captures every screen on a phone (390×844) and a tablet (820×1180), in Japanese and English
//! (and the phone in dark mode, in Japanese), into `target/screenshots/` for people reviewing the UI: what
//! the screen shows before any scrolling. Run with
//! `cargo test -p mamori-tests --test screenshots -- --ignored`. `tests/tests/layout_check.rs` checks the
//! same screens for overflow, cut text and tap sizes.

use mamori_tests::{Browser, TestServer};
use serde_json::json;

async fn capture(b: &Browser, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = b.client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// A screen: its file name, path, what shows once drawn, and a click that opens a sheet on it.
struct Screen {
    name: String,
    path: String,
    ready: &'static str,
    then: Option<(&'static str, &'static str)>,
}

fn screen(name: &str, path: &str, ready: &'static str) -> Screen {
    Screen {
        name: name.into(),
        path: path.into(),
        ready,
        then: None,
    }
}

/// Switches the language in place with the top bar's switch, if it is not `lang` already.
async fn set_lang(b: &Browser, lang: &str) {
    let switch = b
        .eval("return !!document.querySelector('.topbar .lang-switch')")
        .await;
    if switch == json!(true) && b.eval_string("return document.documentElement.lang").await != lang
    {
        // Clicked from the page: an open sheet's backdrop covers the top bar.
        b.eval("document.querySelector('.topbar .lang-switch')?.click()")
            .await;
        b.wait_until(
            "the language switched",
            &format!("document.documentElement.lang === {lang:?}"),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn capture_every_screen() {
    // As deployed: signed out, as a pharmacist meets it in the first hour (the sign-in reminder shows).
    let server = TestServer::start_signed_in().await;
    let url = server.url.clone();
    let b = Browser::start_sized(390, 844).await;
    // Headless Chromium keeps a window at least 500 px wide: the phone's size is the device metrics'.
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true }),
    )
    .await;

    // A pharmacy with something on each screen: two answers, a vendor, a device, an incident.
    b.goto(&url).await;
    b.wait("form select[name=kind]").await;
    capture(&b, "phone-ja-00-first-visit").await;
    b.fill("input[name=name]", "さくら薬局 駅前店").await;
    b.fill("select[name=kind]", "pharmacy").await;
    b.fill("input[name=user]", "佐藤 花子").await;
    b.click("button[type=submit]").await;
    b.wait(".checklist-row").await;
    let checklist = b.open_first_checklist().await;
    let checklist = checklist
        .strip_prefix(&url)
        .unwrap_or(&checklist)
        .to_string();
    b.click(r#".section-tabs a[href$="/section/2"]"#).await;
    b.click(r#"li[data-item="2-①"] button[data-choice="yes"]"#)
        .await;
    b.click(r#"li[data-item="2-②"] button[data-choice="no"]"#)
        .await;
    let sections: Vec<String> = b
        .eval("return [...document.querySelectorAll('.section-tabs a')].map(a => new URL(a.href).pathname)")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
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
    b.fill(".row-sheet input[name=os]", "Windows 11 Pro").await;
    b.click(".save-row").await;
    b.wait(".ledger-row").await;
    b.goto(&format!("{url}/incidents")).await;
    b.fill("input[name=incident_title]", "電子薬歴が開けない")
        .await;
    b.click(".start-incident button[type=submit]").await;
    b.wait(".add-entry").await;
    b.click(r#"button.step[data-step="0"]"#).await;
    b.wait(".timeline-entry").await;
    let incident = b.client.current_url().await.unwrap().path().to_string();

    let mut screens = vec![screen("01-home", "/", ".checklist-row")];
    screens.push(screen("02-setup", "/setup", "main .page"));
    for (i, s) in sections.iter().enumerate() {
        screens.push(screen(
            &format!("03-checklist-{}", i + 1),
            s,
            "li.item .choice",
        ));
    }
    screens.extend([
        screen("04-print", &format!("{checklist}/print"), ".print-sheet"),
        screen("05-emergency", "/emergency", ".call"),
        screen("06-contacts", "/contacts", ".chart-diagram svg"),
        Screen {
            then: Some((
                r#"li.contact-row[data-contact="t-officer"] .edit-contact"#,
                ".contact-sheet",
            )),
            ..screen("07-contact-sheet", "/contacts", ".chart-diagram svg")
        },
        screen("08-incidents", "/incidents", ".incident-row"),
        screen("09-incident", &incident, ".timeline-entry"),
        screen("10-devices", "/ledgers/devices", ".ledger-row"),
        Screen {
            then: Some((".ledger-row", ".row-sheet")),
            ..screen("11-device-sheet", "/ledgers/devices", ".ledger-row")
        },
        screen("12-accounts", "/ledgers/accounts", ".ledger-table"),
        screen("13-vendors", "/vendors", ".vendor-row"),
        Screen {
            then: Some((".edit-vendor", ".vendor-sheet")),
            ..screen("14-vendor-sheet", "/vendors", ".vendor-row")
        },
        screen("15-settings", "/settings", "main .page"),
        screen("16-people", "/people", "main .page"),
        screen("17-log", "/log", "main .page"),
        screen("18-account", "/account", "main .page"),
        screen("19-vendor", "/vendor", "main .page"),
    ]);

    for (size, w, h, dark) in [
        ("phone", 390, 844, false),
        ("tablet", 820, 1180, false),
        ("phone-dark", 390, 844, true),
    ] {
        b.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": w, "height": h, "deviceScaleFactor": 1, "mobile": true }),
        )
        .await;
        b.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": if dark { "dark" } else { "light" } }] }),
        )
        .await;
        let langs: &[&str] = if dark { &["ja"] } else { &["ja", "en"] };
        for s in &screens {
            b.goto(&format!("{url}{}", s.path)).await;
            b.wait(s.ready).await;
            if let Some((click, sheet)) = s.then {
                b.click(click).await;
                b.wait(sheet).await;
            }
            for lang in langs {
                set_lang(&b, lang).await;
                capture(&b, &format!("{size}-{lang}-{}", s.name)).await;
            }
        }
        set_lang(&b, "ja").await;
    }
    b.close().await;
}
