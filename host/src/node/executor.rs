//! Running one claimed job on a device: open (or reuse) the session, let the
//! driver plugin do the talking, and turn what happened into a job result.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::hostkeys::HostKeys;
use super::session::{BlockingShell, DeviceSession};
use crate::metrics::{Stage, stage};
use crate::plugin::{
    CallContext, CallError, CommandOptions, ConfigOptions, DriverError, DriverPlugin, Plugins,
    SessionOptions, StopSignal,
};
use crate::queue::{ClaimedJob, ErrorKind, JobError, JobResult, Retval, Work};
use crate::ssh::{ConnectParams, HostKeyCheck, SshError, SshShell};

/// What the worker should do with its session after a job.
#[derive(Debug, PartialEq, Eq)]
pub enum SessionVerdict {
    /// Healthy: keep it for the next job.
    Keep,
    /// The device could not be reached or refused us: nothing to keep.
    DeviceDown,
}

fn fail(kind: ErrorKind, msg: impl Into<String>) -> JobResult {
    JobResult::failed(JobError::new(kind, msg))
}

fn fingerprint(job: &ClaimedJob) -> u64 {
    let mut h = DefaultHasher::new();
    (
        serde_json::to_string(&job.spec.device).unwrap_or_default(),
        &job.credentials.password,
        &job.credentials.secret,
        // A session opened without checking the host key is not one a checked job may use.
        job.spec.driver_args.skip_host_key_check,
    )
        .hash(&mut h);
    h.finish()
}

fn driver_error(e: DriverError) -> JobError {
    match e {
        DriverError::CommandRejected(m) => JobError::new(ErrorKind::CommandRejected, m),
        DriverError::Timeout(m) => JobError::new(ErrorKind::TimeoutError, m),
        DriverError::Connection(m) => JobError::new(ErrorKind::ConnectionError, m),
        DriverError::Authentication(m) => JobError::new(ErrorKind::AuthenticationError, m),
        DriverError::Protocol(m) => JobError::new(ErrorKind::PluginError, m),
    }
}

fn call_error(e: CallError) -> JobError {
    JobError::new(ErrorKind::PluginError, e.to_string())
}

/// Run `f` on a blocking thread with the session's shell; puts the shell back.
async fn on_shell<R: Send + 'static>(
    session: &mut DeviceSession,
    f: impl FnOnce(&DriverPlugin, BlockingShell) -> (BlockingShell, R) + Send + 'static,
) -> Result<R, JobError> {
    let shell = session
        .shell
        .take()
        .ok_or_else(|| JobError::new(ErrorKind::ConnectionError, "the device session is closed"))?;
    let plugin = session.plugin.clone();
    match tokio::task::spawn_blocking(move || f(&plugin, shell)).await {
        Ok((shell, r)) => {
            session.shell = Some(shell);
            Ok(r)
        }
        Err(e) => Err(JobError::new(ErrorKind::PluginError, format!("driver call aborted: {e}"))),
    }
}

