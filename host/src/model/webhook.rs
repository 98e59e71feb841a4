//! Webhooks: what a job asks to be called when it ends ([`Webhook`], validated
//! at submit), and how far its delivery has got ([`WebhookState`], shown in the
//! job record as `webhook`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The HTTP methods a webhook may use (NetPulse's set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WebhookMethod {
    Get,
    #[default]
    Post,
    Put,
    Delete,
    Patch,
}

impl WebhookMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookMethod::Get => "GET",
            WebhookMethod::Post => "POST",
            WebhookMethod::Put => "PUT",
            WebhookMethod::Delete => "DELETE",
            WebhookMethod::Patch => "PATCH",
        }
    }
}

/// A validated webhook: where and how to deliver a job's JSON when it ends.
/// Stored beside the job (sealed with the credential key when one is set, as it
/// may carry tokens), never shown back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    /// An `http` or `https` URL.
    pub url: String,
    pub method: WebhookMethod,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cookies: BTreeMap<String, String>,
    /// Basic auth: (username, password).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<(String, String)>,
    /// Time limit of one attempt, seconds.
    pub timeout_s: f64,
    /// Attempts after the first one.
    pub max_retries: u32,
    /// Seconds before each retry; the last is reused when there are more retries.
    pub retry_intervals_s: Vec<f64>,
}

impl Webhook {
    pub const DEFAULT_TIMEOUT_S: f64 = 5.0;
    pub const DEFAULT_MAX_RETRIES: u32 = 3;
    pub const DEFAULT_RETRY_INTERVALS_S: [f64; 3] = [10.0, 30.0, 120.0];

    /// A placeholder for a stored webhook that cannot be read (never sent).
    pub fn unreadable() -> Self {
        Self {
            url: String::new(),
            method: WebhookMethod::Post,
            headers: BTreeMap::new(),
            cookies: BTreeMap::new(),
            auth: None,
            timeout_s: Self::DEFAULT_TIMEOUT_S,
            max_retries: 0,
            retry_intervals_s: Vec::new(),
        }
    }

    /// Where deliveries go, for logs: scheme, host and port only (a path may
    /// carry a token, as chat services' hook URLs do).
    pub fn origin(&self) -> String {
        match self.url.find("://") {
            Some(i) => {
                let rest = &self.url[i + 3..];
                let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
                format!("{}{}", &self.url[..i + 3], &rest[..end])
            }
            None => String::new(),
        }
    }

    /// Seconds to wait before retry number `retry` (1 = the first retry).
    pub fn retry_delay_s(&self, retry: u32) -> f64 {
        let i = (retry.max(1) - 1) as usize;
        self.retry_intervals_s.get(i).or(self.retry_intervals_s.last()).copied().unwrap_or(10.0)
    }
}

/// Where a job's webhook delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Due now: the job ended and no attempt has been made yet.
    Pending,
    /// An attempt is under way.
    Delivering,
    /// An attempt failed; another is due at `next_attempt_at`.
    Retrying,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed.
    Failed,
}

/// The job record's `webhook` field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WebhookState {
    pub status: DeliveryStatus,
    /// Attempts made so far (the one under way included).
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    /// The `X-NetPulse-Delivery` id, the same on every attempt (receivers can
    /// drop a repeat by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_reuse_the_last_interval() {
        let w = Webhook {
            url: "http://127.0.0.1/".into(),
            method: WebhookMethod::Post,
            headers: BTreeMap::new(),
            cookies: BTreeMap::new(),
            auth: None,
            timeout_s: 5.0,
            max_retries: 5,
            retry_intervals_s: vec![1.0, 2.0],
        };
        assert_eq!([1, 2, 3, 5].map(|r| w.retry_delay_s(r)), [1.0, 2.0, 2.0, 2.0]);
        let w = Webhook { url: "https://127.0.0.1:8443/services/T0/B0/secret?x=1".into(), ..w };
        assert_eq!(w.origin(), "https://127.0.0.1:8443");
    }
}
