// CLIRunner: runs a built executable (`tokenloom` unless told otherwise) and captures its output,
// through Subprocess: close-on-exec pipes read concurrently, the child waited for, and a deadline
// that kills it and fails the test (the thrown error carries the output so far).
import Foundation

public struct CLIResult: Sendable {
    /// The exit status, or -1 when a signal ended the child (see `signal`).
    public let status: Int32
    public let signal: Int32?
    public let stdout: String
    public let stderr: String
}

public enum CLIRunner {
    /// The `tokenloom` executable built alongside the test bundle.
    public static var binary: String { TestBinaries.tokenloom }

    /// Seconds a run may take before it is killed and the test fails.
    public static let defaultTimeout = 120.0

    /// Runs `executable` (default: the built `tokenloom`) with `args`, the test runner's environment
    /// plus `environment`, and stdin from /dev/null.
    public static func run(_ args: [String], environment: [String: String] = [:], executable: String? = nil,
                           timeout: Double = defaultTimeout) throws -> CLIResult {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let out = try Subprocess.run([executable ?? binary] + args, environment: env, timeout: timeout)
        return CLIResult(status: out.status, signal: out.signal, stdout: out.stdout, stderr: out.stderr)
    }
}
