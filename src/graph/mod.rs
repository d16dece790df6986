//! AfterGlow 1.6.6 link graphs without Perl: property files, a safe rule language, graph building and
//! DOT / GDF / GraphML / GraphSON export.

pub mod build;
pub mod colors;
pub mod csv_input;
pub mod export;
pub mod expr;
pub mod properties;

pub use build::{build_graph, Edge, GraphError, GraphOptions, LinkGraph, Node, NodeType};
pub use properties::{Properties, PropertyError};
