//! The figures administrators judge departments by (docs/kpi.md): counts over the tickets
//! filed in a period, and the rates made of them. This is the reference definition: whatever
//! computes the figures from the database (per ticket or from aggregates) must give what
//! [`Counts::add`] gives ticket by ticket, and the tests compare the two.
//!
//! Rates are fractions between 0 and 1; a rate whose denominator is 0 is `None` (JSON `null`),
//! never 0 or 1.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::ticket::{Channel, Rating, TicketKind, TicketStatus};

/// What a ticket contributes to the figures, as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFacts {
    pub status: TicketStatus,
    pub kind: TicketKind,
    pub channel: Channel,
    /// The last revisit's rating.
    pub rating: Option<Rating>,
    pub reopen_count: i32,
    /// For a resolved (or closed) ticket: resolved no later than the deadline in force when
    /// it was resolved; `None` when it had no deadline.
    pub resolved_on_time: Option<bool>,
    /// Working days from the day it was filed to the day it was resolved.
    pub handling_days: Option<u32>,
    /// For a suggestion: adopted.
    pub adopted: Option<bool>,
    /// Signed for no later than its sign-for deadline; `None` when not signed or no deadline.
    pub signed_on_time: Option<bool>,
    /// Being handled and past its deadline now.
    pub overdue_now: bool,
    /// Closed because nobody rated it within the revisit window.
    pub no_response: bool,
}

/// The counts of a set of tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub filed: u64,
    /// By kind: problem, suggestion, inquiry (every kind present).
    pub filed_by_kind: BTreeMap<String, u64>,
    /// By channel: online, phone, visit (every channel present).
    pub filed_by_channel: BTreeMap<String, u64>,
    /// Filed and not rejected, withdrawn, merged or still waiting to be accepted.
    pub accepted: u64,
    /// Accepted and now resolved or closed.
    pub resolved: u64,
    /// Resolved with a deadline in force.
    pub resolved_with_deadline: u64,
    /// Resolved no later than that deadline.
    pub on_time: u64,
    /// Resolved and rated.
    pub rated: u64,
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub unsatisfied: u64,
    /// Closed without a rating when the revisit window ran out.
    pub no_response: u64,
    /// Resolved and reopened (重办) at least once.
    pub reopened: u64,
    /// Being handled now and past the deadline.
    pub overdue_open: u64,
    /// Signed for, with a sign-for deadline.
    pub signed_with_deadline: u64,
    /// Signed for no later than it.
    pub signed_on_time: u64,
    pub suggestions: u64,
    pub suggestions_adopted: u64,
    /// Resolved tickets by working days from filing to resolution.
    #[serde(skip)]
    pub handling_days: BTreeMap<u32, u64>,
}

impl Default for Counts {
    /// Empty counts with every kind and channel present.
    fn default() -> Counts {
        Counts {
            filed: 0,
            filed_by_kind: TicketKind::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), 0))
                .collect(),
            filed_by_channel: Channel::ALL
                .iter()
                .map(|c| (c.as_str().to_string(), 0))
                .collect(),
            accepted: 0,
            resolved: 0,
            resolved_with_deadline: 0,
            on_time: 0,
            rated: 0,
            satisfied: 0,
            basically_satisfied: 0,
            unsatisfied: 0,
            no_response: 0,
            reopened: 0,
            overdue_open: 0,
            signed_with_deadline: 0,
            signed_on_time: 0,
            suggestions: 0,
            suggestions_adopted: 0,
            handling_days: BTreeMap::new(),
        }
    }
}

impl Counts {
    /// Empty counts with every kind and channel present.
    pub fn new() -> Counts {
        Counts::default()
    }

