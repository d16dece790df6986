//! One text dictionary per loaded table, in 2-byte codes.
//!
//! Parsing puts repeating text into polars' process-wide dictionary ([`text_column`]): 4-byte codes,
//! filled by the blocks of a file from several threads at once. At 10 M flows the four such
//! columns of a VAST file (addresses, protocol names) were 160 MB, though together they hold fewer
//! than 20,000 values. Once a table is whole, its dictionary columns move to a dictionary of its own
//! with 2-byte codes ([`narrow_text`]), when their values together fit.
//!
//! - **One dictionary for the whole table, not one per column:** flow repair swaps `src_ip` and
//!   `dst_ip` row by row, and a comparison of two columns needs them in one type.
//! - **Filled here only, one value at a time.** Stop 36 gave each column a dictionary filled by
//!   the block threads at once; dropping one crashed about once in 30 loads (a double free inside
//!   polars' concurrent string map). The process-wide dictionary is never dropped. A table's is
//!   filled by [`narrow_text`] and [`codes_for`] alone, from one thread, and dropped with the table.
//! - **Room to grow:** a table takes its own dictionary only with at most [`TABLE_DICT_MAX`]
//!   values, so a followed file's new values usually fit the rest of the 65,535 codes; when they do
//!   not, the table's columns go back to the process-wide dictionary ([`to_process_wide`]).
//!
//! [`text_column`]: super::text_column
use super::text_column::categorical_dtype;
use polars::prelude::*;

/// Most values a table's own dictionary starts with (see the module note).
pub const TABLE_DICT_MAX: usize = 60_000;

/// Namespace of the tables' dictionaries; each has a random name, so no two tables share one.
const NAMESPACE: &str = "brushfire-table";

/// A global id seen nowhere in the table (see [`narrow_text`]).
const UNSEEN: u32 = u32::MAX;

/// Whether `dt` is a table's own dictionary type (see the module note).
pub fn is_table_dict(dt: &DataType) -> bool {
    matches!(dt, DataType::Categorical(cats, _) if !cats.is_global() && cats.namespace() == NAMESPACE)
}

fn is_process_wide(dt: &DataType) -> bool {
    matches!(dt, DataType::Categorical(cats, _) if cats.is_global())
}

/// Moves the process-wide dictionary columns of `df` to one new dictionary of 2-byte codes when
/// they hold at most [`TABLE_DICT_MAX`] values together. Returns the bytes of codes saved.
pub fn narrow_text(df: &mut DataFrame) -> PolarsResult<usize> {
    let names: Vec<PlSmallStr> =
        df.columns().iter().filter(|c| is_process_wide(c.dtype())).map(|c| c.name().clone()).collect();
    if names.is_empty() || df.height() == 0 {
        return Ok(0);
    }
    let global = categorical_dtype();
    let global_map = global.cat_mapping()?.clone();
    // Global ids are dense: a table of them by id, unless the process holds so many values (other
    // tables' ids) that the table would cost more than it saves.
    let ids_upper = global_map.num_cats_upper_bound();
    if ids_upper > (16 * df.height()).max(1 << 22) {
        return Ok(0);
    }
    let mut new_of = vec![UNSEEN; ids_upper];
    let mut order: Vec<u32> = Vec::new();
    for name in &names {
        let phys = df.column(name)?.as_materialized_series().to_physical_repr();
        for arr in phys.u32()?.downcast_iter() {
            let valid = |i: usize| arr.validity().is_none_or(|v| v.get_bit(i));
            for (i, &id) in arr.values().iter().enumerate() {
                let Some(slot) = new_of.get_mut(id as usize) else {
                    polars_bail!(ComputeError: "column {name}: code {id} is not in the dictionary");
                };
                if *slot == UNSEEN && valid(i) {
                    if order.len() == TABLE_DICT_MAX {
                        return Ok(0);
                    }
                    *slot = order.len() as u32;
                    order.push(id);
                }
            }
        }
    }
    let cats = Categories::random(NAMESPACE.into(), CategoricalPhysical::U16);
    // The dtype holds the mapping (the categories only refer to it weakly): made before filling.
    let dtype = DataType::from_categories(cats);
    let mapping = dtype.cat_mapping()?.clone();
    for &id in &order {
        let Some(s) = global_map.cat_to_str(id) else {
            polars_bail!(ComputeError: "code {id} has no value in the process-wide dictionary");
        };
        new_of[id as usize] = mapping.insert_cat(s)?;
    }
    let mut saved = 0;
    for name in &names {
        let phys = df.column(name)?.as_materialized_series().to_physical_repr();
        let mut out = UInt16Chunked::full_null(name.clone(), 0);
        for arr in phys.u32()?.downcast_iter() {
            // A null row's slot may hold any id: it becomes 0, under the same validity.
            let codes: Vec<u16> = arr
                .values()
                .iter()
                .map(|&id| match new_of.get(id as usize) {
                    Some(&c) if c != UNSEEN => c as u16,
                    _ => 0,
                })
                .collect();
            out.append_owned(UInt16Chunked::from_vec_validity(name.clone(), codes, arr.validity().cloned()))?;
        }
        saved += 2 * out.len();
        // SAFETY: every valid row's code was given by this dtype's own mapping (`insert_cat` above,
        // below its 65,535 two-byte codes), and the physical type of `U16` categories is u16.
        let cat = unsafe { Categorical16Chunked::from_cats_and_dtype_unchecked(out, dtype.clone()) };
        df.with_column(cat.into_series().into_column())?;
    }
    // The 4-byte codes just freed are large blocks: give them back (`crate::alloc`).
    crate::alloc::release_free_memory();
    Ok(saved)
}

