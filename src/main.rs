//! The `d2l-groups` binary: see `d2l_groups::cli`.

fn main() {
    std::process::exit(d2l_groups::cli::run());
}
