// ByteKey: a dictionary key made of raw UTF-8 bytes. Vocabulary lookups must compare bytes, as llama.cpp
// does: Swift String equality is canonical equivalence, under which "é" and "e\u{301}" are one key.

struct ByteKey: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init<C: Collection>(_ bytes: C) where C.Element == UInt8 { self.bytes = Array(bytes) }
    init(_ text: String) { bytes = Array(text.utf8) }

    static func == (a: ByteKey, b: ByteKey) -> Bool { a.bytes == b.bytes }

    func hash(into h: inout Hasher) {
        bytes.withUnsafeBytes { h.combine(bytes: $0) }
    }
}
