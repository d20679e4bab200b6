"""The bench data set: a city of matters, generated inside PostgreSQL.

What is loaded (N matters, 1,000,000 by default):
- the test world (yimen.testing.make_world: its personas are the bench's users), grown to a
  city, 2 counties, 8 townships, 40 villages and 120 grids, with a centre for every township and
  village, the units matters are dispatched to, a two-level category tree, a clerk per township and a
  handler in a small unit (a township police station);
- N matters received over the 12 months before the load, busier grids and categories more often;
  N/10 of them open (the most recent ones, mostly), in every open status; the rest closed;
- their parties (1–3 each, people drawn from a pool so that some come back), the assignments of
  every dispatched matter (lead, sometimes an assisting unit), the number counters, and the
  deadlines: a HANDLE limit per matter (met or cancelled when closed), SIGN and UNIT_HANDLE limits
  on live assignments, UNIT_HANDLE met on finished ones, FOLLOW_UP on matters resolved (已办结) in
  the last 10 days — older resolutions have been followed up;
- the search tokens of every matter (cases_casesearch), through the SQL tokenizer;
- the deadline sweep's state as if the sweep had stopped 24 hours before the load: every threshold
  crossed before that is marked (warned_at, overdue_at, escalated_at, the matter's `overdue`), those
  crossed in the last 24 hours are not. `deadline_sweep(now=as_of)` then has a day's work to do.

- where the models have them, the text fingerprints duplicate detection compares a new matter with
  (random SimHash bands, as varied texts give).

Not loaded: the timeline (CaseEvent) and outbox of the historical matters, their triage suggestions,
tags and attachments — no measured query reads them.

Speed: the rows are produced by INSERT … SELECT over generate_series, in one transaction, with
foreign-key triggers off (session_replication_role = replica; the generator keeps the references
right) and the secondary indexes dropped first and built once at the end. About two minutes for a
million matters on the 2-core machine. Then VACUUM ANALYZE, as autovacuum would have done by then.
"""

import datetime as dt
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone

# Bump when what `load` produces changes: a database holding another version is reloaded.
DATA_VERSION = 7
MARKER = "dataset"
SEED = 0.20261123

# The tables the generator fills; their secondary indexes are dropped during the load.
LOADED_TABLES = ("cases_case", "cases_party", "cases_assignment", "cases_deadline", "cases_casecounter", "cases_casesearch",
                 "cases_overduematter")

TOWNSHIPS = {
    "449001": [("001", "桃源镇"), ("002", "石门镇"), ("003", "新田镇"), ("004", "龙口镇")],
    "449002": [("001", "湖滨街道"), ("002", "明珠街道"), ("003", "东岸街道"), ("004", "白沙镇")],
}
VILLAGE_NAMES = ["杏花村", "柳塘村", "大坪村", "枫树村", "河口村", "上岭村", "石门村", "新屋村", "水口村", "荷塘村",
                 "黄泥村", "竹园村", "长坑村", "下洞村", "高田村", "梅岭村", "沙坪村", "茶山村", "龙潭村", "白石村"]
COMMUNITY_NAMES = ["滨江社区", "明珠社区", "东岸社区", "湖心社区", "白沙社区", "新城社区", "翠园社区", "金沙社区",
                   "文昌社区", "南门社区", "北街社区", "西湖社区", "花园社区", "阳光社区", "锦绣社区", "和平社区",
                   "幸福社区", "丰收社区", "青年社区", "友谊社区"]
GRID_ORDINALS = ["第一网格", "第二网格", "第三网格"]

# (code, name, domain class, parent code or None, weight in matters, lead unit kind, level of the lead
# unit (county or township), assisting unit kind or "")
CATEGORIES = [
    ("family", "婚姻家庭纠纷", "safety", None, 0, "", "", ""),
    ("marriage", "婚姻纠纷", "safety", "family", 9, "mediation_committee", "township", "justice_office"),
    ("inheritance", "继承纠纷", "safety", "family", 4, "mediation_committee", "township", ""),
    ("support", "赡养抚养纠纷", "safety", "family", 4, "mediation_committee", "township", "civil_affairs"),
    ("neighbourhood", "邻里与物业", "safety", None, 0, "", "", ""),
    ("neighbour", "邻里纠纷", "safety", "neighbourhood", 14, "mediation_committee", "township", ""),
    ("homestead", "宅基地纠纷", "agriculture", "neighbourhood", 5, "natural_resources", "county", "township_office"),
    ("property", "物业纠纷", "livelihood", "neighbourhood", 8, "housing", "county", ""),
    ("economic", "经济纠纷", "livelihood", None, 0, "", "", ""),
    ("labour", "劳资/欠薪", "livelihood", "economic", 15, "hrss", "county", "justice_office"),
    ("debt", "民间借贷纠纷", "livelihood", "economic", 8, "justice_office", "township", ""),
    ("contract", "合同纠纷", "livelihood", "economic", 5, "justice_office", "township", ""),
    ("land", "土地山林", "agriculture", None, 0, "", "", ""),
    ("land_contract", "土地承包经营纠纷", "agriculture", "land", 6, "township_office", "township", ""),
    ("land_acquisition", "征地拆迁纠纷", "agriculture", "land", 4, "natural_resources", "county", "township_office"),
    ("forest", "山林水利纠纷", "ecology", "land", 2, "township_office", "township", ""),
    ("consumer", "消费与医疗交通", "livelihood", None, 0, "", "", ""),
    ("consumer_goods", "消费纠纷", "livelihood", "consumer", 5, "market", "county", ""),
    ("medical", "医疗纠纷", "livelihood", "consumer", 3, "health", "county", "justice_office"),
    ("traffic", "交通事故纠纷", "safety", "consumer", 8, "police_station", "township", ""),
]
# 3 in 100 matters have no category yet.
NO_CATEGORY_WEIGHT = 3

