"""Made-up people, firms and places for the demo matters.

Names are drawn from common surnames and given-name characters; any likeness to a real person is
chance. ID numbers carry the fictional county codes (449001, 449002) and a valid check digit, so they
pass the same validator as real input; mobile numbers use the 199 prefix with random digits.
"""

import random

from yimen.cases.validators import id_number_check_digit

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文"
)
_MALE = "伟强军杰勇斌涛明超辉刚健波华平东亮宏峰建国志成德海林松义兴福旺贵荣生根才武江文龙胜祥发忠"
_FEMALE = "芳娟敏静丽艳霞燕红梅玲婷秀英兰凤琴云莲珍桂娥菊萍雪慧巧翠春美淑玉洁丹琳月"
_SECOND = "小永国德建春秋海志金玉水长新红家卫晓立子少伟"


def person_name(rng: random.Random, *, female: bool | None = None) -> str:
    if female is None:
        female = rng.random() < 0.45
    pool = _FEMALE if female else _MALE
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.3:
        return surname + rng.choice(pool)
    return surname + rng.choice(_SECOND + pool) + rng.choice(pool)


def id_number(rng: random.Random, *, county_code: str, age_lo: int = 20, age_hi: int = 75, year: int = 2025,
              female: bool | None = None) -> str:
    birth_year = year - rng.randint(age_lo, age_hi)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    serial = rng.randint(0, 99) * 10 + (rng.choice((0, 2, 4, 6, 8)) if female else rng.choice((1, 3, 5, 7, 9)))
    first17 = f"{county_code}{birth_year:04d}{month:02d}{day:02d}{serial:03d}"
    return first17 + id_number_check_digit(first17)


def mobile(rng: random.Random) -> str:
    return f"199{rng.randint(0, 99999999):08d}"


_FIRM_STEMS = ("恒达", "鑫源", "宏盛", "兴旺", "永发", "泰丰", "顺通", "金桥", "华隆", "荣昌", "远航", "汇通", "天成", "广利",
               "盛世", "新宇", "东升", "富源", "长兴", "嘉禾", "明达", "瑞丰", "正大", "安居", "诚信", "百川")
_FIRM_TRADES = {
    "building": ("建筑劳务", "建筑工程", "建设工程", "装饰工程", "市政工程"),
    "factory": ("电子", "制衣", "五金制品", "塑料制品", "食品", "竹木制品", "家具", "陶瓷"),
    "logistics": ("物流", "运输", "货运"),
    "service": ("餐饮管理", "酒店管理", "保洁服务", "保安服务", "家政服务"),
    "property": ("物业服务", "物业管理"),
    "shop": ("商贸", "贸易", "百货"),
    "training": ("教育咨询", "文化培训", "艺术培训"),
    "farm": ("农业开发", "生态农业", "种养专业合作社", "茶业"),
    "finance": ("小额贷款", "融资担保", "投资咨询"),
    "auto": ("汽车销售服务", "汽车维修", "二手车经纪"),
    "realty": ("房地产开发", "置业"),
}


def company(rng: random.Random, trade: str = "factory", *, prefix: str = "云川市") -> str:
    stem = rng.choice(_FIRM_STEMS)
    kind = rng.choice(_FIRM_TRADES[trade])
    if kind.endswith("合作社"):
        return f"{rng.choice(('青溪县', '云川市'))}{stem}{kind}"
    return f"{rng.choice((prefix, '青溪县', '明湖区'))}{stem}{kind}有限公司"


ESTATES = ("锦绣华庭", "滨江花园", "望湖苑", "金色家园", "阳光新城", "翠湖名居", "御景湾", "学府雅居", "东方明珠苑", "幸福里",
           "丽景嘉园", "碧桂苑", "柳岸人家", "书香门第", "和谐家园", "城西安置小区", "工业园员工公寓", "湖畔春天", "紫荆花园", "怡和苑")
ROADS = ("人民路", "建设路", "解放路", "东风路", "滨江大道", "湖心路", "新街路", "学府路", "西关路", "工业大道", "环城北路",
         "S233省道", "县道X128", "乡道Y207", "龙泉大道", "石门大道")
SHOPS = ("烧烤店", "大排档", "KTV", "麻将馆", "五金店", "汽修店", "棋牌室", "夜宵摊", "网吧", "广场舞点", "面馆", "快递驿站", "洗车店", "酒吧")
SCHOOLS = ("青溪县实验小学", "青溪县第二中学", "桃源镇中心小学", "石门镇中学", "明湖区第三小学", "明湖区湖滨中学", "东城实验学校",
           "龙泉镇中心幼儿园", "明湖区阳光幼儿园", "西关小学")
HOSPITALS = ("青溪县人民医院", "青溪县中医院", "明湖区人民医院", "云川市第一人民医院", "桃源镇卫生院", "石门镇卫生院",
             "龙泉镇卫生院", "明湖区妇幼保健院", "东城社区卫生服务中心")
BANKS = ("云川农村商业银行", "青溪村镇银行", "某股份制银行云川分行", "某国有银行明湖支行")
CROPS = ("沙糖桔", "茶叶", "水稻", "油茶", "蔬菜", "百香果", "玉米", "花生", "生姜", "蜜柚")
TREES = ("杉木", "松树", "桉树", "竹林", "油茶林", "毛竹")
LIVESTOCK = ("生猪", "肉鸡", "鸭", "肉牛", "山羊")
FIELDS = ("责任田", "自留地", "山林", "宅基地", "鱼塘", "菜地", "果园", "旱地")
VEHICLES = ("小轿车", "电动自行车", "摩托车", "货车", "三轮车", "面包车", "网约车", "泥头车", "公交车")
PRODUCTS = ("冰箱", "空调", "手机", "电动车", "热水器", "洗衣机", "家具", "装修材料", "二手车", "电脑", "燃气灶", "净水器")
RELATIVES_ELDER = ("父亲", "母亲", "公公", "婆婆", "岳父", "岳母")
ROOMS = ("301", "402", "502", "602", "703", "801", "1102", "1503", "1806", "2201")
