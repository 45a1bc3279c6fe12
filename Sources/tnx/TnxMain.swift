import ArgumentParser
import LineEditor
import TnxInterpreter

/// Turns the command line into an exit status. Errors travel up to here as values; nothing
/// below calls `exit`.
enum TnxMain {
    static func run(arguments: [String], interrupts: InterruptWatcher) -> Int32 {
        let command: TnxCommand
        do {
            command = try TnxCommand.parse(arguments)
        } catch {
            let code = TnxCommand.exitCode(for: error)
            let message = TnxCommand.fullMessage(for: error)
            if code == .success {  // --help, --version
                FileOutput.standardOutput.write(message + "\n")
                FileOutput.standardOutput.flush()
                return 0
            }
            FileOutput.standardError.write("tnx: error: \(message)\nRun 'tnx --help' for usage.\n")
            return 2
        }
        return Session.run(command, interrupts: interrupts)
    }
}
