// CLIError and the one reporter that maps any error to one line on stderr and an exit code.
#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import TokenloomModels

/// Errors the CLI raises itself. Exit code 1 = bad data, 2 = bad usage.
struct CLIError: UserFacingError {
    let message: String
    let exitCode: Int32
    static func usage(_ m: String) -> CLIError { CLIError(message: m, exitCode: ExitStatus.badUsage) }
    static func data(_ m: String) -> CLIError { CLIError(message: m, exitCode: ExitStatus.badData) }
    var description: String { message }
}

enum CLIErrorReporter {
    /// Prints one line for `error` on stderr (control characters escaped) and returns the exit code;
    /// --help and --version print their text on stdout and return 0.
    static func report(_ error: Error) -> Int32 {
        func line(_ s: String) { fputs("tokenloom: " + s.escapingControlCharacters + "\n", stderr) }
        if let e = error as? UserFacingError {
            line(e.description)
            return e.exitCode
        }
        if let e = error as? ArgumentParser.ExitCode { return e.rawValue }
        let code = Tokenloom.exitCode(for: error)
        if code == .success {
            print(Tokenloom.fullMessage(for: error))
            return 0
        }
        if code == .validationFailure {
            // ArgumentParser lists choices one per line ("  - ar"): fold them into the one line.
            let lines = Tokenloom.message(for: error).split(separator: "\n")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let head = lines.first ?? "invalid arguments"
            let items = lines.dropFirst().map { $0.hasPrefix("- ") ? String($0.dropFirst(2)) : $0 }
            let message = items.isEmpty ? head : head + " " + items.joined(separator: ", ")
            line("\(message) (see '\(helpCommand())')")
            return ExitStatus.badUsage
        }
        line("\(error)")
        return code.rawValue == 0 ? ExitStatus.badData : code.rawValue
    }

    /// `tokenloom SUB --help` for the subcommand on the command line, else `tokenloom --help`.
    static func helpCommand() -> String {
        let args = CommandLine.arguments.dropFirst()
        var path = ["tokenloom"]
        var command: ParsableCommand.Type = Tokenloom.self
        for a in args {
            guard let sub = command.configuration.subcommands.first(where: { $0._commandName == a }) else { break }
            path.append(a); command = sub
        }
        return path.joined(separator: " ") + " --help"
    }
}
