//! Errors as the API answers them: `{"error": {"code": …, "message": …}}` with a stable code, an
//! HTTP status, and no internals (those go to the server's log).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::core::ballot::{BallotRefused, CastRefused};
use crate::core::manifest::ReissueRefused;
use crate::store::StoreError;

/// An API error. `code()` is the stable machine-readable name (docs/API.md lists them).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed request.
    #[error("{0}")]
    BadRequest(String),
    /// Unknown election, entry or path.
    #[error("there is no {what}")]
    NotFound {
        /// What was asked for.
        what: String,
    },
    /// Wrong member number or invitation code (which of the two is not said).
    #[error("the member number or invitation code is not right")]
    BadLogin,
    /// Too many failed logins for this member or address.
    #[error("too many failed attempts; try again in {retry_after} seconds")]
    Throttled {
        /// Seconds to wait.
        retry_after: i64,
    },
    /// No session or an expired one.
    #[error("log in first (the session is missing or has expired)")]
    Unauthorized,
    /// The returning officer removed the member after the election opened. At login (to the
    /// holder of the member's code only) it carries the member's roster commitment per contest:
    /// what the issuance log's removal entries name, so the member can find their own.
    #[error(
        "the returning officer removed you from this election's register after it opened: you cannot vote in it"
    )]
    Removed {
        /// Contest id → the member's roster commitment (base64url), or empty.
        commitments: std::collections::BTreeMap<String, String>,
    },
    /// The member is not eligible for the contest.
    #[error("you are not eligible to vote in contest {0:?}")]
    NotEligible(String),
    /// A different pass was already issued for this member and contest.
    #[error(
        "a voting pass for contest {0:?} was already issued to you; a retry from the same booth gets the same pass"
    )]
    AlreadyIssued(String),
    /// A re-issue was asked for a contest in which the member has no pass yet.
    #[error(
        "no voting pass for contest {0:?} was issued to you yet, so there is none to replace; ask for a pass without \"reissue\""
    )]
    NotIssued(String),
    /// The manifest's re-issue policy allows no new pass now.
    #[error("{0}")]
    NoReissue(ReissueRefused),
    /// The election is not open.
    #[error("the election is not open for voting")]
    NotOpen,
    /// A cosignature by a key the election's manifest does not name as a witness.
    #[error(
        "this cosignature is not by a witness the election's manifest names (compare your key with the manifest's witnesses)"
    )]
    NotAWitness,
    /// A cosignature by a named witness that does not verify over the checkpoint it is for.
    #[error("{0}")]
    BadCosignature(String),
    /// The ballot box refused the cast.
    #[error("{0}")]
    Refused(CastRefused),
    /// The server cannot take the request now (the login queue is full, the database is down or
    /// busy); `Retry-After` says when to try again. The cause is in the server's log.
    #[error("the server is busy; try again in {retry_after} seconds")]
    Unavailable {
        /// Seconds to wait.
        retry_after: i64,
    },
    /// The request (its head and body) took longer than the server waits for one.
    #[error("the request took longer than {0} seconds to arrive and be answered")]
    TimedOut(u64),
    /// Something failed inside; details are in the server's log.
    #[error("something went wrong on the server; the returning officer has the details")]
    Internal,
}

impl ApiError {
    /// Logs `detail` and answers [`ApiError::Internal`].
    pub fn internal(detail: &str) -> Self {
        eprintln!("teller serve: {detail}");
        Self::Internal
    }

