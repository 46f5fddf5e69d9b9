//! `Registry` values: two tables in one process resolve the same names to different
//! implementations, with no process-wide registration.

use std::sync::Arc;

use kinesis_formats::Row;
use kinesis_options::{
    Definition, OptionsError, PartitionKeyGenerator, PartitionerContext, Registry, ShardAssigner,
    ShardInfo, TableDef,
};
use kinesis_wire::credentials::{Credentials, StaticProvider};

struct Constant(&'static str);
impl PartitionKeyGenerator for Constant {
    fn partition_key(&self, _: &Row) -> String {
        self.0.to_string()
    }
}

struct To(i32);
impl ShardAssigner for To {
    fn assign(&self, _: &ShardInfo<'_>, _: usize) -> i32 {
        self.0
    }
}

/// One tenant's implementations, all registered under the name "tenant".
fn registry(tag: &'static str, subtask: i32) -> Registry {
    Registry::isolated()
        .with_partitioner("tenant", move |_| Box::new(Constant(tag)))
        .with_shard_assigner("tenant", move || Arc::new(To(subtask)))
        .with_credentials_provider("tenant", move || {
            Ok(Arc::new(StaticProvider::new(Credentials::new(
                format!("AKID-{tag}"),
                "secret",
                None,
                None,
                "tenant",
            ))))
        })
}

fn table(registry: Registry) -> Result<TableDef, OptionsError> {
    TableDef::from_options_with(
        "t",
        vec![],
        Vec::<String>::new(),
        [
            ("stream", "s"),
            ("format", "csv"),
            ("aws.region", "us-east-1"),
            // Never contacted: nothing is sent.
            ("aws.endpoint", "http://127.0.0.1:9"),
            ("sink.partitioner", "tenant"),
            ("scan.shard-assigner", "tenant"),
            ("aws.credentials.provider", "CUSTOM"),
            ("aws.credentials.custom.class", "tenant"),
        ],
        &Definition::new().registry(registry),
    )
}

#[test]
fn two_tables_resolve_one_name_to_their_own_implementations() {
    let a = table(registry("a", 1)).unwrap();
    let b = table(registry("b", 2)).unwrap();
    let ctx = PartitionerContext::default();
    let row = Row::default();
    let key = |t: &TableDef| t.partition_key_generator(&ctx).unwrap().partition_key(&row);
    assert_eq!((key(&a), key(&b)), ("a".to_string(), "b".to_string()));

    let shard = ShardInfo {
        stream: "s",
        shard_id: "shardId-000000000000",
        starting_hash_key: 0,
        ending_hash_key: 0,
    };
    let assigned = |t: &TableDef| t.shard_assigner().unwrap().assign(&shard, 4);
    assert_eq!((assigned(&a), assigned(&b)), (1, 2));

    let key_id = |client: kinesis_wire::KinesisClient| {
        client
            .credentials_provider()
            .credentials()
            .unwrap()
            .access_key_id
    };
    assert_eq!(key_id(a.sink_client().unwrap()), "AKID-a");
    assert_eq!(key_id(b.source_client().unwrap()), "AKID-b");
}

#[test]
fn an_isolated_registry_does_not_see_other_names() {
    // Neither the process-wide registries nor another table's registry define "tenant"
    // for this table: each name is refused at definition, naming its option.
    let err = TableDef::from_options_with(
        "t",
        vec![],
        Vec::<String>::new(),
        [
            ("stream", "s"),
            ("format", "csv"),
            ("aws.region", "us-east-1"),
            ("sink.partitioner", "tenant"),
            ("scan.shard-assigner", "tenant"),
            ("aws.credentials.provider", "CUSTOM"),
            ("aws.credentials.custom.class", "tenant"),
        ],
        &Definition::new()
            .registry(Registry::isolated())
            .all_errors(true),
    )
    .unwrap_err();
    let keys: Vec<_> = err.problems().iter().map(|e| e.key()).collect();
    assert_eq!(
        keys,
        [
            Some("sink.partitioner"),
            Some("aws.credentials.custom.class"),
            Some("scan.shard-assigner"),
        ]
    );
    // The built-ins are always there.
    let t = TableDef::from_options_with(
        "t",
        vec![],
        Vec::<String>::new(),
        [
            ("stream", "s"),
            ("format", "csv"),
            ("aws.region", "us-east-1"),
            ("sink.partitioner", "fixed"),
            ("scan.shard-assigner", "uniform"),
        ],
        &Definition::new().registry(Registry::isolated()),
    )
    .unwrap();
    assert!(t.shard_assigner().is_some());
}
