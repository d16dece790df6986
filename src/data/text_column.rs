//! Text columns of line formats: dictionary codes while the values repeat, plain text once they
//! do not.
//!
//! Most text fields of a log repeat a few values on millions of lines (hosts, programs, methods,
//! event types, actions), and many are empty on most lines (Suricata eve has sixty such fields).
//! Polars keeps a text column as 16-byte views per row, null or not, so those columns were most of
//! a loaded table: 16 bytes x 61 columns x 1 M lines for a 557 MB eve file. A column whose values
//! repeat becomes a polars `Categorical` (4-byte codes into the process-wide string map), which
//! groups and compares like text; a column of mostly distinct values (messages, URLs, ids) stays
//! `String`.
//!
//! Each block of lines (one core) keeps its own dictionary, and gives it up for views as soon as
//! its values stop repeating ([`TextBuilder`]); [`finish_text`] joins the blocks of one column.
//! Consumers that need text operations (SQL's `LIKE`, `lower`, `substr`; exports) read it through
//! [`as_text`] / [`logical_view`], which turn codes back into text for the columns they touch.
use polars::prelude::*;

/// A block keeps dictionary codes while it has at most this many distinct values, or more but at
/// most a quarter of its rows: beyond that a 4-byte code plus a dictionary entry costs more than a
/// 16-byte view.
const DICT_ALWAYS: usize = 1024;

/// Code of a null row.
const NULL_CODE: u32 = u32::MAX;

/// One text column of one block of lines.
pub enum TextBuilder {
    Dict {
        /// Value -> code; codes are dense from 0 in order of first appearance.
        map: PlHashMap<Box<str>, u32>,
        codes: Vec<u32>,
        /// Rows the block is known to hold (0: unknown), so the quarter-of-rows rule is judged
        /// against the whole block, not only the rows seen so far: addresses seen early in a block
        /// are mostly new, yet repeat over all of it.
        block_rows: usize,
    },
    Views(StringChunkedBuilder),
}

impl TextBuilder {
    pub fn with_capacity(rows: usize) -> Self {
        TextBuilder::Dict { map: PlHashMap::default(), codes: Vec::with_capacity(rows), block_rows: 0 }
    }

    /// A builder for a block of exactly `rows` rows (a delimited reader counts its lines first).
    pub fn for_block(rows: usize) -> Self {
        TextBuilder::Dict { map: PlHashMap::default(), codes: Vec::with_capacity(rows), block_rows: rows }
    }

    pub fn push_null(&mut self) {
        match self {
            TextBuilder::Dict { codes, .. } => codes.push(NULL_CODE),
            TextBuilder::Views(b) => b.append_null(),
        }
    }

    pub fn push_nulls(&mut self, n: usize) {
        match self {
            TextBuilder::Dict { codes, .. } => codes.resize(codes.len() + n, NULL_CODE),
            TextBuilder::Views(b) => (0..n).for_each(|_| b.append_null()),
        }
    }

    pub fn push(&mut self, s: &str) {
        if let TextBuilder::Dict { map, codes, block_rows } = self {
            if let Some(&c) = map.get(s) {
                codes.push(c);
                return;
            }
            if map.len() < DICT_ALWAYS.max(codes.len().max(*block_rows) / 4) {
                let c = map.len() as u32;
                map.insert(s.into(), c);
                codes.push(c);
                return;
            }
            self.give_up_dictionary();
        }
        if let TextBuilder::Views(b) = self {
            b.append_value(s);
        }
    }

    /// Gives up the dictionary: the values seen so far become views.
    fn give_up_dictionary(&mut self) {
        if let TextBuilder::Dict { .. } = self {
            let dict = std::mem::replace(self, TextBuilder::with_capacity(0));
            *self = TextBuilder::Views(dict.into_views());
        }
    }

    /// The values as views, whichever form holds them.
    fn into_views(self) -> StringChunkedBuilder {
        match self {
            TextBuilder::Views(b) => b,
            TextBuilder::Dict { map, codes, .. } => {
                let labels = labels_of(&map);
                let mut b = StringChunkedBuilder::new(PlSmallStr::EMPTY, codes.capacity());
                for c in codes {
                    match c {
                        NULL_CODE => b.append_null(),
                        c => b.append_value(labels[c as usize]),
                    }
                }
                b
            }
        }
    }
}

