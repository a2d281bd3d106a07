//! `prestashop-sim --listen 127.0.0.1:PORT --key KEY [--latency-ms N] [--connector-key K
//! [--connector-secret S]] [--seed REFERENCE:NAME:PRICE:QUANTITY]...`: runs one simulated shop until Ctrl-C
//! or SIGTERM (a container's stop).

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use prestashop_sim::{SimConfig, Simulator};

const USAGE: &str = "usage: prestashop-sim [--listen ADDR:PORT] [--key KEY] [--latency-ms N] [--connector-key K] [--connector-secret S] [--seed REF:NAME:PRICE:QTY]...\n\
    \n  --listen            address to listen on (default 127.0.0.1:8080)\
    \n  --key               the Webservice key, 32 characters (default SIMKEY0123456789ABCDEFGHIJKLMNOP)\
    \n  --latency-ms        delay added before each answer (default 0)\
    \n  --connector-key     X-API-KEY of fulfillment_connector's carttotal controller (default: none, 404)\
    \n  --connector-secret  its X-Hub-Signature secret (default: none, no signature required)\
    \n  --seed              a simple product to start with, e.g. WHS-0001:Mug:10.00:50 (repeatable)";

/// A product to seed: reference, name, price tax excluded, quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seed {
    reference: String,
    name: String,
    price: String,
    quantity: i64,
}

fn seed(raw: &str) -> Result<Seed, String> {
    let parts: Vec<&str> = raw.split(':').collect();
    let [reference, name, price, quantity] = parts[..] else {
        return Err(format!("--seed {raw}: REFERENCE:NAME:PRICE:QUANTITY"));
    };
    let quantity = quantity.parse().map_err(|e| format!("--seed {raw}: quantity: {e}"))?;
    if reference.is_empty() || price.parse::<f64>().is_err() {
        return Err(format!("--seed {raw}: a reference and a decimal price"));
    }
    Ok(Seed { reference: reference.into(), name: name.into(), price: price.into(), quantity })
}

fn parse(args: &[String]) -> Result<(SocketAddr, SimConfig, Vec<Seed>), String> {
    let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 8080));
    let mut config = SimConfig::default();
    let mut seeds = Vec::new();
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
            "--seed" => seeds.push(seed(&value()?)?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if config.key.chars().count() != 32 {
        eprintln!("warning: PrestaShop keys are 32 characters; this one will be refused with code 18");
    }
    Ok((listen, config, seeds))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (listen, config, seeds) = match parse(&args) {
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
    for s in &seeds {
        let id = sim.seed_product(&s.reference, &s.name, &s.price, s.quantity);
        println!("product {id}: {} \"{}\" {} × {}", s.reference, s.name, s.price, s.quantity);
    }
    println!("PrestaShop Webservice simulator on {}/api/ (key {key})", sim.base_url());
    if connector {
        println!(
            "fulfillment_connector cart totals on {}/module/fulfillment_connector/carttotal?id_cart=N",
            sim.base_url()
        );
    }
    stopped().await;
    sim.stop().await;
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM: a container's stop (as PID 1 a process has no default SIGTERM handler).
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn listen_key_and_latency_are_read_in_both_forms() {
        let (addr, cfg, _) = parse(&args(&[
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
        let (_, cfg, _) = parse(&args(&["--connector-key=CK", "--connector-secret", "S"])).expect("valid");
        assert_eq!((cfg.connector_key.as_deref(), cfg.connector_secret.as_deref()), (Some("CK"), Some("S")));
    }

    #[test]
    fn unknown_arguments_are_refused() {
        assert!(parse(&args(&["--port", "1"])).is_err());
        let (_, _, seeds) = parse(&args(&["--seed", "WHS-0001:Mug:10.00:50", "--seed=WHS-0002:Plate:5:0"])).unwrap();
        assert_eq!(
            seeds[0],
            Seed { reference: "WHS-0001".into(), name: "Mug".into(), price: "10.00".into(), quantity: 50 }
        );
        assert_eq!((seeds[1].reference.as_str(), seeds[1].quantity), ("WHS-0002", 0));
        assert!(parse(&args(&["--seed", "WHS-0001:Mug:ten:5"])).is_err(), "a price is a decimal");
        assert!(parse(&args(&["--seed", "WHS-0001:Mug:10"])).is_err(), "four parts");
        assert!(parse(&args(&["--listen"])).is_err());
    }
}
