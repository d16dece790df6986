//! Treemap view.
pub mod ipgroup;
pub mod layout;
pub mod model;
pub mod treemap_ui;
