//! The settings of the AWS shared config files that are not credentials: the selected
//! profile's `region`, `endpoint_url`, its `services` section's per-service endpoints and
//! `ignore_configured_endpoint_urls`, as the AWS CLI reads them (decisions D21). The files
//! are parsed by the same code as the `PROFILE` credentials provider.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::credentials::profile::ProfileFiles;
use crate::env::EnvSource;

/// The selected profile's settings.
///
/// ```
/// use kinesis_wire::env::MapEnv;
/// use kinesis_wire::shared_config::ProfileSettings;
/// let dir = std::env::temp_dir().join(format!("kw-doc-settings-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let config = dir.join("config");
/// std::fs::write(&config, "[profile dev]\nregion = eu-west-1\nservices = local\n\
///     [services local]\nkinesis =\n  endpoint_url = http://127.0.0.1:4567\n").unwrap();
/// let env = MapEnv::from_pairs([
///     ("AWS_CONFIG_FILE", config.to_str().unwrap()),
///     ("AWS_PROFILE", "dev"),
/// ]);
/// let s = ProfileSettings::load(&env, None).unwrap();
/// assert_eq!(s.name, "dev");
/// assert_eq!(s.region.as_deref(), Some("eu-west-1"));
/// assert_eq!(s.service_endpoint("kinesis"), Some("http://127.0.0.1:4567"));
/// assert_eq!(s.service_endpoint("sts"), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileSettings {
    /// The profile's name: the one asked for, else `AWS_PROFILE`, else `default`.
    pub name: String,
    /// Its `region`.
    pub region: Option<String>,
    /// Its `endpoint_url` (every service).
    pub endpoint_url: Option<String>,
    /// `endpoint_url` by service key (`kinesis`, `sts`, `dynamodb`) from the `[services
    /// NAME]` section its `services` setting names.
    pub service_endpoints: BTreeMap<String, String>,
    /// Its `ignore_configured_endpoint_urls = true`.
    pub ignore_configured_endpoint_urls: bool,
    /// The files read (those that exist), for messages.
    pub files: Vec<PathBuf>,
}

fn nonblank(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl ProfileSettings {
    /// Reads the settings of profile `name` (else `AWS_PROFILE`, else `default`) from the
    /// config file (`AWS_CONFIG_FILE`, else `~/.aws/config`) and the credentials file
    /// (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`), `HOME` read from `env`.
    /// Missing files or a missing profile give empty settings; an unreadable file is an
    /// error.
    pub fn load(env: &dyn EnvSource, name: Option<&str>) -> Result<ProfileSettings, String> {
        let get = |k: &str| nonblank(env.get(k));
        let home = get("HOME")
            .or_else(|| get("USERPROFILE"))
            .map(PathBuf::from);
        let config = get("AWS_CONFIG_FILE")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join("config")));
        let credentials = get("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join("credentials")));
        let files = ProfileFiles::load(config.as_deref(), credentials.as_deref())?;
        let name = nonblank(name.map(str::to_string))
            .or_else(|| get("AWS_PROFILE"))
            .unwrap_or_else(|| "default".to_string());
        let mut settings = ProfileSettings {
            name,
            files: files.sources.clone(),
            ..ProfileSettings::default()
        };
        let Some(profile) = files.profiles.get(&settings.name) else {
            return Ok(settings);
        };
        let setting = |k: &str| nonblank(profile.get(k).cloned());
        settings.region = setting("region");
        settings.endpoint_url = setting("endpoint_url");
        settings.ignore_configured_endpoint_urls = setting("ignore_configured_endpoint_urls")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if let Some(section) = setting("services").and_then(|s| files.services.get(&s)) {
            for (key, value) in section {
                if let Some(service) = key.strip_suffix(".endpoint_url") {
                    if let Some(v) = nonblank(Some(value.clone())) {
                        settings.service_endpoints.insert(service.to_string(), v);
                    }
                }
            }
        }
        Ok(settings)
    }

    /// The endpoint its services section gives `service` (`kinesis`, `sts`, `dynamodb`).
    pub fn service_endpoint(&self, service: &str) -> Option<&str> {
        self.service_endpoints.get(service).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    #[test]
    fn profile_selection_and_files() {
        let dir = std::env::temp_dir().join(format!("kw-settings-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        std::fs::write(
            dir.join(".aws").join("config"),
            "[default]\nregion = us-west-2\nendpoint_url = http://127.0.0.1:1\n\
             [profile other]\nregion = ap-south-1\nignore_configured_endpoint_urls = TRUE\n",
        )
        .unwrap();
        let home = MapEnv::from_pairs([("HOME", dir.to_str().unwrap())]);
        let s = ProfileSettings::load(&home, None).unwrap();
        assert_eq!(s.name, "default");
        assert_eq!(s.region.as_deref(), Some("us-west-2"));
        assert_eq!(s.endpoint_url.as_deref(), Some("http://127.0.0.1:1"));
        assert!(!s.ignore_configured_endpoint_urls);
        assert_eq!(s.files, vec![dir.join(".aws").join("config")]);
        let s = ProfileSettings::load(&home, Some("other")).unwrap();
        assert_eq!(s.region.as_deref(), Some("ap-south-1"));
        assert!(s.ignore_configured_endpoint_urls);
        // A profile the files lack, or no files at all: nothing, not an error.
        let s = ProfileSettings::load(&home, Some("missing")).unwrap();
        assert_eq!((s.region, s.endpoint_url), (None, None));
        let s = ProfileSettings::load(&MapEnv::default(), None).unwrap();
        assert!(s.files.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
