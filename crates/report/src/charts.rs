//! The three charts drawn with plotters, as SVG strings (for the HTML page) or one PNG.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{Error, Report, Result};

/// Width of one chart, in pixels.
pub const CHART_WIDTH: u32 = 1000;
/// Height of one chart, in pixels; the PNG stacks the three charts.
pub const CHART_HEIGHT: u32 = 420;

pub(crate) const FONT: &str = "sans-serif";
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(84, 179, 153),
    RGBColor(96, 146, 192),
    RGBColor(211, 96, 134),
    RGBColor(154, 119, 207),
    RGBColor(214, 191, 87),
    RGBColor(185, 162, 131),
    RGBColor(228, 135, 93),
    RGBColor(170, 101, 92),
];

/// The charts of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Count of actions per user (pie).
    ActionsPerUser,
    /// Log levels over time (stacked date histogram).
    LevelsOverTime,
    /// Average duration per action (bar).
    DurationPerAction,
}

impl Chart {
    /// The three charts in the seed's order.
    pub const ALL: [Self; 3] = [
        Self::ActionsPerUser,
        Self::LevelsOverTime,
        Self::DurationPerAction,
    ];

    /// The chart's title.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::ActionsPerUser => "Count of actions per user",
            Self::LevelsOverTime => "Log levels over time",
            Self::DurationPerAction => "Average duration per action (seconds)",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::ActionsPerUser => "actions per user",
            Self::LevelsOverTime => "levels over time",
            Self::DurationPerAction => "duration per action",
        }
    }
}

/// One chart as a standalone SVG document.
///
/// # Errors
/// [`Error::NoFont`] when no font is found for the text, [`Error::Draw`].
pub fn svg(report: &Report, chart: Chart) -> Result<String> {
    ensure_font()?;
    let mut buf = String::new();
    {
        let root =
            SVGBackend::with_string(&mut buf, (CHART_WIDTH, CHART_HEIGHT)).into_drawing_area();
        draw(&root, report, chart).map_err(|e| draw_err(chart, &e))?;
        root.present().map_err(|e| draw_err(chart, &e))?;
    }
    Ok(buf)
}

/// The three charts stacked in one PNG of `CHART_WIDTH` × 3·`CHART_HEIGHT` pixels.
///
/// # Errors
/// [`Error::NoFont`], [`Error::Draw`], [`Error::Io`].
pub fn write_png(report: &Report, path: &Path) -> Result<()> {
    ensure_font()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let root = BitMapBackend::new(path, (CHART_WIDTH, CHART_HEIGHT * 3)).into_drawing_area();
    let areas = root.split_evenly((3, 1));
    for (area, chart) in areas.iter().zip(Chart::ALL) {
        draw(area, report, chart).map_err(|e| draw_err(chart, &e))?;
    }
    root.present().map_err(|e| Error::Draw {
        chart: "png",
        reason: format!("{e} (writing {})", path.display()),
    })
}

fn draw_err(chart: Chart, e: &dyn std::fmt::Display) -> Error {
    Error::Draw {
        chart: chart.name(),
        reason: e.to_string(),
    }
}

type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    chart: Chart,
) -> DrawResult<DB> {
    area.fill(&WHITE)?;
    match chart {
        Chart::ActionsPerUser => pie(area, report),
        Chart::LevelsOverTime => levels(area, report),
        Chart::DurationPerAction => durations(area, report),
    }
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap
)]
fn pie<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, report: &Report) -> DrawResult<DB> {
    let area = area.titled(Chart::ActionsPerUser.title(), (FONT, 24))?;
    let (w, h) = area.dim_in_pixel();
    // Slices under 2% of the events join "other", so that every label is readable.
    let total = report.total.max(1) as f64;
    let mut sizes: Vec<f64> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    let mut other = report.other_users;
    for s in &report.actions_per_user {
        if (s.count as f64) / total < 0.02 {
            other += s.count;
        } else {
            sizes.push(s.count as f64);
            labels.push(format!("{} ({})", s.user, s.count));
        }
    }
    if other > 0 {
        sizes.push(other as f64);
        labels.push(format!("other ({other})"));
    }
    if sizes.iter().sum::<f64>() <= 0.0 {
        area.draw_text(
            "no events",
            &(FONT, 20).into_text_style(&area),
            (w as i32 / 2 - 40, h as i32 / 2),
        )?;
        return Ok(());
    }
    let colours: Vec<RGBColor> = (0..sizes.len())
        .map(|i| PALETTE[i % PALETTE.len()])
        .collect();
    let center = (w as i32 / 2, h as i32 / 2);
    let radius = f64::from(h.min(w)) * 0.36;
    let mut pie = Pie::new(&center, &radius, &sizes, &colours, &labels);
    pie.start_angle(-90.0);
    pie.label_style((FONT, 16).into_font().color(&BLACK));
    pie.percentages((FONT, 14).into_font().color(&WHITE));
    area.draw(&pie)?;
    Ok(())
}

