//! Visualize and Dashboard on the server: `POST /api/vis/data`, `POST /api/dashboards/{id}/data`
//! (every panel in one `_msearch`, each with its table or its own error), the checks of saved
//! visualizations and dashboards, and the tutorial's dashboard made on first start.

use std::collections::HashMap;
use std::time::Instant;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use vis::dashboard::{Dashboard, DashboardAnswer, Panel, PanelAnswer, PanelKind, Visualization};
use vis::exec::{PanelError, Plan};
use vis::{Context, Filter, QueryBar, SavedSearch, SearchPlan, Target, TimeRange, VisPlan};

use crate::api::Api;
use crate::error::{Error, Result};
use crate::saved::SavedObject;

/// `POST /api/vis/data`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VisDataRequest {
    spec: Value,
    time_range: TimeRange,
    #[serde(default)]
    query: QueryBar,
    #[serde(default)]
    filters: Vec<Filter>,
    #[serde(default)]
    time_zone: String,
}

/// The page's state for a dashboard's data (and, for an unsaved one, its panels).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DashboardDataRequest {
    /// The time range (epoch ms).
    pub time_range: TimeRange,
    /// The global query.
    #[serde(default)]
    pub query: QueryBar,
    /// The global filters.
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// The browser's time zone (default UTC).
    #[serde(default)]
    pub time_zone: String,
    /// Panels of an unsaved dashboard (`POST /api/dashboards/data` only).
    #[serde(default)]
    pub panels: Option<Vec<Panel>>,
}

impl DashboardDataRequest {
    fn context(&self) -> Context {
        Context {
            time_range: Some(self.time_range),
            query: self.query.clone(),
            filters: self.filters.clone(),
            time_zone: self.time_zone.clone(),
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| Error::bad_request(format!("invalid {what}: {e}")))
}

/// Checks the attributes of a saved visualization or dashboard before they are written.
///
/// # Errors
/// 400 `bad_request` naming the member.
pub fn check_attributes(kind: &str, attrs: &Map<String, Value>) -> Result<()> {
    let v = Value::Object(attrs.clone());
    match kind {
        "visualization" => Visualization::from_attributes(&v)
            .map(|_| ())
            .map_err(Error::from),
        "dashboard" => Dashboard::from_attributes(&v)
            .map(|_| ())
            .map_err(Error::from),
        _ => Ok(()),
    }
}

/// Saved objects read once per request, by type and id.
struct Objects(HashMap<(String, String), SavedObject>);

impl Objects {
    fn get(&self, kind: &str, id: &str) -> std::result::Result<&SavedObject, PanelError> {
        self.0
            .get(&(kind.to_owned(), id.to_owned()))
            .ok_or_else(|| {
                PanelError::new(
                    404,
                    "not_found",
                    format!("saved object [{kind}/{id}] not found"),
                )
            })
    }

    fn target(&self, data_view: &str) -> std::result::Result<Target, PanelError> {
        let dv = self.get("index-pattern", data_view)?;
        let index = dv
            .attributes
            .get("title")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                PanelError::new(
                    400,
                    "bad_request",
                    format!("the data view [{data_view}] has no title"),
                )
            })?;
        Ok(Target {
            index: index.to_owned(),
            time_field: dv
                .attributes
                .get("timeFieldName")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }
}

impl Api {
    async fn objects(&self) -> Result<Objects> {
        let all = self.saved().list(None).await?;
        Ok(Objects(
            all.into_iter()
                .map(|o| ((o.kind.clone(), o.id.clone()), o))
                .collect(),
        ))
    }

    /// `POST /api/vis/data`: one visualization's table.
    pub(crate) async fn vis_data(&self, body: &[u8]) -> Result<Value> {
        let req: VisDataRequest = parse(body, "visualization data request")?;
        let spec = vis::spec::from_json(&req.spec, "spec")?;
        spec.check("spec")?;
        let dv = match self.saved().get("index-pattern", &spec.data_view).await {
            Ok(o) => o,
            Err(e) if e.status == 404 => {
                return Err(Error::not_found(format!(
                    "spec.dataView: no data view [{}]",
                    spec.data_view
                )));
            }
            Err(e) => return Err(e),
        };
        let objects = Objects(HashMap::from([(
            ("index-pattern".to_owned(), dv.id.clone()),
            dv,
        )]));
        let target = objects.target(&spec.data_view)?;
        let ctx = Context {
            time_range: Some(req.time_range),
            query: req.query,
            filters: req.filters,
            time_zone: req.time_zone,
        };
        let plan = VisPlan::new(&spec, &target, &ctx)?;
        let mut answers = vis::exec::run(self.client(), &[Ok(Plan::Vis(Box::new(plan)))])
            .await
            .map_err(|e| self.error_context().wrap(&e))?;
        let table = answers
            .pop()
            .ok_or_else(|| Error::new(500, "internal", "no answer for the visualization"))??;
        serde_json::to_value(table).map_err(|e| Error::new(500, "internal", e.to_string()))
    }

