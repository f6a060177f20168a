//! `hearth admin backup DIR` and `hearth admin restore DIR`: a consistent `pg_dump` of the
//! database (embedded or at `database.url`) and a copy of the picture directory, described by a
//! `manifest.json` written last, so that a backup interrupted half-way never looks whole.

use crate::database::{Database, EMBEDDED_DATABASE, IfMissing, cluster_options};
use hearth_core::Settings;
use hearth_core::settings::MediaStorage;
use hearth_db::embedded::{EmbeddedCluster, WhenInUse, cluster_exists, find_binaries};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The manifest's file name inside a backup directory.
pub const MANIFEST: &str = "manifest.json";
/// The database dump's file name inside a backup directory (`pg_dump --format=custom`).
pub const DUMP: &str = "database.dump";
/// The folder of the picture files inside a backup directory.
const MEDIA: &str = "media";

/// What a backup holds; written last, read first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// The Hearth version that made it.
    pub hearth_version: String,
    /// The newest migration the database had applied (its schema version).
    pub schema: Option<i64>,
    /// The PostgreSQL major version of the server dumped.
    pub postgres_major: u32,
    /// When it was made.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Every file of the backup but the manifest, with its size and SHA-256.
    pub files: Vec<ManifestFile>,
}

/// One file of a backup.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Its path inside the backup directory, `/`-separated.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its SHA-256, as 64 hex digits.
    pub sha256: String,
}

/// Makes a backup in `dir`, which must be empty or not exist. Works beside a running server.
pub async fn backup(settings: &Settings, dir: &Path) -> anyhow::Result<Manifest> {
    ensure_empty_dir(dir, "the backup directory")?;
    let missing = IfMissing::Fail {
        remedy: "there is nothing to back up",
    };
    let db = Database::open(settings, WhenInUse::Share, missing).await?;
    let result = async {
        let schema = hearth_db::migrations::newest_applied(&db.pool).await?;
        let major = server_major(&db.pool).await?;
        let url = tool_url(settings, &db);
        let pg_dump = program(settings, major, "pg_dump")?;
        fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        // One snapshot (pg_dump's own transaction) makes the dump consistent while the server
        // keeps writing. Owners and grants are left out: a restore may use another role.
        let args = [
            "--format=custom".to_owned(),
            "--no-owner".to_owned(),
            "--no-privileges".to_owned(),
            format!("--file={}", dir.join(DUMP).display()),
            format!("--dbname={url}"),
        ];
        tokio::task::spawn_blocking(move || run_tool(&pg_dump, &args)).await??;
        Ok::<_, anyhow::Error>((schema, major))
    }
    .await;
    db.close().await?;
    let (schema, postgres_major) = result?;

    let mut files = vec![describe(dir, DUMP)?];
    if let Some(media) = media_dir(settings).filter(|m| m.is_dir()) {
        copy_tree(&media, &dir.join(MEDIA))?;
        let mut copied = Vec::new();
        list_files(&dir.join(MEDIA), MEDIA, &mut copied)?;
        copied.sort();
        for path in copied {
            files.push(describe(dir, &path)?);
        }
    }
    let manifest = Manifest {
        hearth_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema,
        postgres_major,
        created_at: chrono::Utc::now(),
        files,
    };
    // Written under another name and renamed: the manifest appears whole or not at all.
    let text = serde_json::to_string_pretty(&manifest)?;
    let partial = dir.join(format!("{MANIFEST}.partial"));
    fs::write(&partial, text)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", partial.display()))?;
    fs::rename(&partial, dir.join(MANIFEST))
        .map_err(|e| anyhow::anyhow!("cannot write the manifest in {}: {e}", dir.display()))?;
    Ok(manifest)
}

