// ChildProcesses: every process the test support starts (runner children; tmux servers and what runs
// in their panes), what became of it, and the leak check that the terminal suites run last.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One row of the process table.
public struct ProcessInfoRow: Sendable, Equatable {
    public let pid: pid_t, ppid: pid_t, pgid: pid_t
    public let state: String
    public let args: String
    public var isZombie: Bool { state.hasPrefix("Z") }
}

public enum ProcessTable {
    /// Every process on the machine, with full command lines: from /proc where there is one (no
    /// dependency on procps), else from `ps -A`.
    public static func snapshot() -> [ProcessInfoRow] {
        #if os(Linux)
        return fromProc()
        #else
        return fromPS()
        #endif
    }

    static func fromProc() -> [ProcessInfoRow] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { name -> ProcessInfoRow? in
            guard let pid = pid_t(name),
                  let stat = FileManager.default.contents(atPath: "/proc/\(name)/stat").map({ String(decoding: $0, as: UTF8.self) }),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
            // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ")".
            let f = stat[stat.index(after: close)...].split(separator: " ")
            guard f.count >= 3, let ppid = pid_t(f[1]), let pgid = pid_t(f[2]) else { return nil }
            let cmdline = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") ?? Data()
            var args = String(decoding: cmdline, as: UTF8.self).split(separator: "\0").joined(separator: " ")
            if args.isEmpty { args = "[" + stat[stat.index(after: open)..<close] + "]" }
            return ProcessInfoRow(pid: pid, ppid: ppid, pgid: pgid, state: String(f[0]), args: args)
        }
    }

    static func fromPS() -> [ProcessInfoRow] {
        guard let out = try? Subprocess.run(["ps", "-A", "-ww", "-o", "pid=,ppid=,pgid=,stat=,args="],
                                            timeout: 30, track: false), out.status == 0 else { return [] }
        return out.stdout.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: true)
            guard f.count >= 4, let pid = pid_t(f[0]), let ppid = pid_t(f[1]), let pgid = pid_t(f[2]) else { return nil }
            return ProcessInfoRow(pid: pid, ppid: ppid, pgid: pgid, state: String(f[3]), args: f.count > 4 ? String(f[4]) : "")
        }
    }

    /// `roots` and everything below them (by parent pid) in `table`.
    public static func descendants(of roots: Set<pid_t>, in table: [ProcessInfoRow]) -> [ProcessInfoRow] {
        var found = roots
        var grew = true
        while grew {
            grew = false
            for row in table where !found.contains(row.pid) && found.contains(row.ppid) { found.insert(row.pid); grew = true }
        }
        return table.filter { found.contains($0.pid) }
    }
}

public enum ChildProcesses {
    public struct Record: Sendable {
        public let id: Int
        public let pid: pid_t
        public let what: String
    }

    private static let lock = NSLock()
    private static var nextID = 0
    private static var running: [Int: Record] = [:]
    /// Processes that must be gone (pid with the command line it had, so a reused pid is not mistaken).
    private static var mustBeGone: [(pid: pid_t, args: String, what: String)] = []
    /// Things teardown had to force, or could not end; each one fails the leak check.
    private static var incidents: [String] = []
    /// tmux sockets of drivers not yet torn down, and their server pids once known.
    private static var liveSockets: Set<String> = []
    private static var liveServers: [String: pid_t] = [:]

    private static func locked<T>(_ body: () -> T) -> T { lock.lock(); defer { lock.unlock() }; return body() }

    static func started(pid: pid_t, what: String) -> Record {
        locked {
            nextID += 1
            let r = Record(id: nextID, pid: pid, what: what)
            running[r.id] = r
            return r
        }
    }

    /// The child has been reaped. Its process group must be empty now: anything still in it was left
    /// behind by the child; it is killed and reported.
    static func finished(_ record: Record, pid: pid_t) {
        if kill(-pid, 0) == 0 {
            killGroup(pid)
            report("\(record.what): left processes behind in its group \(pid) (killed)")
        }
        _ = locked { running.removeValue(forKey: record.id) }
    }

    /// SIGKILL to the process group `pgid` and to its leader; never to the test runner's own group.
    static func killGroup(_ pgid: pid_t) {
        guard pgid > 1, pgid != getpgrp() else { return }
        kill(-pgid, SIGKILL)
        kill(pgid, SIGKILL)
    }

    static func report(_ incident: String) { locked { incidents.append(incident) } }

    static func expectGone(_ rows: [ProcessInfoRow], what: String) {
        locked { mustBeGone += rows.map { ($0.pid, $0.args, what) } }
    }

    static func driverStarted(socket: String) { _ = locked { liveSockets.insert(socket) } }
    static func driverServer(socket: String, pid: pid_t) { locked { liveServers[socket] = pid } }
    static func driverFinished(socket: String) { locked { liveSockets.remove(socket); liveServers[socket] = nil } }

    /// The socket name prefix of every tmux server this test process starts.
    public static var socketPrefix: String { "tokenloom-" }
    /// Marks this test process in socket names, so a leak check sees only its own servers.
    static var runTag: String { "-\(getpid())-" }

    /// What the suite started and should have ended but is still alive, one line each; empty when clean.
    /// Looks at: processes recorded at teardown (tmux servers, pane shells, `tokenloom` in panes);
    /// incidents (groups left behind by a runner child, servers that needed SIGKILL); any tmux server
    /// on one of this run's `tokenloom-` sockets whose driver is gone (as `pgrep -f 'tmux -L tokenloom'`
    /// would show it); and any process running the built `tokenloom` that no run in flight or live
    /// tmux server accounts for.
    public static func leftovers() -> [String] {
        let table = ProcessTable.snapshot()
        let (gone, reported, inFlight, live, servers) = locked {
            (mustBeGone, incidents, Array(running.values), liveSockets, Array(liveServers.values))
        }
        var found = reported
        let alive = Dictionary(table.filter { !$0.isZombie }.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
        for g in gone {
            if let row = alive[g.pid], row.args == g.args { found.append("\(g.what): pid \(g.pid) still alive: \(g.args)") }
        }
        // tmux servers of this run that no live driver owns.
        for row in alive.values where row.args.contains("tmux") && row.args.contains("-L \(socketPrefix)")
            && row.args.contains(runTag) {
            let socket = row.args.components(separatedBy: "-L ").dropFirst().first?.split(separator: " ").first.map(String.init) ?? ""
            if !live.contains(socket) { found.append("tmux server on socket \(socket) still alive: pid \(row.pid) \(row.args)") }
        }
        // The built tokenloom, not under a run in flight or a live driver's server.
        let binary = TestBinaries.tokenloom
        let accounted = Set(ProcessTable.descendants(of: Set(inFlight.map { $0.pid } + servers),
                                                     in: table).map { $0.pid })
        let me = getpid()
        for row in alive.values where row.pid != me && !accounted.contains(row.pid)
            && (row.args == binary || row.args.hasPrefix(binary + " ")) {
            found.append("tokenloom process pid \(row.pid) (parent \(row.ppid)) still alive: \(row.args)")
        }
        return found.sorted()
    }
}
