//! `user password`: sets a user's password, read from standard input, so that they can sign
//! in at `/d2l/login` (and, through it, authorize OAuth apps).

use std::io::Read;

use clap::{Args, Subcommand};

use super::{institution_arg, open, Cli};
use crate::services::sign_in;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Set a user's password, read from standard input (one line; a trailing newline is not
    /// part of it). Their open browser sessions end.
    Password(PasswordArgs),
}

#[derive(Args, Debug)]
pub struct PasswordArgs {
    /// The user's UserName or UserId.
    #[arg(long)]
    pub user: String,
    /// The institution's id or acronym; the default institution if absent.
    #[arg(long)]
    pub institution: Option<String>,
}

pub fn run(cli: &Cli, command: &UserCommand) -> Result<(), String> {
    match command {
        UserCommand::Password(args) => password(cli, args),
    }
}

fn password(cli: &Cli, args: &PasswordArgs) -> Result<(), String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = input
        .strip_suffix('\n')
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(&input);
    if password.contains('\n') {
        return Err("the password must be one line".into());
    }
    let hash = sign_in::hash_new_password(password).map_err(|e| e.cause())?;
    let db = open(cli)?;
    let user = db
        .write_sync(|conn| {
            let institution = institution_arg(conn, args.institution.as_deref())?;
            let user = sign_in::user_by_name_or_id(conn, institution.id, &args.user)?;
            sign_in::set_password(conn, &user, &hash)?;
            Ok(user)
        })
        .map_err(|e| e.cause())?;
    println!("user_id={}", user.id);
    println!("password=set");
    Ok(())
}