/// Run `job`, reusing `slot`'s session when it fits and leaving a usable session
/// in it afterwards (or none).
///
/// `stop` is the job's stop switch (`DELETE /worker`): once raised, the driver
/// call under way traps or fails at its next read, write or epoch tick.
pub async fn run_job(
    plugins: &Plugins,
    defaults: &crate::config::JobDefaults,
    host_keys: &Arc<dyn HostKeyCheck>,
    slot: &mut Option<DeviceSession>,
    job: &ClaimedJob,
    stop: Arc<StopSignal>,
) -> (JobResult, SessionVerdict) {
    let spec = &job.spec;
    let device = format!("{}:{}", spec.device.host, spec.device.port);
    let Some(plugin) = plugins.driver_for(&spec.device.device_type) else {
        let known: Vec<String> = plugins.device_types().into_iter().map(|(t, _)| t).collect();
        let msg = format!(
            "no driver plugin on this node serves device_type {:?}; installed: {}",
            spec.device.device_type,
            known.join(", ")
        );
        return (fail(ErrorKind::PluginError, msg), SessionVerdict::Keep);
    };
    let deadline = Instant::now() + Duration::from_secs(spec.execution_timeout_s);
    let ctx = CallContext {
        job: job.id.clone(),
        device: device.clone(),
        job_deadline: Some(deadline),
        stop: Some(stop.clone()),
    };
    let fp = fingerprint(job);

    // Drop a session that is closed, was opened with other credentials, or by another plugin.
    if let Some(s) = slot.take() {
        if s.is_open() && s.fingerprint == fp && Arc::ptr_eq(&s.plugin, &plugin) {
            *slot = Some(s);
        } else {
            s.close(&job.id, &device).await;
        }
    }
    if slot.is_none() {
        let opening = Instant::now();
        match open_session(&plugin, job, defaults, host_keys, &ctx, fp).await {
            Ok(s) => *slot = Some(s),
            Err((err, verdict)) => return (JobResult::failed(err), verdict),
        }
        stage(Stage::Session, opening.elapsed());
    }
    let session = slot.as_mut().expect("session present");
    if let Some(sh) = session.shell.as_mut() {
        sh.stop = Some(stop);
        sh.waited = Duration::ZERO;
    }
    let driving = Instant::now();
    let result = run_work(session, job, defaults, &ctx).await;
    stage(Stage::Driver, driving.elapsed());
    if let Some(sh) = session.shell.as_ref() {
        stage(Stage::Device, sh.waited);
    }
    let result = match result {
        Err(e) if Instant::now() >= deadline && e.kind == ErrorKind::TimeoutError => Err(JobError::new(
            ErrorKind::TimeoutError,
            format!(
                "the job ran past its execution_timeout of {} s: {}",
                spec.execution_timeout_s, e.message
            ),
        )),
        other => other,
    };
    // A session that timed out or broke is in an unknown state: the next job reconnects.
    let broken =
        matches!(&result, Err(e) if matches!(e.kind, ErrorKind::TimeoutError | ErrorKind::ConnectionError));
    if (broken || !session.is_open())
        && let Some(s) = slot.take()
    {
        s.close(&job.id, &device).await;
    }
    let result = match (result, &spec.parsing) {
        (Ok(v), Some(plan)) => {
            let parsing = Instant::now();
            let parsed = parse_output(plugins, job, plan, v).await;
            stage(Stage::Parse, parsing.elapsed());
            parsed
        }
        (other, _) => other.map(|v| Retval::from_value(&v)),
    };
    match result {
        Ok(v) => (JobResult::success(v), SessionVerdict::Keep),
        Err(e) => (JobResult::failed(e), SessionVerdict::Keep),
    }
}

/// Replace each command's output by its records (the job's `parsing`).
async fn parse_output(
    plugins: &Plugins,
    job: &ClaimedJob,
    plan: &crate::model::ParsePlan,
    output: Value,
) -> Result<Retval, JobError> {
    let Some(parser) = plugins.parser(&plan.parser) else {
        return Err(JobError::new(
            ErrorKind::PluginError,
            format!("no parser plugin {:?} on this node", plan.parser),
        ));
    };
    let Work::Commands(commands) = &job.spec.work else { return Ok(Retval::from_value(&output)) };
    let texts: Vec<(String, String)> = match output {
        Value::String(s) => vec![(commands.last().cloned().unwrap_or_default(), s)],
        Value::Object(m) => {
            m.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string())).collect()
        }
        other => return Ok(Retval::from_value(&other)),
    };
    let (plan, platform, single) = (plan.clone(), job.spec.device.device_type.clone(), job.spec.single);
    let commands = commands.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::with_capacity(texts.len());
        for (command, text) in texts {
            let i = commands.iter().position(|c| *c == command).unwrap_or(0);
            let templates: Vec<_> = plan
                .per_command
                .get(i)
                .into_iter()
                .flatten()
                .filter_map(|&t| plan.templates.get(t))
                .collect();
            let records = crate::template::parse_records(
                &parser,
                &templates,
                &platform,
                &command,
                &text,
                plan.lower_keys,
            )
            .map_err(|e| match e {
                crate::template::ParseFailure::Template(m) => {
                    JobError::new(ErrorKind::ParseError, format!("parsing the output of {command:?}: {m}"))
                }
                crate::template::ParseFailure::Plugin(m) => JobError::new(ErrorKind::PluginError, m),
            })?;
            if single {
                return Ok(Retval::raw(records));
            }
            out.push((command, records));
        }
        Ok(Retval::object(out.iter().map(|(c, r)| (c.as_str(), &**r))))
    })
    .await
    .map_err(|e| JobError::new(ErrorKind::PluginError, format!("parser task failed: {e}")))?
}