COUNTY_UNITS = [("hrss", "人力资源和社会保障局"), ("housing", "住房和城乡建设局"), ("natural_resources", "自然资源局"),
                ("market", "市场监督管理局"), ("health", "卫生健康委员会"), ("civil_affairs", "民政局"),
                ("justice_bureau", "司法局"), ("public_security", "公安局")]
TOWNSHIP_UNITS = [("justice_office", "司法所"), ("police_station", "派出所"), ("mediation_committee", "人民调解委员会"),
                  ("township_office", "办")]

URGENCY = {  # weight, natural days ≈ the policy's working days × 7/5, warn hours, escalates
    "urgent": (5, 1, 8, True),
    "grave": (10, 42, 80, True),
    "annoying": (50, 21, 56, False),
    "worrying": (25, 10, 32, False),
    "wish": (10, 42, 80, False),
}
POLICY_NAMES = {"urgent": "急难事办理：1个工作日", "grave": "揪心事办理：30个工作日", "annoying": "烦心事办理：15个工作日",
                "worrying": "操心事办理：7个工作日", "wish": "期盼事办理：30个工作日"}
RISK = {"blue": 75, "yellow": 20, "red": 5}
CHANNEL = {"walk_in": 30, "phone": 15, "letter": 2, "online": 10, "grid": 18, "police": 6, "hotline": 10, "court": 2,
           "petition": 3, "screening": 3, "monitoring": 1}
OPEN_STATUS = {"registered": 8, "pending_dispatch": 12, "dispatched": 20, "returned": 5, "in_progress": 55}
CLOSED_STATUS = {"archived": 55, "followed_up": 20, "resolved": 12, "not_accepted": 5, "withdrawn": 4, "referred_out": 4}
OWNING_LEVEL = {"t": 80, "v": 12, "c": 8}  # township centre, village centre, escalated to the county
OUTCOME = {"agreement": 45, "resolved": 35, "explained": 12, "not_resolved": 8}
SATISFACTION = {"satisfied": 75, "basically": 15, "unsatisfied": 5, "unreachable": 5}

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁任沈姚卢")
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰",
         "霞", "平", "刚", "桂英", "建华", "国强", "志明", "春梅", "海燕", "文斌", "玉兰"]
ORGANISATIONS = ["某建筑劳务公司", "某物业服务公司", "某房地产开发公司", "某电子厂", "某家具厂", "某汽车销售公司",
                 "某装饰工程公司", "某餐饮店", "某养殖专业合作社", "某运输公司"]
DESCRIPTIONS = [
    "申请人反映在{place}务工期间被拖欠工资，多次讨要未果，对方负责人电话不接，请求协调解决。",
    "双方因房屋漏水问题发生争执，楼上住户拒绝维修，影响楼下正常生活，已多次协商未果。",
    "申请人与被申请人因宅基地边界问题发生纠纷，双方各执一词，曾发生口角，存在矛盾激化风险。",
    "当事人反映小区物业公司服务不到位，电梯长期故障，业主拒交物业费，双方矛盾较大。",
    "申请人于今年借款给被申请人，约定半年内归还，到期后对方以各种理由拖延，请求调解。",
    "夫妻双方因家庭琐事长期不和，女方提出离婚，涉及子女抚养和财产分割，情绪较为激动。",
    "村民反映{place}附近道路施工占用承包地，补偿标准未公开，要求村委会和镇政府给予答复。",
    "双方在{place}发生交通事故，对责任认定无异议，但对赔偿金额分歧较大，请求人民调解。",
]
# Which description fits which category (the others take any).
DESCRIPTION_OF = {"labour": 0, "neighbour": 1, "homestead": 2, "property": 3, "debt": 4, "marriage": 5,
                  "land_contract": 6, "land_acquisition": 6, "traffic": 7}
REQUESTS = ["请求协调支付拖欠款项", "请求依法调解", "请求上门查看并处理", "请求公开补偿标准", "请求尽快维修并赔偿损失",
            "请求明确责任并赔偿", "请求帮助解决"]
RETURN_REASON = "不属于本单位职责范围，建议改派。"


@dataclass
class Loaded:
    matters: int
    open: int
    seconds: float
    as_of: dt.datetime


def _slots(weights: dict, size: int = 100) -> list:
    """A lookup array in which each value fills its share of `size` cells (weighted draws in SQL)."""
    total = sum(weights.values())
    cells = []
    for value, weight in weights.items():
        cells += [value] * round(weight * size / total)
    cells = (cells + [next(iter(weights))] * size)[:size]
    return cells


# ---------------------------------------------------------------------------------------------
# The world: regions, centres, units, categories, users (through the ORM: a few hundred rows)