fn level_colour(level: &str, idx: usize) -> RGBColor {
    match level.to_ascii_uppercase().as_str() {
        "INFO" => RGBColor(84, 179, 153),
        "WARNING" | "WARN" => RGBColor(214, 191, 87),
        "ERROR" => RGBColor(211, 96, 134),
        "CRITICAL" | "FATAL" => RGBColor(154, 119, 207),
        "DEBUG" | "TRACE" => RGBColor(96, 146, 192),
        _ => PALETTE[idx % PALETTE.len()],
    }
}

fn fmt_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map_or_else(|| ms.to_string(), |t| t.format("%m-%d %H:%M").to_string())
}

fn levels<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, report: &Report) -> DrawResult<DB> {
    let step = report.interval_ms.max(1);
    let first = report.levels_over_time.first().map_or(0, |b| b.start_ms);
    let last = report
        .levels_over_time
        .last()
        .map_or(step, |b| b.start_ms + step);
    let top = report
        .levels_over_time
        .iter()
        .map(|b| b.count)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "{} ({} buckets)",
                Chart::LevelsOverTime.title(),
                report.interval
            ),
            (FONT, 24),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(first..last, 0u64..top + top / 10 + 1)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(8)
        .x_label_formatter(&|v| fmt_ms(*v))
        .y_desc("events")
        .label_style((FONT, 13))
        .draw()?;
    let width = (step * 9 / 10).max(1);
    for (idx, level) in report.levels.iter().enumerate() {
        let colour = level_colour(level, idx);
        let rects = report.levels_over_time.iter().filter_map(|b| {
            let pos = b.by_level.iter().position(|(k, _)| k == level)?;
            let below: u64 = b.by_level[..pos].iter().map(|(_, n)| n).sum();
            let n = b.by_level[pos].1;
            Some(Rectangle::new(
                [(b.start_ms, below), (b.start_ms + width, below + n)],
                colour.filled(),
            ))
        });
        chart
            .draw_series(rects)?
            .label(level.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 14))
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    Ok(())
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn durations<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, report: &Report) -> DrawResult<DB> {
    let actions: Vec<&str> = report
        .duration_per_action
        .iter()
        .map(|a| a.action.as_str())
        .collect();
    let top = report
        .duration_per_action
        .iter()
        .filter_map(|a| a.avg_seconds)
        .fold(0.0_f64, f64::max)
        .max(0.1);
    let n = actions.len().max(1) as u32;
    let mut chart = ChartBuilder::on(area)
        .caption(Chart::DurationPerAction.title(), (FONT, 24))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d((0u32..n - 1).into_segmented(), 0.0..top * 1.15)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(actions.len().max(1))
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => actions
                .get(*i as usize)
                .map_or_else(String::new, |s| (*s).to_owned()),
            SegmentValue::Last => String::new(),
        })
        .y_desc("seconds")
        .label_style((FONT, 14))
        .draw()?;
    for (i, a) in report.duration_per_action.iter().enumerate() {
        let Some(v) = a.avg_seconds else { continue };
        let colour = PALETTE[i % PALETTE.len()];
        let x = i as u32;
        chart.draw_series(std::iter::once(Rectangle::new(
            [
                (SegmentValue::Exact(x), 0.0),
                (SegmentValue::Exact(x + 1), v),
            ],
            colour.filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{v:.2} s"),
            (SegmentValue::CenterOf(x), v),
            (FONT, 14).into_font().color(&BLACK),
        )))?;
    }
    Ok(())
}

static FONT_STATE: OnceLock<bool> = OnceLock::new();

/// Finds a TrueType font and registers it for chart text: `$SLUICE_FONT`, then the usual
/// Debian/Fedora/macOS locations, then the first `.ttf` under the system font folders.
pub(crate) fn ensure_font() -> Result<()> {
    let ok = *FONT_STATE.get_or_init(|| {
        font_candidates().into_iter().any(|p| {
            let Ok(bytes) = std::fs::read(&p) else {
                return false;
            };
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            let registered = plotters::style::register_font(FONT, FontStyle::Normal, bytes).is_ok();
            if registered {
                tracing::debug!(font = %p.display(), "registered chart font");
            }
            registered
        })
    });
    if ok { Ok(()) } else { Err(Error::NoFont) }
}

fn font_candidates() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::env::var_os("SLUICE_FONT")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    out.extend(
        [
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/TTF/DejaVuSans.ttf",
            "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
            "/Library/Fonts/Arial.ttf",
            "/System/Library/Fonts/Supplemental/Arial.ttf",
        ]
        .map(PathBuf::from),
    );
    for dir in ["/usr/share/fonts", "/usr/local/share/fonts"] {
        find_ttf(Path::new(dir), 4, &mut out);
    }
    out
}

fn find_ttf(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() && depth > 0 {
            find_ttf(&p, depth - 1, out);
        } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("ttf")) {
            out.push(p);
        }
    }
}
