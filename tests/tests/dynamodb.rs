//! kinesis-wire's DynamoDB client against dynalite (`DYNALITE_ENDPOINT`, started by
//! `scripts/test`): tables, items, conditional writes and their races, scans with paging.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use kinesis_tests::dynalite::{self, TempTable};
use kinesis_wire::dynamodb::{
    codes, key, AttributeValue, CreateTableInput, CreateTableOutcome, DeleteItemInput,
    DynamoDbClient, GetItemInput, Item, ItemExt, PutItemInput, ReturnValues, ScanInput,
    TableStatus, UpdateItemInput, WriteOutcome,
};
use kinesis_wire::{RetryPolicy, Shutdown};

const HASH_KEY: &str = "leaseKey";

fn get(table: &TempTable, k: &str) -> Option<Item> {
    table
        .client
        .get_item(&GetItemInput::new(&table.name, key(HASH_KEY, k)).consistent())
        .unwrap()
}

/// A lease item of the KCL 2.x schema.
fn lease(shard: &str, counter: u64) -> Item {
    let mut item = key(HASH_KEY, shard);
    item.insert("leaseCounter".into(), counter.into());
    item.insert("checkpoint".into(), "TRIM_HORIZON".into());
    item.insert("ownerSwitchesSinceCheckpoint".into(), 0u64.into());
    item
}

