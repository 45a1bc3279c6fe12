import LineEditor

#if canImport(Glibc)
import Glibc
#endif

// SIGINT must be blocked before any other thread exists, so that only the one watcher (not
// libedit, not a random thread) ever sees Ctrl-C: see the shared notes on libedit and signals.
InterruptSignal.blockOnMainThread()

// Ctrl-C during an operation cancels it (the runners set that action); a second one exits at
// once with 130; one that arrives while nothing runs (scripts: loading, shutting down) exits
// with 130 too. At the REPL prompt ^C is a key, not a signal.
let interrupts = InterruptWatcher(forceExitAfter: 2, exitStatus: 130, whenIdle: { _exit(130) })

exit(TnxMain.run(arguments: Array(CommandLine.arguments.dropFirst()), interrupts: interrupts))
