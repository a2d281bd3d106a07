//! Tracing set-up: text or JSON lines, level from settings or `RUST_LOG`.

use tracing_subscriber::{EnvFilter, fmt};

use crate::settings::{LogFormat, LogSettings};

/// Installs the global subscriber once; later calls do nothing (tests call it per app).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.level));
    let result = match settings.format {
        LogFormat::Json => fmt().json().with_env_filter(filter).with_current_span(true).try_init(),
        LogFormat::Text => fmt().with_env_filter(filter).try_init(),
    };
    drop(result);
}
