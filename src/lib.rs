//! Brushfire: a desktop visual-analytics workbench for security logs.
//!
//! Layers: `data` (polars: formats, load, SQL, export), `graph` (AfterGlow rules, graph building
//! and exports), `linking` (selection, crossfilter, coordinator; no egui), `views` (pure view models
//! + `_ui` drawing), `app` (eframe glue), `cli`.
pub mod alloc;
pub mod app;
pub mod cli;
pub mod dashboard;
pub mod data;
pub mod graph;
pub mod guard;
pub mod lesson;
pub mod linking;
pub mod report;
pub mod views;
pub mod workspace;
