//! Outgoing mail and what it is about: the mail queue (`mail_outbox`), address verification
//! links (`email_verification`), password reset links asked for by mail (`password_reset`
//! without an admin), and the accounts' mail state (verified address, hourly digest).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

/// A mail to queue.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    /// The recipient's address.
    pub recipient: &'a str,
    /// The subject line.
    pub subject: &'a str,
    /// The plain-text body.
    pub text_body: &'a str,
    /// The HTML body.
    pub html_body: &'a str,
}

/// Queues a mail; the sender picks it up at once.
pub async fn enqueue(db: impl PgExecutor<'_>, mail: &NewMail<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "insert into mail_outbox (recipient, subject, text_body, html_body)
         values ($1, $2, $3, $4) returning id",
    )
    .bind(mail.recipient)
    .bind(mail.subject)
    .bind(mail.text_body)
    .bind(mail.html_body)
    .fetch_one(db)
    .await
}

/// A queued mail a sender has claimed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedMail {
    /// The queue row's id.
    pub id: i64,
    /// The recipient's address.
    pub recipient: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text_body: String,
    /// The HTML body.
    pub html_body: String,
    /// Attempts so far, this one included.
    pub attempts: i32,
}

/// Claims up to `limit` due mails: each counts an attempt and is put off by `lease_secs`, so a
/// sender that dies mid-way leaves it to be tried again later rather than lost or sent twice at
/// once.
pub async fn claim_due(
    db: impl PgExecutor<'_>,
    limit: i64,
    lease_secs: f64,
) -> sqlx::Result<Vec<QueuedMail>> {
    sqlx::query_as::<_, QueuedMail>(
        "update mail_outbox set attempts = attempts + 1,
                next_attempt_at = now() + make_interval(secs => $2)
         where id in (select id from mail_outbox
                      where sent_at is null and failed_at is null and next_attempt_at <= now()
                      order by next_attempt_at limit $1 for update skip locked)
         returning id, recipient, subject, text_body, html_body, attempts",
    )
    .bind(limit)
    .bind(lease_secs)
    .fetch_all(db)
    .await
}

/// Marks a mail sent and blanks its bodies: a reset or verification link need not outlive its
/// delivery.
pub async fn mark_sent(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "update mail_outbox set sent_at = now(), text_body = '', html_body = '', last_error = null
         where id = $1",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Records a failed attempt: tried again after `retry_in_secs`, or given up (bodies blanked)
/// when `retry_in_secs` is `None`.
pub async fn mark_failed(
    db: impl PgExecutor<'_>,
    id: i64,
    error: &str,
    retry_in_secs: Option<f64>,
) -> sqlx::Result<()> {
    match retry_in_secs {
        Some(secs) => {
            sqlx::query(
                "update mail_outbox set last_error = $2,
                        next_attempt_at = now() + make_interval(secs => $3)
                 where id = $1",
            )
            .bind(id)
            .bind(error)
            .bind(secs)
            .execute(db)
            .await?
        }
        None => {
            sqlx::query(
                "update mail_outbox set last_error = $2, failed_at = now(),
                        text_body = '', html_body = ''
                 where id = $1",
            )
            .bind(id)
            .bind(error)
            .execute(db)
            .await?
        }
    };
    Ok(())
}

/// Deletes sent and given-up mail finished more than `older_than_secs` ago; how many went.
pub async fn prune_finished(db: impl PgExecutor<'_>, older_than_secs: f64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "delete from mail_outbox
         where coalesce(sent_at, failed_at) < now() - make_interval(secs => $1)",
    )
    .bind(older_than_secs)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A local account found by its address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailAccount {
    /// The person's id.
    pub person_id: i64,
    /// The username.
    pub name: String,
    /// The address, as stored.
    pub email: String,
}

/// The live local account with this address (compared case-insensitively), if any.
pub async fn account_by_email(
    db: impl PgExecutor<'_>,
    email: &str,
) -> sqlx::Result<Option<MailAccount>> {
    sqlx::query_as::<_, MailAccount>(
        "select p.id as person_id, p.name, a.email
         from local_account a join person p on p.id = a.person_id
         where lower(a.email) = lower($1) and p.local and not p.deleted",
    )
    .bind(email.trim())
    .fetch_optional(db)
    .await
}

/// The address and name of a local account, when it has an address.
pub async fn account_by_id(
    db: impl PgExecutor<'_>,
    person_id: i64,
) -> sqlx::Result<Option<MailAccount>> {
    sqlx::query_as::<_, MailAccount>(
        "select p.id as person_id, p.name, a.email
         from local_account a join person p on p.id = a.person_id
         where a.person_id = $1 and a.email is not null and not p.deleted",
    )
    .bind(person_id)
    .fetch_optional(db)
    .await
}

/// The administrators that have an address (for notices of new applications and reports).
pub async fn admin_accounts(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<MailAccount>> {
    sqlx::query_as::<_, MailAccount>(
        "select p.id as person_id, p.name, a.email
         from local_account a join person p on p.id = a.person_id
         where a.admin and a.email is not null and not p.deleted
         order by p.id",
    )
    .fetch_all(db)
    .await
}

/// The reporter's name and the reported post's title, for the admins' report notice.
pub async fn report_subject(
    db: impl PgExecutor<'_>,
    reporter_id: i64,
    post_id: i64,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as("select r.name, p.title from person r, post p where r.id = $1 and p.id = $2")
        .bind(reporter_id)
        .bind(post_id)
        .fetch_optional(db)
        .await
}

/// An account's mail state.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct MailState {
    /// Whether its current address is confirmed.
    pub email_verified: bool,
    /// Whether it wants the hourly digest.
    pub email_digest: bool,
    /// Whether it administers the instance.
    pub admin: bool,
}

/// The mail state of a local account.
pub async fn state(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<Option<MailState>> {
    sqlx::query_as::<_, MailState>(
        "select email_verified_at is not null as email_verified, email_digest, admin
         from local_account where person_id = $1",
    )
    .bind(person_id)
    .fetch_optional(db)
    .await
}

/// Sets (or removes) an account's address; it is unconfirmed from now on, and without an address
/// there is no digest.
pub async fn set_email(
    db: impl PgExecutor<'_>,
    person_id: i64,
    email: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update local_account set email = $2, email_verified_at = null,
                email_digest = email_digest and $2 is not null, updated_at = now()
         where person_id = $1",
    )
    .bind(person_id)
    .bind(email)
    .execute(db)
    .await?;
    Ok(())
}

/// Turns the hourly digest on or off.
pub async fn set_digest(db: impl PgExecutor<'_>, person_id: i64, on: bool) -> sqlx::Result<()> {
    sqlx::query(
        "update local_account set email_digest = $2, updated_at = now() where person_id = $1",
    )
    .bind(person_id)
    .bind(on)
    .execute(db)
    .await?;
    Ok(())
}

/// How many verification links were made for `person_id` in the last hour.
pub async fn verifications_last_hour(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from email_verification
         where person_id = $1 and created_at > now() - interval '1 hour'",
    )
    .bind(person_id)
    .fetch_one(db)
    .await
}

