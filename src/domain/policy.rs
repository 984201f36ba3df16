//! 送政策 (issue 20): business-support policies (惠企政策), what matching reads of an
//! enterprise, the matching itself, and who may do what — pure functions, unit-tested here;
//! the service stores and the API reports.
//!
//! **Matching.** A policy's structured criteria are each a set of accepted values (or a date
//! bound); an empty set accepts anything. For each criterion an enterprise either meets it,
//! plainly does not, or cannot be judged because its profile does not say (an unknown). The
//! policy *fits* (符合) when every criterion is met, *may fit* (可能符合) when none is failed
//! and some are unknown — and which are said — and does not fit otherwise: an enterprise is
//! never shown a policy it plainly does not meet. Free-text conditions (`other_conditions`)
//! are shown, never judged.
//!
//! Qualifications are met by holding **any** of the listed ones (a policy for 高新技术企业 or
//! 科技型中小企业 lists both); a policy that needs two at once says so in its free-text
//! conditions.
//!
//! **Who.** Administrators do everything. A cadre drafts and edits the drafts of their own
//! department, sees its fitting enterprises, grants its 免申即享 policies and reviews and pays
//! its applications; dispatchers read everything and record nothing but questions' routing
//! (the ordinary ticket loop). Administrators publish, amend, and withdraw. Enterprises read the
//! published catalogue, their own matches and their own applications.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ticket::Role;

text_enum!(
    /// Where a policy is: a draft (草稿), published (已发布), or withdrawn (已撤回). Whether a
    /// published policy is still in force is its `expires_on`'s to say.
    PolicyStatus {
        Draft => "draft",
        Published => "published",
        Withdrawn => "withdrawn",
    }
);

text_enum!(
    /// Whether a policy's push to the enterprises that fit it is due: idle (a draft, a
    /// withdrawn policy), pending (just published or amended), done.
    PushState {
        Idle => "idle",
        Pending => "pending",
        Done => "done",
    }
);

text_enum!(
    /// The two lists an administrator keeps.
    TermKind {
        Field => "field",
        Qualification => "qualification",
    }
);

text_enum!(
    /// 规上 / 规下: above or below the designated size (规模以上).
    Scale {
        Above => "above",
        Below => "below",
    }
);

text_enum!(
    /// 大型 / 中型 / 小型 / 微型企业.
    Size {
        Large => "large",
        Medium => "medium",
        Small => "small",
        Micro => "micro",
    }
);

text_enum!(
    /// Yearly revenue (营业收入), in bands of yuan: below 1 million, up to 5 million, up to 20,
    /// 100, 400 million, over 400 million.
    RevenueBand {
        Below1m => "below1m",
        Upto5m => "upto5m",
        Upto20m => "upto20m",
        Upto100m => "upto100m",
        Upto400m => "upto400m",
        Over400m => "over400m",
    }
);

text_enum!(
    /// What a benefit is: a fixed amount (up to `amount_fen`), a rate (`rate_percent`), or
    /// something only words describe (a service, a priority).
    BenefitKind {
        Amount => "amount",
        Rate => "rate",
        Other => "other",
    }
);

text_enum!(
    /// How an enterprise stands against a policy.
    Fit {
        Fits => "fits",
        MayFit => "may_fit",
        No => "no",
    }
);

text_enum!(
    /// The structured criteria, named where an enterprise's profile leaves one unknown.
    Criterion {
        IndustryChain => "industry_chain",
        Area => "area",
        Scale => "scale",
        Size => "size",
        Qualifications => "qualifications",
        Founded => "founded",
    }
);

impl Criterion {
    /// The Chinese name the pages and messages use.
    pub fn label(self) -> &'static str {
        match self {
            Criterion::IndustryChain => "产业链",
            Criterion::Area => "所在区域",
            Criterion::Scale => "规上/规下",
            Criterion::Size => "企业规模",
            Criterion::Qualifications => "企业资质",
            Criterion::Founded => "成立日期",
        }
    }
}

text_enum!(
    /// Where an application is: submitted (待审核), approved with an amount (已批准), refused
    /// with a reason (未通过), paid (已兑现).
    ApplicationStatus {
        Submitted => "submitted",
        Approved => "approved",
        Refused => "refused",
        Paid => "paid",
    }
);

