//! The brake on guessing the admin token: every login attempt takes a token from two buckets, one for the
//! client's address and one for all addresses together, and a login that succeeds gives it back, so only
//! failures count. An empty bucket refuses the attempt before the token is even compared (429 with
//! `Retry-After`); buckets refill at a steady rate.
//!
//! The address is the TCP peer's (actix's `peer_addr`): `X-Forwarded-For` can be written by anyone, and the
//! hub has no list of trusted proxies. Behind a proxy or a load balancer every client therefore shares the
//! proxy's bucket. IPv6 clients are counted by their /64, which one subscriber usually holds whole.
//!
//! The buckets live in this process's memory: each `hub-api` process counts on its own (N processes behind
//! a load balancer let N times as many guesses through), and a restart forgets them.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr},
    sync::Mutex,
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};

/// Limits on failed dashboard logins (`[server.login_limit]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginLimits {
    /// Failed logins one address may make in a row.
    pub address_burst: u32,
    /// Failed logins one address is given back per minute after that.
    pub address_per_minute: u32,
    /// Failed logins all addresses together may make in a row.
    pub global_burst: u32,
    /// Failed logins all addresses together are given back per minute after that.
    pub global_per_minute: u32,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self { address_burst: 5, address_per_minute: 5, global_burst: 30, global_per_minute: 30 }
    }
}

/// Most addresses tracked at once; past it, addresses whose bucket is full again are forgotten, and a new
/// address that still finds no room is held by the global bucket alone.
const MAX_ADDRESSES: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Rate {
    burst: f64,
    per_sec: f64,
}

impl Rate {
    fn new(burst: u32, per_minute: u32) -> Self {
        Self { burst: f64::from(burst.max(1)), per_sec: f64::from(per_minute.max(1)) / 60.0 }
    }
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Self {
        Self { tokens: rate.burst, at: now }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_sec).min(rate.burst);
        self.at = self.at.max(now);
    }

    /// How long until one token is there.
    fn wait(&self, rate: Rate) -> Duration {
        if self.tokens >= 1.0 { Duration::ZERO } else { Duration::from_secs_f64((1.0 - self.tokens) / rate.per_sec) }
    }

    fn is_full(&self, rate: Rate) -> bool {
        self.tokens >= rate.burst
    }
}

#[derive(Debug)]
struct Buckets {
    global: Bucket,
    by_address: HashMap<IpAddr, Bucket>,
}

/// The login attempts of this process, per address and all together.
#[derive(Debug)]
pub struct LoginThrottle {
    address: Rate,
    global: Rate,
    buckets: Mutex<Buckets>,
}

/// What counts as one client: an IPv4 address, or an IPv6 /64 (an IPv4-mapped IPv6 address is its IPv4).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

