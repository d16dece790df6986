//! The analyst's desk: every view is a tile of an `egui_tiles` tree that the analyst splits, tabs,
//! drags, resizes and closes. Several instances of the time series and top-N lists can be open;
//! each instance has its own ViewId, so each is one clause source of the one selection.
//! The tree is saved in workspaces as a [`LayoutNode`], a plain nested description that does not
//! depend on egui_tiles' internal ids.
use super::panels::views;
use super::{panels, BrushfireApp, Tab, VIEW_TIME, VIEW_TOPN};
use crate::linking::selection::ViewId;
use egui_tiles::{Container, Linear, LinearDir, Tabs, Tile, TileId, Tiles, Tree};

pub use crate::workspace::{LayoutNode, Pane};

/// The pane a workbench tab stands for.
pub fn pane_of_tab(tab: Tab) -> Pane {
    match tab {
        Tab::Records => Pane::Records,
        Tab::Treemap => Pane::Treemap,
        Tab::Graph => Pane::Graph,
        Tab::Clean => Pane::Clean,
        Tab::Sql => Pane::Sql,
        Tab::Summary => Pane::Summary,
    }
}

/// Ready layouts of the "Layout" menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Time series on top, four top-N lists, the workbench tabs below (the classic dashboard).
    Explore,
    /// Treemap and link graph side by side between the lists and the records: all linked at once.
    GraphAndTreemap,
    /// Lists down the left, the records table taking the rest.
    Records,
}

impl Preset {
    pub const ALL: [Preset; 3] = [Preset::Explore, Preset::GraphAndTreemap, Preset::Records];
    pub fn label(self) -> &'static str {
        match self {
            Preset::Explore => "Explore",
            Preset::GraphAndTreemap => "Graph and treemap",
            Preset::Records => "Records",
        }
    }

    /// The layout over the given time series and top-N instances (at least one of each).
    pub fn layout(self, ts: &[ViewId], topn: &[ViewId]) -> LayoutNode {
        let pane = |pane: Pane| LayoutNode::Pane { pane };
        let time = pane(Pane::TimeSeries { id: ts.first().copied().unwrap_or(VIEW_TIME) });
        let lists: Vec<LayoutNode> = topn.iter().map(|&id| pane(Pane::TopN { id })).collect();
        let even = |n: usize| vec![1.0; n];
        let row =
            |children: Vec<LayoutNode>| LayoutNode::Horizontal { shares: even(children.len()), children };
        let tabs = |panes: &[Pane]| LayoutNode::Tabs {
            children: panes.iter().map(|p| pane(*p)).collect(),
            active: 0,
        };
        match self {
            Preset::Explore => LayoutNode::Vertical {
                children: vec![
                    time,
                    row(lists),
                    tabs(&[
                        Pane::Records,
                        Pane::Treemap,
                        Pane::Graph,
                        Pane::Clean,
                        Pane::Sql,
                        Pane::Summary,
                        Pane::Bookmarks,
                    ]),
                ],
                shares: vec![0.27, 0.28, 0.45],
            },
            Preset::GraphAndTreemap => LayoutNode::Vertical {
                children: vec![
                    time,
                    row(lists),
                    row(vec![pane(Pane::Treemap), pane(Pane::Graph)]),
                    tabs(&[Pane::Records, Pane::Bookmarks, Pane::Sql, Pane::Clean, Pane::Summary]),
                ],
                shares: vec![0.16, 0.24, 0.36, 0.24],
            },
            Preset::Records => LayoutNode::Vertical {
                children: vec![
                    time,
                    LayoutNode::Horizontal {
                        children: vec![
                            LayoutNode::Vertical { shares: even(lists.len()), children: lists },
                            tabs(&[Pane::Records, Pane::Bookmarks, Pane::Sql, Pane::Summary]),
                        ],
                        shares: vec![0.28, 0.72],
                    },
                ],
                shares: vec![0.2, 0.8],
            },
        }
    }
}

