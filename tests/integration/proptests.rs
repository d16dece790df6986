//! Property tests for every parser and for detection (issue #10), bounded to stay fast in CI.
//! The generators live in the library (`brushfire::data::fuzz`) so that
//! `brushfire bench fuzz DIR --cases N` runs the very same ones longer.
//! Properties: no panic, no hang, every accepted time in years 1..=9999, and for a whole file
//! records + skipped + rejected = non-blank lines.
use brushfire::data::fuzz::{self, Rng};
use brushfire::data::record::ParseContext;
use brushfire::data::timeparse;
use proptest::prelude::*;
use std::sync::OnceLock;

/// Seed lines from the real logs: 20 per file. Fails in CI if the folder is missing.
fn seeds() -> &'static Vec<(String, Vec<Vec<u8>>)> {
    static SEEDS: OnceLock<Vec<(String, Vec<Vec<u8>>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let Some(dir) = crate::util::real_data("") else { return Vec::new() };
        let s = fuzz::seed_lines(&dir, 20).expect("reading seed lines from the real logs");
        assert!(s.len() >= 10, "expected seed lines from at least 10 real files, got {}", s.len());
        s
    })
}

fn all_seed_lines() -> Vec<Vec<u8>> {
    seeds().iter().flat_map(|(_, l)| l.iter().cloned()).collect()
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

fn check_all_parsers(line: &[u8]) -> Result<(), TestCaseError> {
    let ctx = ParseContext { default_year: 2020, ..Default::default() };
    for (name, p) in fuzz::line_parsers() {
        if let Err(e) = fuzz::check_line(p.as_ref(), line, &ctx) {
            return Err(TestCaseError::fail(format!("{name}: {e}")));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn every_parser_survives_arbitrary_bytes(line in proptest::collection::vec(any::<u8>(), 0..400)) {
        check_all_parsers(&line)?;
    }

    #[test]
    fn every_parser_survives_arbitrary_utf8(line in "\\PC{0,200}") {
        check_all_parsers(line.as_bytes())?;
    }

    #[test]
    fn every_parser_survives_mutated_real_lines(seed in any::<u64>()) {
        let lines = all_seed_lines();
        let mut rng = Rng::new(seed);
        // Long lines at 64 KiB here; the bench grows them to 1 MB.
        let line = fuzz::hostile_line(&lines, &mut rng, 64 * 1024);
        check_all_parsers(&line)?;
    }

    #[test]
    fn every_mutation_of_every_real_file(seed in any::<u64>(), m in 0usize..fuzz::MUTATIONS.len()) {
        let s = seeds();
        prop_assume!(!s.is_empty());
        let mut rng = Rng::new(seed);
        let (_, own) = rng.pick(s).clone();
        let line = rng.pick(&own).clone();
        let other = all_seed_lines()[rng.below(all_seed_lines().len())].clone();
        let mutated = fuzz::mutate(&line, &other, fuzz::MUTATIONS[m], &mut rng, 64 * 1024);
        check_all_parsers(&mutated)?;
    }

    #[test]
    fn time_forms_never_wrap(
        y in 0i64..200_000, mo in 0u32..14, d in 0u32..33, h in 0u32..26, mi in 0u32..62, s in 0u32..62,
        zh in 0u32..30, zm in 0u32..70, neg in any::<bool>(),
    ) {
        let zone = format!("{}{zh:02}:{zm:02}", if neg { '-' } else { '+' });
        let iso = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{zone}");
        let r = timeparse::iso_us(iso.as_bytes(), 0);
        let valid_fields = (1..=9999).contains(&y) && (1..=12).contains(&mo) && d >= 1
            && d <= timeparse::days_in_month(y, mo.clamp(1, 12)) && h < 24 && mi < 60 && s <= 60
            && zm < 60 && zh * 3600 + zm * 60 <= 18 * 3600;
        prop_assert_eq!(r.is_ok(), valid_fields, "{}", iso);
        if let Ok(us) = r {
            prop_assert!(timeparse::is_valid_us(us));
        }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let apache = format!("{d:02}/{}/{y}:{h:02}:{mi:02}:{s:02} {}{zh:02}{zm:02}", months[(mo as usize).clamp(1, 12) - 1], if neg { '-' } else { '+' });
        if let Ok(us) = timeparse::apache_us(&apache) {
            prop_assert!(timeparse::is_valid_us(us), "{}", apache);
        }
    }

    #[test]
    fn epochs_never_wrap(x in any::<i64>(), f in any::<f64>()) {
        for r in [
            timeparse::epoch_s_to_us(x), timeparse::epoch_ms_to_us(x), timeparse::epoch_us(x),
            timeparse::epoch_ns_to_us(x), timeparse::epoch_auto_int_to_us(x), timeparse::epoch_auto_f64_to_us(f),
            timeparse::dotnet_date_to_us(format!("/Date({x})/").as_bytes()),
            timeparse::epoch_secs_text_to_us(x.to_string().as_bytes()),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(timeparse::is_valid_us(r));
        }
        // Exactly the representable ones are accepted (i128: no overflow in the check itself).
        let in_range = |us: i128| (timeparse::MIN_US as i128..=timeparse::MAX_US as i128).contains(&us);
        prop_assert_eq!(timeparse::epoch_s_to_us(x).is_ok(), in_range(x as i128 * 1_000_000));
        prop_assert_eq!(timeparse::epoch_ms_to_us(x).is_ok(), in_range(x as i128 * 1000));
    }
}

proptest! {
    #![proptest_config(config(120))]

    #[test]
    fn detection_and_line_loading_keep_every_line_counted(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let file = fuzz::hostile_file(seeds(), &mut rng, 64 * 1024);
        if let Err(e) = fuzz::check_file(&file) {
            return Err(TestCaseError::fail(e));
        }
    }

    #[test]
    fn detection_survives_arbitrary_bytes(file in proptest::collection::vec(any::<u8>(), 0..5000)) {
        if let Err(e) = fuzz::check_file(&file) {
            return Err(TestCaseError::fail(e));
        }
    }
}

proptest! {
    #![proptest_config(config(40))]

    /// The whole loader, delimited formats included, on hostile files written to disk.
    #[test]
    fn loading_hostile_files_never_panics(seed in any::<u64>()) {
        let dir = crate::util::temp_dir("proptest-load");
        let mut rng = Rng::new(seed);
        let file = fuzz::hostile_file(seeds(), &mut rng, 16 * 1024);
        let name = format!("case-{seed}.log");
        if let Err(e) = fuzz::check_file_loaded(&dir, &file, &name) {
            return Err(TestCaseError::fail(e));
        }
    }
}

/// Every real file in a line format keeps its format when its first and last lines are cut
/// mid-line (rotated or `tail -c`-cut logs): the cut lines become rejected lines. Header-led
/// formats (Zeek TSV, CSV) are left out: their first line is the header.
#[test]
fn cut_first_and_last_lines_of_real_files_keep_their_format() {
    let line_formats: Vec<&str> = fuzz::line_parsers().iter().map(|(_, p)| p.name()).collect();
    let mut tried = 0;
    for (name, lines) in seeds() {
        if lines.len() < 10 {
            continue;
        }
        let whole: Vec<u8> = lines.iter().flat_map(|l| l.iter().copied().chain([b'\n'])).collect();
        let Ok(before) = fuzz::check_file(&whole) else { continue };
        if !line_formats.contains(&before.as_str()) {
            continue;
        }
        let cut_first = &lines[0][lines[0].len() / 2..];
        let last = &lines[lines.len() - 1];
        let mut cut: Vec<u8> = cut_first.to_vec();
        cut.push(b'\n');
        for l in &lines[1..lines.len() - 1] {
            cut.extend_from_slice(l);
            cut.push(b'\n');
        }
        cut.extend_from_slice(&last[..last.len() / 2]);
        let after = fuzz::check_file(&cut).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(after, before, "{name}: detection changed when the first and last lines were cut");
        tried += 1;
    }
    if !seeds().is_empty() {
        assert!(tried >= 8, "only {tried} real files in line formats were tried");
    }
}
