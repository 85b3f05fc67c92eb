// OpProfile: wall time per op of LlamaModel's forward, for `tokenloom bench engine --breakdown`.
import TokenloomKernels

public final class OpProfile: @unchecked Sendable {
    public private(set) var nanoseconds: [String: UInt64] = [:]
    public init() {}

    static func now() -> UInt64 { MonotonicClock.ns() }

    /// Adds the time since `start` to `op` and returns now (for chaining).
    @discardableResult
    func lap(_ op: String, since start: UInt64) -> UInt64 {
        let t = Self.now()
        nanoseconds[op, default: 0] += t - start
        return t
    }

    /// Milliseconds per forward for each op, given how many forwards were profiled.
    public func millisecondsPerForward(_ forwards: Int) -> [String: Double] {
        nanoseconds.mapValues { Double($0) / 1e6 / Double(max(1, forwards)) }
    }
}
