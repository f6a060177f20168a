//! What a scenario hands back: a table, notes, and the machine-readable `RESULT` line; printing
//! them, and appending them as a dated section under "## Benchmark history" in
//! docs/PERFORMANCE.md.

use crate::machine::Machine;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The heading the history lives under.
const HISTORY: &str = "## Benchmark history";

/// docs/PERFORMANCE.md of this checkout.
pub fn default_doc() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/PERFORMANCE.md")
}

/// A table of figures: a header row and rows of cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as Markdown, columns padded so that it also reads well in a terminal.
    pub fn markdown(&self) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut out = String::from("|");
            for (i, width) in widths.iter().enumerate() {
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = width.saturating_sub(cell.chars().count());
                let _ = write!(out, " {cell}{} |", " ".repeat(pad));
            }
            out
        };
        let mut out = line(&self.header);
        out.push('\n');
        out.push('|');
        for width in &widths {
            out.push_str(&"-".repeat(width + 2));
            out.push('|');
        }
        for row in &self.rows {
            out.push('\n');
            out.push_str(&line(row));
        }
        out
    }
}

/// The machine-readable summary of a scenario.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The scenario's name.
    pub scenario: &'static str,
    /// The headline figure.
    pub value: f64,
    /// Its unit.
    pub unit: &'static str,
    /// The baseline measured in the same run.
    pub baseline: f64,
    /// The goal, as a ratio of value to baseline.
    pub goal: f64,
    /// Whether every goal of the scenario was met (not only the ratio).
    pub met: bool,
}

impl Outcome {
    /// value / baseline.
    pub fn ratio(&self) -> f64 {
        if self.baseline == 0.0 {
            0.0
        } else {
            self.value / self.baseline
        }
    }

    /// `RESULT scenario=… value=… unit=… baseline=… ratio=… goal=… met=yes|no`.
    pub fn line(&self) -> String {
        format!(
            "RESULT scenario={} value={} unit={} baseline={} ratio={:.3} goal={} met={}",
            self.scenario,
            figure(self.value),
            self.unit,
            figure(self.baseline),
            self.ratio(),
            figure(self.goal),
            if self.met { "yes" } else { "no" }
        )
    }
}

/// A number as the RESULT line prints it: integers plainly, others with up to three decimals.
pub fn figure(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else if value.abs() >= 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

/// Everything a scenario reports.
#[derive(Debug, Clone)]
pub struct Report {
    /// A one-line title.
    pub title: String,
    /// The table.
    pub table: Table,
    /// Lines printed and recorded below the table (settings, scaling, explanations).
    pub notes: Vec<String>,
    /// The RESULT figures.
    pub outcome: Outcome,
    /// How long the scenario took, set by the runner.
    pub took: Option<Duration>,
}

impl Report {
    /// A report.
    pub fn new(title: impl Into<String>, table: Table, outcome: Outcome) -> Self {
        Self {
            title: title.into(),
            table,
            notes: Vec::new(),
            outcome,
            took: None,
        }
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Records how long the scenario took.
    pub fn took(mut self, took: Duration) -> Self {
        self.took = Some(took);
        self
    }

    /// The RESULT line.
    pub fn result_line(&self) -> String {
        self.outcome.line()
    }

    /// Prints the report.
    pub fn print(&self) {
        println!("{}\n", self.title);
        println!("{}\n", self.table.markdown());
        for note in &self.notes {
            println!("- {note}");
        }
        if let Some(took) = self.took {
            println!("- The scenario took {:.1} s.", took.as_secs_f64());
        }
        println!("\n{}", self.result_line());
    }

    /// Appends the report as a dated section at the end of `doc`, adding the history heading
    /// first when the file has none.
    pub fn append_to(&self, doc: &Path, machine: &Machine) -> anyhow::Result<()> {
        let current = std::fs::read_to_string(doc).unwrap_or_default();
        let mut section = String::new();
        if !current.contains(HISTORY) {
            let _ = write!(
                section,
                "\n{HISTORY}\n\nEach run of `hearth_bench` appends one section per scenario here.\n"
            );
        }
        if !current.is_empty() && !current.ends_with('\n') {
            section.insert(0, '\n');
        }
        let _ = write!(
            section,
            "\n### {} · {}\n\n{}\n\n{}\n\n{}\n",
            machine.date,
            self.outcome.scenario,
            self.title,
            machine.line(),
            self.table.markdown()
        );
        if !self.notes.is_empty() {
            section.push('\n');
            for note in &self.notes {
                let _ = writeln!(section, "- {note}");
            }
        }
        if let Some(took) = self.took {
            let _ = writeln!(section, "- The scenario took {:.1} s.", took.as_secs_f64());
        }
        let _ = write!(section, "\n`{}`\n", self.result_line());
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(doc)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", doc.display()))?;
        file.write_all(section.as_bytes())?;
        Ok(())
    }
}

/// A rate as a table shows it: `12,345/s`.
pub fn rate(per_second: f64) -> String {
    format!("{}/s", thousands(per_second.round()))
}

/// A whole number with thousands separators.
pub fn thousands(value: f64) -> String {
    let negative = value < 0.0;
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if negative { format!("-{out}") } else { out }
}

/// A duration in milliseconds with two decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// A ratio with two decimals.
pub fn ratio(value: f64) -> String {
    format!("{value:.2}")
}

/// Bytes as MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
