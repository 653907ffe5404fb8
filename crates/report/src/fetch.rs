use serde_json::{Value, json};

use crate::{Fields, Plan, Report, Result, read_bounds};

/// Makes a report over `index` (a pattern such as `python-logs-*`) with three requests:
/// the mapping, the time bounds, and the three aggregations. `since` limits it to recent
/// events (`1h`, `24h`, ...).
///
/// # Errors
/// [`crate::Error::Client`] when a request fails, and what [`Fields::detect`],
/// [`Plan::new`] and [`Report::from_response`] return.
pub async fn fetch(client: &es_client::Client, index: &str, since: Option<&str>) -> Result<Report> {
    let mapping = client.get_mapping(index).await?;
    let fields = Fields::detect(index, &mapping)?;
    let plan = Plan::new(fields, since)?;
    let bounds = search(client, index, &plan.bounds_body()).await?;
    let (range, _) = read_bounds(&bounds)?;
    let (lo, hi) = range.unwrap_or((0, 0));
    let resp = search(client, index, &plan.report_body(lo, hi)).await?;
    Report::from_response(index, &plan.fields, hi - lo, &resp)
}

/// A search whose response is kept as `{hits: {total}, aggregations}` JSON, the shape every
/// Elasticsearch version answers.
async fn search(client: &es_client::Client, index: &str, body: &Value) -> Result<Value> {
    let resp = client.search(index, body).await?;
    let total = resp.hits.total.map_or(0, |t| t.value);
    Ok(json!({
        "hits": {"total": {"value": total}},
        "aggregations": Value::Object(resp.aggregations.raw().clone())
    }))
}