    /// [`ApiError::Removed`] without the commitments (to a session or a pass request).
    pub fn removed() -> Self {
        Self::Removed {
            commitments: Default::default(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::NotFound { .. } => "not_found",
            Self::BadLogin => "bad_login",
            Self::Throttled { .. } => "throttled",
            Self::Unauthorized => "unauthorized",
            Self::NotEligible(_) => "not_eligible",
            Self::Removed { .. } => "removed",
            Self::AlreadyIssued(_) => "already_issued",
            Self::NotIssued(_) => "not_issued",
            Self::NoReissue(_) => "no_reissue",
            Self::NotOpen => "not_open",
            Self::NotAWitness => "not_a_witness",
            Self::BadCosignature(_) => "bad_cosignature",
            Self::Refused(refused) => match refused {
                CastRefused::Ballot(BallotRefused::UnknownContest(_)) => "unknown_contest",
                CastRefused::Ballot(BallotRefused::BadPass) => "bad_pass",
                CastRefused::Ballot(BallotRefused::BadSignature) => "bad_signature",
                CastRefused::Ballot(BallotRefused::WrongLength { .. }) => "wrong_length",
                CastRefused::Closed => "not_open",
                CastRefused::AlreadyVoted { .. } => "already_voted",
                CastRefused::WrongReplaces { .. } => "wrong_replaces",
            },
            Self::Unavailable { .. } => "unavailable",
            Self::TimedOut(_) => "timeout",
            Self::Internal => "internal",
        }
    }
}

/// Seconds a member is asked to wait when the database is unavailable.
const DATABASE_RETRY_AFTER: i64 = 5;

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            // The operator reads the cause in the log; the member is told to come back.
            error if error.is_unavailable() => {
                eprintln!("teller serve: {:#}", anyhow::Error::new(error));
                Self::Unavailable {
                    retry_after: DATABASE_RETRY_AFTER,
                }
            }
            StoreError::NoElection(id) => Self::NotFound {
                what: format!("election {id:?}"),
            },
            // The logs begin when the election opens (the route has checked that this server
            // keeps the log asked for).
            StoreError::NoLog { .. } | StoreError::WrongState { .. } => Self::NotOpen,
            error => Self::internal(&format!("{:#}", anyhow::Error::new(error))),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        // A store error carried by a step of the admin layer keeps its answer.
        let unavailable = error.chain().any(|cause| {
            cause
                .downcast_ref::<StoreError>()
                .is_some_and(StoreError::is_unavailable)
        });
        let reason = format!("{error:#}");
        match unavailable {
            true => {
                eprintln!("teller serve: {reason}");
                Self::Unavailable {
                    retry_after: DATABASE_RETRY_AFTER,
                }
            }
            false => Self::internal(&reason),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        Self::internal(&format!("{error}"))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::BadLogin | Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotEligible(_) | Self::Removed { .. } | Self::NotAWitness => {
                StatusCode::FORBIDDEN
            }
            Self::BadCosignature(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::AlreadyIssued(_) | Self::NotIssued(_) | Self::NoReissue(_) | Self::NotOpen => {
                StatusCode::CONFLICT
            }
            Self::Refused(CastRefused::AlreadyVoted { .. } | CastRefused::Closed) => {
                StatusCode::CONFLICT
            }
            Self::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::TimedOut(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Self::Throttled { retry_after } | Self::Unavailable { retry_after } = self {
            response.insert_header(("Retry-After", retry_after.to_string()));
        }
        // Errors raised outside a handler (the request guard) skip the middleware that adds
        // these to answers.
        for header in super::SECURITY_HEADERS {
            response.insert_header(header);
        }
        if let Self::TimedOut(_) = self {
            // The rest of a slow body is not worth waiting for.
            response.force_close();
        }
        let mut error = serde_json::json!({ "code": self.code(), "message": self.to_string() });
        if let Self::Removed { commitments } = self
            && !commitments.is_empty()
        {
            error["commitments"] = serde_json::json!(commitments);
        }
        response.json(serde_json::json!({ "error": error }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    fn lost_connection() -> StoreError {
        StoreError::Database(Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection unexpectedly".to_owned()),
        ))
    }

    /// Each store failure answers as what it is: the database's state is the member's `503`
    /// (to retry), an unknown election `404`, a log not yet begun `409 not_open`; the rest
    /// `500` with the cause in the log.
    #[test]
    fn store_errors_answer_as_what_they_are() {
        let answer = |error: StoreError| {
            let api = ApiError::from(error);
            (api.status_code().as_u16(), api.code())
        };
        assert_eq!(answer(lost_connection()), (503, "unavailable"));
        let batch = StoreError::Batch {
            election: "e".into(),
            source: std::sync::Arc::new(lost_connection()),
        };
        assert_eq!(answer(batch), (503, "unavailable"));
        assert_eq!(
            answer(StoreError::NoElection("e".into())),
            (404, "not_found")
        );
        let no_log = StoreError::NoLog {
            election: "e".into(),
            log: crate::store::BALLOTS,
        };
        assert_eq!(answer(no_log), (409, "not_open"));
        let unique = StoreError::Database(Error::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("duplicate key".to_owned()),
        ));
        assert_eq!(answer(unique), (500, "internal"));
        assert_eq!(answer(StoreError::Unsequenced), (500, "internal"));
        // Through the admin layer's anyhow, the database's state still answers 503.
        let wrapped = anyhow::Error::new(lost_connection()).context("closing");
        assert_eq!(ApiError::from(wrapped).code(), "unavailable");
    }
}
