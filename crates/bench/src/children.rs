//! Helper processes: the harness re-executes itself with a hidden subcommand (`sink`, `load`,
//! `deliver`, `decode-peak`, `upload-burst`) so that sinks and load generators do not run on the
//! measured process's threads, so that a sender can be killed, and so that one upload's memory
//! can be measured in a process that has done nothing else. A helper says it is ready with one
//! line on stdout and stops when its stdin closes, so none outlives the harness.

use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// A running helper process.
pub struct Helper {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Helper {
    /// Starts `hearth_bench <args>` and waits (up to `ready_within`) for its first line.
    pub async fn start(args: &[String], ready_within: Duration) -> anyhow::Result<(Self, String)> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("the helper has no stdout"))?;
        let mut helper = Self {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        };
        let mut line = String::new();
        let read = tokio::time::timeout(ready_within, helper.stdout.read_line(&mut line)).await;
        match read {
            Ok(Ok(n)) if n > 0 => Ok((helper, line.trim().to_owned())),
            Ok(Ok(_)) => Err(anyhow::anyhow!(
                "helper `{}` exited before it was ready",
                args.join(" ")
            )),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(anyhow::anyhow!(
                "helper `{}` was not ready within {ready_within:?}",
                args.join(" ")
            )),
        }
    }

    /// Kills it with SIGKILL and reaps it.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }

    /// Closes its stdin (asking it to stop), then reads the rest of its output and waits for it.
    pub async fn finish(mut self, within: Duration) -> anyhow::Result<String> {
        drop(self.stdin.take());
        let mut rest = String::new();
        let done = tokio::time::timeout(within, async {
            self.stdout.read_to_string(&mut rest).await?;
            self.child.wait().await
        })
        .await;
        match done {
            Ok(Ok(status)) if status.success() => Ok(rest),
            Ok(Ok(status)) => Err(anyhow::anyhow!("helper exited with {status}")),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => {
                let _ = self.child.start_kill();
                Err(anyhow::anyhow!("helper did not stop within {within:?}"))
            }
        }
    }
}

/// Runs a helper to completion (it needs no stdin) and returns its first output line.
pub async fn run(args: &[String], within: Duration) -> anyhow::Result<String> {
    let (helper, line) = Helper::start(args, within).await?;
    helper.finish(Duration::from_secs(5)).await?;
    Ok(line)
}

/// Resolves when stdin reaches its end: the parent closed it or died. Helpers stop then.
pub async fn stdin_closed() {
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 64];
    loop {
        match stdin.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}
