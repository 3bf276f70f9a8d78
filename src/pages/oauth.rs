//! The OAuth pages: asking a user's consent for an app, an authorization request that cannot
//! be sent back, and the list of apps a user has authorized.

use maud::html;

use super::{message, page};

/// The consent form: the authorization request's own parameters go back as hidden fields,
/// so that the post is checked afresh, never trusted from a stored copy.
pub struct Consent<'a> {
    pub app_name: &'a str,
    pub scopes: Vec<String>,
    pub user_name: &'a str,
    pub csrf: &'a str,
    /// (name, value) of the authorization request.
    pub request: Vec<(&'static str, String)>,
}

pub fn consent(c: &Consent) -> String {
    page(
        "Authorize an application",
        html! {
            h1 { "Authorize " (c.app_name) "?" }
            p { (c.app_name) " asks to act as " strong { (c.user_name) } " with these permissions:" }
            ul {
                @for scope in &c.scopes {
                    li { code { (scope) } }
                }
            }
            form method="post" action="/oauth2/auth" {
                input type="hidden" name="csrf_token" value=(c.csrf);
                @for (name, value) in &c.request {
                    input type="hidden" name=(name) value=(value);
                }
                button type="submit" name="decision" value="allow" { "Allow" }
                " "
                button type="submit" name="decision" value="deny" { "Deny" }
            }
        },
    )
}

/// An authorization request refused before any redirect: the client or redirect URI is not
/// to be trusted, so the user reads why here.
pub fn error(code: &str, description: &str) -> String {
    page(
        "Authorization failed",
        html! {
            h1 { "This application cannot be authorized" }
            (message(Some(description), true))
            p { "Error code: " code { (code) } }
        },
    )
}

/// One app in the user's list.
pub struct AuthorizedApp<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub scope: &'a str,
    /// When the latest authorization was given, as text.
    pub since: String,
}

pub fn authorized_apps(apps: &[AuthorizedApp], csrf: &str, notice: Option<&str>) -> String {
    page(
        "Authorized applications",
        html! {
            h1 { "Authorized applications" }
            (message(notice, false))
            @if apps.is_empty() {
                p { "You have not authorized any application." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Application" } th scope="col" { "Permissions" } th scope="col" { "Since" } th scope="col" { span { "Revoke" } } } }
                    tbody {
                        @for app in apps {
                            tr {
                                td { (app.name) }
                                td { code { (app.scope) } }
                                td { (app.since) }
                                td {
                                    form method="post" action="/d2l/apps/revoke" {
                                        input type="hidden" name="csrf_token" value=(csrf);
                                        input type="hidden" name="client_id" value=(app.client_id);
                                        button type="submit" aria-label={ "Revoke " (app.name) } { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p { a href="/d2l/home" { "Home" } }
        },
    )
}