/// A dictionary's values indexed by code.
fn labels_of(map: &PlHashMap<Box<str>, u32>) -> Vec<&str> {
    let mut labels = vec![""; map.len()];
    for (k, &c) in map {
        labels[c as usize] = k;
    }
    labels
}

/// The type every dictionary-coded text column has: codes into polars' process-wide string map,
/// so columns of several files or of a followed file's later lines stack without recoding.
pub fn categorical_dtype() -> DataType {
    DataType::from_categories(polars::prelude::Categories::global())
}

/// One block's part of a text column, as [`finish_text`] takes it.
pub enum TextPart {
    /// The block built this column as text.
    Text(TextBuilder),
    /// The block has no text for this column (it never saw the field, or saw only other kinds of
    /// values, given here as their text; `None` is null).
    Other(Vec<Option<String>>),
}

/// Joins the blocks of one text column in order: a `Categorical` column when `dictionary` allows
/// and every block kept its dictionary, else `String`.
pub fn finish_text(
    name: PlSmallStr,
    parts: Vec<TextPart>,
    height: usize,
    dictionary: bool,
) -> PolarsResult<Series> {
    let all_dict = parts.iter().all(|p| !matches!(p, TextPart::Text(TextBuilder::Views(_))));
    if dictionary && all_dict {
        return finish_categorical(name, parts, height);
    }
    let mut out = StringChunked::full_null(name.clone(), 0);
    for part in parts {
        let ca = match part {
            TextPart::Text(t) => t.into_views().finish(),
            TextPart::Other(vals) => vals.iter().map(|v| v.as_deref()).collect::<StringChunked>(),
        };
        out.append_owned(ca)?;
    }
    Ok(out.rechunk().into_owned().with_name(name).into_series())
}

fn finish_categorical(name: PlSmallStr, parts: Vec<TextPart>, height: usize) -> PolarsResult<Series> {
    // The process-wide dictionary, never dropped. Per-column dictionaries of 1- and 2-byte codes
    // were tried (stop 36) and reverted: dropping one that several block threads had filled
    // crashed ("double free" inside polars' concurrent string map) about once in 30 loads.
    let dtype = categorical_dtype();
    let mapping = dtype.cat_mapping()?.clone();
    let mut ids: Vec<u32> = Vec::with_capacity(height);
    let mut valid: Vec<bool> = Vec::with_capacity(height);
    for part in parts {
        match part {
            TextPart::Text(TextBuilder::Dict { map, codes, .. }) => {
                let labels = labels_of(&map);
                let global =
                    labels.iter().map(|l| mapping.insert_cat(l)).collect::<PolarsResult<Vec<u32>>>()?;
                for c in codes {
                    match c {
                        NULL_CODE => {
                            ids.push(0);
                            valid.push(false);
                        }
                        c => {
                            ids.push(global[c as usize]);
                            valid.push(true);
                        }
                    }
                }
            }
            TextPart::Text(TextBuilder::Views(_)) => unreachable!("finish_text sends views to String"),
            TextPart::Other(vals) => {
                for v in vals {
                    match v {
                        None => {
                            ids.push(0);
                            valid.push(false);
                        }
                        Some(s) => {
                            ids.push(mapping.insert_cat(&s)?);
                            valid.push(true);
                        }
                    }
                }
            }
        }
    }
    let phys: UInt32Chunked = ids.into_iter().zip(valid).map(|(id, ok)| ok.then_some(id)).collect();
    let phys = phys.with_name(name);
    // SAFETY: every id was just given by this dtype's own mapping (`insert_cat`), and the dtype's
    // physical type is u32 (the global categories), which is what `Categorical32Chunked` holds.
    let cat = unsafe { Categorical32Chunked::from_cats_and_dtype_unchecked(phys, dtype) };
    Ok(cat.into_series())
}

/// Frames of one table read block by block: a column that is `Categorical` in some and `String`
/// in others (a block whose values stopped repeating) becomes `String` in all, so they stack.
pub fn unify_text_columns(frames: &mut [DataFrame]) -> PolarsResult<()> {
    let Some(first) = frames.first() else { return Ok(()) };
    let names: Vec<PlSmallStr> = first.get_column_names_owned();
    for name in names {
        let kinds = |df: &DataFrame| df.column(&name).map(|c| c.dtype().clone()).ok();
        let mixed = frames.iter().any(|f| kinds(f) == Some(DataType::String))
            && frames.iter().any(|f| matches!(kinds(f), Some(DataType::Categorical(..))));
        if !mixed {
            continue;
        }
        for f in frames.iter_mut() {
            if let Ok(c) = f.column(&name) {
                if matches!(c.dtype(), DataType::Categorical(..)) {
                    let text = c.cast(&DataType::String)?;
                    f.with_column(text)?;
                }
            }
        }
    }
    Ok(())
}

