use super::*;

#[test]
fn a_lone_request_passes_and_a_second_over_the_limit_is_refused_until_the_first_ends() {
    let b = Budget::new(100);
    let first = b.reserve(150).expect("alone, even over the limit");
    assert_eq!(b.used(), 150);
    match b.reserve(1) {
        Err(Error::OverBudget { wanted, limit }) => assert_eq!((wanted, limit), (151, 100)),
        other => panic!("expected OverBudget, got {other:?}"),
    }
    assert_eq!(b.used(), 150, "a refusal takes nothing");
    drop(first);
    assert_eq!(b.used(), 0, "dropping gives the bytes back");
    let _a = b.reserve(60).expect("after the first ended");
    let _b = b.reserve(40).expect("fits exactly");
    assert!(b.reserve(1).is_err());
}

#[test]
fn a_reservation_grows_alone_past_the_limit_but_not_beside_others() {
    let b = Budget::new(10);
    let mut r = b.reservation();
    r.grow(8).expect("alone");
    r.grow(8)
        .expect("still alone: its own bytes are not others'");
    assert_eq!((r.bytes(), b.used()), (16, 16));
    let other = b.reserve(0).expect("an empty reservation always fits");
    drop(other);
    let mut second = b.reservation();
    let e = second.grow(1).expect_err("beside 16 held bytes");
    assert!(e.is_retryable() && e.status() == 429, "{e}");
    r.release(10);
    assert_eq!((r.bytes(), b.used()), (6, 6));
    second.grow(4).expect("fits beside the 6 left");
    r.release(100);
    assert_eq!(
        (r.bytes(), b.used()),
        (0, 4),
        "release is capped at what it holds"
    );
    drop(r);
    drop(second);
    assert_eq!(b.used(), 0);
}

#[test]
fn clones_share_one_counter_across_threads() {
    let b = Budget::new(usize::MAX);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let b = b.clone();
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    let mut r = b.reservation();
                    r.grow(3).expect("unlimited");
                    r.grow(4).expect("unlimited");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("join");
    }
    assert_eq!(b.used(), 0);
    assert_eq!(b.limit(), usize::MAX);
}
