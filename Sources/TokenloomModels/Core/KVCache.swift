// KVCache: per-layer key and value rows for the positions a model has seen, with O(1) rollback.
//
// Storage per layer: keys [capacity, kvDim], values [capacity, kvDim], row-major, preallocated
// (a static cache with a write pointer: truncation just moves `count`). A model may reserve
// `prefixRows` rows just before position 0 (rows -prefixRows ..< 0) for a fixed attention prefix (the
// image model's condition), so that prefix, the cached positions and new rows are one contiguous run.

public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let kvDim: Int
    public let capacity: Int
    /// Positions held.
    public private(set) var count = 0
    /// The token id at each position, for a model that must resend them (a remote model); empty otherwise.
    public internal(set) var tokens: [Int] = []
    /// Rows reserved before position 0 for a model's fixed prefix.
    public let prefixRows: Int
    /// Which model filled the prefix rows (nil: none has); a model refills them when it is not that one.
    var prefixOwner: ObjectIdentifier?
    /// keys[l], values[l]: position 0 of layer l's rows [prefixRows + capacity, kvDim] (prefix rows at
    /// negative positions)
    var keys: [UnsafeMutablePointer<Float>]
    var values: [UnsafeMutablePointer<Float>]

    public init(layers: Int, kvDim: Int, capacity: Int, prefixRows: Int = 0) {
        self.layers = layers; self.kvDim = kvDim; self.capacity = capacity; self.prefixRows = max(0, prefixRows)
        let rows = self.prefixRows + capacity, skip = self.prefixRows * kvDim
        keys = (0..<layers).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(rows * kvDim, 1)) + skip }
        values = (0..<layers).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(rows * kvDim, 1)) + skip }
    }

    deinit {
        keys.forEach { ($0 - prefixRows * kvDim).deallocate() }
        values.forEach { ($0 - prefixRows * kvDim).deallocate() }
    }

    /// Keeps the first `m` positions (m <= count): rolls back rejected drafts.
    public func truncate(to m: Int) {
        precondition(m >= 0 && m <= count, "KVCache.truncate(to: \(m)) with \(count) positions held")
        count = m
        if tokens.count > m { tokens.removeLast(tokens.count - m) }
    }

    /// An independent copy of the first `count` positions (CNTP forks one per trial).
    public func copy() -> KVCache {
        let c = KVCache(layers: layers, kvDim: kvDim, capacity: capacity, prefixRows: prefixRows)
        let skip = prefixRows * kvDim
        for l in 0..<layers {   // the prefix rows too
            (c.keys[l] - skip).update(from: keys[l] - skip, count: skip + count * kvDim)
            (c.values[l] - skip).update(from: values[l] - skip, count: skip + count * kvDim)
        }
        c.prefixOwner = prefixOwner
        c.count = count
        c.tokens = tokens
        return c
    }

    /// Bytes held by the preallocated storage.

    /// Key / value row for (layer, position); for model code writing new positions (and, at negative
    /// positions down to -prefixRows, its prefix).
    func keyRow(_ layer: Int, _ pos: Int) -> UnsafeMutablePointer<Float> { keys[layer] + pos * kvDim }
    func valueRow(_ layer: Int, _ pos: Int) -> UnsafeMutablePointer<Float> { values[layer] + pos * kvDim }

    /// Called by a model after writing rows count ..< count+k.
    func advance(by k: Int) {
        precondition(count + k <= capacity)
        count += k
    }
}
