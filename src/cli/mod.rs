//! The command line: `serve`, `migrate`, `token`, `client add`, `institution add`, `jobs`
//! (`jobs`), `role` (`roles`), `user password` (`users`), `app` (`apps`: ID keys),
//! `healthcheck`. Every flag can also come from the environment variable named beside it.

mod apps;
mod clients;
mod healthcheck;
mod jobs;
mod roles;
pub mod seed;
mod users;

use std::net::TcpListener;

use clap::{Args, Parser, Subcommand};

use crate::app::server;
use crate::auth::scopes::ScopeSet;
use crate::auth::tokens::{TokenService, CLI_CLIENT_ID};
use crate::bootstrap::{
    default_institution, ensure_default_institution, find_institution, find_user_by_name_or_id,
};
use crate::config::{RateLimitSettings, Settings, DEFAULT_AUDIENCE, DEFAULT_ISSUER};
use crate::db::rows::Institution;
use crate::db::{DatabaseUrl, Db, DbConnection};
use crate::error::ApiError;
use crate::state::AppState;
use crate::telemetry::{self, LogFormat};
use crate::versions::{self, VersionPolicy};

#[derive(Parser, Debug)]
#[command(
    name = "d2l-groups",
    version,
    about = "Brightspace LP groups and sections API server"
)]
pub struct Cli {
    /// `sqlite://PATH` (or a bare path) for the embedded database, `postgres://...` for PostgreSQL.
    #[arg(
        long,
        env = "DATABASE_URL",
        global = true,
        default_value = "sqlite://d2l-groups.db"
    )]
    pub database_url: String,

    /// Connections in the database pool.
    #[arg(long, env = "DATABASE_POOL_SIZE", global = true, default_value_t = crate::config::DEFAULT_POOL_SIZE)]
    pub database_pool_size: u32,

    /// Longest wait, in milliseconds, for a free database connection before a request is
    /// answered 503 with Retry-After.
    #[arg(long, env = "DATABASE_CHECKOUT_TIMEOUT_MS", global = true, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub database_checkout_timeout_ms: u64,

    /// `iss` of issued tokens, required of presented ones.
    #[arg(long, env = "TOKEN_ISSUER", global = true, default_value = DEFAULT_ISSUER)]
    pub token_issuer: String,

    /// `aud` of issued tokens, required of presented ones.
    #[arg(long, env = "TOKEN_AUDIENCE", global = true, default_value = DEFAULT_AUDIENCE)]
    pub token_audience: String,

    #[arg(
        long,
        env = "LOG_FORMAT",
        global = true,
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// What a new institution calls its learner role, the one AutoEnroll places ("Learner"
    /// on many tenants). Used when an institution is created: the default one on first use of
    /// a database, and by `institution add`.
    #[arg(long, env = "LEARNER_ROLE_NAME", global = true, default_value = crate::domain::permissions::LEARNER)]
    pub learner_role_name: String,

    /// The server secret (32 random bytes, base64) that stored ID keys are encrypted under;
    /// created, mode 0600, when first needed. Every process of one database must share it.
    #[arg(long, env = "SECRET_KEY_FILE", global = true, default_value = crate::config::DEFAULT_SECRET_KEY_FILE)]
    pub secret_key_file: std::path::PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Apply pending migrations, then serve HTTP until SIGTERM or SIGINT.
    Serve(ServeArgs),
    /// Apply pending migrations and create the default institution; safe to repeat.
    Migrate,
    /// Print a signed access token for a user.
    Token(TokenArgs),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(clients::ClientCommand),
    /// Manage institutions (tenants).
    #[command(subcommand)]
    Institution(InstitutionCommand),
    /// See background jobs, and retry or discard the dead ones.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Manage roles.
    #[command(subcommand)]
    Role(RoleCommand),
    /// Manage users' sign-in.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Manage apps that sign calls with D2L's ID keys, and their users' keys.
    #[command(subcommand)]
    App(AppCommand),
    /// Ask the server on this machine for /healthz; exit 0 when it answers 200 (a container's
    /// HEALTHCHECK).
    Healthcheck(healthcheck::HealthcheckArgs),
    /// Load a world (users, OAuth clients, courses, enrollments, sections, group categories)
    /// from a YAML or JSON file into the default institution, all or nothing; prints the ids
    /// made as JSON (docs/testing.md).
    Seed(seed::SeedArgs),
    /// Print the OpenAPI 3.1 description of every route, as served at /openapi.json (no
    /// database needed).
    Openapi,
}