/// Builds the egui_tiles tree of a layout.
pub fn tree_of(node: &LayoutNode) -> Tree<Pane> {
    fn insert(tiles: &mut Tiles<Pane>, node: &LayoutNode) -> TileId {
        match node {
            LayoutNode::Pane { pane } => tiles.insert_pane(*pane),
            LayoutNode::Tabs { children, active } => {
                let ids: Vec<TileId> = children.iter().map(|c| insert(tiles, c)).collect();
                let mut t = Tabs::new(ids.clone());
                t.active = ids.get(*active).or(ids.first()).copied();
                tiles.insert_container(t)
            }
            LayoutNode::Horizontal { children, shares } | LayoutNode::Vertical { children, shares } => {
                let dir = if matches!(node, LayoutNode::Horizontal { .. }) {
                    LinearDir::Horizontal
                } else {
                    LinearDir::Vertical
                };
                let ids: Vec<TileId> = children.iter().map(|c| insert(tiles, c)).collect();
                let mut l = Linear::new(dir, ids.clone());
                for (id, s) in ids.iter().zip(shares) {
                    // A share must be positive and finite or the container cannot lay out.
                    if s.is_finite() && *s > 0.0 {
                        l.shares.set_share(*id, *s);
                    }
                }
                tiles.insert_container(l)
            }
            LayoutNode::Grid { children } => {
                let ids: Vec<TileId> = children.iter().map(|c| insert(tiles, c)).collect();
                tiles.insert_container(Container::new_grid(ids))
            }
        }
    }
    let mut tiles = Tiles::default();
    let root = insert(&mut tiles, node);
    Tree::new(egui::Id::unique("brushfire_desk"), root, tiles)
}

/// The layout of a tree, for saving. `None` when the desk is empty.
pub fn layout_of(tree: &Tree<Pane>) -> Option<LayoutNode> {
    fn node(tiles: &Tiles<Pane>, id: TileId) -> Option<LayoutNode> {
        match tiles.get(id)? {
            Tile::Pane(p) => Some(LayoutNode::Pane { pane: *p }),
            Tile::Container(Container::Tabs(t)) => {
                let kids: Vec<(TileId, LayoutNode)> =
                    t.children.iter().filter_map(|c| Some((*c, node(tiles, *c)?))).collect();
                let active = kids.iter().position(|(c, _)| Some(*c) == t.active).unwrap_or(0);
                Some(LayoutNode::Tabs { children: kids.into_iter().map(|k| k.1).collect(), active })
            }
            Tile::Container(Container::Linear(l)) => {
                let kids: Vec<(TileId, LayoutNode)> =
                    l.children.iter().filter_map(|c| Some((*c, node(tiles, *c)?))).collect();
                let shares = kids.iter().map(|(c, _)| l.shares[*c]).collect();
                let children = kids.into_iter().map(|k| k.1).collect();
                Some(match l.dir {
                    LinearDir::Horizontal => LayoutNode::Horizontal { children, shares },
                    LinearDir::Vertical => LayoutNode::Vertical { children, shares },
                })
            }
            Tile::Container(c @ Container::Grid(_)) => {
                Some(LayoutNode::Grid { children: c.children().filter_map(|k| node(tiles, *k)).collect() })
            }
        }
    }
    node(&tree.tiles, tree.root()?)
}

/// The tile tree and the next free ViewId for new view instances.
pub struct Desk {
    pub tree: Tree<Pane>,
    pub next_view_id: ViewId,
    /// The workbench tab last brought forward through [`BrushfireApp::tab`].
    pub shown_tab: Option<Tab>,
}

/// First ViewId handed to views added from "+ View" (the default instances use the constants).
const FIRST_ADDED_VIEW_ID: ViewId = 1000;

impl Default for Desk {
    fn default() -> Self {
        Self {
            tree: tree_of(&Preset::Explore.layout(&[VIEW_TIME], &VIEW_TOPN)),
            next_view_id: FIRST_ADDED_VIEW_ID,
            shown_tab: None,
        }
    }
}

impl Desk {
    /// Panes on screen now (the active tab of every tab group).
    pub fn visible_panes(&self) -> Vec<Pane> {
        self.tree.active_tiles().into_iter().filter_map(|t| self.tree.tiles.get_pane(&t).copied()).collect()
    }

