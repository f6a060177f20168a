//! A person speaking about themselves: `Update{Person}` (a new profile) and `Delete{Person}`
//! (a deleted account). Only the person may say either, signing as themselves; one server
//! cannot change or delete another server's people.

pub(crate) mod delete;
pub(crate) mod update;

use crate::received::{InboxError, Via};
use crate::urls::same_authority;
use url::Url;

/// The kinds of actor a person may be (as `ApubPerson::verify` admits them).
pub(crate) fn is_person_kind(kind: &str) -> bool {
    matches!(kind, "Person" | "Service" | "Organization" | "Application")
}

/// Whether `actor` may speak for `person` as the activity reached us: `Ok(false)` when it is not
/// ours to apply (inside an Announce, where the inner actor is only the announcer's word);
/// 403 `not_own_person` when the signer is someone else.
pub(crate) fn speaks_for_self(actor: &Url, person: &Url, via: &Via) -> Result<bool, InboxError> {
    if actor != person || !same_authority(actor, person) {
        return Err(InboxError::refused(
            "not_own_person",
            "Only a person may update or delete themselves.",
        ));
    }
    Ok(matches!(via, Via::Direct))
}
