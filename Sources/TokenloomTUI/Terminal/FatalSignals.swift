// FatalSignals: what happens on SIGBUS, SIGSEGV, SIGILL and SIGABRT. While the explorer holds the
// terminal, the handler first puts it back (saved termios, main screen, mouse off, cursor on); then
// SIGBUS, which means a mapped model file shrank under us, ends the process with one line and exit
// 1, and the others go on to the handler that was there before (the Swift runtime's backtracer, or
// the default action): a fault repeats when the handler returns, an abort is raised again.
// Only async-signal-safe calls here.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The tty's settings from before curses changed them, and whether they are to be restored.
nonisolated(unsafe) private var savedTermios = termios()
nonisolated(unsafe) private var terminalHeld: sig_atomic_t = 0
/// The handlers that were installed before ours, by signal number.
nonisolated(unsafe) private let previous: UnsafeMutablePointer<sigaction> = {
    let p = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
    p.initialize(repeating: sigaction(), count: 65)
    return p
}()

public enum FatalSignals {
    /// Installs the handlers (once, at start-up).
    public static func install() {
        for s in [SIGBUS, SIGSEGV, SIGILL, SIGABRT] {
            var action = sigaction()
            #if canImport(Darwin)
            action.__sigaction_u.__sa_handler = { sig in FatalSignals.handle(sig) }
            #else
            action.__sigaction_handler.sa_handler = { sig in FatalSignals.handle(sig) }
            #endif
            sigemptyset(&action.sa_mask)
            sigaction(s, &action, previous + Int(s))
        }
    }

    /// Called when the explorer takes the terminal (before curses changes the tty).
    static func holdTerminal() {
        if tcgetattr(STDIN_FILENO, &savedTermios) == 0 { terminalHeld = 1 }
    }

    /// Called when the explorer gives the terminal back.
    static func releaseTerminal() { terminalHeld = 0 }

    private static func say(_ s: StaticString) {
        _ = write(STDERR_FILENO, s.utf8Start, s.utf8CodeUnitCount)
    }

    private static func handle(_ sig: Int32) {
        if terminalHeld != 0 {
            _ = tcsetattr(STDIN_FILENO, TCSANOW, &savedTermios)
            // Mouse reporting off, attributes reset, cursor shown, back to the main screen.
            let reset: StaticString = "\u{1B}[?1006l\u{1B}[?1002l\u{1B}[?1000l\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l\r\n"
            _ = write(STDOUT_FILENO, reset.utf8Start, reset.utf8CodeUnitCount)
        }
        if sig == SIGBUS {
            say("tokenloom: a model file changed or shrank while it was in use (SIGBUS); run again with the whole file\n")
            _exit(1)
        }
        sigaction(sig, previous + Int(sig), nil)
        if sig == SIGABRT { raise(sig) }
    }
}
