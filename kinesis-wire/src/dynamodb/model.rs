//! Inputs and outputs of the DynamoDB actions [`super::DynamoDbClient`] makes, and the
//! outcomes callers must match ([`WriteOutcome`], [`CreateTableOutcome`]).
//!
//! Inputs are plain structs (every field public, serialised as DynamoDB's JSON) with small
//! chaining setters for the expression parts:
//!
//! ```
//! use kinesis_wire::dynamodb::{key, ReturnValues, UpdateItemInput};
//! let take = UpdateItemInput::new("leases", key("leaseKey", "shardId-000000000000"),
//!         "SET leaseOwner = :me, leaseCounter = leaseCounter + :one")
//!     .condition("leaseCounter = :expected")
//!     .value(":me", "worker-1")
//!     .value(":one", 1u64)
//!     .value(":expected", 6u64)
//!     .return_values(ReturnValues::AllNew);
//! assert_eq!(take.condition_expression.as_deref(), Some("leaseCounter = :expected"));
//! assert_eq!(take.expression_attribute_values.len(), 3);
//! ```

use std::collections::BTreeMap;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use super::attribute::{AttributeValue, Item};

/// What a write returns of the item (`ReturnValues`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ReturnValues {
    /// Nothing (the default).
    None,
    /// The whole item as it was before the write (PutItem, UpdateItem, DeleteItem).
    AllOld,
    /// The updated attributes as they were before (UpdateItem).
    UpdatedOld,
    /// The whole item as it is after the write (UpdateItem).
    AllNew,
    /// The updated attributes as they are after (UpdateItem).
    UpdatedNew,
}

/// The result of a conditional write: applied, or its condition was false. Never an error
/// and never retried: a false condition is an answer (another writer got there first).
///
/// ```
/// # use kinesis_wire::dynamodb::*;
/// # fn f(client: &DynamoDbClient) -> Result<(), kinesis_wire::KinesisError> {
/// let create = PutItemInput::new("leases", key("leaseKey", "shardId-000000000000"))
///     .condition("attribute_not_exists(leaseKey)");
/// match client.put_item(&create)? {
///     WriteOutcome::Applied(_) => println!("created"),
///     WriteOutcome::ConditionFailed(_) => println!("already there"),
/// }
/// # Ok(()) }
/// ```
#[must_use = "a conditional write may not have happened: match the outcome"]
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    /// The write happened. The item as [`ReturnValues`] asked (`None` when it asked for
    /// nothing, or for the old item of a write that created it).
    Applied(Option<Item>),
    /// The condition was false and nothing changed. The item as it is, when the input asked
    /// for it (`return_item_on_condition_failure`) and the service sent it (DynamoDB does;
    /// dynalite does not), else `None`.
    ConditionFailed(Option<Item>),
}

impl WriteOutcome {
    /// Whether the write happened.
    pub fn is_applied(&self) -> bool {
        matches!(self, WriteOutcome::Applied(_))
    }
}

/// The result of CreateTable.
#[must_use = "the table may have existed before: match the outcome"]
#[derive(Debug, Clone, PartialEq)]
pub enum CreateTableOutcome {
    /// The table is being created (usually `CREATING`: wait for `ACTIVE`).
    Created(TableDescription),
    /// A table of that name exists already (in any state; DynamoDB's
    /// `ResourceInUseException`). Its key schema may differ: describe it to check.
    AlreadyExists,
}

/// Sets the expression placeholders and the condition of an input type.
macro_rules! expression_setters {
    ($t:ty) => {
        impl $t {
            /// Sets the `ConditionExpression` (e.g. `leaseCounter = :expected`).
            pub fn condition(mut self, expression: impl Into<String>) -> Self {
                self.condition_expression = Some(expression.into());
                self
            }
            /// Adds an `ExpressionAttributeNames` entry, e.g. `("#owner", "leaseOwner")`.
            pub fn name(
                mut self,
                placeholder: impl Into<String>,
                attribute: impl Into<String>,
            ) -> Self {
                self.expression_attribute_names
                    .insert(placeholder.into(), attribute.into());
                self
            }
            /// Adds an `ExpressionAttributeValues` entry, e.g. `(":expected", 6u64)`.
            pub fn value(
                mut self,
                placeholder: impl Into<String>,
                value: impl Into<AttributeValue>,
            ) -> Self {
                self.expression_attribute_values
                    .insert(placeholder.into(), value.into());
                self
            }
        }
    };
}

