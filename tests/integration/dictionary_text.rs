//! Line-format text kept as dictionary codes (`data::text_column`) must read as the same text
//! wherever an analyst meets it: SQL (text functions included), every export format, the lake.
use crate::util::{real_data, temp_dir};
use brushfire::data::export::{export_atomic, ExportFormat};
use brushfire::data::sql::run_sql;
use brushfire::data::text_column::as_logical_frame;
use brushfire::data::{load_paths, LoadControl, LoadOptions, Table};
use polars::prelude::*;

fn categorical(t: &Table) -> Vec<String> {
    t.df.columns()
        .iter()
        .filter(|c| matches!(c.dtype(), DataType::Categorical(..)))
        .map(|c| c.name().to_string())
        .collect()
}

#[test]
fn dictionary_coded_text_answers_like_plain_text_in_sql_and_exports() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "suricata-eve/test6-malicious.suricata.json",
            "event_type",
            &[
                "select event_type, count(*) c from logs group by event_type order by c desc, event_type",
                "select upper(event_type) u, lower(src_ip) s, substr(dst_ip, 1, 6) d from logs where event_type like 'al%' order by time, s, d limit 50",
                "select src_ip || ':' || cast(src_port as varchar) ep from logs where proto in ('tcp', 'udp') order by time, ep limit 40",
                "select \"alert.signature\" s, count(*) c from logs where \"alert.signature\" ilike '%ET %' group by s order by c desc, s",
                "select a.src_ip, count(*) c from logs a join logs b on a.src_ip = b.dst_ip and a.event_type = b.event_type group by a.src_ip order by c desc, a.src_ip limit 5",
                "select max(event_type) hi, min(event_type) lo, count(distinct src_ip) n from logs",
                "select case when event_type = 'flow' then 'f' else event_type end k, count(*) c from logs where event_type > 'd' group by k order by k",
            ],
        ),
        (
            "syslog-loghub/OpenSSH_2k.log",
            "app_name",
            &[
                "select app_name, action, count(*) c from logs group by 1, 2 order by c desc, 1, 2",
                "select user_name, src_ip from logs where action like '%fail%' and src_ip is not null order by time, src_ip, user_name limit 20",
                "select length(host) n, regexp_like(auth_method, 'pass') p, count(*) c from logs group by 1, 2 order by 1, 2",
                "select coalesce(user_name, '-') u, count(*) c from logs group by u order by c desc, u limit 10",
            ],
        ),
    ];
    for (rel, coded, queries) in cases {
        let Some(p) = real_data(rel) else { return };
        let paths = [p];
        let table = load_paths(&paths, &LoadOptions::default(), &LoadControl::default()).unwrap();
        let coded_cols = categorical(&table);
        assert!(
            coded_cols.iter().any(|c| c == coded),
            "{rel}: {coded} should be dictionary-coded: {coded_cols:?}"
        );
        let mut text = table.clone();
        text.df = as_logical_frame(&table.df).unwrap();
        assert!(categorical(&text).is_empty());
        for sql in *queries {
            let got = run_sql(&table, None, sql).unwrap();
            let want = run_sql(&text, None, sql).unwrap();
            assert!(got.height() > 0, "{rel}: {sql}: a query that finds nothing proves little");
            assert!(got.equals_missing(&want), "{rel}: {sql}:\ncoded {got:?}\ntext {want:?}");
            assert!(categorical(&Table { df: got, ..text.clone() }).is_empty(), "{sql}: SQL answers in text");
        }
        // Every export writes text, the same bytes as the plain-text table's.
        let dir = temp_dir("dictionary-export");
        for format in [ExportFormat::Csv, ExportFormat::Ndjson, ExportFormat::Parquet] {
            let ext = format.extension();
            let (a, b) = (dir.join(format!("coded.{ext}")), dir.join(format!("text.{ext}")));
            export_atomic(&mut table.df.clone(), format, &a, &table.files).unwrap();
            export_atomic(&mut text.df.clone(), format, &b, &table.files).unwrap();
            if format == ExportFormat::Parquet {
                let read = |p: &std::path::Path| {
                    ParquetReader::new(std::fs::File::open(p).unwrap()).finish().unwrap()
                };
                let (ra, rb) = (read(&a), read(&b));
                assert!(ra.columns().iter().all(|c| !matches!(c.dtype(), DataType::Categorical(..))));
                assert!(ra.equals_missing(&rb), "{rel}: parquet export differs");
            } else {
                assert_eq!(
                    std::fs::read(&a).unwrap(),
                    std::fs::read(&b).unwrap(),
                    "{rel}: {ext} export differs"
                );
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
