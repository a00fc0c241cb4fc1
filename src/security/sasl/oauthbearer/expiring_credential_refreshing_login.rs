//! Keeps a fresh OAUTHBEARER token (Java `ExpiringCredentialRefreshingLogin`): the first token
//! is fetched when the login is created (its error fails the producer's start), later ones on a
//! background thread, before the current one expires.

use super::client::OAuthBearerSaslClient;
use super::{OAuthBearerToken, OAuthBearerTokenProvider};
use crate::error::Error;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Java's `DELAY_SECONDS_BEFORE_NEXT_RETRY_WHEN_RELOGIN_FAILS`: the wait after a failed refresh
/// (doubled for each further failure, up to [`RefreshConfig::retry_backoff_max`]), and before
/// a refresh when the token has already expired.
pub(crate) const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_secs(10);

/// When to refresh (the `sasl.login.refresh.*` keys) and how to retry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RefreshConfig {
    /// `sasl.login.refresh.window.factor` (0.8, in [0.5, 1.0]): the fraction of the token's
    /// lifetime after which it is refreshed.
    pub(crate) window_factor: f64,
    /// `sasl.login.refresh.window.jitter` (0.05, in [0, 0.25]): up to this fraction more.
    pub(crate) window_jitter: f64,
    /// `sasl.login.refresh.min.period.seconds` (60, in [0, 900]): no refresh sooner after the
    /// last one.
    pub(crate) min_period: Duration,
    /// `sasl.login.refresh.buffer.seconds` (300, in [0, 3600]): refresh at least this long
    /// before expiry.
    pub(crate) buffer: Duration,
    /// The first wait after a failed refresh ([`DEFAULT_RETRY_BACKOFF`]).
    pub(crate) retry_backoff: Duration,
    /// The longest wait after failed refreshes (60 s).
    pub(crate) retry_backoff_max: Duration,
}

impl Default for RefreshConfig {
    fn default() -> Self {
        RefreshConfig {
            window_factor: 0.8,
            window_jitter: 0.05,
            min_period: Duration::from_secs(60),
            buffer: Duration::from_secs(300),
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            retry_backoff_max: Duration::from_secs(60),
        }
    }
}

impl RefreshConfig {
    /// Checks the ranges Java's `ConfigDef` allows.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let check = |ok: bool, key: &str, message: &str| {
            if ok {
                Ok(())
            } else {
                Err(Error::Config {
                    key: key.to_string(),
                    message: message.to_string(),
                })
            }
        };
        check(
            (0.5..=1.0).contains(&self.window_factor),
            "sasl.login.refresh.window.factor",
            "must be between 0.5 and 1.0",
        )?;
        check(
            (0.0..=0.25).contains(&self.window_jitter),
            "sasl.login.refresh.window.jitter",
            "must be between 0 and 0.25",
        )?;
        check(
            self.min_period <= Duration::from_secs(900),
            "sasl.login.refresh.min.period.seconds",
            "must be between 0 and 900",
        )?;
        check(
            self.buffer <= Duration::from_secs(3600),
            "sasl.login.refresh.buffer.seconds",
            "must be between 0 and 3600",
        )
    }
}

fn millis(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i128,
        Err(e) => -(e.duration().as_millis() as i128),
    }
}

fn from_millis(ms: i128) -> SystemTime {
    let ms = ms.clamp(0, i128::from(u64::MAX));
    UNIX_EPOCH + Duration::from_millis(ms as u64)
}

/// When to refresh a token valid from `start` (its `iat`, else `now`) to `expires`, at `now`,
/// with `random` in [0, 1) choosing the jitter (Java's `refreshMs`):
///
/// - already expired: `now + retry_backoff`;
/// - less than `min_period + buffer` left: after `factor + jitter` of the time left (the
///   buffers cannot both be kept, so neither is);
/// - else after `factor + jitter` of the lifetime from `start`, but no later than `buffer`
///   before expiry and no sooner than `min_period` after `now`.
pub(crate) fn refresh_time(
    now: SystemTime,
    start: Option<SystemTime>,
    expires: SystemTime,
    config: &RefreshConfig,
    random: f64,
) -> SystemTime {
    let now_ms = millis(now);
    let expire_ms = millis(expires);
    if now_ms > expire_ms {
        return from_millis(now_ms + config.retry_backoff.as_millis() as i128);
    }
    let pct = config.window_factor + config.window_jitter * random.clamp(0.0, 1.0);
    let min_period_ms = config.min_period.as_millis() as i128;
    let buffer_ms = config.buffer.as_millis() as i128;
    if now_ms + min_period_ms + buffer_ms > expire_ms {
        return from_millis(now_ms + ((expire_ms - now_ms) as f64 * pct) as i128);
    }
    let start_ms = start.map(millis).unwrap_or(now_ms);
    let proposed = start_ms + ((expire_ms - start_ms) as f64 * pct) as i128;
    let end_buffer_start = expire_ms - buffer_ms;
    if proposed > end_buffer_start {
        return from_millis(end_buffer_start);
    }
    let min_period_end = now_ms + min_period_ms;
    if proposed < min_period_end {
        return from_millis(min_period_end);
    }
    from_millis(proposed)
}

