//! Fast, allocation-free formatting of the numbers in a line.

/// Appends the decimal digits of `n`.
pub(crate) fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

/// Appends `n` as exactly `width` digits (zero-padded; `n` must fit).
pub(crate) fn push_padded(out: &mut Vec<u8>, mut n: u32, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Appends milliseconds as seconds with three decimals: `1234` → `1.234`.
pub(crate) fn push_millis_as_seconds(out: &mut Vec<u8>, ms: u32) {
    push_u64(out, u64::from(ms / 1000));
    out.push(b'.');
    push_padded(out, ms % 1000, 3);
}

/// Appends milliseconds as seconds with two decimals, rounded as Python's `f"{d:.2f}"` (and
/// Rust's `{:.2}`) round the `f64` nearest to `ms / 1000`: `1235` → `1.24`, `125` → `0.12`.
pub(crate) fn push_millis_as_seconds_2(out: &mut Vec<u8>, ms: u32) {
    let centis = round_to_centis(ms);
    push_u64(out, u64::from(centis / 100));
    out.push(b'.');
    push_padded(out, centis % 100, 2);
}

/// `ms / 1000` rounded to hundredths the way `{:.2}` rounds the nearest `f64`: ties in the
/// decimal are decided by which side of them the binary value lies, exact ties go to even.
fn round_to_centis(ms: u32) -> u32 {
    let (q, r) = (ms / 10, ms % 10);
    match r {
        0..=4 => q,
        6..=9 => q + 1,
        _ => {
            let d = f64::from(ms) / 1000.0;
            // Exact sign of d·1000 − ms: one rounding cannot change it.
            let diff = d.mul_add(1000.0, -f64::from(ms));
            if diff > 0.0 || (diff == 0.0 && q % 2 == 1) {
                q + 1
            } else {
                q
            }
        }
    }
}

/// Appends a UTC instant given in microseconds since the Unix epoch in Elasticsearch's form,
/// with milliseconds: `2026-01-01T00:00:00.000Z`.
pub(crate) fn push_timestamp(out: &mut Vec<u8>, micros: i64) {
    let millis = micros.div_euclid(1000);
    let days = millis.div_euclid(86_400_000);
    let ms_of_day = millis.rem_euclid(86_400_000) as u32;
    let (y, m, d) = civil_from_days(days);
    if (0..=9999).contains(&y) {
        push_padded(out, y as u32, 4);
    } else {
        // Outside four-digit years ES wants a sign; such dates do not come from the generator's
        // documented ranges, but stay well-formed anyway.
        out.push(if y < 0 { b'-' } else { b'+' });
        push_padded(out, y.unsigned_abs() as u32, 6);
    }
    out.push(b'-');
    push_padded(out, m, 2);
    out.push(b'-');
    push_padded(out, d, 2);
    out.push(b'T');
    push_padded(out, ms_of_day / 3_600_000, 2);
    out.push(b':');
    push_padded(out, ms_of_day / 60_000 % 60, 2);
    out.push(b':');
    push_padded(out, ms_of_day / 1000 % 60, 2);
    out.push(b'.');
    push_padded(out, ms_of_day % 1000, 3);
    out.push(b'Z');
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests;
