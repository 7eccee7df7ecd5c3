//! The web layer: routes, handlers and their templates, page middleware.

pub mod assets;
pub mod error_pages;
pub mod health;
pub mod home;
pub mod login;
pub mod page;
pub mod platform_login;
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
        .route("/settings/sign-in-methods", web::get().to(user::sign_in_methods::show))
        .route("/settings/sign-in-methods/{id}/unlink", web::post().to(user::sign_in_methods::unlink));
}
