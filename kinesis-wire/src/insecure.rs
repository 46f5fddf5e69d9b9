//! Warnings about endpoints whose traffic is not protected: plain `http://` to another
//! host, or `https://` with certificate checks off (`aws.trust.all.certificates`). Each is
//! logged once per endpoint per process, for Kinesis and the credential endpoints (STS,
//! SSO, container) alike.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};

use ureq::http::Uri;

/// Why traffic to `endpoint` is exposed, if it is, and the endpoint's `scheme://host:port`
/// (no user info, path or query: only that goes into logs). `also_local` are addresses
/// that count as this host besides loopback (the container agent's link-local ones).
fn exposure(
    endpoint: &str,
    trust_all_certificates: bool,
    also_local: &[IpAddr],
) -> Option<(String, &'static str)> {
    let uri: Uri = endpoint.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let host = uri.host()?;
    let origin = match uri.port_u16() {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let local = bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || also_local.contains(&ip));
    match scheme.as_str() {
        "http" if !local => Some((
            origin,
            "plain http to another host: requests (signatures, session tokens, data) and \
             responses (credentials, records) cross the network unencrypted",
        )),
        "https" if trust_all_certificates => Some((
            origin,
            "TLS certificates are not verified (aws.trust.all.certificates = true): anyone \
             on the network path can impersonate the endpoint and read the traffic",
        )),
        _ => None,
    }
}

/// Logs a warning, once per process, if traffic of `service` (e.g. `"Kinesis"`, `"STS"`)
/// to `endpoint` is not protected; see [`exposure`].
pub(crate) fn warn_if_insecure(
    service: &str,
    endpoint: &str,
    trust_all_certificates: bool,
    also_local: &[IpAddr],
) {
    static WARNED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let Some((origin, why)) = exposure(endpoint, trust_all_certificates, also_local) else {
        return;
    };
    let first = WARNED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(format!("{service} {origin} {why}"));
    if first {
        log::warn!("{service} endpoint {origin}: {why}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposed_endpoints() {
        let agent: IpAddr = "169.254.170.2".parse().unwrap();
        for (endpoint, trust_all, also_local, exposed) in [
            ("http://127.0.0.1:4567", true, &[][..], None),
            ("http://localhost:1/x", false, &[], None),
            ("http://[::1]:80", false, &[], None),
            ("https://kinesis.us-east-1.amazonaws.com", false, &[], None),
            ("http://169.254.170.2/v2/x", false, &[agent][..], None),
            (
                "http://169.254.170.2/v2/x",
                false,
                &[],
                Some("http://169.254.170.2"),
            ),
            (
                "http://user:pw@kinesis.example.com:4567/path?q=1",
                false,
                &[],
                Some("http://kinesis.example.com:4567"),
            ),
            (
                "https://sts.amazonaws.com",
                true,
                &[],
                Some("https://sts.amazonaws.com"),
            ),
            (
                "HTTPS://127.0.0.1:8443",
                true,
                &[],
                Some("https://127.0.0.1:8443"),
            ),
        ] {
            let got = exposure(endpoint, trust_all, also_local);
            assert_eq!(got.as_ref().map(|(o, _)| o.as_str()), exposed, "{endpoint}");
        }
        let (_, why) = exposure("http://10.0.0.1", false, &[]).unwrap();
        assert!(why.contains("plain http"));
        let (_, why) = exposure("https://10.0.0.1", true, &[]).unwrap();
        assert!(why.contains("aws.trust.all.certificates"));
    }
}
