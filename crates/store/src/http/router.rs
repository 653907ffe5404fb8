//! Maps a method and path to a [`Route`], with Elasticsearch's answers for unknown paths
//! (`400 no handler found for uri [..] and method [..]`) and wrong methods (`405`).

use http::Method;

use super::params::decode_path_segment;
use crate::Error;

/// One REST endpoint with its path parameters (decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `GET|HEAD /`
    Info,
    /// `GET /_cluster/health[/{target}]`
    ClusterHealth(Option<String>),
    /// `GET /_cat/indices[/{target}]`
    CatIndices(Option<String>),
    /// `GET|POST /_refresh`, `GET|POST /{target}/_refresh`
    Refresh(Option<String>),
    /// `GET|POST /_flush`, `GET|POST /{target}/_flush`
    Flush(Option<String>),
    /// `POST [/{target}]/_forcemerge`
    ForceMerge(Option<String>),
    /// `POST|PUT /_bulk`, `POST|PUT /{index}/_bulk`
    Bulk(Option<String>),
    /// `GET|POST /_search`, `GET|POST /{target}/_search`
    Search(Option<String>),
    /// `GET|POST /_count`, `GET|POST /{target}/_count`
    Count(Option<String>),
    /// `GET /_mapping`, `GET /{target}/_mapping`
    Mapping(Option<String>),
    /// `PUT|POST /{target}/_mapping`
    PutMapping(String),
    /// `PUT /{index}`
    CreateIndex(String),
    /// `HEAD /{target}`
    IndexExists(String),
    /// `GET /{target}`
    GetIndex(String),
    /// `DELETE /{target}`
    DeleteIndex(String),
    /// `POST /{index}/_doc`
    IndexAutoId(String),
    /// `PUT|POST /{index}/_doc/{id}`
    IndexDoc(String, String),
    /// `PUT|POST /{index}/_create/{id}`
    CreateDoc(String, String),
    /// `GET /{index}/_doc/{id}`
    GetDoc(String, String),
    /// `HEAD /{index}/_doc/{id}`
    DocExists(String, String),
    /// `DELETE /{index}/_doc/{id}`
    DeleteDoc(String, String),
    /// `POST /{target}/_pit`
    OpenPit(String),
    /// `DELETE /_pit`
    ClosePit,
    /// `GET|POST /_search/scroll[/{scroll_id}]`
    Scroll(Option<String>),
    /// `DELETE /_search/scroll[/{scroll_id}]`
    ClearScroll(Option<String>),
    /// `GET|POST /_field_caps`, `GET|POST /{target}/_field_caps`
    FieldCaps(Option<String>),
    /// `GET|POST /_msearch`, `GET|POST /{target}/_msearch`
    Msearch(Option<String>),
    /// `GET|POST /_analyze`, `GET|POST /{index}/_analyze`
    Analyze(Option<String>),
    /// `POST /{index}/_update/{id}`
    Update(String, String),
    /// `GET|POST /_mget`, `GET|POST /{index}/_mget`
    Mget(Option<String>),
    /// `GET /{index}/_source/{id}`
    GetSource(String, String),
    /// `HEAD /{index}/_source/{id}`
    SourceExists(String, String),
    /// `GET /_index_template`, `/_component_template` (all)
    Templates(crate::engine::templates::Kind, Option<String>),
    /// `PUT|POST /_index_template/{name}`, `/_component_template/{name}`
    PutTemplate(crate::engine::templates::Kind, String),
    /// `HEAD /_index_template/{name}`
    TemplateExists(crate::engine::templates::Kind, String),
    /// `DELETE /_index_template/{name}`
    DeleteTemplate(crate::engine::templates::Kind, String),
    /// `GET|PUT /_cluster/settings`
    ClusterSettings(Method),
    /// `/_template[/{name}]`: legacy index templates, of which the store keeps none
    LegacyTemplate(Method, Option<String>),
    /// `GET /_data_stream[/{names}]`, `PUT|DELETE /_data_stream/{name}`
    DataStream(Method, Option<String>),
    /// `GET /_ilm/policy[/{names}]`, `PUT|DELETE /_ilm/policy/{name}`
    IlmPolicy(Method, Option<String>),
    /// `GET /{target}/_ilm/explain`
    IlmExplain(String),
    /// `GET /_ilm/status`
    IlmStatus,
    /// `GET /_nodes[/{nodes}][/{metrics}]`
    NodesInfo(Option<String>, Option<String>),
    /// `GET /_nodes[/{nodes}]/stats[/{metrics}]`
    NodesStats(Option<String>, Option<String>),
    /// `POST /{target}/_close`
    Close(String),
    /// `PUT /{target}/_block/{block}`
    AddBlock(String, String),
    /// `POST /{target}/_open`
    Open(String),
    /// `POST /{target}/_rollover[/{new_index}]`
    Rollover(String, Option<String>),
    /// `PUT|POST /{target}/_alias/{names}` (`_aliases` too)
    PutAlias(String, String),
    /// `DELETE /{target}/_alias/{names}` (`_aliases` too)
    DeleteAlias(String, String),
    /// `GET|HEAD [/{target}]/_alias[/{names}]` (HEAD: the flag)
    GetAlias(Option<String>, Option<String>, bool),
    /// `POST /_aliases`
    UpdateAliases,
    /// `GET /_cat/aliases[/{names}]`
    CatAliases(Option<String>),
    /// `GET /_cat/count[/{target}]`
    CatCount(Option<String>),
    /// `GET /_cat/health`
    CatHealth,
    /// `GET /_cat/templates[/{name}]`
    CatTemplates(Option<String>),
    /// `GET /_cat/shards[/{target}]`
    CatShards(Option<String>),
    /// `GET [/{target}]/_settings[/{names}]`
    GetSettings(Option<String>, Option<String>),
    /// `PUT [/{target}]/_settings`
    PutSettings(Option<String>),
    /// `GET [/{target}]/_stats[/{metrics}]`
    Stats(Option<String>, Option<String>),
    /// `POST /{target}/_delete_by_query`, `_update_by_query`
    ByQuery(crate::engine::by_query::ByQueryKind, String),
    /// `GET /_license`
    License,
    /// `GET /_xpack`
    Xpack,
}

