//! The blocking Spark Connect client: one session, one small tokio runtime, calls from any thread.
use super::proto::{
    self, command::CommandType, execute_plan_response::ResponseType, interrupt_request, plan::OpType, read,
    relation::RelType, spark_connect_service_client::SparkConnectServiceClient, write_operation,
};
use super::{ConnectUrl, SparkError, TableSource};
use polars::prelude::{DataFrame, SerReader};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

/// Arrow batches above gRPC's 4 MiB default are normal for Spark (its own client raises the limit too).
const MAX_MESSAGE_BYTES: usize = 256 << 20;
/// How often a waiting call looks whether it was cancelled locally (the server is interrupted too).
const CANCEL_POLL: Duration = Duration::from_millis(100);
/// How long a background interrupt waits for the server's answer before giving up on it.
pub const INTERRUPT_WAIT: Duration = Duration::from_secs(60);

/// One Spark Connect session. Every method but [`SparkClient::interrupt_tag`] blocks the calling
/// thread (never call them on the UI thread); several threads may call at once, and
/// `interrupt_tag` from any thread stops a running call without waiting for the server.
pub struct SparkClient {
    url: ConnectUrl,
    runtime: tokio::runtime::Runtime,
    stub: SparkConnectServiceClient<Channel>,
    session_id: String,
    /// Wire tags interrupted since their call started: the call then answers `Cancelled`.
    cancelled: Mutex<HashSet<String>>,
}

