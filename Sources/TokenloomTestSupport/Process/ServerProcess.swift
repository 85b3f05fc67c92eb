// ServerProcess: a long-running child for the live-server tests (an inference server on loopback).
// Spawned like Subprocess's children (own process group, clean signal state, no inherited
// descriptors), its output goes to a log file in the test's temporary folder rather than to pipes,
// readiness is a condition with a deadline (the port accepts a connection), and `stop()` (also on
// deinit) ends the whole group: SIGTERM, then SIGKILL after a grace period, then reaps it.
import CTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class ServerProcess: @unchecked Sendable {
    public let pid: pid_t
    public let port: Int
    public let logPath: String
    private let record: ChildProcesses.Record
    private var stopped = false

    public struct NotReady: Error, CustomStringConvertible {
        public let what: String
        public let log: String
        public var description: String { "\(what) did not start listening; its log ends:\n\(log)" }
    }

    /// A port free right now on 127.0.0.1 (bound, read, released).
    public static func freePort() throws -> Int {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, len) == 0 && getsockname(probe, $0, &len) == 0 }
        }
        guard ok else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Starts `argv` (its output to `logPath`) and waits up to `timeout` seconds for `port` to accept.
    public init(_ argv: [String], port: Int, logPath: String, timeout: Double) throws {
        self.port = port; self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        _ = tl_spawn_actions_closefrom(&actions, 3)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty); sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, argv[0], &actions, &attr, cArgs, environ)
        guard rc == 0 else { throw Subprocess.SpawnFailed(command: argv, errno: rc) }
        pid = child
        record = ChildProcesses.started(pid: child, what: argv.joined(separator: " "))
        let ready = Poll.until(timeout: timeout, interval: 0.1) { [port] in
            if kill(child, 0) != 0 { return true }                 // exited: stop waiting
            return ServerProcess.accepts(port: port)
        }
        guard ready, ServerProcess.accepts(port: port) else {
            stop()
            throw NotReady(what: argv.prefix(4).joined(separator: " "), log: String(log.suffix(2000)))
        }
    }

    deinit { stop() }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    static func accepts(port: Int) -> Bool {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Ends the process group and reaps the child (SIGTERM, 5 s grace, SIGKILL).
    public func stop() {
        guard !stopped else { return }
        stopped = true
        kill(-pid, SIGTERM)
        var status: Int32 = 0
        let gone = Poll.until(timeout: 5, interval: 0.05) { waitpid(pid, &status, WNOHANG) == pid }
        if !gone {
            ChildProcesses.killGroup(pid)
            _ = Poll.until(timeout: 5, interval: 0.05) { waitpid(pid, &status, WNOHANG) == pid }
        }
        ChildProcesses.finished(record, pid: pid)
    }
}
