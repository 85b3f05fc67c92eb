// BuiltinThemes: the text of themes/*.toml, compiled in so the binary needs no files beside it.
// A test checks that these strings equal the files in themes/.

enum BuiltinThemes {
    static let text: [String: String] = [
        "dark": #"""
# tokenloom dark theme (the default). Every key is described in themes/README.md.
name = "dark"

[colors]
background = "#16181d"
foreground = "#d6d9e0"
muted = "#7a8190"
border = "#3a3f4b"
border_focus = "#7aa2f7"
title = "#e0e4ee"
accent = "#7aa2f7"
accepted = "#9ece6a"
sampled = "#7dcfff"
resampled = "#ff9e64"
draft = "#565f89"
rejected = "#f7768e"
noisy = "#bb9af7"
highlight = "#ffe066"
cursor = "#ffffff"
winner = "#9ece6a"
heat_low = "#2a6f97"
heat_mid = "#e0c341"
heat_high = "#e0433f"
empty_cell = "#23262e"
status_bg = "#2a2e38"
status_fg = "#c0c6d4"
overlay_bg = "#1f2330"
overlay_fg = "#e6e9f0"
"""#,
        "light": #"""
# tokenloom light theme. Every key is described in themes/README.md.
name = "light"

[colors]
background = "#f7f7f2"
foreground = "#24292f"
muted = "#6e7781"
border = "#c4c8ce"
border_focus = "#0969da"
title = "#1f2328"
accent = "#0969da"
accepted = "#1a7f37"
sampled = "#0550ae"
resampled = "#bc4c00"
draft = "#8c959f"
rejected = "#cf222e"
noisy = "#8250df"
highlight = "#d4a72c"
cursor = "#000000"
winner = "#1a7f37"
heat_low = "#54aeff"
heat_mid = "#d4a72c"
heat_high = "#cf222e"
empty_cell = "#e6e6df"
status_bg = "#dcdfe3"
status_fg = "#24292f"
overlay_bg = "#ffffff"
overlay_fg = "#1f2328"
"""#,
        "high-contrast": #"""
# tokenloom high-contrast theme: pure black and white with saturated state colours.
# Every key is described in themes/README.md.
name = "high-contrast"

[colors]
background = "#000000"
foreground = "#ffffff"
muted = "#c0c0c0"
border = "#ffffff"
border_focus = "#ffff00"
title = "#ffffff"
accent = "#00ffff"
accepted = "#00ff00"
sampled = "#00ffff"
resampled = "#ff8800"
draft = "#808080"
rejected = "#ff0000"
noisy = "#ff00ff"
highlight = "#ffff00"
cursor = "#ffffff"
winner = "#00ff00"
heat_low = "#0000ff"
heat_mid = "#ffff00"
heat_high = "#ff0000"
empty_cell = "#202020"
status_bg = "#ffffff"
status_fg = "#000000"
overlay_bg = "#000000"
overlay_fg = "#ffffff"
"""#,
    ]
}
