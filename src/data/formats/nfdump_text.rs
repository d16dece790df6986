//! (replaced by the nfdump extended parser)
use crate::data::record::LineParser;
pub fn detect(_sample: &[&[u8]]) -> Option<Box<dyn LineParser>> {
    None
}
