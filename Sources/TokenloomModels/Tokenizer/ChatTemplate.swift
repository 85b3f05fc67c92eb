// ChatTemplate: formats a conversation the way an instruct model was trained to read it.
// Recognises the two families by their marker tokens in `tokenizer.chat_template` rather than running Jinja:
// ChatML (`<|im_start|>`, SmolLM2, Qwen) with the template's built-in default system prompt, and Llama-3's
// header format (`<|start_header_id|>`). Anything else is raw: the prompt is used as written.

public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

public struct ChatTemplate: Sendable, Equatable {
    public enum Style: Sendable, Equatable {
        case raw
        /// `<|im_start|>role\ncontent<|im_end|>\n`; `defaultSystem` is added when the first message is not a system one.
        case chatML(defaultSystem: String?)
        /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` (BOS comes from the tokenizer).
        case llama3
    }

    public let style: Style

    public init(style: Style) {
        self.style = style
    }

    /// The style a GGUF `tokenizer.chat_template` calls for.
    public init(template: String?) {
        guard let t = template else { style = .raw; return }
        if t.contains("<|im_start|>") {
            style = .chatML(defaultSystem: Self.defaultSystemPrompt(in: t))
        } else if t.contains("<|start_header_id|>") {
            style = .llama3
        } else {
            style = .raw
        }
    }

    /// A literal system turn written into the template, e.g. SmolLM2's
    /// `'<|im_start|>system\nYou are a helpful AI assistant named SmolLM, ...<|im_end|>\n'`.
    static func defaultSystemPrompt(in template: String) -> String? {
        let marker = "<|im_start|>system\n"
        var rest = template[...]
        while let r = rest.range(of: marker) {
            let after = rest[r.upperBound...]
            if let end = after.range(of: "<|im_end|>") {
                let body = after[..<end.lowerBound]
                // Only a literal: a quote or a Jinja expression means the content comes from the messages.
                if !body.isEmpty && !body.contains("'") && !body.contains("\"") && !body.contains("{") {
                    return String(body)
                }
            }
            rest = after
        }
        return nil
    }

    /// The prompt text for `messages`, ending with the assistant's opening when `addGenerationPrompt`.
    /// Encode it with `addSpecial: true` so the tokenizer adds BOS where the model wants one.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        switch style {
        case .raw:
            return messages.map(\.content).joined(separator: "\n")
        case .chatML(let defaultSystem):
            var out = ""
            if let system = defaultSystem, messages.first?.role != "system" {
                out += "<|im_start|>system\n\(system)<|im_end|>\n"
            }
            for m in messages { out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
            return out
        case .llama3:
            var out = ""
            for m in messages { out += "<|start_header_id|>\(m.role)<|end_header_id|>\n\n\(m.content)<|eot_id|>" }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
            return out
        }
    }

    /// A single user turn (what `--chat` does with `--prompt`).
    public func prompt(user: String) -> String {
        render([ChatMessage(role: "user", content: user)])
    }
}
