//! SCRAM-SHA-256 key derivation (RFC 5802 §3) and the fake credentials of unknown users.

use std::fmt;
use std::sync::OnceLock;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::credentials::{ScramCredentials, Secret};

/// The iteration count [`generate_credentials`] uses: RFC 7677 §4's minimum for SCRAM-SHA-256.
pub const MIN_ITERATIONS: u32 = 4096;

/// The salt length [`generate_credentials`] uses, in bytes.
pub const SALT_LEN: usize = 16;

/// Length of a SHA-256 output, and so of every SCRAM-SHA-256 key, proof and signature.
pub(super) const KEY_LEN: usize = 32;

/// SHA-256's block size: HMAC keys are padded (or hashed) to it.
const BLOCK_LEN: usize = 64;

type HmacSha256 = Hmac<Sha256>;

/// The operating system could not supply random bytes (for a salt or a nonce).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandomnessUnavailable;

impl fmt::Display for RandomnessUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the operating system could not supply random bytes; try again later")
    }
}

impl std::error::Error for RandomnessUnavailable {}

/// Derives the SCRAM-SHA-256 credentials to store for a password (RFC 5802 §3):
/// `SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations)`,
/// `StoredKey = SHA-256(HMAC(SaltedPassword, "Client Key"))`,
/// `ServerKey = HMAC(SaltedPassword, "Server Key")`. The password is not kept.
///
/// An iteration count of 0 is treated as 1 (PBKDF2 needs at least one round).
pub fn derive_credentials(password: &[u8], salt: &[u8], iterations: u32) -> ScramCredentials {
    let iterations = iterations.max(1);
    let mut salted = Zeroizing::new([0u8; KEY_LEN]);
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut salted[..]);
    let client_key = Zeroizing::new(hmac_sha256(&salted[..], &[b"Client Key"]));
    let stored_key = sha256(&client_key[..]);
    let server_key = hmac_sha256(&salted[..], &[b"Server Key"]);
    ScramCredentials {
        salt: salt.to_vec(),
        iterations,
        stored_key: Secret::new(stored_key),
        server_key: Secret::new(server_key),
    }
}

/// [`derive_credentials`] with a fresh random 16-byte salt and [`MIN_ITERATIONS`] (4096).
///
/// ```
/// let stored = smtp_auth::scram::generate_credentials(b"pencil").unwrap();
/// assert_eq!((stored.salt.len(), stored.iterations), (16, 4096));
/// ```
pub fn generate_credentials(password: &[u8]) -> Result<ScramCredentials, RandomnessUnavailable> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|_| RandomnessUnavailable)?;
    Ok(derive_credentials(password, &salt, MIN_ITERATIONS))
}

/// HMAC-SHA-256 of the concatenated `parts` under `key`.
pub(super) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; KEY_LEN] {
    let block = block_key(key);
    let mut mac =
        <HmacSha256 as KeyInit>::new(hmac::digest::Key::<HmacSha256>::from_slice(&block[..]));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// SHA-256 of `data`.
pub(super) fn sha256(data: &[u8]) -> [u8; KEY_LEN] {
    Sha256::digest(data).into()
}

/// Constant-time equality of two byte strings (the time depends only on the lengths).
pub(super) fn ct_eq(a: &[u8], b: &[u8]) -> subtle::Choice {
    a.ct_eq(b)
}

/// The HMAC key block: the key zero-padded to the block size, or its SHA-256 when longer
/// (RFC 2104 §2). Equivalent to keying HMAC with the key itself, without a fallible call.
fn block_key(key: &[u8]) -> Zeroizing<[u8; BLOCK_LEN]> {
    let mut block = Zeroizing::new([0u8; BLOCK_LEN]);
    if key.len() > BLOCK_LEN {
        let hashed = Zeroizing::new(sha256(key));
        block.iter_mut().zip(hashed.iter()).for_each(|(slot, byte)| *slot = *byte);
    } else {
        block.iter_mut().zip(key).for_each(|(slot, byte)| *slot = *byte);
    }
    block
}

/// The per-process key that fake credentials are derived from.
static FAKE_KEY: OnceLock<Zeroizing<[u8; KEY_LEN]>> = OnceLock::new();

fn fake_key() -> Result<&'static [u8; KEY_LEN], RandomnessUnavailable> {
    if let Some(key) = FAKE_KEY.get() {
        return Ok(key);
    }
    let mut fresh = Zeroizing::new([0u8; KEY_LEN]);
    getrandom::fill(&mut fresh[..]).map_err(|_| RandomnessUnavailable)?;
    Ok(FAKE_KEY.get_or_init(|| fresh))
}

/// Credentials for a user the authenticator does not know: derived from the login and a
/// per-process random key, so an unknown user always gets the same salt (as a real user does)
/// and the exchange runs to the proof, which fails.
pub(super) fn fake_credentials(login: &str) -> Result<ScramCredentials, RandomnessUnavailable> {
    let key = fake_key()?;
    let salt = hmac_sha256(key, &[b"salt\0", login.as_bytes()]);
    Ok(ScramCredentials {
        salt: salt.iter().take(SALT_LEN).copied().collect(),
        iterations: MIN_ITERATIONS,
        stored_key: Secret::new(hmac_sha256(key, &[b"stored-key\0", login.as_bytes()])),
        server_key: Secret::new(hmac_sha256(key, &[b"server-key\0", login.as_bytes()])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // RFC 4231 test cases 2 (short key) and 6 (131-byte key, hashed first).
        let cases: [(&[u8], &[u8], &str); 2] = [
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
        ];
        for (key, data, expected) in cases {
            assert_eq!(hex(&hmac_sha256(key, &[data])), expected);
            let (head, tail) = data.split_at(7);
            assert_eq!(hex(&hmac_sha256(key, &[head, tail])), expected, "parts concatenate");
        }
    }

    #[test]
    fn derivation_follows_rfc_5802() {
        let salt = b"0123456789abcdef";
        let stored = derive_credentials(b"pencil", salt, 4096);
        let mut salted = [0u8; KEY_LEN];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"pencil", salt, 4096, &mut salted);
        let client_key = hmac_sha256(&salted, &[b"Client Key"]);
        assert_eq!(stored.stored_key.expose(), sha256(&client_key));
        assert_eq!(stored.server_key.expose(), hmac_sha256(&salted, &[b"Server Key"]));
        assert_eq!((stored.salt.as_slice(), stored.iterations), (salt.as_slice(), 4096));
        let other = derive_credentials(b"pencil", salt, 4097);
        assert_ne!(other.stored_key.expose(), stored.stored_key.expose());
        assert_eq!(derive_credentials(b"pencil", salt, 0).iterations, 1);
    }

    #[test]
    fn generated_salts_differ() {
        let first = generate_credentials(b"pencil").unwrap();
        let second = generate_credentials(b"pencil").unwrap();
        assert_eq!((first.salt.len(), first.iterations), (SALT_LEN, MIN_ITERATIONS));
        assert_ne!(first.salt, second.salt);
    }

    #[test]
    fn fake_credentials_are_stable_per_user_and_differ_between_users() {
        let alice = fake_credentials("alice").unwrap();
        let again = fake_credentials("alice").unwrap();
        let bob = fake_credentials("bob").unwrap();
        assert_eq!(alice.salt, again.salt);
        assert_eq!(alice.stored_key.expose(), again.stored_key.expose());
        assert_ne!(alice.salt, bob.salt);
        assert_eq!((alice.salt.len(), alice.iterations), (SALT_LEN, MIN_ITERATIONS));
    }
}
