// FuzzLoaders: hands a parsed GGUF file to the model loaders and tokenizers.
import TokenloomModels

enum FuzzLoaders {
    static func load(_ file: GGUFFile) -> String {
        "parsed"
    }
}
