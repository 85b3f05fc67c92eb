// ModelError: what can go wrong between a valid GGUF file and a runnable model.

public enum ModelError: Error, CustomStringConvertible, Sendable {
    case unknownArchitecture(path: String, name: String)
    case unsupportedTensorType(path: String, tensor: String, type: String)
    case badShape(path: String, tensor: String, expected: [Int], found: [Int])
    case inconsistent(path: String, detail: String)
    case contextFull(needed: Int, context: Int)
    case badInput(String)
    /// A forward pass produced NaN or infinite logits: the weights are broken.
    case nonFiniteLogits(model: String)

    public var description: String {
        switch self {
        case .unknownArchitecture(let path, let name):
            return "\(path): unknown architecture '\(name)' (supported: llama, qwen2, tokenloom-image)"
        case .unsupportedTensorType(let path, let tensor, let type):
            return "\(path): tensor '\(tensor)' has unsupported type \(type)"
        case .badShape(let path, let tensor, let expected, let found):
            return "\(path): tensor '\(tensor)' has shape \(found), expected \(expected)"
        case .inconsistent(let path, let detail):
            return "\(path): \(detail)"
        case .contextFull(let needed, let context):
            return "sequence of \(needed) positions does not fit the model's context of \(context)"
        case .badInput(let detail):
            return detail
        case .nonFiniteLogits(let model):
            return "\(model) computed logits that are not finite (NaN or infinity): its weights are broken"
        }
    }
}
