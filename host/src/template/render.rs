//! Jinja2 rendering of configuration (`rendering` option and `POST
//! /template/render`), with minijinja. An undefined variable is an error, never
//! an empty string pushed to a device. Every render has a budget: fuel (minijinja
//! counts the instructions it runs), a wall-clock time checked as output is
//! written, and an output size; callers run it off the async threads.

use std::cell::Cell;
use std::io;
use std::time::{Duration, Instant};

use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

/// A template that did not render, with the line it failed on.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RenderError {
    pub message: String,
    pub line: Option<usize>,
    /// The budget it ran out of, when that is why it stopped (the user's
    /// template, not a syntax or variable error).
    pub over_budget: bool,
}

/// What one render may use (settings `render.*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderBudget {
    pub time: Duration,
    pub max_output_bytes: usize,
}

impl Default for RenderBudget {
    fn default() -> Self {
        Self { time: Duration::from_secs(2), max_output_bytes: 1 << 20 }
    }
}

impl RenderBudget {
    /// Instructions minijinja may run: about what this machine runs in the time
    /// budget, so a loop that prints nothing stops too.
    fn fuel(&self) -> u64 {
        (self.time.as_millis() as u64).saturating_mul(10_000).max(10_000)
    }
}

/// Which limit a render passed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hit {
    None,
    Time,
    Output,
}

/// Collects output, refusing to grow past the budget.
struct Capped<'a> {
    out: Vec<u8>,
    budget: RenderBudget,
    started: Instant,
    hit: &'a Cell<Hit>,
}

impl io::Write for Capped<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.out.len() + buf.len() > self.budget.max_output_bytes {
            self.hit.set(Hit::Output);
            return Err(io::Error::other("output limit"));
        }
        if self.started.elapsed() > self.budget.time {
            self.hit.set(Hit::Time);
            return Err(io::Error::other("time limit"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Render `template` with `context` (a JSON object) within the default budget.
pub fn render(template: &str, context: &Value) -> Result<String, RenderError> {
    render_within(template, context, RenderBudget::default())
}

/// Render `template` with `context` within `budget`. Blocking: call it off the
/// async threads.
pub fn render_within(template: &str, context: &Value, budget: RenderBudget) -> Result<String, RenderError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env.set_fuel(Some(budget.fuel()));
    let hit = Cell::new(Hit::None);
    let fail = |e: minijinja::Error| {
        let over = |message: String| RenderError { message, line: e.line(), over_budget: true };
        match (hit.get(), e.kind()) {
            (Hit::Output, _) => over(format!(
                "rendering stopped: the output passed {} bytes (setting render.max_output_bytes)",
                budget.max_output_bytes
            )),
            (Hit::Time, _) => over(time_message(budget)),
            (_, minijinja::ErrorKind::OutOfFuel) => over(format!(
                "rendering stopped: the template ran too long (over its budget of {:.1} s of work; setting render.budget_ms)",
                budget.time.as_secs_f64()
            )),
            _ => {
                let mut message = e.to_string();
                if let Some(d) = e.detail()
                    && !message.contains(d)
                {
                    message = format!("{message}: {d}");
                }
                RenderError { line: e.line(), message, over_budget: false }
            }
        }
    };
    let tmpl = env.template_from_str(template).map_err(fail)?;
    let mut w = Capped { out: Vec::new(), budget, started: Instant::now(), hit: &hit };
    tmpl.render_captured_to(context, &mut w).map_err(fail)?;
    String::from_utf8(w.out).map_err(|_| RenderError {
        message: "the template rendered bytes that are not UTF-8".into(),
        line: None,
        over_budget: false,
    })
}

fn time_message(budget: RenderBudget) -> String {
    format!(
        "rendering stopped: it ran past its time budget of {:.1} s (setting render.budget_ms)",
        budget.time.as_secs_f64()
    )
}

/// Renders at once, process-wide: more wait for a slot (within their budget).
const RENDER_SLOTS: usize = 2;

/// [`render_within`] on a blocking thread, at most [`RENDER_SLOTS`] at once; the
/// answer comes within the time budget even if the render keeps its thread a
/// little longer (its fuel stops it).
pub async fn render_off_thread(
    template: String,
    context: Value,
    budget: RenderBudget,
) -> Result<String, RenderError> {
    run_budgeted(budget, move || render_within(&template, &context, budget)).await
}

/// Run `work` (which renders within `budget`) on a blocking thread, holding a
/// render slot; the answer is an over-budget error when it takes longer.
pub async fn run_budgeted<T: Send + 'static>(
    budget: RenderBudget,
    work: impl FnOnce() -> Result<T, RenderError> + Send + 'static,
) -> Result<T, RenderError> {
    static SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(RENDER_SLOTS);
    let limit = budget.time + Duration::from_millis(250);
    let late = || RenderError { message: time_message(budget), line: None, over_budget: true };
    let run = async {
        let _slot = SLOTS.acquire().await.expect("never closed");
        tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
            Err(RenderError { message: format!("rendering failed: {e}"), line: None, over_budget: false })
        })
    };
    tokio::time::timeout(limit, run).await.unwrap_or_else(|_| Err(late()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn renders_and_rejects_undefined() {
        let out = super::render(
            "hostname {{ name }}\n{% for v in vlans %}vlan {{ v }}\n{% endfor %}",
            &json!({"name": "r1", "vlans": [10, 20]}),
        )
        .unwrap();
        assert_eq!(out, "hostname r1\nvlan 10\nvlan 20\n");
        let e = super::render("hostname {{ nmae }}", &json!({"name": "r1"})).unwrap_err();
        assert!(e.message.contains("undefined"), "{}", e.message);
        assert_eq!(e.line, Some(1));
        assert!(!e.over_budget);
    }

    #[test]
    fn budgets_stop_long_loops_and_large_output() {
        let budget =
            super::RenderBudget { time: std::time::Duration::from_millis(300), max_output_bytes: 1000 };
        let started = std::time::Instant::now();
        let e = super::render_within(
            "{% for i in range(600) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            &json!({}),
            budget,
        )
        .unwrap_err();
        assert!(e.over_budget && e.message.contains("render.budget_ms"), "{}", e.message);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        let e = super::render_within("{{ 'x' * 5000 }}", &json!({}), budget).unwrap_err();
        assert!(e.over_budget && e.message.contains("render.max_output_bytes"), "{}", e.message);
        assert_eq!(super::render_within("{{ 'x' * 10 }}", &json!({}), budget).unwrap(), "xxxxxxxxxx");
    }
}
