// Parallel: the core count, and a concurrentPerform helper for Swift-side work. The engine's kernels
// (MatMul, attention) run on CKernels' persistent pool instead (tl_parallel_run): measured, the
// second concurrentPerform worker woke too late for their ~50 µs pieces.
import Dispatch

public enum Parallel {
    /// Cores on this machine; the default thread count.
    public static var coreCount: Int { max(1, sysconfCores()) }

    /// Physical memory in bytes (0 where the system does not say).
    public static var physicalMemoryBytes: Int { max(0, sysconfMemory()) }

    /// Calls body(begin, end) for `threads` contiguous chunks of 0 ..< n (aligned to `align`), in parallel.
    public static func chunks(_ n: Int, threads: Int, align: Int = 1, _ body: (Int, Int) -> Void) {
        let t = max(1, min(threads, (n + align - 1) / max(align, 1)))
        if t == 1 { if n > 0 { body(0, n) }; return }
        let per = ((n + t - 1) / t + align - 1) / align * align
        DispatchQueue.concurrentPerform(iterations: t) { i in
            let b = i * per, e = min(n, b + per)
            if b < e { body(b, e) }
        }
    }
}

#if canImport(Glibc)
import Glibc
private func sysconfCores() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
private func sysconfMemory() -> Int { Int(sysconf(Int32(_SC_PHYS_PAGES))) &* Int(sysconf(Int32(_SC_PAGESIZE))) }
#elseif canImport(Darwin)
import Darwin
private func sysconfCores() -> Int { Int(sysconf(_SC_NPROCESSORS_ONLN)) }
private func sysconfMemory() -> Int { Int(sysconf(_SC_PHYS_PAGES)) &* Int(sysconf(_SC_PAGESIZE)) }
#else
private func sysconfCores() -> Int { 1 }
private func sysconfMemory() -> Int { 0 }
#endif
