//! The command line's side of the text boundary: every line it writes for a person passes
//! `domain::text::visible`, the function every string the UI draws passes. A username, a
//! name or a serve client's name comes from the database, which other systems write too:
//! an escape sequence planted in one is printed as its picture (`␛`), never obeyed.
//! (`audit export` writes JSON lines for machines, escaped by the JSON writer instead.)

use std::io::{self, Write};

use crate::domain::text::visible;

/// A writer that passes each line through `visible` before `inner` sees it. The line's
/// own structure stays: its end (`\n`) and the tabs between the fields of a
/// tab-separated list. Bytes that are not UTF-8 are written as U+FFFD.
pub struct Visible<W: Write> {
    inner: W,
    line: Vec<u8>,
}

impl<W: Write> Visible<W> {
    pub fn new(inner: W) -> Self {
        Self { inner, line: Vec::new() }
    }

    fn emit(&mut self, end: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(&self.line);
        let shown: Vec<_> = text.split('\t').map(visible).collect();
        self.inner.write_all(shown.join("\t").as_bytes())?;
        self.inner.write_all(end)?;
        self.line.clear();
        Ok(())
    }
}

impl<W: Write> Write for Visible<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for &b in buf {
            if b == b'\n' {
                self.emit(b"\n")?;
            } else {
                self.line.push(b);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            self.emit(b"")?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Visible<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Standard output, through the text boundary.
pub fn stdout() -> Visible<io::StdoutLock<'static>> {
    Visible::new(io::stdout().lock())
}

/// One line on standard output, through the text boundary. A failure to write (a closed
/// pipe) loses the line and nothing else: the exit code still says what was done.
pub fn say(line: &str) {
    let _ = writeln!(stdout(), "{line}");
}

/// One line on standard error, through the text boundary.
pub fn tell(line: &str) {
    let _ = writeln!(Visible::new(io::stderr().lock()), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_in_a_line_are_shown_and_its_tabs_and_ends_kept() {
        let mut out = Visible::new(Vec::new());
        writeln!(out, "Rivera\u{1b}]0;owned\u{7}\u{1b}[2J\tagent").unwrap();
        write!(out, "jos\u{e9}\u{202e}x\tend").unwrap();
        out.flush().unwrap();
        let written = String::from_utf8(out.inner.clone()).unwrap();
        assert_eq!(written, "Rivera\u{241b}]0;owned\u{2407}\u{241b}[2J\tagent\njos\u{e9}\u{fffd}x\tend");
        assert!(!written.contains('\u{1b}'));
    }
}
