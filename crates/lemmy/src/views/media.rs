//! Uploads as Lemmy lists them (`account/list_media`, `admin/list_all_media`): the alias is the
//! file name of the upload's URL (what `/pictrs/image/<alias>` serves) and the delete token the
//! upload's id (what `/pictrs/image/delete/<token>/<alias>` takes).

use crate::views::{Person, time};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `ListMedia`.
#[derive(Deserialize)]
pub struct ListMedia {
    pub page: Option<i64>,
    pub limit: Option<i64>,
}

/// `ListMediaResponse`.
#[derive(Serialize)]
pub struct ListMediaResponse {
    pub images: Vec<LocalImageView>,
}

/// `LocalImageView`.
#[derive(Serialize)]
pub struct LocalImageView {
    pub local_image: LocalImage,
    pub person: Person,
}

/// `LocalImage`.
#[derive(Serialize)]
pub struct LocalImage {
    pub local_user_id: i64,
    pub pictrs_alias: String,
    pub pictrs_delete_token: String,
    pub published: String,
}

impl LocalImageView {
    /// One upload (`id`) of `person`, stored at `url`.
    pub fn new(person: Person, id: i64, url: &str, uploaded_at: DateTime<Utc>) -> Self {
        Self {
            local_image: LocalImage {
                local_user_id: person.id,
                pictrs_alias: url.rsplit('/').next().unwrap_or(url).to_owned(),
                pictrs_delete_token: id.to_string(),
                published: time(uploaded_at),
            },
            person,
        }
    }
}
