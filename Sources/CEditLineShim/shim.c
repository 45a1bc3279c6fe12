#include "CEditLineShim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

EditLine *cel_init(const char *prog) { return el_init(prog, stdin, stdout, stderr); }

int cel_source_default(EditLine *el) { return el_source(el, NULL); }

int cel_set_prompt(EditLine *el, cel_prompt_fn fn) {
    return el_set(el, EL_PROMPT_ESC, fn, (char)CEL_PROMPT_ESCAPE);
}

int cel_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }

int cel_set_signal(EditLine *el, int on) { return el_set(el, EL_SIGNAL, on); }

int cel_set_hist(EditLine *el, History *h) {
    if (h == NULL) return el_set(el, EL_HIST, (void *)NULL, (void *)NULL);
    return el_set(el, EL_HIST, history, h);
}

int cel_add_fn(EditLine *el, const char *name, const char *help, cel_command_fn fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}

int cel_bind(EditLine *el, const char *key, const char *command) {
    return el_set(el, EL_BIND, key, command, (const char *)NULL);
}

int cel_setty(EditLine *el, const char *a, const char *b, const char *c) {
    if (b == NULL) return el_set(el, EL_SETTY, a, (const char *)NULL);
    if (c == NULL) return el_set(el, EL_SETTY, a, b, (const char *)NULL);
    return el_set(el, EL_SETTY, a, b, c, (const char *)NULL);
}

int cel_set_clientdata(EditLine *el, void *data) { return el_set(el, EL_CLIENTDATA, data); }

void *cel_get_clientdata(EditLine *el) {
    void *data = NULL;
    if (el_get(el, EL_CLIENTDATA, &data) != 0) return NULL;
    return data;
}

int cel_prep_term(EditLine *el, int on) { return el_set(el, EL_PREP_TERM, on); }

int cel_set_unbuffered(EditLine *el, int on) { return el_set(el, EL_UNBUFFERED, on); }

int cel_get_editmode(EditLine *el) {
    int mode = 1;
    if (el_get(el, EL_EDITMODE, &mode) != 0) return 1;
    return mode;
}

static FILE *cel_output(EditLine *el) {
    FILE *fp = NULL;
    if (el_get(el, EL_GETFP, 1, &fp) != 0 || fp == NULL) return stdout;
    return fp;
}

void cel_write_output(EditLine *el, const char *text) {
    FILE *fp = cel_output(el);
    fputs(text, fp);
    fflush(fp);
}

int cel_terminal_columns(EditLine *el) {
    struct winsize ws;
    if (ioctl(fileno(cel_output(el)), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

// MARK: History

History *cel_history_init(int size) {
    History *h = history_init();
    if (h == NULL) return NULL;
    HistEvent ev;
    history(h, &ev, H_SETSIZE, size);
    return h;
}

int cel_history_setsize(History *h, int size) {
    HistEvent ev;
    return history(h, &ev, H_SETSIZE, size);
}

int cel_history_setunique(History *h, int on) {
    HistEvent ev;
    return history(h, &ev, H_SETUNIQUE, on);
}

int cel_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}

int cel_history_load(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_LOAD, path);
}

int cel_history_save(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_SAVE, path);
}

int cel_history_save_atomic(History *h, const char *path, const char *temporaryPath) {
    int fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return -1;
    (void)fchmod(fd, 0600); // an existing temporary file keeps its mode through O_CREAT
    FILE *fp = fdopen(fd, "w");
    if (fp == NULL) {
        int saved = errno;
        close(fd);
        unlink(temporaryPath);
        errno = saved;
        return -1;
    }
    HistEvent ev;
    int count = history(h, &ev, H_SAVE_FP, fp);
    int flushed = fflush(fp);
    int synced = fsync(fileno(fp));
    int closed = fclose(fp);
    if (count < 0 || flushed != 0 || synced != 0 || closed != 0) {
        int saved = errno;
        unlink(temporaryPath);
        errno = saved;
        return -1;
    }
    if (rename(temporaryPath, path) != 0) {
        int saved = errno;
        unlink(temporaryPath);
        errno = saved;
        return -1;
    }
    return count;
}

int cel_history_clear(History *h) {
    HistEvent ev;
    return history(h, &ev, H_CLEAR);
}

int cel_history_count(History *h) {
    HistEvent ev;
    if (history(h, &ev, H_GETSIZE) < 0) return 0;
    return ev.num;
}

const char *cel_history_entry(History *h, int index) {
    HistEvent ev;
    if (index < 0 || history(h, &ev, H_FIRST) < 0) return NULL;
    for (int i = 0; i < index; i++) {
        if (history(h, &ev, H_NEXT) < 0) return NULL;
    }
    return ev.str;
}

int cel_refresh(EditLine *el) { return el_set(el, EL_REFRESH); }

// MARK: Terminal

static void cel_write_all(int fd, const char *text) {
    size_t length = strlen(text);
    while (length > 0) {
        ssize_t n = write(fd, text, length);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        text += n;
        length -= (size_t)n;
    }
}

long cel_read_secret(int fd, int outputFd, const char *prompt, char *buffer, size_t capacity) {
    if (capacity == 0) return -3;
    buffer[0] = '\0';
    struct termios saved;
    if (!isatty(fd) || tcgetattr(fd, &saved) != 0) return -3;
    struct termios raw = saved;
    raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR | IGNCR);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &raw) != 0) return -3;
    cel_write_all(outputFd, prompt);

    size_t length = 0;
    long result = 0;
    for (;;) {
        unsigned char c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { result = length == 0 ? -2 : (long)length; break; }
        if (c == '\r' || c == '\n') { result = (long)length; break; }
        if (c == 0x03) { result = -1; break; }                    // ^C
        if (c == 0x04) { result = -2; break; }                    // ^D
        if (c == 0x7f || c == 0x08) {                             // erase one UTF-8 character
            while (length > 0) {
                length--;
                if (((unsigned char)buffer[length] & 0xC0) != 0x80) break;
            }
            continue;
        }
        if (c == 0x15) { length = 0; continue; }                  // ^U
        if (c < 0x20 && c != '\t') continue;                      // other control keys
        if (length + 1 < capacity) buffer[length++] = (char)c;
    }
    buffer[length < capacity ? length : capacity - 1] = '\0';
    if (result >= 0) buffer[result] = '\0';
    tcsetattr(fd, TCSANOW, &saved);
    return result;
}