/// Why no route matched.
#[derive(Debug)]
pub(crate) enum NoRoute {
    /// The path is known but not with this method; the methods it takes.
    MethodNotAllowed(Vec<Method>),
    /// Nothing answers this path.
    NotFound,
    /// A path segment is not decodable.
    BadPath(Error),
}

/// Which of our method slots a pattern fills.
type Candidates = Vec<(Method, Route)>;

/// Resolves `method` `path` (the raw, still percent-encoded path).
///
/// # Errors
/// [`NoRoute`] describing the miss.
pub(crate) fn route(method: &Method, raw_path: &str) -> Result<Route, NoRoute> {
    let candidates = candidates(raw_path)?;
    if candidates.is_empty() {
        return Err(NoRoute::NotFound);
    }
    if let Some((_, r)) = candidates.iter().find(|(m, _)| m == method) {
        return Ok(r.clone());
    }
    let mut allowed: Vec<Method> = Vec::new();
    for (m, _) in candidates {
        if !allowed.contains(&m) {
            allowed.push(m);
        }
    }
    Err(NoRoute::MethodNotAllowed(allowed))
}

fn candidates(raw_path: &str) -> Result<Candidates, NoRoute> {
    let mut segs: Vec<String> = raw_path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode_path_segment)
        .collect::<Result<_, _>>()
        .map_err(NoRoute::BadPath)?;
    // the index target (`/{target}/...`) may name indices with date math (`<logs-{now/d}>`)
    if let Some(first) = segs.first_mut()
        && !first.starts_with('_')
        && first.contains('<')
    {
        *first =
            crate::engine::date_math_names::resolve_target(first, crate::engine::store::now_ms())
                .map_err(NoRoute::BadPath)?;
    }
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let own = |x: &str| x.to_owned();
    let c: Candidates = match s.as_slice() {
        [] => vec![(Method::GET, Route::Info), (Method::HEAD, Route::Info)],
        ["_cluster", "health"] => vec![(Method::GET, Route::ClusterHealth(None))],
        ["_cluster", "settings"] => vec![
            (Method::GET, Route::ClusterSettings(Method::GET)),
            (Method::PUT, Route::ClusterSettings(Method::PUT)),
        ],
        ["_cluster", "health", t] => vec![(Method::GET, Route::ClusterHealth(Some(own(t))))],
        ["_cat", "indices"] => vec![(Method::GET, Route::CatIndices(None))],
        ["_cat", "indices", t] => vec![(Method::GET, Route::CatIndices(Some(own(t))))],
        ["_refresh"] => both(&[Method::GET, Method::POST], &Route::Refresh(None)),
        ["_flush"] => both(&[Method::GET, Method::POST], &Route::Flush(None)),
        ["_forcemerge"] => vec![(Method::POST, Route::ForceMerge(None))],
        ["_bulk"] => both(&[Method::POST, Method::PUT], &Route::Bulk(None)),
        ["_search"] => both(&[Method::GET, Method::POST], &Route::Search(None)),
        ["_count"] => both(&[Method::GET, Method::POST], &Route::Count(None)),
        ["_search", "scroll"] => vec![
            (Method::GET, Route::Scroll(None)),
            (Method::POST, Route::Scroll(None)),
            (Method::DELETE, Route::ClearScroll(None)),
        ],
        ["_search", "scroll", id] => vec![
            (Method::GET, Route::Scroll(Some(own(id)))),
            (Method::POST, Route::Scroll(Some(own(id)))),
            (Method::DELETE, Route::ClearScroll(Some(own(id)))),
        ],
        ["_mapping"] => vec![(Method::GET, Route::Mapping(None))],
        ["_pit"] => vec![(Method::DELETE, Route::ClosePit)],
        ["_field_caps"] => both(&[Method::GET, Method::POST], &Route::FieldCaps(None)),
        ["_msearch"] => both(&[Method::GET, Method::POST], &Route::Msearch(None)),
        ["_license"] => vec![(Method::GET, Route::License)],
        ["_aliases"] => vec![(Method::POST, Route::UpdateAliases)],
        ["_alias"] => alias_reads(None, None),
        ["_alias", n] => alias_reads(None, Some(own(n))),
        ["_cat", "aliases"] => vec![(Method::GET, Route::CatAliases(None))],
        ["_cat", "count"] => vec![(Method::GET, Route::CatCount(None))],
        ["_cat", "count", t] => vec![(Method::GET, Route::CatCount(Some(own(t))))],
        ["_cat", "health"] => vec![(Method::GET, Route::CatHealth)],
        ["_cat", "templates"] => vec![(Method::GET, Route::CatTemplates(None))],
        ["_cat", "shards"] => vec![(Method::GET, Route::CatShards(None))],
        ["_cat", "shards", t] => vec![(Method::GET, Route::CatShards(Some(own(t))))],
        ["_cat", "templates", n] => vec![(Method::GET, Route::CatTemplates(Some(own(n))))],
        ["_stats"] => vec![(Method::GET, Route::Stats(None, None))],
        ["_stats", m] => vec![(Method::GET, Route::Stats(None, Some(own(m))))],
        [t, "_stats"] => vec![(Method::GET, Route::Stats(Some(own(t)), None))],
        [t, "_stats", m] => vec![(Method::GET, Route::Stats(Some(own(t)), Some(own(m))))],
        ["_settings"] => vec![
            (Method::GET, Route::GetSettings(None, None)),
            (Method::PUT, Route::PutSettings(None)),
        ],
        ["_settings", n] => vec![(Method::GET, Route::GetSettings(None, Some(own(n))))],
        [t, "_settings"] => vec![
            (Method::GET, Route::GetSettings(Some(own(t)), None)),
            (Method::PUT, Route::PutSettings(Some(own(t)))),
        ],
        [t, "_settings", n] => vec![(Method::GET, Route::GetSettings(Some(own(t)), Some(own(n))))],
        ["_cat", "aliases", n] => vec![(Method::GET, Route::CatAliases(Some(own(n))))],
        [t, "_delete_by_query"] => vec![(
            Method::POST,
            Route::ByQuery(crate::engine::by_query::ByQueryKind::Delete, own(t)),
        )],
        [t, "_update_by_query"] => vec![(
            Method::POST,
            Route::ByQuery(crate::engine::by_query::ByQueryKind::Update, own(t)),
        )],
        [t, "_alias"] => alias_reads(Some(own(t)), None),
        [t, kind @ ("_alias" | "_aliases"), n] => {
            let mut c = vec![
                (Method::PUT, Route::PutAlias(own(t), own(n))),
                (Method::POST, Route::PutAlias(own(t), own(n))),
                (Method::DELETE, Route::DeleteAlias(own(t), own(n))),
            ];
            if *kind == "_alias" {
                c.extend(alias_reads(Some(own(t)), Some(own(n))));
            }
            c
        }
        ["_data_stream"] => vec![(Method::GET, Route::DataStream(Method::GET, None))],
        ["_data_stream", name] => [Method::GET, Method::PUT, Method::DELETE]
            .into_iter()
            .map(|m| (m.clone(), Route::DataStream(m, Some(own(name)))))
            .collect(),
        ["_xpack"] => vec![(Method::GET, Route::Xpack)],
        ["_ilm", "policy"] => vec![(Method::GET, Route::IlmPolicy(Method::GET, None))],
        ["_ilm", "policy", name] => [Method::GET, Method::PUT, Method::DELETE]
            .into_iter()
            .map(|m| (m.clone(), Route::IlmPolicy(m, Some(own(name)))))
            .collect(),
        ["_ilm", "status"] => vec![(Method::GET, Route::IlmStatus)],
        [t, "_ilm", "explain"] => vec![(Method::GET, Route::IlmExplain(own(t)))],
        ["_nodes"] => vec![(Method::GET, Route::NodesInfo(None, None))],
        ["_nodes", "stats"] => vec![(Method::GET, Route::NodesStats(None, None))],
        ["_nodes", "stats", m] => vec![(Method::GET, Route::NodesStats(None, Some(own(m))))],
        ["_nodes", n, "stats"] => vec![(Method::GET, Route::NodesStats(Some(own(n)), None))],
        ["_nodes", n, "stats", m] => {
            vec![(Method::GET, Route::NodesStats(Some(own(n)), Some(own(m))))]
        }
        ["_nodes", x] => {
            let metrics = x
                .split(',')
                .all(|m| super::nodes::ES_INFO_METRICS.contains(&m.trim()) || m == "_all");
            let route = if metrics && *x != "_all" {
                Route::NodesInfo(None, Some(own(x)))
            } else {
                Route::NodesInfo(Some(own(x)), None)
            };
            vec![(Method::GET, route)]
        }
        ["_nodes", n, m] => vec![(Method::GET, Route::NodesInfo(Some(own(n)), Some(own(m))))],
        ["_analyze"] => both(&[Method::GET, Method::POST], &Route::Analyze(None)),
        ["_mget"] => both(&[Method::GET, Method::POST], &Route::Mget(None)),
        ["_template"] => [Method::GET, Method::HEAD]
            .into_iter()
            .map(|m| (m.clone(), Route::LegacyTemplate(m, None)))
            .collect(),
        ["_template", name] => [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::POST,
            Method::DELETE,
        ]
        .into_iter()
        .map(|m| (m.clone(), Route::LegacyTemplate(m, Some(own(name)))))
        .collect(),
        [kind @ ("_index_template" | "_component_template")] => {
            vec![(Method::GET, Route::Templates(template_kind(kind), None))]
        }
        [kind @ ("_index_template" | "_component_template"), name] => {
            let k = template_kind(kind);
            vec![
                (Method::PUT, Route::PutTemplate(k, own(name))),
                (Method::POST, Route::PutTemplate(k, own(name))),
                (Method::GET, Route::Templates(k, Some(own(name)))),
                (Method::HEAD, Route::TemplateExists(k, own(name))),
                (Method::DELETE, Route::DeleteTemplate(k, own(name))),
            ]
        }
        [t] => vec![
            (Method::PUT, Route::CreateIndex(own(t))),
            (Method::HEAD, Route::IndexExists(own(t))),
            (Method::GET, Route::GetIndex(own(t))),
            (Method::DELETE, Route::DeleteIndex(own(t))),
        ],
        [t, "_refresh"] => both(&[Method::GET, Method::POST], &Route::Refresh(Some(own(t)))),
        [t, "_flush"] => both(&[Method::GET, Method::POST], &Route::Flush(Some(own(t)))),
        [t, "_forcemerge"] => vec![(Method::POST, Route::ForceMerge(Some(own(t))))],
        [t, "_rollover"] => vec![(Method::POST, Route::Rollover(own(t), None))],
        [t, "_close"] => vec![(Method::POST, Route::Close(own(t)))],
        [t, "_block", b] => vec![(Method::PUT, Route::AddBlock(own(t), own(b)))],
        [t, "_open"] => vec![(Method::POST, Route::Open(own(t)))],
        [t, "_rollover", n] => vec![(Method::POST, Route::Rollover(own(t), Some(own(n))))],
        [t, "_bulk"] => both(&[Method::POST, Method::PUT], &Route::Bulk(Some(own(t)))),
        [t, "_search"] => both(&[Method::GET, Method::POST], &Route::Search(Some(own(t)))),
        [t, "_count"] => both(&[Method::GET, Method::POST], &Route::Count(Some(own(t)))),
        [t, "_mapping"] => {
            let mut v = vec![(Method::GET, Route::Mapping(Some(own(t))))];
            v.extend(both(
                &[Method::PUT, Method::POST],
                &Route::PutMapping(own(t)),
            ));
            v
        }
        [t, "_pit"] => vec![(Method::POST, Route::OpenPit(own(t)))],
        [t, "_field_caps"] => both(
            &[Method::GET, Method::POST],
            &Route::FieldCaps(Some(own(t))),
        ),
        [t, "_msearch"] => both(&[Method::GET, Method::POST], &Route::Msearch(Some(own(t)))),
        [t, "_analyze"] => both(&[Method::GET, Method::POST], &Route::Analyze(Some(own(t)))),
        [t, "_doc"] => vec![(Method::POST, Route::IndexAutoId(own(t)))],
        [t, "_doc", id] => vec![
            (Method::PUT, Route::IndexDoc(own(t), own(id))),
            (Method::POST, Route::IndexDoc(own(t), own(id))),
            (Method::GET, Route::GetDoc(own(t), own(id))),
            (Method::HEAD, Route::DocExists(own(t), own(id))),
            (Method::DELETE, Route::DeleteDoc(own(t), own(id))),
        ],
        [t, "_mget"] => both(&[Method::GET, Method::POST], &Route::Mget(Some(own(t)))),
        [t, "_update", id] => vec![(Method::POST, Route::Update(own(t), own(id)))],
        [t, "_source", id] => vec![
            (Method::GET, Route::GetSource(own(t), own(id))),
            (Method::HEAD, Route::SourceExists(own(t), own(id))),
        ],
        [t, "_create", id] => both(
            &[Method::PUT, Method::POST],
            &Route::CreateDoc(own(t), own(id)),
        ),
        _ => Vec::new(),
    };
    Ok(c)
}

fn template_kind(segment: &str) -> crate::engine::templates::Kind {
    if segment == "_index_template" {
        crate::engine::templates::Kind::Index
    } else {
        crate::engine::templates::Kind::Component
    }
}

fn both(methods: &[Method], r: &Route) -> Candidates {
    methods.iter().map(|m| (m.clone(), r.clone())).collect()
}

#[cfg(test)]
mod tests;

fn alias_reads(target: Option<String>, names: Option<String>) -> Candidates {
    vec![
        (
            Method::GET,
            Route::GetAlias(target.clone(), names.clone(), false),
        ),
        (Method::HEAD, Route::GetAlias(target, names, true)),
    ]
}
