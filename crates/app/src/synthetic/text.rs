//! Synthetic but plausible petition text and petitioners: names, valid
//! identity numbers (GB 11643 check digit), phones, addresses, and a title,
//! content, request and facts and reasons by topic.

use super::rng::Rng;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高", "郑", "梁",
    "谢", "宋", "唐", "许", "邓", "冯", "韩", "曹", "曾", "彭", "萧", "蔡", "潘", "田", "董", "袁", "于", "余", "叶", "蒋", "杜", "苏",
    "魏", "程", "吕", "丁",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英",
    "建华", "志强", "文", "海燕", "国平", "丽华", "建国", "小红", "德明", "玉兰", "春梅", "永刚", "晓东", "少华", "宏伟", "淑珍", "金凤",
    "振华",
];
const COMPANIES: &[&str] = &[
    "建筑工程有限公司",
    "电子科技有限公司",
    "物业管理有限公司",
    "制衣厂",
    "物流有限公司",
    "餐饮管理有限公司",
    "房地产开发有限公司",
    "五金制品厂",
    "劳务派遣有限公司",
    "家具有限公司",
    "塑胶制品有限公司",
    "汽车服务有限公司",
];
const PLACES: &[&str] = &["村", "社区", "街", "路", "花园", "新村", "工业区", "小区"];

/// A person's stable particulars, from their number.
pub struct Person {
    pub name: String,
    pub id_number: Option<String>,
    pub phone: String,
    pub address: String,
}

/// GB 11643: 17 digits and the check character.
pub fn id_number(region: &str, rng: &mut Rng) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let year = 1945 + rng.below(60);
    let month = 1 + rng.below(12);
    let day = 1 + rng.below(28);
    let seq = rng.below(1000);
    let body = format!("{:0<6.6}{year:04}{month:02}{day:02}{seq:03}", region);
    let sum: u32 = body.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    format!("{body}{}", CHECK[(sum % 11) as usize])
}

pub fn person(seed: u64, person: u64, region: &str, area_name: &str) -> Person {
    let mut rng = Rng::for_item(seed, 7, person);
    let surname = rng.pick(SURNAMES).copied().unwrap_or("王");
    let given = rng.pick(GIVEN).copied().unwrap_or("明");
    let with_id = rng.chance(0.75);
    let id = with_id.then(|| id_number(region, &mut rng));
    let phone = format!("1{}{:09}", [3, 5, 7, 8, 9][rng.below(5)], rng.next_u64() % 1_000_000_000);
    let address = format!(
        "{area_name}{}{}{}号",
        rng.pick(SURNAMES).copied().unwrap_or("新"),
        rng.pick(PLACES).copied().unwrap_or("村"),
        1 + rng.below(300)
    );
    Person { name: format!("{surname}{given}"), id_number: id, phone, address }
}

/// Title, content, request, facts and reasons for a matter of `topic`
/// (the same `matter` seed gives the same text: a repeat petition).
pub struct Matter {
    pub title: String,
    pub content: String,
    pub request: String,
    pub facts_and_reasons: String,
    pub accused_name: Option<String>,
    pub accused_unit: Option<String>,
}

/// How a matter is told beyond its topic: an accusation names a cadre's
/// misconduct, a litigation-related claim the court case behind it. (Told
/// like any other claim, they taught a deployment's learnt unit model that
/// the discipline body and the court take every kind of text, and it sent
/// unfamiliar petitions there.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Told {
    #[default]
    Plain,
    Accusation,
    Litigation,
}

/// How a petition of `category` is told.
pub fn told(category: xinfang_domain::petition::Category, litigation_related: bool) -> Told {
    match category {
        xinfang_domain::petition::Category::Accusation => Told::Accusation,
        _ if litigation_related => Told::Litigation,
        _ => Told::Plain,
    }
}

