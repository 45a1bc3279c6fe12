/// What the session's engines share, made once per `Interpreter`: each is a small `Sendable`
/// type of its own, so an engine is handed exactly these and never the interpreter.
struct SessionServices: Sendable {
    let journal: JournalWriter
    let allowance: DeleteAllowance
    let preparation: DeletePreparation
}
