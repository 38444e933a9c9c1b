//! Incident response as people carry it out: the first-response steps offered as one-tap entries (the
//! template item 3-③ points to), and the log's export for the police, the MHLW report and the review.

use std::collections::BTreeMap;

use crate::calendar::jst_timestamp;
use crate::export;
use crate::schema::incident::{EntryKind, Incident};

/// One first-response step: what to do, and the entry to record once done.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub kind: EntryKind,
    pub ja: &'static str,
    pub en: &'static str,
}

/// The first response to a suspected cyber attack, in order (from the MHLW guidance for medical
/// institutions: isolate without switching off, keep evidence, call along the chart, report, continue care
/// on paper under the BCP, protect the backups).
pub const FIRST_RESPONSE: &[Step] = &[
    Step {
        kind: EntryKind::Isolated,
        ja: "異常のある端末をネットワークから切り離した（LANケーブルを抜く・Wi-Fiを切る。電源は切らない）",
        en: "Disconnected the affected computer from the network (cable out, Wi-Fi off; not switched off)",
    },
    Step {
        kind: EntryKind::Observed,
        ja: "画面の表示（脅迫文・エラー）を写真に撮った",
        en: "Photographed what the screen shows (ransom note, errors)",
    },
    Step {
        kind: EntryKind::Called,
        ja: "連絡体制図に沿って施設内の責任者に連絡した",
        en: "Called the responsible people inside the facility, following the contact chart",
    },
    Step {
        kind: EntryKind::Called,
        ja: "保守事業者に連絡し、被害範囲の確認を依頼した",
        en: "Called the maintaining vendor and asked them to assess the damage",
    },
    Step {
        kind: EntryKind::Called,
        ja: "厚生労働省（03-6812-7837）と都道府県警察に連絡した",
        en: "Reported to the MHLW (03-6812-7837) and the prefectural police",
    },
    Step {
        kind: EntryKind::Decided,
        ja: "BCPに従い、紙運用に切り替えた",
        en: "Switched to paper operation under the BCP",
    },
    Step {
        kind: EntryKind::Isolated,
        ja: "バックアップ装置を切り離し、感染していないことを確認した",
        en: "Disconnected the backup device and checked it is not infected",
    },
];

/// The columns of [`csv`], header first.
pub const CSV_HEADER: [&str; 10] = [
    "施設",
    "インシデント",
    "日時 (JST)",
    "記録日時 (JST)",
    "種別",
    "内容",
    "連絡先",
    "回答",
    "記録者",
    "端末",
];

/// The log as CSV (UTF-8 with a BOM, so Japanese Excel opens it as such): the header on the first row, then
/// one row per event, 開始 and 終了 included, each with the facility and the incident's title so a row
/// read alone still says whose it is; times in JST, said in the header. `device_names` gives the names
/// people gave devices, by the id an entry recorded (an entry that recorded a name keeps it).
pub fn csv(
    incident: &Incident,
    facility: &str,
    device_names: &BTreeMap<String, String>,
) -> Result<Vec<u8>, csv::Error> {
    let device = |d: &str| {
        device_names
            .get(d)
            .cloned()
            .unwrap_or_else(|| d.to_string())
    };
    let title = incident.meta.title.as_str();
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(CSV_HEADER)?;
        // Every text typed by someone is written so that no spreadsheet reads it as a formula.
        let started = jst_timestamp(incident.meta.started_at_ms);
        w.write_record(export::row([
            facility,
            title,
            &started,
            &started,
            "開始",
            "",
            "",
            "",
            &incident.meta.started_by,
            &device(&incident.meta.device),
        ]))?;
        for e in incident.timeline() {
            w.write_record(export::row([
                facility,
                title,
                jst_timestamp(e.at_ms).as_str(),
                &jst_timestamp(e.recorded_at_ms),
                e.kind.label_ja(),
                &e.text,
                &e.called,
                &e.answer,
                &e.by,
                &device(&e.device),
            ]))?;
        }
        if let Some(c) = &incident.closed {
            let at = jst_timestamp(c.at_ms);
            w.write_record(export::row([
                facility, title, &at, &at, "終了", &c.summary, "", "", &c.by, "",
            ]))?;
        }
        w.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FacilityId;
    use crate::schema::incident::{Entry, IncidentMeta, add_entry, create, read};

    #[test]
    fn the_csv_lists_entries_in_time_order_with_quoting_and_a_bom() {
        let mut doc = create(&IncidentMeta {
            facility_id: FacilityId::generate(),
            title: "電子カルテ停止".into(),
            started_at_ms: 0,
            started_by: "山田".into(),
            device: "device-1d278bff".into(),
        })
        .unwrap();
        for (id, at, text) in [
            ("b", 120_000, "二行目"),
            ("a", 60_000, "画面に\"脅迫文\", 表示"),
        ] {
            add_entry(
                &mut doc,
                &Entry {
                    id: id.into(),
                    at_ms: at,
                    recorded_at_ms: at,
                    by: "山田".into(),
                    device: "受付".into(),
                    kind: EntryKind::Observed,
                    text: text.into(),
                    called: String::new(),
                    answer: String::new(),
                },
            )
            .unwrap();
        }
        let names = BTreeMap::from([("device-1d278bff".to_string(), "受付PC".to_string())]);
        let bytes = csv(&read(&doc).unwrap(), "さくら薬局", &names).unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        // The header first, times said to be JST; every row names the facility and the incident.
        assert_eq!(&rows[0][0], "施設");
        assert_eq!(&rows[0][2], "日時 (JST)");
        assert!(rows.iter().all(|r| r.len() == CSV_HEADER.len()));
        assert!(
            rows[1..]
                .iter()
                .all(|r| &r[0] == "さくら薬局" && &r[1] == "電子カルテ停止")
        );
        assert_eq!(&rows[1][4], "開始");
        assert_eq!(&rows[2][2], "1970-01-01 09:01:00");
        assert_eq!(&rows[2][5], "画面に\"脅迫文\", 表示");
        assert_eq!(&rows[3][5], "二行目");
        // Devices by the names people gave them; an entry that recorded a name keeps it.
        assert_eq!(&rows[1][9], "受付PC");
        assert_eq!(&rows[2][9], "受付");
    }
}
