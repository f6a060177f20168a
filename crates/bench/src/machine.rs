//! The machine a run measured: date, cores, CPU model (/proc/cpuinfo), memory, load average at
//! the start, PostgreSQL version and the commit, recorded with every figure because absolute
//! times depend on all of them.

use std::path::Path;
use std::process::Command;

/// What is recorded about the machine.
#[derive(Debug, Clone)]
pub struct Machine {
    /// When the run started (UTC).
    pub date: String,
    /// Logical CPUs available to the process.
    pub cores: usize,
    /// The CPU model.
    pub cpu: String,
    /// Total memory in bytes.
    pub memory: u64,
    /// The 1-minute load average when the run started.
    pub load: String,
    /// PostgreSQL major version.
    pub postgres: u32,
    /// The checked-out commit.
    pub commit: String,
}

impl Machine {
    /// One line describing the machine.
    pub fn line(&self) -> String {
        let mut line = format!(
            "Machine: {} cores ({}), {:.1} GiB memory, load average {} at the start, PostgreSQL {}, commit {}.",
            self.cores,
            self.cpu,
            self.memory as f64 / (1024.0 * 1024.0 * 1024.0),
            self.load,
            self.postgres,
            self.commit
        );
        // Figures measured with settings other than the defaults say so wherever they go.
        let tried = crate::instance::tried_settings();
        if !tried.is_empty() {
            let named: Vec<String> = tried.iter().map(|(k, v)| format!("{k}={v}")).collect();
            line.push_str(&format!(" Settings tried: {}.", named.join(", ")));
        }
        line
    }
}

/// The number of cores the harness may use.
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
}

/// Describes this machine now; `repo` is the checkout whose commit is recorded.
pub fn describe(postgres: u32, repo: &Path) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024);
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned());
    let commit = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    Machine {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        cores: cores(),
        cpu,
        memory,
        load,
        postgres,
        commit,
    }
}
