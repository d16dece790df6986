//! Views: one folder each, a pure part that turns engine outputs into what is drawn, and a `_ui`
//! part that draws it and returns the user's edits.
pub mod bullet;
pub mod common;
pub mod graph;
pub mod lesson;
pub mod table;
pub mod timeseries;
pub mod topn;
pub mod treemap;
