//! Cleaning core for netflow records, on plain column slices so it stays independent of the
//! data-frame library: the caller maps its columns to the `*Cols` structs and applies the masks.

pub mod apply;
pub mod flow_repair;
pub mod recipe;
pub mod scanners;
pub mod workbench;
