//! Turns database constraint violations into the client errors they mean (a taken name is a
//! 409, not a 500).

use hearth_core::{Error, ErrorKind};

/// Maps a named constraint's violation to an error kind; other errors pass through as internal.
pub trait OnConstraint<T> {
    /// When the query failed on one of `constraints`, return `kind` instead.
    fn on_constraint(self, constraints: &[&str], kind: ErrorKind) -> Result<T, Error>;
}

impl<T> OnConstraint<T> for Result<T, sqlx::Error> {
    fn on_constraint(self, constraints: &[&str], kind: ErrorKind) -> Result<T, Error> {
        self.map_err(|e| match violated_constraint(&e) {
            Some(c) if constraints.contains(&c.as_str()) => Error::new(kind),
            _ => Error::from(e),
        })
    }
}

/// The name of the constraint a failed statement violated, if that is why it failed.
pub fn violated_constraint(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) => db.constraint().map(str::to_owned),
        _ => None,
    }
}
