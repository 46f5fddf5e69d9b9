//! Lease sync, pure: which leases a listing of the stream's shards calls for (the KCL's
//! `HierarchicalShardSyncer`, simplified), and which finished leases may go.
//!
//! - Every listed shard without a lease gets one, parents before children (a child lease
//!   never exists without its parents' leases, so "no parent lease" can mean only "nothing
//!   to wait for").
//! - A shard with a parent that has a lease starts at `TRIM_HORIZON`: it follows its parent.
//!   Any other shard starts at the group's initial position; for `LATEST` that is
//!   `AT_TIMESTAMP` with the time of the sync (so a lease that waits for a reader loses
//!   nothing), and closed shards get no lease (they hold only older records).
//! - A finished lease (`SHARD_END`) is deleted when its shard is gone from the listing
//!   (trimmed after the retention period) and either a listed shard names it as a parent or
//!   every child it recorded has no lease left: nothing can wait for it any more. A shard
//!   missing from a listing made before it existed is never deleted by these rules (a
//!   listed shard cannot name it as a parent, and its children have leases).

use std::collections::{BTreeMap, BTreeSet};

use kinesis_wire::model::ChildShard;
use kinesis_wire::model::Shard;

use super::item::{Lease, LeaseCheckpoint};

/// A shard as the lease sync sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedShard {
    pub shard_id: String,
    pub parents: Vec<String>,
    pub hash_range: Option<(u128, u128)>,
    pub closed: bool,
}

impl From<&Shard> for ListedShard {
    fn from(s: &Shard) -> Self {
        ListedShard {
            shard_id: s.shard_id.clone(),
            parents: s
                .parent_shard_id
                .iter()
                .chain(s.adjacent_parent_shard_id.iter())
                .cloned()
                .collect(),
            hash_range: s.hash_key_range.bounds(),
            closed: s.is_closed(),
        }
    }
}

impl From<&ChildShard> for ListedShard {
    fn from(c: &ChildShard) -> Self {
        ListedShard {
            shard_id: c.shard_id.clone(),
            parents: c.parent_shards.clone(),
            hash_range: c.hash_key_range.bounds(),
            closed: false,
        }
    }
}

/// Where a group starts reading a shard that has no lease and no parent with one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InitialPosition {
    TrimHorizon,
    /// `AT_TIMESTAMP` at these epoch milliseconds.
    AtTimestamp(i64),
    /// `LATEST`, at the time of the sync (epoch milliseconds).
    Latest(i64),
}

/// What a sync writes.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SyncPlan {
    /// New leases, parents first.
    pub create: Vec<Lease>,
    /// Finished leases to delete.
    pub delete: Vec<String>,
}

