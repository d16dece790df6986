//! Integer columns kept in the fewest bytes that hold their values, and whole-number floats in
//! four.
//!
//! A loaded table types its integers as the format says: ports, flags and protocol numbers as
//! `i32`, byte and packet counters as `i64`. Most of those values are small: flags are 0 or 1,
//! ports fit 16 bits, a flow's bytes fit 32. At 10 M VAST flows the counters and flags were 400 MB
//! of a 1 GB table. So a loaded table stores each integer column in the narrowest *storage type*
//! that holds every value ([`compact_integers`]), and everything that computes or writes (SQL,
//! exports, lakes) reads it back in its *logical type* ([`logical_dtype`]): the same values, and
//! the same wrap-free arithmetic as before (`sum(bytes)` on a 32-bit column would wrap).
//!
//! The storage types are chosen so that each names the logical type it stands for, without a
//! side table that every frame derived from the table (selections, pages, cleaned copies) would
//! have to carry:
//!
//! | logical | storage                                   |
//! |---------|-------------------------------------------|
//! | `i32`   | `i8`, `i16`, `u16` (ports), or `i32`      |
//! | `i64`   | `u8`, `u32` (counters), or `i64`          |
//! | `f64`   | `f32` (whole numbers up to 2^24), or `f64` |
//!
//! A float column is stored in `f32` only when every value is a whole number of at most 2^24 in
//! magnitude (VAST's `durationSeconds`, whole seconds): those read back as the same `f64` and print
//! the same. Any other fraction may print differently through `f32` ("0.1" for the `f64` value
//! 0.10000000149011612), so such a column stays `f64`.
//!
//! A column that already came as one of the storage types (a Parquet file's `u16`) reads back as
//! the wider logical type: wider, never different values.
use polars::prelude::*;

/// The logical type a storage type stands for (see the module table); None when `dt` is not a
/// narrowed storage type.
pub fn logical_dtype(dt: &DataType) -> Option<DataType> {
    match dt {
        DataType::Int8 | DataType::Int16 | DataType::UInt16 => Some(DataType::Int32),
        DataType::UInt8 | DataType::UInt32 => Some(DataType::Int64),
        DataType::Float32 => Some(DataType::Float64),
        _ => None,
    }
}

/// Largest magnitude of a whole number every `f32` holds exactly (2^24).
const F32_WHOLE_MAX: f64 = 16_777_216.0;

/// Whether every value of a float column is a whole number that `f32` holds exactly (see the module
/// note); NaN and infinities read back the same too. False for a column without values.
fn fits_f32(s: &Series) -> PolarsResult<bool> {
    let s = s.cast(&DataType::Float64)?;
    let ca = s.f64()?;
    let mut any = false;
    for v in ca.iter().flatten() {
        any = true;
        let whole = v.is_nan() || v.is_infinite() || (v.fract() == 0.0 && v.abs() <= F32_WHOLE_MAX);
        if !whole {
            return Ok(false);
        }
    }
    Ok(any)
}

/// The narrowest storage type for a column of logical type `dt` whose values lie in
/// `min..=max`; None when nothing narrower holds them.
fn storage_dtype(dt: &DataType, min: i64, max: i64) -> Option<DataType> {
    let within = |lo: i64, hi: i64| lo <= min && max <= hi;
    match dt {
        DataType::Int32 if within(i8::MIN.into(), i8::MAX.into()) => Some(DataType::Int8),
        DataType::Int32 if within(i16::MIN.into(), i16::MAX.into()) => Some(DataType::Int16),
        DataType::Int32 if within(0, u16::MAX.into()) => Some(DataType::UInt16),
        DataType::Int64 if within(0, u8::MAX.into()) => Some(DataType::UInt8),
        DataType::Int64 if within(0, u32::MAX.into()) => Some(DataType::UInt32),
        _ => None,
    }
}