#[derive(Subcommand, Debug)]
pub enum AppCommand {
    /// Register an ID-key app; prints its id and key (`app_id=`, `app_key=`).
    Add(AppAddArgs),
    /// Print a user's id and key for an app (`user_id=`, `user_key=`): the same pair each time
    /// until the app is revoked.
    UserKey(AppUserKeyArgs),
    /// List the apps, one line each (no keys).
    List,
    /// Revoke an app: its calls, with every user's key, are refused from then on.
    Revoke(AppIdArgs),
}

#[derive(Args, Debug)]
pub struct AppAddArgs {
    #[arg(long)]
    pub name: String,
    /// The scopes every call of the app holds (role permissions still decide).
    #[arg(long, default_value = "*:*:*")]
    pub scope: String,
    /// Where the browser flow may send users back to: a callback must have this URL's scheme,
    /// host and port.
    #[arg(long)]
    pub trusted_url: Option<String>,
    /// Institution id or acronym (default: the first institution, created by the bootstrap).
    #[arg(long)]
    pub institution: Option<String>,
}

#[derive(Args, Debug)]
pub struct AppUserKeyArgs {
    /// The app's id, as `app add` printed it.
    #[arg(long)]
    pub app: String,
    /// UserName or UserId, of the app's institution.
    #[arg(long)]
    pub user: String,
}

#[derive(Args, Debug)]
pub struct AppIdArgs {
    /// The app's id, as `app add` printed it.
    #[arg(long)]
    pub app: String,
}

#[derive(Subcommand, Debug)]
pub enum RoleCommand {
    /// Set whether holders of a role can be auto-enrolled (placed by AutoEnroll and the
    /// allocation jobs in sections and groups), as Brightspace's role setting does.
    AutoEnroll(RoleAutoEnrollArgs),
}

#[derive(Args, Debug)]
pub struct RoleAutoEnrollArgs {
    /// The role's name or id.
    #[arg(long)]
    pub role: String,
    /// The institution's id or acronym; the default institution if absent.
    #[arg(long)]
    pub institution: Option<String>,
    /// `on` or `off`.
    #[arg(value_parser = ["on", "off"])]
    pub setting: String,
}

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// List jobs, oldest first: what each does, its state, attempts and last error.
    List(JobsListArgs),
    /// Make a dead job due again with its attempts reset; its category is processing again.
    Retry(JobIdArg),
    /// Remove a dead job. A category whose creation it was (still processing) is deleted with it.
    Discard(JobIdArg),
}

#[derive(Args, Debug)]
pub struct JobsListArgs {
    /// Only the dead jobs (those that failed their last allowed attempt).
    #[arg(long)]
    pub dead: bool,
}

#[derive(Args, Debug)]
pub struct JobIdArg {
    /// The job's id, as `jobs list` prints it.
    pub id: i64,
}

#[derive(Subcommand, Debug)]
pub enum InstitutionCommand {
    /// Create an institution with its root org unit, roles, signing key and `admin` user;
    /// prints its id and tenant id.
    Add(InstitutionAddArgs),
}

