//! Which keys of a JSON line a projected query must read. A query that names three fields of a
//! Suricata eve line still had every value of the line unescaped, converted, mapped and offered to
//! the column builder, which dropped all but three: at 10 M lines that was most of the work.
//!
//! [`SourceKeys`] says, for a flattened key, whether its value can reach a wanted field. The
//! scanner still checks every value (a line is accepted or rejected exactly as before) but only
//! stores the wanted ones. A key is needed when it, or a field a flavour's mapping may make of it,
//! is wanted; keys a mapping always reads (the record time, Zeek's `_path`) are always needed.
//! Keeping more keys than needed is always safe: the builder drops fields it does not build.
use std::collections::HashSet;

/// How a flavour's mapping turns one source key into fields: the key (as written in the line) and
/// every field name it may produce besides its own name (a key whose value does not convert is
/// kept under its own name, so that is always possible).
pub(crate) type Rule = (&'static str, &'static [&'static str]);

/// The source keys a projected parse reads; the others are only checked.
#[derive(Debug, Clone, Default)]
pub struct SourceKeys {
    /// Needed keys, lower case, by byte length (most keys are told apart by length alone).
    by_len: Vec<Vec<Folded>>,
    /// Dotted keys whose object must be descended into (`flow` for `flow.bytes_toserver`), lower
    /// case, by byte length.
    prefixes_by_len: Vec<Vec<Folded>>,
    /// Every key under these prefixes (lower case, with the dot) is needed: a mapping that renames
    /// a whole subtree (Windows event data) cannot list its keys.
    whole_under: Vec<String>,
    /// One bit per [`signature`] of a needed key: a clear bit answers most keys in one load.
    bloom: [u64; 4],
    /// For a mapping that names a subtree's keys by their last part (Windows event data): only
    /// keys under these subtrees are judged, by that part; every other key is needed.
    renamed: Option<Renamed>,
    /// Tells this judge apart from any other (0: none was given): a [`KeyMemo`] holds the verdicts
    /// of one judge only.
    ///
    /// [`KeyMemo`]: super::json_key_memo::KeyMemo
    pub(crate) id: u64,
}

/// Ids of [`SourceKeys`], from 1.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// See [`SourceKeys::renamed`].
#[derive(Debug, Clone, Default)]
struct Renamed {
    /// Subtree prefixes (as written, with the dot), how the mapping names the keys under each, and
    /// the keys a [`Naming::Listed`] subtree lists, as written.
    prefixes: Vec<(String, Naming, Vec<Vec<Folded>>)>,
    /// Needed names, lower case.
    names: Vec<Vec<Folded>>,
    /// A skipped key under this prefix is noted on the line ([`LineFields::skipped_marked`]): the
    /// mapping tells a line's shape by whether it has any such key.
    ///
    /// [`LineFields::skipped_marked`]: crate::data::record::LineFields::skipped_marked
    marker: Option<String>,
}

/// How a mapping names the keys under a renamed subtree.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Naming {
    /// By the rest of the key after this many more dotted parts (Windows' event data by its name,
    /// `Event.UserData.<Element>.Name` after one).
    DropParts(usize),
    /// The rest of the key is one of the `known` rules' keys (matched as written, as the mapping
    /// matches them); any other key goes by the name `other` gives its rest. The known rules take
    /// part in the closure like any other.
    Listed { known: &'static [Rule], other: fn(&str) -> std::borrow::Cow<'_, str> },
}

impl SourceKeys {
    /// The keys needed for the fields `wanted` (lower case), given a flavour's `rules` and the
    /// keys its mapping always reads. The wanted set is closed over the rules: when a wanted field
    /// may come from key `k`, everything `k` may produce is wanted too, because a mapping that puts
    /// a field under its normalized name only when that name is still free (`put_unique`) names
    /// the field by what came before it in the line.
    pub fn new<'a>(
        wanted: impl IntoIterator<Item = &'a str>,
        rules: &[(&str, &[&str])],
        always: &[&str],
        whole_under: &[&str],
    ) -> Self {
        let mut names: HashSet<String> = wanted.into_iter().map(str::to_ascii_lowercase).collect();
        // Every table has a time column; it is built whatever the query names.
        names.insert("time".into());
        loop {
            let before = names.len();
            for (key, outputs) in rules {
                let key = key.to_ascii_lowercase();
                if names.contains(&key) || outputs.iter().any(|o| names.contains(*o)) {
                    names.insert(key);
                    names.extend(outputs.iter().map(|o| o.to_string()));
                }
            }
            if names.len() == before {
                break;
            }
        }
        // Keys the mapping reads for its own sake (Zeek's `_path` says whether HTTP names apply):
        // what they become is not wanted, so they do not widen the closure.
        names.extend(always.iter().map(|k| k.to_ascii_lowercase()));
        let mut prefixes = HashSet::new();
        for n in &names {
            let mut at = 0;
            while let Some(dot) = n[at..].find('.') {
                prefixes.insert(n[..at + dot].to_owned());
                at += dot + 1;
            }
        }
        for w in whole_under {
            let w = w.to_ascii_lowercase();
            let mut at = 0;
            while let Some(dot) = w[at..].find('.') {
                prefixes.insert(w[..at + dot].to_owned());
                at += dot + 1;
            }
            prefixes.insert(w);
        }
        let mut bloom = [0u64; 4];
        for n in &names {
            let sig = signature(n.as_bytes());
            bloom[sig / 64] |= 1 << (sig % 64);
        }
        Self {
            bloom,
            by_len: by_len(names),
            prefixes_by_len: by_len(prefixes),
            whole_under: whole_under.iter().map(|w| format!("{}.", w.to_ascii_lowercase())).collect(),
            renamed: None,
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Keys under `prefixes` (each with how the mapping names the keys under it) are needed when
    /// their name, or a field `rules` make of it, is wanted, or when the whole key is wanted (a
    /// line of another shape keeps it whole). Prefixes match as written, as the mapping matches
    /// them; the first that matches applies. Any other key is judged by `rules` as in
    /// [`SourceKeys::new`]. A skipped key under `marker` is noted on the line.
    pub(crate) fn renamed<'a>(
        wanted: impl IntoIterator<Item = &'a str>,
        rules: &[(&str, &[&str])],
        prefixes: &[(&str, Naming)],
        marker: Option<&str>,
    ) -> Self {
        // A listed key's own name, kept when its field name was taken, is the whole key: the
        // closure must see it under both.
        let mut all_rules = rules.to_vec();
        let mut whole: Vec<(String, &[&str])> = Vec::new();
        for (p, naming) in prefixes {
            if let Naming::Listed { known, .. } = naming {
                all_rules.extend_from_slice(known);
                whole.extend(known.iter().map(|(k, outputs)| (format!("{p}{k}"), *outputs)));
            }
        }
        all_rules.extend(whole.iter().map(|(k, outputs)| (k.as_str(), *outputs)));
        let closed = Self::new(wanted, &all_rules, &[], &[]);
        let names = closed.by_len.iter().flatten().map(|f| f.name.clone()).collect();
        let prefixes = prefixes
            .iter()
            .map(|(p, naming)| {
                let listed = match naming {
                    Naming::Listed { known, .. } => known.iter().map(|(k, _)| k.to_string()).collect(),
                    Naming::DropParts(_) => HashSet::new(),
                };
                (p.to_string(), *naming, by_len(listed))
            })
            .collect();
        let renamed = Renamed { prefixes, names: by_len(names), marker: marker.map(str::to_owned) };
        Self { renamed: Some(renamed), ..closed }
    }

    /// Whether a key that is not stored is to be noted on the line (see [`SourceKeys::renamed`]).
    #[inline]
    pub fn marks(&self, key: &str) -> bool {
        self.renamed
            .as_ref()
            .and_then(|r| r.marker.as_deref())
            .is_some_and(|m| has_prefix(key.as_bytes(), m.as_bytes()))
    }

    /// Whether the value of the flattened key `key` must be stored.
    #[inline]
    pub fn wants(&self, key: &str) -> bool {
        if let Some(named) = self.renamed.as_ref().and_then(|r| r.wants(key)) {
            return named || in_set(&self.by_len, key);
        }
        let sig = signature(key.as_bytes());
        (self.bloom[sig / 64] >> (sig % 64) & 1 == 1 && in_set(&self.by_len, key))
            || self.whole_under.iter().any(|w| starts_with_ignore_case(key, w))
    }

    /// Whether the object at the flattened key `key` holds a needed key (else it is only checked).
    pub fn wants_under(&self, key: &str) -> bool {
        if self.renamed.is_some() {
            return true;
        }
        // The keys of an object under the empty top-level key flatten without a prefix.
        key.is_empty()
            || in_set(&self.prefixes_by_len, key)
            || self.whole_under.iter().any(|w| starts_with_ignore_case(key, w))
    }
}

impl Renamed {
    /// Whether `key` is needed when it sits under one of the subtrees; None for any other key.
    fn wants(&self, key: &str) -> Option<bool> {
        // As written, as the mapping compares them: another spelling is not event data to it.
        let (p, naming, listed) =
            self.prefixes.iter().find(|(p, _, _)| has_prefix(key.as_bytes(), p.as_bytes()))?;
        let mut name = &key[p.len()..];
        Some(match *naming {
            Naming::DropParts(drop) => {
                for _ in 0..drop {
                    // As the mapping does: a name without a further dot is the whole rest.
                    name = name.split_once('.').map_or(name, |(_, rest)| rest);
                }
                in_set(&self.names, name)
            }
            // A listed key is needed when the closure over the rules took it in; another key is
            // needed when the name it goes by is wanted.
            Naming::Listed { other, .. } => {
                if in_set_as_written(listed, name) {
                    in_set(&self.names, name)
                } else {
                    in_set(&self.names, &other(name))
                }
            }
        })
    }
}

/// `key.starts_with(p)`, eight bytes at a time in line: it runs for every key of every Windows
/// event, and a call into the C library's `memcmp` for each was 8% of a projected read.
#[inline]
fn has_prefix(key: &[u8], p: &[u8]) -> bool {
    if key.len() < p.len() {
        return false;
    }
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or([0; 8]));
    let mut i = 0;
    while i + 8 <= p.len() {
        if word(key, i) != word(p, i) {
            return false;
        }
        i += 8;
    }
    key[i..p.len()] == p[i..]
}

