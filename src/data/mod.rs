//! The data layer: formats, field dictionary, loading, SQL and export. Polars only, no GUI.
pub mod builder;
pub mod clean;
pub mod dictionary;
pub mod error;
pub mod export;
pub mod formats;
pub mod generate;
pub mod load;
pub mod net;
pub mod record;
pub mod sql;
pub mod table;
pub mod timeparse;

pub use error::{DataError, Result};
pub use load::{load_paths, LoadControl, LoadOptions};
pub use table::Table;
