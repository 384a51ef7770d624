//! Database URLs as messages and the log may show them.

/// The URL without its passwords, for messages: the one after the user name, and any
/// `password` or `sslpassword` parameter.
pub fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = match (base.find("://"), base.rfind('@')) {
        (Some(s), Some(at)) if at > s => match base[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &base[..s + 3], &base[at..]),
            None => base.to_owned(),
        },
        _ => base.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((key, _)) if ["password", "sslpassword"].contains(&key.to_ascii_lowercase().as_str()) => {
                    format!("{key}=***")
                }
                _ => p.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redaction_hides_every_password_in_a_url() {
        assert_eq!(redact("postgres://app:s3cret@db:5432/hd"), "postgres://app:***@db:5432/hd");
        assert_eq!(redact("postgres://app@db/hd?password=s3cret"), "postgres://app@db/hd?password=***");
        assert_eq!(
            redact("postgres://db/hd?sslmode=require&PASSWORD=s3cret&user=app"),
            "postgres://db/hd?sslmode=require&PASSWORD=***&user=app"
        );
        assert_eq!(redact("postgres://a:b@db/hd?sslpassword=k3y"), "postgres://a:***@db/hd?sslpassword=***");
        assert_eq!(redact("sqlite://helpdesk.db"), "sqlite://helpdesk.db");
        for url in ["postgres://a:pw1@h/d?password=pw2", "postgres://h/d?sslmode=require&password=pw2"] {
            let shown = redact(url);
            assert!(!shown.contains("pw1") && !shown.contains("pw2"), "{shown}");
        }
    }
}