/// Stores a verification token's digest for `email`, valid for `valid_secs`.
pub async fn insert_verification(
    db: impl PgExecutor<'_>,
    person_id: i64,
    email: &str,
    token_hash: &[u8],
    valid_secs: f64,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into email_verification (person_id, email, token_hash, expires_at)
         values ($1, $2, $3, now() + make_interval(secs => $4))",
    )
    .bind(person_id)
    .bind(email)
    .bind(token_hash)
    .bind(valid_secs)
    .execute(db)
    .await?;
    Ok(())
}

/// Uses a live verification token up and confirms the address it was made for, if the account
/// still has it. Returns the person, or `None` when the link is unknown, used, expired or for an
/// address the account no longer has.
pub async fn consume_verification(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> sqlx::Result<Option<i64>> {
    let used: Option<(i64, String)> = sqlx::query_as(
        "update email_verification set used_at = now()
         where token_hash = $1 and used_at is null and expires_at > now()
         returning person_id, email",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((person_id, email)) = used else {
        return Ok(None);
    };
    sqlx::query_scalar(
        "update local_account set email_verified_at = coalesce(email_verified_at, now()),
                updated_at = now()
         where person_id = $1 and lower(email) = lower($2) returning person_id",
    )
    .bind(person_id)
    .bind(email)
    .fetch_optional(&mut *conn)
    .await
}

/// An account whose hourly digest is due: it asked for one, has an address, had none in the
/// last hour, and has unread replies or mentions newer than its last digest.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DigestDue {
    /// The person's id.
    pub person_id: i64,
    /// The username.
    pub name: String,
    /// The address.
    pub email: String,
    /// When the last digest went out.
    pub last_digest_at: Option<DateTime<Utc>>,
}

/// Accounts whose digest is due (at most `limit`).
pub async fn digests_due(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<DigestDue>> {
    sqlx::query_as::<_, DigestDue>(
        "select p.id as person_id, p.name, a.email, a.last_digest_at
         from local_account a join person p on p.id = a.person_id
         where a.email_digest and a.email is not null and not p.deleted
           and (a.last_digest_at is null or a.last_digest_at <= now() - interval '1 hour')
           and exists (select 1 from notification n
                       where n.recipient_id = a.person_id and not n.read
                         and n.kind in ('reply', 'mention')
                         and n.created_at > coalesce(a.last_digest_at, '-infinity'))
         order by p.id limit $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Claims an account's digest: records it as sent now, unless another process did within the
/// hour. True when this caller may send it.
pub async fn claim_digest(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<bool> {
    let claimed: Option<i64> = sqlx::query_scalar(
        "update local_account set last_digest_at = now()
         where person_id = $1
           and (last_digest_at is null or last_digest_at <= now() - interval '1 hour')
         returning person_id",
    )
    .bind(person_id)
    .fetch_optional(db)
    .await?;
    Ok(claimed.is_some())
}

/// One unread reply or mention for a digest.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DigestItem {
    /// `reply` or `mention`.
    pub kind: String,
    /// Who wrote it (`name` or `name@host`), when known.
    pub actor: Option<String>,
    /// The post it is in.
    pub post_id: Option<i64>,
    /// The post's title.
    pub post_title: Option<String>,
    /// The comment, when it is one.
    pub comment_id: Option<i64>,
}

/// The unread replies and mentions of `person_id` newer than `since` (all when `None`), oldest
/// first, at most `limit`.
pub async fn digest_items(
    db: impl PgExecutor<'_>,
    person_id: i64,
    since: Option<DateTime<Utc>>,
    limit: i64,
) -> sqlx::Result<Vec<DigestItem>> {
    sqlx::query_as::<_, DigestItem>(
        "select n.kind,
                case when a.id is null then null
                     when a.local then a.name
                     else a.name || '@' || coalesce(a.host, '') end as actor,
                n.post_id, p.title as post_title, n.comment_id
         from notification n
         left join person a on a.id = n.actor_id
         left join post p on p.id = n.post_id
         where n.recipient_id = $1 and not n.read and n.kind in ('reply', 'mention')
           and n.created_at > coalesce($2, '-infinity'::timestamptz)
         order by n.id limit $3",
    )
    .bind(person_id)
    .bind(since)
    .bind(limit)
    .fetch_all(db)
    .await
}
