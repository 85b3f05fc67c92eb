// GGUFValue: one metadata value of a GGUF file (scalars, strings, and typed arrays).

public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16)
    case uint32(UInt32), int32(Int32), uint64(UInt64), int64(Int64)
    case float32(Float), float64(Double), bool(Bool), string(String)
    indirect case array([GGUFValue])

    /// The value as an integer, for any integer type (nil for other types, booleans included, or
    /// out of Int range).
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return v <= UInt64(Int.max) ? Int(v) : nil
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// The value as a floating-point number, for float and integer types.
    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return int.map(Double.init)
        }
    }

    public var float: Float? { double.map(Float.init) }

    public var bool: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    public var string: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    public var array: [GGUFValue]? {
        if case .array(let v) = self { return v }
        return nil
    }

    /// Typed arrays: nil unless every element has the type (a wrong element is refused, not dropped).
    public var stringArray: [String]? { typed(\.string) }
    public var intArray: [Int]? { typed(\.int) }
    public var floatArray: [Float]? { typed(\.float) }

    private func typed<T>(_ get: (GGUFValue) -> T?) -> [T]? {
        guard let a = array else { return nil }
        var out: [T] = []
        out.reserveCapacity(a.count)
        for e in a { guard let v = get(e) else { return nil }; out.append(v) }
        return out
    }

    /// A short human-readable rendering (arrays summarised), for `models` and error messages.
    public var summary: String {
        switch self {
        case .string(let s): return s.count > 60 ? "\"\(s.prefix(57))...\"" : "\"\(s)\""
        case .array(let a): return "[\(a.count) values]"
        case .bool(let b): return String(b)
        case .float32(let f): return String(f)
        case .float64(let d): return String(d)
        default: return int.map(String.init) ?? "?"
        }
    }
}
