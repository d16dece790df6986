//! (replaced by the JSON-lines parsers)
use crate::data::record::LineParser;
pub fn detect(_sample: &[&[u8]]) -> Option<Box<dyn LineParser>> {
    None
}
pub fn field_mappings() -> Vec<(&'static str, &'static str, &'static str)> {
    Vec::new()
}
