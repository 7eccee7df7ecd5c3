//! Error responses rendered inside the layout.
//!
//! Handlers and extractors return errors; this middleware turns any response
//! that carries an error into a page with a short message. Server errors are
//! logged with their cause chain and show only the request id.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

use crate::error::{AdminsOnly, AppError, UNAVAILABLE_RETRY_AFTER_SECONDS};
use crate::telemetry::RequestId;
use crate::web::page::PageContext;

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage {
    page: PageContext,
    status: u16,
    title: String,
    message: String,
    request_id: Option<String>,
}

/// The 403 of an organization's admin pages: whom to ask, and the person's own keys.
#[derive(Template)]
#[template(path = "errors/admins_only.html")]
struct AdminsOnlyPage {
    page: PageContext,
    message: String,
    org_name: String,
    org_slug: String,
    admins: Vec<String>,
}

pub async fn render_error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // The request must not be cloned before routing (actix needs it unshared to
    // fill in the path parameters), so it is taken from the response afterwards.
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(error) = res.response().error() else {
        return Ok(res);
    };
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    let app_error = error.as_error::<AppError>();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        tracing::warn!(error = %format!("{error:#}"), "service unavailable");
    } else if status.is_server_error() {
        tracing::error!(error = %format!("{error:#}"), "server error");
    }
    let message = match app_error {
        Some(app_error) => app_error.public_message(),
        None => generic_message(status),
    };
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let http_req = res.request().clone();
    let page = match app_error {
        Some(AppError::AdminsOnly(details)) => {
            admins_only_page(&http_req, message, (**details).clone()).await
        }
        _ => error_page(&http_req, status, message).await,
    };
    let mut response = page.unwrap_or_else(|_| {
        HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(status.to_string())
    });
    if let Some(value) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Ok(ServiceResponse::new(http_req, response))
}

async fn error_page(
    req: &HttpRequest,
    status: StatusCode,
    message: String,
) -> Result<HttpResponse, AppError> {
    let request_id = status
        .is_server_error()
        .then(|| req.extensions().get::<RequestId>().map(ToString::to_string))
        .flatten();
    // With the database away, the layout is drawn without the person's name
    // and organizations: reading them would only wait for it again.
    let page = match status {
        StatusCode::SERVICE_UNAVAILABLE => PageContext::for_error_without_database(req),
        _ => PageContext::for_error(req).await,
    };
    let template =
        ErrorPage { page, status: status.as_u16(), title: title(status).to_string(), message, request_id };
    let mut response = crate::web::page::render(status, &template)?;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn admins_only_page(
    req: &HttpRequest,
    message: String,
    details: AdminsOnly,
) -> Result<HttpResponse, AppError> {
    let AdminsOnly { org_name, org_slug, admins } = details;
    let template =
        AdminsOnlyPage { page: PageContext::for_error(req).await, message, org_name, org_slug, admins };
    let mut response = crate::web::page::render(StatusCode::FORBIDDEN, &template)?;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The error page for a request that failed before any handler could answer
/// (the session store failing, say): no session or user to show, only the
/// status and the request id (and, for a 503, when to try again).
/// `message` replaces the status's usual sentence when the cause is known.
pub fn standalone(
    status: StatusCode,
    message: Option<String>,
    request_id: Option<String>,
    dev_sign_in: bool,
) -> HttpResponse {
    let template = ErrorPage {
        page: PageContext {
            user: None,
            orgs: Vec::new(),
            csrf_token: String::new(),
            dev_sign_in,
            flashes: Vec::new(),
            user_keys_stopping: 0,
        },
        status: status.as_u16(),
        title: title(status).to_string(),
        message: message.unwrap_or_else(|| generic_message(status)),
        request_id: request_id.filter(|_| status.is_server_error()),
    };
    let mut response = crate::web::page::render(status, &template).unwrap_or_else(|_| {
        HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(status.to_string())
    });
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECONDS));
    }
    response
}

fn title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::FORBIDDEN => "Access denied",
        StatusCode::UNAUTHORIZED => "Sign-in required",
        StatusCode::METHOD_NOT_ALLOWED => "Not allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "Too large",
        StatusCode::TOO_MANY_REQUESTS => "Too many requests",
        StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
        s if s.is_server_error() => "Something went wrong",
        _ => "The request could not be handled",
    }
}

fn generic_message(status: StatusCode) -> String {
    match status {
        StatusCode::NOT_FOUND => AppError::NotFound.public_message(),
        StatusCode::METHOD_NOT_ALLOWED => "This address does not accept that kind of request.".into(),
        StatusCode::TOO_MANY_REQUESTS => "Too many requests. Please wait a moment and try again.".into(),
        StatusCode::SERVICE_UNAVAILABLE => {
            "We cannot store or read data right now, so nothing was changed. Please try again in a moment."
                .into()
        }
        s if s.is_server_error() => AppError::Internal(anyhow::anyhow!("")).public_message(),
        _ => "The request could not be read. Go back and try again.".into(),
    }
}

/// The fallback of the pages scope: every unknown address is a 404 page.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