/// The storage type `c` can take, if narrower than its own; a column without values keeps its own.
fn narrower(c: &Column) -> PolarsResult<Option<DataType>> {
    if c.dtype() == &DataType::Float64 {
        return Ok(fits_f32(c.as_materialized_series())?.then_some(DataType::Float32));
    }
    if !matches!(c.dtype(), DataType::Int32 | DataType::Int64) {
        return Ok(None);
    }
    let s = c.as_materialized_series();
    let (Some(min), Some(max)) = (s.min::<i64>()?, s.max::<i64>()?) else {
        return Ok(None);
    };
    Ok(storage_dtype(c.dtype(), min, max))
}

/// Bytes a value of integer type `dt` takes.
fn width_bytes(dt: &DataType) -> usize {
    match dt {
        DataType::Int8 | DataType::UInt8 => 1,
        DataType::Int16 | DataType::UInt16 => 2,
        DataType::Int32 | DataType::UInt32 | DataType::Float32 => 4,
        _ => 8,
    }
}

/// [`compact_integers`] for one block of a file being read: each column in the narrowest type
/// that holds this block's values, so the wide block is gone before the next is parsed. The
/// blocks of one column may differ; [`unify_storage`] joins them.
pub fn compact_block(df: &mut DataFrame) -> PolarsResult<()> {
    for name in df.get_column_names_owned() {
        let c = df.column(&name)?;
        if let Some(to) = narrower(c)? {
            let narrow = c.strict_cast(&to)?;
            df.with_column(narrow)?;
        }
    }
    Ok(())
}

/// The logical type of `dt`: itself unless it is a narrowed storage type.
pub fn logical_or_same(dt: &DataType) -> DataType {
    logical_dtype(dt).unwrap_or_else(|| dt.clone())
}

