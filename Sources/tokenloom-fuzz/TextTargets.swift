// Text-format fuzz targets: trace files (read, replayed, and drawn as the explorer would draw them),
// scenario files and theme files. Seeds are small valid files; mutations flip, insert, delete and
// duplicate bytes, put extreme numbers where numbers were, and splice in control characters.
import Foundation
import TokenloomDecoding
import TokenloomKernels
import TokenloomModels
import TokenloomSession
import TokenloomTUI

enum TextTarget: String, CaseIterable {
    case trace, scenario, theme
    /// An inference server's HTTP answer: status line, headers, body (chunked or not), then the
    /// completions / models / tokenize JSON, as the remote model reads them.
    case completion

    var seeds: [String] {
        switch self {
        case .trace:
            return [
                """
                {"trace":"tokenloom","version":1,"decoder":"SJD","prompt_tokens":[1,2,3]}
                {"event":"forward","start":0,"count":3,"wall_ms":1.5}
                {"event":"entropy","position":3,"nats":0.7}
                {"event":"alternatives","position":3,"tokens":[5,6],"probs":[0.6,0.4]}
                {"event":"commit","start":3,"tokens":[5]}
                {"event":"draft","position":4,"token":7,"q":0.5}
                {"event":"forward","start":3,"count":3,"wall_ms":2}
                {"event":"accept","position":4,"token":7,"p":0.4,"q":0.5,"u":0.1}
                {"event":"reject","position":5,"token":8,"p":0.01,"q":0.5,"u":0.9}
                {"event":"resample","position":5,"token":9}
                {"event":"match","position":6,"guess":3,"target":4}
                {"event":"commit","start":4,"tokens":[7,9]}
                {"event":"finished","reason":"length"}
                """,
                """
                {"event":"forward","start":0,"count":2,"wall_ms":1}
                {"event":"branchOpened","position":2,"entropy":1.2,"trials":3}
                {"event":"trialToken","trial":0,"token":4,"p":0.5}
                {"event":"forward","start":2,"count":1,"wall_ms":1}
                {"event":"trialScored","trial":0,"perplexity":1.7}
                {"event":"branchChosen","trial":0}
                {"event":"denoise","position":5,"level":3}
                {"event":"fuserGate","index":1,"value":0.05}
                {"event":"ngram","position":3,"tokens":[1,2],"matched":1}
                {"event":"commit","start":2,"tokens":[4]}
                """,
            ]
        case .scenario:
            return [
                """
                title = "t"
                summary = "s"
                model = "builtin:emoji"
                prompt = "red apple"
                seed = 42
                max_tokens = 64
                threads = 2
                chat = false

                [[decoders]]
                name = "sjd"
                label = "SJD x"
                window = 16
                temperature = 1.0
                top_k = 4
                top_p = 0.9
                init = "random"
                levels = 20
                model = "builtin:emoji-fused"

                [[tour]]
                pass = 3
                event = "first-rejection"
                decoder = "SJD x"
                note = "here"
                """,
            ]
        case .completion:
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
            return [
                head + #"{"choices":[{"index":0,"text":"","logprobs":{"tokens":["token_id:1","token_id:2","token_id:3"],"token_logprobs":[null,-0.5,-2.25],"top_logprobs":[null,{"token_id:2":-0.5,"token_id:7":-1.5},{"token_id:3":-2.25,"token_id:9":-0.1}]}}]}"#,
                head + #"{"choices":[{"text":"The capital","logprobs":{"text_offset":[0,3],"token_logprobs":[null,-9.6],"tokens":["The"," capital"],"top_logprobs":[null,{" of":-0.41," city":-2.3," capital":-9.6}]}}]}"#,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n" + #"{"object":"list","data":[{"# + "\r\n10\r\n" + #""id":"smol"}]}  "# + "\r\n0\r\n\r\n",
                "HTTP/1.1 400 Bad Request\r\nContent-Length: 63\r\n\r\n" + #"{"error":{"message":"logprobs is not supported","code":400}}   "#,
                head + #"{"tokens":[1604,3987,46477]}"#,
                head + #"{"detail":[{"msg":"field required","loc":["body","prompt"]}]}"#,
            ]
        case .theme:
            return [
                """
                # a theme
                name = "mine"
                [colors]
                background = "#16181d"
                foreground = "#d6d9e0"
                accepted = "#9ece6a"
                heat_low = "#2a6f97"
                """,
            ]
        }
    }

