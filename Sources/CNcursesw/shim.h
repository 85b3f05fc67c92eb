// The slice of ncursesw that tokenloom's terminal backend uses, plus wrappers for what Swift
// cannot import: function-like macros (COLOR_PAIR, getmaxyx) and the wide-character API.
// Builds against ncurses 6 (Linux's ncursesw, Homebrew's) and the ncurses 5.7 of macOS's SDK, which
// has the wide API only with _XOPEN_SOURCE_EXTENDED and no extended colours: pairs then travel in
// the attribute's 8 bits, so only pairs 1...255 exist (TL_EXTENDED_COLORS, tl_color_pairs).
#ifndef TOKENLOOM_CNCURSESW_SHIM_H
#define TOKENLOOM_CNCURSESW_SHIM_H
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <wchar.h>
#if __has_include(<ncursesw/curses.h>)
#include <ncursesw/curses.h>
#else
#include <curses.h>
#endif
#include <langinfo.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

// Extended colour pairs (int pairs in cchar_t, init_extended_pair) came with ncurses 6.1 built with
// --enable-ext-colors; NCURSES_EXT_COLORS is its configure date there and 0 or absent elsewhere.
// Defining TL_EXTENDED_COLORS=0 forces the fallback (the shim's syntax test does, on Linux).
#ifndef TL_EXTENDED_COLORS
#if defined(NCURSES_EXT_COLORS) && NCURSES_EXT_COLORS && defined(NCURSES_VERSION_MAJOR) \
    && (NCURSES_VERSION_MAJOR > 6 || (NCURSES_VERSION_MAJOR == 6 && NCURSES_VERSION_MINOR >= 1))
#define TL_EXTENDED_COLORS 1
#else
#define TL_EXTENDED_COLORS 0
#endif
#endif

static inline int tl_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int tl_max_y(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)x; return y; }
static inline int tl_max_x(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)y; return x; }
static inline WINDOW *tl_stdscr(void) { return stdscr; }
static inline int tl_colors(void) { return COLORS; }
/// How many pairs (0 included) the shim can draw with: COLOR_PAIRS, capped at 256 without extended
/// colours, where a cell's pair is the 8-bit field of its attributes.
static inline int tl_color_pairs(void) {
    return TL_EXTENDED_COLORS || COLOR_PAIRS < 256 ? COLOR_PAIRS : 256;
}
/// Does this build have extended colour pairs (1) or only pairs 1...255 (0)?
static inline int tl_extended_colors(void) { return TL_EXTENDED_COLORS; }
/// Defines pair `pair` as (fg, bg); -1 is the terminal's default. ERR for a pair this build cannot draw.
static inline int tl_init_pair(int pair, int fg, int bg) {
#if TL_EXTENDED_COLORS
    return init_extended_pair(pair, fg, bg);
#else
    if (pair < 1 || pair >= tl_color_pairs() || fg > 32767 || bg > 32767) return ERR;
    return init_pair((short)pair, (short)fg, (short)bg);
#endif
}
static inline int tl_key_resize(void) { return KEY_RESIZE; }
static inline int tl_key_mouse(void) { return KEY_MOUSE; }
static inline unsigned int tl_attr_bold(void) { return (unsigned int)A_BOLD; }
static inline unsigned int tl_attr_dim(void) { return (unsigned int)A_DIM; }
static inline unsigned int tl_attr_underline(void) { return (unsigned int)A_UNDERLINE; }
static inline unsigned int tl_attr_reverse(void) { return (unsigned int)A_REVERSE; }

/// Draws one character cell (a UTF-8 grapheme given as wide chars) with attributes and a colour
/// pair: extended where the build has it (pairs beyond 255 need it, not COLOR_PAIR()), else the short.
static inline int tl_put_cell(int y, int x, const wchar_t *wch, unsigned int attrs, int pair) {
    cchar_t c;
#if TL_EXTENDED_COLORS
    setcchar(&c, wch, (attr_t)attrs, 0, &pair);
#else
    setcchar(&c, wch, (attr_t)attrs, (short)(pair < tl_color_pairs() ? pair : 0), NULL);
#endif
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
