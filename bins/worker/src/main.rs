//! `hub-worker`: the queue consumer process (workers and the inbox sweeper; scale it out).

use hub_app::{Application, Mode, Settings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load()?;
    telemetry::init(&settings.log);
    Application::build(settings, Mode::Worker).await?.run_until_stopped().await
}
