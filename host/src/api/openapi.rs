//! The OpenAPI 3.1 document served at `GET /openapi.json`, generated with utoipa
//! from the types that parse the requests (`request::RawExecRequest`, the query
//! structs of `routes/`) and the model the answers are made of (`JobRecord`,
//! `WorkerInfo`, NetPulse's `JobInResponse`), never written by hand. Answers the
//! handlers build ad hoc with `json!` are mirrored here by response types that
//! document their shape, as are the bodies parsed field by field
//! (`/device/bulk`'s `devices`, the `/template` bodies). The operations are a
//! path list of bodiless functions (`#[utoipa::path]`): the handlers stay as
//! they are. `GET /docs` renders the document (`docs.rs`).

#![allow(dead_code)] // The types below exist for their schemas only.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{self, ObjectBuilder, OneOfBuilder, RefOr, Schema, Type};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use super::request::{Lines, RawConnectionArgs, RawExecRequest};
use super::routes::hostkey::HostKeyQuery;
use super::routes::job::{CancelQuery, JobQuery};
use super::routes::job_ops::Listing;
use super::routes::netpulse::{CancelQuery as FlatCancelQuery, JobInResponse, WaitQuery};
use super::routes::worker::{ListQuery, WorkerQuery};
use crate::model::{JobRecord, WorkerInfo};

/// The document, as JSON text (built once).
pub fn document() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_json().expect("the OpenAPI document serializes"))
}

// ---- Schemas for fields the parsing types hold as JSON values ----

/// `config`: lines as one string or a list, or a rendering context.
pub fn config_schema() -> impl Into<RefOr<Schema>> {
    let lines = openapi::schema::ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String))
        .description(Some("configuration lines"));
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String).description(Some("configuration; one line per line")))
        .item(lines)
        .item(ObjectBuilder::new().schema_type(Type::Object).description(Some("with `rendering`: the template's context")))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "Configuration lines (a string, split at line breaks, or a list); with `rendering`, an object: the template's context",
        ))
}

/// `driver_args`: Netmiko's names, typed; other keys are passed to the plugin.
pub fn driver_args_schema() -> impl Into<RefOr<Schema>> {
    let typed = |t: Type, d: &str| ObjectBuilder::new().schema_type(t).description(Some(d));
    ObjectBuilder::new()
        .schema_type(openapi::schema::SchemaType::from_iter([Type::Object, Type::Null]))
        .property("read_timeout", typed(Type::Number, "per-command read timeout, seconds (0-86400)"))
        .property("expect_string", typed(Type::String, "a regular expression that ends the read instead of the prompt"))
        .property("error_pattern", typed(Type::String, "a regular expression that marks a configuration line as rejected"))
        .property("strip_prompt", typed(Type::Boolean, "drop the prompt from the output (true)"))
        .property("strip_command", typed(Type::Boolean, "drop the echoed command (true)"))
        .property("save", typed(Type::Boolean, "save the configuration after a `config` job"))
        .property("exit_config_mode", typed(Type::Boolean, "leave configuration mode at the end (true)"))
        .property("host_key_check", typed(Type::Boolean, "false: accept any SSH host key for this job (logged)"))
        .additional_properties(Some(ObjectBuilder::new().schema_type(openapi::schema::SchemaType::AnyValue)))
        .description(Some("Netmiko-style driver arguments; `delay_factor`, `cmd_verify`, `enable_mode`, `max_loops`, `auto_find_prompt` are accepted and ignored, other keys go to the plugin"))
}

// ---- Request bodies parsed field by field ----

/// `POST /device/bulk`: the body of `/device/exec` (each device's job starts from
/// it) plus `devices`, each entry overriding `connection_args` and optionally
/// bringing its own `command` or `config` (not both).
#[derive(Deserialize, ToSchema)]
pub struct BulkRequest {
    #[serde(flatten)]
    base: RawExecRequest,
    /// The devices, 1 to 10,000.
    #[schema(min_items = 1, max_items = 10000)]
    devices: Vec<BulkDevice>,
}

