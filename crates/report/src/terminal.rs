use std::fmt::Write as _;

use crate::Report;

const WIDTH: usize = 40;
const PALETTE: [&str; 6] = ["32", "33", "31", "36", "35", "34"];

fn level_colour(level: &str, idx: usize) -> &'static str {
    match level.to_ascii_uppercase().as_str() {
        "DEBUG" | "TRACE" => "34",
        "INFO" => "32",
        "WARNING" | "WARN" => "33",
        "ERROR" => "31",
        "CRITICAL" | "FATAL" => "35",
        _ => PALETTE[idx % PALETTE.len()],
    }
}

fn paint(s: &str, code: &str, colour: bool) -> String {
    if colour {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_owned()
    }
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn bar(value: f64, max: f64) -> String {
    if max <= 0.0 {
        return String::new();
    }
    let n = ((value / max) * WIDTH as f64).round() as usize;
    "█".repeat(n.max(usize::from(value > 0.0)))
}

#[allow(clippy::cast_precision_loss)]
fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

impl Report {
    /// The three charts as text: labels, values and percentages, with ANSI colour when
    /// `colour` is set (a terminal) and none otherwise (a pipe).
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn to_terminal(&self, colour: bool) -> String {
        let mut out = String::new();
        let bold = |s: &str| paint(s, "1", colour);
        let _ = writeln!(
            out,
            "{} — {} events (user: {}, level: {}, action: {}, duration: {}, time: {})\n",
            bold(&format!("Report on [{}]", self.index)),
            self.total,
            self.fields.user,
            self.fields.level,
            self.fields.action,
            self.fields.duration,
            self.fields.time,
        );

        let _ = writeln!(out, "{}", bold("Count of actions per user (pie)"));
        let width = self
            .actions_per_user
            .iter()
            .map(|s| s.user.len())
            .chain((self.other_users > 0).then_some("(other)".len()))
            .max()
            .unwrap_or(5);
        let max = self
            .actions_per_user
            .iter()
            .map(|s| s.count)
            .max()
            .unwrap_or(0) as f64;
        for (i, s) in self.actions_per_user.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>8}  {:>5.1}%  {}",
                s.user,
                s.count,
                pct(s.count, self.total),
                paint(
                    &bar(s.count as f64, max),
                    PALETTE[i % PALETTE.len()],
                    colour
                ),
            );
        }
        if self.other_users > 0 {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>8}  {:>5.1}%",
                "(other)",
                self.other_users,
                pct(self.other_users, self.total)
            );
        }

        let _ = writeln!(
            out,
            "\n{}",
            bold(&format!(
                "Log levels over time ({} buckets, stacked by level)",
                self.interval
            ))
        );
        let legend: Vec<String> = self
            .levels
            .iter()
            .enumerate()
            .map(|(i, l)| paint(&format!("█ {l}"), level_colour(l, i), colour))
            .collect();
        let _ = writeln!(out, "  {}", legend.join("  "));
        let max = self
            .levels_over_time
            .iter()
            .map(|b| b.count)
            .max()
            .unwrap_or(0) as f64;
        for b in &self.levels_over_time {
            let mut stacked = String::new();
            for (k, n) in &b.by_level {
                let idx = self.levels.iter().position(|l| l == k).unwrap_or(0);
                stacked.push_str(&paint(&bar(*n as f64, max), level_colour(k, idx), colour));
            }
            let detail: Vec<String> = b.by_level.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = writeln!(
                out,
                "  {:<24} {:>7}  {}  {}",
                b.start,
                b.count,
                stacked,
                detail.join(", ")
            );
        }

        let _ = writeln!(out, "\n{}", bold("Average duration per action (bar)"));
        let width = self
            .duration_per_action
            .iter()
            .map(|a| a.action.len())
            .max()
            .unwrap_or(6)
            .max(6);
        let max = self
            .duration_per_action
            .iter()
            .filter_map(|a| a.avg_seconds)
            .fold(0.0_f64, f64::max);
        for (i, a) in self.duration_per_action.iter().enumerate() {
            let avg = a
                .avg_seconds
                .map_or_else(|| "    -".to_owned(), |v| format!("{v:>6.3} s"));
            let _ = writeln!(
                out,
                "  {:<width$}  {}  (n={:>6})  {}",
                a.action,
                avg,
                a.count,
                paint(
                    &bar(a.avg_seconds.unwrap_or(0.0), max),
                    PALETTE[i % PALETTE.len()],
                    colour
                ),
            );
        }
        out
    }
}
