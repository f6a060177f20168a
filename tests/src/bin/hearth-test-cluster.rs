//! Starts and stops the throwaway PostgreSQL cluster of one test run, with the same embedded
//! cluster code `hearth serve` uses (durability off). `scripts/test` calls it:
//! `hearth-test-cluster start DIR` prints the cluster's DATABASE_URL and leaves it running;
//! `hearth-test-cluster stop DIR` stops it.

use hearth_db::embedded::{ClusterOptions, EmbeddedCluster, WhenInUse};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(action), Some(dir), None) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: hearth-test-cluster start|stop DIR");
        return ExitCode::from(2);
    };
    let options = ClusterOptions {
        dir: PathBuf::from(dir).join("postgres"),
        bin_dirs: Vec::new(),
        run_as: "postgres".to_owned(),
        durable: false,
        path_env: std::env::var_os("PATH"),
    };
    let result = match action.as_str() {
        "start" => EmbeddedCluster::start(&options, WhenInUse::Refuse).map(|cluster| {
            println!("{}", cluster.url("postgres"));
            cluster.leave_running();
        }),
        "stop" => EmbeddedCluster::stop_dir(&options),
        _ => {
            eprintln!("usage: hearth-test-cluster start|stop DIR");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearth-test-cluster: {e}");
            ExitCode::FAILURE
        }
    }
}
