//! Request shapes and answer handling of [`DynamoDbClient`], over a scripted transport.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::credentials::{Credentials, StaticProvider};
use crate::test_util::{err, ok, ScriptedTransport as Scripted};
use crate::transport::HttpRequest;
use crate::{Backoff, KinesisClient, KinesisError, RetryPolicy, Shutdown};

fn client(t: Arc<Scripted>) -> DynamoDbClient {
    DynamoDbClient::builder()
        .endpoint("http://127.0.0.1:1")
        .credentials(Arc::new(StaticProvider::new(Credentials::new(
            "AKID", "secret", None, None, "BASIC",
        ))))
        .transport(t)
        .build()
        .unwrap()
}

fn requests(t: &Scripted) -> Vec<HttpRequest> {
    t.requests()
}

fn body(r: &HttpRequest) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::new(
        attempts,
        Backoff::new(Duration::from_millis(1), Duration::from_millis(2), 1.5),
    )
}

const CCF: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#;

#[test]
fn client_is_send_sync_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<DynamoDbClient>();
}

#[test]
fn requests_are_json_1_0_with_the_dynamodb_target_and_signature() {
    let t = Scripted::new(vec![ok(r#"{"Item":{"leaseKey":{"S":"a"}}}"#)]);
    let c = client(t.clone());
    let item = c
        .get_item(&GetItemInput::new("tbl", key("leaseKey", "a")).consistent())
        .unwrap();
    assert_eq!(item, Some(key("leaseKey", "a")));
    let r = &requests(&t)[0];
    assert_eq!(r.url, "http://127.0.0.1:1/");
    assert_eq!(r.header("x-amz-target"), Some("DynamoDB_20120810.GetItem"));
    assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.0"));
    let auth = r.header("authorization").unwrap();
    assert!(
        auth.contains("Credential=AKID/") && auth.contains("/us-east-1/dynamodb/aws4_request"),
        "{auth}"
    );
    assert_eq!(
        r.body,
        br#"{"TableName":"tbl","Key":{"leaseKey":{"S":"a"}},"ConsistentRead":true}"#
    );
}

#[test]
fn endpoints_and_regions_follow_the_dynamodb_host() {
    let creds: Arc<dyn crate::credentials::Provider> = Arc::new(StaticProvider::new(
        Credentials::new("a", "b", None, None, "BASIC"),
    ));
    let c = DynamoDbClient::builder()
        .region("eu-central-1")
        .credentials(creds.clone())
        .build()
        .unwrap();
    assert_eq!(c.endpoint(), "https://dynamodb.eu-central-1.amazonaws.com");
    let c = DynamoDbClient::builder()
        .endpoint("https://dynamodb.ap-south-2.amazonaws.com/")
        .credentials(creds.clone())
        .build()
        .unwrap();
    assert_eq!(c.signing_region(), "ap-south-2");
    assert_eq!(c.endpoint(), "https://dynamodb.ap-south-2.amazonaws.com");
    let e = DynamoDbClient::builder()
        .endpoint("127.0.0.1:4568")
        .credentials(creds)
        .build()
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("the DynamoDB endpoint '127.0.0.1:4568' has no scheme"),
        "{e}"
    );
}

#[test]
fn a_client_shared_with_kinesis_uses_its_transport_credentials_and_region() {
    let t = Scripted::new(vec![
        ok(r#"{"Table":{"TableName":"tbl","TableStatus":"ACTIVE"}}"#),
        ok("{}"),
    ]);
    let kinesis = KinesisClient::builder()
        .region("eu-west-1")
        .credentials(Arc::new(StaticProvider::new(Credentials::new(
            "AKID", "secret", None, None, "BASIC",
        ))))
        .transport(t.clone())
        .build()
        .unwrap();
    let d = DynamoDbClient::from_kinesis(&kinesis, None, None).unwrap();
    assert_eq!(d.endpoint(), "https://dynamodb.eu-west-1.amazonaws.com");
    assert!(Arc::ptr_eq(
        d.credentials_provider(),
        kinesis.credentials_provider()
    ));
    let other =
        DynamoDbClient::from_kinesis(&kinesis, Some("http://127.0.0.1:9/"), Some("xx-1")).unwrap();
    assert_eq!(other.endpoint(), "http://127.0.0.1:9");
    assert_eq!(other.signing_region(), "xx-1");
    // Both calls went through the Kinesis client's transport.
    let table = d.describe_table("tbl").unwrap().unwrap();
    assert_eq!(table.table_status, TableStatus::Active);
    assert_eq!(
        other
            .get_item(&GetItemInput::new("tbl", key("k", "v")))
            .unwrap(),
        None
    );
    let reqs = requests(&t);
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].url, "https://dynamodb.eu-west-1.amazonaws.com/");
    assert!(reqs[0]
        .header("authorization")
        .unwrap()
        .contains("/eu-west-1/dynamodb/aws4_request"));
    assert_eq!(reqs[1].url, "http://127.0.0.1:9/");
    assert!(reqs[1]
        .header("authorization")
        .unwrap()
        .contains("/xx-1/dynamodb/aws4_request"));
}

#[test]
fn create_table_is_on_demand_and_an_existing_table_is_an_outcome() {
    let desc = r#"{"TableDescription":{"TableName":"tbl","TableStatus":"CREATING","KeySchema":[{"AttributeName":"leaseKey","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"leaseKey","AttributeType":"S"}]}}"#;
    let t = Scripted::new(vec![
        ok(desc),
        err(
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceInUseException","message":""}"#,
        ),
        err(
            400,
            r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"TableName must be at least 3 characters long"}"#,
        ),
    ]);
    let c = client(t.clone());
    let input = CreateTableInput::new("tbl", "leaseKey");
    match c.create_table(&input).unwrap() {
        CreateTableOutcome::Created(d) => {
            assert_eq!(d.table_status, TableStatus::Creating);
            assert_eq!(d.hash_key(), Some(("leaseKey", "S")));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.create_table(&input).unwrap(),
        CreateTableOutcome::AlreadyExists
    );
    let e = c
        .create_table(&CreateTableInput::new("t", "k"))
        .unwrap_err();
    assert!(e.is_code(crate::codes::VALIDATION), "{e}");
    assert!(
        e.to_string()
            .starts_with("CreateTable failed: ValidationException"),
        "{e}"
    );
    let r = &requests(&t)[0];
    assert_eq!(
        r.header("x-amz-target"),
        Some("DynamoDB_20120810.CreateTable")
    );
    assert_eq!(
        body(r),
        serde_json::json!({
            "TableName": "tbl",
            "AttributeDefinitions": [{"AttributeName": "leaseKey", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "leaseKey", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        })
    );
}

#[test]
fn describe_and_delete_of_a_missing_table_are_none() {
    let not_found = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found: Table: tbl not found"}"#;
    let t = Scripted::new(vec![
        err(400, not_found),
        err(400, not_found),
        ok(r#"{"TableDescription":{"TableName":"tbl","TableStatus":"DELETING"}}"#),
        err(400, not_found),
    ]);
    let c = client(t.clone());
    assert_eq!(c.describe_table("tbl").unwrap(), None);
    assert_eq!(c.delete_table("tbl").unwrap(), None);
    let d = c.delete_table("tbl").unwrap().unwrap();
    assert_eq!(d.table_status, TableStatus::Deleting);
    // Item operations on a missing table are errors the caller can name.
    let e = c
        .get_item(&GetItemInput::new("tbl", key("k", "v")))
        .unwrap_err();
    assert!(e.is_code(codes::RESOURCE_NOT_FOUND), "{e}");
    assert!(!e.is_retryable());
    let reqs = requests(&t);
    assert_eq!(body(&reqs[0]), serde_json::json!({"TableName": "tbl"}));
    assert_eq!(
        reqs[1].header("x-amz-target"),
        Some("DynamoDB_20120810.DeleteTable")
    );
}

#[test]
fn wait_for_table_active_polls_through_not_found_and_creating() {
    let desc = |status: &str| {
        ok(&format!(
            r#"{{"Table":{{"TableName":"tbl","TableStatus":"{status}"}}}}"#
        ))
    };
    let t = Scripted::new(vec![
        err(
            400,
            r#"{"__type":"ResourceNotFoundException","message":"no"}"#,
        ),
        desc("CREATING"),
        err(500, ""),
        desc("ACTIVE"),
    ]);
    let c = client(t.clone());
    let d = c
        .wait_for_table_active("tbl", Duration::from_secs(10))
        .unwrap();
    assert_eq!(d.table_status, TableStatus::Active);
    assert_eq!(requests(&t).len(), 4);

    let t = Scripted::new((0..10).map(|_| desc("CREATING")));
    let e = client(t)
        .wait_for_table_active("tbl", Duration::from_millis(30))
        .unwrap_err();
    assert!(
        matches!(&e, KinesisError::WaitTimedOut { what, last_state, .. }
            if what == "table tbl to become ACTIVE" && last_state == "CREATING"),
        "{e}"
    );

    let t = Scripted::new(vec![err(
        400,
        r#"{"__type":"AccessDeniedException","message":"no"}"#,
    )]);
    let e = client(t)
        .wait_for_table_active("tbl", Duration::from_secs(10))
        .unwrap_err();
    assert!(e.is_auth_failure(), "{e}");
    assert!(
        e.to_string().contains("lacks dynamodb:DescribeTable"),
        "{e}"
    );
}

#[test]
fn writes_send_their_expressions_and_return_the_asked_item() {
    let t = Scripted::new(vec![
        ok("{}"),
        ok(r#"{"Attributes":{"leaseKey":{"S":"a"},"leaseCounter":{"N":"8"}}}"#),
        ok(r#"{"Attributes":{"leaseKey":{"S":"a"}}}"#),
    ]);
    let c = client(t.clone());
    let put =
        PutItemInput::new("tbl", key("leaseKey", "a")).condition("attribute_not_exists(leaseKey)");
    assert_eq!(c.put_item(&put).unwrap(), WriteOutcome::Applied(None));
    let update = UpdateItemInput::new(
        "tbl",
        key("leaseKey", "a"),
        "SET leaseCounter = leaseCounter + :one, #o = :me",
    )
    .condition("leaseCounter = :seen")
    .name("#o", "leaseOwner")
    .value(":one", 1u64)
    .value(":seen", 7u64)
    .value(":me", "w1")
    .return_values(ReturnValues::AllNew);
    match c.update_item(&update).unwrap() {
        WriteOutcome::Applied(Some(item)) => assert_eq!(item.get_u64("leaseCounter").unwrap(), 8),
        other => panic!("{other:?}"),
    }
    let delete =
        DeleteItemInput::new("tbl", key("leaseKey", "a")).return_values(ReturnValues::AllOld);
    assert!(c.delete_item(&delete).unwrap().is_applied());
    let reqs = requests(&t);
    assert_eq!(
        reqs[0].header("x-amz-target"),
        Some("DynamoDB_20120810.PutItem")
    );
    assert_eq!(
        body(&reqs[0]),
        serde_json::json!({
            "TableName": "tbl",
            "Item": {"leaseKey": {"S": "a"}},
            "ConditionExpression": "attribute_not_exists(leaseKey)"
        })
    );
    assert_eq!(
        reqs[1].header("x-amz-target"),
        Some("DynamoDB_20120810.UpdateItem")
    );
    assert_eq!(
        body(&reqs[1]),
        serde_json::json!({
            "TableName": "tbl",
            "Key": {"leaseKey": {"S": "a"}},
            "UpdateExpression": "SET leaseCounter = leaseCounter + :one, #o = :me",
            "ConditionExpression": "leaseCounter = :seen",
            "ExpressionAttributeNames": {"#o": "leaseOwner"},
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":seen": {"N": "7"}, ":me": {"S": "w1"}},
            "ReturnValues": "ALL_NEW"
        })
    );
    assert_eq!(
        reqs[2].header("x-amz-target"),
        Some("DynamoDB_20120810.DeleteItem")
    );
    assert_eq!(
        body(&reqs[2]),
        serde_json::json!({"TableName": "tbl", "Key": {"leaseKey": {"S": "a"}}, "ReturnValues": "ALL_OLD"})
    );
}

#[test]
fn a_false_condition_is_an_outcome_and_never_retried() {
    let t = Scripted::new(vec![
        err(400, CCF),
        // With ReturnValuesOnConditionCheckFailure, DynamoDB sends the item as it is.
        err(
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":{"leaseKey":{"S":"a"},"leaseOwner":{"S":"w2"}}}"#,
        ),
        Ok(crate::transport::HttpResponse {
            status: 400,
            headers: vec![(
                "x-amzn-ErrorType".into(),
                "ConditionalCheckFailedException:http://internal.amazon.com/coral/com.amazonaws.dynamodb.v20120810/".into(),
            )],
            body: br#"{"message":"The conditional request failed"}"#.to_vec(),
        }),
    ]);
    let c = client(t.clone());
    let policy = fast_retries(5);
    let shutdown = Shutdown::new();
    let update = UpdateItemInput::new("tbl", key("leaseKey", "a"), "SET leaseCounter = :next")
        .condition("leaseCounter = :seen")
        .value(":next", 2u64)
        .value(":seen", 1u64);
    let outcome = policy.run(&shutdown, |_| c.update_item(&update)).unwrap();
    assert_eq!(outcome, WriteOutcome::ConditionFailed(None));
    assert!(!outcome.is_applied());
    assert_eq!(
        requests(&t).len(),
        1,
        "a false condition must not be retried"
    );

    let put = PutItemInput::new("tbl", key("leaseKey", "a"))
        .condition("attribute_not_exists(leaseKey)")
        .return_item_on_condition_failure();
    match policy.run(&shutdown, |_| c.put_item(&put)).unwrap() {
        WriteOutcome::ConditionFailed(Some(current)) => {
            assert_eq!(current.get_s("leaseOwner").unwrap(), "w2")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        body(&requests(&t)[1])["ReturnValuesOnConditionCheckFailure"],
        "ALL_OLD"
    );
    // The code in the x-amzn-ErrorType header counts as well as __type.
    let delete = DeleteItemInput::new("tbl", key("leaseKey", "a")).condition("attribute_exists(x)");
    assert_eq!(
        c.delete_item(&delete).unwrap(),
        WriteOutcome::ConditionFailed(None)
    );
    assert_eq!(requests(&t).len(), 3);
}

#[test]
fn throttling_and_server_faults_are_retried_and_other_errors_are_not() {
    let t = Scripted::new(vec![
        err(
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}"#,
        ),
        err(
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"rate"}"#,
        ),
        err(
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#RequestLimitExceeded","message":"account"}"#,
        ),
        err(
            500,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"oops"}"#,
        ),
        err(503, ""),
        ok("{}"),
        err(
            400,
            r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"One or more parameter values were invalid"}"#,
        ),
    ]);
    let c = client(t.clone());
    let policy = fast_retries(10);
    let put = PutItemInput::new("tbl", key("leaseKey", "a"));
    let outcome = policy.run(&Shutdown::new(), |_| c.put_item(&put)).unwrap();
    assert!(outcome.is_applied());
    assert_eq!(requests(&t).len(), 6);
    let e = policy
        .run(&Shutdown::new(), |_| c.put_item(&put))
        .unwrap_err();
    assert!(e.is_code(crate::codes::VALIDATION), "{e}");
    assert_eq!(e.attempts(), 1);
    assert_eq!(requests(&t).len(), 7);

    for code in [
        codes::PROVISIONED_THROUGHPUT_EXCEEDED,
        codes::THROTTLING,
        codes::REQUEST_LIMIT_EXCEEDED,
        codes::LIMIT_EXCEEDED,
    ] {
        let e = KinesisError::Service {
            action: "UpdateItem",
            code: code.into(),
            message: String::new(),
            status: 400,
            request_id: None,
        };
        assert!(e.is_retryable() && e.is_throttling(), "{code}");
    }
    for code in [
        codes::CONDITIONAL_CHECK_FAILED,
        codes::RESOURCE_NOT_FOUND,
        codes::RESOURCE_IN_USE,
        codes::TRANSACTION_CONFLICT,
    ] {
        let e = KinesisError::Service {
            action: "UpdateItem",
            code: code.into(),
            message: String::new(),
            status: 400,
            request_id: None,
        };
        assert!(!e.is_retryable(), "{code}");
    }
}

#[test]
fn expired_credentials_re_sign_a_write_once() {
    #[derive(Debug, Default)]
    struct Counting(std::sync::atomic::AtomicUsize);
    impl crate::credentials::Provider for Counting {
        fn credentials(&self) -> Result<Credentials, crate::credentials::CredentialsError> {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Credentials::new(
                format!("AKID{n}"),
                "s",
                Some("tok".into()),
                None,
                "TEST",
            ))
        }
    }
    let t = Scripted::new(vec![
        err(
            400,
            r#"{"__type":"ExpiredTokenException","message":"The security token included in the request is expired"}"#,
        ),
        err(400, CCF),
    ]);
    let c = DynamoDbClient::builder()
        .endpoint("http://127.0.0.1:1")
        .credentials(Arc::new(Counting::default()))
        .transport(t.clone())
        .build()
        .unwrap();
    let put =
        PutItemInput::new("tbl", key("leaseKey", "a")).condition("attribute_not_exists(leaseKey)");
    assert_eq!(
        c.put_item(&put).unwrap(),
        WriteOutcome::ConditionFailed(None)
    );
    let reqs = requests(&t);
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].header("authorization").unwrap().contains("AKID0/"));
    assert!(reqs[1].header("authorization").unwrap().contains("AKID1/"));
    assert_eq!(reqs[0].body, reqs[1].body);
}

