//! One self-contained HTML page: the three charts as inline SVG, each with its numbers.

use std::fmt::Write as _;

use crate::charts::{self, Chart};
use crate::{Report, Result};

/// Renders the page.
///
/// # Errors
/// What [`charts::svg`] returns.
pub fn render(report: &Report) -> Result<String> {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Sluice report: {index}</title>\
         <style>body{{font-family:sans-serif;margin:2em auto;max-width:1040px;color:#222}}\
         figure{{margin:0 0 2.5em}}table{{border-collapse:collapse;margin-top:.5em}}\
         td,th{{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:right}}\
         td:first-child,th:first-child{{text-align:left}}</style></head><body>\
         <h1>Sluice report: {index}</h1><p>{total} events. Fields: user <code>{user}</code>, \
         level <code>{level}</code>, action <code>{action}</code>, duration <code>{duration}</code>, \
         time <code>{time}</code>.</p>",
        index = esc(&report.index),
        total = report.total,
        user = esc(&report.fields.user),
        level = esc(&report.fields.level),
        action = esc(&report.fields.action),
        duration = esc(&report.fields.duration),
        time = esc(&report.fields.time),
    );
    for chart in Chart::ALL {
        let svg = charts::svg(report, chart)?;
        let _ = write!(
            out,
            "<figure><h2>{}</h2>{}",
            esc(chart.title()),
            strip_xml_decl(&svg)
        );
        table(&mut out, report, chart);
        out.push_str("</figure>");
    }
    out.push_str("</body></html>\n");
    Ok(out)
}

fn table(out: &mut String, report: &Report, chart: Chart) {
    out.push_str("<table>");
    match chart {
        Chart::ActionsPerUser => {
            out.push_str("<tr><th>user</th><th>events</th></tr>");
            for s in &report.actions_per_user {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    esc(&s.user),
                    s.count
                );
            }
            if report.other_users > 0 {
                let _ = write!(
                    out,
                    "<tr><td>(other)</td><td>{}</td></tr>",
                    report.other_users
                );
            }
        }
        Chart::LevelsOverTime => {
            let _ = write!(out, "<tr><th>bucket ({})</th>", esc(&report.interval));
            for l in &report.levels {
                let _ = write!(out, "<th>{}</th>", esc(l));
            }
            out.push_str("</tr>");
            for b in report.levels_over_time.iter().filter(|b| b.count > 0) {
                let _ = write!(out, "<tr><td>{}</td>", esc(&b.start));
                for l in &report.levels {
                    let n = b
                        .by_level
                        .iter()
                        .find(|(k, _)| k == l)
                        .map_or(0, |(_, n)| *n);
                    let _ = write!(out, "<td>{n}</td>");
                }
                out.push_str("</tr>");
            }
        }
        Chart::DurationPerAction => {
            out.push_str("<tr><th>action</th><th>events</th><th>average duration (s)</th></tr>");
            for a in &report.duration_per_action {
                let avg = a
                    .avg_seconds
                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"));
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{avg}</td></tr>",
                    esc(&a.action),
                    a.count
                );
            }
        }
    }
    out.push_str("</table>");
}

fn strip_xml_decl(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
