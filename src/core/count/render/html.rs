//! stub
use super::super::report::Report;
/// Renders `report` as HTML.
pub fn html(report: &Report) -> String {
    super::text(report)
}
