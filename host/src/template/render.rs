//! Jinja2 rendering of configuration (`rendering` option and `POST
//! /template/render`), with minijinja. An undefined variable is an error, never
//! an empty string pushed to a device.

use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

/// A template that did not render, with the line it failed on.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RenderError {
    pub message: String,
    pub line: Option<usize>,
}

/// Render `template` with `context` (a JSON object).
pub fn render(template: &str, context: &Value) -> Result<String, RenderError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    let fail = |e: minijinja::Error| {
        let mut message = e.to_string();
        if let Some(d) = e.detail()
            && !message.contains(d)
        {
            message = format!("{message}: {d}");
        }
        RenderError { line: e.line(), message }
    };
    let tmpl = env.template_from_str(template).map_err(fail)?;
    tmpl.render(context).map_err(fail)
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
    }
}