text_enum!(
    /// How an application came: filed online by the enterprise, recorded by the department
    /// from paper, or granted without one (免申即享).
    ApplicationChannel {
        Online => "online",
        Offline => "offline",
        Granted => "granted",
    }
);

text_enum!(
    /// What a reader may do to an application now (`allowed`): its policy's department and
    /// administrators approve or refuse a submitted one and pay an approved one.
    ApplicationDecision {
        Approve => "approve",
        Refuse => "refuse",
        Pay => "pay",
    }
);

text_enum!(
    /// A step on an application's timeline.
    ApplicationAction {
        Applied => "applied",
        Recorded => "recorded",
        Granted => "granted",
        Approved => "approved",
        Refused => "refused",
        Paid => "paid",
    }
);

/// A policy's benefit (扶持内容). Every part may be left out of a request (the kind is then
/// `other`), so that a body missing one is answered with every wrong field named at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Benefit {
    pub kind: BenefitKind,
    /// The amount, or the most, in fen (分): 5,000,000 is 50,000 yuan. With `amount`.
    #[serde(default)]
    pub amount_fen: Option<i64>,
    /// The rate in percent (`5.0` is 5%). With `rate`.
    #[serde(default)]
    pub rate_percent: Option<f64>,
    /// The benefit in words (always shown).
    pub description: String,
}

impl Default for Benefit {
    fn default() -> Self {
        Benefit {
            kind: BenefitKind::Other,
            amount_fen: None,
            rate_percent: None,
            description: String::new(),
        }
    }
}

/// Who a policy is for, as structured criteria matching checks. Each empty list accepts
/// anything; a date bound left out too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Criteria {
    /// Any of these industry chains (the enterprise's `industry_chain`).
    #[serde(default)]
    pub industry_chains: Vec<String>,
    /// Any of these areas (the enterprise's `area`).
    #[serde(default)]
    pub areas: Vec<String>,
    #[serde(default)]
    pub scales: Vec<Scale>,
    #[serde(default)]
    pub sizes: Vec<Size>,
    /// Any of these qualification term ids.
    #[serde(default)]
    pub qualification_ids: Vec<String>,
    /// Founded on or after this day (YYYY-MM-DD).
    #[serde(default)]
    pub founded_after: Option<String>,
    /// Founded on or before this day (YYYY-MM-DD).
    #[serde(default)]
    pub founded_before: Option<String>,
}

impl Criteria {
    /// Whether nothing is asked: every enterprise fits.
    pub fn is_open(&self) -> bool {
        *self == Criteria::default()
    }
}

/// A policy's text: everything an amendment may change, stored whole with each version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PolicyText {
    pub title: String,
    /// 文号, e.g. 望政发〔2024〕3号; empty when it has none.
    #[serde(default)]
    pub document_number: String,
    pub department_id: String,
    pub field_id: String,
    pub summary: String,
    #[serde(default)]
    pub full_text: String,
    pub benefit: Benefit,
    /// The application window (China days, inclusive); either end may be open.
    #[serde(default)]
    pub opens_on: Option<String>,
    #[serde(default)]
    pub closes_on: Option<String>,
    /// The last day in force; none: until withdrawn.
    #[serde(default)]
    pub expires_on: Option<String>,
    /// 申报方式: where and how to apply.
    #[serde(default)]
    pub how_to_apply: String,
    /// 联系方式.
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub criteria: Criteria,
    /// Conditions matching cannot check (shown to the enterprise as they are).
    #[serde(default)]
    pub other_conditions: String,
    /// 免申即享: granted without an application.
    #[serde(default)]
    pub free_grant: bool,
    /// Uploaded documents (attachment ids).
    #[serde(default)]
    pub attachment_ids: Vec<String>,
}

/// What matching reads of an enterprise; `None` is unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub industry_chain: Option<String>,
    pub area: Option<String>,
    pub scale: Option<Scale>,
    pub size: Option<Size>,
    /// Not stated (`None`) differs from stated as none (`Some(vec![])`).
    pub qualification_ids: Option<Vec<String>>,
    /// YYYY-MM-DD.
    pub founded_on: Option<String>,
}