/// `new` (text, or codes of another dictionary) as codes of the table dictionary `dtype`, adding
/// its new values one at a time; None when they do not all fit (see [`to_process_wide`]).
pub fn codes_for(new: &Column, dtype: &DataType) -> PolarsResult<Option<Column>> {
    let mapping = dtype.cat_mapping()?.clone();
    let text = new.cast(&DataType::String)?;
    let mut codes: Vec<u16> = Vec::with_capacity(text.len());
    let mut valid: Vec<bool> = Vec::with_capacity(text.len());
    for v in text.str()?.iter() {
        match v {
            None => {
                codes.push(0);
                valid.push(false);
            }
            Some(s) => match mapping.insert_cat(s).ok().and_then(|c| u16::try_from(c).ok()) {
                Some(c) => {
                    codes.push(c);
                    valid.push(true);
                }
                None => return Ok(None),
            },
        }
    }
    let phys: UInt16Chunked = codes.into_iter().zip(valid).map(|(c, ok)| ok.then_some(c)).collect();
    // SAFETY: every valid code was just given by this dtype's own mapping, as a u16.
    let cat = unsafe {
        Categorical16Chunked::from_cats_and_dtype_unchecked(phys.with_name(new.name().clone()), dtype.clone())
    };
    Ok(Some(cat.into_series().into_column()))
}

