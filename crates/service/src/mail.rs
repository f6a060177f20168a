//! E-mail: what Hearth mails (address verification, password reset, registration decisions,
//! admin notices, hourly digests), rendered from the templates in `templates/mail/` (a plain-text
//! and an HTML body, the site's name in each), queued in `mail_outbox` in the transaction of
//! what causes it, and sent over SMTP by [`run`] so that no request waits for a mail server.
//!
//! With no SMTP host configured nothing is queued, and what needs mail answers 409
//! `email_disabled`.

use crate::ServiceContext;
use crate::auth::{Viewer, digest, new_token};
use crate::rate_limit::{self, Action};
use askama::Template;
use hearth_core::settings::{EmailSettings, EmailVerification, SmtpTls};
use hearth_core::{Error, Result};
use hearth_db::mail::{MailAccount, NewMail};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use sqlx::PgConnection;
use std::time::Duration;

/// How long a mailed address verification link works.
pub const VERIFICATION_LIFETIME_SECS: f64 = 48.0 * 3600.0;

/// The most reset or verification mails one account is sent per hour, whoever asks: more
/// requests get the same answer and no mail, so nobody can flood someone's inbox.
const MAILS_PER_ACCOUNT_HOUR: i64 = 3;

/// Attempts before a mail is given up.
const MAX_ATTEMPTS: i32 = 8;

/// A rendered mail: subject and both bodies.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The subject line (starts with the site's name).
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// Declares a mail's two templates (`mail/NAME.txt`, `mail/NAME.html`) over the same fields,
/// plus the site name and base URL every mail shows.
macro_rules! mail_templates {
    ($text:ident = $text_path:literal, $html:ident = $html_path:literal, { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Template)]
        #[template(path = $text_path, escape = "none")]
        struct $text<'a> {
            site_name: &'a str,
            base_url: &'a str,
            $($field: $ty,)*
        }

        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            site_name: &'a str,
            base_url: &'a str,
            $($field: $ty,)*
        }
    };
}

mail_templates!(ResetText = "mail/password_reset.txt", ResetHtml = "mail/password_reset.html", {
    name: &'a str,
    link: &'a str,
    minutes: i64,
});
mail_templates!(VerifyText = "mail/verify_email.txt", VerifyHtml = "mail/verify_email.html", {
    name: &'a str,
    link: &'a str,
    hours: i64,
});
mail_templates!(DecidedText = "mail/application_decided.txt", DecidedHtml = "mail/application_decided.html", {
    name: &'a str,
    approved: bool,
    reason: &'a str,
    login_link: &'a str,
});
mail_templates!(ApplicationText = "mail/new_application.txt", ApplicationHtml = "mail/new_application.html", {
    name: &'a str,
    applicant: &'a str,
    answer: &'a str,
    link: &'a str,
});
mail_templates!(ReportText = "mail/new_report.txt", ReportHtml = "mail/new_report.html", {
    name: &'a str,
    reporter: &'a str,
    post_title: &'a str,
    reason: &'a str,
    link: &'a str,
});
mail_templates!(DigestText = "mail/digest.txt", DigestHtml = "mail/digest.html", {
    name: &'a str,
    items: &'a [DigestLine],
    notifications_link: &'a str,
    settings_link: &'a str,
});

/// One line of a digest.
struct DigestLine {
    text: String,
    link: String,
}

/// Renders both bodies of a mail; a template error is a bug.
fn render(subject: String, text: &impl Template, html: &impl Template) -> Result<Mail> {
    let text = text
        .render()
        .map_err(|e| anyhow::anyhow!("mail text template: {e}"))?;
    let html = html
        .render()
        .map_err(|e| anyhow::anyhow!("mail HTML template: {e}"))?;
    Ok(Mail {
        subject,
        text,
        html,
    })
}

/// Builds a mail's two templates from one list of field values.
macro_rules! render_mail {
    ($subject:expr, $site:expr, $base:expr, $text:ident, $html:ident { $($field:ident $(: $value:expr)?),* $(,)? }) => {
        render(
            $subject,
            &$text { site_name: $site, base_url: $base, $($field $(: $value)?,)* },
            &$html { site_name: $site, base_url: $base, $($field $(: $value)?,)* },
        )
    };
}

