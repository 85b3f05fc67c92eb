// ModelLoader: opens a GGUF file and builds the model its `general.architecture` names.
import TokenloomKernels

public enum ModelLoader {
    /// Architectures the Llama graph runs (same tensors; qwen2 adds q/k/v biases and NeoX RoPE).
    public static let llamaArchitectures: Set<String> = ["llama", "qwen2", "mistral"]

    /// Loads the model at `path`. Throws GGUFError for a malformed file and ModelError for an
    /// unknown architecture or inconsistent tensors.
    public static func load(path: String, threads: Int? = nil, cacheCapacity: Int = 4096) throws -> CausalModel {
        let file = try GGUFFile(path: path)
        let arch = file.architecture ?? "(none)"
        if llamaArchitectures.contains(arch) {
            return try LlamaModel(file: file, cacheCapacity: cacheCapacity, threads: threads)
        }
        if arch == ImageARWeights.architecture {
            // The image model unconditioned (empty prompt); ImageARModel(path:prompt:llm:) conditions it.
            return try ImageARModel(path: path, prompt: "", threads: threads ?? ImageARModel.defaultThreads)
        }
        throw ModelError.unknownArchitecture(path: path, name: arch)
    }
}
