//! `sc://host:port[/;key=value;...]` connection strings, as Spark Connect clients spell them.
use super::SparkError;

/// The Spark Connect default port.
pub const DEFAULT_PORT: u16 = 15002;

/// A parsed `sc://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectUrl {
    pub host: String,
    pub port: u16,
    pub token: Option<String>,
    pub user_id: Option<String>,
    /// A session id to join instead of a fresh one.
    pub session_id: Option<String>,
    /// `use_ssl=true|false` as given; see [`ConnectUrl::uses_tls`].
    pub use_ssl: Option<bool>,
}

impl ConnectUrl {
    /// Parses `sc://host[:port][/][;token=T][;user_id=U][;session_id=S][;use_ssl=true|false]`.
    pub fn parse(url: &str) -> Result<Self, SparkError> {
        let bad = |reason: String| SparkError::Url { url: redact(url), reason };
        let rest = url
            .strip_prefix("sc://")
            .ok_or_else(|| bad("a Spark Connect URL starts with sc://, e.g. sc://127.0.0.1:15002".into()))?;
        let (authority, params) = match rest.find([';', '/']) {
            Some(i) => (&rest[..i], rest[i..].trim_start_matches('/')),
            None => (rest, ""),
        };
        let (host, port) = match authority.rsplit_once(':') {
            // An IPv6 literal in brackets, e.g. [::1]:15002.
            Some((h, p)) if !p.contains(']') => {
                let port =
                    p.parse::<u16>().map_err(|_| bad(format!("port {p:?} is not a number 1-65535")))?;
                (h, port)
            }
            _ => (authority, DEFAULT_PORT),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad("no host".into()));
        }
        if port == 0 {
            return Err(bad("port 0".into()));
        }
        if !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_')) {
            return Err(bad(format!("host {host:?} has characters a host name cannot have")));
        }
        let mut out = ConnectUrl {
            host: host.to_string(),
            port,
            token: None,
            user_id: None,
            session_id: None,
            use_ssl: None,
        };
        for param in params.split(';').filter(|p| !p.is_empty()) {
            let (key, value) =
                param.split_once('=').ok_or_else(|| bad(format!("parameter {param:?} is not key=value")))?;
            match key {
                "token" => out.token = Some(value.to_string()),
                "user_id" => out.user_id = Some(value.to_string()),
                "session_id" => out.session_id = Some(value.to_string()),
                "use_ssl" if value.eq_ignore_ascii_case("true") => out.use_ssl = Some(true),
                "use_ssl" if value.eq_ignore_ascii_case("false") => out.use_ssl = Some(false),
                "use_ssl" => return Err(bad(format!("use_ssl={value:?}: say true or false"))),
                other => {
                    return Err(bad(format!(
                        "unknown parameter {other:?} (known: token, user_id, session_id, use_ssl)"
                    )))
                }
            }
        }
        Ok(out)
    }

    /// Whether the channel is TLS: when `use_ssl=true`, and, as Spark's own clients do, whenever a
    /// token is given, unless `use_ssl=false` says otherwise. A token to a server on this machine
    /// (a local server, an SSH tunnel) goes without TLS unless asked: nothing leaves the machine.
    pub fn uses_tls(&self) -> bool {
        match self.use_ssl {
            Some(tls) => tls,
            None => self.token.is_some() && !self.is_loopback(),
        }
    }

    /// The gRPC endpoint, e.g. `http://127.0.0.1:15002` (`https://` over TLS).
    pub fn endpoint(&self) -> String {
        let scheme = if self.uses_tls() { "https" } else { "http" };
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }

    /// The URL without its token, for messages and the status line; `;use_ssl=true` over TLS.
    pub fn display(&self) -> String {
        let tls = if self.uses_tls() { "/;use_ssl=true" } else { "" };
        if self.host.contains(':') {
            format!("sc://[{}]:{}{tls}", self.host, self.port)
        } else {
            format!("sc://{}:{}{tls}", self.host, self.port)
        }
    }

    /// Whether the server is on this machine, where a token may travel without TLS.
    pub fn is_loopback(&self) -> bool {
        matches!(self.host.as_str(), "localhost" | "::1") || self.host.starts_with("127.")
    }
}

/// Hides a token in a URL that is echoed in an error message.
pub fn redact(url: &str) -> String {
    match url.find("token=") {
        Some(i) => {
            let end = url[i..].find(';').map_or(url.len(), |j| i + j);
            format!("{}token=***{}", &url[..i], &url[end..])
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_and_parameters() {
        let u = ConnectUrl::parse("sc://127.0.0.1:15102/;token=abc;user_id=ana").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("127.0.0.1", 15102));
        assert_eq!(u.token.as_deref(), Some("abc"));
        assert_eq!(u.user_id.as_deref(), Some("ana"));
        assert_eq!(u.endpoint(), "http://127.0.0.1:15102");
        assert!(u.is_loopback());
        let d = ConnectUrl::parse("sc://spark.lake").unwrap();
        assert_eq!(d.port, DEFAULT_PORT);
        assert!(!d.is_loopback());
        let v6 = ConnectUrl::parse("sc://[::1]:7000").unwrap();
        assert_eq!((v6.host.as_str(), v6.port, v6.endpoint().as_str()), ("::1", 7000, "http://[::1]:7000"));
    }

    #[test]
    fn rejects_malformed_urls_with_a_reason_and_no_token() {
        for bad in [
            "http://127.0.0.1:15002",
            "sc://",
            "sc://h:99999",
            "sc://h:0",
            "sc://h:x",
            "sc://h;wat",
            "sc://h/;color=red",
            "sc://h/;use_ssl=yes",
            "sc://h o$t:1",
        ] {
            let e = ConnectUrl::parse(bad).unwrap_err().to_string();
            assert!(e.contains("Spark Connect URL"), "{bad}: {e}");
        }
        let e = ConnectUrl::parse("sc://h:x/;token=secret").unwrap_err().to_string();
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn tls_when_asked_or_when_a_token_leaves_the_machine() {
        let tls = |u: &str| {
            let u = ConnectUrl::parse(u).unwrap();
            (u.uses_tls(), u.endpoint(), u.display())
        };
        assert_eq!(
            tls("sc://spark.lake:443/;use_ssl=true"),
            (true, "https://spark.lake:443".into(), "sc://spark.lake:443/;use_ssl=true".into())
        );
        assert!(tls("sc://spark.lake/;token=t").0, "a token to another machine goes over TLS");
        assert!(!tls("sc://127.0.0.1:15002/;token=t").0, "a local server or tunnel needs none");
        assert!(tls("sc://localhost:15002/;token=t;use_ssl=true").0);
        assert!(!tls("sc://spark.lake/;token=t;use_ssl=false").0, "said so: the client refuses it");
        assert_eq!(
            tls("sc://spark.lake"),
            (false, "http://spark.lake:15002".into(), "sc://spark.lake:15002".into())
        );
    }
}
