//! The lease state machine of one worker, pure: what it saw in the table, which leases it
//! holds, and which to take or steal next (the KCL's `DynamoDBLeaseTaker` and
//! `DynamoDBLeaseRenewer` decisions). Time comes in as arguments (`Instant`s from the
//! coordinator's clock), randomness as a seeded generator, so every rule is tested without
//! sleeping and without a table.
//!
//! Expiry is the KCL's, from a local view: a lease is expired when its `leaseCounter` has
//! not moved for `failover` since this worker first saw the value (its clock, no clock
//! shared between machines). A lease this worker holds is valid until `failover` after the
//! moment it *sent* its last successful write of that lease; any other worker saw that
//! write later, so it cannot take the lease before this worker stops reading it.
//!
//! Differences from the KCL 2.x taker, each deliberate: finished leases (`SHARD_END`) are
//! neither taken nor counted in the fair share (their owner releases them when it writes
//! `SHARD_END`); leases of shards the stream does not list are left alone; the "very old
//! lease" priority is not needed (a dead worker's leases are available, and the fair share
//! of the remaining workers grows to cover them).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::item::Lease;

/// What a worker needs to decide.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub worker_id: String,
    /// `scan.lease.failover-millis`.
    pub failover: Duration,
    /// `scan.lease.max-leases-per-worker` (`usize::MAX`: unlimited).
    pub max_leases: usize,
    /// Leases stolen at most per round (the KCL's `maxLeasesToStealAtOneTime`, 1).
    pub max_steal: usize,
}

/// A lease as last seen, and when this worker saw its counter move.
#[derive(Debug, Clone)]
struct Seen {
    lease: Lease,
    /// `None`: new and unowned when first seen, i.e. never renewed.
    changed_at: Option<Instant>,
}

/// A lease this worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Held {
    /// The counter after this worker's last write: the next write is conditional on it.
    pub counter: u64,
    /// When the last successful write of this lease was sent.
    pub renewed_at: Instant,
}

/// A lease to take: unowned or expired (`from` its last owner), or stolen from the most
/// loaded worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Take {
    pub lease: Lease,
    pub stolen: bool,
}

/// One worker's view and holdings.
#[derive(Debug)]
pub(crate) struct LeaseBook {
    settings: Settings,
    seen: BTreeMap<String, Seen>,
    held: BTreeMap<String, Held>,
}

impl LeaseBook {
    pub(crate) fn new(settings: Settings) -> LeaseBook {
        LeaseBook {
            settings,
            seen: BTreeMap::new(),
            held: BTreeMap::new(),
        }
    }

    pub(crate) fn worker_id(&self) -> &str {
        &self.settings.worker_id
    }

