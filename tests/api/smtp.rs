//! A real SMTP server for the tests: the `mailin` crate's SMTP session (the protocol state
//! machine of the mailin server) on sockets of our own, keeping every message it accepts —
//! in plain text, after STARTTLS, or over implicit TLS (rustls, with a certificate made by
//! rcgen). Not a mock transport: the service speaks SMTP to it over TCP as to any mail server.
//!
//! It can be started on a chosen port (to come back after an outage), refuse chosen
//! recipients with 550, and be stopped. [`BlackHole`] accepts connections and never answers,
//! to catch a worker in the middle of a send.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin::{Action, Handler, Response, Session, SessionBuilder};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent, headers and body.
    pub data: Vec<u8>,
    /// It came over TLS (after STARTTLS, or on an implicit-TLS port).
    pub tls: bool,
}

impl Mail {
    pub fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(&self.data).expect("a well-formed message")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        use mailparse::MailHeaderMap;
        self.parsed().headers.get_first_value(name)
    }

    /// The decoded text of the part with this content type.
    pub fn part(&self, mime: &str) -> Option<String> {
        fn find(part: &mailparse::ParsedMail<'_>, mime: &str) -> Option<String> {
            if part.ctype.mimetype == mime {
                return part.get_body().ok();
            }
            part.subparts.iter().find_map(|p| find(p, mime))
        }
        find(&self.parsed(), mime)
    }
}

/// How the server talks.
#[derive(Clone)]
pub enum Security {
    Plain,
    /// Plain, offering STARTTLS.
    StartTls(Arc<ServerConfig>),
    /// TLS from the first byte (SMTPS, port 465 in production).
    Implicit(Arc<ServerConfig>),
}

/// A certificate authority and a server certificate it signed for `localhost`.
pub struct TestCertificates {
    /// The authority's certificate, PEM: what the client is told to trust.
    pub ca_pem: String,
    pub server: Arc<ServerConfig>,
}

impl TestCertificates {
    pub fn new() -> TestCertificates {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "qiyeshao test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
        let server_key = rcgen::KeyPair::generate().expect("server key");
        let server_params =
            rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("server");
        let server_cert = server_params
            .signed_by(&server_key, &ca)
            .expect("server certificate");
        let config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_no_client_auth()
                .with_single_cert(
                    vec![CertificateDer::from(server_cert.der().to_vec())],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
                )
                .expect("server TLS configuration");
        TestCertificates {
            ca_pem: ca.pem(),
            server: Arc::new(config),
        }
    }
}

#[derive(Default)]
struct Shared {
    mails: Mutex<Vec<Mail>>,
    refused: Mutex<HashSet<String>>,
}

pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The per-connection handler: collects the message being received.
struct Receiver {
    shared: Arc<Shared>,
    tls: Arc<AtomicBool>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Receiver {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.from = from.to_string();
        self.to.clear();
        mailin::response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if self.shared.refused.lock().unwrap().contains(to) {
            return mailin::response::NO_MAILBOX;
        }
        self.to.push(to.to_string());
        mailin::response::OK
    }

    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        self.data.clear();
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.shared.mails.lock().unwrap().push(Mail {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            data: std::mem::take(&mut self.data),
            tls: self.tls.load(Ordering::SeqCst),
        });
        mailin::response::OK
    }
}

/// Runs the session over `stream` until it ends; returns the stream when the client asked to
/// start TLS.
fn converse<S: Read + Write>(
    session: &mut Session<Receiver>,
    stream: S,
) -> std::io::Result<Option<S>> {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let response = session.process(&line);
        match response.action {
            Action::NoReply => {}
            Action::Reply => reader.get_mut().write_all(&response.buffer()?)?,
            Action::Close => {
                reader.get_mut().write_all(&response.buffer()?)?;
                return Ok(None);
            }
            Action::UpgradeTls => {
                reader.get_mut().write_all(&response.buffer()?)?;
                return Ok(Some(reader.into_inner()));
            }
        }
    }
}

fn serve_connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    security: &Security,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let peer = stream.peer_addr()?.ip();
    let tls = Arc::new(AtomicBool::new(false));
    let handler = Receiver {
        shared,
        tls: tls.clone(),
        from: String::new(),
        to: Vec::new(),
        data: Vec::new(),
    };
    let mut builder = SessionBuilder::new("smtp.test");
    if matches!(security, Security::StartTls(_)) {
        builder.enable_start_tls();
    }
    let mut session = builder.build(peer, handler);
    let tls_error = |e: rustls::Error| std::io::Error::other(e);
    match security {
        Security::Plain => {
            let mut stream = stream;
            stream.write_all(&session.greeting().buffer()?)?;
            converse(&mut session, stream)?;
        }
        Security::StartTls(config) => {
            let mut stream = stream;
            stream.write_all(&session.greeting().buffer()?)?;
            if let Some(stream) = converse(&mut session, stream)? {
                let connection = ServerConnection::new(config.clone()).map_err(tls_error)?;
                session.tls_active();
                tls.store(true, Ordering::SeqCst);
                converse(&mut session, StreamOwned::new(connection, stream))?;
            }
        }
        Security::Implicit(config) => {
            let connection = ServerConnection::new(config.clone()).map_err(tls_error)?;
            let mut stream = StreamOwned::new(connection, stream);
            session.tls_active();
            tls.store(true, Ordering::SeqCst);
            stream.write_all(&session.greeting().buffer()?)?;
            converse(&mut session, stream)?;
        }
    }
    Ok(())
}

impl SmtpServer {
    /// Starts on a free port.
    pub async fn start() -> SmtpServer {
        Self::start_with(0, Security::Plain).await
    }

    /// Starts on `port` (0: any free one).
    pub async fn start_on(port: u16) -> SmtpServer {
        Self::start_with(port, Security::Plain).await
    }

    pub async fn start_with(port: u16, security: Security) -> SmtpServer {
        // A server on this port that was just stopped may take a moment to let go of it.
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", port)) {
                Ok(l) => break l,
                Err(_) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("bind the SMTP server on port {port}: {e}"),
            }
        };
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let shared = Arc::new(Shared::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (accept_shared, accept_stop) = (shared.clone(), stop.clone());
        // Blocking sockets on threads of their own, as mailin's own server does: the
        // rustls stream is a blocking one. The accept loop checks for stop between polls.
        std::thread::spawn(move || {
            while !accept_stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (shared, security) = (accept_shared.clone(), security.clone());
                        std::thread::spawn(move || {
                            let _ = serve_connection(stream, shared, &security);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        SmtpServer { port, shared, stop }
    }

    /// Answers RCPT TO this address with 550 (mailbox unavailable), a permanent error.
    pub fn refuse(&self, address: &str) {
        self.shared
            .refused
            .lock()
            .unwrap()
            .insert(address.to_string());
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.shared.mails.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages arrived; panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mails = self.mails();
            if mails.len() >= n {
                return mails;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} of {n} messages arrived within {timeout:?}",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A port nothing listens on (bound, then released).
/// Accepts connections and never says a word: a send to it hangs until its timeout.
pub struct BlackHole {
    pub port: u16,
    accepted: Arc<Mutex<usize>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl BlackHole {
    pub async fn start() -> BlackHole {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let accepted = Arc::new(Mutex::new(0));
        let count = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                *count.lock().unwrap() += 1;
                held.push(stream);
            }
        });
        BlackHole {
            port,
            accepted,
            task,
        }
    }

    pub fn accepted(&self) -> usize {
        *self.accepted.lock().unwrap()
    }
}
