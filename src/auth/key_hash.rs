//! argon2id hashes of API-key secrets. The parameters are written out (OWASP's
//! argon2id baseline: 19 MiB, 2 passes, 1 lane) so a crate upgrade cannot change
//! them silently; they are stored in each PHC string, so old hashes keep verifying.
//!
//! Hashing costs ~20 ms of CPU: callers run it off the async threads
//! (`hash_secret_blocking`, and `key_auth`'s argon2 slots).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of a secret.
pub fn hash_secret(secret: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2().hash_password(secret.as_bytes(), &salt)?.to_string())
}

/// True when `secret` matches the stored PHC string. A malformed hash never matches.
/// (Allocates the working memory; repeated checks use [`verify_secret_in`].)
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    verify_secret_in(secret, phc, &mut Argon2Memory::default())
}

/// The working memory of one argon2 check (19 MiB with our parameters), kept
/// and reused: allocating and freeing it per check leaves the allocator's
/// per-thread arenas holding many such blocks, and memory grows under load.
#[derive(Default)]
pub struct Argon2Memory(Vec<Block>);

/// [`verify_secret`] in `memory`, which grows to the hash's size once and is
/// then reused. The comparison of the outputs is constant-time.
pub fn verify_secret_in(secret: &str, phc: &str, memory: &mut Argon2Memory) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    let (Some(expected), Some(salt)) = (&hash.hash, &hash.salt) else { return false };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else { return false };
    let Ok(version) = hash.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
    let Ok(params) = Params::try_from(&hash) else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let blocks = params.block_count();
    if memory.0.len() < blocks {
        memory.0.resize(blocks, Block::default());
    }
    let mut output = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(secret.as_bytes(), salt, &mut output, &mut memory.0[..blocks])
        .is_ok()
        && bool::from(output.as_slice().ct_eq(expected.as_bytes()))
}

pub async fn hash_secret_blocking(secret: String) -> Result<String, crate::error::AppError> {
    actix_web::web::block(move || hash_secret(&secret))
        .await
        .map_err(crate::error::AppError::internal)?
        .map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("argon2: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordVerifier;

    #[test]
    fn a_hash_verifies_its_secret_only() {
        let phc = hash_secret("s3cret").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_secret("s3cret", &phc));
        assert!(!verify_secret("s3cres", &phc));
        assert!(!verify_secret("s3cret", "not a hash"));
    }

    #[test]
    fn reused_memory_verifies_like_a_fresh_check() {
        let phc = hash_secret("s3cret").unwrap();
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(argon2().verify_password(b"s3cret", &parsed).is_ok(), "the crate's own verifier agrees");
        assert!(argon2().verify_password(b"s3cres", &parsed).is_err());
        let mut memory = Argon2Memory::default();
        assert!(verify_secret_in("s3cret", &phc, &mut memory));
        assert!(!verify_secret_in("s3cres", &phc, &mut memory));
        assert!(verify_secret_in("s3cret", &phc, &mut memory), "again, in the same memory");
        assert!(!verify_secret_in("s3cret", "not a hash", &mut memory));
        let other = "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$kRfd9bP5lw3uTg+lZ+uYJgTyzpJ0dHaKIYqzgXYAeXk";
        assert!(!verify_secret_in("x", other, &mut memory), "other parameters are read from the hash");
    }

    #[test]
    fn the_same_secret_hashes_differently_each_time() {
        assert_ne!(hash_secret("x").unwrap(), hash_secret("x").unwrap());
    }
}