/// One device of a bulk request: fields of `connection_args`, and its own
/// `command` or `config`.
#[derive(Deserialize, ToSchema)]
pub struct BulkDevice {
    #[serde(flatten)]
    connection_args: RawConnectionArgs,
    command: Option<Lines>,
    #[schema(schema_with = config_schema)]
    config: Option<Value>,
}

/// `POST /template/parse[/{name}]`: `context` (the text) and either `template` or
/// `platform` and `command` (the templates index).
#[derive(Deserialize, ToSchema)]
pub struct ParseRequest {
    /// The text (command output) to parse (`output` is accepted too).
    context: Option<String>,
    /// The same as `context`.
    output: Option<String>,
    /// TextFSM text, or a file name in the templates folder.
    template: Option<String>,
    /// With `command`: find the template in the templates index (keys lower-cased).
    platform: Option<String>,
    command: Option<String>,
}

/// `POST /template/render[/{name}]`.
#[derive(Deserialize, ToSchema)]
pub struct RenderRequest {
    /// Jinja2 text, or a file name in the templates folder.
    template: String,
    /// The template's variables.
    context: Option<Map<String, Value>>,
}

// ---- Answers built with `json!` ----

/// `POST /device/exec`: the job is queued.
#[derive(ToSchema)]
pub struct Queued {
    id: String,
    #[schema(example = "queued")]
    status: String,
    queue: String,
}

/// A job `POST /device/bulk` queued.
#[derive(ToSchema)]
pub struct BulkQueued {
    id: String,
    status: String,
    queue: String,
    host: String,
}

/// A device `POST /device/bulk` did not queue, and why.
#[derive(ToSchema)]
pub struct BulkFailed {
    host: String,
    reason: String,
}

/// `POST /device/bulk`: the jobs queued and the devices refused.
#[derive(ToSchema)]
pub struct BulkResult {
    succeeded: Vec<BulkQueued>,
    failed: Vec<BulkFailed>,
}

/// `POST /device/test`: whether it connected, in how long, and the prompt.
#[derive(ToSchema)]
pub struct ConnectionTest {
    success: bool,
    /// Seconds.
    connection_time: Option<f64>,
    error_message: Option<String>,
    device_info: DeviceInfo,
    timestamp: String,
}

#[derive(ToSchema)]
pub struct DeviceInfo {
    prompt: Option<String>,
    device_type: String,
    host: String,
}

/// `DELETE /job`: the jobs cancelled.
#[derive(ToSchema)]
pub struct Cancelled {
    cancelled_count: u64,
    cancelled_jobs: Vec<String>,
}

/// A worker stopped by `DELETE /worker`.
#[derive(Serialize, ToSchema)]
pub struct WorkerStopped {
    worker: String,
    #[schema(example = "stopped")]
    status: String,
    /// 1 when it was running a job (now failed as `WorkerTerminated`).
    interrupted_jobs: u64,
}

/// `DELETE /worker`: the worker named, or every worker the filters select.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum StoppedWorkers {
    One(WorkerStopped),
    Many(Vec<WorkerStopped>),
}

/// `DELETE /hostkey`: whether a pin was forgotten.
#[derive(ToSchema)]
pub struct HostKeyForgotten {
    forgotten: bool,
    /// `host` or `host:port` as the pin is stored.
    host: String,
}

/// `GET /health`.
#[derive(ToSchema)]
pub struct Health {
    /// `healthy`, `degraded` (no live worker, or the nodes are at capacity) or
    /// `unhealthy` (Redis is unreachable: a 503).
    status: String,
    components: HealthComponents,
}

#[derive(ToSchema)]
pub struct HealthComponents {
    api: ApiHealth,
    redis: RedisHealth,
    workers: Option<WorkersHealth>,
    queues: Option<QueuesHealth>,
}

#[derive(ToSchema)]
pub struct ApiHealth {
    status: String,
    version: String,
    uptime_s: f64,
}

#[derive(ToSchema)]
pub struct RedisHealth {
    status: String,
    latency_ms: Option<f64>,
    used_memory_bytes: Option<u64>,
    version: Option<String>,
    /// Why it is unhealthy.
    error: Option<String>,
}

#[derive(ToSchema)]
pub struct WorkersHealth {
    status: String,
    total: u64,
    busy: u64,
    idle: u64,
    dead: u64,
    nodes: Vec<String>,
}