    pub fn all_panes(&self) -> Vec<Pane> {
        self.tree.tiles.tiles().filter_map(|t| if let Tile::Pane(p) = t { Some(*p) } else { None }).collect()
    }

    pub fn contains(&self, pane: Pane) -> bool {
        self.tree.tiles.find_pane(&pane).is_some()
    }

    pub fn new_view_id(&mut self) -> ViewId {
        let id = self.next_view_id;
        self.next_view_id += 1;
        id
    }

    /// Replaces the layout; view ids stay unique after panes from a file come in.
    pub fn set_layout(&mut self, node: &LayoutNode) {
        self.tree = tree_of(node);
        let panes = node.panes();
        let max = panes
            .iter()
            .filter_map(|p| match p {
                Pane::TimeSeries { id } | Pane::TopN { id } => Some(*id),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        self.next_view_id = self.next_view_id.max(max + 1).max(FIRST_ADDED_VIEW_ID);
    }

    /// Brings a pane to the front; adds it (as a tab beside the records) when it is not on the desk.
    pub fn show(&mut self, pane: Pane) {
        if !self.contains(pane) {
            self.add(pane);
        }
        self.tree.make_active(|_, t| matches!(t, Tile::Pane(p) if *p == pane));
    }

    /// Puts a pane in a column left of everything else (the lesson beside the views it talks about).
    pub fn add_side(&mut self, pane: Pane) {
        if self.contains(pane) {
            self.show(pane);
            return;
        }
        let id = self.tree.tiles.insert_pane(pane);
        match self.tree.root() {
            Some(old_root) => {
                let mut l = Linear::new(LinearDir::Horizontal, vec![id, old_root]);
                l.shares.set_share(id, 0.27);
                l.shares.set_share(old_root, 0.73);
                self.tree.root = Some(self.tree.tiles.insert_container(l));
            }
            None => self.tree.root = Some(id),
        }
    }

    /// Adds a pane: as a tab in the group that holds the records (or any tab group), else as a new
    /// column of the root. The analyst drags it anywhere from there.
    pub fn add(&mut self, pane: Pane) {
        let id = self.tree.tiles.insert_pane(pane);
        let tiles = &self.tree.tiles;
        let records = tiles.find_pane(&Pane::Records).and_then(|r| tiles.parent_of(r));
        let any_tabs = || {
            tiles.iter().find_map(|(tid, t)| matches!(t, Tile::Container(Container::Tabs(_))).then_some(*tid))
        };
        let target = records
            .filter(|p| matches!(tiles.get(*p), Some(Tile::Container(Container::Tabs(_)))))
            .or_else(any_tabs)
            .or(self.tree.root());
        match target.and_then(|t| self.tree.tiles.get_mut(t)) {
            Some(Tile::Container(c)) => {
                c.add_child(id);
                if let Container::Tabs(t) = c {
                    t.set_active(id);
                }
            }
            Some(Tile::Pane(_)) => {
                let old_root = target.expect("target is set");
                let row = self.tree.tiles.insert_horizontal_tile(vec![old_root, id]);
                self.tree.root = Some(row);
            }
            None => self.tree.root = Some(id),
        }
    }
}

/// Views the "+ View" menu offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewView {
    TimeSeries,
    TopN,
    Single(Pane),
}

impl BrushfireApp {
    /// Adds a view to the desk: a new instance of a time series or top-N list (its own ViewId),
    /// or brings a single-instance view forward.
    pub fn add_view(&mut self, v: NewView) -> Pane {
        let pane = match v {
            NewView::TimeSeries => {
                let id = self.desk.new_view_id();
                self.ts.insert(id, Default::default());
                Pane::TimeSeries { id }
            }
            NewView::TopN => {
                let id = self.desk.new_view_id();
                // A field no list shows yet, so the new list says something new.
                let field = self
                    .loaded
                    .as_ref()
                    .and_then(|l| {
                        l.categorical.iter().find(|c| !self.topn.values().any(|s| &s.field == *c)).cloned()
                    })
                    .or_else(|| self.loaded.as_ref().and_then(|l| l.categorical.first().cloned()))
                    .unwrap_or_else(|| "src_ip".into());
                self.topn.insert(id, crate::views::topn::topn_ui::TopNState::new(&field));
                Pane::TopN { id }
            }
            NewView::Single(p) => p,
        };
        self.desk.show(pane);
        pane
    }

