// SiLUF32: x <- x / (1 + e^-x) in place with silu_f32.c's kernel (the image model's MLP activation).
// Every path (PackedF32Matrix.Impl) evaluates the same IEEE operations, so a value's bits do not
// depend on the path, on the buffer's length or on the value's place in it.
import CKernels

public enum SiLUF32 {
    /// SiLU of x [count] in place.
    public static func apply(_ x: UnsafeMutablePointer<Float>, count: Int, impl: PackedF32Matrix.Impl = .best) {
        let rc = tl_silu_f32(x, Int64(count), impl.rawValue)
        precondition(rc == 0, "SiLUF32: kernel \(impl) is not available on this CPU")
    }

    /// SiLU of every element of x, in place.
    public static func apply(_ x: inout [Float], impl: PackedF32Matrix.Impl = .best) {
        let n = x.count
        x.withUnsafeMutableBufferPointer { if n > 0 { apply($0.baseAddress!, count: n, impl: impl) } }
    }

    /// Whether this CPU runs `impl`.
    public static func isAvailable(_ impl: PackedF32Matrix.Impl) -> Bool { tl_silu_f32_available(impl.rawValue) != 0 }
}
