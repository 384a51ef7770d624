//! Search never lies: for each kind of query, paging through every page gives exactly the
//! users the query matches, in name order, with no gap and no repeat: the same answer as
//! the rule applied to the whole table, on 20,000 users, on every backend.

use crate::common;

use common::{TestDb, login};
use helpdesk::cli::demo;
use helpdesk::desk::{Limits, ProfileEdit};
use helpdesk::domain::text::fold;
use helpdesk::domain::user::{User, sort_key};
use helpdesk::store::UserQuery;
use unicode_normalization::UnicodeNormalization;

/// The rule, applied in Rust to one user: a phone's digits start or end the number; an
/// `@domain` starts the email's domain; any other word, folded (`text::fold`: case,
/// accents and punctuation dropped), starts the folded last name or first name, or any
/// word of either (split at spaces, hyphens, apostrophes and middle dots) read on to the
/// name's end, or, as typed in lower case, the username or email.
fn matches(user: &User, text: &str) -> bool {
    let text: String = text.nfkc().collect::<String>().trim().to_lowercase();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let phone: String = user.phone.chars().filter(char::is_ascii_digit).collect();
    if !digits.is_empty() && text.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
        return phone.starts_with(&digits) || (digits.len() >= 3 && phone.ends_with(&digits));
    }
    let email = user.email.to_lowercase();
    let domain = email.split_once('@').map_or("", |(_, d)| d).to_owned();
    let words: Vec<&str> = text.split_whitespace().filter(|w| w.starts_with('@') || !fold(w).is_empty()).collect();
    words.into_iter().take(8).all(|word| match word.strip_prefix('@') {
        Some(d) => domain.starts_with(d),
        None => {
            let key = fold(word).replace(' ', "");
            format!("{} {}", fold(&user.last_name), fold(&user.first_name)).starts_with(&key)
                || fold(&user.first_name).starts_with(&key)
                || starts_a_word(&user.first_name, &key)
                || starts_a_word(&user.last_name, &key)
                || user.username.starts_with(word)
                || email.starts_with(word)
        }
    })
}

/// Whether `key` starts some word of `name` after the first (which the folded name starts),
/// the words after it following without their dividers (`den` and `denberg` in van den
/// Berg).
fn starts_a_word(name: &str, key: &str) -> bool {
    let words: Vec<String> = name
        .nfkc()
        .collect::<String>()
        .split(|c: char| c.is_whitespace() || "-‐‑‒–—―'’‘ʼ`´·・‧･".contains(c))
        .map(|w| fold(w).replace(' ', ""))
        .filter(|w| !w.is_empty())
        .collect();
    (1..words.len()).any(|i| words[i..].concat().starts_with(key))
}

