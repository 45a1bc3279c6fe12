#pragma once
// Fixed-argument wrappers of libedit's variadic calls (`el_set`, `el_get`, `history`),
// which Swift refuses to call, plus the few things Swift 6 cannot do itself
// (Glibc's `stdin`/`stdout`/`stderr` globals are rejected as not concurrency-safe).
// Every function returns what the wrapped libedit call returns (0 on success, -1 on error,
// unless documented otherwise).

#include <histedit.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The marker that brackets zero-width sequences (ANSI colours) in prompts: EL_PROMPT_ESC.
#define CEL_PROMPT_ESCAPE 1

typedef char *_Nullable (*cel_prompt_fn)(EditLine *_Nonnull);
typedef unsigned char (*cel_command_fn)(EditLine *_Nonnull, int);

// MARK: EditLine

/// `el_init(prog, stdin, stdout, stderr)`.
EditLine *_Nullable cel_init(const char *_Nonnull prog);
/// Reads the user's editrc (`$EDITRC`, then `~/.editrc`): `el_source(el, NULL)`. Errors
/// (no file) are ignored by the caller.
int cel_source_default(EditLine *_Nonnull el);

/// EL_PROMPT_ESC with CEL_PROMPT_ESCAPE as the marker.
int cel_set_prompt(EditLine *_Nonnull el, cel_prompt_fn _Nonnull fn);
/// EL_EDITOR ("emacs" or "vi").
int cel_set_editor(EditLine *_Nonnull el, const char *_Nonnull mode);
/// EL_SIGNAL (0: libedit installs no signal handlers).
int cel_set_signal(EditLine *_Nonnull el, int on);
/// EL_HIST with `history` as the function.
int cel_set_hist(EditLine *_Nonnull el, History *_Nullable h);
/// EL_ADDFN name, help, fn.
int cel_add_fn(EditLine *_Nonnull el, const char *_Nonnull name, const char *_Nonnull help,
               cel_command_fn _Nonnull fn);
/// EL_BIND key command (the list is NULL-terminated on the C side).
int cel_bind(EditLine *_Nonnull el, const char *_Nonnull key, const char *_Nonnull command);
/// EL_SETTY with up to three arguments (NULL ends the list early), e.g. ("-d", "-intr", NULL).
int cel_setty(EditLine *_Nonnull el, const char *_Nonnull a, const char *_Nullable b,
              const char *_Nullable c);
/// EL_CLIENTDATA set / get.
int cel_set_clientdata(EditLine *_Nonnull el, void *_Nullable data);
void *_Nullable cel_get_clientdata(EditLine *_Nonnull el);
/// EL_PREP_TERM: 1 puts the terminal in edit mode now (el_gets otherwise does it only when it
/// reads the first key, after printing the prompt: keys typed in between would be handled by
/// the tty in cooked mode: echoed twice, and ^C sent as SIGINT), 0 back to cooked mode.
int cel_prep_term(EditLine *_Nonnull el, int on);
/// EL_UNBUFFERED set.
int cel_set_unbuffered(EditLine *_Nonnull el, int on);
/// EL_EDITMODE get (0: editing disabled, e.g. by `edit off` in editrc).
int cel_get_editmode(EditLine *_Nonnull el);
/// Writes `text` to libedit's output stream (EL_GETFP 1) and flushes it.
void cel_write_output(EditLine *_Nonnull el, const char *_Nonnull text);
/// Terminal width (TIOCGWINSZ on libedit's output), 80 when unknown.
int cel_terminal_columns(EditLine *_Nonnull el);

// MARK: History

/// `history_init()` then H_SETSIZE.
History *_Nullable cel_history_init(int size);
int cel_history_setsize(History *_Nonnull h, int size);
int cel_history_setunique(History *_Nonnull h, int on);
int cel_history_enter(History *_Nonnull h, const char *_Nonnull line);
/// H_LOAD: returns the number of entries read, -1 on error (e.g. no file).
int cel_history_load(History *_Nonnull h, const char *_Nonnull path);
/// H_SAVE: returns the number of entries written, -1 on error.
int cel_history_save(History *_Nonnull h, const char *_Nonnull path);
/// Writes the history to `temporaryPath` (created with mode 0600, never wider), then renames
/// it over `path`: a crash never leaves a truncated file, and the file is never readable by
/// others, even for a moment. Returns the number of entries written, -1 on error (errno set).
int cel_history_save_atomic(History *_Nonnull h, const char *_Nonnull path,
                            const char *_Nonnull temporaryPath);
int cel_history_clear(History *_Nonnull h);
/// H_GETSIZE: number of entries.
int cel_history_count(History *_Nonnull h);
/// The entry `index` places back from the newest (0: the newest), or NULL past the oldest.
/// The pointer is libedit's: copy it at once.
const char *_Nullable cel_history_entry(History *_Nonnull h, int index);
/// EL_REFRESH: redraws the prompt and the line (after the prompt text changed).
int cel_refresh(EditLine *_Nonnull el);

// MARK: Terminal

/// Writes `prompt` to `outputFd` once the terminal is in no-echo mode, then reads one line from
/// `fd` with echo off, in non-canonical mode with ISIG off (so ^C is a key).
/// Writes the bytes (without newline, NUL-terminated) into `buffer` (capacity `capacity`).
/// Handles Backspace/DEL (one UTF-8 character) and ^U (clear); other control keys are ignored.
/// Input typed ahead is kept (TCSANOW). Returns the length, -1 on ^C, -2 on ^D or end of input,
/// -3 when `fd` is not a terminal or its mode cannot be changed. The mode is always restored.
long cel_read_secret(int fd, int outputFd, const char *_Nonnull prompt, char *_Nonnull buffer,
                      size_t capacity);

#ifdef __cplusplus
}
#endif
