//! An injectable source of environment variables.
//!
//! Providers read the environment through [`EnvSource`] rather than `std::env`, so tests can
//! hand them a [`MapEnv`] and never call `std::env::set_var`.

use std::collections::HashMap;
use std::sync::Arc;

/// Where environment variables come from.
pub trait EnvSource: Send + Sync + std::fmt::Debug {
    /// The value of `key`, or `None` when unset (or not valid Unicode).
    fn get(&self, key: &str) -> Option<String>;
}

/// The real process environment.
///
/// ```
/// use kinesis_wire::env::{EnvSource, ProcessEnv};
/// let _home = ProcessEnv.get("HOME");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }
}

/// A fixed map of variables, for tests and embedding programs. Its `Debug` output lists
/// the names only: values may be secrets (`AWS_SECRET_ACCESS_KEY`, ...).
///
/// ```
/// use kinesis_wire::env::{EnvSource, MapEnv};
/// let env = MapEnv::from_pairs([("AWS_REGION", "eu-west-1"), ("AWS_SECRET_ACCESS_KEY", "s3cr3t")]);
/// assert_eq!(env.get("AWS_REGION").as_deref(), Some("eu-west-1"));
/// assert_eq!(env.get("AWS_PROFILE"), None);
/// assert!(!format!("{env:?}").contains("s3cr3t"));
/// ```
#[derive(Clone, Default)]
pub struct MapEnv(pub HashMap<String, String>);

impl std::fmt::Debug for MapEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        f.debug_tuple("MapEnv").field(&names).finish()
    }
}

impl MapEnv {
    /// Builds a map from `(key, value)` pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        MapEnv(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl EnvSource for MapEnv {
    fn get(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
}

/// A shared, dynamically typed environment source.
pub type SharedEnv = Arc<dyn EnvSource>;

/// The process environment as a [`SharedEnv`].
pub fn process_env() -> SharedEnv {
    Arc::new(ProcessEnv)
}
