use clap::Parser;

fn main() {
    let cli = brushfire::cli::Cli::parse();
    let result = match cli.command {
        Some(cmd) => brushfire::cli::run(cmd),
        None => brushfire::app::run_gui(cli.files),
    };
    if let Err(e) = result {
        // One line naming the file and the reason (the error chain is joined).
        eprintln!("brushfire: {}", format!("{e:#}").replace('\n', " "));
        std::process::exit(1);
    }
}
