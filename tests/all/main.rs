//! The integration tests, one test binary: the native `wkg` and the host
//! library against real registries (`support`). One binary links wasmtime
//! once, and its tests run in parallel threads of one process, so those that
//! need no registry of their own share one (`support::shared_anonymous`).

mod support;

mod api;
mod auth;
mod compose;
mod config;
mod deps;
mod flavours;
mod get;
mod layouts;
mod mirror;
mod oci;
mod oras;
mod publish;
mod referrers;
mod signatures;
mod tls;
mod wasmtime;
