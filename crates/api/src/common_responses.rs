//! The answers every operation can give because of how it reads its request, written into the
//! OpenAPI document in one place: the extractors (`ApiPath`, `ApiQuery`, `ApiJson`, `AuthUser`)
//! and the database layer answer them the same way on every route, so listing them by hand on
//! each `#[utoipa::path]` would only let the document drift from what the server does.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// One status an operation may answer for a reason shared by many operations.
struct CommonResponse {
    status: &'static str,
    /// The machine-readable codes, as the description of the response.
    codes: &'static str,
}

/// A path parameter that does not parse: an id that is not a 64-bit integer, or `%00` (U+0000,
/// which no name holds).
const BAD_PATH: CommonResponse = CommonResponse {
    status: "400",
    codes: "invalid_path",
};

/// A query string that does not parse (a number that is not one, `%00`).
const BAD_QUERY: CommonResponse = CommonResponse {
    status: "400",
    codes: "invalid_query",
};

/// What `ApiJson` answers for a body it cannot take.
const BAD_JSON_BODY: [CommonResponse; 4] = [
    CommonResponse {
        status: "400",
        codes: "malformed_json, unreadable_body",
    },
    CommonResponse {
        status: "413",
        codes: "payload_too_large",
    },
    CommonResponse {
        status: "415",
        codes: "unsupported_media_type",
    },
    CommonResponse {
        status: "422",
        codes: "invalid_body",
    },
];

/// A missing, malformed, revoked or ended bearer token.
const NOT_SIGNED_IN: CommonResponse = CommonResponse {
    status: "401",
    codes: "not_signed_in, invalid_token",
};

/// The database cannot be reached (every operation reads it); answered with `Retry-After`.
const UNAVAILABLE: CommonResponse = CommonResponse {
    status: "503",
    codes: "unavailable",
};

/// Adds the shared answers to every operation of `document` that can give them: 400 for one
/// with path or query parameters, 400/413/415/422 for one with a JSON body, 401 for one that
/// needs a token, 503 for all. A status the operation already documents keeps its description,
/// with the shared codes added when it does not name them yet.
pub fn add_to(document: &mut OpenApi) {
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            add_to_operation(operation);
        }
    }
}

fn add_to_operation(operation: &mut Operation) {
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_path = parameters
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let has_query = parameters
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let has_json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| body.content.contains_key("application/json"));
    let needs_token = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());

    let mut shared = Vec::new();
    if has_path {
        shared.push(&BAD_PATH);
    }
    if has_query {
        shared.push(&BAD_QUERY);
    }
    if has_json_body {
        shared.extend(BAD_JSON_BODY.iter());
    }
    if needs_token {
        shared.push(&NOT_SIGNED_IN);
    }
    shared.push(&UNAVAILABLE);

    for common in shared {
        let responses = &mut operation.responses.responses;
        match responses.get_mut(common.status) {
            Some(RefOr::T(existing)) => add_codes(existing, common.codes),
            Some(RefOr::Ref(_)) => {}
            None => {
                responses.insert(common.status.to_owned(), RefOr::T(error_response(common)));
            }
        }
    }
}

/// Appends `codes` to a documented response's description unless it names them already.
fn add_codes(response: &mut Response, codes: &str) {
    if response.description.contains(codes) {
        return;
    }
    response.description = if response.description.trim().is_empty() {
        codes.to_owned()
    } else {
        format!("{}; {codes}", response.description)
    };
}

/// An `ErrorBody` answer described by its codes.
fn error_response(common: &CommonResponse) -> Response {
    ResponseBuilder::new()
        .description(common.codes)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statuses of `method path` in the served document.
    fn statuses(document: &OpenApi, path: &str, method: &str) -> Vec<String> {
        let item = &document.paths.paths[path];
        let operation = match method {
            "get" => item.get.as_ref(),
            "post" => item.post.as_ref(),
            "delete" => item.delete.as_ref(),
            _ => None,
        };
        operation
            .map(|o| o.responses.responses.keys().cloned().collect())
            .unwrap_or_default()
    }

    #[test]
    fn operations_document_the_rejections_of_their_extractors() {
        let document = crate::openapi_document();
        // A public read with a path id: a bad id and a database outage, but no 401.
        assert_eq!(
            statuses(&document, "/api/v1/posts/{id}", "get"),
            ["200", "400", "404", "503"]
        );
        // A name in the path can be refused too (`%00`).
        assert_eq!(
            statuses(&document, "/api/v1/communities/{name}", "get"),
            ["200", "400", "404", "503"]
        );
        // A signed-in write with a JSON body and a path id: every body rejection, 401.
        let vote = statuses(&document, "/api/v1/posts/{id}/vote", "post");
        for status in ["400", "401", "413", "415", "422", "503"] {
            assert!(vote.contains(&status.to_owned()), "{status} in {vote:?}");
        }
        // A status documented by hand keeps its own description and gains the shared codes.
        let item = &document.paths.paths["/api/v1/posts"];
        let create = item.post.as_ref().expect("POST /api/v1/posts");
        let Some(RefOr::T(bad_request)) = create.responses.responses.get("400") else {
            panic!("POST /api/v1/posts documents 400");
        };
        assert!(
            bad_request.description.contains("invalid_field")
                && bad_request.description.contains("malformed_json"),
            "{}",
            bad_request.description
        );
    }
}