async fn every_page_is_the_whole_truth(db: TestDb) {
    let desk = db.desk(Limits::default());
    // 20,000 users on top of the 20 the fixture seeded: a fresh database for it.
    let seeded = common::fresh(&db).await;
    demo::seed(&seeded.desk(Limits::default()), 20_000, common::CHEAP, |_| {}).await.unwrap();
    drop(desk);
    let desk = seeded.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;

    let everybody = {
        let mut all = Vec::new();
        let mut query = UserQuery { text: String::new(), after: None, limit: 1000 };
        loop {
            let page = desk.search(&agent, &query).await.unwrap();
            let Some(last) = page.last() else { break };
            query.after = Some((sort_key(&last.first_name, &last.last_name), last.id));
            all.extend(page);
        }
        all
    };
    assert!(everybody.len() >= 20_000, "{}: {} users", seeded.name, everybody.len());
    let amara = everybody.iter().find(|u| u.username == "amara.okafor").unwrap();
    let tail = &amara.phone[amara.phone.len() - 4..];
    let queries = [
        "a".to_owned(),
        "ama".into(),
        "amara ok".into(),
        "okafor amara".into(),
        // Every word common (more than `FEW_OF_SEVERAL` users each): a last-name range is
        // walked with the other words checked on the way.
        "ma pa".into(),
        // Two common words, the other read within the walked one's last-name range
        // (`search::PAIR_SORTED`), in either order.
        "pa ma".into(),
        "ga ma".into(),
        "ma ga".into(),
        "ma @mail".into(),
        "pa ma zz".into(),
        "k".into(),
        "ok".into(),
        "mor".into(),
        tail.into(),
        "+234".into(),
        "@mail.example".into(),
        "@mail.ex".into(),
        "@bank".into(),
        "o'brien".into(),
        "jean-luc m".into(),
        "zz".into(),
        "alex.agent".into(),
        "nobody-at-all".into(),
        // Folded: accents, case, apostrophes and compatibility forms do not matter, and
        // every script finds itself.
        "garcia".into(),
        "GARCÍA".into(),
        "muller".into(),
        "obrien".into(),
        "o’brien".into(),
        "jose".into(),
        "lukasz".into(),
        "nguyen".into(),
        "Ｎｇｕｙｅｎ".into(),
        "कृष्ण".into(),
        "शर्मा".into(),
        "дмитрий".into(),
        "田中".into(),
        "σωκρατης".into(),
        "محمد".into(),
        "oladunni".into(),
        "collell".into(),
        "maria garcia".into(),
        // Every word of a name, in any order; particles are words like any other.
        "marquez".into(),
        "garcia marquez".into(),
        "marquez garcia".into(),
        "márquez jose".into(),
        "berg".into(),
        "van den berg".into(),
        "den".into(),
        "de la".into(),
        "rashid".into(),
        "al-rashid".into(),
        "el sayed".into(),
        "ludenscheidt".into(),
        "müller-lüdenscheidt".into(),
        "jones".into(),
        "ann".into(),
        "suilleabhain".into(),
        "tsaoi".into(),
        "водкин".into(),
        "الله".into(),
        "عبد الله".into(),
        "anh thi".into(),
        // Folded as Unicode's collation does: final sigma, and katakana typed in hiragana.
        "παπαδοπουλος".into(),
        "ΟΔΥΣΣΕΑΣ".into(),
        "οδυσσεας".into(),
        "やまだ".into(),
        "たろう やま".into(),
    ];
    for text in queries {
        let mut want: Vec<&User> = everybody.iter().filter(|u| matches(u, &text)).collect();
        want.sort_by(|a, b| {
            (sort_key(&a.first_name, &a.last_name), a.id).cmp(&(sort_key(&b.first_name, &b.last_name), b.id))
        });
        let mut got: Vec<i64> = Vec::new();
        let mut query = UserQuery { text: text.clone(), after: None, limit: 51 };
        // As the UI pages: one more than a page, the next page after the last shown.
        loop {
            let mut page = desk.search(&agent, &query).await.unwrap();
            let more = page.len() == 51;
            page.truncate(50);
            if let Some(last) = page.last() {
                query.after = Some((sort_key(&last.first_name, &last.last_name), last.id));
            }
            got.extend(page.iter().map(|u| u.id));
            if !more {
                break;
            }
        }
        let must_find = [
            "garcia",
            "GARCÍA",
            "muller",
            "obrien",
            "o’brien",
            "jose",
            "कृष्ण",
            "дмитрий",
            "田中",
            "Ｎｇｕｙｅｎ",
            "marquez",
            "garcia marquez",
            "marquez garcia",
            "berg",
            "van den berg",
            "rashid",
            "ludenscheidt",
            "водкин",
            "الله",
            "παπαδοπουλος",
            "ΟΔΥΣΣΕΑΣ",
            "οδυσσεας",
            "やまだ",
            "たろう やま",
        ];
        assert!(!must_find.contains(&text.as_str()) || !want.is_empty(), "{text:?} finds nobody in the demo data");
        let want: Vec<i64> = want.iter().map(|u| u.id).collect();
        assert_eq!(
            got.len(),
            want.len(),
            "{}: {text:?}: {} rows, the rule gives {}",
            seeded.name,
            got.len(),
            want.len()
        );
        assert_eq!(got, want, "{}: {text:?}: not the same rows in the same order", seeded.name);
    }
}

on_each_backend!(every_page_is_the_whole_truth);