#[derive(ToSchema)]
pub struct QueuesHealth {
    status: String,
    total_queued: u64,
    /// Queue name -> jobs waiting.
    depth: std::collections::BTreeMap<String, u64>,
    /// Why queued jobs wait, when the nodes are at capacity.
    waiting_reason: Option<String>,
}

// ---- NetPulse's flattened answers ----

/// `DELETE /jobs/{id}`.
#[derive(ToSchema)]
pub struct FlatCancelled {
    id: String,
    #[schema(example = "cancelled")]
    status: String,
}

/// `DELETE /workers/{name}`.
#[derive(ToSchema)]
pub struct FlatWorkerStopped {
    name: String,
    status: String,
    interrupted_jobs: u64,
}

/// `GET /system/stats`: NetPulse's `SystemStatsResponse`.
#[derive(ToSchema)]
pub struct SystemStats {
    #[schema(example = "online")]
    status: String,
    workers: StatsWorkers,
    jobs: StatsJobs,
    nodes: StatsNodes,
    self_healing: StatsSelfHealing,
    uptime_seconds: u64,
}

#[derive(ToSchema)]
pub struct StatsWorkers {
    total: u64,
    pinned: u64,
    fifo: u64,
    node: u64,
    idle: u64,
    busy: u64,
    dead: u64,
}

#[derive(ToSchema)]
pub struct StatsJobs {
    total: u64,
    succeeded: u64,
    failed: u64,
    in_progress: u64,
    queued: u64,
}

#[derive(ToSchema)]
pub struct StatsNodes {
    active: u64,
    total_capacity: u64,
}

#[derive(ToSchema)]
pub struct StatsSelfHealing {
    total_triggers: u64,
}

// ---- Envelopes and errors ----

/// The error envelope of every route but NetPulse's `/jobs`, `/workers` and
/// `/system/stats`: `code` is -1, `message` says what is wrong, `data` carries
/// details (a 422's, or the health report of an unhealthy `GET /health`).
#[derive(ToSchema)]
#[schema(example = json!({"code": -1, "message": "`connection_args.host` is required", "data": null}))]
pub struct Error {
    #[schema(example = -1)]
    code: i64,
    message: String,
    #[schema(value_type = Value)]
    data: Value,
}

/// The errors of NetPulse's routes (and of the device routes with `compat =
/// "netpulse-0.4"`), as FastAPI writes them.
#[derive(ToSchema)]
#[schema(example = json!({"detail": "no job with id \"job_123456\" (it never existed or its record has expired)"}))]
pub struct NetPulseError {
    detail: String,
    #[schema(value_type = Option<Value>)]
    data: Option<Value>,
}

/// A success envelope: `{"code": 200, "message": "success", "data": ...}`.
macro_rules! envelope {
    ($($name:ident($data:ty): $doc:literal;)*) => {$(
        #[doc = $doc]
        #[derive(ToSchema)]
        pub struct $name {
            #[schema(example = 200)]
            code: i64,
            #[schema(example = "success")]
            message: String,
            data: $data,
        }
    )*};
}

envelope! {
    JobsResponse(Vec<JobRecord>): "`GET /job`: the job asked for (a list of one) or a page of jobs, newest first.";
    SubmitResponse(Queued): "`POST /device/exec`: the job queued (201).";
    BulkResponse(BulkResult): "`POST /device/bulk`: a job per device (201).";
    TestResponse(ConnectionTest): "`POST /device/test`.";
    CancelResponse(Cancelled): "`DELETE /job`.";
    WorkersResponse(Vec<WorkerInfo>): "`GET /worker`.";
    StopWorkersResponse(StoppedWorkers): "`DELETE /worker`.";
    HostKeyResponse(HostKeyForgotten): "`DELETE /hostkey`.";
    HealthResponse(Health): "`GET /health`.";
    ParseResponse(Vec<Map<String, Value>>): "`POST /template/parse`: the records, one object per record (Value names as keys).";
    RenderResponse(String): "`POST /template/render`: the rendered text.";
}

// ---- The operations ----

