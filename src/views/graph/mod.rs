//! Link graph view.
pub mod force;
pub mod graph_ui;