impl SparkClient {
    /// Opens a channel to the server and checks that it answers (a trivial query).
    pub fn connect(url: &ConnectUrl) -> Result<Self, SparkError> {
        let target = url.display();
        let connect_err = |reason: String| SparkError::Connect { target: target.clone(), reason };
        if url.token.is_some() && !url.is_loopback() && !url.uses_tls() {
            return Err(connect_err(
                "use_ssl=false would send the token to another machine in plaintext; drop use_ssl=false \
                 (a token goes over TLS), or tunnel the server to 127.0.0.1 (ssh -L) and connect there"
                    .into(),
            ));
        }
        // One worker: the client only waits on sockets, and the machine's cores belong to polars.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("spark-connect")
            .enable_all()
            .build()
            .map_err(|e| connect_err(format!("cannot start the I/O runtime: {e}")))?;
        let mut endpoint = Endpoint::from_shared(url.endpoint())
            .map_err(|e| connect_err(e.to_string()))?
            .connect_timeout(Duration::from_secs(10));
        if url.uses_tls() {
            // The system's trusted roots (a private CA: SSL_CERT_FILE names its PEM file), and the
            // URL's host as the name the server's certificate must carry.
            let tls = ClientTlsConfig::new().with_native_roots().domain_name(url.host.clone());
            endpoint =
                endpoint.tls_config(tls).map_err(|e| connect_err(format!("TLS: {}", error_chain(&e))))?;
        }
        let channel = runtime.block_on(endpoint.connect()).map_err(|e| connect_err(error_chain(&e)))?;
        let stub = SparkConnectServiceClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES);
        let client = SparkClient {
            url: url.clone(),
            runtime,
            stub,
            session_id: url.session_id.clone().unwrap_or_else(new_uuid),
            cancelled: Mutex::new(HashSet::new()),
        };
        client.sql("SELECT 1 AS ok", "brushfire-connect")?;
        Ok(client)
    }

    /// `sc://host:port`, without the token.
    pub fn target(&self) -> String {
        self.url.display()
    }

    /// Runs one SQL query and collects its Arrow batches into one table.
    pub fn sql(&self, sql: &str, tag: &str) -> Result<DataFrame, SparkError> {
        let plan = root(RelType::Sql(proto::Sql { query: sql.to_string(), ..Default::default() }));
        self.execute(plan, tag)
    }

    /// Makes `name` a session-local view of `source` (`CREATE OR REPLACE TEMPORARY VIEW`, as a
    /// plan rather than SQL text, so that no name or path is ever spliced into a query).
    pub fn create_view(&self, name: &str, source: &TableSource) -> Result<(), SparkError> {
        let read_type = match source {
            TableSource::Named(table) => read::ReadType::NamedTable(read::NamedTable {
                unparsed_identifier: table.clone(),
                ..Default::default()
            }),
            TableSource::Parquet(path) => read::ReadType::DataSource(read::DataSource {
                format: Some("parquet".into()),
                paths: vec![path.clone()],
                ..Default::default()
            }),
        };
        let input = relation(RelType::Read(proto::Read { read_type: Some(read_type), is_streaming: false }));
        let view = proto::CreateDataFrameViewCommand {
            input: Some(input),
            name: name.to_string(),
            is_global: false,
            replace: true,
        };
        self.execute(command(CommandType::CreateDataframeView(view)), "brushfire-view")?;
        // Spark resolves a view lazily; reading its schema makes a missing table fail here, now.
        let probe = self.sql(&format!("SELECT * FROM {name} LIMIT 0"), "brushfire-view")?;
        // Sail reads a path with no Parquet files as a table without columns instead of failing.
        if probe.width() == 0 {
            let what = match source {
                TableSource::Named(t) => t.clone(),
                TableSource::Parquet(p) => format!("parquet.`{p}`"),
            };
            return Err(SparkError::Table {
                table: what,
                reason: format!(
                    "{} reads no columns there (no such table, or no Parquet files at that path)",
                    self.target()
                ),
            });
        }
        Ok(())
    }

    /// Writes the result of `sql` as Parquet at `path` on the server, hive-partitioned by
    /// `partition_by`; fails if `path` exists (never over anything).
    pub fn write_parquet(
        &self,
        sql: &str,
        path: &str,
        partition_by: &[&str],
        tag: &str,
    ) -> Result<(), SparkError> {
        let write = proto::WriteOperation {
            input: Some(relation(RelType::Sql(proto::Sql { query: sql.to_string(), ..Default::default() }))),
            source: Some("parquet".into()),
            mode: write_operation::SaveMode::ErrorIfExists as i32,
            partitioning_columns: partition_by.iter().map(|c| c.to_string()).collect(),
            save_type: Some(write_operation::SaveType::Path(path.to_string())),
            ..Default::default()
        };
        self.execute(command(CommandType::WriteOperation(write)), tag)?;
        Ok(())
    }

    /// Tables and views the session's catalog lists in its current database, as `namespace.name`
    /// (temporary views by bare name), for a table picker.
    pub fn list_tables(&self) -> Result<Vec<String>, SparkError> {
        let list = proto::Catalog {
            cat_type: Some(proto::catalog::CatType::ListTables(proto::ListTables::default())),
        };
        let df = self.execute(root(RelType::Catalog(list)), "brushfire-catalog")?;
        let decode = |reason: String| SparkError::Decode { target: self.target(), reason };
        // Spark calls the column `name`; Sail 0.7 calls it `tableName`.
        let names = df
            .column("name")
            .or_else(|_| df.column("tableName"))
            .and_then(|c| c.str().cloned())
            .map_err(|e| decode(format!("catalog listing: {e}; columns: {:?}", df.schema())))?;
        // `namespace` is a list of parts; older servers send it as one string.
        let namespace = df.column("namespace").ok();
        let namespace_of = |i: usize| -> Option<String> {
            let c = namespace?;
            let joined = match c.dtype() {
                polars::prelude::DataType::List(_) => {
                    let parts = c.list().ok()?.get_as_series(i)?;
                    let parts: Vec<String> = parts.str().ok()?.iter().flatten().map(str::to_string).collect();
                    parts.join(".")
                }
                _ => c.get(i).ok()?.get_str()?.to_string(),
            };
            (!joined.is_empty()).then_some(joined)
        };
        let mut out: Vec<String> = names
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                let name = name?;
                Some(match namespace_of(i) {
                    Some(ns) => format!("{ns}.{}", quote_part(name)),
                    None => quote_part(name),
                })
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Interrupts every operation of this session carrying `tag`. A call waiting on one returns
    /// [`SparkError::Cancelled`] at once; the server is told in the background, so this never
    /// blocks (the coordinator cancels stale queries from the UI thread, and a busy server has been
    /// seen to take over 5 s to answer an interrupt). The receiver gets the operation ids the
    /// server interrupted, or why it did not say within [`INTERRUPT_WAIT`]; a failed interrupt
    /// leaves the local cancel in force and the server finishes on its own.
    pub fn interrupt_tag(&self, tag: &str) -> std::sync::mpsc::Receiver<Result<Vec<String>, SparkError>> {
        let tag = wire_tag(tag);
        self.cancelled.lock().unwrap_or_else(|p| p.into_inner()).insert(tag.clone());
        let req = proto::InterruptRequest {
            session_id: self.session_id.clone(),
            user_context: Some(self.user_context()),
            client_type: Some(client_type()),
            interrupt_type: interrupt_request::InterruptType::Tag as i32,
            interrupt: Some(interrupt_request::Interrupt::OperationTag(tag)),
            ..Default::default()
        };
        let mut stub = self.stub.clone();
        let request = self.request(req);
        let target = self.target();
        let (tx, rx) = std::sync::mpsc::channel();
        self.runtime.spawn(async move {
            let answer = match tokio::time::timeout(INTERRUPT_WAIT, stub.interrupt(request)).await {
                Ok(Ok(response)) => Ok(response.into_inner().interrupted_ids),
                Ok(Err(status)) => Err(SparkError::Server { target, message: first_lines(status.message()) }),
                Err(_) => Err(SparkError::Connect {
                    target,
                    reason: format!("no answer to the interrupt within {} s", INTERRUPT_WAIT.as_secs()),
                }),
            };
            // Nobody may be listening: the product fires and forgets.
            let _ = tx.send(answer);
        });
        rx
    }

    fn execute(&self, plan: proto::Plan, tag: &str) -> Result<DataFrame, SparkError> {
        let tag = wire_tag(tag);
        self.cancelled.lock().unwrap_or_else(|p| p.into_inner()).remove(&tag);
        let req = proto::ExecutePlanRequest {
            session_id: self.session_id.clone(),
            user_context: Some(self.user_context()),
            operation_id: Some(new_uuid()),
            plan: Some(plan),
            client_type: Some(client_type()),
            tags: vec![tag.clone()],
            ..Default::default()
        };
        let mut stub = self.stub.clone();
        let request = self.request(req);
        let is_cancelled = || self.cancelled.lock().unwrap_or_else(|p| p.into_inner()).contains(&tag);
        let status_err = |status: tonic::Status| {
            if is_cancelled() {
                SparkError::Cancelled
            } else {
                self.status_error(status)
            }
        };
        self.runtime.block_on(async {
            // A busy server may send nothing, not even the response headers, until the query ends.
            let mut stream = unless_cancelled(stub.execute_plan(request), &is_cancelled)
                .await?
                .map_err(status_err)?
                .into_inner();
            let mut frames: Vec<DataFrame> = Vec::new();
            loop {
                let next = unless_cancelled(stream.message(), &is_cancelled).await?.map_err(status_err)?;
                let Some(response) = next else { break };
                if let Some(ResponseType::ArrowBatch(batch)) = response.response_type {
                    frames.push(self.decode(&batch.data)?);
                }
            }
            if is_cancelled() {
                return Err(SparkError::Cancelled);
            }
            let mut frames = frames.into_iter();
            let mut out = frames.next().unwrap_or_default();
            for f in frames {
                out.vstack_mut_owned(f)
                    .map_err(|e| SparkError::Decode { target: self.target(), reason: e.to_string() })?;
            }
            Ok(out)
        })
    }

    fn decode(&self, ipc_stream: &[u8]) -> Result<DataFrame, SparkError> {
        polars::io::ipc::IpcStreamReader::new(std::io::Cursor::new(ipc_stream))
            .finish()
            .map_err(|e| SparkError::Decode { target: self.target(), reason: e.to_string() })
    }

    fn status_error(&self, status: tonic::Status) -> SparkError {
        match status.code() {
            tonic::Code::Unavailable | tonic::Code::DeadlineExceeded => {
                SparkError::Connect { target: self.target(), reason: status.message().to_string() }
            }
            tonic::Code::Cancelled => SparkError::Cancelled,
            _ => SparkError::Server { target: self.target(), message: first_lines(status.message()) },
        }
    }

    fn user_context(&self) -> proto::UserContext {
        let user = self.url.user_id.clone().unwrap_or_else(|| "brushfire".into());
        proto::UserContext { user_id: user.clone(), user_name: user, extensions: Vec::new() }
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        if let Some(token) = &self.url.token {
            if let Ok(value) = format!("Bearer {token}").parse() {
                request.metadata_mut().insert("authorization", value);
            }
        }
        request
    }
}