/// Digital Banking registers customers and edits their names and phones in the same
/// database, without helpdesk. Such rows are found by their folded names like any other,
/// their phones are stored in E.164 when they read as valid numbers, and one that does not
/// read is kept as it was.
async fn rows_written_by_another_system_are_found(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    // SQLite's columns have no defaults for the keys, so that writer gives empty ones;
    // PostgreSQL's writer leaves them out.
    let keys = if db.name == "sqlite" { ("sort_key, first_key, phone_digits, ", "'', '', '', ") } else { ("", "") };
    for (username, first, last, phone) in [
        ("dbank.1", "José", "Núñez", "+44 (0)20 7946 0000"),
        ("dbank.2", "कृष्ण", "शर्मा", "0091 98765 43210"),
        ("dbank.3", "Zoë", "O’Connor", "call me maybe"),
        // A stray letter: the keypad digit beside it (E is 3) would make it +2348031234563.
        ("dbank.4", "Ada", "Eze", "+234 803 123 456E"),
    ] {
        let sql = format!(
            "INSERT INTO users (institution_id, kind, username, first_name, last_name, {}email, phone, \
             enrolment, created_at, updated_at) SELECT id, 'customer', '{username}', '{first}', '{last}', {}\
             '{username}@dbank.example', '{phone}', 'registered', 0, 0 FROM institutions",
            keys.0, keys.1
        );
        db.raw_execute(&sql).await.unwrap();
    }
    let jean = db.user("jeanluc.moreau").await;
    db.raw_execute(&format!(
        "UPDATE users SET first_name = 'Jürgen', last_name = 'Groß', phone = '+49 151 2345 6700' WHERE id = {}",
        jean.id
    ))
    .await
    .unwrap();

    let find = |text: &'static str| {
        let desk = &desk;
        let agent = &agent;
        async move {
            let query = UserQuery { text: text.into(), after: None, limit: 50 };
            desk.search(agent, &query).await.unwrap().into_iter().map(|u| (u.username, u.phone)).collect::<Vec<_>>()
        }
    };
    assert_eq!(find("jose nunez").await, [("dbank.1".to_owned(), "+442079460000".to_owned())], "{}", db.name);
    assert_eq!(find("कृष्ण").await, [("dbank.2".to_owned(), "+919876543210".to_owned())], "{}", db.name);
    assert_eq!(find("oconnor").await, [("dbank.3".to_owned(), "call me maybe".to_owned())], "{}", db.name);
    assert_eq!(find("dbank.4").await, [("dbank.4".to_owned(), "+234 803 123 456E".to_owned())], "{}", db.name);
    assert!(find("2348031234563").await.is_empty(), "{}: a letter became a digit", db.name);
    assert_eq!(find("gross jurgen").await, [("jeanluc.moreau".to_owned(), "+4915123456700".to_owned())], "{}", db.name);
    assert!(find("moreau jean").await.is_empty(), "{}: the old name is still found", db.name);
    // The trailing digits of a number another system wrote with spaces.
    assert_eq!(find("6700").await.len(), 1, "{}", db.name);
    // The product's own edit after another system's: fresh keys at once.
    desk.update_profile(
        &agent,
        jean.id,
        ProfileEdit { first_name: "Jean-Luc", last_name: "Moreau", email: &jean.email, phone: "+33 6 12 34 56 78" },
    )
    .await
    .unwrap();
    assert_eq!(find("moreau").await.len(), 1, "{}", db.name);
}

on_each_backend!(rows_written_by_another_system_are_found);

