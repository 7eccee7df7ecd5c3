//! The web layer: routes, handlers and their templates, page middleware.

pub mod assets;
pub mod csrf;
pub mod current_user;
pub mod draining;
pub mod error_pages;
pub mod health;
pub mod home;
pub mod keys;
pub mod login;
pub mod org_access;
pub mod orgs;
pub mod page;
pub mod pagination;
pub mod platform_login;
pub mod request_frame;
pub mod security_headers;
pub mod user;

use actix_web::web::{self, ServiceConfig};

/// The pages (everything that uses the session). Paths are fixed by SPEC §10.
pub fn pages(cfg: &mut ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route("/login", web::get().to(login::login_page))
        .route("/auth/dev/login", web::post().to(login::dev_sign_in))
        .route("/auth/logout", web::post().to(login::sign_out))
        .route("/auth/{platform}/login", web::get().to(platform_login::start_sign_in))
        .route("/auth/{platform}/callback", web::get().to(platform_login::callback))
        .route("/auth/{platform}/link", web::get().to(platform_login::start_link))
        .route("/settings", web::get().to(user::profile::settings_home))
        .route("/settings/profile", web::get().to(user::profile::show))
        .route("/settings/profile", web::post().to(user::profile::update))
        .route("/settings/profile/mail", web::post().to(user::profile::update_mail))
        .route("/settings/sign-in-methods", web::get().to(user::sign_in_methods::show))
        .route("/settings/sign-in-methods/{id}/unlink", web::post().to(user::sign_in_methods::unlink))
        .route("/orgs", web::get().to(orgs::search::search))
        .route("/orgs", web::post().to(orgs::new::create))
        .route("/orgs/new", web::get().to(orgs::new::form))
        .route("/orgs/slug-preview", web::get().to(orgs::new::slug_preview))
        .route("/orgs/requests/{id}/withdraw", web::post().to(orgs::membership::withdraw))
        .route("/o/{slug}", web::get().to(orgs::show::show))
        .route("/o/{slug}/join-requests", web::post().to(orgs::membership::ask_to_join))
        .route("/o/{slug}/leave", web::get().to(orgs::membership::confirm_leave))
        .route("/o/{slug}/leave", web::post().to(orgs::membership::leave))
        .route("/o/{slug}/settings", web::get().to(orgs::settings::index))
        .route("/o/{slug}/settings/general", web::get().to(orgs::settings::general::show))
        .route("/o/{slug}/settings/general", web::post().to(orgs::settings::general::rename))
        .route("/o/{slug}/settings/key-policy", web::post().to(orgs::settings::general::set_key_policy))
        .route("/o/{slug}/settings/members", web::get().to(orgs::settings::members::show))
        .route(
            "/o/{slug}/settings/members/{user_id}/role",
            web::post().to(orgs::settings::members::change_role),
        )
        .route(
            "/o/{slug}/settings/members/{user_id}/remove",
            web::get().to(orgs::settings::members::confirm_remove),
        )
        .route("/o/{slug}/settings/members/{user_id}/remove", web::post().to(orgs::settings::members::remove))
        .route("/o/{slug}/settings/requests/{id}/approve", web::post().to(orgs::settings::members::approve))
        .route("/o/{slug}/settings/requests/{id}/reject", web::post().to(orgs::settings::members::reject))
        .route("/o/{slug}/settings/api-keys", web::get().to(keys::org::list))
        .route("/o/{slug}/settings/api-keys", web::post().to(keys::org::create))
        .route("/o/{slug}/settings/api-keys/{id}/revoke", web::get().to(keys::org::confirm_revoke))
        .route("/o/{slug}/settings/api-keys/{id}/revoke", web::post().to(keys::org::revoke))
        .route("/o/{slug}/settings/api-keys/{id}/roll", web::get().to(keys::org::confirm_roll))
        .route("/o/{slug}/settings/api-keys/{id}/roll", web::post().to(keys::org::roll))
        // `…/delete`: the paths from before revoking kept keys, so old links work.
        .route("/o/{slug}/settings/api-keys/{id}/delete", web::get().to(keys::org::confirm_revoke))
        .route("/o/{slug}/settings/api-keys/{id}/delete", web::post().to(keys::org::revoke))
        .configure(keys::oversight::routes)
        .route("/o/{slug}/settings/api-keys/{id}", web::get().to(keys::detail::org_key))
        .route("/api-keys/valid-until-preview", web::get().to(keys::valid_until::preview))
        .route("/settings/api-keys", web::get().to(keys::user::list))
        .route("/settings/api-keys", web::post().to(keys::user::create))
        .route("/settings/api-keys/{id}", web::get().to(keys::detail::user_key))
        .route("/settings/api-keys/{id}/revoke", web::get().to(keys::user::confirm_revoke))
        .route("/settings/api-keys/{id}/revoke", web::post().to(keys::user::revoke))
        .route("/settings/api-keys/{id}/roll", web::get().to(keys::user::confirm_roll))
        .route("/settings/api-keys/{id}/roll", web::post().to(keys::user::roll))
        .route("/settings/api-keys/{id}/delete", web::get().to(keys::user::confirm_revoke))
        .route("/settings/api-keys/{id}/delete", web::post().to(keys::user::revoke))
        .route("/o/{slug}/settings/audit-log", web::get().to(orgs::settings::audit_log::show));
}
