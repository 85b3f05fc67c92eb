// ByteLevel: GPT-2's reversible map between the 256 byte values and printable Unicode characters.
// Byte-level BPE vocabularies store every token as a string of these characters, one per byte.

enum ByteLevel {
    /// byteToScalar[b]: the character standing for byte b. Printable Latin-1 bytes ('!'...'~',
    /// '¡'...'¬', '®'...'ÿ') stand for themselves; the other 68 bytes take U+0100, U+0101, ... in order.
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The inverse: character value -> byte, for the 324 values below U+0144 (nil where unused).
    static let scalarToByte: [UInt8?] = {
        var table = [UInt8?](repeating: nil, count: 0x144)
        for b in 0..<256 { table[Int(byteToScalar[b].value)] = UInt8(b) }
        return table
    }()

    /// The byte-level spelling of raw bytes (what the vocabulary stores).
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(byteToScalar[Int(b)]) }
        return String(s)
    }

    /// The raw bytes a byte-level string stands for; characters outside the map (not produced by
    /// `encode`) are kept as their own UTF-8 bytes.
    static func decode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for u in text.unicodeScalars {
            if Int(u.value) < scalarToByte.count, let b = scalarToByte[Int(u.value)] {
                out.append(b)
            } else {
                out.append(contentsOf: Array(String(u).utf8))
            }
        }
        return out
    }
}