#[derive(Args, Debug)]
pub struct InstitutionAddArgs {
    /// Short unique name, e.g. UOC (letters, digits, '-' and '_').
    #[arg(long)]
    pub acronym: String,
    #[arg(long)]
    pub name: String,
    /// The only e-mail domain VLE clients may give new users.
    #[arg(long)]
    pub mail_domain: Option<String>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[arg(long, env = "BIND_ADDRESS", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Credits each client's bucket holds and refills per minute.
    #[arg(long, env = "RATE_LIMIT_CREDITS_PER_MINUTE", default_value_t = 50_000)]
    pub rate_limit_credits_per_minute: u32,
    /// Credits one call costs.
    #[arg(long, env = "RATE_LIMIT_REQUEST_COST", default_value_t = 10)]
    pub rate_limit_request_cost: u32,
    /// Lifetime in seconds of tokens issued by /core/connect/token.
    #[arg(long, env = "TOKEN_TTL_SECONDS", default_value_t = 3600)]
    pub token_ttl_seconds: i64,
    /// HTTP worker threads (0: one per core).
    #[arg(long, env = "WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// Run the background job worker in this process (`off` for API-only processes that share
    /// a PostgreSQL database with processes that do).
    #[arg(long, env = "JOB_WORKER", default_value = "on", value_parser = ["on", "off"])]
    pub job_worker: String,
    /// How often, in milliseconds, an idle job worker polls for due jobs.
    #[arg(long, env = "JOB_POLL_INTERVAL_MS", default_value_t = 500)]
    pub job_poll_interval_ms: u64,
    /// Attempts a background job gets; after the last failed one it is dead (see `jobs`).
    #[arg(long, env = "JOB_MAX_ATTEMPTS", default_value_t = crate::config::DEFAULT_JOB_MAX_ATTEMPTS)]
    pub job_max_attempts: u32,
    /// Milliseconds before a failed job's first retry; doubled for each further one, at most
    /// five minutes.
    #[arg(long, env = "JOB_RETRY_DELAY_MS", default_value_t = crate::config::DEFAULT_JOB_RETRY_DELAY_MS)]
    pub job_retry_delay_ms: u64,
    /// Serve HTTPS: the certificate chain (PEM). Needs --tls-key too.
    #[arg(long, env = "TLS_CERT_FILE", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// Serve HTTPS: the private key (PEM: PKCS#8, PKCS#1 or SEC1). Needs --tls-cert too.
    #[arg(long, env = "TLS_KEY_FILE", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Whose version table to play: `reference` (our groups reference: LP 1.46+ supported,
    /// 1.43–1.45 deprecated) or `20.26.6` (D2L's of June 2026: LP 1.49+, 1.46–1.48); both
    /// up to LP 1.63 and LE 1.99 (docs/compatibility.md, "Versions").
    #[arg(long, env = "BRIGHTSPACE_RELEASE", default_value = "reference", value_parser = ["reference", "20.26.6"])]
    pub brightspace_release: String,
    /// Answer obsolete versions 404 instead of serving them with `Deprecation` and `Sunset`.
    #[arg(long, env = "STRICT_VERSIONS")]
    pub strict_versions: bool,
    /// How enumerations (`EnrollmentStyle`) are answered: `numbers`, as D2L documents them,
    /// or `names`, for clients written against servers that sent names. Both are accepted.
    #[arg(long, env = "ENUM_ENCODING", default_value = "numbers", value_parser = ["numbers", "names"])]
    pub enum_encoding: String,
    /// Refuse JSON bodies holding fields their form does not know: a 400 naming the field and
    /// the nearest known one (a typo such as `AutoEnrol`). Off by default, as Brightspace
    /// ignores unknown fields.
    #[arg(long, env = "STRICT_INPUT")]
    pub strict_input: bool,
    /// Test mode, for integration suites (docs/testing.md): EMPTIES THE DATABASE at start and
    /// on `POST /testing/reset`, seeds `--seed`'s world, and serves `/testing/` routes that
    /// move the business clock. Never on by default; refused on a non-loopback address
    /// without --test-mode-allow-remote.
    #[arg(long, env = "TEST_MODE")]
    pub test_mode: bool,
    /// The world test mode seeds at start and on each reset (YAML or JSON, as `seed` reads).
    #[arg(long, env = "TEST_SEED_FILE", requires = "test_mode")]
    pub seed: Option<std::path::PathBuf>,
    /// Let test mode listen on a non-loopback address (its routes take no token: anyone who
    /// reaches the server can empty its database).
    #[arg(long, env = "TEST_MODE_ALLOW_REMOTE", requires = "test_mode")]
    pub test_mode_allow_remote: bool,
    /// Serve `/metrics` only on this address (e.g. `127.0.0.1:9100`), plain HTTP, instead of
    /// on the API's port (where it is then 404).
    #[arg(long, env = "METRICS_ADDRESS")]
    pub metrics_address: Option<String>,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// UserName or UserId.
    #[arg(long)]
    pub user: String,
    #[arg(long, default_value = "*:*:*")]
    pub scope: String,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    pub ttl: i64,
    /// Institution id or acronym (default: the first institution, created by the bootstrap).
    #[arg(long)]
    pub institution: Option<String>,
}

/// Prints the OpenAPI document the server serves at `/openapi.json`.
fn openapi() -> Result<(), String> {
    let document = crate::routes::description();
    let text = String::from_utf8_lossy(&document.json);
    println!("{text}");
    Ok(())
}

/// Runs the command line; returns the process exit code.
pub fn run() -> i32 {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let outcome = match &cli.command {
        Command::Serve(args) => serve(&cli, args),
        Command::Migrate => migrate(&cli),
        Command::Openapi => openapi(),
        Command::Token(args) => token(&cli, args),
        Command::Client(command) => clients::run(&cli, command),
        Command::Institution(InstitutionCommand::Add(args)) => institution_add(&cli, args),
        Command::Jobs(JobsCommand::List(args)) => jobs::list(&cli, args),
        Command::Jobs(JobsCommand::Retry(args)) => jobs::retry(&cli, args),
        Command::Jobs(JobsCommand::Discard(args)) => jobs::discard(&cli, args),
        Command::Role(RoleCommand::AutoEnroll(args)) => roles::auto_enroll(&cli, args),
        Command::User(command) => users::run(&cli, command),
        Command::App(AppCommand::Add(args)) => apps::add(&cli, args),
        Command::App(AppCommand::UserKey(args)) => apps::user_key(&cli, args),
        Command::App(AppCommand::List) => apps::list(&cli),
        Command::App(AppCommand::Revoke(args)) => apps::revoke(&cli, args),
        Command::Healthcheck(args) => healthcheck::run(args),
        Command::Seed(args) => seed::run(&cli, args),
    };
    match outcome {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("d2l-groups: {message}");
            1
        }
    }
}

pub(crate) fn settings_of(cli: &Cli) -> Settings {
    let mut settings = Settings::new(cli.database_url.clone());
    settings.database_pool_size = cli.database_pool_size;
    settings.database_checkout_timeout =
        std::time::Duration::from_millis(cli.database_checkout_timeout_ms);
    settings.token_issuer = cli.token_issuer.clone();
    settings.token_audience = cli.token_audience.clone();
    settings.learner_role_name = cli.learner_role_name.clone();
    settings.secret_key_file = crate::auth::id_key::SecretKeyFile::new(&cli.secret_key_file);
    settings
}

fn serve(cli: &Cli, args: &ServeArgs) -> Result<(), String> {
    let mut settings = settings_of(cli);
    settings.rate_limit = RateLimitSettings::new(
        args.rate_limit_credits_per_minute,
        args.rate_limit_request_cost,
    )?;
    if !(1..=31_536_000).contains(&args.token_ttl_seconds) {
        return Err("TOKEN_TTL_SECONDS must be between 1 and 31536000".into());
    }
    settings.token_ttl_seconds = args.token_ttl_seconds;
    settings.workers = args.workers;
    settings.job_worker = args.job_worker == "on";
    settings.tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert_chain), Some(private_key)) => Some(crate::config::TlsFiles {
            cert_chain: cert_chain.clone(),
            private_key: private_key.clone(),
        }),
        _ => None,
    };
    if let Some(files) = &settings.tls {
        // Fail before binding and migrating when the files are wrong.
        crate::app::tls_config(files).map_err(|e| e.to_string())?;
    }
    settings.job_poll_interval =
        std::time::Duration::from_millis(args.job_poll_interval_ms.clamp(10, 60_000));
    if !(1..=1_000).contains(&args.job_max_attempts) {
        return Err("JOB_MAX_ATTEMPTS must be between 1 and 1000".into());
    }
    settings.job_max_attempts = args.job_max_attempts;
    crate::wire::answer_enums_by_name(args.enum_encoding == "names");
    settings.versions = VersionPolicy {
        release: versions::release(&args.brightspace_release)
            .ok_or_else(|| format!("unknown Brightspace release {:?}", args.brightspace_release))?,
        strict: args.strict_versions,
    };
    if args.job_retry_delay_ms > 300_000 {
        return Err("JOB_RETRY_DELAY_MS must be at most 300000 (five minutes)".into());
    }
    settings.job_retry_delay = std::time::Duration::from_millis(args.job_retry_delay_ms);
    settings.strict_input = args.strict_input;
    if args.test_mode {
        settings.test_mode = Some(test_mode(args)?);
    }
    settings.metrics_address = args
        .metrics_address
        .clone()
        .filter(|a| !a.trim().is_empty());
    let state = AppState::initialize(settings)?;
    if let Some(mode) = &state.settings.test_mode {
        let created = crate::services::seed::reset_database(
            &state.db,
            mode.world.as_deref(),
            &state.settings.learner_role_name,
            state.clock.naive_now(),
        )
        .map_err(|e| format!("test mode could not reset the database: {}", e.cause()))?;
        let ids = serde_json::to_string(&created).map_err(|e| e.to_string())?;
        *mode.seeded.lock().unwrap_or_else(|p| p.into_inner()) = Some(created);
        tracing::warn!(seeded = %ids, "TEST MODE: the database was emptied and seeded; /testing/reset empties it again, /testing/clock moves business time. Never run test mode on a database you need");
    }
    let listener =
        TcpListener::bind(&args.bind).map_err(|e| format!("cannot bind {}: {e}", args.bind))?;
    let metrics_listener = match &state.settings.metrics_address {
        None => None,
        Some(at) => {
            let bound = TcpListener::bind(at)
                .map_err(|e| format!("cannot bind METRICS_ADDRESS {at}: {e}"))?;
            let address = bound.local_addr().map_err(|e| e.to_string())?;
            tracing::info!(%address, "serving metrics");
            Some(bound)
        }
    };
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if state.settings.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(%address, scheme, backend = ?state.db.backend(), "serving");
    actix_web::rt::System::new()
        .block_on(async move {
            let api = server(state.clone(), listener)?;
            match metrics_listener {
                None => api.await,
                Some(bound) => {
                    let metrics = crate::app::metrics_server(state, bound)?;
                    futures_util::future::try_join(api, metrics)
                        .await
                        .map(|_| ())
                }
            }
        })
        .map_err(|e| format!("server error: {e}"))?;
    tracing::info!("stopped");
    Ok(())
}

