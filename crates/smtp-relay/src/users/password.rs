//! Password hashing with argon2id, stored as PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use smtp_auth::Secret;

/// The argon2id cost parameters for new hashes. Existing hashes keep the parameters written in
/// their PHC string. The default is the crate's (m = 19456 KiB, t = 2, p = 1: the OWASP minimum).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        Self {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
        }
    }
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The parameters are out of argon2's range.
    #[error("invalid argon2 parameters: {0}")]
    Params(argon2::Error),
    /// The system gave no random salt.
    #[error("no random salt available: {0}")]
    Random(getrandom::Error),
    /// Hashing failed.
    #[error("hashing failed: {0}")]
    Hash(argon2::password_hash::Error),
}

/// An argon2id hasher with fixed parameters.
#[derive(Clone, Debug)]
pub(crate) struct Hasher {
    argon2: Argon2<'static>,
    /// How many argon2 verifications ran (tests check that unknown users cost one too).
    #[cfg(test)]
    pub(crate) verifications: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Hasher {
    pub(crate) fn new(params: HashParams) -> Result<Self, HashError> {
        let params = Params::new(params.memory_kib, params.iterations, params.parallelism, None)
            .map_err(HashError::Params)?;
        Ok(Self {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            #[cfg(test)]
            verifications: Default::default(),
        })
    }

    /// A PHC string for `password` with a fresh 16-byte random salt.
    pub(crate) fn hash(&self, password: &Secret) -> Result<String, HashError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(HashError::Random)?;
        let salt = SaltString::encode_b64(&salt).map_err(HashError::Hash)?;
        let hash = self.argon2.hash_password(password.expose(), &salt).map_err(HashError::Hash)?;
        Ok(hash.to_string())
    }

    /// Whether `password` matches the PHC string `stored`. A malformed stored hash matches
    /// nothing. Only argon2 hashes are accepted (the algorithm comes from the string).
    pub(crate) fn verify(&self, stored: &str, password: &Secret) -> bool {
        match PasswordHash::new(stored) {
            Ok(hash) => {
                #[cfg(test)]
                self.verifications.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.argon2.verify_password(password.expose(), &hash).is_ok()
            }
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const FAST: HashParams =
        HashParams { memory_kib: 64, iterations: 1, parallelism: 1 };

    #[test]
    fn hashes_are_salted_phc_argon2id_and_verify_only_the_password() {
        let hasher = Hasher::new(FAST).unwrap();
        let password = Secret::from("correct horse");
        let first = hasher.hash(&password).unwrap();
        let second = hasher.hash(&password).unwrap();
        assert!(first.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{first}");
        assert_ne!(first, second, "a fresh salt each time");
        assert!(!first.contains("correct horse"));
        assert!(hasher.verify(&first, &password));
        assert!(hasher.verify(&second, &password));
        assert!(!hasher.verify(&first, &Secret::from("correct horsE")));
        assert!(!hasher.verify(&first, &Secret::from("")));
        assert!(!hasher.verify("not a phc string", &password));
        // A hash made with other parameters still verifies (they are read from the string).
        let other = Hasher::new(HashParams { memory_kib: 128, ..FAST }).unwrap();
        assert!(hasher.verify(&other.hash(&password).unwrap(), &password));
    }

    #[test]
    fn defaults_are_the_owasp_minimum_and_bad_parameters_are_refused() {
        assert_eq!(
            HashParams::default(),
            HashParams { memory_kib: 19456, iterations: 2, parallelism: 1 }
        );
        assert!(matches!(
            Hasher::new(HashParams { memory_kib: 1, ..FAST }),
            Err(HashError::Params(_))
        ));
    }
}
