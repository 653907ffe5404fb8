//! A saved dashboard's answer (`vis::DashboardAnswer`, the one `sluice ui` sends its panels)
//! drawn for a terminal, one HTML page (SVG charts and data tables) or one PNG.

use std::fmt::Write as _;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use vis::{DashboardAnswer, PanelAnswer, Table};

use crate::charts::{self, CHART_HEIGHT, CHART_WIDTH, FONT, PALETTE};
use crate::{Error, Result};

/// Rows a terminal panel shows before "… more rows".
const TERMINAL_ROWS: usize = 20;
/// Rows an HTML data table shows.
const HTML_ROWS: usize = 500;
const BAR_WIDTH: usize = 30;

/// A row's bucket cells as one label (`user1 / ERROR`).
fn row_label(t: &Table, r: usize, upto: usize) -> String {
    (0..upto)
        .map(|c| short(&t.display(r, c), &t.columns[c].format))
        .collect::<Vec<_>>()
        .join(" / ")
}

fn short(text: &str, format: &str) -> String {
    if format == "date" {
        // 2026-01-01T10:00:00Z → 01-01 10:00
        if let (Some(d), Some(h)) = (text.get(5..10), text.get(11..16)) {
            return format!("{d} {h}");
        }
    }
    text.to_owned()
}

fn first_metric(t: &Table) -> Option<usize> {
    t.columns.iter().position(|c| c.kind == "metric")
}