/// The leases `listing` calls for, given the table's `leases`.
pub(crate) fn plan_sync(
    listing: &[ListedShard],
    leases: &BTreeMap<String, Lease>,
    initial: InitialPosition,
) -> SyncPlan {
    let listed: BTreeMap<&str, &ListedShard> =
        listing.iter().map(|s| (s.shard_id.as_str(), s)).collect();
    let mut has_lease: BTreeSet<&str> = leases.keys().map(String::as_str).collect();
    let mut plan = SyncPlan::default();
    // Parents first: a shard is handled once every listed parent was (in one pass, in
    // listing order, when a parent cycle leaves none ready: never on Kinesis).
    let mut handled: BTreeSet<&str> = BTreeSet::new();
    let mut pending: Vec<&ListedShard> = listing.iter().collect();
    while !pending.is_empty() {
        let (mut ready, waiting): (Vec<&ListedShard>, Vec<&ListedShard>) =
            pending.iter().partition(|s| {
                s.parents
                    .iter()
                    .all(|p| handled.contains(p.as_str()) || !listed.contains_key(p.as_str()))
            });
        pending = waiting;
        if ready.is_empty() {
            ready = std::mem::take(&mut pending);
        }
        for s in ready {
            handled.insert(&s.shard_id);
            if has_lease.contains(s.shard_id.as_str()) {
                continue;
            }
            let follows_parent = s.parents.iter().any(|p| has_lease.contains(p.as_str()));
            let checkpoint = match initial {
                _ if follows_parent => LeaseCheckpoint::TrimHorizon,
                InitialPosition::TrimHorizon => LeaseCheckpoint::TrimHorizon,
                InitialPosition::AtTimestamp(t) => LeaseCheckpoint::AtTimestamp(Some(t)),
                InitialPosition::Latest(_) if s.closed => continue,
                InitialPosition::Latest(t) => LeaseCheckpoint::AtTimestamp(Some(t)),
            };
            has_lease.insert(&s.shard_id);
            plan.create.push(Lease::new(
                s.shard_id.clone(),
                s.parents.clone(),
                s.hash_range,
                checkpoint,
            ));
        }
    }
    let named_as_parent: BTreeSet<&str> = listing
        .iter()
        .flat_map(|s| s.parents.iter().map(String::as_str))
        .collect();
    for (key, lease) in leases {
        if !lease.is_finished() || listed.contains_key(key.as_str()) {
            continue;
        }
        let children_gone =
            !lease.children.is_empty() && lease.children.iter().all(|c| !leases.contains_key(c));
        if named_as_parent.contains(key.as_str()) || children_gone {
            plan.delete.push(key.clone());
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(id: &str, parents: &[&str], closed: bool) -> ListedShard {
        ListedShard {
            shard_id: id.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            hash_range: Some((0, 9)),
            closed,
        }
    }

    fn keys(plan: &SyncPlan) -> Vec<(&str, LeaseCheckpoint)> {
        plan.create
            .iter()
            .map(|l| (l.key.as_str(), l.checkpoint.clone()))
            .collect()
    }

    #[test]
    fn a_new_group_gets_a_lease_per_shard_parents_first() {
        // Listed child before its parents (ListShards sorts by id; a merge's child can sort
        // between them in other servers' listings).
        let listing = vec![
            shard("c", &["a", "b"], false),
            shard("a", &[], true),
            shard("b", &[], true),
            shard("d", &[], false),
        ];
        let plan = plan_sync(&listing, &BTreeMap::new(), InitialPosition::TrimHorizon);
        let order: Vec<&str> = plan.create.iter().map(|l| l.key.as_str()).collect();
        assert_eq!(order, ["a", "b", "d", "c"]);
        assert!(plan
            .create
            .iter()
            .all(|l| l.checkpoint == LeaseCheckpoint::TrimHorizon));
        assert_eq!(plan.create[3].parents, ["a", "b"]);
        assert_eq!(plan.create[0].hash_range, Some((0, 9)));
        // AT_TIMESTAMP: every shard, at the time; a child of a leased parent follows it.
        let plan = plan_sync(&listing, &BTreeMap::new(), InitialPosition::AtTimestamp(5));
        assert_eq!(
            keys(&plan),
            [
                ("a", LeaseCheckpoint::AtTimestamp(Some(5))),
                ("b", LeaseCheckpoint::AtTimestamp(Some(5))),
                ("d", LeaseCheckpoint::AtTimestamp(Some(5))),
                ("c", LeaseCheckpoint::TrimHorizon),
            ]
        );
    }

    #[test]
    fn latest_leases_only_open_shards_at_the_time_of_the_sync() {
        let listing = vec![
            shard("a", &[], true),
            shard("b", &[], true),
            shard("c", &["a", "b"], false),
            shard("d", &[], false),
        ];
        let plan = plan_sync(&listing, &BTreeMap::new(), InitialPosition::Latest(77));
        assert_eq!(
            keys(&plan),
            [
                ("d", LeaseCheckpoint::AtTimestamp(Some(77))),
                ("c", LeaseCheckpoint::AtTimestamp(Some(77))),
            ]
        );
    }

    #[test]
    fn a_later_sync_adds_only_the_children_of_a_reshard_at_trim_horizon() {
        let mut leases = BTreeMap::new();
        for id in ["a", "d"] {
            leases.insert(
                id.to_string(),
                Lease::new(id, vec![], None, LeaseCheckpoint::AtTimestamp(Some(1))),
            );
        }
        let listing = vec![
            shard("a", &[], true),
            shard("d", &[], false),
            shard("e", &["a"], false),
            shard("f", &["a"], false),
        ];
        let plan = plan_sync(&listing, &leases, InitialPosition::Latest(99));
        assert_eq!(
            keys(&plan),
            [
                ("e", LeaseCheckpoint::TrimHorizon),
                ("f", LeaseCheckpoint::TrimHorizon)
            ]
        );
        assert!(plan.delete.is_empty());
    }

    #[test]
    fn finished_leases_go_only_when_nothing_can_wait_for_them() {
        let finished = |id: &str, children: &[&str]| {
            let mut l = Lease::new(id, vec![], None, LeaseCheckpoint::ShardEnd);
            l.children = children.iter().map(|c| c.to_string()).collect();
            (id.to_string(), l)
        };
        let leases: BTreeMap<String, Lease> = [
            // Trimmed, named by a listed child: goes.
            finished("old", &["mid"]),
            // Trimmed, its recorded children have no lease left: goes.
            finished("older", &["gone"]),
            // Missing from a listing made before it existed: its children have leases.
            finished("new", &["kid"]),
            (
                "kid".to_string(),
                Lease::new(
                    "kid",
                    vec!["new".into()],
                    None,
                    LeaseCheckpoint::TrimHorizon,
                ),
            ),
            // Finished without recorded children and not named: kept.
            finished("quiet", &[]),
            // Listed and finished: kept (it is read no more, and children wait for it).
            finished("listed", &["x"]),
        ]
        .into_iter()
        .collect();
        let listing = vec![shard("mid", &["old"], false), shard("listed", &[], true)];
        let plan = plan_sync(&listing, &leases, InitialPosition::TrimHorizon);
        assert_eq!(plan.delete, ["old", "older"]);
    }
}
