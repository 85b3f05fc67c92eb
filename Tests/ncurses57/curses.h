/* A stand-in for the <curses.h> of macOS's SDK (ncurses 5.7, patch 20081102) for
 * NcursesShimTests on Linux: only what Sources/CNcursesw/shim.h and the Swift code importing CNcursesw
 * use, declared as 5.7 declares it.
 * Written from ncurses 5.7's interface, not copied. What makes it 5.7 for the shim:
 *  - no <ncursesw/curses.h> beside it (the shim takes its <curses.h> branch);
 *  - the wide-character API only under _XOPEN_SOURCE_EXTENDED;
 *  - no extended colours: NCURSES_EXT_COLORS is not defined, cchar_t has no ext_color, setcchar
 *    takes the pair as a short (its last argument must be NULL), init_pair takes shorts, and there
 *    is no init_extended_pair, alloc_pair or extended_pair_content. */
#ifndef __NCURSES_H
#define __NCURSES_H
#define CURSES 1
#define CURSES_H 1
#define NCURSES_VERSION_MAJOR 5
#define NCURSES_VERSION_MINOR 7
#define NCURSES_VERSION_PATCH 20081102
#define NCURSES_VERSION "5.7"
#define NCURSES_EXT_FUNCS 20081102
#define NCURSES_MOUSE_VERSION 1

#include <stdio.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <wchar.h>

typedef unsigned int chtype;
typedef unsigned int mmask_t;
typedef chtype attr_t;
typedef struct _win_st WINDOW;
typedef struct screen SCREEN;

#define OK (0)
#define ERR (-1)

extern WINDOW *stdscr;
extern int COLORS;
extern int COLOR_PAIRS;

#define NCURSES_ATTR_SHIFT 8
#define NCURSES_BITS(mask, shift) ((mask) << ((shift) + NCURSES_ATTR_SHIFT))
#define A_COLOR NCURSES_BITS(((1U) << 8) - 1U, 0)
#define A_UNDERLINE NCURSES_BITS(1U, 9)
#define A_REVERSE NCURSES_BITS(1U, 10)
#define A_DIM NCURSES_BITS(1U, 12)
#define A_BOLD NCURSES_BITS(1U, 13)
#define COLOR_PAIR(n) NCURSES_BITS(n, 0)
#define PAIR_NUMBER(a) ((int)((((unsigned long)(a)) & A_COLOR) >> NCURSES_ATTR_SHIFT))

extern SCREEN *newterm(char *, FILE *, FILE *);
extern SCREEN *set_term(SCREEN *);
extern int endwin(void);
extern int raw(void);
extern int noecho(void);
extern int nonl(void);
extern int keypad(WINDOW *, bool);
extern int set_escdelay(int);
extern int curs_set(int);
extern void wtimeout(WINDOW *, int);
extern int resizeterm(int, int);
extern int wclear(WINDOW *);
extern int wrefresh(WINDOW *);

extern int getmaxx(const WINDOW *);
extern int getmaxy(const WINDOW *);
#define getmaxyx(win, y, x) (y = getmaxy(win), x = getmaxx(win))

extern int start_color(void);
extern bool has_colors(void);
extern int use_default_colors(void);
extern int init_pair(short, short, short);
extern int pair_content(short, short *, short *);

#define KEY_CODE_YES 0400
#define KEY_DOWN 0402
#define KEY_UP 0403
#define KEY_LEFT 0404
#define KEY_RIGHT 0405
#define KEY_BACKSPACE 0407
#define KEY_F0 0410
#define KEY_ENTER 0527
#define KEY_BTAB 0541
#define KEY_MOUSE 0631
#define KEY_RESIZE 0632

#define BUTTON1_RELEASED 001L
#define BUTTON1_PRESSED 002L
#define BUTTON1_CLICKED 004L
typedef struct {
    short id;
    int x, y, z;
    mmask_t bstate;
} MEVENT;
extern int getmouse(MEVENT *);
extern mmask_t mousemask(mmask_t, mmask_t *);
extern int mouseinterval(int);

#ifdef _XOPEN_SOURCE_EXTENDED
#define CCHARW_MAX 5
typedef struct {
    attr_t attr;
    wchar_t chars[CCHARW_MAX];
} cchar_t;
extern int setcchar(cchar_t *, const wchar_t *, const attr_t, short, const void *);
extern int mvwadd_wch(WINDOW *, int, int, const cchar_t *);
#define mvadd_wch(y, x, c) mvwadd_wch(stdscr, y, x, c)
extern int wget_wch(WINDOW *, wint_t *);
#endif /* _XOPEN_SOURCE_EXTENDED */

#endif /* __NCURSES_H */
