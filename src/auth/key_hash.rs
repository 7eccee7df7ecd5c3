//! argon2id hashes of API-key secrets. The parameters are written out (OWASP's
//! argon2id baseline: 19 MiB, 2 passes, 1 lane) so a crate upgrade cannot change
//! them silently; they are stored in each PHC string, so old hashes keep verifying.
//!
//! Hashing costs ~20 ms of CPU: callers run it off the async threads
//! (`hash_secret_blocking` / `verify_secret_blocking`).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

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
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => argon2().verify_password(secret.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

pub async fn hash_secret_blocking(secret: String) -> Result<String, crate::error::AppError> {
    actix_web::web::block(move || hash_secret(&secret))
        .await
        .map_err(crate::error::AppError::internal)?
        .map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("argon2: {e}")))
}

pub async fn verify_secret_blocking(secret: String, phc: String) -> Result<bool, crate::error::AppError> {
    actix_web::web::block(move || verify_secret(&secret, &phc))
        .await
        .map_err(crate::error::AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_secret_only() {
        let phc = hash_secret("s3cret").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_secret("s3cret", &phc));
        assert!(!verify_secret("s3cres", &phc));
        assert!(!verify_secret("s3cret", "not a hash"));
    }

    #[test]
    fn the_same_secret_hashes_differently_each_time() {
        assert_ne!(hash_secret("x").unwrap(), hash_secret("x").unwrap());
    }
}
