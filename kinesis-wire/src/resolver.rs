//! Host lookup for the transport without a thread per request.
//!
//! ureq 3 resolves the request's host on **every** request, pooled connection or not, and
//! with a connect or overall timeout set its default resolver runs that lookup on a new OS
//! thread so that it can give up on time. For a reader polling an empty shard five times
//! a second that thread is a quarter of the request's client CPU. [`CachingResolver`]
//! answers an IP-literal host (`127.0.0.1`, `[::1]`) directly and keeps each name's
//! addresses for [`HOST_TTL`], so a lookup (and its thread) happens at most once per host
//! and TTL.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a looked-up host's addresses are reused: the JVM's default
/// `networkaddress.cache.ttl` (30 s), which the Java SDK under Flink's connector runs with.
/// The system resolver does not report the records' own TTL.
pub(crate) const HOST_TTL: Duration = Duration::from_secs(30);

/// Most hosts kept; a client talks to one or two (Kinesis, STS), so reaching it means
/// something unusual: the cache is then emptied rather than grown.
const MAX_HOSTS: usize = 64;

/// A [`Resolver`] that answers IP literals itself and caches the lookups of `inner`
/// (ureq's [`DefaultResolver`] in the transport) per `host:port` for a bounded time.
pub(crate) struct CachingResolver {
    inner: Box<dyn Resolver>,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl std::fmt::Debug for CachingResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingResolver")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Default for CachingResolver {
    fn default() -> Self {
        CachingResolver::new(Box::new(DefaultResolver::default()), HOST_TTL)
    }
}

/// The port of `uri`: explicit, or the scheme's default.
fn port_of(uri: &Uri) -> Option<u16> {
    let authority = uri.authority()?;
    authority.port_u16().or(match uri.scheme_str()? {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    })
}

/// The host of `uri` as an IP address, when it is written as one.
fn ip_literal(uri: &Uri) -> Option<IpAddr> {
    let host = uri.host()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.parse().ok()
}

impl CachingResolver {
    pub(crate) fn new(inner: Box<dyn Resolver>, ttl: Duration) -> Self {
        CachingResolver {
            inner,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let Some(port) = port_of(uri) else {
            // Malformed or unknown scheme: the default resolver says what is wrong.
            return self.inner.resolve(uri, config, timeout);
        };
        if let Some(ip) = ip_literal(uri) {
            let addr = SocketAddr::new(ip, port);
            if config
                .ip_family()
                .keep_wanted(std::iter::once(addr))
                .count()
                == 1
            {
                let mut out = self.empty();
                out.push(addr);
                return Ok(out);
            }
            return Err(ureq::Error::HostNotFound);
        }
        let key = format!("{}:{port}", uri.host().unwrap_or_default());
        let now = Instant::now();
        {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, addrs)) = cache.get(&key) {
                if now.duration_since(*at) < self.ttl {
                    return Ok(addrs.clone());
                }
            }
        }
        // Looked up without the lock held: a slow lookup must not stall other hosts.
        let addrs = self.inner.resolve(uri, config, timeout)?;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_HOSTS && !cache.contains_key(&key) {
            cache.clear();
        }
        cache.insert(key, (now, addrs.clone()));
        Ok(addrs)
    }
}

/// One [`CachingResolver`] shared by several agents (the transport's stripes), so a host
/// is looked up once per TTL, not once per stripe.
#[derive(Debug, Clone, Default)]
pub(crate) struct SharedResolver(std::sync::Arc<CachingResolver>);

impl Resolver for SharedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        self.0.resolve(uri, config, timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A resolver that counts its lookups and answers 10.0.0.1 (never touches DNS).
    #[derive(Debug)]
    struct Counting(Arc<AtomicUsize>);

    impl Resolver for Counting {
        fn resolve(
            &self,
            uri: &Uri,
            _config: &Config,
            _timeout: NextTimeout,
        ) -> Result<ResolvedSocketAddrs, ureq::Error> {
            self.0.fetch_add(1, Ordering::SeqCst);
            let mut out = self.empty();
            out.push(SocketAddr::new([10, 0, 0, 1].into(), port_of(uri).unwrap()));
            Ok(out)
        }
    }

    fn counting(ttl: Duration) -> (CachingResolver, Arc<AtomicUsize>) {
        let n = Arc::new(AtomicUsize::new(0));
        (CachingResolver::new(Box::new(Counting(n.clone())), ttl), n)
    }

    fn resolve(r: &CachingResolver, url: &str) -> Vec<SocketAddr> {
        let uri: Uri = url.parse().unwrap();
        r.resolve(&uri, &Config::default(), NextTimeout::default())
            .unwrap()
            .iter()
            .copied()
            .collect()
    }

    #[test]
    fn an_ip_literal_host_is_answered_without_a_lookup() {
        let (r, lookups) = counting(HOST_TTL);
        assert_eq!(
            resolve(&r, "http://127.0.0.1:4567/"),
            vec!["127.0.0.1:4567".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve(&r, "https://[::1]/"),
            vec!["[::1]:443".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve(&r, "http://10.1.2.3/x"),
            vec!["10.1.2.3:80".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(lookups.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_host_name_is_looked_up_once_per_ttl_and_port() {
        let (r, lookups) = counting(HOST_TTL);
        let first = resolve(&r, "https://kinesis.us-east-1.amazonaws.com/");
        assert_eq!(first, vec!["10.0.0.1:443".parse::<SocketAddr>().unwrap()]);
        for _ in 0..5 {
            assert_eq!(
                resolve(&r, "https://kinesis.us-east-1.amazonaws.com/"),
                first
            );
        }
        assert_eq!(lookups.load(Ordering::SeqCst), 1, "cache hits");
        // Another port is another entry.
        resolve(&r, "http://kinesis.us-east-1.amazonaws.com:8080/");
        assert_eq!(lookups.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn an_expired_entry_is_looked_up_again() {
        let (r, lookups) = counting(Duration::ZERO);
        resolve(&r, "https://example.invalid/");
        resolve(&r, "https://example.invalid/");
        assert_eq!(lookups.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let (r, lookups) = counting(HOST_TTL);
        for i in 0..(MAX_HOSTS + 10) {
            resolve(&r, &format!("https://host{i}.example.invalid/"));
        }
        assert!(r.cache.lock().unwrap().len() <= MAX_HOSTS);
        assert_eq!(lookups.load(Ordering::SeqCst), MAX_HOSTS + 10);
    }
}
