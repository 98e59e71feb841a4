# Checks the OpenAPI document of a running server, for tests/e2e/tests/suite/openapi.rs:
#   python3 openapi_check.py DOC.json EXAMPLES.json
# 1. the document passes openapi-spec-validator (OpenAPI 3.1);
# 2. every example in it (request bodies, responses, parameters) validates against
#    its schema (jsonschema, Draft 2020-12, the document's components resolvable);
# 3. every outside example in EXAMPLES.json (the spec's requests, the README's,
#    NetPulse's Postman bodies) uses documented query parameters with valid values
#    and a body valid against its operation's request schema.
# Exits 3 when a package is missing (the test then says it skipped this part).
import json
import sys

try:
    import jsonschema
    from openapi_spec_validator import validate
except ImportError as e:
    print(f"missing python package: {e}")
    sys.exit(3)

doc = json.load(open(sys.argv[1]))
outside = json.load(open(sys.argv[2]))

validate(doc)
print("openapi-spec-validator: valid", doc["openapi"])

failures = []
checked = 0


def check(value, schema, what):
    global checked
    checked += 1
    full = dict(schema)
    full["components"] = doc.get("components", {})
    full["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    errors = list(jsonschema.Draft202012Validator(full).iter_errors(value))
    for err in errors:
        path = "/".join(str(p) for p in err.absolute_path)
        failures.append(f"{what}: at /{path}: {err.message[:300]}")


def examples(media):
    if "example" in media:
        yield "example", media["example"]
    for name, ex in (media.get("examples") or {}).items():
        if "value" in ex:
            yield name, ex["value"]


for path, item in doc["paths"].items():
    for method, op in item.items():
        if method not in ("get", "post", "put", "delete", "patch", "head"):
            continue
        where = f"{method.upper()} {path}"
        for name, media in ((op.get("requestBody") or {}).get("content") or {}).items():
            for ex_name, value in examples(media):
                check(value, media["schema"], f"{where} request example {ex_name!r}")
        for status, resp in (op.get("responses") or {}).items():
            for name, media in (resp.get("content") or {}).items():
                for ex_name, value in examples(media):
                    check(value, media["schema"], f"{where} {status} example {ex_name!r}")
        for p in op.get("parameters") or []:
            if "example" in p:
                check(p["example"], p["schema"], f"{where} parameter {p['name']} example")

documented_examples = checked
for ex in outside:
    where = f"{ex['method']} {ex['path']} ({ex['source']})"
    op = doc["paths"].get(ex["path"], {}).get(ex["method"].lower())
    if op is None:
        failures.append(f"{where}: no such operation in the document")
        continue
    params = {p["name"]: p for p in op.get("parameters") or [] if p["in"] == "query"}
    for name, value in (ex.get("query") or {}).items():
        if name not in params:
            failures.append(f"{where}: query parameter {name!r} is not documented")
            continue
        schema = params[name]["schema"]
        # A query value is text: give the schema the value it stands for.
        types = schema.get("type", [])
        types = types if isinstance(types, list) else [types]
        if "integer" in types and value.isdigit():
            value = int(value)
        elif "boolean" in types and value in ("true", "false"):
            value = value == "true"
        check(value, schema, f"{where} query {name}")
    if "body" in ex:
        content = (op.get("requestBody") or {}).get("content", {}).get("application/json")
        if content is None:
            failures.append(f"{where}: the operation documents no JSON body")
        else:
            check(ex["body"], content["schema"], f"{where} body")

print(f"checked {documented_examples} examples of the document and {checked - documented_examples} outside examples")
for f in failures:
    print("FAIL", f)
sys.exit(1 if failures else 0)
