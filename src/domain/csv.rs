//! CSV (RFC 4180) as the console exports and imports memberships: fields quoted when they
//! hold a comma, quote or line break; rows end in CRLF. Reading accepts LF or CRLF, quoted
//! fields with doubled quotes, and a byte-order mark.

/// The columns of a membership export, and what an import reads (by name, any case, any
/// order; `GroupCode` or `SectionCode` names the unit).
pub const MEMBERSHIP_COLUMNS: [&str; 4] = ["OrgDefinedId", "UserName", "UserId", "GroupCode"];

/// Most data rows one import takes.
pub const MAX_IMPORT_ROWS: usize = 5_000;

/// One field, quoted when it must be. A field that a spreadsheet would read as a formula
/// (`=`, `+`, `-`, `@` first) is quoted too, but kept as it is: the export is data.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) || text.starts_with(['=', '+', '-', '@']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The rows as CSV text, each ending in CRLF.
pub fn write(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row.iter().map(|f| field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The rows of `text`, each with its first line number (1-based); blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut row_line = 1;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    current.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    current.push(c);
                }
                _ => current.push(c),
            }
            continue;
        }
        match c {
            '"' if current.is_empty() => {
                quoted = true;
                any = true;
            }
            '"' => return Err(format!("Line {line}: a quote inside an unquoted field.")),
            ',' => {
                row.push(std::mem::take(&mut current));
                any = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                if any || !current.is_empty() {
                    row.push(std::mem::take(&mut current));
                    rows.push((row_line, std::mem::take(&mut row)));
                }
                any = false;
                line += 1;
                row_line = line;
            }
            _ => current.push(c),
        }
    }
    if quoted {
        return Err(format!("Line {row_line}: a quoted field is not closed."));
    }
    if any || !current.is_empty() {
        row.push(current);
        rows.push((row_line, row));
    }
    Ok(rows)
}

/// One data row of a membership import, as written: who (by any of the three ids the export
/// has) and which unit (by code). `problem` says why the row cannot be read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MembershipRow {
    pub line: usize,
    pub org_defined_id: Option<String>,
    pub user_name: Option<String>,
    pub user_id: Option<i64>,
    pub unit_code: String,
    pub problem: Option<String>,
}

/// The data rows of a membership import: a header naming the columns, then one row per
/// membership. Refused as a whole when the header lacks the unit's code or every user column,
/// or when there are more than [`MAX_IMPORT_ROWS`] rows; a row that cannot be read is kept
/// with its problem, so that the preview lists it.
pub fn membership_rows(text: &str) -> Result<Vec<MembershipRow>, String> {
    let mut rows = parse(text)?.into_iter();
    let Some((_, header)) = rows.next() else {
        return Err("The CSV is empty: it needs a header row and one row per membership.".into());
    };
    let column = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let Some(code_at) = column(&["GroupCode", "SectionCode"]) else {
        return Err("The header has no GroupCode (or SectionCode) column.".into());
    };
    let org_at = column(&["OrgDefinedId"]);
    let name_at = column(&["UserName"]);
    let id_at = column(&["UserId"]);
    if org_at.is_none() && name_at.is_none() && id_at.is_none() {
        return Err("The header names no user column: OrgDefinedId, UserName or UserId.".into());
    }
    let data: Vec<(usize, Vec<String>)> = rows.collect();
    if data.len() > MAX_IMPORT_ROWS {
        return Err(format!(
            "The CSV has {} rows; at most {MAX_IMPORT_ROWS} are taken at once.",
            data.len()
        ));
    }
    Ok(data
        .into_iter()
        .map(|(line, cells)| {
            let cell = |at: Option<usize>| {
                at.and_then(|i| cells.get(i))
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            };
            let mut row = MembershipRow {
                line,
                org_defined_id: cell(org_at),
                user_name: cell(name_at),
                user_id: None,
                unit_code: cell(Some(code_at)).unwrap_or_default(),
                problem: None,
            };
            if let Some(id) = cell(id_at) {
                match id.parse::<i64>() {
                    Ok(n) if n > 0 => row.user_id = Some(n),
                    _ => row.problem = Some(format!("UserId {id:?} is not a user id.")),
                }
            }
            if row.problem.is_none() {
                if row.unit_code.is_empty() {
                    row.problem = Some("The code of the group or section is empty.".into());
                } else if row.user_id.is_none()
                    && row.user_name.is_none()
                    && row.org_defined_id.is_none()
                {
                    row.problem = Some("The row names no user.".into());
                }
            }
            row
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_fields_are_quoted_when_they_must_be() {
        let rows = vec![
            vec!["a".into(), "b,c".into(), "say \"hi\"".into()],
            vec!["=1+2".into(), "two\nlines".into(), String::new()],
        ];
        let text = write(&rows);
        assert_eq!(
            text,
            "a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"=1+2\",\"two\nlines\",\r\n"
        );
        let back: Vec<Vec<String>> = parse(&text)
            .expect("parses")
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        assert_eq!(back, rows);
    }

    #[test]
    fn parsing_counts_lines_and_skips_blank_ones() {
        let rows = parse("\u{feff}h1,h2\n\n1,2\r\n\"x\ny\",3").expect("parses");
        assert_eq!(rows[0], (1, vec!["h1".to_string(), "h2".to_string()]));
        assert_eq!(rows[1], (3, vec!["1".to_string(), "2".to_string()]));
        assert_eq!(rows[2], (4, vec!["x\ny".to_string(), "3".to_string()]));
        assert!(parse("\"open").is_err());
        assert!(parse("a\"b").is_err());
    }

    #[test]
    fn membership_rows_need_a_code_and_a_user_column() {
        assert!(membership_rows("").is_err());
        assert!(membership_rows("UserName\nada").is_err());
        assert!(membership_rows("GroupCode\nG1").is_err());
        let rows = membership_rows("username,GROUPCODE,UserId\nada,G1,\n,G2,x\nbob,,\n,G3,\n")
            .expect("rows");
        assert_eq!(rows[0].user_name.as_deref(), Some("ada"));
        assert_eq!(rows[0].unit_code, "G1");
        assert_eq!(rows[0].problem, None);
        assert_eq!(
            rows[1].problem.as_deref(),
            Some("UserId \"x\" is not a user id.")
        );
        assert_eq!(
            rows[2].problem.as_deref(),
            Some("The code of the group or section is empty.")
        );
        assert_eq!(rows[3].problem.as_deref(), Some("The row names no user."));
        assert_eq!(rows[3].line, 5);
    }
}
