"""The escalation signals, grades and units of issue 14 reach installations that loaded the rule tables.

An installation whose tables are empty reads the data files and has them already. One whose tables
hold rows (`yimen triage load-defaults`, the demo) gets, in each table that holds rows:

* the new rules — signals `worsening`, `grave_incident_risk`, `mass_incident_risk`, `business_closed`;
  the grading and unit rules that read them — unless a rule of that name (signals) or reason is there;
* the changes to existing default rules (`group_action` no longer counts 群体性事件 or 集体经济, `repeat_visit`
  reads 反复申诉/上访, `safety_hazard` no longer reads a dispute's "安全隐患" as a hazard at work, the red
  rule for crowds takes the new signals) only where the row still holds the old default: an
  administrator's edit is kept.

The rules are frozen here as they were on the day; reversing removes what was added and puts the
old defaults back where the new ones are untouched.
"""

from django.db import migrations
from django.utils import timezone

ADDED_SIGNALS = [{'name': 'worsening',
  'label': '矛盾激化升级',
  'kind': 'keywords',
  'weight': 2.5,
  'patterns': [['(?:矛盾|纠纷|冲突|事态|对立|积怨|争执|争吵)[^。，,；;!?！？]{0,6}(?:激化|升级|恶化|加剧|失控|白热化)',
                '(?:矛盾|积怨|隔阂)越来越(?:大|深|尖锐)',
                '激化(?:趋势|苗头|迹象)',
                '(?:有|出现)(?:进一步)?激化',
                '愈演愈烈',
                '一触即发',
                '剑拔弩张',
                '越闹越(?:大|凶|僵)',
                '越吵越(?:凶|厉害)',
                '水火不容',
                '势不两立',
                '(?:可能|随时|极易|容易)(?:引发|发生|爆发)(?:肢体)?冲突']],
  'exclude': ['(?:防止|避免|防范|预防|杜绝)[^。，,；;]{0,8}(?:激化|升级|恶化|失控|冲突)',
              '无一起[^。；;]{0,20}激化',
              '(?:未发生|没有发生|未出现|没有出现|无一起|杜绝了|(?:有效|成功)?(?:防范|防止|预防|避免)了)[^。，,；;]{0,8}(?:激化|升级|冲突)',
              '升级改造|提档升级|转型升级|升级版|系统升级'],
  'explanation': '矛盾有激化、升级趋势（“{match}”），需尽快介入，防止“民转刑”'},
 {'name': 'grave_incident_risk',
  'label': '可能引发恶性事件',
  'kind': 'keywords',
  'weight': 5.0,
  'patterns': [['恶性(?:事件|案件|案事件|冲突|后果)',
                '(?:个人)?极端(?:事件|案件|案事件|行为)',
                '民转刑',
                '命案',
                '流血(?:事件|冲突)',
                '械斗',
                '(?:可能|极易|容易|随时|或将|恐将?)(?:引发|酿成|导致|演变成?为?|发展成?为?|升级为)[^。，,；;]{0,6}(?:刑事案件|伤亡)']],
  'exclude': ['(?:未发生|没有发生|未出现|没有出现|无一起|杜绝了|(?:有效|成功)?(?:防范|防止|预防|避免)了)[^。，,；;]{0,12}(?:恶性|极端|民转刑|命案|流血|械斗)',
              '(?:恶性|极端)[^。，,；;]{0,8}零发生',
              '恶性肿瘤'],
  'explanation': '研判可能引发恶性事件或个人极端事件（“{match}”），需提级督办、提前稳控'},
 {'name': 'mass_incident_risk',
  'label': '可能引发群体性事件',
  'kind': 'keywords',
  'weight': 3.5,
  'patterns': [['群体性(?:事件|上访|冲突|聚集|维权)',
                '群体事件',
                '群访',
                '聚众(?:闹事|滋事|上访|围堵|冲击)',
                '(?:可能|极易|容易|随时)(?:引发|导致|出现|发生)[^。，,；;]{0,4}(?:聚集|集体上访|群体)']],
  'exclude': ['(?:未发生|没有发生|未出现|没有出现|无一起|杜绝了|(?:有效|成功)?(?:防范|防止|预防|避免)了)[^。，,；;]{0,12}群体', '群体性?事件[“"\']?零发生'],
  'explanation': '研判可能引发群体性事件（“{match}”），需防止聚集、做好稳控'},
 {'name': 'business_closed',
  'label': '经营者突然停业',
  'kind': 'keywords',
  'weight': 2.0,
  'patterns': [['突然(?:关门|倒闭|停业|歇业|闭店|关店|停产|撤场|搬走)',
                '一夜之间(?:关门|倒闭|人去楼空|消失|搬空)',
                '人去楼空',
                '关门大吉',
                '(?:关门|闭店|停业|倒闭)(?:跑路|走人)',
                '(?:店|门店|公司|工厂|厂子|厂里|健身房|机构|培训班|美容院|理发店|商家|超市|饭店|餐馆|幼儿园|早教中心)(?:已经|都|就|竟然|也)?(?:关门|倒闭|停业|歇业|关了|黄了)']],
  'exclude': ['关门(?:时间|太晚|很晚|以后|之后|后)', '(?:晚上|每天|几点|准时|按时|提前)关门'],
  'explanation': '经营者突然关门停业（“{match}”），预付款、工资等债权可能落空，易引发集体维权'}]

