use std::time::{Duration, Instant};

use super::Pacer;

#[test]
fn slots_are_evenly_spaced() {
    let mut p = Pacer::new(1000.0).unwrap();
    let t0 = Instant::now();
    let delays: Vec<Duration> = (0..5).map(|_| p.delay(t0)).collect();
    let ms = Duration::from_millis;
    assert_eq!(delays, [ms(0), ms(1), ms(2), ms(3), ms(4)]);
    // A consumer running on time waits about one interval per event.
    assert_eq!(p.delay(t0 + ms(5)), ms(0));
    assert_eq!(p.delay(t0 + ms(5)), ms(1));
}

#[test]
fn small_lags_catch_up_stalls_do_not_burst() {
    let ms = Duration::from_millis;
    let mut p = Pacer::new(100.0).unwrap(); // every 10 ms
    let t0 = Instant::now();
    assert_eq!(p.delay(t0), ms(0));
    // 50 ms late: slots 1..=5 are due already (catch up), slot 6 is 10 ms away.
    let late = t0 + ms(60);
    let caught: Vec<Duration> = (0..6).map(|_| p.delay(late)).collect();
    assert_eq!(caught, [ms(0), ms(0), ms(0), ms(0), ms(0), ms(0)]);
    assert_eq!(p.delay(late), ms(10));
    // A 1 s stall: the schedule restarts now, one event, then 10 ms spacing again.
    let stalled = late + ms(1000);
    assert_eq!(p.delay(stalled), ms(0));
    assert_eq!(p.delay(stalled), ms(10));
    assert_eq!(p.delay(stalled), ms(20));
}

#[test]
fn bad_rates_are_refused() {
    for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let err = Pacer::new(rate).unwrap_err().to_string();
        assert!(
            err.starts_with("invalid generator setting `rate`: must be a positive number"),
            "{err}"
        );
    }
}
