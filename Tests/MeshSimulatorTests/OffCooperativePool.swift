import Foundation

/// Runs CPU-heavy work (a long simulation) on a thread of its own instead of the cooperative pool
/// every test shares. The pool has one thread per core: on a 2-core machine two long simulations
/// there stall every other test for their whole run, and tests with a deadline then fail for
/// nothing they did.
func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}