    /// Finds a dashboard by id, else by title (case-insensitive).
    ///
    /// # Errors
    /// 404 when none matches, 400 when several have that title.
    pub async fn find_dashboard(&self, name: &str) -> Result<(String, Dashboard)> {
        self.ensure_defaults().await?;
        let list = self.saved().list(Some("dashboard")).await?;
        let by_id = list.iter().find(|o| o.id == name);
        let by_title: Vec<&SavedObject> = list
            .iter()
            .filter(|o| {
                o.attributes
                    .get("title")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case(name))
            })
            .collect();
        let obj = match (by_id, by_title.as_slice()) {
            (Some(o), _) => o,
            (None, [o]) => *o,
            (None, []) => {
                let titles: Vec<String> = list
                    .iter()
                    .filter_map(|o| o.attributes.get("title").and_then(Value::as_str))
                    .map(|t| format!("[{t}]"))
                    .collect();
                return Err(Error::not_found(format!(
                    "no dashboard with the id or title [{name}]; dashboards: {}",
                    if titles.is_empty() {
                        "none".to_owned()
                    } else {
                        titles.join(", ")
                    }
                )));
            }
            (None, _) => {
                return Err(Error::bad_request(format!(
                    "{} dashboards have the title [{name}]: give the id",
                    by_title.len()
                )));
            }
        };
        let d = Dashboard::from_attributes(&Value::Object(obj.attributes.clone()))?;
        Ok((obj.id.clone(), d))
    }

    /// `POST /api/dashboards/{id}/data`.
    pub(crate) async fn dashboard_data_by_id(&self, id: &str, body: &[u8]) -> Result<Value> {
        let req: DashboardDataRequest = parse(body, "dashboard data request")?;
        if req.panels.is_some() {
            return Err(Error::bad_request(
                "panels: give panels only to POST /api/dashboards/data (an unsaved dashboard)",
            ));
        }
        let obj = self.saved().get("dashboard", id).await?;
        let d = Dashboard::from_attributes(&Value::Object(obj.attributes))?;
        let answer = self.dashboard_answer(&d.panels, &req).await?;
        serde_json::to_value(answer).map_err(|e| Error::new(500, "internal", e.to_string()))
    }

    /// `POST /api/dashboards/data`: the panels come with the request.
    pub(crate) async fn dashboard_data_inline(&self, body: &[u8]) -> Result<Value> {
        let req: DashboardDataRequest = parse(body, "dashboard data request")?;
        let panels = req.panels.clone().ok_or_else(|| {
            Error::bad_request("panels: required (or use /api/dashboards/{id}/data)")
        })?;
        vis::dashboard::check_panels(&panels, "panels")?;
        let answer = self.dashboard_answer(&panels, &req).await?;
        serde_json::to_value(answer).map_err(|e| Error::new(500, "internal", e.to_string()))
    }