def _build_world():
    from yimen.accounts.models import Membership, Role, User
    from yimen.cases.models import Category
    from yimen.testing import make_world
    from yimen.regions.models import Centre, Level, Region, Unit

    world = make_world()
    regions = {r.code: r for r in Region.objects.all()}

    def region(code, name, level, parent):
        if code not in regions:
            regions[code] = Region.objects.create(code=code, name=name, level=level, parent=parent)
        return regions[code]

    centres = {c.region.code: c for c in Centre.objects.select_related("region")}

    def centre(reg):
        if reg.code not in centres:
            centres[reg.code] = Centre.objects.create(region=reg, name=f"{reg.name}综治中心")
        return centres[reg.code]

    units = {(u.region.code, u.kind): u for u in Unit.objects.select_related("region")}

    def unit(reg, kind, suffix):
        if (reg.code, kind) not in units:
            name = f"{reg.name}{suffix}" if kind != "township_office" else f"{reg.name}人民政府" if reg.name.endswith("镇") else f"{reg.name}办事处"
            units[(reg.code, kind)] = Unit.objects.create(region=reg, kind=kind, name=name)
        return units[(reg.code, kind)]

    grids = []
    clerks = {}
    for county_code, townships in TOWNSHIPS.items():
        county = regions[county_code]
        county_centre = centre(county)
        for kind, suffix in COUNTY_UNITS:
            unit(county, kind, suffix)
        for t_index, (t_suffix, t_name) in enumerate(townships):
            township = region(county_code + t_suffix, t_name, Level.TOWNSHIP, county)
            township_centre = centre(township)
            for kind, suffix in TOWNSHIP_UNITS:
                unit(township, kind, suffix)
            if township.code == world.township.code:
                clerks[township.code] = world.clerk
            else:
                clerks[township.code] = User.objects.create(username=f"clerk_{township.code}", full_name=f"{t_name}窗口")
                Membership.objects.create(user=clerks[township.code], role=Role.CLERK, region=township)
            names = COMMUNITY_NAMES if t_name.endswith("街道") else VILLAGE_NAMES
            for v in range(5):
                v_code = f"{township.code}{v + 1:03d}"
                v_name = names[(t_index * 5 + v) % len(names)]
                village = region(v_code, v_name, Level.VILLAGE, township)
                village_centre = centre(village)
                for g in range(3):
                    grid = region(f"{v_code}{g + 1:03d}", f"{village.name}{GRID_ORDINALS[g]}", Level.GRID, village)
                    grids.append({
                        "region_id": grid.pk, "region_code": grid.code, "village": village.name,
                        "twp_centre_id": township_centre.pk, "twp_code": township.code,
                        "vil_centre_id": village_centre.pk, "vil_code": village.code,
                        "cty_centre_id": county_centre.pk, "cty_code": county.code,
                        "clerk_id": clerks[township.code].pk,
                        "county": county.code, "township": township.code,
                    })

    # A handler in a unit that gets few matters (a township police station: about 0.5% of them), whose
    # worklist is the hardest for "newest first" (see docs/performance.md).
    police = units[(grids[-1]["township"], "police_station")]
    handler = User.objects.create(username="handler_police", full_name=f"{police.name}承办人")
    Membership.objects.create(user=handler, role=Role.HANDLER, region=police.region, unit=police)

    categories = {c.code: c for c in Category.objects.all()}
    for code, name, domain, parent, *_rest in CATEGORIES:
        cat = categories.get(code) or Category(code=code)
        cat.name, cat.domain_class, cat.parent = name, domain, categories[parent] if parent else None
        cat.save()
        categories[code] = cat

    routes = []
    leaves = [row for row in CATEGORIES if row[3] is not None]
    for g_index, grid in enumerate(grids):
        for c_index, (code, _n, _d, _p, _w, lead_kind, level, assist_kind) in enumerate(leaves):
            where = grid["county"] if level == "county" else grid["township"]
            lead = units[(where, lead_kind)]
            assist = None
            if assist_kind:
                assist_where = grid["county"] if (grid["county"], assist_kind) in units else grid["township"]
                assist = units.get((grid["township"], assist_kind)) or units.get((assist_where, assist_kind))
            routes.append((g_index, c_index, lead.pk, assist.pk if assist and assist.pk != lead.pk else None))
        # A matter not yet classified goes to the township's own office.
        routes.append((g_index, -1, units[(grid["township"], "township_office")].pk, None))
    leaf_rows = [
        (c_index, categories[code].pk, domain, name, DESCRIPTION_OF.get(code))
        for c_index, (code, name, domain, *_r) in enumerate(leaves)
    ]
    return world, grids, leaf_rows, routes, [c for c in leaves]


# ---------------------------------------------------------------------------------------------
# The SQL


def _temp_table(cursor, name: str, columns: str, rows: list[tuple]) -> None:
    cursor.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")
    with cursor.cursor.copy(f"COPY {name} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the loaded tables' indexes that back no constraint."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [list(LOADED_TABLES)],
    )
    return cursor.fetchall()


