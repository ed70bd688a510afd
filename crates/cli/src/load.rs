//! `tether load` (being built).

/// The arguments of `tether load`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {}

pub(crate) async fn run(_args: Args) -> Result<(), Box<dyn std::error::Error>> {
    Err("tether load is not built yet".into())
}
