//! Body digests computed by the host that carries the component's HTTP.
//!
//! SHA-256 inside wasm runs at about 190 MB/s; a native host hashes with
//! the CPU's SHA instructions several times faster, on another thread, as
//! the bytes pass through it. The native `wkg` (and every `wkg-host`
//! embedding) offers this over wasi:http itself, so the component needs no
//! extra import and still runs under a stock `wasmtime run`, where it
//! hashes every byte on its own:
//!
//! 1. The host puts a fresh random key in the component's environment as
//!    [`KEY_ENV`]. Without it the component hashes by itself.
//! 2. For a download, the component marks the request with the header
//!    [`FIELD`]` = `[`RESPONSE_BODY`]. The host removes the header before
//!    the request goes out and ends the response body with the trailer
//!    [`FIELD`], whose value is [`answer`]'s `<key> sha256:<hex> <bytes>`;
//!    it drops any [`FIELD`] the server sent.
//! 3. For an upload, the component marks the request with [`FIELD`]` =
//!    `[`REQUEST_BODY`]. The host removes the header, hashes the body as
//!    it sends it, and adds the answer to the response as the header
//!    [`FIELD`], if the whole body went out before the response came.
//! 4. To hash a file without sending it anywhere (to check a remembered
//!    digest before the registry's copy stands in for the file), the
//!    component sends its bytes in `POST http://`[`SERVICE_HOST`]`/`; the
//!    host answers `200` with the answer as the header [`FIELD`]. Nothing
//!    goes out on the network (`.invalid` never resolves).
//!
//! The component accepts an answer only when it carries the key
//! ([`parse_answer`]), so a registry cannot forge one, even through a host
//! that does not know this protocol. Byte counts are checked by the
//! component itself; the digest then goes through the same verification as
//! one computed in wasm.

use crate::digest::Digest;

/// The environment variable that holds the key of a host that hashes.
pub const KEY_ENV: &str = "WKG_HOST_DIGEST_KEY";

/// The request header that asks for a digest, and the answer's field.
pub const FIELD: &str = "wkg-host-digest";

/// [`FIELD`]'s value asking for the digest of the response body.
pub const RESPONSE_BODY: &str = "response-body";

/// [`FIELD`]'s value asking for the digest of the request body.
pub const REQUEST_BODY: &str = "request-body";

/// The authority of the host's hashing service (item 4 above).
pub const SERVICE_HOST: &str = "sha256.wkg.invalid";

/// A key from 16 random bytes: 32 lowercase hex digits.
pub fn key(random: [u8; 16]) -> String {
    random.iter().map(|b| format!("{b:02x}")).collect()
}

/// The answer for a body of `bytes` bytes hashing to `digest`.
pub fn answer(key: &str, digest: &Digest, bytes: u64) -> String {
    format!("{key} {digest} {bytes}")
}

/// The digest and byte count of an answer, if it carries `key`.
pub fn parse_answer(value: &str, key: &str) -> Option<(Digest, u64)> {
    let mut parts = value.split(' ');
    let (Some(k), Some(digest), Some(bytes), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if key.len() < 32 || k != key {
        return None;
    }
    Some((digest.parse().ok()?, bytes.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip_with_their_key_only() {
        let key = key([0xab; 16]);
        assert_eq!(key.len(), 32);
        let digest = Digest::sha256_of(b"hello");
        let value = answer(&key, &digest, 5);
        assert_eq!(parse_answer(&value, &key), Some((digest.clone(), 5)));
        let other = super::key([0xcd; 16]);
        assert_eq!(parse_answer(&value, &other), None);
        // A forged answer without the key, or a short key, is ignored.
        assert_eq!(parse_answer(&format!("{digest} 5"), &key), None);
        assert_eq!(parse_answer(&format!(" {digest} 5"), ""), None);
        assert_eq!(parse_answer(&format!("{value} extra"), &key), None);
        assert_eq!(parse_answer(&format!("{key} sha256:zz 5"), &key), None);
        assert_eq!(parse_answer(&format!("{key} {digest} -1"), &key), None);
    }
}