macro_rules! write_setters {
    ($t:ty) => {
        expression_setters!($t);
        impl $t {
            /// Sets `ReturnValues`.
            pub fn return_values(mut self, which: ReturnValues) -> Self {
                self.return_values = Some(which);
                self
            }
            /// Asks for the item as it is when the condition fails
            /// (`ReturnValuesOnConditionCheckFailure = ALL_OLD`).
            pub fn return_item_on_condition_failure(mut self) -> Self {
                self.return_item_on_condition_failure = true;
                self
            }
        }
    };
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `true` as `"ALL_OLD"`, for `ReturnValuesOnConditionCheckFailure`.
fn all_old<S: Serializer>(_: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("ALL_OLD")
}

/// PutItem: write a whole item, optionally only if a condition holds.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct PutItemInput {
    /// The table.
    pub table_name: String,
    /// The item, key attributes included.
    pub item: Item,
    /// The condition the existing item (if any) must meet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// `#name` placeholders of the expressions.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub expression_attribute_names: BTreeMap<String, String>,
    /// `:value` placeholders of the expressions.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub expression_attribute_values: Item,
    /// What to return: `None` or `AllOld`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values: Option<ReturnValues>,
    /// Return the item as it is when the condition fails.
    #[serde(
        rename = "ReturnValuesOnConditionCheckFailure",
        skip_serializing_if = "is_false",
        serialize_with = "all_old"
    )]
    pub return_item_on_condition_failure: bool,
}

impl PutItemInput {
    /// Put `item` into `table`, unconditionally until [`PutItemInput::condition`] is set.
    pub fn new(table: impl Into<String>, item: Item) -> Self {
        PutItemInput {
            table_name: table.into(),
            item,
            ..Default::default()
        }
    }
}
write_setters!(PutItemInput);

/// UpdateItem: change some attributes of an item (creating it if absent, unless the
/// condition says otherwise).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct UpdateItemInput {
    /// The table.
    pub table_name: String,
    /// The item's key.
    pub key: Item,
    /// E.g. `SET leaseOwner = :me REMOVE checkpointSubSequenceNumber`.
    pub update_expression: String,
    /// The condition the existing item must meet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// `#name` placeholders of the expressions.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub expression_attribute_names: BTreeMap<String, String>,
    /// `:value` placeholders of the expressions.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub expression_attribute_values: Item,
    /// What to return, e.g. `AllNew`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values: Option<ReturnValues>,
    /// Return the item as it is when the condition fails.
    #[serde(
        rename = "ReturnValuesOnConditionCheckFailure",
        skip_serializing_if = "is_false",
        serialize_with = "all_old"
    )]
    pub return_item_on_condition_failure: bool,
}

impl UpdateItemInput {
    /// Apply `update_expression` to the item with `key` in `table`.
    pub fn new(table: impl Into<String>, key: Item, update_expression: impl Into<String>) -> Self {
        UpdateItemInput {
            table_name: table.into(),
            key,
            update_expression: update_expression.into(),
            ..Default::default()
        }
    }
}
write_setters!(UpdateItemInput);

/// DeleteItem: remove an item, optionally only if a condition holds.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DeleteItemInput {
    /// The table.
    pub table_name: String,
    /// The item's key.
    pub key: Item,
    /// The condition the existing item must meet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// `#name` placeholders of the expressions.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub expression_attribute_names: BTreeMap<String, String>,
    /// `:value` placeholders of the expressions.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub expression_attribute_values: Item,
    /// What to return: `None` or `AllOld`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values: Option<ReturnValues>,
    /// Return the item as it is when the condition fails.
    #[serde(
        rename = "ReturnValuesOnConditionCheckFailure",
        skip_serializing_if = "is_false",
        serialize_with = "all_old"
    )]
    pub return_item_on_condition_failure: bool,
}

impl DeleteItemInput {
    /// Delete the item with `key` from `table`.
    pub fn new(table: impl Into<String>, key: Item) -> Self {
        DeleteItemInput {
            table_name: table.into(),
            key,
            ..Default::default()
        }
    }
}
write_setters!(DeleteItemInput);

/// GetItem: one item by key.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct GetItemInput {
    /// The table.
    pub table_name: String,
    /// The item's key.
    pub key: Item,
    /// Read the latest write (strongly consistent) instead of an eventually consistent copy.
    #[serde(skip_serializing_if = "is_false")]
    pub consistent_read: bool,
}

impl GetItemInput {
    /// Get the item with `key` from `table` (eventually consistent).
    pub fn new(table: impl Into<String>, key: Item) -> Self {
        GetItemInput {
            table_name: table.into(),
            key,
            consistent_read: false,
        }
    }
    /// Read strongly consistently.
    pub fn consistent(mut self) -> Self {
        self.consistent_read = true;
        self
    }
}

