//! The policy demo (送政策, issue 20): five policies of three departments — four published
//! (one 免申即享), one a department's draft — the information of four of the six enterprises,
//! and an application of 长沙望城储能新材料 approved and paid. The demo enterprise (陈静's
//! 绿源食品) has applied for nothing: the browser test applies. The pushes go out when the
//! demo is seeded, as a publication's would.

use chrono::{DateTime, Utc};

use crate::auth::Principal;
use crate::db::Db;
use crate::db::policies as db;
use crate::domain::policy::{
    Benefit, BenefitKind, Criteria, PolicyText, RevenueBand, Scale, Size, TermKind,
};
use crate::error::AppError;
use crate::service::audit::By;
use crate::service::policies::{self, TraitChanges};
use crate::service::policy_applications::{self, Decision, NewApplication};
use crate::service::tickets::Context;

/// What the directory's demo hands over.
#[derive(Debug, Clone)]
pub struct Seeds {
    pub admin: Principal,
    /// 区工业和信息化局, 区发展和改革局, 区人力资源和社会保障局.
    pub industry: String,
    pub reform: String,
    pub hr: String,
    pub enterprise_ids: Vec<String>,
}

fn benefit(kind: BenefitKind, amount_yuan: Option<i64>, rate: Option<f64>, text: &str) -> Benefit {
    Benefit {
        kind,
        amount_fen: amount_yuan.map(|y| y * 100),
        rate_percent: rate,
        description: text.into(),
    }
}

pub fn seed(db: &Db, ctx: &Context, s: &Seeds, now: DateTime<Utc>) -> Result<(), AppError> {
    write(db, ctx, s, now)?;
    crate::service::policy_push::run(db, &ctx.outbox, now)?;
    Ok(())
}