/// A name with its first eight bytes case-folded into a word: the word tells most names of one
/// length apart in one compare (a query's SQL words are all in the set, so lengths collide).
#[derive(Debug, Clone)]
struct Folded {
    head: u64,
    name: String,
}

/// The first eight bytes (zero-padded) with ASCII letters' case bit set. Two names equal but for
/// ASCII case have equal words, so unequal words prove the names differ.
#[inline]
fn fold8(s: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    let n = s.len().min(8);
    for (w, b) in w.iter_mut().zip(&s[..n]) {
        *w = b | 0x20;
    }
    u64::from_le_bytes(w)
}

/// A key's length and its first and last bytes (case-folded) mixed into 0..256: equal for names
/// equal but for ASCII case.
#[inline]
fn signature(s: &[u8]) -> usize {
    let (first, last) = (s.first().map_or(0, |b| b | 0x20), s.last().map_or(0, |b| b | 0x20));
    (s.len().wrapping_mul(37) ^ (first as usize).wrapping_mul(7) ^ (last as usize).wrapping_mul(131)) & 255
}

fn by_len(names: HashSet<String>) -> Vec<Vec<Folded>> {
    let mut out: Vec<Vec<Folded>> = Vec::new();
    for n in names {
        if out.len() <= n.len() {
            out.resize(n.len() + 1, Vec::new());
        }
        out[n.len()].push(Folded { head: fold8(n.as_bytes()), name: n });
    }
    out
}