/// Test mode's settings, refused on an address other hosts can reach unless forced: its
/// routes take no token. The seed file is read and checked before anything is touched.
fn test_mode(args: &ServeArgs) -> Result<crate::config::TestMode, String> {
    use std::net::ToSocketAddrs;
    let addresses: Vec<std::net::SocketAddr> = args
        .bind
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", args.bind))?
        .collect();
    let loopback = !addresses.is_empty() && addresses.iter().all(|a| a.ip().is_loopback());
    if !loopback && !args.test_mode_allow_remote {
        return Err(format!(
            "test mode is refused on {}: it is not a loopback address, and test mode's routes empty the database without a token. Bind 127.0.0.1 (or ::1), or add --test-mode-allow-remote",
            args.bind
        ));
    }
    let world = match &args.seed {
        Some(path) => Some(std::sync::Arc::new(seed::load(path)?)),
        None => None,
    };
    Ok(crate::config::TestMode {
        world,
        ..crate::config::TestMode::default()
    })
}

/// The database of every command but `serve` and `migrate`: one that exists and was set up,
/// brought up to date, never created. A command run with the wrong DATABASE_URL (or from
/// another directory, for a relative SQLite path) would otherwise make a new, empty database
/// and act on it: a token signed by a key no server knows, a client no server has.
pub(crate) fn open(cli: &Cli) -> Result<Db, String> {
    let url = DatabaseUrl::parse(&cli.database_url)?;
    if url.in_memory {
        return Err(
            "an in-memory database (sqlite::memory:) ends with the command: give this command the DATABASE_URL of the server's database".into(),
        );
    }
    if !url.exists() {
        return Err(format!(
            "no SQLite database at {} (relative to {}); give the server's DATABASE_URL, or create one with `d2l-groups migrate`",
            url.target,
            std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| "the current directory".into()),
        ));
    }
    let db = Db::connect(&cli.database_url, 2)?;
    let set_up = match db.read_sync(crate::db::institutions::any) {
        Ok(any) => any,
        // The first migration makes the table: without it, nothing was ever set up here.
        Err(e) if is_missing_table(&e.cause()) => false,
        Err(e) => return Err(format!("cannot read the database: {}", e.cause())),
    };
    if !set_up {
        return Err(format!(
            "the database at {} was never set up (no institution): run `d2l-groups migrate` with this DATABASE_URL first",
            redacted(&cli.database_url)
        ));
    }
    db.migrate()?;
    Ok(db)
}