/// An enterprise's standing against a policy, with the criteria its profile leaves unknown
/// (for `MayFit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub fit: Fit,
    pub unknown: Vec<Criterion>,
}

/// One criterion: met, failed, or unknown.
enum Judged {
    Met,
    Failed,
    Unknown,
}

fn any_of<T: PartialEq>(accepted: &[T], value: Option<&T>) -> Judged {
    match (accepted.is_empty(), value) {
        (true, _) => Judged::Met,
        (false, None) => Judged::Unknown,
        (false, Some(v)) if accepted.contains(v) => Judged::Met,
        (false, Some(_)) => Judged::Failed,
    }
}

fn founded(criteria: &Criteria, founded_on: Option<&str>) -> Judged {
    let after = criteria.founded_after.as_deref();
    let before = criteria.founded_before.as_deref();
    if after.is_none() && before.is_none() {
        return Judged::Met;
    }
    let Some(day) = founded_on else {
        return Judged::Unknown;
    };
    // YYYY-MM-DD compares as text.
    let late_enough = after.is_none_or(|a| day >= a);
    let early_enough = before.is_none_or(|b| day <= b);
    if late_enough && early_enough {
        Judged::Met
    } else {
        Judged::Failed
    }
}

fn qualifications(accepted: &[String], held: Option<&[String]>) -> Judged {
    match (accepted.is_empty(), held) {
        (true, _) => Judged::Met,
        (false, None) => Judged::Unknown,
        (false, Some(held)) if held.iter().any(|q| accepted.contains(q)) => Judged::Met,
        (false, Some(_)) => Judged::Failed,
    }
}

/// How `profile` stands against `criteria`: see the module's documentation.
pub fn judge(criteria: &Criteria, profile: &Profile) -> Match {
    let checks = [
        (
            Criterion::IndustryChain,
            any_of(&criteria.industry_chains, profile.industry_chain.as_ref()),
        ),
        (
            Criterion::Area,
            any_of(&criteria.areas, profile.area.as_ref()),
        ),
        (
            Criterion::Scale,
            any_of(&criteria.scales, profile.scale.as_ref()),
        ),
        (
            Criterion::Size,
            any_of(&criteria.sizes, profile.size.as_ref()),
        ),
        (
            Criterion::Qualifications,
            qualifications(
                &criteria.qualification_ids,
                profile.qualification_ids.as_deref(),
            ),
        ),
        (
            Criterion::Founded,
            founded(criteria, profile.founded_on.as_deref()),
        ),
    ];
    let mut unknown = Vec::new();
    for (criterion, judged) in checks {
        match judged {
            Judged::Met => {}
            Judged::Failed => {
                return Match {
                    fit: Fit::No,
                    unknown: Vec::new(),
                };
            }
            Judged::Unknown => unknown.push(criterion),
        }
    }
    Match {
        fit: if unknown.is_empty() {
            Fit::Fits
        } else {
            Fit::MayFit
        },
        unknown,
    }
}

/// Whether a published policy is in force on `today` (YYYY-MM-DD).
pub fn in_force(status: PolicyStatus, expires_on: Option<&str>, today: &str) -> bool {
    status == PolicyStatus::Published && expires_on.is_none_or(|e| today <= e)
}

/// Whether applications are taken on `today`: in force and within the window.
pub fn window_open(text: &PolicyText, today: &str) -> bool {
    text.opens_on.as_deref().is_none_or(|o| today >= o)
        && text.closes_on.as_deref().is_none_or(|c| today <= c)
}

/// Who reads and acts, as far as the rules need to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    pub role: Role,
    pub department_id: Option<&'a str>,
}

