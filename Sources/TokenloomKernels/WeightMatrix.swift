// WeightMatrix: a [rows, cols] weight stored in its GGUF type, read in place from the mapped file.
import CKernels

public struct WeightMatrix: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int
    public let cols: Int
    public let rowBytes: Int
    /// First byte of row 0; valid while the owner of the mapped file lives.
    public let base: UnsafeRawPointer

    /// Types the matmul and the embedding lookup support.
    /// Q4_0 / Q4_1 / Q8_0 take the integer path; the rest are decoded a row at a time and dotted as floats.
    public static let supportedTypes: Set<GGMLType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .iq4_NL,
                                                       .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    /// Wraps `bytes` as [rows, cols] of `type`; nil when the type is unsupported or the sizes disagree.
    public init?(type: GGMLType, rows: Int, cols: Int, bytes: UnsafeRawBufferPointer) {
        guard Self.supportedTypes.contains(type), rows > 0, cols > 0,
              let rb = type.byteCount(elements: cols), let base = bytes.baseAddress,
              rows.multipliedReportingOverflow(by: rb).partialValue == bytes.count,
              !rows.multipliedReportingOverflow(by: rb).overflow else { return nil }
        self.type = type; self.rows = rows; self.cols = cols; self.rowBytes = rb; self.base = base
    }

    var cMatrix: tl_matrix {
        tl_matrix(type: Int32(type.rawValue), data: base.assumingMemoryBound(to: UInt8.self),
                  rows: Int64(rows), cols: Int64(cols), row_bytes: Int64(rowBytes))
    }

    /// Row r decoded to floats into `out` [cols] (the embedding lookup).
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(r >= 0 && r < rows, "row \(r) of \(rows)")
        _ = tl_dequantize(Int32(type.rawValue), base + r * rowBytes, out, Int64(cols))
    }

    /// Uses the quantised-activation integer path.
    public var usesQ8: Bool { tl_uses_q8(Int32(type.rawValue)) != 0 }
}

/// Decodes raw GGUF tensor bytes of `type` to floats (the reference for tests and tools).
public enum Dequantize {
    /// `elements` values from `bytes`; nil for an unsupported type or too few bytes.
    public static func floats(_ type: GGMLType, bytes: [UInt8], elements: Int) -> [Float]? {
        guard WeightMatrix.supportedTypes.contains(type), let need = type.byteCount(elements: elements),
              bytes.count >= need else { return nil }
        var out = [Float](repeating: 0, count: elements)
        let rc = bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { tl_dequantize(Int32(type.rawValue), src.baseAddress!, $0.baseAddress!, Int64(elements)) }
        }
        return rc == 0 ? out : nil
    }

    public static func fp16ToFloat(_ h: UInt16) -> Float { tl_fp16_to_fp32(h) }
    public static func floatToFP16(_ f: Float) -> UInt16 { tl_fp32_to_fp16(f) }
}
