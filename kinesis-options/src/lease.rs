//! Consumer groups (decisions D24): the `scan.lease.*` options, parsed and validated.
//!
//! `scan.lease.table` turns leases on: processes that open the same table with the same
//! lease table share the stream's shards through a DynamoDB lease table (the KCL 2.x
//! schema) instead of the static `scan.shard-assigner`. The other `scan.lease.*` keys tune
//! the protocol and are refused without it, and `scan.shard-assigner` is refused with it.
//!
//! ```
//! use kinesis_options::TableDef;
//! use std::time::Duration;
//! let t = TableDef::from_options("t", vec![], [
//!     ("stream", "orders"), ("format", "csv"), ("aws.region", "us-east-1"),
//!     ("scan.lease.table", "orders-app"), ("scan.lease.failover-millis", "3000"),
//! ]).unwrap();
//! let lease = t.source_options().lease.as_ref().unwrap();
//! assert_eq!(lease.table, "orders-app");
//! assert_eq!(lease.failover, Duration::from_secs(3));
//! assert_eq!(lease.renew, Duration::from_secs(1), "a third of the failover time");
//! ```

use std::time::Duration;

use crate::error::{OptionsError, Problems};
use crate::resolve::Effective;

/// The key that turns consumer groups on.
pub const TABLE_KEY: &str = "scan.lease.table";

/// Every `scan.lease.*` key but [`TABLE_KEY`]: they need it.
const TUNING_KEYS: &[&str] = &[
    "scan.lease.worker-id",
    "scan.lease.failover-millis",
    "scan.lease.renew-millis",
    "scan.lease.max-leases-per-worker",
    "scan.lease.endpoint",
    "scan.lease.region",
    "scan.lease.checkpoint-millis",
];

/// How a source takes part in a consumer group (decisions D24).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseOptions {
    /// `scan.lease.table`: the DynamoDB lease table, which is also the group's name.
    pub table: String,
    /// `scan.lease.worker-id`; `None`: the source makes one from the host name, the
    /// process id and a random suffix.
    pub worker_id: Option<String>,
    /// `scan.lease.failover-millis`: a lease whose counter did not move for this long is
    /// expired, and another worker may take it.
    pub failover: Duration,
    /// `scan.lease.renew-millis` (default a third of `failover`): how often leases are
    /// renewed and the table is scanned for leases to take.
    pub renew: Duration,
    /// `scan.lease.max-leases-per-worker`; `None`: unlimited.
    pub max_leases_per_worker: Option<u32>,
    /// `scan.lease.endpoint`: DynamoDB's endpoint (`None`: the region's).
    pub endpoint: Option<String>,
    /// `scan.lease.region` (`None`: the table's `aws.region`).
    pub region: Option<String>,
    /// `scan.lease.checkpoint-millis`: how often acknowledged positions are written.
    pub checkpoint_interval: Duration,
}

fn positive_millis(o: &Effective, key: &str, what: &str) -> Result<u64, OptionsError> {
    match o.value_or_default(key).trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n as u64),
        _ => Err(OptionsError::invalid(
            key,
            format!("Invalid value given for {what}. Must be a positive number of milliseconds."),
        )),
    }
}

/// DynamoDB's rule for table names: 3 to 255 of `a-z A-Z 0-9 _ - .`.
fn check_table_name(name: &str) -> Result<(), String> {
    let bad = name
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')));
    if let Some((at, c)) = bad {
        return Err(format!(
            "The lease table name '{name}' has {c:?} at byte {at}: DynamoDB table names take only a-z, A-Z, 0-9, '_', '-' and '.'."
        ));
    }
    if !(3..=255).contains(&name.len()) {
        return Err(format!(
            "The lease table name '{name}' has {} characters: DynamoDB table names have 3 to 255.",
            name.len()
        ));
    }
    Ok(())
}

/// Builds and checks the lease options; `Ok(None)` without `scan.lease.table`. Problems go
/// to `p`.
pub(crate) fn build(o: &Effective, p: &mut Problems) -> Result<Option<LeaseOptions>, OptionsError> {
    let Some(table) = o.get(TABLE_KEY).map(str::trim) else {
        for key in TUNING_KEYS {
            if o.get(key).is_some() {
                p.report(OptionsError::invalid(
                    *key,
                    format!("{key} is an option of consumer groups: set {TABLE_KEY} (the group's lease table) too, or leave {key} out."),
                ))?;
            }
        }
        return Ok(None);
    };
    if let Err(message) = check_table_name(table) {
        p.report(OptionsError::invalid(TABLE_KEY, message))?;
    }
    if o.get("scan.shard-assigner").is_some() {
        p.report(OptionsError::invalid(
            "scan.shard-assigner",
            format!("scan.shard-assigner cannot be used with {TABLE_KEY}: in a consumer group the lease table decides which shards each process reads. Leave one of them out."),
        ))?;
    }
    let worker_id = o
        .get("scan.lease.worker-id")
        .map(str::trim)
        .map(str::to_string);
    if worker_id.as_deref().is_some_and(str::is_empty) {
        p.report(OptionsError::invalid(
            "scan.lease.worker-id",
            "Invalid value given for the lease worker id. Must not be empty.",
        ))?;
    }
    let failover = p.or(
        positive_millis(o, "scan.lease.failover-millis", "the lease failover time"),
        10_000,
    )?;
    let renew = match o.get("scan.lease.renew-millis") {
        None => (failover / 3).max(1),
        Some(_) => {
            let renew = p.or(
                positive_millis(o, "scan.lease.renew-millis", "the lease renewal interval"),
                (failover / 3).max(1),
            )?;
            if renew >= failover {
                p.report(OptionsError::invalid(
                    "scan.lease.renew-millis",
                    format!("Invalid value given for the lease renewal interval. Must be lower than scan.lease.failover-millis ({failover}): a lease renewed less often than it expires is lost between renewals."),
                ))?;
            }
            renew
        }
    };
    let max_leases_per_worker = match o.get("scan.lease.max-leases-per-worker") {
        None => None,
        Some(v) => match v.trim().parse::<i32>() {
            Ok(n) if n > 0 => Some(n as u32),
            _ => {
                p.report(OptionsError::invalid(
                    "scan.lease.max-leases-per-worker",
                    "Invalid value given for the maximum leases per worker. Must be a positive integer value.",
                ))?;
                None
            }
        },
    };
    let checkpoint = p.or(
        positive_millis(
            o,
            "scan.lease.checkpoint-millis",
            "the lease checkpoint interval",
        ),
        1_000,
    )?;
    let text = |key: &str| {
        o.get(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    Ok(Some(LeaseOptions {
        table: table.to_string(),
        worker_id,
        failover: Duration::from_millis(failover),
        renew: Duration::from_millis(renew),
        max_leases_per_worker,
        endpoint: text("scan.lease.endpoint"),
        region: text("scan.lease.region"),
        checkpoint_interval: Duration::from_millis(checkpoint),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_follow_dynamodbs_rule() {
        assert!(check_table_name("orders-app.v2_x").is_ok());
        assert!(check_table_name("ab").unwrap_err().contains("2 characters"));
        let e = check_table_name("orders app").unwrap_err();
        assert!(e.contains("' ' at byte 6"), "{e}");
        assert!(check_table_name(&"a".repeat(256)).is_err());
    }
}