/// Refuses what needs mail when no SMTP server is configured (409 `email_disabled`).
pub fn require_enabled(ctx: &ServiceContext) -> Result<()> {
    if ctx.settings.email.enabled() {
        Ok(())
    } else {
        Err(Error::conflict(
            "email_disabled",
            "This server does not send mail; ask an administrator for help with your account.",
        ))
    }
}

/// Whether this server sends mail (pages hide what needs it otherwise).
pub fn enabled(ctx: &ServiceContext) -> bool {
    ctx.settings.email.enabled()
}

async fn site_name(conn: &mut PgConnection) -> Result<String> {
    Ok(hearth_db::site::get(&mut *conn).await?.name)
}

async fn queue(conn: &mut PgConnection, recipient: &str, mail: &Mail) -> Result<()> {
    hearth_db::mail::enqueue(
        &mut *conn,
        &NewMail {
            recipient,
            subject: &mail.subject,
            text_body: &mail.text,
            html_body: &mail.html,
        },
    )
    .await?;
    Ok(())
}

/// Mails a password reset link to the account with this address. The answer is the same
/// whether or not such an account exists (nothing is mailed then), and an account gets at most
/// a few such mails an hour. The link is `/reset_password/{token}`: single use, one hour.
/// Requests count towards `client_ip`'s sign-in attempts (both try someone's account from an
/// address), here, so that every face limits them alike.
#[tracing::instrument(skip_all)]
pub async fn request_password_reset(
    ctx: &ServiceContext,
    client_ip: &str,
    email: &str,
) -> Result<()> {
    rate_limit::check(ctx, Action::Login, client_ip).await?;
    // The address's shape is checked (it tells nothing about who has an account), so that
    // nothing unreadable reaches the database.
    let email = crate::auth::validate_email(email.trim())?;
    require_enabled(ctx)?;
    let mut tx = ctx.pool.begin().await?;
    let Some(account) = hearth_db::mail::account_by_email(&mut *tx, &email).await? else {
        return Ok(());
    };
    let recent = hearth_db::password_reset::mailed_last_hour(&mut *tx, account.person_id).await?;
    if recent >= MAILS_PER_ACCOUNT_HOUR {
        tracing::info!(
            person = account.person_id,
            "password reset mail not sent: too many this hour"
        );
        return Ok(());
    }
    let token = new_token();
    hearth_db::password_reset::insert(
        &mut *tx,
        account.person_id,
        &digest(&token),
        None,
        crate::users::PASSWORD_RESET_LIFETIME_SECS,
    )
    .await?;
    let site = site_name(&mut tx).await?;
    let base = ctx.settings.public_base_url();
    let link = format!("{base}/reset_password/{token}");
    let mail = render_mail!(
        format!("{site}: reset your password"),
        &site,
        &base,
        ResetText,
        ResetHtml {
            name: &account.name,
            link: &link,
            minutes: (crate::users::PASSWORD_RESET_LIFETIME_SECS / 60.0) as i64,
        }
    )?;
    queue(&mut tx, &account.email, &mail).await?;
    tx.commit().await?;
    tracing::info!(person = account.person_id, "password reset mail queued");
    Ok(())
}

/// Queues a verification mail for `account` (within the caller's transaction), when
/// verification is on.
pub(crate) async fn queue_verification(
    ctx: &ServiceContext,
    conn: &mut PgConnection,
    person_id: i64,
    name: &str,
    email: &str,
) -> Result<()> {
    if ctx.settings.email.verification() == EmailVerification::Off {
        return Ok(());
    }
    let token = new_token();
    hearth_db::mail::insert_verification(
        &mut *conn,
        person_id,
        email,
        &digest(&token),
        VERIFICATION_LIFETIME_SECS,
    )
    .await?;
    let site = site_name(conn).await?;
    let base = ctx.settings.public_base_url();
    let link = format!("{base}/verify-email/{token}");
    let mail = render_mail!(
        format!("{site}: confirm your address"),
        &site,
        &base,
        VerifyText,
        VerifyHtml {
            name,
            link: &link,
            hours: (VERIFICATION_LIFETIME_SECS / 3600.0) as i64,
        }
    )?;
    queue(conn, email, &mail).await
}