    /// Runs one input; returns an outcome label.
    func run(_ text: String, render: Bool) -> String {
        switch self {
        case .trace:
            let t: TraceFile
            do { t = try TraceFile.parse(text, file: "fuzz.jsonl") } catch { return "refused" }
            let decoder = ReplayDecoder(name: t.decoder, prompt: t.prompt, steps: t.steps)
            while !decoder.isFinished { _ = try? decoder.step() }
            guard render else { return "replayed" }
            // The explorer's path: a session over the recorded steps, every pass drawn.
            let recorded = t
            let session = Session(scenario: Scenario(modelRef: "replay", prompt: "fuzz", decoders: [])) { _ in
                Workspace(decoders: [ReplayDecoder(name: recorded.decoder, prompt: recorded.prompt, steps: recorded.steps)],
                          presenter: IDPresenter(), title: "fuzz")
            }
            session.start()
            _ = session.waitUntilIdle(timeout: 10)
            for _ in 0..<min(recorded.steps.count, 64) {
                session.next()
                _ = session.waitUntilIdle(timeout: 10)
                for mode in GridMode.allCases {
                    var ui = UIState(); ui.gridMode = mode
                    _ = Screen.render(session.snapshot(), ui, width: 100, height: 30)
                }
                var ui = UIState(); ui.overlay = .explain
                _ = Screen.render(session.snapshot(), ui, width: 100, height: 30)
                ui.overlay = .legend
                _ = Screen.render(session.snapshot(), ui, width: 100, height: 30)
            }
            session.cancel()
            return "replayed and drawn"
        case .scenario:
            do { _ = try ScenarioFile.parse(text, file: "fuzz.toml"); return "ok" } catch { return "refused" }
        case .theme:
            do { _ = try Theme.parse(text, file: "fuzz.toml"); return "ok" } catch { return "refused" }
        case .completion:
            let raw = Array(text.utf8)
            let response: HTTPResponse
            do { response = try HTTPClient.parse(raw, host: "fuzz", port: 1) } catch {
                check("\(error)")
                return "refused (http)"
            }
            // Every message made from a server's bytes is one line with no control characters.
            if let m = CompletionAnswer.errorMessage(body: response.body) { check(m) }
            var outcome = "refused"
            do {
                let a = try CompletionAnswer.parse(response.body)
                precondition(a.tokens.count == a.positions.count)
                for p in a.positions { if let lp = p.tokenLogprob { precondition(lp <= 0) } }
                outcome = "parsed"
            } catch { check("\(error)") }
            _ = try? CompletionAnswer.modelNames(response.body)
            _ = try? CompletionAnswer.tokenIDs(response.body)
            return outcome
        }
    }

    /// A crash (so the fuzzer reports it) if a message would carry a control character to the terminal.
    func check(_ message: String) {
        precondition(!message.unicodeScalars.contains { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) },
                     "a message carries a control character: \(message.debugDescription)")
    }

    static let extremes = ["0", "-1", "1e308", "-1e308", "1e-320", "9223372036854775807", "-9223372036854775808",
                           "18446744073709551616", "1e18", "4294967296", "2147483648", "nan", "inf", "-inf",
                           "\"\"", "[]", "{}", "null", "true", "\"\\u001b[2J\"", "\"\\u0000\""]

    /// One mutation of `seed`.
    static func mutate(_ seed: String, rng: inout SplitMix64) -> String {
        var b = Array(seed.utf8)
        let rounds = 1 + rng.below(3)
        for _ in 0..<rounds where !b.isEmpty {
            let i = rng.below(b.count)
            switch rng.below(8) {
            case 0: b[i] = UInt8(truncatingIfNeeded: rng.next())
            case 1: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: i)
            case 2: b.removeSubrange(i..<min(b.count, i + 1 + rng.below(16)))
            case 3: let j = min(b.count, i + 1 + rng.below(64)); b.insert(contentsOf: b[i..<j], at: rng.below(b.count))
            case 4, 5:  // a number becomes an extreme value
                var s = i
                while s < b.count, !(b[s] >= 0x30 && b[s] <= 0x39) { s += 1 }
                guard s < b.count else { continue }
                var e = s
                while e < b.count, (b[e] >= 0x30 && b[e] <= 0x39) || b[e] == 0x2E || b[e] == 0x65 || b[e] == 0x2D { e += 1 }
                b.replaceSubrange(s..<e, with: Array(extremes[rng.below(extremes.count)].utf8))
            case 6: b.insert(contentsOf: [0x1B, 0x5B, 0x32, 0x4A, 0x00, 0x0A, 0x7F][0..<(1 + rng.below(7))], at: i)
            default: b.insert(contentsOf: Array(extremes[rng.below(extremes.count)].utf8), at: i)
            }
        }
        return String(decoding: b, as: UTF8.self)
    }
}
