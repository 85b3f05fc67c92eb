// tokenloom: the command line. Parses, runs one subcommand, and maps every error to one line on
// stderr and an exit code: 0 ok, 1 bad data (a model, theme, trace or scenario file), 2 bad usage.
#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser

setvbuf(stdout, nil, _IOFBF, 1 << 16)
do {
    var command = try Tokenloom.parseAsRoot()
    try command.run()
    fflush(stdout)
} catch {
    fflush(stdout)
    exit(CLIErrorReporter.report(error))
}