/// The wait after `failures` (≥ 1) consecutive failed refreshes.
pub(crate) fn retry_delay(failures: u32, config: &RefreshConfig) -> Duration {
    let factor = 1u32
        .checked_shl(failures.saturating_sub(1).min(31))
        .unwrap_or(u32::MAX);
    config
        .retry_backoff
        .saturating_mul(factor)
        .min(config.retry_backoff_max.max(config.retry_backoff))
}

/// A random number in [0, 1) (from the std hasher's random keys; no `rand` dependency).
fn random_unit() -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(millis(SystemTime::now()) as u64);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

thread_local! {
    /// On a refresh thread: disconnected when its login is dropped.
    static CANCEL: std::cell::RefCell<Option<Receiver<()>>> = const { std::cell::RefCell::new(None) };
}

/// Makes [`cancellable_sleep`] on this thread end early once `cancel` is disconnected (or
/// receives).
pub(crate) fn set_cancel(cancel: Receiver<()>) {
    CANCEL.with(|c| *c.borrow_mut() = Some(cancel));
}

/// Sleeps `wait`, or less when this thread is a refresh thread whose login is dropped
/// meanwhile: then returns `true` (providers' retry waits use it, so that a dropped login's
/// thread ends soon).
pub(crate) fn cancellable_sleep(wait: Duration) -> bool {
    CANCEL.with(|c| match &*c.borrow() {
        Some(cancel) => !matches!(cancel.recv_timeout(wait), Err(RecvTimeoutError::Timeout)),
        None => {
            std::thread::sleep(wait);
            false
        }
    })
}

/// How long dropping the login waits for the refresh thread to end (it may be inside the
/// provider's `token()`, which can take many seconds); after that it is left to end alone.
const DROP_WAIT: Duration = Duration::from_millis(100);

/// A token and the provider's SASL extensions, fetched together on the refresh thread so
/// that new authentications (on the network thread) never call the provider.
struct Credential {
    token: OAuthBearerToken,
    extensions: BTreeMap<String, String>,
}

/// Calls the provider: the token, then the extensions.
fn fetch(provider: &dyn OAuthBearerTokenProvider) -> Result<Credential, Error> {
    let token = provider.token()?;
    let extensions = provider.extensions()?;
    Ok(Credential { token, extensions })
}

/// The login: the current token and extensions, refreshed by a background thread that is told
/// to stop when the login is dropped (and waited for at most [`DROP_WAIT`]). Its `Debug` shows
/// the token's principal and expiry only.
pub(crate) struct ExpiringCredentialRefreshingLogin {
    current: Arc<RwLock<Credential>>,
    stop: Option<Sender<()>>,
    /// Disconnected when the refresh thread ends.
    done: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ExpiringCredentialRefreshingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpiringCredentialRefreshingLogin")
            .field("current", &self.current.read().token)
            .field(
                "refreshing",
                &self.thread.as_ref().is_some_and(|t| !t.is_finished()),
            )
            .finish()
    }
}

impl ExpiringCredentialRefreshingLogin {
    /// Logs in: gets the first token from `provider` (its error is returned) and starts the
    /// refresh thread.
    pub(crate) fn new(
        provider: Arc<dyn OAuthBearerTokenProvider>,
        config: RefreshConfig,
    ) -> Result<Self, Error> {
        Self::with_clock(provider, config, Arc::new(SystemTime::now))
    }