/// Restores the backup in `dir`: into a data directory with no cluster (the embedded cluster is
/// created for it), or into the empty database at `database.url`.
pub async fn restore(settings: &Settings, dir: &Path) -> anyhow::Result<Manifest> {
    let manifest = verify(dir)?;
    if let (Some(schema), Some(binary)) = (manifest.schema, hearth_db::migrations::newest_known())
        && schema > binary
    {
        return Err(hearth_db::migrations::NewerSchema {
            database: schema,
            binary,
        }
        .into());
    }
    let cluster_dir = settings.data_dir.join("postgres");
    // Checked first: the one answer that matters when the target is a live instance.
    anyhow::ensure!(
        settings.database.url.is_some() || !cluster_exists(&cluster_dir),
        "the data directory {} already has a database (in {}); restore into a new data directory (set HEARTH__DATA_DIR or data_dir)",
        settings.data_dir.display(),
        cluster_dir.display()
    );
    let media_target = media_dir(settings);
    let media_files = manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("media/"))
        .count();
    if media_files > 0
        && let Some(target) = &media_target
    {
        ensure_empty_dir(target, "the media directory")?;
    }
    let dump = dir.join(DUMP).display().to_string();
    if settings.database.url.is_some() {
        let db = Database::open(settings, WhenInUse::Share, IfMissing::Create).await?;
        let result = async {
            anyhow::ensure!(
                database_is_empty(&db.pool).await?,
                "the database at database.url is not empty; restore into a new, empty database"
            );
            let major = server_major(&db.pool).await?;
            let pg_restore = program(settings, major, "pg_restore")?;
            let url = tool_url(settings, &db);
            tokio::task::spawn_blocking(move || run_restore(&pg_restore, &url, &dump)).await?
        }
        .await;
        db.close().await?;
        result?;
    } else {
        let options = cluster_options(settings);
        let cluster = tokio::task::spawn_blocking(move || {
            EmbeddedCluster::start(&options, WhenInUse::Refuse)
        })
        .await??;
        let restored = async {
            cluster.ensure_database(EMBEDDED_DATABASE).await?;
            let pg_restore = program(settings, cluster.major_version(), "pg_restore")?;
            let url = cluster.url(EMBEDDED_DATABASE);
            tokio::task::spawn_blocking(move || run_restore(&pg_restore, &url, &dump)).await?
        }
        .await;
        tokio::task::spawn_blocking(move || cluster.stop()).await??;
        if let Err(e) = restored {
            // A half-restored cluster would pass for an instance: remove it so that the next
            // try starts clean.
            let _ = fs::remove_dir_all(&cluster_dir);
            let _ = fs::remove_file(cluster_dir.with_extension("lock"));
            return Err(e);
        }
    }
    match &media_target {
        Some(target) if media_files > 0 => copy_tree(&dir.join(MEDIA), target)?,
        None if media_files > 0 => {
            eprintln!(
                "hearth: the backup holds {media_files} picture files but media.storage is s3; copy {} into the bucket",
                dir.join(MEDIA).display()
            );
        }
        _ => {}
    }
    Ok(manifest)
}

/// Reads the manifest of the backup in `dir` and checks every file's size and hash.
pub fn verify(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join(MANIFEST);
    let text = fs::read_to_string(&path).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a complete Hearth backup (cannot read {MANIFEST}: {e})",
            dir.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a Hearth backup manifest: {e}", path.display()))?;
    anyhow::ensure!(
        manifest.files.iter().any(|f| f.path == DUMP),
        "the backup in {} has no {DUMP}",
        dir.display()
    );
    for file in &manifest.files {
        anyhow::ensure!(
            is_inside(&file.path),
            "the manifest in {} names a file outside the backup: {}",
            dir.display(),
            file.path
        );
        let found = describe(dir, &file.path)?;
        anyhow::ensure!(
            found.bytes == file.bytes && found.sha256 == file.sha256,
            "the backup is damaged: {} does not match its manifest (size or SHA-256 differs); nothing was restored",
            dir.join(&file.path).display()
        );
    }
    Ok(manifest)
}

/// True for a relative path without `..`: a manifest must not reach outside its backup.
fn is_inside(path: &str) -> bool {
    let path = Path::new(path);
    path.is_relative()
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

fn ensure_empty_dir(dir: &Path, what: &str) -> anyhow::Result<()> {
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            anyhow::ensure!(
                entries.next().is_none(),
                "{what} {} is not empty; choose a new or empty directory",
                dir.display()
            );
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", dir.display())),
    }
}