impl LoginThrottle {
    /// Full buckets for `limits`.
    pub fn new(limits: LoginLimits) -> Self {
        let global = Rate::new(limits.global_burst, limits.global_per_minute);
        Self {
            address: Rate::new(limits.address_burst, limits.address_per_minute),
            global,
            buckets: Mutex::new(Buckets { global: Bucket::full(global, Instant::now()), by_address: HashMap::new() }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buckets> {
        // The buckets are plain numbers: a panic while holding the lock leaves them usable.
        self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes one attempt for `client` (unknown: the global bucket alone) at `now`.
    ///
    /// # Errors
    /// How long to wait, when the client's bucket or the global one is empty (nothing is taken then).
    pub fn attempt(&self, client: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.lock();
        let Buckets { global, by_address } = &mut *buckets;
        global.refill(self.global, now);
        let key = client.map(client_key);
        if let Some(key) = key
            && !by_address.contains_key(&key)
            && by_address.len() >= MAX_ADDRESSES
        {
            let rate = self.address;
            by_address.retain(|_, b| {
                b.refill(rate, now);
                !b.is_full(rate)
            });
        }
        let own = match key {
            Some(key) if by_address.contains_key(&key) || by_address.len() < MAX_ADDRESSES => {
                let bucket = by_address.entry(key).or_insert_with(|| Bucket::full(self.address, now));
                bucket.refill(self.address, now);
                Some(bucket)
            }
            _ => None,
        };
        let wait = global.wait(self.global).max(own.as_ref().map_or(Duration::ZERO, |b| b.wait(self.address)));
        if !wait.is_zero() {
            return Err(wait);
        }
        global.tokens -= 1.0;
        if let Some(bucket) = own {
            bucket.tokens -= 1.0;
        }
        Ok(())
    }

    /// Gives back the attempt of a login that succeeded: only failures count.
    pub fn succeeded(&self, client: Option<IpAddr>) {
        let mut buckets = self.lock();
        buckets.global.tokens = (buckets.global.tokens + 1.0).min(self.global.burst);
        if let Some(bucket) = client.map(client_key).and_then(|key| buckets.by_address.get_mut(&key)) {
            bucket.tokens = (bucket.tokens + 1.0).min(self.address.burst);
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.lock().by_address.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    const LIMITS: LoginLimits =
        LoginLimits { address_burst: 3, address_per_minute: 6, global_burst: 5, global_per_minute: 60 };

    #[test]
    fn an_address_gets_its_burst_then_waits_for_the_refill() {
        let throttle = LoginThrottle::new(LIMITS);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(throttle.attempt(ip("192.0.2.1"), t0).is_ok());
        }
        let wait = throttle.attempt(ip("192.0.2.1"), t0).unwrap_err();
        assert_eq!(wait.as_secs(), 10, "6 per minute: one every 10 s");
        assert!(throttle.attempt(ip("192.0.2.1"), t0 + Duration::from_secs(9)).is_err());
        assert!(throttle.attempt(ip("192.0.2.1"), t0 + Duration::from_secs(10)).is_ok());
        assert!(throttle.attempt(ip("192.0.2.1"), t0 + Duration::from_secs(10)).is_err(), "one token came back");
    }

    #[test]
    fn another_address_is_not_held_by_the_first_one() {
        let throttle = LoginThrottle::new(LIMITS);
        let t0 = Instant::now();
        for _ in 0..3 {
            throttle.attempt(ip("192.0.2.1"), t0).unwrap();
        }
        assert!(throttle.attempt(ip("192.0.2.1"), t0).is_err());
        assert!(throttle.attempt(ip("192.0.2.2"), t0).is_ok());
    }

    #[test]
    fn the_global_bucket_holds_many_addresses_together() {
        let throttle = LoginThrottle::new(LIMITS);
        let t0 = Instant::now();
        for i in 0..5 {
            throttle.attempt(ip(&format!("198.51.100.{i}")), t0).unwrap();
        }
        let wait = throttle.attempt(ip("203.0.113.9"), t0).unwrap_err();
        assert_eq!(wait.as_secs(), 1, "60 per minute: one every second");
        assert!(throttle.attempt(None, t0).is_err(), "an unknown address is held by the global bucket");
    }

    #[test]
    fn a_successful_login_costs_nothing() {
        let throttle = LoginThrottle::new(LIMITS);
        let t0 = Instant::now();
        for _ in 0..10 {
            throttle.attempt(ip("192.0.2.1"), t0).unwrap();
            throttle.succeeded(ip("192.0.2.1"));
        }
        assert!(throttle.attempt(ip("192.0.2.1"), t0).is_ok());
    }

    #[test]
    fn the_addresses_of_one_ipv6_64_share_a_bucket() {
        let throttle = LoginThrottle::new(LIMITS);
        let t0 = Instant::now();
        for i in 1..=3 {
            throttle.attempt(ip(&format!("2001:db8:1:2::{i}")), t0).unwrap();
        }
        assert!(throttle.attempt(ip("2001:db8:1:2:ffff::9"), t0).is_err());
        assert!(throttle.attempt(ip("2001:db8:1:3::1"), t0).is_ok(), "the next /64 is another client");
        assert_eq!(client_key("::ffff:192.0.2.1".parse().unwrap()), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn the_table_of_addresses_stays_bounded() {
        let throttle = LoginThrottle::new(LoginLimits { global_burst: u32::MAX, global_per_minute: 1, ..LIMITS });
        let t0 = Instant::now();
        for i in 0..MAX_ADDRESSES as u32 + 100 {
            let _ = throttle.attempt(Some(IpAddr::V4(i.into())), t0);
        }
        assert_eq!(throttle.tracked(), MAX_ADDRESSES);
        // Once their buckets are full again, old addresses make room for new ones.
        throttle.attempt(ip("192.0.2.1"), t0 + Duration::from_secs(3600)).unwrap();
        assert_eq!(throttle.tracked(), 1);
    }
}