impl Actor<'_> {
    /// An administrator, or a cadre of `department_id`: the department's own work on its
    /// policies (drafts, fitting lists, grants, reviews, payments).
    pub fn acts_for(&self, department_id: &str) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Cadre => self.department_id == Some(department_id),
            Role::Dispatcher | Role::Enterprise => false,
        }
    }

    /// Whether drafts and withdrawn policies of `department_id` are visible: staff of any
    /// role see every published policy; drafts are their department's and the
    /// administrators'; withdrawn ones every staff member's (the record stays).
    pub fn sees(&self, status: PolicyStatus, department_id: &str) -> bool {
        match (self.role, status) {
            (_, PolicyStatus::Published) => true,
            (Role::Enterprise, _) => false,
            (Role::Admin | Role::Dispatcher, _) => true,
            (Role::Cadre, PolicyStatus::Withdrawn) => true,
            (Role::Cadre, PolicyStatus::Draft) => self.department_id == Some(department_id),
        }
    }
}

text_enum!(
    /// What a reader may do to a policy now, sent with it (`allowed`).
    PolicyAction {
        Edit => "edit",
        Publish => "publish",
        Amend => "amend",
        Withdraw => "withdraw",
        SeeFitting => "see_fitting",
        Grant => "grant",
        Apply => "apply",
        Ask => "ask",
        RecordApplication => "record_application",
    }
);

/// What `actor` may do to a policy of `status`, its department, and whether it grants
/// without an application, on `today`.
pub fn allowed(
    actor: Actor<'_>,
    status: PolicyStatus,
    department_id: &str,
    free_grant: bool,
    force: bool,
    window: bool,
) -> Vec<PolicyAction> {
    let mut out = Vec::new();
    let admin = actor.role == Role::Admin;
    let own = actor.acts_for(department_id);
    match status {
        PolicyStatus::Draft => {
            if own {
                out.push(PolicyAction::Edit);
            }
            if admin {
                out.push(PolicyAction::Publish);
            }
        }
        PolicyStatus::Published => {
            if admin {
                out.push(PolicyAction::Amend);
                out.push(PolicyAction::Withdraw);
            }
            if own || actor.role == Role::Dispatcher {
                out.push(PolicyAction::SeeFitting);
            }
            if own && force && free_grant {
                out.push(PolicyAction::Grant);
            }
            if own && force && window && !free_grant {
                out.push(PolicyAction::RecordApplication);
            }
            if actor.role == Role::Enterprise && force {
                if window && !free_grant {
                    out.push(PolicyAction::Apply);
                }
                out.push(PolicyAction::Ask);
            }
        }
        PolicyStatus::Withdrawn => {}
    }
    out
}

/// `fen` as yuan with two decimals and thousands separated: 123456789 → "1,234,567.89".
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", fen % 100)
}

