//! (replaced by the text-log parsers)
use crate::data::record::{LineParser, ParseContext, Record};
pub fn detect(_sample: &[&[u8]]) -> Option<Box<dyn LineParser>> {
    None
}
pub fn parse_syslog_message(_msg: &str, _ctx: &ParseContext) -> Option<Record> {
    None
}
pub fn field_mappings() -> Vec<(&'static str, &'static str, &'static str)> {
    Vec::new()
}
