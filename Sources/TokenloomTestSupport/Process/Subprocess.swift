// Subprocess: the one way tests start a child process. posix_spawn with
//  - stdin from /dev/null, stdout and stderr into pipes made close-on-exec (pipe2 O_CLOEXEC), and every
//    other descriptor closed in the child, so no pipe end leaks into a sibling child (a tmux server
//    started by a concurrent test kept a CLIRunner pipe open, and that reader waited for EOF forever);
//  - an empty signal mask and default signal actions (a child that inherits the test runner's blocked
//    signals, as Foundation's Process leaves them, gives a tmux server that never finishes starting);
//  - its own process group, so a timeout can kill the child and everything it started.
// Both pipes are read concurrently (poll) while the child runs; the child is waited for; a deadline
// kills the group and throws with the output so far. Reading stops shortly after the child has exited
// even if a grandchild still holds a write end.
import CTestSupport
import Foundation
import TokenloomKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Subprocess {
    public struct Output: Sendable {
        /// The exit status, or -1 when a signal ended the child.
        public var status: Int32
        /// The signal that ended the child, if one did.
        public var signal: Int32?
        public var stdout: String
        public var stderr: String
    }

    /// The child ran past its deadline: it and its process group were killed.
    public struct TimedOut: Error, CustomStringConvertible {
        public let command: [String]
        public let pid: pid_t
        public let seconds: Double
        public let stdout: String
        public let stderr: String
        public var description: String {
            "timed out after \(Int(seconds)) s (killed): \(command.joined(separator: " "))\n"
                + "--- stdout so far ---\n\(stdout)\n--- stderr so far ---\n\(stderr)"
        }
    }

    public struct SpawnFailed: Error, CustomStringConvertible {
        public let command: [String]
        public let errno: Int32
        public var description: String { "cannot start \(command.first ?? "?"): \(String(cString: strerror(errno)))" }
    }

    /// How long to keep reading after the child exited, for output still in flight.
    static let drainAfterExit = 2.0

    /// Runs `argv` (a path, or a name looked up on PATH) to completion. `environment` replaces the
    /// child's whole environment when given. `track` registers the child for the leak check
    /// (`ChildProcesses.leftovers`); helper tools (tmux clients, ps) are not tracked. `discardOutput`
    /// sends stdout and stderr to /dev/null instead of pipes, for a child that starts a daemon which
    /// keeps its descriptors (a tmux client starting the server): no pipe of ours outlives the call.
    public static func run(_ argv: [String], environment: [String: String]? = nil, timeout: Double,
                           track: Bool = true, discardOutput: Bool = false) throws -> Output {
        precondition(!argv.isEmpty)
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard tl_pipe_cloexec(&outPipe) == 0 else { throw SpawnFailed(command: argv, errno: errno) }
        guard tl_pipe_cloexec(&errPipe) == 0 else {
            let e = errno; close(outPipe[0]); close(outPipe[1]); throw SpawnFailed(command: argv, errno: e)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if discardOutput {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        } else {
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        }
        _ = tl_spawn_actions_closefrom(&actions, 3)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setpgroup(&attr, 0)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)
        #if canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #endif
        posix_spawnattr_setflags(&attr, Int16(flags))

        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var cEnv: [UnsafeMutablePointer<CChar>?] = []
        if let environment { cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { for e in cEnv { free(e) } }

        var pid: pid_t = 0
        let rc: Int32 = cEnv.isEmpty
            ? (argv[0].contains("/") ? posix_spawn(&pid, argv[0], &actions, &attr, cArgs, environ)
                                     : posix_spawnp(&pid, argv[0], &actions, &attr, cArgs, environ))
            : cEnv.withUnsafeBufferPointer { env in
                let envp = UnsafeMutablePointer(mutating: env.baseAddress!)
                return argv[0].contains("/") ? posix_spawn(&pid, argv[0], &actions, &attr, cArgs, envp)
                                             : posix_spawnp(&pid, argv[0], &actions, &attr, cArgs, envp)
            }
        close(outPipe[1]); close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw SpawnFailed(command: argv, errno: rc)
        }
        let record = track ? ChildProcesses.started(pid: pid, what: argv.joined(separator: " ")) : nil

        var out: [UInt8] = [], err: [UInt8] = []
        var fds = [pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0),
                   pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)]
        defer { close(outPipe[0]); close(errPipe[0]) }
        let deadline = Poll.now() + timeout
        var exitedAt: Double?
        var waitStatus: Int32 = 0
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 1 << 16)

        func reap(block: Bool) -> Bool {
            while true {
                let r = waitpid(pid, &waitStatus, block ? 0 : WNOHANG)
                if r == pid { return true }
                if r < 0 && errno == EINTR { continue }
                return false
            }
        }

        while true {
            if exitedAt == nil, reap(block: false) { exitedAt = Poll.now() }
            let open = fds.contains { $0.fd >= 0 }
            let now = Poll.now()
            if let t = exitedAt, !open || now - t > drainAfterExit { break }
            if exitedAt == nil && now > deadline {
                timedOut = true
                ChildProcesses.killGroup(pid)
                _ = reap(block: true)
                exitedAt = Poll.now()
                // Take what is already in the pipes, without waiting for writers that may never close.
                for i in fds.indices where fds[i].fd >= 0 {
                    var pfd = pollfd(fd: fds[i].fd, events: Int16(POLLIN), revents: 0)
                    while poll(&pfd, 1, 0) > 0 {
                        let n = read(fds[i].fd, &buffer, buffer.count)
                        if n <= 0 { break }
                        if i == 0 { out += buffer[0..<n] } else { err += buffer[0..<n] }
                    }
                }
                break
            }
            let waitMs = Int32(max(1, min(0.05, (exitedAt.map { $0 + drainAfterExit } ?? deadline) - now) * 1000))
            let ready = poll(&fds, nfds_t(fds.count), waitMs)
            if ready < 0 && errno != EINTR { break }
            guard ready > 0 else { continue }
            for i in fds.indices where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = read(fds[i].fd, &buffer, buffer.count)
                if n > 0 {
                    if i == 0 { out += buffer[0..<n] } else { err += buffer[0..<n] }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    fds[i].fd = -1   // EOF (poll ignores negative descriptors); closed by the defer above
                }
            }
        }
        if exitedAt == nil { _ = reap(block: true) }
        if let record { ChildProcesses.finished(record, pid: pid) }

        let stdout = String(decoding: out, as: UTF8.self), stderr = String(decoding: err, as: UTF8.self)
        if timedOut { throw TimedOut(command: argv, pid: pid, seconds: timeout, stdout: stdout, stderr: stderr) }
        let signalled = (waitStatus & 0x7f) != 0 && (waitStatus & 0x7f) != 0x7f
        return Output(status: signalled ? -1 : (waitStatus >> 8) & 0xff,
                      signal: signalled ? waitStatus & 0x7f : nil, stdout: stdout, stderr: stderr)
    }
}

/// A monotonic clock in seconds, and polling a condition against a deadline.
public enum Poll {
    public static func now() -> Double { MonotonicClock.seconds() }

    /// Checks `condition` every `interval` seconds until it holds (true) or `timeout` passes (false).
    @discardableResult
    public static func until(timeout: Double, interval: Double = 0.02, _ condition: () throws -> Bool) rethrows -> Bool {
        let end = now() + timeout
        while true {
            if try condition() { return true }
            if now() >= end { return false }
            var ts = timespec(tv_sec: 0, tv_nsec: Int(min(interval, max(0.001, end - now())) * 1e9))
            var rest = timespec()
            while nanosleep(&ts, &rest) != 0 && errno == EINTR { ts = rest }
        }
    }
}