/// Every write the product makes stores a number's grouping and region beside it (a new
/// user, an edit, the refold of a row another system wrote), so that lists are drawn
/// without libphonenumber; a form that is not the number's (another writer changed the
/// number and its digits key but not the form, or wrote a form) is not believed.
async fn phones_are_stored_with_their_form(db: TestDb) {
    use helpdesk::domain::phone::{shown, shown_stored, stored_form};
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let find = |text: &'static str| {
        let (desk, agent) = (&desk, &agent);
        async move {
            let query = UserQuery { text: text.into(), after: None, limit: 50 };
            desk.search(agent, &query).await.unwrap().into_iter().next().expect(text)
        }
    };
    let amara = find("amara.okafor").await;
    assert_eq!(amara.phone_form.region.as_deref(), Some("NG"), "{}: a new user's", db.name);
    assert_eq!(amara.phone_form, stored_form(&amara.phone), "{}", db.name);

    let keys = if db.name == "sqlite" { ("sort_key, first_key, phone_digits, ", "'', '', '', ") } else { ("", "") };
    db.raw_execute(&format!(
        "INSERT INTO users (institution_id, kind, username, first_name, last_name, {}email, phone, \
         enrolment, created_at, updated_at) SELECT id, 'customer', 'dbank.9', 'Ola', 'Nordmann', {}\
         'dbank.9@dbank.example', '+47 412 34 567', 'registered', 0, 0 FROM institutions",
        keys.0, keys.1
    ))
    .await
    .unwrap();
    let ola = find("dbank.9").await;
    assert_eq!(ola.phone, "+4741234567", "{}", db.name);
    assert_eq!(ola.phone_form.region.as_deref(), Some("NO"), "{}: a refolded row's", db.name);
    assert_eq!(shown_stored(&ola.phone, &ola.phone_form), shown(&ola.phone), "{}", db.name);

    // Another writer moves the number and its digits key but not the form.
    db.raw_execute(&format!(
        "UPDATE users SET phone = '+442079460000', phone_digits = '442079460000' WHERE id = {}",
        ola.id
    ))
    .await
    .unwrap();
    let moved = find("dbank.9").await;
    assert_eq!(moved.phone_form, ola.phone_form, "{}: the form is the old number's", db.name);
    assert_eq!(
        shown_stored(&moved.phone, &moved.phone_form).line(),
        "+44 20 7946 0000 · United Kingdom",
        "{}: drawn from the number, not the form",
        db.name
    );
    // A form written to say another number, or another region.
    for (grouped, region) in [("+47 412 34 568", "NO"), ("+44 20 7946 0000", "NO"), ("+44 20 7946 0000\u{1b}[2J", "GB")]
    {
        db.raw_execute(&format!(
            "UPDATE users SET phone = '+4741234567', phone_digits = '4741234567', phone_grouped = '{grouped}', \
             phone_region = '{region}' WHERE id = {}",
            ola.id
        ))
        .await
        .unwrap();
        let u = find("dbank.9").await;
        assert_eq!(shown_stored(&u.phone, &u.phone_form), shown("+4741234567"), "{}: {grouped:?} {region}", db.name);
    }

    // The product's own edit stores the new number's form.
    desk.update_profile(
        &agent,
        ola.id,
        ProfileEdit { first_name: "Ola", last_name: "Nordmann", email: &ola.email, phone: "+33 6 12 34 56 78" },
    )
    .await
    .unwrap();
    let edited = find("dbank.9").await;
    assert_eq!(edited.phone_form.region.as_deref(), Some("FR"), "{}: an edit's", db.name);
    assert_eq!(edited.phone_form, stored_form(&edited.phone), "{}", db.name);
}

on_each_backend!(phones_are_stored_with_their_form);

/// Several agents search at once while thousands of rows are stale (an import by another
/// system): every search answers, and together they fold the rows.
async fn agents_fold_stale_rows_at_once(db: TestDb) {
    let seeded = common::fresh(&db).await;
    demo::seed(&seeded.desk(Limits::default()), 5_000, common::CHEAP, |_| {}).await.unwrap();
    // Four desks sign alex in within one 30-second step: by password, as the seeded tests do.
    seeded.second_factor(false).await;
    seeded.raw_execute("UPDATE users SET keys_stale = 1").await.unwrap();
    let mut desks = Vec::new();
    for _ in 0..4 {
        let desk = seeded.separate_desk(Limits::default()).await;
        let agent = login(&desk, "alex.agent").await;
        desks.push((desk, agent));
    }
    for round in 0..3 {
        let searches = desks.iter().map(|(desk, agent)| async move {
            let query = UserQuery { text: "garcia".into(), after: None, limit: 50 };
            desk.search(agent, &query).await
        });
        for answer in futures_util::future::join_all(searches).await {
            assert!(answer.is_ok(), "{}: round {round}: {:?}", seeded.name, answer.err());
        }
    }
    let left = seeded.desk(Limits::default()).refold_all().await.unwrap();
    assert!(left < 5_000, "{}: the searches folded nothing ({left} left)", seeded.name);
    let agent = login(&seeded.desk(Limits::default()), "alex.agent").await;
    let found = seeded
        .desk(Limits::default())
        .search(&agent, &UserQuery { text: "garcia".into(), after: None, limit: 500 })
        .await
        .unwrap();
    assert!(
        found.iter().all(|u| fold(&u.last_name).starts_with("garcia") || fold(&u.first_name).starts_with("garcia"))
    );
    assert!(!found.is_empty(), "{}", seeded.name);
}

on_each_backend!(multi_thread: agents_fold_stale_rows_at_once);