_STAGE = """
CREATE TEMP TABLE _m ON COMMIT DROP AS
SELECT i,
  %(as_of)s::timestamptz - ((%(n)s - i)::float8 / %(n)s) * interval '365 days' - random() * interval '8 hours' AS received_at,
  (%(grid_slots)s::int[])[1 + floor(random() * 1000)::int] AS g,
  (%(cat_slots)s::int[])[1 + floor(random() * 100)::int] AS c,
  (%(urgency_slots)s::text[])[1 + floor(random() * 100)::int] AS urgency,
  (%(risk_slots)s::text[])[1 + floor(random() * 100)::int] AS risk,
  (%(channel_slots)s::text[])[1 + floor(random() * 100)::int] AS channel,
  (%(level_slots)s::text[])[1 + floor(random() * 100)::int] AS level,
  (%(open_slots)s::text[])[1 + floor(random() * 100)::int] AS open_status,
  (%(closed_slots)s::text[])[1 + floor(random() * 100)::int] AS closed_status,
  (%(outcome_slots)s::text[])[1 + floor(random() * 100)::int] AS outcome,
  (%(satisfaction_slots)s::text[])[1 + floor(random() * 100)::int] AS satisfaction,
  1 + (random() < 0.62)::int + (random() < 0.1)::int AS n_parties,
  random() < 0.62 AS dispatched,
  random() < 0.6 AS with_assist,
  random() AS r1, random() AS r2, random() AS r3, random() AS r4
FROM generate_series(1, %(n)s) AS i;

-- The open matters: N/10 drawn from the last 60 days, the more recent the likelier.
CREATE TEMP TABLE _open ON COMMIT DROP AS
SELECT i FROM _m WHERE received_at > %(as_of)s::timestamptz - interval '60 days'
ORDER BY extract(epoch FROM %(as_of)s::timestamptz - received_at) / 86400.0 / 60 + random() * 0.9
LIMIT %(n_open)s;
CREATE UNIQUE INDEX ON _open (i);

CREATE TEMP TABLE _k ON COMMIT DROP AS
SELECT m.*, s.is_open, s.status, s.has_lead,
  g.region_id, g.region_code, g.village, g.clerk_id,
  CASE m.level WHEN 'v' THEN g.vil_centre_id ELSE g.twp_centre_id END AS registering_centre_id,
  CASE m.level WHEN 'v' THEN g.vil_code ELSE g.twp_code END AS registering_code,
  CASE m.level WHEN 'v' THEN g.vil_centre_id WHEN 'c' THEN g.cty_centre_id ELSE g.twp_centre_id END AS owning_centre_id,
  CASE m.level WHEN 'v' THEN g.vil_code WHEN 'c' THEN g.cty_code ELSE g.twp_code END AS owning_code,
  extract(year FROM m.received_at AT TIME ZONE %(tz)s)::int AS year,
  cat.category_id, coalesce(cat.domain_class, '') AS domain_class, cat.name AS category_name, cat.description_idx,
  CASE WHEN s.has_lead THEN r.lead_unit_id END AS lead_unit_id,
  CASE WHEN s.has_lead AND m.with_assist THEN r.assist_unit_id END AS assist_unit_id,
  u.days, u.warn_hours, u.escalate, u.policy_id,
  ((((m.received_at AT TIME ZONE %(tz)s)::date + u.days + 1)::timestamp AT TIME ZONE %(tz)s) - interval '1 microsecond') AS handle_due
FROM _m m
CROSS JOIN LATERAL (
  SELECT EXISTS (SELECT 1 FROM _open o WHERE o.i = m.i) AS is_open
) AS o
CROSS JOIN LATERAL (
  SELECT o.is_open,
    CASE WHEN o.is_open THEN m.open_status ELSE m.closed_status END AS status,
    CASE WHEN o.is_open THEN m.open_status IN ('dispatched', 'returned', 'in_progress')
                      ELSE m.dispatched AND m.closed_status IN ('archived', 'followed_up', 'resolved') END AS has_lead
) AS s
JOIN _g g ON g.idx = m.g
LEFT JOIN _cat cat ON cat.idx = m.c
LEFT JOIN _route r ON r.g = m.g AND r.c = m.c
JOIN _urg u ON u.urgency = m.urgency;

-- Times, in order: dispatched, accepted, resolved, closed — none after the load's moment.
CREATE TEMP TABLE _t ON COMMIT DROP AS
SELECT k.*,
  CASE WHEN k.has_lead THEN
    k.received_at + interval '5 minutes' + k.r1 * least(interval '36 hours', (%(as_of)s::timestamptz - k.received_at) * 0.3) END AS dispatched_at
FROM _k k;

CREATE TEMP TABLE _c ON COMMIT DROP AS
SELECT t.*,
  CASE WHEN t.has_lead AND t.status NOT IN ('dispatched', 'returned') THEN
    t.dispatched_at + interval '10 minutes' + t.r2 * least(interval '20 hours', (%(as_of)s::timestamptz - t.dispatched_at) * 0.3) END AS accepted_at,
  CASE WHEN NOT t.is_open AND t.status NOT IN ('not_accepted', 'withdrawn') THEN
    CASE WHEN NOT t.has_lead AND t.r4 < 0.6 THEN t.received_at + t.r3 * interval '40 minutes'
         ELSE t.received_at + interval '2 hours' + least(t.r3 * t.days * 1.3 * interval '1 day', (%(as_of)s::timestamptz - t.received_at) * 0.8) END
  END AS resolved_at,
  NOT t.is_open AND NOT t.has_lead AND t.r4 < 0.6 AND t.status IN ('archived', 'followed_up', 'resolved') AS on_spot
FROM _t t;
CREATE UNIQUE INDEX ON _c (i);
-- 已办结 waits for the follow-up call: only recent resolutions are still in that status.
UPDATE _c SET status = 'followed_up' WHERE status = 'resolved' AND resolved_at < %(as_of)s::timestamptz - interval '10 days';
"""