#[inline]
fn in_set(by_len: &[Vec<Folded>], key: &str) -> bool {
    find_same(by_len, key, |name| name.eq_ignore_ascii_case(key))
}

/// [`in_set`] for a set of names kept as written, matched exactly.
#[inline]
fn in_set_as_written(by_len: &[Vec<Folded>], key: &str) -> bool {
    // Same length: a prefix as long as the key is the key, compared in line (see `has_prefix`).
    find_same(by_len, key, |name| has_prefix(key.as_bytes(), name.as_bytes()))
}

/// Whether a name of `key`'s length and folded head passes `same`.
#[inline]
fn find_same(by_len: &[Vec<Folded>], key: &str, same: impl Fn(&str) -> bool) -> bool {
    let Some(names) = by_len.get(key.len()).filter(|s| !s.is_empty()) else {
        return false;
    };
    let head = fold8(key.as_bytes());
    names.iter().any(|n| n.head == head && same(&n.name))
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &[Rule] =
        &[("dest_port", &["dst_port"]), ("timestamp", &["time"]), ("proto", &["proto", "ip_proto"])];

    #[test]
    fn wanted_fields_pull_in_the_keys_they_come_from() {
        let k = SourceKeys::new(["dst_port"], RULES, &[], &[]);
        assert!(k.wants("dest_port"));
        assert!(k.wants("DST_PORT"), "a key named like the field may fill it, in any case");
        assert!(k.wants("timestamp"), "the time is always built");
        assert!(!k.wants("proto"));
        assert!(!k.wants("src_port"));
    }

    #[test]
    fn a_wanted_key_name_pulls_in_what_may_take_its_field_name_first() {
        // `dest_port` is named `dest_port` only when `dst_port` was taken before it.
        let k = SourceKeys::new(["dest_port"], RULES, &[], &[]);
        assert!(k.wants("dst_port"));
        let k = SourceKeys::new(["ip_proto"], RULES, &[], &[]);
        assert!(k.wants("proto") && k.wants("ip_proto"));
    }

    #[test]
    fn keys_read_for_the_mapping_do_not_pull_in_what_they_become() {
        let k = SourceKeys::new(["dst_port"], &[("_path", &["event_type"])], &["_path"], &[]);
        assert!(k.wants("_path"));
        assert!(!k.wants("event_type"), "event_type is not wanted, so keys that make it are not either");
        let k = SourceKeys::new(["_path"], &[("_path", &["event_type"])], &["_path"], &[]);
        assert!(k.wants("event_type"), "a wanted `_path` is named so only when event_type was taken");
    }

    #[test]
    fn objects_are_entered_only_towards_a_needed_key() {
        let k = SourceKeys::new(["flow.bytes_toserver", "a.b.c"], &[], &[], &["Event.EventData"]);
        assert!(k.wants_under("flow") && k.wants_under("a") && k.wants_under("a.b"));
        assert!(!k.wants_under("alert") && !k.wants_under("a.b.c.d"));
        assert!(k.wants_under("event") && k.wants_under("Event.EventData"));
        assert!(k.wants("Event.EventData.SubjectUserName") && !k.wants("Event.System.Level"));
        assert!(k.wants_under("Event.EventData.Inner"));
    }

    use crate::data::formats::jsonl::JsonLinesParser;
    use crate::data::formats::windows::WindowsParser;
    use crate::data::record::{LineFields, LineParser, ParseContext};
    use proptest::prelude::*;
    use std::sync::Arc;

    #[test]
    fn every_generic_key_has_its_field() {
        let rules = crate::data::formats::jsonl::generic_rules();
        assert!(rules.len() > 60);
        for (key, fields) in rules {
            assert!(!fields.is_empty() && fields.iter().all(|f| !f.is_empty()), "{key}: {fields:?}");
        }
    }

    #[test]
    fn prefixes_are_found_word_by_word() {
        for (key, p) in [("Event.EventData.X", "Event.EventData."), ("Event.EventDatX", "Event.EventData.")] {
            assert_eq!(has_prefix(key.as_bytes(), p.as_bytes()), key.starts_with(p), "{key} {p}");
        }
        for n in 0..20 {
            let p = &b"abcdefghijklmnopqrst"[..n];
            assert!(has_prefix(b"abcdefghijklmnopqrstuvw", p));
            let changed_last = [&p[..n.saturating_sub(1)], b"!"].concat();
            assert!(n == 0 || !has_prefix(b"abcdefghijklmnopqrstuvw", &changed_last));
        }
    }

    #[test]
    fn renamed_subtrees_are_judged_by_their_names() {
        let k = SourceKeys::renamed(
            ["subject_user_name"],
            &[("SubjectUserName", &["subject_user_name"])],
            &[("Event.EventData.", Naming::DropParts(0)), ("Event.UserData.", Naming::DropParts(1))],
            None,
        );
        assert!(k.wants("Event.EventData.SubjectUserName"));
        assert!(k.wants("Event.UserData.LogFileCleared.SubjectUserName"));
        assert!(!k.wants("Event.EventData.ShareName") && !k.wants("Event.UserData.X.IpPort"));
        assert!(k.wants_under("Event.EventData"));
        assert!(!k.wants("Event.System.Level") && !k.wants("anything"), "other keys are judged by the rules");
        assert!(k.wants("subject_user_name") && k.wants("time"));
    }

    /// Keys a flavour maps, their fields, case variants and look-alikes, some nested.
    const POOL: &[&str] = &[
        "timestamp",
        "time",
        "TIME",
        "ts",
        "@timestamp",
        "date",
        "_path",
        "src_ip",
        "dest_ip",
        "dst_ip",
        "source.ip",
        "id.orig_h",
        "id.resp_p",
        "src_port",
        "dest_port",
        "dst_port",
        "Dest_Port",
        "proto",
        "Proto",
        "protocol",
        "ip_proto",
        "event_type",
        "host",
        "hostname",
        "http_host",
        "method",
        "uri",
        "status_code",
        "query",
        "conn_state",
        "label",
        "Label",
        "msg",
        "message",
        "duration",
        "flow.start",
        "flow.end",
        "flow.bytes_toserver",
        "flow.reason",
        "alert.signature",
        "alert.action",
        "action",
        "event.action",
        "network.transport",
        "http.url",
        "http.status",
        "x",
        "flow",
        "alert",
    ];

    /// Fields a query names: mostly fields the flavours make, some key names.
    const WANTED: &[&str] = &[
        "src_ip",
        "dst_ip",
        "dst_port",
        "proto",
        "ip_proto",
        "event_type",
        "http_host",
        "host",
        "msg",
        "duration",
        "action",
        "label",
        "bytes_sent",
        "reason",
        "http_request",
        "http_status",
        "x",
        "dest_port",
        "flow.start",
        "time_raw",
    ];

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\"2021-06-06T15:59:46.457984+0200\"".to_string()),
            Just("\"2021-06-06T16:00:01Z\"".to_string()),
            Just("1622988000.25".to_string()),
            Just("\"not a time\"".to_string()),
            Just("\"99999-01-01T00:00:00Z\"".to_string()),
            Just("80".to_string()),
            Just("\"80\"".to_string()),
            Just("\"TCP\"".to_string()),
            Just("\"http\"".to_string()),
            Just("\"10.0.0.1\"".to_string()),
            Just("\"a\\u0041\"".to_string()),
            Just("1e3".to_string()),
            Just("null".to_string()),
            Just("[1,\"x\"]".to_string()),
            Just("{\"start\":\"2021-06-06T15:59:47Z\",\"orig_h\":\"10.0.0.2\"}".to_string()),
        ]
    }

    /// A line of pool keys, dotted ones sometimes written as nested objects.
    fn line() -> impl Strategy<Value = String> {
        members().prop_map(|m| format!("{{{}}}", m.join(",")))
    }

    /// The members (`"key":value`) of a [`line`].
    fn members() -> impl Strategy<Value = Vec<String>> {
        member_parts().prop_map(|kv| kv.iter().map(|(k, v, nest)| member(k, v, *nest)).collect())
    }

    /// Each member's key, value and whether a dotted key is written as a nested object.
    fn member_parts() -> impl Strategy<Value = Vec<(&'static str, String, bool)>> {
        let pair = proptest::sample::select(POOL).prop_flat_map(|k| {
            // Time keys mostly hold times: a line with a bad one is rejected whatever is wanted.
            let timed =
                ["timestamp", "time", "ts", "flow.start", "flow.end", "@timestamp", "date"].contains(&k);
            let v = if timed {
                prop_oneof![4 => (0..10u8).prop_map(|s| format!("\"2021-06-06T15:59:4{s}Z\"")), 1 => value()]
                    .boxed()
            } else {
                value().boxed()
            };
            (Just(k), v, any::<bool>())
        });
        proptest::collection::vec(pair, 0..14)
    }

    fn member(k: &str, v: &str, nest: bool) -> String {
        match k.split_once('.') {
            Some((a, b)) if nest => format!("\"{a}\":{{\"{b}\":{v}}}"),
            _ => format!("\"{k}\":{v}"),
        }
    }

    /// Lines read one after another share their keys' verdicts ([`KeyMemo`]): lines that begin
    /// alike and then part, in both orders; the same keys with other values (an object where a
    /// string was); and again.
    ///
    /// [`KeyMemo`]: super::super::json_key_memo::KeyMemo
    fn lines_in_turn() -> impl Strategy<Value = Vec<String>> {
        let values = proptest::collection::vec(value(), 14);
        (member_parts(), members(), values, 0..14usize).prop_map(|(a_parts, b, values, k)| {
            let a: Vec<String> = a_parts.iter().map(|(k, v, nest)| member(k, v, *nest)).collect();
            let revalued: Vec<String> = a_parts
                .iter()
                .zip(&values)
                .enumerate()
                .map(|(i, ((k, v, nest), other))| member(k, &flipped_or(i, v, other), *nest))
                .collect();
            let k = k.min(a.len());
            let mixed: Vec<String> = a[..k].iter().chain(&b).cloned().collect();
            let cut: Vec<String> = a[..k].to_vec();
            [&a, &mixed, &a, &revalued, &b, &cut, &mixed, &revalued, &a]
                .iter()
                .map(|m| format!("{{{}}}", m.join(",")))
                .collect()
        })
    }

    /// The fields a builder building `wanted` keeps from a parsed line, in order.
    fn kept(out: &LineFields, wanted: &HashSet<String>) -> String {
        let kept: Vec<String> = out
            .iter()
            .filter(|(n, _)| *n == "time" || wanted.contains(&n.to_ascii_lowercase()))
            .map(|(n, v)| format!("{n}={:?}", v.to_owned_value()))
            .collect();
        kept.join(" ")
    }

    /// A projected parse of `text` gives the wanted fields, the verdict and the reason of the whole
    /// parse (with `whole_ctx`).
    fn same_as_whole_parse(
        parser: &dyn LineParser,
        whole_ctx: ParseContext,
        text: &str,
        wanted: &HashSet<String>,
    ) -> Result<(), TestCaseError> {
        same_as_whole_parses(parser, whole_ctx, &[text.to_string()], wanted)
    }

    /// [`same_as_whole_parse`] for lines read in turn by one projected reader, as a load reads
    /// them: its line buffers, and the verdicts they remember, go from line to line.
    fn same_as_whole_parses(
        parser: &dyn LineParser,
        whole_ctx: ParseContext,
        texts: &[String],
        wanted: &HashSet<String>,
    ) -> Result<(), TestCaseError> {
        let keys = parser.source_keys(wanted).map(Arc::new);
        prop_assert!(keys.is_some());
        let ctx = ParseContext { source_keys: keys, ..whole_ctx.clone() };
        let mut part = LineFields::default();
        for (n, text) in texts.iter().enumerate() {
            let mut whole = LineFields::default();
            let w = parser.parse_fields(text.as_bytes(), &whole_ctx, &mut whole);
            let p = parser.parse_fields(text.as_bytes(), &ctx, &mut part);
            match (w, p) {
                (Some(Ok(a)), Some(Ok(b))) => {
                    prop_assert_eq!(a, b);
                    let (got, expect) = (kept(&part, wanted), kept(&whole, wanted));
                    prop_assert_eq!(got, expect, "{}: line {} {} {:?}", parser.name(), n + 1, text, wanted);
                }
                (w, p) => prop_assert_eq!(format!("{w:?}"), format!("{p:?}"), "line {} {}", n + 1, text),
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

        /// For every flavour, a projected parse gives the wanted fields, the rejections and their
        /// reasons exactly as the whole parse does.
        #[test]
        fn projected_parses_give_the_wanted_fields_of_the_whole_parse(
            text in line(),
            wanted in proptest::sample::subsequence(WANTED.to_vec(), 1..4),
        ) {
            let wanted: HashSet<String> = wanted.iter().map(|w| w.to_ascii_lowercase()).collect();
            for parser in [JsonLinesParser::zeek(), JsonLinesParser::suricata(), JsonLinesParser::generic()] {
                let whole_ctx = ParseContext { file_name: "x.log".into(), ..Default::default() };
                same_as_whole_parse(&parser, whole_ctx, &text, &wanted)?;
            }
        }

        /// The same for lines read in turn, that begin alike and part.
        #[test]
        fn projected_parses_in_turn_give_the_wanted_fields_of_the_whole_parse(
            texts in lines_in_turn(),
            wanted in proptest::sample::subsequence(WANTED.to_vec(), 1..4),
        ) {
            let wanted: HashSet<String> = wanted.iter().map(|w| w.to_ascii_lowercase()).collect();
            for parser in [JsonLinesParser::zeek(), JsonLinesParser::suricata(), JsonLinesParser::generic()] {
                let whole_ctx = ParseContext { file_name: "x.log".into(), ..Default::default() };
                same_as_whole_parses(&parser, whole_ctx, &texts, &wanted)?;
            }
        }
    }

    /// Windows event data keys, their fields and look-alikes.
    const WINDOWS_DATA: &[&str] = &[
        "IpAddress",
        "SourceIp",
        "IpPort",
        "DestPort",
        "Protocol",
        "TargetUserName",
        "User",
        "SubjectUserName",
        "Image",
        "ProcessName",
        "NewProcessName",
        "LogonType",
        "ShareName",
        "src_ip",
        "#attributes",
        "Keywords",
        "EventType",
        "event.outcome",
        "outcome",
        "message",
        "_evtx_timestamp",
        "TimeCreated",
        "time",
        "winlog.event_data.IpAddress",
        "Computer",
        "Hostname",
    ];

    const WINDOWS_WANTED: &[&str] = &[
        "src_ip",
        "src_port",
        "dst_port",
        "proto",
        "ip_proto",
        "user_name",
        "subject_user_name",
        "process",
        "logontype",
        "subjectusername",
        "sharename",
        "event.eventdata.sharename",
        "image",
        "msg",
        "time",
        "event_id",
        "eventid",
        "event_id_qualifiers",
        "app_name",
        "host",
        "channel",
        "record_id",
        "_evtx_record_id",
        "keywords",
        "outcome",
        "level",
        "activity_id",
        "user_sid",
        "process_id",
        "foo.bar",
        "extra",
        "empty",
        "event.system.eventid",
        "ipaddress",
    ];

    /// System elements `map_evtx` names, others it keeps by their stripped names, and
    /// look-alikes; `{v}` is a value.
    const WINDOWS_SYSTEM: &[&str] = &[
        "\"EventID\":{v}",
        "\"EventID\":{\"#text\":{v},\"#attributes\":{\"Qualifiers\":{v}}}",
        "\"eventid\":{v}",
        "\"Provider\":{\"#attributes\":{\"Name\":{v},\"Guid\":\"54849625\"}}",
        "\"Computer\":{v}",
        "\"Channel\":{v}",
        "\"EventRecordID\":{v}",
        "\"Keywords\":{v}",
        "\"Keywords\":\"0x8020000000000000\"",
        "\"Keywords\":\"Audit Failure\"",
        "\"Level\":{v}",
        "\"Correlation\":null",
        "\"Correlation\":{\"#attributes\":{\"ActivityID\":{v}}}",
        "\"Security\":{\"#attributes\":{\"UserID\":{v}}}",
        "\"Execution\":{\"#attributes\":{\"ProcessID\":{v},\"ThreadID\":7}}",
        "\"Foo\":{\"#attributes\":{\"Bar\":{v}}}",
        "\"Extra\":{\"#text\":{v}}",
        "\"Empty\":{}",
        "\"IpAddress\":{v}",
    ];

    /// An EVTX-shaped line (event data or user data; the time sometimes missing, the System
    /// element of any keys, even none) or a flat one.
    fn windows_line() -> impl Strategy<Value = String> {
        windows_parts().prop_map(|(data, system, shape, timed)| windows_text(&data, system, shape, timed))
    }

    /// What a [`windows_line`] is made of: event data members, System members, a shape and
    /// whether the System element has a time.
    fn windows_parts() -> impl Strategy<Value = (Vec<(&'static str, String)>, Vec<String>, u8, bool)> {
        let data = proptest::collection::vec((proptest::sample::select(WINDOWS_DATA), value()), 0..6);
        let system = proptest::collection::vec((proptest::sample::select(WINDOWS_SYSTEM), value()), 0..5)
            .prop_map(|kv| kv.iter().map(|(k, v)| k.replace("{v}", v)).collect::<Vec<_>>());
        (data, system, 0..5u8, any::<bool>())
    }

    /// At every other place, a value of the other kind (object or not) than `v`; else `other`.
    fn flipped_or(i: usize, v: &str, other: &str) -> String {
        match (i % 2, v.starts_with('{')) {
            (0, true) => "\"10.0.0.3\"".into(),
            (0, false) => "{\"start\":\"2021-06-06T15:59:48Z\",\"orig_h\":\"10.0.0.4\"}".into(),
            _ => other.into(),
        }
    }

    /// Windows lines read in turn: the same event, then one with the other's event data (after
    /// some of its own), other values, the other's System element or shape, and back.
    fn windows_lines_in_turn() -> impl Strategy<Value = Vec<String>> {
        let values = proptest::collection::vec(value(), 6);
        (windows_parts(), windows_parts(), values, 0..6usize).prop_map(|(a, b, values, k)| {
            let k = k.min(a.0.len());
            let data_mixed: Vec<_> = a.0[..k].iter().chain(&b.0).cloned().collect();
            let revalued: Vec<_> =
                a.0.iter()
                    .zip(&values)
                    .enumerate()
                    .map(|(i, ((k, v), other))| (*k, flipped_or(i, v, other)))
                    .collect();
            vec![
                windows_text(&a.0, a.1.clone(), a.2, a.3),
                windows_text(&data_mixed, a.1.clone(), a.2, a.3),
                windows_text(&revalued, a.1.clone(), a.2, a.3),
                windows_text(&a.0, b.1.clone(), a.2, a.3),
                windows_text(&a.0, a.1.clone(), a.2, a.3),
                windows_text(&a.0, a.1.clone(), b.2, b.3),
                windows_text(&b.0, b.1.clone(), b.2, b.3),
                windows_text(&a.0, a.1.clone(), a.2, a.3),
            ]
        })
    }

    fn windows_text(data: &[(&str, String)], mut system: Vec<String>, shape: u8, timed: bool) -> String {
        let data = data.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(",");
        {
            if timed {
                system.insert(
                    0,
                    "\"TimeCreated\":{\"#attributes\":{\"SystemTime\":\"2019-03-18T14:23:22.134722Z\"}}"
                        .into(),
                );
            }
            let system = format!("\"System\":{{{}}}", system.join(","));
            match shape {
                0 => format!("{{\"Event\":{{{system},\"EventData\":{{{data}}}}},\"_evtx_record_id\":3}}"),
                1 => format!("{{\"Event\":{{{system},\"UserData\":{{\"LogFileCleared\":{{{data}}}}}}}}}"),
                2 => format!(
                    "{{\"EventID\":4624,\"EventTime\":\"2019-03-18 14:23:22\",\"Hostname\":\"h\",{data}}}"
                ),
                3 => format!(
                    "{{\"EventID\":4624,\"Hostname\":\"h\",{system},\"Event\":{{\"EventData\":{{{data}}}}}}}"
                ),
                _ => {
                    format!("{{\"EventID\":4624,\"Hostname\":\"h\",\"Event\":{{\"EventData\":{{{data}}}}}}}")
                }
            }
        }
    }

    #[test]
    fn a_key_at_the_same_place_one_level_up_is_judged_anew() {
        // The same keys in the same order with the same kinds of value: only their depth differs.
        let texts = [r#"{"a":{"b":1,"c":2}}"#, r#"{"a":{"b":1},"c":2}"#, r#"{"a":{"b":1,"c":2}}"#];
        let texts = texts.map(String::from);
        let wanted: HashSet<String> = ["c".to_string(), "a.b".to_string()].into();
        let ctx = ParseContext { file_name: "x.log".into(), ..Default::default() };
        same_as_whole_parses(&JsonLinesParser::generic(), ctx, &texts, &wanted).unwrap();
    }

    #[test]
    fn a_system_key_wanted_by_its_whole_name_reads_what_takes_its_field_first() {
        // The first EventID becomes event_id; the second keeps its whole name.
        let line = r##"{"Event":{"System":{"EventID":{"#text":5},"EventID":7,"Level":4},"EventData":{"IpAddress":"10.0.0.1"}}}"##;
        for wanted in [["event.system.eventid"], ["event_id"], ["level"], ["src_ip"]] {
            let wanted: HashSet<String> = wanted.iter().map(|w| w.to_string()).collect();
            same_as_whole_parse(&WindowsParser::evtx(), ParseContext::default(), line, &wanted).unwrap();
        }
        // A System element whose keys are all skipped still makes the line an EVTX record.
        let wanted: HashSet<String> = ["host".to_string()].into();
        let line = r#"{"Event":{"System":{"Level":4},"EventData":{"Computer":"x"}},"Hostname":"h"}"#;
        same_as_whole_parse(&WindowsParser::flat(), ParseContext::default(), line, &wanted).unwrap();
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Windows events: a projected parse gives the wanted fields of the whole parse.
        #[test]
        fn projected_windows_parses_give_the_wanted_fields_of_the_whole_parse(
            text in windows_line(),
            wanted in proptest::sample::subsequence(WINDOWS_WANTED.to_vec(), 1..4),
        ) {
            let wanted: HashSet<String> = wanted.iter().map(|w| w.to_ascii_lowercase()).collect();
            for parser in [WindowsParser::evtx(), WindowsParser::flat()] {
                same_as_whole_parse(&parser, ParseContext::default(), &text, &wanted)?;
            }
        }

        /// The same for Windows lines read in turn, that begin alike and part.
        #[test]
        fn projected_windows_parses_in_turn_give_the_wanted_fields_of_the_whole_parse(
            texts in windows_lines_in_turn(),
            wanted in proptest::sample::subsequence(WINDOWS_WANTED.to_vec(), 1..4),
        ) {
            let wanted: HashSet<String> = wanted.iter().map(|w| w.to_ascii_lowercase()).collect();
            for parser in [WindowsParser::evtx(), WindowsParser::flat()] {
                same_as_whole_parses(&parser, ParseContext::default(), &texts, &wanted)?;
            }
        }
    }
}
