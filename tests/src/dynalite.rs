//! dynalite, the DynamoDB test server for the consumer groups' lease table: where it is
//! (`DYNALITE_ENDPOINT`, set by `scripts/test`), clients for it, and tables that clean up
//! after themselves.
//!
//! dynalite keeps tables in memory, does not check signatures, and keeps a new table
//! `CREATING` for 20 ms (as `scripts/kinesis-server` starts it): item calls before `ACTIVE`
//! fail with `ResourceNotFoundException`, so [`TempTable::create`] waits. Table names need 3
//! to 255 characters of `a-z A-Z 0-9 _ - .`.

use std::sync::Arc;
use std::time::Duration;

use kinesis_wire::credentials::StaticProvider;
use kinesis_wire::dynamodb::{CreateTableInput, CreateTableOutcome, DynamoDbClient};
use kinesis_wire::{credentials::Credentials, ClientBuilder};

use crate::unique_name;

/// dynalite's endpoint from `DYNALITE_ENDPOINT`, as [`crate::endpoint`] finds servers (unset,
/// the test fails with a message to run `scripts/test`).
///
/// ```
/// let ep = kinesis_tests::dynalite::endpoint();
/// assert!(ep.starts_with("http://127.0.0.1:"));
/// ```
pub fn endpoint() -> String {
    crate::endpoint("DYNALITE_ENDPOINT")
}

/// A DynamoDB client builder for a local endpoint: region `us-east-1`, static keys
/// `test`/`test`.
///
/// ```
/// let client = kinesis_tests::dynalite::client_builder("http://127.0.0.1:1").max_connections(4).build().unwrap();
/// assert_eq!(client.endpoint(), "http://127.0.0.1:1");
/// ```
pub fn client_builder(endpoint: &str) -> ClientBuilder<DynamoDbClient> {
    DynamoDbClient::builder()
        .endpoint(endpoint)
        .region("us-east-1")
        .credentials(Arc::new(StaticProvider::new(Credentials::new(
            "test", "test", None, None, "BASIC",
        ))))
}

/// [`client_builder`] with the default settings, built.
pub fn client(endpoint: &str) -> DynamoDbClient {
    client_builder(endpoint)
        .build()
        .expect("test DynamoDB client builds")
}

/// A uniquely named table with a string hash key, created `ACTIVE` and deleted on drop.
///
/// ```no_run
/// let ep = kinesis_tests::dynalite::endpoint();
/// let table = kinesis_tests::dynalite::TempTable::create(&kinesis_tests::dynalite::client(&ep), "doc", "leaseKey");
/// assert!(table.client.describe_table(&table.name).unwrap().is_some());
/// ```
pub struct TempTable {
    /// The client that created it.
    pub client: DynamoDbClient,
    /// Its name.
    pub name: String,
}

impl TempTable {
    /// Creates `<prefix>-<pid>-<random>` keyed by the string `hash_key` and waits (up to
    /// 30 s) until it is `ACTIVE`.
    pub fn create(client: &DynamoDbClient, prefix: &str, hash_key: &str) -> TempTable {
        let name = unique_name(prefix);
        match client.create_table(&CreateTableInput::new(&name, hash_key)) {
            Ok(CreateTableOutcome::Created(_)) => {}
            other => panic!("CreateTable {name}: {other:?}"),
        }
        let table = TempTable {
            client: client.clone(),
            name,
        };
        table
            .client
            .wait_for_table_active(&table.name, Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("table {} never became ACTIVE: {e}", table.name));
        table
    }
}

impl Drop for TempTable {
    fn drop(&mut self) {
        let _ = self.client.delete_table(&self.name);
    }
}
