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
#endif