fn relation(rel_type: RelType) -> proto::Relation {
    proto::Relation { common: None, rel_type: Some(rel_type) }
}

fn root(rel_type: RelType) -> proto::Plan {
    proto::Plan { op_type: Some(OpType::Root(relation(rel_type))) }
}

fn command(command_type: CommandType) -> proto::Plan {
    proto::Plan { op_type: Some(OpType::Command(proto::Command { command_type: Some(command_type) })) }
}

/// Awaits `work`, looking every [`CANCEL_POLL`] whether the call was cancelled locally: a local
/// cancel wins even when the server never answers the interrupt.
async fn unless_cancelled<T>(
    work: impl std::future::Future<Output = T>,
    is_cancelled: &impl Fn() -> bool,
) -> Result<T, SparkError> {
    let mut work = std::pin::pin!(work);
    loop {
        match tokio::time::timeout(CANCEL_POLL, &mut work).await {
            Ok(done) => return Ok(done),
            Err(_elapsed) if is_cancelled() => return Err(SparkError::Cancelled),
            Err(_elapsed) => continue,
        }
    }
}

fn client_type() -> String {
    format!("brushfire/{}", env!("CARGO_PKG_VERSION"))
}

/// Spark refuses empty tags and tags with commas; ours are prefixed so an interrupt by tag never
/// reaches another client's operations in a shared session.
fn wire_tag(tag: &str) -> String {
    let clean: String = tag.chars().map(|c| if c == ',' || c.is_control() { '_' } else { c }).collect();
    format!("brushfire-{clean}")
}

