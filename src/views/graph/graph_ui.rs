//! (being written)
use crate::linking::selection::Clause;
use crate::views::common::{Hover, ViewEdit};
pub struct GraphViewState { fields: Vec<String> }
impl GraphViewState { pub fn new() -> Self { Self { fields: vec![] } } pub fn fields(&self) -> &[String] { &self.fields } pub fn set_fields(&mut self, f: Vec<String>) { self.fields = f } pub fn load_properties(&mut self, _p: &std::path::Path) -> Result<(), String> { Ok(()) } }
pub enum GraphAction { Edit(ViewEdit), Export { format: &'static str, text: String }, OpenProperties }
pub fn graph_ui(_ui: &mut egui::Ui, _s: &mut GraphViewState, _c: &[String], _t: Option<(&[String], &[(Vec<String>, i64)])>, _o: Option<&Clause>, _h: &mut Option<Hover>) -> Option<GraphAction> { None }