fn write(db: &Db, ctx: &Context, s: &Seeds, now: DateTime<Utc>) -> Result<(), AppError> {
    let s = s.clone();
    let segmenter = ctx.segmenter.clone();
    let outbox = ctx.outbox.clone();
    db.write(move |c| {
        let terms = db::terms(c, None)?;
        let term = |kind: TermKind, name: &str| {
            terms
                .iter()
                .find(|t| t.kind == kind && t.name == name)
                .map(|t| t.id.clone())
                .unwrap_or_default()
        };
        let year = crate::domain::time::china_date(now).format("%Y").to_string();
        let texts = [
            PolicyText {
                title: "望城区支持先进制造业高质量发展若干政策".into(),
                document_number: format!("望政发〔{year}〕3号"),
                department_id: s.industry.clone(),
                field_id: term(TermKind::Field, "工业"),
                summary: "对规模以上工业企业技术改造、智能化改造项目，按设备投资额给予补助。".into(),
                full_text: "第一条 为加快推进先进制造业高质量发展，制定本政策。\n第二条 对规模以上工业企业实施技术改造，设备投资额 500 万元以上的，按设备投资额的 8% 给予补助，单个项目最高 50 万元。\n第三条 本政策自发布之日起施行。".into(),
                benefit: benefit(BenefitKind::Amount, Some(500_000), None, "按设备投资额 8% 补助，最高 50 万元"),
                opens_on: None,
                closes_on: None,
                expires_on: Some(format!("{year}-12-31")),
                how_to_apply: "登录企业哨提交申报，附技术改造项目备案及设备发票。".into(),
                contact: "区工业和信息化局 0731-88000001".into(),
                criteria: Criteria {
                    scales: vec![Scale::Above],
                    ..Criteria::default()
                },
                other_conditions: "近三年无重大安全生产事故。".into(),
                free_grant: false,
                attachment_ids: Vec::new(),
            },
            PolicyText {
                title: "高新技术企业认定奖励".into(),
                document_number: format!("望科发〔{year}〕12号"),
                department_id: s.reform.clone(),
                field_id: term(TermKind::Field, "科技"),
                summary: "首次通过高新技术企业认定的企业，一次性奖励 20 万元。".into(),
                full_text: "对当年首次认定的高新技术企业给予一次性奖励 20 万元；重新认定的给予 5 万元。".into(),
                benefit: benefit(BenefitKind::Amount, Some(200_000), None, "一次性奖励 20 万元"),
                opens_on: None,
                closes_on: None,
                expires_on: None,
                how_to_apply: "提交高新技术企业证书复印件。".into(),
                contact: "区发展和改革局 0731-88000002".into(),
                criteria: Criteria {
                    qualification_ids: vec![term(TermKind::Qualification, "高新技术企业")],
                    ..Criteria::default()
                },
                other_conditions: String::new(),
                free_grant: false,
                attachment_ids: Vec::new(),
            },
            PolicyText {
                title: "失业保险稳岗返还".into(),
                document_number: format!("望人社发〔{year}〕5号"),
                department_id: s.hr.clone(),
                field_id: term(TermKind::Field, "商务"),
                summary: "上年度未裁员或裁员率低于规定比例的参保企业，免申即享返还失业保险费。".into(),
                full_text: "中小微企业按上年度实际缴纳失业保险费的 60% 返还，大型企业按 30% 返还，由人社部门根据参保数据直接发放，企业无需申报。".into(),
                benefit: benefit(BenefitKind::Rate, None, Some(60.0), "返还上年度实际缴纳失业保险费的 60%（大型企业 30%）"),
                opens_on: None,
                closes_on: None,
                expires_on: None,
                how_to_apply: "免申即享，无需申报。".into(),
                contact: "区人力资源和社会保障局 0731-88000003".into(),
                criteria: Criteria::default(),
                other_conditions: "上年度足额缴纳失业保险费。".into(),
                free_grant: true,
                attachment_ids: Vec::new(),
            },
            PolicyText {
                title: "中小微企业贷款贴息".into(),
                document_number: String::new(),
                department_id: s.reform.clone(),
                field_id: term(TermKind::Field, "商务"),
                summary: "对中小微企业新增流动资金贷款按 2% 给予贴息。".into(),
                full_text: String::new(),
                benefit: benefit(BenefitKind::Rate, None, Some(2.0), "按贷款额 2% 贴息，单户最高 20 万元"),
                opens_on: None,
                closes_on: None,
                expires_on: None,
                how_to_apply: "提交贷款合同和付息凭证。".into(),
                contact: "区发展和改革局 0731-88000002".into(),
                criteria: Criteria {
                    sizes: vec![Size::Medium, Size::Small, Size::Micro],
                    founded_before: Some(format!("{year}-01-01")),
                    ..Criteria::default()
                },
                other_conditions: String::new(),
                free_grant: false,
                attachment_ids: Vec::new(),
            },
        ];
        let by = By::Unrecorded;
        let mut published = Vec::new();
        for text in texts {
            let words = segmenter.index_text(&[&text.title, &text.summary, &text.full_text]);
            let v = policies::create(c, &by, &s.admin, text, words, now)?;
            let v = policies::publish(c, &by, &s.admin, &v.row.id, None, now)?;
            published.push(v.row.id);
        }
        let draft = PolicyText {
            title: "靖港古镇文旅消费券".into(),
            document_number: String::new(),
            department_id: s.industry.clone(),
            field_id: term(TermKind::Field, "文旅"),
            summary: "对靖港片区文旅企业发放消费券配套资金。".into(),
            full_text: String::new(),
            benefit: benefit(BenefitKind::Other, None, None, "消费券配套资金"),
            opens_on: None,
            closes_on: None,
            expires_on: None,
            how_to_apply: String::new(),
            contact: String::new(),
            criteria: Criteria {
                areas: vec!["靖港".into()],
                ..Criteria::default()
            },
            other_conditions: String::new(),
            free_grant: false,
            attachment_ids: Vec::new(),
        };
        let words = segmenter.index_text(&[&draft.title, &draft.summary]);
        policies::create(c, &by, &s.admin, draft, words, now)?;
        // The information of four enterprises; 陈静's (the first) leaves its qualifications
        // unstated, so the 高新技术企业 reward "may fit" it.
        let qual = |name: &str| term(TermKind::Qualification, name);
        let traits = [
            (0, Scale::Above, Size::Small, None, 86, RevenueBand::Upto100m, "2016-04-18"),
            (1, Scale::Above, Size::Medium, Some(vec![qual("高新技术企业"), qual("专精特新中小企业")]), 320, RevenueBand::Upto400m, "2012-09-03"),
            (2, Scale::Below, Size::Small, Some(vec![qual("科技型中小企业")]), 45, RevenueBand::Upto20m, "2019-11-20"),
            (5, Scale::Below, Size::Micro, Some(Vec::new()), 12, RevenueBand::Upto5m, "2021-03-08"),
        ];
        for (i, scale, size, quals, employees, band, founded) in traits {
            policies::set_traits(
                c,
                &by,
                &s.admin,
                &s.enterprise_ids[i],
                TraitChanges {
                    scale: Some(Some(scale)),
                    size: Some(Some(size)),
                    qualification_ids: Some(quals),
                    employees: Some(Some(employees)),
                    revenue_band: Some(Some(band)),
                    founded_on: Some(Some(founded.into())),
                },
                now,
            )?;
        }
        // 储能新材料 applied for the manufacturing policy on paper; approved and paid.
        let app = policy_applications::apply(
            c,
            &outbox,
            &by,
            &s.admin,
            &published[0],
            NewApplication {
                statement: "新建储能材料智能化生产线，设备投资 1,200 万元。".into(),
                requested_fen: Some(500_000 * 100),
                enterprise_id: Some(s.enterprise_ids[1].clone()),
            },
            now,
        )?;
        policy_applications::decide(
            c,
            &outbox,
            &by,
            &s.admin,
            &app.row.id,
            Decision::Approve {
                amount_fen: 500_000 * 100,
                note: Some("材料齐全，按上限核定。".into()),
            },
            now,
        )?;
        policy_applications::decide(
            c,
            &outbox,
            &by,
            &s.admin,
            &app.row.id,
            Decision::Pay {
                amount_fen: None,
                note: Some("财政集中支付 凭证 2026-0815".into()),
            },
            now,
        )?;
        Ok(())
    })
}
