//! The generator through its public interface.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use generator::{
    Action, Event, Format, Generator, GeneratorConfig, Profile, Timeline, parse_span, parse_time,
};
use log_model::{Level, LogEvent};
use serde_json::{Value, json};

fn lines(config: &GeneratorConfig, n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let written = Generator::new(config.clone())
        .unwrap()
        .write_ndjson(&mut out, n)
        .unwrap();
    assert_eq!(written, n);
    out
}

fn config(seed: u64, profile: Profile, format: Format) -> GeneratorConfig {
    GeneratorConfig {
        seed,
        profile,
        format,
        ..GeneratorConfig::default()
    }
}

fn day(s: &str) -> DateTime<Utc> {
    parse_time(s).unwrap()
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    for profile in [Profile::Seed, Profile::Realistic] {
        for format in [Format::Seed, Format::Ecs] {
            let a = lines(&config(7, profile, format), 5000);
            assert_eq!(
                a,
                lines(&config(7, profile, format), 5000),
                "{profile:?} {format:?}"
            );
            assert_ne!(
                a,
                lines(&config(8, profile, format), 5000),
                "{profile:?} {format:?}"
            );
            assert_eq!(a.iter().filter(|b| **b == b'\n').count(), 5000);
        }
    }
    let backfill = GeneratorConfig {
        timeline: Timeline::Backfill {
            start: day("2026-11-23T00:00:00Z"),
            end: day("2026-11-24T00:00:00Z"),
            count: 3000,
        },
        ..config(3, Profile::Realistic, Format::Seed)
    };
    assert_eq!(lines(&backfill, 3000), lines(&backfill, 3000));
}

/// The line the seed's Python program would log for `e`, built independently of the writer.
fn expected_seed_event(e: &Event) -> Value {
    let secs = e.duration_secs();
    let user = format!("user{}", e.user);
    let action = e.action.as_str();
    let message = match e.level {
        Level::Info => format!("User {user} performed {action} in {secs:.2}s"),
        Level::Warning => format!("Slow action detected: {action} took {secs:.2}s"),
        Level::Error => format!("Error during {action} by {user}"),
        other => panic!("unexpected level {other:?}"),
    };
    json!({
        "timestamp": e.timestamp().to_rfc3339_opts(SecondsFormat::Millis, true),
        "level": e.level.as_str(),
        "message": message,
        "user": user,
        "action": action,
        "duration": secs,
        "source": "python-script",
        "tags": ["python", "webapp"],
    })
}

#[test]
fn seed_profile_lines_are_the_seed_shape() {
    let cfg = config(7, Profile::Seed, Format::Seed);
    let generator = Generator::new(cfg.clone()).unwrap();
    let events: Vec<Event> = generator.take(3000).collect();
    let text = String::from_utf8(lines(&cfg, 3000)).unwrap();
    let mut seen_levels = HashMap::new();
    let mut seen = (HashMap::new(), HashMap::new());
    let mut last_ts = i64::MIN;
    for (line, e) in text.lines().zip(&events) {
        let parsed: Value = serde_json::from_str(line).unwrap();
        assert_eq!(parsed, expected_seed_event(e), "{line}");
        let keys: Vec<&str> = parsed
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "timestamp",
                "level",
                "message",
                "user",
                "action",
                "duration",
                "source",
                "tags"
            ]
        );
        assert!((100..=5000).contains(&e.duration_ms), "{line}");
        assert!((1..=5).contains(&e.user), "{line}");
        assert!(e.timestamp_micros >= last_ts);
        last_ts = e.timestamp_micros;
        *seen_levels.entry(e.level).or_insert(0) += 1;
        *seen.0.entry(e.action).or_insert(0) += 1;
        *seen.1.entry(e.user).or_insert(0) += 1;
        // log-model reads it as the seed event it is.
        let ev = LogEvent::from_json_slice(line.as_bytes()).unwrap();
        assert_eq!(ev.level(), Some(e.level));
        assert_eq!(ev.duration(), Some(e.duration_secs()));
        assert_eq!(
            ev.timestamp().unwrap().epoch_millis(),
            e.timestamp_micros.div_euclid(1000)
        );
    }
    assert_eq!(seen_levels.len(), 3);
    assert_eq!(seen.0.len(), 5);
    assert_eq!(seen.1.len(), 5);
    // Uniform choices: every value within 20% of its fair share.
    for count in seen_levels.values() {
        assert!((800..1200).contains(count), "{seen_levels:?}");
    }
    // The default timeline starts at 2026-01-01T00:00:00Z, about one event a second.
    assert_eq!(events[0].timestamp(), day("2026-01-01T00:00:00Z"));
    let span = (events[2999].timestamp_micros - events[0].timestamp_micros) as f64 / 1e6;
    assert!((2700.0..3300.0).contains(&span), "{span}");
}

