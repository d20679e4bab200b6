"""The category tree and the responsibility list (职责清单) for the demo.

Categories are the triage engine's default tree (yimen/triage/data/categories.json, read through
`triage.config.default_config`), so that the codes the engine proposes are the codes in the
database, with the same domain and usual urgency (codes of the one list, cases/codes.py). Existing
rows are kept as they are (an administrator may have edited them).
"""

from yimen.cases.models import Category, Responsibility
from yimen.regions.models import Level
from yimen.regions.models import UnitKind as K
from yimen.triage.config import default_config


def category_rows() -> list[tuple[str, str, str, str]]:
    """(code, name, domain class, usual urgency) for every category of the engine's default tree."""
    return [(c.code, c.label, c.domain, c.urgency) for c in default_config().categories]


def load_categories() -> tuple[dict[str, Category], dict[str, str]]:
    """Create missing categories; returns them by code, and each one's usual urgency."""
    rows = category_rows()
    existing = {c.code: c for c in Category.objects.filter(code__in=[r[0] for r in rows])}
    new = [Category(code=code, name=name, domain_class=domain, ordering=i)
           for i, (code, name, domain, _u) in enumerate(rows, start=1) if code not in existing]
    Category.objects.bulk_create(new)
    categories = {c.code: c for c in Category.objects.filter(code__in=[r[0] for r in rows])}
    return categories, {code: urgency for code, _n, _d, urgency in rows}


# category -> level -> (lead kind, [assisting kinds], what the lead does). County rules also serve the city.
RESPONSIBILITIES = {
    "marriage": {
        Level.COUNTY: (K.JUSTICE_BUREAU, [K.WOMENS_FEDERATION, K.COURT], "指导人民调解，衔接家事审判与人身安全保护令"),
        Level.TOWNSHIP: (K.MEDIATION_COMMITTEE, [K.JUSTICE_OFFICE, K.WOMENS_FEDERATION, K.POLICE_STATION], "调解婚姻家庭纠纷，涉家暴的由派出所处置"),
        Level.VILLAGE: (K.MEDIATION_COMMITTEE, [K.VILLAGE_COMMITTEE], "家庭矛盾就地调解，小事不出村"),
    },
    "neighbour": {
        Level.COUNTY: (K.JUSTICE_BUREAU, [K.PUBLIC_SECURITY], "统筹人民调解力量化解疑难邻里纠纷"),
        Level.TOWNSHIP: (K.MEDIATION_COMMITTEE, [K.JUSTICE_OFFICE, K.POLICE_STATION], "组织调解，涉及治安的由派出所处理"),
        Level.VILLAGE: (K.VILLAGE_COMMITTEE, [K.MEDIATION_COMMITTEE], "村（居）委会就地调处"),
    },
    "debt": {
        Level.COUNTY: (K.COURT, [K.JUSTICE_BUREAU, K.LAW_FIRM], "诉前调解与司法确认"),
        Level.TOWNSHIP: (K.MEDIATION_COMMITTEE, [K.JUSTICE_OFFICE], "先行人民调解"),
        Level.VILLAGE: (K.MEDIATION_COMMITTEE, [K.VILLAGE_COMMITTEE], "小额债务就地调解"),
    },
    "labour": {
        Level.COUNTY: (K.HRSS, [K.TRADE_UNION, K.JUSTICE_BUREAU, K.PUBLIC_SECURITY, K.HOUSING], "劳动保障监察、劳动争议调解仲裁，工程领域欠薪督促总包清偿"),
        Level.TOWNSHIP: (K.HRSS, [K.JUSTICE_OFFICE, K.TOWNSHIP_OFFICE, K.POLICE_STATION], "人社窗口受理，司法所参与调解"),
        Level.VILLAGE: (K.VILLAGE_COMMITTEE, [K.MEDIATION_COMMITTEE], "摸清情况、稳定情绪，及时上报"),
    },
    "injury": {
        Level.COUNTY: (K.HRSS, [K.TRADE_UNION, K.LAW_FIRM, K.HEALTH], "工伤认定、劳动能力鉴定"),
        Level.TOWNSHIP: (K.HRSS, [K.JUSTICE_OFFICE], "协助工伤申报，组织赔偿调解"),
    },
    "traffic": {
        Level.COUNTY: (K.PUBLIC_SECURITY, [K.COURT, K.TRANSPORT], "交警认定责任，诉调对接"),
        Level.TOWNSHIP: (K.POLICE_STATION, [K.MEDIATION_COMMITTEE, K.JUSTICE_OFFICE], "事故处理与赔偿调解"),
    },
    "property": {
        Level.COUNTY: (K.HOUSING, [K.MARKET, K.JUSTICE_BUREAU], "监管物业服务活动"),
        Level.TOWNSHIP: (K.HOUSING, [K.TOWNSHIP_OFFICE, K.MEDIATION_COMMITTEE], "住建部门牵头，街道组织业主协商"),
        Level.VILLAGE: (K.VILLAGE_COMMITTEE, [K.MEDIATION_COMMITTEE], "社区组织业主与物业协商"),
    },
    "land": {
        Level.COUNTY: (K.NATURAL_RESOURCES, [K.AGRICULTURE, K.COURT, K.WATER], "土地、林地权属争议调查处理"),
        Level.TOWNSHIP: (K.TOWNSHIP_OFFICE, [K.NATURAL_RESOURCES, K.JUSTICE_OFFICE], "乡镇调处，自然资源所测绘"),
        Level.VILLAGE: (K.VILLAGE_COMMITTEE, [K.MEDIATION_COMMITTEE], "村组指界，就地调解"),
    },
    "medical": {
        Level.COUNTY: (K.HEALTH, [K.JUSTICE_BUREAU, K.PUBLIC_SECURITY], "监管医疗机构，医疗纠纷人民调解"),
        Level.TOWNSHIP: (K.HEALTH, [K.MEDIATION_COMMITTEE, K.POLICE_STATION], "卫健部门牵头，维护医疗秩序"),
    },
    "consumer": {
        Level.COUNTY: (K.MARKET, [K.JUSTICE_BUREAU], "受理消费投诉，查处侵权行为"),
        Level.TOWNSHIP: (K.MARKET, [K.MEDIATION_COMMITTEE], "市场监管所调解消费纠纷"),
    },
    "demolition": {
        Level.COUNTY: (K.HOUSING, [K.NATURAL_RESOURCES, K.PETITION, K.JUSTICE_BUREAU], "房屋征收部门牵头，自然资源部门负责征地补偿政策"),
        Level.TOWNSHIP: (K.TOWNSHIP_OFFICE, [K.HOUSING, K.NATURAL_RESOURCES, K.JUSTICE_OFFICE], "属地乡镇做好政策解释和稳控"),
    },
    "pollution": {
        Level.COUNTY: (K.ECOLOGY, [K.AGRICULTURE, K.WATER], "污染排放监督检查和执法"),
        Level.TOWNSHIP: (K.ECOLOGY, [K.TOWNSHIP_OFFICE], "环境执法，属地巡查"),
        Level.VILLAGE: (K.VILLAGE_COMMITTEE, [], "发现上报，协助整治"),
    },
    "noise": {
        Level.COUNTY: (K.ECOLOGY, [K.PUBLIC_SECURITY, K.HOUSING], "噪声监测执法，社会生活噪声由公安处理"),
        Level.TOWNSHIP: (K.POLICE_STATION, [K.ECOLOGY, K.MEDIATION_COMMITTEE], "派出所处理社会生活噪声"),
        Level.VILLAGE: (K.VILLAGE_COMMITTEE, [K.MEDIATION_COMMITTEE], "邻里噪声就地劝导调解"),
    },
    "campus": {
        Level.COUNTY: (K.EDUCATION, [K.PUBLIC_SECURITY, K.WOMENS_FEDERATION], "教育部门管理学校，保护未成年人"),
        Level.TOWNSHIP: (K.EDUCATION, [K.POLICE_STATION, K.JUSTICE_OFFICE], "学校所在地协同处置"),
    },
    "finance": {
        Level.COUNTY: (K.COURT, [K.PUBLIC_SECURITY, K.JUSTICE_BUREAU], "金融纠纷诉调对接，涉嫌犯罪移送公安"),
        Level.TOWNSHIP: (K.MEDIATION_COMMITTEE, [K.POLICE_STATION], "先行调解，暴力催收由派出所处理"),
    },
    "contract": {
        Level.COUNTY: (K.COURT, [K.LAW_FIRM, K.JUSTICE_BUREAU], "诉前调解，引导诉讼或仲裁"),
        Level.TOWNSHIP: (K.MEDIATION_COMMITTEE, [K.JUSTICE_OFFICE], "合同纠纷先行调解"),
    },
    "other": {
        Level.COUNTY: (K.PETITION, [K.CIVIL_AFFAIRS], "首问负责，转办督办"),
        Level.TOWNSHIP: (K.TOWNSHIP_OFFICE, [K.MEDIATION_COMMITTEE], "属地乡镇（街道）办理"),
        Level.VILLAGE: (K.VILLAGE_COMMITTEE, [], "首问负责，就地办理或上报"),
    },
}

