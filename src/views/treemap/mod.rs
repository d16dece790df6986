//! Treemap view.
pub mod layout;
pub mod model;
pub mod treemap_ui;
