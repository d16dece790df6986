//! Coordinator (inline executor) against plain polars filter + group_by, on the bundled sample.
use brushfire::linking::coordinator::{Request, Session};
use brushfire::linking::needs::{Need, Output};
use brushfire::linking::selection::{Clause, Selection};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

fn load_sample() -> DataFrame {
    let t = brushfire::data::load_paths(&[crate::util::sample()], &Default::default(), &Default::default())
        .unwrap();
    t.df
}

#[test]
fn time_brush_changes_topn_to_exactly_a_polars_filter_group_by() {
    let df = load_sample();
    let mut s = Session::new(Arc::new(df.clone())).unwrap();
    let needs: BTreeMap<u32, Need> = [
        (1, Need::Time { measure: "count".into(), split: None }),
        (10, Need::TopN { field: "dst_port".into(), offset: 0, limit: 15, measure: "count".into() }),
        (11, Need::TopN { field: "src_ip".into(), offset: 0, limit: 15, measure: "count".into() }),
    ]
    .into_iter()
    .collect();
    // Tuesday 2013-04-02 08:00-12:00 UTC.
    let (a, b) = (1_364_889_600_000_000i64, 1_364_904_000_000_000i64);
    let mut sel = Selection::default();
    sel.clauses.insert(1, Clause::Time { start_us: a, end_us: b });
    let ans = s.run(&Request { seq: 1, selection: sel.clone(), needs: needs.clone(), want_all_rows: true });
    let expect = df
        .clone()
        .lazy()
        .filter(
            col("time").cast(DataType::Int64).gt_eq(lit(a)).and(col("time").cast(DataType::Int64).lt(lit(b))),
        )
        .group_by([col("dst_port")])
        .agg([len().alias("n")])
        .sort(["n"], SortMultipleOptions::default().with_order_descending(true))
        .limit(15)
        .collect()
        .unwrap();
    let Output::TopN { entries, total, .. } = &ans.outputs[&10] else { panic!() };
    let got: Vec<i64> = entries.iter().map(|e| e.value).collect();
    let exp: Vec<i64> = expect
        .column("n")
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(got, exp);
    for e in entries {
        let port: i32 = e.label.parse().unwrap();
        let n = df
            .clone()
            .lazy()
            .filter(
                col("time")
                    .cast(DataType::Int64)
                    .gt_eq(lit(a))
                    .and(col("time").cast(DataType::Int64).lt(lit(b)))
                    .and(col("dst_port").eq(lit(port))),
            )
            .collect()
            .unwrap()
            .height();
        assert_eq!(e.value as usize, n, "dst_port {port}");
    }
    let in_window = ans.all_rows.as_ref().unwrap().len() as i64;
    assert_eq!(*total, in_window);
    // The time series is not filtered by its own brush.
    let Output::Time { total: bins, .. } = &ans.outputs[&1] else { panic!() };
    assert_eq!(bins.iter().sum::<i64>(), df.height() as i64);
    // A click on dst_port 443 filters the time series; clearing restores it.
    sel.clauses.insert(10, Clause::values("dst_port", ["443".to_string()], false));
    let ans = s.run(&Request { seq: 2, selection: sel.clone(), needs: needs.clone(), want_all_rows: false });
    let Output::Time { total: bins, .. } = &ans.outputs[&1] else { panic!() };
    let n443 = df.clone().lazy().filter(col("dst_port").eq(lit(443))).collect().unwrap().height();
    assert_eq!(bins.iter().sum::<i64>(), n443 as i64);
    let ans = s.run(&Request { seq: 3, selection: Selection::default(), needs, want_all_rows: false });
    let Output::Time { total: bins, .. } = &ans.outputs[&1] else { panic!() };
    assert_eq!(bins.iter().sum::<i64>(), df.height() as i64);
}
