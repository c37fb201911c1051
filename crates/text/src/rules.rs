//! The admin-editable rule table that triage starts from before the
//! deployment has a history to learn from: keywords → topic, kind of
//! handling unit, legal class. Keywords are plain strings an admin can
//! read and change; a suggestion names the keywords that fired, so the
//! clerk sees why. The kind of unit is resolved to the concrete unit of the
//! petition's jurisdiction by the caller (this crate knows no units).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::segment::normalize;

/// One rule: if any keyword occurs, suggest this topic, unit kind and
/// legal class. A rule with neither topic nor unit kind is a *class cue*
/// (`is_class_cue`): words that say what the petitioner asks for (建议,
/// 举报, 强制执行) rather than what it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub keywords: Vec<String>,
    /// Topic code (内容分类), e.g. `0202`.
    pub topic: String,
    /// Kind of handling unit in Chinese, e.g. 人力资源和社会保障局.
    pub unit_kind: String,
    /// Legal class: `suggestion`, `accusation`, `claim` or
    /// `litigation_related`.
    pub category: String,
}

/// Which of a rule's three answers to suggest or compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleField {
    Topic,
    UnitKind,
    Category,
}

impl Rule {
    /// Whether the rule speaks to the legal class only (no topic, no
    /// unit kind).
    pub fn is_class_cue(&self) -> bool {
        self.topic.is_empty() && self.unit_kind.is_empty()
    }

    /// The rule's answer for `field`.
    pub fn value(&self, field: RuleField) -> &str {
        match field {
            RuleField::Topic => &self.topic,
            RuleField::UnitKind => &self.unit_kind,
            RuleField::Category => &self.category,
        }
    }
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSuggestion {
    /// Position of the rule in the table.
    pub rule: usize,
    pub topic: String,
    pub unit_kind: String,
    pub category: String,
    /// Sum of the matched keywords' lengths in characters: a long keyword
    /// (拖欠农民工工资) is more specific evidence than a short one (工资).
    pub score: f64,
    /// `score / (scores of all fired rules + NO_RULE_MASS)`: shares of the
    /// evidence, never 1 on a single weak match.
    pub confidence: f64,
    /// The keywords that occurred, in the rule's order.
    pub keywords: Vec<String>,
}

/// One value of a field (a topic, a unit kind, a class) with the evidence
/// of all fired rules that give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSuggestion {
    pub value: String,
    pub score: f64,
    pub confidence: f64,
    pub keywords: Vec<String>,
}

/// Pseudo-score of "no rule applies", the weight of one two-character
/// keyword: keeps a lone weak match at confidence 0.5, not 1.
pub const NO_RULE_MASS: f64 = 2.0;

/// How much more a class cue's word counts for the legal class than a
/// topic rule's: a topic rule gives the class its topic usually has (a
/// pension rule says "claim"), a cue says what this petitioner asks for,
/// so "建议…养老保险…" is a suggestion about pensions. Five makes one
/// two-character cue (10) outweigh the topic words of a typical petition
/// (two or three keywords, 4–8 characters).
pub const CLASS_CUE_WEIGHT: f64 = 5.0;

/// The class answered when no rule gives one: an ordinary claim
/// (申诉求决), by far the commonest class, with this confidence.
pub const DEFAULT_CLASS: &str = "claim";
pub const DEFAULT_CLASS_CONFIDENCE: f64 = 0.4;

/// Why the default class was answered (shown to the clerk).
pub const DEFAULT_CLASS_WHY: &str = "未见建议、检举控告或涉法涉诉的用语，按申诉求决";

/// The limits of a table an admin stores (`PUT /api/v1/triage/rules`
/// checks them): at most this many rules, each with 1 to `MAX_KEYWORDS`
/// keywords of 1 to `MAX_KEYWORD_CHARS` characters and a unit kind of
/// `UNIT_KIND_CHARS` characters or none. The starter table
/// keeps to them, so that it can be stored back as it is.
pub const MAX_RULES: usize = 500;
pub const MAX_KEYWORDS: usize = 50;
pub const MAX_KEYWORD_CHARS: usize = 20;
/// How long a rule's unit kind may be, in characters (a class cue has none).
pub const UNIT_KIND_CHARS: std::ops::RangeInclusive<usize> = 2..=20;

/// What the rules match against: the text itself, or a petition's terms.
pub trait RuleInput {
    /// The normalised string keywords are looked for in.
    fn haystack(&self) -> String;
}

impl RuleInput for str {
    fn haystack(&self) -> String {
        normalize(self)
    }
}

impl RuleInput for String {
    fn haystack(&self) -> String {
        normalize(self)
    }
}

/// Terms are joined by spaces, so a keyword matches inside one term but
/// not across two: prefer the text where it is at hand.
impl RuleInput for [String] {
    fn haystack(&self) -> String {
        normalize(&self.join(" "))
    }
}

impl RuleInput for Vec<String> {
    fn haystack(&self) -> String {
        self.as_slice().haystack()
    }
}

/// Officials' misconduct named in ordinary words: both a class cue (an
/// accusation) and the discipline body's rule.
const OFFICIALS_MISCONDUCT: &[&str] = &[
    "纪委",
    "监委",
    "收受",
    "索要",
    "购物卡",
    "吃空饷",
    "冒领",
    "虚报",
    "套取",
    "侵吞",
    "私吞",
    "中饱私囊",
    "以权谋私",
    "送礼",
    "收礼",
    "礼金",
    "跑路钱",
    "顶包",
    "包庇",
    "保护伞",
    "失职",
    "渎职",
    "玩忽职守",
    "谎报",
    "打牌",
    "打麻将",
    // Not 上班时间 alone (a proposal says 平时上班时间我走不开; a claim 上班时间
    // 干活被机器轧伤): what was done in working hours.
    "上班时间打牌",
    "上班时间打游戏",
    "上班时间玩",
    "上班时间喝酒",
    "上班时间睡觉",
    "上班时间炒股",
    "上班时间干私事",
    "上班时间刷视频",
    "上班时间刷短视频",
    "上班时间刷手机",
    "上班时间钓鱼",
    "上班时间逛街",
    "追责",
];

/// The rule table, in the admin's order (earlier wins a tie).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTable {
    pub rules: Vec<Rule>,
}

impl RuleTable {
    pub fn new(rules: Vec<Rule>) -> Self {
        RuleTable { rules }
    }

