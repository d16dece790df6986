//! Spark Connect against real servers (issue #12): Sail for the whole set, Apache Spark for a
//! conformance subset. `.ci/run` starts both and exports BRUSHFIRE_TEST_SAIL / BRUSHFIRE_TEST_SPARK;
//! without them these tests skip with a printed reason, except in CI, where they fail.
use crate::util::{brushfire, sample, temp_dir};
use brushfire::data::spark::{ConnectUrl, SparkClient, SparkError, TableSource};
use brushfire::data::{load_paths, LoadControl, LoadOptions};
use brushfire::linking::backend::testing::{assert_backend_matches_memory, Scenario};
use brushfire::linking::backend::{spark::SparkEngine, BackendError, SqlEngine};
use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const TOP_PORTS: &str =
    "select dst_port, count(*) c from logs group by dst_port order by c desc, dst_port limit 10";

fn server(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{var} is not set and CI is: .ci/run must start the server"
            );
            eprintln!("skipping: {var} is not set (bash .ci/run starts Sail and Spark Connect and sets it)");
            None
        }
    }
}

/// The bundled sample as one Parquet file in a fresh temp dir, and the table it came from.
fn sample_parquet(name: &str) -> (PathBuf, DataFrame) {
    file_parquet(&sample(), name)
}

/// `file` as the app loads it, written as one Parquet file in a fresh temp dir, and that table.
fn file_parquet(file: &Path, name: &str) -> (PathBuf, DataFrame) {
    let table = load_paths(&[file.to_path_buf()], &LoadOptions::default(), &LoadControl::default())
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    // As the product writes a lake (`export-parquet`, exports): dictionary-coded text as text.
    let mut df = brushfire::data::text_column::as_logical_frame(&table.df).expect("text frame");
    let dir = temp_dir(name);
    let path = dir.join("flows.parquet");
    let file = std::fs::File::create(&path).unwrap();
    ParquetWriter::new(file).finish(&mut df).expect("sample written as Parquet");
    (path, df)
}

fn engine(url: &str, parquet: &Path) -> SparkEngine {
    let table = format!("parquet.`{}`", parquet.display());
    SparkEngine::connect(url, &table, None).unwrap_or_else(|e| panic!("connect {url} {table}: {e}"))
}

/// Both sides' integer columns as i64, so Spark's `bigint` count meets polars' `u32` len.
fn normalized(df: &DataFrame) -> DataFrame {
    let cols: Vec<Column> = df
        .columns()
        .iter()
        .map(|c| if c.dtype().is_integer() { c.cast(&DataType::Int64).unwrap() } else { c.clone() })
        .collect();
    DataFrame::new_infer_height(cols).unwrap()
}

fn local_query(df: &DataFrame, sql: &str) -> DataFrame {
    let mut ctx = polars::sql::SQLContext::new();
    ctx.register("logs", df.clone().lazy());
    ctx.execute(sql).unwrap().collect().unwrap()
}

fn check_schema(url: &str, name: &str) {
    let (parquet, local) = sample_parquet(name);
    let schema = engine(url, &parquet).schema().expect("schema");
    let names: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
    let local_names: Vec<&str> = local.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(names, local_names);
    for (name, dtype) in schema.iter() {
        let want = local.column(name).unwrap().dtype();
        let same_kind = (dtype.is_integer() && want.is_integer())
            || (dtype.is_float() && want.is_float())
            || (dtype.is_string() || matches!(dtype, DataType::Categorical(..))) == want.is_string()
                && !dtype.is_integer()
                && !dtype.is_float()
                && !matches!(dtype, DataType::Datetime(..))
            || matches!((dtype, want), (DataType::Datetime(..), DataType::Datetime(..)));
        assert!(same_kind, "{name}: server says {dtype}, local table has {want}");
    }
}

fn check_group_by(url: &str, name: &str) {
    let (parquet, local) = sample_parquet(name);
    let remote = engine(url, &parquet).query(TOP_PORTS, "test-top").expect("top ports");
    let want = local_query(&local, TOP_PORTS);
    assert_eq!(remote.height(), 10);
    assert!(normalized(&remote).equals(&normalized(&want)), "server:\n{remote}\npolars:\n{want}");
}