/// The API key, as the `X-API-KEY` header (a query parameter or cookie of that
/// name is accepted too).
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-KEY",
                "An API key; the same name as a query parameter or cookie works too. Roles: `read` may GET, `operate` may also submit, cancel, parse, render and test, `admin` may also stop workers and forget host keys.",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "NetPulse-rs",
        description = "Run commands and push configuration to network devices over SSH through one REST API: requests become jobs in Redis queues, run by workers through WebAssembly driver plugins. Compatible with NetPulse's request shapes; NetPulse 0.4's own `/jobs`, `/workers` and `/system/stats` routes answer its flattened models and `{\"detail\": ...}` errors.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        device_exec, device_bulk, device_test, job_get, job_delete, worker_get, worker_delete,
        health, hostkey_delete, template_parse, template_parse_with, template_render,
        template_render_with, jobs_get, jobs_delete, jobs_id_get, jobs_id_delete, workers_get,
        workers_delete, workers_name_delete, system_stats, metrics, openapi_json, docs_page, docs_asset,
    ),
    components(schemas(Error, NetPulseError)),
    modifiers(&Security),
    security(("api_key" = [])),
    tags(
        (name = "device", description = "Submit jobs and test connections"),
        (name = "job", description = "Query and cancel jobs"),
        (name = "worker", description = "List and stop workers"),
        (name = "system", description = "Health, host keys and this document"),
        (name = "template", description = "Parse text with TextFSM and render Jinja2"),
        (name = "netpulse", description = "NetPulse 0.4's own management routes, in its flattened models"),
    ),
)]
pub struct ApiDoc;

/// A command job, as in the README.
fn show_version() -> Value {
    json!({
        "connection_args": {"device_type": "cisco_ios", "host": "127.0.0.1", "username": "admin", "password": "admin", "secret": "enable"},
        "command": "show version"
    })
}

#[utoipa::path(
    post, path = "/device/exec", tag = "device",
    description = "Queue a command or configuration job and answer at once with its id; `GET /job?id=` gives its status and result. With `compat = \"netpulse-0.4\"` the answer is NetPulse's `JobInResponse` and errors are `{\"detail\": ...}`.",
    request_body(content = RawExecRequest, examples(
        ("command" = (summary = "A show command", value = json!(show_version()))),
        ("commands" = (summary = "Several commands, output parsed with the templates index", value = json!({
            "connection_args": {"device_type": "cisco_ios", "host": "127.0.0.1", "username": "admin", "password": "admin"},
            "command": ["show version", "show ip interface brief"],
            "parsing": {"name": "textfsm", "use_ntc_template": true},
            "ttl": 600
        }))),
        ("config" = (summary = "Configuration lines, saved", value = json!({
            "connection_args": {"device_type": "cisco_ios", "host": "127.0.0.1", "username": "admin", "password": "admin", "secret": "enable"},
            "config": ["interface Loopback0", "description managed by NetPulse"],
            "driver_args": {"read_timeout": 30},
            "save": true
        }))),
        ("rendering" = (summary = "Configuration rendered from Jinja2", value = json!({
            "connection_args": {"device_type": "cisco_ios", "host": "127.0.0.1", "username": "admin", "password": "admin"},
            "rendering": {"name": "jinja2", "template": "hostname {{ name }}"},
            "config": {"name": "core-1"}
        }))),
        ("linux" = (summary = "A Linux host (paramiko: FIFO queue)", value = json!({
            "driver": "paramiko",
            "connection_args": {"host": "127.0.0.5", "username": "ops", "password": "secret"},
            "command": "uptime",
            "options": {"queue_strategy": "fifo"}
        }))),
        ("webhook" = (summary = "Called back when the job ends", value = json!({
            "connection_args": {"device_type": "cisco_ios", "host": "127.0.0.1", "username": "admin", "password": "admin"},
            "command": "show version",
            "webhook": {"name": "basic", "url": "https://hooks.example.net/netpulse", "method": "POST", "timeout": 5, "max_retries": 3}
        }))),
    )),
    responses(
        (status = 201, description = "Queued", body = SubmitResponse, example = json!({"code": 200, "message": "success", "data": {"id": "job_123456", "status": "queued", "queue": "pinned_127.0.0.1"}})),
        (status = 400, description = "The body is not JSON, or a query parameter was given", body = Error),
        (status = 403, description = "No or wrong API key, or a role below `operate`", body = Error),
        (status = 422, description = "The body is JSON but not a valid job (the message names the field)", body = Error),
        (status = 503, description = "Redis is unreachable", body = Error),
    ),
)]
fn device_exec() {}