#[test]
fn ecs_lines_are_exactly_log_models_conversion_of_seed_lines() {
    for profile in [Profile::Seed, Profile::Realistic] {
        let seed = String::from_utf8(lines(&config(11, profile, Format::Seed), 2000)).unwrap();
        let ecs = String::from_utf8(lines(&config(11, profile, Format::Ecs), 2000)).unwrap();
        for (s, e) in seed.lines().zip(ecs.lines()) {
            let converted =
                log_model::ecs::seed_to_ecs(&LogEvent::from_json_slice(s.as_bytes()).unwrap());
            assert_eq!(converted.to_json_vec(), e.as_bytes(), "seed line {s}");
        }
    }
}

#[test]
fn logstash_lines_are_seed_lines_as_python_logstash_async_sends_them() {
    for profile in [Profile::Seed, Profile::Realistic] {
        let seed = lines(&config(11, profile, Format::Seed), 300);
        let logstash = lines(&config(11, profile, Format::Logstash), 300);
        let (seed, logstash) = (
            std::str::from_utf8(&seed).unwrap(),
            std::str::from_utf8(&logstash).unwrap(),
        );
        for (s, l) in seed.lines().zip(logstash.lines()) {
            let mut want = LogEvent::from_json_slice(s.as_bytes()).unwrap().into_map();
            let ts = want.shift_remove("timestamp").unwrap();
            want.shift_insert(0, "@timestamp".into(), ts);
            want.shift_insert(1, "@version".into(), Value::from("1"));
            want.insert("type".into(), Value::from("python-logstash"));
            assert_eq!(
                LogEvent::from_json_slice(l.as_bytes()).unwrap().into_map(),
                want,
                "{l}"
            );
        }
    }
}

#[test]
fn source_is_configurable_and_escaped() {
    let cfg = GeneratorConfig {
        source: "my \"app\"\n".into(),
        ..GeneratorConfig::default()
    };
    for format in [Format::Seed, Format::Ecs, Format::Logstash] {
        let out = lines(
            &GeneratorConfig {
                format,
                ..cfg.clone()
            },
            3,
        );
        for line in std::str::from_utf8(&out).unwrap().lines() {
            let ev = LogEvent::from_json_slice(line.as_bytes()).unwrap();
            let source = match format {
                Format::Seed | Format::Logstash => ev.source(),
                Format::Ecs => ev.as_map()["service"]["name"].as_str(),
            };
            assert_eq!(source, Some("my \"app\"\n"));
        }
    }
}

fn realistic_backfill(count: u64, seed: u64) -> Vec<Event> {
    let cfg = GeneratorConfig {
        seed,
        profile: Profile::Realistic,
        timeline: Timeline::Backfill {
            start: day("2026-11-23T00:00:00Z"),
            end: day("2026-11-24T00:00:00Z"),
            count,
        },
        ..GeneratorConfig::default()
    };
    let events: Vec<Event> = Generator::new(cfg).unwrap().collect();
    assert_eq!(
        events.len() as u64,
        count,
        "a back-fill makes exactly `count` events"
    );
    events
}

#[test]
fn backfill_spreads_exactly_count_events_over_the_range_in_order() {
    let events = realistic_backfill(50_000, 5);
    let (start, end) = (day("2026-11-23T00:00:00Z"), day("2026-11-24T00:00:00Z"));
    assert!(
        events
            .windows(2)
            .all(|w| w[0].timestamp_micros <= w[1].timestamp_micros)
    );
    assert!(
        events[0].timestamp() >= start
            && events[0].timestamp() < start + chrono::Duration::minutes(5)
    );
    let last = events.last().unwrap().timestamp();
    assert!(
        last < end && last > end - chrono::Duration::minutes(5),
        "{last}"
    );
    // Seed profile too, flat: each quarter of the day holds a quarter of the events (±2%).
    let cfg = GeneratorConfig {
        timeline: Timeline::Backfill {
            start,
            end,
            count: 40_000,
        },
        ..GeneratorConfig::default()
    };
    let mut quarters = [0u32; 4];
    for e in Generator::new(cfg).unwrap() {
        let q = (e.timestamp() - start).num_hours() / 6;
        quarters[usize::try_from(q).unwrap()] += 1;
    }
    assert!(
        quarters.iter().all(|q| (9_800..10_200).contains(q)),
        "{quarters:?}"
    );
}

