//! The `hub` command line: generated help for the hub and its commands, and clap's refusal (exit code 2,
//! naming the culprit) of what it does not know. No database: nothing here gets past the parser.

use std::process::{Command, Output};

use crate::helpers::binary;

/// Runs the `hub` binary with `args` and a configuration file that does not exist, so that a command
/// that got past the parser would fail with 1, never 0 or 2.
fn hub(args: &[&str]) -> Output {
    Command::new(binary("hub"))
        .args(args)
        .env("HUB_CONFIG", "/nonexistent/hub-cli-test.toml")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the hub binary is built (cargo build --bins)")
}

/// The stdout of a help request, checked to exit 0 with nothing on stderr.
fn help(args: &[&str]) -> String {
    let out = hub(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "hub {}: {stdout}{stderr}", args.join(" "));
    assert!(stderr.is_empty(), "hub {}: {stderr}", args.join(" "));
    stdout
}

#[test]
fn the_hub_help_lists_every_command_and_where_the_settings_come_from() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let out = help(args);
        assert!(out.contains("Usage: hub [COMMAND]"), "{out}");
        for command in ["serve", "migrate", "stores", "jobs", "replay", "reconcile", "healthcheck", "help"] {
            assert!(out.lines().any(|l| l.trim_start().starts_with(command)), "`{command}` listed: {out}");
        }
        assert!(out.contains("HUB_CONFIG") && out.contains("HUB_SECTION__KEY"), "{out}");
    }
}

#[test]
fn the_jobs_help_names_its_subcommands_and_their_flags() {
    let out = help(&["jobs", "--help"]);
    assert!(out.contains("Usage: hub jobs <COMMAND>"), "{out}");
    for command in ["failed", "retry", "discard"] {
        assert!(out.lines().any(|l| l.trim_start().starts_with(command)), "`{command}` listed: {out}");
    }
    let out = help(&["jobs", "failed", "--help"]);
    assert!(out.contains("--limit <N>") && out.contains("[default: 100]"), "{out}");
    let out = help(&["jobs", "retry", "--help"]);
    assert!(out.contains("Usage: hub jobs retry <ID|--all>") && out.contains("--all"), "{out}");
}

#[test]
fn the_reconcile_help_names_its_flags_and_how_since_reads_a_time() {
    let out = help(&["reconcile", "--help"]);
    assert!(out.contains("Usage: hub reconcile [OPTIONS]"), "{out}");
    assert!(out.contains("--since <TIME>") && out.contains("--store <CODE>"), "{out}");
    assert!(out.contains("RFC 3339") && out.contains("date_upd"), "{out}");
}

#[test]
fn unknown_flags_are_refused_with_exit_code_2_naming_the_flag() {
    for args in [&["--bogus"][..], &["jobs", "failed", "--bogus"], &["reconcile", "--bogus"]] {
        let out = hub(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "hub {}: {stderr}", args.join(" "));
        assert!(stderr.contains("'--bogus'"), "hub {}: {stderr}", args.join(" "));
        assert!(out.stdout.is_empty(), "hub {}: {}", args.join(" "), String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn unknown_commands_are_refused_with_exit_code_2_naming_the_command() {
    for (args, named) in [(&["explode"][..], "'explode'"), (&["jobs", "explode"], "'explode'")] {
        let out = hub(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "hub {}: {stderr}", args.join(" "));
        assert!(stderr.contains(named), "hub {}: {stderr}", args.join(" "));
    }
}
