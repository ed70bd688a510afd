//! Cross-origin resource sharing for the polling transport, as the `cors`
//! option of the reference server (the `cors` npm module) sets it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ORIGIN, VARY,
};
use http::{HeaderMap, HeaderValue};

/// Which origins may read the server's responses.
#[derive(Clone)]
#[non_exhaustive]
pub enum AllowOrigin {
    /// Any origin: `Access-Control-Allow-Origin: *` (browsers then refuse
    /// credentials; use [`AllowOrigin::Mirror`] with credentials).
    Any,
    /// The request's own origin, whatever it is.
    Mirror,
    /// These origins exactly (`https://example.com`).
    List(Vec<String>),
    /// The origins the predicate accepts.
    Predicate(Arc<dyn Fn(&str) -> bool + Send + Sync>),
}

impl fmt::Debug for AllowOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllowOrigin::Any => f.write_str("Any"),
            AllowOrigin::Mirror => f.write_str("Mirror"),
            AllowOrigin::List(list) => f.debug_tuple("List").field(list).finish(),
            AllowOrigin::Predicate(_) => f.write_str("Predicate(..)"),
        }
    }
}

/// CORS settings: origins, credentials, allowed and exposed headers,
/// preflight `OPTIONS` answers.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Cors {
    /// See [`Cors::new`].
    pub origin: AllowOrigin,
    /// See [`Cors::with_credentials`].
    pub credentials: bool,
    /// See [`Cors::with_methods`].
    pub methods: String,
    /// See [`Cors::with_allowed_headers`].
    pub allowed_headers: Option<String>,
    /// See [`Cors::with_exposed_headers`].
    pub exposed_headers: Option<String>,
    /// See [`Cors::with_max_age`].
    pub max_age: Option<Duration>,
}

impl Cors {
    /// CORS for `origin`; no credentials; methods `GET,HEAD,PUT,PATCH,POST,DELETE`
    /// (the `cors` module's default); the headers a preflight asks for are
    /// allowed.
    pub fn new(origin: AllowOrigin) -> Cors {
        Cors {
            origin,
            credentials: false,
            methods: "GET,HEAD,PUT,PATCH,POST,DELETE".to_owned(),
            allowed_headers: None,
            exposed_headers: None,
            max_age: None,
        }
    }

    /// CORS for these origins exactly.
    pub fn origins<I, S>(origins: I) -> Cors
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Cors::new(AllowOrigin::List(
            origins.into_iter().map(Into::into).collect(),
        ))
    }

    /// `Access-Control-Allow-Credentials: true`: browsers send cookies.
    pub fn with_credentials(mut self, credentials: bool) -> Cors {
        self.credentials = credentials;
        self
    }

    /// The methods a preflight allows, comma separated.
    pub fn with_methods(mut self, methods: impl Into<String>) -> Cors {
        self.methods = methods.into();
        self
    }

    /// The request headers a preflight allows, comma separated. Default:
    /// whatever the preflight's `Access-Control-Request-Headers` lists.
    pub fn with_allowed_headers(mut self, headers: impl Into<String>) -> Cors {
        self.allowed_headers = Some(headers.into());
        self
    }

    /// Response headers scripts may read, comma separated.
    pub fn with_exposed_headers(mut self, headers: impl Into<String>) -> Cors {
        self.exposed_headers = Some(headers.into());
        self
    }

    /// How long a browser may cache a preflight answer.
    pub fn with_max_age(mut self, max_age: Duration) -> Cors {
        self.max_age = Some(max_age);
        self
    }

    fn allowed_origin(&self, request: &HeaderMap, out: &mut HeaderMap) {
        let origin = request.get(ORIGIN);
        let allow = match &self.origin {
            AllowOrigin::Any => {
                out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
                return;
            }
            AllowOrigin::Mirror => origin.cloned(),
            AllowOrigin::List(list) => origin
                .filter(|o| o.to_str().is_ok_and(|o| list.iter().any(|l| l == o)))
                .cloned(),
            AllowOrigin::Predicate(accept) => origin
                .filter(|o| o.to_str().is_ok_and(|o| accept(o)))
                .cloned(),
        };
        if let Some(origin) = allow {
            out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        out.append(VARY, HeaderValue::from_static("Origin"));
    }

    /// The headers of an actual (not preflight) response.
    pub(crate) fn apply(&self, request: &HeaderMap, out: &mut HeaderMap) {
        self.allowed_origin(request, out);
        if self.credentials {
            out.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(exposed) = self.exposed_headers.as_deref().and_then(value) {
            out.insert(ACCESS_CONTROL_EXPOSE_HEADERS, exposed);
        }
    }

    /// The headers of a preflight answer (`204`).
    pub(crate) fn preflight(&self, request: &HeaderMap, out: &mut HeaderMap) {
        self.allowed_origin(request, out);
        if self.credentials {
            out.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(methods) = value(&self.methods) {
            out.insert(ACCESS_CONTROL_ALLOW_METHODS, methods);
        }
        match &self.allowed_headers {
            Some(headers) => {
                if let Some(headers) = value(headers) {
                    out.insert(ACCESS_CONTROL_ALLOW_HEADERS, headers);
                }
            }
            None => {
                if let Some(asked) = request.get(ACCESS_CONTROL_REQUEST_HEADERS) {
                    out.insert(ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
                    out.append(
                        VARY,
                        HeaderValue::from_static("Access-Control-Request-Headers"),
                    );
                }
            }
        }
        if let Some(age) = self.max_age {
            out.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(age.as_secs()));
        }
    }
}

fn value(s: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(origin: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
        h
    }

    #[test]
    fn origins_are_matched() {
        let cors = Cors::origins(["https://a.example"]).with_credentials(true);
        let mut out = HeaderMap::new();
        cors.apply(&request("https://a.example"), &mut out);
        assert_eq!(out[ACCESS_CONTROL_ALLOW_ORIGIN], "https://a.example");
        assert_eq!(out[ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        assert_eq!(out[VARY], "Origin");
        let mut out = HeaderMap::new();
        cors.apply(&request("https://b.example"), &mut out);
        assert!(out.get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());

        let cors = Cors::new(AllowOrigin::Predicate(Arc::new(|o| {
            o.ends_with(".example")
        })));
        let mut out = HeaderMap::new();
        cors.apply(&request("https://c.example"), &mut out);
        assert_eq!(out[ACCESS_CONTROL_ALLOW_ORIGIN], "https://c.example");
        let mut out = HeaderMap::new();
        Cors::new(AllowOrigin::Any).apply(&request("https://c.example"), &mut out);
        assert_eq!(out[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    }

    #[test]
    fn preflight_reflects_the_requested_headers() {
        let mut req = request("https://a.example");
        req.insert(
            ACCESS_CONTROL_REQUEST_HEADERS,
            HeaderValue::from_static("x-token"),
        );
        let mut out = HeaderMap::new();
        Cors::new(AllowOrigin::Mirror)
            .with_max_age(Duration::from_secs(60))
            .preflight(&req, &mut out);
        assert_eq!(out[ACCESS_CONTROL_ALLOW_ORIGIN], "https://a.example");
        assert_eq!(out[ACCESS_CONTROL_ALLOW_HEADERS], "x-token");
        assert_eq!(
            out[ACCESS_CONTROL_ALLOW_METHODS],
            "GET,HEAD,PUT,PATCH,POST,DELETE"
        );
        assert_eq!(out[ACCESS_CONTROL_MAX_AGE], "60");
    }
}
