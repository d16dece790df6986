use clap::Parser;

fn main() {
    let cli = brushfire::cli::Cli::parse();
    let result = match cli.command {
        Some(cmd) => brushfire::cli::run(cmd),
        None => match cli.format.as_deref().filter(|f| brushfire::data::formats::format_info(f).is_none()) {
            Some(f) => Err(anyhow::anyhow!("unknown format {f:?}; `brushfire formats` lists them")),
            None => brushfire::app::run_gui(cli.files, cli.properties, cli.format),
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
