// The child-process runner's promises (issue 11): a run past its deadline is killed and fails with
// the output so far; a grandchild that keeps the output pipe open does not hang the runner; and a
// child inherits no descriptor beyond stdin, stdout and stderr (no pipe leaks into a sibling).
import Foundation
import Testing
import TokenloomTestSupport

@Suite struct TestSupportTests {
    @Test func aRunPastItsDeadlineIsKilledAndFailsWithItsOutput() throws {
        let t0 = Poll.now()
        do {
            _ = try CLIRunner.run(["-c", "echo started; echo warming up >&2; exec tail -f /dev/null"],
                                  executable: "/bin/bash", timeout: 1)
            Issue.record("the run did not time out")
        } catch let e as Subprocess.TimedOut {
            #expect(e.stdout == "started\n")
            #expect(e.stderr == "warming up\n")
            #expect("\(e)".contains("timed out after 1 s"))
            #expect(kill(e.pid, 0) != 0, "the child \(e.pid) is still alive")
        }
        #expect(Poll.now() - t0 < 10)
    }

    @Test func aGrandchildHoldingThePipeDoesNotHangTheRunner() throws {
        // The grandchild leaves the child's process group (setsid) and keeps stdout open for good.
        let t0 = Poll.now()
        let r = try CLIRunner.run(["-c", "setsid tail -f /dev/null & echo $!; echo done"], executable: "/bin/bash",
                                  timeout: 60)
        let lines = r.stdout.split(separator: "\n")
        if let pid = lines.first.flatMap({ pid_t($0) }) { kill(pid, SIGKILL) }
        #expect(r.status == 0)
        #expect(lines.last == "done")
        #expect(Poll.now() - t0 < 30, "the runner waited for a pipe only a grandchild held")
    }

    #if os(Linux)
    @Test func aChildInheritsOnlyItsStandardDescriptors() throws {
        // A pipe the test process holds without close-on-exec (as Foundation's Pipe makes them) must
        // not reach the child either.
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let r = try CLIRunner.run(["-c", "ls /proc/$$/fd; true"], executable: "/bin/bash")
        #expect(r.status == 0)
        #expect(r.stdout.split(separator: "\n").sorted() == ["0", "1", "2"], "open descriptors: \(r.stdout)")
    }
    #endif
}