/// The dashboard as text: each panel's title, then its rows with a bar for the first metric,
/// or its error.
#[must_use]
pub fn to_terminal(title: &str, answer: &DashboardAnswer, colour: bool) -> String {
    let bold = |s: &str| {
        if colour {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", bold(&format!("Dashboard [{title}]")));
    for p in &answer.panels {
        let kind = p.vis_type.as_deref().unwrap_or(p.kind.as_str());
        let _ = writeln!(out, "{} ({kind})", bold(&p.title));
        match (&p.data, &p.error) {
            (_, Some(e)) => {
                let _ = writeln!(out, "  error: {} ({}): {}", e.kind, e.status, e.reason);
            }
            (Some(t), None) => terminal_table(&mut out, t),
            (None, None) => {}
        }
        out.push('\n');
    }
    out
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn terminal_table(out: &mut String, t: &Table) {
    let _ = writeln!(out, "  {} documents", t.meta.total);
    if t.rows.is_empty() {
        let _ = writeln!(out, "  no results");
        return;
    }
    let buckets = t.bucket_columns();
    let metric = first_metric(t);
    let max = metric.map_or(0.0, |m| {
        t.rows
            .iter()
            .filter_map(|r| r.get(m).and_then(serde_json::Value::as_f64))
            .fold(0.0, f64::max)
    });
    let header: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    let _ = writeln!(out, "  {}", header.join(" | "));
    for r in 0..t.rows.len().min(TERMINAL_ROWS) {
        let cells: Vec<String> = (0..t.columns.len())
            .map(|c| short(&t.display(r, c), &t.columns[c].format))
            .collect();
        let bar = match (buckets > 0, metric) {
            (true, Some(m)) if max > 0.0 => {
                let v = t.rows[r][m].as_f64().unwrap_or(0.0);
                let n = ((v / max) * BAR_WIDTH as f64).round() as usize;
                format!("  {}", "█".repeat(n.max(usize::from(v > 0.0))))
            }
            _ => String::new(),
        };
        let _ = writeln!(out, "  {}{bar}", cells.join(" | "));
    }
    if t.rows.len() > TERMINAL_ROWS {
        let _ = writeln!(out, "  … {} more rows", t.rows.len() - TERMINAL_ROWS);
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One self-contained HTML page: each panel as a region named by its title, with its chart
/// (SVG) and its numbers as a data table, or its error.
///
/// # Errors
/// [`Error::NoFont`], [`Error::Draw`].
pub fn html(title: &str, answer: &DashboardAnswer) -> Result<String> {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;margin:2em auto;max-width:1040px;color:#222}}\
         section{{margin:0 0 2.5em}}table{{border-collapse:collapse;margin-top:.5em}}\
         td,th{{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}}\
         .error{{color:#a4001d}}</style></head><body><h1>{t}</h1>",
        t = esc(title)
    );
    for (i, p) in answer.panels.iter().enumerate() {
        let _ = write!(
            out,
            "<section role=\"region\" aria-labelledby=\"p{i}\"><h2 id=\"p{i}\">{}</h2>",
            esc(&p.title)
        );
        if let Some(e) = &p.error {
            let _ = write!(
                out,
                "<p class=\"error\">{} ({}): {}</p>",
                esc(&e.kind),
                e.status,
                esc(&e.reason)
            );
        }
        if let Some(t) = &p.data {
            if draws_chart(p) {
                let svg = panel_svg(p)?;
                let svg = svg.find("<svg").map_or(svg.as_str(), |k| &svg[k..]);
                out.push_str(svg);
            }
            html_table(&mut out, t);
        }
        out.push_str("</section>");
    }
    out.push_str("</body></html>\n");
    Ok(out)
}

fn html_table(out: &mut String, t: &Table) {
    let _ = write!(out, "<p>{} documents</p><table><tr>", t.meta.total);
    for c in &t.columns {
        let _ = write!(out, "<th>{}</th>", esc(&c.name));
    }
    out.push_str("</tr>");
    for r in 0..t.rows.len().min(HTML_ROWS) {
        out.push_str("<tr>");
        for c in 0..t.columns.len() {
            let _ = write!(out, "<td>{}</td>", esc(&t.display(r, c)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
}

fn draws_chart(p: &PanelAnswer) -> bool {
    p.data
        .as_ref()
        .is_some_and(|t| t.bucket_columns() > 0 && first_metric(t).is_some())
        && p.vis_type.as_deref().is_some_and(|v| v != "table")
}

fn panel_svg(p: &PanelAnswer) -> Result<String> {
    charts::ensure_font()?;
    let mut buf = String::new();
    {
        let root =
            SVGBackend::with_string(&mut buf, (CHART_WIDTH, CHART_HEIGHT)).into_drawing_area();
        draw_panel(&root, p).map_err(|e| draw_err(&e))?;
        root.present().map_err(|e| draw_err(&e))?;
    }
    Ok(buf)
}

/// The panels that draw a chart, stacked in one PNG `CHART_WIDTH` wide.
///
/// # Errors
/// [`Error::NoFont`], [`Error::Draw`], [`Error::Io`].
pub fn write_png(answer: &DashboardAnswer, path: &Path) -> Result<()> {
    charts::ensure_font()?;
    let drawn: Vec<&PanelAnswer> = answer.panels.iter().filter(|p| draws_chart(p)).collect();
    if drawn.is_empty() {
        return Err(Error::Draw {
            chart: "png",
            reason: "no panel of this dashboard draws a chart".into(),
        });
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let n = u32::try_from(drawn.len()).unwrap_or(u32::MAX);
    let root = BitMapBackend::new(path, (CHART_WIDTH, CHART_HEIGHT * n)).into_drawing_area();
    for (area, p) in root.split_evenly((drawn.len(), 1)).iter().zip(drawn) {
        draw_panel(area, p).map_err(|e| draw_err(&e))?;
    }
    root.present().map_err(|e| Error::Draw {
        chart: "png",
        reason: format!("{e} (writing {})", path.display()),
    })
}

fn draw_err(e: &dyn std::fmt::Display) -> Error {
    Error::Draw {
        chart: "dashboard panel",
        reason: e.to_string(),
    }
}

type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &PanelAnswer,
) -> DrawResult<DB> {
    area.fill(&WHITE)?;
    let Some(t) = &p.data else { return Ok(()) };
    let Some(m) = first_metric(t) else {
        return Ok(());
    };
    match p.vis_type.as_deref() {
        Some("pie") => pie(area, p, t, m),
        Some("heatmap") => heatmap(area, p, t, m),
        _ => bars(area, p, t, m),
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
fn pie<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &PanelAnswer,
    t: &Table,
    m: usize,
) -> DrawResult<DB> {
    let area = area.titled(&p.title, (FONT, 24))?;
    let (w, h) = area.dim_in_pixel();
    let buckets = t.bucket_columns();
    let mut sizes = Vec::new();
    let mut labels = Vec::new();
    let mut colours = Vec::new();
    for (r, row) in t.rows.iter().enumerate() {
        let v = row[m].as_f64().unwrap_or(0.0);
        if v > 0.0 {
            sizes.push(v);
            // Other in a neutral grey, as the web panels draw it
            colours.push(if row.iter().any(|c| c.as_str() == Some(vis::OTHER_KEY)) {
                RGBColor(170, 170, 170)
            } else {
                PALETTE[colours.len() % PALETTE.len()]
            });
            labels.push(format!(
                "{} ({})",
                row_label(t, r, buckets),
                t.display(r, m)
            ));
        }
    }
    if sizes.is_empty() {
        return area.draw_text(
            "no results",
            &(FONT, 20).into_text_style(&area),
            (w as i32 / 2 - 40, h as i32 / 2),
        );
    }
    let center = (w as i32 / 2, h as i32 / 2);
    let radius = f64::from(h.min(w)) * 0.36;
    let mut pie = Pie::new(&center, &radius, &sizes, &colours, &labels);
    pie.start_angle(-90.0);
    pie.label_style((FONT, 15).into_font().color(&BLACK));
    area.draw(&pie)
}

/// Bars over the first bucket, stacked by the second (its values as series).
#[allow(clippy::cast_possible_truncation)]
fn bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &PanelAnswer,
    t: &Table,
    m: usize,
) -> DrawResult<DB> {
    let buckets = t.bucket_columns();
    let mut xs: Vec<String> = Vec::new();
    let mut series: Vec<String> = Vec::new();
    let mut cells: Vec<(usize, usize, f64)> = Vec::new();
    for (r, row) in t.rows.iter().enumerate() {
        let x = short(&t.display(r, 0), &t.columns[0].format);
        let xi = xs.iter().position(|v| *v == x).unwrap_or_else(|| {
            xs.push(x);
            xs.len() - 1
        });
        let s = if buckets > 1 {
            row_label(t, r, buckets)
                .split(" / ")
                .skip(1)
                .collect::<Vec<_>>()
                .join(" / ")
        } else {
            t.columns[m].name.clone()
        };
        let si = series.iter().position(|v| *v == s).unwrap_or_else(|| {
            series.push(s);
            series.len() - 1
        });
        cells.push((xi, si, row[m].as_f64().unwrap_or(0.0)));
    }
    let mut stack = vec![0.0_f64; xs.len()];
    let mut spans = Vec::new();
    for (xi, si, v) in &cells {
        let lo = stack[*xi];
        stack[*xi] += v;
        spans.push((*xi, *si, lo, stack[*xi]));
    }
    let top = stack.iter().copied().fold(0.0, f64::max).max(1e-9);
    let n = u32::try_from(xs.len().max(1)).unwrap_or(u32::MAX);
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FONT, 24))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d((0u32..n - 1).into_segmented(), 0.0..top * 1.1)?;
    let label_every = xs.len().div_ceil(12).max(1);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(xs.len().clamp(1, 12))
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => xs
                .get(*i as usize)
                .filter(|_| (*i as usize).is_multiple_of(label_every))
                .cloned()
                .unwrap_or_default(),
            SegmentValue::Last => String::new(),
        })
        .y_desc(t.columns[m].name.as_str())
        .label_style((FONT, 13))
        .draw()?;
    for (si, name) in series.iter().enumerate() {
        let colour = PALETTE[si % PALETTE.len()];
        let rects = spans.iter().filter(|s| s.1 == si).map(|&(xi, _, lo, hi)| {
            let x = xi as u32;
            Rectangle::new(
                [
                    (SegmentValue::Exact(x), lo),
                    (SegmentValue::Exact(x + 1), hi),
                ],
                colour.filled(),
            )
        });
        chart
            .draw_series(rects)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], colour.filled()));
    }
    if buckets > 1 {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 13))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
    }
    Ok(())
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]
fn heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &PanelAnswer,
    t: &Table,
    m: usize,
) -> DrawResult<DB> {
    let max = t
        .rows
        .iter()
        .filter_map(|r| r[m].as_f64())
        .fold(0.0, f64::max)
        .max(1e-9);
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FONT, 24))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(48)
        .build_cartesian_2d(0u32..24u32, 0u32..7u32)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(12)
        .y_labels(7)
        .y_label_formatter(&|d| {
            vis::table::display_value(&serde_json::Value::from(7 - d), "day_of_week")
        })
        .label_style((FONT, 13))
        .draw()?;
    let cells = t.rows.iter().filter_map(|r| {
        let dow = r[0].as_u64()? as u32;
        let hour = r[1].as_u64()? as u32;
        let v = r[m].as_f64().unwrap_or(0.0) / max;
        let shade = (255.0 - v * 200.0) as u8;
        Some(Rectangle::new(
            [(hour, 7 - dow), (hour + 1, 8 - dow)],
            RGBColor(shade, shade, 255).filled(),
        ))
    });
    chart.draw_series(cells)?;
    Ok(())
}
