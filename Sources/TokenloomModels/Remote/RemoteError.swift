// RemoteError: what can go wrong talking to an inference server, each as one line that says what to do.

public enum RemoteError: Error, Equatable, CustomStringConvertible, UserFacingError {
    case badReference(String)
    case unreachable(String, String)
    case timeout
    case cancelled
    case httpStatus(Int, String)
    case modelNotServed(String, served: [String])
    case noPromptLogprobs(String)
    case badAnswer(String)
    case roundTrip(String)

    public var exitCode: Int32 {
        if case .badReference = self { return ExitStatus.badUsage }
        return ExitStatus.badData
    }

    public var description: String {
        switch self {
        case .badReference(let d): return "bad server model reference: \(d)"
        case .unreachable(let at, let why): return "cannot reach the inference server at \(at): \(why)"
        case .timeout: return "the inference server did not answer within the request timeout (--request-timeout)"
        case .cancelled: return "the request to the inference server was cancelled"
        case .httpStatus(let code, let message):
            return "the inference server answered HTTP \(code)" + (message.isEmpty ? "" : ": \(message)")
        case .modelNotServed(let name, let served):
            return "the server does not serve a model named \(name.debugDescription); it serves "
                + (served.isEmpty ? "none" : served.prefix(5).map(\.debugDescription).joined(separator: ", "))
        case .noPromptLogprobs(let how): return "the server returned no log-probabilities for the prompt: \(how)"
        case .badAnswer(let d): return "the inference server's answer is not usable: \(d)"
        case .roundTrip(let d): return "token ids do not round-trip through the server: \(d)"
        }
    }
}