#[utoipa::path(
    post, path = "/device/bulk", tag = "device",
    description = "Queue one job per device: each entry of `devices` overrides `connection_args`. Devices refused (invalid, or no driver for their type) are listed in `failed`.",
    request_body(content = BulkRequest, examples(
        ("bulk" = (summary = "One command on three devices", value = json!({
            "connection_args": {"device_type": "cisco_ios", "username": "admin", "password": "admin"},
            "command": "show version",
            "devices": [{"host": "127.0.0.1"}, {"host": "127.0.0.2"}, {"host": "127.0.0.3", "port": 2222}]
        }))),
        ("mixed" = (summary = "Each device its own work", value = json!({
            "connection_args": {"username": "admin", "password": "admin"},
            "devices": [
                {"host": "127.0.0.1", "device_type": "cisco_ios", "command": "show clock"},
                {"host": "127.0.0.2", "device_type": "juniper_junos", "config": ["set system host-name edge-2"]}
            ]
        }))),
    )),
    responses(
        (status = 201, description = "Queued", body = BulkResponse, example = json!({"code": 200, "message": "success", "data": {
            "succeeded": [{"id": "job_123456", "status": "queued", "queue": "pinned_127.0.0.1", "host": "127.0.0.1"}],
            "failed": [{"host": "127.0.0.9", "reason": "no driver plugin serves device_type \"foo\"; installed device types: cisco_ios"}]
        }})),
        (status = 400, body = Error), (status = 403, body = Error), (status = 422, body = Error), (status = 503, body = Error),
    ),
)]
fn device_bulk() {}

#[utoipa::path(
    post, path = "/device/test", tag = "device",
    description = "Connect, log in and report the prompt, through a node; waits for the answer (at most the connect timeout plus the read timeout).",
    request_body(content = RawExecRequest, examples(
        ("test" = (summary = "Test a device", value = json!({
            "driver": "netmiko",
            "connection_args": {"device_type": "cisco_ios", "host": "127.0.0.1", "username": "admin", "password": "admin", "timeout": 10}
        }))),
    )),
    responses(
        (status = 200, description = "Tested (`success` says whether it connected)", body = TestResponse, example = json!({"code": 200, "message": "success", "data": {
            "success": true, "connection_time": 0.42, "error_message": null,
            "device_info": {"prompt": "core-1#", "device_type": "cisco_ios", "host": "127.0.0.1"},
            "timestamp": "2024-01-01T04:00:00.000000+00:00"
        }})),
        (status = 400, body = Error), (status = 403, body = Error), (status = 422, body = Error), (status = 503, body = Error),
    ),
)]
fn device_test() {}

#[utoipa::path(
    get, path = "/job", tag = "job",
    description = "One job by `id`, or a page of jobs matching the filters, newest first. A listing shows the first five lines of each job's commands (`command_lines` says how many there are) unless `full=true`.",
    params(JobQuery, Listing),
    responses(
        (status = 200, body = JobsResponse, example = json!({"code": 200, "message": "success", "data": [{
            "id": "job_123456", "status": "finished", "queue": "pinned_127.0.0.1",
            "created_at": "2024-01-01T12:00:00+08:00", "enqueued_at": "2024-01-01T12:00:01+08:00",
            "started_at": "2024-01-01T12:00:02+08:00", "ended_at": "2024-01-01T12:00:05+08:00",
            "worker": "worker_001",
            "result": {"type": "success", "retval": "Cisco IOS Software, Version 15.2...", "error": null},
            "duration": 3.0, "queue_time": 1.0,
            "host": "127.0.0.1", "node": "worker-node-1", "device_type": "cisco_ios", "command": ["show version"]
        }]})),
        (status = 400, description = "An unknown parameter or a bad value", body = Error),
        (status = 403, body = Error),
        (status = 404, description = "No job with that `id`", body = Error),
        (status = 503, body = Error),
    ),
)]
fn job_get() {}

