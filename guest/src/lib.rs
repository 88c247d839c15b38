//! The wkg package manager as a wasm32-wasip2 component.
//!
//! It reaches registries only through wasi:http ([`http`]) and files only
//! through the directories its runner preopens. [`cli::run`] is the whole
//! program; `src/main.rs` is the `wasi:cli/run` entry point around it.

// Error sizes are budgeted for the target, wasm32 (4-byte pointers); the
// native build of the unit tests doubles them.
#![cfg_attr(
    not(target_arch = "wasm32"),
    allow(clippy::result_large_err, clippy::large_enum_variant)
)]

pub mod api;
pub mod artifact;
pub mod bindings;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod component;
pub mod deps;
pub mod error;
pub mod hash;
pub mod http;
pub mod io;
pub mod oci;
pub mod ops;
pub mod packages;
pub mod progress;
pub mod settings;
pub mod signatures;
pub mod wit;
pub mod workspace;

#[cfg(test)]
mod tests;
