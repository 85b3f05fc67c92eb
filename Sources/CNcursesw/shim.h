// The slice of ncursesw that tokenloom's terminal backend uses, plus wrappers for what Swift
// cannot import: function-like macros (COLOR_PAIR, getmaxyx) and the wide-character API.
#ifndef TOKENLOOM_CNCURSESW_SHIM_H
#define TOKENLOOM_CNCURSESW_SHIM_H
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>
#include <langinfo.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <langinfo.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static inline int tl_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int tl_max_y(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)x; return y; }
static inline int tl_max_x(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)y; return x; }
static inline WINDOW *tl_stdscr(void) { return stdscr; }
static inline int tl_colors(void) { return COLORS; }
static inline int tl_color_pairs(void) { return COLOR_PAIRS; }
static inline int tl_key_resize(void) { return KEY_RESIZE; }
static inline int tl_key_mouse(void) { return KEY_MOUSE; }
static inline unsigned int tl_attr_bold(void) { return (unsigned int)A_BOLD; }
static inline unsigned int tl_attr_dim(void) { return (unsigned int)A_DIM; }
static inline unsigned int tl_attr_underline(void) { return (unsigned int)A_UNDERLINE; }
static inline unsigned int tl_attr_reverse(void) { return (unsigned int)A_REVERSE; }

/// Draws one character cell (a UTF-8 grapheme given as wide chars) with attributes and an
/// extended colour pair (pairs beyond 255 need the extended API, not COLOR_PAIR()).
static inline int tl_put_cell(int y, int x, const wchar_t *wch, unsigned int attrs, int pair) {
    cchar_t c;
    setcchar(&c, wch, (attr_t)attrs, 0, &pair);
    return mvadd_wch(y, x, &c);
}
/// Reads one key with the window's timeout: returns 0 for nothing, 1 for a character (in *out),
/// 2 for a function key code (in *out).
static inline int tl_read_key(unsigned int *out) {
    wint_t c = 0;
    int r = wget_wch(stdscr, &c);
    *out = (unsigned int)c;
    if (r == OK) return 1;
    if (r == KEY_CODE_YES) return 2;
    return 0;
}

/// The terminal's size from the tty (rows, cols); 0 when stdout is not a terminal.
static inline void tl_tty_size(int *rows, int *cols) {
    struct winsize ws;
    memset(&ws, 0, sizeof ws);
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) { *rows = ws.ws_row; *cols = ws.ws_col; }
    else { *rows = 0; *cols = 0; }
}

/// Is the current locale's character set UTF-8 (call after setlocale)?
static inline int tl_locale_is_utf8(void) {
    const char *cs = nl_langinfo(CODESET);
    return cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

static inline int tl_set_locale(void) { return setlocale(LC_ALL, "") != NULL; }
/// Reports left-button clicks (and presses) as KEY_MOUSE; returns 0 when the terminal has no mouse.
static inline int tl_enable_mouse(void) {
    mouseinterval(0);
    return mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL) != 0;
}

/// After KEY_MOUSE: the cell of a left click or press (1), or 0 for any other mouse event.
static inline int tl_read_click(int *x, int *y) {
    MEVENT e;
    if (getmouse(&e) != OK) return 0;
    if (!(e.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED))) return 0;
    *x = e.x; *y = e.y;
    return 1;
}
#endif
