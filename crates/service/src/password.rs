//! Password hashing with argon2id (the OWASP-recommended default parameters), run on the
//! blocking pool so that a ~20 ms hash never stalls the async workers.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use hearth_core::{Error, Result};
use secrecy::{ExposeSecret, SecretString};

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 10;
/// The longest password accepted (hashing cost grows with length).
pub const MAX_LENGTH: usize = 1024;

/// Checks the length rules; `field` names the field in the error.
pub fn validate(password: &SecretString, field: &str) -> Result<()> {
    let len = password.expose_secret().chars().count();
    if len < MIN_LENGTH {
        return Err(Error::validation(
            field,
            format!("must be at least {MIN_LENGTH} characters long"),
        ));
    }
    if len > MAX_LENGTH {
        return Err(Error::validation(
            field,
            format!("must be at most {MAX_LENGTH} characters long"),
        ));
    }
    Ok(())
}

/// Hashes a password into a PHC string.
pub async fn hash(password: SecretString) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
    })
    .await?
    .map_err(Error::from)
}

/// True when `password` matches the PHC string `hash`.
pub async fn verify(password: SecretString, hash: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed =
            PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
        Ok::<_, anyhow::Error>(
            Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok(),
        )
    })
    .await?
    .map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let hashed = hash(SecretString::from("correct horse battery"))
            .await
            .unwrap();
        assert!(hashed.starts_with("$argon2id$"));
        assert!(
            verify(SecretString::from("correct horse battery"), hashed.clone())
                .await
                .unwrap()
        );
        assert!(
            !verify(SecretString::from("wrong horse battery"), hashed)
                .await
                .unwrap()
        );
    }

    #[test]
    fn short_passwords_are_refused_naming_the_field() {
        let err = validate(&SecretString::from("short"), "password").unwrap_err();
        assert!(err.to_string().starts_with("password:"));
    }
}
