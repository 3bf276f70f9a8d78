//! The CSV import of memberships, into a category's groups or the course's sections: the form
//! (a file or pasted text) and the preview of what applying it does, row by row.

use maud::html;

use super::{csrf, layout, scroll, Flash, Frame};

/// One row of an import preview.
#[derive(Clone, Debug)]
pub struct ImportRowView {
    pub line: usize,
    /// Who the row names, as written.
    pub who: String,
    pub code: String,
    /// "Will be added", "Already a member", or the refusal.
    pub outcome: String,
    pub rejected: bool,
}

/// Where an import goes: the form posts to `{base}/import`.
pub struct ImportTarget {
    pub base: String,
    pub title: String,
    pub crumbs: Vec<(String, String)>,
    /// "Group" or "Section": the code column's name (`GroupCode`) and header.
    pub unit: &'static str,
}

/// The import form; with `rows`, the preview of what applying it does.
pub fn import(
    frame: &Frame,
    flash: &Flash,
    target: &ImportTarget,
    text: &str,
    rows: Option<&[ImportRowView]>,
) -> String {
    let base = &target.base;
    let unit = target.unit;
    let body = html! {
        @if let Some(rows) = rows {
            @let rejected = rows.iter().filter(|r| r.rejected).count();
            h2 { "Preview" }
            p {
                (rows.len()) " rows: " (rows.len() - rejected) " accepted, " (rejected) " rejected."
                @if rejected > 0 { " Applying refuses the whole import while any row is rejected." }
            }
            (scroll("Import preview", html! {
                table {
                    thead { tr {
                        th scope="col" { "Line" }
                        th scope="col" { "User" }
                        th scope="col" { (unit) " code" }
                        th scope="col" { "Outcome" }
                    } }
                    tbody {
                        @for r in rows {
                            tr {
                                td { (r.line) }
                                td { (r.who) }
                                td { (r.code) }
                                @if r.rejected {
                                    td.rejected { "Rejected: " (r.outcome) }
                                } @else {
                                    td { (r.outcome) }
                                }
                            }
                        }
                    }
                }
            }))
            form method="post" action=(format!("{base}/import")) {
                (csrf(frame))
                input type="hidden" name="csv" value=(text);
                input type="hidden" name="action" value="apply";
                button type="submit" { "Apply the import" }
            }
        }
        h2 { "CSV" }
        p.hint {
            "A header row, then one row per membership. Columns: OrgDefinedId, UserName, UserId "
            "(any one names the user) and " (unit) "Code; the export has the same columns."
        }
        form method="post" action=(format!("{base}/import")) enctype="multipart/form-data" {
            (csrf(frame))
            input type="hidden" name="action" value="preview";
            label for="file" { "A CSV file" }
            input type="file" id="file" name="file" accept=".csv,text/csv";
            label for="csv" { "Or paste the CSV" }
            textarea id="csv" name="csv" { (text) }
            button type="submit" { "Preview" }
        }
    };
    layout(&target.title, frame, &target.crumbs, flash, None, body)
}
