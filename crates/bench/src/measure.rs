//! Measuring tools: latency percentiles, CPU time of this process and of the PostgreSQL
//! cluster (from /proc), and resident memory with its peak.

use std::path::Path;
use std::time::{Duration, Instant};

/// Clock ticks per second of /proc's CPU times (USER_HZ, 100 on every Linux architecture the
/// harness runs on).
const TICKS_PER_SECOND: f64 = 100.0;

/// Percentiles of a set of latencies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latencies {
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest.
    pub max: Duration,
    /// Mean.
    pub mean: Duration,
}

impl Latencies {
    /// Percentiles of `samples` (sorted here).
    pub fn of(samples: &mut [Duration]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let at = |q: f64| {
            let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples[index.min(samples.len() - 1)]
        };
        let total: Duration = samples.iter().sum();
        Self {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: samples[samples.len() - 1],
            mean: total / u32::try_from(samples.len()).unwrap_or(u32::MAX),
        }
    }
}

/// CPU time (user + system) of a process from /proc/<pid>/stat, with its parent pid.
fn stat_of(pid: &str) -> Option<(Duration, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: fields count from after it.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ppid: u32 = fields.get(1)?.parse().ok()?;
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((
        Duration::from_secs_f64((utime + stime) / TICKS_PER_SECOND),
        ppid,
    ))
}

/// CPU time this process has used so far (every thread, live or finished).
pub fn own_cpu() -> Duration {
    stat_of("self").map(|(cpu, _)| cpu).unwrap_or_default()
}

/// CPU time of another process.
pub fn cpu_of(pid: u32) -> Duration {
    stat_of(&pid.to_string())
        .map(|(cpu, _)| cpu)
        .unwrap_or_default()
}

/// CPU time used so far by the PostgreSQL cluster in `data_dir`: the postmaster and every
/// process it started (backends, WAL writer, checkpointer …) that is still alive.
pub fn postgres_cpu(data_dir: &Path) -> Duration {
    let Some(postmaster) = std::fs::read_to_string(data_dir.join("postmaster.pid"))
        .ok()
        .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<u32>().ok()))
    else {
        return Duration::ZERO;
    };
    let mut total = cpu_of(postmaster);
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            if let Some((cpu, ppid)) = stat_of(pid)
                && ppid == postmaster
            {
                total += cpu;
            }
        }
    }
    total
}

/// A field of /proc/self/status in bytes (`VmRSS`, `VmHWM`).
fn status_bytes(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Resident memory of this process now.
pub fn rss() -> u64 {
    status_bytes("VmRSS:")
}

/// The peak resident memory of this process since it started or since `reset_peak_rss`.
pub fn peak_rss() -> u64 {
    status_bytes("VmHWM:")
}

/// Resets the kernel's peak-RSS mark of this process to its current RSS.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// CPU of this process and of the cluster over a phase.
#[derive(Debug, Clone, Copy)]
pub struct CpuMeter {
    started: Instant,
    own: Duration,
    postgres: Duration,
}

/// What a `CpuMeter` measured.
#[derive(Debug, Clone, Copy)]
pub struct CpuUse {
    /// Wall time.
    pub wall: Duration,
    /// CPU time of this process (Hearth and the harness).
    pub own: Duration,
    /// CPU time of the PostgreSQL cluster.
    pub postgres: Duration,
}

impl CpuMeter {
    /// Starts measuring.
    pub fn start(data_dir: &Path) -> Self {
        Self {
            started: Instant::now(),
            own: own_cpu(),
            postgres: postgres_cpu(data_dir),
        }
    }

    /// What was used since `start`.
    pub fn stop(&self, data_dir: &Path) -> CpuUse {
        CpuUse {
            wall: self.started.elapsed(),
            own: own_cpu().saturating_sub(self.own),
            postgres: postgres_cpu(data_dir).saturating_sub(self.postgres),
        }
    }
}

/// Microseconds since the Unix epoch (the sink reports arrival times this way).
pub fn unix_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