/// The most an amount may be, fen: ten billion yuan. A larger one is a slip of the keyboard.
pub const MAX_FEN: i64 = 1_000_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile {
            industry_chain: Some("先进装备制造".into()),
            area: Some("高塘岭街道".into()),
            scale: Some(Scale::Above),
            size: Some(Size::Small),
            qualification_ids: Some(vec!["q-hightech".into()]),
            founded_on: Some("2015-06-01".into()),
        }
    }

    #[test]
    fn an_open_policy_fits_everyone_even_an_empty_profile() {
        let m = judge(&Criteria::default(), &Profile::default());
        assert_eq!(m.fit, Fit::Fits);
        assert!(m.unknown.is_empty());
    }

    #[test]
    fn every_criterion_met_fits() {
        let c = Criteria {
            industry_chains: vec!["先进装备制造".into(), "食品".into()],
            areas: vec!["高塘岭街道".into()],
            scales: vec![Scale::Above],
            sizes: vec![Size::Small, Size::Micro],
            qualification_ids: vec!["q-sme".into(), "q-hightech".into()],
            founded_after: Some("2010-01-01".into()),
            founded_before: Some("2015-06-01".into()),
        };
        assert_eq!(judge(&c, &profile()).fit, Fit::Fits);
    }

    #[test]
    fn one_failed_criterion_never_shows_the_policy_even_with_unknowns() {
        let c = Criteria {
            sizes: vec![Size::Large],
            scales: vec![Scale::Above],
            ..Criteria::default()
        };
        let mut p = profile();
        p.scale = None;
        let m = judge(&c, &p);
        assert_eq!(m.fit, Fit::No);
        assert!(m.unknown.is_empty());
    }

    #[test]
    fn unknowns_make_may_fit_and_are_named() {
        let c = Criteria {
            qualification_ids: vec!["q-hightech".into()],
            founded_after: Some("2020-01-01".into()),
            areas: vec!["高塘岭街道".into()],
            ..Criteria::default()
        };
        let p = Profile {
            area: Some("高塘岭街道".into()),
            ..Profile::default()
        };
        let m = judge(&c, &p);
        assert_eq!(m.fit, Fit::MayFit);
        assert_eq!(
            m.unknown,
            vec![Criterion::Qualifications, Criterion::Founded]
        );
    }

    #[test]
    fn no_qualifications_stated_as_none_fails_where_not_stated_is_unknown() {
        let c = Criteria {
            qualification_ids: vec!["q-hightech".into()],
            ..Criteria::default()
        };
        let mut p = profile();
        p.qualification_ids = Some(Vec::new());
        assert_eq!(judge(&c, &p).fit, Fit::No);
        p.qualification_ids = None;
        assert_eq!(judge(&c, &p).fit, Fit::MayFit);
    }

    #[test]
    fn founding_bounds_are_inclusive() {
        let c = Criteria {
            founded_after: Some("2015-06-01".into()),
            ..Criteria::default()
        };
        assert_eq!(judge(&c, &profile()).fit, Fit::Fits);
        let c = Criteria {
            founded_after: Some("2015-06-02".into()),
            ..Criteria::default()
        };
        assert_eq!(judge(&c, &profile()).fit, Fit::No);
    }

    #[test]
    fn in_force_until_the_last_day() {
        assert!(in_force(
            PolicyStatus::Published,
            Some("2026-12-31"),
            "2026-12-31"
        ));
        assert!(!in_force(
            PolicyStatus::Published,
            Some("2026-12-31"),
            "2027-01-01"
        ));
        assert!(in_force(PolicyStatus::Published, None, "2099-01-01"));
        assert!(!in_force(PolicyStatus::Draft, None, "2026-01-01"));
    }

    #[test]
    fn cadres_draft_for_their_department_and_administrators_publish() {
        let cadre = Actor {
            role: Role::Cadre,
            department_id: Some("d1"),
        };
        let other = Actor {
            role: Role::Cadre,
            department_id: Some("d2"),
        };
        let admin = Actor {
            role: Role::Admin,
            department_id: None,
        };
        let draft = |a| allowed(a, PolicyStatus::Draft, "d1", false, false, false);
        assert_eq!(draft(cadre), vec![PolicyAction::Edit]);
        assert!(draft(other).is_empty());
        assert_eq!(
            draft(admin),
            vec![PolicyAction::Edit, PolicyAction::Publish]
        );
        assert!(!other.sees(PolicyStatus::Draft, "d1"));
        assert!(cadre.sees(PolicyStatus::Draft, "d1"));
        let granted = allowed(cadre, PolicyStatus::Published, "d1", true, true, true);
        assert_eq!(granted, vec![PolicyAction::SeeFitting, PolicyAction::Grant]);
        let applied_for = allowed(cadre, PolicyStatus::Published, "d1", false, true, true);
        assert_eq!(
            applied_for,
            vec![PolicyAction::SeeFitting, PolicyAction::RecordApplication]
        );
    }

    #[test]
    fn enterprises_apply_within_the_window_and_never_to_a_free_grant() {
        let e = Actor {
            role: Role::Enterprise,
            department_id: None,
        };
        assert_eq!(
            allowed(e, PolicyStatus::Published, "d1", false, true, true),
            vec![PolicyAction::Apply, PolicyAction::Ask]
        );
        assert_eq!(
            allowed(e, PolicyStatus::Published, "d1", true, true, true),
            vec![PolicyAction::Ask]
        );
        assert_eq!(
            allowed(e, PolicyStatus::Published, "d1", false, true, false),
            vec![PolicyAction::Ask]
        );
        assert!(!e.sees(PolicyStatus::Draft, "d1"));
    }

    #[test]
    fn yuan_groups_thousands() {
        assert_eq!(yuan(123_456_789), "1,234,567.89");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(100_000), "1,000.00");
        assert_eq!(yuan(-250), "-2.50");
    }
}
