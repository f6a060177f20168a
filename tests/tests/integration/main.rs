//! Hearth's integration tests: one binary, each test with its own database and server(s).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking; helpers outside #[test] fns count too"
)]

mod account_blocks;
mod account_export;
mod account_sessions;
mod api_accounts;
mod api_communities;
mod api_consistency;
mod api_content;
mod api_conventions;
mod backup;
mod calendar;
mod email;
mod embedded_cluster;
mod events_api;
mod faults_actors;
mod faults_database;
mod faults_peers;
mod federation_admin;
mod federation_delivery;
mod federation_dialects;
mod federation_events;
mod federation_fixtures;
mod federation_hostile;
mod federation_identity;
mod federation_moderation;
mod federation_network;
mod federation_people;
mod federation_polls;
mod federation_remote_communities;
mod fedify_peer;
mod feed_performance;
mod health;
mod inbox_queue;
mod inbox_signatures;
mod lemmy_accounts;
mod lemmy_admin;
mod lemmy_client;
mod lemmy_communities;
mod lemmy_conventions;
mod lemmy_extras;
mod lemmy_moderation;
mod lemmy_posts;
mod lookups;
mod media;
mod media_federation;
mod media_fetch;
mod multipart_properties;
mod notifications;
mod polls_api;
mod read_cache;
mod read_cache_signed_in;
mod replicas;
mod saved;
mod scale_out;
mod schemathesis;
mod secrets_in_logs;
mod setup;
mod two_factor;
mod web_admin;
mod web_browser;
mod web_community_moderation;
mod web_email;
mod web_events;
mod web_header;
mod web_media;
mod web_moderation;
mod web_notifications;
mod web_pages;
mod web_setup;
mod web_two_factor;
