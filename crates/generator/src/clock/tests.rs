use super::{Clock, diurnal};

#[test]
fn diurnal_curve_peaks_at_14_and_averages_one() {
    assert!((diurnal(14.0 * 3600.0, 0.6) - 1.6).abs() < 1e-12);
    assert!((diurnal(2.0 * 3600.0, 0.6) - 0.4).abs() < 1e-12);
    let mean: f64 = (0..1440)
        .map(|m| diurnal(f64::from(m) * 60.0 + 30.0, 0.6))
        .sum::<f64>()
        / 1440.0;
    assert!((mean - 1.0).abs() < 1e-9, "{mean}");
    assert_eq!(diurnal(12345.0, 0.0), 1.0);
}

#[test]
fn advancing_by_work_follows_the_rate() {
    // Flat: 2 events/s, 10 events of work = 5 s.
    let mut c = Clock::new(1000.0, 2.0, 0.0);
    c.advance(10.0);
    assert!((c.now() - 1005.0).abs() < 1e-9);
    // Curved: a whole day of work at rate r takes one day, and work_until agrees with advance.
    let start = 0.0;
    let mut c = Clock::new(start, 3.0, 0.6);
    let day_work = c.work_until(86_400.0);
    assert!((day_work - 3.0 * 86_400.0).abs() < 1e-6, "{day_work}");
    c.advance(day_work);
    assert!((c.now() - 86_400.0).abs() < 1e-6, "{}", c.now());
    // An hour at the peak holds more work than an hour at the trough.
    let peak = Clock::new(13.5 * 3600.0, 1.0, 0.6).work_until(14.5 * 3600.0);
    let trough = Clock::new(1.5 * 3600.0, 1.0, 0.6).work_until(2.5 * 3600.0);
    assert!(peak > 3.9 * trough, "peak {peak} trough {trough}");
}
