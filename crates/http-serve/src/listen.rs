//! The loopback rule: a server without authentication listens on loopback unless told otherwise.

use std::net::{IpAddr, SocketAddr};

/// Whether `host_or_addr` is a loopback host: a loopback IP address (`127.0.0.0/8`, `::1`), with
/// or without a port (`127.0.0.1:9200`, `[::1]:9200`, `[::1]`), or `localhost` (with or without a
/// port). Other host names are not resolved and count as not loopback: a caller that resolves
/// names checks each resolved address.
#[must_use]
pub fn is_loopback(host_or_addr: &str) -> bool {
    let s = host_or_addr.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return a.ip().is_loopback();
    }
    let host = match s.rsplit_once(':') {
        // `host:port`, but not a bare IPv6 address (its colons are not a port separator)
        Some((h, port)) if !h.contains(':') && port.parse::<u16>().is_ok() => h,
        _ => s,
    };
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The loopback rule: `host_or_addr` must be a loopback host ([`is_loopback`]) unless `allowed`
/// (an explicit flag such as `--insecure` or `--allow-remote`, or authentication being on).
///
/// # Errors
/// `"ADDR is not a loopback address"`, for the caller to put in its own message (which names
/// its flags).
pub fn check_listen(host_or_addr: &str, allowed: bool) -> Result<(), String> {
    if allowed || is_loopback(host_or_addr) {
        return Ok(());
    }
    Err(format!("{host_or_addr} is not a loopback address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(addr: &str, loopback: bool) {
        assert_eq!(is_loopback(addr), loopback, "{addr}");
        assert_eq!(check_listen(addr, false).is_ok(), loopback, "{addr}");
        assert_eq!(check_listen(addr, true), Ok(()), "{addr} allowed");
    }

    #[test]
    fn loopback_hosts_pass_and_others_need_the_flag() {
        for addr in [
            "127.0.0.1",
            "127.0.0.1:9200",
            "127.1.2.3:0",
            "::1",
            "[::1]",
            "[::1]:9600",
            "localhost",
            "LocalHost:5601",
        ] {
            check(addr, true);
        }
        for addr in [
            "0.0.0.0",
            "0.0.0.0:9600",
            "::",
            "[::]:80",
            "10.0.0.1:9200",
            "example.com",
            "example.com:80",
            "localhost.example.com",
            "",
        ] {
            check(addr, false);
        }
        assert_eq!(
            check_listen("0.0.0.0:9600", false),
            Err("0.0.0.0:9600 is not a loopback address".to_owned())
        );
    }
}