/// SQLite's and PostgreSQL's words for a table that is not there.
fn is_missing_table(cause: &str) -> bool {
    cause.contains("no such table")
        || (cause.contains("relation") && cause.contains("does not exist"))
}

/// The URL without its password, for messages.
fn redacted(database_url: &str) -> String {
    match url::Url::parse(database_url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => database_url.to_string(),
    }
}

/// `migrate`: creates the database if need be (a SQLite file), applies pending migrations and
/// creates the default institution with its signing key. Safe to repeat.
fn migrate(cli: &Cli) -> Result<(), String> {
    if DatabaseUrl::parse(&cli.database_url)?.in_memory {
        return Err("nothing would remain of an in-memory database (sqlite::memory:) after `migrate`: `serve` migrates it itself".into());
    }
    let db = Db::connect(&cli.database_url, 2)?;
    db.migrate()?;
    ensure_default_institution(&db, &cli.learner_role_name).map_err(|e| e.cause())?;
    println!("migrations applied; default institution present");
    Ok(())
}

fn token(cli: &Cli, args: &TokenArgs) -> Result<(), String> {
    let scopes = ScopeSet::parse(&args.scope)?;
    if scopes.is_empty() {
        return Err("--scope must name at least one scope".into());
    }
    if !(1..=31_536_000).contains(&args.ttl) {
        return Err("--ttl must be between 1 and 31536000 seconds".into());
    }
    let db = open(cli)?;
    let tokens = TokenService::new(cli.token_issuer.clone(), cli.token_audience.clone());
    let (token, _) = db
        .read_sync(|conn| {
            let institution = institution_arg(conn, args.institution.as_deref())?;
            let user = find_user_by_name_or_id(conn, institution.id, &args.user)?;
            let key = tokens.signing_key(conn, institution.id)?;
            tokens.issue(&key, user.id, &scopes, CLI_CLIENT_ID, args.ttl)
        })
        .map_err(|e| e.cause())?;
    println!("{token}");
    Ok(())
}

