//! One test binary for every end-to-end test (one link, shared build).
//! Needs Redis on 127.0.0.1:6379 (or `NETPULSE_TEST_REDIS_URL`).

mod client;
mod declared_keys;
mod failover;
mod hostile;
mod hostkeys;
mod http;
mod management;
mod metrics;
mod netpulse_routes;
mod openapi;
mod openssh;
mod platforms;
mod plugins;
mod realism;
mod recovery;
mod runtime;
mod spine;
mod textfsm;
mod webhooks;
