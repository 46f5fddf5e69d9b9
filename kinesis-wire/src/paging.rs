//! [`Pages`]: the bound every listing that follows paging tokens runs under, so a server that
//! hands out tokens forever (or the same token again) ends the listing with an error instead
//! of keeping the caller in a loop.

use std::collections::HashSet;

use crate::error::KinesisError;

/// Most pages one listing may take. A ListShards page holds up to 1,000 shards, so this
/// allows a million; real streams need a handful.
pub const MAX_PAGES: usize = 1000;

/// Counts the pages of one listing and remembers its tokens.
#[derive(Debug)]
pub struct Pages {
    action: &'static str,
    pages: usize,
    seen: HashSet<String>,
}

impl Pages {
    /// A new listing of `action`.
    pub fn new(action: &'static str) -> Self {
        Pages {
            action,
            pages: 0,
            seen: HashSet::new(),
        }
    }

    /// Pages received so far.
    #[cfg(test)]
    fn count(&self) -> usize {
        self.pages
    }

    /// Records a page that asks for another one with `token` (a `NextToken`, or the last
    /// name for listings that page by name). Fails when the token was seen before in this
    /// listing, or when this page was past [`MAX_PAGES`] (empty pages count).
    pub fn next_token(&mut self, token: &str) -> Result<(), KinesisError> {
        self.pages += 1;
        if !self.seen.insert(token.to_string()) {
            return Err(self.error(format!(
                "the listing does not end: page {} returned a paging token already seen in this listing",
                self.pages
            )));
        }
        if self.pages >= MAX_PAGES {
            return Err(self.error(format!(
                "the listing does not end: still more pages after {} pages (at most {MAX_PAGES})",
                self.pages
            )));
        }
        Ok(())
    }

    /// Records the last page of the listing.
    pub fn last(&mut self) {
        self.pages += 1;
    }

    fn error(&self, message: String) -> KinesisError {
        KinesisError::Protocol {
            action: self.action,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_token_ends_the_listing() {
        let mut p = Pages::new("ListStreams");
        p.next_token("t1").unwrap();
        let e = p.next_token("t1").unwrap_err();
        assert_eq!(e.to_string(), "ListStreams: protocol error: the listing does not end: page 2 returned a paging token already seen in this listing");
    }

    #[test]
    fn endless_fresh_tokens_stop_at_the_page_bound() {
        let mut p = Pages::new("ListShards");
        let mut n = 0;
        let e = loop {
            n += 1;
            assert!(n <= MAX_PAGES + 1, "the bound must stop the loop");
            if let Err(e) = p.next_token(&format!("token-{n}")) {
                break e;
            }
        };
        assert_eq!(n, MAX_PAGES);
        assert!(e.to_string().contains("after 1000 pages"), "{e}");
    }

    #[test]
    fn a_listing_that_ends_counts_its_last_page() {
        let mut p = Pages::new("ListShards");
        p.next_token("a").unwrap();
        p.last();
        assert_eq!(p.count(), 2);
    }
}