_CASES = """
INSERT INTO cases_case (
  id, number, query_code, channel, external_ref, received_at, registered_by_id, registering_centre_id,
  owning_centre_id, owning_code, region_id, region_code, address, latitude, longitude, title, description,
  request, category_id, domain_class, urgency, risk, risk_reason, amount, headcount, status, status_changed_at,
  is_joint, referral_target, outcome, result, resolved_on_spot, satisfaction, reopen_count, escalation_count,
  dispatched_at, accepted_at, resolved_at, closed_at, due_at, due_provisional, overdue, resolved_within_limit
  {extra_columns}
)
SELECT
  c.i,
  -- Padded to six digits as intake pads them, never cut to six as a bare lpad would: at 10 M
  -- matters the city centre numbers more than 999,999 a year.
  c.registering_code || '-' || c.year || '-' || lpad(c.seq::text, greatest(6, length(c.seq::text)), '0'),
  upper(substr(md5(c.i::text || 'query'), 1, 20)),
  c.channel,
  CASE WHEN c.channel IN ('hotline', 'police', 'court') THEN upper(c.channel) || '-' || c.i ELSE '' END,
  c.received_at,
  c.clerk_id,
  c.registering_centre_id,
  c.owning_centre_id,
  c.owning_code,
  c.region_id,
  c.region_code,
  c.village || (1 + mod(c.i, 12)) || '组',
  NULL, NULL,
  coalesce(c.category_name, '待分类事项') || '：' || (ARRAY['求助', '反映', '投诉', '申请调解'])[1 + mod(c.i, 4)],
  replace((%(descriptions)s::text[])[1 + coalesce(c.description_idx, mod(c.i * 7, %(n_descriptions)s))], '{{place}}', c.village),
  (%(requests)s::text[])[1 + mod(c.i * 3, %(n_requests)s)],
  c.category_id,
  c.domain_class,
  c.urgency,
  c.risk,
  CASE WHEN c.risk = 'red' THEN '涉及人数较多，情绪激动，存在矛盾激化风险。' ELSE '' END,
  CASE WHEN c.r2 < 0.4 THEN round((1000 + c.r3 * 200000)::numeric, 2) END,
  1 + (c.r4 < 0.1)::int * floor(c.r1 * 20)::int,
  c.status,
  CASE
    WHEN c.status = 'registered' THEN c.received_at
    WHEN c.status = 'pending_dispatch' THEN c.received_at + interval '3 minutes'
    WHEN c.status IN ('dispatched', 'returned') THEN c.dispatched_at
    WHEN c.status = 'in_progress' THEN c.accepted_at
    ELSE coalesce(c.resolved_at, c.received_at + interval '1 day')
  END,
  false,
  CASE WHEN c.status = 'referred_out' THEN (ARRAY['litigation', 'arbitration', 'admin_review', 'petition'])[1 + mod(c.i, 4)] ELSE '' END,
  CASE WHEN c.status IN ('archived', 'followed_up', 'resolved') THEN c.outcome ELSE '' END,
  CASE WHEN c.status IN ('archived', 'followed_up', 'resolved') THEN '经调解，双方达成一致意见，已履行完毕。' ELSE '' END,
  c.on_spot,
  CASE WHEN c.status IN ('archived', 'followed_up') THEN c.satisfaction ELSE '' END,
  0,
  (c.level = 'c')::int,
  c.dispatched_at,
  c.accepted_at,
  CASE WHEN c.status IN ('archived', 'followed_up', 'resolved') THEN c.resolved_at END,
  CASE WHEN c.status IN ('archived', 'not_accepted', 'withdrawn', 'referred_out')
       THEN coalesce(c.resolved_at, c.received_at + interval '1 hour') END,
  c.handle_due,
  false,
  c.is_open AND c.handle_due <= %(processed_until)s::timestamptz,
  CASE WHEN c.status IN ('archived', 'followed_up', 'resolved') THEN c.resolved_at <= c.handle_due END
  {extra_values}
FROM (SELECT *, row_number() OVER (PARTITION BY registering_centre_id, year ORDER BY i) AS seq FROM _c) c;
"""

_COUNTERS = """
INSERT INTO cases_casecounter (centre_id, year, last)
SELECT registering_centre_id, year, count(*) FROM _c GROUP BY registering_centre_id, year;
"""