#[utoipa::path(
    delete, path = "/job", tag = "job",
    description = "Cancel one queued job by `id` (409 when it is no longer queued), or the queued jobs of a queue or host.",
    params(CancelQuery),
    responses(
        (status = 200, body = CancelResponse, example = json!({"code": 200, "message": "success", "data": {"cancelled_count": 2, "cancelled_jobs": ["job_123456", "job_123457"]}})),
        (status = 400, description = "None of `id`, `queue`, `host`", body = Error),
        (status = 403, body = Error), (status = 404, body = Error),
        (status = 409, description = "The job is not queued", body = Error),
        (status = 503, body = Error),
    ),
)]
fn job_delete() {}

#[utoipa::path(
    get, path = "/worker", tag = "worker",
    description = "Every worker of every node (FIFO and pinned), filtered.",
    params(ListQuery),
    responses(
        (status = 200, body = WorkersResponse, example = json!({"code": 200, "message": "success", "data": [{
            "name": "worker-node-1/fifo_0", "status": "busy", "pid": 12345, "hostname": "worker-node-1",
            "queues": ["FifoQ"], "last_heartbeat": "2024-01-01T12:00:00+08:00", "birth_at": "2024-01-01T10:00:00+08:00",
            "successful_job_count": 150, "failed_job_count": 2, "node": "worker-node-1", "current_job": "job_123456"
        }]})),
        (status = 400, body = Error), (status = 403, body = Error), (status = 503, body = Error),
    ),
)]
fn worker_get() {}

#[utoipa::path(
    delete, path = "/worker", tag = "worker",
    description = "Stop workers now (role `admin`): the one named, or every worker the filters select. A job a stopped worker was running fails as `WorkerTerminated`.",
    params(WorkerQuery),
    responses(
        (status = 200, body = StopWorkersResponse, example = json!({"code": 200, "message": "success", "data": {"worker": "worker-node-1/fifo_0", "status": "stopped", "interrupted_jobs": 1}})),
        (status = 400, description = "No `name` and no filter", body = Error),
        (status = 403, body = Error), (status = 404, description = "No worker of that name", body = Error),
        (status = 503, body = Error),
    ),
)]
fn worker_delete() {}

#[utoipa::path(
    get, path = "/health", tag = "system",
    description = "The API, Redis, workers and queues, each with a status.",
    responses(
        (status = 200, body = HealthResponse),
        (status = 403, body = Error),
        (status = 503, description = "Redis is unreachable; `data` is the health report", body = Error),
    ),
)]
fn health() {}

#[utoipa::path(
    delete, path = "/hostkey", tag = "system",
    description = "Forget the SSH host key pinned for a device (role `admin`), so the next connection pins the key it is offered.",
    params(HostKeyQuery),
    responses(
        (status = 200, body = HostKeyResponse, example = json!({"code": 200, "message": "success", "data": {"forgotten": true, "host": "127.0.0.1"}})),
        (status = 400, body = Error), (status = 403, body = Error), (status = 503, body = Error),
    ),
)]
fn hostkey_delete() {}

const PARSE_EXAMPLE: &str =
    "Value INTERFACE (\\S+)\nValue STATUS (up|down)\n\nStart\n  ^${INTERFACE}\\s+is\\s+${STATUS} -> Record\n";

#[utoipa::path(
    post, path = "/template/parse", tag = "template",
    description = "Parse text with the `textfsm` parser: with `template`, or the templates index's template for `platform` and `command`.",
    request_body(content = ParseRequest, examples(
        ("template" = (summary = "With a template", value = json!({"template": PARSE_EXAMPLE, "context": "Gi0/1 is up\nGi0/2 is down\n"}))),
        ("index" = (summary = "From the templates index", value = json!({"platform": "cisco_ios", "command": "show clock", "context": "*10:00:00.000 UTC Mon Jan 1 2024"}))),
    )),
    responses(
        (status = 200, body = ParseResponse, example = json!({"code": 200, "message": "success", "data": [{"INTERFACE": "Gi0/1", "STATUS": "up"}, {"INTERFACE": "Gi0/2", "STATUS": "down"}]})),
        (status = 400, description = "The template is not valid TextFSM", body = Error),
        (status = 403, body = Error), (status = 404, body = Error), (status = 422, body = Error),
    ),
)]
fn template_parse() {}

