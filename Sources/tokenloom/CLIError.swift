// CLIError and the single mapping from any error to a message and an exit code.
#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import TokenloomModels

/// Errors the CLI raises itself. Exit code 1 = bad data, 2 = bad usage / not available.
struct CLIError: Error, CustomStringConvertible {
    let message: String
    let code: Int32
    static func usage(_ m: String) -> CLIError { CLIError(message: m, code: 2) }
    static func data(_ m: String) -> CLIError { CLIError(message: m, code: 1) }
    /// A subcommand or option whose implementation has not landed yet: says so, exit 2.
    static func notYet(_ what: String) -> CLIError {
        CLIError(message: "\(what) is not implemented yet", code: 2)
    }
    var description: String { message }
}

enum CLIErrorReporter {
    /// Prints one line for `error` on stderr (plus a usage hint for usage errors) and returns the
    /// exit code.
    static func report(_ error: Error) -> Int32 {
        func line(_ s: String) { fputs(s + "\n", stderr) }
        switch error {
        case let e as CLIError:
            line("tokenloom: \(e.message)")
            return e.code
        case let e as GGUFError:
            line("tokenloom: \(e.description)")
            return 1
        case let e as ModelError:
            line("tokenloom: \(e.description)")
            return 1
        case let e as ExitCode:
            return e.rawValue
        default:
            let code = Tokenloom.exitCode(for: error)
            if code == .success {
                // --help / --version: the full text on stdout.
                print(Tokenloom.fullMessage(for: error))
                return 0
            }
            if code == .validationFailure {
                let message = Tokenloom.message(for: error)
                    .split(separator: "\n").first.map(String.init) ?? "invalid arguments"
                line("tokenloom: \(message)")
                line("Usage: tokenloom <subcommand> [options]  (see 'tokenloom --help')")
                return 2
            }
            line("tokenloom: \(error)")
            return code.rawValue == 0 ? 1 : code.rawValue
        }
    }
}