/// Names another system writes through SQL are found by each of their words, in any order
/// and in every script; a rename through SQL drops the old words with the write itself,
/// before anything folds again; the product's own edit writes the new words at once.
async fn every_word_of_a_name_written_through_sql_is_found(db: TestDb) {
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let amara = db.user("amara.okafor").await;
    let finds = |text: &str| {
        let query = UserQuery { text: text.into(), after: None, limit: 50 };
        let (desk, agent) = (&desk, &agent);
        async move { desk.search(agent, &query).await.unwrap().iter().any(|u| u.username == "amara.okafor") }
    };
    let cases: [(&str, &[&str]); 7] = [
        ("García Márquez", &["marquez", "garcia marquez", "márquez amara", "garcia", "MÁRQUEZ"]),
        ("van den Berg", &["berg", "van den berg", "den", "denberg", "berg van"]),
        ("Al-Rashid", &["rashid", "al-rashid", "al rashid", "alrashid"]),
        ("Müller-Lüdenscheidt", &["ludenscheidt", "lüdenscheidt müller", "muller-ludenscheidt"]),
        ("Петров-Водкин", &["водкин", "ВОДКИН петров"]),
        ("ΠΑΠΑΔΟΠΟΥΛΟΣ", &["παπαδοπουλος", "Παπαδόπουλος"]),
        ("ヤマダ タロウ", &["やまだ", "たろう", "ﾀﾛｳ", "やまだ たろう"]),
    ];
    for (last, typed) in cases {
        let sql = format!("UPDATE users SET last_name = '{last}' WHERE id = {}", amara.id);
        db.raw_execute(&sql).await.unwrap();
        for text in typed {
            assert!(finds(text).await, "{}: {text:?} does not find {last:?}", db.name);
        }
        assert!(!finds("okafor").await, "{}: the old name is still found", db.name);
    }
    // Touching a user's words counts them, without changing them.
    let words_of = format!("UPDATE user_name_words SET word_key = word_key WHERE user_id = {}", amara.id);
    assert!(db.raw_execute(&words_of).await.unwrap() > 0, "{}: the refold wrote no words", db.name);
    let rename = format!("UPDATE users SET last_name = 'García López' WHERE id = {}", amara.id);
    db.raw_execute(&rename).await.unwrap();
    assert_eq!(db.raw_execute(&words_of).await.unwrap(), 0, "{}: the old words outlive the rename", db.name);
    assert!(!finds("marquez").await && finds("lopez").await && finds("lopez garcia").await, "{}", db.name);

    let edit = ProfileEdit { first_name: "Amara", last_name: "Muñoz de la Fuente", email: &amara.email, phone: "" };
    desk.update_profile(&agent, amara.id, edit).await.unwrap();
    assert_eq!(db.raw_execute(&words_of).await.unwrap(), 3, "{}: delafuente, lafuente, fuente", db.name);
    assert!(finds("fuente").await && finds("de la fuente").await && !finds("lopez").await, "{}", db.name);
}

on_each_backend!(every_word_of_a_name_written_through_sql_is_found);

/// A database from before every word was keyed, whose keys an older fold made (final
/// sigma apart from sigma, katakana apart from hiragana), is folded again on upgrade.
async fn an_upgrade_folds_existing_names_again(db: TestDb) {
    use helpdesk::domain::phone::HomeRegion;
    let (url, _dir) = common::before_migration(&db, 23).await;
    let older = "INSERT INTO users (institution_id, kind, username, first_name, last_name, sort_key, \
         first_key, email, phone, phone_digits, enrolment, staff_role, created_at, updated_at, keys_stale) VALUES \
         (1, 'customer', 'jose.gm', 'José', 'García Márquez', 'garcia marquez jose', 'jose', 'j@example.com', \
          '', '', 'registered', NULL, 0, 0, 0), \
         (1, 'customer', 'odysseus.y', 'Οδυσσεύς', 'ヤマダ', 'ヤマダ οδυσσευς', 'οδυσσευς', 'o@example.com', \
          '', '', 'registered', NULL, 0, 0, 0)";
    db.raw_script_at(&url, older).await.expect("users as an older helpdesk wrote them");
    let store = helpdesk::store::open(&url, 2, &db.audit_key).await.expect("the upgrade");
    assert_eq!(store.refold_stale(1_000, HomeRegion::default()).await.unwrap(), 2, "{}", db.name);
    for (text, username) in [("marquez", "jose.gm"), ("ΟΔΥΣΣΕΥΣ", "odysseus.y"), ("やまだ", "odysseus.y")] {
        let query = UserQuery { text: text.into(), after: None, limit: 10 };
        let found: Vec<String> = store.search_users(&query).await.unwrap().into_iter().map(|u| u.username).collect();
        assert_eq!(found, [username], "{}: {text:?}", db.name);
    }
}

on_each_backend!(an_upgrade_folds_existing_names_again);
