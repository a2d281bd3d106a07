//! `prestashop-sim --listen 127.0.0.1:PORT --key KEY [--latency-ms N] [--connector-key K
//! [--connector-secret S]]`: runs one simulated shop until Ctrl-C.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use prestashop_sim::{SimConfig, Simulator};

const USAGE: &str = "usage: prestashop-sim [--listen ADDR:PORT] [--key KEY] [--latency-ms N] [--connector-key K] [--connector-secret S]\n\
    \n  --listen            address to listen on (default 127.0.0.1:8080)\
    \n  --key               the Webservice key, 32 characters (default SIMKEY0123456789ABCDEFGHIJKLMNOP)\
    \n  --latency-ms        delay added before each answer (default 0)\
    \n  --connector-key     X-API-KEY of fulfillment_connector's carttotal controller (default: none, 404)\
    \n  --connector-secret  its X-Hub-Signature secret (default: none, no signature required)";

fn parse(args: &[String]) -> Result<(SocketAddr, SimConfig), String> {
    let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 8080));
    let mut config = SimConfig::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (arg.as_str(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next().cloned()).ok_or(format!("{name} needs a value"));
        match name {
            "--listen" => listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--key" => config.key = value()?,
            "--latency-ms" => {
                let ms: u64 = value()?.parse().map_err(|e| format!("--latency-ms: {e}"))?;
                config.latency = Duration::from_millis(ms);
            }
            "--connector-key" => config.connector_key = Some(value()?),
            "--connector-secret" => config.connector_secret = Some(value()?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if config.key.chars().count() != 32 {
        eprintln!("warning: PrestaShop keys are 32 characters; this one will be refused with code 18");
    }
    Ok((listen, config))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (listen, config) = match parse(&args) {
        Ok(v) => v,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("{msg}");
            }
            eprintln!("{USAGE}");
            return if msg.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) };
        }
    };
    let key = config.key.clone();
    let connector = config.connector_key.is_some();
    let sim = match Simulator::bind(listen, config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("PrestaShop Webservice simulator on {}/api/ (key {key})", sim.base_url());
    if connector {
        println!(
            "fulfillment_connector cart totals on {}/module/fulfillment_connector/carttotal?id_cart=N",
            sim.base_url()
        );
    }
    let _ = tokio::signal::ctrl_c().await;
    sim.stop().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn listen_key_and_latency_are_read_in_both_forms() {
        let (addr, cfg) = parse(&args(&[
            "--listen",
            "127.0.0.1:9999",
            "--key=ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
            "--latency-ms",
            "5",
        ]))
        .expect("valid");
        assert_eq!(addr.port(), 9999);
        assert_eq!(cfg.key, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345");
        assert_eq!(cfg.latency, Duration::from_millis(5));
        assert_eq!((cfg.connector_key, cfg.connector_secret), (None, None));
        let (_, cfg) = parse(&args(&["--connector-key=CK", "--connector-secret", "S"])).expect("valid");
        assert_eq!((cfg.connector_key.as_deref(), cfg.connector_secret.as_deref()), (Some("CK"), Some("S")));
    }

    #[test]
    fn unknown_arguments_are_refused() {
        assert!(parse(&args(&["--port", "1"])).is_err());
        assert!(parse(&args(&["--listen"])).is_err());
    }
}
