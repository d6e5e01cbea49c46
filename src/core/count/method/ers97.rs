//! ers97: not yet written.

use super::super::{CountError, CountInput, MethodResult};

pub(crate) fn count(_input: &CountInput<'_>) -> Result<MethodResult, CountError> {
    todo!("ers97")
}
