//! What a program in a pseudo-terminal shows: everything it writes, read on a thread of
//! its own into a vt100 screen that the test reads whenever it likes.

use std::io::Read;
use std::sync::{Arc, Mutex};

use portable_pty::MasterPty;

pub fn screen(master: &dyn MasterPty, rows: u16, cols: u16) -> Arc<Mutex<vt100::Parser>> {
    let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
    let mut reader = master.try_clone_reader().unwrap();
    let sink = parser.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().process(&buf[..n]);
        }
    });
    parser
}