    /// As [`new`](Self::new), with the clock the refresh times are computed from.
    pub(crate) fn with_clock(
        provider: Arc<dyn OAuthBearerTokenProvider>,
        config: RefreshConfig,
        clock: Clock,
    ) -> Result<Self, Error> {
        config.validate()?;
        let credential = fetch(&*provider)?;
        log::info!(
            "Successfully logged in: principal {}, token expires at {:?}",
            credential.token.principal(),
            credential.token.expires_at()
        );
        let current = Arc::new(RwLock::new(credential));
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let (done_tx, done) = crossbeam_channel::bounded::<()>(1);
        let thread = {
            let current = current.clone();
            std::thread::Builder::new()
                .name("kafka-producer-oauthbearer-refresh".to_string())
                .spawn(move || {
                    // Dropped when the thread ends, however it ends.
                    let _done = done_tx;
                    set_cancel(stopped.clone());
                    let mut failures = 0u32;
                    loop {
                        let now = clock();
                        let wait = if failures == 0 {
                            let token = current.read().token.clone();
                            let at = refresh_time(now, token.start_time(), token.expires_at(), &config, random_unit());
                            log::info!(
                                "[Principal={}]: token expires at {:?}; refreshing at {at:?}",
                                token.principal(),
                                token.expires_at()
                            );
                            at.duration_since(now).unwrap_or_default()
                        } else {
                            retry_delay(failures, &config)
                        };
                        match stopped.recv_timeout(wait) {
                            Err(RecvTimeoutError::Timeout) => {}
                            // Dropped (or told to stop): end.
                            _ => return,
                        }
                        let fetched = fetch(&*provider);
                        if matches!(stopped.try_recv(), Err(crossbeam_channel::TryRecvError::Disconnected)) {
                            // The login was dropped during the request.
                            return;
                        }
                        match fetched {
                            Ok(credential) => {
                                log::info!(
                                    "Refreshed the token: principal {}, expires at {:?}",
                                    credential.token.principal(),
                                    credential.token.expires_at()
                                );
                                *current.write() = credential;
                                failures = 0;
                            }
                            Err(e) => {
                                failures = failures.saturating_add(1);
                                log::warn!(
                                    "Token refresh failed (attempt {failures}); retrying in {:?}: {e}",
                                    retry_delay(failures, &config)
                                );
                            }
                        }
                    }
                })
                .map_err(|e| Error::io("starting the OAUTHBEARER token refresh thread", e))?
        };
        Ok(ExpiringCredentialRefreshingLogin {
            current,
            stop: Some(stop),
            done,
            thread: Some(thread),
        })
    }

    /// The current token (a clone).
    #[cfg(test)]
    pub(crate) fn current(&self) -> OAuthBearerToken {
        self.current.read().token.clone()
    }

    /// A new OAUTHBEARER exchange with the current token and its extensions (the provider is
    /// not called: this runs on the network thread).
    pub(crate) fn sasl_client(&self) -> Result<OAuthBearerSaslClient, Error> {
        let (token, extensions) = {
            let current = self.current.read();
            (current.token.clone(), current.extensions.clone())
        };
        OAuthBearerSaslClient::new(token, extensions)
    }
}