async fn open_session(
    plugin: &Arc<DriverPlugin>,
    job: &ClaimedJob,
    defaults: &crate::config::JobDefaults,
    host_keys: &Arc<dyn HostKeyCheck>,
    ctx: &CallContext,
    fp: u64,
) -> Result<DeviceSession, (JobError, SessionVerdict)> {
    let d = &job.spec.device;
    let params = ConnectParams {
        host: d.host.clone(),
        port: d.port,
        username: d.username.clone(),
        password: job.credentials.password.clone(),
        connect_timeout: Duration::from_secs_f64(d.connect_timeout_s),
        keepalive: (d.keepalive_s > 0).then(|| Duration::from_secs(d.keepalive_s)),
        host_keys: if job.spec.driver_args.skip_host_key_check {
            HostKeys::off_for_job()
        } else {
            host_keys.clone()
        },
    };
    let shell = SshShell::connect(&params).await.map_err(|e| {
        let kind = match e {
            SshError::Auth { .. } => ErrorKind::AuthenticationError,
            // A pinned worker leaves (DeviceDown): each later job gets one fresh
            // check and fails the same way until the pin is cleared; none loops.
            SshError::HostKey { .. } => ErrorKind::HostKeyMismatch,
            SshError::Timeout { .. } | SshError::Connect { .. } | SshError::Session { .. } => {
                ErrorKind::ConnectionError
            }
        };
        (JobError::new(kind, e.to_string()), SessionVerdict::DeviceDown)
    })?;
    let mut shell = BlockingShell::new(shell);
    shell.stop = ctx.stop.clone();
    let mut session = DeviceSession {
        shell: Some(shell),
        state: crate::plugin::SessionState { prompt: String::new(), data: String::new() },
        plugin: plugin.clone(),
        fingerprint: fp,
    };
    let options = SessionOptions {
        device_type: d.device_type.clone(),
        host: d.host.clone(),
        username: d.username.clone(),
        secret: job.credentials.secret.clone(),
        timeout_ms: ms(job.spec.driver_args.read_timeout_s.unwrap_or(defaults.read_timeout_s)),
    };
    let ctx2 = ctx.clone();
    let r = on_shell(&mut session, move |p, sh| p.prepare_session(sh, &ctx2, &options)).await;
    let state = match r {
        Ok(Ok(Ok(state))) => state,
        Ok(Ok(Err(e))) => {
            let err = driver_error(e);
            let verdict = if err.kind == ErrorKind::AuthenticationError {
                SessionVerdict::DeviceDown
            } else {
                SessionVerdict::Keep
            };
            session.close(&ctx.job, &ctx.device).await;
            return Err((err, verdict));
        }
        Ok(Err(call)) => {
            session.close(&ctx.job, &ctx.device).await;
            return Err((call_error(call), SessionVerdict::Keep));
        }
        Err(e) => return Err((e, SessionVerdict::Keep)),
    };
    session.state = state;
    Ok(session)
}

fn ms(secs: f64) -> u32 {
    (secs * 1000.0).clamp(1.0, u32::MAX as f64) as u32
}

async fn run_work(
    session: &mut DeviceSession,
    job: &ClaimedJob,
    defaults: &crate::config::JobDefaults,
    ctx: &CallContext,
) -> Result<Value, JobError> {
    let args = &job.spec.driver_args;
    let read_timeout_ms = ms(args.read_timeout_s.unwrap_or(defaults.read_timeout_s));
    // Output left over from an earlier job must not leak into this one.
    if let Some(sh) = session.shell.as_mut() {
        let stale = sh.shell.drain().await;
        if !stale.is_empty() {
            tracing::debug!(job = ctx.job, device = ctx.device, "dropped {} stale bytes", stale.len());
        }
    }
    match &job.spec.work {
        Work::Commands(commands) => {
            let mut out = Map::new();
            let mut last = String::new();
            for command in commands {
                let options = CommandOptions {
                    read_timeout_ms,
                    expect_string: args.expect_string.clone(),
                    strip_prompt: args.strip_prompt,
                    strip_command: args.strip_command,
                    extra: args.extra.clone(),
                };
                let (state, cmd, c) = (session.state.clone(), command.clone(), ctx.clone());
                let r =
                    on_shell(session, move |p, sh| p.send_command(sh, &c, &state, &cmd, &options)).await?;
                let text = r.map_err(call_error)?.map_err(driver_error)?;
                out.insert(command.clone(), Value::String(text.clone()));
                last = text;
            }
            if job.spec.single { Ok(Value::String(last)) } else { Ok(Value::Object(out)) }
        }
        Work::Config(lines) => {
            let options = ConfigOptions {
                read_timeout_ms,
                save: args.save,
                exit_config_mode: args.exit_config_mode,
                error_pattern: args.error_pattern.clone(),
                extra: args.extra.clone(),
            };
            let (state, lines, c) = (session.state.clone(), lines.clone(), ctx.clone());
            let r = on_shell(session, move |p, sh| p.send_config(sh, &c, &state, &lines, &options)).await?;
            let reply = r.map_err(call_error)?.map_err(driver_error)?;
            session.state = reply.state;
            Ok(Value::String(reply.transcript))
        }
        Work::Test => Ok(serde_json::json!({"prompt": session.state.prompt})),
        // The store resolves shared payloads when it hands a job over.
        Work::Stored(sha) => Err(JobError::new(
            ErrorKind::IncompatibleJob,
            format!("the job's shared payload {sha} was not resolved; it was not run"),
        )),
    }
}
