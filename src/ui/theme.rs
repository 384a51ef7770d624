//! Styles from `assets/theme.toml`, or none but bold/reverse/underline under NO_COLOR.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct ThemeFile {
    title: String,
    text: String,
    muted: String,
    key: String,
    selected_fg: String,
    selected_bg: String,
    danger: String,
    ok: String,
    warning: String,
    border: String,
    focus_border: String,
    disabled: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub title: Style,
    pub text: Style,
    pub muted: Style,
    pub key: Style,
    pub selected: Style,
    pub danger: Style,
    pub ok: Style,
    pub warning: Style,
    pub border: Style,
    pub focus_border: Style,
    /// A command that cannot be taken now.
    pub disabled: Style,
}

fn color(name: &str) -> Color {
    match name {
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" => Color::Gray,
        "darkgray" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        _ => Color::Reset,
    }
}

impl Theme {
    pub fn new(no_color: bool) -> Self {
        if no_color {
            return Self::monochrome();
        }
        let file: ThemeFile =
            toml::from_str(include_str!("../../assets/theme.toml")).expect("assets/theme.toml is checked by a test");
        let fg = |name: &str| Style::new().fg(color(name));
        Self {
            title: fg(&file.title).add_modifier(Modifier::BOLD),
            text: fg(&file.text),
            muted: fg(&file.muted),
            key: fg(&file.key).add_modifier(Modifier::BOLD),
            selected: Style::new()
                .fg(color(&file.selected_fg))
                .bg(color(&file.selected_bg))
                .add_modifier(Modifier::BOLD),
            danger: fg(&file.danger).add_modifier(Modifier::BOLD),
            ok: fg(&file.ok),
            warning: fg(&file.warning).add_modifier(Modifier::BOLD),
            border: fg(&file.border),
            focus_border: fg(&file.focus_border).add_modifier(Modifier::BOLD),
            disabled: fg(&file.disabled).add_modifier(Modifier::DIM),
        }
    }

    pub fn monochrome() -> Self {
        let plain = Style::new();
        Self {
            title: plain.add_modifier(Modifier::BOLD),
            text: plain,
            muted: plain,
            key: plain.add_modifier(Modifier::BOLD),
            selected: plain.add_modifier(Modifier::REVERSED),
            danger: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            ok: plain,
            warning: plain.add_modifier(Modifier::BOLD),
            border: plain,
            focus_border: plain.add_modifier(Modifier::BOLD),
            disabled: plain.add_modifier(Modifier::DIM),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_theme_file_parses_and_uses_known_colours() {
        let theme = super::Theme::new(false);
        assert_ne!(theme, super::Theme::monochrome());
        let file = include_str!("../../assets/theme.toml");
        for line in file.lines().filter(|l| !l.starts_with('#') && l.contains(" = ")) {
            let value = line.split('"').nth(1).unwrap();
            assert!(
                value == "default" || super::color(value) != ratatui::style::Color::Reset,
                "unknown colour {value}"
            );
        }
    }
}