_PARTIES = """
INSERT INTO cases_party (case_id, kind, role, name, id_number, phone, headcount, address {extra_columns})
SELECT c.i,
  CASE WHEN p = 2 AND c.r3 < 0.35 THEN 'organisation' ELSE 'person' END,
  (ARRAY['applicant', 'respondent', 'third'])[p],
  CASE WHEN p = 2 AND c.r3 < 0.35 THEN (%(organisations)s::text[])[1 + mod(c.i, %(n_organisations)s)]
       ELSE (%(surnames)s::text[])[1 + mod(person, %(n_surnames)s)] || (%(given)s::text[])[1 + mod(person / 7, %(n_given)s)] END,
  CASE WHEN p = 2 AND c.r3 < 0.35 THEN ''
       ELSE '4490' || lpad(mod(person, 100)::text, 2, '0') || to_char(date '1950-01-01' + mod(person, 20000)::int, 'YYYYMMDD')
            || lpad(mod(person, 1000)::text, 3, '0') || mod(person, 10) END,
  CASE WHEN mod(person, 5) = 0 THEN '' ELSE '1' || (3 + mod(person, 7)) || lpad(mod(person * 7919, 1000000000)::text, 9, '0') END,
  CASE WHEN p = 1 AND c.channel = 'petition' THEN 5 + floor(c.r1 * 20)::int ELSE 1 END,
  c.village || (1 + mod(person, 12)) || '组'
  {extra_values}
FROM _c c
CROSS JOIN LATERAL generate_series(1, c.n_parties) AS p
-- People come from a pool of 0.6 N, so a person is sometimes party to several matters.
CROSS JOIN LATERAL (SELECT mod((c.i * 3 + p) * 2654435761, greatest(%(n)s * 6 / 10, 1000)) AS person) AS who;
"""

_ASSIGNMENTS = """
CREATE TEMP TABLE _a ON COMMIT DROP AS
SELECT c.i AS case_id, part, unit_id,
  CASE
    WHEN NOT c.is_open THEN 'completed'
    WHEN c.status = 'dispatched' THEN 'pending'
    WHEN c.status = 'in_progress' THEN 'accepted'
    WHEN part = 'lead' THEN 'returned'
    ELSE 'cancelled'
  END AS status,
  c.dispatched_at, c.accepted_at, c.resolved_at, c.is_open, c.status AS case_status,
  c.dispatched_at AS unit_starts, c.region_code, c.owning_code, c.received_at,
  c.category_id, c.risk, c.urgency, c.channel, c.is_open AND c.handle_due <= %(processed_until)s::timestamptz AS overdue
FROM _c c
CROSS JOIN LATERAL (VALUES ('lead', c.lead_unit_id), ('assist', c.assist_unit_id)) AS v(part, unit_id)
WHERE c.dispatched_at IS NOT NULL AND unit_id IS NOT NULL;

INSERT INTO cases_assignment (
  case_id, unit_id, part, task, status, dispatched_by_id, dispatched_at, sign_due_at, due_at, due_provisional,
  accepted_at, accepted_by_id, returned_at, return_reason, completed_at, case_region_code, case_owning_code,
  case_received_at, case_status, case_category_id, case_risk, case_urgency, case_channel, case_overdue {extra_columns}
)
SELECT a.case_id, a.unit_id, a.part, '', a.status, NULL, a.dispatched_at,
  (((a.dispatched_at AT TIME ZONE %(tz)s)::date + 2)::timestamp AT TIME ZONE %(tz)s) - interval '1 microsecond',
  (((a.dispatched_at AT TIME ZONE %(tz)s)::date + 22)::timestamp AT TIME ZONE %(tz)s) - interval '1 microsecond',
  false,
  CASE WHEN a.status IN ('accepted', 'completed') THEN coalesce(a.accepted_at, a.dispatched_at + interval '1 hour') END,
  NULL,
  CASE WHEN a.status = 'returned' THEN a.dispatched_at + interval '2 hours' END,
  CASE WHEN a.status = 'returned' THEN %(return_reason)s ELSE '' END,
  CASE WHEN a.status = 'completed' THEN a.resolved_at END,
  a.region_code, a.owning_code, a.received_at, a.case_status, a.category_id, a.risk, a.urgency, a.channel, a.overdue
  {extra_values}
FROM _a a
ORDER BY a.case_id, a.part DESC;
"""

