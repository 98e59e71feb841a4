//! The HTTP layer itself: routing details (trailing slashes, 404 and 405 as
//! envelopes, the key checked before anything is revealed), request ids, and a
//! client that never finishes its headers being cut off.

use std::time::{Duration, Instant};

use netpulse_e2e::{API_KEY, TestSystem};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_answers_envelopes_for_unknown_paths_methods_and_parameters() {
    let sys = TestSystem::start().await;
    // A trailing slash finds the route.
    let (status, body) = sys.get("/job/?id=nope").await;
    assert_eq!(status, 404, "{body}");
    assert!(body["message"].as_str().unwrap().contains("no job with id"), "{body}");
    // Unknown path: 403 without a key, 404 envelope with one.
    let (status, body) = sys.request("GET", "/nothing/here", None, None).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = sys.get("/nothing/here").await;
    assert_eq!((status, body["code"].as_i64()), (404, Some(-1)), "{body}");
    assert_eq!(body["message"], "no such endpoint: GET /nothing/here");
    // A method the route does not take.
    let (status, body) = sys.request("PUT", "/job", Some("{}"), Some(API_KEY)).await;
    assert_eq!((status, body["code"].as_i64()), (405, Some(-1)), "{body}");
    assert_eq!(body["message"], "PUT is not allowed on /job");
    // Unknown and misspelt query parameters, even empty ones.
    let (status, body) = sys.get("/worker?nod=x").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("unknown query parameter \"nod\""), "{body}");
    let (status, body) = sys.get("/health?verbose=").await;
    assert_eq!(status, 400, "{body}");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id() {
    let sys = TestSystem::start().await;
    let mut stream = tokio::net::TcpStream::connect(sys.addr).await.unwrap();
    let req = format!("GET /health HTTP/1.1\r\nhost: x\r\nx-api-key: {API_KEY}\r\nconnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let id = answer
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("x-request-id: ").map(str::to_string))
        .unwrap_or_else(|| panic!("no x-request-id in {answer}"));
    assert_eq!(id.trim().len(), 36, "a UUID: {id}");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let sys = TestSystem::start().await;
    let mut stream = tokio::net::TcpStream::connect(sys.addr).await.unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the half-sent request was still open after 30 s");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(5), "closed too early: {waited:?}");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_hyper_cannot_read_get_envelopes_too() {
    let sys = TestSystem::start().await;
    let long_uri = format!("GET /job?id={} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(70_000));
    let huge_header = format!("GET /health HTTP/1.1\r\nhost: x\r\nx-pad: {}\r\n\r\n", "b".repeat(2_000_000));
    for (raw, status) in [
        ("GARBAGE LINE\r\n\r\n".to_string(), "400"),
        ("GET /health HTTP/1.1\r\nbad header line\r\n\r\n".to_string(), "400"),
        (long_uri, "4"),
        (huge_header, "431"),
    ] {
        let mut stream = tokio::net::TcpStream::connect(sys.addr).await.unwrap();
        let _ = stream.write_all(raw.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with(&format!("HTTP/1.1 {status}")), "{} bytes sent: {answer}", raw.len());
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let v: serde_json::Value =
            serde_json::from_str(body).unwrap_or_else(|_| panic!("not an envelope: {answer}"));
        assert_eq!(v["code"], -1, "{answer}");
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_declared_too_large_is_refused_before_it_is_sent() {
    let sys = TestSystem::start().await;
    let mut stream = tokio::net::TcpStream::connect(sys.addr).await.unwrap();
    let head = format!(
        "POST /device/exec HTTP/1.1\r\nhost: x\r\nx-api-key: {API_KEY}\r\ncontent-type: application/json\r\ncontent-length: 104857600\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/json") && answer.contains("\"code\":-1"), "{answer}");
    sys.stop().await;
}
