//! AWS options: rules V1–V4 (K9) and the credential provider tree (reference §1.2, §2.4).

use std::path::PathBuf;

use kinesis_wire::{ClientConfig, CredentialsSpec, Timeouts};

use crate::error::{OptionsError, Problems};
use crate::registry::Registry;
use crate::resolve::Effective;
use crate::spec::PROVIDER_TYPES;

/// Region ids the AWS SDK knows, listed in the V3 message (Flink lists `Region.regions()`).
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-isoe-west-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "us-west-1",
    "us-west-2",
    "aws-global",
    "aws-cn-global",
    "aws-us-gov-global",
    "aws-iso-global",
    "aws-iso-b-global",
];

/// Whether `region` is a valid region id: Flink's
/// `^[a-z]+-([a-z]+[-]{0,1}[a-z]+-([0-9]|global)|global)$`, widened by decisions D13 to
/// multi-digit suffixes and up to three middle words (`-gov-`, `-iso-b-` partitions).
pub fn is_valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    let Some((last, rest)) = parts.split_last() else {
        return false;
    };
    if rest.is_empty() || !word(rest[0]) {
        return false;
    }
    let middle = &rest[1..];
    if middle.is_empty() {
        return *last == "global";
    }
    let suffix_ok =
        *last == "global" || (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()));
    // Flink's middle `[a-z]+-?[a-z]+` is at least two letters.
    let middle_ok = middle.len() <= 3
        && middle.iter().all(|w| word(w))
        && middle.iter().map(|w| w.len()).sum::<usize>() >= 2;
    suffix_ok && middle_ok
}

fn v1(key: &str) -> OptionsError {
    let mut msg =
        String::from("Invalid AWS Credential Provider Type set in config. Valid values are: ");
    for t in PROVIDER_TYPES {
        msg.push_str(t);
        msg.push_str(", ");
    }
    OptionsError::invalid(key, msg)
}

/// The provider type key and sub-key prefix of nesting level `prefix`
/// (`aws.credentials` at the root, `aws.credentials.role.provider` below).
fn type_key(prefix: &str) -> String {
    if prefix == "aws.credentials" {
        "aws.credentials.provider".to_string()
    } else {
        prefix.to_string()
    }
}

fn provider_type<'a>(o: &'a Effective, prefix: &str) -> Result<&'a str, OptionsError> {
    let key = type_key(prefix);
    match o.get(&key) {
        Some(t) if PROVIDER_TYPES.contains(&t) => Ok(t),
        Some(_) => Err(v1(&key)),
        None => {
            let has = |k: &str| o.get(&format!("{prefix}.{k}")).is_some();
            Ok(if has("basic.accesskeyid") && has("basic.secretkey") {
                "BASIC"
            } else {
                "AUTO"
            })
        }
    }
}

fn v2(o: &Effective, prefix: &str) -> Result<(), OptionsError> {
    let id = format!("{prefix}.basic.accesskeyid");
    let secret = format!("{prefix}.basic.secretkey");
    if o.get(&id).is_none() || o.get(&secret).is_none() {
        return Err(OptionsError::invalid(
            if o.get(&id).is_none() { &id } else { &secret },
            format!(
                "Please set values for AWS Access Key ID ('{id}') and Secret Key ('{secret}') when using the BASIC AWS credential provider type."
            ),
        ));
    }
    Ok(())
}

/// V1–V4 in Flink's order (`AWSGeneralUtil.validateAwsConfiguration`, then the trust-all
/// boolean check); problems go to `p`.
pub(crate) fn validate(o: &Effective, p: &mut Problems) -> Result<(), OptionsError> {
    if p.check(provider_type(o, "aws.credentials"))? == Some("BASIC") {
        p.check(v2(o, "aws.credentials"))?;
    }
    if let Some(region) = o.get("aws.region") {
        if !is_valid_region(region) {
            let mut msg = String::from("Invalid AWS region set in config. Valid values are: ");
            for r in KNOWN_REGIONS {
                msg.push_str(r);
                msg.push_str(", ");
            }
            p.report(OptionsError::invalid("aws.region", msg))?;
        }
    }
    if let Some(v) = o.get("aws.trust.all.certificates") {
        if v != "true" && v != "false" {
            p.report(OptionsError::invalid(
                "aws.trust.all.certificates",
                "Invalid aws.trust.all.certificates value, must be a boolean.",
            ))?;
        }
    }
    Ok(())
}

