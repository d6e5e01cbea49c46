//! The tables, as diesel sees them; `migrations/sqlite` and `migrations/postgres` create them.

#![expect(
    missing_docs,
    reason = "diesel's table! macro writes undocumented items"
)]

diesel::table! {
    elections (id) {
        id -> Text,
        manifest -> Binary,
        key_dir -> Text,
        state -> Text,
        created -> BigInt,
        roles -> Text,
        closes_extended -> Nullable<BigInt>,
    }
}

diesel::table! {
    members (election, number) {
        election -> Text,
        number -> Text,
        position -> BigInt,
        row_csv -> Text,
        region -> Text,
        eligible -> Text,
        salt -> Binary,
        code_hash -> Nullable<Text>,
        reissue_grants -> Text,
        email -> Nullable<Text>,
        removed -> Bool,
        removal_published -> Bool,
    }
}

diesel::table! {
    officer_passkeys (id) {
        id -> Text,
        email -> Text,
        passkey -> Text,
    }
}

diesel::table! {
    invitation_mail (election, member) {
        election -> Text,
        member -> Text,
        status -> Text,
        detail -> Text,
    }
}

diesel::table! {
    record_files (election, path) {
        election -> Text,
        path -> Text,
        bytes -> Binary,
    }
}

diesel::table! {
    log_heads (election, log) {
        election -> Text,
        log -> Text,
        frontier -> Binary,
        last -> Binary,
    }
}

diesel::table! {
    log_entries (election, log, seq) {
        election -> Text,
        log -> Text,
        seq -> BigInt,
        entry -> Binary,
    }
}

diesel::table! {
    merkle_nodes (election, log, level, idx) {
        election -> Text,
        log -> Text,
        level -> BigInt,
        idx -> BigInt,
        hash -> Binary,
    }
}

diesel::table! {
    checkpoints (election, log, size) {
        election -> Text,
        log -> Text,
        size -> BigInt,
        note -> Text,
        created -> BigInt,
    }
}

diesel::table! {
    issuances (election, contest, member, issue) {
        election -> Text,
        contest -> Text,
        member -> Text,
        blinded -> Binary,
        blind_sig -> Binary,
        reissue -> Bool,
        published -> Bool,
        issue -> BigInt,
    }
}

diesel::table! {
    casts (election, pass_key) {
        election -> Text,
        pass_key -> Binary,
        contest -> Text,
        last_seq -> BigInt,
    }
}

diesel::table! {
    throttle (election, subject) {
        election -> Text,
        subject -> Text,
        failures -> BigInt,
        blocked_until -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        election -> Text,
        at -> BigInt,
        kind -> Text,
        detail -> Text,
        actor -> Text,
    }
}

diesel::table! {
    officers (email) {
        email -> Text,
        all_elections -> Bool,
        password_hash -> Nullable<Text>,
        totp_secret -> Nullable<Binary>,
        totp_last_step -> BigInt,
        enrol_hash -> Nullable<Text>,
        enrol_expires -> BigInt,
        created -> BigInt,
    }
}

diesel::table! {
    officer_elections (email, election) {
        email -> Text,
        election -> Text,
    }
}

diesel::table! {
    officer_sessions (id_hash) {
        id_hash -> Text,
        email -> Text,
        csrf -> Text,
        expires -> BigInt,
    }
}

diesel::table! {
    cosignatures (election, log, size, witness) {
        election -> Text,
        log -> Text,
        size -> BigInt,
        witness -> Text,
        line -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    elections,
    members,
    record_files,
    log_heads,
    log_entries,
    merkle_nodes,
    checkpoints,
    cosignatures,
    issuances,
    casts,
    throttle,
    events,
    officers,
    officer_elections,
    officer_sessions,
    invitation_mail,
    officer_passkeys,
);
