import Foundation

/// A user's mistake on the command line: printed as one line, exit status 2.
public struct UsageError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The options one command accepts, for parsing and for its `--help` text.
public struct OptionSpec: Sendable {
    public enum Kind: Sendable { case flag, value, repeated }
    public var name: String
    public var kind: Kind
    public var placeholder: String
    public var help: String

    public static func flag(_ name: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .flag, placeholder: "", help: help)
    }
    public static func value(_ name: String, _ placeholder: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .value, placeholder: placeholder, help: help)
    }
    public static func repeated(_ name: String, _ placeholder: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .repeated, placeholder: placeholder, help: help)
    }
}

/// Parsed command-line arguments: `--name value`, `--name=value`, boolean `--flag`, repeated
/// options and positionals. Unknown options are an error that names the option.
public struct ParsedArguments {
    public private(set) var values: [String: [String]] = [:]
    public private(set) var flags: Set<String> = []
    public private(set) var positionals: [String] = []

    public init(_ arguments: [String], specs: [OptionSpec]) throws(UsageError) {
        var i = 0
        var onlyPositionals = false
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            if onlyPositionals || !argument.hasPrefix("-") || argument == "-" {
                positionals.append(argument)
                continue
            }
            if argument == "--" { onlyPositionals = true; continue }
            var name = String(argument.drop(while: { $0 == "-" }))
            var inlineValue: String?
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if name == "help" || argument == "-h" { flags.insert("help"); continue }
            guard let spec = specs.first(where: { $0.name == name }) else {
                throw UsageError("unknown option '\(argument)' (see --help)")
            }
            switch spec.kind {
            case .flag:
                guard inlineValue == nil else { throw UsageError("--\(name) takes no value") }
                flags.insert(name)
            case .value, .repeated:
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard i < arguments.count else { throw UsageError("--\(name) needs a value (\(spec.placeholder))") }
                    value = arguments[i]
                    i += 1
                }
                if spec.kind == .value && values[name] != nil {
                    throw UsageError("--\(name) given twice")
                }
                values[name, default: []].append(value)
            }
        }
    }

    public func has(_ flag: String) -> Bool { flags.contains(flag) }
    public func value(_ name: String) -> String? { values[name]?.last }
    public func all(_ name: String) -> [String] { values[name] ?? [] }

    /// An integer option within `range`, or a usage error that says what is allowed.
    public func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard let text = value(name) else { return fallback }
        guard let n = Int(text), range.contains(n) else {
            throw UsageError("--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound) (got '\(text)')")
        }
        return n
    }
}

/// One subcommand of `mesh`.
public struct Command: Sendable {
    public var name: String
    public var summary: String
    public var usage: String
    public var options: [OptionSpec]
    public var run: @Sendable (ParsedArguments) throws -> Int32

    public init(name: String, summary: String, usage: String, options: [OptionSpec],
                run: @escaping @Sendable (ParsedArguments) throws -> Int32) {
        self.name = name; self.summary = summary; self.usage = usage; self.options = options; self.run = run
    }

    /// The usage line: `usage` as written, then every option it does not mention (in place of a
    /// `[options]` placeholder, or at the end), so the line lists every option the command accepts.
    public var usageLine: String {
        let mentioned = Set(usage.split(whereSeparator: { " []|.".contains($0) }).map(String.init))
        let missing = options.filter { !mentioned.contains("--" + $0.name) }.map { "[\(optionLabel($0))]" }
        let written = usage.replacingOccurrences(of: " [options]", with: "")
        return (["mesh " + written] + missing).joined(separator: " ")
    }

    /// The `--help` text.
    public var helpText: String {
        var lines = ["usage: \(usageLine)", "", summary]
        if !options.isEmpty {
            lines.append("")
            lines.append("options:")
            let width = options.map { optionLabel($0).count }.max() ?? 0
            for option in options {
                let label = optionLabel(option)
                lines.append("  " + label + String(repeating: " ", count: width - label.count + 2) + option.help)
            }
        }
        lines.append("  --help" + String(repeating: " ", count: max(2, (options.map { optionLabel($0).count }.max() ?? 6) - 4)) + "show this help")
        return lines.joined(separator: "\n")
    }

    func optionLabel(_ option: OptionSpec) -> String {
        option.kind == .flag ? "--\(option.name)" : "--\(option.name) \(option.placeholder)"
    }
}
