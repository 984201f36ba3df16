//! Which encoding to send, from the request's `Accept-Encoding` (RFC 9110 §12.5.3): brotli
//! before gzip before the bytes as they are, among those the answer has (the pages' files are
//! stored in all three; the ledger's CSV is gzipped as it streams).

/// The encodings a file may be stored in, in the order they are preferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The `Content-Encoding` value; none for identity.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Identity => None,
        }
    }

    fn token(self) -> &'static str {
        self.header().unwrap_or("identity")
    }
}

/// The q-value the header gives `coding` (explicitly, else through `*`), None if it names
/// neither. `x-gzip` counts as `gzip`.
fn weight(header: &str, coding: &str) -> Option<f32> {
    let mut star = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, v)| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if name == coding || (coding == "gzip" && name == "x-gzip") {
            return Some(q);
        }
        if name == "*" {
            star = Some(q);
        }
    }
    star
}

/// The best of `available` (in preference order) the client accepts. Identity is acceptable
/// unless refused outright (`identity;q=0`, or `*;q=0` without naming it); a client that
/// refuses everything we have still gets identity, as most servers do, rather than a 406.
pub fn choose(accept: Option<&str>, available: &[Encoding]) -> Encoding {
    let Some(header) = accept else {
        return Encoding::Identity;
    };
    available
        .iter()
        .copied()
        .filter(|e| *e != Encoding::Identity)
        .find(|e| weight(header, e.token()).is_some_and(|q| q > 0.0))
        .unwrap_or(Encoding::Identity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Encoding::{Brotli, Gzip, Identity};

    const ALL: [Encoding; 3] = [Brotli, Gzip, Identity];

    #[test]
    fn brotli_before_gzip_before_identity() {
        for (header, expected) in [
            (None, Identity),
            (Some(""), Identity),
            (Some("gzip, deflate, br, zstd"), Brotli),
            (Some("gzip, deflate"), Gzip),
            (Some("x-gzip"), Gzip),
            (Some("br;q=0, gzip"), Gzip),
            (Some("br;q=0.1, gzip;q=1"), Brotli),
            (Some("GZIP"), Gzip),
            (Some("identity"), Identity),
            (Some("*"), Brotli),
            (Some("*;q=0, identity"), Identity),
            (Some("deflate"), Identity),
            (Some("gzip;q=0"), Identity),
        ] {
            assert_eq!(choose(header, &ALL), expected, "{header:?}");
        }
    }

    #[test]
    fn only_what_is_stored_is_chosen() {
        assert_eq!(choose(Some("br, gzip"), &[Gzip, Identity]), Gzip);
        assert_eq!(choose(Some("br"), &[Gzip, Identity]), Identity);
        assert_eq!(choose(Some("br, gzip"), &[Identity]), Identity);
    }
}
