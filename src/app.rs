//! The server: what `serve` runs and what tests spawn on port 0.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{dev::Server, middleware::from_fn, web, App, HttpServer};

use crate::config::TlsFiles;
use crate::state::AppState;

/// The rustls configuration for serving HTTPS (ring as the crypto provider).
pub fn tls_config(files: &TlsFiles) -> std::io::Result<rustls::ServerConfig> {
    use std::io::{BufReader, Error};
    let open = |path: &std::path::Path| {
        std::fs::File::open(path)
            .map(BufReader::new)
            .map_err(|e| Error::other(format!("cannot read {}: {e}", path.display())))
    };
    let certs = rustls_pemfile::certs(&mut open(&files.cert_chain)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::other(format!("{}: {e}", files.cert_chain.display())))?;
    if certs.is_empty() {
        return Err(Error::other(format!(
            "{} holds no certificate",
            files.cert_chain.display()
        )));
    }
    let key = rustls_pemfile::private_key(&mut open(&files.private_key)?)
        .map_err(|e| Error::other(format!("{}: {e}", files.private_key.display())))?
        .ok_or_else(|| {
            Error::other(format!(
                "{} holds no private key",
                files.private_key.display()
            ))
        })?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| Error::other(format!("TLS configuration: {e}")))
}

/// Builds the HTTP server on a bound listener. The caller awaits (or spawns) the `Server`.
pub fn server(state: Arc<AppState>, listener: TcpListener) -> std::io::Result<Server> {
    let data = web::Data::from(state.clone());
    let workers = state.settings.workers;
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PathConfig::default().error_handler(|err, _| {
                crate::error::ApiError::not_found(format!("Not found: {err}.")).into()
            }))
            .configure(crate::routes::configure)
            .wrap(from_fn(crate::middleware::authenticate_and_limit))
            .wrap(from_fn(crate::middleware::request_context))
    })
    .shutdown_timeout(30);
    server = match &state.settings.tls {
        None => server.listen(listener)?,
        Some(files) => server.listen_rustls_0_23(listener, tls_config(files)?)?,
    };
    if workers > 0 {
        server = server.workers(workers);
    }
    let server = server.run();
    // Idle rate-limit buckets would otherwise live forever. Weak, so that a server that has
    // stopped lets its state (and its pool's connections) go.
    let limits_state = Arc::downgrade(&state);
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let Some(state) = limits_state.upgrade() else {
                return;
            };
            state.limits.evict_idle().await;
        }
    });
    Ok(server)
}

/// The metrics listener (`METRICS_ADDRESS`): `/metrics` alone, plain HTTP, one worker, so that
/// operators can keep the metrics off the API's port. Its own scrapes are not counted.
pub fn metrics_server(state: Arc<AppState>, listener: TcpListener) -> std::io::Result<Server> {
    let data = web::Data::from(state);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .configure(crate::routes::configure_metrics)
    })
    .workers(1)
    .shutdown_timeout(5)
    .listen(listener)?
    .run())
}
