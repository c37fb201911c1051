//! Official reference data shipped with the binary (see data/README.md),
//! loaded into an empty database on first start.

use xinfang_domain::calendar::SpecialDay;
use xinfang_store::{Division, Store, StoreError, Topic, division_level};

pub const HOLIDAYS_CSV: &str = include_str!("../../../data/calendar/cn-holidays-2004-2026.csv");
pub const HOLIDAYS_SOURCE: &str = "国务院办公厅节假日安排通知 2004–2026, via PyPI chinesecalendar 1.11.0 (data/README.md)";
pub const DIVISIONS_PCA_CSV: &str = include_str!("../../../data/divisions/divisions-pca.csv");
pub const DIVISIONS_STREETS_CSV: &str = include_str!("../../../data/divisions/divisions-streets.csv");
/// The communities of Futian and Nanshan (12-digit codes): the demo's villages (issue 14).
/// The 2022 《信访工作条例》 in the import format (data/README.md).
pub const REGULATION_TXT: &str = include_str!("../../../data/regulation/xinfang-gongzuo-tiaoli-2022.txt");
pub const REGULATION_SOURCE: &str =
    "中共中央、国务院2022年2月25日发布；文本取自 LawRefBook/Laws 行政法规/信访工作条例.md（commit c6114ee7）";
pub const DIVISIONS_VILLAGES_CSV: &str = include_str!("../../../data/divisions/divisions-villages-440304-440305.csv");

#[derive(Debug)]
pub enum SeedError {
    Csv(String),
    Store(StoreError),
}

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedError::Csv(e) => write!(f, "bad CSV: {e}"),
            SeedError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SeedError {}

impl From<StoreError> for SeedError {
    fn from(e: StoreError) -> Self {
        SeedError::Store(e)
    }
}

/// Parse the holiday CSV (`date,kind,name`) into years covered and days.
pub fn parse_calendar(csv_text: &str) -> Result<(Vec<i32>, Vec<SpecialDay>), SeedError> {
    xinfang_domain::import::parse_calendar(csv_text).map_err(|e| SeedError::Csv(e.to_string()))
}

/// Parse a division CSV (`code,name,parent_code`), keeping the codes `keep` accepts.
pub fn parse_divisions(csv_text: &str, keep: impl Fn(&str) -> bool) -> Result<Vec<Division>, SeedError> {
    let rows = xinfang_domain::import::parse_divisions(csv_text).map_err(|e| SeedError::Csv(e.to_string()))?;
    Ok(rows
        .into_iter()
        .filter(|r| keep(&r.code))
        .map(|r| Division { level: division_level(&r.code), code: r.code, name: r.name, parent_code: r.parent_code })
        .collect())
}

/// A first-level topic (code, name) with its second-level children.
type TopicBranch = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

/// The working two-level topic list (内容分类). The national code table is
/// not public; these first-level classes follow the production systems
/// described in regulation.md §5.3 and are editable in the database.
pub fn topics() -> Vec<Topic> {
    let tree: &[TopicBranch] = &[
        (
            "01",
            "城乡建设",
            &[("0101", "住房保障"), ("0102", "物业管理"), ("0103", "国有土地上房屋征收与补偿"), ("0104", "城市管理"), ("0105", "建筑市场")],
        ),
        ("02", "劳动和社会保障", &[("0201", "劳动关系"), ("0202", "工资福利"), ("0203", "社会保险"), ("0204", "就业创业")]),
        ("03", "国土资源", &[("0301", "集体土地征收"), ("0302", "土地权属"), ("0303", "矿产资源")]),
        ("04", "农村农业", &[("0401", "农村土地承包"), ("0402", "村务管理"), ("0403", "惠农政策")]),
        ("05", "政法", &[("0501", "公安"), ("0502", "法院"), ("0503", "检察"), ("0504", "司法行政")]),
        ("06", "纪检监察", &[("0601", "违反廉洁纪律"), ("0602", "违反群众纪律"), ("0603", "违反工作纪律"), ("0604", "其他违纪违法")]),
        ("07", "卫生健康", &[("0701", "医疗纠纷"), ("0702", "医疗保障"), ("0703", "公共卫生")]),
        ("08", "教育", &[("0801", "教育收费"), ("0802", "招生考试"), ("0803", "教师待遇")]),
        ("09", "民政", &[("0901", "社会救助"), ("0902", "优抚安置"), ("0903", "养老服务")]),
        ("10", "生态环境", &[("1001", "大气污染"), ("1002", "水污染"), ("1003", "噪声污染")]),
        ("11", "交通运输", &[("1101", "道路建设"), ("1102", "公共交通")]),
        ("12", "市场监管", &[("1201", "消费维权"), ("1202", "食品药品安全")]),
        ("13", "企业改制", &[("1301", "国有企业改制"), ("1302", "企业破产")]),
        ("14", "经济管理", &[("1401", "金融"), ("1402", "财税")]),
        ("15", "科技与信息产业", &[("1501", "通信服务")]),
        ("16", "党务政务", &[("1601", "政务服务"), ("1602", "干部作风")]),
        ("17", "其他", &[("1701", "其他事项")]),
    ];
    let mut out = Vec::new();
    for (i, (code, name, children)) in tree.iter().enumerate() {
        out.push(Topic { code: (*code).into(), name: (*name).into(), parent_code: None, sort: (i as i64) * 100 });
        for (j, (c, n)) in children.iter().enumerate() {
            out.push(Topic {
                code: (*c).into(),
                name: (*n).into(),
                parent_code: Some((*code).into()),
                sort: (i as i64) * 100 + j as i64 + 1,
            });
        }
    }
    out
}

/// Load the calendar, topics and county-level divisions into an empty
/// database. Safe to call on every start.
pub async fn reference_data(store: &Store) -> Result<(), SeedError> {
    if store.load_calendar().await?.covered_years().next().is_none() {
        let (years, days) = parse_calendar(HOLIDAYS_CSV)?;
        store.import_calendar(&years, &days, HOLIDAYS_SOURCE).await?;
    }
    if store.topics().await?.is_empty() {
        store.upsert_topics(&topics()).await?;
    }
    if store.division_count().await? == 0 {
        let rows = parse_divisions(DIVISIONS_PCA_CSV, |_| true)?;
        store.import_divisions(&rows).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_data_parses() {
        let (years, days) = parse_calendar(HOLIDAYS_CSV).expect("calendar");
        assert_eq!(years.first(), Some(&2004));
        assert_eq!(years.last(), Some(&2026));
        assert!(days.len() > 700);
        let pca = parse_divisions(DIVISIONS_PCA_CSV, |_| true).expect("pca");
        assert!(pca.iter().any(|d| d.code == "440304" && d.name == "福田区"));
        let streets = parse_divisions(DIVISIONS_STREETS_CSV, |c| c.starts_with("440304")).expect("streets");
        assert!(streets.iter().any(|d| d.name == "华强北街道"));
    }

    #[test]
    fn bad_division_rows_are_rejected_with_line_numbers() {
        let err = parse_divisions("code,name,parent_code\n4403,深圳市,44\n4403x,坏,44\n", |_| true).expect_err("bad");
        assert!(err.to_string().contains("line 3"));
        assert!(parse_divisions("code,name,parent_code\n440304,福田区,4404\n", |_| true).is_err());
    }
}
