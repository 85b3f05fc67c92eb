// TokenloomTUI: ncurses views over session snapshots. Renders, never computes.
import TokenloomSession