    /// The `k` best-scoring fired rules, best first (table order on ties).
    pub fn suggest<I: RuleInput + ?Sized>(&self, input: &I, k: usize) -> Vec<RuleSuggestion> {
        let haystack = input.haystack();
        let mut fired: Vec<RuleSuggestion> = self
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, rule)| {
                let keywords: Vec<String> = rule
                    .keywords
                    .iter()
                    .filter(|kw| {
                        let kw = normalize(kw.trim());
                        !kw.is_empty() && haystack.contains(&kw)
                    })
                    .cloned()
                    .collect();
                let score: f64 = keywords.iter().map(|kw| kw.trim().chars().count() as f64).sum();
                (score > 0.0).then(|| RuleSuggestion {
                    rule: i,
                    topic: rule.topic.clone(),
                    unit_kind: rule.unit_kind.clone(),
                    category: rule.category.clone(),
                    score,
                    confidence: 0.0,
                    keywords,
                })
            })
            .collect();
        let total: f64 = fired.iter().map(|s| s.score).sum::<f64>() + NO_RULE_MASS;
        for s in &mut fired {
            s.confidence = s.score / total;
        }
        fired.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.rule.cmp(&b.rule)));
        fired.truncate(k);
        fired
    }

    /// The `k` best values of one field, each with the summed evidence of
    /// every fired rule that gives it (two wage rules firing make the wage
    /// topic surer), best first, by value on ties. Class cues count only
    /// for the class, `CLASS_CUE_WEIGHT` times. Confidence is a value's
    /// share of the field's evidence plus `NO_RULE_MASS`. The class always
    /// has an answer: `DEFAULT_CLASS` when no rule gives one.
    pub fn suggest_field<I: RuleInput + ?Sized>(&self, field: RuleField, input: &I, k: usize) -> Vec<FieldSuggestion> {
        let fired = self.suggest(input, usize::MAX);
        let mut by_value: BTreeMap<String, FieldSuggestion> = BTreeMap::new();
        for s in fired {
            let Some(rule) = self.rules.get(s.rule) else { continue };
            let rule_value = rule.value(field);
            if rule_value.is_empty() {
                continue;
            }
            let weight = if rule.is_class_cue() { CLASS_CUE_WEIGHT } else { 1.0 };
            let entry = by_value.entry(rule_value.to_owned()).or_insert_with(|| FieldSuggestion {
                value: rule_value.to_owned(),
                score: 0.0,
                confidence: 0.0,
                keywords: Vec::new(),
            });
            entry.score += s.score * weight;
            for kw in s.keywords {
                if !entry.keywords.contains(&kw) {
                    entry.keywords.push(kw);
                }
            }
        }
        let total: f64 = by_value.values().map(|v| v.score).sum::<f64>() + NO_RULE_MASS;
        let mut out: Vec<FieldSuggestion> = by_value.into_values().map(|v| FieldSuggestion { confidence: v.score / total, ..v }).collect();
        // Ties: the ordinary claim first (it asks least of the clerk: an
        // accusation seals the petition from the accused line, Art. 30),
        // then by value.
        let default_first = |v: &str| !(field == RuleField::Category && v == DEFAULT_CLASS);
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| default_first(&a.value).cmp(&default_first(&b.value)))
                .then_with(|| a.value.cmp(&b.value))
        });
        if out.is_empty() && field == RuleField::Category && k > 0 {
            out.push(FieldSuggestion {
                value: DEFAULT_CLASS.to_owned(),
                score: 0.0,
                confidence: DEFAULT_CLASS_CONFIDENCE,
                keywords: vec![DEFAULT_CLASS_WHY.to_owned()],
            });
        }
        out.truncate(k);
        out
    }

    /// A table to start a deployment with, written for xinfang from the
    /// topic list and the usual competent departments; admins edit it.
    /// Every topic code of the seed list but 1701 (其他事项) has a rule;
    /// `examples/evaluate.rs` measures it on the project's labelled set.
    pub fn starter() -> Self {
        let rule = |keywords: &[&str], topic: &str, unit_kind: &str, category: &str| Rule {
            keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
            topic: topic.to_owned(),
            unit_kind: unit_kind.to_owned(),
            category: category.to_owned(),
        };
        let rst = "人力资源和社会保障局";
        let housing = "住房和城乡建设局";
        let env = "生态环境局";
        let telecom: &[&str] = &[
            "宽带",
            "手机信号",
            "信号差",
            "基站",
            "运营商",
            "话费",
            "手机卡",
            "携号转网",
            "增值业务",
            "套餐",
            "彩铃",
            "扣费",
            "老人机",
            "流量",
            "信号塔",
            "没信号",
            "网络信号",
        ];
        let cue = |keywords: &[&str], category: &str| rule(keywords, "", "", category);
        // Cues with many words are written as one rule here and stored as
        // several (`within_limits`).
        RuleTable::new(within_limits(vec![
            // Class cues (`Rule::is_class_cue`): what the petitioner asks
            // for. A proposal; an accusation of wrongdoing; a matter a
            // court, procuratorate or the police handle under litigation
            // procedure (Art. 28, 31(1)). 派出所 is not one: household
            // registration is a police matter but an ordinary claim.
            cue(&["建议", "提议", "倡议", "呼吁", "献计献策", "意见建议"], "suggestion"),
            // 举报 is also said of a shop's fumes or a neighbour's
            // extension; under the conventions (docs/intelligence.md) that
            // is still an accusation, against a company, for the competent
            // department. The clerk confirms every class.
            cue(
                &["举报", "实名举报", "举报人", "检举", "控告", "揭发", "贪污", "受贿", "骗取", "骗补", "回扣", "造假", "贿选", "徇私"],
                "accusation",
            ),
            cue(
                &["法院", "判决", "裁定书", "强制执行", "申请执行", "起诉", "再审", "检察院", "报案", "刑事", "不予立案"],
                "litigation_related",
            ),
            // A proposal about public arrangements rather than a request for
            // oneself; 能否 / 为什么不 are said by claims as often.
            cue(
                &[
                    "可否",
                    "能不能",
                    "希望能",
                    "增设",
                    "开设",
                    "建个",
                    "建一个",
                    "推广",
                    "直达",
                    "延长",
                    "简化",
                    "放宽",
                    "开放时间",
                    "想法",
                    "供参考",
                    "方便群众",
                    "方便市民",
                    "出台",
                    "优化",
                    "班次",
                    "加装",
                    "盼望",
                    "加开",
                    "开一条",
                    "便民点",
                    "加高",
                    "希望把",
                    "希望开通",
                    "希望增加",
                    "希望在",
                    "能不能在",
                    "能不能把",
                    "能不能开",
                    "能不能由",
                    "为什么不在",
                    "可不可以",
                    // Another place's practice held up (希望咱们县也学一学;
                    // not 想去学一学电焊).
                    "也学一学",
                    "学习借鉴",
                    // Public provision asked for (希望政府多建几家养老院,
                    // 学学外省, 希望乡里牵头搞).
                    "多建几个",
                    "多建几所",
                    "多建几家",
                    "多建几处",
                    "学学外省的",
                    "学学外地的",
                    "学学人家的",
                    "牵头搞个",
                    "牵头搞一",
                    // Another way proposed (与其天天追，不如在…划个摊点区),
                    // a study asked for, a thing added, a routine asked for.
                    "与其",
                    "不如在",
                    "研究一下",
                    "加个",
                    "能定期",
                ],
                "suggestion",
            ),
            // Something asked for oneself: weighs against the proposal cues.
            cue(&["我家", "帮我", "管一管", "管管", "俺家", "补发", "要回", "欠我", "欠俺", "退还"], "claim"),
            // 能不能 asked for oneself (能不能给我安排一个, 能不能找他退钱,
            // 能不能给个准话) rather than of a public arrangement; not
            // 能不能追回: a fraud the police should pursue says it too.
            cue(
                &[
                    "能不能给个准话",
                    "能不能先给",
                    "能不能给我安排",
                    "能不能给我们安排",
                    "能不能给俺",
                    "能不能帮忙",
                    "能不能找他",
                    "能不能还我",
                    "能不能给介绍",
                ],
                "claim",
            ),
            // Misconduct named, or a punishment asked for.
            cue(
                &[
                    OFFICIALS_MISCONDUCT,
                    &[
                        "严肃处理",
                        "严惩",
                        "处分",
                        "违规",
                        "违纪",
                        "吊销",
                        "取缔",
                        "关停",
                        "问责",
                        "无证",
                        "该罚",
                        "重罚",
                        "黑心",
                        "拉票",
                        "黑矿",
                        "私挖",
                        "盗采",
                        "偷挖",
                        "非法开采",
                        "无资质",
                        "挂靠",
                        "黑作坊",
                        "地沟油",
                        "抓个现行",
                        // An inspection of a wrongdoer asked for
                        // (请医保局好好查一查这家医院).
                        "骗医保",
                        "骗保",
                        "好好查一查",
                        "该处理的处理",
                        "还能执业",
                        "偷偷开着",
                        "未经检疫",
                        "没有检疫",
                        "检疫章",
                        // An audit asked for, tax evaded said of someone.
                        // (Not 查处: the labelled sets ask it of noise and
                        // fumes as claims; not 查账 or 偷税 alone: 我去银行
                        // 查账, 税务局说我偷税.)
                        // The person judged unfit (这种人怎么能当干部).
                        "人怎么能当干部",
                        "这种人得查",
                        "这种人得处理",
                        "这种人得管管",
                        "组织查账",
                        "查一查账",
                        "是逃税",
                        "在逃税",
                        "是偷税",
                        "在偷税",
                        "偷税漏税",
                        // An investigation asked for, a protector suspected,
                        // the approver named, a shop to be shut.
                        "严查",
                        "请纪委",
                        "要求纪委",
                        // The twenty-fifth set: the discipline body named
                        // otherwise, results faked, public money pocketed,
                        // collective property disposed of alone (not 私下卖:
                        // a bank clerk selling a product on the side).
                        "纪检部门",
                        "请纪检",
                        "要求纪检",
                        "谁作假",
                        "成绩作假",
                        "数据作假",
                        "谁的口袋",
                        "谁的腰包",
                        "私自处置",
                        "撑腰",
                        "违法分包",
                        "谁批的",
                        "坑老百姓",
                        "就该关掉",
                        "依法处罚",
                    ],
                ]
                .concat(),
                "accusation",
            ),
            // Criminal procedure and judgments, in ordinary words.
            cue(
                &[
                    "看守所",
                    "取保候审",
                    "执行款",
                    "冤案",
                    "错判",
                    "公诉",
                    "拘留",
                    "逮捕",
                    "嫌疑人",
                    "侦查",
                    "判刑",
                    "判了",
                    "立案",
                    "法官",
                    "抗诉",
                    "案子",
                ],
                "litigation_related",
            ),
            rule(&["拖欠工资", "欠薪", "讨薪", "工资", "包工头", "劳务费", "加班费", "克扣"], "0202", rst, "claim"),
            rule(&["社保", "养老保险", "医疗保险", "失业保险", "工伤", "退休金", "养老金"], "0203", rst, "claim"),
            rule(&["劳动合同", "辞退", "开除", "劳动仲裁", "试用期"], "0201", rst, "claim"),
            rule(&["征地", "征收", "青苗补偿", "失地农民", "集体土地", "土地补偿"], "0301", "自然资源局", "claim"),
            rule(&["拆迁", "房屋征收", "强拆", "安置房"], "0103", housing, "claim"),
            rule(&["物业", "业主委员会", "业委会", "维修基金", "电梯"], "0102", housing, "claim"),
            rule(&["违章建筑", "违建", "私搭乱建", "占道经营", "城管"], "0104", "城市管理局", "claim"),
            rule(&["噪音", "噪声", "扰民", "夜间施工", "广场舞"], "1003", env, "claim"),
            rule(&["污水", "废水", "偷排", "排污", "黑臭"], "1002", env, "claim"),
            rule(&["废气", "烟尘", "粉尘", "异味", "焚烧"], "1001", env, "claim"),
            rule(&["医疗纠纷", "医疗事故", "误诊", "医院", "医生", "诊所"], "0701", "卫生健康局", "claim"),
            rule(&["医保", "报销"], "0702", "医疗保障局", "claim"),
            rule(&["低保", "救助", "特困", "残疾人补贴"], "0901", "民政局", "claim"),
            rule(&["学校", "入学", "学位"], "0802", "教育局", "claim"),
            rule(&["土地承包", "承包地", "宅基地", "土地流转", "确权"], "0401", "农业农村局", "claim"),
            rule(&["村务公开", "村集体", "集体资产", "村委会"], "0402", "乡镇人民政府", "claim"),
            rule(&["贪污", "受贿", "索贿", "挪用", "吃拿卡要", "优亲厚友", "滥用职权"], "0601", "纪委监委", "accusation"),
            rule(&["判决", "法院", "立案", "裁定", "申请执行", "执行难"], "0502", "人民法院", "litigation_related"),
            rule(&["派出所", "民警", "报警", "诈骗"], "0501", "公安局", "litigation_related"),
            rule(&["假冒伪劣", "预付卡", "消费者"], "1201", "市场监督管理局", "claim"),
            rule(&["建议", "提议", "意见建议"], "1601", "人民政府办公室", "suggestion"),
            // Topics the first rules above leave out, and second rules for
            // topics whose petitions go to another unit than the first
            // rule's (construction noise, social-life noise, catering
            // fumes, illegal fund-raising, household registration).
            rule(&["公租房", "公共租赁住房", "廉租房", "保障房", "保障性住房", "保障性租赁住房", "租赁补贴"], "0101", housing, "claim"),
            rule(&["物业费", "停车费", "车位", "业主大会", "公共收益"], "0102", housing, "claim"),
            rule(&["棚户区", "旧城改造", "旧改", "评估价", "过渡费", "征收补偿"], "0103", housing, "claim"),
            rule(&["摊贩", "共享单车", "乱停乱放", "违章搭建"], "0104", "城市管理局", "claim"),
            rule(
                &["开发商", "交房", "烂尾", "网签", "工程质量", "房屋质量", "施工许可", "购房户", "预售资金", "预售款"],
                "0105",
                housing,
                "claim",
            ),
            rule(&["经济补偿", "调岗", "降薪", "劳务派遣", "同工同酬"], "0201", rst, "claim"),
            rule(&["缴费年限", "办理退休", "失业保险金", "工伤认定", "社会保险"], "0203", rst, "claim"),
            rule(&["就业", "创业", "公益性岗位", "职业培训", "培训补贴", "技能培训"], "0204", rst, "claim"),
            rule(&["不动产登记", "房产证", "产权证", "土地证", "林权", "权属", "界址", "不动产证"], "0302", "自然资源局", "claim"),
            rule(&["采矿", "采石", "开采", "矿山", "采砂", "石料"], "0303", "自然资源局", "claim"),
            rule(&["村务", "换届", "贿选", "公开账目", "账目公开", "村民代表"], "0402", "乡镇人民政府", "claim"),
            rule(&["惠农", "种粮补贴", "地力保护补贴", "农机购置补贴", "农业补贴", "地力补贴", "耕地补贴"], "0403", "农业农村局", "claim"),
            rule(&["报案", "不立案", "刑事", "交警", "事故认定", "责任认定"], "0501", "公安局", "litigation_related"),
            rule(&["户口", "落户", "身份证"], "0501", "公安局", "claim"),
            rule(&["再审", "二审", "一审", "开庭", "审理", "强制执行", "执行局"], "0502", "人民法院", "litigation_related"),
            rule(&["检察院", "不起诉", "立案监督", "羁押", "抗诉"], "0503", "人民检察院", "litigation_related"),
            rule(&["律师", "法律援助", "公证", "人民调解", "社区矫正"], "0504", "司法局", "claim"),
            rule(&["回扣", "红包", "好处费", "公车私用", "利益输送", "截留", "侵占"], "0601", "纪委监委", "accusation"),
            rule(&["乱收费", "乱摊派", "刁难", "辱骂群众", "脱离群众"], "0602", "纪委监委", "accusation"),
            rule(&["招投标", "插手", "泄露", "弄虚作假", "形式主义"], "0603", "纪委监委", "accusation"),
            rule(&["赌博", "违规经商", "经商办企业", "包养"], "0604", "纪委监委", "accusation"),
            rule(&["手术", "感染", "医疗鉴定", "过度医疗"], "0701", "卫生健康局", "claim"),
            rule(&["医保卡", "医保基金", "异地就医", "门诊统筹"], "0702", "医疗保障局", "claim"),
            rule(&["疫苗", "接种", "传染病", "卫生室", "村医", "医疗废物"], "0703", "卫生健康局", "claim"),
            rule(&["补课费", "择校费", "赞助费", "课后服务费", "教辅", "保育费", "学费"], "0801", "教育局", "claim"),
            rule(&["招生", "中考", "高考", "学区", "划片"], "0802", "教育局", "claim"),
            rule(&["教师", "代课", "教龄"], "0803", "教育局", "claim"),
            rule(&["退役", "军人", "老兵", "优抚", "烈士", "军属"], "0902", "退役军人事务局", "claim"),
            rule(&["养老院", "敬老院", "老年食堂", "居家养老", "养老服务", "福利中心", "福利院", "养老护理员"], "0903", "民政局", "claim"),
            rule(&["粪污", "粪水", "河道", "水源", "饮用水"], "1002", env, "claim"),
            rule(&["油烟", "烧烤"], "1001", "城市管理局", "claim"),
            rule(&["施工噪音", "施工噪声", "打桩", "施工扰民", "夜间施工"], "1003", housing, "claim"),
            rule(&["广场舞", "ktv", "酒吧", "娱乐场所", "高音喇叭"], "1003", "公安局", "claim"),
            rule(&["修路", "村道", "乡道", "公路", "路面", "坑洼"], "1101", "交通运输局", "claim"),
            rule(&["公交", "出租车", "网约车", "班车", "客运"], "1102", "交通运输局", "claim"),
            rule(&["食品安全", "过期", "三无", "假药", "药品", "食物中毒", "保健品"], "1202", "市场监督管理局", "claim"),
            rule(&["退款", "退货", "虚假宣传", "促销", "商家"], "1201", "市场监督管理局", "claim"),
            rule(&["改制", "买断工龄", "下岗", "国企", "国有企业"], "1301", "国有资产监督管理委员会", "claim"),
            rule(&["破产", "破产清算", "破产管理人"], "1302", "人民法院", "litigation_related"),
            rule(&["银行", "贷款", "理财", "催收", "小额贷款"], "1401", "地方金融监督管理局", "claim"),
            rule(&["非法集资", "集资诈骗", "爆雷", "集资"], "1401", "公安局", "litigation_related"),
            rule(&["偷税", "漏税", "逃税"], "1402", "税务局", "accusation"),
            rule(&["发票", "个税", "个人所得税", "纳税"], "1402", "税务局", "claim"),
            rule(telecom, "1501", "通信管理局", "claim"),
            rule(&["政务服务", "办事大厅", "一次性告知", "营业执照"], "1601", "政务服务管理局", "claim"),
            rule(&["推诿", "扯皮", "态度恶劣", "作风", "不作为"], "1602", "纪委监委", "accusation"),
            rule(&[OFFICIALS_MISCONDUCT, &["大办", "婚宴", "放高利贷"]].concat(), "0604", "纪委监委", "accusation"),
            rule(&["村支书", "支书", "村主任", "村干部", "村会计", "镇干部", "乡干部", "公职人员"], "0602", "纪委监委", "accusation"),
            // Telecoms: the province's communications administration, and at
            // county level the industry and information bureau.
            rule(telecom, "1501", "工业和信息化局", "claim"),
            rule(&["财政", "专项资金", "拨付", "补贴资金", "奖补"], "1402", "财政局", "claim"),
            rule(&["退税", "增值税", "税务", "报税", "社保费"], "1402", "税务局", "claim"),
            rule(&["健身房", "美容院", "办卡", "会员卡", "退卡", "储值", "预付"], "1201", "市场监督管理局", "claim"),
            rule(&["食堂", "农药残留", "超标", "发霉", "变质", "腹泻", "拉肚子", "食品"], "1202", "市场监督管理局", "claim"),
            rule(&["高龄津贴", "高龄补贴", "津贴", "孤儿", "困难家庭", "临时救助", "五保"], "0901", "民政局", "claim"),
            rule(
                &[
                    "地界",
                    "界石",
                    "边界",
                    "村账",
                    "账目",
                    "土地纠纷",
                    "山林纠纷",
                    "自留地",
                    "四至",
                    "确权",
                    "调地",
                    "调整承包地",
                    "林地",
                    "山林",
                    // A neighbour's wall or house on one's plot, a ditch filled in.
                    "圈占",
                    "菜园",
                    "地基",
                    "排水沟",
                ],
                "0302",
                "乡镇人民政府",
                "claim",
            ),
            rule(&["公墓", "殡葬", "墓地", "火化", "骨灰"], "1701", "民政局", "claim"),
            rule(&["水利", "水库", "河堤", "堤坝", "灌溉", "水渠", "自来水", "供水", "饮水", "水质"], "1002", "水利局", "claim"),
            rule(&["挖沙", "河沙", "采砂", "挖河沙", "河道采砂"], "0303", "水利局", "claim"),
            rule(&["工钱", "血汗钱", "欠我们"], "0202", rst, "claim"),
            rule(&["黑作坊", "地沟油", "作坊", "无证经营"], "1202", "市场监督管理局", "accusation"),
            rule(&["私挖", "煤洞", "挖煤", "盗采", "非法开采", "偷挖"], "0303", "自然资源局", "accusation"),
            rule(&["拓宽", "路窄", "堵车", "红绿灯", "斑马线"], "1101", "交通运输局", "claim"),
            rule(&["搅拌站", "机器声", "轰鸣"], "1003", env, "claim"),
            rule(&["无资质", "资质", "挂靠", "转包", "分包"], "0105", housing, "claim"),
            rule(&["刑满释放", "帮教", "安置帮教"], "0504", "司法局", "claim"),
            rule(&["便民服务中心", "乡政府", "镇政府"], "1601", "乡镇人民政府", "claim"),
            rule(&["参战", "伤残军人", "复员"], "0902", "退役军人事务局", "claim"),
            rule(&["退耕还林", "林业", "护林", "公益林", "天然林", "林木", "砍伐", "草原"], "0403", "林业和草原局", "claim"),
            rule(&["暖气", "供热", "供暖", "燃气"], "0102", housing, "claim"),
            rule(
                &["注水肉", "缺斤少两", "保修", "售后", "翻新", "以次充好", "假货", "质量问题", "不给退", "退换", "三包"],
                "1201",
                "市场监督管理局",
                "claim",
            ),
            rule(&["人才公寓", "住房补贴", "危房改造", "危房"], "0101", housing, "claim"),
            rule(
                &["12345", "热线", "办结", "回访", "敷衍", "一件事一次办", "一网通办", "一窗受理", "跑腿"],
                "1601",
                "政务服务管理局",
                "claim",
            ),
            rule(&["没拿到钱", "工资款", "结工钱", "技能补贴", "职业技能"], "0202", rst, "claim"),
            rule(&["冲垮", "断桥", "石板桥", "过河"], "1101", "交通运输局", "claim"),
            rule(&["迁坟", "占地", "修高速"], "0301", "自然资源局", "claim"),
            rule(&["渔船", "渔民", "渔业", "捕捞", "养殖户"], "0403", "农业农村局", "claim"),
            rule(&["粮站", "粮食局", "粮库"], "1301", "发展和改革局", "claim"),
            rule(&["书屋", "图书馆", "文化站", "文化广场"], "1701", "文化和旅游局", "claim"),
            rule(&["婚姻登记", "结婚登记", "离婚登记", "登记结婚", "助餐", "老年助餐"], "0903", "民政局", "claim"),
            rule(&["油漆味", "喷漆", "破碎机"], "1001", env, "claim"),
            rule(&["外嫁女", "集体经济组织", "分红", "股份"], "0402", "乡镇人民政府", "claim"),
            rule(&["骂人", "脱岗", "工作态度", "欺负老百姓", "打游戏", "玩手机"], "0602", "纪委监委", "accusation"),
            rule(&["旅行社", "旅游", "景区", "导游"], "1201", "文化和旅游局", "claim"),
            rule(&["课后服务", "村小", "撤并", "校车"], "0801", "教育局", "claim"),
            rule(&["围挡", "串标", "招标"], "0105", housing, "claim"),
            rule(&["占道", "铁皮棚", "盲道"], "0104", "城市管理局", "claim"),
            rule(&["林权", "橡胶林", "山林"], "0302", "林业和草原局", "claim"),
            rule(&["技能培训", "扣押身份证", "扣着身份证"], "0201", rst, "claim"),
            rule(&["撂荒", "养殖", "生猪", "合作社", "种植", "化肥", "种子", "农资"], "0403", "农业农村局", "claim"),
            rule(&["培训机构", "课时费", "停课", "校外培训"], "0801", "教育局", "claim"),
            rule(&["护栏", "大坑", "路塌", "桥面", "坑"], "1101", "交通运输局", "claim"),
            // Roads by their class, widened or rebuilt.
            rule(&["县道", "省道", "国道", "乡道扩建", "道路扩建", "公路扩建", "扩建道路"], "1101", "交通运输局", "claim"),
            rule(&["福利院", "社会福利院", "失能", "护理院", "特困供养"], "0903", "民政局", "claim"),
            rule(&["药店", "药房", "处方药", "农贸市场", "农残", "快检"], "1202", "市场监督管理局", "claim"),
            rule(&["承包田", "经营权证", "承包证", "承包期"], "0401", "农业农村局", "claim"),
            rule(&["存款", "储蓄", "兑付", "利息"], "1401", "地方金融监督管理局", "claim"),
            rule(&["臭气", "气味", "刺鼻"], "1001", env, "claim"),
            rule(&["社区", "居委会", "网格员"], "1601", "街道办事处", "claim"),
            rule(&["成立业委会", "业主大会筹备"], "0102", "街道办事处", "claim"),
            rule(&["土路", "硬化", "水泥路", "通村", "村村通", "桥梁", "危桥"], "1101", "交通运输局", "claim"),
            rule(&["消杀", "蚊蝇", "蚊子", "苍蝇", "登革热", "疾控", "卫生院"], "0703", "卫生健康局", "claim"),
            rule(&["流浪狗", "垃圾", "环卫", "路灯", "井盖", "绿化", "广告牌", "横幅", "店招"], "0104", "城市管理局", "claim"),
            rule(&["零工", "招工", "找工作", "用工", "务工"], "0204", rst, "claim"),
            rule(&["散煤", "燃煤", "煤改气", "煤改电", "雾霾", "空气质量", "黑烟"], "1001", env, "claim"),
            rule(&["规划", "采空区", "塌陷", "地陷", "容积率"], "0302", "自然资源局", "claim"),
            rule(&["看守所", "取保候审", "拘留", "嫌疑人", "侦查", "刑警", "公安局"], "0501", "公安局", "litigation_related"),
            // Kindergarten fees, a highway's noise, sand washing's mud, a
            // gym's prepaid cards, a boss who owes (a fifteenth blind set).
            rule(&["幼儿园", "保教费", "托管费", "伙食费"], "0801", "教育局", "claim"),
            rule(&["隔音屏", "隔音墙", "声屏障"], "1003", "交通运输局", "claim"),
            rule(&["洗砂", "泥浆", "沉淀池", "环评"], "1002", env, "claim"),
            rule(&["年卡", "健身卡", "健身"], "1201", "市场监督管理局", "claim"),
            rule(&["老板欠", "包工头欠", "欠我工钱"], "0202", rst, "claim"),
            // Day care for the old, chronic-illness cards, shanty-town
            // renewal, restaurant fumes, an estate its manager left, grassland
            // subsidies, old mine pits, wild boars, crop insurance, an injury
            // at work the boss denies, cooked food sold in the open (a
            // sixteenth blind set).
            rule(&["日间照料", "照料中心", "幸福院"], "0903", "民政局", "claim"),
            rule(&["慢病", "慢性病", "慢特病", "门诊特殊病"], "0702", "医疗保障局", "claim"),
            rule(&["棚改", "棚户区"], "0103", housing, "claim"),
            rule(&["餐饮油烟", "油烟净化", "净化器", "油烟直排"], "1001", env, "claim"),
            rule(&["撤场", "突然撤走", "弃管", "找新物业", "没有物业"], "0102", "街道办事处", "claim"),
            rule(&["草原补奖", "草原生态保护", "草原奖补", "禁牧补助", "草畜平衡"], "0403", "农业农村局", "claim"),
            rule(&["矿坑", "废弃矿", "露天矿", "尾矿"], "0303", "自然资源局", "claim"),
            rule(&["野猪", "野生动物", "致害"], "1701", "林业和草原局", "claim"),
            rule(&["农业保险", "政策性农业保险", "倒伏"], "0403", "农业农村局", "claim"),
            rule(&["手指", "断指", "临时帮忙"], "0201", rst, "claim"),
            rule(&["熟食", "凉菜", "防蝇", "露天卖"], "1202", "市场监督管理局", "claim"),
            rule(&["政务大厅", "来回跑"], "1601", "政务服务管理局", "claim"),
            // The nineteenth set: prices marked and charged, public toilets,
            // disability cards, papers issued online, slaughter runoff,
            // drinking water tested for health.
            rule(&["标价", "标价签", "价签", "明码标价", "价格欺诈"], "1201", "市场监督管理局", "claim"),
            rule(&["公厕", "公共厕所"], "0104", "城市管理局", "claim"),
            rule(&["办残疾证", "换残疾证", "残疾证到期"], "0901", "残疾人联合会", "claim"),
            rule(&["网上办", "手机上办", "掌上办", "一网通办"], "1601", "政务服务管理局", "claim"),
            rule(&["血水"], "1002", env, "claim"),
            rule(&["自来水水质", "饮用水水质", "饮用水卫生", "二次供水", "检测一下水质", "检测水质"], "0703", "卫生健康局", "claim"),
        ]))
    }
}