/// The credential provider tree rooted at `prefix`, checked as far as it can be without
/// I/O (nested provider types, BASIC keys, role ARN and session name, CUSTOM names).
pub(crate) fn credentials(
    o: &Effective,
    prefix: &str,
    depth: usize,
    registry: &Registry,
) -> Result<CredentialsSpec, OptionsError> {
    let get = |k: &str| o.get(&format!("{prefix}.{k}")).map(str::to_string);
    let ty = provider_type(o, prefix)?;
    Ok(match ty {
        "AUTO" => CredentialsSpec::Auto,
        "ENV_VAR" => CredentialsSpec::EnvVar,
        "SYS_PROP" => CredentialsSpec::SysProp,
        "BASIC" => {
            v2(o, prefix)?;
            CredentialsSpec::Basic {
                access_key_id: get("basic.accesskeyid").unwrap_or_default(),
                secret_access_key: get("basic.secretkey").unwrap_or_default(),
                session_token: get("basic.sessiontoken"),
            }
        }
        "PROFILE" => CredentialsSpec::Profile {
            path: get("profile.path").map(PathBuf::from),
            name: get("profile.name"),
        },
        "ASSUME_ROLE" => {
            let (arn_key, session_key) = (
                format!("{prefix}.role.arn"),
                format!("{prefix}.role.sessionName"),
            );
            let (Some(role_arn), Some(session_name)) = (get("role.arn"), get("role.sessionName"))
            else {
                let missing = if get("role.arn").is_none() {
                    &arn_key
                } else {
                    &session_key
                };
                return Err(OptionsError::invalid(
                    missing.clone(),
                    format!(
                        "You must specify a value for roleArn ('{arn_key}') and roleSessionName ('{session_key}') when using the ASSUME_ROLE AWS credential provider type."
                    ),
                ));
            };
            if depth >= 8 {
                return Err(OptionsError::invalid(
                    format!("{prefix}.role.provider"),
                    "ASSUME_ROLE providers nest more than 8 levels deep",
                ));
            }
            CredentialsSpec::AssumeRole {
                role_arn,
                session_name,
                external_id: get("role.externalId"),
                sts_endpoint: get("role.stsEndpoint"),
                provider: Box::new(credentials(
                    o,
                    &format!("{prefix}.role.provider"),
                    depth + 1,
                    registry,
                )?),
            }
        }
        "WEB_IDENTITY_TOKEN" => CredentialsSpec::WebIdentityToken {
            role_arn: get("role.arn"),
            session_name: get("role.sessionName"),
            token_file: get("webIdentityToken.file").map(PathBuf::from),
            sts_endpoint: get("role.stsEndpoint"),
        },
        _ => {
            // CUSTOM (D15): the name of a registered provider.
            let key = format!("{prefix}.custom.class");
            let Some(name) = get("custom.class") else {
                return Err(OptionsError::invalid(
                    key.clone(),
                    format!("No custom AWS credential provider class was provided with config key {key}"),
                ));
            };
            if !registry.has_credentials_provider(&name) {
                return Err(OptionsError::invalid(
                    key,
                    format!(
                        "Could not find and instantiate custom AWS credential provider class '{name}': register it with registry::register_credentials_provider"
                    ),
                ));
            }
            CredentialsSpec::Custom { name }
        }
    })
}

/// The client configuration of the table's options (region, endpoint, trust-all,
/// credentials; default timeouts).
pub(crate) fn client_config(
    o: &Effective,
    registry: &Registry,
) -> Result<ClientConfig, OptionsError> {
    let endpoint = o.get("aws.endpoint").map(|e| {
        // The SDK v1 client reads a scheme-less endpoint as https.
        if e.contains("://") {
            e.to_string()
        } else {
            format!("https://{e}")
        }
    });
    let mut config = ClientConfig::default();
    config.region = o.get("aws.region").map(str::to_string);
    config.endpoint = endpoint;
    config.timeouts = Timeouts::default();
    config.trust_all_certificates = o.get("aws.trust.all.certificates") == Some("true");
    config.ca_bundle = None;
    config.credentials = credentials(o, "aws.credentials", 0, registry)?;
    config.max_connections = 16;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for r in [
            "us-east-1",
            "us-gov-west-1",
            "us-isob-east-1",
            "aws-global",
            "aws-iso-global",
            "aws-iso-b-global",
            "us-east-10",
            "eu-isoe-west-1",
        ] {
            assert!(is_valid_region(r), "{r}");
        }
        for r in [
            "unstructured-string",
            "wrongRegionId",
            "invalid-aws-region",
            "",
            "us",
            "us-east-",
            "-east-1",
            "US-EAST-1",
        ] {
            assert!(!is_valid_region(r), "{r}");
        }
        for r in KNOWN_REGIONS {
            assert!(is_valid_region(r), "{r}");
        }
    }
}

/// The examples of this module's items (the module is private, so not doctests).
#[cfg(test)]
mod examples {
    #[test]
    fn is_valid_region_example() {
        use crate::aws::is_valid_region;
        assert!(is_valid_region("us-east-1") && is_valid_region("us-east-10"));
        assert!(is_valid_region("aws-iso-b-global") && is_valid_region("us-isob-east-1"));
        assert!(!is_valid_region("unstructured-string") && !is_valid_region("wrongRegionId"));
    }
}
