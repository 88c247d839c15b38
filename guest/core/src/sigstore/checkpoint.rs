//! Rekor checkpoints: a C2SP signed note (<https://c2sp.org/signed-note>)
//! whose text is a C2SP tlog checkpoint (<https://c2sp.org/tlog-checkpoint>),
//! the signed tree head an inclusion proof ends at.
//!
//! ```text
//! rekor.sigstore.dev - 2605736670972794746      origin
//! 23083062                                      tree size
//! dauhleYK4YyAdxwwDtR0l0KnSOWZdG2bwqHftlanvcI=  root hash
//! Timestamp: 1689177396617352539                extension lines
//!                                               blank line
//! — rekor.sigstore.dev wNI9ajBFAiBxaGyE…        signatures: name, base64(key hint || signature)
//! ```
//!
//! Which signature is the log's: the one whose name is the log's (the host
//! of its base URL; both Rekor v1 and v2 sign under it) and whose 4-byte
//! key hint is the log key's ([`key_hints`]): the first four bytes of
//! SHA-256 of the key's DER `SubjectPublicKeyInfo` for Rekor v1 (any key)
//! and for ECDSA keys of Rekor v2 (the C2SP ECDSA signature type 0x02
//! rule); for an Ed25519 key of Rekor v2, the C2SP rule
//! `SHA-256(name || 0x0A || 0x01 || key)[:4]`; for an RSA key of Rekor v2,
//! the same with the type `0xff || "PKIX-RSA-PKCS#1v1.5"` and the DER key.
//! Signatures by other keys (witness cosignatures, a rotated key) are
//! ignored, as the signed-note spec requires.

use sha2::{Digest as _, Sha256};

use super::Error;
use super::crypto::VerifyingKey;
use super::merkle::hex;
use super::trust::Log;

/// The body of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity (Rekor v1: `<host> - <tree id>`; Rekor v2: the
    /// host).
    pub origin: String,
    /// The number of entries in the tree.
    pub size: u64,
    /// The RFC 6962 root hash of the tree (32 bytes).
    pub root_hash: Vec<u8>,
    /// The extension lines (Rekor v1: `Timestamp: …`), non-empty.
    pub extensions: Vec<String>,
}

/// A signature line of a signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key ID, the first four bytes of the line's base64.
    pub key_hint: [u8; 4],
    /// The signature, the rest.
    pub signature: Vec<u8>,
}

/// At most this many signature lines (the spec asks for at least 16; Go's
/// `sumdb/note` accepts 100).
pub const MAX_SIGNATURES: usize = 100;

fn malformed(reason: impl Into<String>) -> Error {
    Error::Malformed {
        what: "checkpoint",
        reason: reason.into(),
    }
}

/// Whether `name` is a valid key name: non-empty, no Unicode spaces, no
/// `+`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

fn parse_signature(line: &str) -> Result<NoteSignature, Error> {
    let rest = line.strip_prefix("\u{2014} ").ok_or_else(|| {
        malformed(format!(
            "signature line `{line}` does not start with an em dash (U+2014) and a space"
        ))
    })?;
    let (name, encoded) = rest.split_once(' ').ok_or_else(|| {
        malformed(format!(
            "signature line `{line}` is not `— <name> <base64>`"
        ))
    })?;
    if !valid_name(name) {
        return Err(malformed(format!(
            "signature line `{line}` has an invalid key name (empty, or with spaces or `+`)"
        )));
    }
    let bytes = super::base64("checkpoint signature", encoded)?;
    if bytes.len() < 5 {
        return Err(malformed(format!(
            "the signature of `{name}` has {} bytes, fewer than a key hint and a signature",
            bytes.len()
        )));
    }
    let mut key_hint = [0; 4];
    key_hint.copy_from_slice(&bytes[..4]);
    Ok(NoteSignature {
        name: name.to_owned(),
        key_hint,
        signature: bytes[4..].to_vec(),
    })
}

fn parse_size(line: &str) -> Result<u64, Error> {
    let decimal = !line.is_empty()
        && line.bytes().all(|b| b.is_ascii_digit())
        && (line == "0" || !line.starts_with('0'));
    if !decimal {
        return Err(malformed(format!(
            "the second line, the tree size, is `{line}`, not a decimal number without \
             leading zeroes"
        )));
    }
    line.parse()
        .map_err(|_| malformed(format!("the tree size {line} does not fit in 64 bits")))
}