fn check_write_parquet(url: &str, name: &str) {
    let (parquet, local) = sample_parquet(name);
    let engine = engine(url, &parquet);
    let out = parquet.parent().unwrap().join("by_proto");
    let sql = "select src_ip, dst_ip, dst_port, bytes_sent, proto from logs where dst_port < 1024";
    let rows = engine.write_parquet(sql, &out, &["proto"]).expect("write_parquet");
    let want = local_query(&local, sql);
    assert_eq!(rows, want.height() as u64);
    // Hive layout: one proto=VALUE folder per protocol.
    let mut parts: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("proto="))
        .collect();
    parts.sort();
    let mut protos: Vec<String> =
        want.column("proto").unwrap().str().unwrap().iter().flatten().map(|p| format!("proto={p}")).collect();
    protos.sort();
    protos.dedup();
    assert_eq!(parts, protos);
    // Read back with polars (hive partitions) and compare per-protocol sums with the local answer.
    let per_proto = "select proto, count(*) n, sum(bytes_sent) b, sum(dst_port) p from logs group by proto order by proto";
    let glob = format!("{}/**/*.parquet", out.display());
    let args = ScanArgsParquet {
        hive_options: HiveOptions { enabled: Some(true), ..Default::default() },
        ..Default::default()
    };
    let back = LazyFrame::scan_parquet(PlRefPath::new(glob.as_str()), args).unwrap().collect().unwrap();
    let back_agg = local_query(
        &back.lazy().with_column(col("proto").cast(DataType::String)).collect().unwrap(),
        per_proto,
    );
    let want_agg = local_query(&want, per_proto);
    assert!(
        normalized(&back_agg).equals(&normalized(&want_agg)),
        "read back:\n{back_agg}\nlocal:\n{want_agg}"
    );
    // Never over anything: a second write to the same path is refused.
    let again = engine.write_parquet(sql, &out, &["proto"]);
    assert!(again.is_err(), "a second write over {} must fail", out.display());
}

#[test]
fn sail_schema_matches_the_local_table() {
    let Some(url) = server("BRUSHFIRE_TEST_SAIL") else { return };
    check_schema(&url, "sail-schema");
}

#[test]
fn sail_group_by_equals_polars() {
    let Some(url) = server("BRUSHFIRE_TEST_SAIL") else { return };
    check_group_by(&url, "sail-group-by");
}

#[test]
fn sail_write_parquet_is_hive_partitioned_and_reads_back_equal() {
    let Some(url) = server("BRUSHFIRE_TEST_SAIL") else { return };
    check_write_parquet(&url, "sail-write");
}

#[test]
fn spark_schema_matches_the_local_table() {
    let Some(url) = server("BRUSHFIRE_TEST_SPARK") else { return };
    check_schema(&url, "spark-schema");
}

#[test]
fn spark_group_by_equals_polars() {
    let Some(url) = server("BRUSHFIRE_TEST_SPARK") else { return };
    check_group_by(&url, "spark-group-by");
}

#[test]
fn spark_write_parquet_is_hive_partitioned_and_reads_back_equal() {
    let Some(url) = server("BRUSHFIRE_TEST_SPARK") else { return };
    check_write_parquet(&url, "spark-write");
}

