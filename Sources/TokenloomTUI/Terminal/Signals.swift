// Signals: SIGINT, SIGTERM, SIGHUP (leave cleanly) and SIGWINCH (relayout) caught with Dispatch
// signal sources, so the UI loop sees them as flags between frames and never dies mid-draw.
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class Signals: @unchecked Sendable {
    private let lock = NSLock()
    private var _quit: Int32?
    private var _resized = false
    private var sources: [DispatchSourceSignal] = []

    public init() {
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGWINCH] {
            signal(sig, SIG_IGN) // the dispatch source receives it instead of the default action
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global(qos: .userInteractive))
            src.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock(); defer { self.lock.unlock() }
                if sig == SIGWINCH { self._resized = true } else { self._quit = sig }
            }
            src.resume()
            sources.append(src)
        }
    }

    /// The signal that asked to quit, if one did.
    public var quit: Int32? { lock.lock(); defer { lock.unlock() }; return _quit }

    /// True once after each SIGWINCH.
    public func takeResize() -> Bool {
        lock.lock(); defer { lock.unlock() }
        let r = _resized; _resized = false; return r
    }

    /// Stops catching; the default actions come back.
    public func cancel() {
        for s in sources { s.cancel() }
        sources = []
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGWINCH] { signal(sig, SIG_DFL) }
    }
}
