# The Python `requests` examples of shared/spec/job-management-api.md ("Usage Examples"
# 1-5 and "Worker Management Examples" 1-2), copied unchanged; only the job id, the
# key and the base URL (a test server's port instead of 9000) are filled in by
# tests/e2e/tests/suite/management.rs, which runs this file.
import json
import sys
import time

import requests

BASE = sys.argv[1]
API_KEY = sys.argv[2]
JOB_ID = sys.argv[3]
QUEUED_JOB_ID = sys.argv[4]

def localize(url):
    return url.replace("http://localhost:9000", BASE)

_get, _delete = requests.get, requests.delete
requests.get = lambda url, *a, **k: _get(localize(url), *a, **k)
requests.delete = lambda url, *a, **k: _delete(localize(url), *a, **k)

# 1. Query Job Status
def check_job_status(job_id, api_key):
    """Query job status"""
    response = requests.get(
        f"http://localhost:9000/job?id={job_id}",
        headers={"X-API-KEY": api_key}
    )
    if response.status_code == 200:
        job_data = response.json()["data"][0]
        return job_data["status"], job_data.get("result")
    else:
        print(f"Query failed: {response.status_code}")
        return None, None

job_id = JOB_ID
api_key = API_KEY
while True:
    status, result = check_job_status(job_id, api_key)
    if status == "finished":
        print(f"Job completed: {result['retval']}")
        break
    elif status == "failed":
        print(f"Job failed: {result['error']}")
        break
    elif status in ["queued", "started"]:
        print(f"Job status: {status}")
        time.sleep(2)
    else:
        print(f"Unknown status: {status}")
        break
assert status == "finished", status

# 2. Batch Query Jobs
response = requests.get(
    "http://localhost:9000/job?status=finished",
    headers={"X-API-KEY": "your_key".replace("your_key", API_KEY)}
)
if response.status_code == 200:
    jobs = response.json()["data"]
    for job in jobs:
        print(f"Job ID: {job['id']}, Execution time: {job['duration']} seconds")
assert response.status_code == 200 and any(j["id"] == JOB_ID for j in jobs)

# 3. Cancel Job
response = requests.delete(
    f"http://localhost:9000/job?id={QUEUED_JOB_ID}",
    headers={"X-API-KEY": API_KEY}
)
if response.status_code == 200:
    result = response.json()["data"]
    print(f"Cancelled job count: {result['cancelled_count']}")
assert response.status_code == 200 and result["cancelled_count"] == 1

# 4. Monitor Worker Status
response = requests.get(
    "http://localhost:9000/worker",
    headers={"X-API-KEY": API_KEY}
)
if response.status_code == 200:
    workers = response.json()["data"]
    for worker in workers:
        print(f"Worker: {worker['name']}, Status: {worker['status']}, "
              f"Completed jobs: {worker['successful_job_count']}, Failed jobs: {worker['failed_job_count']}")
assert response.status_code == 200 and len(workers) > 0

# 5. Process Job Results
def process_job_result(job_id, api_key):
    """Process job results"""
    response = requests.get(
        f"http://localhost:9000/job?id={job_id}",
        headers={"X-API-KEY": api_key}
    )
    if response.status_code == 200:
        job_data = response.json()["data"][0]
        if job_data["status"] == "finished":
            result = job_data["result"]
            if result["type"] == "success":
                return result["retval"]
            else:
                return f"Execution failed: {result['error']}"
        else:
            return f"Job status: {job_data['status']}"
    else:
        return "Query failed"

result = process_job_result(JOB_ID, API_KEY)
print(result)
assert "Cisco" in result or "uptime" in result, result

# Worker Management Examples 1. Query Worker Status
def get_all_workers():
    url = "http://localhost:9000/worker"
    headers = {"X-API-Key": API_KEY}
    response = requests.get(url, headers=headers)
    if response.status_code == 200:
        return response.json()['data']
    return []

def get_workers_by_queue(queue):
    url = f"http://localhost:9000/worker?queue={queue}"
    headers = {"X-API-Key": API_KEY}
    response = requests.get(url, headers=headers)
    if response.status_code == 200:
        return response.json()['data']
    return []

def get_workers_by_host(host):
    url = f"http://localhost:9000/worker?host={host}"
    headers = {"X-API-Key": API_KEY}
    response = requests.get(url, headers=headers)
    if response.status_code == 200:
        return response.json()['data']
    return []

workers = get_all_workers()
fifo_workers = get_workers_by_queue('FifoQ')
assert len(fifo_workers) > 0 and all("FifoQ" in w["queues"] for w in fifo_workers), fifo_workers
assert isinstance(get_workers_by_host("127.0.0.1"), list)

# 2. Terminate Worker
def terminate_worker(worker_name):
    url = f"http://localhost:9000/worker?name={worker_name}"
    headers = {"X-API-Key": API_KEY}
    response = requests.delete(url, headers=headers)
    return response.status_code == 200

if workers:
    worker_name = fifo_workers[0]['name']
    assert terminate_worker(worker_name)

# System Health Check
def check_system_health():
    url = "http://localhost:9000/health"
    headers = {"X-API-Key": API_KEY}
    try:
        response = requests.get(localize(url), headers=headers, timeout=10)
        if response.status_code == 200:
            data = response.json()
            return data['data']
        else:
            return {"status": "error", "message": f"HTTP {response.status_code}"}
    except Exception as e:
        return {"status": "error", "message": str(e)}

health_status = check_system_health()
print(json.dumps(health_status, indent=2))
assert health_status["status"] in ("healthy", "degraded"), health_status
print("SPEC EXAMPLES OK")