    /// Takes in a scan of the whole table made at `at` (the KCL's `updateAllLeases`).
    /// Returns the held leases the scan shows lost: taken by another worker, moved by a
    /// write that is not ours, or gone from the table.
    pub(crate) fn observe(&mut self, scan: Vec<Lease>, at: Instant) -> Vec<String> {
        let mut fresh = BTreeMap::new();
        for lease in scan {
            let changed_at = match self.seen.get(&lease.key) {
                Some(old) if old.lease.counter == lease.counter => old.changed_at,
                Some(_) => Some(at),
                None if lease.owner.is_none() => None,
                None => Some(at),
            };
            fresh.insert(lease.key.clone(), Seen { lease, changed_at });
        }
        self.seen = fresh;
        let me = &self.settings.worker_id;
        let lost: Vec<String> = self
            .held
            .iter()
            .filter(|(key, held)| match self.seen.get(*key) {
                None => true,
                Some(s) => s.lease.owner.as_deref() != Some(me) || s.lease.counter != held.counter,
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in &lost {
            self.held.remove(key);
        }
        lost
    }

    /// Whether `lease` is expired at `now` in this worker's view.
    fn expired(&self, seen: &Seen, now: Instant) -> bool {
        match seen.changed_at {
            None => true,
            Some(t) => now.saturating_duration_since(t) > self.settings.failover,
        }
    }

    /// The leases to take at `now`, by the KCL's rules: a fair share of
    /// ceil(leases / live workers) (at most `max_leases`); unowned and expired leases first;
    /// when none is available and this worker is under its share, at most `max_steal` from
    /// the most loaded worker (one even when that worker is at the share, if this worker
    /// needs more than one). `eligible` says which leases may be read at all (e.g. listed by
    /// the stream); finished ones never are.
    pub(crate) fn plan(
        &self,
        now: Instant,
        eligible: impl Fn(&Lease) -> bool,
        rng: &mut fastrand::Rng,
    ) -> Vec<Take> {
        let me = self.settings.worker_id.as_str();
        let candidates: Vec<&Seen> = self
            .seen
            .values()
            .filter(|s| !s.lease.is_finished() && eligible(&s.lease))
            .collect();
        if candidates.is_empty() {
            return Vec::new();
        }
        let mut available: Vec<&Seen> = Vec::new();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &candidates {
            let owned = s.lease.owner.as_deref().filter(|_| !self.expired(s, now));
            match owned {
                Some(owner) => *counts.entry(owner).or_default() += 1,
                None if self.held.contains_key(&s.lease.key) => {}
                None => available.push(s),
            }
        }
        counts.entry(me).or_default();
        let leases = candidates.len();
        let workers = counts.len();
        let target = if workers >= leases {
            1
        } else {
            leases.div_ceil(workers)
        };
        let target = target.min(self.settings.max_leases);
        let mine = counts[me];
        let need = target.saturating_sub(mine);
        if need == 0 {
            return Vec::new();
        }
        if !available.is_empty() {
            rng.shuffle(&mut available);
            return available
                .into_iter()
                .take(need)
                .map(|s| Take {
                    lease: s.lease.clone(),
                    stolen: false,
                })
                .collect();
        }
        // Stealing: from the most loaded worker (ties broken at random).
        let max = counts.values().copied().max().unwrap_or(0);
        let mut loaded: Vec<&str> = counts
            .iter()
            .filter(|(w, n)| **n == max && **w != me)
            .map(|(w, _)| *w)
            .collect();
        if loaded.is_empty() || max < target {
            return Vec::new();
        }
        rng.shuffle(&mut loaded);
        let victim = loaded[0];
        let mut steal = need.min(max - target);
        if need > 1 && steal == 0 {
            steal = 1;
        }
        let steal = steal.min(self.settings.max_steal);
        let mut theirs: Vec<&Seen> = candidates
            .into_iter()
            .filter(|s| s.lease.owner.as_deref() == Some(victim) && !self.expired(s, now))
            .collect();
        rng.shuffle(&mut theirs);
        theirs
            .into_iter()
            .take(steal)
            .map(|s| Take {
                lease: s.lease.clone(),
                stolen: true,
            })
            .collect()
    }

    /// A take (or any write that made this worker the owner) succeeded: the lease as
    /// written, and when the write was sent.
    pub(crate) fn took(&mut self, lease: Lease, sent_at: Instant) {
        self.held.insert(
            lease.key.clone(),
            Held {
                counter: lease.counter,
                renewed_at: sent_at,
            },
        );
        self.seen.insert(
            lease.key.clone(),
            Seen {
                lease,
                changed_at: Some(sent_at),
            },
        );
    }

    /// A renewal or checkpoint of a held lease succeeded with `counter`; sent at `sent_at`.
    /// `update` changes the seen copy as the write did (e.g. its checkpoint).
    pub(crate) fn wrote(
        &mut self,
        key: &str,
        counter: u64,
        sent_at: Instant,
        update: impl FnOnce(&mut Lease),
    ) {
        if let Some(h) = self.held.get_mut(key) {
            h.counter = counter;
            h.renewed_at = sent_at;
        }
        if let Some(s) = self.seen.get_mut(key) {
            s.lease.counter = counter;
            s.changed_at = Some(sent_at);
            update(&mut s.lease);
        }
    }

    /// The lease is no longer held (lost, released or finished); `update` changes the seen
    /// copy as this worker knows it now.
    pub(crate) fn drop_lease(
        &mut self,
        key: &str,
        update: impl FnOnce(&mut Lease),
    ) -> Option<Held> {
        if let Some(s) = self.seen.get_mut(key) {
            update(&mut s.lease);
        }
        self.held.remove(key)
    }

    /// The held leases.
    pub(crate) fn held(&self) -> &BTreeMap<String, Held> {
        &self.held
    }

    /// Until when a held lease is valid: `failover` after its last write was sent.
    pub(crate) fn valid_until(&self, key: &str) -> Option<Instant> {
        self.held
            .get(key)
            .map(|h| h.renewed_at + self.settings.failover)
    }

    /// Held leases no longer valid at `now` (their renewals failed for `failover`).
    pub(crate) fn expired_held(&self, now: Instant) -> Vec<String> {
        self.held
            .iter()
            .filter(|(_, h)| h.renewed_at + self.settings.failover <= now)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Every lease as last seen.
    pub(crate) fn leases(&self) -> impl Iterator<Item = &Lease> {
        self.seen.values().map(|s| &s.lease)
    }

    /// The seen copy of a lease.
    pub(crate) fn lease(&self, key: &str) -> Option<&Lease> {
        self.seen.get(key).map(|s| &s.lease)
    }

    /// Whether every parent of `lease` is finished in this worker's view, or has no lease
    /// (the KCL's `BlockOnParentShardTask`): only then may the shard be read.
    pub(crate) fn parents_done(&self, lease: &Lease) -> bool {
        lease
            .parents
            .iter()
            .all(|p| self.seen.get(p).is_none_or(|s| s.lease.is_finished()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lease::item::LeaseCheckpoint;

    const FAILOVER: Duration = Duration::from_secs(10);

    fn book(me: &str) -> LeaseBook {
        LeaseBook::new(Settings {
            worker_id: me.into(),
            failover: FAILOVER,
            max_leases: usize::MAX,
            max_steal: 1,
        })
    }

    fn lease(key: &str, owner: Option<&str>, counter: u64) -> Lease {
        let mut l = Lease::new(key, vec![], None, LeaseCheckpoint::TrimHorizon);
        l.owner = owner.map(str::to_string);
        l.counter = counter;
        l
    }

    fn owned(n: usize, owners: &[(&str, usize)]) -> Vec<Lease> {
        let mut out = Vec::new();
        let mut i = 0;
        for (owner, count) in owners {
            for _ in 0..*count {
                out.push(lease(&format!("s{i}"), Some(owner), 1));
                i += 1;
            }
        }
        while i < n {
            out.push(lease(&format!("s{i}"), None, 0));
            i += 1;
        }
        out
    }

    fn keys(t: &[Take]) -> Vec<&str> {
        t.iter().map(|t| t.lease.key.as_str()).collect()
    }

    fn all(_: &Lease) -> bool {
        true
    }

    #[test]
    fn new_unowned_leases_are_available_at_once_up_to_the_fair_share() {
        let t0 = Instant::now();
        let mut b = book("a");
        b.observe(owned(6, &[]), t0);
        let mut rng = fastrand::Rng::with_seed(1);
        // Alone: a worker takes every lease.
        assert_eq!(b.plan(t0, all, &mut rng).len(), 6);
        // With another worker holding one, the share is ceil(6 / 2) = 3.
        b.observe(owned(6, &[("b", 1)]), t0);
        let plan = b.plan(t0, all, &mut rng);
        assert_eq!(plan.len(), 3);
        assert!(plan.iter().all(|t| !t.stolen && t.lease.owner.is_none()));
        // max-leases-per-worker caps the share.
        let mut capped = book("a");
        capped.settings.max_leases = 2;
        capped.observe(owned(6, &[]), t0);
        assert_eq!(capped.plan(t0, all, &mut rng).len(), 2);
    }

    #[test]
    fn an_owned_lease_expires_after_failover_without_a_counter_change() {
        let t0 = Instant::now();
        let mut b = book("a");
        let mut rng = fastrand::Rng::with_seed(2);
        // b holds both; a sees them first at t0.
        b.observe(owned(2, &[("b", 2)]), t0);
        // a is under its share (1) but nothing is available: it steals one (b is over).
        let plan = b.plan(t0, all, &mut rng);
        assert_eq!(plan.len(), 1);
        assert!(plan[0].stolen);
        // b keeps renewing s0 but not s1: at failover + 1 ms, s1 is expired, s0 is not.
        b.observe(
            vec![lease("s0", Some("b"), 2), lease("s1", Some("b"), 1)],
            t0 + Duration::from_secs(5),
        );
        let at = t0 + FAILOVER + Duration::from_millis(1);
        b.observe(
            vec![lease("s0", Some("b"), 2), lease("s1", Some("b"), 1)],
            at,
        );
        let plan = b.plan(at, all, &mut rng);
        assert_eq!(keys(&plan), ["s1"]);
        assert!(!plan[0].stolen, "an expired lease is taken, not stolen");
        // Exactly at failover it is not expired yet.
        let at = t0 + FAILOVER;
        let plan = b.plan(at, all, &mut rng);
        assert!(plan.iter().all(|t| t.stolen), "{plan:?}");
    }

    #[test]
    fn a_lease_first_seen_owned_counts_as_renewed_at_that_scan() {
        let t0 = Instant::now();
        let mut b = book("a");
        let mut rng = fastrand::Rng::with_seed(3);
        // Four leases, all b's, never renewed again after a's first scan.
        b.observe(owned(4, &[("b", 4)]), t0 + Duration::from_secs(100));
        let before = t0 + Duration::from_secs(100) + FAILOVER;
        assert!(b.plan(before, all, &mut rng).iter().all(|t| t.stolen));
        let after = before + Duration::from_millis(1);
        // b is dead: every lease is available and a, alone now, takes all four.
        assert_eq!(b.plan(after, all, &mut rng).len(), 4);
    }

    #[test]
    fn stealing_rebalances_to_two_two_one_one_one_lease_per_round() {
        let t0 = Instant::now();
        let mut rng = fastrand::Rng::with_seed(4);
        // Three workers hold two each; d joins.
        let mut d = book("d");
        let mut table = owned(6, &[("a", 2), ("b", 2), ("c", 2)]);
        d.observe(table.clone(), t0);
        let plan = d.plan(t0, all, &mut rng);
        assert_eq!(plan.len(), 1, "target 2, needs 2, steals one at a time");
        assert!(plan[0].stolen);
        // d took it; the others keep renewing theirs.
        let stolen = plan[0].lease.key.clone();
        for l in &mut table {
            l.counter += 1;
            if l.key == stolen {
                l.owner = Some("d".into());
            }
        }
        d.took(table.iter().find(|l| l.key == stolen).unwrap().clone(), t0);
        d.observe(table.clone(), t0 + Duration::from_secs(3));
        // Now 2/2/1/1: d needs one more but the most loaded are at the share: no steal
        // (the KCL steals at the share only for a worker needing more than one).
        assert!(d
            .plan(t0 + Duration::from_secs(3), all, &mut rng)
            .is_empty());
        // The worker that lost one does not steal back either: it is at 1, target 2, needs
        // 1, and the most loaded hold exactly 2.
        let holds = |w: &str| {
            table
                .iter()
                .filter(|l| l.owner.as_deref() == Some(w))
                .count()
        };
        let victim = ["a", "b", "c"].into_iter().find(|w| holds(w) == 1).unwrap();
        let mut v = book(victim);
        v.observe(table.clone(), t0 + Duration::from_secs(3));
        assert!(v
            .plan(t0 + Duration::from_secs(3), all, &mut rng)
            .is_empty());
    }

    #[test]
    fn finished_and_ineligible_leases_are_neither_taken_nor_counted() {
        let t0 = Instant::now();
        let mut rng = fastrand::Rng::with_seed(5);
        let mut b = book("a");
        let mut done = lease("s0", None, 3);
        done.checkpoint = LeaseCheckpoint::ShardEnd;
        let other = lease("elsewhere", None, 0);
        b.observe(
            vec![done, other, lease("s1", None, 0), lease("s2", Some("b"), 1)],
            t0,
        );
        let plan = b.plan(t0, |l| l.key != "elsewhere", &mut rng);
        // Two leases count (s1, s2), two workers: a's share is one, and s1 is available.
        assert_eq!(keys(&plan), ["s1"]);
    }

    #[test]
    fn held_leases_expire_failover_after_their_last_write_was_sent() {
        let t0 = Instant::now();
        let mut b = book("a");
        let mut l = lease("s0", Some("a"), 5);
        b.took(l.clone(), t0);
        assert_eq!(b.valid_until("s0"), Some(t0 + FAILOVER));
        b.wrote("s0", 6, t0 + Duration::from_secs(3), |_| {});
        assert!(b.expired_held(t0 + FAILOVER).is_empty());
        assert_eq!(b.expired_held(t0 + Duration::from_secs(13)), ["s0"]);
        // A scan that shows another owner (or another counter) loses it at once.
        l.counter = 7;
        l.owner = Some("b".into());
        assert_eq!(
            b.observe(vec![l.clone()], t0 + Duration::from_secs(4)),
            ["s0"]
        );
        assert!(b.held().is_empty());
        // Gone from the table: lost too.
        b.took(lease("s1", Some("a"), 1), t0);
        assert_eq!(b.observe(vec![], t0), ["s1"]);
    }

    #[test]
    fn children_wait_for_every_parent_lease_to_be_finished() {
        let t0 = Instant::now();
        let mut b = book("a");
        let mut child = lease("c", None, 0);
        child.parents = vec!["p1".into(), "p2".into()];
        let mut p1 = lease("p1", Some("x"), 4);
        p1.checkpoint = LeaseCheckpoint::ShardEnd;
        let p2 = lease("p2", Some("y"), 4);
        b.observe(vec![child.clone(), p1.clone(), p2.clone()], t0);
        assert!(!b.parents_done(&child), "p2 is still being read");
        let mut p2_done = p2.clone();
        p2_done.checkpoint = LeaseCheckpoint::ShardEnd;
        b.observe(vec![child.clone(), p1.clone(), p2_done], t0);
        assert!(b.parents_done(&child));
        // A parent without a lease (trimmed, or before the group's start) does not block.
        b.observe(vec![child.clone(), p1], t0);
        assert!(b.parents_done(&child));
    }

    #[test]
    fn one_of_two_workers_racing_for_the_same_expired_lease_plans_it_and_both_may() {
        // The plan is local: both workers may plan the same lease; the conditional write
        // decides (tested against the table in the store's tests).
        let t0 = Instant::now();
        let mut rng = fastrand::Rng::with_seed(6);
        let (mut a, mut b) = (book("a"), book("b"));
        let dead = vec![lease("s0", Some("dead"), 9)];
        a.observe(dead.clone(), t0);
        b.observe(dead, t0);
        let at = t0 + FAILOVER + Duration::from_millis(1);
        assert_eq!(keys(&a.plan(at, all, &mut rng)), ["s0"]);
        assert_eq!(keys(&b.plan(at, all, &mut rng)), ["s0"]);
    }
}
