//! A vendor supplies the 機器台帳 rows of the devices it maintains: the facility asks it (a contribution
//! holding the ledger's rows of that vendor), the vendor's user edits one and adds one offline, comes back
//! online; the 管理者 sees both in 「事業者からの提案」 with what differs from the ledger, accepts one and
//! rejects the other; the 機器台帳 holds the accepted row with the vendor, the vendor sees which were taken.
//! The vendor never sees the ledger: not by URL in the app, not by document id on a raw socket.

use std::time::{Duration, Instant};

use automerge::{AutoCommit, ReadDoc};
use mamori_shared::model::DocumentId;
use mamori_shared::schema::DocKind;
use mamori_shared::schema::index;
use mamori_tests::passkeys::{my_facility, registered_admin, run, session_cookie};
use mamori_tests::sync_client::Device;
use mamori_tests::{Browser, TestServer};

const VENDOR: &str = "ABCメディカル株式会社";
const OTHER: &str = "XYZネットワーク";
/// A value only the other vendor's row holds: it must never reach the vendor's browser.
const SECRET: &str = "院長室-非公開";

/// As the administrator: a row of the 機器台帳 through its form sheet.
async fn add_ledger_row(b: &Browser, url: &str, number: &str, os: &str, vendor: &str) {
    b.goto(&format!("{url}/ledgers/devices")).await;
    b.click(".add-row").await;
    b.fill(".row-sheet input[name=number]", number).await;
    b.fill(".row-sheet input[name=os]", os).await;
    b.fill(".row-sheet input[name=location]", SECRET).await;
    b.fill(".row-sheet input[name=vendor]", vendor).await;
    b.click(".save-row").await;
    b.wait_until(
        "the row is in the ledger",
        &format!(
            "[...document.querySelectorAll('.ledger-row')].some(r => r.textContent.includes({number:?}))"
        ),
    )
    .await;
    // On the device before the page is left (a change is sent only once saved).
    b.wait_saved().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_supplies_its_devices_rows_and_the_facility_decides() {
    let server = TestServer::start_signed_in().await;
    let url = &server.url;

    // Step 1: the 管理者 registers two vendors and one device of each in the 機器台帳.
    let admin = registered_admin(&server, "さくら内科", "佐藤 花子").await;
    admin.add_vendor(url, VENDOR, "電子カルテ", "").await;
    admin.add_vendor(url, OTHER, "VPN", "").await;
    admin.wait_saved().await;
    add_ledger_row(&admin, url, "PC-001", "Windows 10", VENDOR).await;
    add_ledger_row(&admin, url, "NW-002", "RTX1300", OTHER).await;

    // Step 2: on 事業者, it asks the vendor for its devices' rows.
    admin.goto(&format!("{url}/vendors")).await;
    admin.wait(".vendor-row .ask-devices").await;
    let vendor_id = admin
        .eval_string(&format!(
            "return [...document.querySelectorAll('.vendor-row')].find(e => e.textContent.includes({VENDOR:?})).dataset.vendor"
        ))
        .await;
    let row = format!(r#".vendor-row[data-vendor="{vendor_id}"]"#);
    admin
        .wait_until(
            "the ledger's device of this vendor is counted",
            &format!("document.querySelector('{row}').textContent.includes('1台')"),
        )
        .await;
    admin.click(&format!("{row} .ask-devices")).await;
    admin
        .wait(&format!("{row} .vendor-proposals .no-proposals"))
        .await;
    // On the device before the page is left (a change is sent only once saved).
    admin.wait_saved().await;

    // Step 3: it invites the vendor's user (事業者, tied to that vendor), who joins in its own browser.
    admin.goto(&format!("{url}/people")).await;
    admin.wait(".invite-name").await;
    admin.fill(".invite-name", "山本 次郎").await;
    admin.fill(".invite-role", "vendor").await;
    admin
        .wait(&format!(r#".invite-vendor option[value="{vendor_id}"]"#))
        .await;
    admin.fill(".invite-vendor", &vendor_id).await;
    admin.click(".send-invitation").await;
    admin.wait(".invite-link").await;
    let link = admin
        .eval_string("return document.querySelector('.invite-link').value")
        .await;
    let vendor = Browser::start().await;
    vendor.add_virtual_authenticator().await;
    vendor.goto(&link).await;
    vendor.wait(".accept-invitation").await;
    vendor.fill(".person-name", "山本 次郎").await;
    vendor.click(".accept-invitation").await;
    // The server lists the contribution for this vendor once the facility's device registered it.
    let start = Instant::now();
    loop {
        let me = run(&vendor, "return api('GET', '/api/me');").await;
        if me["body"]["memberships"][0]["documents"]
            .as_array()
            .is_some_and(|d| d.len() == 1)
        {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{me}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    vendor.goto(&format!("{url}/vendor")).await;
    vendor
        .wait_until(
            "its device arrived",
            "document.querySelector('.devices-row')?.textContent.includes('1台')",
        )
        .await;
    vendor.click(".devices-row .devices-link").await;
    vendor.wait("tr.vendor-device").await;
    let shown = vendor.eval_string("return document.body.textContent").await;
    assert!(shown.contains("PC-001"), "its own device is handed over");
    assert!(
        !shown.contains("NW-002") && !shown.contains("RTX1300"),
        "another vendor's device is not: {shown}"
    );
    vendor
        .wait(r#".vendor-devices .sync-state[data-sync="synced"]"#)
        .await;
    let contribution_url = vendor.eval_string("return location.pathname").await;

    // Step 4: offline, the vendor updates its device and adds one.
    vendor.set_offline(true).await;
    vendor.wait(r#".save-state[data-network="offline"]"#).await;
    vendor.click("tr.vendor-device .edit-device").await;
    vendor
        .fill(".device-sheet input[name=os]", "Windows 11")
        .await;
    vendor
        .fill(".device-sheet input[name=last_patch_on]", "2026/11/20")
        .await;
    vendor.click(".save-device").await;
    vendor
        .wait(r#"tr.vendor-device[data-state="pending"]"#)
        .await;
    vendor.click(".add-device").await;
    vendor
        .fill(".device-sheet input[name=number]", "SV-003")
        .await;
    vendor
        .fill(".device-sheet input[name=os]", "Windows Server 2022")
        .await;
    vendor.fill(".device-sheet input[name=remote]", "有").await;
    vendor.click(".save-device").await;
    vendor
        .wait_until(
            "two rows awaiting review",
            r#"document.querySelectorAll('tr.vendor-device[data-state="pending"]').length === 2"#,
        )
        .await;
    vendor.wait_saved().await;
    vendor
        .wait(r#".vendor-devices .sync-state[data-sync="pending"]"#)
        .await;
    // Nothing reaches the facility while the vendor is offline.
    admin.goto(&format!("{url}/vendors")).await;
    admin.wait(&format!("{row} .vendor-proposals")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        admin
            .eval(&format!(
                "return document.querySelectorAll('{row} .proposal').length"
            ))
            .await,
        0
    );

    // Step 5: back online, the vendor's rows sync.
    vendor.set_offline(false).await;
    vendor
        .wait(r#".vendor-devices .sync-state[data-sync="synced"]"#)
        .await;

    // Step 6: the 管理者 sees both proposals, with what differs from the ledger.
    admin
        .wait_until(
            "two proposals",
            &format!("document.querySelectorAll('{row} .proposal').length === 2"),
        )
        .await;
    let changed = format!(r#"{row} .proposal[data-new="false"]"#);
    let added = format!(r#"{row} .proposal[data-new="true"]"#);
    let cell = |p: &str, key: &str, which: &str| {
        format!(
            "return document.querySelector('{p} .proposal-change[data-key=\"{key}\"] .{which}').textContent"
        )
    };
    assert_eq!(
        admin
            .eval_string(&cell(&changed, "os", "ledger-value"))
            .await,
        "Windows 10"
    );
    assert_eq!(
        admin
            .eval_string(&cell(&changed, "os", "proposed-value"))
            .await,
        "Windows 11"
    );
    assert_eq!(
        admin
            .eval(&format!(
                "return document.querySelectorAll('{changed} .proposal-change').length"
            ))
            .await,
        2,
        "OS and 最終パッチ適用日 only: the location the vendor did not touch is not proposed"
    );
    assert_eq!(
        admin
            .eval_string(&cell(&added, "remote", "proposed-value"))
            .await,
        "有"
    );

    // Step 7: it accepts the update and rejects the new device.
    admin.click(&format!("{changed} .accept-row")).await;
    admin
        .wait_until(
            "one proposal left",
            &format!("document.querySelectorAll('{row} .proposal').length === 1"),
        )
        .await;
    admin.click(&format!("{added} .reject-row")).await;
    admin.wait(&format!("{row} .no-proposals")).await;
    admin.wait_saved().await;
    let counts = admin
        .eval_string(&format!(
            "return document.querySelector('{row} .proposal-counts').textContent"
        ))
        .await;
    assert!(
        counts.contains("採用済 1") && counts.contains("不採用 1"),
        "{counts}"
    );

    // Step 8: the 機器台帳 holds the accepted row, field by field, with the vendor; not the rejected one.
    admin.goto(&format!("{url}/ledgers/devices")).await;
    admin
        .wait_until(
            "the accepted row in the ledger",
            "[...document.querySelectorAll('.ledger-row')].some(r => r.textContent.includes('PC-001') && r.textContent.includes('Windows 11'))",
        )
        .await;
    let ledger_row = admin
        .eval_string("return [...document.querySelectorAll('.ledger-row')].find(r => r.textContent.includes('PC-001')).textContent")
        .await;
    assert!(ledger_row.contains(VENDOR), "{ledger_row}");
    assert!(
        ledger_row.contains(SECRET),
        "the facility's location is kept: {ledger_row}"
    );
    assert!(ledger_row.contains("2026/11/20"), "{ledger_row}");
    let all = admin
        .eval_string("return document.querySelector('.ledger-table').textContent")
        .await;
    assert!(!all.contains("SV-003"), "the rejected row is not in: {all}");
    assert_eq!(
        admin
            .eval("return document.querySelectorAll('.ledger-row').length")
            .await,
        2
    );

    // Step 9: the vendor sees what was taken and what was not.
    vendor.goto(&format!("{url}{contribution_url}")).await;
    vendor
        .wait(r#"tr.vendor-device[data-state="accepted"]"#)
        .await;
    vendor
        .wait(r#"tr.vendor-device[data-state="rejected"]"#)
        .await;

    // Step 10: by URL in the app, the vendor sees nothing of the ledgers.
    for page in ["/ledgers/devices", "/ledgers/accounts"] {
        vendor.goto(&format!("{url}{page}")).await;
        // It is told the ledgers are not shown to a vendor's account, instead of an empty table to add to.
        vendor.wait(".vendor-no-ledger").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let text = vendor.eval_string("return document.body.textContent").await;
        assert!(
            !text.contains(SECRET) && !text.contains("NW-002") && !text.contains("PC-001"),
            "{page} shows the ledger to the vendor: {text}"
        );
        assert_eq!(
            vendor
                .eval("return document.querySelectorAll('.ledger-row').length")
                .await,
            0
        );
    }

    // Step 11: nor by document id on a raw socket with its own session: the 機器台帳 (found in the index,
    // which the 管理者 opens) does not open; its contribution does.
    let facility = my_facility(&admin).await;
    let me = run(&admin, "return api('GET', '/api/me');").await;
    let index_id =
        DocumentId::parse(me["body"]["memberships"][0]["index_doc"].as_str().unwrap()).unwrap();
    let mut admin_raw = Device::new("admin-raw");
    admin_raw
        .try_connect(url, Some(&session_cookie(&admin, &server).await))
        .await
        .unwrap();
    assert!(admin_raw.opened(index_id).await);
    let idx: AutoCommit = admin_raw.docs.remove(&index_id).unwrap();
    let idx = index::read(&idx).unwrap();
    assert_eq!(idx.facility.id.to_string(), facility);
    let ledger_id = idx.documents_of(DocKind::DeviceLedger)[0].id;
    let contribution_id = idx.documents_of(DocKind::VendorDevices)[0].id;
    let mut vendor_raw = Device::new("vendor-raw");
    vendor_raw
        .try_connect(url, Some(&session_cookie(&vendor, &server).await))
        .await
        .unwrap();
    assert!(vendor_raw.opened(contribution_id).await);
    for closed in [ledger_id, index_id] {
        assert!(
            !vendor_raw.opened(closed).await,
            "{closed} opened for the vendor"
        );
    }
    let held = vendor_raw.docs.get_mut(&ledger_id);
    assert!(held.is_none_or(|d| d.get_heads().is_empty() && d.length(automerge::ROOT) == 0));

    for b in [admin, vendor] {
        b.close().await;
    }
}
