use clap::Parser;

fn main() {
    // One line for a panic outside a boundary, never a backtrace (BRUSHFIRE_BACKTRACE=1 for one).
    brushfire::guard::install_panic_hook();
    let cli = brushfire::cli::Cli::parse();
    let result = match cli.command {
        Some(cmd) => {
            let what = format!("brushfire {}", cmd.name());
            // A panic anywhere in a command is an error line and exit 1, never exit 101.
            brushfire::guard::contain(&what, "failed", || brushfire::cli::run(cmd))
                .unwrap_or_else(|p| Err(anyhow::anyhow!(p)))
        }
        None => match cli.format.as_deref().filter(|f| brushfire::data::formats::format_info(f).is_none()) {
            Some(f) => Err(anyhow::anyhow!("unknown format {f:?}; `brushfire formats` lists them")),
            None if cli.dashboard => {
                let files = if cli.files.is_empty() {
                    brushfire::app::bundled_sample().into_iter().collect()
                } else {
                    cli.files
                };
                brushfire::app::dashboard::run_wall(files, cli.local_nets, None)
            }
            None => match cli.lesson.as_deref() {
                Some(name) => brushfire::app::run_gui_lesson(name, cli.properties),
                None => brushfire::app::run_gui(cli.files, cli.properties, cli.format, cli.parquet),
            },
        },
    };
    if let Err(e) = result {
        // A reader that went away (`brushfire query ... | head`) is not an error.
        if e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        }) {
            std::process::exit(0);
        }
        // One line naming the file and the reason (the error chain is joined).
        eprintln!("brushfire: {}", format!("{e:#}").replace('\n', " "));
        std::process::exit(1);
    }
}