# name -> field -> (old default, new default)
CHANGED_SIGNALS = {'group_action': {'patterns': [[['集体',
                                 '群体',
                                 '全体(?:工人|村民|业主|员工|职工)',
                                 '全村',
                                 '全组',
                                 '整栋楼?',
                                 '全小区',
                                 '好多人',
                                 '一大帮',
                                 '一群人',
                                 '大伙',
                                 '大家一起',
                                 '联名',
                                 '抱团',
                                 '几十(?:个|名|户|人)',
                                 '上百(?:名|人|户)',
                                 '数十(?:名|人|户)',
                                 '很多(?:工人|业主|村民|家长|人)',
                                 '(?:工人|村民|业主|家长|居民|投资人|会员|老人|农民工|群众)们',
                                 '一群',
                                 '好多(?:人|村民|工人|业主|家长|居民)',
                                 '聚集']],
                               [['集体',
                                 '群体',
                                 '全体(?:工人|村民|业主|员工|职工)',
                                 '全村',
                                 '全组',
                                 '整栋楼?',
                                 '全小区',
                                 '好多人',
                                 '一大帮',
                                 '一群人',
                                 '大伙',
                                 '大家一起',
                                 '联名',
                                 '抱团',
                                 '几十(?:个|名|户|人)',
                                 '上百(?:名|人|户)',
                                 '数十(?:名|人|户)',
                                 '很多(?:工人|业主|村民|家长|人)',
                                 '(?:工人|村民|业主|家长|居民|投资人|会员|老人|农民工|群众)们',
                                 '一群',
                                 '好多(?:人|村民|工人|业主|家长|居民)',
                                 '聚集']]],
                  'exclude': [[], ['群体性?事件', '村集体', '集体(?:经济|土地|所有|组织|资产|林地|山林|收益|产权)']]},
 'repeat_visit': {'patterns': [[['第[二三四五六七八九十\\d]+次(?:来|到|找|反映|投诉|上访)',
                                 '多次(?:来|到|找|反映|投诉|上访|信访|向|去)',
                                 '(?:反映|投诉|上访|找)(?:了|过)?(?:多|好几|无数|[\\d一二三四五六七八九十几]+)(?:次|回|趟|年)',
                                 '屡次',
                                 '一再(?:反映|投诉)',
                                 '跑了[好几\\d一二三四五六七八九十]+(?:趟|次)',
                                 '来回跑',
                                 '一直没(?:有)?(?:解决|处理|人管)',
                                 '至今没(?:有)?解决',
                                 '迟迟没(?:有)?(?:解决|处理)',
                                 '始终没(?:有)?解决',
                                 '没人管',
                                 '没人理',
                                 '推来推去',
                                 '踢皮球',
                                 '互相推诿',
                                 '调解无果',
                                 '多次调解']],
                               [['第[二三四五六七八九十\\d]+次(?:来|到|找|反映|投诉|上访)',
                                 '多次(?:来|到|找|反映|投诉|上访|信访|向|去)',
                                 '(?:反映|投诉|上访|找)(?:了|过)?(?:多|好几|无数|[\\d一二三四五六七八九十几]+)(?:次|回|趟|年)',
                                 '屡次',
                                 '一再(?:反映|投诉)',
                                 '跑了[好几\\d一二三四五六七八九十]+(?:趟|次)',
                                 '来回跑',
                                 '一直没(?:有)?(?:解决|处理|人管)',
                                 '至今没(?:有)?解决',
                                 '迟迟没(?:有)?(?:解决|处理)',
                                 '始终没(?:有)?解决',
                                 '没人管',
                                 '没人理',
                                 '推来推去',
                                 '踢皮球',
                                 '互相推诿',
                                 '调解无果',
                                 '多次调解',
                                 '反复(?:申诉|上访|信访|投诉|反映|找)']]],
                  'exclude': [[], []]},
 'safety_hazard': {'patterns': [[['安全隐患',
                                  '危房',
                                  '倒塌',
                                  '塌方',
                                  '坍塌',
                                  '裂缝',
                                  '燃气泄漏',
                                  '漏气',
                                  '煤气味',
                                  '起火',
                                  '火灾',
                                  '着火',
                                  '消防通道(?:被)?堵',
                                  '电线老化',
                                  '私拉电线',
                                  '飞线充电',
                                  '滑坡',
                                  '决堤',
                                  '溃坝',
                                  '高空坠物',
                                  '脱落']],
                                [['安全隐患',
                                  '危房',
                                  '倒塌',
                                  '塌方',
                                  '坍塌',
                                  '裂缝',
                                  '燃气泄漏',
                                  '漏气',
                                  '煤气味',
                                  '起火',
                                  '火灾',
                                  '着火',
                                  '消防通道(?:被)?堵',
                                  '电线老化',
                                  '私拉电线',
                                  '飞线充电',
                                  '滑坡',
                                  '决堤',
                                  '溃坝',
                                  '高空坠物',
                                  '脱落']]],
                   'exclude': [[], ['(?:恶性事件|恶性案件|群体性事件|极端事件|民转刑|命案|稳定|治安)[^。，,；;]{0,4}安全隐患']]}}