#[test]
fn scan_all_follows_last_evaluated_key_under_the_paging_bound() {
    let page = |items: &[&str], last: Option<&str>| {
        let items: Vec<String> = items
            .iter()
            .map(|k| format!(r#"{{"leaseKey":{{"S":"{k}"}}}}"#))
            .collect();
        let last = last
            .map(|k| format!(r#","LastEvaluatedKey":{{"leaseKey":{{"S":"{k}"}}}}"#))
            .unwrap_or_default();
        ok(&format!(
            r#"{{"Items":[{}],"Count":{n},"ScannedCount":{n}{last}}}"#,
            items.join(","),
            n = items.len()
        ))
    };
    let t = Scripted::new(vec![
        page(&["a", "b"], Some("b")),
        err(400, r#"{"__type":"ThrottlingException","message":"slow"}"#),
        page(&["c", "d"], Some("d")),
        page(&["e"], None),
    ]);
    let c = client(t.clone());
    let all = c
        .scan_all(
            &ScanInput::new("tbl").limit(2).consistent(),
            &fast_retries(3),
            &Shutdown::new(),
        )
        .unwrap();
    let keys: Vec<&str> = all.iter().map(|i| i.get_s("leaseKey").unwrap()).collect();
    assert_eq!(keys, ["a", "b", "c", "d", "e"]);
    let reqs = requests(&t);
    assert_eq!(reqs.len(), 4);
    assert_eq!(
        body(&reqs[0]),
        serde_json::json!({"TableName": "tbl", "Limit": 2, "ConsistentRead": true})
    );
    assert_eq!(
        body(&reqs[3]),
        serde_json::json!({"TableName": "tbl", "Limit": 2, "ConsistentRead": true,
            "ExclusiveStartKey": {"leaseKey": {"S": "d"}}})
    );

    // A server that hands back the same key again ends the scan with an error.
    let t = Scripted::new(vec![page(&["a"], Some("a")), page(&["a"], Some("a"))]);
    let e = client(t)
        .scan_all(
            &ScanInput::new("tbl"),
            &RetryPolicy::no_retry(),
            &Shutdown::new(),
        )
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("Scan: protocol error: the listing does not end"),
        "{e}"
    );
}

#[test]
fn malformed_answers_are_protocol_errors_naming_the_action() {
    let t = Scripted::new(vec![ok(r#"{"Item":{"k":{"Q":"1"}}}"#)]);
    let e = client(t)
        .get_item(&GetItemInput::new("tbl", key("k", "v")))
        .unwrap_err();
    let s = e.to_string();
    assert!(
        s.starts_with("GetItem: protocol error: invalid response"),
        "{s}"
    );
    assert!(s.contains(r#"unknown attribute type "Q""#), "{s}");
}