/// A query that runs for minutes: cancelled by tag, the call returns Cancelled and the server
/// reports that it interrupted the operation.
fn check_cancel(url: &str) {
    let client =
        std::sync::Arc::new(SparkClient::connect(&ConnectUrl::parse(url).unwrap()).expect("connect"));
    let long = "select sum(a.id * b.id % 7) s from range(0, 200000) a cross join range(0, 200000) b where (a.id + b.id) % 11 = 3";
    let runner = {
        let client = client.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            (client.sql(long, "long-one"), t.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    let asked = Instant::now();
    let answer = client.interrupt_tag("long-one");
    // Cancelling never waits for the server (it is called from the UI thread).
    assert!(asked.elapsed() < Duration::from_millis(500), "interrupt_tag blocked {:?}", asked.elapsed());
    let (result, took) = runner.join().unwrap();
    assert!(matches!(result, Err(SparkError::Cancelled)), "expected Cancelled, got {result:?}");
    // A server busy with earlier work can take seconds to answer: wait for it, past the client's own wait.
    let interrupted = answer
        .recv_timeout(brushfire::data::spark::INTERRUPT_WAIT + Duration::from_secs(5))
        .expect("the interrupt task answers")
        .expect("the server answers the interrupt");
    assert_eq!(interrupted.len(), 1, "the server interrupted {interrupted:?}");
    eprintln!("server answered the interrupt after {:?}", asked.elapsed());
    // The session is still usable after an interrupt.
    let ok = client.sql("select 1 as one", "after-cancel").expect("query after cancel");
    assert_eq!(ok.height(), 1);
    eprintln!("cancelled after {took:?}");
}

#[test]
fn sail_cancel_by_tag_stops_a_long_query() {
    let Some(url) = server("BRUSHFIRE_TEST_SAIL") else { return };
    check_cancel(&url);
}

#[test]
fn spark_cancel_by_tag_stops_a_long_query() {
    let Some(url) = server("BRUSHFIRE_TEST_SPARK") else { return };
    check_cancel(&url);
}

#[test]
fn sail_hostile_and_unknown_tables_are_clear_errors() {
    let Some(url) = server("BRUSHFIRE_TEST_SAIL") else { return };
    for (table, says) in [
        ("flows; drop table logs", "bad table"),
        ("parquet.`/x` union select 1", "bad table"),
        ("no_such_table_brushfire", "no_such_table_brushfire"),
        ("parquet.`/nonexistent/brushfire/flows`", "/nonexistent/brushfire/flows"),
    ] {
        let e = SparkEngine::connect(&url, table, None).err().unwrap_or_else(|| panic!("{table} connected"));
        let text = e.to_string();
        assert!(text.contains(says), "{table}: {text}");
        assert!(!matches!(e, BackendError::Cancelled));
    }
    // A query error names the engine and the query.
    let (parquet, _) = sample_parquet("sail-bad-sql");
    let e = engine(&url, &parquet).query("select no_such_column from logs", "bad").unwrap_err().to_string();
    assert!(e.contains("no_such_column") && e.contains("spark sc://"), "{e}");
}

#[test]
fn sail_catalog_lists_registered_views() {
    let Some(url) = server("BRUSHFIRE_TEST_SAIL") else { return };
    let client = SparkClient::connect(&ConnectUrl::parse(&url).unwrap()).unwrap();
    let (parquet, _) = sample_parquet("sail-catalog");
    client
        .create_view("brushfire_picker_probe", &TableSource::Parquet(parquet.display().to_string()))
        .unwrap();
    let tables = client.list_tables().expect("catalog");
    assert!(tables.iter().any(|t| t.ends_with("brushfire_picker_probe")), "{tables:?}");
}

/// The CLI example prints the same top 10 as the local `query` on the same data.
#[test]
fn cli_query_on_sail_prints_the_local_top_10() {
    let Some(url) = server("BRUSHFIRE_TEST_SAIL") else { return };
    let (parquet, _) = sample_parquet("sail-cli");
    let dir = parquet.parent().unwrap().display().to_string();
    let table = format!("parquet.`{dir}`");
    let remote = brushfire(&["query", "--spark", &url, "--table", &table, "--sql", TOP_PORTS]);
    assert!(remote.status.success(), "{}", String::from_utf8_lossy(&remote.stderr));
    let local = brushfire(&["query", &sample().display().to_string(), "--sql", TOP_PORTS]);
    assert!(local.status.success(), "{}", String::from_utf8_lossy(&local.stderr));
    assert_eq!(String::from_utf8_lossy(&remote.stdout), String::from_utf8_lossy(&local.stdout));
    assert_eq!(String::from_utf8_lossy(&remote.stdout).lines().count(), 11, "header and ten rows");
}

/// File > Connect to Spark...: type the server and a Parquet path, click Connect; the dialog
/// connects on a worker thread and the views then read the sample from the server.
#[test]
fn gui_connect_to_spark_shows_the_views_from_the_server() {
    use brushfire::app::BrushfireApp;
    use egui_kittest::kittest::Queryable;
    let Some(url) = server("BRUSHFIRE_TEST_SAIL") else { return };
    let (parquet, local) = sample_parquet("sail-gui");
    let app =
        BrushfireApp::new(std::sync::Arc::new(brushfire::views::common::PresetPicker::default()), Vec::new());
    let mut h = egui_kittest::Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut BrushfireApp| app.ui_root(ui), app);
    h.step();
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Connect to Spark…").click();
    h.run_steps(2);
    h.get_by_label("Server").focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Server").type_text(&url);
    h.step();
    h.get_by_label("Parquet path on the server").click();
    h.run_steps(2);
    h.get_by_label("Parquet path").focus();
    h.step();
    h.get_by_label("Parquet path").type_text(&parquet.display().to_string());
    h.step();
    h.get_by_label("Connect").click();
    let t0 = Instant::now();
    while h.state().spark_dialog.connected_to.is_none() {
        assert!(t0.elapsed() < Duration::from_secs(60), "no connection: {:?}", h.state().spark_dialog.error);
        h.step();
        std::thread::sleep(Duration::from_millis(50));
    }
    // The connected table becomes the lake every view reads: the same numbers as the sample in
    // memory, before and after a click on a top-N row.
    crate::lake::settle(&mut h);
    assert!(h.state().is_lake(), "{:?}", h.state().error);
    assert_eq!(h.state().lake.rows, local.height());
    let mut mem = crate::lake::harness(BrushfireApp::new(
        std::sync::Arc::new(brushfire::views::common::PresetPicker::default()),
        vec![sample()],
    ));
    crate::lake::settle(&mut mem);
    assert_eq!(crate::lake::shown(h.state()), crate::lake::shown(mem.state()));
    for app in [&mut mem, &mut h] {
        app.get_by_label("dst_port 443").click();
        crate::lake::settle(app);
    }
    let s = crate::lake::shown(h.state());
    assert!(s.last().is_some_and(|r| r == "records 91407"), "{s:?}");
    assert_eq!(s, crate::lake::shown(mem.state()));
}

/// The pushdown planner's Spark SQL, run by the server, answers every view as the in-memory engine
/// does over a random interaction sequence (clicks, exclusions, brushes, prefixes, hovers).
fn check_views(url: &str, name: &str) {
    let (parquet, local) = sample_parquet(name);
    let sc = Scenario {
        top_fields: &["src_ip", "dst_port", "proto"],
        ip_field: "dst_ip",
        measure: "bytes",
        steps: 14,
        seed: 2013,
        subset_max_rows: None,
        cube_store: None,
    };
    let n = assert_backend_matches_memory(std::sync::Arc::new(engine(url, &parquet)), &local, &sc);
    assert!(n >= 14 * 8, "compared {n}");
}

/// The same on real logs (`lake_real::CASES`: CTU-13 flows, Zeek DNS with IPv6, Argus with MAC
/// addresses and 1970 times), the server's SQL dialect against the in-memory engine.
fn check_real_views(url: &str, name: &str, cases: &[crate::lake_real::RealCase]) {
    for (i, c) in cases.iter().enumerate() {
        let Some(file) = crate::util::real_data(c.file) else { return };
        let (parquet, local) = file_parquet(&file, &format!("{name}-{i}"));
        let n = assert_backend_matches_memory(
            std::sync::Arc::new(engine(url, &parquet)),
            &local,
            &c.scenario(None),
        );
        assert!(n >= c.steps * 8, "{}: compared {n}", c.file);
    }
}

#[test]
fn sail_answers_every_view_on_real_logs_as_the_in_memory_engine() {
    let Some(url) = server("BRUSHFIRE_TEST_SAIL") else { return };
    check_real_views(&url, "sail-real-views", crate::lake_real::CASES);
}

/// Apache Spark's dialect on the real flows (a conformance subset: the CTU-13 file).
#[test]
fn spark_answers_every_view_on_real_flows_as_the_in_memory_engine() {
    let Some(url) = server("BRUSHFIRE_TEST_SPARK") else { return };
    check_real_views(&url, "spark-real-views", &crate::lake_real::CASES[..1]);
}

#[test]
fn sail_answers_every_view_as_the_in_memory_engine() {
    let Some(url) = server("BRUSHFIRE_TEST_SAIL") else { return };
    check_views(&url, "sail-views");
}

#[test]
fn spark_answers_every_view_as_the_in_memory_engine() {
    let Some(url) = server("BRUSHFIRE_TEST_SPARK") else { return };
    check_views(&url, "spark-views");
}

#[test]
fn spark_catalog_lists_registered_views() {
    let Some(url) = server("BRUSHFIRE_TEST_SPARK") else { return };
    let client = SparkClient::connect(&ConnectUrl::parse(&url).unwrap()).unwrap();
    let (parquet, _) = sample_parquet("spark-catalog");
    client
        .create_view("brushfire_picker_probe", &TableSource::Parquet(parquet.display().to_string()))
        .unwrap();
    let tables = client.list_tables().expect("catalog");
    assert!(tables.iter().any(|t| t.ends_with("brushfire_picker_probe")), "{tables:?}");
}

/// A CA and a certificate it signs for `localhost` and 127.0.0.1 (OpenSSL, as an operator would
/// make them): (CA PEM, certificate PEM, key PEM).
fn tls_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let out =
            std::process::Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=brushfire test CA"]
        .iter()
        .copied()
        .chain(["-keyout", "ca.key", "-out", "ca.pem", "-addext", "basicConstraints=critical,CA:TRUE"])
        .collect::<Vec<_>>());
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "server.pem",
    ]);
    (dir.join("ca.pem"), dir.join("server.pem"), dir.join("server.key"))
}

