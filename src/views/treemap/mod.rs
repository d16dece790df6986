//! Treemap view.
pub mod ipgroup;
pub mod layout;
