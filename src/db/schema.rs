// @generated automatically by Diesel CLI.

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
    }
}

diesel::joinable!(identities -> users (user_id));
diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(identities, sessions, users,);
