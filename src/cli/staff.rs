//! `helpdesk staff create`: bootstraps staff, the first admin above all. The password is
//! read from the terminal without echo, or from standard input; never from argv.

use std::io::{BufRead, IsTerminal};

use zeroize::Zeroizing;

/// Asks twice on a terminal; reads one line from a pipe.
pub fn read_new_password() -> std::io::Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(rpassword::prompt_password("New password: ")?);
        let again = Zeroizing::new(rpassword::prompt_password("Repeat it: ")?);
        if first != again {
            return Err(std::io::Error::other("the two passwords differ"));
        }
        Ok(first)
    } else {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_owned()))
    }
}