    /// Counts one ticket: the definitions.
    pub fn add(&mut self, t: &TicketFacts) {
        use TicketStatus::*;
        self.filed += 1;
        *self
            .filed_by_kind
            .entry(t.kind.as_str().to_string())
            .or_default() += 1;
        *self
            .filed_by_channel
            .entry(t.channel.as_str().to_string())
            .or_default() += 1;
        if t.kind == TicketKind::Suggestion {
            self.suggestions += 1;
            if t.adopted == Some(true) {
                self.suggestions_adopted += 1;
            }
        }
        if t.overdue_now {
            self.overdue_open += 1;
        }
        if let Some(on_time) = t.signed_on_time {
            self.signed_with_deadline += 1;
            if on_time {
                self.signed_on_time += 1;
            }
        }
        // A merged request is counted once, as filed: its primary stands for it in every
        // other figure (docs/kpi.md).
        if matches!(t.status, Submitted | Rejected | Withdrawn | Merged) {
            return;
        }
        self.accepted += 1;
        if !matches!(t.status, Resolved | Closed) {
            return;
        }
        self.resolved += 1;
        if let Some(on_time) = t.resolved_on_time {
            self.resolved_with_deadline += 1;
            if on_time {
                self.on_time += 1;
            }
        }
        if t.reopen_count > 0 {
            self.reopened += 1;
        }
        if t.no_response {
            self.no_response += 1;
        }
        match t.rating {
            Some(Rating::Satisfied) => {
                self.rated += 1;
                self.satisfied += 1;
            }
            Some(Rating::BasicallySatisfied) => {
                self.rated += 1;
                self.basically_satisfied += 1;
            }
            Some(Rating::Unsatisfied) => {
                self.rated += 1;
                self.unsatisfied += 1;
            }
            None => {}
        }
        if let Some(days) = t.handling_days {
            *self.handling_days.entry(days).or_default() += 1;
        }
    }

    /// Adds another set's counts (of other tickets).
    pub fn merge(&mut self, other: &Counts) {
        self.filed += other.filed;
        for (k, n) in &other.filed_by_kind {
            *self.filed_by_kind.entry(k.clone()).or_default() += n;
        }
        for (c, n) in &other.filed_by_channel {
            *self.filed_by_channel.entry(c.clone()).or_default() += n;
        }
        self.accepted += other.accepted;
        self.resolved += other.resolved;
        self.resolved_with_deadline += other.resolved_with_deadline;
        self.on_time += other.on_time;
        self.rated += other.rated;
        self.satisfied += other.satisfied;
        self.basically_satisfied += other.basically_satisfied;
        self.unsatisfied += other.unsatisfied;
        self.no_response += other.no_response;
        self.reopened += other.reopened;
        self.overdue_open += other.overdue_open;
        self.signed_with_deadline += other.signed_with_deadline;
        self.signed_on_time += other.signed_on_time;
        self.suggestions += other.suggestions;
        self.suggestions_adopted += other.suggestions_adopted;
        for (d, n) in &other.handling_days {
            *self.handling_days.entry(*d).or_default() += n;
        }
    }

    /// The counts with their rates.
    pub fn summary(&self) -> Summary {
        let rate = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
        let handled: u64 = self.handling_days.values().sum();
        let total_days: u64 = self
            .handling_days
            .iter()
            .map(|(d, n)| u64::from(*d) * n)
            .sum();
        Summary {
            resolution_rate: rate(self.resolved, self.accepted),
            on_time_rate: rate(self.on_time, self.resolved_with_deadline),
            satisfaction_rate: rate(self.satisfied + self.basically_satisfied, self.rated),
            revisit_rate: rate(self.rated, self.resolved),
            reopen_rate: rate(self.reopened, self.resolved),
            sign_on_time_rate: rate(self.signed_on_time, self.signed_with_deadline),
            adoption_rate: rate(self.suggestions_adopted, self.suggestions),
            handling_days_mean: (handled > 0).then(|| total_days as f64 / handled as f64),
            handling_days_median: median(&self.handling_days),
            counts: self.clone(),
        }
    }
}

/// The median of a histogram: the middle value, or the mean of the two middle ones.
fn median(histogram: &BTreeMap<u32, u64>) -> Option<f64> {
    let n: u64 = histogram.values().sum();
    if n == 0 {
        return None;
    }
    // The values at positions (n-1)/2 and n/2 (0-based) of the sorted list.
    let nth = |k: u64| {
        let mut seen = 0;
        for (value, count) in histogram {
            seen += count;
            if k < seen {
                return f64::from(*value);
            }
        }
        0.0
    };
    Some((nth((n - 1) / 2) + nth(n / 2)) / 2.0)
}

