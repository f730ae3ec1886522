"""Reads a node's /metrics with prometheus_client's own parser and checks what the issue asks for:
every family has HELP and TYPE (the parser gives each a documentation and a type), and the
families for members, probes, suspicions, datagrams, drops, tasks, histograms, slots and
log/artifact bytes are there with samples.

usage: prometheus_parse.py BASE_URL
Prints the families it read; exit status 0 when all is there.
"""
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

REQUIRED = {
    "mesh_members": "gauge", "mesh_probes": "counter", "mesh_probes_failed": "counter",
    "mesh_suspicions_raised": "counter", "mesh_suspicions_refuted": "counter", "mesh_datagrams": "counter",
    "mesh_datagram_bytes": "counter", "mesh_drops": "counter", "mesh_tasks": "gauge",
    "mesh_task_submit_seconds": "histogram", "mesh_attempt_seconds": "histogram", "mesh_slots": "gauge",
    "mesh_slots_busy": "gauge", "mesh_log_bytes": "counter", "mesh_artifact_bytes": "counter",
}

response = urllib.request.urlopen(sys.argv[1].rstrip("/") + "/metrics", timeout=10)
content_type = response.headers.get("Content-Type", "")
text = response.read().decode("utf-8")
families = {family.name: family for family in text_string_to_metric_families(text)}
problems = []
if not content_type.startswith("text/plain") or "version=0.0.4" not in content_type:
    problems.append(f"Content-Type {content_type!r} is not the 0.0.4 text format")
for family in families.values():
    print(f"{family.name} {family.type} {len(family.samples)} samples: {family.documentation}")
    if not family.documentation or family.type == "unknown":
        problems.append(f"{family.name} has no HELP or no TYPE")
for name, kind in REQUIRED.items():
    family = families.get(name)
    if family is None or family.type != kind or not family.samples:
        problems.append(f"{name}: missing, not a {kind}, or without samples")
submitted = families["mesh_task_submit_seconds"].samples if "mesh_task_submit_seconds" in families else []
count = [s.value for s in submitted if s.name == "mesh_task_submit_seconds_count"]
if not count or count[0] < 1:
    problems.append("mesh_task_submit_seconds observed no submission")
logged = [s.value for s in families["mesh_log_bytes"].samples] if "mesh_log_bytes" in families else []
if not logged or logged[0] < 1:
    problems.append("mesh_log_bytes counted nothing after an attempt that printed")
for problem in problems:
    print("FAIL " + problem)
sys.exit(1 if problems else 0)
