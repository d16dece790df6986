//! The data layer: formats, field dictionary, loading, SQL and export. Polars only, no GUI.
pub mod atomic;
pub mod builder;
pub mod clean;
pub mod compact;
pub mod dictionary;
pub mod error;
pub mod export;
pub mod formats;
pub mod fuzz;
pub mod generate;
pub mod generate_botnet;
pub mod lean_query;
pub mod live;
pub mod load;
pub mod net;
pub mod record;
pub mod spark;
pub mod sql;
pub mod table;
pub mod table_dict;
pub mod text_column;
pub mod text_escape;
pub mod timeparse;
pub mod volume;

pub use error::{DataError, Result};
pub use load::{load_paths, LoadControl, LoadOptions};
pub use table::Table;