/// Scan: one page of a table's items.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ScanInput {
    /// The table.
    pub table_name: String,
    /// Most items to evaluate for this page (the page may also end at 1 MB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Read strongly consistently.
    #[serde(skip_serializing_if = "is_false")]
    pub consistent_read: bool,
    /// Continue after this key (the previous page's `LastEvaluatedKey`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusive_start_key: Option<Item>,
    /// Keep only the items that meet this condition (after the `limit` is applied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<String>,
    /// `#name` placeholders of the filter.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub expression_attribute_names: BTreeMap<String, String>,
    /// `:value` placeholders of the filter.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub expression_attribute_values: Item,
}

impl ScanInput {
    /// The first page of `table`.
    pub fn new(table: impl Into<String>) -> Self {
        ScanInput {
            table_name: table.into(),
            ..Default::default()
        }
    }
    /// At most `n` items evaluated per page.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }
    /// Read strongly consistently.
    pub fn consistent(mut self) -> Self {
        self.consistent_read = true;
        self
    }
    /// Keep only the items that meet `expression`.
    pub fn filter(mut self, expression: impl Into<String>) -> Self {
        self.filter_expression = Some(expression.into());
        self
    }
    /// Adds an `ExpressionAttributeNames` entry.
    pub fn name(mut self, placeholder: impl Into<String>, attribute: impl Into<String>) -> Self {
        self.expression_attribute_names
            .insert(placeholder.into(), attribute.into());
        self
    }
    /// Adds an `ExpressionAttributeValues` entry.
    pub fn value(
        mut self,
        placeholder: impl Into<String>,
        value: impl Into<AttributeValue>,
    ) -> Self {
        self.expression_attribute_values
            .insert(placeholder.into(), value.into());
        self
    }
}

/// One page of a Scan.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ScanOutput {
    /// The items of this page.
    #[serde(default)]
    pub items: Vec<Item>,
    /// Items in this page (after the filter).
    #[serde(default)]
    pub count: u64,
    /// Items evaluated (before the filter).
    #[serde(default)]
    pub scanned_count: u64,
    /// Where the next page starts; `None` on the last page.
    #[serde(default)]
    pub last_evaluated_key: Option<Item>,
}

/// CreateTable of a table keyed by one string attribute, billed per request (on demand),
/// as the KCL's lease table is.
///
/// ```
/// use kinesis_wire::dynamodb::CreateTableInput;
/// let t = CreateTableInput::new("orders-app", "leaseKey");
/// assert_eq!(
///     serde_json::to_string(&t).unwrap(),
///     r#"{"TableName":"orders-app","AttributeDefinitions":[{"AttributeName":"leaseKey","AttributeType":"S"}],"KeySchema":[{"AttributeName":"leaseKey","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateTableInput {
    /// The table (3 to 255 of `a-z A-Z 0-9 _ - .`).
    pub table_name: String,
    /// The name of the string hash key, e.g. `leaseKey`.
    pub hash_key: String,
}

impl CreateTableInput {
    /// A table `table` with the string hash key `hash_key`.
    pub fn new(table: impl Into<String>, hash_key: impl Into<String>) -> Self {
        CreateTableInput {
            table_name: table.into(),
            hash_key: hash_key.into(),
        }
    }
}

impl Serialize for CreateTableInput {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_struct("CreateTableInput", 4)?;
        t.serialize_field("TableName", &self.table_name)?;
        t.serialize_field(
            "AttributeDefinitions",
            &[AttributeDefinition {
                attribute_name: self.hash_key.clone(),
                attribute_type: "S".into(),
            }],
        )?;
        t.serialize_field(
            "KeySchema",
            &[KeySchemaElement {
                attribute_name: self.hash_key.clone(),
                key_type: KeyType::Hash,
            }],
        )?;
        t.serialize_field("BillingMode", "PAY_PER_REQUEST")?;
        t.end()
    }
}

/// A key attribute's type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct AttributeDefinition {
    /// The attribute.
    pub attribute_name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: String,
}

/// The role of a key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KeyType {
    /// The partition key.
    Hash,
    /// The sort key.
    Range,
}

/// One attribute of a table's primary key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct KeySchemaElement {
    /// The attribute.
    pub attribute_name: String,
    /// Its role.
    pub key_type: KeyType,
}

/// Status of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum TableStatus {
    /// Being created: not usable yet.
    Creating,
    /// Being updated; usable.
    Updating,
    /// Being deleted.
    Deleting,
    /// Usable.
    Active,
    /// Its KMS key is not accessible.
    InaccessibleEncryptionCredentials,
    /// Being archived.
    Archiving,
    /// Archived.
    Archived,
    /// A status this client does not know.
    #[serde(other)]
    Unknown,
}

