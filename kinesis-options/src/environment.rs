//! Decisions D21, opt-in: the region and endpoints a table leaves unset, resolved from the
//! AWS environment as the AWS CLI resolves them. Flink's rule stays the default (a table
//! must say its region, its endpoint is the service's); an embedder asks for this
//! resolution with [`crate::Definition::environment`], the `kinesis` CLI always does.
//!
//! - region: the options (command line, then the table's WITH) > `AWS_REGION` >
//!   `AWS_DEFAULT_REGION` > the selected profile's `region` > the region of a stream ARN;
//! - endpoint of each service ([`SERVICES`]): the options > `AWS_ENDPOINT_URL_<SERVICE>` >
//!   `AWS_ENDPOINT_URL` > the profile's services section > the profile's `endpoint_url`;
//!   none of these with `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` (or the profile's
//!   `ignore_configured_endpoint_urls = true`).
//!
//! The profile is the table's `aws.credentials.profile.name`, else `AWS_PROFILE`, else
//! `default`, read from `AWS_CONFIG_FILE` / `~/.aws/config` (and the credentials file) by
//! kinesis-wire's profile parser.

use std::collections::BTreeMap;
use std::sync::Arc;

use kinesis_wire::env::{EnvSource, ProcessEnv};
use kinesis_wire::shared_config::ProfileSettings;

/// A service whose endpoint the environment can set, and the table option it fills.
#[derive(Debug, Clone, Copy)]
pub struct ServiceEndpoint {
    /// The service id of `AWS_ENDPOINT_URL_<ID>` (`KINESIS`, `STS`, `DYNAMODB`).
    pub env_id: &'static str,
    /// Its key in a profile's services section (`kinesis`, `sts`, `dynamodb`).
    pub profile_key: &'static str,
    /// The table option the endpoint fills.
    pub option: &'static str,
    /// Whether a table with these options calls the service (only then is its endpoint
    /// resolved).
    pub used: fn(&BTreeMap<String, String>) -> bool,
}

fn always(_: &BTreeMap<String, String>) -> bool {
    true
}

/// STS is called for `ASSUME_ROLE` and `WEB_IDENTITY_TOKEN` credentials, whose endpoint
/// option this is.
fn assumes_role(o: &BTreeMap<String, String>) -> bool {
    o.get("aws.credentials.provider")
        .is_some_and(|p| matches!(p.trim(), "ASSUME_ROLE" | "WEB_IDENTITY_TOKEN"))
}

/// DynamoDB is called for the lease table of a consumer group (decisions D24).
fn uses_leases(o: &BTreeMap<String, String>) -> bool {
    o.contains_key(crate::lease::TABLE_KEY)
}

/// The services whose endpoints are resolved.
pub const SERVICES: &[ServiceEndpoint] = &[
    ServiceEndpoint {
        env_id: "KINESIS",
        profile_key: "kinesis",
        option: "aws.endpoint",
        used: always,
    },
    ServiceEndpoint {
        env_id: "STS",
        profile_key: "sts",
        option: "aws.credentials.role.stsEndpoint",
        used: assumes_role,
    },
    ServiceEndpoint {
        env_id: "DYNAMODB",
        profile_key: "dynamodb",
        option: "scan.lease.endpoint",
        used: uses_leases,
    },
];

/// One option value the environment supplied, and where it came from (`AWS_REGION`,
/// `profile 'dev' in /home/u/.aws/config`, `the stream ARN`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resolved {
    /// The option key (`aws.region`, `aws.endpoint`, ...).
    pub key: String,
    /// The value.
    pub value: String,
    /// Where it came from (an environment variable, a profile, the stream ARN).
    pub from: String,
}

/// The AWS environment a table's missing region and endpoints are resolved from: an
/// environment-variable source and the shared config files it points at.
///
/// ```
/// use std::collections::BTreeMap;
/// use std::sync::Arc;
/// use kinesis_options::AwsEnvironment;
/// use kinesis_wire::env::MapEnv;
/// let env = AwsEnvironment::new(Arc::new(MapEnv::from_pairs([
///     ("AWS_REGION", "eu-west-1"),
///     ("AWS_ENDPOINT_URL", "http://127.0.0.1:4567"),
/// ])));
/// let mut options: BTreeMap<String, String> = [("stream".to_string(), "s".to_string())].into();
/// let resolved = env.resolve(&mut options);
/// assert_eq!(options["aws.region"], "eu-west-1");
/// assert_eq!(options["aws.endpoint"], "http://127.0.0.1:4567");
/// assert_eq!(resolved[0].from, "AWS_REGION");
/// assert_eq!(resolved[1].from, "AWS_ENDPOINT_URL");
/// ```
#[derive(Debug, Clone)]
pub struct AwsEnvironment {
    env: Arc<dyn EnvSource>,
}

