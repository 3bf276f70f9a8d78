//! The sign-in page, the signed-in home page and the sign-out form.

use maud::html;

use super::{message, page};

/// The sign-in form as [`form`] shows it.
pub struct SignInForm<'a> {
    /// Sent back with the post, and set in the CSRF cookie.
    pub csrf: &'a str,
    /// Where to go once signed in (a path on this server).
    pub target: &'a str,
    /// The institution's acronym, when not the default one.
    pub institution: Option<&'a str>,
    /// The user name to show again after a refusal.
    pub user_name: &'a str,
    pub error: Option<&'a str>,
    pub notice: Option<&'a str>,
}

pub fn form(f: &SignInForm) -> String {
    page(
        "Sign in",
        html! {
            h1 { "Sign in" }
            (message(f.error, true))
            (message(f.notice, false))
            form method="post" action="/d2l/lp/auth/login/login.d2l" {
                input type="hidden" name="csrf_token" value=(f.csrf);
                input type="hidden" name="target" value=(f.target);
                @if let Some(institution) = f.institution {
                    input type="hidden" name="institution" value=(institution);
                }
                label for="userName" { "User name" }
                input type="text" id="userName" name="userName" value=(f.user_name)
                    autocomplete="username" required autofocus[f.error.is_none()];
                label for="password" { "Password" }
                input type="password" id="password" name="password"
                    autocomplete="current-password" required;
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// The page a signed-in user lands on without a target.
pub fn home(display_name: &str, user_name: &str, csrf: &str) -> String {
    page(
        "Home",
        html! {
            h1 { "Signed in" }
            p { "You are signed in as " strong { (display_name) } " (" (user_name) ")." }
            p { a href="/d2l/apps" { "Applications you have authorized" } }
            (sign_out(csrf))
        },
    )
}

/// Asks before signing out, for a sign-out link followed without the form.
pub fn confirm_sign_out(csrf: &str) -> String {
    page(
        "Sign out",
        html! {
            h1 { "Sign out" }
            p { "Sign out of d2l-groups in this browser?" }
            (sign_out(csrf))
        },
    )
}

fn sign_out(csrf: &str) -> maud::Markup {
    html! {
        form method="post" action="/d2l/logout" {
            input type="hidden" name="csrf_token" value=(csrf);
            button type="submit" { "Sign out" }
        }
    }
}