fn parse_body(text: &str) -> Result<Checkpoint, Error> {
    // `text` ends in the newline the split left it.
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<&str> = body.split('\n').collect();
    if let Some(at) = lines.iter().position(|l| l.is_empty()) {
        return Err(malformed(match at {
            0 => "the first line, the origin, is empty".to_owned(),
            n => format!("line {} of the checkpoint text is empty", n + 1),
        }));
    }
    let [origin, size, root, extensions @ ..] = lines.as_slice() else {
        return Err(malformed(format!(
            "the text has {} lines, not the 3 of an origin, a tree size and a root hash",
            lines.len()
        )));
    };
    let size = parse_size(size)?;
    let root_hash = super::base64("checkpoint root hash", root)?;
    if root_hash.len() != 32 {
        return Err(malformed(format!(
            "the root hash has {} bytes, not the 32 of SHA-256",
            root_hash.len()
        )));
    }
    Ok(Checkpoint {
        origin: (*origin).to_owned(),
        size,
        root_hash,
        extensions: extensions.iter().map(|l| (*l).to_owned()).collect(),
    })
}

/// Parses a signed checkpoint: the checkpoint, the signed text (its body
/// through the final newline) and the signature lines, in order. Nothing
/// is verified.
///
/// # Errors
/// [`Error::Malformed`] for control characters other than newline, no
/// blank line before the signatures, no signature line or one of another
/// form (em dash, space, key name without spaces or `+`, space, base64 of
/// a key hint and a signature), more than [`MAX_SIGNATURES`]; a text that
/// is not an origin, a decimal tree size (no leading zeroes), a base64
/// 32-byte root hash and non-empty extension lines.
pub fn parse(envelope: &str) -> Result<(Checkpoint, String, Vec<NoteSignature>), Error> {
    if let Some(c) = envelope.chars().find(|&c| c < ' ' && c != '\n') {
        return Err(malformed(format!(
            "it holds the control character U+{:04X}",
            u32::from(c)
        )));
    }
    // The text is separated from the signatures by the last blank line.
    let split = envelope
        .rfind("\n\n")
        .ok_or_else(|| malformed("no blank line separates the text from the signatures"))?;
    let (text, signatures) = (&envelope[..=split], &envelope[split + 2..]);
    let Some(signatures) = signatures.strip_suffix('\n') else {
        return Err(malformed(if signatures.is_empty() {
            "it has no signature line"
        } else {
            "its last signature line does not end in a newline"
        }));
    };
    let signatures = signatures
        .split('\n')
        .map(parse_signature)
        .collect::<Result<Vec<_>, _>>()?;
    if signatures.len() > MAX_SIGNATURES {
        return Err(malformed(format!(
            "it has {} signature lines, more than {MAX_SIGNATURES}",
            signatures.len()
        )));
    }
    let checkpoint = parse_body(text)?;
    Ok((checkpoint, text.to_owned(), signatures))
}

/// The host of a URL (`https://rekor.sigstore.dev/` → `rekor.sigstore.dev`),
/// without user, port or brackets.
/// `host[:port]` of a URL.
fn authority(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    (!authority.is_empty()).then_some(authority)
}

fn host(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or(v6, |(h, _)| h),
        None => authority.split(':').next().unwrap_or_default(),
    };
    (!host.is_empty()).then_some(host)
}

/// The name the log signs its checkpoints under: the host of its base URL
/// (Rekor v1 signs as `rekor.sigstore.dev` a checkpoint of origin
/// `rekor.sigstore.dev - 2605736670972794746`; Rekor v2's origin is the
/// host itself). For a log without a base URL, the origin's (without
/// Rekor v1's ` - <tree id>`), so that only the key hint and the
/// signature decide.
pub fn signer_name(log: &Log, origin: &str) -> String {
    if let Some(h) = host(&log.base_url) {
        return h.to_owned();
    }
    match origin.rsplit_once(" - ") {
        Some((h, tree)) if !tree.is_empty() && tree.bytes().all(|b| b.is_ascii_digit()) => {
            h.to_owned()
        }
        _ => origin.to_owned(),
    }
}

fn first4(digest: &[u8]) -> [u8; 4] {
    let mut hint = [0; 4];
    hint.copy_from_slice(&digest[..4]);
    hint
}

