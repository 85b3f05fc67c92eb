// The one clock every layer times with: monotonic wall time, and the calling thread's or the whole
// process's CPU time (steadier than wall time on a shared, loaded machine).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum MonotonicClock {
    /// Nanoseconds on the monotonic clock.
    public static func ns() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Milliseconds on the monotonic clock.
    public static func ms() -> Double { Double(ns()) / 1e6 }

    /// Seconds on the monotonic clock.
    public static func seconds() -> Double { Double(ns()) / 1e9 }

    /// CPU time of the calling thread, in milliseconds.
    public static func threadCpuMs() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
    }

    /// CPU time of the whole process (every thread, the kernel pool's workers included), in milliseconds.
    public static func processCpuMs() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
    }
}
