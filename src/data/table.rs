//! The loaded, typed table and its bookkeeping (what was rejected, what was assumed).
use polars::prelude::*;
use std::path::PathBuf;

/// How many rejected lines are kept with their text for inspection; the count is always exact.
pub const MAX_REJECTED_SAMPLES: usize = 1000;

#[derive(Debug, Clone, serde::Serialize)]
pub struct RejectedLine {
    pub file: String,
    pub line: u64,
    pub reason: String,
    /// The line itself, cut to 300 characters, lossy UTF-8.
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct Rejected {
    pub total: u64,
    pub samples: Vec<RejectedLine>,
}

impl Rejected {
    pub fn push(&mut self, file: &str, line: u64, reason: String, raw: &[u8]) {
        self.total += 1;
        if self.samples.len() < MAX_REJECTED_SAMPLES {
            let mut text = String::from_utf8_lossy(&raw[..raw.len().min(1200)]).into_owned();
            if text.chars().count() > 300 {
                text = text.chars().take(300).collect::<String>() + "…";
            }
            self.samples.push(RejectedLine { file: file.to_string(), line, reason, text });
        }
    }
    pub fn merge(&mut self, other: Rejected) {
        self.total += other.total;
        for s in other.samples {
            if self.samples.len() >= MAX_REJECTED_SAMPLES {
                break;
            }
            self.samples.push(s);
        }
    }
}

/// One original column name that stays queryable in SQL, and what it stands for.
#[derive(Debug, Clone)]
pub enum Alias {
    /// Same values as a stored column.
    Same { original: String, column: String },
    /// Re-derived from stored columns (e.g. VAST `parsedDate` from `time`).
    Derived { original: String, expr: Expr },
}

impl Alias {
    pub fn original(&self) -> &str {
        match self {
            Alias::Same { original, .. } | Alias::Derived { original, .. } => original,
        }
    }
}

/// Everything loaded from one or more files of one kind.
#[derive(Clone)]
pub struct Table {
    pub df: DataFrame,
    /// Format name shown to the user ("vast-netflow", "zeek-tsv", ...).
    pub format: String,
    pub files: Vec<PathBuf>,
    pub aliases: Vec<Alias>,
    pub rejected: Rejected,
    /// Assumptions the user should see (missing year or zone, relative timestamps, ...).
    pub notes: Vec<String>,
    pub input_bytes: u64,
}

impl Table {
    pub fn rows(&self) -> usize {
        self.df.height()
    }

