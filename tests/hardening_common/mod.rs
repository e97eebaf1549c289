//! What the hardening tests share: the results log that `scripts/security-table` turns
//! into SECURITY.md's table, and small helpers for driving the built binary.
//!
//! Each check appends one JSON line to `target/tmp/hardening-results.jsonl` when it ends:
//! its area, what was tried, how many inputs, and `pass` or `FAIL` (a panicking test
//! records `FAIL` from `Drop`), so the table is the tests' own output.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The results log, under cargo's per-target temp dir.
pub fn results_path() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("hardening-results.jsonl")
}

/// One row of the table; written when dropped.
pub struct Record {
    area: &'static str,
    check: String,
    inputs: AtomicU64,
    result: String,
}

impl Record {
    pub fn new(area: &'static str, check: impl Into<String>) -> Record {
        Record {
            area,
            check: check.into(),
            inputs: AtomicU64::new(0),
            result: String::new(),
        }
    }

    /// Count one more input tried (safe from proptest closures).
    pub fn tried(&self) {
        self.inputs.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(&self, n: u64) {
        self.inputs.fetch_add(n, Ordering::Relaxed);
    }

    pub fn inputs(&self) -> u64 {
        self.inputs.load(Ordering::Relaxed)
    }

    /// What a passing run found, e.g. "clear error, exit 2" (defaults to "no panic").
    pub fn outcome(&mut self, result: impl Into<String>) {
        self.result = result.into();
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        let (status, result) = if std::thread::panicking() {
            ("FAIL", "the test failed".to_string())
        } else if self.result.is_empty() {
            ("pass", "no panic".to_string())
        } else {
            ("pass", self.result.clone())
        };
        let line = serde_json::json!({
            "area": self.area,
            "check": self.check,
            "inputs": self.inputs(),
            "status": status,
            "result": result,
            "at": SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        });
        let _ = std::fs::create_dir_all(env!("CARGO_TARGET_TMPDIR"));
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(results_path())
        {
            // One write per line: O_APPEND keeps lines from parallel tests whole.
            let _ = f.write_all(format!("{line}\n").as_bytes());
        }
    }
}

/// The built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dockerfile-lock"))
}
