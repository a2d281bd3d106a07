//! `hub`: API and workers in one process (the zero-setup default on SQLite), plus admin commands.

use hub_app::{Application, Mode, Settings, telemetry};

const USAGE: &str = "usage: hub [serve|migrate|help]
  serve     run the API and the workers in one process (default)
  migrate   apply pending database migrations and exit
settings: hub.toml, or the file named by HUB_CONFIG; HUB_SECTION__KEY environment variables override it";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    match command.as_str() {
        "serve" => {
            let settings = Settings::load()?;
            telemetry::init(&settings.log);
            Application::build(settings, Mode::All).await?.run_until_stopped().await
        }
        "migrate" => {
            let mut settings = Settings::load()?;
            telemetry::init(&settings.log);
            settings.database.auto_migrate = true;
            hub_app::database(&settings).await?;
            println!("migrations applied");
            Ok(())
        }
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => {
            eprintln!("unknown command `{other}`\n{USAGE}");
            std::process::exit(2);
        }
    }
}
