// TourNoteTemplate: a tour note's numbers come from the engine. A note is written with
// placeholders, `{committed:Jacobi}` or `{later:AR|Jacobi}`, that are filled from the headless
// run as it stood at the stop's pass: a note cannot state a number the engine did not produce, and
// it cannot cite what has not happened yet (a pane's finish before it finishes). The keys:
//
//   {pass}                     the stop's pass
//   {grid}                     the image grid, "16x16"
//   {gateMin} {gateMax}        the smallest and largest fuser gate
//   {committed:P}              tokens pane P committed in this pass
//   {tokens:P}                 tokens P has committed by this pass
//   {accepted:P} {rejected:P}  drafts accepted / rejected in this pass (a Jacobi match counts as either)
//   {resampled:P} {drafts:P}   resampled positions / drafts tested in this pass
//   {fed:P}                    positions run through the model in this pass
//   {multi:P}                  passes so far that committed more than one token
//   {perPass:P}                tokens per pass so far (over the passes P ran)
//   {finished:P}               the pass P finished at (P must have finished)
//   {later:A|B}                finished(A) - finished(B)
//   {shared:A|B} {differ:A|B}  positions both panes have committed, and how many of them differ
//   {accept:P} {reject:P}      the first acceptance / rejection of this pass, with its p, q and u
//   {entropy:P} {trials:P}     the CNTP branch opened in this pass: entropy (nats), trial count
//   {perplexities:P} {kept:P}  the latest branch's trial perplexities, and the one kept
//   {text:P}                   P's text so far (a trailing <|...|> end token left out)
//   {temperature:P} {topP:P} {topPPercent:P}   P's sampler
//
// An integer key may name its noun: `{accepted:Jacobi; guess, guesses}` gives "1 guess".
import Foundation
import TokenloomDecoding
import TokenloomModels

public enum TourNoteTemplate {
    /// Notation a note may write with digits of its own (formulas, not figures).
    public static let notation = ["min(1, p/q)", "max(0, p - q)", "(0 = text encoder only)"]

