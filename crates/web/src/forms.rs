//! Forms shown again after a failed POST: the service's error is put next to the field it names
//! (`ErrorKind::Validation { field, .. }`), or at the top of the form, and the page is rendered
//! with what the visitor typed, so nothing is lost.

use crate::page::{PageResult, WebError, humanize, plain, see_other};
use axum::http::StatusCode;
use hearth_core::{Error, ErrorKind};

/// A form's fields as the service names them, with the labels people see.
pub type Fields = [(&'static str, &'static str)];

/// The errors of a submitted form: messages per field, and one for the whole form.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    fields: Vec<(String, String)>,
    /// A message about the whole form (not allowed, rate limited, wrong password …).
    pub general: Option<String>,
}

impl FormErrors {
    /// A form without errors.
    pub fn none() -> Self {
        Self::default()
    }

    /// An error next to one field (markdown in the message is taken out: see `page::plain`).
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self {
            fields: vec![(field.to_owned(), plain(&message.into()))],
            general: None,
        }
    }

    /// An error about the whole form (markdown in the message is taken out).
    pub fn general(message: impl Into<String>) -> Self {
        Self {
            fields: Vec::new(),
            general: Some(plain(&message.into())),
        }
    }

    /// The message next to `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// True when `field` has an error.
    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    /// The field errors as `(field, message)`, for the summary at the top of the form.
    pub fn list(&self) -> &[(String, String)] {
        &self.fields
    }

    /// True when there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_none()
    }

    /// Sorts a service error into a form's errors, with the status to answer. Server errors are
    /// not the form's business: they pass through and become an error page.
    pub fn from_error(error: Error, fields: &Fields) -> Result<(StatusCode, Self), WebError> {
        let status = error.kind.status();
        if status.is_server_error() {
            return Err(WebError(error));
        }
        let errors = match &error.kind {
            ErrorKind::Validation { field, reason } => {
                match fields.iter().find(|(name, _)| name == field) {
                    Some((name, label)) => Self::field(name, format!("{label} {reason}.")),
                    None => Self::general(format!("{} {reason}.", humanize(field))),
                }
            }
            other => Self::general(other.message()),
        };
        Ok((status, errors))
    }
}

/// Turns an error with `code` (a taken name, an unknown community) into a validation-style
/// error of `field`, so that its message is shown next to that field.
pub fn attach_to_field(error: Error, code: &str, field: &str) -> (StatusCode, FormErrors) {
    let status = error.kind.status();
    if error.kind.code() == code {
        (status, FormErrors::field(field, error.kind.message()))
    } else {
        (status, FormErrors::general(error.kind.message()))
    }
}

/// Like `FormErrors::from_error`, but errors with `code` go next to `field`.
pub fn errors_with(
    error: Error,
    fields: &Fields,
    code: &str,
    field: &str,
) -> Result<(StatusCode, FormErrors), WebError> {
    if error.kind.code() == code {
        Ok(attach_to_field(error, code, field))
    } else {
        FormErrors::from_error(error, fields)
    }
}

/// Sorts errors by `fields` (see `FormErrors::from_error`): the usual sorter for
/// `redirect_or_show_again`.
pub fn by_fields(
    fields: &Fields,
) -> impl FnOnce(Error) -> Result<(StatusCode, FormErrors), WebError> + '_ {
    move |error| FormErrors::from_error(error, fields)
}

/// How a form's POST ends: a 303 to `done` when `result` succeeded; otherwise `show_again`
/// renders the form with the errors `sort` found, answered with the error's status. Server
/// errors are not the form's business: they become the error page.
pub async fn redirect_or_show_again<T, Shown>(
    result: hearth_core::Result<T>,
    done: &str,
    sort: impl FnOnce(Error) -> Result<(StatusCode, FormErrors), WebError>,
    show_again: impl FnOnce(StatusCode, FormErrors) -> Shown,
) -> PageResult
where
    Shown: Future<Output = PageResult>,
{
    match result {
        Ok(_) => Ok(see_other(done)),
        Err(error) => {
            let (status, errors) = sort(error)?;
            show_again(status, errors).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &Fields = &[("title", "Title"), ("url", "Link")];

    #[test]
    fn validation_errors_go_next_to_their_field_with_its_label() {
        let (status, errors) =
            FormErrors::from_error(Error::validation("url", "is not a URL"), FIELDS).unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(errors.get("url"), Some("Link is not a URL."));
        assert!(errors.general.is_none() && !errors.has("title"));
    }

    #[test]
    fn other_client_errors_go_to_the_top_and_server_errors_pass_through() {
        let (status, errors) =
            FormErrors::from_error(Error::forbidden("nope", "Not you."), FIELDS).unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(errors.general.as_deref(), Some("Not you."));
        let (_, errors) =
            FormErrors::from_error(Error::validation("language", "is odd"), FIELDS).unwrap();
        assert_eq!(errors.general.as_deref(), Some("Language is odd."));
        let internal = Error::from(std::io::Error::other("disk on fire"));
        assert!(FormErrors::from_error(internal, FIELDS).is_err());
    }

    #[test]
    fn coded_errors_can_be_attached_to_a_field() {
        let (status, errors) = errors_with(
            Error::conflict("name_taken", "Taken."),
            FIELDS,
            "name_taken",
            "title",
        )
        .unwrap();
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(errors.get("title"), Some("Taken."));
    }
}
