//! Dashboards: saved attributes (panels on a 48-column grid) and the answer with every panel's
//! table or error.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::exec::PanelError;
use crate::query::{Filter, QueryBar};
use crate::spec::Spec;
use crate::table::Table;

/// Columns of the dashboard grid.
pub const GRID_COLUMNS: u32 = 48;
/// Most panels on one dashboard.
pub const MAX_PANELS: usize = 100;

/// What a panel shows.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PanelKind {
    /// A saved visualization.
    Visualization,
    /// A saved search.
    Search,
}

impl PanelKind {
    /// The saved object type it refers to.
    pub fn as_str(self) -> &'static str {
        match self {
            PanelKind::Visualization => "visualization",
            PanelKind::Search => "search",
        }
    }
}

/// One panel of a dashboard.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Panel {
    /// Its id within the dashboard.
    pub panel_id: String,
    /// What it shows.
    #[serde(rename = "type")]
    pub kind: PanelKind,
    /// The saved object's id.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Grid column (0-based).
    pub x: u32,
    /// Grid row (0-based).
    pub y: u32,
    /// Width in columns.
    pub w: u32,
    /// Height in rows.
    pub h: u32,
    /// A title instead of the saved object's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// A time range as the time picker writes it (date math or ISO).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TimeText {
    /// Start (`now-24h`).
    pub from: String,
    /// End (`now`).
    pub to: String,
}

/// The attributes of a saved dashboard (members the browser adds beyond these are kept as
/// given by the saved objects API and ignored here).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Panels.
    #[serde(default)]
    pub panels: Vec<Panel>,
    /// Saved query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<QueryBar>,
    /// Saved filters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
    /// Saved time range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_range: Option<TimeText>,
    /// Saved auto-refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<serde_json::Value>,
}

/// Checks a list of panels: count, unique ids, the grid.
///
/// # Errors
/// [`Error::Invalid`] naming the panel member.
pub fn check_panels(panels: &[Panel], path: &str) -> Result<()> {
    if panels.len() > MAX_PANELS {
        return Err(Error::invalid(path, format!("at most {MAX_PANELS} panels")));
    }
    let mut ids = HashSet::new();
    for (i, p) in panels.iter().enumerate() {
        let at = |m: &str| format!("{path}[{i}].{m}");
        if p.panel_id.is_empty() || p.panel_id.len() > 64 {
            return Err(Error::invalid(at("panelId"), "use 1 to 64 characters"));
        }
        if !ids.insert(p.panel_id.as_str()) {
            return Err(Error::invalid(
                at("panelId"),
                format!("[{}] is used twice", p.panel_id),
            ));
        }
        if p.reference.is_empty() {
            return Err(Error::invalid(
                at("ref"),
                "a panel needs the id of a saved object",
            ));
        }
        if p.w == 0 || p.h == 0 {
            return Err(Error::invalid(at("w"), "w and h must be at least 1"));
        }
        if p.x.saturating_add(p.w) > GRID_COLUMNS {
            return Err(Error::invalid(
                at("w"),
                format!(
                    "x + w = {} is more than the grid's {GRID_COLUMNS} columns",
                    p.x + p.w
                ),
            ));
        }
        if p.h > 1_000 || p.y > 100_000 {
            return Err(Error::invalid(
                at("h"),
                "the panel is too far down or too tall",
            ));
        }
    }
    Ok(())
}

impl Dashboard {
    /// Reads and checks saved attributes.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the member.
    pub fn from_attributes(v: &serde_json::Value) -> Result<Dashboard> {
        let d =
            Dashboard::deserialize(v).map_err(|e| Error::invalid("attributes", e.to_string()))?;
        if d.title.trim().is_empty() {
            return Err(Error::invalid(
                "attributes.title",
                "a dashboard needs a title",
            ));
        }
        check_panels(&d.panels, "attributes.panels")?;
        for (i, f) in d.filters.iter().enumerate() {
            f.clause(&format!("attributes.filters[{i}]"))?;
        }
        Ok(d)
    }
}

/// The attributes of a saved visualization.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Visualization {
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What it draws.
    pub spec: Spec,
}

impl Visualization {
    /// Reads and checks saved attributes.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the member; KQL errors.
    pub fn from_attributes(v: &serde_json::Value) -> Result<Visualization> {
        let vis = Visualization::deserialize(v)
            .map_err(|e| Error::invalid("attributes", e.to_string()))?;
        if vis.title.trim().is_empty() {
            return Err(Error::invalid(
                "attributes.title",
                "a visualization needs a title",
            ));
        }
        vis.spec.check("attributes.spec")?;
        Ok(vis)
    }
}

/// One panel's answer.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PanelAnswer {
    /// The panel's id.
    pub panel_id: String,
    /// `visualization` or `search`.
    #[serde(rename = "type")]
    pub kind: PanelKind,
    /// The panel's title (its own, else the saved object's).
    pub title: String,
    /// The chart type of a visualization.
    #[serde(default)]
    pub vis_type: Option<String>,
    /// Its table, or
    pub data: Option<Table>,
    /// its error.
    pub error: Option<PanelErrorBody>,
}

/// A panel's error as the API writes it.
pub type PanelErrorBody = PanelError;

/// The answer of `POST /api/dashboards/{id}/data` (and `sluice report --dashboard --json`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct DashboardAnswer {
    /// Every panel, in the dashboard's order.
    pub panels: Vec<PanelAnswer>,
    /// Milliseconds the server took.
    pub took: u64,
}