/// Mails a new verification link to the account with this address, unless it is confirmed
/// already. The answer is the same whether or not such an account exists.
#[tracing::instrument(skip_all)]
pub async fn resend_verification(ctx: &ServiceContext, email: &str) -> Result<()> {
    require_enabled(ctx)?;
    if ctx.settings.email.verification() == EmailVerification::Off {
        return Err(Error::conflict(
            "verification_off",
            "This server does not confirm email addresses.",
        ));
    }
    let email = crate::auth::validate_email(email.trim())?;
    let mut tx = ctx.pool.begin().await?;
    let Some(account) = hearth_db::mail::account_by_email(&mut *tx, &email).await? else {
        return Ok(());
    };
    let verified = hearth_db::mail::state(&mut *tx, account.person_id)
        .await?
        .is_some_and(|s| s.email_verified);
    let recent = hearth_db::mail::verifications_last_hour(&mut *tx, account.person_id).await?;
    if verified || recent >= MAILS_PER_ACCOUNT_HOUR {
        return Ok(());
    }
    queue_verification(
        ctx,
        &mut tx,
        account.person_id,
        &account.name,
        &account.email,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(person = account.person_id, "verification mail queued again");
    Ok(())
}

/// Confirms an address with a mailed link: single use; 404 when the link is unknown, used,
/// expired, or for an address the account no longer has. Attempts count towards `client_ip`'s
/// sign-in attempts, in every face.
#[tracing::instrument(skip_all)]
pub async fn verify_email(ctx: &ServiceContext, client_ip: &str, token: &str) -> Result<()> {
    rate_limit::check(ctx, Action::Login, client_ip).await?;
    let mut tx = ctx.pool.begin().await?;
    let person_id = hearth_db::mail::consume_verification(&mut tx, &digest(token.trim()))
        .await?
        .ok_or_else(|| {
            Error::not_found("This confirmation link is unknown, already used or expired.")
        })?;
    tx.commit().await?;
    tracing::info!(person = person_id, "email address confirmed");
    Ok(())
}

/// Refuses sign-in to an account whose address is not confirmed when verification is
/// required (403 `email_not_verified`). Administrators are never locked out of their server.
pub(crate) async fn check_verified_for_sign_in(ctx: &ServiceContext, person_id: i64) -> Result<()> {
    if ctx.settings.email.verification() != EmailVerification::Required {
        return Ok(());
    }
    let state = hearth_db::mail::state(&ctx.pool, person_id).await?;
    match state {
        Some(s) if s.admin || s.email_verified => Ok(()),
        _ => Err(Error::forbidden(
            "email_not_verified",
            "Confirm your email address first: open the link in the mail we sent (or ask for a new one).",
        )),
    }
}

/// Refuses a sign-up without an address when verification is required.
pub(crate) fn check_sign_up_email(ctx: &ServiceContext, email: Option<&str>) -> Result<()> {
    if ctx.settings.email.verification() == EmailVerification::Required && email.is_none() {
        return Err(Error::validation(
            "email",
            "is required: this server confirms every account's address",
        ));
    }
    Ok(())
}

/// The signed-in account's mail state.
#[derive(Debug, Clone, Copy)]
pub struct AccountMail {
    /// Whether its address is confirmed.
    pub email_verified: bool,
    /// Whether it gets the hourly digest of unread replies and mentions.
    pub email_digest: bool,
}

/// The viewer's mail state.
pub async fn account_state(ctx: &ServiceContext, viewer: &Viewer) -> Result<AccountMail> {
    let state = hearth_db::mail::state(&ctx.pool, viewer.person_id)
        .await?
        .ok_or_else(|| Error::not_found("This account no longer exists."))?;
    Ok(AccountMail {
        email_verified: state.email_verified,
        email_digest: state.email_digest,
    })
}

/// Turns the viewer's hourly digest on or off (on needs an address on the account, mail, and
/// digests allowed by the server).
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn set_digest(ctx: &ServiceContext, viewer: &Viewer, on: bool) -> Result<()> {
    if on {
        if hearth_db::mail::account_by_id(&ctx.pool, viewer.person_id)
            .await?
            .is_none()
        {
            return Err(Error::validation(
                "email_digest",
                "needs an email address on the account",
            ));
        }
        require_enabled(ctx)?;
        if !ctx.settings.email.digests {
            return Err(Error::conflict(
                "digests_disabled",
                "This server does not send digests.",
            ));
        }
    }
    hearth_db::mail::set_digest(&ctx.pool, viewer.person_id, on).await?;
    Ok(())
}

/// Changes the viewer's address (an empty one removes it). A new address is unconfirmed: a
/// confirmation link is mailed to it when verification is on. An address another account has
/// is refused (409 `email_taken`).
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn change_email(ctx: &ServiceContext, viewer: &Viewer, email: &str) -> Result<()> {
    let email = email.trim();
    let email = if email.is_empty() {
        None
    } else {
        Some(crate::auth::validate_email(email)?)
    };
    let current = hearth_db::mail::account_by_id(&ctx.pool, viewer.person_id).await?;
    let unchanged = match (&current, &email) {
        (Some(c), Some(new)) => c.email.eq_ignore_ascii_case(new),
        (None, None) => true,
        _ => false,
    };
    if unchanged {
        return Ok(());
    }
    if email.is_none() && ctx.settings.email.verification() == EmailVerification::Required {
        return Err(Error::validation(
            "email",
            "is required: this server confirms every account's address",
        ));
    }
    let mut tx = ctx.pool.begin().await?;
    hearth_db::mail::set_email(&mut *tx, viewer.person_id, email.as_deref())
        .await
        .map_err(
            |e| match crate::constraint::violated_constraint(&e).as_deref() {
                Some("local_account_email_key") => {
                    Error::conflict("email_taken", "An account with this email address exists.")
                }
                _ => Error::from(e),
            },
        )?;
    if let Some(email) = email.as_deref() {
        let name = hearth_db::person::find(&mut *tx, viewer.person_id)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        queue_verification(ctx, &mut tx, viewer.person_id, &name, email).await?;
    }
    tx.commit().await?;
    tracing::info!("email address changed");
    Ok(())
}

/// Tells an applicant how an admin decided (within the decision's transaction), when they gave
/// an address.
pub(crate) async fn application_decided(
    ctx: &ServiceContext,
    conn: &mut PgConnection,
    person_id: i64,
    approved: bool,
    reason: Option<&str>,
) -> Result<()> {
    if !enabled(ctx) {
        return Ok(());
    }
    let Some(account) = hearth_db::mail::account_by_id(&mut *conn, person_id).await? else {
        return Ok(());
    };
    let site = site_name(conn).await?;
    let base = ctx.settings.public_base_url();
    let login_link = format!("{base}/login");
    let subject = if approved {
        format!("{site}: your application was approved")
    } else {
        format!("{site}: your application was turned down")
    };
    let mail = render_mail!(
        subject,
        &site,
        &base,
        DecidedText,
        DecidedHtml {
            name: &account.name,
            approved,
            reason: reason.unwrap_or(""),
            login_link: &login_link,
        }
    )?;
    queue(conn, &account.email, &mail).await
}

/// Tells every admin with an address of a new application (within the sign-up's transaction).
pub(crate) async fn new_application(
    ctx: &ServiceContext,
    conn: &mut PgConnection,
    applicant: &str,
    answer: &str,
) -> Result<()> {
    if !enabled(ctx) {
        return Ok(());
    }
    let admins = hearth_db::mail::admin_accounts(&mut *conn).await?;
    if admins.is_empty() {
        return Ok(());
    }
    let site = site_name(conn).await?;
    let base = ctx.settings.public_base_url();
    let link = format!("{base}/admin/applications");
    for admin in &admins {
        let mail = render_mail!(
            format!("{site}: new application from {applicant}"),
            &site,
            &base,
            ApplicationText,
            ApplicationHtml {
                name: &admin.name,
                applicant,
                answer: answer,
                link: &link,
            }
        )?;
        queue(conn, &admin.email, &mail).await?;
    }
    Ok(())
}

/// Tells every admin with an address of a new report (within the report's transaction).
pub(crate) async fn new_report(
    ctx: &ServiceContext,
    conn: &mut PgConnection,
    reporter_id: i64,
    post_id: i64,
    reason: &str,
) -> Result<()> {
    if !enabled(ctx) {
        return Ok(());
    }
    let admins: Vec<MailAccount> = hearth_db::mail::admin_accounts(&mut *conn).await?;
    let subject = hearth_db::mail::report_subject(&mut *conn, reporter_id, post_id).await?;
    let Some((reporter, post_title)) = subject.filter(|_| !admins.is_empty()) else {
        return Ok(());
    };
    let (reporter, post_title) = (reporter.as_str(), post_title.as_str());
    let site = site_name(conn).await?;
    let base = ctx.settings.public_base_url();
    let link = format!("{base}/reports");
    for admin in &admins {
        let mail = render_mail!(
            format!("{site}: new report from {reporter}"),
            &site,
            &base,
            ReportText,
            ReportHtml {
                name: &admin.name,
                reporter,
                post_title: post_title,
                reason,
                link: &link,
            }
        )?;
        queue(conn, &admin.email, &mail).await?;
    }
    Ok(())
}

/// Queues the hourly digests that are due: for each account that asked for one and has unread
/// replies or mentions newer than its last digest (sent at least an hour ago), one mail listing
/// them. Returns how many were queued. Called by the periodic maintenance.
pub async fn send_digests(ctx: &ServiceContext) -> Result<u64> {
    if !enabled(ctx) || !ctx.settings.email.digests {
        return Ok(0);
    }
    let due = hearth_db::mail::digests_due(&ctx.pool, 500).await?;
    let base = ctx.settings.public_base_url();
    let mut queued = 0;
    for account in due {
        let mut tx = ctx.pool.begin().await?;
        // Another process may have sent it since the list was read.
        if !hearth_db::mail::claim_digest(&mut *tx, account.person_id).await? {
            continue;
        }
        let items =
            hearth_db::mail::digest_items(&mut *tx, account.person_id, account.last_digest_at, 50)
                .await?;
        if items.is_empty() {
            continue;
        }
        let lines: Vec<DigestLine> = items
            .iter()
            .map(|item| {
                let who = item.actor.as_deref().unwrap_or("Someone");
                let title = item.post_title.as_deref().unwrap_or("a post");
                let text = if item.kind == "mention" {
                    format!("{who} mentioned you in “{title}”")
                } else {
                    format!("{who} replied to you in “{title}”")
                };
                let link = match (item.comment_id, item.post_id) {
                    (Some(comment), _) => format!("{base}/comment/{comment}"),
                    (None, Some(post)) => format!("{base}/post/{post}"),
                    (None, None) => format!("{base}/notifications"),
                };
                DigestLine { text, link }
            })
            .collect();
        let site = site_name(&mut tx).await?;
        let notifications_link = format!("{base}/notifications");
        let settings_link = format!("{base}/settings");
        let mail = render_mail!(
            format!("{site}: {} new for you", lines.len()),
            &site,
            &base,
            DigestText,
            DigestHtml {
                name: &account.name,
                items: &lines,
                notifications_link: &notifications_link,
                settings_link: &settings_link,
            }
        )?;
        queue(&mut tx, &account.email, &mail).await?;
        tx.commit().await?;
        queued += 1;
    }
    Ok(queued)
}

// --- Sending ----------------------------------------------------------------------------------

/// What the sender needs: a connection pool to the SMTP server and the sender's mailbox.
struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Sender {
    fn from_settings(settings: &EmailSettings) -> anyhow::Result<Self> {
        let host = settings.smtp_host.trim();
        let builder = match settings.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
        };
        let mut builder = builder
            .port(settings.smtp_port)
            .timeout(Some(Duration::from_secs(30)));
        if !settings.username.trim().is_empty() {
            let password = settings
                .password
                .as_ref()
                .map(|p| p.expose_secret().to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(
                settings.username.trim().to_owned(),
                password,
            ));
        }
        let from: Mailbox = settings
            .from
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("email.from is not a mailbox: {e}"))?;
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Sends one mail. `Err((message, permanent))`: a permanent failure is not retried.
    async fn send(
        &self,
        mail: &hearth_db::mail::QueuedMail,
    ) -> std::result::Result<(), (String, bool)> {
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|e| (format!("not a mailbox: {e}"), true))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text_body.clone(),
                mail.html_body.clone(),
            ))
            .map_err(|e| (format!("cannot build the message: {e}"), true))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| (e.to_string(), e.is_permanent()))
    }
}

