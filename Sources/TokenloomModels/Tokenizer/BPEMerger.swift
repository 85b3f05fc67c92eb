// BPEMerger: the ranked merge table and the merge loop of byte-level BPE.
// Symbols are ids: the vocabulary's token ids first, then ids for merge parts the vocabulary lacks.
// A word is merged lowest rank first (leftmost on ties) with a heap over adjacent pairs, so a long
// word costs O(n log n), not O(n^2).

struct BPEMerger: Sendable {
    /// (left << 32 | right) -> (rank << 32 | merged symbol).
    private let pairs: [UInt64: UInt64]
    /// Symbol id of each raw byte's byte-level character.
    let byteSymbol: [Int32]
    /// Symbols beyond the vocabulary (id - vocabCount), as byte-level strings.
    let extraSymbols: [String]
    let vocabCount: Int

    /// `merges` are "left right" lines in rank order; `tokenIDs` maps token bytes to id.
    init(merges: [String], tokenIDs: [ByteKey: Int32], vocabCount: Int, path: String) throws {
        var ids = tokenIDs
        var extra: [String] = []
        func intern(_ b: [UInt8]) -> Int32 {
            let key = ByteKey(b)
            if let id = ids[key] { return id }
            let id = Int32(vocabCount + extra.count)
            extra.append(String(decoding: b, as: UTF8.self))
            ids[key] = id
            return id
        }
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, line) in merges.enumerated() {
            // Split at the first space after the first byte, as llama.cpp does (a part is never empty).
            let b = Array(line.utf8)
            guard b.count >= 3, let sp = b[1...].firstIndex(of: 0x20), sp + 1 < b.count else {
                throw TokenizerError(path: path, "merge \(rank) '\(line)' is not two space-separated parts")
            }
            let l = intern(Array(b[..<sp])), r = intern(Array(b[(sp + 1)...]))
            let m = intern(Array(b[..<sp]) + Array(b[(sp + 1)...]))
            let key = UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))
            if table[key] == nil { table[key] = UInt64(rank) << 32 | UInt64(UInt32(m)) }
        }
        byteSymbol = (0..<256).map { intern(Array(String(ByteLevel.byteToScalar[$0]).utf8)) }
        pairs = table
        extraSymbols = extra
        self.vocabCount = vocabCount
    }

    @inline(__always)
    private func lookup(_ l: Int32, _ r: Int32) -> (rank: UInt32, merged: Int32)? {
        guard let v = pairs[UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))] else { return nil }
        return (UInt32(v >> 32), Int32(truncatingIfNeeded: UInt32(v & 0xFFFF_FFFF)))
    }

    /// The symbols `bytes` merge into, in order.
    func merge<C: Collection>(_ bytes: C) -> [Int32] where C.Element == UInt8 {
        var sym = bytes.map { byteSymbol[Int($0)] }
        let n = sym.count
        if n < 2 { return sym }
        var prev = [Int](0..<n).map { $0 - 1 }  // linked list over surviving symbols
        var next = [Int](1...n)
        var alive = [Bool](repeating: true, count: n)
        // Min-heap of (rank << 32 | left index): lowest rank first, then leftmost.
        var heap = BinaryHeap<UInt64>(capacity: n, precedes: <)
        func consider(_ i: Int) {
            guard i >= 0, next[i] < n, let hit = lookup(sym[i], sym[next[i]]) else { return }
            heap.push(UInt64(hit.rank) << 32 | UInt64(i))
        }
        for i in 0..<(n - 1) { consider(i) }
        while !heap.isEmpty {
            let key = heap.pop()
            let i = Int(key & 0xFFFF_FFFF), rank = UInt32(key >> 32)
            guard alive[i] else { continue }
            let j = next[i]
            // Stale entry: the pair at i changed since it was queued.
            guard j < n, let hit = lookup(sym[i], sym[j]), hit.rank == rank else { continue }
            sym[i] = hit.merged
            alive[j] = false
            next[i] = next[j]
            if next[j] < n { prev[next[j]] = i }
            if prev[i] >= 0 { consider(prev[i]) }
            consider(i)
        }
        var out: [Int32] = []
        out.reserveCapacity(n)
        var i = 0
        while i < n { out.append(sym[i]); i = next[i] }
        return out
    }
}