    /// After the tree changed (close, layout load): states for every pane, none for closed ones;
    /// a closed view's clause goes too, so no filter stays without a view to show or edit it.
    pub(super) fn sync_view_states(&mut self) {
        let panes = self.desk.all_panes();
        for p in &panes {
            match p {
                Pane::TimeSeries { id } => {
                    self.ts.entry(*id).or_default();
                }
                Pane::TopN { id } if !self.topn.contains_key(id) => {
                    let f = self.loaded.as_ref().and_then(|l| l.categorical.first().cloned());
                    self.topn.insert(
                        *id,
                        crate::views::topn::topn_ui::TopNState::new(f.as_deref().unwrap_or("src_ip")),
                    );
                }
                _ => {}
            }
        }
        let open = |id: &ViewId| {
            panes.iter().any(|p| matches!(p, Pane::TimeSeries { id: i } | Pane::TopN { id: i } if i == id))
        };
        let closed: Vec<ViewId> =
            self.ts.keys().chain(self.topn.keys()).filter(|id| !open(id)).copied().collect();
        for id in closed {
            self.ts.remove(&id);
            self.topn.remove(&id);
            if self.sel.current().clauses.contains_key(&id) {
                self.sel.set(id, None, false);
            }
        }
    }
}

struct DeskBehavior<'a> {
    app: &'a mut BrushfireApp,
}

impl egui_tiles::Behavior<Pane> for DeskBehavior<'_> {
    fn pane_ui(&mut self, ui: &mut egui::Ui, _tile_id: TileId, pane: &mut Pane) -> egui_tiles::UiResponse {
        let app = &mut *self.app;
        egui::Frame::new().inner_margin(4.0).show(ui, |ui| {
            ui.push_id(*pane, |ui| match *pane {
                Pane::TimeSeries { id } => views::time_series_pane_ui(app, ui, id),
                Pane::TopN { id } => views::topn_pane_ui(app, ui, id),
                Pane::Treemap => views::treemap_pane_ui(app, ui),
                Pane::Graph => views::graph_pane_ui(app, ui),
                Pane::Records => views::records_ui(app, ui),
                Pane::Sql => panels::sql::sql_ui(app, ui),
                Pane::Clean => panels::clean::clean_ui(app, ui),
                Pane::Summary => panels::summary::summary_ui(app, ui),
                Pane::Bookmarks => super::bookmarks::bookmarks_pane_ui(app, ui),
                Pane::Lesson => super::lesson::lesson_pane_ui(app, ui),
            });
        });
        egui_tiles::UiResponse::None
    }

    fn tab_title_for_pane(&mut self, pane: &Pane) -> egui::WidgetText {
        match pane {
            Pane::TimeSeries { id } => match self.app.ts.get(id) {
                Some(s) if *id != VIEW_TIME => format!("Time series · {}", s.measure).into(),
                _ => "Time series".into(),
            },
            Pane::TopN { id } => match self.app.topn.get(id) {
                Some(s) => format!("Top {}", s.field).into(),
                None => "Top-N".into(),
            },
            Pane::Treemap => Tab::Treemap.label().into(),
            Pane::Graph => Tab::Graph.label().into(),
            Pane::Records => Tab::Records.label().into(),
            Pane::Sql => Tab::Sql.label().into(),
            Pane::Clean => Tab::Clean.label().into(),
            Pane::Summary => Tab::Summary.label().into(),
            Pane::Bookmarks => "Bookmarks & notes".into(),
            Pane::Lesson => "Lesson".into(),
        }
    }

    fn is_tab_closable(&self, _tiles: &Tiles<Pane>, _tile_id: TileId) -> bool {
        true
    }

    fn simplification_options(&self) -> egui_tiles::SimplificationOptions {
        // Every view gets a title bar: something to grab, drag and close.
        egui_tiles::SimplificationOptions { all_panes_must_have_tabs: true, ..Default::default() }
    }

    fn tab_bar_height(&self, _style: &egui::Style) -> f32 {
        22.0
    }

    fn gap_width(&self, _style: &egui::Style) -> f32 {
        3.0
    }
}