/// The wait before the attempt after `attempts` failed ones: 30 s, doubling, at most an hour.
fn retry_delay_secs(attempts: i32) -> f64 {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(7);
    (30.0 * f64::from(2u32.pow(exponent))).min(3600.0)
}

/// Sends queued mail until `stop` completes: looks for due mail every second, sends it, retries
/// failures with backoff and gives a mail up after a bounded number of attempts. Returns at once
/// when mail is off.
pub async fn run(ctx: ServiceContext, stop: impl Future<Output = ()> + Send) {
    if !enabled(&ctx) {
        return;
    }
    let sender = match Sender::from_settings(&ctx.settings.email) {
        Ok(sender) => sender,
        Err(e) => {
            tracing::error!(error = %e, "cannot set up the mail sender; no mail will be sent");
            return;
        }
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick() => {}
        }
        // A shutdown does not wait for a slow SMTP server: a mail cut off mid-send stays
        // claimed until its lease ends and is tried again then.
        tokio::select! {
            () = &mut stop => return,
            result = send_due(&ctx, &sender) => {
                if let Err(e) = result {
                    tracing::warn!(error = ?e, "cannot send queued mail; retrying shortly");
                }
            }
        }
    }
}

/// How long sent and given-up mail stays in the queue (recipient and subject only, for an
/// admin who wonders whether something went out).
const KEEP_FINISHED_SECS: f64 = 7.0 * 24.0 * 3600.0;

