import TnxSystem

// The stop signals (SIGINT, SIGTERM, SIGHUP) must be blocked before any other thread exists, so
// that only the one watcher (not libedit, not a random thread) ever sees them: see `StopSignals`.
StopSignals.blockOnMainThread()
// A write to a closed pipe or past `ulimit -f` must fail, not kill tnx between a delete and its
// journal line.
StopSignals.ignoreSignalsThatInterruptWrites()

Executable.exit(TnxMain.run(arguments: Array(CommandLine.arguments.dropFirst())))