#[test]
fn tables_are_created_waited_for_described_and_deleted() {
    let ep = dynalite::endpoint();
    let kinesis = kinesis_tests::client("http://127.0.0.1:1");
    // The lease client shares the Kinesis client's transport and credentials.
    let client = DynamoDbClient::from_kinesis(&kinesis, Some(&ep), None).unwrap();
    let name = kinesis_tests::unique_name("ddb-table");
    let input = CreateTableInput::new(&name, HASH_KEY);
    match client.create_table(&input).unwrap() {
        CreateTableOutcome::Created(d) => {
            assert_eq!(d.table_name, name);
            assert_eq!(d.table_status, TableStatus::Creating);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        client.create_table(&input).unwrap(),
        CreateTableOutcome::AlreadyExists
    );
    let active = client
        .wait_for_table_active(&name, Duration::from_secs(30))
        .unwrap();
    assert_eq!(active.table_status, TableStatus::Active);
    assert_eq!(active.hash_key(), Some((HASH_KEY, "S")));
    assert!(active
        .table_arn
        .unwrap()
        .ends_with(&format!(":table/{name}")));

    let put = PutItemInput::new(&name, lease("shardId-000000000000", 0));
    assert_eq!(client.put_item(&put).unwrap(), WriteOutcome::Applied(None));
    let deleting = client
        .delete_table(&name)
        .unwrap()
        .expect("the table exists");
    assert_eq!(deleting.table_status, TableStatus::Deleting);
    // Gone after its DELETING state: describe says None, item calls fail as not found.
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.describe_table(&name).unwrap().is_some() {
        assert!(Instant::now() < deadline, "table {name} never went away");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(client.delete_table(&name).unwrap(), None);
    let e = client
        .get_item(&GetItemInput::new(&name, key(HASH_KEY, "x")))
        .unwrap_err();
    assert!(e.is_code(codes::RESOURCE_NOT_FOUND), "{e}");
    assert!(!e.is_retryable());
    assert!(
        e.to_string()
            .starts_with("GetItem failed: ResourceNotFoundException"),
        "{e}"
    );
}

#[test]
fn items_of_every_attribute_type_round_trip() {
    let ep = dynalite::endpoint();
    let table = TempTable::create(&dynalite::client(&ep), "ddb-types", HASH_KEY);
    let mut item = lease("shardId-000000000001", 3);
    item.insert(
        "parentShardId".into(),
        AttributeValue::string_set(["shardId-000000000000"]),
    );
    item.insert("startingHashKey".into(), "0".into());
    item.insert(
        "endingHashKey".into(),
        "340282366920938463463374607431768211455".into(),
    );
    item.insert(
        "ns".into(),
        AttributeValue::Ns(vec!["1".into(), "2.5".into()]),
    );
    item.insert("b".into(), AttributeValue::B(vec![0, 1, 255]));
    item.insert("bs".into(), AttributeValue::Bs(vec![vec![1], vec![2, 3]]));
    item.insert("flag".into(), true.into());
    item.insert("nothing".into(), AttributeValue::Null);
    item.insert(
        "l".into(),
        AttributeValue::L(vec!["a".into(), 7i64.into(), AttributeValue::Null]),
    );
    item.insert(
        "m".into(),
        AttributeValue::M(Item::from([("inner".to_string(), (-4i64).into())])),
    );
    let put = PutItemInput::new(&table.name, item.clone());
    assert!(table.client.put_item(&put).unwrap().is_applied());
    let back = get(&table, "shardId-000000000001").expect("the item was written");
    assert_eq!(back, item);
    assert_eq!(
        back.get_ss("parentShardId").unwrap(),
        ["shardId-000000000000"]
    );
    assert_eq!(back.get_u64("leaseCounter").unwrap(), 3);
    assert_eq!(back.opt_s("leaseOwner").unwrap(), None);
    assert_eq!(get(&table, "no-such-shard"), None);
}

#[test]
fn a_conditional_create_succeeds_once() {
    let ep = dynalite::endpoint();
    let table = TempTable::create(&dynalite::client(&ep), "ddb-create", HASH_KEY);
    let create = |owner: &str| {
        let mut item = lease("shardId-000000000000", 0);
        item.insert("leaseOwner".into(), owner.into());
        PutItemInput::new(&table.name, item)
            .condition("attribute_not_exists(#k)")
            .name("#k", HASH_KEY)
    };
    assert_eq!(
        table.client.put_item(&create("w1")).unwrap(),
        WriteOutcome::Applied(None)
    );
    // Retried under a policy, a false condition is an answer, not something to retry.
    let outcome = RetryPolicy::default()
        .run(&Shutdown::new(), |_| table.client.put_item(&create("w2")))
        .unwrap();
    assert!(
        matches!(outcome, WriteOutcome::ConditionFailed(_)),
        "{outcome:?}"
    );
    let item = get(&table, "shardId-000000000000").unwrap();
    assert_eq!(item.get_s("leaseOwner").unwrap(), "w1");
}

#[test]
fn racing_takers_of_one_lease_exactly_one_wins() {
    let ep = dynalite::endpoint();
    const WORKERS: usize = 4;
    const ROUNDS: u64 = 5;
    let table = TempTable::create(
        &dynalite::client_builder(&ep)
            .max_connections(WORKERS)
            .build()
            .unwrap(),
        "ddb-race",
        HASH_KEY,
    );
    let shard = "shardId-000000000007";
    let put = PutItemInput::new(&table.name, lease(shard, 0));
    assert!(table.client.put_item(&put).unwrap().is_applied());
    for round in 0..ROUNDS {
        let seen = get(&table, shard).unwrap().get_u64("leaseCounter").unwrap();
        assert_eq!(seen, round, "one win per round");
        let start = Arc::new(Barrier::new(WORKERS));
        let takers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let client = table.client.clone();
                let start = start.clone();
                let take = UpdateItemInput::new(
                    &table.name,
                    key(HASH_KEY, shard),
                    "SET leaseOwner = :me, leaseCounter = leaseCounter + :one, \
                     ownerSwitchesSinceCheckpoint = ownerSwitchesSinceCheckpoint + :one",
                )
                .condition("leaseCounter = :seen")
                .value(":me", format!("worker-{w}"))
                .value(":one", 1u64)
                .value(":seen", seen)
                .return_values(ReturnValues::AllNew);
                std::thread::spawn(move || {
                    start.wait();
                    (w, client.update_item(&take).unwrap())
                })
            })
            .collect();
        let outcomes: Vec<(usize, WriteOutcome)> =
            takers.into_iter().map(|t| t.join().unwrap()).collect();
        let winners: Vec<&(usize, WriteOutcome)> =
            outcomes.iter().filter(|(_, o)| o.is_applied()).collect();
        assert_eq!(winners.len(), 1, "round {round}: {outcomes:?}");
        let (winner, WriteOutcome::Applied(Some(new))) = winners[0] else {
            panic!("ALL_NEW asked: {:?}", winners[0]);
        };
        assert_eq!(new.get_s("leaseOwner").unwrap(), format!("worker-{winner}"));
        assert_eq!(new.get_u64("leaseCounter").unwrap(), seen + 1);
        let stored = get(&table, shard).unwrap();
        assert_eq!(&stored, new, "the stored lease is the winner's");
    }
    let last = get(&table, shard).unwrap();
    assert_eq!(last.get_u64("leaseCounter").unwrap(), ROUNDS);
    assert_eq!(
        last.get_u64("ownerSwitchesSinceCheckpoint").unwrap(),
        ROUNDS
    );
}