/// Frames about to be stacked (the blocks of a file, the files of a load) whose integer columns
/// were narrowed one by one: a column stored in different types takes in every frame the
/// narrowest type that holds all of its values, so the frames stack without a type clash (which
/// would turn them into floats).
pub fn unify_storage(frames: &mut [DataFrame]) -> PolarsResult<()> {
    let mut names: Vec<PlSmallStr> = Vec::new();
    for f in frames.iter() {
        for n in f.get_column_names_owned() {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    for name in names {
        let dtypes: Vec<DataType> =
            frames.iter().filter_map(|f| f.column(&name).ok().map(|c| c.dtype().clone())).collect();
        if dtypes.windows(2).all(|w| w[0] == w[1]) {
            continue;
        }
        let logical = logical_or_same(&dtypes[0]);
        if logical == DataType::Float64 && dtypes.iter().all(|d| logical_or_same(d) == logical) {
            // Blocks stored as f32 and as f64: f32 for all if every block's values fit it.
            let mut fit = true;
            for f in frames.iter() {
                if let Ok(c) = f.column(&name) {
                    if c.dtype() == &DataType::Float64 && !fits_f32(c.as_materialized_series())? {
                        fit = false;
                        break;
                    }
                }
            }
            let to = if fit { DataType::Float32 } else { DataType::Float64 };
            cast_all(frames, &name, &to)?;
            continue;
        }
        if !matches!(logical, DataType::Int32 | DataType::Int64)
            || dtypes.iter().any(|d| logical_or_same(d) != logical)
        {
            // Not one integer family: stacking decides, as for any other type clash.
            continue;
        }
        let (mut min, mut max) = (None::<i64>, None::<i64>);
        for f in frames.iter() {
            if let Ok(c) = f.column(&name) {
                let s = c.as_materialized_series();
                if let Some(v) = s.min::<i64>()? {
                    min = Some(min.map_or(v, |m| m.min(v)));
                }
                if let Some(v) = s.max::<i64>()? {
                    max = Some(max.map_or(v, |m| m.max(v)));
                }
            }
        }
        let to = match (min, max) {
            (Some(lo), Some(hi)) => storage_dtype(&logical, lo, hi).unwrap_or(logical),
            _ => logical,
        };
        cast_all(frames, &name, &to)?;
    }
    Ok(())
}

/// Column `name` of every frame in type `to` (strictly: a value that did not fit would be an
/// error, never a null).
fn cast_all(frames: &mut [DataFrame], name: &PlSmallStr, to: &DataType) -> PolarsResult<()> {
    for f in frames.iter_mut() {
        if let Ok(c) = f.column(name) {
            if c.dtype() != to {
                let c = c.strict_cast(to)?;
                f.with_column(c)?;
            }
        }
    }
    Ok(())
}

/// Stores every `i32` and `i64` column of the whole table in the narrowest type that holds its
/// values, and whole-number `f64` columns in `f32`, each in one contiguous buffer. Returns the
/// bytes saved by narrowing here (columns that came narrowed from [`compact_block`] count nothing).
pub fn compact_integers(df: &mut DataFrame) -> PolarsResult<usize> {
    let mut saved = 0;
    for name in df.get_column_names_owned() {
        let c = df.column(&name)?;
        let to = narrower(c)?;
        let stored = to.is_some() || logical_dtype(c.dtype()).is_some();
        if !stored || (to.is_none() && c.n_chunks() == 1) {
            continue;
        }
        let to = to.unwrap_or_else(|| c.dtype().clone());
        saved += (width_bytes(c.dtype()) - width_bytes(&to)) * c.len();
        // One contiguous buffer, so that whatever later reads the column in another type (the
        // linking index reads ports and counters as i64) makes one large allocation, which goes
        // back to the system when freed, not thousands of small ones that stay resident in the
        // heap. A strict cast: a value that did not fit would be an error, never a null.
        let narrow = c.as_materialized_series().rechunk().strict_cast(&to)?.into_column();
        df.with_column(narrow)?;
        // The chunks just freed are heap blocks: give them back (`crate::alloc`).
        crate::alloc::release_free_memory();
    }
    Ok(saved)
}

/// `c` in its logical type (see the module table).
pub fn widen(c: &Column) -> PolarsResult<Column> {
    match logical_dtype(c.dtype()) {
        Some(to) => c.cast(&to),
        None => Ok(c.clone()),
    }
}

/// How rows of column `new` join a column stored as `stored` (a followed file's new lines).
pub enum Fit {
    /// Not two integer columns of one logical type: stacking decides, as for any type clash.
    Unrelated,
    /// `new` in the stored type: every value fits.
    Fits(Column),
    /// Some value does not fit: both must take their logical type.
    Widen(DataType),
}

/// See [`Fit`].
pub fn fit_to_storage(new: &Column, stored: &DataType) -> PolarsResult<Fit> {
    let logical = logical_or_same(stored);
    if logical == DataType::Float64 && logical_or_same(new.dtype()) == logical {
        if new.dtype() == stored {
            return Ok(Fit::Fits(new.clone()));
        }
        // A cast to f32 never fails, it rounds: only whole numbers it holds may go in.
        return Ok(if stored == &DataType::Float32 && fits_f32(new.as_materialized_series())? {
            Fit::Fits(new.cast(stored)?)
        } else {
            Fit::Widen(logical)
        });
    }
    if !matches!(logical, DataType::Int32 | DataType::Int64) || logical_or_same(new.dtype()) != logical {
        return Ok(Fit::Unrelated);
    }
    if new.dtype() == stored {
        return Ok(Fit::Fits(new.clone()));
    }
    Ok(match new.strict_cast(stored) {
        Ok(c) => Fit::Fits(c),
        Err(_) => Fit::Widen(logical),
    })
}

/// Expressions that read a frame's storage types back as their logical types (lazily: a query
/// that never touches a column never widens it).
pub fn widen_exprs() -> [Expr; 3] {
    let any_of = |dts: &[DataType]| Selector::ByDType(DataTypeSelector::AnyOf(dts.into())).as_expr();
    [
        any_of(&[DataType::Int8, DataType::Int16, DataType::UInt16]).cast(DataType::Int32),
        any_of(&[DataType::UInt8, DataType::UInt32]).cast(DataType::Int64),
        any_of(&[DataType::Float32]).cast(DataType::Float64),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> DataFrame {
        df!(
            "flag" => [0i32, 1, 1],
            "proto" => [6i32, 17, -1],
            "port" => [80i32, 65535, 443],
            "wide" => [0i32, 70000, 1],
            "bytes" => [0i64, 4_000_000_000, 12],
            "tiny" => [0i64, 255, 7],
            "neg" => [-1i64, 0, 1],
            "nulls" => [None::<i64>, None, None],
            "text" => ["a", "b", "c"],
        )
        .unwrap()
    }

    #[test]
    fn each_column_takes_the_narrowest_type_that_holds_it() {
        let mut df = frame();
        let saved = compact_integers(&mut df).unwrap();
        let dt = |n: &str| df.column(n).unwrap().dtype().clone();
        assert_eq!(dt("flag"), DataType::Int8);
        assert_eq!(dt("proto"), DataType::Int8);
        assert_eq!(dt("port"), DataType::UInt16);
        assert_eq!(dt("wide"), DataType::Int32);
        assert_eq!(dt("bytes"), DataType::UInt32);
        assert_eq!(dt("tiny"), DataType::UInt8);
        // Negative counters stay as they are: an unsigned type would not hold them.
        assert_eq!(dt("neg"), DataType::Int64);
        assert_eq!(dt("nulls"), DataType::Int64);
        assert_eq!(dt("text"), DataType::String);
        assert_eq!(saved, 3 * (3 + 3 + 2 + 4 + 7));
    }

    #[test]
    fn the_logical_view_gives_back_the_original_types_and_values() {
        let orig = frame();
        let mut df = orig.clone();
        compact_integers(&mut df).unwrap();
        let back = df.lazy().with_columns(widen_exprs()).collect().unwrap();
        assert_eq!(back.schema(), orig.schema());
        assert!(back.equals_missing(&orig));
    }

    #[test]
    fn sums_over_the_logical_view_do_not_wrap() {
        let mut df = df!("bytes" => [4_000_000_000i64, 4_000_000_000]).unwrap();
        compact_integers(&mut df).unwrap();
        let sum = df.lazy().with_columns(widen_exprs()).select([col("bytes").sum()]).collect().unwrap();
        assert_eq!(sum.column("bytes").unwrap().i64().unwrap().get(0), Some(8_000_000_000));
    }

    #[test]
    fn blocks_narrowed_apart_stack_in_one_type_that_holds_them_all() {
        let mut a = df!("port" => [80i32, 443], "bytes" => [1i64, 2], "flag" => [0i32, 1]).unwrap();
        let mut b = df!("port" => [-1i32, 22], "bytes" => [70_000i64, 3], "flag" => [1i32, 1]).unwrap();
        let mut c = df!("port" => [40_000i32], "bytes" => [None::<i64>], "flag" => [0i32]).unwrap();
        let mut blocks = Vec::new();
        for f in [&mut a, &mut b, &mut c] {
            compact_block(f).unwrap();
            blocks.push(f.clone());
        }
        assert_eq!(blocks[0].column("port").unwrap().dtype(), &DataType::Int16);
        assert_eq!(blocks[2].column("port").unwrap().dtype(), &DataType::UInt16);
        assert_eq!(blocks[1].column("port").unwrap().dtype(), &DataType::Int8);
        unify_storage(&mut blocks).unwrap();
        let mut all = blocks[0].clone();
        for f in &blocks[1..] {
            all.vstack_mut(f).unwrap();
        }
        // -1 and 40,000 need 32 bits; bytes up to 70,000 take u32; the flags one byte.
        assert_eq!(all.column("port").unwrap().dtype(), &DataType::Int32);
        assert_eq!(all.column("bytes").unwrap().dtype(), &DataType::UInt32);
        assert_eq!(all.column("flag").unwrap().dtype(), &DataType::Int8);
        let back = all.lazy().with_columns(widen_exprs()).collect().unwrap();
        let want = df!(
            "port" => [80i32, 443, -1, 22, 40_000],
            "bytes" => [Some(1i64), Some(2), Some(70_000), Some(3), None],
            "flag" => [0i32, 1, 1, 1, 0],
        )
        .unwrap();
        assert!(back.equals_missing(&want), "{back}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

        /// Whatever the values (extremes of both types, negatives, nulls, all-null blocks) and
        /// however they fall into blocks, the blocks narrowed apart stack, and the logical view
        /// gives back exactly the column read, in its own type.
        #[test]
        fn any_blocks_narrow_stack_and_read_back_exactly(
            values in proptest::collection::vec(
                (
                    proptest::option::weighted(0.9, proptest::prop_oneof![
                        proptest::num::i32::ANY,
                        -200i32..70_000,
                        proptest::sample::select(vec![i32::MIN, i32::MAX, -1, 0, 127, 128, 32_767, 32_768, 65_535, 65_536]),
                    ]),
                    proptest::option::weighted(0.9, proptest::prop_oneof![
                        proptest::num::i64::ANY,
                        0i64..5_000_000_000,
                        proptest::sample::select(vec![i64::MIN, i64::MAX, -1, 0, 255, 256, u32::MAX as i64, u32::MAX as i64 + 1]),
                    ]),
                    proptest::option::weighted(0.9, proptest::prop_oneof![
                        4 => proptest::strategy::Strategy::prop_map(-20_000_000i64..20_000_000, |v| v as f64),
                        1 => proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO,
                        1 => proptest::sample::select(vec![0.5, 0.1, -0.0, 16_777_216.0, -16_777_216.0, 16_777_217.0, f64::INFINITY, 1e300]),
                    ]),
                ),
                1..300,
            ),
            cuts in proptest::collection::vec(0usize..300, 0..6),
        ) {
            let port: Vec<Option<i32>> = values.iter().map(|v| v.0).collect();
            let bytes: Vec<Option<i64>> = values.iter().map(|v| v.1).collect();
            let secs: Vec<Option<f64>> = values.iter().map(|v| v.2).collect();
            let whole = df!("port" => &port, "bytes" => &bytes, "secs" => &secs).unwrap();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % values.len()).collect();
            cuts.extend([0, values.len()]);
            cuts.sort_unstable();
            cuts.dedup();
            let mut blocks: Vec<DataFrame> = cuts
                .windows(2)
                .map(|w| {
                    let mut b = whole.slice(w[0] as i64, w[1] - w[0]);
                    compact_block(&mut b).unwrap();
                    b
                })
                .collect();
            unify_storage(&mut blocks).unwrap();
            let mut all = blocks[0].clone();
            for b in &blocks[1..] {
                all.vstack_mut(b).unwrap();
            }
            compact_integers(&mut all).unwrap();
            let back = all.lazy().with_columns(widen_exprs()).collect().unwrap();
            proptest::prop_assert_eq!(back.schema(), whole.schema());
            proptest::prop_assert!(back.equals_missing(&whole), "{} vs {}", back, whole);
        }
    }

    #[test]
    fn whole_number_floats_take_four_bytes_and_read_back_the_same() {
        let orig = df!(
            "secs" => [Some(0.0f64), Some(3.0), None, Some(-16_777_216.0), Some(f64::NAN)],
            "frac" => [0.0f64, 0.5, 1.0, 2.0, 3.0],
            "huge" => [0.0f64, 16_777_217.0, 1.0, 2.0, 3.0],
            "nulls" => [None::<f64>, None, None, None, None],
        )
        .unwrap();
        let mut df = orig.clone();
        let saved = compact_integers(&mut df).unwrap();
        let dt = |n: &str| df.column(n).unwrap().dtype().clone();
        assert_eq!(dt("secs"), DataType::Float32);
        // A fraction, a whole number past 2^24 and a column without values stay f64.
        assert_eq!(dt("frac"), DataType::Float64);
        assert_eq!(dt("huge"), DataType::Float64);
        assert_eq!(dt("nulls"), DataType::Float64);
        assert_eq!(saved, 5 * 4);
        assert_eq!(crate::data::text_column::type_name(&dt("secs")), "f64");
        let back = df.lazy().with_columns(widen_exprs()).collect().unwrap();
        assert_eq!(back.schema(), orig.schema());
        let secs: Vec<Option<f64>> = back.column("secs").unwrap().f64().unwrap().iter().collect();
        assert_eq!(&secs[..4], &[Some(0.0), Some(3.0), None, Some(-16_777_216.0)]);
        assert!(secs[4].is_some_and(f64::is_nan));
    }

    #[test]
    fn float_blocks_stack_as_f32_only_if_every_block_fits() {
        let mut a = df!("secs" => [1.0f64, 2.0]).unwrap();
        let mut b = df!("secs" => [0.25f64]).unwrap();
        let mut c = df!("secs" => [7.0f64]).unwrap();
        for f in [&mut a, &mut b, &mut c] {
            compact_block(f).unwrap();
        }
        let mut fit = vec![a.clone(), c.clone()];
        unify_storage(&mut fit).unwrap();
        assert!(fit.iter().all(|f| f.column("secs").unwrap().dtype() == &DataType::Float32));
        let mut mixed = vec![a, b, c];
        unify_storage(&mut mixed).unwrap();
        assert!(mixed.iter().all(|f| f.column("secs").unwrap().dtype() == &DataType::Float64));
        let mut all = mixed[0].clone();
        all.vstack_mut(&mixed[1]).unwrap();
        all.vstack_mut(&mixed[2]).unwrap();
        let got: Vec<Option<f64>> = all.column("secs").unwrap().f64().unwrap().iter().collect();
        assert_eq!(got, [Some(1.0), Some(2.0), Some(0.25), Some(7.0)]);
        // New rows of a followed file: whole numbers fit, a fraction widens the column.
        let whole = Column::new("secs".into(), [5.0f64]);
        let frac = Column::new("secs".into(), [0.1f64]);
        let Fit::Fits(f) = fit_to_storage(&whole, &DataType::Float32).unwrap() else { panic!("fits") };
        assert_eq!(f.dtype(), &DataType::Float32);
        assert!(matches!(fit_to_storage(&frac, &DataType::Float32).unwrap(), Fit::Widen(DataType::Float64)));
    }

    #[test]
    fn new_rows_fit_the_storage_type_or_say_they_do_not() {
        let small = Column::new("port".into(), [22i32, 8080]);
        let big = Column::new("port".into(), [70000i32]);
        let Fit::Fits(fitted) = fit_to_storage(&small, &DataType::UInt16).unwrap() else { panic!("fits") };
        assert_eq!(fitted.dtype(), &DataType::UInt16);
        assert!(matches!(fit_to_storage(&big, &DataType::UInt16).unwrap(), Fit::Widen(DataType::Int32)));
        // Narrow new rows join a column the table keeps wide.
        let narrow = Column::new("port".into(), [22i8]);
        let Fit::Fits(fitted) = fit_to_storage(&narrow, &DataType::Int32).unwrap() else { panic!("fits") };
        assert_eq!(fitted.dtype(), &DataType::Int32);
        // Ports next to counters: not one logical type.
        assert!(matches!(fit_to_storage(&small, &DataType::Int64).unwrap(), Fit::Unrelated));
    }
}
