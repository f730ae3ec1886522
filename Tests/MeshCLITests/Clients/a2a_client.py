"""The a2a-sdk Python client, with the SDK's defaults, against real mesh nodes (issue 13, A2A).

Usage: a2a_client.py --first URL --second URL --skill NAME [--slow-skill NAME] [--artifact NAME --artifact-text TEXT]
       [--file-skill NAME --file NAME --file-text TEXT]

1. Resolves the agent card of the first node (A2ACardResolver) and checks that both skills are on it.
2. Builds a client with ClientFactory(ClientConfig()) (streaming, JSON-RPC, httpx's default 5 s
   read timeout), sends a streaming message naming --skill, and reads updates until the task is
   completed; the agent stays silent for longer than that timeout first, so the stream must keep
   itself alive. With --artifact, the artifact must arrive (an artifact update, or in the task);
   with --artifact-text too, its link must serve those bytes.
   Meanwhile a non-streaming client (ClientConfig(streaming=False)) sends the same kind of message
   through the second node and must get the task back completed, after the same silence.
   Once it works, a SubscribeToTask stream through the second node follows it to completed too.
3. Gets the same task through the second node's card and client.
4. With --slow-skill, sends a second streaming message naming it; once it works, subscribes to it through
   the second node (SubscribeToTask) and cancels it through the first; both streams must end
   canceled, and GetTask through the second node must say so.

5. With --file-skill, sends a non-streaming message naming it with a file part (--file, its bytes
   --file-text) through the second node; the task must complete, and its artifact `seen.txt` (the
   agent's copy of inbox/<file>) must carry those bytes (its sha256, and its link's body).

Prints one JSON line with what it saw; exits 0 when every check held, 1 with the reason otherwise.
"""

import argparse
import asyncio
import json
import sys
import time
import uuid

import httpx

from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.types import (
    CancelTaskRequest,
    GetTaskRequest,
    Message,
    Part,
    Role,
    SendMessageRequest,
    SubscribeToTaskRequest,
    TaskState,
)


class Failed(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failed(what)


def message(text, skill):
    msg = Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=[Part(text=text)])
    msg.metadata.update({"skill": skill})
    return SendMessageRequest(message=msg)


async def card_of(url):
    async with httpx.AsyncClient() as http:
        return await A2ACardResolver(http, url).get_agent_card()


async def stream_to_end(client, request, on_event=None):
    """Every StreamResponse of a streaming send, with its arrival time."""
    events = []
    async for event in client.send_message(request):
        events.append((time.monotonic(), event))
        if on_event is not None:
            await on_event(event)
    return events


async def collect(stream):
    """Every StreamResponse of a stream, with its arrival time."""
    return [(time.monotonic(), event) async for event in stream]


def state_name(state):
    return TaskState.Name(state)


def task_id_of(events):
    for _, event in events:
        if event.HasField("task"):
            return event.task.id
        if event.HasField("status_update"):
            return event.status_update.task_id
    raise Failed("the stream carried no task id")


def states_of(events):
    states = []
    for _, event in events:
        if event.HasField("task"):
            states.append(state_name(event.task.status.state))
        elif event.HasField("status_update"):
            states.append(state_name(event.status_update.status.state))
    return states


def artifacts_of(events):
    found = []
    for _, event in events:
        if event.HasField("artifact_update"):
            found.append(event.artifact_update.artifact)
        elif event.HasField("task"):
            found.extend(event.task.artifacts)
    return found


async def run(args, report):
    first_card = await card_of(args.first)
    skills = {skill.id: list(skill.tags) for skill in first_card.skills}
    check(args.skill in skills and (args.slow_skill is None or args.slow_skill in skills), f"skills on the card: {skills}")
    check(first_card.capabilities.streaming, "the card does not say streaming")
    report["skills"] = skills
    report["endpoint"] = first_card.supported_interfaces[0].url

    factory = ClientFactory(ClientConfig())
    client = factory.create(first_card)
    second_card = await card_of(args.second)
    # Meanwhile, a non-streaming client (same defaults otherwise) waits on the second node for a
    # task of the same silent skill: its answer must outlast the read timeout too.
    blocking = ClientFactory(ClientConfig(streaming=False)).create(second_card)
    waited = asyncio.create_task(stream_to_end(blocking, message("think, and answer when done", args.skill)))
    other = factory.create(second_card)
    followed = {}

    async def follow_when_working(event):
        # Once the task works, a SubscribeToTask stream through the second node follows it too.
        if not followed and event.HasField("status_update") and event.status_update.status.state == TaskState.TASK_STATE_WORKING:
            followed["task"] = asyncio.create_task(collect(other.subscribe(SubscribeToTaskRequest(id=event.status_update.task_id))))

    started = time.monotonic()
    events = await stream_to_end(client, message("think quietly, then answer", args.skill), follow_when_working)
    task_id = task_id_of(events)
    states = states_of(events)
    gaps = [later - earlier for (earlier, _), (later, _) in zip([(started, None)] + events, events)]
    report.update(task=task_id, states=states, events=len(events), longest_silence=round(max(gaps), 2))
    check(events[0][1].HasField("task"), "the first event is not the task")
    check(states[0] == "TASK_STATE_SUBMITTED", f"first state {states[0]}")
    check("TASK_STATE_WORKING" in states, f"no working update in {states}")
    check(states[-1] == "TASK_STATE_COMPLETED", f"the stream ended in {states[-1]}, states {states}")
    check(max(gaps) > 5, f"no silence longer than httpx's 5 s read timeout (longest {max(gaps):.1f} s): the test proves nothing")

    if args.artifact:
        artifacts = [a for a in artifacts_of(events) if a.name == args.artifact]
        check(artifacts, f"no artifact named {args.artifact}: {[a.name for a in artifacts_of(events)]}")
        url = artifacts[0].parts[0].url
        report["artifact"] = {"name": args.artifact, "url": url, "sha256": artifacts[0].metadata["sha256"]}
        if args.artifact_text is not None:
            async with httpx.AsyncClient() as http:
                body = (await http.get(url)).text
            check(body == args.artifact_text, f"the artifact link {url} served {body!r}")

    answered = await waited
    blocking_state = state_name(answered[-1][1].task.status.state)
    report["blocking"] = {"state": blocking_state, "seconds": round(answered[-1][0] - started, 2)}
    check(blocking_state == "TASK_STATE_COMPLETED", f"the non-streaming send answered {blocking_state}")
    await blocking.close()

    subscription_states = states_of(await followed["task"]) if followed else []
    report["subscription"] = subscription_states
    check(subscription_states[-1:] == ["TASK_STATE_COMPLETED"], f"the subscription through the second node: {subscription_states}")

    seen = await other.get_task(GetTaskRequest(id=task_id))
    check(seen.id == task_id, f"the second node returned task {seen.id}")
    check(state_name(seen.status.state) == "TASK_STATE_COMPLETED", f"through the second node: {state_name(seen.status.state)}")
    report["second_node"] = {"endpoint": second_card.supported_interfaces[0].url, "state": state_name(seen.status.state)}

    if args.slow_skill is not None:
        await cancel_phase(args, client, other, report)
    if args.file_skill is not None:
        await file_phase(args, second_card, report)
    await client.close()
    await other.close()


