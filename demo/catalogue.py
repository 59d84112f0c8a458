"""Reference data for the demo dealership: brands and models with prices, names, cities."""

from __future__ import annotations

#: (brand, English name, WMI prefix), in the order of their ids.
BRANDS: list[tuple[str, str, str]] = [
    ("大众", "Volkswagen", "LSV"),
    ("丰田", "Toyota", "LVG"),
    ("本田", "Honda", "LHG"),
    ("日产", "Nissan", "LGB"),
    ("别克", "Buick", "LSG"),
    ("比亚迪", "BYD", "LGX"),
    ("宝马", "BMW", "LBV"),
    ("奥迪", "Audi", "LFV"),
    ("奔驰", "Mercedes-Benz", "LE4"),
    ("吉利", "Geely", "L6T"),
    ("长安", "Changan", "LS5"),
    ("哈弗", "Haval", "LGW"),
]

#: (brand, model, body type, price tier, list price ¥), in the order of their ids. One flat
#: table rather than models nested in their brands: the rows read at a glance, one per model.
MODELS: list[tuple[str, str, str, str, int]] = [
    ("大众", "朗逸", "轿车", "economy", 99_900),
    ("大众", "速腾", "轿车", "mid", 129_900),
    ("大众", "帕萨特", "轿车", "mid", 189_900),
    ("大众", "迈腾", "轿车", "upper_mid", 209_900),
    ("大众", "途观L", "SUV", "upper_mid", 219_900),
    ("大众", "捷达", "轿车", "economy", 79_900),
    ("丰田", "卡罗拉", "轿车", "mid", 119_800),
    ("丰田", "凯美瑞", "轿车", "upper_mid", 179_800),
    ("丰田", "RAV4荣放", "SUV", "upper_mid", 175_800),
    ("丰田", "汉兰达", "SUV", "premium", 269_800),
    ("本田", "思域", "轿车", "mid", 129_900),
    ("本田", "雅阁", "轿车", "upper_mid", 179_800),
    ("本田", "CR-V", "SUV", "upper_mid", 181_900),
    ("日产", "轩逸", "轿车", "economy", 99_800),
    ("日产", "天籁", "轿车", "mid", 179_800),
    ("别克", "英朗", "轿车", "economy", 89_900),
    ("别克", "君威", "轿车", "mid", 169_900),
    ("别克", "君越", "轿车", "upper_mid", 219_900),
    ("别克", "GL8", "MPV", "upper_mid", 239_900),
    ("比亚迪", "秦PLUS", "轿车", "economy", 79_800),
    ("比亚迪", "宋PLUS", "SUV", "mid", 149_800),
    ("比亚迪", "汉", "轿车", "upper_mid", 209_800),
    ("宝马", "3系", "轿车", "premium", 299_900),
    ("宝马", "5系", "轿车", "premium", 439_900),
    ("宝马", "X3", "SUV", "premium", 399_900),
    ("宝马", "X5", "SUV", "luxury", 699_900),
    ("奥迪", "A4L", "轿车", "premium", 321_800),
    ("奥迪", "A6L", "轿车", "premium", 427_900),
    ("奥迪", "Q5L", "SUV", "premium", 398_800),
    ("奔驰", "C级", "轿车", "premium", 333_900),
    ("奔驰", "E级", "轿车", "premium", 449_800),
    ("奔驰", "GLC", "SUV", "premium", 429_800),
    ("奔驰", "S级", "轿车", "luxury", 1_018_000),
    ("吉利", "帝豪", "轿车", "economy", 69_800),
    ("吉利", "星越L", "SUV", "mid", 149_700),
    ("长安", "逸动", "轿车", "economy", 72_900),
    ("长安", "CS75 PLUS", "SUV", "mid", 119_900),
    ("哈弗", "H6", "SUV", "economy", 98_900),
]


def model_rows() -> list[tuple[int, str, str, str, str, int]]:
    """Every model with its brand's id and WMI prefix, in id order:
    (brand id, WMI prefix, model, body type, price tier, list price ¥)."""
    brand_of = {name: (brand_id, wmi) for brand_id, (name, _en, wmi) in enumerate(BRANDS, start=1)}
    return [(*brand_of[brand], *model) for brand, *model in MODELS]


SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_NAME_CHARS = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰海燕鹏飞宇浩然子涵梓轩一诺欣怡思远佳琪雨轩俊杰文博晓东晨阳雪梅春生立新志强"
)

#: (region shown in the CRM, plate prefix).
REGIONS: list[tuple[str, str]] = [
    ("广东省深圳市", "粤B"),
    ("广东省广州市", "粤A"),
    ("广东省东莞市", "粤S"),
    ("广东省佛山市", "粤E"),
    ("广东省惠州市", "粤L"),
    ("广东省中山市", "粤T"),
    ("广东省珠海市", "粤C"),
    ("广东省江门市", "粤J"),
]

MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "177",
    "180",
    "181",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "199",
]

LIKED_BRANDS = [
    "特斯拉",
    "理想",
    "蔚来",
    "小鹏",
    "保时捷",
    "雷克萨斯",
    "沃尔沃",
    "凯迪拉克",
    "马自达",
    "红旗",
]

COLOURS = ["白色", "黑色", "银色", "灰色", "蓝色", "红色", "棕色"]

LINE_DESCRIPTIONS = {
    "maintenance": "常规保养（机油、机滤）",
    "repair": "故障维修",
    "warranty": "保修索赔维修",
    "insurance": "事故钣喷维修",
    "accessories": "加装精品（脚垫、行车记录仪）",
    "detailing": "精洗、打蜡、镀晶",
    "tyres": "更换轮胎",
    "extended_warranty": "延保服务",
    "insurance_policy": "商业险续保",
}

COMPLAINT_TEXTS = {
    "service_attitude": "接待人员态度冷淡",
    "punctuality": "预约后等待时间过长",
    "quality": "维修后问题依旧",
    "speed": "维修时间超出承诺",
    "price": "收费比预期高",
    "information": "收费项目没有解释清楚",
    "product": "车辆异响",
    "sales": "交车时承诺未兑现",
    "other": "其他问题",
}

FEEDBACK_TEXTS = [
    "车况良好，暂无需求",
    "近期会来做保养",
    "对上次服务满意",
    "嫌价格偏高",
    "工作忙，晚点再说",
    "考虑换车，想了解新款",
    "在外地出差",
    "已在别处保养",
    "",
]

VALUE_EVENT_TEXTS = {
    "referral": "推荐朋友购车",
    "review": "在点评平台发表好评",
    "community_answer": "在车友群解答保养问题",
    "event_attendance": "参加车主自驾游活动",
    "survey_response": "完成年度车主调研问卷",
    "suggestion": "建议延长周末营业时间",
}
