//! `hub-api`: the HTTP ingress process (production: against MySQL/MariaDB and Redis; scale it out).

use hub_app::{Application, Mode, Settings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load()?;
    telemetry::init(&settings.log);
    Application::build(settings, Mode::Api).await?.run_until_stopped().await
}