#[test]
fn realistic_profile_has_a_daily_curve() {
    let events = realistic_backfill(100_000, 5);
    let mut per_hour = [0u32; 24];
    for e in &events {
        per_hour[usize::try_from(
            e.timestamp()
                .format("%H")
                .to_string()
                .parse::<u32>()
                .unwrap(),
        )
        .unwrap()] += 1;
    }
    let afternoon = per_hour[13] + per_hour[14];
    let night = per_hour[1] + per_hour[2];
    assert!(
        f64::from(afternoon) > 3.0 * f64::from(night),
        "{per_hour:?}"
    );
}

#[test]
fn realistic_users_are_zipf_and_durations_depend_on_the_action() {
    let events = realistic_backfill(50_000, 9);
    let mut per_user: HashMap<u32, u32> = HashMap::new();
    let mut durations: HashMap<Action, Vec<u32>> = HashMap::new();
    for e in &events {
        *per_user.entry(e.user).or_default() += 1;
        durations.entry(e.action).or_default().push(e.duration_ms);
    }
    assert!(per_user.keys().all(|u| (1..=1000).contains(u)));
    assert!(per_user.len() > 500, "{} distinct users", per_user.len());
    let mut counts: Vec<u32> = per_user.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(per_user[&1], counts[0], "user1 is the most active");
    let top10: u32 = counts[..10].iter().sum();
    assert!(
        top10 > 50_000 / 4,
        "top ten users make {top10} of 50000 events"
    );
    // Medians per action, in the designed order.
    let median = |a: Action| {
        let v = durations.get_mut(&a).unwrap();
        v.sort_unstable();
        v[v.len() / 2]
    };
    let m: Vec<u32> = [
        Action::Purchase,
        Action::Search,
        Action::Login,
        Action::View,
        Action::Logout,
    ]
    .into_iter()
    .map(median)
    .collect();
    assert!(m.windows(2).all(|w| w[0] > w[1]), "medians {m:?}");
    // Actions are skewed: views are the most common.
    let n = |a: Action| durations[&a].len();
    assert!(n(Action::View) > n(Action::Search) && n(Action::Search) > n(Action::Purchase));
    // About 5% warnings (slower than the action's 95th percentile), errors rare overall.
    let warnings = events.iter().filter(|e| e.level == Level::Warning).count();
    let errors = events.iter().filter(|e| e.level == Level::Error).count();
    assert!((1500..5000).contains(&warnings), "{warnings} warnings");
    assert!(errors < 5000, "{errors} errors");
}

#[test]
fn realistic_errors_come_in_bursts() {
    let events = realistic_backfill(100_000, 5);
    // Errors per 10-minute window across the day.
    let mut windows = vec![0u32; 144];
    for e in events.iter().filter(|e| e.level == Level::Error) {
        let minute = e.timestamp_micros.div_euclid(60_000_000).rem_euclid(1440);
        windows[usize::try_from(minute / 10).unwrap()] += 1;
    }
    let mut sorted = windows.clone();
    sorted.sort_unstable();
    let (median, max) = (sorted[72], sorted[143]);
    assert!(
        max >= 10 * median.max(1),
        "max {max} median {median}: {windows:?}"
    );
    // In a burst one action fails: the worst window is dominated by one action's errors.
    let worst = windows.iter().position(|w| *w == max).unwrap() as i64;
    let mut by_action: HashMap<Action, u32> = HashMap::new();
    for e in events.iter().filter(|e| {
        e.level == Level::Error
            && e.timestamp_micros.div_euclid(600_000_000).rem_euclid(144) == worst
    }) {
        *by_action.entry(e.action).or_default() += 1;
    }
    let top = by_action.values().max().copied().unwrap_or(0);
    assert!(f64::from(top) > 0.8 * f64::from(max), "{by_action:?}");
}

