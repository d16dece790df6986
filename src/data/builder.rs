//! Turns a stream of [`Record`]s (line formats) into one typed polars table.
//! Column types are decided after all rows are seen, so a field that is a number on one line and
//! text on another becomes text without losing either value.
use super::record::{Record, Value};
use super::table::time_dtype;
use polars::prelude::*;
use std::collections::HashMap;

#[derive(Default)]
pub struct RecordTable {
    names: Vec<String>,
    index: HashMap<String, usize>,
    cols: Vec<Vec<Value>>,
    rows: usize,
}

impl RecordTable {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn push(&mut self, rec: Record) {
        let row = self.rows;
        for (name, v) in rec.fields {
            let idx = match self.index.get(&name) {
                Some(&i) => i,
                None => {
                    let i = self.names.len();
                    self.index.insert(name.clone(), i);
                    self.names.push(name);
                    let mut col = Vec::with_capacity(row + 1);
                    col.resize(row, Value::Null);
                    self.cols.push(col);
                    i
                }
            };
            let col = &mut self.cols[idx];
            // A repeated key within one record keeps its first value (the later one is usually a
            // sub-header, e.g. iptables' second LEN=).
            if col.len() == row {
                col.push(v);
            }
        }
        self.rows += 1;
        for col in &mut self.cols {
            if col.len() < self.rows {
                col.push(Value::Null);
            }
        }
    }

    pub fn into_frame(self) -> PolarsResult<DataFrame> {
        let height = self.rows;
        let mut columns = Vec::with_capacity(self.names.len() + 1);
        let mut has_time = false;
        for (name, vals) in self.names.into_iter().zip(self.cols) {
            if name == "time" {
                has_time = true;
            }
            columns.push(to_column(&name, vals)?);
        }
        if !has_time {
            columns.insert(0, Column::full_null("time".into(), height, &time_dtype()));
        }
        // `time` first: it is what every view keys on.
        if let Some(p) = columns.iter().position(|c| c.name() == "time") {
            let c = columns.remove(p);
            columns.insert(0, c);
        }
        DataFrame::new(height, columns)
    }
}

fn to_column(name: &str, vals: Vec<Value>) -> PolarsResult<Column> {
    let (mut ints, mut floats, mut strs, mut bools, mut times) = (0usize, 0usize, 0usize, 0usize, 0usize);
    for v in &vals {
        match v {
            Value::Null => {}
            Value::Int(_) => ints += 1,
            Value::Float(_) => floats += 1,
            Value::Str(_) => strs += 1,
            Value::Bool(_) => bools += 1,
            Value::TimeUs(_) => times += 1,
        }
    }
    let n = PlSmallStr::from(name);
    let nonnull = ints + floats + strs + bools + times;
    let s: Series = if nonnull > 0 && times == nonnull {
        let ca: Int64Chunked =
            vals.iter().map(|v| if let Value::TimeUs(t) = v { Some(*t) } else { None }).collect();
        ca.with_name(n).into_series().cast(&time_dtype())?
    } else if nonnull > 0 && bools == nonnull {
        let ca: BooleanChunked =
            vals.iter().map(|v| if let Value::Bool(b) = v { Some(*b) } else { None }).collect();
        ca.with_name(n).into_series()
    } else if nonnull > 0 && ints == nonnull {
        let ca: Int64Chunked =
            vals.iter().map(|v| if let Value::Int(i) = v { Some(*i) } else { None }).collect();
        let s = ca.with_name(n).into_series();
        if matches!(name, "src_port" | "dst_port" | "ip_proto") {
            s.cast(&DataType::Int32)?
        } else {
            s
        }
    } else if nonnull > 0 && ints + floats == nonnull {
        let ca: Float64Chunked = vals
            .iter()
            .map(|v| match v {
                Value::Int(i) => Some(*i as f64),
                Value::Float(f) => Some(*f),
                _ => None,
            })
            .collect();
        ca.with_name(n).into_series()
    } else if nonnull == 0 {
        Series::full_null(n, vals.len(), &DataType::String)
    } else {
        let ca: StringChunked = vals
            .into_iter()
            .map(|v| match v {
                Value::Null => None,
                Value::Str(s) => Some(s),
                Value::Int(i) => Some(i.to_string()),
                Value::Float(f) => Some(f.to_string()),
                Value::Bool(b) => Some(if b { "true".into() } else { "false".into() }),
                Value::TimeUs(t) => Some(super::timeparse::format_rfc3339(t)),
            })
            .collect();
        ca.with_name(n).into_series()
    };
    Ok(s.into_column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_types_become_text_and_missing_fields_null() {
        let mut t = RecordTable::new();
        let mut r = Record::new();
        r.push("time", Value::TimeUs(1_000_000));
        r.push("x", Value::Int(1));
        r.push("src_port", Value::Int(80));
        t.push(r);
        let mut r = Record::new();
        r.push("x", Value::Str("a".into()));
        r.push("y", Value::Float(1.5));
        t.push(r);
        let df = t.into_frame().unwrap();
        assert_eq!(df.height(), 2);
        assert_eq!(df.column("x").unwrap().dtype(), &DataType::String);
        assert_eq!(df.column("y").unwrap().null_count(), 1);
        assert_eq!(df.column("src_port").unwrap().dtype(), &DataType::Int32);
        assert_eq!(df.column("time").unwrap().dtype(), &time_dtype());
        assert_eq!(df.get_column_names()[0].as_str(), "time");
    }
}
