use super::*;

#[test]
fn api_keys_in_both_forms() {
    assert_eq!(
        Auth::api_key("id:secret"),
        Auth::ApiKey("aWQ6c2VjcmV0".into())
    );
    assert_eq!(
        Auth::api_key("aWQ6c2VjcmV0"),
        Auth::ApiKey("aWQ6c2VjcmV0".into())
    );
    assert_eq!(
        Auth::api_key("aWQ6c2VjcmV0").header_value(),
        "ApiKey aWQ6c2VjcmV0"
    );
    assert_eq!(
        Auth::basic("elastic", "pw").header_value(),
        "Basic ZWxhc3RpYzpwdw=="
    );
    assert_eq!(
        format!("{:?}", Auth::basic("elastic", "pw")),
        "Basic(elastic:***)"
    );
}

#[test]
fn backoff_is_jittered_and_capped() {
    let base = Duration::from_millis(100);
    let cap = Duration::from_secs(5);
    for attempt in 0..40 {
        let ceiling = (base * 2u32.saturating_pow(attempt.min(20))).min(cap);
        for _ in 0..50 {
            let d = backoff(base, cap, attempt);
            assert!(
                d <= ceiling && d >= ceiling / 10,
                "attempt {attempt}: {d:?}"
            );
        }
    }
    assert_eq!(backoff(Duration::ZERO, cap, 3), Duration::ZERO);
}