ADDED_GRADE_RULES = [{'target': 'risk',
  'value': 'red',
  'priority': 12,
  'reason': '研判可能引发恶性事件、个人极端事件或“民转刑”，列为红色风险',
  'conditions': {'any_signals': ['grave_incident_risk']}},
 {'target': 'risk',
  'value': 'red',
  'priority': 22,
  'reason': '群体性迹象明显且研判可能引发群体性事件，列为红色风险',
  'conditions': {'all_signals': ['mass_incident_risk', 'group_action']}},
 {'target': 'risk',
  'value': 'yellow',
  'priority': 38,
  'reason': '矛盾有激化升级趋势或可能引发群体性事件，列为黄色风险',
  'conditions': {'any_signals': ['worsening', 'mass_incident_risk']}},
 {'target': 'urgency',
  'value': 'urgent',
  'priority': 12,
  'reason': '可能引发恶性事件，须马上办',
  'conditions': {'any_signals': ['grave_incident_risk']}},
 {'target': 'urgency',
  'value': 'urgent',
  'priority': 26,
  'reason': '经营者突然关门停业，须马上办，防止资产转移、债权落空',
  'conditions': {'any_signals': ['business_closed'], 'categories': ['consumer', 'labour']}},
 {'target': 'urgency',
  'value': 'grave',
  'priority': 42,
  'reason': '矛盾激化或可能引发群体性事件，须集中攻坚',
  'conditions': {'any_signals': ['mass_incident_risk', 'worsening']}},
 {'target': 'domain',
  'value': 'safety',
  'priority': 5,
  'reason': '研判可能引发恶性事件或群体性事件，属社会稳定风险，归平安建设',
  'conditions': {'any_signals': ['grave_incident_risk', 'mass_incident_risk']}}]

CHANGED_GRADE_RULES = [{'old': {'reason': '30人（户）以上群体诉求叠加逃匿、节前欠薪或聚集苗头，列为红色风险',
          'conditions': {'any_signals': ['fled',
                                         'holiday_wage',
                                         'escalation_threat',
                                         'violence_occurred',
                                         'unreachable'],
                         'min_values': {'headcount': 30.0}}},
  'new': {'target': 'risk',
          'value': 'red',
          'priority': 20,
          'reason': '30人（户）以上群体诉求叠加逃匿、突然停业、节前欠薪、聚集苗头或群体性事件风险，列为红色风险',
          'conditions': {'any_signals': ['fled',
                                         'holiday_wage',
                                         'escalation_threat',
                                         'violence_occurred',
                                         'unreachable',
                                         'business_closed',
                                         'mass_incident_risk'],
                         'min_values': {'headcount': 30.0}}}}]

