//! The senders: deliver the plan's webhooks the way the connector does, over both APIs, at a steady pace.
//!
//! 202 is the only acceptance. 408, 429, 5xx and connection errors are retried with exponential backoff
//! and jitter, `Retry-After` honoured (the connector's policy, its delays scaled from 15 s…1 h down to
//! 0.2 s…5 s); any other answer is a refusal. Each delivery's final answer is kept, and every answer seen
//! is counted.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use futures::StreamExt;
use rand::Rng;

use crate::load::{Plan, Webhook};

/// What the hub finally said to one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 202 `queued`: stored and queued now.
    Queued,
    /// 202 `duplicate`: that `event_id` was stored before.
    Duplicate,
    /// 202 with another status.
    OtherAccepted(String),
    /// A 4xx the connector does not retry.
    Refused(u16, String),
    /// Still not accepted when the sender gave up.
    GaveUp,
}

impl Answer {
    /// Whether it is an acceptance (202).
    pub fn accepted(&self) -> bool {
        matches!(self, Answer::Queued | Answer::Duplicate | Answer::OtherAccepted(_))
    }
}

/// What the senders saw, counted as it happens.
#[derive(Debug, Default)]
pub struct SenderCounters {
    /// HTTP requests made (attempts, retries included).
    pub requests: AtomicU64,
    /// 202 `queued`.
    pub queued: AtomicU64,
    /// 202 `duplicate`.
    pub duplicate: AtomicU64,
    /// 503 answers.
    pub unavailable: AtomicU64,
    /// Other retried answers (408, 429, other 5xx).
    pub other_retryable: AtomicU64,
    /// Connection errors and timeouts (no answer).
    pub connection_errors: AtomicU64,
    /// Answers the connector does not retry (4xx).
    pub refused: AtomicU64,
}

impl SenderCounters {
    /// The counters now.
    pub fn snapshot(&self) -> SenderStats {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SenderStats {
            requests: get(&self.requests),
            queued: get(&self.queued),
            duplicate: get(&self.duplicate),
            unavailable: get(&self.unavailable),
            other_retryable: get(&self.other_retryable),
            connection_errors: get(&self.connection_errors),
            refused: get(&self.refused),
        }
    }
}

/// [`SenderCounters`] read at one moment.
#[derive(Debug, Clone, Default)]
pub struct SenderStats {
    /// HTTP requests made (attempts, retries included).
    pub requests: u64,
    /// 202 `queued`.
    pub queued: u64,
    /// 202 `duplicate`.
    pub duplicate: u64,
    /// 503 answers.
    pub unavailable: u64,
    /// Other retried answers (408, 429, other 5xx).
    pub other_retryable: u64,
    /// Connection errors and timeouts.
    pub connection_errors: u64,
    /// 4xx answers.
    pub refused: u64,
}

/// Delivers webhooks with the connector's retry policy.
#[derive(Debug)]
pub struct Sender {
    http: reqwest::Client,
    apis: Vec<String>,
    /// What it saw.
    pub counters: SenderCounters,
    give_up_after: Duration,
}

/// The scaled connector policy: first retry after 200 ms, doubling, at most 5 s, plus up to 10 % jitter.
fn backoff(failed: u32, retry_after: Option<Duration>) -> Duration {
    const CAP: Duration = Duration::from_secs(5);
    let base = Duration::from_millis(200).saturating_mul(1 << failed.saturating_sub(1).min(10)).min(CAP);
    let jittered = base + base.mul_f64(rand::rng().random_range(0.0..0.1));
    match retry_after {
        Some(r) if r > jittered => r.min(CAP),
        _ => jittered,
    }
}

impl Sender {
    /// A sender spreading its deliveries over `apis`, giving an event up after `give_up_after` of retries.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(apis: Vec<String>, give_up_after: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(2))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(Self { http, apis, counters: SenderCounters::default(), give_up_after })
    }

    /// Delivers one webhook until it is answered 202 or refused, or `give_up_after` passes; the `spread`-th
    /// delivery starts on API `spread` modulo their number, and each retry moves to the next API.
    async fn deliver(&self, webhook: &Webhook<'_>, spread: usize) -> Answer {
        let started = Instant::now();
        let mut failed = 0_u32;
        loop {
            let base = &self.apis[(spread + failed as usize) % self.apis.len()];
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let sent = self
                .http
                .post(format!("{base}{}", webhook.path))
                .header("Content-Type", "application/json")
                .header("X-API-KEY", webhook.key)
                .body(webhook.body.clone())
                .send()
                .await;
            let retry_after = match sent {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .map(Duration::from_secs);
                    match status {
                        202 => {
                            // A 202 whose body is lost is still an acceptance: read what it says if we can.
                            let said = response.json::<serde_json::Value>().await.ok();
                            let said = said.as_ref().and_then(|v| v["status"].as_str()).unwrap_or("queued");
                            return match said {
                                "queued" => {
                                    self.counters.queued.fetch_add(1, Ordering::Relaxed);
                                    Answer::Queued
                                }
                                "duplicate" => {
                                    self.counters.duplicate.fetch_add(1, Ordering::Relaxed);
                                    Answer::Duplicate
                                }
                                other => Answer::OtherAccepted(other.to_owned()),
                            };
                        }
                        503 => {
                            self.counters.unavailable.fetch_add(1, Ordering::Relaxed);
                        }
                        408 | 429 | 500..=599 => {
                            self.counters.other_retryable.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            self.counters.refused.fetch_add(1, Ordering::Relaxed);
                            let text = response.text().await.unwrap_or_default();
                            return Answer::Refused(status, text.chars().take(200).collect());
                        }
                    }
                    retry_after
                }
                Err(_) => {
                    self.counters.connection_errors.fetch_add(1, Ordering::Relaxed);
                    None
                }
            };
            failed += 1;
            if started.elapsed() > self.give_up_after {
                return Answer::GaveUp;
            }
            tokio::time::sleep(backoff(failed, retry_after)).await;
        }
    }

    /// Sends the first states of the ordered SKUs, 16 at a time; every final answer.
    pub async fn send_prime(&self, plan: &Plan) -> Vec<(String, Answer)> {
        futures::stream::iter(plan.prime_webhooks().enumerate())
            .map(|(n, webhook)| async move { (webhook.event_id.to_owned(), self.deliver(&webhook, n).await) })
            .buffer_unordered(16)
            .collect()
            .await
    }

    /// Sends the plan's deliveries, one every `pace`, at most `in_flight` at once; every final answer.
    pub async fn send_load(&self, plan: &Plan, pace: Duration, in_flight: usize) -> Vec<(String, Answer)> {
        let start = tokio::time::Instant::now();
        futures::stream::iter(plan.webhooks().enumerate())
            .map(|(n, webhook)| async move {
                tokio::time::sleep_until(start + pace.saturating_mul(n as u32)).await;
                (webhook.event_id.to_owned(), self.deliver(&webhook, n).await)
            })
            .buffer_unordered(in_flight)
            .collect()
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_from_200_ms_up_to_5_s_and_honours_retry_after() {
        let first = backoff(1, None);
        assert!(first >= Duration::from_millis(200) && first < Duration::from_millis(221), "{first:?}");
        assert!(backoff(12, None) <= Duration::from_millis(5_500));
        assert_eq!(backoff(1, Some(Duration::from_secs(3))), Duration::from_secs(3));
        assert_eq!(backoff(1, Some(Duration::from_secs(60))), Duration::from_secs(5));
    }
}
