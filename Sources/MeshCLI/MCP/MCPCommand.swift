import Foundation
import Glibc
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let mcpCommand = Command(
        name: "mcp", summary: "serve the mesh's tools to an MCP client (Claude Code, Cursor, …) over stdio",
        usage: "mcp [--http ADDR:PORT] [--token-file FILE]",
        options: clientOptions) { arguments in
        try expectNoArguments(arguments, command: "mcp")
        let client = try controlClient(arguments)
        signal(SIGPIPE, SIG_IGN)   // a client that goes away ends the session through a failed write
        let output = MCPOutput(fd: STDOUT_FILENO)
        let server = MCPServer(toolbox: MeshTools(client: client)) { output.write($0) }
        printError("mcp: serving \(MeshTools.catalog.count) tools on stdio for the node at \(client.endpoint)")
        return serve(server, input: STDIN_FILENO, output: output)
    }

    /// Reads messages from `input` until it ends (the client closed it) or `output` fails.
    static func serve(_ server: MCPServer, input: Int32, output: MCPOutput) -> Int32 {
        var reader = MCPLineReader()
        var buffer = Bytes(repeating: 0, count: 64 * 1024)
        while !output.hasFailed {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 {
                printError("mcp: cannot read standard input: \(SystemError(call: "read", code: errno).reason)")
                return 1
            }
            if count == 0 {
                for event in reader.finish() { server.receive(event) }
                let left = server.finish()
                if left > 0 { printError("mcp: input ended; \(left) tool calls still running are abandoned") }
                return 0
            }
            for event in reader.feed(Array(buffer[0..<count])) { server.receive(event) }
        }
        printError("mcp: standard output is closed; ending the session")
        return 1
    }
}

/// Writes whole messages to the client, one line each, one at a time (tool calls answer from
/// their own threads).
final class MCPOutput: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private var failed = false

    init(fd: Int32) { self.fd = fd }

    /// True once a write failed (the client is gone).
    var hasFailed: Bool { lock.withLock { failed } }

    /// Writes `message` and a newline; gives up for good at the first failure.
    func write(_ message: JSONValue) {
        let bytes = Array((message.serialized() + "\n").utf8)
        lock.withLock {
            guard !failed else { return }
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { failed = true; return }
                offset += written
            }
        }
    }
}
