//! Who a request acts for: the signed-in account behind a token, as every use case takes it.
//! (Re-exported as `auth::Viewer`, which recognises it; kept apart so the modules `auth` itself
//! uses, such as `two_factor`, can name it without a circle.)

/// The signed-in account a request acts for.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The account's person id.
    pub person_id: i64,
    /// The account's name.
    pub name: String,
    /// Whether the account administers the instance.
    pub admin: bool,
    /// The token the request used.
    pub token_id: i64,
    /// The site requires two-factor sign-in of admins and moderators and this account has not
    /// turned it on: its staff actions are refused until it does (`require_admin`,
    /// `can_moderate`).
    pub second_factor_missing: bool,
    /// When the account last wrote, as the token lookup found it: for a few seconds after,
    /// its reads go to the primary rather than a replica (`ServiceContext::reader`).
    pub last_write_at: Option<chrono::DateTime<chrono::Utc>>,
}
