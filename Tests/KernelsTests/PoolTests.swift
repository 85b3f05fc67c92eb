// The kernels' thread pool with its condition-variable wait forced (the fallback where there is no
// futex): every chunk runs exactly once, and workers asleep on the condition variable are woken by a
// new run and take chunks of it.
import CKernels
import Foundation
import Testing
import TokenloomKernels

/// One run's record: which chunks ran (count per chunk) and how many ran off the calling thread.
private final class PoolRun {
    let caller = pthread_self()
    let counts: UnsafeMutablePointer<Int32>     // [nchunks]
    let onWorker: UnsafeMutablePointer<Int32>   // [nchunks] 1 when a worker ran the chunk
    let nchunks: Int
    init(nchunks: Int) {
        self.nchunks = nchunks
        counts = .allocate(capacity: nchunks); counts.initialize(repeating: 0, count: nchunks)
        onWorker = .allocate(capacity: nchunks); onWorker.initialize(repeating: 0, count: nchunks)
    }
    deinit { counts.deallocate(); onWorker.deallocate() }
}

@Suite(.serialized) struct PoolTests {
    @Test func condvarWaitRunsEveryChunkOnceAndWakesSleepingWorkers() throws {
        #expect(tl_pool_set_wait(Int32(TL_POOL_WAIT_CONDVAR)) == Int32(TL_POOL_WAIT_CONDVAR))
        defer { tl_pool_set_wait(-1) }
        // A thread count no other test uses, so its pool is created here, with the forced wait.
        let threads: Int32 = 7, nchunks = 32
        let task: tl_task_fn = { ctx, chunk in
            let run = Unmanaged<PoolRun>.fromOpaque(ctx!).takeUnretainedValue()
            run.counts[Int(chunk)] += 1                              // each chunk is one thread's
            if pthread_equal(pthread_self(), run.caller) == 0 { run.onWorker[Int(chunk)] = 1 }
            // About 100 µs of work, long enough for a worker to join (spun, not slept: a sleeping
            // caller would look like an idle pool).
            let t0 = MonotonicClock.ns()
            while MonotonicClock.ns() &- t0 < 100_000 {}
        }
        var wokenRuns = 0, runs = 0
        let deadline = Date().addingTimeInterval(20)
        while wokenRuns < 3 && runs < 400 && Date() < deadline {
            // Let every worker go to sleep (they spin ~100 µs first), then start a run.
            var sleepers: Int32 = 0, asleep = false
            let settle = MonotonicClock.seconds() + 0.1
            while runs > 0, MonotonicClock.seconds() < settle {
                _ = tl_pool_probe(threads, &sleepers)
                if sleepers == threads - 1 { asleep = true; break }
                sched_yield()                                        // let the workers reach their wait
            }
            let run = PoolRun(nchunks: nchunks)
            tl_parallel_run(threads, task, Unmanaged.passUnretained(run).toOpaque(), Int64(nchunks))
            runs += 1
            for c in 0..<nchunks { #expect(run.counts[c] == 1, "run \(runs) chunk \(c) ran \(run.counts[c]) times") }
            if asleep && (0..<nchunks).contains(where: { run.onWorker[$0] == 1 }) { wokenRuns += 1 }
        }
        #expect(tl_pool_probe(threads, nil) == Int32(TL_POOL_WAIT_CONDVAR))
        // A lost wake-up leaves the workers asleep, and the caller runs every chunk alone.
        #expect(wokenRuns >= 3, "workers asleep on the condition variable took chunks in \(wokenRuns) of \(runs) runs")
    }
}
