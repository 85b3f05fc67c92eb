// tokenloom: the command line. Parses, runs one subcommand, and maps every error to one line on
// stderr and an exit code: 0 ok, 1 bad data (a model, theme, trace or scenario file) or a failed
// write to stdout, 2 bad usage.
#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import TokenloomKernels
import TokenloomTUI

setvbuf(stdout, nil, _IOFBF, 1 << 16)
FatalSignals.install()

/// Flushes stdout and turns a failed write (a full disk, /dev/full, a closed pipe) into exit 1.
func finishStdout() -> Int32 {
    if fflush(stdout) != 0 || ferror(stdout) != 0 {
        fputs("tokenloom: cannot write to standard output: \(String(cString: strerror(errno)))\n", stderr)
        return 1
    }
    return 0
}

var status: Int32 = 0
do {
    var command = try Tokenloom.parseAsRoot()
    // An unusable TOKENLOOM_ISA (a path this CPU lacks) stops every command before it starts: the
    // kernels never fall back silently to another path.
    if let e = MatMul.isaError { throw CLIError.usage(e) }
    try command.run()
} catch {
    status = CLIErrorReporter.report(error)
}
let written = finishStdout()
exit(status != 0 ? status : written)