_DEADLINES = """
-- The matter's handling limit, one per matter.
INSERT INTO cases_deadline (
  case_id, assignment_id, supervision_id, step, policy_id, starts_at, amount, unit, extension, due_at, provisional,
  warn_at, escalate_when_overdue, state, warned_at, overdue_at, escalated_at, met_at {extra_columns}
)
SELECT c.i, NULL, NULL, 'handle', c.policy_id, c.received_at, c.days, 'natural_days', 0, c.handle_due, false,
  greatest(c.handle_due - c.warn_hours * interval '1 hour', c.received_at), c.escalate,
  CASE WHEN c.is_open THEN 'open' WHEN c.resolved_at IS NULL THEN 'cancelled' ELSE 'met' END,
  NULL, NULL, NULL,
  CASE WHEN NOT c.is_open THEN c.resolved_at END
  {extra_values}
FROM _c c;

-- The units' limits: signing (open while pending) and handling (open while live, met when completed).
INSERT INTO cases_deadline (
  case_id, assignment_id, supervision_id, step, policy_id, starts_at, amount, unit, extension, due_at, provisional,
  warn_at, escalate_when_overdue, state, warned_at, overdue_at, escalated_at, met_at {extra_columns}
)
SELECT a.case_id, a.id, NULL, s.step, s.policy_id, a.dispatched_at, s.amount, 'working_days', 0, s.due_at, false,
  greatest(s.due_at - s.warn_hours * interval '1 hour', a.dispatched_at), false,
  CASE WHEN a.status IN ('pending', 'accepted') THEN 'open' ELSE 'met' END,
  NULL, NULL, NULL,
  CASE WHEN a.status = 'completed' THEN a.completed_at END
  {extra_values}
FROM cases_assignment a
CROSS JOIN LATERAL (VALUES
  ('sign', %(sign_policy)s::bigint, 1, a.sign_due_at, 8, a.status = 'pending'),
  ('unit_handle', %(unit_policy)s::bigint, 15, a.due_at, 56, a.status IN ('pending', 'accepted', 'completed'))
) AS s(step, policy_id, amount, due_at, warn_hours, wanted)
WHERE s.wanted;

-- Resolved matters wait for their follow-up call (the resolve transition opens this limit).
INSERT INTO cases_deadline (
  case_id, assignment_id, supervision_id, step, policy_id, starts_at, amount, unit, extension, due_at, provisional,
  warn_at, escalate_when_overdue, state, warned_at, overdue_at, escalated_at, met_at {extra_columns}
)
SELECT c.i, NULL, NULL, 'follow_up', %(follow_up_policy)s::bigint, c.resolved_at, 5, 'working_days', 0, f.due_at, false,
  greatest(f.due_at - interval '32 hours', c.resolved_at), false, 'open', NULL, NULL, NULL, NULL
  {extra_values}
FROM _c c
CROSS JOIN LATERAL (SELECT (((c.resolved_at AT TIME ZONE %(tz)s)::date + 8)::timestamp AT TIME ZONE %(tz)s) - interval '1 microsecond' AS due_at) AS f
WHERE c.status = 'resolved';

-- The sweep's state 24 hours before the load: what crossed a threshold before then is marked.
UPDATE cases_deadline SET
  warned_at = CASE WHEN warn_at <= %(processed_until)s::timestamptz THEN warn_at + interval '30 seconds' END,
  overdue_at = CASE WHEN due_at <= %(processed_until)s::timestamptz THEN due_at + interval '30 seconds' END,
  escalated_at = CASE WHEN escalate_when_overdue AND due_at <= %(processed_until)s::timestamptz THEN due_at + interval '30 seconds' END
WHERE state = 'open';
"""


# Columns that exist only in some versions of the models, matched by name, and what to fill them
# with: the text fingerprint of duplicate detection and its bands (random, as varied texts give).
OPTIONAL_SQL = {
    "cases_case": [
        (r"simhash$", "(floor(random() * 4294967296)::bigint << 31) # floor(random() * 2147483648)::bigint"),
        (r"_band\d+$", "floor(random() * 2147483648)::int"),
    ],
}


def _extra(model, known: set[str]) -> tuple[str, list[str], dict]:
    """Columns the generator does not name: (column list, value expressions, parameters).

    Those in OPTIONAL_SQL get their expression; any other gets the field's default, so the bench keeps
    working when a field with a default is added; a new required field without one stops the load
    with a message naming it.
    """
    patterns = OPTIONAL_SQL.get(model._meta.db_table, [])
    columns, expressions, params = [], [], {}
    for f in model._meta.concrete_fields:
        if f.column in known or f.primary_key:
            continue
        optional = next((sql for pattern, sql in patterns if re.search(pattern, f.column)), None)
        if optional is None and f.db_default is not NOT_PROVIDED:
            continue  # the database fills it
        if optional is not None:
            expressions.append(optional)
        else:
            if f.has_default():
                value = f.get_db_prep_save(f.get_default(), connection)
            elif f.null:
                value = None
            else:
                raise RuntimeError(f"bench/data.py does not fill {model._meta.db_table}.{f.column}: teach it")
            params[f"extra_{len(params)}"] = value
            expressions.append(f"%(extra_{len(params) - 1})s")
        columns.append(f.column)
    return "".join(f", {c}" for c in columns), expressions, params


def _run(cursor, sql: str, params: dict, model=None) -> None:
    """Execute `sql`; with `model`, also fill the columns it gained since (see `_extra`)."""
    if model is None:
        cursor.execute(sql, params)
        return
    listed = re.search(r"INSERT INTO \w+ \((.*?)\{extra_columns\}", sql, re.DOTALL).group(1)
    extra_columns, expressions, named = _extra(model, set(re.findall(r"\w+", listed)))
    extra_values = "".join(f", {e}" for e in expressions)
    cursor.execute(sql.format(extra_columns=extra_columns, extra_values=extra_values), {**params, **named})


class _Stopwatch:
    def __init__(self, log):
        self.log, self.started = log, time.monotonic()
        self.last = self.started

    def step(self, label: str) -> None:
        now = time.monotonic()
        self.log(f"  {label} ({now - self.last:.1f} s)")
        self.last = now

    @property
    def total(self) -> float:
        return time.monotonic() - self.started


