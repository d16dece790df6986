//! Link graph view.
pub mod force;
