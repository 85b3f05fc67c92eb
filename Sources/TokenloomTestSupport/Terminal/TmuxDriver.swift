// TmuxDriver: one private tmux server (its own socket, `tokenloom-<tag>-<pid>-<n>`) running a plain
// shell with a recognisable prompt, for tests that drive the built `tokenloom` in a real terminal.
// Waits are conditions on the screen with a deadline (`waitFor`), never fixed sleeps. `close()` (also
// run by deinit) kills the server and everything under it whatever the test's outcome: `kill-server`,
// then SIGKILL to whatever survives it (tmux servers were seen ignoring SIGTERM).
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class TmuxDriver {
    /// A wait that ran out: says what was awaited, and shows the last screen.
    public struct WaitTimedOut: Error, CustomStringConvertible {
        public let what: String
        public let seconds: Double
        public let screen: String
        public var description: String { "\(what) (not within \(seconds) s); last screen:\n\(screen)" }
    }

    public struct CommandFailed: Error, CustomStringConvertible {
        public let args: [String]
        public let status: Int32
        public let stderr: String
        public var description: String { "tmux \(args.joined(separator: " ")) failed (\(status)): \(stderr)" }
    }

    /// A screen that satisfied a wait, and how long the wait took.
    public struct Screen {
        public let text: String
        public let after: Double
    }

    public let socket: String
    public let session: String
    /// The server's pid, once started.
    public private(set) var serverPID: pid_t?
    private var closed = false

    private static let counter = NSLock()
    private nonisolated(unsafe) static var started = 0

    /// `tag` names the suite in the socket name (`tokenloom-<tag>-<pid>-<n>`).
    public init(tag: String, session: String = "t") {
        let n: Int = { Self.counter.lock(); defer { Self.counter.unlock() }; Self.started += 1; return Self.started }()
        socket = "\(ChildProcesses.socketPrefix)\(tag)\(ChildProcesses.runTag)\(n)"
        self.session = session
        ChildProcesses.driverStarted(socket: socket)
    }

    deinit { close() }

    /// Seconds one tmux client command may take.
    static let clientTimeout = 30.0

    /// Runs a tmux client command on this driver's socket (no config file); returns its stdout.
    /// `new-session` starts the server, which keeps the client's stdout and stderr: its output is
    /// discarded rather than piped, so that no pipe of ours stays open in the server.
    @discardableResult
    public func tmux(_ args: [String]) throws -> String {
        let out = try Subprocess.run(["tmux", "-L", socket, "-f", "/dev/null"] + args, timeout: Self.clientTimeout,
                                     track: false, discardOutput: args.first == "new-session")
        guard out.status == 0 else { throw CommandFailed(args: args, status: out.status, stderr: out.stderr) }
        return out.stdout
    }

    /// Whether tmux is installed.
    public static var available: Bool {
        ((try? Subprocess.run(["tmux", "-V"], timeout: clientTimeout, track: false))?.stdout.hasPrefix("tmux")) ?? false
    }

    /// Starts the server with one `width` x `height` window running `bash --norc` with the prompt
    /// `READY$ `, in an environment of TERM=xterm-256color, a UTF-8 locale, the model-cache variables
    /// and HOME of the test runner, no NO_COLOR or COLORTERM, and `env`.
    public func start(width: Int, height: Int, env extra: [String: String] = [:]) throws {
        var env = ["TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"]
        for k in ["TOKENLOOM_MODEL_DIR", "XDG_CACHE_HOME", "HOME"] {
            if let v = ProcessInfo.processInfo.environment[k] { env[k] = v }
        }
        for (k, v) in extra { env[k] = v }
        var cmd = ["new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(height)"]
        for (k, v) in env.sorted(by: { $0.key < $1.key }) { cmd += ["-e", "\(k)=\(v)"] }
        // The server inherits the runner's environment (SwiftPM may set NO_COLOR): the shell starts
        // without the colour variables unless `env` gives them.
        cmd += ["env"] + ["NO_COLOR", "COLORTERM"].filter { extra[$0] == nil }.flatMap { ["-u", $0] }
        cmd += ["PS1=READY$ ", "bash", "--norc", "--noprofile"]
        try tmux(cmd)
        if let pid = pid_t(try tmux(["display-message", "-p", "-t", session, "#{pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)) {
            serverPID = pid
            ChildProcesses.driverServer(socket: socket, pid: pid)
        }
    }

    public func send(_ keys: String...) throws { try tmux(["send-keys", "-t", session] + keys) }
    /// Types `text` literally, then Enter.
    public func type(_ text: String) throws { try tmux(["send-keys", "-t", session, "-l", text]); try send("Enter") }
    public func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", session]) }
    public func resize(_ w: Int, _ h: Int) throws { try tmux(["resize-window", "-t", session, "-x", "\(w)", "-y", "\(h)"]) }

    /// Polls the screen until `predicate` holds and returns it; throws `WaitTimedOut` with the last
    /// screen when `timeout` seconds pass first.
    @discardableResult
    public func waitFor(_ what: String, timeout: Double, _ predicate: (String) -> Bool) throws -> Screen {
        let t0 = Poll.now()
        var last = ""
        let ok = try Poll.until(timeout: timeout) { last = try screen(); return predicate(last) }
        guard ok else { throw WaitTimedOut(what: what, seconds: timeout, screen: last) }
        return Screen(text: last, after: Poll.now() - t0)
    }

    /// Kills the server and everything under it, and checks they are gone; idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        defer { ChildProcesses.driverFinished(socket: socket) }
        // Everything under the server (pane shells, the `tokenloom` in them) before the server goes:
        // once it is gone they would be reparented and could no longer be found from it.
        let table = ProcessTable.snapshot()
        var roots = Set(table.filter { Self.isServer($0, socket) }.map(\.pid))
        if let p = serverPID { roots.insert(p) }
        let tree = ProcessTable.descendants(of: roots, in: table).filter { !$0.isZombie }
        ChildProcesses.expectGone(tree, what: "tmux \(socket)")

        _ = try? Subprocess.run(["tmux", "-L", socket, "-f", "/dev/null", "kill-server"], timeout: 10, track: false)
        var left: [ProcessInfoRow] = []
        func survivors() -> [ProcessInfoRow] {
            let now = ProcessTable.snapshot().filter { !$0.isZombie }
            return tree.filter { t in now.contains { $0.pid == t.pid && $0.args == t.args } }
        }
        if !Poll.until(timeout: 5, interval: 0.05, { left = survivors(); return left.isEmpty }) {
            let leaders = Set(tree.map(\.pid))
            for row in left { kill(row.pid, SIGKILL) }
            for g in Set(left.map(\.pgid)) where leaders.contains(g) { ChildProcesses.killGroup(g) }
            FileHandle.standardError.write(Data("tmux \(socket): \(left.count) process(es) survived kill-server; sent SIGKILL: \(left.map { "\($0.pid) \($0.args)" })\n".utf8))
            if !Poll.until(timeout: 5, interval: 0.05, { left = survivors(); return left.isEmpty }) {
                ChildProcesses.report("tmux \(socket): still alive after SIGKILL: \(left.map { "\($0.pid) \($0.args)" })")
            }
        }
        let dir = ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp"
        unlink("\(dir)/tmux-\(getuid())/\(socket)")
    }

    /// A tmux process (server or client) on `socket`.
    static func isServer(_ row: ProcessInfoRow, _ socket: String) -> Bool {
        row.args.hasPrefix("tmux ") && (row.args.contains("-L \(socket) ") || row.args.hasSuffix("-L \(socket)"))
    }
}