impl Drop for ExpiringCredentialRefreshingLogin {
    fn drop(&mut self) {
        // Disconnecting the channel wakes the thread at once, unless it is inside the provider
        // (an HTTP request with retries, a user's provider that blocks): then it is not waited
        // for past DROP_WAIT but left to end alone (it holds only `Arc`s, and stops as soon as
        // the provider returns).
        drop(self.stop.take());
        let _ = self.done.recv_timeout(DROP_WAIT);
        if let Some(thread) = self.thread.take() {
            if thread.is_finished() {
                if thread.join().is_err() {
                    log::warn!("The OAUTHBEARER token refresh thread panicked");
                }
            } else {
                log::debug!(
                    "The OAUTHBEARER token refresh thread is still inside the token provider; \
                     not waiting for it"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::sasl::SaslClient;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn no_jitter() -> RefreshConfig {
        RefreshConfig {
            window_jitter: 0.0,
            ..RefreshConfig::default()
        }
    }

    #[test]
    fn refresh_at_window_factor_of_lifetime() {
        // One hour from t=1000: 80 % is 2880 s after the start.
        assert_eq!(
            refresh_time(at(1000), None, at(4600), &no_jitter(), 0.5),
            at(1000 + 2880)
        );
        // Start time from the token, not now.
        assert_eq!(
            refresh_time(at(1500), Some(at(1000)), at(4600), &no_jitter(), 0.0),
            at(3880)
        );
        // Jitter: factor + jitter * random.
        let c = RefreshConfig::default();
        assert_eq!(refresh_time(at(0), None, at(10_000), &c, 0.0), at(8000));
        assert_eq!(refresh_time(at(0), None, at(10_000), &c, 0.5), at(8250));
    }

    #[test]
    fn refresh_keeps_the_buffer_before_expiry() {
        // 0.95 of 2000 s is 1900 s, inside the 300 s buffer: refresh at expiry - 300 s.
        let c = RefreshConfig {
            window_factor: 0.95,
            ..no_jitter()
        };
        assert_eq!(refresh_time(at(0), None, at(2000), &c, 0.0), at(1700));
    }

    #[test]
    fn refresh_not_sooner_than_min_period() {
        // Token started long ago: 80 % of its lifetime is already past; wait min period.
        assert_eq!(
            refresh_time(at(9000), Some(at(0)), at(10_000), &no_jitter(), 0.0),
            at(9060)
        );
    }

    #[test]
    fn short_lifetime_ignores_buffers() {
        // 300 s left < 60 + 300: after 80 % of the time left.
        assert_eq!(
            refresh_time(at(0), None, at(300), &no_jitter(), 0.0),
            at(240)
        );
        assert_eq!(
            refresh_time(at(100), Some(at(0)), at(400), &no_jitter(), 0.0),
            at(100 + 240)
        );
    }

    #[test]
    fn expired_token_retries_soon() {
        assert_eq!(
            refresh_time(at(500), None, at(400), &no_jitter(), 0.0),
            at(510)
        );
    }

    #[test]
    fn retry_delays_double_up_to_max() {
        let c = RefreshConfig::default();
        let delays: Vec<u64> = (1..=6).map(|n| retry_delay(n, &c).as_secs()).collect();
        assert_eq!(delays, [10, 20, 40, 60, 60, 60]);
        assert_eq!(retry_delay(u32::MAX, &c), Duration::from_secs(60));
    }

    #[test]
    fn config_ranges() {
        assert!(RefreshConfig::default().validate().is_ok());
        for (bad, key) in [
            (
                RefreshConfig {
                    window_factor: 0.4,
                    ..Default::default()
                },
                "sasl.login.refresh.window.factor",
            ),
            (
                RefreshConfig {
                    window_jitter: 0.3,
                    ..Default::default()
                },
                "sasl.login.refresh.window.jitter",
            ),
            (
                RefreshConfig {
                    min_period: Duration::from_secs(901),
                    ..Default::default()
                },
                "sasl.login.refresh.min.period.seconds",
            ),
            (
                RefreshConfig {
                    buffer: Duration::from_secs(3601),
                    ..Default::default()
                },
                "sasl.login.refresh.buffer.seconds",
            ),
        ] {
            assert!(matches!(bad.validate(), Err(Error::Config { key: k, .. }) if k == key));
        }
    }

    /// Tokens `tok0`, `tok1`, ... living `lifetime` each; fails the calls listed in `fail`.
    struct Counting {
        calls: AtomicUsize,
        extension_calls: AtomicUsize,
        lifetime: Duration,
        fail: Vec<usize>,
    }

    impl OAuthBearerTokenProvider for Counting {
        fn token(&self) -> Result<OAuthBearerToken, Error> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            if self.fail.contains(&n) {
                return Err(crate::security::sasl::oauthbearer::Error::sasl(format!(
                    "call {n} fails"
                )));
            }
            Ok(OAuthBearerToken::new(
                format!("tok{n}"),
                "alice",
                SystemTime::now() + self.lifetime,
            ))
        }

        fn extensions(&self) -> Result<BTreeMap<String, String>, Error> {
            self.extension_calls.fetch_add(1, Ordering::SeqCst);
            Ok(BTreeMap::new())
        }
    }

    fn fast() -> RefreshConfig {
        RefreshConfig {
            window_factor: 0.5,
            window_jitter: 0.0,
            min_period: Duration::ZERO,
            buffer: Duration::ZERO,
            retry_backoff: Duration::from_millis(20),
            retry_backoff_max: Duration::from_millis(40),
        }
    }

    fn wait_for(mut f: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !f() {
            assert!(Instant::now() < deadline, "timed out");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn first_login_error_is_returned() {
        let p = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            extension_calls: AtomicUsize::new(0),
            lifetime: Duration::from_secs(60),
            fail: vec![0],
        });
        let e = ExpiringCredentialRefreshingLogin::new(p, RefreshConfig::default()).unwrap_err();
        assert!(e.to_string().contains("call 0 fails"), "{e}");
    }

    #[test]
    fn refreshes_in_the_background_and_stops_on_drop() {
        let p = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            extension_calls: AtomicUsize::new(0),
            lifetime: Duration::from_millis(200),
            fail: vec![],
        });
        let login = ExpiringCredentialRefreshingLogin::new(p.clone(), fast()).unwrap();
        assert_eq!(login.current().value(), "tok0");
        wait_for(|| login.current().value() == "tok2");
        drop(login);
        let calls = p.calls.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            p.calls.load(Ordering::SeqCst),
            calls,
            "the thread kept refreshing after the drop"
        );
    }