/// The picture directory when pictures are kept in one (`media.storage = "fs"`).
fn media_dir(settings: &Settings) -> Option<PathBuf> {
    match settings.media.storage {
        MediaStorage::Fs if settings.media.dir.as_os_str().is_empty() => {
            Some(settings.data_dir.join("media"))
        }
        MediaStorage::Fs => Some(settings.media.dir.clone()),
        MediaStorage::S3 => None,
    }
}

/// The connection URL PostgreSQL's own tools take.
fn tool_url(settings: &Settings, db: &Database) -> String {
    match (&settings.database.url, db.cluster()) {
        (Some(url), _) => url.expose_secret().to_owned(),
        (None, Some(cluster)) => cluster.url(EMBEDDED_DATABASE),
        (None, None) => String::new(),
    }
}

async fn server_major(pool: &sqlx::PgPool) -> anyhow::Result<u32> {
    let number: String = sqlx::query_scalar("show server_version_num")
        .fetch_one(pool)
        .await?;
    let number: u32 = number
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("PostgreSQL answered an unreadable version: {number}"))?;
    Ok(number / 10_000)
}

async fn database_is_empty(pool: &sqlx::PgPool) -> anyhow::Result<bool> {
    let objects: i64 = sqlx::query_scalar(
        "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where n.nspname = 'public'",
    )
    .fetch_one(pool)
    .await?;
    Ok(objects == 0)
}

/// `pg_dump`/`pg_restore` of the server's major version, found where the embedded cluster
/// finds its programs: an older one refuses a newer server, a newer one writes dumps an older
/// `pg_restore` cannot read.
fn program(settings: &Settings, major: u32, name: &str) -> anyhow::Result<PathBuf> {
    let installed = find_binaries(&cluster_options(settings));
    installed
        .iter()
        .find(|b| b.major == major)
        .map(|b| b.dir.join(name))
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no {name} of PostgreSQL {major} (the database server's version) found in PATH or /usr/lib/postgresql/*/bin; install the package postgresql-client-{major}"
            )
        })
}

fn run_restore(pg_restore: &Path, url: &str, dump: &str) -> anyhow::Result<()> {
    let args = [
        "--no-owner".to_owned(),
        "--no-privileges".to_owned(),
        "--exit-on-error".to_owned(),
        "--single-transaction".to_owned(),
        format!("--dbname={url}"),
        dump.to_owned(),
    ];
    run_tool(pg_restore, &args)
}

fn run_tool(program: &Path, args: &[String]) -> anyhow::Result<()> {
    let name = program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let out = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", program.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        anyhow::bail!("{name} failed ({}): {}", out.status, last.trim());
    }
    Ok(())
}

fn describe(root: &Path, relative: &str) -> anyhow::Result<ManifestFile> {
    let path = root.join(relative);
    let mut file = fs::File::open(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    let bytes = io::copy(&mut file, &mut hasher)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(ManifestFile {
        path: relative.to_owned(),
        bytes,
        sha256,
    })
}

/// Every regular file under `dir`, as `prefix/relative/path`.
fn list_files(dir: &Path, prefix: &str, out: &mut Vec<String>) -> anyhow::Result<()> {
    let entries =
        fs::read_dir(dir).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            list_files(&entry.path(), &format!("{prefix}/{name}"), out)?;
        } else if kind.is_file() {
            out.push(format!("{prefix}/{name}"));
        }
    }
    Ok(())
}

/// Copies the regular files and folders under `from` into `to` (symlinks are not followed).
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(to).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", to.display()))?;
    let entries =
        fs::read_dir(from).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| anyhow::anyhow!("cannot read {}: {e}", from.display()))?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), &target).map_err(|e| {
                anyhow::anyhow!(
                    "cannot copy {} to {}: {e}",
                    entry.path().display(),
                    target.display()
                )
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_stay_inside_the_backup() {
        assert!(is_inside("database.dump"));
        assert!(is_inside("media/ab/cd.webp"));
        assert!(!is_inside("../etc/passwd"));
        assert!(!is_inside("/etc/passwd"));
        assert!(!is_inside("media/../../x"));
    }
}
