import LineEditor

#if canImport(Glibc)
import Glibc
#endif

// SIGINT must be blocked before any other thread exists, so that only the one watcher (not
// libedit, not a random thread) ever sees Ctrl-C: see the shared notes on libedit and signals.
InterruptSignal.blockOnMainThread()

exit(TnxMain.run(arguments: Array(CommandLine.arguments.dropFirst())))