/// Bytes a column holds in memory. Polars' `estimated_size` counts a text column's characters
/// only (it may share buffers), not its 16-byte view per row, so a table of text columns looked
/// far smaller than the process that holds it; this counts the views and every data buffer.
pub fn column_heap_bytes(c: &Column) -> usize {
    let s = c.as_materialized_series();
    match s.dtype() {
        DataType::String => s.str().map_or(0, |ca| {
            let validity = if ca.null_count() > 0 { ca.len().div_ceil(8) } else { 0 };
            validity + ca.downcast_iter().map(|a| a.views().len() * 16 + a.total_buffer_len()).sum::<usize>()
        }),
        _ => s.estimated_size(),
    }
}

/// [`column_heap_bytes`] over a frame (a dictionary column's strings live in the process-wide
/// map, counted once there, not per table).
pub fn frame_heap_bytes(df: &DataFrame) -> usize {
    df.columns().iter().map(column_heap_bytes).sum()
}

/// How a column's type is shown to people: a dictionary-coded column is text to them, a narrowed
/// integer is its logical type (`data::compact`).
pub fn type_name(dtype: &DataType) -> String {
    match (dtype, super::compact::logical_dtype(dtype)) {
        (DataType::Categorical(..), _) => "str (dictionary)".to_string(),
        (_, Some(logical)) => logical.to_string(),
        (dt, None) => dt.to_string(),
    }
}

/// A column as text: categorical codes turned back into their strings, other columns as they are.
pub fn as_text(c: &Column) -> PolarsResult<Column> {
    match c.dtype() {
        DataType::Categorical(..) => c.cast(&DataType::String),
        _ => Ok(c.clone()),
    }
}

/// `df` as it reads to people and other programs: categorical columns as text, narrowed integers
/// in their logical types (`data::compact`). Exports write this, whatever the table keeps.
pub fn as_logical_frame(df: &DataFrame) -> PolarsResult<DataFrame> {
    let stored = |c: &Column| {
        matches!(c.dtype(), DataType::Categorical(..)) || super::compact::logical_dtype(c.dtype()).is_some()
    };
    if !df.columns().iter().any(stored) {
        return Ok(df.clone());
    }
    let cols =
        df.columns().iter().map(|c| super::compact::widen(&as_text(c)?)).collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new(df.height(), cols)
}

