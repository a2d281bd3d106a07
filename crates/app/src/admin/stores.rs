//! `hub stores list` and `hub stores check`: the configured stores as a table, what each Webservice key may
//! do, and whether the source's connector (`carttotal`) accepts the hub's key and signature.

use std::process::ExitCode;

use crate::settings::Settings;

/// Prints the configured stores, never their keys.
pub(super) fn list(settings: &Settings) {
    let rows = super::stores(settings);
    println!("{:<20} {:<7} {:<7} {:<7} {:<40} RULE", "STORE", "ROLE", "ACTIVE", "SIGNED", "WEBSERVICE");
    for r in rows {
        println!(
            "{:<20} {:<7} {:<7} {:<7} {:<40} {}",
            r.code,
            r.role,
            if r.active { "yes" } else { "no" },
            if r.signed { "yes" } else { "no" },
            r.webservice.unwrap_or_else(|| "—".into()),
            r.rule
        );
    }
}

/// Reaches each store's Webservice and prints a line per store (and one for the source's connector); fails
/// when a store is unreachable, its key lacks a permission, or the source's connector refuses the hub.
///
/// # Errors
/// The HTTP client cannot be built.
pub(super) async fn check(settings: &Settings) -> anyhow::Result<ExitCode> {
    let mut failures = 0;
    for row in super::check_stores(settings).await? {
        match row.result {
            None => println!("{:<20} {:<7} no Webservice configured", row.code, row.role),
            Some(Ok(check)) => {
                let version = check.version.unwrap_or_else(|| "unknown version".into());
                if check.missing.is_empty() {
                    println!(
                        "{:<20} {:<7} ok: PrestaShop {version}, {} resources, {} ms",
                        row.code,
                        row.role,
                        check.permissions.len(),
                        check.latency_ms
                    );
                } else {
                    failures += 1;
                    println!(
                        "{:<20} {:<7} reachable (PrestaShop {version}, {} ms) but the key lacks: {}",
                        row.code,
                        row.role,
                        check.latency_ms,
                        check.missing.join(", ")
                    );
                }
            }
            Some(Err(e)) => {
                failures += 1;
                println!("{:<20} {:<7} FAILED: {e}", row.code, row.role);
            }
        }
        match &row.connector {
            Some(c) if c.is_ok() => println!("{:<20} {:<7} ok: {c}", row.code, row.role),
            Some(c) => {
                failures += 1;
                println!("{:<20} {:<7} FAILED: {c}", row.code, row.role);
            }
            None => {}
        }
    }
    Ok(if failures > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
