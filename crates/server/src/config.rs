//! Loads `Settings` from the compiled-in defaults, an optional file and `HEARTH__SECTION__KEY`
//! environment variables, in that order, and turns any mistake into one line naming the key.

use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use hearth_core::Settings;
use std::path::Path;

/// The defaults, compiled in so the binary runs from any directory.
pub const DEFAULT_CONFIG: &str = include_str!("../../../config/default.toml");

/// The prefix of configuration environment variables.
pub const ENV_PREFIX: &str = "HEARTH__";

/// The name figment reports as the source of environment values.
const ENV_SOURCE: &str = "environment variable";

/// A configuration mistake, as one line that names the key and where it came from.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(String);

/// Loads the settings. `env` is the process environment (passed in, so tests give their own).
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Settings, ConfigError> {
    let mut figment = Figment::new().merge(Toml::string(DEFAULT_CONFIG));
    if let Some(file) = file {
        if !file.is_file() {
            return Err(ConfigError(format!(
                "the config file {} does not exist",
                file.display()
            )));
        }
        figment = figment.merge(Toml::file_exact(file));
    }
    let mut env: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX))
        .collect();
    // By name only: a stable sort keeps the caller's order for repeated names, so the last wins.
    env.sort_by(|a, b| a.0.cmp(&b.0));
    let mut env_vars = Vec::new();
    for (name, raw) in env {
        let key = name[ENV_PREFIX.len()..]
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>();
        if key.iter().any(String::is_empty) {
            return Err(ConfigError(format!(
                "environment variable {name} is not of the form HEARTH__SECTION__KEY"
            )));
        }
        env_vars.push((key.clone(), name));
        figment = figment.merge(EnvVar { key, raw });
    }
    let settings: Settings = figment.extract().map_err(|e| describe(e, &env_vars))?;
    settings
        .validate()
        .map_err(|(key, why)| ConfigError(format!("`{key}` {why}")))?;
    Ok(settings)
}

/// One `HEARTH__…` variable as a provider, so errors can name it.
struct EnvVar {
    key: Vec<String>,
    raw: String,
}

impl Provider for EnvVar {
    fn metadata(&self) -> Metadata {
        Metadata::named(ENV_SOURCE)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        // Values are parsed like TOML scalars and arrays ("true", "10", "[\"a\"]"), else kept as text.
        let mut value: Value = self
            .raw
            .parse()
            .unwrap_or_else(|_| Value::from(self.raw.clone()));
        for part in self.key.iter().skip(1).rev() {
            let mut dict = Dict::new();
            dict.insert(part.clone(), value);
            value = Value::from(dict);
        }
        let mut top = Dict::new();
        if let Some(first) = self.key.first() {
            top.insert(first.clone(), value);
        }
        Ok(Profile::Default.collect(top))
    }
}

/// Names the key and its source in one line. `env_vars` are the `HEARTH__` variables read, by
/// key path, so that the message names the variable the operator actually set.
fn describe(error: figment::Error, env_vars: &[(Vec<String>, String)]) -> ConfigError {
    // Figment's path already ends with an unknown field's name.
    let key = if error.path.is_empty() {
        "(top level)".to_owned()
    } else {
        error.path.join(".")
    };
    let source = error.metadata.as_ref().map(|md| match &md.source {
        Some(figment::Source::File(file)) => format!(" in {}", file.display()),
        _ if md.name == ENV_SOURCE => env_vars
            .iter()
            .find(|(path, _)| path.starts_with(&error.path))
            .map(|(_, name)| format!(" from environment variable {name}"))
            .unwrap_or_default(),
        _ => String::new(),
    });
    let problem = match &error.kind {
        figment::error::Kind::UnknownField(_, expected) => {
            format!("unknown key (this section has: {})", expected.join(", "))
        }
        other => other.to_string(),
    };
    ConfigError(format!("`{key}`{}: {problem}", source.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_load_without_any_file_or_variable() {
        let s = load(None, env(&[])).unwrap();
        assert_eq!(s.hostname.as_str(), "localhost:8536");
        assert!(s.database.url.is_none());
        assert!(!s.federation.debug_local);
    }

    #[test]
    fn environment_variables_override_nested_keys() {
        let s = load(
            None,
            env(&[
                ("HEARTH__DATABASE__MAX_CONNECTIONS", "3"),
                ("HEARTH__FEDERATION__DEBUG_LOCAL", "true"),
                ("HEARTH__DATABASE__POSTGRES_BIN_DIRS", "[\"/opt/pg/bin\"]"),
                ("HEARTH__DATABASE__URL", "postgres://u@h/db"),
                ("OTHER", "ignored"),
            ]),
        )
        .unwrap();
        assert_eq!(s.database.max_connections, 3);
        assert!(s.federation.debug_local);
        assert_eq!(
            s.database.postgres_bin_dirs,
            vec![std::path::PathBuf::from("/opt/pg/bin")]
        );
        assert!(s.database.url.is_some());
    }

    #[test]
    fn metrics_have_a_loopback_listener_of_their_own_unless_turned_off() {
        let s = load(None, env(&[])).unwrap();
        assert_eq!(
            s.metrics.bind,
            Some(std::net::SocketAddr::from(([127, 0, 0, 1], 8537)))
        );
        assert_ne!(s.metrics.bind, Some(s.bind));
        let s = load(None, env(&[("HEARTH__METRICS__BIND", "")])).unwrap();
        assert_eq!(s.metrics.bind, None);
        let err = load(None, env(&[("HEARTH__METRICS__BIND", "public")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`metrics.bind`"), "{err}");
        let err = load(None, env(&[("HEARTH__METRICS__BIND", "127.0.0.1:8536")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`metrics.bind`"), "{err}");
    }

    #[test]
    fn an_unknown_environment_key_is_named() {
        let err = load(None, env(&[("HEARTH__DATABASE__URLL", "x")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("database.urll"), "{err}");
        assert!(err.contains("HEARTH__DATABASE__URLL"), "{err}");
    }

    #[test]
    fn an_invalid_value_is_named() {
        let err = load(None, env(&[("HEARTH__BIND", "not-an-address")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`bind`"), "{err}");
        let err = load(None, env(&[("HEARTH__REGISTRATION", "sometimes")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`registration`"), "{err}");
        let err = load(None, env(&[("HEARTH__HOSTNAME", "https://x.example/")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`hostname`"), "{err}");
        let err = load(None, env(&[("HEARTH__DATABASE__MAX_CONNECTIONS", "0")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`database.max_connections`"), "{err}");
        let err = load(
            None,
            env(&[("HEARTH__DATABASE__ACQUIRE_TIMEOUT_SECS", "0")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`database.acquire_timeout_secs`"), "{err}");
        let default = load(None, env(&[])).unwrap();
        assert_eq!(default.database.acquire_timeout_secs, 5);
    }

    #[test]
    fn an_unknown_key_in_a_file_is_named_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(&file, "[database]\nmax_conections = 5\n").unwrap();
        let err = load(Some(&file), env(&[])).unwrap_err().to_string();
        assert!(err.contains("database.max_conections"), "{err}");
        assert!(err.contains("hearth.toml"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let err = load(Some(Path::new("/nonexistent/hearth.toml")), env(&[])).unwrap_err();
        assert!(err.to_string().contains("does not exist"));
    }
}
