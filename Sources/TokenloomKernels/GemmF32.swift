// PackedF32Matrix: an F32 weight matrix W [m, n] packed once for tl_gemm_f32 (gemm_f32.c), and the
// batched product y [k, m] = x [k, n] . W^T that reads every weight once for all k positions (the
// image model's matmul). A position's result has the same bits whatever k, threads or instruction set.
import CKernels

public final class PackedF32Matrix: @unchecked Sendable {
    /// Which kernel runs the product; all give the same bits. For tests and benchmarks.
    public enum Impl: Int32, CaseIterable, Sendable {
        case best = 0, scalar = 1, avx2 = 2, avx512 = 3
        public var isAvailable: Bool { tl_gemm_f32_available(rawValue) != 0 }
    }

    public let rows: Int                          // m: outputs
    public let cols: Int                          // n: inputs
    private let packed: UnsafeMutablePointer<Float>   // [ceil(m/32), n, 32]

    /// Packs W [rows, cols] (row-major: row o holds the cols weights of output o).
    public init(_ w: [Float], rows: Int, cols: Int) {
        precondition(rows > 0 && cols > 0 && w.count == rows * cols, "PackedF32Matrix: \(w.count) floats for [\(rows), \(cols)]")
        self.rows = rows; self.cols = cols
        let count = Int(tl_gemm_f32_packed_floats(Int64(rows), Int64(cols)))
        packed = .allocate(capacity: count)
        w.withUnsafeBufferPointer { tl_gemm_f32_pack($0.baseAddress, Int64(rows), Int64(cols), packed) }
    }

    deinit { packed.deallocate() }

    /// y [k, rows] = x [k, cols] . W^T.
    public func multiply(_ x: UnsafePointer<Float>, k: Int, into y: UnsafeMutablePointer<Float>,
                         threads: Int = 1, impl: Impl = .best) {
        let rc = tl_gemm_f32(x, packed, y, Int64(k), Int64(cols), Int64(rows), Int32(clamping: max(1, threads)), impl.rawValue)
        precondition(rc == 0, "PackedF32Matrix: kernel \(impl) is not available on this CPU")
    }

    /// y [k, rows] = x [k, cols] . W^T.
    public func multiply(_ x: [Float], k: Int, threads: Int = 1, impl: Impl = .best) -> [Float] {
        precondition(x.count == k * cols, "PackedF32Matrix: x has \(x.count) floats, expected [\(k), \(cols)]")
        return [Float](unsafeUninitializedCapacity: k * rows) { y, count in
            x.withUnsafeBufferPointer { multiply($0.baseAddress!, k: k, into: y.baseAddress!, threads: threads, impl: impl) }
            count = k * rows
        }
    }
}
