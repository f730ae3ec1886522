"""Validates /v1/openapi.json with openapi-spec-validator, then walks every path and method in it
against a real node and checks each answers as described: the status is one the operation lists,
the Content-Type is one that response lists, and a JSON body validates against its schema. GETs
must succeed (2xx). A method a path does not list must answer 405 with an error body.

usage: openapi_walk.py BASE_URL TASK_ID [param:NAME=VALUE ...] [PENDING_PATH ...]
param:NAME=VALUE: the value of query parameter NAME (else its example; optional ones without
either are left out). PENDING_PATH: a path described per the shared contract whose handler is not in this build yet
(reported, not checked). POST /v1/leave is called last (the node exits after it).
Prints one line per check; exit status 0 when every check passed.
"""
import json
import sys
import urllib.error
import urllib.request

import jsonschema
from openapi_spec_validator import validate

BASE, TASK_ID = sys.argv[1].rstrip("/"), sys.argv[2]
PARAMS = dict(a[len("param:"):].split("=", 1) for a in sys.argv[3:] if a.startswith("param:"))
PENDING = {a for a in sys.argv[3:] if not a.startswith("param:")}
failures = []


def fetch(method, path, body=None, content_type=None, accept=None, stream=False):
    request = urllib.request.Request(BASE + path, data=body, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    if accept:
        request.add_header("Accept", accept)
    try:
        response = urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    if stream:  # an event stream stays open: read its first event, then hang up
        data = b""
        while b"\n\n" not in data:
            chunk = response.fp.read1(4096) if hasattr(response.fp, "read1") else response.read(1)
            if not chunk:
                break
            data += chunk
        response.close()
        return response.status, response.headers, data
    return response.status, response.headers, response.read()


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def schema_for(document, schema):
    whole = dict(schema)
    whole["components"] = document["components"]
    return whole


def resolve(document, item):
    while "$ref" in item:
        _, _, section, name = item["$ref"].split("/")
        item = document["components"][section][name]
    return item


def call(document, path, method, operation):
    concrete = path.replace("{id}", TASK_ID).replace("{name}", "nosuch")
    query = [f"{p['name']}={PARAMS.get(p['name'], p.get('example'))}" for p in operation.get("parameters", [])
             if p["in"] == "query" and (p["name"] in PARAMS or (p.get("required") and "example" in p))]
    if query:
        concrete += "?" + "&".join(query)
    body, content_type = None, None
    if "requestBody" in operation:
        content_type, media = next(iter(operation["requestBody"]["content"].items()))
        body = json.dumps(media.get("example", {})).encode() if content_type == "application/json" else b"x"
    responses = operation["responses"]
    streams = any("text/event-stream" in resolve(document, r).get("content", {}) and
                  len(resolve(document, r).get("content", {})) == 1 for r in responses.values())
    status, headers, data = fetch(method.upper(), concrete, body, content_type, stream=streams)
    name = f"{method.upper()} {concrete} -> {status}"
    check(str(status) in responses, name + " is a documented status")
    if str(status) not in responses:
        print("     body: " + data[:300].decode("utf-8", "replace"))
        return
    if method == "get" and "{name}" in path:
        check(status == 404, name + ": a name the task never produced is not found")
    elif method == "get":
        check(200 <= status < 300, name + " succeeds")
    described = resolve(document, responses[str(status)]).get("content", {})
    media_type = (headers.get("Content-Type") or "").split(";")[0].strip()
    check(not described or media_type in described, f"{name}: Content-Type {media_type} is described")
    if media_type == "application/json" and media_type in described:
        try:
            jsonschema.Draft202012Validator(schema_for(document, described[media_type]["schema"])).validate(json.loads(data))
            check(True, f"{name}: body matches its schema")
        except (jsonschema.ValidationError, ValueError) as error:
            check(False, f"{name}: body matches its schema ({str(error).splitlines()[0]})")


def main():
    status, _, data = fetch("GET", "/v1/openapi.json")
    document = json.loads(data)
    validate(document)
    check(document["openapi"].startswith("3.1"), "openapi-spec-validator accepts the OpenAPI 3.1 document")
    last = []
    for path, item in document["paths"].items():
        if path in PENDING:
            print(f"skip {path}: pending (described per the contract, not served by this build)")
            continue
        for method, operation in item.items():
            if (path, method) == ("/v1/leave", "post"):
                last.append((path, method, operation))
            else:
                call(document, path, method, operation)
        unlisted = "delete" if "delete" not in item else "patch"
        status, _, data = fetch(unlisted.upper(), path.replace("{id}", TASK_ID).replace("{name}", "nosuch"))
        try:
            code = json.loads(data)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        check(status == 405 and code == "method_not_allowed", f"{unlisted.upper()} {path} -> {status} {code}: 405 with an error body")
    for path, method, operation in last:
        call(document, path, method, operation)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


sys.exit(main())
