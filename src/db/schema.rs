// @generated automatically by Diesel CLI.

diesel::table! {
    api_failure_buckets (address) {
        address -> Text,
        attempts_left -> Double,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_key_blocks (key_id, organization_id) {
        key_id -> Integer,
        organization_id -> Integer,
        blocked_by -> Nullable<Integer>,
        blocked_at -> Timestamp,
    }
}

diesel::table! {
    api_key_daily_uses (key_id, day) {
        key_id -> Integer,
        day -> Date,
        requests -> BigInt,
    }
}

diesel::table! {
    api_key_org_uses (key_id, organization_id) {
        key_id -> Integer,
        organization_id -> Integer,
        last_used_at -> Timestamp,
    }
}

diesel::table! {
    api_key_orgs (key_id, organization_id) {
        key_id -> Integer,
        organization_id -> Integer,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Integer,
        public_id -> Text,
        kind -> Text,
        organization_id -> Nullable<Integer>,
        user_id -> Nullable<Integer>,
        secret_hash -> Text,
        description -> Text,
        valid_until -> Nullable<Date>,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        last_used_at -> Nullable<Timestamp>,
        created_by_key_hint -> Nullable<Text>,
        created_by_key_description -> Nullable<Text>,
        scope -> Text,
        allowed_networks -> Nullable<Text>,
        reaches_all_orgs -> Bool,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
        revoked_by -> Nullable<Integer>,
        revoked_by_key_hint -> Nullable<Text>,
        rolled_from -> Nullable<Text>,
        rolled_to -> Nullable<Text>,
        reminded_7d_at -> Nullable<Timestamp>,
        reminded_1d_at -> Nullable<Timestamp>,
        last_used_address -> Nullable<Text>,
        last_used_agent -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Integer,
        organization_id -> Integer,
        actor_user_id -> Nullable<Integer>,
        action -> Text,
        target_user_id -> Nullable<Integer>,
        details -> Text,
        created_at -> Timestamp,
        actor_key_hint -> Nullable<Text>,
        actor_key_description -> Nullable<Text>,
    }
}

diesel::table! {
    identities (id) {
        id -> Integer,
        user_id -> Integer,
        platform -> Text,
        platform_user_id -> Text,
        login -> Text,
        display_name -> Nullable<Text>,
        email -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        linked_at -> Timestamp,
        last_sign_in_at -> Timestamp,
        email_verified -> Bool,
    }
}

diesel::table! {
    join_requests (id) {
        id -> Integer,
        organization_id -> Integer,
        user_id -> Integer,
        status -> Text,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Integer>,
    }
}

diesel::table! {
    memberships (id) {
        id -> Integer,
        organization_id -> Integer,
        user_id -> Integer,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organizations (id) {
        id -> Integer,
        slug -> Text,
        name -> Text,
        name_search -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        max_key_lifetime_days -> Nullable<Integer>,
        keys_require_expiry -> Bool,
        user_keys_allowed -> Text,
    }
}

diesel::table! {
    outbound_mails (id) {
        id -> Integer,
        recipient -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    pending_tokens (id) {
        id -> Text,
        user_id -> Integer,
        list_url -> Text,
        sealed -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Nullable<Integer>,
        state -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        display_name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        mail_opt_out -> Bool,
    }
}

diesel::joinable!(api_key_blocks -> api_keys (key_id));
diesel::joinable!(api_key_blocks -> organizations (organization_id));
diesel::joinable!(api_key_blocks -> users (blocked_by));
diesel::joinable!(api_key_daily_uses -> api_keys (key_id));
diesel::joinable!(api_key_org_uses -> api_keys (key_id));
diesel::joinable!(api_key_org_uses -> organizations (organization_id));
diesel::joinable!(api_key_orgs -> api_keys (key_id));
diesel::joinable!(api_key_orgs -> organizations (organization_id));
diesel::joinable!(api_keys -> organizations (organization_id));
diesel::joinable!(audit_events -> organizations (organization_id));
diesel::joinable!(identities -> users (user_id));
diesel::joinable!(join_requests -> organizations (organization_id));
diesel::joinable!(memberships -> organizations (organization_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(pending_tokens -> users (user_id));
diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_failure_buckets,
    api_key_blocks,
    api_key_daily_uses,
    api_key_org_uses,
    api_key_orgs,
    api_keys,
    audit_events,
    identities,
    join_requests,
    memberships,
    organizations,
    outbound_mails,
    pending_tokens,
    sessions,
    users,
);