impl AwsEnvironment {
    /// Resolution from the variables of `env` (and the files they point at).
    pub fn new(env: Arc<dyn EnvSource>) -> AwsEnvironment {
        AwsEnvironment { env }
    }

    /// Resolution from the process environment.
    pub fn process() -> AwsEnvironment {
        AwsEnvironment::new(Arc::new(ProcessEnv))
    }

    fn var(&self, key: &str) -> Option<String> {
        self.env
            .get(key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// Fills `aws.region` and the endpoints of the services the options use ([`SERVICES`])
    /// when `options` leave them unset, and says what it filled from where. A profile file
    /// that cannot be read is skipped with a warning (the variables still apply).
    pub fn resolve(&self, options: &mut BTreeMap<String, String>) -> Vec<Resolved> {
        let profile_name = options
            .get("aws.credentials.profile.name")
            .map(String::as_str);
        let profile = match ProfileSettings::load(self.env.as_ref(), profile_name) {
            Ok(p) => p,
            Err(e) => {
                log::warn!("AWS shared config not used for region and endpoints: {e}");
                ProfileSettings::default()
            }
        };
        let profile_from = || {
            let file = profile
                .files
                .first()
                .map(|f| format!(" in {}", f.display()))
                .unwrap_or_default();
            format!("profile '{}'{file}", profile.name)
        };
        let mut resolved = Vec::new();
        let mut set =
            |options: &mut BTreeMap<String, String>, key: &str, value: String, from: String| {
                options.insert(key.to_string(), value.clone());
                resolved.push(Resolved {
                    key: key.to_string(),
                    value,
                    from,
                });
            };
        if !options.contains_key("aws.region") {
            let found = [
                ("AWS_REGION", self.var("AWS_REGION")),
                ("AWS_DEFAULT_REGION", self.var("AWS_DEFAULT_REGION")),
            ]
            .into_iter()
            .find_map(|(from, v)| v.map(|v| (v, from.to_string())))
            .or_else(|| profile.region.clone().map(|r| (r, profile_from())))
            .or_else(|| {
                options
                    .get("stream")
                    .and_then(|s| arn_region(s))
                    .map(|r| (r.to_string(), "the stream ARN".to_string()))
            });
            if let Some((value, from)) = found {
                set(options, "aws.region", value, from);
            }
        }
        let ignore = self
            .var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            || profile.ignore_configured_endpoint_urls;
        if !ignore {
            for service in SERVICES {
                if options.contains_key(service.option) || !(service.used)(options) {
                    continue;
                }
                let service_var = format!("AWS_ENDPOINT_URL_{}", service.env_id);
                let found = self
                    .var(&service_var)
                    .map(|v| (v, service_var.clone()))
                    .or_else(|| {
                        self.var("AWS_ENDPOINT_URL")
                            .map(|v| (v, "AWS_ENDPOINT_URL".to_string()))
                    })
                    .or_else(|| {
                        profile.service_endpoint(service.profile_key).map(|v| {
                            (
                                v.to_string(),
                                format!("{} (services: {})", profile_from(), service.profile_key),
                            )
                        })
                    })
                    .or_else(|| profile.endpoint_url.clone().map(|v| (v, profile_from())));
                if let Some((value, from)) = found {
                    set(options, service.option, value, from);
                }
            }
        }
        resolved
    }
}

/// The region of a Kinesis stream ARN (`arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME`).
pub(crate) fn arn_region(stream: &str) -> Option<&str> {
    let mut parts = stream.strip_prefix("arn:")?.splitn(5, ':');
    let (_partition, service, region) = (parts.next()?, parts.next()?, parts.next()?);
    (service == "kinesis" && !region.is_empty()).then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinesis_wire::env::MapEnv;

    fn resolve(
        env: &[(&str, &str)],
        options: &[(&str, &str)],
    ) -> (BTreeMap<String, String>, Vec<Resolved>) {
        let env = AwsEnvironment::new(Arc::new(MapEnv::from_pairs(env.iter().copied())));
        let mut o: BTreeMap<String, String> = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let r = env.resolve(&mut o);
        (o, r)
    }

    /// A HOME with `~/.aws/config` holding `config`.
    struct Home(std::path::PathBuf);
    impl Home {
        fn new(tag: &str, config: &str) -> Home {
            let dir = std::env::temp_dir().join(format!("ko-env-{tag}-{}", std::process::id()));
            std::fs::create_dir_all(dir.join(".aws")).unwrap();
            std::fs::write(dir.join(".aws").join("config"), config).unwrap();
            Home(dir)
        }
        fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }
    impl Drop for Home {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn region_precedence() {
        let home = Home::new(
            "region",
            "[default]\nregion = ap-south-1\n[profile p]\nregion = sa-east-1\n",
        );
        let h = ("HOME", home.path());
        let arn = ("stream", "arn:aws:kinesis:ca-central-1:1:stream/s");
        // (environment, options, the region resolved, where from)
        type Pairs<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Pairs, Pairs, Option<&str>, &str)] = &[
            (
                &[
                    h,
                    ("AWS_REGION", "eu-west-1"),
                    ("AWS_DEFAULT_REGION", "eu-west-2"),
                ],
                &[("aws.region", "us-east-2")],
                None,
                "",
            ),
            (
                &[
                    h,
                    ("AWS_REGION", "eu-west-1"),
                    ("AWS_DEFAULT_REGION", "eu-west-2"),
                ],
                &[],
                Some("eu-west-1"),
                "AWS_REGION",
            ),
            (
                &[h, ("AWS_DEFAULT_REGION", "eu-west-2")],
                &[],
                Some("eu-west-2"),
                "AWS_DEFAULT_REGION",
            ),
            (&[h], &[arn], Some("ap-south-1"), "profile 'default' in "),
            (
                &[h, ("AWS_PROFILE", "p")],
                &[],
                Some("sa-east-1"),
                "profile 'p' in ",
            ),
            (
                &[h],
                &[("aws.credentials.profile.name", "p")],
                Some("sa-east-1"),
                "profile 'p' in ",
            ),
            (&[], &[arn], Some("ca-central-1"), "the stream ARN"),
            (&[], &[("stream", "s")], None, ""),
        ];
        for (env, options, want, from) in cases {
            let (o, r) = resolve(env, options);
            match want {
                None => {
                    assert!(
                        r.iter().all(|r| r.key != "aws.region"),
                        "{env:?} {options:?}: {r:?}"
                    );
                    if let Some((_, v)) = options.iter().find(|(k, _)| *k == "aws.region") {
                        assert_eq!(o["aws.region"], *v);
                    }
                }
                Some(w) => {
                    assert_eq!(
                        o.get("aws.region").map(String::as_str),
                        Some(*w),
                        "{env:?} {options:?}"
                    );
                    let r = r.iter().find(|r| r.key == "aws.region").unwrap();
                    assert!(r.from.starts_with(from), "{r:?}");
                }
            }
        }
    }

    #[test]
    fn endpoint_precedence_and_the_off_switch() {
        let home = Home::new(
            "endpoint",
            "[default]\nendpoint_url = http://127.0.0.1:3\nservices = local\n\
             [services local]\nkinesis =\n  endpoint_url = http://127.0.0.1:2\n",
        );
        let h = ("HOME", home.path());
        let svc = ("AWS_ENDPOINT_URL_KINESIS", "http://127.0.0.1:10");
        let all = ("AWS_ENDPOINT_URL", "http://127.0.0.1:11");
        let ep = |env: &[(&str, &str)], options: &[(&str, &str)]| {
            let (o, r) = resolve(env, options);
            let from = r
                .into_iter()
                .find(|r| r.key == "aws.endpoint")
                .map(|r| r.from);
            (o.get("aws.endpoint").cloned(), from)
        };
        assert_eq!(
            ep(&[h, svc, all], &[("aws.endpoint", "http://x")])
                .0
                .as_deref(),
            Some("http://x")
        );
        assert_eq!(
            ep(&[h, svc, all], &[]),
            (
                Some("http://127.0.0.1:10".into()),
                Some("AWS_ENDPOINT_URL_KINESIS".into())
            )
        );
        assert_eq!(
            ep(&[h, all], &[]),
            (
                Some("http://127.0.0.1:11".into()),
                Some("AWS_ENDPOINT_URL".into())
            )
        );
        let (v, from) = ep(&[h], &[]);
        assert_eq!(v.as_deref(), Some("http://127.0.0.1:2"));
        assert!(from.unwrap().ends_with("(services: kinesis)"));
        // The profile's own endpoint_url serves services its section does not name: STS.
        let (o, r) = resolve(&[h], &[("aws.credentials.provider", "ASSUME_ROLE")]);
        assert_eq!(o["aws.credentials.role.stsEndpoint"], "http://127.0.0.1:3");
        assert!(r
            .iter()
            .any(|r| r.key == "aws.credentials.role.stsEndpoint"));
        // STS is not resolved for a table that does not call it.
        let (o, _) = resolve(&[all], &[]);
        assert!(!o.contains_key("aws.credentials.role.stsEndpoint"));
        let (o, _) = resolve(
            &[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:12"), all],
            &[("aws.credentials.provider", "WEB_IDENTITY_TOKEN")],
        );
        assert_eq!(o["aws.credentials.role.stsEndpoint"], "http://127.0.0.1:12");
        assert_eq!(o["aws.endpoint"], "http://127.0.0.1:11");
        for off in ["true", "TRUE"] {
            let (o, r) = resolve(
                &[
                    h,
                    svc,
                    all,
                    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", off),
                    ("AWS_REGION", "eu-west-1"),
                ],
                &[],
            );
            assert!(!o.contains_key("aws.endpoint"), "{r:?}");
            assert_eq!(o["aws.region"], "eu-west-1", "the region still resolves");
        }
        let (o, _) = resolve(
            &[svc, ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")],
            &[],
        );
        assert_eq!(o["aws.endpoint"], "http://127.0.0.1:10");
    }

    #[test]
    fn the_lease_tables_endpoint_resolves_only_for_consumer_groups() {
        let dynamo = ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:13");
        let all = ("AWS_ENDPOINT_URL", "http://127.0.0.1:11");
        let (o, r) = resolve(&[dynamo, all], &[("scan.lease.table", "g1")]);
        assert_eq!(o["scan.lease.endpoint"], "http://127.0.0.1:13");
        assert_eq!(o["aws.endpoint"], "http://127.0.0.1:11");
        let from: Vec<_> = r
            .iter()
            .map(|r| (r.key.as_str(), r.from.as_str()))
            .collect();
        assert!(
            from.contains(&("scan.lease.endpoint", "AWS_ENDPOINT_URL_DYNAMODB")),
            "{from:?}"
        );
        let (o, _) = resolve(&[all], &[("scan.lease.table", "g1")]);
        assert_eq!(o["scan.lease.endpoint"], "http://127.0.0.1:11");
        let (o, _) = resolve(
            &[dynamo],
            &[
                ("scan.lease.table", "g1"),
                ("scan.lease.endpoint", "http://x"),
            ],
        );
        assert_eq!(o["scan.lease.endpoint"], "http://x");
        let (o, _) = resolve(&[dynamo, all], &[]);
        assert!(
            !o.contains_key("scan.lease.endpoint"),
            "no group, no lease table"
        );
    }

    #[test]
    fn arns() {
        assert_eq!(
            arn_region("arn:aws-cn:kinesis:cn-north-1:1:stream/s"),
            Some("cn-north-1")
        );
        assert_eq!(arn_region("arn:aws:sqs:us-east-1:1:q"), None);
        assert_eq!(arn_region("arn:aws:kinesis::1:stream/s"), None);
    }
}

/// Examples of this module's crate-private items.
#[cfg(test)]
mod examples {
    #[test]
    fn arn_region_example() {
        use crate::environment::arn_region;
        assert_eq!(
            arn_region("arn:aws:kinesis:eu-west-1:123456789012:stream/orders"),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("orders"), None);
    }
}
