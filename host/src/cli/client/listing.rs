//! `netpulse jobs`, `netpulse workers` and `netpulse cancel`: the job and worker
//! management API (`GET /job`, `GET /worker`, `DELETE /job`) as readable tables,
//! or as JSON with `--json`.

use clap::Args;
use serde_json::Value;

use super::{Api, ClientError, ServerArgs};

#[derive(Args, Debug)]
pub struct JobsArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// One job by its id (the other filters are then ignored).
    #[arg(long)]
    pub id: Option<String>,
    /// queued, started, finished, failed or cancelled.
    #[arg(long)]
    pub status: Option<String>,
    /// A queue: FifoQ, or pinned_<host>[:<port>].
    #[arg(long)]
    pub queue: Option<String>,
    /// A device address.
    #[arg(long)]
    pub host: Option<String>,
    /// A node's name.
    #[arg(long)]
    pub node: Option<String>,
    /// Most jobs to show.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Print the records as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct WorkersArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Only the workers of this queue.
    #[arg(long)]
    pub queue: Option<String>,
    /// Only the workers of this node.
    #[arg(long)]
    pub node: Option<String>,
    /// Only the worker pinned to this device address.
    #[arg(long)]
    pub host: Option<String>,
    /// Print the records as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CancelArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The jobs to cancel (only jobs still queued can be).
    #[arg(value_name = "JOB_ID", required_unless_present_any = ["queue", "host"])]
    pub ids: Vec<String>,
    /// Cancel every queued job of this queue.
    #[arg(long, conflicts_with = "host")]
    pub queue: Option<String>,
    /// Cancel every queued job for this device address.
    #[arg(long)]
    pub host: Option<String>,
    /// Print the server's answers as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The filters that were given, as query pairs.
fn filters(pairs: &[(&'static str, &Option<String>)]) -> Vec<(&'static str, String)> {
    pairs.iter().filter_map(|(k, v)| v.as_ref().map(|v| (*k, v.clone()))).collect()
}

pub async fn jobs(a: JobsArgs) -> Result<i32, ClientError> {
    let api = Api::new(&a.server)?;
    let jobs = match &a.id {
        Some(id) => vec![api.job(id).await?],
        None => {
            let mut q =
                filters(&[("status", &a.status), ("queue", &a.queue), ("host", &a.host), ("node", &a.node)]);
            q.push(("limit", a.limit.to_string()));
            list(api.get("/job", &q).await?)
        }
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&jobs).unwrap_or_default());
        return Ok(0);
    }
    if jobs.is_empty() {
        println!("no jobs");
        return Ok(0);
    }
    let rows = jobs
        .iter()
        .map(|j| {
            let took =
                j.get("duration").and_then(Value::as_f64).map(|d| format!("{d:.1}s")).unwrap_or_default();
            let detail = super::job_error(j).unwrap_or_else(|| {
                let commands: Vec<&str> = j
                    .get("command")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                commands.join("; ")
            });
            vec![
                text(j, "id"),
                text(j, "status"),
                text(j, "host"),
                text(j, "queue"),
                local_time(j.get("created_at")),
                took,
                super::cut(&detail, 80),
            ]
        })
        .collect();
    print_table(&["ID", "STATUS", "HOST", "QUEUE", "CREATED", "TOOK", "COMMAND / ERROR"], rows);
    Ok(0)
}

pub async fn workers(a: WorkersArgs) -> Result<i32, ClientError> {
    let api = Api::new(&a.server)?;
    let q = filters(&[("queue", &a.queue), ("node", &a.node), ("host", &a.host)]);
    let workers = list(api.get("/worker", &q).await?);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&workers).unwrap_or_default());
        return Ok(0);
    }
    if workers.is_empty() {
        println!("no workers (is a node running?)");
        return Ok(0);
    }
    let rows = workers
        .iter()
        .map(|w| {
            let queues: Vec<&str> = w
                .get("queues")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            vec![
                text(w, "name"),
                text(w, "status"),
                text(w, "node"),
                queues.join(","),
                text(w, "successful_job_count"),
                text(w, "failed_job_count"),
                text(w, "current_job"),
                local_time(w.get("last_heartbeat")),
            ]
        })
        .collect();
    print_table(&["NAME", "STATUS", "NODE", "QUEUES", "OK", "FAILED", "CURRENT JOB", "HEARTBEAT"], rows);
    Ok(0)
}

pub async fn cancel(a: CancelArgs) -> Result<i32, ClientError> {
    let api = Api::new(&a.server)?;
    let mut requests: Vec<(String, Vec<(&str, String)>)> =
        a.ids.iter().map(|id| (format!("job {id}"), vec![("id", id.clone())])).collect();
    if let Some(q) = &a.queue {
        requests.push((format!("queue {q}"), vec![("queue", q.clone())]));
    }
    if let Some(h) = &a.host {
        requests.push((format!("host {h}"), vec![("host", h.clone())]));
    }
    let mut code = 0;
    for (what, query) in requests {
        match api.delete("/job", &query).await {
            Ok(data) if a.json => println!("{}", serde_json::to_string_pretty(&data).unwrap_or_default()),
            Ok(data) => {
                let ids: Vec<&str> = data
                    .get("cancelled_jobs")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                if ids.is_empty() {
                    println!("{what}: no queued job to cancel");
                }
                for id in ids {
                    println!("cancelled {id}");
                }
            }
            Err(e @ ClientError::Refused(_)) => {
                eprintln!("netpulse: cannot cancel {what}: {e}");
                code = 1;
            }
            // A connection problem is the same for every request: stop at the first.
            Err(e) => return Err(e),
        }
    }
    Ok(code)
}

/// The list of a listing answer (an empty one when it is not a list).
fn list(data: Value) -> Vec<Value> {
    match data {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}

/// A field as table text: strings as they are, numbers printed, null empty.
fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// An RFC 3339 time in the local zone, to the second.
fn local_time(v: Option<&Value>) -> String {
    let Some(s) = v.and_then(Value::as_str) else { return String::new() };
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => s.to_string(),
    }
}

/// Columns padded to their widest cell (the last one is not padded).
fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header_row: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header_row).chain(&rows) {
        let last = row.len().saturating_sub(1);
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let c = c.replace(['\n', '\r'], " ");
                if i == last { c } else { format!("{c:<width$}", width = widths[i]) }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn print_table(headers: &[&str], rows: Vec<Vec<String>>) {
    print!("{}", table(headers, rows));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_align_their_columns() {
        let t = table(
            &["ID", "STATUS", "NOTE"],
            vec![
                vec!["a1".into(), "finished".into(), "x".into()],
                vec!["b".into(), "queued".into(), "two\nlines".into()],
            ],
        );
        assert_eq!(t, "ID  STATUS    NOTE\na1  finished  x\nb   queued    two lines\n");
    }

    #[test]
    fn fields_read_as_text() {
        let w = json!({"name": "w1", "successful_job_count": 3, "current_job": null});
        assert_eq!(text(&w, "name"), "w1");
        assert_eq!(text(&w, "successful_job_count"), "3");
        assert_eq!(text(&w, "current_job"), "");
        assert_eq!(local_time(Some(&json!("not a time"))), "not a time");
        assert_eq!(local_time(Some(&json!("2024-01-01T12:00:00+00:00"))).len(), 19);
    }
}
