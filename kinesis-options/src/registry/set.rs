//! [`Registry`]: the implementations a table's names resolve to, as a value.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use kinesis_wire::credentials::{CredentialsError, CustomProviders, Provider};

use super::{
    DefaultShardAssigner, PartitionKeyGenerator, PartitionerContext, PartitionerFactory,
    ShardAssigner, ShardAssignerFactory, UniformShardAssigner,
};

/// The partitioners, shard assigners and `CUSTOM` credentials providers that
/// `sink.partitioner`, `scan.shard-assigner` and `aws.credentials.custom.class` name
/// (decisions D15), as a value passed when a table is defined
/// ([`crate::Definition::registry`]) and used by everything opened for that table.
///
/// [`Registry::process_wide`] (the default) sees what [`super::register_partitioner`],
/// [`super::register_shard_assigner`] and [`super::register_credentials_provider`]
/// registered, plus what is added to the value; [`Registry::isolated`] sees only the
/// built-ins (`random`, `fixed`, `default`, `uniform`) and what is added to it. So two
/// tables in one process can use different implementations under the same name, and tests
/// need no global state.
///
/// ```
/// use kinesis_formats::Row;
/// use kinesis_options::{Definition, PartitionKeyGenerator, PartitionerContext, Registry, TableDef};
/// struct Constant(&'static str);
/// impl PartitionKeyGenerator for Constant {
///     fn partition_key(&self, _: &Row) -> String { self.0.to_string() }
/// }
/// let registry = Registry::isolated().with_partitioner("tenant", |_| Box::new(Constant("a")));
/// let table = TableDef::from_options_with("t", vec![], Vec::<String>::new(),
///     [("stream", "s"), ("format", "csv"), ("aws.region", "us-east-1"),
///      ("sink.partitioner", "tenant")],
///     &Definition::new().registry(registry)).unwrap();
/// let keys = table.partition_key_generator(&PartitionerContext::default()).unwrap();
/// assert_eq!(keys.partition_key(&Row::default()), "a");
/// ```
#[derive(Clone)]
pub struct Registry {
    partitioners: HashMap<String, Arc<PartitionerFactory>>,
    assigners: HashMap<String, Arc<ShardAssignerFactory>>,
    credentials: CustomProviders,
    process_wide: bool,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::process_wide()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("process_wide", &self.process_wide)
            .field("partitioners", &sorted_names(&self.partitioners))
            .field("shard_assigners", &sorted_names(&self.assigners))
            .field("credentials_providers", &self.credentials)
            .finish()
    }
}

fn sorted_names<T: ?Sized>(map: &HashMap<String, Arc<T>>) -> Vec<&str> {
    let mut names: Vec<&str> = map.keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}

impl Registry {
    /// The process-wide registrations (what a table defined without a registry uses), plus
    /// what is added to this value (which wins on a name both have).
    pub fn process_wide() -> Registry {
        Registry {
            partitioners: HashMap::new(),
            assigners: HashMap::new(),
            credentials: CustomProviders::new().with_process_wide_fallback(true),
            process_wide: true,
        }
    }

    /// Only the built-ins and what is added to this value: the process-wide registrations
    /// are not seen.
    pub fn isolated() -> Registry {
        Registry {
            partitioners: HashMap::new(),
            assigners: HashMap::new(),
            credentials: CustomProviders::new(),
            process_wide: false,
        }
    }

    /// This registry with a partitioner under `name` (`random` and `fixed` are built in and
    /// cannot be replaced).
    #[must_use]
    pub fn with_partitioner(
        mut self,
        name: &str,
        factory: impl Fn(&PartitionerContext<'_>) -> Box<dyn PartitionKeyGenerator>
            + Send
            + Sync
            + 'static,
    ) -> Registry {
        self.partitioners
            .insert(name.to_string(), Arc::new(factory));
        self
    }

    /// This registry with a shard assigner under `name` (`default` and `uniform` are built
    /// in and cannot be replaced).
    #[must_use]
    pub fn with_shard_assigner(
        mut self,
        name: &str,
        factory: impl Fn() -> Arc<dyn ShardAssigner> + Send + Sync + 'static,
    ) -> Registry {
        self.assigners.insert(name.to_string(), Arc::new(factory));
        self
    }

    /// This registry with a `CUSTOM` credentials provider under `name`.
    #[must_use]
    pub fn with_credentials_provider(
        mut self,
        name: &str,
        factory: impl Fn() -> Result<Arc<dyn Provider>, CredentialsError> + Send + Sync + 'static,
    ) -> Registry {
        self.credentials.insert(name, Arc::new(factory));
        self
    }

    /// The partitioner factory registered under `name` (not the built-ins, which
    /// [`crate::Partitioner`] names directly).
    pub fn partitioner(&self, name: &str) -> Option<Arc<PartitionerFactory>> {
        match self.partitioners.get(name) {
            Some(f) => Some(f.clone()),
            None if self.process_wide => super::partitioner(name),
            None => None,
        }
    }

    /// The shard assigner called `name`: built-in `default` / `uniform`, else a registered
    /// one.
    ///
    /// ```
    /// use kinesis_options::Registry;
    /// assert!(Registry::isolated().shard_assigner("uniform").is_some());
    /// assert!(Registry::isolated().shard_assigner("not-registered").is_none());
    /// ```
    pub fn shard_assigner(&self, name: &str) -> Option<Arc<dyn ShardAssigner>> {
        match name {
            "default" => Some(Arc::new(DefaultShardAssigner)),
            "uniform" => Some(Arc::new(UniformShardAssigner)),
            _ => match self.assigners.get(name) {
                Some(f) => Some(f()),
                None if self.process_wide => super::shard_assigner(name),
                None => None,
            },
        }
    }

    /// Whether a `CUSTOM` credentials provider is registered under `name`.
    pub fn has_credentials_provider(&self, name: &str) -> bool {
        self.credentials.get(name).is_some()
    }

    /// The `CUSTOM` credentials providers, for a client builder
    /// ([`kinesis_wire::ClientBuilder::custom_providers`]).
    pub fn credentials_providers(&self) -> &CustomProviders {
        &self.credentials
    }
}
