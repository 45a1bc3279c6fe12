#if canImport(Glibc)
import Glibc
#endif
import TnxSystem

// The stop signals (SIGINT, SIGTERM, SIGHUP) must be blocked before any other thread exists, so
// that only the one watcher (not libedit, not a random thread) ever sees them: see `StopSignals`.
StopSignals.blockOnMainThread()
// A write past a file-size limit (`ulimit -f`) must fail with EFBIG, which the journal reports
// and stops on, instead of killing tnx between a delete and its journal line.
StopSignals.ignoreFileSizeLimitSignal()

exit(TnxMain.run(arguments: Array(CommandLine.arguments.dropFirst())))
