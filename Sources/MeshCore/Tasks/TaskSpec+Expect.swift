/// Declared outputs (issue 10 §3): names the task promises in `artifacts/`.
extension TaskSpec {
    /// Why `expect` breaks a rule, or nil: at most `expectedOutputsMax` names, each a file name by
    /// `TaskFile.nameError`, no name twice, at most `expectedOutputsBytesMax` bytes in all.
    func expectError() -> TaskFieldError? {
        if expect.count > TaskLimits.expectedOutputsMax {
            return TaskFieldError("expect", "at most \(TaskLimits.expectedOutputsMax) declared outputs")
        }
        for (index, name) in expect.enumerated() {
            if let problem = TaskFile.nameError(name) { return TaskFieldError("expect", "'\(TaskEvent.cut(name, to: 64))': \(problem)") }
            if expect[..<index].contains(name) { return TaskFieldError("expect", "'\(name)' is declared twice") }
        }
        if expect.reduce(0, { $0 + $1.utf8.count }) > TaskLimits.expectedOutputsBytesMax {
            return TaskFieldError("expect", "the declared output names must total at most \(TaskLimits.expectedOutputsBytesMax) bytes")
        }
        return nil
    }

    /// The declared outputs (of the task, then of `extra`, e.g. its profile's) that `artifacts`
    /// lacks, in that order, each once.
    public func missingOutputs(in artifacts: [TaskFile], extra: [String] = []) -> [String] {
        var missing: [String] = []
        for name in expect + extra where !missing.contains(name) && !artifacts.contains(where: { $0.name == name }) {
            missing.append(name)
        }
        return missing
    }
}