    /// Every panel's table or error, from one `_msearch` (and one more for Other buckets).
    /// `sluice report --dashboard` prints this.
    ///
    /// # Errors
    /// Only when the backend cannot be asked at all (a panel's own failure is in its answer).
    pub async fn dashboard_answer(
        &self,
        panels: &[Panel],
        req: &DashboardDataRequest,
    ) -> Result<DashboardAnswer> {
        let started = Instant::now();
        let objects = self.objects().await?;
        let ctx = req.context();
        let mut plans = Vec::with_capacity(panels.len());
        let mut heads = Vec::with_capacity(panels.len());
        for p in panels {
            let (title, vis_type, plan) = plan_panel(&objects, p, &ctx);
            heads.push((
                p.panel_id.clone(),
                p.kind,
                p.title.clone().unwrap_or(title),
                vis_type,
            ));
            plans.push(plan);
        }
        let answers = vis::exec::run(self.client(), &plans)
            .await
            .map_err(|e| self.error_context().wrap(&e))?;
        let panels = heads
            .into_iter()
            .zip(answers)
            .map(|((panel_id, kind, title, vis_type), a)| {
                let (data, error) = match a {
                    Ok(t) => (Some(t), None),
                    Err(e) => (None, Some(e)),
                };
                PanelAnswer {
                    panel_id,
                    kind,
                    title,
                    vis_type,
                    data,
                    error,
                }
            })
            .collect();
        Ok(DashboardAnswer {
            panels,
            took: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }
}

/// A panel's title, chart type and plan (or its error).
fn plan_panel(
    objects: &Objects,
    p: &Panel,
    ctx: &Context,
) -> (
    String,
    Option<String>,
    std::result::Result<Plan, PanelError>,
) {
    let obj = match objects.get(p.kind.as_str(), &p.reference) {
        Ok(o) => o,
        Err(e) => return (String::new(), None, Err(e)),
    };
    let title = obj
        .attributes
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let attrs = Value::Object(obj.attributes.clone());
    match p.kind {
        PanelKind::Visualization => {
            let v = match Visualization::from_attributes(&attrs) {
                Ok(v) => v,
                Err(e) => return (title, None, Err(e.into())),
            };
            let vis_type = Some(v.spec.kind.as_str().to_owned());
            let plan = objects
                .target(&v.spec.data_view)
                .and_then(|t| VisPlan::new(&v.spec, &t, ctx).map_err(PanelError::from))
                .map(|plan| Plan::Vis(Box::new(plan)));
            (title, vis_type, plan)
        }
        PanelKind::Search => {
            let s = match SavedSearch::deserialize(&attrs) {
                Ok(s) => s,
                Err(e) => {
                    return (
                        title,
                        None,
                        Err(PanelError::new(
                            400,
                            "bad_request",
                            format!("saved search [{}]: {e}", p.reference),
                        )),
                    );
                }
            };
            let plan = objects
                .target(&s.data_view_id)
                .and_then(|t| SearchPlan::new(&s, &t, ctx).map_err(PanelError::from))
                .map(|plan| Plan::Search(Box::new(plan)));
            (title, None, plan)
        }
    }
}

/// The ids of the tutorial's objects.
pub const TUTORIAL_DASHBOARD: &str = "python-logs";

/// The tutorial's three charts, its saved search of errors and its dashboard, over the fields
/// `report::Fields::detect` found (as `sluice report` draws them).
pub fn tutorial_objects(data_view: &str, f: &report::Fields) -> Vec<SavedObject> {
    let obj = |kind: &str, id: &str, attrs: Value| SavedObject {
        id: id.to_owned(),
        kind: kind.to_owned(),
        attributes: attrs.as_object().cloned().unwrap_or_default(),
        updated_at: String::new(),
    };
    let vis = |title: &str, spec: Value| json!({"title": title, "spec": spec});
    // a saved search shows `_source` members, not the aggregatable `.keyword` sub-fields
    let source = |field: &str| field.strip_suffix(".keyword").unwrap_or(field).to_owned();
    vec![
        obj(
            "visualization",
            "python-logs-actions-per-user",
            vis(
                "Actions per user",
                json!({
                    "type": "pie", "dataView": data_view,
                    "metrics": [{"id": "1", "type": "count"}],
                    "buckets": [{"id": "2", "role": "x", "type": "terms", "field": f.user, "size": 10,
                                 "order": {"by": "1", "dir": "desc"}, "otherBucket": true}],
                    "params": {"donut": true, "legendPosition": "right"}
                }),
            ),
        ),
        obj(
            "visualization",
            "python-logs-levels-over-time",
            vis(
                "Log levels over time",
                json!({
                    "type": "bar", "dataView": data_view,
                    "metrics": [{"id": "1", "type": "count"}],
                    "buckets": [
                        {"id": "2", "role": "x", "type": "date_histogram", "field": f.time, "interval": "auto"},
                        {"id": "3", "role": "split", "type": "terms", "field": f.level, "size": 10,
                         "order": {"by": "1", "dir": "desc"}}
                    ],
                    "params": {"stacked": true, "legendPosition": "right"}
                }),
            ),
        ),
        obj(
            "visualization",
            "python-logs-duration-per-action",
            vis(
                "Average duration per action",
                json!({
                    "type": "bar", "dataView": data_view,
                    "metrics": [{"id": "1", "type": "avg", "field": f.duration}],
                    "buckets": [{"id": "2", "role": "x", "type": "terms", "field": f.action, "size": 10,
                                 "order": {"by": "1", "dir": "desc"}}],
                    "params": {"valueLabels": true}
                }),
            ),
        ),
        obj(
            "search",
            "python-logs-latest-errors",
            json!({
                "title": "Latest errors", "dataViewId": data_view,
                "query": {"language": "kuery", "query": format!("{}:ERROR", f.level)},
                "filters": [], "columns": [source(&f.level), source(&f.user), source(&f.action), "message"], "sort": "desc"
            }),
        ),
        obj(
            "dashboard",
            TUTORIAL_DASHBOARD,
            json!({
                "title": "Python logs",
                "description": "The tutorial's charts: actions per user, log levels over time, average duration per action, and the latest errors",
                "panels": [
                    {"panelId": "1", "type": "visualization", "ref": "python-logs-actions-per-user", "x": 0, "y": 0, "w": 16, "h": 15},
                    {"panelId": "2", "type": "visualization", "ref": "python-logs-levels-over-time", "x": 16, "y": 0, "w": 32, "h": 15},
                    {"panelId": "3", "type": "visualization", "ref": "python-logs-duration-per-action", "x": 0, "y": 15, "w": 24, "h": 15},
                    {"panelId": "4", "type": "search", "ref": "python-logs-latest-errors", "x": 24, "y": 15, "w": 24, "h": 15}
                ],
                "query": {"language": "kuery", "query": ""},
                "filters": [],
                "timeRange": {"from": "now-24h", "to": "now"},
                "refreshInterval": {"pause": true, "value": 0}
            }),
        ),
    ]
}
