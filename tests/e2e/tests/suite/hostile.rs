//! Requests an attacker or a careless client sends: control characters meant for
//! a device's line editor, oversized fields. Each is refused with a 422 that names
//! the field, and nothing reaches a device or Redis.

use netpulse_e2e::{TestSystem, device_body, ios_fleet};
use serde_json::{Value, json};

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_never_reach_a_device_through_any_endpoint() {
    let sys = TestSystem::start().await;
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let cases = [
        (
            json!({"command": "show clock\u{1a}write memory"}),
            "`command[0]` contains U+001A (SUB) at column 11",
        ),
        (json!({"command": ["show clock", "show\u{15}x"]}), "U+0015 (NAK)"),
        (json!({"config": ["hostname a", "b", "c", "x\u{8}y"]}), "`config[3]` contains U+0008 (BS)"),
        (json!({"config": ["x\u{7f}"]}), "U+007F (DEL)"),
        (json!({"config": ["x\u{85}"]}), "U+0085 (NEL)"),
        (json!({"config": ["x\u{2029}"]}), "U+2029 (PARAGRAPH SEPARATOR)"),
        (
            json!({"command": "show clock", "driver_args": {"commit_comment": "a\u{3}b"}}),
            "`driver_args.commit_comment` contains U+0003 (ETX)",
        ),
        (
            json!({"config": {"name": "x"}, "rendering": {"name": "jinja2", "template": "hostname {{ name }}\u{1a}\nwrite"}}),
            "`config (rendered)[0]` contains U+001A (SUB)",
        ),
    ];
    for (extra, expected) in &cases {
        let (status, body) = sys.post("/device/exec", &device_body(dev, "cisco_ios", extra.clone())).await;
        assert_eq!(status, 422, "{extra}: {body}");
        assert!(message(&body).contains(expected), "{extra}: {body}");
    }
    // Bulk: the device with the bad line fails, the others are queued.
    let mut bulk = device_body(dev, "cisco_ios", json!({"command": "show clock"}));
    bulk["devices"] = json!([{"host": "127.0.0.1"}, {"host": "127.0.0.2", "command": "show\u{1a}reload"}]);
    let (status, body) = sys.post("/device/bulk", &bulk).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["succeeded"].as_array().unwrap().len(), 1, "{body}");
    assert!(body["data"]["failed"][0]["reason"].as_str().unwrap().contains("U+001A (SUB)"), "{body}");
    // The enable secret is typed at the device too.
    let mut test = device_body(dev, "cisco_ios", json!({}));
    test["connection_args"]["secret"] = json!("enable\nwrite erase");
    let (status, body) = sys.post("/device/test", &test).await;
    assert_eq!(status, 422, "{body}");
    assert!(message(&body).contains("connection_args.secret"), "{body}");
    assert_eq!(dev.commands(), 0, "nothing reached the device");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_fields_are_refused_naming_the_limit_and_its_setting() {
    let sys = TestSystem::start().await;
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let line = "x".repeat(64 * 1024 + 1);
    let (status, body) =
        sys.post("/device/exec", &device_body(dev, "cisco_ios", json!({"command": line}))).await;
    assert_eq!(status, 422, "{body}");
    assert!(message(&body).contains("limits.max_line_bytes"), "{body}");
    let lines: Vec<String> = (0..10_001).map(|i| format!("description {i}")).collect();
    let (status, body) =
        sys.post("/device/exec", &device_body(dev, "cisco_ios", json!({"config": lines}))).await;
    assert_eq!(status, 422, "{body}");
    assert!(message(&body).contains("limits.max_lines"), "{body}");
    let template = "{% for i in range(100) %}{% for j in range(1000) %}description {{ i }}-{{ j }} a padding line of some length\n{% endfor %}{% endfor %}";
    let huge = json!({"config": {}, "rendering": {"template": template}});
    let (status, body) = sys.post("/device/exec", &device_body(dev, "cisco_ios", huge)).await;
    assert_eq!(status, 422, "{body}");
    assert!(message(&body).contains("limits.max_rendered_bytes"), "{body}");
    sys.stop().await;
}
