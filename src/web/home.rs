//! The home page: a welcome for visitors, a dashboard for signed-in users.

use actix_web::HttpResponse;
use askama::Template;

use crate::error::AppError;
use crate::web::page::{PageContext, ok};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: PageContext,
}

pub async fn home(page: PageContext) -> Result<HttpResponse, AppError> {
    ok(&HomePage { page })
}