/// What DescribeTable (and CreateTable, DeleteTable) say of a table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct TableDescription {
    /// The table's name.
    pub table_name: String,
    /// Its status.
    pub table_status: TableStatus,
    /// Its ARN.
    #[serde(default)]
    pub table_arn: Option<String>,
    /// Its primary key.
    #[serde(default)]
    pub key_schema: Vec<KeySchemaElement>,
    /// The types of its key attributes.
    #[serde(default)]
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// Approximate item count (updated about every six hours by DynamoDB).
    #[serde(default)]
    pub item_count: Option<u64>,
}

impl TableDescription {
    /// The hash key's name and type (`S`, `N` or `B`), when the description has them.
    ///
    /// ```
    /// use kinesis_wire::dynamodb::TableDescription;
    /// let d: TableDescription = serde_json::from_str(r#"{"TableName":"t","TableStatus":"ACTIVE",
    ///     "KeySchema":[{"AttributeName":"leaseKey","KeyType":"HASH"}],
    ///     "AttributeDefinitions":[{"AttributeName":"leaseKey","AttributeType":"S"}]}"#).unwrap();
    /// assert_eq!(d.hash_key(), Some(("leaseKey", "S")));
    /// ```
    pub fn hash_key(&self) -> Option<(&str, &str)> {
        let name = &self
            .key_schema
            .iter()
            .find(|k| k.key_type == KeyType::Hash)?
            .attribute_name;
        let def = self
            .attribute_definitions
            .iter()
            .find(|d| &d.attribute_name == name)?;
        Some((name, &def.attribute_type))
    }
}

/// `{"TableName": ...}`: the input of DescribeTable and DeleteTable.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TableNameInput<'a> {
    pub table_name: &'a str,
}

/// CreateTable's and DeleteTable's answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TableDescriptionOutput {
    pub table_description: TableDescription,
}

/// DescribeTable's answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeTableOutput {
    pub table: TableDescription,
}

/// GetItem's answer: no `Item` when there is no such item.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetItemOutput {
    #[serde(default)]
    pub item: Option<Item>,
}

/// A write's answer: `Attributes` as `ReturnValues` asked.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WriteOutput {
    #[serde(default)]
    pub attributes: Option<Item>,
}

/// The body of a `ConditionalCheckFailedException`: the item when
/// `ReturnValuesOnConditionCheckFailure = ALL_OLD` was asked.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ConditionFailedBody {
    #[serde(default)]
    pub item: Option<Item>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::key;

    #[test]
    fn inputs_serialise_only_what_is_set() {
        let put = PutItemInput::new("tbl", key("k", "a"));
        assert_eq!(
            serde_json::to_string(&put).unwrap(),
            r#"{"TableName":"tbl","Item":{"k":{"S":"a"}}}"#
        );
        let put = put
            .condition("attribute_not_exists(#k)")
            .name("#k", "k")
            .return_values(ReturnValues::AllOld)
            .return_item_on_condition_failure();
        assert_eq!(
            serde_json::to_string(&put).unwrap(),
            r##"{"TableName":"tbl","Item":{"k":{"S":"a"}},"ConditionExpression":"attribute_not_exists(#k)","ExpressionAttributeNames":{"#k":"k"},"ReturnValues":"ALL_OLD","ReturnValuesOnConditionCheckFailure":"ALL_OLD"}"##
        );
        let del = DeleteItemInput::new("tbl", key("k", "a"))
            .condition("leaseCounter = :c")
            .value(":c", 3u64);
        assert_eq!(
            serde_json::to_string(&del).unwrap(),
            r#"{"TableName":"tbl","Key":{"k":{"S":"a"}},"ConditionExpression":"leaseCounter = :c","ExpressionAttributeValues":{":c":{"N":"3"}}}"#
        );
        let get = GetItemInput::new("tbl", key("k", "a")).consistent();
        assert_eq!(
            serde_json::to_string(&get).unwrap(),
            r#"{"TableName":"tbl","Key":{"k":{"S":"a"}},"ConsistentRead":true}"#
        );
        let scan = ScanInput::new("tbl")
            .limit(2)
            .filter("#o = :me")
            .name("#o", "leaseOwner")
            .value(":me", "w1");
        assert_eq!(
            serde_json::to_string(&scan).unwrap(),
            r##"{"TableName":"tbl","Limit":2,"FilterExpression":"#o = :me","ExpressionAttributeNames":{"#o":"leaseOwner"},"ExpressionAttributeValues":{":me":{"S":"w1"}}}"##
        );
    }

    #[test]
    fn table_descriptions_tolerate_unknown_statuses_and_fields() {
        let d: TableDescription = serde_json::from_str(
            r#"{"TableName":"t","TableStatus":"REPLICATING","BillingModeSummary":{"BillingMode":"PAY_PER_REQUEST"}}"#,
        )
        .unwrap();
        assert_eq!(d.table_status, TableStatus::Unknown);
        assert_eq!(d.hash_key(), None);
    }
}