/// Counts and rates, as the API sends them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    #[serde(flatten)]
    pub counts: Counts,
    pub resolution_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub revisit_rate: Option<f64>,
    pub reopen_rate: Option<f64>,
    pub sign_on_time_rate: Option<f64>,
    /// Adopted suggestions / suggestions.
    pub adoption_rate: Option<f64>,
    pub handling_days_mean: Option<f64>,
    pub handling_days_median: Option<f64>,
}

impl Summary {
    /// Something of it has come due: a ticket resolved, or one being handled past its
    /// deadline. A department with nothing due has nothing to be judged by yet (its
    /// resolution rate is 0 only because nothing has had time), so it is not ranked: "—", not 0.
    pub fn has_anything_due(&self) -> bool {
        self.counts.resolved > 0 || self.counts.overdue_open > 0
    }
}

/// How many of `ranked` departments (best first) the red list (红榜, from the top) and the
/// black list (黑榜, from the bottom) show, at most `limit` each: each list takes at most half,
/// so that no department is on both (with an odd number, the middle one is on neither).
pub fn red_and_black(ranked: usize, limit: usize) -> (usize, usize) {
    let each = (ranked / 2).min(limit);
    (each, each)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;

    #[test]
    fn a_merged_request_counts_as_filed_and_nowhere_else() {
        let mut counts = Counts::new();
        counts.add(&TicketFacts {
            rating: Some(Rating::Unsatisfied),
            ..facts(TicketStatus::Merged)
        });
        let mut filed_only = Counts::new();
        filed_only.filed = 1;
        *filed_only
            .filed_by_kind
            .entry("problem".into())
            .or_default() += 1;
        *filed_only
            .filed_by_channel
            .entry("online".into())
            .or_default() += 1;
        assert_eq!(counts, filed_only);
    }

    #[test]
    fn no_department_is_on_both_the_red_and_the_black_list() {
        assert_eq!(red_and_black(0, 10), (0, 0));
        assert_eq!(red_and_black(1, 10), (0, 0));
        assert_eq!(red_and_black(3, 10), (1, 1));
        assert_eq!(red_and_black(4, 10), (2, 2));
        assert_eq!(red_and_black(30, 10), (10, 10));
        for n in 0..40 {
            for limit in 1..12 {
                let (red, black) = red_and_black(n, limit);
                assert!(red + black <= n && red <= limit && black <= limit);
            }
        }
    }

    fn facts(status: TicketStatus) -> TicketFacts {
        TicketFacts {
            status,
            kind: TicketKind::Problem,
            channel: Channel::Online,
            rating: None,
            reopen_count: 0,
            resolved_on_time: None,
            handling_days: None,
            adopted: None,
            signed_on_time: None,
            overdue_now: false,
            no_response: false,
        }
    }

    /// Ten tickets, each figure worked out by hand below.
    fn fixture() -> Vec<TicketFacts> {
        vec![
            // 1. waiting to be accepted
            facts(Submitted),
            // 2. rejected
            facts(Rejected),
            // 3. withdrawn, by phone
            TicketFacts {
                channel: Channel::Phone,
                ..facts(Withdrawn)
            },
            // 4. accepted, not assigned
            facts(Accepted),
            // 5. in progress, overdue, signed late
            TicketFacts {
                overdue_now: true,
                signed_on_time: Some(false),
                ..facts(InProgress)
            },
            // 6. resolved on time in 3 working days, not rated yet, signed on time
            TicketFacts {
                resolved_on_time: Some(true),
                handling_days: Some(3),
                signed_on_time: Some(true),
                ..facts(Resolved)
            },
            // 7. closed satisfied, late, 8 days, reopened once
            TicketFacts {
                rating: Some(Rating::Satisfied),
                resolved_on_time: Some(false),
                handling_days: Some(8),
                reopen_count: 1,
                ..facts(Closed)
            },
            // 8. closed basically satisfied, on time, 5 days; a suggestion, adopted, by visit
            TicketFacts {
                kind: TicketKind::Suggestion,
                channel: Channel::Visit,
                adopted: Some(true),
                rating: Some(Rating::BasicallySatisfied),
                resolved_on_time: Some(true),
                handling_days: Some(5),
                ..facts(Closed)
            },
            // 9. closed with no response, no deadline, 1 day; a suggestion not adopted
            TicketFacts {
                kind: TicketKind::Suggestion,
                adopted: Some(false),
                no_response: true,
                handling_days: Some(1),
                ..facts(Closed)
            },
            // 10. reopened after an unsatisfied rating, being handled again (not resolved)
            TicketFacts {
                kind: TicketKind::Inquiry,
                rating: Some(Rating::Unsatisfied),
                reopen_count: 1,
                ..facts(InProgress)
            },
        ]
    }

    #[test]
    fn every_figure_of_the_fixture() {
        let mut c = Counts::new();
        fixture().iter().for_each(|t| c.add(t));
        assert_eq!(c.filed, 10);
        assert_eq!(c.filed_by_kind["problem"], 7);
        assert_eq!(c.filed_by_kind["suggestion"], 2);
        assert_eq!(c.filed_by_kind["inquiry"], 1);
        assert_eq!(c.filed_by_channel["online"], 8);
        assert_eq!(c.filed_by_channel["phone"], 1);
        assert_eq!(c.filed_by_channel["visit"], 1);
        // 4 … 10.
        assert_eq!(c.accepted, 7);
        // 6, 7, 8, 9.
        assert_eq!(c.resolved, 4);
        assert_eq!((c.resolved_with_deadline, c.on_time), (3, 2));
        // 7, 8 (10's rating belongs to a ticket not resolved now).
        assert_eq!(
            (c.rated, c.satisfied, c.basically_satisfied, c.unsatisfied),
            (2, 1, 1, 0)
        );
        assert_eq!(c.no_response, 1);
        assert_eq!(c.reopened, 1);
        assert_eq!(c.overdue_open, 1);
        assert_eq!((c.signed_with_deadline, c.signed_on_time), (2, 1));
        assert_eq!((c.suggestions, c.suggestions_adopted), (2, 1));

        let s = c.summary();
        assert_eq!(s.resolution_rate, Some(4.0 / 7.0));
        assert_eq!(s.on_time_rate, Some(2.0 / 3.0));
        assert_eq!(s.satisfaction_rate, Some(1.0));
        assert_eq!(s.revisit_rate, Some(0.5));
        assert_eq!(s.reopen_rate, Some(0.25));
        assert_eq!(s.sign_on_time_rate, Some(0.5));
        assert_eq!(s.adoption_rate, Some(0.5));
        // 3, 8, 5, 1 → mean 4.25, median (3 + 5) / 2.
        assert_eq!(s.handling_days_mean, Some(4.25));
        assert_eq!(s.handling_days_median, Some(4.0));
    }

    #[test]
    fn rates_over_nothing_are_null() {
        let s = Counts::new().summary();
        assert_eq!(s.resolution_rate, None);
        assert_eq!(s.on_time_rate, None);
        assert_eq!(s.satisfaction_rate, None);
        assert_eq!(s.handling_days_median, None);
        let json = serde_json::to_value(&s).expect("json");
        assert_eq!(json["resolution_rate"], serde_json::Value::Null);
        assert_eq!(json["filed"], 0);
        assert_eq!(json["filed_by_kind"]["problem"], 0);
        // Only submitted tickets: accepted is 0, so the resolution rate is null, not 0.
        let mut c = Counts::new();
        c.add(&facts(Submitted));
        assert_eq!(c.summary().resolution_rate, None);
    }

    #[test]
    fn merging_is_adding_the_tickets() {
        let all = fixture();
        let (a, b) = all.split_at(4);
        let (mut x, mut y, mut whole) = (Counts::new(), Counts::new(), Counts::new());
        a.iter().for_each(|t| x.add(t));
        b.iter().for_each(|t| y.add(t));
        all.iter().for_each(|t| whole.add(t));
        x.merge(&y);
        assert_eq!(x, whole);
    }

    #[test]
    fn medians() {
        let h = |pairs: &[(u32, u64)]| pairs.iter().copied().collect::<BTreeMap<_, _>>();
        assert_eq!(median(&h(&[(2, 1)])), Some(2.0));
        assert_eq!(median(&h(&[(1, 1), (9, 1)])), Some(5.0));
        assert_eq!(median(&h(&[(1, 2), (9, 1)])), Some(1.0));
        assert_eq!(median(&h(&[(0, 3), (4, 3)])), Some(2.0));
    }
}