/// A frame whose categorical columns read as text again and whose narrowed integers read in their
/// logical types (lazily: a query that never touches a column never decodes it). What SQL, the
/// exports and written lakes see.
pub fn logical_view(lf: LazyFrame) -> LazyFrame {
    let [to_i32, to_i64, to_f64] = super::compact::widen_exprs();
    lf.with_columns([
        Selector::ByDType(DataTypeSelector::Categorical).as_expr().cast(DataType::String),
        to_i32,
        to_i64,
        to_f64,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(values: &[Option<&str>]) -> TextBuilder {
        fill(TextBuilder::with_capacity(values.len()), values)
    }

    fn fill(mut b: TextBuilder, values: &[Option<&str>]) -> TextBuilder {
        for v in values {
            match v {
                Some(s) => b.push(s),
                None => b.push_null(),
            }
        }
        b
    }

    #[test]
    fn repeated_values_become_categorical_and_read_back_the_same() {
        let vals: Vec<Option<&str>> =
            (0..5000).map(|i| [Some("GET"), None, Some("POST"), Some("")][i % 4]).collect();
        let s = finish_text("m".into(), vec![TextPart::Text(build(&vals))], vals.len(), true).unwrap();
        assert!(matches!(s.dtype(), DataType::Categorical(..)), "{:?}", s.dtype());
        let back = s.cast(&DataType::String).unwrap();
        let got: Vec<Option<&str>> = back.str().unwrap().iter().collect();
        assert_eq!(got, vals);
    }

    #[test]
    fn without_dictionary_repeated_values_stay_text() {
        let vals: Vec<Option<&str>> = (0..100).map(|i| [Some("a"), None][i % 2]).collect();
        let s = finish_text("m".into(), vec![TextPart::Text(build(&vals))], vals.len(), false).unwrap();
        assert_eq!(s.dtype(), &DataType::String);
        assert_eq!(s.str().unwrap().iter().collect::<Vec<_>>(), vals);
    }

    #[test]
    fn distinct_values_stay_text_and_blocks_join_in_order() {
        let unique: Vec<String> = (0..5000).map(|i| format!("line {i}")).collect();
        let a: Vec<Option<&str>> = unique.iter().map(|s| Some(s.as_str())).collect();
        let b = vec![Some("x"), None];
        let other = vec![Some("7".to_string()), None];
        let parts = vec![TextPart::Text(build(&a)), TextPart::Other(other), TextPart::Text(build(&b))];
        let s = finish_text("msg".into(), parts, a.len() + 4, true).unwrap();
        assert_eq!(s.dtype(), &DataType::String);
        let got: Vec<Option<&str>> = s.str().unwrap().iter().collect();
        let mut want = a.clone();
        want.extend([Some("7"), None, Some("x"), None]);
        assert_eq!(got, want);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

        /// However values repeat (a block may give its dictionary up part-way, past 1,024 distinct
        /// values, judged on the rows so far or on the whole block's), and whatever the blocks
        /// hold, the column reads back as the values pushed.
        #[test]
        fn any_blocks_read_back_as_their_text(
            blocks in proptest::collection::vec(
                (
                    proptest::collection::vec((0u32..5000, 0u8..4), 0..1600),
                    proptest::bool::ANY,
                    1u32..5000,
                    proptest::bool::ANY,
                ),
                1..4,
            ),
            dictionary in proptest::bool::ANY,
        ) {
            let mut want: Vec<Option<String>> = Vec::new();
            let mut parts = Vec::new();
            for (vals, other, alphabet, whole_block) in &blocks {
                let vals: Vec<Option<String>> = vals
                    .iter()
                    .map(|&(v, kind)| match kind {
                        0 => None,
                        1 => Some(String::new()),
                        _ => Some(format!("v{}\u{e9}", v % alphabet)),
                    })
                    .collect();
                want.extend(vals.iter().cloned());
                parts.push(if *other {
                    TextPart::Other(vals)
                } else {
                    let refs: Vec<Option<&str>> = vals.iter().map(|v| v.as_deref()).collect();
                    // A delimited block knows its rows up front (`for_block`); a line block does not.
                    let b = if *whole_block {
                        TextBuilder::for_block(refs.len())
                    } else {
                        TextBuilder::with_capacity(refs.len())
                    };
                    TextPart::Text(fill(b, &refs))
                });
            }
            let s = finish_text("t".into(), parts, want.len(), dictionary).unwrap();
            proptest::prop_assert_eq!(s.len(), want.len());
            let text = s.cast(&DataType::String).unwrap();
            let got: Vec<Option<String>> = text.str().unwrap().iter().map(|v| v.map(str::to_string)).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn heap_bytes_count_each_text_row_view() {
        let vals: Vec<Option<&str>> = (0..1000).map(|i| [Some("10.0.0.1"), None][i % 2]).collect();
        let text = finish_text("t".into(), vec![TextPart::Text(build(&vals))], 1000, false).unwrap();
        // 16-byte views for every row, nulls too, plus the validity bits; the 8 characters fit
        // in the view.
        assert!(column_heap_bytes(&text.into_column()) >= 16 * 1000);
        let codes = finish_text("t".into(), vec![TextPart::Text(build(&vals))], 1000, true).unwrap();
        let b = column_heap_bytes(&codes.into_column());
        assert!((4 * 1000..16 * 1000).contains(&b), "{b}");
    }

    #[test]
    fn sql_sees_text_through_the_view() {
        let vals: Vec<Option<&str>> = (0..100).map(|i| [Some("alpha"), Some("beta"), None][i % 3]).collect();
        let s = finish_text("h".into(), vec![TextPart::Text(build(&vals))], vals.len(), true).unwrap();
        let df = DataFrame::new(vals.len(), vec![s.into_column()]).unwrap();
        let mut ctx = polars::sql::SQLContext::new();
        ctx.register("logs", logical_view(df.lazy()));
        let out = ctx
            .execute("select lower(h) l, count(*) c from logs where h like 'al%' group by l")
            .unwrap()
            .collect()
            .unwrap();
        assert_eq!(out.height(), 1);
        assert_eq!(out.column("c").unwrap().u32().unwrap().get(0), Some(34));
    }
}