ADDED_UNIT_RULES = [{'priority': 7,
  'lead_unit': '农业农村局',
  'assisting_units': ['村(居)委会'],
  'reason': '脱贫户帮扶产业、集体经济收益分红由农业农村（乡村振兴）部门牵头，村（居）委会协助核实到户',
  'conditions': {'keywords': ['(?:脱贫户|贫困户|扶贫|帮扶|集体经济|合作社|村集体)[^。，,；;]{0,16}(?:分红|收益分配|帮扶资金|扶贫资金)',
                              '(?:分红|收益)[^。，,；;]{0,8}(?:脱贫户|贫困户)']}},
 {'priority': 20,
  'lead_unit': '',
  'assisting_units': ['自然资源局', '农业农村局'],
  'reason': '设施农业用地和农用地租用由自然资源部门测绘确界、农业农村部门勘验（设施农业用地管理）',
  'conditions': {'categories': ['land', 'contract', 'other'], 'keywords': ['设施农业', '大棚', '土地租用', '租地', '土地租赁']}},
 {'priority': 30,
  'lead_unit': '',
  'assisting_units': ['公安局'],
  'reason': '研判可能引发恶性事件，公安机关提前介入、落实稳控',
  'conditions': {'any_signals': ['grave_incident_risk']}},
 {'priority': 30,
  'lead_unit': '',
  'assisting_units': ['公安局', '信访局'],
  'reason': '可能引发群体性事件，公安机关制定稳控预案，信访部门参与化解',
  'conditions': {'any_signals': ['mass_incident_risk']}},
 {'priority': 30,
  'lead_unit': '',
  'assisting_units': ['公安局'],
  'reason': '矛盾有激化趋势，公安机关（派出所）参与联调，防止“民转刑”',
  'conditions': {'any_signals': ['worsening']}},
 {'priority': 30,
  'lead_unit': '',
  'assisting_units': ['公安局'],
  'reason': '经营者突然停业且涉及多人，公安机关研判是否涉嫌诈骗或拒不支付劳动报酬',
  'conditions': {'any_signals': ['headcount', 'group_action'], 'all_signals': ['business_closed']}}]


def _forward(apps, schema_editor):
    SignalRule = apps.get_model("triage", "SignalRule")
    GradeRule = apps.get_model("triage", "GradeRule")
    UnitRule = apps.get_model("triage", "UnitRule")
    now = timezone.now()  # a new updated_at, so that running processes' config caches see the change
    if SignalRule.objects.exists():
        last = max(SignalRule.objects.values_list("sort_order", flat=True))
        for i, s in enumerate(ADDED_SIGNALS, start=1):
            if not SignalRule.objects.filter(name=s["name"]).exists():
                SignalRule.objects.create(**s, sort_order=last + i)
        for name, fields in CHANGED_SIGNALS.items():
            for field, (old, new) in fields.items():
                SignalRule.objects.filter(name=name, **{field: old}).update(**{field: new}, updated_at=now)
    if GradeRule.objects.exists():
        for r in ADDED_GRADE_RULES:
            if not GradeRule.objects.filter(target=r["target"], reason=r["reason"]).exists():
                GradeRule.objects.create(**r)
        for change in CHANGED_GRADE_RULES:
            new = change["new"]
            GradeRule.objects.filter(
                target=new["target"], value=new["value"], priority=new["priority"], **change["old"]
            ).update(reason=new["reason"], conditions=new["conditions"], updated_at=now)
    if UnitRule.objects.exists():
        for r in ADDED_UNIT_RULES:
            if not UnitRule.objects.filter(reason=r["reason"]).exists():
                UnitRule.objects.create(**r)


def _backward(apps, schema_editor):
    SignalRule = apps.get_model("triage", "SignalRule")
    GradeRule = apps.get_model("triage", "GradeRule")
    UnitRule = apps.get_model("triage", "UnitRule")
    now = timezone.now()
    SignalRule.objects.filter(name__in=[s["name"] for s in ADDED_SIGNALS]).delete()
    for name, fields in CHANGED_SIGNALS.items():
        for field, (old, new) in fields.items():
            SignalRule.objects.filter(name=name, **{field: new}).update(**{field: old}, updated_at=now)
    for r in ADDED_GRADE_RULES:
        GradeRule.objects.filter(target=r["target"], reason=r["reason"]).delete()
    for change in CHANGED_GRADE_RULES:
        new = change["new"]
        GradeRule.objects.filter(
            target=new["target"], value=new["value"], priority=new["priority"], reason=new["reason"], conditions=new["conditions"]
        ).update(**change["old"], updated_at=now)
    UnitRule.objects.filter(reason__in=[r["reason"] for r in ADDED_UNIT_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("triage", "0005_shipped_statutes")]

    operations = [migrations.RunPython(_forward, _backward)]
