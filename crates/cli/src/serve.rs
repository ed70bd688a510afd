//! `tether serve` (being built).

/// The arguments of `tether serve`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {}

pub(crate) async fn run(_args: Args) -> Result<(), Box<dyn std::error::Error>> {
    Err("tether serve is not built yet".into())
}