/// Deletes sent and given-up mail older than a week; how many went. Part of the periodic
/// maintenance.
pub async fn prune(ctx: &ServiceContext) -> Result<u64> {
    Ok(hearth_db::mail::prune_finished(&ctx.pool, KEEP_FINISHED_SECS).await?)
}

/// Sends the mail that is due now; how many were sent.
async fn send_due(ctx: &ServiceContext, sender: &Sender) -> Result<u64> {
    let mut sent = 0;
    loop {
        // The lease outlasts a send's timeout, so a mail is never being sent twice at once.
        let batch = hearth_db::mail::claim_due(&ctx.pool, 20, 120.0).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        for mail in &batch {
            match sender.send(mail).await {
                Ok(()) => {
                    hearth_db::mail::mark_sent(&ctx.pool, mail.id).await?;
                    sent += 1;
                    tracing::debug!(mail = mail.id, "mail sent");
                }
                Err((error, permanent)) => {
                    let give_up = permanent || mail.attempts >= MAX_ATTEMPTS;
                    let retry = (!give_up).then(|| retry_delay_secs(mail.attempts));
                    hearth_db::mail::mark_failed(&ctx.pool, mail.id, &error, retry).await?;
                    // The SMTP server's words may quote the address, so they stay in the
                    // queue row for the admin and out of the log.
                    tracing::warn!(
                        mail = mail.id,
                        attempts = mail.attempts,
                        permanent,
                        given_up = give_up,
                        "a mail could not be sent"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay_secs(1), 30.0);
        assert_eq!(retry_delay_secs(2), 60.0);
        assert_eq!(retry_delay_secs(8), 3600.0);
        assert_eq!(retry_delay_secs(100), 3600.0);
    }

    #[test]
    fn html_bodies_escape_what_people_typed() {
        let mail = render_mail!(
            "s".to_owned(),
            "Site <b>",
            "https://x",
            ReportText,
            ReportHtml {
                name: "admin",
                reporter: "eve",
                post_title: "<script>alert(1)</script>",
                reason: "a & b",
                link: "https://x/reports",
            }
        )
        .unwrap();
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
        assert!(mail.html.contains("alert(1)"));
        assert!(!mail.html.contains("Site <b>"));
        assert!(mail.text.contains("<script>alert(1)</script>"));
        assert!(mail.text.contains("Site <b>"));
    }
}
