//! A code read out over the phone: the NATO phonetic word for each character, in lines
//! that leave no unwiped copy behind.

use zeroize::Zeroizing;

use super::BackupCode;

impl BackupCode {
    /// The NATO phonetic read-out, one word per character, for reading over the phone.
    pub fn phonetic(&self) -> Vec<&'static str> {
        self.canonical.chars().map(phonetic_word).collect()
    }

    /// The read-out in `lines` lines of words, each line indented by two spaces. Each
    /// line is written once into a buffer of its exact size, so no copy of the words is
    /// left behind unwiped, and the lines wipe themselves when dropped.
    pub fn read_out_lines(&self, lines: usize) -> Vec<Zeroizing<String>> {
        let words = self.phonetic();
        let per_line = words.len().div_ceil(lines.max(1)).max(1);
        words
            .chunks(per_line)
            .map(|chunk| {
                let size = 2 + chunk.iter().map(|w| w.len()).sum::<usize>() + chunk.len() - 1;
                let mut line = Zeroizing::new(String::with_capacity(size));
                line.push_str("  ");
                for (i, word) in chunk.iter().enumerate() {
                    if i > 0 {
                        line.push(' ');
                    }
                    line.push_str(word);
                }
                line
            })
            .collect()
    }
}

pub fn phonetic_word(c: char) -> &'static str {
    match c {
        '0' => "Zero",
        '1' => "One",
        '2' => "Two",
        '3' => "Three",
        '4' => "Four",
        '5' => "Five",
        '6' => "Six",
        '7' => "Seven",
        '8' => "Eight",
        '9' => "Nine",
        'A' => "Alfa",
        'B' => "Bravo",
        'C' => "Charlie",
        'D' => "Delta",
        'E' => "Echo",
        'F' => "Foxtrot",
        'G' => "Golf",
        'H' => "Hotel",
        'J' => "Juliett",
        'K' => "Kilo",
        'M' => "Mike",
        'N' => "November",
        'P' => "Papa",
        'Q' => "Quebec",
        'R' => "Romeo",
        'S' => "Sierra",
        'T' => "Tango",
        'V' => "Victor",
        'W' => "Whiskey",
        'X' => "X-ray",
        'Y' => "Yankee",
        'Z' => "Zulu",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::ALPHABET;

    #[test]
    fn the_read_out_lines_hold_every_word_once() {
        let code = BackupCode { canonical: Zeroizing::new("0AXZ1B".into()), group: 4 };
        let lines: Vec<String> = code.read_out_lines(3).iter().map(|l| l.to_string()).collect();
        assert_eq!(lines, ["  Zero Alfa", "  X-ray Zulu", "  One Bravo"]);
        assert!(code.read_out_lines(3).iter().all(|l| l.capacity() == l.len()), "a line grew and left a copy behind");
    }

    #[test]
    fn phonetic_read_out_has_a_word_per_character() {
        let code = BackupCode { canonical: Zeroizing::new("0AXZ".into()), group: 4 };
        assert_eq!(code.phonetic(), ["Zero", "Alfa", "X-ray", "Zulu"]);
        assert!(ALPHABET.iter().all(|&b| phonetic_word(b as char) != "?"));
    }
}
