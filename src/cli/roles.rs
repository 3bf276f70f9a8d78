//! `role auto-enroll`: Brightspace's "can be auto-enrolled" role setting, which decides whom
//! AutoEnroll and the allocation jobs place.

use super::{institution_arg, open, Cli, RoleAutoEnrollArgs};
use crate::error::ApiError;

/// Sets whether holders of a role can be auto-enrolled; prints the role and the setting.
pub fn auto_enroll(cli: &Cli, args: &RoleAutoEnrollArgs) -> Result<(), String> {
    let db = open(cli)?;
    let on = args.setting == "on";
    let role = db
        .write_sync(|conn| {
            let institution = institution_arg(conn, args.institution.as_deref())?;
            let role = crate::db::roles::by_name_or_id(conn, institution.id, &args.role)?
                .ok_or_else(|| {
                    ApiError::not_found(format!(
                        "no role {:?} in institution {}",
                        args.role, institution.acronym
                    ))
                })?;
            crate::db::roles::set_auto_enroll(conn, role.id, on)?;
            Ok(role)
        })
        .map_err(|e| e.cause())?;
    println!("role_id={}", role.id);
    println!("can_be_auto_enrolled={on}");
    Ok(())
}
