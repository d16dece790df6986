//! Link graph view (AfterGlow, live and linked): model from the engine's tuples, force layout on a
//! worker thread, and the canvas.
pub mod force;
pub mod graph_ui;
pub mod layout_worker;
pub mod model;
pub mod picture;