#[test]
fn a_conditional_delete_removes_only_a_matching_item() {
    let ep = dynalite::endpoint();
    let table = TempTable::create(&dynalite::client(&ep), "ddb-delete", HASH_KEY);
    let shard = "shardId-000000000002";
    let put = PutItemInput::new(&table.name, lease(shard, 4));
    assert!(table.client.put_item(&put).unwrap().is_applied());
    let delete_if = |checkpoint: &str| {
        DeleteItemInput::new(&table.name, key(HASH_KEY, shard))
            .condition("checkpoint = :cp AND leaseCounter = :c")
            .value(":cp", checkpoint)
            .value(":c", 4u64)
            .return_values(ReturnValues::AllOld)
    };
    assert_eq!(
        table.client.delete_item(&delete_if("SHARD_END")).unwrap(),
        WriteOutcome::ConditionFailed(None)
    );
    assert!(
        get(&table, shard).is_some(),
        "a false condition deletes nothing"
    );
    match table
        .client
        .delete_item(&delete_if("TRIM_HORIZON"))
        .unwrap()
    {
        WriteOutcome::Applied(Some(old)) => assert_eq!(old, lease(shard, 4)),
        other => panic!("{other:?}"),
    }
    assert_eq!(get(&table, shard), None);
}

#[test]
fn scans_page_through_more_items_than_one_page() {
    let ep = dynalite::endpoint();
    let table = TempTable::create(&dynalite::client(&ep), "ddb-scan", HASH_KEY);
    const ITEMS: usize = 23;
    let mut expected = BTreeSet::new();
    for i in 0..ITEMS {
        let shard = format!("shardId-{i:012}");
        let mut item = lease(&shard, i as u64);
        item.insert("leaseOwner".into(), format!("worker-{}", i % 3).into());
        let put = PutItemInput::new(&table.name, item);
        assert!(table.client.put_item(&put).unwrap().is_applied());
        expected.insert(shard);
    }
    let first = table
        .client
        .scan(&ScanInput::new(&table.name).limit(5))
        .unwrap();
    assert_eq!(first.items.len(), 5);
    assert!(first.last_evaluated_key.is_some(), "more than one page");

    let all = table
        .client
        .scan_all(
            &ScanInput::new(&table.name).limit(5).consistent(),
            &RetryPolicy::default(),
            &Shutdown::new(),
        )
        .unwrap();
    assert_eq!(all.len(), ITEMS, "every item exactly once");
    let keys: BTreeSet<String> = all
        .iter()
        .map(|i| i.get_s(HASH_KEY).unwrap().to_string())
        .collect();
    assert_eq!(keys, expected);

    let mine = table
        .client
        .scan_all(
            &ScanInput::new(&table.name)
                .limit(4)
                .filter("#o = :me")
                .name("#o", "leaseOwner")
                .value(":me", "worker-1"),
            &RetryPolicy::default(),
            &Shutdown::new(),
        )
        .unwrap();
    assert_eq!(mine.len(), (0..ITEMS).filter(|i| i % 3 == 1).count());
    assert!(mine
        .iter()
        .all(|i| i.get_s("leaseOwner").unwrap() == "worker-1"));
}
