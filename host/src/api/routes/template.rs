//! `POST /template/parse[/{name}]` (parse text with a TextFSM template, or the
//! ntc-templates one for a platform and command) and `POST
//! /template/render[/{name}]` (render Jinja2). Both run here, synchronously.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::api::ApiState;
use crate::api::envelope;
use crate::api::error::ApiError;
use crate::api::extract::{NoParams, Params, RawBody};
use crate::api::request::json_body;
use crate::template::{self, LookupError, NamedTemplate, ParseFailure};

fn field<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::unprocessable(format!("`{name}` must be a string"))),
    }
}

fn template_of(state: &ApiState, v: &str) -> Result<NamedTemplate, ApiError> {
    state.templates.text_or_file(v).map_err(|e| ApiError::unprocessable(format!("`template`: {e}")))
}

/// `POST /template/parse`: with the `textfsm` parser.
pub async fn parse(
    State(state): State<Arc<ApiState>>,
    _: Params<NoParams>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    parse_by(&state, None, &body).await
}

/// `POST /template/parse/{name}`: with the parser `name`.
pub async fn parse_with(
    State(state): State<Arc<ApiState>>,
    Path(name): Path<String>,
    _: Params<NoParams>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    parse_by(&state, Some(&name), &body).await
}

async fn parse_by(state: &ApiState, name: Option<&str>, body: &Bytes) -> Result<Response, ApiError> {
    let body = json_body(body)?;
    let body = body.as_object().expect("json_body returns objects");
    let name = name.unwrap_or("textfsm");
    let parser = state.plugins.get().parser(name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no parser named {name:?}; available: {}",
            state.parser_names().join(", ")
        ))
    })?;
    let text = field(body, "context")?.or(field(body, "output")?).ok_or_else(|| {
        ApiError::unprocessable("`context` is required: the text (command output) to parse")
    })?;
    let (platform, command) = (field(body, "platform")?, field(body, "command")?);
    let (templates, lower_keys) = match (field(body, "template")?, platform, command) {
        (Some(t), _, _) => (vec![template_of(state, t)?], false),
        (None, Some(p), Some(c)) => {
            let found = state.templates.resolve(p, c).map_err(|e| match e {
                LookupError::NoMatch { .. } | LookupError::NoFolder => ApiError::unprocessable(e.to_string()),
                other => ApiError::Internal(other.to_string()),
            })?;
            (found, true)
        }
        _ => {
            return Err(ApiError::unprocessable(
                "give `template` (TextFSM text or a file name in the templates folder), or `platform` and `command` to use the templates index",
            ));
        }
    };
    let (text, platform, command) =
        (text.to_string(), platform.unwrap_or("").to_string(), command.unwrap_or("").to_string());
    let deadline = std::time::Duration::from_secs_f64(state.settings.api.parse_deadline_s);
    let records = tokio::task::spawn_blocking(move || {
        let refs: Vec<&NamedTemplate> = templates.iter().collect();
        template::parse_records_within(&parser, &refs, &platform, &command, &text, lower_keys, Some(deadline))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("parser task failed: {e}")))?;
    match records {
        Ok(v) => Ok(envelope::ok(StatusCode::OK, &v)),
        Err(ParseFailure::Template(m)) => Err(ApiError::BadRequest(m)),
        // The sandbox's time or memory limit, hit by this template on this text.
        Err(ParseFailure::Plugin(m)) => Err(ApiError::unprocessable(m)),
    }
}

/// `POST /template/render`: Jinja2.
pub async fn render(
    State(state): State<Arc<ApiState>>,
    _: Params<NoParams>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    render_by(&state, None, &body).await
}

/// `POST /template/render/{name}`: the renderer `name` (only `jinja2`).
pub async fn render_with(
    State(state): State<Arc<ApiState>>,
    Path(name): Path<String>,
    _: Params<NoParams>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    render_by(&state, Some(&name), &body).await
}

async fn render_by(state: &ApiState, name: Option<&str>, body: &Bytes) -> Result<Response, ApiError> {
    if let Some(n) = name.filter(|n| *n != "jinja2") {
        return Err(ApiError::NotFound(format!("no renderer named {n:?}; available: jinja2")));
    }
    let body = json_body(body)?;
    let body = body.as_object().expect("json_body returns objects");
    let t = field(body, "template")?.ok_or_else(|| {
        ApiError::unprocessable("`template` is required: Jinja2 text or a file name in the templates folder")
    })?;
    let template = template_of(state, t)?;
    let context = match body.get("context") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(c @ Value::Object(_)) => c.clone(),
        Some(_) => return Err(ApiError::unprocessable("`context` must be an object")),
    };
    let text =
        template::render_off_thread(template.text, context, state.render_budget()).await.map_err(|e| {
            if e.over_budget {
                ApiError::unprocessable(e.message)
            } else {
                ApiError::BadRequest(format!("the template did not render: {}", e.message))
            }
        })?;
    Ok(envelope::ok(StatusCode::OK, &json!(text)))
}
