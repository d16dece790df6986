//! Linked brushing: the selection, the crossfilter index and engine, and the coordinator that runs
//! them off the UI thread. No egui here.
pub mod backend;
pub mod codes;
pub mod coordinator;
pub mod engine;
pub mod index;
pub mod needs;
pub mod postings;
pub mod selection;
#[cfg(test)]
mod tests;
pub mod tuples;