/// `SHA-256(name || 0x0A || signature type || key)[:4]`, the key ID the
/// signed-note spec recommends.
fn conformant_hint(name: &str, signature_type: &[u8], key: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(signature_type);
    h.update(key);
    first4(&h.finalize())
}

/// The key hints a signature by `log` under `name` may carry: the first
/// four bytes of SHA-256 of the key's DER `SubjectPublicKeyInfo` (Rekor
/// v1, every key; Rekor v2, ECDSA), and for Rekor v2's Ed25519 and RSA
/// keys the signed-note key ID (type 0x01 and the raw key; type 0xff,
/// `PKIX-RSA-PKCS#1v1.5` and the DER key).
pub fn key_hints(log: &Log, name: &str) -> Vec<[u8; 4]> {
    let mut hints = vec![first4(&Sha256::digest(&log.key_der))];
    match &log.key {
        VerifyingKey::Ed25519(key) => hints.push(conformant_hint(name, &[0x01], key.as_bytes())),
        VerifyingKey::Rsa(_) => hints.push(conformant_hint(
            name,
            b"\xffPKIX-RSA-PKCS#1v1.5",
            &log.key_der,
        )),
        VerifyingKey::P256(_) | VerifyingKey::P384(_) => {}
    }
    hints
}

/// Verifies a signed checkpoint of `log` and that it is the tree head an
/// inclusion proof ends at: every signature by the log's key (its name
/// and key hint) must verify over the signed text, and there must be one;
/// the others are ignored. The log key's default hash applies (ECDSA: a
/// DER signature over SHA-256 for P-256; Ed25519: over the text itself).
/// Then the checkpoint's tree size and root hash must be `tree_size` and
/// `root_hash`.
///
/// # Errors
/// [`Error::Malformed`] as [`parse`]; [`Error::Rejected`] for no
/// signature by the log, one that does not verify, or another tree.
pub fn verify(
    envelope: &str,
    log: &Log,
    root_hash: &[u8],
    tree_size: u64,
) -> Result<Checkpoint, Error> {
    let (checkpoint, text, signatures) = parse(envelope)?;
    let name = signer_name(log, &checkpoint.origin);
    // A base URL with a port: some logs sign with the port, some without.
    let with_port = authority(&log.base_url).filter(|a| *a != name);
    let hints = key_hints(log, &name);
    let mut verified = 0;
    for sig in &signatures {
        let ours = if sig.name == name {
            hints.contains(&sig.key_hint)
        } else {
            with_port == Some(sig.name.as_str())
                && key_hints(log, &sig.name).contains(&sig.key_hint)
        };
        if !ours {
            continue;
        }
        log.key
            .verify(text.as_bytes(), &sig.signature, log.key.default_hash())
            .map_err(|e| {
                Error::Rejected(format!(
                    "the checkpoint signature of `{name}` (key hint {}) does not verify with \
                     the key of the transparency log {}: {e}",
                    hex(&sig.key_hint),
                    log.base_url
                ))
            })?;
        verified += 1;
    }
    if verified == 0 {
        let found: Vec<String> = signatures
            .iter()
            .map(|s| format!("`{}` (key hint {})", s.name, hex(&s.key_hint)))
            .collect();
        return Err(Error::Rejected(format!(
            "the checkpoint has no signature by the transparency log {} (`{name}`, key hint {}), \
             only by {}",
            log.base_url,
            hints
                .iter()
                .map(|h| hex(h))
                .collect::<Vec<_>>()
                .join(" or "),
            found.join(", ")
        )));
    }
    if checkpoint.size != tree_size {
        return Err(Error::Rejected(format!(
            "the checkpoint is of a tree of {} entries, the inclusion proof of one of {tree_size}",
            checkpoint.size
        )));
    }
    if checkpoint.root_hash != root_hash {
        return Err(Error::Rejected(format!(
            "the checkpoint's root hash is {}, the inclusion proof's {}",
            hex(&checkpoint.root_hash),
            hex(root_hash)
        )));
    }
    Ok(checkpoint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigstore::merkle;
    use base64::Engine as _;
    use signature::Signer as _;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    const ROOT: [u8; 32] = [0xab; 32];

    fn body(origin: &str, size: u64, extensions: &[&str]) -> String {
        let mut text = format!("{origin}\n{size}\n{}\n", b64(&ROOT));
        for e in extensions {
            text.push_str(e);
            text.push('\n');
        }
        text
    }

    /// A signed note of `text` with lines `(name, hint, signature)`.
    fn note(text: &str, lines: &[(&str, [u8; 4], Vec<u8>)]) -> String {
        let mut out = format!("{text}\n");
        for (name, hint, sig) in lines {
            out.push_str(&format!(
                "\u{2014} {name} {}\n",
                b64(&[&hint[..], sig].concat())
            ));
        }
        out
    }

    fn log(key_der: Vec<u8>, base_url: &str) -> Log {
        Log {
            base_url: base_url.to_owned(),
            id: Sha256::digest(&key_der).to_vec(),
            key: VerifyingKey::from_spki_der(&key_der).unwrap(),
            key_der,
            window: Default::default(),
        }
    }

    fn ed25519(seed: u8, base_url: &str) -> (ed25519_dalek::SigningKey, Log) {
        let signer = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        // SubjectPublicKeyInfo of id-Ed25519 (RFC 8410).
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(signer.verifying_key().as_bytes());
        (signer, log(der, base_url))
    }

    fn p256(seed: u8, base_url: &str) -> (p256::ecdsa::SigningKey, Log) {
        let signer = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
        // SubjectPublicKeyInfo of id-ecPublicKey, prime256v1.
        let mut der = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        der.extend_from_slice(signer.verifying_key().to_encoded_point(false).as_bytes());
        (signer, log(der, base_url))
    }

    fn rejected(result: Result<Checkpoint, Error>) -> String {
        match result {
            Err(Error::Rejected(message)) => message,
            other => panic!("not rejected: {other:?}"),
        }
    }

    #[test]
    fn parses_a_rekor_v1_checkpoint() {
        let envelope = "rekor.sigstore.dev - 2605736670972794746\n23083062\n\
            dauhleYK4YyAdxwwDtR0l0KnSOWZdG2bwqHftlanvcI=\nTimestamp: 1689177396617352539\n\n\
            \u{2014} rekor.sigstore.dev wNI9ajBFAiBxaGyEtxkzFLkaCSEJqFuSS3dJjEZCNiyByVs1CNVQ8gIhAOoNnXtmMtTctV2oRnSRUZAo4EWUYPK/vBsqOzAU6TMs\n";
        let (checkpoint, text, signatures) = parse(envelope).unwrap();
        assert_eq!(
            checkpoint.origin,
            "rekor.sigstore.dev - 2605736670972794746"
        );
        assert_eq!(checkpoint.size, 23_083_062);
        assert_eq!(
            hex(&checkpoint.root_hash),
            "75aba195e60ae18c80771c300ed4749742a748e599746d9bc2a1dfb656a7bdc2"
        );
        assert_eq!(checkpoint.extensions, ["Timestamp: 1689177396617352539"]);
        assert_eq!(
            text,
            "rekor.sigstore.dev - 2605736670972794746\n23083062\n\
             dauhleYK4YyAdxwwDtR0l0KnSOWZdG2bwqHftlanvcI=\nTimestamp: 1689177396617352539\n"
        );
        assert_eq!(signatures.len(), 1);
        assert_eq!(signatures[0].name, "rekor.sigstore.dev");
        assert_eq!(signatures[0].key_hint, [0xc0, 0xd2, 0x3d, 0x6a]);
        assert_eq!(signatures[0].signature[0], 0x30); // DER
    }

    #[test]
    fn refuses_malformed_notes() {
        let text = body("log.example", 5, &[]);
        let sig = note(&text, &[("log.example", [1, 2, 3, 4], vec![9; 64])]);
        let sig_line = &sig[text.len() + 1..];
        let many = format!("{text}\n{}", sig_line.repeat(MAX_SIGNATURES + 1));
        let h = b64(&ROOT);
        let cases: Vec<(&str, String)> = vec![
            ("no blank line", format!("{text}{sig_line}")),
            ("no signature", format!("{text}\n")),
            ("no final newline", sig.trim_end_matches('\n').to_owned()),
            (
                "hyphen for em dash",
                format!("{text}\n- log.example {}\n", b64(&[1; 40])),
            ),
            (
                "no space after the dash",
                format!("{text}\n\u{2014}log.example {}\n", b64(&[1; 40])),
            ),
            ("no name", format!("{text}\n\u{2014}  {}\n", b64(&[1; 40]))),
            (
                "plus in the name",
                format!("{text}\n\u{2014} log+x {}\n", b64(&[1; 40])),
            ),
            (
                "a third field",
                format!("{text}\n\u{2014} log.example {} x\n", b64(&[1; 40])),
            ),
            (
                "bad base64",
                format!("{text}\n\u{2014} log.example AAAA*AAA\n"),
            ),
            (
                "unpadded base64",
                format!("{text}\n\u{2014} log.example AAAAAAA\n"),
            ),
            (
                "a key hint only",
                format!("{text}\n\u{2014} log.example {}\n", b64(&[1; 4])),
            ),
            ("an empty signature line", format!("{text}\n\n{sig_line}")),
            ("carriage return", sig.replace("5\n", "5\r\n")),
            ("tab", sig.replace("log.example\n", "log.example\t\n")),
            ("too many signatures", many),
            (
                "no origin",
                note(&format!("5\n{h}\n"), &[("log.example", [1; 4], vec![1; 8])]),
            ),
            (
                "empty origin",
                note(&format!("\n5\n{h}\n"), &[("l", [1; 4], vec![1; 8])]),
            ),
            (
                "no size",
                note(&format!("log.example\n{h}\n"), &[("l", [1; 4], vec![1; 8])]),
            ),
            (
                "no root hash",
                note("log.example\n5\n", &[("l", [1; 4], vec![1; 8])]),
            ),
            (
                "size 05",
                note(&format!("o\n05\n{h}\n"), &[("l", [1; 4], vec![1; 8])]),
            ),
            (
                "size +5",
                note(&format!("o\n+5\n{h}\n"), &[("l", [1; 4], vec![1; 8])]),
            ),
            (
                "size -1",
                note(&format!("o\n-1\n{h}\n"), &[("l", [1; 4], vec![1; 8])]),
            ),
            (
                "size 5 ",
                note(&format!("o\n5 \n{h}\n"), &[("l", [1; 4], vec![1; 8])]),
            ),
            (
                "size 2^64",
                note(
                    &format!("o\n18446744073709551616\n{h}\n"),
                    &[("l", [1; 4], vec![1; 8])],
                ),
            ),
            (
                "root hash of 31 bytes",
                note(
                    &format!("o\n5\n{}\n", b64(&[1; 31])),
                    &[("l", [1; 4], vec![1; 8])],
                ),
            ),
            (
                "root hash not base64",
                note("o\n5\nnot-base64!\n", &[("l", [1; 4], vec![1; 8])]),
            ),
            (
                "empty extension line",
                note(&format!("o\n5\n{h}\n\next\n"), &[("l", [1; 4], vec![1; 8])]),
            ),
        ];
        for (name, envelope) in cases {
            assert!(
                matches!(
                    parse(&envelope),
                    Err(Error::Malformed {
                        what: "checkpoint" | "checkpoint signature" | "checkpoint root hash",
                        ..
                    })
                ),
                "{name}: {:?}",
                parse(&envelope)
            );
        }
        // The boundaries: size 0, a 16-signature note.
        let zero = note(&format!("o\n0\n{h}\n"), &[("l", [1; 4], vec![1; 8])]);
        assert_eq!(parse(&zero).unwrap().0.size, 0);
        let sixteen = format!("{text}\n{}", sig_line.repeat(16));
        assert_eq!(parse(&sixteen).unwrap().2.len(), 16);
    }

    #[test]
    fn verifies_an_ed25519_rekor_v2_checkpoint() {
        let (signer, log) = ed25519(1, "https://log2025-1.rekor.example.dev");
        let (witness, _) = ed25519(2, "https://witness.example");
        let name = "log2025-1.rekor.example.dev";
        let hint = conformant_hint(name, &[1], signer.verifying_key().as_bytes());
        assert!(key_hints(&log, name).contains(&hint));
        let text = body(name, 7, &[]);
        let good = signer.sign(text.as_bytes()).to_bytes().to_vec();
        let cosig = witness.sign(text.as_bytes()).to_bytes().to_vec();
        let ok = |lines: &[(&str, [u8; 4], Vec<u8>)]| verify(&note(&text, lines), &log, &ROOT, 7);

        let expected = Checkpoint {
            origin: name.to_owned(),
            size: 7,
            root_hash: ROOT.to_vec(),
            extensions: vec![],
        };
        assert_eq!(ok(&[(name, hint, good.clone())]), Ok(expected.clone()));
        // Cosignatures before and after, an unknown key of the same name,
        // the log's key hint under another name: all ignored.
        assert_eq!(
            ok(&[
                ("witness.example", [9; 4], cosig.clone()),
                (name, [1, 2, 3, 4], cosig.clone()),
                ("other.example", hint, cosig.clone()),
                (name, hint, good.clone()),
            ]),
            Ok(expected)
        );
        // Only others.
        let message = rejected(ok(&[
            ("witness.example", [9; 4], cosig.clone()),
            ("log2025-1.rekor.other.dev", hint, good.clone()),
        ]));
        assert!(
            message.starts_with("the checkpoint has no signature by the transparency log"),
            "{message}"
        );
        // A signature by the log's name and hint that does not verify
        // rejects the note, even beside one that does.
        let mut bad = good.clone();
        bad[3] ^= 1;
        for lines in [
            vec![(name, hint, bad.clone())],
            vec![(name, hint, good.clone()), (name, hint, bad)],
        ] {
            let message = rejected(ok(&lines));
            assert!(message.contains("does not verify"), "{message}");
        }
        // Another tree.
        let envelope = note(&text, &[(name, hint, good)]);
        assert_eq!(
            rejected(verify(&envelope, &log, &ROOT, 8)),
            "the checkpoint is of a tree of 7 entries, the inclusion proof of one of 8"
        );
        assert_eq!(
            rejected(verify(&envelope, &log, &[0xcd; 32], 7)),
            format!(
                "the checkpoint's root hash is {}, the inclusion proof's {}",
                hex(&ROOT),
                hex(&[0xcd; 32])
            )
        );
    }

    #[test]
    fn verifies_a_p256_rekor_v1_checkpoint() {
        let (signer, log) = p256(3, "https://rekor.example.dev/");
        let hint = first4(&Sha256::digest(&log.key_der));
        assert_eq!(key_hints(&log, "rekor.example.dev"), [hint]);
        let text = body(
            "rekor.example.dev - 1193050959916656506",
            12,
            &["Timestamp: 1"],
        );
        let sig: p256::ecdsa::Signature = signer.sign(text.as_bytes());
        let der = sig.to_der().as_bytes().to_vec();
        let envelope = note(&text, &[("rekor.example.dev", hint, der.clone())]);
        let checkpoint = verify(&envelope, &log, &ROOT, 12).unwrap();
        assert_eq!(checkpoint.extensions, ["Timestamp: 1"]);
        // A log without a base URL: the name from the origin.
        let mut bare = log.clone();
        bare.base_url = String::new();
        assert_eq!(verify(&envelope, &bare, &ROOT, 12), Ok(checkpoint));
        // The signature over other text.
        let other = note(
            &body("rekor.example.dev - 1193050959916656506", 12, &[]),
            &[("rekor.example.dev", hint, der)],
        );
        assert!(rejected(verify(&other, &log, &ROOT, 12)).contains("does not verify"));
    }

    #[test]
    fn hosts_of_base_urls() {
        for (url, want) in [
            ("https://rekor.sigstore.dev", Some("rekor.sigstore.dev")),
            (
                "https://log2025-1.rekor.sigstore.dev/",
                Some("log2025-1.rekor.sigstore.dev"),
            ),
            ("http://u:p@example.com:8080/x?y", Some("example.com")),
            ("https://[::1]:3000", Some("::1")),
            ("example.com/log", Some("example.com")),
            ("", None),
            ("https://", None),
        ] {
            assert_eq!(host(url), want, "{url}");
        }
    }

    /// What the modules decide of a conformance case's entry.
    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    enum Verdict {
        Ok,
        Malformed,
        Rejected,
        /// No checkpoint in the entry.
        Absent,
    }

    fn verdict<T>(result: &Result<T, Error>) -> Verdict {
        match result {
            Ok(_) => Verdict::Ok,
            Err(Error::Malformed { .. }) => Verdict::Malformed,
            Err(Error::Rejected(_)) => Verdict::Rejected,
        }
    }

    #[test]
    fn sigstore_conformance_cases() {
        use crate::sigstore::bundle::Bundle;
        use crate::sigstore::trust::TrustedRoot;
        use Verdict::*;
        const ASSETS: &str = "/work/shared/sigstore-conformance/assets";
        let dir = std::path::Path::new(ASSETS).join("bundle-verify");
        if !dir.is_dir() {
            eprintln!("skipped: no Sigstore conformance assets at {ASSETS}");
            return;
        }
        // (case, the inclusion proof, the checkpoint).
        let cases = [
            ("happy-path-v0.1", Ok, Ok),
            ("happy-path-v0.2", Ok, Ok),
            ("happy-path-v0.3", Ok, Ok),
            ("rekor2-happy-path", Ok, Ok),
            ("rekor2-checkpoint-cosigned", Ok, Ok),
            ("rekor2-checkpoint-multiple-cosigs", Ok, Ok),
            ("rekor2-checkpoint-origin-not-first", Ok, Ok),
            ("rekor2-checkpoint-two-sigs-cosigned", Ok, Ok),
            ("rekor2-checkpoint-two-sigs-from-origin", Ok, Ok),
            (
                "rekor2-checkpoint-missing-log-signature_fail",
                Ok,
                Malformed,
            ),
            ("rekor2-checkpoint-missing-origin_fail", Ok, Malformed),
            ("rekor2-checkpoint-missing-root-hash_fail", Ok, Malformed),
            ("rekor2-checkpoint-missing-size_fail", Ok, Malformed),
            ("rekor2-checkpoint-no-matching-signature_fail", Ok, Rejected),
            ("checkpoint-bad-keyhint_fail", Ok, Rejected),
            ("checkpoint-wrong-roothash_fail", Ok, Rejected),
            ("invalid-checkpoint-signature_fail", Ok, Rejected),
            ("inclusion-proof-corrupted-hash_fail", Rejected, Ok),
            ("invalid-inclusion-proof_fail", Rejected, Absent),
        ];
        let production = std::fs::read(format!("{ASSETS}/trusted_root.production.json")).unwrap();
        for (case, want_proof, want_checkpoint) in cases {
            let case_dir = dir.join(case);
            let bundle =
                Bundle::from_json(&std::fs::read(case_dir.join("bundle.sigstore.json")).unwrap())
                    .unwrap_or_else(|e| panic!("{case}: {e}"));
            let root = match std::fs::read(case_dir.join("trusted_root.json")) {
                Result::Ok(bytes) => TrustedRoot::from_json(&bytes),
                Err(_) => TrustedRoot::from_json(&production),
            }
            .unwrap_or_else(|e| panic!("{case}: {e}"));
            let entries = &bundle.verification_material.tlog_entries;
            assert!(!entries.is_empty(), "{case}");
            for entry in entries {
                let id = crate::sigstore::base64("log id", &entry.log_id.key_id).unwrap();
                let log = root.tlog(&id).unwrap_or_else(|| panic!("{case}: no log"));
                let proof = entry
                    .inclusion_proof
                    .as_ref()
                    .unwrap_or_else(|| panic!("{case}: no proof"));
                let hash32 = |text: &str| -> [u8; 32] {
                    crate::sigstore::base64("hash", text)
                        .unwrap()
                        .try_into()
                        .unwrap()
                };
                let leaf = merkle::leaf_hash(
                    &crate::sigstore::base64("body", &entry.canonicalized_body).unwrap(),
                );
                let hashes: Vec<[u8; 32]> = proof.hashes.iter().map(|h| hash32(h)).collect();
                let root_hash = hash32(&proof.root_hash);
                let index: u64 = proof.log_index.parse().unwrap();
                let size: u64 = proof.tree_size.parse().unwrap();
                let inclusion = merkle::verify_inclusion(&leaf, index, size, &hashes, &root_hash);
                let checkpoint = proof
                    .checkpoint
                    .as_ref()
                    .map(|c| verify(&c.envelope, log, &root_hash, size));
                let outcome =
                    |r: Result<(), &Error>| r.map_or_else(|e| e.to_string(), |()| "ok".into());
                eprintln!(
                    "{case}: inclusion proof: {}; checkpoint: {}",
                    outcome(inclusion.as_ref().copied()),
                    checkpoint
                        .as_ref()
                        .map_or("absent".into(), |c| outcome(c.as_ref().map(|_| ())))
                );
                assert_eq!(verdict(&inclusion), want_proof, "{case}: {inclusion:?}");
                let got = checkpoint.as_ref().map_or(Absent, verdict);
                assert_eq!(got, want_checkpoint, "{case}: {checkpoint:?}");
            }
        }
    }
}
