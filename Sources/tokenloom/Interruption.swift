// Interruption: SIGINT and SIGTERM during a headless run. The handler only records the signal; the
// run checks it between forward passes, prints what it has, removes partial files and exits with
// 128 + the signal number.
#if canImport(Glibc)
import Glibc
#endif
import TokenloomModels

/// The signal received, or 0. Written only by the handler, read between passes.
nonisolated(unsafe) var receivedSignal: sig_atomic_t = 0

enum Interruption {
    static func install() {
        for s in [SIGINT, SIGTERM] { signal(s) { receivedSignal = sig_atomic_t($0) } }
    }

    /// Throws `Interrupted` once a signal has arrived.
    static func check() throws {
        let s = receivedSignal
        if s != 0 { throw Interrupted(signal: Int32(s)) }
    }
}

struct Interrupted: UserFacingError {
    let signal: Int32
    /// What had been done ("after 12 tokens in 12 forward passes").
    var detail = ""
    var exitCode: Int32 { 128 + signal }
    var description: String {
        "interrupted by \(signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : signal == SIGHUP ? "SIGHUP" : "signal \(signal)")"
            + (detail.isEmpty ? "" : " " + detail)
    }
}
