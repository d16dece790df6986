//! Views: one folder each, a pure part that turns engine outputs into what is drawn, and a `_ui`
//! part that draws it and returns the user's edits.
pub mod graph;
pub mod treemap;