_ASSIST_DUTY = "配合牵头单位，提供专业意见并参与化解"


def rule_for(code: str, level: str) -> tuple[str, list[str]] | None:
    """(lead kind, assisting kinds) for a category at a centre's level; the city uses the county's."""
    levels = RESPONSIBILITIES.get(code) or RESPONSIBILITIES["other"]
    entry = levels.get(Level.COUNTY if level == Level.CITY else level)
    return (entry[0], list(entry[1])) if entry else None


def load_responsibilities(categories: dict[str, Category]) -> int:
    """Write the 职责清单 for every category and level that has none yet; returns how many rows."""
    existing = set(Responsibility.objects.values_list("category_id", "level", "unit_kind"))
    rows = []
    for code, category in categories.items():
        for level in (Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE):
            rule = rule_for(code, level)
            if rule is None:
                continue
            lead, assists = rule
            duty = (RESPONSIBILITIES.get(code) or RESPONSIBILITIES["other"]).get(
                Level.COUNTY if level == Level.CITY else level)[2]
            for kind, part, text in [(lead, Responsibility.Part.LEAD, duty)] + [
                (k, Responsibility.Part.ASSIST, _ASSIST_DUTY) for k in assists
            ]:
                if (category.pk, level, kind) not in existing:
                    existing.add((category.pk, level, kind))
                    rows.append(Responsibility(category=category, level=level, unit_kind=kind, part=part, duty=text))
    Responsibility.objects.bulk_create(rows)
    return len(rows)