/// Every column of `df` in a table dictionary, back in the process-wide one (a followed file
/// brought more values than its 2-byte codes hold).
pub fn to_process_wide(df: &mut DataFrame) -> PolarsResult<()> {
    let names: Vec<PlSmallStr> =
        df.columns().iter().filter(|c| is_table_dict(c.dtype())).map(|c| c.name().clone()).collect();
    for name in names {
        let c = df.column(&name)?.cast(&DataType::String)?.cast(&categorical_dtype())?;
        df.with_column(c)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coded(name: &str, vals: &[Option<&str>]) -> Column {
        Series::new(name.into(), vals).cast(&categorical_dtype()).unwrap().into_column()
    }

    fn text(df: &DataFrame, name: &str) -> Vec<Option<String>> {
        let s = df.column(name).unwrap().cast(&DataType::String).unwrap();
        s.str().unwrap().iter().map(|v| v.map(str::to_string)).collect()
    }

    fn flows() -> DataFrame {
        let src = [Some("10.0.0.1"), Some("10.0.0.2"), None, Some("10.0.0.1")];
        let dst = [Some("10.0.0.2"), Some("172.16.0.9"), Some("10.0.0.1"), None];
        let proto = [Some("tcp"), Some("udp"), Some("tcp"), Some("tcp")];
        DataFrame::new(
            4,
            vec![
                coded("src_ip", &src),
                coded("dst_ip", &dst),
                coded("proto", &proto),
                Column::new("port".into(), [1i32, 2, 3, 4]),
            ],
        )
        .unwrap()
    }

    #[test]
    fn a_tables_text_takes_one_dictionary_of_two_byte_codes_and_reads_the_same() {
        let orig = flows();
        let mut df = orig.clone();
        assert_eq!(narrow_text(&mut df).unwrap(), 3 * 4 * 2);
        let dt = |n: &str| df.column(n).unwrap().dtype().clone();
        assert!(is_table_dict(&dt("src_ip")));
        assert_eq!(dt("src_ip").cat_physical().unwrap(), CategoricalPhysical::U16);
        // One type for the table: swapped and compared columns stay codes.
        assert_eq!(dt("src_ip"), dt("dst_ip"));
        assert_eq!(dt("src_ip"), dt("proto"));
        for n in ["src_ip", "dst_ip", "proto"] {
            assert_eq!(text(&df, n), text(&orig, n), "{n}");
        }
        let same =
            df.clone().lazy().select([col("src_ip").eq(col("dst_ip")).alias("same")]).collect().unwrap();
        assert_eq!(
            same.column("same").unwrap().bool().unwrap().iter().collect::<Vec<_>>(),
            [Some(false), Some(false), None, None]
        );
        let tcp = df.clone().lazy().filter(col("proto").eq(lit("tcp"))).collect().unwrap();
        assert_eq!(tcp.height(), 3);
        // Another table gets another dictionary.
        let mut other = orig.clone();
        narrow_text(&mut other).unwrap();
        assert_ne!(other.column("src_ip").unwrap().dtype(), &dt("src_ip"));
    }

    #[test]
    fn too_many_values_stay_in_the_process_wide_dictionary() {
        let vals: Vec<String> = (0..TABLE_DICT_MAX + 1).map(|i| format!("v{i}")).collect();
        let vals: Vec<Option<&str>> = vals.iter().map(|v| Some(v.as_str())).collect();
        let mut df = DataFrame::new(vals.len(), vec![coded("host", &vals)]).unwrap();
        assert_eq!(narrow_text(&mut df).unwrap(), 0);
        assert!(is_process_wide(df.column("host").unwrap().dtype()));
    }

    #[test]
    fn new_values_join_the_table_dictionary_until_it_is_full() {
        let mut df = flows();
        narrow_text(&mut df).unwrap();
        let dt = df.column("src_ip").unwrap().dtype().clone();
        let new = Column::new("src_ip".into(), [Some("10.9.9.9"), None, Some("10.0.0.1")]);
        let got = codes_for(&new, &dt).unwrap().expect("fits");
        assert_eq!(got.dtype(), &dt);
        let back: Vec<Option<String>> = got
            .cast(&DataType::String)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect();
        assert_eq!(back, [Some("10.9.9.9".to_string()), None, Some("10.0.0.1".to_string())]);
        let many: Vec<String> = (0..70_000).map(|i| format!("n{i}")).collect();
        let many = Column::new("src_ip".into(), many);
        assert!(codes_for(&many, &dt).unwrap().is_none());
        let orig = flows();
        to_process_wide(&mut df).unwrap();
        for n in ["src_ip", "dst_ip", "proto"] {
            assert!(is_process_wide(df.column(n).unwrap().dtype()), "{n}");
            assert_eq!(text(&df, n), text(&orig, n), "{n}");
        }
    }

    /// Tables made and dropped on several threads at once (a followed file's worker, a cleaned
    /// copy, a second file): each dictionary is filled by one thread, so dropping it is safe.
    /// Stop 36's dictionaries, filled by several threads, failed a loop like this.
    #[test]
    fn tables_narrowed_and_dropped_on_many_threads_never_crash() {
        let threads: Vec<_> = (0..4)
            .map(|t| {
                std::thread::spawn(move || {
                    for i in 0..40 {
                        let vals: Vec<String> =
                            (0..3000).map(|k| format!("h{t}-{}", (k * 7 + i) % 1500)).collect();
                        let vals: Vec<Option<&str>> = vals.iter().map(|v| Some(v.as_str())).collect();
                        let mut df = DataFrame::new(vals.len(), vec![coded("host", &vals)]).unwrap();
                        narrow_text(&mut df).unwrap();
                        let dt = df.column("host").unwrap().dtype().clone();
                        let new = Column::new("host".into(), [format!("new{t}-{i}")]);
                        assert!(codes_for(&new, &dt).unwrap().is_some());
                        drop(df);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
}
