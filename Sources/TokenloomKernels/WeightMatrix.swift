// WeightMatrix: a [rows, cols] weight stored in its GGUF type, read in place from the mapped file;
// for the types the integer kernels read only after transcoding, plus an owned transcoded copy.
#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
import CKernels

/// The transcoded copy of a matrix (TL_Q8_S / TL_Q8_SM blocks, transcode_q8s.c), kept alive by every
/// copy of the WeightMatrix that uses it.
final class TranscodedRows: @unchecked Sendable {
    let type: Int32                       // TL_Q8_S or TL_Q8_SM
    let rowBytes: Int                     // cols / 32 * (40 or 44)
    let data: UnsafeMutableRawPointer     // [rows, rowBytes]

    /// Deliberately wrong transcodings, only for the tests' power checks.
    enum Mutant: Sendable { case none, dLoForBothHalves, minDropped }

    init?(type source: GGMLType, rows: Int, cols: Int, base: UnsafeRawPointer, mutant: Mutant = .none) {
        let t = tl_q8s_type(Int32(source.rawValue))
        guard t != 0, cols % source.blockSize == 0 else { return nil }
        type = t
        let bs = Int(tl_q8s_block_bytes(t))
        rowBytes = cols / 32 * bs
        data = .allocate(byteCount: max(1, rows * rowBytes), alignment: 64)
        // Rows are independent and the blocks never straddle them: one call for the whole matrix.
        let rc = tl_transcode_q8s(Int32(source.rawValue), base, data, Int64(rows * cols))
        precondition(rc == 0, "transcoding \(source.name)")
        for b in 0..<(mutant == .none ? 0 : rows * cols / 32) {
            let f = (data + b * bs).assumingMemoryBound(to: Float.self)   // d_lo, d_hi (, m)
            if mutant == .dLoForBothHalves { f[1] = f[0] }
            if mutant == .minDropped && t == Int32(TL_Q8_SM) { f[2] = 0 }
        }
    }

    deinit { data.deallocate() }
}

public struct WeightMatrix: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int
    public let cols: Int
    public let rowBytes: Int
    /// First byte of row 0; valid while the owner of the mapped file lives.
    public let base: UnsafeRawPointer
    /// The copy the integer kernels read, for the types that have one; nil: the kernels read `base`.
    let transcoded: TranscodedRows?

    /// Types the matmul and the embedding lookup support.
    /// Q4_0 / Q4_1 / Q8_0 take the integer path as they are; Q5_0, Q5_1, IQ4_NL, Q3_K, Q4_K, Q5_K and
    /// Q6_K take it through a copy transcoded at load (`integerPath`); Q2_K, F16, BF16 and F32 are
    /// decoded a row at a time and dotted as floats.
    public static let supportedTypes: Set<GGMLType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .iq4_NL,
                                                       .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    /// Whether the types with a transcoded form get one by default: TOKENLOOM_KQUANT_PATH=float keeps
    /// them on the float path (the comparison the benchmarks and tests make); anything else, or unset,
    /// transcodes.
    public static let integerPathDefault: Bool = getenv("TOKENLOOM_KQUANT_PATH").map { String(cString: $0) != "float" } ?? true

    /// Wraps `bytes` as [rows, cols] of `type`; nil when the type is unsupported or the sizes disagree.
    /// `integerPath`: transcode Q5_0, Q5_1, IQ4_NL and the K types (not Q2_K) for the integer kernels.
    /// Memory: 40 bytes per 32 weights (44 for Q5_1, Q4_K, Q5_K, which have a min) on top of the file's
    /// mapping (18 to 26.25 bytes per 32), which a forward then no longer reads.
    public init?(type: GGMLType, rows: Int, cols: Int, bytes: UnsafeRawBufferPointer,
                 integerPath: Bool = WeightMatrix.integerPathDefault) {
        self.init(type: type, rows: rows, cols: cols, bytes: bytes, integerPath: integerPath, mutant: .none)
    }

    init?(type: GGMLType, rows: Int, cols: Int, bytes: UnsafeRawBufferPointer, integerPath: Bool,
          mutant: TranscodedRows.Mutant) {
        guard Self.supportedTypes.contains(type), rows > 0, cols > 0,
              let rb = type.byteCount(elements: cols), let base = bytes.baseAddress,
              rows.multipliedReportingOverflow(by: rb).partialValue == bytes.count,
              !rows.multipliedReportingOverflow(by: rb).overflow else { return nil }
        self.type = type; self.rows = rows; self.cols = cols; self.rowBytes = rb; self.base = base
        transcoded = integerPath ? TranscodedRows(type: type, rows: rows, cols: cols, base: base, mutant: mutant) : nil
    }

    /// Bytes of one row as the matmul reads it (the transcoded copy's when there is one).
    public var kernelRowBytes: Int { transcoded?.rowBytes ?? rowBytes }

    /// Was this matrix transcoded for the integer path?
    public var isTranscoded: Bool { transcoded != nil }

    var cMatrix: tl_matrix {
        if let t = transcoded {
            return tl_matrix(type: t.type, data: UnsafePointer(t.data.assumingMemoryBound(to: UInt8.self)),
                             rows: Int64(rows), cols: Int64(cols), row_bytes: Int64(t.rowBytes))
        }
        return tl_matrix(type: Int32(type.rawValue), data: base.assumingMemoryBound(to: UInt8.self),
                         rows: Int64(rows), cols: Int64(cols), row_bytes: Int64(rowBytes))
    }

    /// Row r decoded to floats into `out` [cols] (the embedding lookup): from the file's bytes, so the
    /// source type's values whether or not the matrix was transcoded.
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(r >= 0 && r < rows, "row \(r) of \(rows)")
        _ = tl_dequantize(Int32(type.rawValue), base + r * rowBytes, out, Int64(cols))
    }

    /// Uses the quantised-activation integer path.
    public var usesQ8: Bool { tl_uses_q8(cMatrix.type) != 0 }
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