#[utoipa::path(
    post, path = "/template/parse/{name}", tag = "template",
    description = "As `/template/parse`, with the parser `name`.",
    params(("name" = String, Path, description = "A parser plugin's name", example = "textfsm")),
    request_body(content = ParseRequest),
    responses(
        (status = 200, body = ParseResponse),
        (status = 400, body = Error), (status = 403, body = Error),
        (status = 404, description = "No parser of that name", body = Error), (status = 422, body = Error),
    ),
)]
fn template_parse_with() {}

#[utoipa::path(
    post, path = "/template/render", tag = "template",
    description = "Render Jinja2 (within the render budget).",
    request_body(content = RenderRequest, examples(
        ("render" = (summary = "Render a template", value = json!({"template": "hostname {{ name }}\n", "context": {"name": "core-1"}}))),
    )),
    responses(
        (status = 200, body = RenderResponse, example = json!({"code": 200, "message": "success", "data": "hostname core-1\n"})),
        (status = 400, description = "The template did not render", body = Error),
        (status = 403, body = Error), (status = 422, body = Error),
    ),
)]
fn template_render() {}

#[utoipa::path(
    post, path = "/template/render/{name}", tag = "template",
    description = "As `/template/render`; `name` must be `jinja2`.",
    params(("name" = String, Path, description = "The renderer", example = "jinja2")),
    request_body(content = RenderRequest),
    responses(
        (status = 200, body = RenderResponse),
        (status = 400, body = Error), (status = 403, body = Error),
        (status = 404, description = "No renderer of that name", body = Error), (status = 422, body = Error),
    ),
)]
fn template_render_with() {}

#[utoipa::path(
    get, path = "/jobs", tag = "netpulse",
    description = "NetPulse's job listing: `JobInResponse`s, newest first.",
    params(Listing),
    responses(
        (status = 200, body = Vec<JobInResponse>),
        (status = 400, body = NetPulseError), (status = 403, body = Error), (status = 503, body = NetPulseError),
    ),
)]
fn jobs_get() {}

#[utoipa::path(
    delete, path = "/jobs", tag = "netpulse",
    description = "Cancel the queued jobs of a queue or host; the ids cancelled.",
    params(FlatCancelQuery),
    responses(
        (status = 200, body = Vec<String>, example = json!(["job_123456"])),
        (status = 400, body = NetPulseError), (status = 403, body = Error), (status = 503, body = NetPulseError),
    ),
)]
fn jobs_delete() {}

#[utoipa::path(
    get, path = "/jobs/{id}", tag = "netpulse",
    description = "One job. With `wait`, a long poll: the answer comes when the job ends or `wait` seconds pass.",
    params(("id" = String, Path, description = "The job's id"), WaitQuery),
    responses(
        (status = 200, body = JobInResponse),
        (status = 403, body = Error), (status = 404, body = NetPulseError), (status = 503, body = NetPulseError),
    ),
)]
fn jobs_id_get() {}

#[utoipa::path(
    delete, path = "/jobs/{id}", tag = "netpulse",
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, body = FlatCancelled),
        (status = 403, body = Error), (status = 404, body = NetPulseError),
        (status = 409, description = "The job is not queued", body = NetPulseError), (status = 503, body = NetPulseError),
    ),
)]
fn jobs_id_delete() {}

#[utoipa::path(
    get, path = "/workers", tag = "netpulse",
    params(ListQuery),
    responses(
        (status = 200, body = Vec<WorkerInfo>),
        (status = 400, body = NetPulseError), (status = 403, body = Error), (status = 503, body = NetPulseError),
    ),
)]
fn workers_get() {}

#[utoipa::path(
    delete, path = "/workers", tag = "netpulse",
    description = "Stop every worker the filters select (role `admin`); their names.",
    params(ListQuery),
    responses(
        (status = 200, body = Vec<String>),
        (status = 400, body = NetPulseError), (status = 403, body = Error), (status = 503, body = NetPulseError),
    ),
)]
fn workers_delete() {}