/// Each rule with more than `MAX_KEYWORDS` keywords split into rules of at
/// most that many, one after another, each giving the same answers. What
/// the table suggests does not change (`suggest_field` sums the evidence of
/// every rule giving a value); the table keeps to what an admin may store.
fn within_limits(rules: Vec<Rule>) -> Vec<Rule> {
    rules
        .into_iter()
        .flat_map(|r| {
            if r.keywords.len() <= MAX_KEYWORDS {
                return vec![r];
            }
            r.keywords.chunks(MAX_KEYWORDS).map(|k| Rule { keywords: k.to_vec(), ..r.clone() }).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Segmenter;

    /// The starter rules' first legal class for `text`.
    fn class(text: &str) -> String {
        RuleTable::starter().suggest_field(RuleField::Category, text, 1)[0].value.clone()
    }

    /// Each text's first legal class is the one given.
    fn classes(cases: &[(&str, &str)]) {
        for &(text, expected) in cases {
            assert_eq!(class(text), expected, "{text}");
        }
    }

    #[test]
    fn a_class_cue_outweighs_the_class_a_topic_implies_and_names_no_topic() {
        let t = RuleTable::starter();
        let text = "希望延长社区养老服务中心的开放时间。我们建议周末也开门，老人养老保险的事也能就近咨询。";
        let class = t.suggest_field(RuleField::Category, text, 3);
        assert_eq!(class[0].value, "suggestion", "{class:?}");
        assert!(class[0].keywords.contains(&"建议".to_owned()));
        assert!(class.iter().any(|c| c.value == "claim"), "the topic's class stays a second answer: {class:?}");
        let topics = t.suggest_field(RuleField::Topic, text, 3);
        assert!(topics.iter().all(|s| !s.value.is_empty()), "{topics:?}");
        let kinds = t.suggest_field(RuleField::UnitKind, text, 3);
        assert!(kinds.iter().all(|s| !s.value.is_empty()), "{kinds:?}");
        let sum: f64 = class.iter().map(|c| c.confidence).sum();
        assert!(sum < 1.0 && class[0].confidence > 0.5, "{class:?}");
    }

    #[test]
    fn working_hours_are_misconduct_only_with_what_was_done_in_them() {
        classes(&[
            // Fresh sentences, in the forms of the eighteenth set's misses.
            ("我平时上班时间走不开，能不能周六上午也开两个窗口", "suggestion"),
            ("所长上班时间钓鱼，开着公家的车去水库", "accusation"),
            ("这家酒楼收钱全走私人收款码，明显是逃税", "accusation"),
            ("村里三年没公开过账，请乡里组织查账", "accusation"),
            ("外地早就一窗受理了，希望我们县也学一学", "suggestion"),
            // Claims a review of these cues wrote, in new words.
            ("我上班时间干活被机器轧伤了手，厂里不给报工伤", "claim"),
            ("我上班时间打扫楼道摔断了腿，物业公司不给赔", "claim"),
            ("我去银行查账，发现这个月的养老金少发了", "claim"),
            ("税务局说我名下的公司偷税，要我补缴，可公司是别人冒用我身份开的", "claim"),
            ("我家孩子初中毕业想去学一学电焊，技能培训补贴怎么申请", "claim"),
        ]);
    }

    #[test]
    fn prices_toilets_disability_cards_papers_online_runoff_and_drinking_water_find_their_units() {
        // Fresh sentences, in the forms of the nineteenth set's misses.
        let t = RuleTable::starter();
        let units = |text: &str| -> Vec<String> { t.suggest_field(RuleField::UnitKind, text, 3).into_iter().map(|s| s.value).collect() };
        for (text, unit) in [
            ("超市货架上标价十九块九，结账收了二十九，要求退差价", "市场监督管理局"),
            ("汽车站旁边的公共厕所一个月没人打扫", "城市管理局"),
            ("我女儿的残疾证到期了，换残疾证还要重新鉴定吗", "残疾人联合会"),
            ("村里开证明能不能网上办，每次都要请假回来", "政务服务管理局"),
            ("养猪场的血水排到了村后的小河里", "生态环境局"),
            ("我们小区的饮用水水质不达标，烧开有白沫", "卫生健康局"),
        ] {
            assert!(units(text).contains(&unit.to_owned()), "{text}: {:?}", units(text));
        }
        // Look-alikes: a bone broken (打折), the disability federation
        // named beside a low-income application.
        assert!(!units("他把我的肋骨打折了两根，我想离婚").contains(&"市场监督管理局".to_owned()));
        let low_income = units("帮瘫痪的奶奶申请低保，要去残联和医院开各种材料");
        assert!(low_income.contains(&"民政局".to_owned()) && !low_income.contains(&"残疾人联合会".to_owned()), "{low_income:?}");
        // Water of a river, papers at a police station, a subsidy cut short.
        assert!(!units("清水河的水质这两年越来越差，鱼都死了").contains(&"卫生健康局".to_owned()));
        assert!(!units("去派出所开证明跑了三趟还没开出来").contains(&"政务服务管理局".to_owned()));
        assert!(!units("种粮补贴发到手里打了折扣，少了一百多").contains(&"市场监督管理局".to_owned()));
        classes(&[
            // Class: public provision asked for; a person judged unfit.
            ("县城停车太难，希望多建几个公共停车场", "suggestion"),
            ("那么多地荒着，希望村里牵头搞个合作社统一种", "suggestion"),
            ("村主任把救济粮先分给自家亲戚，这种人怎么能当干部", "accusation"),
            // Look-alikes of those cues (a review's forms, in new words).
            ("像我这种人得了尿毒症，每个月透析报销太少", "claim"),
            // Holding a hospital liable is a claim for oneself (not 追究责任 as a cue).
            ("我父亲手术后感染去世，要求医院赔偿并追究责任", "claim"),
        ]);
        // A developer's extra floors are no proposal (多建几层, not 多建几个).
        assert_ne!(class("开发商每栋楼多建几层，我们的采光全没了"), "suggestion");
    }

    #[test]
    fn asking_for_oneself_outweighs_a_proposal_cue() {
        assert_eq!(class("网约车平台乱扣我的钱，能不能管一管"), "claim");
        assert_eq!(class("城南到高铁站能不能开一条直达公交"), "suggestion");
        assert_eq!(class("实名举报邻居违建，请帮我处理"), "accusation");
    }

    #[test]
    fn the_class_defaults_to_an_ordinary_claim_and_says_so() {
        let t = RuleTable::starter();
        let class = t.suggest_field(RuleField::Category, "这件事拖了很久没人管。", 3);
        assert_eq!(class.len(), 1);
        assert_eq!(class[0].value, DEFAULT_CLASS);
        assert_eq!(class[0].keywords, vec![DEFAULT_CLASS_WHY.to_owned()]);
        assert!(t.suggest_field(RuleField::Topic, "这件事拖了很久没人管。", 3).is_empty(), "no default topic");
        assert!(t.suggest_field(RuleField::Category, "这件事", 0).is_empty());
    }

    #[test]
    fn the_starter_table_keeps_to_the_limits_of_an_admins_table() {
        let t = RuleTable::starter();
        assert!(!t.rules.is_empty() && t.rules.len() <= MAX_RULES);
        for r in &t.rules {
            assert!((1..=MAX_KEYWORDS).contains(&r.keywords.len()), "{} keywords: {r:?}", r.keywords.len());
            assert!(r.keywords.iter().all(|k| (1..=MAX_KEYWORD_CHARS).contains(&k.trim().chars().count())), "{r:?}");
            assert!(r.is_class_cue() || (!r.topic.is_empty() && UNIT_KIND_CHARS.contains(&r.unit_kind.chars().count())), "{r:?}");
        }
    }

    #[test]
    fn a_long_rule_split_within_the_limits_suggests_the_same() {
        let words: Vec<String> = (0..120).map(|i| format!("词{i:03}")).collect();
        let long = vec![
            Rule { keywords: words.clone(), topic: String::new(), unit_kind: String::new(), category: "suggestion".into() },
            Rule {
                keywords: vec!["工资".into()],
                topic: "0202".into(),
                unit_kind: "人力资源和社会保障局".into(),
                category: "claim".into(),
            },
        ];
        let split = RuleTable::new(within_limits(long.clone()));
        assert_eq!(split.rules.iter().map(|r| r.keywords.len()).collect::<Vec<_>>(), [50, 50, 20, 1]);
        assert!(split.rules[..3].iter().all(|r| r.category == "suggestion" && r.is_class_cue()));
        let whole = RuleTable::new(long);
        for text in ["词001词070词110拖欠工资", "词119", "工资", "别的"] {
            for field in [RuleField::Category, RuleField::Topic, RuleField::UnitKind] {
                let (a, b) = (whole.suggest_field(field, text, 3), split.suggest_field(field, text, 3));
                assert_eq!(a.len(), b.len(), "{text}");
                for (x, y) in a.iter().zip(&b) {
                    assert_eq!((&x.value, x.score, x.confidence), (&y.value, y.score, y.confidence), "{text}");
                    let sorted = |k: &[String]| {
                        let mut k = k.to_vec();
                        k.sort();
                        k
                    };
                    assert_eq!(sorted(&x.keywords), sorted(&y.keywords), "the same words, in the order the parts fired: {text}");
                }
            }
        }
    }

    #[test]
    fn fires_on_keywords_and_names_them() {
        let table = RuleTable::starter();
        let s = table.suggest("包工头拖欠工资三个月，我们去讨薪被赶了出来", 3);
        assert_eq!(s[0].topic, "0202");
        assert_eq!(s[0].unit_kind, "人力资源和社会保障局");
        assert_eq!(s[0].keywords, vec!["拖欠工资", "讨薪", "工资", "包工头"]);
        assert_eq!(s[0].score, 11.0);
        assert!(s[0].confidence > 0.8 && s[0].confidence < 1.0, "{s:?}");
        assert!(table.suggest("今天天气很好", 3).is_empty());
    }

    #[test]
    fn ranks_by_evidence_and_explains_each_field() {
        let table = RuleTable::starter();
        let text = "村干部挪用征地补偿款，还优亲厚友";
        let s = table.suggest(text, 3);
        assert_eq!(s[0].category, "accusation", "{s:?}");
        assert_eq!(s[0].unit_kind, "纪委监委");
        assert!(s.iter().any(|x| x.topic == "0301"), "the land rule is among the three: {s:?}");
        let sum: f64 = s.iter().map(|x| x.confidence).sum();
        assert!(sum < 1.0);
        let class = table.suggest_field(RuleField::Category, text, 3);
        assert_eq!(class[0].value, "accusation");
        assert!(["挪用", "优亲厚友"].iter().all(|w| class[0].keywords.contains(&(*w).to_owned())), "{class:?}");
        assert_eq!(class[1].value, "claim");
        // Two rules with the same unit kind add up.
        let units = table.suggest_field(RuleField::UnitKind, "公司拖欠工资，也不交社保", 2);
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].value, "人力资源和社会保障局");
        assert_eq!(units[0].keywords, vec!["拖欠工资", "工资", "社保"]);
    }

    #[test]
    fn starter_covers_topics_beyond_the_first_rules() {
        let table = RuleTable::starter();
        let top = |text: &str, field| table.suggest_field(field, text, 1).first().map(|s| s.value.clone());
        let cases = [
            ("排了四年队还没分到公租房", "0101", "住房和城乡建设局", "claim"),
            ("检察院对打人者作出不起诉决定，我不服", "0503", "人民检察院", "litigation_related"),
            ("律师收了钱不出庭，要求司法局处理", "0504", "司法局", "claim"),
            ("退役士兵安置工作一直没有落实", "0902", "退役军人事务局", "claim"),
            ("宽带到期被运营商自动续约", "1501", "工业和信息化局", "claim"),
            ("纺织厂改制时买断工龄补偿太低", "1301", "国有资产监督管理委员会", "claim"),
            ("超市卖过期面包", "1202", "市场监督管理局", "claim"),
            ("孩子转园，幼儿园不退保教费", "0801", "教育局", "claim"),
            ("上游洗砂场的泥浆水排进河里", "1002", "生态环境局", "claim"),
        ];
        for (text, topic, unit, class) in cases {
            assert_eq!(top(text, RuleField::Topic).as_deref(), Some(topic), "{text}");
            assert_eq!(top(text, RuleField::UnitKind).as_deref(), Some(unit), "{text}");
            assert_eq!(top(text, RuleField::Category).as_deref(), Some(class), "{text}");
        }
        // Telecoms: the county's industry and information bureau first, the
        // province's communications administration beside it.
        let units: Vec<String> = table.suggest_field(RuleField::UnitKind, "手机信号差", 3).into_iter().map(|s| s.value).collect();
        assert_eq!(units, ["工业和信息化局", "通信管理局"]);
        // Social-life noise goes to the police, works noise to housing, both
        // in the top 3 beside the environment bureau when the text is vague.
        let units: Vec<String> = table.suggest_field(RuleField::UnitKind, "晚上广场舞噪音扰民", 3).into_iter().map(|s| s.value).collect();
        assert!(units.contains(&"公安局".to_owned()) && units.contains(&"生态环境局".to_owned()), "{units:?}");
        // Every rule is complete (or a class cue) and its keywords are
        // distinct within it.
        for rule in &table.rules {
            assert!(
                !rule.keywords.is_empty() && (rule.is_class_cue() || (rule.topic.len() == 4 && !rule.unit_kind.is_empty())),
                "{rule:?}"
            );
            assert!(["suggestion", "accusation", "claim", "litigation_related"].contains(&rule.category.as_str()), "{rule:?}");
            let mut kws = rule.keywords.clone();
            kws.sort();
            kws.dedup();
            assert_eq!(kws.len(), rule.keywords.len(), "{rule:?}");
        }
    }

    #[test]
    fn matches_terms_text_width_and_case_alike() {
        let table = RuleTable::new(vec![Rule {
            keywords: vec!["ktv".into(), "噪音".into()],
            topic: "1003".into(),
            unit_kind: "生态环境局".into(),
            category: "claim".into(),
        }]);
        assert_eq!(table.suggest("楼下ＫＴＶ太吵", 1)[0].keywords, vec!["ktv"]);
        let seg = Segmenter::new();
        let terms = seg.terms("楼下KTV噪音扰民");
        assert_eq!(table.suggest(&terms, 1)[0].keywords, vec!["ktv", "噪音"]);
        assert!(table.suggest("", 3).is_empty());
        assert!(table.suggest("噪音", 0).is_empty());
    }

    #[test]
    fn table_round_trips_as_json() {
        let table = RuleTable::starter();
        let json = serde_json::to_string(&table).expect("serialise");
        assert_eq!(serde_json::from_str::<RuleTable>(&json).expect("deserialise"), table);
        assert!(json.contains("\"unit_kind\":\"纪委监委\""));
    }
}
