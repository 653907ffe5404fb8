//! `sluice dashboard`: an alias of `sluice ui` that prints the dashboards page's URL.

/// Options of `sluice dashboard` (those of `sluice ui`).
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub serve: crate::ui::ServeArgs,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    crate::ui::serve(&args.serve, "/app/dashboards")
}