    #[test]
    fn failed_refresh_is_retried() {
        let p = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            extension_calls: AtomicUsize::new(0),
            lifetime: Duration::from_millis(100),
            fail: vec![1, 2],
        });
        let login = ExpiringCredentialRefreshingLogin::new(p.clone(), fast()).unwrap();
        wait_for(|| login.current().value() == "tok3");
        // The old token stays current while refreshes fail.
        assert!(p.calls.load(Ordering::SeqCst) >= 4);
    }

    #[test]
    fn drop_is_prompt_with_a_long_wait() {
        let p = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            extension_calls: AtomicUsize::new(0),
            lifetime: Duration::from_secs(3600),
            fail: vec![],
        });
        let login = ExpiringCredentialRefreshingLogin::new(p, RefreshConfig::default()).unwrap();
        let started = Instant::now();
        drop(login);
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    /// Blocks for 5 s in `token()` from the second call on; counts `extensions()` calls.
    struct Slow {
        calls: AtomicUsize,
        extension_calls: AtomicUsize,
    }

    impl OAuthBearerTokenProvider for Slow {
        fn token(&self) -> Result<OAuthBearerToken, Error> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            if n >= 1 {
                std::thread::sleep(Duration::from_secs(5));
            }
            Ok(OAuthBearerToken::new(
                format!("tok{n}"),
                "alice",
                SystemTime::now() + Duration::from_millis(100),
            ))
        }

        fn extensions(&self) -> Result<BTreeMap<String, String>, Error> {
            self.extension_calls.fetch_add(1, Ordering::SeqCst);
            Ok(BTreeMap::from([("traceId".to_string(), "7".to_string())]))
        }
    }

    #[test]
    fn drop_does_not_wait_for_a_blocked_provider() {
        let p = Arc::new(Slow {
            calls: AtomicUsize::new(0),
            extension_calls: AtomicUsize::new(0),
        });
        let login = ExpiringCredentialRefreshingLogin::new(p.clone(), fast()).unwrap();
        // The refresh has started and is blocked in the provider.
        wait_for(|| p.calls.load(Ordering::SeqCst) == 2);
        let started = Instant::now();
        drop(login);
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(500), "{elapsed:?}");
    }

    #[test]
    fn sasl_clients_do_not_call_the_provider() {
        let p = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            extension_calls: AtomicUsize::new(0),
            lifetime: Duration::from_secs(3600),
            fail: vec![],
        });
        let login = ExpiringCredentialRefreshingLogin::new(p.clone(), fast()).unwrap();
        for _ in 0..20 {
            login.sasl_client().unwrap();
        }
        let tokens = p.calls.load(Ordering::SeqCst);
        let extension_calls = p.extension_calls.load(Ordering::SeqCst);
        assert!(
            extension_calls <= tokens,
            "{extension_calls} extensions() calls for {tokens} token(s)"
        );
    }

    #[test]
    fn sasl_client_and_debug() {
        let mut options = std::collections::BTreeMap::new();
        options.insert(
            "unsecuredLoginStringClaim_sub".to_string(),
            "alice".to_string(),
        );
        options.insert(
            "unsecuredLoginExtension_traceId".to_string(),
            "7".to_string(),
        );
        let provider = super::super::unsecured_login_callback_handler::OAuthBearerUnsecuredLoginCallbackHandler::new(&options).unwrap();
        let login =
            ExpiringCredentialRefreshingLogin::new(Arc::new(provider), RefreshConfig::default())
                .unwrap();
        let value = login.current().value().to_string();
        let mut client = login.sasl_client().unwrap();
        let first = client.initial_response().unwrap();
        let expected = format!("n,,\u{1}auth=Bearer {value}\u{1}traceId=7\u{1}\u{1}");
        assert_eq!(first, expected.as_bytes());
        let debug = format!("{login:?}");
        assert!(
            debug.contains("alice") && !debug.contains(&value),
            "{debug}"
        );
    }
}