/// Draws the desk; applies a tab request from [`BrushfireApp::tab`] first.
pub fn desk_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    if app.desk.shown_tab != Some(app.tab) {
        if app.desk.shown_tab.is_some() {
            app.desk.show(pane_of_tab(app.tab));
        }
        app.desk.shown_tab = Some(app.tab);
    }
    let before = app.desk.all_panes().len();
    let visible_before = app.desk.visible_panes();
    let mut tree =
        std::mem::replace(&mut app.desk.tree, Tree::empty(egui::Id::unique("brushfire_desk_swap")));
    tree.ui(&mut DeskBehavior { app }, ui);
    app.desk.tree = tree;
    // A workbench tab the analyst brought to the front (by clicking it) becomes `app.tab`, so the
    // app's idea of the view in front follows the desk instead of a stale request.
    let visible = app.desk.visible_panes();
    let fronted = Tab::ALL.into_iter().find(|t| {
        let p = pane_of_tab(*t);
        visible.contains(&p) && !visible_before.contains(&p)
    });
    if let Some(t) = fronted {
        app.tab = t;
        app.desk.shown_tab = Some(t);
    }
    if app.desk.all_panes().len() != before {
        app.sync_view_states();
    }
}

/// The "+ View" menu.
pub fn add_view_menu_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    ui.menu_button("+ View", |ui| {
        let mut pick = None;
        if ui.button("New time series").clicked() {
            pick = Some(NewView::TimeSeries);
        }
        if ui.button("New top-N list").clicked() {
            pick = Some(NewView::TopN);
        }
        ui.separator();
        for t in Tab::ALL {
            if ui.button(t.label()).clicked() {
                pick = Some(NewView::Single(pane_of_tab(t)));
            }
        }
        if ui.button("Bookmarks & notes").clicked() {
            pick = Some(NewView::Single(Pane::Bookmarks));
        }
        if let Some(v) = pick {
            app.add_view(v);
            ui.close();
        }
    });
    ui.menu_button("Layout", |ui| {
        for p in Preset::ALL {
            if ui.button(p.label()).clicked() {
                app.use_preset(p);
                ui.close();
            }
        }
    });
}

impl BrushfireApp {
    /// Lays the desk out as a ready layout over the views already open (adding one time series
    /// and four lists when there are fewer).
    pub fn use_preset(&mut self, p: Preset) {
        let ts: Vec<ViewId> = self.ts.keys().copied().collect();
        let ts = if ts.is_empty() { vec![VIEW_TIME] } else { ts };
        let mut topn: Vec<ViewId> = self.topn.keys().copied().collect();
        for id in VIEW_TOPN {
            if topn.len() < 4 && !topn.contains(&id) {
                topn.push(id);
            }
        }
        topn.truncate(6);
        topn.sort();
        self.desk.set_layout(&p.layout(&ts, &topn));
        self.sync_view_states();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_round_trip_through_the_tree() {
        for p in Preset::ALL {
            let l = p.layout(&[VIEW_TIME], &VIEW_TOPN);
            let back = layout_of(&tree_of(&l)).expect("a layout");
            // Shares come back normalised or as given; compare the structure and the panes.
            assert_eq!(l.panes(), back.panes(), "{}", p.label());
            let json = serde_json::to_string(&back).unwrap();
            assert_eq!(serde_json::from_str::<LayoutNode>(&json).unwrap(), back);
        }
    }

    #[test]
    fn the_desk_layout_shows_treemap_graph_records_and_lists_together() {
        let mut d = Desk::default();
        d.set_layout(&Preset::GraphAndTreemap.layout(&[VIEW_TIME], &VIEW_TOPN));
        let v = d.visible_panes();
        for p in [Pane::Treemap, Pane::Graph, Pane::Records, Pane::TopN { id: VIEW_TOPN[0] }] {
            assert!(v.contains(&p), "{p:?} visible: {v:?}");
        }
    }
}