async def cancel_phase(args, client, other, report):
    """A task of the slow skill, followed through the second node, cancelled through the first."""
    cancel_answer = {}
    subscribed = {}

    async def subscription(task_id, ready):
        events = []
        async for event in other.subscribe(SubscribeToTaskRequest(id=task_id)):
            events.append((time.monotonic(), event))
            ready.set()
        return events

    async def cancel_when_working(event):
        if cancel_answer or not event.HasField("status_update"):
            return
        if event.status_update.status.state == TaskState.TASK_STATE_WORKING:
            # Subscribe through the second node first, then cancel through the first.
            ready = asyncio.Event()
            subscribed["task"] = asyncio.create_task(subscription(event.status_update.task_id, ready))
            await asyncio.wait_for(ready.wait(), 10)
            answer = await client.cancel_task(CancelTaskRequest(id=event.status_update.task_id))
            cancel_answer["state"] = state_name(answer.status.state)

    slow_events = await stream_to_end(client, message("work until cancelled", args.slow_skill), cancel_when_working)
    slow_id = task_id_of(slow_events)
    slow_states = states_of(slow_events)
    final = await other.get_task(GetTaskRequest(id=slow_id))
    subscription_states = states_of(await subscribed["task"]) if subscribed else []
    report["cancel"] = {"task": slow_id, "answer": cancel_answer.get("state"), "states": slow_states,
                        "subscription": subscription_states, "final": state_name(final.status.state)}
    check(cancel_answer, f"the slow task never reported working: {slow_states}")
    check(slow_states[-1] == "TASK_STATE_CANCELED", f"the cancelled stream ended in {slow_states[-1]}")
    check(subscription_states[-1:] == ["TASK_STATE_CANCELED"], f"the subscription through the second node: {subscription_states}")
    check(state_name(final.status.state) == "TASK_STATE_CANCELED", f"GetTask after cancel: {state_name(final.status.state)}")


async def file_phase(args, card, report):
    """A message with a file part: the agent finds it in its inbox and copies it to an artifact."""
    msg = Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()),
                  parts=[Part(text="copy the file"), Part(raw=args.file_text.encode(), filename=args.file, media_type="text/plain")])
    msg.metadata.update({"skill": args.file_skill})
    client = ClientFactory(ClientConfig(streaming=False)).create(card)
    answered = await stream_to_end(client, SendMessageRequest(message=msg))
    await client.close()
    task = answered[-1][1].task
    seen = [a for a in task.artifacts if a.name == "seen.txt"]
    report["file"] = {"state": state_name(task.status.state), "artifacts": [a.name for a in task.artifacts]}
    check(state_name(task.status.state) == "TASK_STATE_COMPLETED", f"the file task ended {state_name(task.status.state)}")
    check(seen, f"no artifact seen.txt: {report['file']['artifacts']}")
    report["file"]["sha256"] = seen[0].metadata["sha256"]
    async with httpx.AsyncClient() as http:
        body = (await http.get(seen[0].parts[0].url)).text
    check(body == args.file_text, f"the agent saw {body!r} in its inbox")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", required=True)
    parser.add_argument("--second", required=True)
    parser.add_argument("--skill", required=True)
    parser.add_argument("--slow-skill")
    parser.add_argument("--artifact")
    parser.add_argument("--artifact-text", help="fetch the artifact's link and compare its bytes with this")
    parser.add_argument("--file-skill", help="send a message with a file part to this skill")
    parser.add_argument("--file", default="note.txt", help="the file part's name")
    parser.add_argument("--file-text", default="a note for the agent", help="the file part's bytes")
    args = parser.parse_args()
    report = {}
    try:
        asyncio.run(run(args, report))
    except Failed as failure:
        print(json.dumps({"ok": False, "failure": str(failure), **report}))
        return 1
    except Exception as error:  # an SDK error (A2AClientError, TaskNotCancelableError, ...) is a failure too
        print(json.dumps({"ok": False, "failure": f"{type(error).__name__}: {error}", **report}))
        return 1
    print(json.dumps({"ok": True, **report}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