pub fn matter(seed: u64, matter: u64, topic: &str, place: &str, told: Told) -> Matter {
    let accusation = told == Told::Accusation;
    let mut rng = Rng::for_item(seed, 11, matter);
    let company = format!("{place}{}{}", rng.pick(SURNAMES).copied().unwrap_or("华"), rng.pick(COMPANIES).copied().unwrap_or("有限公司"));
    let amount = 3_000 + rng.below(200) * 500;
    let months = 2 + rng.below(10);
    let year = 2018 + rng.below(7);
    let n = rng.next_u64() % 100_000;
    let (title, request, facts) = match topic.get(..2).unwrap_or("17") {
        "01" => (
            format!("{place}住房问题反映（{n}）"),
            format!("要求{company}按合同交付房屋并办理产权证，赔偿逾期交房损失{amount}元"),
            format!(
                "本人于{year}年购买{company}开发的商品房，合同约定{}月交房，至今逾期{months}个月仍未交付，多次协商无果，开发商以资金困难为由拖延，物业费和按揭仍需照常缴纳，生活受到严重影响。",
                1 + rng.below(12)
            ),
        ),
        "02" => (
            format!("{company}拖欠工资（{n}）"),
            format!("要求{company}支付拖欠的{months}个月工资共计{amount}元，并依法缴纳社会保险"),
            format!(
                "本人自{year}年起在{company}工作，公司自去年起拖欠工资{months}个月，多次向公司负责人讨要未果，劳动监察部门已受理但尚未处理完毕，家中老人生病急需用钱，请求政府督促解决。"
            ),
        ),
        "03" | "04" => (
            format!("{place}土地征收补偿问题（{n}）"),
            format!("要求按标准足额发放土地征收补偿款{amount}元并公开补偿方案"),
            format!(
                "{year}年村集体土地被征收用于道路建设，本户承包地{}亩被占用，补偿款至今只发放一部分，村委会未公开补偿标准和分配方案，多次反映无人答复。",
                1 + rng.below(9)
            ),
        ),
        "05" => (
            format!("对{place}执法问题的申诉（{n}）"),
            "要求依法重新审查相关处理决定并给予书面答复".to_string(),
            format!("{year}年本人因邻里纠纷报警，处理结果不公，对方殴打致伤的事实未被认定，医疗费{amount}元无人承担，多次申诉未获答复。"),
        ),
        "06" | "16" => (
            format!("反映{place}工作人员问题（{n}）"),
            "要求依纪依法调查处理并反馈处理结果".to_string(),
            format!(
                "{place}有关工作人员在办理低保审批过程中向群众索要好处费，每户{}元至{amount}元不等，群众敢怒不敢言，请上级部门调查核实。",
                200 + rng.below(10) * 100
            ),
        ),
        "07" => (
            format!("医疗纠纷反映（{n}）"),
            format!("要求医院承担医疗责任并赔偿损失{amount}元"),
            format!(
                "{year}年本人家属在{place}医院手术后出现严重并发症，医院未尽告知义务，病历记录前后矛盾，协商多次未果，请求卫生健康部门调查处理。"
            ),
        ),
        "08" => (
            format!("{place}学校收费问题（{n}）"),
            "要求清退违规收取的费用并规范收费行为".to_string(),
            format!("{place}某学校以资料费、补课费名义每学期向学生收取{}元，未公示收费依据，家长意见很大。", 300 + rng.below(20) * 50),
        ),
        "09" => (
            format!("申请社会救助（{n}）"),
            "要求依法审核本户低保申请并给予临时救助".to_string(),
            format!(
                "本户{}口人，丈夫因病去世，本人无固定收入，{year}年申请低保至今未获审批，村里说名额已满，生活十分困难。",
                2 + rng.below(5)
            ),
        ),
        "10" => (
            format!("{company}环境污染问题（{n}）"),
            format!("要求责令{company}停止排污并依法处罚"),
            format!(
                "{company}夜间偷排废水和废气，附近居民长期闻到刺鼻气味，河水发黑，已有{}户居民出现呼吸道疾病，多次投诉未见整改。",
                5 + rng.below(50)
            ),
        ),
        _ => (
            format!("{place}群众诉求（{n}）"),
            format!("要求有关部门协调解决{company}相关问题"),
            format!("{year}年以来，{company}与周边群众因道路占用和噪声问题多次发生矛盾，涉及群众{}户，协商多次未果。", 10 + rng.below(90)),
        ),
    };
    let accused = rng.pick(SURNAMES).copied().unwrap_or("王");
    let (request, facts) = match told {
        // Topics 06 and 16 are told as misconduct already.
        Told::Accusation if !matches!(topic.get(..2), Some("06" | "16")) => (
            format!("{request}，并要求纪检监察机关查处{accused}某的违纪违法问题"),
            format!(
                "{facts}经了解，{place}有关部门工作人员{accused}某收受{company}的好处，在处理此事中徇私偏袒、推诿拖延，请求纪检监察机关调查。"
            ),
        ),
        Told::Litigation => (
            format!("{request}，请求法院依法强制执行生效判决"),
            format!("{facts}本人已就此向人民法院提起诉讼，判决生效后对方至今拒不履行，申请强制执行一年多仍未执行到位。"),
        ),
        _ => (request, facts),
    };
    let content = format!(
        "尊敬的领导：{facts}为此，{request}。以上情况属实，恳请领导重视，依法处理并给予书面答复。联系人已在表中填写，如需核实可随时联系。"
    );
    let (accused_name, accused_unit) =
        if accusation { (Some(format!("{accused}某")), Some(format!("{place}有关部门"))) } else { (None, None) };
    Matter { title, content, request, facts_and_reasons: facts, accused_name, accused_unit }
}
