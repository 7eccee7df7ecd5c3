//! What every request goes through, in one layer around the whole app: its id,
//! span and log line (`crate::telemetry`), its count and time in the metrics
//! (when they are on), and its answer's security headers
//! (`crate::web::security_headers`).
//!
//! One hand-written middleware rather than one `from_fn` layer per concern:
//! each layer cost a boxed future, a `Next` and a look-up of its settings in
//! the app's data on every request, a tenth of a health check's whole cost. Its
//! settings are fixed when the app is built.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::web::Data;
use futures_util::future::LocalBoxFuture;
use tracing::Instrument;

use crate::monitoring::Metrics;
use crate::telemetry::RequestLog;
use crate::web::security_headers::{Destination, ResponseHeaders};

/// The frame's settings, shared by every worker's copy.
#[derive(Clone)]
pub struct RequestFrame {
    headers: ResponseHeaders,
    metrics: Option<Data<Metrics>>,
    /// The span request spans open in (see `crate::telemetry::InstanceSpan`).
    instance: tracing::Span,
}

impl RequestFrame {
    pub fn new(
        headers: ResponseHeaders,
        metrics: Option<Data<Metrics>>,
        instance: tracing::Span,
    ) -> RequestFrame {
        RequestFrame { headers, metrics, instance }
    }
}

impl Default for RequestFrame {
    /// Plain HTTP, no metrics, no instance name: for tests of what it logs.
    fn default() -> RequestFrame {
        RequestFrame::new(ResponseHeaders::default(), None, tracing::Span::none())
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequestFrame
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = Framed<S>;
    type InitError = ();
    type Future = Ready<Result<Framed<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(Framed { service: Rc::new(service), frame: Rc::new(self.clone()) }))
    }
}

pub struct Framed<S> {
    service: Rc<S>,
    frame: Rc<RequestFrame>,
}

impl<S, B> Service<ServiceRequest> for Framed<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<ServiceResponse<B>, actix_web::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let frame = self.frame.clone();
        let log = RequestLog::start(&req, &frame.instance);
        let destination = Destination::of(req.path());
        // The route's template, computed from the routes: the same before routing
        // as after, and at hand when the answer is an error instead of a response.
        let counted = frame.metrics.is_some().then(|| (req.method().clone(), req.match_pattern()));
        let served = self.service.call(req);
        Box::pin(async move {
            let result = served.instrument(log.span().clone()).await;
            let result = log.span().in_scope(|| frame.headers.finish(destination, log.id(), result));
            let elapsed = started.elapsed();
            if let (Some(metrics), Some((method, route))) = (&frame.metrics, counted) {
                let status = match &result {
                    Ok(res) => res.status(),
                    Err(error) => error.as_response_error().status_code(),
                };
                metrics.record_request(&method, route, status, elapsed);
            }
            log.finish(result, elapsed)
        })
    }
}
