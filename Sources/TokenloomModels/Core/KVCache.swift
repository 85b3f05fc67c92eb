// KVCache: per-layer key and value rows for the positions a model has seen, with O(1) rollback.
//
// Storage per layer: keys [capacity, kvDim], values [capacity, kvDim], row-major, preallocated
// (a static cache with a write pointer: truncation just moves `count`).

public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let kvDim: Int
    public let capacity: Int
    /// Positions held.
    public private(set) var count = 0
    /// The token id at each position, for a model that must resend them (a remote model); empty otherwise.
    public internal(set) var tokens: [Int] = []
    /// keys[l], values[l]: [capacity, kvDim]
    var keys: [UnsafeMutablePointer<Float>]
    var values: [UnsafeMutablePointer<Float>]

    public init(layers: Int, kvDim: Int, capacity: Int) {
        self.layers = layers; self.kvDim = kvDim; self.capacity = capacity
        keys = (0..<layers).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(capacity * kvDim, 1)) }
        values = (0..<layers).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(capacity * kvDim, 1)) }
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    /// Keeps the first `m` positions (m <= count): rolls back rejected drafts.
    public func truncate(to m: Int) {
        precondition(m >= 0 && m <= count, "KVCache.truncate(to: \(m)) with \(count) positions held")
        count = m
        if tokens.count > m { tokens.removeLast(tokens.count - m) }
    }

    /// An independent copy of the first `count` positions (CNTP forks one per trial).
    public func copy() -> KVCache {
        let c = KVCache(layers: layers, kvDim: kvDim, capacity: capacity)
        for l in 0..<layers {
            c.keys[l].update(from: keys[l], count: count * kvDim)
            c.values[l].update(from: values[l], count: count * kvDim)
        }
        c.count = count
        c.tokens = tokens
        return c
    }

    /// Bytes held by the preallocated storage.

    /// Key / value row for (layer, position); for model code writing new positions.
    func keyRow(_ layer: Int, _ pos: Int) -> UnsafeMutablePointer<Float> { keys[layer] + pos * kvDim }
    func valueRow(_ layer: Int, _ pos: Int) -> UnsafeMutablePointer<Float> { values[layer] + pos * kvDim }

    /// Called by a model after writing rows count ..< count+k.
    func advance(by k: Int) {
        precondition(count + k <= capacity)
        count += k
    }
}
