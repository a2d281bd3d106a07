//! `hub`: API and workers in one process (the zero-setup default on SQLite), plus the admin commands. The
//! commands live in `hub_app::admin`; `hub --help` lists them.

fn main() -> std::process::ExitCode {
    hub_app::admin::main()
}
