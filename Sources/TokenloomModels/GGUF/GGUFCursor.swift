// GGUFCursor: a bounds-checked little-endian reader over the bytes of a GGUF file.

struct GGUFCursor {
    let base: UnsafeRawPointer
    let count: Int
    let path: String
    private(set) var offset = 0

    init(base: UnsafeRawPointer, count: Int, path: String) {
        self.base = base; self.count = count; self.path = path
    }

    var remaining: Int { count - offset }

    private mutating func take(_ n: Int, _ what: String) throws -> UnsafeRawPointer {
        guard n >= 0, n <= remaining else {
            throw GGUFError(.truncated, path: path, "truncated header: file ends while reading \(what)", offset: offset)
        }
        defer { offset += n }
        return base + offset
    }

    mutating func u8(_ what: String) throws -> UInt8 { try take(1, what).load(as: UInt8.self) }
    mutating func u16(_ what: String) throws -> UInt16 { UInt16(littleEndian: try take(2, what).loadUnaligned(as: UInt16.self)) }
    mutating func u32(_ what: String) throws -> UInt32 { UInt32(littleEndian: try take(4, what).loadUnaligned(as: UInt32.self)) }
    mutating func u64(_ what: String) throws -> UInt64 { UInt64(littleEndian: try take(8, what).loadUnaligned(as: UInt64.self)) }

    /// A u64 element count, refused when that many elements of at least `minBytesEach` bytes
    /// could not fit in what is left of the file.
    mutating func count(_ what: String, minBytesEach: Int) throws -> Int {
        let at = offset
        let n = try u64(what)
        guard n <= UInt64(remaining / max(minBytesEach, 1)) else {
            throw GGUFError(.badValue, path: path, "\(what) \(n) is more than the file could hold: truncated or corrupt header", offset: at)
        }
        return Int(n)
    }

    mutating func string(_ what: String) throws -> String {
        let at = offset
        let n = try u64("length of \(what)")
        guard n <= UInt64(remaining) else {
            throw GGUFError(.truncated, path: path, "string length \(n) of \(what) runs past the end of the file", offset: at)
        }
        let p = try take(Int(n), what)
        let bytes = UnsafeRawBufferPointer(start: p, count: Int(n))
        // Invalid UTF-8 (some vocabularies hold raw bytes) is repaired, not rejected.
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func value(type: UInt32, what: String, depth: Int) throws -> GGUFValue {
        let at = offset
        switch type {
        case 0: return .uint8(try u8(what))
        case 1: return .int8(Int8(bitPattern: try u8(what)))
        case 2: return .uint16(try u16(what))
        case 3: return .int16(Int16(bitPattern: try u16(what)))
        case 4: return .uint32(try u32(what))
        case 5: return .int32(Int32(bitPattern: try u32(what)))
        case 6: return .float32(Float(bitPattern: try u32(what)))
        case 7:
            let b = try u8(what)
            guard b <= 1 else { throw GGUFError(.badValue, path: path, "bool \(what) has value \(b)", offset: at) }
            return .bool(b == 1)
        case 8: return .string(try string(what))
        case 9:
            guard depth < 2 else { throw GGUFError(.badValue, path: path, "arrays nested too deeply in \(what)", offset: at) }
            let elementType = try u32("element type of \(what)")
            let size = GGUFCursor.minimumSize(of: elementType)
            guard size > 0 else {
                throw GGUFError(.badValue, path: path, "unknown array element type \(elementType) in \(what)", offset: at)
            }
            let n = try count("array length of \(what)", minBytesEach: size)
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try value(type: elementType, what: what, depth: depth + 1)) }
            return .array(items)
        case 10: return .uint64(try u64(what))
        case 11: return .int64(Int64(bitPattern: try u64(what)))
        case 12: return .float64(Double(bitPattern: try u64(what)))
        default:
            throw GGUFError(.badValue, path: path, "unknown metadata value type \(type) for \(what)", offset: at)
        }
    }

    /// Smallest encoding of one value of a type (0 = unknown type).
    static func minimumSize(of type: UInt32) -> Int {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8: return 8
        case 9: return 12
        case 10, 11, 12: return 8
        default: return 0
        }
    }
}
