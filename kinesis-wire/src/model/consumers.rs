//! Enhanced fan-out consumers: register, describe, list, deregister.

use serde::{Deserialize, Serialize};

use super::null_default;

/// Status of an enhanced fan-out consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ConsumerStatus {
    /// Being created.
    Creating,
    /// Being deleted.
    Deleting,
    /// Usable.
    Active,
    /// A status this client does not know.
    #[serde(other)]
    Unknown,
}
/// An enhanced fan-out consumer (RegisterStreamConsumer, ListStreamConsumers).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Consumer {
    /// The consumer name.
    pub consumer_name: String,
    /// The consumer ARN.
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    /// Consumer status.
    pub consumer_status: ConsumerStatus,
    /// When the consumer was registered, epoch seconds.
    #[serde(default)]
    pub consumer_creation_timestamp: Option<f64>,
}

/// RegisterStreamConsumer input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct RegisterStreamConsumerInput {
    /// The stream ARN.
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    /// The consumer name.
    pub consumer_name: String,
}

impl RegisterStreamConsumerInput {
    /// Registers `consumer_name` on the stream `stream_arn`.
    pub fn new(stream_arn: impl Into<String>, consumer_name: impl Into<String>) -> Self {
        RegisterStreamConsumerInput {
            stream_arn: stream_arn.into(),
            consumer_name: consumer_name.into(),
        }
    }
}

/// RegisterStreamConsumer output.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct RegisterStreamConsumerOutput {
    /// The consumer.
    pub consumer: Consumer,
}

/// DescribeStreamConsumer / DeregisterStreamConsumer input: a consumer ARN, or a stream ARN
/// plus consumer name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ConsumerRef {
    /// The stream ARN.
    #[serde(rename = "StreamARN", skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    /// The consumer name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_name: Option<String>,
    /// The consumer ARN.
    #[serde(rename = "ConsumerARN", skip_serializing_if = "Option::is_none")]
    pub consumer_arn: Option<String>,
}

impl ConsumerRef {
    /// The consumer with this ARN.
    ///
    /// ```
    /// use kinesis_wire::model::ConsumerRef;
    /// let a = ConsumerRef::by_arn("arn:aws:kinesis:...:consumer/app:1");
    /// let b = ConsumerRef::by_name("arn:aws:kinesis:...:stream/orders", "app");
    /// assert!(a.consumer_name.is_none() && b.consumer_arn.is_none());
    /// ```
    pub fn by_arn(consumer_arn: impl Into<String>) -> Self {
        ConsumerRef {
            consumer_arn: Some(consumer_arn.into()),
            ..Default::default()
        }
    }

    /// The consumer named `consumer_name` on the stream `stream_arn`.
    pub fn by_name(stream_arn: impl Into<String>, consumer_name: impl Into<String>) -> Self {
        ConsumerRef {
            stream_arn: Some(stream_arn.into()),
            consumer_name: Some(consumer_name.into()),
            consumer_arn: None,
        }
    }
}

/// The body of DescribeStreamConsumer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ConsumerDescription {
    /// The consumer name.
    pub consumer_name: String,
    /// The consumer ARN.
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    /// Consumer status.
    pub consumer_status: ConsumerStatus,
    /// When the consumer was registered, epoch seconds.
    #[serde(default)]
    pub consumer_creation_timestamp: Option<f64>,
    /// The stream ARN.
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
}

/// DescribeStreamConsumer output.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DescribeStreamConsumerOutput {
    /// The description.
    pub consumer_description: ConsumerDescription,
}

/// ListStreamConsumers input.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ListStreamConsumersInput {
    /// The stream ARN.
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    /// Paging token from the previous page (`None`: first page, or no more pages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// Page size limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
    /// When the stream was created, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_creation_timestamp: Option<f64>,
}

impl ListStreamConsumersInput {
    /// The first page of consumers of the stream `stream_arn`.
    pub fn new(stream_arn: impl Into<String>) -> Self {
        ListStreamConsumersInput {
            stream_arn: stream_arn.into(),
            ..Default::default()
        }
    }

    /// This input asking for the page after `next_token`.
    pub fn next_token(mut self, next_token: impl Into<String>) -> Self {
        self.next_token = Some(next_token.into());
        self
    }

    /// This input with a page size limit.
    pub fn max_results(mut self, n: u32) -> Self {
        self.max_results = Some(n);
        self
    }
}

/// ListStreamConsumers output.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ListStreamConsumersOutput {
    /// Consumers of this page.
    #[serde(default, deserialize_with = "null_default")]
    pub consumers: Vec<Consumer>,
    /// Paging token from the previous page (`None`: first page, or no more pages).
    #[serde(default)]
    pub next_token: Option<String>,
}