#[utoipa::path(
    delete, path = "/workers/{name}", tag = "netpulse",
    description = "Stop one worker (role `admin`). Worker names hold slashes (`<node>/pinned_<host>`): the name is the rest of the path.",
    params(("name" = String, Path, description = "The worker's name")),
    responses(
        (status = 200, body = FlatWorkerStopped),
        (status = 403, body = Error), (status = 404, body = NetPulseError), (status = 503, body = NetPulseError),
    ),
)]
fn workers_name_delete() {}

#[utoipa::path(
    get, path = "/system/stats", tag = "netpulse",
    responses(
        (status = 200, body = SystemStats),
        (status = 403, body = Error), (status = 503, body = NetPulseError),
    ),
)]
fn system_stats() {}

#[utoipa::path(
    get, path = "/metrics", tag = "system",
    description = "Prometheus figures in the OpenMetrics text format: jobs submitted and ended (by status and error type), queue and run time histograms, queue depths, open pinned sessions, plugin call times, Redis errors and webhook deliveries by node, and this process's API requests by route and status. No key is needed when the server runs with `metrics_public = true`; otherwise a `read` key.",
    responses(
        (status = 200, description = "The figures", content_type = "application/openmetrics-text", body = String),
        (status = 401, body = Error), (status = 503, body = Error),
    ),
)]
fn metrics() {}

#[utoipa::path(
    get, path = "/openapi.json", tag = "system", security(()),
    description = "This document (no key needed).",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)),
)]
fn openapi_json() {}

#[utoipa::path(
    get, path = "/docs", tag = "system", security(()),
    description = "A page rendering this document (no key needed); its scripts are served by this server.",
    responses((status = 200, description = "HTML", content_type = "text/html", body = String)),
)]
fn docs_page() {}

#[utoipa::path(
    get, path = "/docs/assets/{file}", tag = "system", security(()),
    description = "The docs page's script and its license.",
    params(("file" = String, Path, description = "The asset's file name")),
    responses(
        (status = 200, description = "The asset", content_type = "text/javascript", body = String),
        (status = 404, body = Error),
    ),
)]
fn docs_asset() {}

/// `GET /worker` and `/workers` take `WorkerQuery`'s filters but not `name`.
impl IntoParams for ListQuery {
    fn into_params(
        parameter_in: impl Fn() -> Option<openapi::path::ParameterIn>,
    ) -> Vec<openapi::path::Parameter> {
        WorkerQuery::into_params(parameter_in).into_iter().filter(|p| p.name != "name").collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::extract::QueryParams;

    fn names<T: IntoParams>() -> Vec<String> {
        let mut v: Vec<String> = T::into_params(|| None).into_iter().map(|p| p.name).collect();
        v.sort();
        v
    }

    fn sorted(n: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = n.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    /// The documented query parameters are the ones each route takes.
    #[test]
    fn documented_parameters_are_the_ones_taken() {
        let mut job = names::<JobQuery>();
        job.extend(names::<Listing>());
        job.sort();
        assert_eq!(job, sorted(JobQuery::NAMES));
        assert_eq!(names::<Listing>(), sorted(Listing::NAMES));
        assert_eq!(names::<CancelQuery>(), sorted(CancelQuery::NAMES));
        assert_eq!(names::<FlatCancelQuery>(), sorted(FlatCancelQuery::NAMES));
        assert_eq!(names::<WorkerQuery>(), sorted(WorkerQuery::NAMES));
        assert_eq!(names::<ListQuery>(), sorted(ListQuery::NAMES));
        assert_eq!(names::<HostKeyQuery>(), sorted(HostKeyQuery::NAMES));
    }

    #[test]
    fn the_document_is_openapi_3_1_with_the_key_scheme() {
        let doc: Value = serde_json::from_str(document()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
        assert_eq!(doc["components"]["securitySchemes"]["api_key"]["name"], "X-API-KEY");
        assert!(doc["paths"]["/device/exec"]["post"]["requestBody"].is_object());
    }
}