def load(*, matters: int, log=print) -> Loaded:
    """Load the data set into the current (empty, migrated) database and write the marker."""
    from bench.bare.models import DataMarker
    from yimen.cases.models import Assignment, Case, Deadline, Party, TimeLimitPolicy
    from yimen.cases.search import FILL_SQL

    watch = _Stopwatch(log)
    step = watch.step
    as_of = timezone.now().replace(second=0, microsecond=0)
    n_open = matters // 10

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SELECT setseed(%s)", [SEED])
        _world, grids, leaf_rows, routes, leaves = _build_world()
        step(f"world: {len(grids)} grids, {len(leaf_rows)} categories")

        policies = {p.name: p.pk for p in TimeLimitPolicy.objects.filter(region=None, category=None)}
        _temp_table(cursor, "_g", "idx int, region_id bigint, region_code text, village text, twp_centre_id bigint, "
                    "twp_code text, vil_centre_id bigint, vil_code text, cty_centre_id bigint, cty_code text, clerk_id bigint",
                    [(i, g["region_id"], g["region_code"], g["village"], g["twp_centre_id"], g["twp_code"],
                      g["vil_centre_id"], g["vil_code"], g["cty_centre_id"], g["cty_code"], g["clerk_id"])
                     for i, g in enumerate(grids)])
        _temp_table(cursor, "_cat", "idx int, category_id bigint, domain_class text, name text, description_idx int", leaf_rows)
        _temp_table(cursor, "_route", "g int, c int, lead_unit_id bigint, assist_unit_id bigint", routes)
        _temp_table(cursor, "_urg", "urgency text, days int, warn_hours int, escalate bool, policy_id bigint",
                    [(u, days, warn, esc, policies.get(POLICY_NAMES[u])) for u, (_w, days, warn, esc) in URGENCY.items()])

        # Busier grids: the first grid of each village (the village centre's street) draws more.
        grid_weights = {i: (3 if g["region_code"].endswith("001") else 2) + (i % 4) for i, g in enumerate(grids)}
        cat_weights = {i: row[4] for i, row in enumerate(leaves)} | {-1: NO_CATEGORY_WEIGHT}
        indexes = _secondary_indexes(cursor)
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {name}")
        step(f"dropped {len(indexes)} secondary indexes")

        params = {
            "n": matters, "n_open": n_open, "as_of": as_of, "tz": settings.TIME_ZONE,
            "processed_until": as_of - dt.timedelta(hours=24),
            "grid_slots": _slots(grid_weights, 1000), "cat_slots": _slots(cat_weights),
            "urgency_slots": _slots({u: w[0] for u, w in URGENCY.items()}), "risk_slots": _slots(RISK),
            "channel_slots": _slots(CHANNEL), "level_slots": _slots(OWNING_LEVEL), "open_slots": _slots(OPEN_STATUS),
            "closed_slots": _slots(CLOSED_STATUS), "outcome_slots": _slots(OUTCOME),
            "satisfaction_slots": _slots(SATISFACTION),
            "descriptions": DESCRIPTIONS, "n_descriptions": len(DESCRIPTIONS),
            "requests": REQUESTS, "n_requests": len(REQUESTS),
            "organisations": ORGANISATIONS, "n_organisations": len(ORGANISATIONS),
            "surnames": SURNAMES, "n_surnames": len(SURNAMES), "given": GIVEN, "n_given": len(GIVEN),
            "return_reason": RETURN_REASON,
            "sign_policy": policies.get("签收：1个工作日"), "unit_policy": policies.get("承办单位办理：15个工作日"),
            "follow_up_policy": policies.get("回访：办结后5个工作日"),
        }
        cursor.execute(_STAGE, params)
        step("staged the matters")
        _run(cursor, _CASES, params, Case)
        _run(cursor, _COUNTERS, params)
        step("matters and number counters")
        _run(cursor, _PARTIES, params, Party)
        step("parties")
        cursor.execute(FILL_SQL.format(missing=""), {"after": 0, "upto": matters})
        step("search tokens (yimen_search_document over every matter and its parties)")
        _run(cursor, _ASSIGNMENTS, params, Assignment)
        step("assignments")
        _run(cursor, _DEADLINES, params, Deadline)
        step("deadlines")
        # The replica role keeps the overdue matters' triggers off too (cases/overdue.py): fill the
        # table from the flags once, as migration cases 0023 does on a database that had matters.
        from yimen.cases.overdue import FILL_SQL as OVERDUE_FILL_SQL

        cursor.execute(OVERDUE_FILL_SQL)
        step("overdue matters' table")
        for table in ("cases_case", "cases_party", "cases_assignment", "cases_deadline", "cases_casecounter"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))")
        for _name, create in indexes:
            cursor.execute(create)
        step(f"built {len(indexes)} indexes")
        cursor.execute("SELECT count(*) FROM cases_case WHERE status = ANY(%s)", [list(OPEN_STATUS)])
        opened = cursor.fetchone()[0]
        DataMarker.objects.update_or_create(name=MARKER, defaults={"value": {
            "version": DATA_VERSION, "matters": matters, "open": opened, "as_of": as_of.isoformat(),
            "schema": schema_key(),
        }})
    with connection.cursor() as cursor:
        for table in LOADED_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("ANALYZE")
    step("vacuum analyze")
    return Loaded(matters=matters, open=opened, seconds=watch.total, as_of=as_of)


def schema_key() -> str:
    """Which migrations of the loaded apps are applied: data loaded under other ones is reloaded."""
    import hashlib

    from django.db.migrations.recorder import MigrationRecorder

    applied = sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
                     if app in ("regions", "accounts", "cases", "notifications"))
    return hashlib.sha1("\n".join(applied).encode()).hexdigest()[:12]


def marker() -> dict | None:
    from bench.bare.models import DataMarker

    row = DataMarker.objects.filter(name=MARKER).first()
    return row.value if row else None


def is_loaded(matters: int) -> dict | None:
    """The marker if the database holds this version of the data set at this size, loaded under the
    migrations applied now, else None."""
    value = marker()
    if (value and value.get("version") == DATA_VERSION and value.get("matters") == matters
            and value.get("schema") == schema_key()):
        return value
    return None