fn quote_part(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        name.to_string()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

/// Spark's messages carry a JVM stack after the first lines; the first lines say what went wrong.
fn first_lines(message: &str) -> String {
    let lines: Vec<&str> = message.lines().take(4).collect();
    let text = lines.join("\n");
    if text.chars().count() > 1200 {
        text.chars().take(1200).chain("...".chars()).collect()
    } else {
        text
    }
}

/// tonic's transport errors hide the reason (refused, no route) in their source chain.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A random (version 4) UUID, the form Spark Connect wants for session and operation ids.
fn new_uuid() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()),
        );
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_have_the_v4_shape_and_differ() {
        let (a, b) = (new_uuid(), new_uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_eq!(a.matches('-').count(), 4);
    }

    #[test]
    fn wire_tags_are_never_empty_nor_carry_commas() {
        assert_eq!(wire_tag(""), "brushfire-");
        assert_eq!(wire_tag("view,3"), "brushfire-view_3");
    }

    #[test]
    fn connecting_to_a_closed_port_is_a_clear_error() {
        // Port 1 on loopback: nothing listens there on any machine we run on.
        let url = ConnectUrl::parse("sc://127.0.0.1:1").unwrap();
        let e = SparkClient::connect(&url).err().expect("no server on port 1").to_string();
        assert!(e.contains("cannot connect to sc://127.0.0.1:1"), "{e}");
    }
}
