//! Tests across the guest's layers, run natively with the unit tests.

mod errors;