    /// The digits a note states outside its placeholders and its notation: each one is a figure
    /// nothing checks, so a shipped note must have none.
    public static func literalNumbers(in note: String) -> [String] {
        var text = note
        for n in notation { text = text.replacingOccurrences(of: n, with: " ") }
        // A digit run after a letter is part of a name (SJD2, SmolLM2), not a figure.
        var out: [String] = [], depth = 0, cur = "", inName = false, prev: Character = " "
        for ch in text {
            if ch == "{" { depth += 1 } else if ch == "}" { depth = max(0, depth - 1) }
            if depth == 0, ch.isNumber {
                if cur.isEmpty { inName = prev.isLetter }
                cur.append(ch)
            } else {
                if !cur.isEmpty, !inName { out.append(cur) }
                cur = ""
            }
            prev = ch
        }
        if inName { cur = "" }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    /// Fills `note`'s placeholders from `run` as it stood after pass `pass`.
    public static func fill(_ note: String, pass: Int, run: HeadlessRun, presenter: TokenPresenter,
                            fuser: [FuserGate] = []) throws -> String {
        let facts = Facts(run: run, pass: pass, presenter: presenter, fuser: fuser)
        var out = "", rest = Substring(note)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw TourError.mismatch("an unclosed { in the note: \(rest[open...].prefix(30))")
            }
            out += try facts.value(of: String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}

/// The run up to one pass, and the placeholders' values.
private struct Facts {
    let run: HeadlessRun
    let pass: Int
    let presenter: TokenPresenter
    let fuser: [FuserGate]

    func fail(_ s: String) -> TourError { TourError.mismatch(s) }

    func value(of placeholder: String) throws -> String {
        var body = placeholder, noun: (String, String)?
        if let semi = body.firstIndex(of: ";") {
            let words = body[body.index(after: semi)...].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard words.count == 2 else { throw fail("{\(placeholder)}: a noun is written '; singular, plural'") }
            noun = (words[0], words[1])
            body = String(body[..<semi])
        }
        let parts = body.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        let key = parts[0]
        let panes = try parts.count > 1 ? parts[1].split(separator: "|").map { try pane(String($0).trimmingCharacters(in: .whitespaces)) } : []
        func count(_ n: Int) -> String {
            guard let (one, many) = noun else { return String(n) }
            return "\(n) \(n == 1 ? one : many)"
        }
        func needs(_ k: Int) throws {
            guard panes.count == k else { throw fail("{\(placeholder)}: \(key) takes \(k == 0 ? "no pane" : k == 1 ? "one pane" : "two panes, A|B")") }
        }
        switch key {
        case "pass": try needs(0); return count(pass)
        case "grid":
            try needs(0)
            guard case .image(let w, let h, _) = presenter.layout else { throw fail("{grid}: the model is not an image model") }
            return "\(w)x\(h)"
        case "gateMin", "gateMax":
            try needs(0)
            guard let lo = fuser.map(\.value).min(), let hi = fuser.map(\.value).max() else { throw fail("{\(key)}: the model has no fuser") }
            return fmt(key == "gateMin" ? lo : hi, 2)
        case "committed": try needs(1); return count(committed(panes[0], at: pass))
        case "tokens": try needs(1); return count(tokens(panes[0]))
        case "accepted": try needs(1); return count(verdicts(panes[0]).accepted)
        case "rejected": try needs(1); return count(verdicts(panes[0]).rejected)
        case "resampled": try needs(1); return count(events(panes[0]).filter { if case .resample = $0 { return true }; return false }.count)
        case "drafts": try needs(1); return count(events(panes[0]).filter { if case .draft = $0 { return true }; return false }.count)
        case "fed": try needs(1); return count(events(panes[0]).reduce(0) { if case .forward(_, let n, _) = $1 { return $0 + n }; return $0 })
        case "perPass":
            try needs(1)
            guard pass > 0 else { throw fail("{\(placeholder)}: no pass has run at pass 0") }
            return fmt(Double(tokens(panes[0])) / Double(min(pass, run.finishedAt[panes[0]])), 2)
        case "multi": try needs(1); return count((1...max(1, pass)).filter { pass > 0 && committed(panes[0], at: $0) > 1 }.count)
        case "finished": try needs(1); return count(try finished(panes[0]))
        case "later": try needs(2); return count(try finished(panes[0]) - finished(panes[1]))
        case "shared", "differ":
            try needs(2)
            let a = generated(panes[0]), b = generated(panes[1])
            let n = min(a.count, b.count)
            return count(key == "shared" ? n : (0..<n).filter { a[$0] != b[$0] }.count)
        case "accept", "reject": try needs(1); return try verdict(panes[0], accepted: key == "accept")
        case "entropy", "trials":
            try needs(1)
            guard let (h, k) = events(panes[0]).lazy.compactMap({ e -> (Double, Int)? in
                if case .branchOpened(_, let h, let k) = e { return (h, k) }; return nil }).first else {
                throw fail("{\(placeholder)}: \(name(panes[0])) opens no branch in pass \(pass)")
            }
            return key == "entropy" ? fmt(h, 2) : count(k)
        case "perplexities", "kept": try needs(1); return try branch(panes[0], kept: key == "kept")
        case "text": try needs(1); return text(panes[0])
        case "temperature", "topP", "topPPercent":
            try needs(1)
            guard let s = run.samplers.indices.contains(panes[0]) ? run.samplers[panes[0]] : nil else {
                throw fail("{\(placeholder)}: \(name(panes[0])) has no sampler settings")
            }
            switch key {
            case "temperature": return shortDecimal(s.temperature)
            case "topP": return shortDecimal(s.topP)
            default: return shortDecimal(s.topP * 100) + "%"
            }
        default:
            throw fail("{\(placeholder)}: no key '\(key)' (see TourNoteTemplate.swift for the keys)")
        }
    }

    func pane(_ label: String) throws -> Int {
        guard let i = run.names.firstIndex(of: label) else {
            throw fail("no pane '\(label)' (the panes: \(run.names.joined(separator: ", ")))")
        }
        return i
    }
    func name(_ i: Int) -> String { run.names[i] }

    /// Pane i's events in pass `t` (none in pass 0).
    func events(_ i: Int, at t: Int? = nil) -> [TraceEvent] {
        let t = t ?? pass
        return t >= 1 && t <= run.events[i].count ? run.events[i][t - 1] : []
    }
    func committed(_ i: Int, at t: Int) -> Int {
        events(i, at: t).reduce(0) { if case .commit(_, let toks) = $1 { return $0 + toks.count }; return $0 }
    }
    func tokens(_ i: Int) -> Int { pass < 1 ? 0 : (1...pass).reduce(0) { $0 + committed(i, at: $1) } }
    func generated(_ i: Int) -> [Int] { Array(run.generated[i].prefix(tokens(i))) }

    func verdicts(_ i: Int) -> (accepted: Int, rejected: Int) {
        var a = 0, r = 0
        for e in events(i) {
            switch e {
            case .accept: a += 1
            case .reject: r += 1
            case .match(_, let g, let t): if g == t { a += 1 } else { r += 1 }
            default: break
            }
        }
        return (a, r)
    }

    func finished(_ i: Int) throws -> Int {
        guard run.finishedAt[i] <= pass, run.finished.indices.contains(i) ? run.finished[i] : true else {
            throw fail("\(name(i)) has not finished by pass \(pass)")
        }
        return run.finishedAt[i]
    }

    /// "p 0.004 / q 0.917 → min(1,p/q) = 0.004 ≤ u = 0.529", or for Jacobi "guess '#5' = argmax '#5'"
    /// (sampling Jacobi: "= sample").
    func verdict(_ i: Int, accepted: Bool) throws -> String {
        for e in events(i) {
            switch e {
            case .accept(_, _, let p, let q, let u) where accepted, .reject(_, _, let p, let q, let u) where !accepted:
                let (r, uu) = separated(min(1, p / q), u)
                return "p \(fmt(p, 3)) / q \(fmt(q, 3)) → min(1,p/q) = \(r) \(accepted ? ">" : "≤") u = \(uu)"
            case .match(_, let g, let t) where (g == t) == accepted:
                // Greedy Jacobi compares with the argmax, sampling Jacobi with a fresh sample.
                let greedy = run.samplers.indices.contains(i) ? run.samplers[i]?.isGreedy ?? true : true
                return "guess \(quote(g)) \(accepted ? "=" : "≠") \(greedy ? "argmax" : "sample") \(quote(t))"
            default: continue
            }
        }
        throw fail("\(name(i)) has no \(accepted ? "acceptance" : "rejection") in pass \(pass)")
    }

    /// The latest branch opened by this pass: its trials' perplexities, or the one it kept.
    func branch(_ i: Int, kept: Bool) throws -> String {
        var ppl: [Int: Double] = [:], chosen: Int?, opened = false
        for t in stride(from: 1, through: max(pass, 0), by: 1) {
            for e in events(i, at: t) {
                switch e {
                case .branchOpened: ppl = [:]; chosen = nil; opened = true
                case .trialScored(let k, let x): ppl[k] = x
                case .branchChosen(let k): chosen = k
                default: break
                }
            }
        }
        guard opened, !ppl.isEmpty else { throw fail("\(name(i)) has scored no trial by pass \(pass)") }
        if kept {
            guard let k = chosen, let x = ppl[k] else { throw fail("\(name(i)) has chosen no trial by pass \(pass)") }
            return "trial \(k + 1), \(fmt(x, 2))"
        }
        return ppl.keys.sorted().map { fmt(ppl[$0], 2) }.joined(separator: ", ")
    }

    func text(_ i: Int) -> String {
        var pieces = generated(i).map { presenter.piece($0) }
        if let last = pieces.last, last.hasPrefix("<|"), last.hasSuffix("|>") { pieces.removeLast() }
        return pieces.joined().escapingControlCharacters
    }

    func quote(_ token: Int) -> String { "'" + presenter.piece(token).escapingControlCharacters + "'" }
}
