"""Drives `mesh mcp` with the `mcp` Python SDK (stdio_client + ClientSession), as Claude Code would.

usage: mcp_client.py MESH_BINARY HTTP_ADDR ARTIFACT_DIR SERVED
  SERVED: comma-separated routes the node serves among logs,artifacts,cancel (others must give
  the "this node does not serve" tool error).

Lists the seven tools and calls each; submits a task and waits for it, reads its logs from a
cursor, fetches its artifacts, cancels a second task; a bogus task id gives a tool error and the
session goes on. Then the SDK's high-level `Client` (default mode: probe, then fall back to
the handshake) connects too. Every check is an assert; the last line printed is a JSON summary.
"""
import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.client import Client
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError

TOOLS = {"mesh_status", "list_profiles", "submit_task", "task_status", "task_logs", "fetch_artifacts", "cancel_task"}
PROMPT = "hello from the mcp client\nsecond line"


def text_of(result):
    return "".join(block.text for block in result.content if block.type == "text")


async def call(session, name, arguments=None, error=False):
    result = await session.call_tool(name, arguments or {})
    assert result.is_error == error, f"{name}({arguments}): is_error={result.is_error}: {text_of(result)}"
    if not error:
        assert result.structured_content is not None, f"{name}: no structuredContent"
        assert json.loads(text_of(result)) == result.structured_content, f"{name}: text and structuredContent differ"
    return result


async def unserved_or(session, name, arguments, served):
    """The tool's result when the node serves its route; else checks the clear tool error."""
    if served:
        return (await call(session, name, arguments)).structured_content
    result = await call(session, name, arguments, error=True)
    assert "does not serve" in text_of(result), f"{name}: {text_of(result)}"
    return None


async def main():
    mesh, http, directory, served = sys.argv[1], sys.argv[2], sys.argv[3], set(filter(None, sys.argv[4].split(",")))
    summary = {}
    params = StdioServerParameters(command=mesh, args=["mcp", "--http", http])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, read_timeout_seconds=90) as session:
            init = await session.initialize()
            summary["protocolVersion"] = init.protocol_version
            assert init.server_info.name == "mesh"
            assert init.capabilities.tools is not None

            tools = (await session.list_tools()).tools
            assert {tool.name for tool in tools} == TOOLS, [tool.name for tool in tools]
            for tool in tools:
                assert tool.input_schema["type"] == "object" and tool.description, tool.name
            summary["tools"] = sorted(tool.name for tool in tools)

            status = (await call(session, "mesh_status")).structured_content
            assert all(member["state"] == "alive" for member in status["members"]), status
            summary["members"] = len(status["members"])
            profiles = (await call(session, "list_profiles")).structured_content["profiles"]
            assert {"ok", "slow"} <= {profile["name"] for profile in profiles}, profiles

            progress = []

            async def on_progress(value, total, message):
                progress.append((value, message))

            result = await session.call_tool("submit_task", {"profile": "ok", "prompt": PROMPT, "wait": 60,
                                                                "expect": ["result.txt"]},
                                             progress_callback=on_progress)
            assert not result.is_error, text_of(result)
            done = result.structured_content
            assert progress and progress[-1][1].endswith(": succeeded"), progress
            assert [value for value, _ in progress] == sorted({value for value, _ in progress}), progress
            summary["progress"] = [message for _, message in progress]
            assert done["finished"] is True and done["state"] == "succeeded", done
            task = done["id"]
            record = (await call(session, "task_status", {"id": task})).structured_content
            assert record["id"] == task and record["state"] == "succeeded", record
            summary["task"] = task

            logs = await unserved_or(session, "task_logs", {"id": task}, "logs" in served)
            if logs is not None:
                assert PROMPT in logs["text"] and "to stderr" in logs["text"], logs
                rest = (await call(session, "task_logs", {"id": task, "cursor": logs["nextCursor"]})).structured_content
                assert rest["bytes"] == 0 and rest["text"] == "", rest
                part = (await call(session, "task_logs", {"id": task, "cursor": "1:6", "maxBytes": 4})).structured_content
                assert part["text"] == PROMPT[6:10] and part["nextCursor"] == "1:10" and part["more"] is True, part
                summary["logCursor"] = logs["nextCursor"]

            fetched = await unserved_or(session, "fetch_artifacts", {"id": task, "directory": directory}, "artifacts" in served)
            if fetched is not None:
                names = [file["name"] for file in fetched["files"]]
                assert "result.txt" in names and all(file["verified"] for file in fetched["files"]), fetched
                with open(os.path.join(directory, "result.txt")) as handle:
                    assert handle.read() == PROMPT
                again = (await call(session, "fetch_artifacts", {"id": task, "directory": directory})).structured_content
                assert not any(file["written"] for file in again["files"]), again
                summary["artifacts"] = names

            started = (await call(session, "submit_task", {"profile": "slow", "prompt": "take your time"})).structured_content
            cancelled = await unserved_or(session, "cancel_task", {"id": started["id"]}, "cancel" in served)
            if cancelled is not None:
                final = cancelled
                for _ in range(300):   # polls for up to 30 s: the agent is stopped after the answer
                    final = (await call(session, "task_status", {"id": started["id"]})).structured_content
                    if final["state"] == "cancelled":
                        break
                    await asyncio.sleep(0.1)
                assert final["state"] == "cancelled", final
                summary["cancelError"] = text_of(await call(session, "cancel_task", {"id": task}, error=True))
            summary["cancelled"] = started["id"]

            bogus = []
            for name, arguments in [("task_status", {"id": "not-a-task"}), ("task_status", {"id": "0" * 32}),
                                    ("task_logs", {"id": "f" * 32}), ("fetch_artifacts", {"id": "nope", "directory": directory}),
                                    ("cancel_task", {"id": "zz"}), ("submit_task", {"profile": "ok"}),
                                    ("submit_task", {"profile": "ok", "prompt": "x", "colour": "red"})]:
                bogus.append(text_of(await call(session, name, arguments, error=True)))
            summary["bogus"] = bogus
            try:
                await session.call_tool("no_such_tool", {})
                raise AssertionError("an unknown tool must be a protocol error")
            except MCPError as error:
                summary["unknownTool"] = error.error.code
            await session.send_ping()
            after = (await call(session, "task_status", {"id": task})).structured_content
            assert after["state"] == "succeeded"
    # The SDK's high-level Client in its default mode probes `server/discover` (the 2026 revision)
    # and falls back to the initialize handshake when the server does not know it.
    async with Client(params) as client:
        summary["autoVersion"] = client.protocol_version
        assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS
        assert not (await client.call_tool("list_profiles", {})).is_error
    print(json.dumps(summary))


asyncio.run(main())