    /// Minimum and maximum of `time` in µs, if the table has a time column with values.
    pub fn time_range_us(&self) -> Option<(i64, i64)> {
        let c = self.df.column("time").ok()?;
        let ca = c.as_materialized_series().cast(&DataType::Int64).ok()?;
        let ca = ca.i64().ok()?;
        Some((ca.min()?, ca.max()?))
    }
}

impl Table {
    /// Appends rows read after the table was built (a followed file, `data::live`): the new
    /// frame's columns are lined up with the table's (missing ones null, a type clash becomes
    /// text) and its chunks are added, nothing already loaded is parsed again.
    pub fn append(
        &mut self,
        df: DataFrame,
        rejected: Rejected,
        source_file: Option<&str>,
    ) -> super::Result<()> {
        let mut df = df;
        if let Some(name) = source_file {
            let h = df.height();
            df.with_column(Column::new_scalar(
                "source_file".into(),
                Scalar::from(PlSmallStr::from(name)),
                h,
            ))?;
        }
        self.rejected.merge(rejected);
        if df.height() == 0 {
            return Ok(());
        }
        // New lines come as plain text (`load::parse_appended`); a column the table keeps as
        // dictionary codes takes them as codes, instead of turning the whole column into text.
        let stored_dtype = |t: &DataFrame, name: &str| t.column(name).ok().map(|c| c.dtype().clone());
        let mut coded: Vec<PlSmallStr> = Vec::new();
        for name in df.get_column_names_owned() {
            let new = df.column(&name)?.dtype();
            let text = matches!(new, DataType::String | DataType::Categorical(..));
            if text
                && matches!(stored_dtype(&self.df, &name), Some(ref dt @ DataType::Categorical(..)) if dt != new)
            {
                coded.push(name);
            }
        }
        // The table's own dictionary (`data::table_dict`) takes the new values, filled here one at
        // a time. When they do not all fit, the table's text goes back to the process-wide
        // dictionary, and so do the new rows.
        let mut fitted = Vec::new();
        for name in &coded {
            let Some(dt) = stored_dtype(&self.df, name).filter(super::table_dict::is_table_dict) else {
                continue;
            };
            match super::table_dict::codes_for(df.column(name)?, &dt)? {
                Some(c) => fitted.push(c),
                None => {
                    super::table_dict::to_process_wide(&mut self.df)?;
                    fitted.clear();
                    break;
                }
            }
        }
        for c in fitted {
            df.with_column(c)?;
        }
        for name in &coded {
            let Some(dt) = stored_dtype(&self.df, name) else { continue };
            if df.column(name)?.dtype() != &dt {
                let c = df.column(name)?.cast(&DataType::String)?.cast(&dt)?;
                df.with_column(c)?;
            }
        }
        // A column the table stores narrowed (`data::compact`) takes the new rows in its storage
        // type when they fit; else it widens back to its logical type first, so no value is lost
        // and the two never meet as a numeric type clash (which would make them floats).
        for name in df.get_column_names_owned() {
            let Ok(stored) = self.df.column(&name).map(|c| c.dtype().clone()) else { continue };
            let new = df.column(&name)?;
            match super::compact::fit_to_storage(new, &stored)? {
                super::compact::Fit::Unrelated => {}
                super::compact::Fit::Fits(fitted) => {
                    df.with_column(fitted)?;
                }
                super::compact::Fit::Widen(logical) => {
                    let new = new.cast(&logical)?;
                    df.with_column(new)?;
                    let wide = self.df.column(&name)?.cast(&logical)?;
                    self.df.with_column(wide)?;
                }
            }
        }
        let old = std::mem::take(&mut self.df);
        self.df = super::load::concat_diagonal(vec![old, df])?;
        Ok(())
    }
}

/// The polars type of the `time` column everywhere in Brushfire.
pub fn time_dtype() -> DataType {
    DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::text_column::categorical_dtype;

    fn table(df: DataFrame) -> Table {
        Table {
            df,
            format: "vast-netflow".into(),
            files: Vec::new(),
            aliases: Vec::new(),
            rejected: Rejected::default(),
            notes: Vec::new(),
            input_bytes: 0,
        }
    }

    #[test]
    fn appended_rows_keep_a_narrowed_column_narrow_or_widen_it_without_loss() {
        let mut df = df!("dst_port" => [80i32, 443], "bytes" => [10i64, 20]).unwrap();
        crate::data::compact::compact_integers(&mut df).unwrap();
        let mut t = table(df);
        t.append(df!("dst_port" => [22i32], "bytes" => [30i64]).unwrap(), Rejected::default(), None).unwrap();
        assert_eq!(t.df.column("dst_port").unwrap().dtype(), &DataType::Int16);
        assert_eq!(t.df.column("bytes").unwrap().dtype(), &DataType::UInt8);
        // Values past the storage types: the columns widen, values exact.
        let big = df!("dst_port" => [70_000i32], "bytes" => [9_000_000_000i64]).unwrap();
        t.append(big, Rejected::default(), None).unwrap();
        let bytes = t.df.column("bytes").unwrap();
        assert_eq!(bytes.dtype(), &DataType::Int64);
        assert_eq!(
            bytes.i64().unwrap().iter().collect::<Vec<_>>(),
            [Some(10), Some(20), Some(30), Some(9_000_000_000)]
        );
        let ports = t.df.column("dst_port").unwrap();
        assert_eq!(
            ports.i32().unwrap().iter().collect::<Vec<_>>(),
            [Some(80), Some(443), Some(22), Some(70_000)]
        );
    }

    #[test]
    fn appended_text_joins_the_tables_own_dictionary_or_all_go_back_to_the_process_wide_one() {
        use crate::data::table_dict::{is_table_dict, narrow_text};
        let coded =
            |n: &str, v: &[&str]| Series::new(n.into(), v).cast(&categorical_dtype()).unwrap().into_column();
        let mut df = DataFrame::new(
            2,
            vec![coded("src_ip", &["10.0.0.1", "10.0.0.2"]), coded("dst_ip", &["10.0.0.2", "8.8.8.8"])],
        )
        .unwrap();
        narrow_text(&mut df).unwrap();
        let dt = df.column("src_ip").unwrap().dtype().clone();
        let mut t = table(df);
        let text = |t: &Table, n: &str| -> Vec<String> {
            let s = t.df.column(n).unwrap().cast(&DataType::String).unwrap();
            s.str().unwrap().iter().map(|v| v.unwrap_or("-").to_string()).collect()
        };
        t.append(df!("src_ip" => ["1.1.1.1"], "dst_ip" => ["10.0.0.1"]).unwrap(), Rejected::default(), None)
            .unwrap();
        assert_eq!(t.df.column("src_ip").unwrap().dtype(), &dt);
        assert_eq!(t.df.column("dst_ip").unwrap().dtype(), &dt);
        assert_eq!(text(&t, "src_ip"), ["10.0.0.1", "10.0.0.2", "1.1.1.1"]);
        // 70,000 new sources: past the 2-byte codes. Both columns go back to the process-wide
        // dictionary, every value kept.
        let many: Vec<String> = (0..70_000).map(|i| format!("s{i}")).collect();
        let dsts: Vec<&str> = vec!["9.9.9.9"; many.len()];
        t.append(df!("src_ip" => &many, "dst_ip" => &dsts).unwrap(), Rejected::default(), None).unwrap();
        for n in ["src_ip", "dst_ip"] {
            let c = t.df.column(n).unwrap();
            assert!(matches!(c.dtype(), DataType::Categorical(..)) && !is_table_dict(c.dtype()), "{n}");
        }
        let src = text(&t, "src_ip");
        assert_eq!(src.len(), 3 + 70_000);
        assert_eq!(&src[..4], ["10.0.0.1", "10.0.0.2", "1.1.1.1", "s0"]);
        assert_eq!(src.last().map(String::as_str), Some("s69999"));
        assert_eq!(text(&t, "dst_ip")[..4], ["10.0.0.2", "8.8.8.8", "10.0.0.1", "9.9.9.9"]);
    }

    #[test]
    fn appended_text_joins_a_dictionary_column_as_codes() {
        let host = Series::new("host".into(), ["a", "b", "a"]).cast(&categorical_dtype()).unwrap();
        let msg = Series::new("msg".into(), ["x", "y", "z"]);
        let mut t = Table {
            df: DataFrame::new(3, vec![host.into_column(), msg.into_column()]).unwrap(),
            format: "syslog".into(),
            files: Vec::new(),
            aliases: Vec::new(),
            rejected: Rejected::default(),
            notes: Vec::new(),
            input_bytes: 0,
        };
        let new = df!("host" => [Some("c"), None], "msg" => ["w", "v"]).unwrap();
        t.append(new, Rejected::default(), None).unwrap();
        let host = t.df.column("host").unwrap();
        assert!(matches!(host.dtype(), DataType::Categorical(..)), "{:?}", host.dtype());
        assert_eq!(t.df.column("msg").unwrap().dtype(), &DataType::String);
        let text = host.cast(&DataType::String).unwrap();
        let got: Vec<Option<&str>> = text.str().unwrap().iter().collect();
        assert_eq!(got, [Some("a"), Some("b"), Some("a"), Some("c"), None]);
    }
}
