//! `tether connect` (being built).

/// The arguments of `tether connect`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {}

pub(crate) async fn run(_args: Args) -> Result<(), Box<dyn std::error::Error>> {
    Err("tether connect is not built yet".into())
}