fn institution_add(cli: &Cli, args: &InstitutionAddArgs) -> Result<(), String> {
    let acronym = args.acronym.trim();
    if !crate::wire::institutions::is_acronym(acronym) {
        return Err("--acronym must be 1 to 32 letters, digits, '-' or '_'".into());
    }
    if args.name.trim().is_empty() {
        return Err("--name must not be empty".into());
    }
    let mail_domain = args
        .mail_domain
        .as_deref()
        .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
        .filter(|d| !d.is_empty());
    if let Some(d) = &mail_domain {
        if !d.contains('.') || d.contains(char::is_whitespace) {
            return Err(format!("--mail-domain {d:?} is not a domain name"));
        }
    }
    let db = open(cli)?;
    // Refuse a taken acronym before the slow key generation; checked again below, inside
    // the transaction, against a concurrent `institution add`.
    db.read_sync(|conn| acronym_free(conn, acronym))
        .map_err(|e| e.cause())?;
    let key = crate::auth::tokens::generate_key_row(0)?;
    let created = db
        .write_sync(|conn| {
            acronym_free(conn, acronym)?;
            crate::bootstrap::create_institution(
                conn,
                acronym,
                args.name.trim(),
                mail_domain.as_deref(),
                &cli.learner_role_name,
                key.clone(),
            )
        })
        .map_err(|e| e.cause())?;
    println!("institution_id={}", created.institution.id);
    println!("tenant_id={}", created.institution.tenant_id);
    println!("root_org_unit_id={}", created.root.id);
    println!("admin_user_id={}", created.admin.id);
    Ok(())
}

fn acronym_free(conn: &mut DbConnection, acronym: &str) -> Result<(), ApiError> {
    match find_institution(conn, acronym) {
        Ok(_) => Err(ApiError::bad_request(format!(
            "an institution with acronym {acronym:?} exists already"
        ))),
        Err(_) => Ok(()),
    }
}

/// `--institution` if given, else the default institution.
pub(crate) fn institution_arg(
    conn: &mut DbConnection,
    given: Option<&str>,
) -> Result<Institution, ApiError> {
    match given {
        Some(id_or_acronym) => find_institution(conn, id_or_acronym),
        None => default_institution(conn),
    }
}