#[test]
fn simulated_rate_sets_the_pace_of_simulated_time() {
    let cfg = GeneratorConfig {
        timeline: Timeline::Simulated {
            start: day("2026-11-24T00:00:00Z"),
            rate: 50.0,
        },
        ..GeneratorConfig::default()
    };
    let events: Vec<Event> = Generator::new(cfg).unwrap().take(10_000).collect();
    let span = (events[9_999].timestamp_micros - events[0].timestamp_micros) as f64 / 1e6;
    assert!(
        (180.0..220.0).contains(&span),
        "10000 events at 50/s span {span} s"
    );
}

#[test]
fn real_time_stamps_are_the_wall_clock() {
    let cfg = GeneratorConfig {
        timeline: Timeline::RealTime,
        ..GeneratorConfig::default()
    };
    let before = Utc::now().timestamp_micros();
    let events: Vec<Event> = Generator::new(cfg).unwrap().take(100).collect();
    let after = Utc::now().timestamp_micros();
    assert!(
        events
            .iter()
            .all(|e| (before..=after).contains(&e.timestamp_micros))
    );
}

#[test]
fn write_ndjson_stops_when_a_backfill_ends() {
    let cfg = GeneratorConfig {
        timeline: Timeline::Backfill {
            start: day("2026-11-23T00:00:00Z"),
            end: day("2026-11-23T01:00:00Z"),
            count: 10,
        },
        ..GeneratorConfig::default()
    };
    let mut out = Vec::new();
    let mut g = Generator::new(cfg).unwrap();
    assert_eq!(g.write_ndjson(&mut out, 100).unwrap(), 10);
    assert_eq!(g.made(), 10);
    assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 10);
    assert!(g.next().is_none());
}

#[test]
fn bad_settings_are_refused_naming_the_setting() {
    let check = |cfg: GeneratorConfig, expected: &str| {
        assert_eq!(Generator::new(cfg).unwrap_err().to_string(), expected);
    };
    let d = GeneratorConfig::default;
    check(
        GeneratorConfig { users: 0, ..d() },
        "invalid generator setting `users`: must be at least 1",
    );
    check(
        GeneratorConfig {
            zipf_exponent: 0.0,
            ..d()
        },
        "invalid generator setting `zipf_exponent`: must be a positive number",
    );
    check(
        GeneratorConfig {
            timeline: Timeline::Simulated {
                start: day("2026-01-01"),
                rate: 0.0,
            },
            ..d()
        },
        "invalid generator setting `rate`: must be a positive number of events per second",
    );
    check(
        GeneratorConfig {
            timeline: Timeline::Backfill {
                start: day("2026-01-02"),
                end: day("2026-01-01"),
                count: 1,
            },
            ..d()
        },
        "invalid generator setting `timeline`: the back-fill range must end after it starts",
    );
}

#[test]
fn spans_and_times_parse_or_say_why_not() {
    let ok = |s: &str, secs: u64| assert_eq!(parse_span(s).unwrap().as_secs(), secs, "{s}");
    ok("90s", 90);
    ok("15m", 900);
    ok("24h", 86_400);
    ok("7d", 604_800);
    ok("2w", 1_209_600);
    ok("1h30m", 5_400);
    ok(" 24h ", 86_400);
    let bad =
        |s: &str, expected: &str| assert_eq!(parse_span(s).unwrap_err().to_string(), expected);
    bad("", "invalid time span \"\": empty");
    bad(
        "24",
        "invalid time span \"24\": missing unit (s, m, h, d or w)",
    );
    bad("h", "invalid time span \"h\": expected a number like 24h");
    bad(
        "3y",
        "invalid time span \"3y\": unknown unit (use s, m, h, d or w)",
    );
    bad(
        "500ms",
        "invalid time span \"500ms\": units below a second are not supported",
    );
    bad("0h", "invalid time span \"0h\": must be longer than zero");
    bad(
        "99999999999999999999h",
        "invalid time span \"99999999999999999999h\": number too large",
    );
    bad(
        "9999999999999999w",
        "invalid time span \"9999999999999999w\": too long",
    );

    assert_eq!(day("2026-11-24"), day("2026-11-24T00:00:00Z"));
    assert_eq!(
        day("2026-11-24T01:00:00+01:00"),
        day("2026-11-24T00:00:00Z")
    );
    let err = parse_time("yesterday").unwrap_err().to_string();
    assert!(
        err.starts_with("invalid timestamp \"yesterday\": "),
        "{err}"
    );
}