/// A TLS-terminating proxy on a free 127.0.0.1 port in front of the plaintext server `upstream`
/// (`host:port`), as a TLS ingress in front of a Spark Connect server. Returns the port and the
/// count of completed TLS handshakes; it lives until the test process ends.
fn tls_proxy(
    cert: &Path,
    key: &Path,
    upstream: String,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(cert).unwrap().collect::<Result<_, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
    // gRPC is HTTP/2: a client that does not get h2 from ALPN gives up.
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&handshakes);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((socket, _)) = listener.accept().await else { continue };
                let (acceptor, upstream, counted) =
                    (acceptor.clone(), upstream.clone(), Arc::clone(&counted));
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(socket).await else { return };
                    counted.fetch_add(1, Ordering::SeqCst);
                    if let Ok(mut plain) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    }
                });
            }
        });
    });
    (port, handshakes)
}

/// Spark Connect over TLS with a token (a remote lake behind a TLS ingress): the CLI checks the
/// server's certificate against the CA named by SSL_CERT_FILE, sends the token only inside TLS,
/// and prints the same top 10 as the local query. Without that CA it refuses the server, naming
/// the certificate; TLS to a plaintext server is a clear error too.
#[test]
fn cli_query_over_tls_with_a_token_prints_the_local_top_10() {
    let Some(url) = server("BRUSHFIRE_TEST_SAIL") else { return };
    let upstream = url.trim_start_matches("sc://").trim_end_matches('/').to_string();
    let dir = temp_dir("spark-tls");
    let (ca, cert, key) = tls_certificates(&dir);
    let (port, handshakes) = tls_proxy(&cert, &key, upstream.clone());
    let (parquet, _) = sample_parquet("sail-tls");
    let table = format!("parquet.`{}`", parquet.parent().unwrap().display());
    let query = |url: &str, ca: Option<&Path>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_brushfire"));
        cmd.args(["query", "--spark", url, "--table", &table, "--sql", TOP_PORTS]);
        match ca {
            Some(ca) => cmd.env("SSL_CERT_FILE", ca),
            // The system's roots only.
            None => cmd.env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR"),
        };
        cmd.output().expect("running brushfire")
    };
    let tls_url = format!("sc://localhost:{port}/;use_ssl=true;token=s3cret");
    let remote = query(&tls_url, Some(&ca));
    assert!(remote.status.success(), "{}", String::from_utf8_lossy(&remote.stderr));
    assert!(handshakes.load(std::sync::atomic::Ordering::SeqCst) >= 1, "the client went through TLS");
    let local = brushfire(&["query", &sample().display().to_string(), "--sql", TOP_PORTS]);
    assert!(local.status.success(), "{}", String::from_utf8_lossy(&local.stderr));
    assert_eq!(String::from_utf8_lossy(&remote.stdout), String::from_utf8_lossy(&local.stdout));

    // A server whose certificate no trusted CA signed: refused, and said why.
    let untrusted = query(&tls_url, None);
    assert!(!untrusted.status.success());
    let err = String::from_utf8_lossy(&untrusted.stderr).to_lowercase();
    assert!(err.contains("certificate") || err.contains("root"), "{err}");
    assert!(!err.contains("s3cret"), "the token is never echoed: {err}");

    // TLS asked of a server that speaks plaintext: a clear connect error, no hang.
    let plain = query(&format!("sc://{upstream}/;use_ssl=true"), Some(&ca));
    assert!(!plain.status.success());
    let err = String::from_utf8_lossy(&plain.stderr);
    assert!(err.contains("cannot connect") || err.contains("connect"), "{err}");
}
