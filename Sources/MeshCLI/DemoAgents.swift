import Foundation
import MeshCore
import MeshRuntime

/// The demo's three profiles and the shell script that stands in for an agent CLI (`claude -p`,
/// `codex exec`, …), written into the demo's temporary directory with the node config that maps
/// each profile to it.
enum DemoAgents {
    /// One step of the relay: a profile, the output it declares, and how long its agent works.
    struct Stage {
        var profile: String
        var output: String
        var steps: Int
        var secondsPerStep: String
        var prompt: String
    }

    /// research → review → final. The review works longest: it is the one whose node is killed.
    static let stages = [
        Stage(profile: "research", output: "notes.md", steps: 3, secondsPerStep: "0.2",
              prompt: "Research: list what a hubless mesh of agent machines must guarantee."),
        Stage(profile: "review", output: "review.md", steps: 8, secondsPerStep: "0.4",
              prompt: "Review the attached research notes; flag anything unproven."),
        Stage(profile: "final", output: "report.md", steps: 3, secondsPerStep: "0.2",
              prompt: "Write the final report from the attached notes and review."),
    ]

    /// The index of the stage whose executing node the demo kills mid-task.
    static let killedStage = 1

    /// The stand-in agent: reads its prompt on stdin and its inbox, prints progress lines, writes
    /// its declared output into `$MESH_ARTIFACTS`. Arguments: role, output name, steps, seconds per step.
    static let script = #"""
    #!/bin/sh
    # A stand-in for an agent CLI, written by `mesh demo`. Arguments: role, output, steps, seconds per step.
    role=$1 output=$2 steps=$3 pause=$4
    prompt=$(cat)
    echo "[$role] attempt $MESH_ATTEMPT of task $MESH_TASK_ID starts in $PWD"
    echo "[$role] prompt: $(printf '%s\n' "$prompt" | head -n 1 | cut -c 1-70)"
    for file in "$MESH_INBOX"/*; do
      [ -f "$file" ] && echo "[$role] inbox: $(basename "$file") ($(wc -c < "$file") bytes)"
    done
    i=1
    while [ "$i" -le "$steps" ]; do
      echo "[$role] working: step $i of $steps"
      sleep "$pause"
      i=$((i + 1))
    done
    {
      echo "# $role (task $MESH_TASK_ID, attempt $MESH_ATTEMPT)"
      echo
      echo "$prompt"
      for file in "$MESH_INBOX"/*; do
        [ -f "$file" ] || continue
        case "$(basename "$file")" in prompt*) continue ;; esac
        echo
        echo "## built on $(basename "$file")"
        sed 's/^#/##/' "$file"
      done
    } > "$MESH_ARTIFACTS/$output"
    echo "[$role] wrote $output ($(wc -c < "$MESH_ARTIFACTS/$output") bytes)"

    """#

    /// Writes `agent.sh` and `node.json` (the profiles) into `directory`; returns the config's path.
    static func write(into directory: String) throws -> String {
        let scriptPath = directory + "/agent.sh"
        try Files.writeAtomically(scriptPath, Array(script.utf8), mode: 0o755)
        let profiles: [JSONValue] = stages.map { stage in
            .object([("name", .string(stage.profile)),
                     ("command", .array(["/bin/sh", scriptPath, stage.profile, stage.output, String(stage.steps), stage.secondsPerStep]
                        .map { .string($0) })),
                     ("slots", .integer(2)), ("expect", .array([.string(stage.output)])), ("cancelGrace", .string("500ms"))])
        }
        let config = JSONValue.object([("profiles", .array(profiles))])
        let configPath = directory + "/node.json"
        try Files.writeAtomically(configPath, Array(config.serialized(pretty: true).utf8), mode: 0o644)
        return configPath
    }
}
