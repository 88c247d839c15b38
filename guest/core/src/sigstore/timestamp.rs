//! (in progress: RFC 3161 timestamps)

use super::Error;
use super::trust::Authority;

/// (in progress)
pub fn verify(
    _signed_timestamp: &[u8],
    _signature: &[u8],
    _authorities: &[Authority],
) -> Result<u64, Error> {
    Err(Error::Rejected(
        "RFC 3161 timestamps are not verified yet".into(),
    ))
}
